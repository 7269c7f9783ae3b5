"""The result contract as a table: one row per input record, typed columns (Apache Arrow).

The same schema serves ``her2neg batch --out results.parquet`` and the Spark adapter
(:mod:`reasoner.spark`); ``docs/columnar-results.md`` documents every column. Flat columns hold
what a registry screen filters on (status, classification, first option, advice and warning
codes); the options, exclusions, advice, warnings and validation findings are nested lists with
every field of the JSON contract, so nothing of the result is lost.

Types are chosen to map one-to-one onto Spark SQL (``string``, ``int``, ``boolean``,
``array<struct<...>>``): 32-bit list offsets and plain UTF-8 strings, no dictionary types.
pyarrow is an optional dependency (``pip install her2neg-reasoner[parquet]``); it is imported only
when a table is built.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from typing import Any

__all__ = ["COLUMNS", "SCHEMA_VERSION", "arrow_schema", "row", "record_batch", "require_pyarrow"]

SCHEMA_VERSION = "1"

#: Column names in order (the flat ones first); the types are in :func:`arrow_schema`.
COLUMNS = (
    "input", "patient", "status", "subtype", "her2_category", "er_low", "line", "endocrine_resistance",
    "visceral_crisis", "n_options", "first_option", "first_option_code", "option_ids", "excluded_ids",
    "advice_codes", "warning_codes", "n_violations", "options", "excluded", "advice", "warnings",
    "validation", "jurisdiction", "kb_version", "kb_sources", "disclaimer",
)


def require_pyarrow():
    """``pyarrow``, or an error that says how to install it."""
    try:
        import pyarrow
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        from reasoner.errors import ReasonerError

        raise ReasonerError("Parquet and Spark output need pyarrow",
                            hint="pip install 'her2neg-reasoner[parquet]'") from exc
    return pyarrow


@functools.lru_cache(maxsize=1)
def arrow_schema():
    """The Arrow schema of the results table (see ``docs/columnar-results.md``)."""
    pa = require_pyarrow()
    s, i32, b = pa.string(), pa.int32(), pa.bool_()
    strings = pa.list_(s)
    code_text = pa.list_(pa.struct([("code", s), ("text", s)]))
    option = pa.struct([
        ("id", s), ("label", s), ("recommendation_code", s), ("regimen", s), ("intent", s),
        ("line", i32), ("preference", s), ("drugs", strings),
        ("components", pa.list_(pa.struct([("role", s), ("drugs", strings), ("dosing", s)]))),
        ("rationale", strings), ("cautions", strings),
        ("evidence", pa.list_(pa.struct([("source", s), ("trial", s), ("level", s)]))),
        ("approvals", pa.list_(pa.struct([("agency", s), ("status", s), ("date", s)]))),
    ])
    excluded = pa.struct([("id", s), ("label", s), ("drugs", strings), ("reasons", code_text)])
    validation = pa.struct([("severity", s), ("path", s), ("message", s)])
    fields = [
        ("input", s), ("patient", s), ("status", s), ("subtype", s), ("her2_category", s), ("er_low", b),
        ("line", i32), ("endocrine_resistance", s), ("visceral_crisis", b), ("n_options", i32),
        ("first_option", s), ("first_option_code", s), ("option_ids", strings), ("excluded_ids", strings),
        ("advice_codes", strings), ("warning_codes", strings), ("n_violations", i32),
        ("options", pa.list_(option)), ("excluded", pa.list_(excluded)), ("advice", code_text),
        ("warnings", code_text), ("validation", pa.list_(validation)), ("jurisdiction", s),
        ("kb_version", s), ("kb_sources", strings), ("disclaimer", s),
    ]
    assert tuple(name for name, _ in fields) == COLUMNS
    return pa.schema(fields, metadata={b"her2neg.schema": SCHEMA_VERSION.encode(),
                                       b"her2neg.contract": b"shared/spec/recommendation.md"})


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _bool(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


def row(data: dict, input_key: str | None = None) -> dict:
    """One table row from a result as the contract's JSON dict (``Result.to_dict()``)."""
    cls = data.get("classification") or {}
    options = data.get("options") or []
    excluded = data.get("excluded") or []
    advice = data.get("advice") or []
    warnings = data.get("warnings") or []
    validation = data.get("validation") or []
    kb = data.get("knowledge_base") or {}
    first = options[0] if options else None
    return {
        "input": input_key if input_key is not None else data.get("input"),
        "patient": data.get("patient"),
        "status": data.get("status"),
        "subtype": cls.get("subtype"),
        "her2_category": cls.get("her2_category"),
        "er_low": _bool(cls.get("er_low")),
        "line": _int(cls.get("line")),
        "endocrine_resistance": _str(cls.get("endocrine_resistance")),
        "visceral_crisis": _bool(cls.get("visceral_crisis")),
        "n_options": len(options),
        "first_option": first["id"] if first else None,
        "first_option_code": first.get("recommendation_code") if first else None,
        "option_ids": [o["id"] for o in options],
        "excluded_ids": [e["id"] for e in excluded],
        "advice_codes": [a["code"] for a in advice],
        "warning_codes": [w["code"] for w in warnings],
        "n_violations": sum(1 for v in validation if v.get("severity") == "violation"),
        "options": [{
            "id": o["id"], "label": o.get("label"), "recommendation_code": o.get("recommendation_code"),
            "regimen": o.get("regimen"), "intent": o.get("intent"), "line": _int(o.get("line")),
            "preference": o.get("preference"),
            "drugs": sorted({d for c in o.get("components") or [] for d in c.get("drugs") or []}),
            "components": o.get("components") or [], "rationale": o.get("rationale") or [],
            "cautions": o.get("cautions") or [], "evidence": o.get("evidence") or [],
            "approvals": o.get("approvals") or [],
        } for o in options],
        "excluded": excluded,
        "advice": advice,
        "warnings": warnings,
        "validation": validation,
        "jurisdiction": data.get("jurisdiction"),
        "kb_version": kb.get("version"),
        "kb_sources": kb.get("sources") or [],
        "disclaimer": data.get("disclaimer"),
    }


def record_batch(rows: Sequence[dict] | Iterable[dict]):
    """An Arrow record batch of :func:`row` dicts, in the results schema."""
    pa = require_pyarrow()
    return pa.RecordBatch.from_pylist(list(rows), schema=arrow_schema())
