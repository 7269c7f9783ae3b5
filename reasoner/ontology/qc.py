"""Quality control of the knowledge base: the SPARQL files of ``queries/qc/``, ROBOT-report style.

Every QC query returns ``?entity ?property ?value ?message``; zero rows means the check passes.
The same file runs on rdflib and on pyoxigraph and must give the same rows on both.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

import rdflib

from reasoner.errors import QueryError
from reasoner.ontology.merged import load_merged_graph
from reasoner.resources import module_paths, queries_dir

__all__ = ["QCRow", "Engine", "qc_queries", "run_qc", "oxigraph_store"]

Engine = Literal["rdflib", "oxigraph"]
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


def _from_oxigraph(term) -> str:
    import pyoxigraph as ox

    if term is None:
        return ""
    if isinstance(term, ox.Literal):
        return _literal(term.value, term.language, term.datatype.value if term.datatype else None)
    if isinstance(term, ox.BlankNode):
        return "_:" + term.value
    return term.value


@lru_cache(maxsize=2)
def _store(paths: tuple[Path, ...], stamps: tuple[int, ...]):
    import pyoxigraph as ox

    store = ox.Store()
    for path in paths:
        store.load(path=str(path), format=ox.RdfFormat.TURTLE)
    return store


def oxigraph_store(*, allow_missing: bool = False):
    """The merged knowledge base in an in-memory pyoxigraph store (default graph), cached."""
    paths = tuple(module_paths(allow_missing=allow_missing))
    return _store(paths, tuple(p.stat().st_mtime_ns for p in paths))


def run_qc(query: Path | str, *, engine: Engine = "rdflib", allow_missing: bool = False) -> list[QCRow]:
    """Run one QC query (a path, or the stem of a file in ``queries/qc/``) over the merged KB."""
    path = Path(query) if isinstance(query, Path) or str(query).endswith(".rq") else None
    if path is None:
        path = queries_dir() / "qc" / f"{query}.rq"
    if not path.is_file():
        known = ", ".join(p.stem for p in qc_queries())
        raise QueryError(f"no QC query {query!s}", where=str(path), hint=f"known: {known}")
    text = path.read_text(encoding="utf-8")
    rows: list[QCRow] = []
    if engine == "rdflib":
        graph = load_merged_graph(allow_missing=allow_missing)
        try:
            result = graph.query(text)
        except Exception as exc:  # pyparsing and rdflib raise many types
            raise QueryError(f"rdflib cannot run the query: {exc}", where=str(path)) from exc
        for row in result:
            entity, prop, value, message = (row[i] for i in range(4))
            rows.append(
                QCRow(
                    _from_rdflib(entity),
                    _from_rdflib(prop),
                    _from_rdflib(value),
                    str(message) if message is not None else "",
                )
            )
    elif engine == "oxigraph":
        store = oxigraph_store(allow_missing=allow_missing)
        try:
            result = store.query(text)
        except (SyntaxError, OSError) as exc:
            raise QueryError(f"pyoxigraph cannot run the query: {exc}", where=str(path)) from exc
        for solution in result:
            entity, prop, value, message = (solution[i] for i in range(4))
            rows.append(
                QCRow(
                    _from_oxigraph(entity),
                    _from_oxigraph(prop),
                    _from_oxigraph(value),
                    message.value if message is not None else "",
                )
            )
    else:
        raise QueryError(f"unknown engine {engine!r}", hint="use 'rdflib' or 'oxigraph'")
    return sorted(set(rows))
