"""The Python API applies the same limits as the readers: hostile values are findings (issue 10)."""

from __future__ import annotations

import json

import pytest

import reasoner
from reasoner.textsafe import json_dumps
from tests.failclosed.hostile import record


@pytest.mark.parametrize("value, path", [
    (record(age=10**100000), "age"),
    (record(id="\ud800"), "id"),
    (record(x_numbers=[0.5] * 1_000_000), "x_numbers"),
    (record(x_deep=json.loads("[" * 100 + "]" * 100)), "x_deep"),
    (record(**{"x_\udfff": 1}), ""),
    (10**100000, ""),
    ("\udc80", ""),
], ids=["int-10^100000", "lone-surrogate-id", "10^6-numbers", "depth-100", "surrogate-key", "bare-int", "bare-surrogate"])
def test_hostile_values_are_invalid_results_not_exceptions(value, path):
    result = reasoner.recommend(value)
    assert result.status == "invalid"
    assert any(v.path.startswith(path) and v.severity == "violation" for v in result.validation), result.validation
    json_dumps(result.to_dict()).encode("utf-8")
    outcome = reasoner.validate(value)
    assert not outcome.ok
