"""The result as typed values (issue 14): enums for status, reason codes and severities,
dataclasses for evidence and approvals, no class named like the builtin ``Warning``, and the
contract's JSON unchanged (``shared/spec/recommendation.md``)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import orjson
import pytest

import reasoner.result as result_module
from reasoner.result import (
    Approval,
    Evidence,
    Reason,
    ReasonCode,
    Result,
    ResultWarning,
    Severity,
    Status,
    ValidationEntry,
)

ROOT = Path(__file__).resolve().parents[2]
TYPICAL = ROOT / "examples/patients/hr-second-line-pik3ca.json"


def test_contract_codes_are_the_enums():
    # the spec's status values and reason codes, written from recommendation.md
    assert {s.value for s in Status} == {"ok", "invalid", "out_of_scope"}
    assert {c.value for c in ReasonCode} == {"CONTRAINDICATION", "PRIOR_PROGRESSION", "MISSING_DATA",
                                            "NOT_PREFERRED", "CRITERION_NOT_MET"}
    assert {s.value for s in Severity} == {"violation", "warning", "info"}


def test_a_result_is_typed_all_the_way(kb):
    result = kb.recommend(json.loads(TYPICAL.read_text()))
    assert result.status is Status.OK and result.status == "ok" and f"{result.status}" == "ok"
    assert result.options and result.excluded
    for option in result.options:
        assert option.evidence and all(isinstance(e, Evidence) for e in option.evidence)
        assert all(isinstance(a, Approval) for a in option.approvals)
    for item in result.excluded:
        assert all(isinstance(r.code, ReasonCode) for r in item.reasons)
    # the JSON is the contract's: plain strings and objects with the contract's keys in order
    data = json.loads(result.to_json())
    assert data == json.loads(orjson.dumps(result.to_dict()))
    evidence = data["options"][0]["evidence"][0]
    assert list(evidence) == ["source", "trial", "level"]
    assert list(data["options"][0]["approvals"][0]) == ["agency", "status", "date"]
    assert data["status"] == "ok"


def test_evidence_and_approvals_read_as_the_contract_objects():
    e = Evidence(source="ESO-ESMO ABC 5", trial="SOLAR-1", level="I, A")
    assert e["trial"] == "SOLAR-1" and e.get("level") == "I, A" and e.get("nope") is None
    assert dict(e) == {"source": "ESO-ESMO ABC 5", "trial": "SOLAR-1", "level": "I, A"}
    assert e == Evidence("ESO-ESMO ABC 5", "SOLAR-1", "I, A") and hash(e) == hash(Evidence(*e.values()))
    with pytest.raises(KeyError):
        e["agency"]
    a = Approval(agency="FDA", status="approved", date="2019-05-24")
    assert orjson.loads(orjson.dumps(a)) == {"agency": "FDA", "status": "approved", "date": "2019-05-24"}


def test_unknown_codes_fail_closed():
    with pytest.raises(ValueError, match="reason code"):
        Reason("NOT_A_REASON", "x")
    with pytest.raises(ValueError, match="status"):
        Result(patient="p", status="maybe", knowledge_base={}, classification={})
    with pytest.raises(ValueError, match="severity"):
        ValidationEntry("fatal", "x", "y")
    assert Reason("MISSING_DATA", "x").code is ReasonCode.MISSING_DATA
    assert ValidationEntry("violation", "x", "y").severity is Severity.VIOLATION


def test_no_class_shadows_the_builtin_warning():
    assert "Warning" not in result_module.__all__
    assert ResultWarning("ER_LOW", "t").to_dict() == {"code": "ER_LOW", "text": "t"}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert result_module.Warning is ResultWarning  # the 0.1 name still resolves, deprecated
    assert any(issubclass(w.category, DeprecationWarning) for w in caught)


def test_explain_is_typed(kb):
    from typing import get_type_hints

    from reasoner.engine import Engine
    from reasoner.result import model

    assert get_type_hints(Engine.explain)["return"] is model.Explanation
    out = kb.engine.explain(json.loads(TYPICAL.read_text()), "fulvestrant")
    assert out["rules"], "fulvestrant is part of recommendations in scope for this patient"
    assert set(out) <= set(model.Explanation.__annotations__)
    for rule in out["rules"]:
        assert set(rule) == set(model.RuleExplanation.__annotations__)
        for c in rule["criteria"]:
            assert set(c) == set(model.CriterionExplanation.__annotations__)
