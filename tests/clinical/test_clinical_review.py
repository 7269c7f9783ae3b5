"""Clinical review: decision rules 1-35 of clinical-therapies.md, one patient (or two) per rule.

Passing tests pin behaviour a clinician checked. Tests marked ``xfail(strict=True)`` are defects
reported to the knowledge-base owners: each names the defect, and turns red once it is fixed (then
drop the marker).
"""

from __future__ import annotations

from tests.acceptance.expectations import can_produce, producible_sets
from tests.clinical.make_cases import (
    ADJ_ACT,
    ADJ_AI_ON,
    CAPE_PD,
    ER_LOW,
    MET_DX,
    PAL_LET_PD,
    PAL_LET_PD_EARLY,
    RELAPSE,
    TN,
    early,
    lrr,
    male,
    metastatic,
    pre,
    therapy,
)

LHRHA = {"goserelin", "leuprorelin", "triptorelin"}
AIS = {"anastrozole", "letrozole", "exemestane"}
ENDOCRINE = AIS | {"tamoxifen", "toremifene", "fulvestrant", "elacestrant", "imlunestrant", "vepdegestrant"}


def run(kb, record, jurisdiction=None, rid="review"):
    return kb.recommend({"id": rid, **record}, jurisdiction=jurisdiction).to_dict()


def offered_ids(result):
    return {o["id"] for o in result["options"]}


def offered_drugs(result):
    return {d for o in result["options"] for c in o["components"] for d in c["drugs"]}


def excluded_codes(result, rid):
    return {r["code"] for e in result["excluded"] if e["id"] == rid for r in e["reasons"]}


def ai_without_ofs(result):
    """Option ids that can produce an aromatase inhibitor without an LHRH agonist."""
    out = set()
    for o in result["options"]:
        roles = [set(c["drugs"]) for c in o["components"]]
        if any(r & AIS for r in roles) and not any(r <= LHRHA for r in roles):
            out.add(o["id"])
    return out


# -- classification and testing (rules 1-5) -------------------------------------------------------

def test_rule1_er_low_gets_endocrine_and_tnbc_type_options(kb):
    res = run(kb, metastatic(receptors=ER_LOW, biomarkers={"pdl1_cps": 20, "gBRCA1": "pathogenic"}))
    assert res["classification"]["er_low"] is True
    assert "ER_LOW" in {w["code"] for w in res["warnings"]}
    assert can_produce(res, ["letrozole", "palbociclib"])
    assert can_produce(res, ["pembrolizumab", "paclitaxel"])
    assert can_produce(res, ["carboplatin"])
    assert "rec-m-hr-er-low-chemo" in offered_ids(res)


def test_rule2_her2_categories_and_scope(kb):
    assert run(kb, metastatic(receptors={"her2_ihc": "3+"}))["status"] == "out_of_scope"
    invalid = run(kb, metastatic(receptors={"her2_ihc": "2+"}))
    assert invalid["status"] == "invalid" and "TEST_ISH" in {a["code"] for a in invalid["advice"]}
    assert run(kb, metastatic(receptors={"her2_ihc": "ultralow"}))["classification"]["her2_category"] == "HER2-ultralow"
    res = run(kb, metastatic(receptors={"her2_ihc": "2+", "her2_ish": "not_amplified"}))
    assert res["classification"]["her2_category"] == "HER2-low"


def test_rule2_her2_negative_without_score(kb):
    rec = metastatic(metastatic=MET_DX, therapies=[PAL_LET_PD_EARLY, CAPE_PD])
    rec["receptors"] = {"er_percent": 80, "pr_percent": 20, "her2": "negative", "specimen": "metastasis"}
    res = run(kb, rec)
    assert res["classification"]["her2_category"] == "unknown"
    assert "TEST_HER2_IHC" in {a["code"] for a in res["advice"]}
    assert "trastuzumab deruxtecan" not in offered_drugs(res)
    assert "MISSING_DATA" in excluded_codes(res, "rec-m-hr-20")


def test_rule3_rebiopsy_when_only_the_primary_was_tested(kb):
    res = run(kb, metastatic(receptors={"specimen": "primary"}))
    assert "REBIOPSY" in {a["code"] for a in res["advice"]}


def test_rule4_biomarker_testing_advice(kb):
    rec = metastatic(metastatic=MET_DX, therapies=[PAL_LET_PD])
    rec["biomarkers"] = {}
    codes = {a["code"] for a in run(kb, rec)["advice"]}
    assert {"TEST_PIK3CA_AKT1_PTEN", "TEST_ESR1", "TEST_GERMLINE_BRCA"} <= codes


