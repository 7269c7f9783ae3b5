"""Precise words (issue 9): cautions only where they apply, advice only when needed, no
classification that was not made, an unverified approval never shown as approved."""

from __future__ import annotations

import copy

BASE = {
    "id": "words", "as_of": "2026-11-01", "sex": "female", "age": 66, "menopausal_status": "postmenopausal",
    "setting": "metastatic",
    "receptors": {"er_percent": 90, "pr_percent": 40, "her2_ihc": "1+", "specimen": "metastasis",
                  "tested_on": "2026-10-05"},
    "metastatic": {"diagnosis_date": "2026-10-01", "de_novo": True, "sites": ["bone", "liver"],
                   "visceral_crisis": False, "life_threatening": False},
    "biomarkers": {"PIK3CA": "not_detected", "AKT1": "not_detected", "PTEN": "not_detected",
                   "ESR1": "not_detected", "gBRCA1": "not_detected", "gBRCA2": "not_detected"},
}


def record(**changes):
    out = copy.deepcopy(BASE)
    out.update(changes)
    return out


def cautions(result):
    return [c for o in result["options"] for c in o["cautions"]]


def facet_cautions(result: dict) -> list[str]:
    """The criteria's unknown-fact cautions (not the labs an unchecked contraindication names)."""
    return [c for c in cautions(result) if "not recorded" in c and "cannot be checked" not in c]


def test_visceral_crisis_caution_only_when_that_fact_is_missing(kb):
    both = kb.recommend(record()).to_dict()
    assert not facet_cautions(both)
    only_crisis = record(metastatic={**BASE["metastatic"], "life_threatening": None})
    del only_crisis["metastatic"]["life_threatening"]
    r = kb.recommend(only_crisis).to_dict()
    texts = facet_cautions(r)
    assert texts and all("life-threatening" in c.lower() and "visceral crisis" not in c.lower() for c in texts)
    no_crisis = record(metastatic={k: v for k, v in BASE["metastatic"].items() if k != "visceral_crisis"})
    texts = facet_cautions(kb.recommend(no_crisis).to_dict())
    assert texts and all(c.startswith("Visceral crisis not recorded") for c in texts)


def test_mens_lhrh_caution_only_for_men_and_only_with_an_aromatase_inhibitor(kb, ):
    woman = kb.recommend(record()).to_dict()
    assert not [c for c in cautions(woman) if c.startswith("Men:")]
    man = record(sex="male")
    del man["menopausal_status"]
    r = kb.recommend(man).to_dict()
    ais = {"anastrozole", "letrozole", "exemestane"}
    for option in r["options"]:
        drugs = {d for c in option["components"] for d in c["drugs"]}
        has_caution = any(c.startswith("Men:") for c in option["cautions"])
        assert has_caution == bool(drugs & ais), option["id"]


def test_no_rebiopsy_when_the_recurrence_itself_was_biopsied(kb):
    def advice(rec):
        return {a["code"] for a in kb.recommend(rec).to_dict()["advice"]}
    assert "REBIOPSY" not in advice(record())
    assert "REBIOPSY" not in advice(record(receptors={**BASE["receptors"], "specimen": "recurrence"}))
    assert "REBIOPSY" in advice(record(receptors={**BASE["receptors"], "specimen": "primary"}))


def test_out_of_scope_carries_no_classification(kb):
    r = kb.recommend(record(receptors={**BASE["receptors"], "her2_ihc": "3+"})).to_dict()
    assert r["status"] == "out_of_scope"
    assert all(v is None for v in r["classification"].values()), r["classification"]


def test_unverified_approval_is_never_shown_as_approved(kb):
    unverified = [(rule.id, a) for rule in kb.rules.values() for a in rule.approvals if a["status"] == "unverified"]
    assert unverified, "the knowledge base marks some approvals unverified"
    # palbociclib + AI with an LHRH agonist: the US label covers men, not premenopausal women
    rule = kb.rules[kb.term("rec-m-hr-02-ofs")]
    fda = [a for a in rule.approvals if a["agency"] == "FDA"]
    assert fda and all(a["status"] != "approved" for a in fda)


def test_jurisdiction_filter_does_not_count_an_unverified_approval(kb):
    man = record(sex="male")
    del man["menopausal_status"]
    r = kb.recommend(man, jurisdiction="US").to_dict()
    offered = {o["id"] for o in r["options"]}
    assert "rec-m-hr-02-ofs" not in offered  # FDA approval recorded but unverified
    reasons = [x["text"] for e in r["excluded"] if e["id"] == "rec-m-hr-02-ofs" for x in e["reasons"]]
    assert any("not verified" in t for t in reasons)
    assert "rec-m-hr-01-ofs" in offered  # a verified FDA approval
    assert "rec-m-hr-03-ofs" in offered  # abemaciclib + AI: the label says adult patients (verified, no date)
    assert "rec-m-hr-02-ofs" in {o["id"] for o in kb.recommend(man).to_dict()["options"]}
