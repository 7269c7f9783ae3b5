"""The SPARQL evaluator against the default (compiled) evaluator, and the same queries on the Oxigraph server.

    python benchmarks/bench_sparql.py                       # 100 and 1,000 patients
    python benchmarks/bench_sparql.py --sizes 100 1000 10000

For each size N, a seeded synthetic cohort (``reasoner.cohort.synthetic.generate(N, seed=42)``; about
88% of the records valid and in scope) is reasoned over in ONE batch, so every patient of the cohort
is in the store while the queries run: a query whose cost per patient grew with the patients in
the store would show here. Measured in one process, one after the other:

- ``Engine(kb, evaluator="fastpath")`` (the default) and ``Engine(kb, evaluator="sparql")`` (the
  queries of ``queries/eligibility`` and ``queries/warnings`` on the embedded pyoxigraph store):
  ``Engine.run`` end to end per record, and the query step alone (``Engine._query_batch``:
  loading the patient graphs and running the queries, or the compiled evaluation) per patient;
  both must give the same results (checked).
- The Oxigraph server (``oxigraph serve-read-only`` of PyPI ``oxigraph``, as ``her2neg serve``
  runs it) over the knowledge base and the cohort with its results: every query of
  ``queries/eligibility``, ``queries/warnings`` and ``queries/reports`` sent once over HTTP (POST,
  SPARQL JSON results parsed), time per patient per query and in total.

Prints Markdown tables (paste into benchmarks/README.md).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

REPORT_BINDINGS = {"patients-eligible-for-drug": {"drug": "https://w3id.org/her2neg/kb/drug-letrozole"}}


def _timed_engine(kb, evaluator: str):
    from reasoner.engine import Engine

    engine = Engine(kb, evaluator=evaluator)
    spent = {"query": 0.0}
    inner = engine._query_batch

    def timed(prepared, graphs):
        started = time.perf_counter()
        try:
            return inner(prepared, graphs)
        finally:
            spent["query"] += time.perf_counter() - started

    engine._query_batch = timed
    return engine, spent


def run_engines(kb, records) -> dict:
    out = {}
    results = {}
    for evaluator in ("fastpath", "sparql"):
        engine, spent = _timed_engine(kb, evaluator)
        started = time.perf_counter()
        res = engine.run(records)
        total = time.perf_counter() - started
        ok = sum(1 for r in res if r.status == "ok")
        out[evaluator] = {"total": total, "query": spent["query"], "ok": ok}
        results[evaluator] = [r.to_dict() for r in res]
    out["same"] = results["fastpath"] == results["sparql"]
    return out


def run_server(kb, records) -> dict:
    from reasoner.query.catalog import catalog
    from reasoner.query.endpoint import SparqlEndpointBackend
    from reasoner.serve import PATIENTS_GRAPH, export_store, free_port, start_server

    with tempfile.TemporaryDirectory(prefix="bench-sparql-") as tmp:
        export_store(Path(tmp) / "store", records, kb=kb)
        port = free_port()
        proc = start_server(Path(tmp) / "store", port=port)
        try:
            backend = SparqlEndpointBackend(f"http://127.0.0.1:{port}/query", timeout=3600)
            timings = {}
            for name, query in catalog().items():
                if query.kind not in ("eligibility", "warnings", "reports"):
                    continue
                started = time.perf_counter()
                rows = backend.select(query.text, graphs=[PATIENTS_GRAPH], bindings=REPORT_BINDINGS.get(name))
                timings[name] = (time.perf_counter() - started, len(rows))
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    return timings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--no-server", action="store_true", help="skip the Oxigraph server part")
    args = parser.parse_args(argv)

    import reasoner
    from reasoner.cohort.synthetic import generate

    kb = reasoner.KnowledgeBase.load()
    engine_rows, server_rows = [], {}
    for n in args.sizes:
        records = list(generate(n, seed=args.seed))
        e = run_engines(kb, records)
        ok = e["fastpath"]["ok"]
        engine_rows.append((n, ok, e))
        print(f"# N={n}: engines done (same results: {e['same']})", file=sys.stderr, flush=True)
        if not args.no_server:
            server_rows[n] = (ok, run_server(kb, records))
            print(f"# N={n}: server done", file=sys.stderr, flush=True)

    print("| N records (patients reasoned over) | default: run ms/record | SPARQL: run ms/record | "
          "default: query step ms/patient | SPARQL: query step ms/patient | ratio (query step) | same results |")
    print("|---|---|---|---|---|---|---|")
    for n, ok, e in engine_rows:
        f, s = e["fastpath"], e["sparql"]
        print(f"| {n:,} ({ok:,}) | {1000 * f['total'] / n:.2f} | {1000 * s['total'] / n:.2f} | "
              f"{1000 * f['query'] / ok:.2f} | {1000 * s['query'] / ok:.2f} | "
              f"{s['query'] / f['query']:.1f}x | {e['same']} |")
    if server_rows:
        sizes = list(server_rows)
        names = list(next(iter(server_rows.values()))[1])
        print()
        print("| query (Oxigraph server, ms/patient; rows) | " + " | ".join(f"N={n:,}" for n in sizes) + " |")
        print("|---|" + "---|" * len(sizes))
        for name in names:
            cells = []
            for n in sizes:
                ok, timings = server_rows[n]
                seconds, rows = timings[name]
                cells.append(f"{1000 * seconds / ok:.3f} ({rows:,})")
            print(f"| {name} | " + " | ".join(cells) + " |")
        totals = []
        for n in sizes:
            ok, timings = server_rows[n]
            totals.append(f"{1000 * sum(s for s, _ in timings.values()) / ok:.2f}")
        print("| **all of them** | " + " | ".join(totals) + " |")


if __name__ == "__main__":
    main()
