"""How an acceptance case's ``expect`` is read (the acceptance README, as code).

Shared by the acceptance tests, the per-recommendation cases and the property-based invariants.
"""

from __future__ import annotations

import itertools
from typing import Any

__all__ = ["producible_sets", "can_produce", "check_expect", "check_invariants"]


def producible_sets(option: dict) -> set[frozenset[str]]:
    """Every drug set an option can produce by picking one drug from each component."""
    choices = [c["drugs"] for c in option["components"]]
    return {frozenset(combo) for combo in itertools.product(*choices)}


def can_produce(result: dict, drugs: list[str]) -> bool:
    target = frozenset(drugs)
    return any(target in producible_sets(o) for o in result["options"])


def check_expect(result: dict, expect: dict[str, Any]) -> list[str]:
    """The unmet expectations of an acceptance case (empty when the case passes)."""
    problems: list[str] = []
    if "status" in expect and result["status"] != expect["status"]:
        problems.append(f"status {result['status']!r} != {expect['status']!r}")
    for key, value in expect.get("classification", {}).items():
        if result["classification"].get(key) != value:
            problems.append(f"classification.{key} {result['classification'].get(key)!r} != {value!r}")
    for drugs in expect.get("include", []):
        if not can_produce(result, drugs):
            problems.append(f"no option produces {sorted(drugs)}")
    for group in expect.get("include_any", []):
        if not any(can_produce(result, drugs) for drugs in group):
            problems.append(f"no option produces any of {group}")
    for drugs in expect.get("exclude_sets", []):
        if can_produce(result, drugs):
            problems.append(f"an option produces the excluded set {sorted(drugs)}")
    offered = {d for o in result["options"] for c in o["components"] for d in c["drugs"]}
    for drug in expect.get("never_drugs", []):
        if drug in offered:
            problems.append(f"{drug} is offered")
    for drug in expect.get("offered_drugs", []):
        if drug not in offered:
            problems.append(f"{drug} is not offered")
    excluded = {d for e in result["excluded"] for d in e["drugs"]}
    for drug in expect.get("excluded_drugs", []):
        if drug not in excluded:
            problems.append(f"{drug} is not in excluded")
    for key in ("advice", "warnings"):
        codes = {item["code"] for item in result[key]}
        for code in expect.get(key, []):
            if code not in codes:
                problems.append(f"{key} lacks {code} (has {sorted(codes)})")
    if "path_contains" in expect and not any(expect["path_contains"] in v["path"] for v in result["validation"]):
        problems.append(f"no validation path contains {expect['path_contains']!r}")
    return problems


def check_invariants(result: dict, record: dict, drug_classes, contraindicated: set[str]) -> list[str]:
    """The invariants every result keeps (acceptance README)."""
    problems = []
    if result["status"] != "ok":
        if result["options"]:
            problems.append("non-ok status with options")
        if not result["validation"]:
            problems.append("non-ok status without validation entries")
        return problems
    # Progression shown by tumour markers or circulating tumour cells alone is not progression
    # (ESO-ESMO ABC 4: a marker change alone must not change treatment).
    marker = {"tumor_markers", "circulating_tumor_cells"}
    progressed = [
        frozenset(t.get("drugs") or []) for t in record.get("therapies") or []
        if (t.get("end_reason") == "progression" or t.get("progression_date"))
        and not (t.get("progression_basis") and set(t["progression_basis"]) <= marker)
    ]
    for option in result["options"]:
        drugs = {d for c in option["components"] for d in c["drugs"]}
        if any(drug_classes.is_endocrine(d) for d in drugs) and any(
            drug_classes.has(d, "CytotoxicChemotherapy") for d in drugs
        ):
            problems.append(f"{option['id']} combines endocrine therapy and chemotherapy")
        bad = drugs & contraindicated
        if bad:
            problems.append(f"{option['id']} offers contraindicated {sorted(bad)}")
        sets = producible_sets(option)
        for p in progressed:
            if p in sets:
                problems.append(f"{option['id']} repeats the progressed regimen {sorted(p)}")
    return problems
