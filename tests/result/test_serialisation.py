"""The fast serialisation (``Result.to_json``, the batch's JSON lines) says exactly what ``to_dict`` says."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest

from reasoner.batch import result_line
from reasoner.cohort.synthetic import generate
from reasoner.result.model import OptionComponent

REPO = Path(__file__).resolve().parents[2]
CASES = sorted((REPO / "tests/acceptance/cases").glob("*.json"))
VARIANTS = sorted((REPO / "tests/acceptance/variants").glob("*.json"))


def _records():
    for path in CASES + VARIANTS:
        yield json.loads(path.read_text())["record"]
    for path in sorted((REPO / "examples/patients").glob("*.json")):
        yield json.loads(path.read_text())
    yield from generate(300, seed=3)


@pytest.fixture(scope="module")
def results(kb):
    records = list(_records())
    return kb.engine.run(records) + kb.engine.run(records[:40], jurisdiction="US")


def test_to_json_is_to_dict_serialised(results):
    statuses = set()
    for result in results:
        assert result.to_json() == orjson.dumps(result.to_dict())
        assert json.loads(result.to_json()) == result.to_dict()
        statuses.add(result.status)
    assert statuses == {"ok", "invalid", "out_of_scope"}
    # components with and without dosing both occur, and only dosed ones carry the key
    components = [c for r in results for o in r.to_dict()["options"] for c in o["components"]]
    assert any("dosing" in c for c in components) and any("dosing" not in c for c in components)


def test_batch_line_is_the_contract_plus_input(results):
    for result in results[:50]:
        data = orjson.loads(result_line("cohort.jsonl:7", result))
        assert list(data)[-1] == "input" and data.pop("input") == "cohort.jsonl:7"
        assert data == result.to_dict()


def test_option_component_is_an_immutable_value():
    a = OptionComponent("SERD", ("fulvestrant",), "500 mg")
    assert a == OptionComponent("SERD", ("fulvestrant",), "500 mg") and len({a, OptionComponent(*a._key())}) == 1
    assert a != OptionComponent("SERD", ("fulvestrant",))
    with pytest.raises(AttributeError):
        a.role = "AI"
    assert OptionComponent("AI", ("letrozole",)).to_dict() == {"role": "AI", "drugs": ["letrozole"]}
    import pickle

    assert pickle.loads(pickle.dumps(a)) == a
