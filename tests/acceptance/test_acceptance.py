"""The acceptance cases of ../shared/acceptance (copied here so the project stands on its own)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.acceptance.expectations import check_expect, check_invariants

CASES = sorted((Path(__file__).parent / "cases").glob("*.json"))


def test_all_cases_collected():
    assert len(CASES) >= 14


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_acceptance_case(kb, path):
    case = json.loads(path.read_text())
    result = kb.recommend(case["record"]).to_dict()
    problems = check_expect(result, case["expect"])
    assert not problems, f"{case['id']}: {problems}\n{json.dumps(result, indent=1)[:4000]}"


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_acceptance_invariants(kb, path, blocked_drugs):
    case = json.loads(path.read_text())
    result = kb.recommend(case["record"]).to_dict()
    problems = check_invariants(result, case["record"], kb.drug_classes, blocked_drugs(case["record"]))
    assert not problems, problems
