"""The merged knowledge base as one rdflib graph, and its RDF/XML form for owlready2."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import rdflib
from rdflib.namespace import OWL, RDF

from reasoner.errors import KnowledgeBaseError
from reasoner.resources import TOP_ONTOLOGY_IRI, module_paths

__all__ = ["load_merged_graph", "reasoning_graph", "to_rdfxml"]


def _parse(paths: tuple[Path, ...]) -> rdflib.Graph:
    graph = rdflib.Graph()
    for path in paths:
        try:
            graph.parse(path, format="turtle")
        except Exception as exc:  # rdflib raises several unrelated types for syntax errors
            raise KnowledgeBaseError(f"cannot parse: {exc}", where=str(path)) from exc
    return graph


@lru_cache(maxsize=4)
def _cached(paths: tuple[Path, ...], stamps: tuple[float, ...]) -> rdflib.Graph:
    return _parse(paths)


def load_merged_graph(*, allow_missing: bool = False) -> rdflib.Graph:
    """Every module of the knowledge base (the top ontology and its imports) in one graph.

    Cached per set of files and their modification times; treat the graph as read-only (copy it
    with ``rdflib.Graph() + graph`` before adding triples). ``allow_missing`` is passed to
    :func:`reasoner.resources.module_paths`.
    """
    paths = tuple(module_paths(allow_missing=allow_missing))
    return _cached(paths, tuple(p.stat().st_mtime_ns for p in paths))


def reasoning_graph(graph: rdflib.Graph) -> rdflib.Graph:
    """A copy of the merged graph fit for a DL reasoner: one ontology header, no imports.

    The modules are already merged, so their ``owl:Ontology`` headers and ``owl:imports`` are
    dropped; otherwise owlready2 would try to fetch the imported IRIs from the web.
    """
    top = rdflib.URIRef(TOP_ONTOLOGY_IRI)
    out = rdflib.Graph()
    headers = {s for s in graph.subjects(RDF.type, OWL.Ontology) if s != top}
    for s, p, o in graph:
        if p == OWL.imports or s in headers:
            continue
        out.add((s, p, o))
    out.add((top, RDF.type, OWL.Ontology))
    return out


def to_rdfxml(graph: rdflib.Graph) -> bytes:
    """Serialise a graph as RDF/XML in memory (owlready2 reads RDF/XML, not Turtle)."""
    return graph.serialize(format="xml", encoding="utf-8")
