"""JSON patient record <-> RDF patient graph, in the vocabulary of ``ontology/core.ttl``.

Every node has a deterministic IRI (no blank nodes): the patient is :func:`patient_iri`, its
sub-nodes are ``<patient>/receptors``, ``<patient>/metastatic``, ``<patient>/early``,
``<patient>/locoregional-recurrence`` and ``<patient>/therapy/<i>``. Coded values become the
enumeration individuals of ``core.ttl``, drugs become ``h2n:drug-…`` individuals, ``x_`` keys are
kept as ``h2n:extensionJson`` strings.

Lists that the graph holds as sets (drugs, sites, conditions, medications, progression basis)
come back sorted and without repeats; everything else comes back exactly as written, so
``graph_to_records(record_to_graph(r)) == [r]`` for every normalised record ``r``. The reverse,
reading a graph as records, is an input format and lives in :mod:`reasoner.ingest.rdf` (re-exported).
"""

from __future__ import annotations

import functools
import json
import math
from decimal import Decimal
from typing import Any

from rdflib import RDF, Graph, Literal, URIRef
from rdflib.namespace import XSD

from reasoner.errors import InputError
from reasoner.graph.mapping import FIELDS_BY_GROUP, GROUPS, Field, node_iri, patient_iri
from reasoner.graph.triples import PatientTriples
from reasoner.graph.vocab import H2N, enum_table
from reasoner.ingest.rdf import (  # the reverse, re-exported
    _SET_KINDS,
    INFERRED_PROPERTIES,
    RdfRecord,
    graph_to_records,
)

__all__ = ["record_to_graph", "graph_to_records", "add_record", "decimal_lexical", "INFERRED_PROPERTIES", "RdfRecord"]


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


_EXTENSION_JSON = H2N.extensionJson
_RDF_TYPE, _PATIENT = RDF.type, H2N.Patient
_CACHE_LIMIT = 65536
_LITERALS: dict[tuple, Literal] = {}
"""(field kind, Python type, value) -> the Literal :func:`_literal` makes of it: the same term,
looked up without going through the kind checks. Only values whose Literal depends on nothing
else go in (a float zero is left out: ``0.0`` and ``-0.0`` are equal keys but differ in text)."""


def _object(f: Field, v: Any, index: int | None, catalog) -> Any:
    """The object term of one value of field ``f`` (``index``: of its list item, for error paths)."""
    kind = f.kind
    if kind == "enum" or kind == "enum_list":
        iri = enum_table(f.enum).by_code.get(v) if isinstance(v, str) else None
        if iri is None:
            raise _bad(f.path(index), f"unknown code {v!r}")
        return iri
    if kind == "drug_list":
        name = catalog.canonical(v) if isinstance(v, str) else None
        if name is None:
            raise _bad(f.path(index), f"unknown drug {v!r}")
        return catalog.iri(name)
    t = type(v)
    key = (kind, t, v)
    if t is str or t is int or t is bool or (t is float and v != 0):
        hit = _LITERALS.get(key)
        if hit is not None:
            return hit
        term = _literal(f, v, f.path(index))
        if len(_LITERALS) >= _CACHE_LIMIT:
            _LITERALS.clear()
        _LITERALS[key] = term
        return term
    return _literal(f, v, f.path(index))


_TABLES: dict[str, dict[str, tuple]] = {}


def _table(group: str) -> dict[str, tuple]:
    """Per field key of a group: (field, property, kind, is a list, codes -> IRIs for an enum)."""
    table = _TABLES.get(group)
    if table is None:
        table = {
            key: (f, f.prop, f.kind, f.kind in _SET_KINDS,
                  enum_table(f.enum).by_code if f.kind in ("enum", "enum_list") else None)
            for key, f in FIELDS_BY_GROUP[group].items()
        }
        _TABLES[group] = table
    return table