def test_rule5_pdl1_testing_before_first_line_tnbc(kb):
    res = run(kb, metastatic(receptors=TN))
    assert "TEST_PDL1" in {a["code"] for a in res["advice"]}
    assert "pembrolizumab" not in offered_drugs(res)
    assert "MISSING_DATA" in excluded_codes(res, "rec-m-tn-01a")


# -- metastatic HR+ (rules 6-18) ----------------------------------------------------------------

def test_rule6_visceral_crisis_gets_chemotherapy_not_endocrine_therapy(kb):
    res = run(kb, metastatic(metastatic={"visceral_crisis": True}))
    assert res["classification"]["visceral_crisis"] is True
    assert can_produce(res, ["paclitaxel"])
    assert not offered_drugs(res) & ENDOCRINE


def test_rule6_visceral_metastases_alone_keep_endocrine_therapy(kb):
    res = run(kb, metastatic(metastatic={"sites": ["liver", "lung"]}))
    assert can_produce(res, ["letrozole", "ribociclib"])
    assert "rec-m-hr-06" not in offered_ids(res)


def test_rule7_premenopausal_metastatic_needs_ofs(kb):
    res = run(kb, pre())
    assert can_produce(res, ["goserelin", "letrozole", "palbociclib"])
    assert not can_produce(res, ["letrozole", "palbociclib"])
    assert not ai_without_ofs(res)
    assert not can_produce(res, ["fulvestrant"])


def test_rule7_men_get_ai_only_with_lhrh_agonist(kb):
    res = run(kb, male())
    assert can_produce(res, ["leuprorelin", "anastrozole", "abemaciclib"])
    assert not ai_without_ofs(res)


def test_rule7_unknown_menopausal_status(kb):
    # Rule 7 holds whatever the status when an LHRH agonist is given: with the status unknown, only
    # the LHRH-agonist variants are offered (safe for pre- and postmenopausal women; issue 9), the
    # others wait for the status (MISSING_DATA) and ASSESS_MENOPAUSAL_STATUS is advised.
    res = run(kb, metastatic(age=51, menopausal_status="unknown"))
    assert "ASSESS_MENOPAUSAL_STATUS" in {a["code"] for a in res["advice"]}
    assert can_produce(res, ["goserelin", "letrozole", "palbociclib"])
    assert not ai_without_ofs(res)
    for o in res["options"]:
        drugs = {d for c in o["components"] for d in c["drugs"]}
        if drugs & (ENDOCRINE | {"palbociclib", "ribociclib", "abemaciclib"}):
            assert drugs & LHRHA, o["id"]
    assert "MISSING_DATA" in excluded_codes(res, "rec-m-hr-01")


def test_rule8_first_line_endocrine_sensitive_and_resistant(kb):
    sensitive = run(kb, metastatic())
    assert can_produce(sensitive, ["ribociclib", "letrozole"])
    resistant = run(kb, metastatic(metastatic=RELAPSE, therapies=[ADJ_AI_ON]))
    assert can_produce(resistant, ["ribociclib", "fulvestrant"])
    assert not can_produce(resistant, ["ribociclib", "letrozole"])
    assert not can_produce(resistant, ["anastrozole", "palbociclib"])


def test_rule9_ribociclib_qtcf_and_never_with_tamoxifen(kb):
    res = run(kb, metastatic(labs={"qtcf_ms": 455}))
    assert "ribociclib" not in offered_drugs(res)
    assert can_produce(res, ["letrozole", "palbociclib"])
    for o in run(kb, pre())["options"]:
        assert not any({"ribociclib", "tamoxifen"} <= s for s in producible_sets(o))


def test_rule10_inavolisib_for_pik3ca_early_relapse(kb):
    res = run(kb, metastatic(metastatic=RELAPSE, therapies=[ADJ_AI_ON], biomarkers={"PIK3CA": "altered"}))
    assert can_produce(res, ["inavolisib", "palbociclib", "fulvestrant"])
    diabetic = run(kb, metastatic(metastatic=RELAPSE, therapies=[ADJ_AI_ON], biomarkers={"PIK3CA": "altered"},
                                  conditions=["diabetes_type1"]))
    assert "inavolisib" not in offered_drugs(diabetic)


