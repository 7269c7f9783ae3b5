"""``python -m reasoner.ontology``: run HermiT over the knowledge base and print its report.

    python -m reasoner.ontology                 # HermiT: consistency, unsatisfiable classes, entailments
    python -m reasoner.ontology qc              # every QC query of queries/qc/ (zero rows = pass)
    python -m reasoner.ontology qc missing-label --engine oxigraph
    python -m reasoner.ontology release --out dist   # merged, reasoned her2neg.owl (RDF/XML), dated version IRI
    python -m reasoner.ontology profile         # OWL API: OWL 2 DL violations of the whole and of each module

Exit codes: 0 all good; 1 inconsistent, unsatisfiable classes or QC rows; 4 the knowledge base
cannot be loaded (see reasoner.errors).
"""

from __future__ import annotations

import argparse
import sys

from reasoner.errors import ReasonerError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reasoner.ontology", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--allow-missing", action="store_true", help="skip imported modules whose file is missing"
    )
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("hermit", help="run HermiT (the default)")
    qc = sub.add_parser("qc", help="run the QC queries")
    qc.add_argument("names", nargs="*", help="query stems (default: all)")
    qc.add_argument("--engine", "--backend", dest="engine", default="oxigraph",
                    help="oxigraph (default), rdflib, or the URL of a SPARQL 1.1 endpoint holding the "
                    "knowledge base in the graph urn:her2neg:kb")
    sub.add_parser("profile", help="OWL 2 DL profile check with the OWL API (each module alone and the whole)")
    release = sub.add_parser("release", help="write the merged, reasoned her2neg.owl (RDF/XML)")
    release.add_argument("--out", default="dist", help="output folder (default: dist)")
    release.add_argument("--date", help="release date YYYY-MM-DD (default: today)")
    args = parser.parse_args(argv)
    try:
        if args.command == "release":
            import datetime as dt
            from pathlib import Path

            from reasoner.ontology.release import build_release

            built = build_release(Path(args.out), date=dt.date.fromisoformat(args.date) if args.date else None)
            print(f"{built.path}: {built.triples} triples, version IRI {built.version_iri}, "
                  f"{built.inferred_subclass_axioms} inferred subclass axioms, "
                  f"{built.inferred_type_assertions} inferred class assertions")
            return 0
        if args.command == "profile":
            from reasoner.ontology.profile import check_dl_profile

            reports = check_dl_profile()
            for report in reports:
                print(report.summary())
                for violation in report.violations[:20]:
                    print(f"  {violation}")
            return 0 if all(r.ok for r in reports) else 1
        if args.command == "qc":
            from reasoner.ontology.qc import qc_queries, run_qc

            names = args.names or [p.stem for p in qc_queries()]
            failed = 0
            for name in names:
                rows = run_qc(name, engine=args.engine, allow_missing=args.allow_missing)
                print(f"{'PASS' if not rows else 'FAIL'} {name} ({len(rows)} rows)")
                for row in rows:
                    print(f"  {row}")
                failed += bool(rows)
            return 1 if failed else 0
        from reasoner.ontology.hermit import run_hermit

        report = run_hermit(allow_missing=args.allow_missing)
        print(report.summary())
        return 0 if report.consistent and not report.unsatisfiable else 1
    except ReasonerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code


if __name__ == "__main__":
    sys.exit(main())
