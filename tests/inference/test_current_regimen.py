"""The current regimen and marker-only progression (issue 9), expectations from the sources.

ESO-ESMO ABC 4/5 [S1, S2]: endocrine-based therapy continues until progression or unacceptable
toxicity; response is evaluated by imaging/clinically, and a tumour-marker (or CTC) change alone
must not change treatment (II/C). Claessens 2020 [S52]: chemotherapy until progression or toxicity.
"""

from __future__ import annotations

import copy

import pytest

BASE = {
    "id": "cur", "as_of": "2026-11-01", "sex": "female", "age": 63, "menopausal_status": "postmenopausal",
    "setting": "metastatic",
    "receptors": {"er_percent": 90, "pr_percent": 40, "her2_ihc": "1+", "specimen": "metastasis",
                  "tested_on": "2025-05-01"},
    "metastatic": {"diagnosis_date": "2025-04-20", "de_novo": True, "sites": ["bone", "lung"],
                   "visceral_crisis": False, "life_threatening": False},
    "biomarkers": {"PIK3CA": "not_detected", "AKT1": "not_detected", "PTEN": "not_detected",
                   "ESR1": "not_detected", "gBRCA1": "not_detected", "gBRCA2": "not_detected"},
    "therapies": [{"drugs": ["letrozole", "palbociclib"], "setting": "metastatic", "start": "2025-05-10"}],
}


def record(**changes):
    out = copy.deepcopy(BASE)
    for key, value in changes.items():
        out[key] = value
    return out


def with_progression(basis, end=None):
    t = {"drugs": ["letrozole", "palbociclib"], "setting": "metastatic", "start": "2025-05-10",
         "progression_date": "2026-10-01", "progression_basis": basis}
    if end:
        t.update(end=end, end_reason="progression")
    return record(therapies=[t])


def codes(items):
    return {i["code"] for i in items}


def continuing(result):
    return [o for o in result["options"] if o.get("continue_current")]


def test_working_regimen_is_continued_first_and_nothing_else_anticancer(kb):
    r = kb.recommend(record()).to_dict()
    assert r["options"][0].get("continue_current") is True
    cont = r["options"][0]
    assert [c["drugs"] for c in cont["components"]] == [["letrozole"], ["palbociclib"]]
    assert cont["intent"] == "anticancer" and cont["preference"] == "preferred"
    assert "continue until progression or unacceptable toxicity" in cont["rationale"]
    assert any("ABC" in (e["level"] or "") for e in cont["evidence"])
    assert all(o["intent"] != "anticancer" for o in r["options"][1:])
    assert all("continue_current" not in o for o in r["options"][1:])
    superseded = [e for e in r["excluded"] if "NOT_PREFERRED" in codes(e["reasons"])]
    assert any("fulvestrant" in e["drugs"] for e in superseded)
    assert r["classification"]["line"] == 1


@pytest.mark.parametrize("basis", [["tumor_markers"], ["circulating_tumor_cells"],
                                   ["tumor_markers", "circulating_tumor_cells"]])
def test_marker_only_progression_changes_nothing(kb, basis):
    plain = kb.recommend(record()).to_dict()
    r = kb.recommend(with_progression(basis)).to_dict()
    assert r["classification"] == plain["classification"]  # line, endocrine resistance unchanged
    assert {o["id"] for o in r["options"]} == {o["id"] for o in plain["options"]}
    assert continuing(r)
    assert "CONFIRM_PROGRESSION" in codes(r["advice"])
    assert "TUMOR_MARKER_ONLY_PROGRESSION" in codes(r["warnings"])
    assert "CONTINUING_AFTER_PROGRESSION" not in codes(r["warnings"])
    assert not any(e["id"].startswith("drug-") for e in r["excluded"])


@pytest.mark.parametrize("basis", [["imaging"], ["clinical"], ["imaging", "tumor_markers"]])
def test_documented_progression_on_the_current_regimen_ends_it(kb, basis):
    r = kb.recommend(with_progression(basis)).to_dict()
    assert not continuing(r)
    assert "CONTINUING_AFTER_PROGRESSION" in codes(r["warnings"])
    assert "CONFIRM_PROGRESSION" not in codes(r["advice"])
    assert r["classification"]["line"] == 2
    excluded = {e["id"]: codes(e["reasons"]) for e in r["excluded"]}
    assert "PRIOR_PROGRESSION" in excluded["rec-continue-current"]
    assert any(o["intent"] == "anticancer" for o in r["options"])


