"""The fast path: the shapes compiled, when they load, into plain Python checks over the triples.

pySHACL costs hundreds of milliseconds per call (see ``benchmarks/README.md``); the same shapes
as Python closures over a dictionary index of the patient graph cost a few microseconds per
patient. Nothing is hand-written per shape: :func:`compiled_shapes` reads
``ontology/shapes/patient-shapes.ttl`` and interprets, generically,

- the SHACL Core constraints the file uses: ``sh:minCount``, ``sh:maxCount``, ``sh:hasValue``,
  ``sh:in``, ``sh:datatype``, ``sh:minInclusive``/``sh:maxInclusive``/``sh:minExclusive``/
  ``sh:maxExclusive``, ``sh:lessThan``/``sh:lessThanOrEquals``, ``sh:not`` over a node shape of
  property shapes, with paths that are IRIs, inverse paths or sequences of those;
- SHACL-SPARQL constraints (``sh:sparql``): each ``sh:select`` is parsed by rdflib's SPARQL parser
  and its algebra (basic graph patterns, ``BIND``, ``FILTER`` with comparisons, ``IN``, ``&&``,
  ``||``, ``!``, ``+``/``-`` on numbers and dates, ``STR``, ``REPLACE``, ``xsd:integer``) is
  evaluated with ``$this`` bound to each focus node, with SPARQL's error semantics (an error in a
  filter is false; ``&&``/``||`` are three-valued).

Anything else (another constraint component, path kind, algebra node, operator or function) raises
:class:`KnowledgeBaseError` when the shapes are compiled: a construct the compiler does not know is
an error, never a skipped check. pySHACL stays the reference: the tests hold both to identical
findings on the bad-input corpus, the shape case files, generated records and a synthetic cohort.

Targets are the nodes typed with the ``sh:targetClass`` (patient graphs carry no subclass axioms).
"""

from __future__ import annotations

import hashlib
import json
import operator
import re
from collections.abc import Callable, Iterable
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any

from rdflib import RDF, BNode, Graph, Literal, URIRef, Variable
from rdflib.collection import Collection
from rdflib.namespace import XSD

from reasoner.errors import KnowledgeBaseError
from reasoner.graph.triples import PatientTriples
from reasoner.graph.vocab import SH, SHAPES_NS
from reasoner.validation.reference import RawResult
from reasoner.validation.shapes import shape_infos, shapes_graph, shapes_path

__all__ = ["CompiledShapes", "compiled_shapes", "run_fast"]

_ANNOTATIONS = frozenset(
    {
        RDF.type,
        SH.targetClass,
        SH.name,
        SH.description,
        SH.message,
        SH.severity,
        SHAPES_NS.findingProperty,
    }
)


def _fail(what: str, shape: Any = None) -> KnowledgeBaseError:
    where = str(shapes_path())
    return KnowledgeBaseError(f"{shape}: {what}" if shape is not None else what, where=where)


# -- the patient triples, indexed -------------------------------------------------------------


_EMPTY: dict = {}


class _Index:
    """The triples of one patient graph, indexed for the checks: per subject, its objects by
    predicate; the nodes of each class; predicate+object -> subjects, built per predicate when a
    check first asks (inverse paths, patterns with a bound object).

    Predicates and classes are keyed by their IRI as a plain ``str``: rdflib's IRIs hash like
    ``str`` (in C) but compare in Python, plain strings compare in C."""

    __slots__ = ("out", "types", "inv", "pterms", "triples")

    def __init__(self, triples: Iterable[tuple]):
        out: dict[Any, dict[str, list]] = {}
        pterms: dict[str, Any] = {}
        kept = list(triples)
        for s, p, o in kept:
            key = str(p)
            if key not in pterms:
                pterms[key] = p
            props = out.get(s)
            if props is None:
                out[s] = {key: [o]}
                continue
            values = props.get(key)
            if values is None:
                props[key] = [o]
            else:
                values.append(o)
        self.out, self.pterms, self.triples = out, pterms, kept
        self.inv: dict[str, dict] = {}
        types: dict[str, list] = {}
        for s, props in out.items():
            for cls in props.get(_TYPE, ()):
                types.setdefault(str(cls), []).append(s)
        self.types = types

    def objects(self, s, p: str) -> list:
        return self.out.get(s, _EMPTY).get(p, ())  # type: ignore[return-value]

    def subjects(self, p: str, o) -> list:
        by_object = self.inv.get(p)
        if by_object is None:
            by_object = {}
            for s, props in self.out.items():
                for v in props.get(p, ()):
                    by_object.setdefault(v, []).append(s)
            self.inv[p] = by_object
        return by_object.get(o, ())  # type: ignore[return-value]


_TYPE = str(RDF.type)


# -- values and comparisons (SPARQL operator semantics) ---------------------------------------


class _Error(Exception):
    """A SPARQL expression error (type error, unbound variable): a filter reads it as false."""


_ERROR = _Error()
_NUMERIC = frozenset(
    {
        XSD.integer,
        XSD.decimal,
        XSD.double,
        XSD.float,
        XSD.int,
        XSD.long,
        XSD.short,
        XSD.byte,
        XSD.nonNegativeInteger,
        XSD.positiveInteger,
        XSD.nonPositiveInteger,
        XSD.negativeInteger,
        XSD.unsignedInt,
        XSD.unsignedLong,
        XSD.unsignedShort,
        XSD.unsignedByte,
    }
)
_STRING = frozenset({None, XSD.string})


