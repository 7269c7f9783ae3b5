"""Fail closed on a blocking contraindication that cannot be checked: its threshold tests a value the
record does not give, and unknown is never read as "below the threshold".

Expectations come from the labels the contraindications cite: Kisqali (ribociclib) US label section
5: initiate only if QTcF is below 450 ms, so a ribociclib option without a QTcF names it, whether
ribociclib would be started or is continued; Piqray (alpelisib): SOLAR-1 excluded HbA1c above 6.4%,
so an alpelisib option without an HbA1c names it. With the value recorded (QTcF 430 ms, HbA1c
5.5%), there is nothing missing to name."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

import reasoner
from reasoner.engine import Engine

ROOT = Path(__file__).resolve().parents[2]
BASE = json.loads((ROOT / "examples/patients/hr-first-line-postmenopausal.json").read_text())
DX = BASE["metastatic"]["diagnosis_date"]


def record(labs: dict, therapies: list | None = None, **extra) -> dict:
    rec = copy.deepcopy(BASE)
    rec["labs"] = labs
    if therapies is not None:
        rec["therapies"] = therapies
    rec.update(extra)
    return rec


def not_checked(option: dict, what: str) -> list[str]:
    """The option's caution naming ``what`` as not recorded (one caution per option names them all)."""
    found = [c for c in option.get("cautions", []) if " not recorded: " in c
             and "cannot be checked (an unknown value is not read as normal)" in c]
    assert len(found) <= 1, found
    return [c for c in found if what.lower() in c.split(" not recorded: ")[0].lower()]


def options_with(result: dict, drug: str) -> list[dict]:
    return [o for o in result["options"] if any(drug in c["drugs"] for c in o["components"])]


@pytest.mark.parametrize("evaluator", ["fastpath", "sparql"])
def test_ribociclib_without_qtcf_names_it_on_every_ribociclib_option(kb, evaluator):
    result = Engine(kb, evaluator=evaluator).run([record({"crcl_ml_min": 75})])[0].to_dict()
    ribociclib = options_with(result, "ribociclib")
    assert ribociclib, "ribociclib + an aromatase inhibitor is a first-line option (MONALEESA-2)"
    for option in ribociclib:
        assert len(not_checked(option, "QTcF")) == 1, option["id"]
    for option in result["options"]:
        if option not in ribociclib:
            assert not not_checked(option, "QTcF"), option["id"]


def test_a_recorded_qtcf_leaves_nothing_to_name():
    result = reasoner.recommend(record({"crcl_ml_min": 75, "qtcf_ms": 430})).to_dict()
    assert options_with(result, "ribociclib")
    assert not any(not_checked(o, "QTcF") for o in result["options"])


def test_the_continued_ribociclib_regimen_names_a_missing_qtcf():
    ongoing = [{"drugs": ["ribociclib", "letrozole"], "setting": "metastatic", "start": DX}]
    result = reasoner.recommend(record({"crcl_ml_min": 75}, ongoing)).to_dict()
    (continued,) = [o for o in result["options"] if o.get("continue_current")]
    assert len(not_checked(continued, "QTcF")) == 1
    recorded = reasoner.recommend(record({"crcl_ml_min": 75, "qtcf_ms": 430}, ongoing)).to_dict()
    (continued,) = [o for o in recorded["options"] if o.get("continue_current")]
    assert not not_checked(continued, "QTcF")


def test_alpelisib_without_hba1c_names_it():
    second_line = json.loads((ROOT / "examples/patients/hr-second-line-pik3ca.json").read_text())
    second_line["labs"] = {k: v for k, v in second_line.get("labs", {}).items() if k != "hba1c_percent"}
    result = reasoner.recommend(second_line).to_dict()
    alpelisib = options_with(result, "alpelisib")
    assert alpelisib, "alpelisib + fulvestrant for PIK3CA-mutated disease after an aromatase inhibitor (SOLAR-1)"
    assert all(not_checked(o, "HbA1c") for o in alpelisib)
    second_line["labs"]["hba1c_percent"] = 5.5
    result = reasoner.recommend(second_line).to_dict()
    assert not any(not_checked(o, "HbA1c") for o in options_with(result, "alpelisib"))
