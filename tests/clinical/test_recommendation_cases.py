"""Per-recommendation clinical cases: every recommendation can be offered, and can be ruled out.

Each ``cases/<rec-id>.json`` holds cases in the acceptance format (``id``, ``record``, ``expect``)
with extra ``expect`` keys: ``offered_ids`` (option ids that must be offered),
``excluded_ids`` (``{id: [reason codes]}``: the id must be in ``excluded`` with each code),
``preference`` (``{id: "preferred"|"alternative"}`` of an offered option), ``caution_contains``
(``{id: text}``: a caution of the offered option contains the text) and ``ranked_before``
(``[[a, b], ...]``: option ``a`` is listed before option ``b``).
``jurisdiction`` (optional) is passed to ``recommend``. Regenerate with
``python -m tests.clinical.make_cases``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.acceptance.expectations import check_expect, check_invariants

CASES_DIR = Path(__file__).parent / "cases"
FILES = sorted(CASES_DIR.glob("*.json"))


def _load():
    out = []
    for path in FILES:
        data = json.loads(path.read_text())
        for case in data["cases"]:
            out.append((data["recommendation"], case))
    return out


CASES = _load()


def check_ids(result: dict, expect: dict) -> list[str]:
    problems = []
    offered = {o["id"] for o in result["options"]}
    for rid in expect.get("offered_ids", []):
        if rid not in offered:
            reasons = [e["reasons"] for e in result["excluded"] if e["id"] == rid]
            problems.append(f"{rid} is not offered (excluded with {reasons})")
    excluded = {e["id"]: {r["code"] for r in e["reasons"]} for e in result["excluded"]}
    for rid, codes in expect.get("excluded_ids", {}).items():
        if rid in offered:
            problems.append(f"{rid} is offered but should be excluded with {codes}")
        elif rid not in excluded:
            problems.append(f"{rid} is neither offered nor in excluded")
        else:
            missing = set(codes) - excluded[rid]
            if missing:
                problems.append(f"{rid} excluded with {sorted(excluded[rid])}, expected also {sorted(missing)}")
    by_id = {o["id"]: o for o in result["options"]}
    for rid, pref in expect.get("preference", {}).items():
        if rid in by_id and by_id[rid]["preference"] != pref:
            problems.append(f"{rid} has preference {by_id[rid]['preference']!r}, expected {pref!r}")
    for rid, text in expect.get("caution_contains", {}).items():
        if rid in by_id and not any(text in c for c in by_id[rid]["cautions"]):
            problems.append(f"{rid} has no caution containing {text!r}: {by_id[rid]['cautions']}")
    order = [o["id"] for o in result["options"]]
    for first, later in expect.get("ranked_before", []):
        if first in order and later in order and order.index(first) > order.index(later):
            problems.append(f"{first} should be listed before {later}")
    return problems


def test_every_recommendation_has_an_eligible_and_a_ruled_out_case(kb):
    recs = {r.id for r in kb.rules.values() if r.kind == "Recommendation"}
    eligible = {rid for _, c in CASES for rid in c["expect"].get("offered_ids", [])}
    ruled_out = {rid for _, c in CASES for rid in c["expect"].get("excluded_ids", {})}
    assert not recs - eligible, f"recommendations without an eligible case: {sorted(recs - eligible)}"
    assert not recs - ruled_out, f"recommendations without a ruled-out case: {sorted(recs - ruled_out)}"
    assert {p.stem for p in FILES} <= recs, f"case files for unknown recommendations: {sorted({p.stem for p in FILES} - recs)}"


@pytest.mark.parametrize("rec_id,case", CASES, ids=[c["id"] for _, c in CASES])
def test_recommendation_case(kb, blocked_drugs, rec_id, case):
    result = kb.recommend(case["record"], jurisdiction=case.get("jurisdiction")).to_dict()
    problems = check_expect(result, case["expect"]) + check_ids(result, case["expect"])
    problems += check_invariants(result, case["record"], kb.drug_classes, blocked_drugs(case["record"]))
    assert not problems, f"{case['id']} ({case['note']}): {problems}"