class _Duration:
    """An ``xsd:dayTimeDuration`` of whole days (the difference of two dates)."""

    __slots__ = ("days",)

    def __init__(self, days: int):
        self.days = days

    def lexical(self) -> str:
        if self.days == 0:
            return "PT0S"
        return f"{'-' if self.days < 0 else ''}P{abs(self.days)}D"

    def __eq__(self, other):
        return isinstance(other, _Duration) and other.days == self.days

    def __hash__(self):
        return hash(("duration", self.days))


_DT_KIND = {
    str(XSD.string): "str",
    str(XSD.date): "date",
    str(XSD.dateTime): "datetime",
    str(XSD.boolean): "bool",
    **{str(d): "num" for d in _NUMERIC},
}


_KINDS: dict[int, tuple] = {}
"""id(literal) -> (literal, its category and value or None for ill-typed): patient literals are
shared objects (``reasoner.graph.convert`` builds each once), and the entry keeps its literal
alive, so the id cannot be reused while it is cached."""


def _kind_value(term) -> tuple[str, Any]:
    """The comparison category and Python value of a term; an ill-typed literal raises."""
    hit = _KINDS.get(id(term))
    if hit is not None and hit[0] is term:
        if hit[1] is None:
            raise _ERROR
        return hit[1]
    if isinstance(term, Literal):
        try:
            kv = _literal_kind_value(term)
        except _Error:
            kv = None
        if len(_KINDS) >= 65536:
            _KINDS.clear()
        _KINDS[id(term)] = (term, kv)
        if kv is None:
            raise _ERROR
        return kv
    return _other_kind_value(term)


def _literal_kind_value(term) -> tuple[str, Any]:
    if term.language is not None:
        return "lang", (str(term), term.language)
    dt = term.datatype
    kind = "str" if dt is None else _DT_KIND.get(str(dt), "other")
    if kind == "str":
        return "str", str(term)
    if kind == "other":
        return "other", (str(term), str(dt))
    value = term.value
    if value is None or term.ill_typed:
        raise _ERROR
    if kind == "num" and (isinstance(value, bool) or not isinstance(value, int | float | Decimal)):
        raise _ERROR
    return kind, value


def _other_kind_value(term) -> tuple[str, Any]:
    if isinstance(term, _Duration):
        return "duration", term.days
    if isinstance(term, URIRef | BNode):
        return "term", term
    if isinstance(term, str | int | float | Decimal | bool):  # computed in an expression
        if isinstance(term, bool):
            return "bool", term
        return ("str", term) if isinstance(term, str) else ("num", term)
    return "term", term


_ORDERED = frozenset({"num", "date", "datetime", "str", "bool", "duration"})


def _compare(a, b) -> int:
    """-1, 0 or 1 as SPARQL's ``<``/``=``/``>`` on two values; incomparable raises :class:`_Error`."""
    ka, va = _kind_value(a)
    kb, vb = _kind_value(b)
    if ka != kb or ka not in _ORDERED:
        raise _ERROR
    if ka == "datetime" and ((va.tzinfo is None) != (vb.tzinfo is None)):
        raise _ERROR
    return (va > vb) - (va < vb)


def _equal(a, b) -> bool:
    """SPARQL ``=``: value equality for comparable literals, term equality otherwise."""
    if isinstance(a, URIRef | BNode) or isinstance(b, URIRef | BNode):
        return a == b and type(a) is type(b)
    ka, va = _kind_value(a)
    kb, vb = _kind_value(b)
    if ka == kb and ka in _ORDERED:
        return va == vb
    if ka == kb and va == vb:
        return True
    raise _ERROR  # two literals of different or unknown types: a type error in SPARQL


_OPS: dict[str, Callable[[int], bool]] = {
    "<": lambda c: c < 0,
    "<=": lambda c: c <= 0,
    ">": lambda c: c > 0,
    ">=": lambda c: c >= 0,
}


def _holds(op: str, a, b) -> bool:
    """Whether ``a op b`` is true; an error (incomparable values) counts as not true."""
    try:
        return _OPS[op](_compare(a, b))
    except _Error:
        return False


# -- SHACL Core --------------------------------------------------------------------------------

_Path = Callable[[_Index, Any], list]


def _compile_path(g: Graph, p, shape) -> _Path:
    if isinstance(p, URIRef):
        key = str(p)
        return lambda idx, node: idx.out.get(node, _EMPTY).get(key, ())
    if isinstance(p, BNode):
        keys = set(g.predicates(p))
        if keys == {SH.inversePath}:
            inner = g.value(p, SH.inversePath)
            if not isinstance(inner, URIRef):
                raise _fail("only an IRI can be inverted in sh:inversePath", shape)
            key = str(inner)
            return lambda idx, node: idx.subjects(key, node)
        if RDF.first in keys:
            steps = [_compile_path(g, x, shape) for x in Collection(g, p)]
            if len(steps) < 2:
                raise _fail("a sequence path needs two steps or more", shape)

            def sequence(idx, node):
                nodes = [node]
                for step in steps:
                    nodes = list(dict.fromkeys(v for n in nodes for v in step(idx, n)))
                return nodes

            return sequence
    raise _fail(f"unsupported sh:path {p!r} (IRI, inverse or sequence only)", shape)


_Check = Callable[[_Index, Any, Any], bool]
"""(index, focus node, value nodes) -> True when the constraint is violated."""


