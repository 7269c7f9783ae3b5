"""The setting of a therapy that the record does not give, derived from its dates.

The contract does not require ``therapies[].setting``: absent means unknown. Where the record holds
the facts, the setting follows from when the therapy started relative to the disease:

1. ``metastatic.de_novo`` is true: there was no early-disease phase, so every therapy was given
   for ``metastatic`` disease.
2. The therapy started on or after ``metastatic.diagnosis_date``: ``metastatic``.
3. The therapy started before ``metastatic.diagnosis_date``, or the record is in the ``early``
   setting (no metastatic disease yet): it was given for early disease, before or after surgery.
   The record cannot tell which, so it is written ``adjuvant``; the reasoner treats neoadjuvant and
   adjuvant therapy alike (ESO-ESMO ABC: relapse relative to (neo)adjuvant treatment).
4. Anything else (a metastatic record without a diagnosis date and not de novo, a locoregional
   recurrence, a therapy without a start date) stays unknown: the line of therapy and endocrine
   resistance that depend on it are then unknown too (``MISSING_DATA``).

One function, used by JSON validation and by the FHIR mapper, so both state the same rule.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["DerivedSetting", "RULE", "derive_setting", "missing_for_setting"]

#: The rule in one sentence, for documentation, warnings and the FHIR mapping report.
RULE = (
    "a therapy without a setting is metastatic when the disease was metastatic at diagnosis (de novo) "
    "or it started on or after the metastatic diagnosis date, and early-disease (recorded as adjuvant; "
    "neoadjuvant and adjuvant are reasoned over alike) when it started before that date or the record "
    "is in the early setting; otherwise it stays unknown"
)


@dataclass(frozen=True)
class DerivedSetting:
    """A derived therapy setting and the reason, in words."""

    setting: str
    reason: str


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def derive_setting(record: Mapping[str, Any], therapy: Mapping[str, Any]) -> DerivedSetting | None:
    """The setting of ``therapy`` by the rule of this module, or None when it cannot be told.

    ``record`` supplies ``setting``, ``metastatic.de_novo`` and ``metastatic.diagnosis_date``;
    ``therapy`` its ``start``. A therapy that already has a setting is not looked at (returns None).
    """
    if therapy.get("setting"):
        return None
    setting = record.get("setting")
    metastatic = record.get("metastatic") if isinstance(record.get("metastatic"), Mapping) else {}
    start = _date(therapy.get("start"))
    if setting == "metastatic" and metastatic.get("de_novo") is True:
        return DerivedSetting("metastatic", "the disease was metastatic at diagnosis (metastatic.de_novo)")
    diagnosis = _date(metastatic.get("diagnosis_date")) if setting == "metastatic" else None
    if diagnosis is not None and start is not None:
        if start >= diagnosis:
            return DerivedSetting(
                "metastatic", f"started {start} on or after the metastatic diagnosis ({diagnosis})"
            )
        return DerivedSetting(
            "adjuvant",
            f"started {start} before the metastatic diagnosis ({diagnosis}): early-disease therapy, "
            "recorded as adjuvant (neoadjuvant and adjuvant are reasoned over alike)",
        )
    if setting == "early":
        as_of = _date(record.get("as_of"))
        if start is None or as_of is None or start <= as_of:
            return DerivedSetting(
                "adjuvant",
                "the disease is early (no metastatic disease recorded): early-disease therapy, recorded "
                "as adjuvant (neoadjuvant and adjuvant are reasoned over alike)",
            )
    return None


def missing_for_setting(record: Mapping[str, Any], therapy: Mapping[str, Any]) -> str:
    """What the record would need for the setting of ``therapy`` to be derived (for messages)."""
    setting = record.get("setting")
    metastatic = record.get("metastatic") if isinstance(record.get("metastatic"), Mapping) else {}
    if setting is None:
        return "the disease setting (early or metastatic)"
    if setting == "locoregional_recurrence":
        return "the therapy setting itself (a locoregional recurrence has no recurrence date to compare with)"
    if setting == "metastatic":
        needs = []
        if not metastatic.get("diagnosis_date"):
            needs.append("metastatic.diagnosis_date (or metastatic.de_novo true)")
        if not therapy.get("start"):
            needs.append("the therapy's start date")
        return " and ".join(needs) or "the therapy setting"
    return "the therapy's start date"