def test_rule10_no_inavolisib_after_relapse_on_adjuvant_cdk46i(kb):
    adj = therapy(["abemaciclib", "letrozole"], "adjuvant", "2024-06-01", "2026-09-01", "progression")
    res = run(kb, metastatic(metastatic=RELAPSE, therapies=[adj], biomarkers={"PIK3CA": "altered"}))
    assert "rec-m-hr-11" not in offered_ids(res)


def test_rule8_no_m_hr_04_after_relapse_on_adjuvant_cdk46i(kb):
    adj = therapy(["abemaciclib", "letrozole"], "adjuvant", "2024-06-01", "2026-09-01", "progression")
    res = run(kb, metastatic(metastatic=RELAPSE, therapies=[adj]))
    assert "rec-m-hr-04" not in offered_ids(res)


def test_rule11_first_line_endocrine_monotherapy_allowed(kb):
    assert "rec-m-hr-05" in offered_ids(run(kb, metastatic(metastatic={"sites": ["bone"]})))


def test_rule12_after_cdk46i_by_biomarker(kb):
    base = dict(metastatic=MET_DX, therapies=[PAL_LET_PD])
    esr1 = run(kb, metastatic(**base, biomarkers={"ESR1": "altered"}))
    assert {"elacestrant", "imlunestrant"} <= offered_drugs(esr1)
    pik = run(kb, metastatic(**base, biomarkers={"PIK3CA": "altered"}))
    assert can_produce(pik, ["capivasertib", "fulvestrant"]) and can_produce(pik, ["alpelisib", "fulvestrant"])
    anyg = run(kb, metastatic(**base))
    assert can_produce(anyg, ["everolimus", "exemestane"]) and can_produce(anyg, ["fulvestrant"])
    assert can_produce(anyg, ["abemaciclib", "fulvestrant"])
    assert not offered_drugs(anyg) & {"elacestrant", "alpelisib", "capivasertib"}
    brca = run(kb, metastatic(metastatic={"diagnosis_date": "2023-04-10", "de_novo": False},
                              therapies=[ADJ_ACT, PAL_LET_PD], biomarkers={"gBRCA1": "pathogenic"}))
    assert {"olaparib", "talazoparib"} <= offered_drugs(brca)


def test_rule13_alpelisib_glycaemia(kb):
    base = dict(metastatic=MET_DX, therapies=[PAL_LET_PD], biomarkers={"PIK3CA": "altered"})
    assert "alpelisib" not in offered_drugs(run(kb, metastatic(**base, labs={"hba1c_percent": 7.1})))
    assert "alpelisib" not in offered_drugs(run(kb, metastatic(**base, conditions=["diabetes_type1"])))


def test_rule14_capivasertib_glycaemia(kb):
    base = dict(metastatic=MET_DX, therapies=[PAL_LET_PD], biomarkers={"AKT1": "altered"})
    assert "capivasertib" not in offered_drugs(run(kb, metastatic(**base, labs={"hba1c_percent": 8.6})))


def test_rule15_same_cdk46i_not_continued(kb):
    res = run(kb, metastatic(metastatic=MET_DX, therapies=[PAL_LET_PD]))
    assert "palbociclib" not in offered_drugs(res)
    explained = kb.engine.explain({"id": "review", **metastatic(metastatic=MET_DX, therapies=[PAL_LET_PD])},
                                  "palbociclib")
    assert explained["prior_progression"] is True and not explained["offered_in"]
    assert can_produce(res, ["ribociclib", "fulvestrant"])


def test_rule16_camizestrant_never_a_default(kb):
    res = run(kb, metastatic(metastatic=MET_DX, therapies=[therapy(["palbociclib", "letrozole"], "metastatic",
                                                                   "2023-04-20")], biomarkers={"ESR1": "altered"}))
    assert "camizestrant" not in offered_drugs(res)


def test_rule17_adc_sequence_for_hr_positive(kb):
    chemo_naive = dict(metastatic=MET_DX, therapies=[PAL_LET_PD])
    assert can_produce(run(kb, metastatic(**chemo_naive, receptors={"her2_ihc": "ultralow"})), ["trastuzumab deruxtecan"])
    assert "trastuzumab deruxtecan" not in offered_drugs(run(kb, metastatic(**chemo_naive, receptors={"her2_ihc": "0"})))
    after_chemo = dict(metastatic=MET_DX, therapies=[PAL_LET_PD_EARLY, CAPE_PD])
    low = run(kb, metastatic(**after_chemo))
    assert {"trastuzumab deruxtecan", "datopotamab deruxtecan"} <= offered_drugs(low)
    ultralow = run(kb, metastatic(**after_chemo, receptors={"her2_ihc": "ultralow"}))
    assert "trastuzumab deruxtecan" not in offered_drugs(ultralow)
    assert "sacituzumab govitecan" not in offered_drugs(low)