def _list_terms(g: Graph, node, shape) -> frozenset:
    if node is None or (node != RDF.nil and g.value(node, RDF.first) is None):
        raise _fail("sh:in needs an RDF list", shape)
    return frozenset(Collection(g, node))


def _int(o, what: str, shape) -> int:
    if not isinstance(o, Literal) or not isinstance(o.value, int) or isinstance(o.value, bool) or o.value < 0:
        raise _fail(f"{what} needs a non-negative integer", shape)
    return o.value


def _constraint(g: Graph, c, o, shape) -> _Check:
    """One SHACL Core constraint component of a property shape, as a violation test."""
    if c == SH.minCount:
        n = _int(o, "sh:minCount", shape)
        return lambda idx, focus, values: len(set(values)) < n
    if c == SH.maxCount:
        n = _int(o, "sh:maxCount", shape)
        return lambda idx, focus, values: len(set(values)) > n
    if c == SH.hasValue:
        if isinstance(o, URIRef):
            key = str(o)
            return lambda idx, focus, values: not any(type(v) is URIRef and str(v) == key for v in values)
        return lambda idx, focus, values: o not in values
    if c == SH["in"]:
        allowed = _list_terms(g, o, shape)
        iris = frozenset(str(x) for x in allowed if type(x) is URIRef)
        return lambda idx, focus, values: any(
            (str(v) not in iris) if type(v) is URIRef else (v not in allowed) for v in values
        )
    if c == SH.datatype:
        if not isinstance(o, URIRef):
            raise _fail("sh:datatype needs an IRI", shape)

        def wrong_datatype(idx, focus, values):
            for v in values:
                if not isinstance(v, Literal) or v.language is not None:
                    return True
                dt = v.datatype or XSD.string
                if dt != o or getattr(v, "ill_typed", False):
                    return True
            return False

        return wrong_datatype
    compare = {SH.minInclusive: ">=", SH.maxInclusive: "<=", SH.minExclusive: ">", SH.maxExclusive: "<"}.get(
        c
    )
    if compare is not None:
        if not isinstance(o, Literal):
            raise _fail(f"{c} needs a literal", shape)
        bound_kind, bound_value = _kind_value(o)
        test = {">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt}[compare]
        if bound_kind not in _ORDERED or bound_kind == "datetime":
            return lambda idx, focus, values: any(not _holds(compare, v, o) for v in values)

        def out_of_range(idx, focus, values):
            for v in values:  # as _holds(compare, v, o), with the bound's value read once
                try:
                    kind, x = _kind_value(v)
                except _Error:
                    return True
                if kind != bound_kind or not test(x, bound_value):
                    return True
            return False

        return out_of_range
    pair = {SH.lessThan: "<", SH.lessThanOrEquals: "<="}.get(c)
    if pair is not None:
        if not isinstance(o, URIRef):
            raise _fail(f"{c} needs an IRI", shape)
        key = str(o)
        holds = _OPS[pair]

        def not_less(idx, focus, values):  # any pair (v, w) not in order, or not comparable
            others = idx.out.get(focus, _EMPTY).get(key, ())
            for v in values:
                for w in others:
                    try:
                        if not holds(_compare(v, w)):
                            return True
                    except _Error:
                        return True
            return False

        return not_less
    raise _fail(f"constraint {c} is not supported by the compiled shapes", shape)


_EMPTY_FAILS = frozenset({SH.minCount, SH.hasValue})
"""The constraint components that can fail on a focus node with no value on the path (the others
quantify over the values: no value, no violation)."""


def _property_checks(g: Graph, prop, shape, allowed_extra=frozenset()) -> tuple[_Path, list[_Check], bool]:
    """The path and the constraint tests of one property shape, and whether a focus node without
    any value on the path can fail them (else its checks are skipped)."""
    path_node = g.value(prop, SH.path)
    if path_node is None:
        raise _fail("a property shape needs sh:path", shape)
    if len(list(g.objects(prop, SH.path))) != 1:
        raise _fail("a property shape needs exactly one sh:path", shape)
    path = _compile_path(g, path_node, shape)
    checks = []
    empty_fails = False
    for c, o in g.predicate_objects(prop):
        if c == SH.path or c in allowed_extra:
            continue
        checks.append(_constraint(g, c, o, shape))
        empty_fails = empty_fails or c in _EMPTY_FAILS
    if not checks:
        raise _fail("a property shape without constraints", shape)
    return path, checks, empty_fails


def _conforms_to(g: Graph, node, shape) -> Callable[[_Index, Any], bool]:
    """Whether a focus node conforms to an inner node shape (the argument of ``sh:not``)."""
    if not isinstance(node, BNode):
        raise _fail("sh:not needs an inline (blank) node shape", shape)
    extra = set(g.predicates(node)) - {SH.property}
    if extra:
        raise _fail(f"unsupported keys in the shape of sh:not: {sorted(extra)}", shape)
    props = [_property_checks(g, prop, shape) for prop in g.objects(node, SH.property)]
    if not props:
        raise _fail("sh:not of an empty shape", shape)
    # a focus node without a value for an IRI path that sh:hasValue or sh:minCount (1 or more)
    # requires cannot conform: the predicate it needs for the shape to conform, if any
    needs = None
    for prop in g.objects(node, SH.property):
        path_node = g.value(prop, SH.path)
        if not isinstance(path_node, URIRef):
            continue
        min_count = g.value(prop, SH.minCount)
        if g.value(prop, SH.hasValue) is not None or (
            isinstance(min_count, Literal) and isinstance(min_count.value, int) and min_count.value >= 1
        ):
            needs = str(path_node)
            break

    def conforms(idx, focus):
        for path, checks, empty_fails in props:
            values = path(idx, focus)
            if not values and not empty_fails:
                continue
            for check in checks:
                if check(idx, focus, values):
                    return False
        return True

    conforms.needs = needs  # type: ignore[attr-defined]
    return conforms


# -- SHACL-SPARQL ------------------------------------------------------------------------------

_Bindings = dict
_Expr = Callable[[_Bindings], Any]


def _sparql_prefixes(g: Graph, constraint, shape) -> dict[str, str]:
    out: dict[str, str] = {}
    for prefixes in g.objects(constraint, SH.prefixes):
        for decl in g.objects(prefixes, SH.declare):
            out[str(g.value(decl, SH.prefix))] = str(g.value(decl, SH.namespace))
    return out


def _replacement(text: str) -> str:
    """An XPath ``fn:replace`` replacement (``$1``, ``\\$``) as a Python one (``\\g<1>``)."""
    out, i = [], 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text) and text[i + 1] in "\\$":
            out.append("\\\\" if text[i + 1] == "\\" else "$")
            i += 2
        elif ch == "$" and i + 1 < len(text) and text[i + 1].isdigit():
            j = i + 1
            while j < len(text) and text[j].isdigit():
                j += 1
            out.append(f"\\g<{text[i + 1 : j]}>")
            i = j
        elif ch in "$\\":
            raise _ERROR
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def _lexical(value) -> str:
    if isinstance(value, _Duration):
        return value.lexical()
    if isinstance(value, Literal | URIRef):
        return str(value)
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise KnowledgeBaseError(
        f"STR() of a computed {type(value).__name__} is not supported by the compiled shapes"
    )


