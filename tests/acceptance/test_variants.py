"""Variant acceptance cases: other patients of the acceptance families (tests/acceptance/variants).

Each JSON is one case in the acceptance format (``record`` + ``expect``), with expectations derived
from the reference (clinical-therapies.md) and the result contract, not from the reasoner's output.
A case whose expectation is right but not yet met carries ``"xfail": "<reason>"`` and runs as a
strict xfail, so fixing the defect turns it into a failure that asks for the key to be removed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.acceptance.expectations import check_expect, check_invariants

VARIANTS = sorted((Path(__file__).parent / "variants").glob("*.json"))


def _params():
    for path in VARIANTS:
        case = json.loads(path.read_text())
        marks = [pytest.mark.xfail(strict=True, reason=case["xfail"])] if case.get("xfail") else []
        yield pytest.param(path, id=path.stem, marks=marks)


def test_variants_collected():
    assert len(VARIANTS) >= 100
    families = {json.loads(p.read_text())["family"] for p in VARIANTS}
    assert len(families) >= 13


@pytest.mark.parametrize("path", list(_params()))
def test_variant_case(kb, blocked_drugs, path):
    case = json.loads(path.read_text())
    result = kb.recommend(case["record"]).to_dict()
    problems = check_expect(result, case["expect"])
    problems += check_invariants(result, case["record"], kb.drug_classes, blocked_drugs(case["record"]))
    assert not problems, f"{case['id']}: {problems}"
