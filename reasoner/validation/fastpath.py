"""The fast path: the shapes compiled into SPARQL SELECTs, evaluated on pyoxigraph.

pySHACL costs hundreds of milliseconds per call (see ``benchmarks/README.md``); the same shapes
as a few queries over an in-memory Oxigraph store take about a millisecond per patient, and far less
per patient over a cohort. The compiler understands exactly the SHACL forms the shapes file uses
(its header lists them) and raises :class:`KnowledgeBaseError` on anything else, so a new kind of
constraint cannot be silently skipped. pySHACL stays the reference: a differential test holds
both to the same results on the whole bad-input corpus and on generated valid records.

Negation is written with ``MINUS`` (linear on Oxigraph), never ``FILTER NOT EXISTS``. Targets
are ``?this a <class>`` (patient graphs carry no subclass axioms).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from functools import cache

import pyoxigraph as ox
from rdflib import RDF, BNode, Graph, Literal, URIRef
from rdflib.collection import Collection

from reasoner.errors import KnowledgeBaseError
from reasoner.graph.triples import PatientTriples
from reasoner.graph.vocab import SH, SHAPES_NS
from reasoner.validation.reference import RawResult
from reasoner.validation.shapes import shape_infos, shapes_graph

__all__ = ["compiled_queries", "run_fast", "to_store"]

_ANNOTATIONS = {
    RDF.type,
    SH.targetClass,
    SH.name,
    SH.description,
    SH.message,
    SH.severity,
    SHAPES_NS.findingProperty,
}
_COMPARE = {SH.minInclusive: ">=", SH.maxInclusive: "<=", SH.minExclusive: ">", SH.maxExclusive: "<"}
_PAIR = {SH.lessThanOrEquals: "<=", SH.lessThan: "<"}


def _term(t) -> str:
    if isinstance(t, URIRef):
        return f"<{t}>"
    if isinstance(t, Literal):
        return t.n3()
    raise KnowledgeBaseError(f"unsupported term in shapes: {t!r}")


def _path(g: Graph, p) -> str:
    if isinstance(p, URIRef):
        return f"<{p}>"
    if isinstance(p, BNode):
        inv = g.value(p, SH.inversePath)
        if inv is not None:
            return f"^{_path(g, inv)}"
        if g.value(p, RDF.first) is not None:
            return "/".join(_path(g, x) for x in Collection(g, p))
    raise KnowledgeBaseError(f"unsupported sh:path {p!r} (IRI, inverse or sequence only)")


def _list(g: Graph, node) -> str:
    return ", ".join(_term(x) for x in Collection(g, node))


class _Vars:
    def __init__(self):
        self.n = 0

    def __call__(self) -> str:
        self.n += 1
        return f"?_v{self.n}"


def _inner_conforms(g: Graph, node, fresh: _Vars) -> str:
    """Patterns that hold when ``?this`` conforms to the inner (blank) shape of an ``sh:not``."""
    positive: list[str] = []
    negative: list[str] = []
    for prop in g.objects(node, SH.property):
        path = _path(g, g.value(prop, SH.path))
        for p, o in g.predicate_objects(prop):
            v = fresh()
            if p in (SH.path,):
                continue
            if p == SH.hasValue:
                positive.append(f"?this {path} {_term(o)} .")
            elif p == SH.minCount:
                if int(o) != 1:
                    raise KnowledgeBaseError("inside sh:not only sh:minCount 1 is supported")
                positive.append(f"?this {path} {v} .")
            elif p == SH.maxCount:
                if int(o) != 0:
                    raise KnowledgeBaseError("inside sh:not only sh:maxCount 0 is supported")
                negative.append(f"MINUS {{ ?this {path} {v} }}")
            elif p in _COMPARE:
                negative.append(
                    f"MINUS {{ ?this {path} {v} FILTER(!COALESCE({v} {_COMPARE[p]} {_term(o)}, false)) }}"
                )
            elif p == SH["in"]:
                negative.append(f"MINUS {{ ?this {path} {v} FILTER({v} NOT IN ({_list(g, o)})) }}")
            else:
                raise KnowledgeBaseError(f"unsupported constraint inside sh:not: {p}")
    extra = set(g.predicates(node)) - {SH.property}
    if extra:
        raise KnowledgeBaseError(f"unsupported inner shape keys: {sorted(extra)}")
    return " ".join(positive + negative)


def _branches(g: Graph, shape: URIRef, target: URIRef, prefix_lines: dict[str, str]) -> list[str]:
    head = f"?this a <{target}> . BIND(<{shape}> AS ?shape)"
    out: list[str] = []
    fresh = _Vars()
    path_node = g.value(shape, SH.path)
    keys = set(g.predicates(shape)) - _ANNOTATIONS
    if path_node is not None:
        if not isinstance(path_node, URIRef):
            raise KnowledgeBaseError(f"{shape}: a top-level property shape needs a plain IRI sh:path")
        p = f"<{path_node}>"
        bind = f"BIND({p} AS ?path)"
        for c, o in g.predicate_objects(shape):
            if c in _ANNOTATIONS or c == SH.path:
                continue
            if c == SH.minCount:
                if int(o) != 1:
                    raise KnowledgeBaseError(f"{shape}: only sh:minCount 1 is supported")
                out.append(f"{head} {bind} MINUS {{ ?this {p} ?_any }}")
            elif c == SH.maxCount:
                out.append(
                    f"{{ SELECT ?this (COUNT(DISTINCT ?_m) AS ?_cnt) WHERE {{ ?this a <{target}> ; {p} ?_m }} "
                    f"GROUP BY ?this }} FILTER(?_cnt > {int(o)}) BIND(<{shape}> AS ?shape) {bind}"
                )
            elif c in _COMPARE:
                out.append(
                    f"{head} {bind} ?this {p} ?value . FILTER(!COALESCE(?value {_COMPARE[c]} {_term(o)}, false))"
                )
            elif c in _PAIR:
                out.append(
                    f"{head} {bind} ?this {p} ?value ; <{o}> ?_other . "
                    f"FILTER(!COALESCE(?value {_PAIR[c]} ?_other, false))"
                )
            elif c == SH.datatype:
                out.append(
                    f"{head} {bind} ?this {p} ?value . FILTER(!isLiteral(?value) || datatype(?value) != {_term(o)})"
                )
            elif c == SH["in"]:
                out.append(f"{head} {bind} ?this {p} ?value . FILTER(?value NOT IN ({_list(g, o)}))")
            elif c == SH.hasValue:
                out.append(f"{head} {bind} MINUS {{ ?this {p} {_term(o)} }}")
            else:
                raise KnowledgeBaseError(f"{shape}: constraint {c} is not supported by the fast path")
        return out
    for c in keys:
        if c == SH["not"]:
            out.append(f"{head} {_inner_conforms(g, g.value(shape, SH['not']), fresh)}")
        elif c == SH.sparql:
            for constraint in g.objects(shape, SH.sparql):
                select = str(g.value(constraint, SH.select)).replace("$this", "?this")
                prefixes = g.value(constraint, SH.prefixes)
                for decl in g.objects(prefixes, SH.declare):
                    prefix_lines[str(g.value(decl, SH.prefix))] = str(g.value(decl, SH.namespace))
                out.append(f"?this a <{target}> . {{ {select} }} BIND(<{shape}> AS ?shape)")
        else:
            raise KnowledgeBaseError(f"{shape}: {c} is not supported by the fast path")
    return out


_GROUP = 8
"""Branches per query: Oxigraph's planning time grows faster than linearly with the number of
UNION branches (65 branches in one query: 26 ms; the same in groups of 8: under 4 ms)."""


@cache
def compiled_queries() -> tuple[str, ...]:
    """The whole shapes file as a few SPARQL SELECTs of ``?shape ?this ?path`` (run them all)."""
    g = shapes_graph()
    prefixes: dict[str, str] = {}
    branches: list[str] = []
    for shape in sorted(shape_infos()):
        targets = list(g.objects(shape, SH.targetClass))
        if len(targets) != 1:
            raise KnowledgeBaseError(f"{shape}: exactly one sh:targetClass is supported")
        branches.extend(_branches(g, shape, targets[0], prefixes))
    head = "".join(f"PREFIX {k}: <{v}>\n" for k, v in sorted(prefixes.items()))
    queries = []
    for i in range(0, len(branches), _GROUP):
        body = "\n  UNION\n".join(f"  {{ {b} }}" for b in branches[i : i + _GROUP])
        queries.append(f"{head}SELECT DISTINCT ?shape ?this ?path WHERE {{\n{body}\n}}")
    return tuple(queries)


@functools.lru_cache(maxsize=131072)
def _ox(t):
    """An rdflib term as a pyoxigraph term (cached: predicates, codes and drugs repeat)."""
    if isinstance(t, URIRef):
        return ox.NamedNode(str(t))
    if isinstance(t, Literal):
        if t.language:
            return ox.Literal(str(t), language=t.language)
        if t.datatype is not None:
            return ox.Literal(str(t), datatype=ox.NamedNode(str(t.datatype)))
        return ox.Literal(str(t))
    return ox.BlankNode(str(t))


def to_store(graphs: Iterable[Graph]) -> ox.Store:
    """A fresh in-memory Oxigraph store holding the triples of ``graphs`` (default graph)."""
    store = ox.Store()
    quads = [ox.Quad(_ox(s), _ox(p), _ox(o)) for g in graphs for s, p, o in g]
    store.extend(quads)
    return store


def run_fast(graphs: Graph | Iterable[Graph]) -> set[RawResult]:
    """The compiled shapes over one or many patient graphs: (shape, focus, path) triples."""
    if isinstance(graphs, Graph | PatientTriples):
        graphs = [graphs]
    store = to_store(graphs)
    out: set[RawResult] = set()
    for query in compiled_queries():
        for row in store.query(query):
            path = row["path"]
            out.add(
                (
                    URIRef(row["shape"].value),
                    URIRef(row["this"].value),
                    URIRef(path.value) if path is not None else None,
                )
            )
    return out