def _string_arg(value) -> str:
    if isinstance(value, str) and not isinstance(value, URIRef | Literal):
        return value
    if isinstance(value, Literal) and value.datatype in _STRING and value.language is None:
        return str(value)
    raise _ERROR


_INTEGER_LEXICAL = re.compile(r"[+-]?[0-9]+")


def _to_integer(value) -> int:
    if isinstance(value, Literal):
        kind, v = _kind_value(value)
        if kind == "str":
            value = v
        elif kind == "num":
            return int(v)
        elif kind == "bool":
            return int(v)
        else:
            raise _ERROR
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float | Decimal):
        if value != value or value in (float("inf"), float("-inf")):
            raise _ERROR
        return int(value)
    if isinstance(value, str) and _INTEGER_LEXICAL.fullmatch(value.strip()):
        return int(value.strip())
    raise _ERROR


def _arith(op: str, a, b):
    ka, va = _kind_value(a)
    kb, vb = _kind_value(b)
    if ka == kb == "num":
        if isinstance(va, float) or isinstance(vb, float):
            va, vb = float(va), float(vb)
        elif isinstance(va, Decimal) or isinstance(vb, Decimal):
            va, vb = Decimal(va), Decimal(vb)
        return va + vb if op == "+" else va - vb
    if op == "-" and ka == kb == "date" and isinstance(va, date) and not isinstance(va, datetime):
        return _Duration((va - vb).days)
    raise _ERROR


_VARIABLES: dict[str, Variable] = {}


def _var(x):
    """One Variable object per name: the bindings are dicts keyed by Variable, and a lookup with
    the very object the dict holds skips rdflib's ``__eq__`` (Python code) on every access."""
    if isinstance(x, Variable):
        return _VARIABLES.setdefault(str(x), x)
    return x


