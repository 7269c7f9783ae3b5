"""RDF patient graph -> JSON patient record: reading Turtle and JSON-LD input (the reverse of
:func:`reasoner.graph.record_to_graph`), with the same field table (:mod:`reasoner.graph.mapping`).

Lists that the graph holds as sets (drugs, sites, conditions, medications, progression basis)
come back sorted and without repeats; everything else comes back exactly as written, so
``graph_to_records(record_to_graph(r)) == [r]`` for every normalised record ``r``. It is part of
``ingest`` (an input format) and imports only the record schema of ``graph`` (``graph.mapping``,
``graph.vocab``), never the graph builder.
"""

from __future__ import annotations

import functools
import json
import math
from decimal import Decimal
from typing import Any

from rdflib import RDF, BNode, Graph, Literal, URIRef
from rdflib.namespace import XSD

from reasoner.graph.mapping import FIELDS_BY_GROUP, GROUPS, Field
from reasoner.graph.vocab import H2N, enum_table

__all__ = ["graph_to_records", "INFERRED_PROPERTIES", "RdfRecord", "SET_KINDS"]

#: Record fields the graph holds as sets (sorted, without repeats, when read back).
SET_KINDS = ("enum_list", "drug_list", "string_list")
_SET_KINDS = SET_KINDS


def _catalog(catalog):
    if catalog is not None:
        return catalog
    from reasoner.terminology import Vocabulary

    return Vocabulary.default()


class RdfRecord(dict):
    """A record read from an RDF patient graph (Turtle, JSON-LD): a plain dict that remembers it,
    so that findings about it can be said in the ontology's vocabulary (``h2n:erPercent``) rather
    than in JSON keys (see :func:`reasoner.graph.mapping.rdf_path`)."""

    __slots__ = ()


INFERRED_PROPERTIES = frozenset(
    H2N[n]
    for n in (
        "hasState",
        "unknownFacet",
        "exposedTo",
        "exposedToIncludingCurrent",
        "exposedInMetastaticSetting",
        "progressedOn",
        "ongoingDrug",
        "currentRegimenDrug",
        "metastaticLine",
        "priorMetastaticLines",
        "priorMetastaticChemoLines",
        "priorMetastaticEndocrineLines",
        "priorLinesCountingEarlyRelapse",
        "effectiveSetting",
        "stoppedForToxicity",
        "blockedDrug",
        "hasOption",
        "hasExcludedOption",
    )
)
"""Facts the reasoner writes back onto a patient; ignored when reading a graph as a record."""


def _number(lit: Literal) -> Any:
    """int when whole, float otherwise; the lexical text when the literal is not a finite number."""
    value = lit.toPython() if isinstance(lit, Literal) else None
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return str(lit)
    if isinstance(value, Decimal) and not value.is_finite():
        return str(lit)
    if isinstance(value, float) and not math.isfinite(value):
        return str(lit)
    if abs(value) >= 10**15:  # far out of every range: keep it as a float for the checks to reject
        return float(value)
    return int(value) if value == int(value) else float(value)


def _value(f: Field, term, catalog) -> Any:
    if f.kind in ("enum", "enum_list"):
        if isinstance(term, URIRef):
            return enum_table(f.enum).by_iri.get(term, str(term))
        return str(term)
    if f.kind == "drug_list":
        if isinstance(term, URIRef):
            return catalog.label(term) or str(term)
        return str(term)
    if not isinstance(term, Literal):
        return str(term)
    if f.kind in ("integer", "decimal"):
        return _number(term)
    if f.kind == "scalar":
        return _number(term) if term.datatype in (XSD.decimal, XSD.integer, XSD.double) else str(term)
    if f.kind == "boolean":
        return (
            term.toPython()
            if term.datatype == XSD.boolean and isinstance(term.toPython(), bool)
            else str(term)
        )
    return str(term)


def _read_fields(g: Graph, node, group: str, out: dict, catalog) -> None:
    for key, f in FIELDS_BY_GROUP[group].items():
        terms = list(g.objects(node, f.prop))
        if not terms:
            continue
        values = [_value(f, t, catalog) for t in terms]
        if f.kind in _SET_KINDS:
            out[key] = sorted(set(map(str, values)))
        else:
            out[key] = values[0] if len(values) == 1 else sorted(values, key=str)


