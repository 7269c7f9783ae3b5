"""Validation results as values: a severity, a finding and the outcome of validating one record."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from reasoner.graph.triples import PatientTriples

__all__ = ["Severity", "Finding", "ValidationOutcome"]


class Severity(str, Enum):
    """How much a finding matters: a violation blocks reasoning, a warning is reported alongside."""

    VIOLATION = "violation"
    WARNING = "warning"
    INFO = "info"

    def __str__(self) -> str:  # the contract's value, as for the result's other enums
        return self.value

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {Severity.VIOLATION: 0, Severity.WARNING: 1, Severity.INFO: 2}


@dataclass(frozen=True)
class Finding:
    """One problem found in a record, pointing at the JSON field the user wrote."""

    severity: Severity
    path: str
    value: Any
    message: str
    shape: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "severity": self.severity.value,
            "path": self.path,
            "message": self.message,
            "value": self.value,
            "shape": self.shape,
        }

    def sort_key(self) -> tuple:
        return (self.severity.rank, self.path, self.shape or "", self.message)


@dataclass(frozen=True)
class ValidationOutcome:
    """The findings for one record, the normalised record and its patient graph.

    ``record`` and ``graph`` are None when the record's structure is broken (a structure
    violation: not an object, a wrong type, an unknown key, code or drug name ...).
    """

    findings: tuple[Finding, ...]
    record: dict | None = None
    graph: PatientTriples | None = field(default=None, compare=False, repr=False)  # .to_graph() for rdflib

    @property
    def violations(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.VIOLATION)

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.WARNING)

    @property
    def ok(self) -> bool:
        """True when there is no violation (warnings and information do not block)."""
        return not self.violations

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "findings": [f.to_dict() for f in self.findings]}