def _compile_expr(e, shape) -> _Expr:
    """A SPARQL expression of rdflib's algebra as a function of the bindings (raises _Error)."""
    if isinstance(e, Variable):
        e = _var(e)

        def var(b):
            try:
                return b[e]
            except KeyError:
                raise _ERROR from None

        return var
    if isinstance(e, URIRef | Literal):
        return lambda b: e
    name = getattr(e, "name", None)
    if name == "RelationalExpression":
        left = _compile_expr(e.expr, shape)
        op = e.op
        if op in ("IN", "NOT IN"):
            items = [_compile_expr(x, shape) for x in e.other]
            if e.other and all(type(x) is URIRef for x in e.other):
                iris = frozenset(str(x) for x in e.other)
                inside = op == "IN"

                def member_iri(b):
                    x = left(b)
                    if type(x) is URIRef:  # IRIs equal exactly when their strings are
                        return (str(x) in iris) is inside
                    return member(b)

            def member(b):
                x = left(b)
                error = False
                for item in items:
                    try:
                        if _equal(x, item(b)):
                            return op == "IN"
                    except _Error:
                        error = True
                if error:
                    raise _ERROR
                return op != "IN"

            if e.other and all(type(x) is URIRef for x in e.other):
                if op == "IN" and isinstance(e.expr, Variable):  # lets a pattern read only these
                    member_iri.among = (_var(e.expr), iris)  # type: ignore[attr-defined]
                return member_iri
            return member
        right = _compile_expr(e.other, shape)
        if op == "=":
            return lambda b: _equal(left(b), right(b))
        if op == "!=":
            return lambda b: not _equal(left(b), right(b))
        if op in _OPS:
            test = _OPS[op]
            return lambda b: test(_compare(left(b), right(b)))
        raise _fail(f"SPARQL operator {op!r} is not supported by the compiled shapes", shape)
    if name in ("ConditionalAndExpression", "ConditionalOrExpression"):
        parts = [_compile_expr(x, shape) for x in [e.expr, *(e["other"] if "other" in e else [])]]
        is_and = name == "ConditionalAndExpression"

        def logical(b):
            error = False
            for part in parts:
                try:
                    v = _ebv(part(b))
                except _Error:
                    error = True
                    continue
                if v is not is_and:  # false in a conjunction, true in a disjunction, decides
                    return v
            if error:
                raise _ERROR
            return is_and

        return logical
    if name == "UnaryNot":
        inner = _compile_expr(e.expr, shape)
        return lambda b: not _ebv(inner(b))
    if name == "AdditiveExpression":
        first = _compile_expr(e.expr, shape)
        ops = list(e.op)
        rest = [_compile_expr(x, shape) for x in e.other]
        if any(op not in ("+", "-") for op in ops):
            raise _fail(f"SPARQL operators {ops} are not supported by the compiled shapes", shape)

        def additive(b):
            value = first(b)
            for op, other in zip(ops, rest, strict=True):
                value = _arith(op, value, other(b))
            return value

        return additive
    if name == "Builtin_STR":
        arg = _compile_expr(e.arg, shape)
        return lambda b: _lexical(arg(b))
    if name == "Builtin_REPLACE":
        if "flags" in e:
            raise _fail("REPLACE with flags is not supported by the compiled shapes", shape)
        arg = _compile_expr(e.arg, shape)
        pattern = _compile_expr(e.pattern, shape)
        replacement = _compile_expr(e.replacement, shape)

        def replace(b):
            text = _string_arg(arg(b))
            try:
                rx = re.compile(_string_arg(pattern(b)))
            except re.error:
                raise _ERROR from None
            return rx.sub(_replacement(_string_arg(replacement(b))), text)

        return replace
    if name == "Function" and e.iri == XSD.integer and len(e.expr) == 1 and not e.distinct:
        arg = _compile_expr(e.expr[0], shape)
        return lambda b: _to_integer(arg(b))
    raise _fail(
        f"SPARQL expression {name or type(e).__name__} is not supported by the compiled shapes", shape
    )


def _ebv(value) -> bool:
    """SPARQL's effective boolean value."""
    if isinstance(value, bool):
        return value
    if isinstance(value, Literal):
        kind, v = _kind_value(value)
        if kind == "bool":
            return v
        if kind == "str":
            return bool(v)
        if kind == "num":
            return bool(v) and v == v
        raise _ERROR
    if isinstance(value, str):
        return bool(value)
    if isinstance(value, int | float | Decimal):
        return bool(value) and value == value
    raise _ERROR


def _is_bound(x, bound) -> bool:
    return not isinstance(x, Variable) or x in bound


def _variables(e) -> set:
    """The variables an algebra expression mentions."""
    if isinstance(e, Variable):
        return {e}
    if isinstance(e, list | tuple):
        return set().union(*(_variables(x) for x in e)) if e else set()
    if isinstance(e, dict):  # rdflib's CompValue
        return set().union(*(_variables(v) for k, v in e.items() if k != "_vars")) if e else set()
    return set()


def _conjuncts(e) -> list:
    """``A && B && C`` as [A, B, C]: a solution passes a filter of a conjunction exactly when it
    passes a filter of each conjunct (true iff every conjunct is true), so each can be checked as
    soon as its variables are bound."""
    if getattr(e, "name", None) == "ConditionalAndExpression":
        return [x for part in [e.expr, *(e["other"] if "other" in e else [])] for x in _conjuncts(part)]
    return [e]


_Filter = tuple[set, Callable[[_Bindings], Any]]


def _passes(expr, b) -> bool:
    try:
        return _ebv(expr(b)) is True
    except _Error:
        return False


def _bgp(
    triples: list[tuple], bound: set, filters: list[_Filter]
) -> Callable[[_Index, _Bindings], Iterable[_Bindings]]:
    """A basic graph pattern: all solutions extending the bindings. The join order is fixed when
    the shapes compile: next always the pattern with the most positions bound (constants and
    variables bound before it), in the order written among equals; each filter of ``filters`` is
    checked right after the step that binds its last variable (and removed from the list)."""
    todo = list(triples)
    steps = []
    while todo:
        best = max(todo, key=lambda t: sum(_is_bound(x, bound) for x in t))
        todo.remove(best)
        s, p, o = best
        sb, pb, ob = _is_bound(s, bound), _is_bound(p, bound), _is_bound(o, bound)
        mode = "sp" if sb and pb else "po" if pb and ob else "s" if sb else "scan"
        before = set(bound)
        bound.update(x for x in best if isinstance(x, Variable))
        ready = [f for f in filters if f[0] <= bound]
        for f in ready:
            filters.remove(f)
        steps.append(_step(mode, best, before, [expr for _, expr in ready]))

    if len(steps) == 1:
        return steps[0]
    if len(steps) == 2:  # the usual lengths as plain nested loops
        first, second = steps

        def two(idx, b):
            for b1 in first(idx, b):
                yield from second(idx, b1)

        return two
    if len(steps) == 3:
        first, second, third = steps

        def three(idx, b):
            for b1 in first(idx, b):
                for b2 in second(idx, b1):
                    yield from third(idx, b2)

        return three

    def solve(idx, b, i):
        if i == len(steps):
            yield b
            return
        for new in steps[i](idx, b):
            yield from solve(idx, new, i + 1)

    return lambda idx, b: solve(idx, b, 0)