def _add_fields(add, node: URIRef, group: str, obj: dict, catalog, index: int | None) -> bool:
    """Add the triples of one object's fields; False when a list field gave a term twice (the
    only way one record can give a triple twice: each other field, extension key, node and link
    is on its own node and property)."""
    distinct = True
    table = _TABLES.get(group) or _table(group)
    literals = _LITERALS
    for key, value in obj.items():
        spec = table.get(key)
        if spec is None:
            if key.startswith("x_"):
                ext_key = f"{group}.{key}" if group in ("biomarkers", "labs") else key
                text = json.dumps([ext_key, value], ensure_ascii=False, sort_keys=True, separators=(",", ":"))
                add((node, _EXTENSION_JSON, Literal(text)))
                continue
            raise _bad(key, f"unknown key {key!r}")
        f, prop, kind, is_list, by_code = spec
        if not is_list:
            t = type(value)
            if by_code is not None and t is str:  # the usual cases inline, the rest in _object
                term = by_code.get(value)
            elif by_code is None and (t is str or t is int or t is bool or (t is float and value != 0)):
                term = literals.get((kind, t, value))
            else:
                term = None
            add((node, prop, term if term is not None else _object(f, value, index, catalog)))
            continue
        if not isinstance(value, list):
            raise _bad(f.path(index), "expected a list")
        terms = []
        for v in value:
            t = type(v)
            if by_code is not None and t is str:
                term = by_code.get(v)
            elif by_code is None and (t is str or t is int or t is bool or (t is float and v != 0)):
                term = literals.get((kind, t, v))
            else:
                term = None
            term = term if term is not None else _object(f, v, index, catalog)
            add((node, prop, term))
            terms.append(term)
        if len(terms) > 1 and len(set(terms)) < len(terms):
            distinct = False
    return distinct


def add_record(g: Graph, record: dict, *, catalog=None) -> URIRef:
    """Add the triples of one record to ``g``; returns the patient IRI."""
    if not isinstance(record, dict) or not isinstance(record.get("id"), str):
        raise _bad("id", "a record must be an object with a string id")
    catalog = _catalog(catalog)
    out: list[tuple] = []
    distinct = False
    try:  # collected in a list, then added in order (also the ones before a field that fails)
        patient, distinct = _record_triples(out.append, record, catalog)
        return patient
    finally:
        if type(g) is PatientTriples:
            if distinct:
                g.update_distinct(out)
            else:
                g.update(out)
        else:
            for t in out:
                g.add(t)


def _record_triples(add, record: dict, catalog) -> tuple[URIRef, bool]:
    """The triples of a record, given to ``add``; the patient IRI and whether they are distinct."""
    patient = patient_iri(record["id"])
    add((patient, _RDF_TYPE, _PATIENT))
    top = {k: v for k, v in record.items() if k in FIELDS_BY_GROUP[""] or k.startswith("x_")}
    distinct = _add_fields(add, patient, "", top, catalog, None)
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
                add((patient, group.link, node))
                add((node, _RDF_TYPE, group.cls))
                add((node, group.index_prop, _typed(str(i), _XSD_INTEGER)))
                distinct = _add_fields(add, node, key, item, catalog, i) and distinct
            continue
        if not isinstance(value, dict):
            raise _bad(key, "expected an object")
        if group.link is None:  # biomarkers, labs: fields sit on the patient node
            distinct = _add_fields(add, patient, key, value, catalog, None) and distinct
        else:
            node = node_iri(patient, key)
            add((patient, group.link, node))
            add((node, _RDF_TYPE, group.cls))
            distinct = _add_fields(add, node, key, value, catalog, None) and distinct
    return patient, distinct


def record_to_graph(record: dict, *, catalog=None) -> Graph:
    """The patient graph of one (structurally valid) record.

    Raises :class:`reasoner.errors.InputError` naming the field when the record is not
    structurally valid; run :func:`reasoner.validation.validate_record` first.
    """
    g = Graph()
    g.bind("h2n", H2N)
    add_record(g, record, catalog=catalog)
    return g
