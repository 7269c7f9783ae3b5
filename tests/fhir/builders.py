"""Tiny builders of FHIR R4 resources for the tests (plain dicts)."""

from __future__ import annotations

from typing import Any

LOINC = "http://loinc.org"
SCT = "http://snomed.info/sct"
RXN = "http://www.nlm.nih.gov/research/umls/rxnorm"


def cc(system: str | None, code: str | None, display: str = "", text: str = "") -> dict[str, Any]:
    """A CodeableConcept."""
    out: dict[str, Any] = {}
    if code:
        out["coding"] = [{"system": system, "code": code, **({"display": display} if display else {})}]
    if text:
        out["text"] = text
    return out


def patient(pid: str = "p1", gender: str = "female", birth: str = "1960-05-01") -> dict[str, Any]:
    """A Patient."""
    return {"resourceType": "Patient", "id": pid, "gender": gender, "birthDate": birth}


def obs(
    oid: str,
    code: dict[str, Any],
    value: dict[str, Any] | None = None,
    date: str | None = "2020-01-10",
    **extra: Any,
) -> dict[str, Any]:
    """An Observation about Patient/p1."""
    res: dict[str, Any] = {
        "resourceType": "Observation",
        "id": oid,
        "status": "final",
        "code": code,
        "subject": {"reference": "Patient/p1"},
    }
    if date:
        res["effectiveDateTime"] = date
    res.update(value or {})
    res.update(extra)
    return res


def condition(cid: str, code: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """A confirmed Condition of Patient/p1."""
    return {
        "resourceType": "Condition",
        "id": cid,
        "code": code,
        "subject": {"reference": "Patient/p1"},
        **extra,
    }


def med_statement(
    mid: str, concept: dict[str, Any], status: str = "completed", **extra: Any
) -> dict[str, Any]:
    """A MedicationStatement of Patient/p1."""
    return {
        "resourceType": "MedicationStatement",
        "id": mid,
        "status": status,
        "medicationCodeableConcept": concept,
        "subject": {"reference": "Patient/p1"},
        **extra,
    }


def bundle(*resources: dict[str, Any], btype: str = "collection") -> dict[str, Any]:
    """A Bundle holding ``resources``."""
    return {
        "resourceType": "Bundle",
        "type": btype,
        "entry": [{"fullUrl": f"urn:uuid:{r['id']}", "resource": r} for r in resources],
    }
