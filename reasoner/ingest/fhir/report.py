"""Typed results of a FHIR import: the patient record plus a report of what was mapped, ignored or
found contradictory.

Everything here is a frozen value; only malformed input is an exception
(:class:`reasoner.errors.FhirError`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["MappingEntry", "IgnoredEntry", "ConflictEntry", "MissingEntry", "MappingReport", "FhirImport"]

#: Warning code used for every conflict when the report is turned into result warnings.
CONFLICT_WARNING_CODE = "FHIR_CONFLICT"
#: Warning code of a fact the mapping derived by a guideline rule (stated in the text), e.g. the
#: menopausal status from age or a bilateral oophorectomy.
DERIVED_WARNING_CODE = "FHIR_DERIVED"
#: Record fields whose derivation is also said on the result (not only in the report).
DERIVED_ON_RESULT = ("menopausal_status",)


@dataclass(frozen=True)
class MappingEntry:
    """One FHIR element that became one record field.

    ``inferred`` is empty when the value was read directly from coded data; otherwise it says
    in plain words what was inferred and from what (for example a therapy setting derived from
    dates, or a drug recognised from free text).
    """

    resource: str
    element: str
    code: str
    field: str
    value: Any
    inferred: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        out: dict[str, Any] = {
            "resource": self.resource,
            "element": self.element,
            "code": self.code,
            "field": self.field,
            "value": self.value,
        }
        if self.inferred:
            out["inferred"] = self.inferred
        return out


@dataclass(frozen=True)
class IgnoredEntry:
    """A resource (or one element of it) that was read but not used, and why."""

    resource: str
    reason: str
    element: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        out = {"resource": self.resource, "reason": self.reason}
        if self.element:
            out["element"] = self.element
        return out


@dataclass(frozen=True)
class ConflictEntry:
    """Two or more facts in the bundle that cannot all be true, or a fact that needs another one
    that is missing (for example a targeted drug without its biomarker)."""

    kind: str
    text: str
    resources: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return {"kind": self.kind, "text": self.text, "resources": list(self.resources)}


@dataclass(frozen=True)
class MissingEntry:
    """A record field the bundle does not give and the mapping could not derive, and what it needs
    (for example the disease setting, or the setting of one therapy)."""

    field: str
    needs: str

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return {"field": self.field, "needs": self.needs}


@dataclass(frozen=True)
class MappingReport:
    """What a FHIR import did: mapped elements, ignored resources, conflicts and missing facts."""

    mapped: tuple[MappingEntry, ...] = ()
    ignored: tuple[IgnoredEntry, ...] = ()
    conflicts: tuple[ConflictEntry, ...] = ()
    missing: tuple[MissingEntry, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form (``{"mapped": [...], "ignored": [...], "conflicts": [...], "missing": [...]}``)."""
        return {
            "mapped": [m.to_dict() for m in self.mapped],
            "ignored": [i.to_dict() for i in self.ignored],
            "conflicts": [c.to_dict() for c in self.conflicts],
            "missing": [m.to_dict() for m in self.missing],
        }

    def warnings(self) -> list[dict[str, str]]:
        """Result-ready warnings: every conflict (``FHIR_CONFLICT``) and every derivation of a
        field in :data:`DERIVED_ON_RESULT` (``FHIR_DERIVED``, the rule in the text)."""
        out = [{"code": CONFLICT_WARNING_CODE, "text": c.text} for c in self.conflicts]
        out += [
            {"code": DERIVED_WARNING_CODE, "text": f"{m.field} {m.value} derived from the FHIR data: {m.inferred}"}
            for m in self.mapped
            if m.field in DERIVED_ON_RESULT and m.inferred and m.value != "unknown"
        ]
        return out


@dataclass(frozen=True)
class FhirImport:
    """The outcome of :func:`reasoner.ingest.fhir.bundle_to_record`."""

    record: dict[str, Any]
    report: MappingReport