def _step(
    mode: str, pattern: tuple, before: set, checks: list
) -> Callable[[_Index, _Bindings], Iterable[_Bindings]]:
    """One triple pattern of a BGP: the bindings extended by each matching triple. ``before``:
    the variables bound when it runs; the positions the index lookup matched are not compared
    again, the others bind a new variable or are compared with their value."""
    pattern = tuple(_var(x) for x in pattern)
    s, p, o = pattern
    pkey = None if isinstance(p, Variable) else str(p)
    matched = {"sp": (0, 1), "po": (1, 2), "s": (0,), "scan": ()}[mode]
    bind, compare = [], []
    fresh: set = set()
    for pos, x in enumerate(pattern):
        if pos in matched:
            continue
        if isinstance(x, Variable) and x not in before and x not in fresh:
            bind.append((pos, x))
            fresh.add(x)
        else:
            compare.append((pos, x))

    # ``FILTER (?p IN (<a>, <b>))`` on the predicate this step binds: every solution has one of
    # those IRIs as ?p, so only the triples with those predicates are candidates (the filter
    # still runs on each)
    among = None
    if mode == "s" and isinstance(p, Variable) and (1, p) in bind:
        for check in checks:
            spec = getattr(check, "among", None)
            if spec is not None and spec[0] is p:
                among = tuple(sorted(spec[1]))
                break

    # the usual shapes of a step, without the general machinery below: an IRI predicate with the
    # subject known and the object new or known, or the object known and the subject new
    if pkey is not None and mode in ("sp", "po"):
        known, new_pos = (s, 2) if mode == "sp" else (o, 0)
        known_var = isinstance(known, Variable)
        if bind == [(new_pos, pattern[new_pos])] and not compare:
            var = pattern[new_pos]
            if mode == "sp":

                def lookup(idx, k):
                    return idx.out.get(k, _EMPTY).get(pkey, ())
            else:

                def lookup(idx, k):
                    return idx.subjects(pkey, k)

            def run_new(idx, b):
                for x in lookup(idx, b[known] if known_var else known):
                    new = dict(b)
                    new[var] = x
                    if all(_passes(check, new) for check in checks):
                        yield new

            return run_new
        if mode == "sp" and not bind and compare == [(2, o)]:
            want_var = isinstance(o, Variable)

            def run_known(idx, b):
                want = b[o] if want_var else o
                for got in idx.out.get(b[s] if known_var else s, _EMPTY).get(pkey, ()):
                    if want is not got and (type(want) is not type(got) or want != got):
                        continue
                    if all(_passes(check, b) for check in checks):
                        yield b

            return run_known

    if mode == "s" and not compare and bind == [(1, p), (2, o)]:  # subject known, ?p ?o new
        subject_var = isinstance(s, Variable)

        def run_po_new(idx, b):
            props = idx.out.get(b[s] if subject_var else s, _EMPTY)
            terms = idx.pterms
            for pp in props if among is None else among:
                objects = props.get(pp)
                if not objects:
                    continue
                pterm = terms[pp]
                for oo in objects:
                    new = dict(b)
                    new[p] = pterm
                    new[o] = oo
                    if all(_passes(check, new) for check in checks):
                        yield new

        return run_po_new

    def value(x, b):
        return b[x] if isinstance(x, Variable) else x

    def candidates(idx, b):
        if mode == "sp":
            sv, pv = value(s, b), value(p, b)
            return ((sv, pv, x) for x in idx.objects(sv, pkey or str(pv)))
        if mode == "po":
            pv, ov = value(p, b), value(o, b)
            return ((x, pv, ov) for x in idx.subjects(pkey or str(pv), ov))
        if mode == "s":
            sv = value(s, b)
            terms = idx.pterms
            if among is not None:  # a filter keeps only these predicates: read only theirs
                props = idx.out.get(sv, _EMPTY)
                return ((sv, terms[pp], oo) for pp in among if pp in props for oo in props[pp])
            return ((sv, terms[pp], oo) for pp, objects in idx.out.get(sv, _EMPTY).items() for oo in objects)
        return iter(idx.triples)

    def run(idx, b):
        for t in candidates(idx, b):
            new = dict(b) if bind else b
            for pos, var in bind:
                new[var] = t[pos]
            for pos, x in compare:
                want = new[x] if isinstance(x, Variable) else x
                got = t[pos]
                if want is not got and (type(want) is not type(got) or want != got):
                    break
            else:
                for check in checks:
                    if not _passes(check, new):
                        break
                else:
                    yield new

    return run