def test_rule18_et_with_chemo_warning_and_never_offered(kb):
    res = run(kb, metastatic(metastatic=MET_DX, therapies=[therapy(["letrozole", "capecitabine"], "metastatic",
                                                                   "2023-04-20", "2026-09-01", "progression")]))
    assert "ET_CHEMO_COMBINATION" in {w["code"] for w in res["warnings"]}


# -- metastatic TNBC (rules 19-24) -----------------------------------------------------------------

def test_rule19_cps_10_pembrolizumab_with_chemo(kb):
    res = run(kb, metastatic(receptors=TN, biomarkers={"pdl1_cps": 10}))
    assert can_produce(res, ["pembrolizumab", "nab-paclitaxel"])
    assert can_produce(res, ["pembrolizumab", "gemcitabine", "carboplatin"])
    assert can_produce(res, ["pembrolizumab", "sacituzumab govitecan"])
    low = run(kb, metastatic(receptors=TN, biomarkers={"pdl1_cps": 9}))
    assert "pembrolizumab" not in offered_drugs(low)


def test_rule19_dfi_under_6_months_no_pembrolizumab_first_line(kb):
    adj = therapy(["epirubicin", "cyclophosphamide", "paclitaxel"], "adjuvant", "2025-11-01", "2026-05-01", "completed")
    res = run(kb, metastatic(receptors=TN, metastatic=RELAPSE, therapies=[adj], biomarkers={"pdl1_cps": 30}))
    assert "pembrolizumab" not in offered_drugs(res)


def test_rule20_atezolizumab_eu_only(kb):
    rec = metastatic(receptors=TN, biomarkers={"pdl1_ic_percent": 3, "pdl1_cps": 4})
    assert "atezolizumab" in offered_drugs(run(kb, rec, jurisdiction="EU"))
    us = run(kb, rec, jurisdiction="US")
    assert "atezolizumab" not in offered_drugs(us)
    assert "CRITERION_NOT_MET" in excluded_codes(us, "rec-m-tn-02")


def test_rule21_not_io_candidate_cps_below_10(kb):
    res = run(kb, metastatic(receptors=TN, biomarkers={"pdl1_cps": 2}))
    assert {"sacituzumab govitecan", "datopotamab deruxtecan", "paclitaxel"} <= offered_drugs(res)
    assert "rec-m-tn-06-combination" not in offered_ids(res)


def test_rule21_not_io_candidate_by_contraindication(kb):
    res = run(kb, metastatic(receptors=TN, biomarkers={"pdl1_cps": 25}, conditions=["active_autoimmune_disease"]))
    assert "pembrolizumab" not in offered_drugs(res)
    assert "sacituzumab govitecan" in offered_drugs(res)


def test_rule22_gbrca_tnbc_platinum_and_parpi(kb):
    res = run(kb, metastatic(receptors=TN, biomarkers={"pdl1_cps": 2, "gBRCA2": "pathogenic"}))
    assert "rec-m-tn-07" in offered_ids(res)
    assert "olaparib" not in offered_drugs(res)  # chemotherapy-naive
    after = run(kb, metastatic(receptors=TN, metastatic={"diagnosis_date": "2024-06-01", "de_novo": False},
                               therapies=[ADJ_ACT], biomarkers={"pdl1_cps": 2, "gBRCA2": "pathogenic"}))
    assert {"olaparib", "talazoparib"} <= offered_drugs(after)


def test_rule23_sg_after_two_prior_therapies(kb):
    two = [therapy(["paclitaxel"], "metastatic", "2024-06-10", "2025-04-01", "progression"),
           therapy(["capecitabine"], "metastatic", "2025-04-10", "2026-09-20", "progression")]
    res = run(kb, metastatic(receptors=TN, metastatic={"diagnosis_date": "2024-06-01"}, therapies=two))
    assert can_produce(res, ["sacituzumab govitecan"])
    one = run(kb, metastatic(receptors=TN, metastatic={"diagnosis_date": "2024-06-01"}, therapies=two[:1]))
    assert "rec-m-tn-09" not in offered_ids(one)


