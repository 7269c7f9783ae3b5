"""What every query backend shares (embedded stores and SPARQL endpoints alike): the row form, typed
literals as Python values, and the check of query bindings. Its own module so that
:mod:`reasoner.query.backends` (the factory) and :mod:`reasoner.query.endpoint` import it and not each other.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from rdflib.term import BNode, Literal, Node, URIRef

__all__ = ["Row", "TermRow", "XSD", "check_bindings", "term_from_json", "term_from_ox"]

_VARNAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,99}")
_BAD_IRI = re.compile(r'[\x00-\x20<>"{}|^`\\\x7f-\x9f]')


def check_bindings(bindings: Mapping[str, Any] | None) -> None:
    """Refuse (QueryError) a binding whose name is not a plain SPARQL variable name, or whose IRI
    value holds a character an IRI cannot hold: neither may change the query's text or meaning."""
    from reasoner.errors import QueryError

    for name, value in (bindings or {}).items():
        if not isinstance(name, str) or not _VARNAME.fullmatch(name):
            raise QueryError(f"{name!r} is not a variable name", hint="letters, digits and _; not starting with a digit")
        text = str(value) if isinstance(value, URIRef) or (
            isinstance(value, str) and value.startswith(("http://", "https://", "urn:"))) else None
        if text is not None and _BAD_IRI.search(text):
            raise QueryError(f"{text[:200]!r} is not a valid IRI (it holds a space, a control character or one "
                             "of < > \" {{ }} | ^ ` \\)", where=f"?{name}")

Row = dict[str, Any]
XSD = "http://www.w3.org/2001/XMLSchema#"
_NUMERIC = {XSD + t for t in ("integer", "int", "long", "short", "nonNegativeInteger", "positiveInteger")}
_DECIMAL = {XSD + t for t in ("decimal", "double", "float")}


def _py(value: str, datatype: str | None, language: str | None) -> Any:
    if language or datatype is None:
        return value
    if datatype in _NUMERIC:
        return int(value)
    if datatype in _DECIMAL:
        number = float(Decimal(value))
        return int(number) if number.is_integer() and datatype == XSD + "decimal" else number
    if datatype == XSD + "boolean":
        return value in ("true", "1")
    if datatype == XSD + "date":
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return value
    return value


#: A row of RDF terms (variable -> rdflib term, None when unbound): what a term-preserving select
#: returns (QC reports, which must tell an IRI from a string and keep datatypes and languages).
TermRow = dict[str, Node | None]


def _literal(value: str, datatype: str | None, language: str | None) -> Literal:
    if language:
        return Literal(value, lang=language)
    if datatype and datatype != XSD + "string":
        return Literal(value, datatype=URIRef(datatype))
    return Literal(value)


def term_from_ox(term: Any) -> Node | None:
    """A pyoxigraph term as the equal rdflib term (the lexical form of a literal is kept)."""
    if term is None:
        return None
    kind = type(term).__name__
    if kind == "NamedNode":
        return URIRef(term.value)
    if kind == "BlankNode":
        return BNode(term.value)
    if kind == "Literal":
        return _literal(term.value, term.datatype.value if term.datatype else None, term.language)
    raise TypeError(f"not an RDF term: {term!r}")


def term_from_json(cell: Mapping[str, Any] | None) -> Node | None:
    """A term of SPARQL 1.1 Query Results JSON (``{"type": ..., "value": ...}``) as an rdflib term."""
    if cell is None:
        return None
    kind = cell.get("type")
    if kind == "uri":
        return URIRef(cell["value"])
    if kind == "bnode":
        return BNode(cell["value"])
    if kind in ("literal", "typed-literal"):
        return _literal(cell["value"], cell.get("datatype"), cell.get("xml:lang"))
    raise ValueError(f"not a SPARQL JSON term: {cell!r}")
