"""Layer 1: structure checks on the JSON value, before any graph is built.

Checks that the record is an object, that every key is known (``x_`` extension keys are kept),
that every value has the right type (a bool is not a number), no nulls, no NaN/infinite/huge
numbers, no huge strings, dates ``YYYY-MM-DD`` that exist, codes from the allowed list, known drug
names, and no deep nesting. Never raises: every problem becomes a :class:`Finding`.

It also normalises the record: drug names to their canonical form, list fields the graph holds
as sets sorted and without repeats, medications in lower case, empty lists and empty
``biomarkers``/``labs`` objects dropped, whole-number floats of integer fields made integers, and
``as_of`` set to today when absent.
"""

from __future__ import annotations

import difflib
import math
import re
from datetime import date
from typing import Any

from reasoner.graph.mapping import FIELDS_BY_GROUP, GROUPS, Field
from reasoner.graph.vocab import enum_table
from reasoner.validation.findings import Finding, Severity

__all__ = ["check_structure", "safe_value", "MAX_ABS_NUMBER"]

STRUCTURE = "structure"
MAX_ABS_NUMBER = 1e9
MAX_LIST = 100
MAX_EXT_DEPTH = 20
MAX_EXT_CHARS = 10_000
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SET_KINDS = ("enum_list", "drug_list", "string_list")
_GROUP_NAMES = {
    "": "the patient record",
    "receptors": "receptors",
    "biomarkers": "biomarkers",
    "labs": "labs",
    "metastatic": "metastatic",
    "early": "early",
    "locoregional_recurrence": "locoregional_recurrence",
    "therapies": "a therapy",
    "biomarker_tests": "a biomarker test",
}
_SUB_GROUPS = [k for k in GROUPS if k]
_GOOD_DATES: set[str] = set()
"""Date texts already found valid (format, calendar, year): the check depends on nothing else."""
_DATES, _NUMBER = object(), object()
_QUICK: dict[str, dict[str, tuple]] = {}


def _quick(group: str) -> dict[str, tuple]:
    """Per field key of a group: (field, what a valid single value looks like) where ``accepts``
    is the frozenset of allowed codes (enum), ``_DATES`` (a date: ``_GOOD_DATES``), the longest
    length (text), or the one Python type of a valid number or boolean that scalar() returns as
    it is (int for integers, bool), ``_NUMBER`` (a decimal: int or float); None for the others
    (lists, codes-or-numbers: field() checks them)."""
    table = {}
    for key, f in FIELDS_BY_GROUP[group].items():
        kind = f.kind
        accepts: Any = None
        if kind == "enum":
            accepts = frozenset(f.allowed or enum_table(f.enum).codes)
        elif kind == "date":
            accepts = _DATES
        elif kind == "string":
            accepts = f.max_len
        elif kind == "integer":
            accepts = int
        elif kind == "decimal":
            accepts = _NUMBER
        elif kind == "boolean":
            accepts = bool
        table[key] = (f, accepts)
    _QUICK[group] = table
    return table


_ITEM_WORDS = {"therapies": ("therapy objects", "therapies", "a therapy"),
               "biomarker_tests": ("test objects", "tests", "a test")}


def safe_value(value: Any) -> Any:
    """The value as shown in a finding: short, JSON-safe (None for objects and lists)."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return (
            value
            if abs(value) < 10**15
            else f"{str(value)[:20]}… ({len(str(value)) if value.bit_length() < 10000 else 'many'} digits)"
        )
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, str):
        return value if len(value) <= 100 else value[:100] + "…"
    return None


def _show(value: Any) -> str:
    """A value in words for a message."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        text = value if len(value) <= 60 else value[:60] + "…"
        return f"'{text}'" + (f" ({len(value)} characters)" if len(value) > 60 else "")
    if isinstance(value, int | float):
        v = safe_value(value)
        return str(v)
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return f"a {type(value).__name__}"


def _kind_words(f: Field) -> str:
    return {
        "string": "text",
        "date": "a date written YYYY-MM-DD",
        "integer": "a whole number",
        "decimal": "a number",
        "boolean": "true or false",
        "enum": "one of the allowed codes",
        "enum_list": "a list of codes",
        "drug_list": "a list of drug names",
        "string_list": "a list of names",
        "scalar": "a code or a number",
    }[f.kind]