def test_rule24_her2_low_tnbc_t_dxd_after_chemo(kb):
    prior = [therapy(["paclitaxel"], "metastatic", "2024-06-10", "2025-04-01", "progression")]
    res = run(kb, metastatic(receptors=dict(TN, her2_ihc="1+"), metastatic={"diagnosis_date": "2024-06-01"},
                             therapies=prior))
    assert can_produce(res, ["trastuzumab deruxtecan"])
    zero = run(kb, metastatic(receptors=TN, metastatic={"diagnosis_date": "2024-06-01"}, therapies=prior))
    assert "trastuzumab deruxtecan" not in offered_drugs(zero)


# -- early disease (rules 25-31) -------------------------------------------------------------------

def test_rule25_postmenopausal_ai_and_extended(kb):
    res = run(kb, early(therapies=[therapy(["letrozole"], "adjuvant", "2021-10-01")]))
    assert {"rec-e-hr-03", "rec-e-hr-04"} <= offered_ids(res)


def test_rule25_premenopausal_low_and_high_risk(kb):
    low = run(kb, early(age=42, menopausal_status="premenopausal",
                        early={"t": "T1b", "n": "N0", "nodes_positive": 0, "tumor_size_mm": 8, "grade": 1}))
    assert can_produce(low, ["tamoxifen"]) and not ai_without_ofs(low)
    high = run(kb, early(age=42, menopausal_status="premenopausal"))
    assert can_produce(high, ["goserelin", "exemestane"]) and can_produce(high, ["goserelin", "tamoxifen"])


def test_rule7_early_premenopausal_abemaciclib_never_with_ai_alone(kb):
    res = run(kb, early(age=41, menopausal_status="premenopausal",
                        early={"t": "T2", "n": "N2", "nodes_positive": 5, "tumor_size_mm": 35, "grade": 2}))
    assert not ai_without_ofs(res)


def test_rule7_early_male_abemaciclib_never_with_ai_alone(kb):
    res = run(kb, early(sex="male", age=58,
                        early={"t": "T2", "n": "N2", "nodes_positive": 5, "tumor_size_mm": 35, "grade": 2}))
    assert not ai_without_ofs(res)


def test_rule25_men_get_adjuvant_endocrine_therapy(kb):
    res = run(kb, early(sex="male", age=58,
                        early={"t": "T1c", "n": "N0", "nodes_positive": 0, "tumor_size_mm": 14, "grade": 2}))
    assert can_produce(res, ["tamoxifen"])


def test_rule27_monarche_and_natalee(kb):
    res = run(kb, early(early={"t": "T2", "n": "N1", "nodes_positive": 2, "tumor_size_mm": 28, "grade": 3}))
    assert can_produce(res, ["abemaciclib", "letrozole"])
    assert can_produce(res, ["ribociclib", "anastrozole"])
    n0 = run(kb, early(early={"t": "T2", "n": "N0", "nodes_positive": 0, "tumor_size_mm": 25, "grade": 3}))
    assert "rec-e-hr-06" not in offered_ids(n0) and "rec-e-hr-07a" in offered_ids(n0)
    pre_n1 = run(kb, early(age=44, menopausal_status="premenopausal"))
    assert can_produce(pre_n1, ["ribociclib", "letrozole", "goserelin"])


def test_rule28_30_olympia_and_create_x(kb):
    neo = therapy(["paclitaxel", "carboplatin", "doxorubicin", "cyclophosphamide"], "neoadjuvant",
                  "2025-11-01", "2026-04-20", "completed")
    tn = {"er_percent": 0, "pr_percent": 0, "her2_ihc": "0", "specimen": "primary"}
    residual = {"t": "T2", "n": "N1", "nodes_positive": 1, "tumor_size_mm": 30, "grade": 3,
                "neoadjuvant_response": "residual_disease"}
    res = run(kb, early(receptors=tn, age=39, menopausal_status="premenopausal", early=residual, therapies=[neo],
                        biomarkers={"gBRCA1": "pathogenic"}))
    assert {"rec-e-all-08", "rec-e-all-10"} <= offered_ids(res)
    assert "rec-e-tn-09" not in offered_ids(res)  # chemotherapy already given