def _read_extensions(g: Graph, node, out: dict, nested: dict[str, dict]) -> None:
    for lit in sorted(g.objects(node, H2N.extensionJson), key=str):
        try:
            key, value = json.loads(str(lit))
        except (ValueError, TypeError):
            out.setdefault("x_extension", []).append(str(lit))
            continue
        if not isinstance(key, str):
            out.setdefault("x_extension", []).append(str(lit))
        elif "." in key and key.split(".", 1)[0] in nested:
            head, tail = key.split(".", 1)
            nested[head][tail] = value
        else:
            out[key] = value


def _known_props(group: str) -> set[URIRef]:
    props = {f.prop for f in FIELDS_BY_GROUP[group].values()}
    props |= {RDF.type, H2N.extensionJson}
    if group == "":
        for gk in ("biomarkers", "labs"):
            props |= {f.prop for f in FIELDS_BY_GROUP[gk].values()}
        props |= {g.link for g in GROUPS.values() if g.link is not None}
        props |= INFERRED_PROPERTIES | _declared_patient_properties()
    if GROUPS[group].index_prop is not None:
        props.add(GROUPS[group].index_prop)
    return props


@functools.lru_cache(maxsize=1)
def _declared_patient_properties() -> frozenset:
    """Every property ``core.ttl`` declares on ``h2n:Patient``: on a patient node, one that is not a
    record field is a fact the reasoner writes (states, lines, exposures, options ...), ignored
    when reading a graph as a record and recomputed -- so the Turtle that ``recommend --format
    turtle`` prints reads back, whatever inferred properties are added later."""
    from rdflib.namespace import RDFS

    from reasoner.terminology import core_graph

    return frozenset(p for p in core_graph().subjects(RDFS.domain, H2N.Patient) if isinstance(p, URIRef))


def _unknown_props(g: Graph, node, group: str, out: dict) -> None:
    known = _known_props(group)
    for p in sorted(set(g.predicates(node)) - known):
        if str(p).startswith(str(H2N)):
            out[f"h2n:{str(p)[len(str(H2N)) :]}"] = sorted(str(o) for o in g.objects(node, p))


def _sub_record(g: Graph, node, group: str, catalog) -> dict:
    sub: dict = {}
    _read_fields(g, node, group, sub, catalog)
    _read_extensions(g, node, sub, {})
    _unknown_props(g, node, group, sub)
    return sub


def _index(g: Graph, node, prop=H2N.therapyIndex) -> tuple:
    idx = g.value(node, prop)
    try:
        return (0, int(idx.toPython()), str(node)) if idx is not None else (1, 0, str(node))
    except (TypeError, ValueError):
        return (1, 0, str(node))


def graph_to_records(graph: Graph, *, catalog=None) -> list[dict]:
    """Every ``h2n:Patient`` in ``graph`` back to a JSON record (sorted by patient IRI)."""
    catalog = _catalog(catalog)
    records = []
    patients = sorted(
        set(graph.subjects(RDF.type, H2N.Patient)), key=lambda n: (isinstance(n, BNode), str(n))
    )
    for p in patients:
        rec: dict = {}
        _read_fields(graph, p, "", rec, catalog)
        nested: dict[str, dict] = {"biomarkers": {}, "labs": {}}
        _read_fields(graph, p, "biomarkers", nested["biomarkers"], catalog)
        _read_fields(graph, p, "labs", nested["labs"], catalog)
        _read_extensions(graph, p, rec, nested)
        _unknown_props(graph, p, "", rec)
        for key, group in GROUPS.items():
            if group.link is None:
                continue
            nodes = list(graph.objects(p, group.link))
            if not nodes:
                continue
            if group.is_list:
                rec[key] = [
                    _sub_record(graph, n, key, catalog)
                    for n in sorted(nodes, key=lambda n, p=group.index_prop: _index(graph, n, p))
                ]
            elif len(nodes) == 1:
                rec[key] = _sub_record(graph, nodes[0], key, catalog)
            else:
                rec[key] = [_sub_record(graph, n, key, catalog) for n in sorted(nodes, key=str)]
        for key in ("biomarkers", "labs"):
            if nested[key]:
                rec[key] = nested[key]
        records.append(RdfRecord(_order(rec)))
    return records


_ORDER = [f.key for f in FIELDS_BY_GROUP[""].values()] + [k for k in GROUPS if k]


def _order(rec: dict) -> dict:
    """Keys in the order of the spec (id, as_of, sex, …), then anything else sorted."""
    pos = {k: i for i, k in enumerate(_ORDER)}
    return dict(sorted(rec.items(), key=lambda kv: (pos.get(kv[0], len(pos)), kv[0])))
