"""Triple stores behind one narrow interface.

Every backend answers the same plain SPARQL 1.1 SELECT queries over the knowledge base plus
patient data, and returns rows in one normalised form (a dict from variable name to a Python
value: ``str`` for IRIs and strings, ``int``/``float``/``bool``/``datetime.date`` for typed
literals). A shared compliance test runs every query on every backend and requires equal rows.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from typing import Any, Protocol, runtime_checkable

import pyoxigraph as ox
import rdflib
from rdflib.term import BNode, Literal, URIRef

from reasoner.errors import BackendError
from reasoner.query.terms import (  # noqa: F401 - Row, TermRow, XSD, check_bindings: re-exported
    XSD,
    Row,
    TermRow,
    _py,
    check_bindings,
    term_from_ox,
)
from reasoner.vocab import KB_GRAPH

__all__ = ["QueryBackend", "OxigraphBackend", "RdflibBackend", "Row", "TermRow", "get_backend", "to_ox_term",
           "check_bindings"]

@runtime_checkable
class QueryBackend(Protocol):
    """What the reasoner needs from a triple store."""

    name: str

    def add_patient_triples(self, graph_name: str, triples: Iterable[tuple]) -> None:
        """Load patient triples (rdflib terms) into a named graph."""

    def drop_graph(self, graph_name: str) -> None:
        """Remove a patient graph."""

    def select(self, query: str, *, graphs: list[str] | None = None,
               bindings: Mapping[str, Any] | None = None) -> list[Row]:
        """Run a SELECT over the knowledge base plus the given patient graphs."""

    def select_terms(self, query: str, *, graphs: list[str] | None = None) -> list[TermRow]:
        """The same SELECT, with its values as rdflib terms (IRI, blank node, literal with its datatype
        or language), not Python values: for reports that must show terms as they are (QC)."""


def to_ox_term(term: Any) -> Any:
    """An rdflib term (or plain Python value) as a pyoxigraph term."""
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    if isinstance(term, str) and term.startswith(("http://", "https://", "urn:")):
        return ox.NamedNode(term)
    if isinstance(term, bool):
        return ox.Literal("true" if term else "false", datatype=ox.NamedNode(XSD + "boolean"))
    if isinstance(term, int):
        return ox.Literal(str(term), datatype=ox.NamedNode(XSD + "integer"))
    return ox.Literal(str(term))


def _from_ox(term: Any) -> Any:
    if isinstance(term, ox.NamedNode):
        return term.value
    if isinstance(term, ox.BlankNode):
        return "_:" + term.value
    if isinstance(term, ox.Literal):
        return _py(term.value, term.datatype.value if term.datatype else None, term.language)
    return None if term is None else str(term)


def _from_rdflib(term: Any) -> Any:
    if term is None:
        return None
    if isinstance(term, URIRef):
        return str(term)
    if isinstance(term, BNode):
        return "_:" + str(term)
    if isinstance(term, Literal):
        return _py(str(term), str(term.datatype) if term.datatype else None, term.language)
    return str(term)


class OxigraphBackend:
    """The fast embedded default: an in-memory pyoxigraph store, knowledge base in the default graph."""

    name = "oxigraph"

    def __init__(self, kb_files: Iterable[Any] = (), *, store: ox.Store | None = None):
        self.store = store if store is not None else ox.Store()
        self._terms: dict[Any, Any] = {}
        self._removed = 0
        self._in_memory = store is None
        for path in kb_files:
            self.store.bulk_load(path=str(path), format=ox.RdfFormat.TURTLE)

    #: rdflib terms already converted (patients share most of their terms: classes, drugs, states)
    _TERM_CACHE_SIZE = 100_000

    def add_patient_triples(self, graph_name: str, triples: Iterable[tuple]) -> None:
        graph = ox.NamedNode(graph_name)
        cache = self._terms
        if len(cache) > self._TERM_CACHE_SIZE:
            cache.clear()

        def term(t: Any) -> Any:
            if not isinstance(t, (URIRef, Literal, BNode)):  # plain values: 1 == True == 1.0 as keys
                return to_ox_term(t)
            try:
                return cache[t]
            except KeyError:
                converted = cache[t] = to_ox_term(t)
                return converted

        self.store.extend(ox.Quad(term(s), term(p), term(o), graph) for s, p, o in triples)

    #: Quads removed (patient graphs dropped) before the store is rebuilt: pyoxigraph's in-memory
    #: store keeps what is removed in its indexes, so a long run of load/query/drop rounds (the
    #: SPARQL evaluator over a cohort, 250 patients a round) would make every query slower
    #: (measured: 2 -> 9 ms per patient over 35 rounds; flat with the rebuild). Only a store this
    #: backend made itself (in memory) is rebuilt.
    REBUILD_AFTER_REMOVED = 50_000

    def drop_graph(self, graph_name: str) -> None:
        graph = ox.NamedNode(graph_name)
        if not self.store.contains_named_graph(graph):
            return
        self._removed += sum(1 for _ in self.store.quads_for_pattern(None, None, None, graph))
        self.store.remove_graph(graph)
        if self._in_memory and self._removed > self.REBUILD_AFTER_REMOVED:
            self._rebuild()

    def _rebuild(self) -> None:
        """The same quads in a fresh store (without the history of what was removed)."""
        fresh = ox.Store()
        fresh.extend(self.store.quads_for_pattern(None, None, None, None))
        for graph in self.store.named_graphs():  # keep named graphs that are declared but empty
            fresh.add_graph(graph)
        self.store, self._removed = fresh, 0

    def select(self, query: str, *, graphs: list[str] | None = None,
               bindings: Mapping[str, Any] | None = None) -> list[Row]:
        check_bindings(bindings)
        default: list[Any] = [ox.DefaultGraph()] + [ox.NamedNode(g) for g in graphs or []]
        substitutions = {ox.Variable(k): to_ox_term(v) for k, v in (bindings or {}).items()}
        try:
            solutions = self.store.query(query, default_graph=default, substitutions=substitutions or None)
        except (SyntaxError, OSError, ValueError, RuntimeError) as exc:
            raise BackendError(f"oxigraph could not run the query: {exc}") from exc
        names = [v.value for v in solutions.variables]
        # Rows repeat their terms (the same patient, rule, status on many rows): each distinct term
        # is converted once per query. A solution iterates over its values in variable order.
        converted: dict[Any, Any] = {}

        def value(term: Any) -> Any:
            try:
                return converted[term]
            except KeyError:
                result = converted[term] = _from_ox(term)
                return result

        return [dict(zip(names, map(value, s), strict=True)) for s in solutions]

    def select_terms(self, query: str, *, graphs: list[str] | None = None) -> list[TermRow]:
        default: list[Any] = [ox.DefaultGraph()] + [ox.NamedNode(g) for g in graphs or []]
        try:
            solutions = self.store.query(query, default_graph=default)
        except (SyntaxError, OSError, ValueError, RuntimeError) as exc:
            raise BackendError(f"oxigraph could not run the query: {exc}") from exc
        names = [v.value for v in solutions.variables]
        return [dict(zip(names, map(term_from_ox, s), strict=True)) for s in solutions]


class RdflibBackend:
    """The smallest setup: an rdflib Dataset in memory (slow; for tests and small data).

    Queries see the union of the knowledge base and every loaded patient graph.
    """

    name = "rdflib"
    KB_GRAPH = KB_GRAPH

    def __init__(self, kb_files: Iterable[Any] = ()):
        self.dataset = rdflib.Dataset(default_union=True)
        kb = self.dataset.graph(URIRef(self.KB_GRAPH))
        for path in kb_files:
            kb.parse(str(path), format="turtle")

    def add_patient_triples(self, graph_name: str, triples: Iterable[tuple]) -> None:
        graph = self.dataset.graph(URIRef(graph_name))
        for triple in triples:
            graph.add(triple)

    def drop_graph(self, graph_name: str) -> None:
        self.dataset.remove_graph(URIRef(graph_name))

    def select(self, query: str, *, graphs: list[str] | None = None,
               bindings: Mapping[str, Any] | None = None) -> list[Row]:
        check_bindings(bindings)
        init = {k: (URIRef(v) if isinstance(v, str) and v.startswith("http") else Literal(v))
                for k, v in (bindings or {}).items()}
        # rdflib 7 warns on every triple pattern of a default-union Dataset about its own internal
        # use of Dataset.default_context; nothing the caller can act on.
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Dataset.default_context is deprecated")
            try:
                result = self.dataset.query(query, initBindings=init)
                names = [str(v) for v in result.vars]
                return [{n: _from_rdflib(row[n]) for n in names} for row in result]
            except Exception as exc:  # rdflib raises many kinds of parse/evaluation errors
                raise BackendError(f"rdflib could not run the query: {exc}") from exc

    def select_terms(self, query: str, *, graphs: list[str] | None = None) -> list[TermRow]:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Dataset.default_context is deprecated")
            try:
                result = self.dataset.query(query)
                names = [str(v) for v in result.vars]
                return [{n: row[n] for n in names} for row in result]
            except Exception as exc:  # rdflib raises many kinds of parse/evaluation errors
                raise BackendError(f"rdflib could not run the query: {exc}") from exc


def get_backend(spec: str, kb_files: Iterable[Any] = ()) -> QueryBackend:
    """The store named by ``spec``, with the knowledge-base files loaded (oaklib-style selector).

    ``"oxigraph"`` (embedded pyoxigraph, the default everywhere), ``"rdflib"`` (in memory, slow), or
    the ``http(s)://`` URL of a SPARQL 1.1 query endpoint that already holds the knowledge base in the
    graph ``urn:her2neg:kb`` (``kb_files`` are not sent to it).
    """
    if spec == "oxigraph":
        return OxigraphBackend(kb_files)
    if spec == "rdflib":
        return RdflibBackend(kb_files)
    if spec.startswith(("http://", "https://")):
        from reasoner.query.endpoint import SparqlEndpointBackend

        return SparqlEndpointBackend(spec)
    from reasoner.errors import UsageError

    raise UsageError(f"unknown backend {spec!r}", hint="use oxigraph, rdflib or the URL of a SPARQL endpoint")
