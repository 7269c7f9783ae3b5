"""JSON patient record <-> RDF patient graph, in the vocabulary of ``ontology/core.ttl``.

Every node has a deterministic IRI (no blank nodes): the patient is :func:`patient_iri`, its
sub-nodes are ``<patient>/receptors``, ``<patient>/metastatic``, ``<patient>/early``,
``<patient>/locoregional-recurrence`` and ``<patient>/therapy/<i>``. Coded values become the
enumeration individuals of ``core.ttl``, drugs become ``h2n:drug-…`` individuals, ``x_`` keys are
kept as ``h2n:extensionJson`` strings.

Lists that the graph holds as sets (drugs, sites, conditions, medications, progression basis)
come back sorted and without repeats; everything else comes back exactly as written, so
``graph_to_records(record_to_graph(r)) == [r]`` for every normalised record ``r``.
"""

from __future__ import annotations

import functools
import json
import math
from decimal import Decimal
from typing import Any

from rdflib import RDF, BNode, Graph, Literal, URIRef
from rdflib.namespace import XSD

from reasoner.errors import InputError
from reasoner.graph.mapping import FIELDS_BY_GROUP, GROUPS, Field, node_iri, patient_iri
from reasoner.graph.vocab import H2N, enum_table

__all__ = ["record_to_graph", "graph_to_records", "add_record", "decimal_lexical", "INFERRED_PROPERTIES", "RdfRecord"]


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

_SET_KINDS = ("enum_list", "drug_list", "string_list")


def _catalog(catalog):
    if catalog is not None:
        return catalog
    from reasoner.terminology import Vocabulary

    return Vocabulary.default()


def decimal_lexical(value: int | float | Decimal) -> str:
    """The canonical ``xsd:decimal`` lexical form: ``90.0``, ``5.5``, ``0.0001`` (never an exponent)."""
    d = (
        value
        if isinstance(value, Decimal)
        else Decimal(repr(value))
        if isinstance(value, float)
        else Decimal(value)
    )
    text = format(d.normalize() if d != d.to_integral_value() else d.to_integral_value(), "f")
    if "." not in text:
        text += ".0"
    return text


def _bad(path: str, what: str) -> InputError:
    return InputError(f"{what}; validate the record before building its graph", where=path)


# rdflib namespace attributes build a new URIRef on every access: look the hot ones up once
_XSD_DATE, _XSD_BOOLEAN, _XSD_INTEGER, _XSD_DECIMAL = XSD.date, XSD.boolean, XSD.integer, XSD.decimal
_THERAPY_INDEX = H2N.therapyIndex


@functools.lru_cache(maxsize=65536)
def _typed(lexical: str, datatype: URIRef | None) -> Literal:
    """Literals are immutable and their values repeat across patients (ages, percentages,
    dates): build each one once."""
    return Literal(lexical, datatype=datatype)


def _literal(f: Field, value: Any, path: str) -> Literal:
    if f.kind in ("string", "string_list"):
        if not isinstance(value, str):
            raise _bad(path, "expected a string")
        return _typed(value, None)  # codes and short texts repeat across patients too
    if f.kind == "date":
        if not isinstance(value, str):
            raise _bad(path, "expected a date")
        return _typed(value, _XSD_DATE)
    if f.kind == "boolean":
        if not isinstance(value, bool):
            raise _bad(path, "expected true or false")
        return _typed("true" if value else "false", _XSD_BOOLEAN)
    if f.kind == "scalar" and isinstance(value, str):  # a code; a number falls through to xsd:decimal
        return Literal(value)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _bad(path, "expected a number")
    if f.kind == "integer":
        if value != int(value):
            raise _bad(path, "expected a whole number")
        return _typed(str(int(value)), _XSD_INTEGER)
    return _typed(decimal_lexical(value), _XSD_DECIMAL)


def _add_fields(g: Graph, node: URIRef, group: str, obj: dict, catalog, index: int | None) -> None:
    fields = FIELDS_BY_GROUP[group]
    for key, value in obj.items():
        if key.startswith("x_"):
            ext_key = f"{group}.{key}" if group in ("biomarkers", "labs") else key
            text = json.dumps([ext_key, value], ensure_ascii=False, sort_keys=True, separators=(",", ":"))
            g.add((node, H2N.extensionJson, Literal(text)))
            continue
        f = fields.get(key)
        path = f.path(index) if f else key
        if f is None:
            raise _bad(path, f"unknown key {key!r}")
        values = value if f.kind in _SET_KINDS else [value]
        if not isinstance(values, list):
            raise _bad(path, "expected a list")
        for v in values:
            if f.kind in ("enum", "enum_list"):
                iri = enum_table(f.enum).by_code.get(v) if isinstance(v, str) else None
                if iri is None:
                    raise _bad(path, f"unknown code {v!r}")
                g.add((node, f.prop, iri))
            elif f.kind == "drug_list":
                name = catalog.canonical(v) if isinstance(v, str) else None
                if name is None:
                    raise _bad(path, f"unknown drug {v!r}")
                g.add((node, f.prop, catalog.iri(name)))
            else:
                g.add((node, f.prop, _literal(f, v, path)))


def add_record(g: Graph, record: dict, *, catalog=None) -> URIRef:
    """Add the triples of one record to ``g``; returns the patient IRI."""
    if not isinstance(record, dict) or not isinstance(record.get("id"), str):
        raise _bad("id", "a record must be an object with a string id")
    catalog = _catalog(catalog)
    patient = patient_iri(record["id"])
    g.add((patient, RDF.type, H2N.Patient))
    top = {k: v for k, v in record.items() if k in FIELDS_BY_GROUP[""] or k.startswith("x_")}
    _add_fields(g, patient, "", top, catalog, None)
    for key, value in record.items():
        if key in top:
            continue
        group = GROUPS.get(key)
        if group is None or not key:
            raise _bad(key, f"unknown key {key!r}")
        if group.is_list:
            if not isinstance(value, list):
                raise _bad(key, "expected a list")
            for i, item in enumerate(value):
                if not isinstance(item, dict):
                    raise _bad(f"{key}[{i}]", "expected an object")
                node = node_iri(patient, key, i)
                g.add((patient, group.link, node))
                g.add((node, RDF.type, group.cls))
                g.add((node, group.index_prop, _typed(str(i), _XSD_INTEGER)))
                _add_fields(g, node, key, item, catalog, i)
            continue
        if not isinstance(value, dict):
            raise _bad(key, "expected an object")
        if group.link is None:  # biomarkers, labs: fields sit on the patient node
            _add_fields(g, patient, key, value, catalog, None)
        else:
            node = node_iri(patient, key)
            g.add((patient, group.link, node))
            g.add((node, RDF.type, group.cls))
            _add_fields(g, node, key, value, catalog, None)
    return patient


def record_to_graph(record: dict, *, catalog=None) -> Graph:
    """The patient graph of one (structurally valid) record.

    Raises :class:`reasoner.errors.InputError` naming the field when the record is not
    structurally valid; run :func:`reasoner.validation.validate_record` first.
    """
    g = Graph()
    g.bind("h2n", H2N)
    add_record(g, record, catalog=catalog)
    return g


# graph -> record ---------------------------------------------------------------------------------


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