class _Checker:
    def __init__(self, catalog, today: date):
        self.catalog = catalog
        self.today = today
        self.findings: list[Finding] = []

    def add(self, path: str, value: Any, message: str, severity: Severity = Severity.VIOLATION) -> None:
        self.findings.append(Finding(severity, path, safe_value(value), message, STRUCTURE))

    # extensions -----------------------------------------------------------------------------
    def extension(self, path: str, value: Any) -> bool:
        depth, size, stack = 0, 0, [(value, 1)]
        while stack:
            v, d = stack.pop()
            depth = max(depth, d)
            if depth > MAX_EXT_DEPTH:
                self.add(
                    path,
                    None,
                    f"{path} is nested more than {MAX_EXT_DEPTH} levels deep; extensions must be flatter.",
                )
                return False
            if isinstance(v, dict):
                stack.extend((x, d + 1) for x in v.values())
                size += sum(len(str(k)) for k in v)
            elif isinstance(v, list):
                stack.extend((x, d + 1) for x in v)
            elif isinstance(v, str):
                size += len(v)
            elif isinstance(v, float) and not math.isfinite(v):
                self.add(path, v, f"{path} holds {v}, which is not a number JSON can carry.")
                return False
            elif isinstance(v, int) and not isinstance(v, bool) and abs(v) > 10**15:
                self.add(path, None, f"{path} holds a number too large to keep.")
                return False
            elif not (v is None or isinstance(v, bool | int | float)):
                self.add(path, None, f"{path} holds {_show(v)}, which is not a JSON value.")
                return False
            if size > MAX_EXT_CHARS:
                self.add(
                    path,
                    None,
                    f"{path} is too large (more than {MAX_EXT_CHARS} characters); keep extensions short.",
                )
                return False
        return True

    # objects ------------------------------------------------------------------------------------
    def obj(self, group: str, value: dict, prefix: str, index: int | None) -> dict:
        fields = FIELDS_BY_GROUP[group]
        out: dict[str, Any] = {}
        sub_groups = _SUB_GROUPS if group == "" else []
        quick = _QUICK.get(group) or _quick(group)
        for key, v in value.items():
            q = quick.get(key) if type(key) is str else None
            if q is not None:  # a field (no field name is long, starts with x_ or names a group)
                f, accepts = q
                t = type(v)  # the usual valid single values, accepted as scalar() accepts them
                if t is str:
                    ok = v in accepts if type(accepts) is frozenset else (
                        accepts is _DATES and v in _GOOD_DATES) or (
                        type(accepts) is int and 1 <= len(v) <= accepts and v.strip())
                else:
                    ok = (t is accepts or (accepts is _NUMBER and (t is int or t is float))) and (
                        t is bool or -MAX_ABS_NUMBER <= v <= MAX_ABS_NUMBER)
                if ok:
                    out[key] = v
                    continue
                ok, norm = self.field(f, v, prefix + key)
                if ok and not (isinstance(norm, list) and not norm):
                    out[key] = norm
                continue
            path = f"{prefix}{key}" if isinstance(key, str) else prefix.rstrip(".") or "(record)"
            if not isinstance(key, str):
                self.add(
                    path,
                    None,
                    f"{_GROUP_NAMES[group]} has a key that is not text ({_show(key)}); keys are text.",
                )
                continue
            if len(key) > 100:
                self.add(
                    prefix.rstrip(".") or key[:100],
                    None,
                    f"{_GROUP_NAMES[group]} has a key of {len(key)} characters; that is not a field.",
                )
                continue
            if key.startswith("x_"):
                if self.extension(path, v):
                    out[key] = v
                continue
            if key in sub_groups:
                checked = self.group(key, v)
                if checked is not None:
                    out[key] = checked
                continue
            f = fields.get(key)
            if f is None:
                allowed = sorted(fields) + sub_groups
                close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
                hint = f" Did you mean '{close[0]}'?" if close else ""
                self.add(
                    path,
                    key,
                    f"'{key}' is not a field of {_GROUP_NAMES[group]}.{hint} Allowed fields: {', '.join(allowed)}"
                    " (extension keys must start with x_).",
                )
                continue
            ok, norm = self.field(f, v, path)
            if ok and not (isinstance(norm, list) and not norm):
                out[key] = norm
        return out

    def group(self, key: str, value: Any) -> Any:
        g = GROUPS[key]
        if value is None:
            self.add(key, None, f"{key} is null. Leave it out when it is not known.")
            return None
        if g.is_list:
            objects, plural, one = _ITEM_WORDS.get(key, ("objects", "items", "an item"))
            if not isinstance(value, list):
                self.add(key, value, f"{key} must be a list of {objects}; got {_show(value)}.")
                return None
            if len(value) > MAX_LIST:
                self.add(key, None, f"{key} lists {len(value)} {plural}; at most {MAX_LIST} are accepted.")
                return None
            items = []
            for i, item in enumerate(value):
                if not isinstance(item, dict):
                    self.add(
                        f"{key}[{i}]", item, f"{key}[{i}] must be an object ({one}); got {_show(item)}."
                    )
                    continue
                items.append(self.obj(key, item, f"{key}[{i}].", i))
            return items or None
        if not isinstance(value, dict):
            self.add(key, value, f"{key} must be an object ({{…}}); got {_show(value)}.")
            return None
        out = self.obj(key, value, f"{key}.", None)
        if not out and key in ("biomarkers", "labs"):
            return None
        return out

    # fields --------------------------------------------------------------------------------------
    def field(self, f: Field, v: Any, path: str) -> tuple[bool, Any]:
        if v is None:
            self.add(path, None, f"{path} is null. Leave the field out when it is not known.")
            return False, None
        if f.kind in _SET_KINDS:
            if not isinstance(v, list):
                self.add(path, v, f"{path} must be {_kind_words(f)}; got {_show(v)}.")
                return False, None
            if len(v) > 50:
                self.add(path, None, f"{path} has {len(v)} entries; at most 50 are accepted.")
                return False, None
            if f.kind == "drug_list" and not v:
                self.add(path, v, f"{path} is empty: a therapy names at least one drug.")
                return False, None
            out, ok = [], True
            for j, item in enumerate(v):
                good, norm = self.scalar(f, item, f"{path}[{j}]")
                if good:
                    out.append(norm)
                ok = ok and good
            return ok, sorted(set(out))
        return self.scalar(f, v, path)

    def scalar(self, f: Field, v: Any, path: str) -> tuple[bool, Any]:
        kind = f.kind
        t = type(v)  # the usual valid values first, accepted as the checks below would accept them
        if t is str:
            if kind == "enum" or kind == "enum_list":
                if v in (f.allowed or enum_table(f.enum).codes):
                    return True, v
            elif kind == "date":
                if v in _GOOD_DATES:
                    return True, v
            elif kind == "string" or kind == "scalar":
                if 1 <= len(v) <= f.max_len and v.strip():
                    return True, v
        elif t is int:
            if (kind == "integer" or kind == "decimal" or kind == "scalar") and -MAX_ABS_NUMBER <= v <= MAX_ABS_NUMBER:
                return True, v
        elif t is float:
            if (kind == "decimal" or kind == "scalar") and -MAX_ABS_NUMBER <= v <= MAX_ABS_NUMBER:
                return True, v
        elif t is bool:
            if kind == "boolean":
                return True, v
        if kind == "scalar":  # a code (text) or a number; which one is allowed is checked per test
            kind = "string" if isinstance(v, str) else "decimal"
            f = Field(f.group, f.key, f.prop, kind, max_len=f.max_len)
        if v is None:
            self.add(path, None, f"{path} is null. Leave it out when it is not known.")
            return False, None
        if kind in ("integer", "decimal"):
            if isinstance(v, bool) or not isinstance(v, int | float):
                self.add(path, v, f"{path} must be {_kind_words(f)}; got {_show(v)}.")
                return False, None
            if isinstance(v, float) and not math.isfinite(v):
                self.add(path, v, f"{path} is {v}, which is not a number; give the measured value.")
                return False, None
            if abs(v) > MAX_ABS_NUMBER:
                self.add(path, v, f"{path} is {_show(v)}, far outside any possible value.")
                return False, None
            if kind == "integer":
                if v != int(v):
                    self.add(path, v, f"{path} must be a whole number; got {v}.")
                    return False, None
                return True, int(v)
            return True, v
        if kind == "boolean":
            if not isinstance(v, bool):
                self.add(path, v, f"{path} must be true or false; got {_show(v)}.")
                return False, None
            return True, v
        if not isinstance(v, str):
            self.add(
                path,
                v,
                f"{path} must be {'text' if kind in ('string', 'string_list', 'drug_list') else _kind_words(f)}; got {_show(v)}.",
            )
            return False, None
        if kind in ("enum", "enum_list"):
            codes = f.allowed or enum_table(f.enum).codes
            if v not in codes:
                close = [c for c in codes if c.casefold() == v.strip().casefold()]
                hint = f" Write it exactly as '{close[0]}'." if close else ""
                self.add(
                    path, v, f"{path}: {_show(v)} is not an allowed value.{hint} Allowed: {', '.join(codes)}."
                )
                return False, None
            return True, v
        if kind == "date":
            if len(v) > 10 or not _DATE.match(v):
                self.add(
                    path, v, f"{path}: {_show(v)} is not a date written YYYY-MM-DD (for example 2026-03-31)."
                )
                return False, None
            try:
                d = date.fromisoformat(v)
            except ValueError:
                self.add(path, v, f"{path}: {v} is not a real calendar date.")
                return False, None
            if d.year < 1900:
                self.add(path, v, f"{path}: {v} is before 1900; check the year.")
                return False, None
            if len(_GOOD_DATES) >= 65536:
                _GOOD_DATES.clear()
            _GOOD_DATES.add(v)
            return True, v
        limit = f.max_len
        if kind == "drug_list":
            if len(v) > limit:
                self.add(path, v, f"{path} is {len(v)} characters long; a drug name has at most {limit}.")
                return False, None
            name = self.catalog.canonical(v)
            if name is None:
                sugg = self.catalog.suggest(v, 3)
                hint = f" Closest known names: {', '.join(sugg)}." if sugg else ""
                self.add(
                    path, v, f"{path}: {_show(v)} is not a known drug name.{hint} Use the generic (INN) name."
                )
                return False, None
            if name != v:
                self.add(path, v, f"{path}: '{v}' read as {name}.", Severity.INFO)
            return True, name
        # string, string_list
        if not (1 <= len(v) <= limit) or not v.strip():
            self.add(path, v, f"{path} must be text of 1 to {limit} characters; got {len(v)} characters.")
            return False, None
        if kind == "string_list":
            return True, v.strip().lower()
        return True, v


