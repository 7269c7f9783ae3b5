"""Read FHIR input (a Bundle, one resource, or NDJSON) into validated ``fhir.resources`` R4B models.

Only the resource types the mapping uses are validated; every other resource is listed in the
report as ignored. Validation errors become :class:`reasoner.errors.FhirError` naming the entry,
the resource and the element.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from reasoner.errors import FhirError

from .report import IgnoredEntry

__all__ = ["ParsedResource", "ParsedInput", "is_fhir", "parse_input", "MAPPED_TYPES"]

#: Resource types read by the mapping (validated with their R4B model).
MAPPED_TYPES = (
    "Patient",
    "Condition",
    "Observation",
    "MedicationStatement",
    "MedicationRequest",
    "MedicationAdministration",
    "Medication",
    "Procedure",
    "Specimen",
)
BUNDLE_TYPES = ("collection", "transaction", "searchset", "batch", "document", "history")
_FHIR_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")


@dataclass(frozen=True, eq=False)
class ParsedResource:
    """One validated resource with its location in the input."""

    index: int
    where: str
    full_url: str
    model: Any

    @property
    def rtype(self) -> str:
        """The resource type (``Observation``...)."""
        return self.model.get_resource_type()

    @property
    def ref(self) -> str:
        """``Type/id`` (or ``Type@entry`` when the resource has no id)."""
        rid = self.model.id
        return f"{self.rtype}/{rid}" if rid else f"{self.rtype}@{self.where}"


@dataclass(frozen=True)
class ParsedInput:
    """Validated resources of the mapped types, and what was skipped while reading."""

    resources: tuple[ParsedResource, ...]
    ignored: tuple[IgnoredEntry, ...]


def _looks_like_resource(obj: Any) -> bool:
    return isinstance(obj, dict) and isinstance(obj.get("resourceType"), str)


def _guarded_loads(text: str) -> Any:
    """``json.loads`` with the input limits of every reader (nesting, number size): FhirError, not a crash."""
    from reasoner.ingest.json_record import _depth_ok
    from reasoner.ingest.limits import MAX_DEPTH

    line = _depth_ok(text)
    if line is not None:
        raise FhirError(f"JSON nested more than {MAX_DEPTH} levels deep", where=f"line {line}")
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        raise
    except (ValueError, RecursionError) as exc:  # a number too long to convert
        raise FhirError(f"JSON cannot be read: {exc}") from None


def _decode(data: Any) -> Any:
    """JSON text/bytes -> Python; dicts pass through. NDJSON gives a list of dicts."""
    if isinstance(data, dict):
        return data
    if isinstance(data, (bytes, bytearray)):
        try:
            data = bytes(data).decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise FhirError(
                "input is not UTF-8 text", where=f"byte {exc.start}", hint="save the file as UTF-8"
            ) from exc
    if not isinstance(data, str):
        raise FhirError(
            f"expected a FHIR resource as dict, JSON text or NDJSON, got {type(data).__name__}",
            hint="pass a Bundle dict, its JSON text, or NDJSON of resources",
        )
    text = data.strip()
    if not text:
        raise FhirError("input is empty", hint="pass a FHIR Bundle or NDJSON of resources")
    try:
        return _guarded_loads(text)
    except json.JSONDecodeError as first:
        lines = [ln for ln in text.split("\n") if ln.strip()]
        if len(lines) < 2:
            raise FhirError(
                f"not valid JSON: {first.msg}",
                where=f"line {first.lineno} column {first.colno}",
                hint="check the JSON syntax",
            ) from first
        out = []
        for n, line in enumerate(text.split("\n"), start=1):
            if not line.strip():
                continue
            try:
                out.append(_guarded_loads(line))
            except json.JSONDecodeError as exc:
                raise FhirError(
                    f"not valid JSON or NDJSON: {exc.msg}",
                    where=f"line {n} column {exc.colno}",
                    hint="NDJSON needs one complete JSON resource per line",
                ) from exc
        return out


def is_fhir(data: Any) -> bool:
    """True when ``data`` (dict, JSON text/bytes, or NDJSON) holds FHIR resources.

    Detection is by content: a JSON object with a ``resourceType`` string, or NDJSON whose every
    non-empty line is such an object. Never raises.
    """
    try:
        decoded = _decode(data)
    except FhirError:
        return False
    except Exception:  # noqa: BLE001 - detection must never raise
        return False
    if isinstance(decoded, list):
        return bool(decoded) and all(_looks_like_resource(x) for x in decoded)
    return _looks_like_resource(decoded)


def _format_loc(loc: tuple[Any, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        else:
            parts.append(("." if parts else "") + str(item))
    return "".join(parts)


_CHOICE = re.compile(r"from this list \[([^\]]*)\]")


def _error_element(err: dict[str, Any]) -> str:
    """The element an error is about; choice-type errors (``loc == ()``) name ``value[x]``."""
    path = _format_loc(tuple(err.get("loc", ())))
    if path:
        return path
    m = _CHOICE.search(str(err.get("msg", "")))
    if m:
        names = [n.strip().strip("'\"") for n in m.group(1).split(",") if n.strip()]
        prefix = names[0] if names else ""
        for name in names[1:]:
            while not name.startswith(prefix):
                prefix = prefix[:-1]
        if prefix:
            return f"{prefix}[x]"
    return "(resource)"


def _clean_msg(msg: str) -> str:
    msg = re.sub(r"^Value error, ", "", str(msg))
    return msg.replace("Any of one field value is expected", "only one value is allowed")


def _validation_error(exc: ValidationError, where: str, ref: str) -> FhirError:
    errors = exc.errors()
    first = errors[0] if errors else {"loc": (), "msg": str(exc)}
    element = _error_element(first)
    extra = f"; {len(errors) - 1} more problem(s) in this resource" if len(errors) > 1 else ""
    value = first.get("input")
    shown = "" if isinstance(value, dict) else f" (got {value!r:.60})"
    return FhirError(
        f"{_clean_msg(first.get('msg', 'invalid'))}{shown}",
        where=f"{where} {ref} .{element}",
        hint=f"correct the element or leave the resource out{extra}",
    )


def _validate(raw: dict[str, Any], where: str) -> tuple[Any, FhirError | None]:
    from fhir.resources.R4B import get_fhir_model_class

    rtype = raw["resourceType"]
    ref = f"{rtype}/{raw.get('id')}" if raw.get("id") else rtype
    cls = get_fhir_model_class(rtype)
    try:
        return cls.model_validate(raw), None
    except ValidationError as exc:
        return None, _validation_error(exc, where, ref)
    except (TypeError, ValueError) as exc:
        return None, FhirError(str(exc), where=f"{where} {ref}", hint="correct the resource or leave it out")


def _entries(decoded: Any) -> tuple[list[tuple[str, str, Any]], list[IgnoredEntry]]:
    """(where, fullUrl, raw resource) triples from a Bundle, a single resource or NDJSON."""
    ignored: list[IgnoredEntry] = []
    if isinstance(decoded, list):
        out = []
        for n, item in enumerate(decoded, start=1):
            if not _looks_like_resource(item):
                raise FhirError("NDJSON line is not a FHIR resource (no resourceType)", where=f"line {n}")
            if item["resourceType"] == "Bundle":
                raise FhirError(
                    "a Bundle inside NDJSON is not supported",
                    where=f"line {n}",
                    hint="give resources one per line",
                )
            out.append((f"line {n}", "", item))
        return out, ignored
    if not _looks_like_resource(decoded):
        raise FhirError(
            "not a FHIR resource: no resourceType",
            where="(root)",
            hint="pass a Bundle (collection, transaction or searchset) or NDJSON of resources",
        )
    if decoded["resourceType"] != "Bundle":
        return [("(root)", "", decoded)], ignored
    return _bundle_entries(decoded, ignored), ignored


def _bundle_entries(bundle: dict[str, Any], ignored: list[IgnoredEntry]) -> list[tuple[str, str, Any]]:
    from fhir.resources.R4B.bundle import Bundle

    btype = bundle.get("type")
    if btype not in BUNDLE_TYPES:
        raise FhirError(
            f"unsupported Bundle.type {btype!r}",
            where="Bundle.type",
            hint=f"use one of {', '.join(BUNDLE_TYPES)}",
        )
    entries = bundle.get("entry", [])
    if not isinstance(entries, list):
        raise FhirError("Bundle.entry must be an array", where="Bundle.entry")
    bid = bundle.get("id")
    if bid is not None and not (isinstance(bid, str) and _FHIR_ID.match(bid)):
        ignored.append(IgnoredEntry("Bundle", f"Bundle.id {bid!r} is not a valid FHIR id; not used", "id"))
    envelope: dict[str, Any] = {"resourceType": "Bundle", "type": btype, "entry": []}
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise FhirError("entry must be an object", where=f"Bundle.entry[{i}]")
        envelope["entry"].append({k: v for k, v in entry.items() if k != "resource"})
    try:
        Bundle.model_validate(envelope)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise FhirError(
            _clean_msg(err.get("msg", "invalid")),
            where=f"Bundle.{_error_element(err)}",
            hint="correct the Bundle envelope",
        ) from exc
    out = []
    for i, entry in enumerate(entries):
        where = f"Bundle.entry[{i}]"
        search = entry.get("search") or {}
        resource = entry.get("resource")
        if resource is None:
            ignored.append(IgnoredEntry(where, "entry has no resource (request only)"))
            continue
        if not _looks_like_resource(resource):
            raise FhirError("entry.resource has no resourceType", where=f"{where}.resource")
        if isinstance(search, dict) and search.get("mode") == "outcome":
            ignored.append(IgnoredEntry(where, "search outcome (OperationOutcome), not patient data"))
            continue
        out.append((where, str(entry.get("fullUrl") or ""), resource))
    return out


def parse_input(data: Any) -> ParsedInput:
    """Decode and validate ``data``; raises :class:`FhirError` for malformed input."""
    decoded = _decode(data)
    raw_entries, ignored = _entries(decoded)
    parsed: list[ParsedResource] = []
    errors: list[FhirError] = []
    seen: dict[tuple[str, str], tuple[str, Any]] = {}
    for index, (where, full_url, raw) in enumerate(raw_entries):
        rtype = raw["resourceType"]
        rid = raw.get("id")
        ref = f"{rtype}/{rid}" if rid else rtype
        if rtype not in MAPPED_TYPES:
            ignored.append(
                IgnoredEntry(f"{where} {ref}", f"resource type {rtype} is not used by the mapping")
            )
            continue
        if rid is not None:
            key = (rtype, str(rid))
            if key in seen:
                first_where, first_raw = seen[key]
                if first_raw == raw:
                    ignored.append(IgnoredEntry(f"{where} {ref}", f"exact duplicate of {first_where}"))
                    continue
                ignored.append(
                    IgnoredEntry(
                        f"{where} {ref}", f"same id as {first_where} but different content; both read"
                    )
                )
            else:
                seen[key] = (where, raw)
        model, error = _validate(raw, where)
        if error is not None:
            errors.append(error)
            continue
        parsed.append(ParsedResource(index=index, where=where, full_url=full_url, model=model))
    if errors:
        first = errors[0]
        if len(errors) > 1:
            raise FhirError(
                first.message,
                where=first.where,
                hint=f"{first.hint}; {len(errors) - 1} other resource(s) are malformed too, first at {errors[1].where}",
            )
        raise first
    return ParsedInput(resources=tuple(parsed), ignored=tuple(ignored))
