"""Validation of patient records and patient graphs, before any reasoning.

Layer 1 (:mod:`reasoner.validation.structure`) checks the JSON value; layer 2 evaluates the SHACL
shapes of ``ontology/shapes/patient-shapes.ttl`` on the patient graph, by default with the fast
path (:mod:`reasoner.validation.fastpath`, the shapes compiled into Python checks when they load)
and on request with pySHACL (the reference). Findings point at the JSON field the user wrote.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any, Literal

from rdflib import Graph, URIRef

from reasoner.errors import KnowledgeBaseError
from reasoner.graph.convert import add_record
from reasoner.graph.mapping import json_path, parse_node_iri, patient_iri
from reasoner.graph.triples import PatientTriples
from reasoner.graph.vocab import H2N
from reasoner.ingest.rdf import RdfRecord, graph_to_records
from reasoner.validation.findings import Finding, Severity, ValidationOutcome
from reasoner.validation.history import check_history
from reasoner.validation.structure import check_structure, safe_value

__all__ = [
    "Finding",
    "Severity",
    "ValidationOutcome",
    "render_findings",
    "validate_graph",
    "validate_record",
    "validate_records",
]

Engine = Literal["fast", "pyshacl"]
_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")
_PLACEHOLDER_ID = "\x00no-id"


def _catalog(catalog):
    if catalog is not None:
        return catalog
    from reasoner.terminology import Vocabulary

    return Vocabulary.default()


def lookup(record: dict | None, path: str) -> Any:
    """The value at a JSON path (``therapies[1].end``) in a record; None when absent."""
    cur: Any = record
    for key, index in _STEP.findall(path):
        if key:
            cur = cur.get(key) if isinstance(cur, dict) else None
        else:
            i = int(index)
            cur = cur[i] if isinstance(cur, list) and i < len(cur) else None
        if cur is None:
            return None
    return cur


def _words(value: Any) -> str:
    if value is None:
        return "missing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _related(a: str, b: str) -> bool:
    """True when one JSON path is the other or lies inside it."""
    if a == b or not a or not b:
        return a == b
    return a.startswith(b + ".") or a.startswith(b + "[") or b.startswith(a + ".") or b.startswith(a + "[")


def _shape_findings(raw: Iterable, records: dict[str, dict]) -> dict[str, list[Finding]]:
    """Raw (shape, focus, path) results -> findings per patient id."""
    from reasoner.validation.shapes import shape_infos

    infos = shape_infos()
    out: dict[str, dict[tuple, Finding]] = {}
    for shape, focus, path_prop in raw:
        info = infos.get(URIRef(shape))
        parsed = parse_node_iri(focus)
        if info is None or parsed is None:
            continue
        pid = parsed[0]
        prop = info.finding_property or path_prop or info.path
        path = json_path(focus, prop)
        value = lookup(records.get(pid), path)
        message = info.message.replace("{value}", _words(value))
        f = Finding(info.severity, path, safe_value(value), message, info.name)
        out.setdefault(pid, {})[(path, info.name)] = f
    return {pid: list(d.values()) for pid, d in out.items()}


def _evaluate(graphs: dict[str, PatientTriples], engine: Engine) -> set:
    if not graphs:
        return set()
    if engine == "pyshacl":
        from reasoner.validation.reference import run_pyshacl

        merged = Graph()
        for g in graphs.values():
            merged += g
        return run_pyshacl(merged)
    if engine != "fast":
        raise ValueError(f"unknown validation engine {engine!r}: use 'fast' or 'pyshacl'")
    from reasoner.validation.fastpath import run_fast

    return run_fast(graphs.values())


class _Prepared:
    __slots__ = ("structure", "record", "graph", "gid", "broken")

    def __init__(self, structure, record, graph, gid, broken):
        self.structure, self.record, self.graph, self.gid, self.broken = structure, record, graph, gid, broken


def _prepare(raw: Any, catalog, today: date) -> _Prepared:
    from reasoner.ingest.limits import value_problems

    problems = value_problems(raw)
    if problems:  # fail closed before any other check: these values cannot be carried safely
        return _Prepared([Finding(Severity.VIOLATION, path, None, f"{path or 'the record'} {message}", "input-limits")
                          for path, message in problems], None, None, None, True)
    structure, record = check_structure(raw, catalog=catalog, today=today)
    if record is not None and record.get("biomarker_tests"):
        structure = [*structure, *check_history(record)]
    broken = any(f.severity is Severity.VIOLATION for f in structure)
    if record is None:
        return _Prepared(structure, None, None, None, True)
    build = dict(record)
    missing_id = not isinstance(build.get("id"), str)
    if missing_id:
        build["id"] = _PLACEHOLDER_ID
    g = PatientTriples()  # a plain ordered triple set: rdflib's indexed store costs more than it gives here
    try:
        add_record(g, build, catalog=catalog)
    except KnowledgeBaseError:
        raise
    except Exception as exc:  # a normalised record always converts; this is a guard, reported as such
        structure = [
            *structure,
            Finding(
                Severity.VIOLATION,
                "",
                None,
                f"internal error: the record could not be converted ({exc}).",
                "internal",
            ),
        ]
        return _Prepared(structure, None, None, None, True)
    if missing_id:
        g.remove((patient_iri(_PLACEHOLDER_ID), H2N.patientId, None))
    return _Prepared(structure, record, g, build["id"], broken)


def _finish(p: _Prepared, shape_findings: list[Finding]) -> ValidationOutcome:
    blocked = [f.path for f in p.structure if f.severity is Severity.VIOLATION]
    kept = [f for f in shape_findings if not any(_related(f.path, b) for b in blocked)]
    findings = tuple(sorted([*p.structure, *kept], key=Finding.sort_key))
    if p.broken:
        return ValidationOutcome(findings, None, None)
    return ValidationOutcome(findings, p.record, p.graph)


def validate_records(
    raws: Sequence[Any],
    *,
    catalog=None,
    today: date | None = None,
    engine: Engine = "fast",
    chunk_size: int = 2000,
) -> list[ValidationOutcome]:
    """Validate many records (one batched evaluation per chunk); outcomes in input order.

    Records sharing an id are evaluated in separate batches so their graphs never merge.
    """
    catalog = _catalog(catalog)
    today = today or date.today()
    prepared = [_prepare(raw, catalog, today) for raw in raws]
    outcomes: list[ValidationOutcome | None] = [None] * len(prepared)
    pending = [i for i, p in enumerate(prepared) if p.graph is not None]
    while pending:
        batch: dict[str, int] = {}
        rest: list[int] = []
        for i in pending:
            gid = prepared[i].gid
            if gid in batch or len(batch) >= chunk_size:
                rest.append(i)
            else:
                batch[gid] = i
        raw = _evaluate({gid: prepared[i].graph for gid, i in batch.items()}, engine)
        per = _shape_findings(raw, {gid: prepared[i].record for gid, i in batch.items()})
        for gid, i in batch.items():
            outcomes[i] = _finish(prepared[i], per.get(gid, []))
        pending = rest
    for i, p in enumerate(prepared):
        if outcomes[i] is None:
            outcomes[i] = _finish(p, [])
    for i, raw in enumerate(raws):
        if isinstance(raw, RdfRecord):  # read from Turtle / JSON-LD: findings speak its vocabulary
            outcomes[i] = _speak_rdf(outcomes[i])  # type: ignore[arg-type]
    return outcomes  # type: ignore[return-value]


def _speak_rdf(outcome: ValidationOutcome) -> ValidationOutcome:
    """The findings of a record read from an RDF graph, with paths and messages in the ontology's
    vocabulary (``h2n:hasReceptorResult/h2n:erPercent``, not ``receptors.er_percent``)."""
    from dataclasses import replace

    from reasoner.graph.mapping import speak_rdf

    findings = []
    for f in outcome.findings:
        path, message = speak_rdf(f.path, f.message)
        findings.append(replace(f, path=path, message=message))
    return replace(outcome, findings=tuple(findings))


def validate_record(
    raw: Any, *, catalog=None, today: date | None = None, engine: Engine = "fast"
) -> ValidationOutcome:
    """Validate one patient record (any JSON value); never raises for bad input.

    ``today`` is the default for a missing ``as_of``; ``engine`` is ``"fast"`` (default) or
    ``"pyshacl"`` (the reference implementation of the same shapes).
    """
    return validate_records([raw], catalog=catalog, today=today, engine=engine)[0]


def validate_graph(
    graph: Graph, *, catalog=None, today: date | None = None, engine: Engine = "fast"
) -> list[ValidationOutcome]:
    """Validate every ``h2n:Patient`` of an RDF patient graph: graph -> records -> the same checks."""
    catalog = _catalog(catalog)
    return validate_records(
        graph_to_records(graph, catalog=catalog), catalog=catalog, today=today, engine=engine
    )


def render_findings(findings: Iterable[Finding]) -> str:
    """Plain-text report, one finding per line: ``violation  receptors.pr_percent: message``."""
    lines = []
    for f in findings:
        where = f.path or "(record)"
        lines.append(f"{f.severity.value:<9}  {where}: {f.message}")
    return "\n".join(lines) if lines else "no findings: the record is valid"