def test_rule29_keynote522(kb):
    tn = {"er_percent": 0, "pr_percent": 0, "her2_ihc": "1+", "specimen": "primary"}
    res = run(kb, early(receptors=tn, early={"t": "T1c", "n": "N1", "nodes_positive": 1, "tumor_size_mm": 18,
                                             "grade": 3, "surgery": "none"}))
    assert can_produce(res, ["pembrolizumab", "paclitaxel", "carboplatin", "doxorubicin", "cyclophosphamide"])
    auto = run(kb, early(receptors=tn, conditions=["active_autoimmune_disease"],
                         early={"t": "T2", "n": "N0", "nodes_positive": 0, "tumor_size_mm": 25, "grade": 3}))
    assert "pembrolizumab" not in offered_drugs(auto)


def test_rule31_adjuvant_bisphosphonate_postmenopausal_only(kb):
    assert "rec-e-all-11" in offered_ids(run(kb, early()))
    assert "rec-e-all-11" not in offered_ids(run(kb, early(sex="male", age=60)))


# -- special situations (rules 32-35) ------------------------------------------------------------

def test_rule32_isolated_lrr_curative_intent(kb):
    res = run(kb, lrr())
    assert "LOCOREGIONAL_CURATIVE_INTENT" in {a["code"] for a in res["advice"]}
    assert "rec-lrr-01-endocrine" in offered_ids(res)
    tn = run(kb, lrr(receptors={"er_percent": 0, "pr_percent": 0, "her2_ihc": "0", "specimen": "recurrence"}))
    assert "rec-lrr-01-chemotherapy" in offered_ids(tn)
    assert not offered_drugs(tn) & ENDOCRINE


def test_rule32_lrr_premenopausal_no_ai_without_ofs(kb):
    res = run(kb, lrr(age=43, menopausal_status="premenopausal"))
    assert not ai_without_ofs(res)


def test_rule33_bone_agents_and_hypercalcaemia(kb):
    bone = run(kb, metastatic(metastatic={"sites": ["bone"]}))
    assert {"zoledronic acid", "denosumab"} <= offered_drugs(bone)
    hyper = run(kb, metastatic(metastatic={"hypercalcemia": True}, labs={"calcium_mg_dl": 12.9}))
    assert "rec-m-all-02" in offered_ids(hyper)
    onj = run(kb, metastatic(conditions=["osteonecrosis_of_jaw"]))
    assert not offered_drugs(onj) & {"zoledronic acid", "denosumab", "pamidronate"}


def test_rule34_35_duration_and_response_advice_and_marker_only_progression(kb):
    marker = therapy(["palbociclib", "letrozole"], "metastatic", "2023-04-20", "2026-09-25", "progression",
                     basis=("tumor_markers",))
    res = run(kb, metastatic(metastatic=MET_DX, therapies=[marker]))
    codes = {a["code"] for a in res["advice"]}
    assert {"TREATMENT_DURATION", "RESPONSE_EVALUATION", "CONFIRM_PROGRESSION"} <= codes
    assert "TUMOR_MARKER_ONLY_PROGRESSION" in {w["code"] for w in res["warnings"]}


def test_continuing_after_progression_warning(kb):
    cont = therapy(["palbociclib", "letrozole"], "metastatic", "2023-04-20", pd="2026-09-25")
    res = run(kb, metastatic(metastatic=MET_DX, therapies=[cont]))
    assert "CONTINUING_AFTER_PROGRESSION" in {w["code"] for w in res["warnings"]}
    assert "palbociclib" not in offered_drugs(res)


def test_pregnancy_blocks_every_systemic_drug(kb):
    res = run(kb, pre(conditions=["pregnancy"]))
    assert not res["options"]


def test_ecog_and_men_keep_lhrh_with_fulvestrant_after_cdk(kb):
    res = run(kb, male(metastatic=MET_DX, therapies=[therapy(["leuprorelin", "palbociclib", "anastrozole"],
                                                             "metastatic", "2023-04-20", "2026-09-25", "progression")]))
    assert not ai_without_ofs(res)
    assert "leuprorelin" in offered_drugs(res)  # the LHRH agonist continues after progression


def test_natalee_t3_n0_grade_1_is_offered_adjuvant_ribociclib(kb):
    # NATALEE enrolled stage IIB (T3 N0) whatever the grade (Slamon 2023; N0 subgroup, ASCO 2024
    # abstr 512); monarchE needed positive nodes, so abemaciclib is not offered.
    res = run(kb, early(early={"t": "T3", "n": "N0", "nodes_positive": 0, "tumor_size_mm": 60, "grade": 1}))
    assert can_produce(res, ["ribociclib", "anastrozole"]) or can_produce(res, ["ribociclib", "letrozole"])
    assert "abemaciclib" not in offered_drugs(res)
