"""Quality control of the knowledge base: the SPARQL files of ``queries/qc/``, ROBOT-report style.

Every QC query returns ``?entity ?property ?value ?message``; zero rows means the check passes.
The queries run through the backend factory (:func:`reasoner.query.backends.get_backend`), like the
knowledge base and validation: ``"oxigraph"`` (embedded), ``"rdflib"`` (in memory) or the URL of a
SPARQL 1.1 endpoint that holds the knowledge base in the graph ``urn:her2neg:kb``. The same file must
give the same rows on every backend.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import rdflib

from reasoner.errors import BackendError, QueryError
from reasoner.query.backends import QueryBackend, get_backend
from reasoner.resources import module_paths, queries_dir

__all__ = ["QCRow", "Engine", "qc_queries", "qc_backend", "run_qc", "oxigraph_store"]

#: A backend spec of :func:`reasoner.query.backends.get_backend`: "oxigraph", "rdflib" or an endpoint URL.
Engine = str
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


@dataclass(frozen=True, order=True)
class QCRow:
    """One problem found by a QC query. Terms are written as IRIs or N-Triples-style literals."""

    entity: str
    property: str
    value: str
    message: str

    def __str__(self) -> str:
        value = f" {self.value}" if self.value else ""
        return f"{self.entity} {self.property}{value}: {self.message}"


def qc_queries() -> list[Path]:
    """Every QC query file (``queries/qc/*.rq``), sorted by name."""
    return sorted((queries_dir() / "qc").glob("*.rq"))


def _literal(lexical: str, language: str | None, datatype: str | None) -> str:
    escaped = lexical.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    if language:
        return f'"{escaped}"@{language.lower()}'
    if datatype and datatype != _XSD_STRING:
        return f'"{escaped}"^^<{datatype}>'
    return f'"{escaped}"'


def _from_rdflib(term: rdflib.term.Node | None) -> str:
    if term is None:
        return ""
    if isinstance(term, rdflib.Literal):
        return _literal(str(term), term.language, str(term.datatype) if term.datatype else None)
    if isinstance(term, rdflib.BNode):
        return "_:" + str(term)
    return str(term)


@lru_cache(maxsize=4)
def _backend(spec: str, paths: tuple[Path, ...], stamps: tuple[int, ...]) -> QueryBackend:
    return get_backend(spec, paths)


def qc_backend(engine: Engine = "oxigraph", *, allow_missing: bool = False) -> QueryBackend:
    """The backend QC runs on, with the merged knowledge base loaded (embedded stores are cached
    per set of module files and their modification times; an endpoint must already hold it)."""
    paths = tuple(module_paths(allow_missing=allow_missing))
    if engine.startswith(("http://", "https://")):
        return get_backend(engine)
    return _backend(engine, paths, tuple(p.stat().st_mtime_ns for p in paths))


def oxigraph_store(*, allow_missing: bool = False):
    """The merged knowledge base in an in-memory pyoxigraph store (default graph), cached."""
    return qc_backend("oxigraph", allow_missing=allow_missing).store


def run_qc(query: Path | str, *, engine: Engine = "rdflib", allow_missing: bool = False) -> list[QCRow]:
    """Run one QC query (a path, or the stem of a file in ``queries/qc/``) over the merged KB, on the
    backend ``engine`` ("oxigraph", "rdflib" or a SPARQL endpoint URL; a bad one is a UsageError)."""
    path = Path(query) if isinstance(query, Path) or str(query).endswith(".rq") else None
    if path is None:
        path = queries_dir() / "qc" / f"{query}.rq"
    if not path.is_file():
        known = ", ".join(p.stem for p in qc_queries())
        raise QueryError(f"no QC query {query!s}", where=str(path), hint=f"known: {known}")
    text = path.read_text(encoding="utf-8")
    backend = qc_backend(engine, allow_missing=allow_missing)
    try:
        result = backend.select_terms(text)
    except BackendError as exc:
        raise QueryError(f"{backend.name} cannot run the query: {exc}", where=str(path)) from exc
    rows = [
        QCRow(
            _from_rdflib(row.get("entity")),
            _from_rdflib(row.get("property")),
            _from_rdflib(row.get("value")),
            str(row["message"]) if row.get("message") is not None else "",
        )
        for row in result
    ]
    return sorted(set(rows))