def test_no_ongoing_regimen_no_continue_rule(kb):
    t = dict(BASE["therapies"][0], end="2026-09-01", end_reason="completed")
    r = kb.recommend(record(therapies=[t])).to_dict()
    assert not continuing(r)
    assert "rec-continue-current" not in {e["id"] for e in r["excluded"]}


def test_ongoing_adjuvant_therapy_at_metastatic_relapse_is_not_current(kb):
    adj = {"drugs": ["anastrozole"], "setting": "adjuvant", "start": "2024-01-10"}
    r = kb.recommend(record(therapies=[adj], metastatic=dict(BASE["metastatic"], de_novo=False))).to_dict()
    assert not continuing(r)


def test_ongoing_bone_agent_alone_is_not_a_regimen_to_continue(kb):
    bone = {"drugs": ["denosumab"], "setting": "metastatic", "start": "2025-05-10"}
    r = kb.recommend(record(therapies=[bone])).to_dict()
    assert not continuing(r)
    assert any(o["intent"] == "anticancer" for o in r["options"])


def test_current_regimen_contraindicated_is_warned_and_not_continued(kb):
    t = {"drugs": ["letrozole", "ribociclib"], "setting": "metastatic", "start": "2025-05-10"}
    r = kb.recommend(record(therapies=[t], labs={"qtcf_ms": 490})).to_dict()
    assert "CURRENT_REGIMEN_CONTRAINDICATED" in codes(r["warnings"])
    assert not continuing(r)
    assert "ribociclib" not in {d for o in r["options"] for c in o["components"] for d in c["drugs"]}


def test_current_et_with_chemo_is_warned_even_without_dates(kb):
    r = kb.recommend(record(therapies=[{"drugs": ["anastrozole"], "setting": "metastatic"},
                                       {"drugs": ["paclitaxel"], "setting": "metastatic"}])).to_dict()
    assert "CURRENT_ET_CHEMO_COMBINATION" in codes(r["warnings"])
    assert not continuing(r)


def test_drug_she_is_on_is_not_already_given(kb):
    """Premenopausal, on palbociclib + letrozole without ovarian suppression: not continued as it is,
    and the LHRH-agonist version with palbociclib is offered (ABC: AI only with OFS before menopause)."""
    r = kb.recommend(record(menopausal_status="premenopausal", age=44)).to_dict()
    assert not continuing(r)
    sets = [frozenset(d for c in o["components"] for d in c["drugs"]) for o in r["options"]]
    assert any({"palbociclib", "letrozole"} <= s and s & {"goserelin", "leuprorelin", "triptorelin"} for s in sets)


def test_early_ongoing_adjuvant_et_keeps_add_ons_only(kb):
    rec = {
        "id": "cur-early", "as_of": "2026-11-01", "sex": "female", "age": 63,
        "menopausal_status": "postmenopausal", "setting": "early",
        "receptors": {"er_percent": 95, "pr_percent": 60, "her2_ihc": "0", "specimen": "primary"},
        "early": {"t": "T2", "n": "N2", "nodes_positive": 5, "tumor_size_mm": 30, "grade": 2},
        "biomarkers": {"gBRCA1": "not_detected", "gBRCA2": "not_detected"},
        "therapies": [{"drugs": ["letrozole"], "setting": "adjuvant", "start": "2026-02-01"}],
    }
    r = kb.recommend(rec).to_dict()
    assert continuing(r) and continuing(r)[0]["components"][0]["drugs"] == ["letrozole"]
    drugs = {d for o in r["options"] if o["intent"] == "anticancer" for c in o["components"] for d in c["drugs"]}
    assert "abemaciclib" in drugs  # monarchE: abemaciclib added to the endocrine therapy she is on
    assert not drugs & {"anastrozole", "exemestane", "tamoxifen"}  # no switch of endocrine therapy
