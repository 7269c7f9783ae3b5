"""Hepatic (Child-Pugh) and renal function, and pregnancy by trimester (ontology/organs.ttl).

Expectations are written from the labels and the pregnancy guidance cited next to each test;
each test pairs the patient with the same patient without the fact, so it fails without the capability.
"""

from __future__ import annotations

from tests.clinical.make_cases import CAPE_PD, MET_DX, NEG, PAL_LET_PD, TN, early, metastatic

TN_EARLY = {"er_percent": 0, "pr_percent": 0, "her2_ihc": "0", "specimen": "primary", "tested_on": "2026-09-20"}


def run(kb, record):
    return kb.recommend({"id": "organs", **record}).to_dict()


def offered_drugs(result):
    return {d for o in result["options"] for c in o["components"] for d in c["drugs"]}


def cautions(result, drug):
    return [c for o in result["options"] if drug in {d for comp in o["components"] for d in comp["drugs"]}
            for c in o["cautions"]]


def removed(result, drug):
    return [r["text"] for e in result["excluded"] if e["id"] == "drug-" + drug.replace(" ", "-")
            for r in e["reasons"]]


# -- hepatic ------------------------------------------------------------------------------------
def test_child_pugh_b_blocks_anastrozole_and_gives_label_doses(kb):
    # Arimidex SmPC 4.3: moderate or severe hepatic disease is a contraindication.
    # Kisqali: Child-Pugh B/C start at 400 mg. Faslodex USPI 2: Child-Pugh B 250 mg.
    base = run(kb, metastatic())
    assert "anastrozole" in offered_drugs(base)
    r = run(kb, metastatic(child_pugh="B"))
    assert "anastrozole" not in offered_drugs(r) and "letrozole" in offered_drugs(r)
    assert any("400 mg" in c for c in cautions(r, "ribociclib"))
    assert any("250 mg" in c for c in cautions(r, "fulvestrant"))


def test_child_pugh_c_is_severe_hepatic_impairment(kb):
    # Ibrance USPI 2: Child-Pugh C 75 mg; Faslodex SmPC 4.3 severe hepatic impairment: contraindicated.
    r = run(kb, metastatic(child_pugh="C"))
    assert "fulvestrant" not in offered_drugs(r)
    assert any("75 mg" in c for c in cautions(r, "palbociclib"))
    same = run(kb, metastatic(conditions=["severe_hepatic_impairment"]))
    assert offered_drugs(same) == offered_drugs(r)


def test_child_pugh_is_validated(kb):
    r = run(kb, metastatic(child_pugh="D"))
    assert r["status"] == "invalid"
    assert any(v["path"] == "child_pugh" for v in r["validation"])


# -- renal ---------------------------------------------------------------------------------------
def test_bisphosphonates_by_creatinine_clearance(kb):
    # Zometa: not recommended below 30 mL/min; Aredia: not recommended in severe renal impairment;
    # Bondronat SmPC 4.2: 2 mg every 3-4 weeks below 30 mL/min. Denosumab needs no renal adjustment.
    bone = metastatic(labs={"crcl_ml_min": 25})
    r = run(kb, bone)
    assert not {"zoledronic acid", "pamidronate"} & offered_drugs(r)
    assert "denosumab" in offered_drugs(r)
    assert {"zoledronic acid", "pamidronate"} <= offered_drugs(run(kb, metastatic(labs={"crcl_ml_min": 80})))


def test_capecitabine_and_cisplatin_renal(kb):
    # Capecitabine: CrCl < 30 contraindicated (EU SmPC 4.3), 30-50 -> 75% dose; cisplatin CrCl < 60 avoid.
    tn = metastatic(receptors=dict(TN), metastatic=MET_DX, therapies=[
        {"drugs": ["paclitaxel"], "setting": "metastatic", "start": "2023-05-01", "end": "2026-09-25",
         "end_reason": "progression", "progression_basis": ["imaging"]}])
    assert "capecitabine" in offered_drugs(run(kb, tn))
    assert "capecitabine" not in offered_drugs(run(kb, {**tn, "labs": {"crcl_ml_min": 25}}))
    r = run(kb, {**tn, "labs": {"crcl_ml_min": 40}})
    assert any("75" in c for c in cautions(r, "capecitabine"))


# -- pregnancy -----------------------------------------------------------------------------------
def test_pregnancy_second_trimester_offers_anthracycline_taxane_chemotherapy(kb):
    # Amant et al. Lancet 2012; ESMO 2013: chemotherapy from 14 weeks; endocrine therapy,
    # CDK4/6 inhibitors and ADCs are contraindicated in pregnancy.
    pregnant = metastatic(age=36, menopausal_status="premenopausal", conditions=["pregnancy"], pregnancy_trimester=2)
    r = run(kb, pregnant)
    drugs = offered_drugs(r)
    assert drugs and drugs <= {"doxorubicin", "epirubicin", "paclitaxel", "docetaxel", "cyclophosphamide",
                               "fluorouracil"}
    assert "PREGNANCY" in {a["code"] for a in r["advice"]}
    assert "rec-m-preg-01" in {o["id"] for o in r["options"]}
    not_pregnant = run(kb, metastatic(age=36, menopausal_status="premenopausal"))
    assert "rec-m-preg-01" not in {o["id"] for o in not_pregnant["options"]}


def test_pregnancy_first_trimester_no_chemotherapy_but_an_explanation(kb):
    rec = early(age=33, menopausal_status="premenopausal", receptors=dict(TN_EARLY), conditions=["pregnancy"],
                pregnancy_trimester=1)
    r = run(kb, rec)
    assert r["options"] == []
    advice = {a["code"]: a["text"] for a in r["advice"]}
    assert "second trimester" in advice["PREGNANCY"]
    reasons = [x["text"] for e in r["excluded"] if e["id"] == "rec-e-preg-01" for x in e["reasons"]]
    assert any("first trimester" in t for t in reasons)
    r3 = run(kb, {**rec, "pregnancy_trimester": 3})
    assert "rec-e-preg-01" in {o["id"] for o in r3["options"]}
    assert "pembrolizumab" not in offered_drugs(r3)


def test_pregnancy_with_unknown_trimester_says_what_is_missing(kb):
    r = run(kb, metastatic(age=36, menopausal_status="premenopausal", conditions=["pregnancy"],
                           receptors=dict(TN), metastatic=MET_DX, therapies=[CAPE_PD], biomarkers=dict(NEG)))
    assert r["options"] == []
    assert "PREGNANCY" in {a["code"] for a in r["advice"]}
    assert any("pregnancy_trimester" in t for t in removed(r, "paclitaxel"))


def test_pregnancy_trimester_is_validated(kb):
    r = run(kb, metastatic(conditions=["pregnancy"], pregnancy_trimester=4, age=36,
                           menopausal_status="premenopausal"))
    assert r["status"] == "invalid"
    assert any(v["path"] == "pregnancy_trimester" for v in r["validation"])


def test_endocrine_and_targeted_options_return_without_pregnancy(kb):
    rec = metastatic(metastatic=MET_DX, therapies=[PAL_LET_PD])
    assert "fulvestrant" in offered_drugs(run(kb, rec))
    assert "fulvestrant" not in offered_drugs(run(kb, {**rec, "conditions": ["pregnancy"], "pregnancy_trimester": 2,
                                                        "age": 38, "menopausal_status": "premenopausal"}))