def _compile_algebra(
    node, shape, bound: set, filters: list[_Filter] | None = None
) -> Callable[[_Index, _Bindings], Iterable[_Bindings]]:
    """An algebra node as a generator of solutions. ``bound`` holds the variables bound before it
    and is extended with those it binds; ``filters`` are conjuncts of an enclosing ``FILTER``
    that may be checked inside (those checked are removed from the list)."""
    filters = [] if filters is None else filters
    name = getattr(node, "name", None)
    if name == "BGP":
        for t in node.triples:
            for x in t:
                if not isinstance(x, Variable | URIRef | Literal):
                    raise _fail(f"unsupported term {x!r} in a SPARQL constraint", shape)
        return _bgp(list(node.triples), bound, filters)
    if name == "Extend":
        var = _var(node.var)
        passed = [f for f in filters if var not in f[0]]  # the others need the new variable
        inner = _compile_algebra(node.p, shape, bound, passed)
        filters[:] = [f for f in filters if var in f[0] or f in passed]
        expr = _compile_expr(node.expr, shape)
        bound.add(var)

        def extend(idx, b):
            for sol in inner(idx, b):
                try:
                    value = expr(sol)
                except _Error:
                    yield sol  # an error leaves the variable unbound
                    continue
                if var in sol:
                    if sol[var] == value:
                        yield sol
                    continue
                yield {**sol, var: value}

        return extend
    if name == "Filter":
        mine = [(_variables(c), _compile_expr(c, shape)) for c in _conjuncts(node.expr)]
        inner = _compile_algebra(node.p, shape, bound, mine)
        checks = [expr for _, expr in mine]  # not checked inside: checked on each solution here
        if not checks:
            return inner
        return lambda idx, b: (sol for sol in inner(idx, b) if all(_passes(c, sol) for c in checks))
    if name == "Join":
        left = _compile_algebra(node.p1, shape, bound)
        right = _compile_algebra(node.p2, shape, bound)
        return lambda idx, b: (s2 for s1 in left(idx, b) for s2 in right(idx, s1))
    raise _fail(
        f"SPARQL algebra {name or type(node).__name__} is not supported by the compiled shapes", shape
    )


_THIS = _var(Variable("this"))
_PATH = _var(Variable("path"))


_ALGEBRA_FORMAT = 1
"""Version of the cached algebra's JSON form (bump when :func:`_encode` changes)."""


class _Uncacheable(Exception):
    pass


class _Node(dict):
    """A node of a SPARQL algebra read back from the cache: a dict with a ``name`` and attribute
    access, as rdflib's ``CompValue`` (the compiler reads both alike)."""

    def __init__(self, name: str, items: dict):
        super().__init__(items)
        self.name = name

    def __getattr__(self, key):
        try:
            return self[key]
        except KeyError:
            raise AttributeError(key) from None


def _encode(x):
    """rdflib's parsed algebra as JSON-ready data (terms tagged by kind)."""
    if isinstance(x, Variable):
        return {"v": str(x)}
    if isinstance(x, URIRef):
        return {"i": str(x)}
    if isinstance(x, Literal):
        return {"l": str(x), "d": str(x.datatype) if x.datatype is not None else None, "g": x.language}
    if isinstance(x, dict) and isinstance(getattr(x, "name", None), str):
        return {"n": x.name, "a": {k: _encode(v) for k, v in x.items() if k != "_vars"}}
    if isinstance(x, list | tuple):
        return {"t" if isinstance(x, tuple) else "s": [_encode(v) for v in x]}
    if x is None or type(x) in (str, int, bool, float):
        return {"p": x}
    raise _Uncacheable(type(x).__name__)


def _decode(x):
    (tag, value), *rest = x.items()
    if tag == "v":
        return Variable(value)
    if tag == "i":
        return URIRef(value)
    if tag == "l":
        return Literal(value, datatype=URIRef(x["d"]) if x["d"] is not None else None, lang=x["g"])
    if tag == "n":
        return _Node(value, {k: _decode(v) for k, v in x["a"].items()})
    if tag == "t":
        return tuple(_decode(v) for v in value)
    if tag == "s":
        return [_decode(v) for v in value]
    if tag == "p":
        return value
    raise ValueError(tag)


def _parse_select(text: str, prefixes: dict[str, str], shape):
    """The algebra of a ``sh:select``: read from the cache when this very text (and prefixes) was
    parsed before, else parsed by rdflib's SPARQL parser (whose import alone costs more than the
    rest of a cold start's validation) and cached. Any problem with the cache means parsing."""
    import rdflib

    from reasoner import cache  # the one cache of the package: off with HER2NEG_NO_CACHE, own files only

    key = hashlib.sha256(
        json.dumps([_ALGEBRA_FORMAT, rdflib.__version__, text, sorted(prefixes.items())]).encode()
    ).hexdigest()
    stored = cache.read_json("shacl-sparql", key)
    if stored is not None:
        try:
            return _decode(stored)
        except Exception:  # noqa: BLE001 - malformed: parse instead
            pass
    from rdflib.plugins.sparql import prepareQuery

    try:
        algebra = prepareQuery(text, initNs=prefixes).algebra
    except Exception as exc:
        raise _fail(f"cannot parse the SPARQL constraint: {exc}", shape) from exc
    try:
        cache.write_json("shacl-sparql", key, _encode(algebra))
    except _Uncacheable:
        pass
    return algebra


def _sparql_constraint(g: Graph, constraint, shape) -> Callable[[_Index, Any], Iterable[Any]]:
    """One ``sh:sparql`` constraint: the result paths (or None) it reports for a focus node."""
    extra = set(g.predicates(constraint)) - {RDF.type, SH.select, SH.prefixes, SH.message}
    if extra:
        raise _fail(f"unsupported keys of a SPARQL constraint: {sorted(extra)}", shape)
    text = g.value(constraint, SH.select)
    if text is None:
        raise _fail("a SPARQL constraint needs sh:select", shape)
    top = _parse_select(str(text), _sparql_prefixes(g, constraint, shape), shape)
    if getattr(top, "name", None) != "SelectQuery" or getattr(top.p, "name", None) != "Project":
        raise _fail("a SPARQL constraint must be a plain SELECT", shape)
    project = top.p
    names = {str(v) for v in project.PV}
    if _THIS not in project.PV:
        raise _fail("a SPARQL constraint must select $this", shape)
    if (names | {str(v) for v in _variables(project)}) & {"shapesGraph", "currentShape"}:
        raise _fail("$shapesGraph and $currentShape are not supported", shape)
    body = _compile_algebra(project.p, shape, {_THIS})
    reports_path = _PATH in project.PV

    def results(idx, focus):
        out = []
        for sol in body(idx, {_THIS: focus}):
            path = sol.get(_PATH) if reports_path else None
            out.append(path if isinstance(path, URIRef) else None)
        return out

    return results


