"""Values and small helpers shared by the FHIR mappers: codings, dates, numbers, candidates, courses."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from . import codes as C
from .drugs import normalise_text
from .parse import ParsedResource

REGIMEN_WINDOW_DAYS = 7
ADMIN_COURSE_GAP_DAYS = 90
ADMIN_ONGOING_DAYS = 35
DE_NOVO_WINDOW_DAYS = 90

Coding = tuple[str, str, str]  # (system key, code, display)


# --------------------------------------------------------------------------- small helpers


def _codings(cc: Any) -> list[Coding]:
    if cc is None:
        return []
    return [(C.system_key(c.system), (c.code or "").strip(), c.display or "") for c in (cc.coding or [])]


def _text(cc: Any) -> str:
    if cc is None:
        return ""
    parts = [cc.text or ""] + [c.display or "" for c in (cc.coding or [])]
    return " | ".join(dict.fromkeys(p for p in parts if p))


def _codes(cc: Any, key: str) -> set[str]:
    return {code for k, code, _ in _codings(cc) if k == key}


def _first_code(cc: Any) -> str:
    for k, code, _ in _codings(cc):
        if code:
            return f"{k}#{code}"
    return f"text:{cc.text}" if cc is not None and cc.text else ""


def _to_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        m = re.match(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?", value)
        if m:
            return dt.date(int(m.group(1)), int(m.group(2) or 1), int(m.group(3) or 1))
    return None


def _num(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, Decimal):
        value = float(value)
    return float(value) if isinstance(value, (int, float)) else None


def _clean_number(x: float) -> int | float:
    return int(x) if float(x).is_integer() else round(x, 4)


def _profiles(model: Any) -> list[str]:
    meta = getattr(model, "meta", None)
    return [str(p) for p in (meta.profile or [])] if meta is not None else []


def _obs_date(obs: Any) -> dt.date | None:
    for attr in ("effectiveDateTime", "effectiveInstant"):
        d = _to_date(getattr(obs, attr, None))
        if d:
            return d
    period = getattr(obs, "effectivePeriod", None)
    if period is not None:
        return _to_date(period.end) or _to_date(period.start)
    return _to_date(getattr(obs, "issued", None))


def _is_uncertain(codings: list[Coding], text: str) -> bool:
    if any((k, c) in C.UNCERTAIN for k, c, _ in codings):
        return True
    low = text.lower()
    return any(w in low for w in C.UNCERTAIN_WORDS)


def _polarity(codings: list[Coding], text: str) -> str | None:
    """``positive`` / ``negative`` / ``uncertain`` / None from coded or textual result values."""
    if _is_uncertain(codings, text):
        return "uncertain"
    if any((k, c) in C.POSITIVE for k, c, _ in codings):
        return "positive"
    if any((k, c) in C.NEGATIVE for k, c, _ in codings):
        return "negative"
    low = normalise_text(text)
    if re.search(r"\b(negative|neg|not detected|absent)\b", low):
        return "negative"
    if re.search(r"\b(positive|pos|detected|present)\b", low):
        return "positive"
    return None




@dataclass
class _Candidate:
    value: Any
    date: dt.date | None
    res: ParsedResource
    element: str
    code: str
    inferred: str = ""


@dataclass
class _Course:
    drug: str
    start: dt.date | None
    end: dt.date | None
    ended: bool
    setting: str | None
    end_reason: str | None
    group: str | None
    resources: list[ParsedResource] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