def check_structure(raw: Any, *, catalog, today: date) -> tuple[list[Finding], dict | None]:
    """Structure findings and the normalised record (None when ``raw`` is not a JSON object)."""
    c = _Checker(catalog, today)
    if not isinstance(raw, dict):
        c.add("", raw, f'A patient record must be a JSON object ({{"id": …, …}}); got {_show(raw)}.')
        return c.findings, None
    record = c.obj("", raw, "", None)
    if "as_of" not in raw:
        record["as_of"] = today.isoformat()
        c.add(
            "as_of",
            None,
            f"as_of not given: the decision date is taken as today, {today.isoformat()}.",
            Severity.INFO,
        )
    _therapy_settings(c, record)
    return c.findings, record


def _therapy_settings(c: _Checker, record: dict) -> None:
    """Derive the setting of therapies that lack one (``reasoner.ingest.therapy_setting``).

    The contract does not require ``therapies[].setting``: a derived setting is written into the
    normalised record with a warning that states the rule; one that cannot be derived stays absent
    with a warning naming what is missing and what is unknown because of it.
    """
    from reasoner.ingest.therapy_setting import derive_setting, missing_for_setting

    for i, therapy in enumerate(record.get("therapies") or []):
        if not isinstance(therapy, dict) or therapy.get("setting"):
            continue
        path = f"therapies[{i}].setting"
        derived = derive_setting(record, therapy)
        if derived is not None:
            therapy["setting"] = derived.setting
            c.add(
                path,
                None,
                f"{path} not given: derived as {derived.setting} because {derived.reason}. "
                "Give the setting if it differs.",
                Severity.WARNING,
            )
        else:
            c.add(
                path,
                None,
                f"{path} not given and not derivable (needs {missing_for_setting(record, therapy)}): "
                "the line of metastatic therapy and endocrine resistance are unknown, and options that "
                "depend on them are not offered (MISSING_DATA).",
                Severity.WARNING,
            )