# -- the shapes --------------------------------------------------------------------------------


class CompiledShapes:
    """Every shape of the shapes file as ``(shape IRI, target class, check)``; a check yields the
    result paths (None: no path) of a focus node's violations."""

    def __init__(self, shapes: list[tuple[URIRef, URIRef, Callable[[_Index, Any], Iterable[Any]]]]):
        by_target: dict[URIRef, list] = {}
        for shape, target, check in shapes:
            # needs: the predicate a focus node must have for the check to find anything
            by_target.setdefault(target, []).append((shape, check, getattr(check, "needs", None)))
        self.by_target = by_target
        self.shapes = tuple(s for s, _, _ in shapes)

    def run(self, graphs: Iterable[Iterable[tuple]]) -> set[RawResult]:
        """The results over patient graphs, each evaluated on its own (a patient graph is closed:
        its nodes are named under its patient's IRI)."""
        out: set[RawResult] = set()
        targets = [(str(t), checks) for t, checks in self.by_target.items()]
        for triples in graphs:
            idx = _Index(triples)
            for target, checks in targets:
                for focus in idx.types.get(target, ()):
                    props = idx.out.get(focus, _EMPTY)
                    for shape, check, needs in checks:
                        if needs is not None and needs not in props:
                            continue
                        for path in check(idx, focus):
                            out.add((shape, focus, path))
        return out


def _compile_shape(g: Graph, shape: URIRef) -> Callable[[_Index, Any], Iterable[Any]]:
    keys = set(g.predicates(shape)) - _ANNOTATIONS
    if SH.deactivated in keys:
        raise _fail("sh:deactivated is not supported", shape)
    if SH.path in keys:
        path_node = g.value(shape, SH.path)
        if not isinstance(path_node, URIRef):
            raise _fail("a top-level property shape needs a plain IRI sh:path", shape)
        path, checks, empty_fails = _property_checks(g, shape, shape, allowed_extra=_ANNOTATIONS)

        found = (path_node,)

        def property_shape(idx, focus):
            values = path(idx, focus)
            if not values and not empty_fails:
                return ()
            for check in checks:
                if check(idx, focus, values):
                    return found
            return ()

        if not empty_fails:  # no value on the path, no violation: the runner skips the call
            property_shape.needs = str(path_node)  # type: ignore[attr-defined]
        return property_shape
    parts: list[Callable[[_Index, Any], Iterable[Any]]] = []
    for c in keys:
        if c == SH["not"]:
            for inner in g.objects(shape, SH["not"]):
                conforms = _conforms_to(g, inner, shape)

                def violates(idx, focus, conforms=conforms):
                    return _NO_PATH if conforms(idx, focus) else ()

                violates.needs = conforms.needs  # type: ignore[attr-defined]
                parts.append(violates)
        elif c == SH.sparql:
            for constraint in g.objects(shape, SH.sparql):
                parts.append(_sparql_constraint(g, constraint, shape))
        else:
            raise _fail(f"{c} is not supported by the compiled shapes", shape)
    if not parts:
        raise _fail("a node shape without constraints", shape)

    if len(parts) == 1:
        return parts[0]  # keeps its ``needs``: nothing else in the shape can find anything
    return lambda idx, focus: [path for part in parts for path in part(idx, focus)]


_NO_PATH = (None,)


def compile_shapes(g: Graph, shapes: Iterable[URIRef]) -> CompiledShapes:
    """The named shapes of ``g`` compiled (raises :class:`KnowledgeBaseError` on any construct the
    compiler does not support)."""
    compiled = []
    for shape in sorted(shapes):
        targets = list(g.objects(shape, SH.targetClass))
        if len(targets) != 1 or not isinstance(targets[0], URIRef):
            raise _fail("exactly one sh:targetClass (an IRI) is supported", shape)
        for key in (SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf, SH.target):
            if g.value(shape, key) is not None:
                raise _fail(f"{key} is not supported", shape)
        compiled.append((shape, targets[0], _compile_shape(g, shape)))
    for s in (
        set(g.subjects(SH.targetNode, None))
        | set(g.subjects(SH.targetSubjectsOf, None))
        | set(g.subjects(SH.targetObjectsOf, None))
        | set(g.subjects(SH.target, None))
    ):
        raise _fail("only sh:targetClass targets are supported", s)
    return CompiledShapes(compiled)


@cache
def compiled_shapes() -> CompiledShapes:
    """The shapes file compiled, once per process."""
    return compile_shapes(shapes_graph(), shape_infos())


def run_fast(graphs: Graph | PatientTriples | Iterable[Graph | PatientTriples]) -> set[RawResult]:
    """The compiled shapes over one or many patient graphs: (shape, focus, path) triples."""
    if isinstance(graphs, Graph | PatientTriples):
        graphs = [graphs]
    return compiled_shapes().run(graphs)
