"""The ``her2neg`` command tree (typer): a thin shell over the Python API.

:func:`reasoner.cli.main` is the entry point; it runs a plain ``her2neg recommend FILE...`` without
this module (:mod:`reasoner.cli.recommend` holds that command's body) and everything else here.

Exit codes: the table in :mod:`reasoner.cli` (also in ``her2neg --help`` and the README).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.text import Text

from reasoner.cli.common import EXIT_INVALID, EXIT_OUT_OF_SCOPE, err, out  # noqa: F401 - re-exported
from reasoner.cli.common import fail as _fail
from reasoner.cli.common import state as _state
from reasoner.cli.recommend import FORMATS, RECOMMEND_CHUNK, _kb, _load, _status_exit, _write, run_recommend  # noqa: F401
from reasoner.errors import QueryError
from reasoner.textsafe import json_dumps
from reasoner.textsafe import terminal as _t

HELP = """her2neg: treatment options for HER2-negative breast cancer, with the reasons, the evidence,
the options ruled out and what to test next (knowledge graph + SHACL + SPARQL)."""
HELP += """

Exit codes: 0 ok; 1 internal error; 2 usage; 3 unreadable input; 4 knowledge base does not load;
5 unknown query or parameter; 6 store/endpoint failure; 7 output cannot be written; 10 a record is
invalid; 11 a record is
out of scope (HER2-positive). Decision support only: it supports, and does not replace, clinical
judgement."""

app = typer.Typer(help=HELP, no_args_is_help=True, add_completion=False, rich_markup_mode=None)
kb_app = typer.Typer(help="Facts about the knowledge base.", no_args_is_help=True)
app.add_typer(kb_app, name="kb")



@app.callback()
def _main(
    trace: Annotated[bool, typer.Option("--trace", help="Show the full traceback of an error.")] = False,
) -> None:
    _state["trace"] = trace


@app.command()
def recommend(
    files: Annotated[list[Path], typer.Argument(help="Patient records: JSON, JSON Lines, Turtle/JSON-LD or a FHIR bundle.")],
    format: Annotated[str, typer.Option("--format", "-f", help="table, json or turtle.")] = "table",
    jurisdiction: Annotated[str | None, typer.Option("--jurisdiction", "-j", help="US or EU: keep only options approved or guideline-endorsed there.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="table: every text in full and every option not offered, variants for other patients included.")] = False,
) -> None:
    """Treatment options for each patient, with reasons, exclusions, advice and warnings."""
    if format not in FORMATS:
        raise typer.BadParameter("use table, json or turtle", param_hint="--format")
    raise typer.Exit(run_recommend(files, format, jurisdiction, all_))


@app.command()
def report(
    file: Annotated[Path, typer.Argument(help="One patient record: JSON, Turtle/JSON-LD or a FHIR bundle.")],
    out_path: Annotated[Path, typer.Option("--out", "-o", help="Where to write the HTML report.")] = Path("report.html"),
    jurisdiction: Annotated[str | None, typer.Option("--jurisdiction", "-j", help="US or EU: keep only options approved or guideline-endorsed there.")] = None,
) -> None:
    """A one-page, self-contained HTML report for one patient (timeline, options, why not)."""
    from reasoner.report import render_report

    try:
        kb = _kb()
        jurisdiction = kb.jurisdiction(jurisdiction)
        inputs = _load(file)
        if len(inputs) != 1:
            raise typer.BadParameter(f"{file} holds {len(inputs)} records; a report is for one patient",
                                     param_hint="FILE")
        raw = inputs[0][1]
        result = kb.recommend_many([raw], jurisdiction=jurisdiction)[0]
        html = render_report(result, record=raw, kb=kb)
        try:
            out_path.write_text(html, encoding="utf-8")
        except OSError as exc:
            from reasoner.errors import InputError

            raise InputError(f"cannot write the report: {exc.strerror}", where=str(out_path)) from exc
        err.print(Text(f"{result.patient}: {result.status}; report written to {out_path}"), highlight=False)
        raise typer.Exit(_status_exit([result.status]))
    except (typer.Exit, typer.BadParameter):
        raise
    except Exception as exc:  # noqa: BLE001
        _fail(exc)


@app.command()
def validate(
    files: Annotated[list[Path], typer.Argument(help="Patient records to validate.")],
    format: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table",
) -> None:
    """Validate patient records against the contract and the SHACL shapes."""
    from reasoner.validation import validate_record

    try:
        inputs = [item for path in files for item in _load(path)]
        worst = 0
        report = []
        for label, raw in inputs:
            outcome = validate_record(raw)
            findings = [f.to_dict() for f in outcome.findings]
            report.append({"source": label, "ok": outcome.ok, "findings": findings})
            if not outcome.ok:
                worst = EXIT_INVALID
        if format == "json":
            out.print(json_dumps(report, indent=2, default=str), highlight=False, markup=False)
        else:
            for item in report:
                mark = "[green]valid[/green]" if item["ok"] else "[red]invalid[/red]"
                out.print(f"{_t(item['source'])}: {mark}", highlight=False)
                for f in item["findings"]:
                    colour = "red" if f["severity"] == "violation" else "yellow"
                    out.print(f"  [{colour}]{f['severity']}[/{colour}] {_t(f['path'])}: {_t(f['message'])}",
                              highlight=False)
        raise typer.Exit(worst)
    except typer.Exit:
        raise
    except Exception as exc:  # noqa: BLE001
        _fail(exc)


@app.command()
def explain(
    file: Annotated[Path, typer.Argument(help="One patient record.")],
    drug: Annotated[str, typer.Option("--drug", "-d", help="The drug to explain (any synonym or brand name).")],
    format: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table",
) -> None:
    """Why a drug is or is not offered, criterion by criterion."""
    from reasoner.cli.render import render_explanation
    from reasoner.terminology import Vocabulary

    try:
        catalog = Vocabulary.default()
        canonical = catalog.canonical(drug)
        if canonical is None:
            close = ", ".join(catalog.suggest(drug))
            raise QueryError(f"unknown drug {drug!r}", hint=f"did you mean {close}?" if close else None)
        inputs = _load(file)
        explanation = _kb().engine.explain(inputs[0][1], canonical)
        if format == "json":
            out.print(json_dumps(explanation, indent=2), highlight=False, markup=False)
        else:
            render_explanation(out, explanation)
    except typer.Exit:
        raise
    except Exception as exc:  # noqa: BLE001
        _fail(exc)


@app.command()
def query(
    name: Annotated[str | None, typer.Argument(help="The query's name (file stem under queries/).")] = None,
    data: Annotated[list[Path] | None, typer.Option("--data", help="Patient records to load with the knowledge base.")] = None,
    param: Annotated[list[str] | None, typer.Option("--param", help="Bind a query variable: key=value (an IRI or a literal).")] = None,
    list_: Annotated[bool, typer.Option("--list", help="List the available queries.")] = False,
    format: Annotated[str, typer.Option("--format", "-f", help="table, json or csv.")] = "table",
) -> None:
    """Run a named SPARQL query of queries/ over the knowledge base and patient data."""
    from reasoner.cli.render import render_rows
    from reasoner.query.catalog import catalog, get_query

    try:
        if list_ or name is None:
            for q in catalog().values():
                out.print(f"[bold]{_t(q.name)}[/bold] ({_t(q.kind)}): {_t(q.summary)}", highlight=False)
            return
        named = get_query(name)
        declared = named.params
        bindings: dict[str, Any] = {}
        for item in param or []:
            key, sep, value = item.partition("=")
            key = key.strip().lstrip("?")
            if not sep or not key:
                raise QueryError(f"bad --param {item!r}", hint="use key=value")
            if key not in declared:
                raise QueryError(f"the query {name!r} has no parameter {key!r}",
                                 hint=f"its parameters: {', '.join(declared) or 'none'}")
            bindings[key] = _param_value(key, value.strip(), declared[key])
        missing = [k for k, text in declared.items() if "required" in text and k not in bindings]
        if missing:
            raise QueryError(f"the query {name!r} needs --param {missing[0]}=...", hint=declared[missing[0]])
        from reasoner.query.backends import check_bindings

        check_bindings(bindings)
        kb = _kb()
        inputs = [item for path in data or [] for item in _load(path)]
        skipped: list = []
        rows = kb.engine.query(named.text, [raw for _, raw in inputs], bindings, skipped=skipped)
        render_rows(out, rows, format)
        for index, status, reason in skipped:  # never a silent drop: say which records are not in the data
            err.print(f"[yellow]not loaded[/yellow] {_t(inputs[index][0])}: {_t(status)} ({_t(reason)})",
                      highlight=False)
        raise typer.Exit(_status_exit([status for _, status, _ in skipped]))
    except typer.Exit:
        raise
    except Exception as exc:  # noqa: BLE001
        _fail(exc)


_CURIES = {
    "h2n": "https://w3id.org/her2neg/kb/", "patient": "https://w3id.org/her2neg/patient/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#", "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "skos": "http://www.w3.org/2004/02/skos/core#", "xsd": "http://www.w3.org/2001/XMLSchema#",
    "owl": "http://www.w3.org/2002/07/owl#", "dcterms": "http://purl.org/dc/terms/",
}


def _param_value(key: str, value: str, description: str) -> Any:
    """A --param value as the query needs it: an IRI (full, ``<...>``, a CURIE such as
    ``h2n:drug-ribociclib``, a patient id for ``patient``, a drug name for ``drug``) or a literal."""
    from reasoner.graph import patient_iri

    iri: str | None = None
    if value.startswith("<") and value.endswith(">"):
        iri = value[1:-1]
    elif value.startswith(("http://", "https://", "urn:")):
        iri = value
    elif ":" in value and value.split(":", 1)[0] in _CURIES:
        prefix, local = value.split(":", 1)
        iri = _CURIES[prefix] + local
    elif key == "patient":
        iri = str(patient_iri(value))
    elif key == "drug":
        from reasoner.terminology import Vocabulary

        catalog = Vocabulary.default()
        canonical = catalog.canonical(value)
        if canonical is None:
            raise QueryError(f"unknown drug {value!r} for --param drug", hint="a drug name, h2n:drug-... or an IRI")
        iri = str(catalog.iri(canonical))
    if iri is None:
        if "IRI" in description:
            raise QueryError(f"--param {key} needs an IRI, got {value!r}", hint=description)
        return value
    if not iri.startswith(("http://", "https://", "urn:")):
        raise QueryError(f"--param {key}: {value!r} is not an IRI", hint="http(s)://..., urn:..., or a CURIE")
    return iri


@app.command("import-fhir")
def import_fhir(
    bundle: Annotated[list[Path], typer.Argument(help="A FHIR R4 Bundle (JSON) or NDJSON of resources; or FHIR Shorthand (.fsh files or a folder of them), one record per Patient instance.")],
    report: Annotated[bool, typer.Option("--report/--no-report", help="Print {record, report} (default), or the record alone, ready for `recommend` (missing facts and conflicts then go to stderr).")] = True,
    patient: Annotated[str | None, typer.Option("--patient", help="FSH input: only this Patient instance.")] = None,
) -> None:
    """Map a FHIR R4 / mCODE bundle (or FSH instances) to a patient record (JSON) and report what was mapped.

    Several patients (FSH input) print one JSON object per line (JSON Lines), which `recommend`
    and `batch` read as a cohort.
    """
    from reasoner.errors import InputError
    from reasoner.ingest.fhir import bundle_to_record
    from reasoner.ingest.fhir.fsh import fsh_patient_bundles

    try:
        fsh = [p for path in bundle for p in (sorted(path.glob("*.fsh")) if path.is_dir() else [path])
               if p.suffix.lower() == ".fsh"]
        if fsh:
            bundles = fsh_patient_bundles(fsh)
            if patient is not None:
                if patient not in bundles:
                    raise InputError(f"no Patient instance {patient!r} in the FSH input",
                                     hint=f"one of: {', '.join(sorted(bundles)[:10])}")
                bundles = {patient: bundles[patient]}
            sources: list[Any] = list(bundles.values())
        else:
            if len(bundle) != 1:
                raise InputError("give one bundle file (or FSH files)", where=" ".join(map(str, bundle)))
            from reasoner.ingest.limits import read_limited

            if not bundle[0].exists():
                raise InputError("file not found", where=str(bundle[0]))
            sources = [read_limited(bundle[0])]  # the same size limit as every reader
        payloads: list[Any] = []
        for data in sources:
            imported = bundle_to_record(data)
            if report:
                payloads.append({"record": imported.record, "report": imported.report.to_dict()})
                continue
            # the record alone, as `recommend` reads it; what could not be mapped goes to stderr
            payloads.append(imported.record)
            who = f"{imported.record.get('id', '?')}: " if len(sources) > 1 else ""
            for m in imported.report.missing:
                err.print(f"import-fhir: {who}{m.field} not in the bundle and not derivable: needs {m.needs}",
                          highlight=False, markup=False)
            for c in imported.report.conflicts:
                err.print(f"import-fhir: {who}conflict: {c.text}", highlight=False, markup=False)
        if len(payloads) == 1:
            _write(json_dumps(payloads[0], indent=2, default=str))
        else:
            for payload in payloads:
                out.print(json.dumps(payload, ensure_ascii=False, default=str), highlight=False, markup=False,
                          soft_wrap=True)
    except Exception as exc:  # noqa: BLE001
        _fail(exc)


@app.command("serve-hooks")
def serve_hooks(
    host: Annotated[str, typer.Option("--host", help="Address to bind (default: this machine only).")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port.")] = 8911,
    public_url: Annotated[str | None, typer.Option("--public-url", help="Base URL the EHR reaches this service at (for report links and JWT audience).")] = None,
    jwks: Annotated[Path | None, typer.Option("--jwks", help="JWK Set (JSON) of the trusted CDS clients: every call then needs a signed JWT (401 otherwise).")] = None,
    issuer: Annotated[list[str] | None, typer.Option("--issuer", help="A trusted JWT issuer (iss); repeatable.")] = None,
    fhir_server: Annotated[list[str] | None, typer.Option("--fhir-server", help="A FHIR server base URL the service may call when prefetch is missing; repeatable (default: any).")] = None,
) -> None:
    """A CDS Hooks 2.0 service (patient-view): cards with the options, what to test and a report link."""
    try:
        from reasoner.hooks import serve

        keys = json.loads(jwks.read_text(encoding="utf-8")) if jwks else None
        if keys is None and host not in ("127.0.0.1", "localhost", "::1"):
            err.print(Text(f"warning: serving on {host} without --jwks: any caller can send patient data "
                           "and read reports; require signed JWTs and put TLS in front"), highlight=False)
        _kb()  # load the knowledge base before the first call
        serve(host=host, port=port, public_url=public_url, jwks=keys, issuers=set(issuer or []),
              fhir_servers=tuple(fhir_server) if fhir_server else None)
    except Exception as exc:  # noqa: BLE001
        _fail(exc)


@kb_app.command("info")
def kb_info(format: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table") -> None:
    """Version, sources and counts of the knowledge base."""
    from reasoner.cli.render import render_kb_info

    try:
        kb = _kb()
        info = {"version": kb.release, "counts": kb.counts(),
                "sources": sorted(set(kb.sources.values())),
                "source_identifiers": {kb.sources.get(iri, iri): ids
                                       for iri, ids in sorted(kb.source_identifiers.items())}}
        if format == "json":
            out.print(json.dumps(info, indent=2, ensure_ascii=False), highlight=False, markup=False)
        else:
            render_kb_info(out, info)
    except Exception as exc:  # noqa: BLE001
        _fail(exc)


def main(argv: list[str] | None = None) -> None:
    """The whole command tree (:func:`reasoner.cli.main` comes here for anything but a plain
    ``recommend``)."""
    try:
        app(args=argv, prog_name="her2neg")
    except SystemExit as exc:
        if exc.code not in (0, None):
            raise
        sys.exit(0)
    except BrokenPipeError:  # output piped into `head` and friends: stop quietly
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(0)


from reasoner.cli.batch import register; register(app)  # noqa: E402, E702, I001
