"""Writes the per-recommendation clinical cases under ``cases/`` (one file per recommendation).

Run ``python -m tests.clinical.make_cases`` after changing a scenario here; the JSON files are the
test data (self-contained, in the acceptance format) and are committed. Every recommendation of
the knowledge base has an *eligible* case (the option with that id is offered) and a *ruled-out*
case (it is in ``excluded`` with the expected reason code). The records are written the way a
clinic would: realistic dates, therapy sequences and biomarkers; decision date 2026-11-01.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

CASES_DIR = Path(__file__).parent / "cases"
AS_OF = "2026-11-01"

NEG = {"PIK3CA": "not_detected", "AKT1": "not_detected", "PTEN": "not_detected", "ESR1": "not_detected",
       "gBRCA1": "not_detected", "gBRCA2": "not_detected"}
HR = {"er_percent": 90, "pr_percent": 40, "her2_ihc": "1+", "specimen": "metastasis", "tested_on": "2026-10-01"}
TN = {"er_percent": 0, "pr_percent": 0, "her2_ihc": "0", "specimen": "metastasis", "tested_on": "2026-10-01"}
ER_LOW = {"er_percent": 5, "pr_percent": 0, "her2_ihc": "0", "specimen": "metastasis", "tested_on": "2026-10-01"}


def merge(base: dict, **kw) -> dict:
    out = copy.deepcopy(base)
    for key, value in kw.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict) and not key.startswith("="):
            out[key] = {**out[key], **value}
        else:
            out[key.lstrip("=")] = value
    return out


def therapy(drugs, setting, start, end=None, reason=None, basis=("imaging",), pd=None) -> dict:
    t = {"drugs": list(drugs), "setting": setting, "start": start}
    if end:
        t["end"] = end
    if reason:
        t["end_reason"] = reason
    if pd:
        t["progression_date"] = pd
    if reason == "progression" or pd:
        t["progression_basis"] = list(basis)
    return t


def metastatic(**kw) -> dict:
    """A postmenopausal woman with HR+/HER2-low de novo metastatic disease (bone and liver)."""
    base = {
        "as_of": AS_OF, "sex": "female", "age": 64, "menopausal_status": "postmenopausal", "ecog": 1,
        "setting": "metastatic", "receptors": dict(HR),
        "metastatic": {"diagnosis_date": "2026-10-01", "de_novo": True, "sites": ["bone", "liver"],
                       "visceral_crisis": False, "life_threatening": False, "rapidly_progressive": False,
                       "hypercalcemia": False},
        "biomarkers": dict(NEG), "therapies": [],
    }
    out = merge(base, **kw)
    if out["sex"] == "male":
        out.pop("menopausal_status", None)
    return out


def pre(**kw) -> dict:
    return metastatic(age=44, menopausal_status="premenopausal", **kw)


def male(**kw) -> dict:
    return metastatic(sex="male", age=67, **kw)


def early(**kw) -> dict:
    base = {
        "as_of": AS_OF, "sex": "female", "age": 63, "menopausal_status": "postmenopausal", "ecog": 0,
        "setting": "early",
        "receptors": {"er_percent": 95, "pr_percent": 60, "her2_ihc": "0", "specimen": "primary",
                      "tested_on": "2026-09-20"},
        "early": {"t": "T2", "n": "N1", "nodes_positive": 2, "tumor_size_mm": 28, "grade": 2,
                  "surgery": "breast_conserving"},
        "biomarkers": {"gBRCA1": "not_detected", "gBRCA2": "not_detected", "ki67_percent": 15},
        "therapies": [],
    }
    out = merge(base, **kw)
    if out["sex"] == "male":
        out.pop("menopausal_status", None)
    return out


def lrr(**kw) -> dict:
    base = {
        "as_of": AS_OF, "sex": "female", "age": 61, "menopausal_status": "postmenopausal", "ecog": 0,
        "setting": "locoregional_recurrence",
        "receptors": {"er_percent": 80, "pr_percent": 30, "her2_ihc": "1+", "specimen": "recurrence",
                      "tested_on": "2026-10-05"},
        "locoregional_recurrence": {"isolated": True, "site": "chest_wall"},
        "biomarkers": {"gBRCA1": "not_detected", "gBRCA2": "not_detected"},
        "therapies": [therapy(["letrozole"], "adjuvant", "2018-03-01", "2023-03-01", "completed")],
    }
    return merge(base, **kw)


# Therapy histories used by several cases -------------------------------------------------------
MET_DX = {"diagnosis_date": "2023-04-10", "de_novo": True}
PAL_LET_PD = therapy(["palbociclib", "letrozole"], "metastatic", "2023-04-20", "2026-09-25", "progression")
RIB_LET_PD = therapy(["ribociclib", "letrozole"], "metastatic", "2023-04-20", "2026-09-25", "progression")
ABE_LET_PD = therapy(["abemaciclib", "letrozole"], "metastatic", "2023-04-20", "2026-09-25", "progression")
LET_PD = therapy(["letrozole"], "metastatic", "2023-04-20", "2025-02-10", "progression")
PRE_PAL_PD = therapy(["goserelin", "palbociclib", "letrozole"], "metastatic", "2023-04-20", "2026-09-25",
                     "progression")
MALE_PAL_PD = therapy(["leuprorelin", "palbociclib", "anastrozole"], "metastatic", "2023-04-20", "2026-09-25",
                      "progression")
PAL_LET_PD_EARLY = therapy(["palbociclib", "letrozole"], "metastatic", "2023-04-20", "2025-03-01", "progression")
CAPE_PD = therapy(["capecitabine"], "metastatic", "2025-03-10", "2026-09-25", "progression")
ERIB_PD = therapy(["eribulin"], "metastatic", "2025-03-10", "2025-12-01", "progression")
PACLI_PD_2 = therapy(["paclitaxel"], "metastatic", "2025-12-10", "2026-09-25", "progression")
ADJ_ACT = therapy(["doxorubicin", "cyclophosphamide", "paclitaxel"], "adjuvant", "2019-02-01", "2019-07-15",
                  "completed")
ADJ_AI_ON = therapy(["anastrozole"], "adjuvant", "2023-01-15", "2026-09-01", "progression")  # relapse on AI
ADJ_TAM_ON = therapy(["tamoxifen"], "adjuvant", "2022-11-01", "2026-09-01", "progression")
RELAPSE = {"diagnosis_date": "2026-09-01", "de_novo": False}
ADJ_ABE_ON = therapy(["abemaciclib", "letrozole"], "adjuvant", "2024-06-01", "2026-09-01", "progression")
ADJ_ABE_OFS_ON = therapy(["goserelin", "abemaciclib", "letrozole"], "adjuvant", "2024-06-01", "2026-09-01",
                         "progression")


def case(kind: str, record: dict, *, offered=(), excluded=None, expect=None, note: str,
         jurisdiction: str | None = None) -> dict:
    out = {"kind": kind, "note": note, "record": record,
           "expect": {"status": "ok", **(expect or {}),
                      "offered_ids": list(offered), "excluded_ids": excluded or {}}}
    if jurisdiction:
        out["jurisdiction"] = jurisdiction
    return out


def elig(rec_id, record, note, **kw):
    return case("eligible", record, offered=[rec_id], note=note, **kw)


def out(rec_id, record, code, note, **kw):
    return case("ruled-out", record, excluded={rec_id: [code]}, note=note, **kw)


TN_1L = dict(receptors=TN, metastatic={"sites": ["lung", "liver", "distant_lymph_nodes"]})


def cases() -> dict[str, list[dict]]:
    c: dict[str, list[dict]] = {}
    add = c.setdefault

    # ---------------------------------------------------------------- early disease
    tn_early = dict(receptors={"er_percent": 0, "pr_percent": 0, "her2_ihc": "1+", "specimen": "primary",
                               "tested_on": "2025-10-01"}, age=38, menopausal_status="premenopausal")
    neo_act = therapy(["paclitaxel", "carboplatin", "doxorubicin", "cyclophosphamide"], "neoadjuvant",
                      "2025-11-01", "2026-04-20", "completed")
    residual = {"t": "T2", "n": "N1", "nodes_positive": 1, "tumor_size_mm": 32, "grade": 3,
                "surgery": "mastectomy", "neoadjuvant_response": "residual_disease"}
    add("rec-e-all-08", []).extend([
        elig("rec-e-all-08", early(**tn_early, early=residual, therapies=[neo_act],
                                   biomarkers={"gBRCA1": "pathogenic", "gBRCA2": "not_detected"}),
             "gBRCA1 TNBC with residual disease after neoadjuvant AC/paclitaxel-carboplatin (OlympiA)"),
        out("rec-e-all-08", early(**tn_early, early=residual, therapies=[neo_act], **{"=biomarkers": {}}),
            "MISSING_DATA", "germline BRCA untested: OlympiA olaparib cannot be decided"),
    ])
    add("rec-e-all-10", []).extend([
        elig("rec-e-all-10", early(**tn_early, early=residual, therapies=[neo_act]),
             "TNBC with residual invasive disease after neoadjuvant chemotherapy (CREATE-X)"),
        out("rec-e-all-10", early(**tn_early, early=dict(residual, neoadjuvant_response="pcr"),
                                  therapies=[neo_act]),
            "CRITERION_NOT_MET", "pathological complete response: no capecitabine"),
    ])
    add("rec-e-all-11", []).extend([
        elig("rec-e-all-11", early(), "postmenopausal woman with node-positive early HR+ disease"),
        out("rec-e-all-11", early(age=45, menopausal_status="premenopausal"), "CRITERION_NOT_MET",
            "premenopausal without OFS: no adjuvant bisphosphonate"),
    ])
    low_risk = {"t": "T1b", "n": "N0", "nodes_positive": 0, "tumor_size_mm": 8, "grade": 1,
                "surgery": "breast_conserving"}
    add("rec-e-hr-01", []).extend([
        elig("rec-e-hr-01", early(age=42, menopausal_status="premenopausal", early=low_risk),
             "premenopausal, T1b N0 G1: tamoxifen alone"),
        out("rec-e-hr-01", early(age=42, menopausal_status="premenopausal"), "NOT_PREFERRED",
            "premenopausal node-positive: OFS-based therapy preferred to tamoxifen alone"),
    ])
    add("rec-e-hr-01-male", []).extend([
        elig("rec-e-hr-01-male", early(sex="male", age=58, early={"t": "T1c", "n": "N0", "nodes_positive": 0,
                                                                  "tumor_size_mm": 14, "grade": 2}),
             "man, T1c N0 G2 HR+: adjuvant tamoxifen (ASCO 2020)"),
        out("rec-e-hr-01-male", early(), "CRITERION_NOT_MET", "postmenopausal woman: aromatase inhibitor-based"),
    ])
    for rid in ("rec-e-hr-02a", "rec-e-hr-02b"):
        add(rid, []).extend([
            elig(rid, early(age=41, menopausal_status="premenopausal"),
                 "premenopausal, T2 N1 (2 nodes) G2: OFS-based adjuvant therapy (SOFT/TEXT)"),
            out(rid, early(), "CRITERION_NOT_MET", "postmenopausal: no ovarian suppression"),
        ])
    add("rec-e-hr-03", []).extend([
        elig("rec-e-hr-03", early(), "postmenopausal early HR+: aromatase inhibitor"),
        out("rec-e-hr-03", early(age=40, menopausal_status="premenopausal"), "CRITERION_NOT_MET",
            "premenopausal: no AI without OFS"),
    ])
    on_ai = [therapy(["letrozole"], "adjuvant", "2021-10-01")]
    add("rec-e-hr-04", []).extend([
        elig("rec-e-hr-04", early(therapies=on_ai), "node-positive, 5 years into adjuvant letrozole"),
        out("rec-e-hr-04", early(early=low_risk, therapies=on_ai), "CRITERION_NOT_MET",
            "node-negative low risk: extended AI not routinely offered"),
    ])
    monarche = {"t": "T2", "n": "N2", "nodes_positive": 5, "tumor_size_mm": 35, "grade": 2, "surgery": "mastectomy"}
    add("rec-e-hr-06", []).extend([
        elig("rec-e-hr-06", early(early=monarche), "5 positive nodes (monarchE cohort 1)"),
        out("rec-e-hr-06", early(early={"t": "T1c", "n": "N0", "nodes_positive": 0, "tumor_size_mm": 15,
                                        "grade": 2, "surgery": "breast_conserving"}),
            "CRITERION_NOT_MET", "T1c N0 G2: not monarchE high risk"),
        out("rec-e-hr-06", early(age=41, menopausal_status="premenopausal", early=monarche), "CRITERION_NOT_MET",
            "premenopausal: no abemaciclib + AI without an LHRH agonist"),
    ])
    add("rec-e-hr-06-ofs", []).extend([
        elig("rec-e-hr-06-ofs", early(age=41, menopausal_status="premenopausal", early=monarche),
             "premenopausal, 5 positive nodes: abemaciclib + ET + LHRH agonist"),
        elig("rec-e-hr-06-ofs", early(sex="male", age=58, early=monarche),
             "man, 5 positive nodes: abemaciclib + ET + LHRH agonist"),
        out("rec-e-hr-06-ofs", early(early=monarche), "CRITERION_NOT_MET",
            "postmenopausal: no LHRH agonist needed"),
    ])
    add("rec-e-hr-06-tamoxifen", []).extend([
        elig("rec-e-hr-06-tamoxifen", early(sex="male", age=58, early=monarche),
             "man, 5 positive nodes: abemaciclib + tamoxifen"),
        out("rec-e-hr-06-tamoxifen", early(early=monarche), "CRITERION_NOT_MET",
            "postmenopausal: the main E-HR-06 option applies"),
    ])
    add("rec-e-hr-07a", []).extend([
        elig("rec-e-hr-07a", early(), "postmenopausal T2 N1: NATALEE risk"),
        out("rec-e-hr-07a", early(early=low_risk), "CRITERION_NOT_MET", "stage I (T1b N0 G1): not NATALEE"),
    ])
    add("rec-e-hr-07b", []).extend([
        elig("rec-e-hr-07b", early(age=43, menopausal_status="premenopausal"),
             "premenopausal T2 N1: ribociclib + NSAI + goserelin"),
        out("rec-e-hr-07b", early(), "CRITERION_NOT_MET", "postmenopausal: the goserelin variant is not for her"),
    ])
    kn522 = {"t": "T2", "n": "N1", "nodes_positive": 1, "tumor_size_mm": 30, "grade": 3, "surgery": "none"}
    add("rec-e-tn-09", []).extend([
        elig("rec-e-tn-09", early(**tn_early, early=kn522), "TNBC cT2 N1, untreated: KEYNOTE-522"),
        out("rec-e-tn-09", early(**tn_early, early={"t": "T1b", "n": "N0", "nodes_positive": 0,
                                                    "tumor_size_mm": 9, "grade": 3, "surgery": "none"}),
            "CRITERION_NOT_MET", "TNBC T1b N0 (stage I): outside KEYNOTE-522"),
    ])

    # ---------------------------------------------------------------- locoregional recurrence
    lrr_tn = {"er_percent": 0, "pr_percent": 0, "her2_ihc": "0", "specimen": "recurrence", "tested_on": "2026-10-05"}
    add("rec-lrr-01-chemotherapy", []).extend([
        elig("rec-lrr-01-chemotherapy", lrr(receptors=lrr_tn, therapies=[ADJ_ACT]),
             "isolated ER-negative chest-wall recurrence after adjuvant AC-T (CALOR)"),
        out("rec-lrr-01-chemotherapy", lrr(receptors=lrr_tn, therapies=[ADJ_ACT],
                                           locoregional_recurrence={"isolated": False}),
            "CRITERION_NOT_MET", "locoregional recurrence with distant disease: not curative"),
    ])
    add("rec-lrr-01-endocrine", []).extend([
        elig("rec-lrr-01-endocrine", lrr(), "isolated ER-positive chest-wall recurrence, 3.5 y after letrozole"),
        out("rec-lrr-01-endocrine", lrr(locoregional_recurrence={"isolated": False}), "CRITERION_NOT_MET",
            "not isolated"),
        out("rec-lrr-01-endocrine", lrr(age=43, menopausal_status="premenopausal", therapies=[
            therapy(["tamoxifen"], "adjuvant", "2018-03-01", "2023-03-01", "completed")]), "CRITERION_NOT_MET",
            "premenopausal: no aromatase inhibitor without an LHRH agonist"),
    ])
    lrr_pre = dict(age=43, menopausal_status="premenopausal", therapies=[
        therapy(["tamoxifen"], "adjuvant", "2018-03-01", "2023-03-01", "completed")])
    add("rec-lrr-01-endocrine-ofs", []).extend([
        elig("rec-lrr-01-endocrine-ofs", lrr(**lrr_pre),
             "premenopausal, isolated recurrence 3.5 y after adjuvant tamoxifen: LHRH agonist + exemestane"),
        out("rec-lrr-01-endocrine-ofs", lrr(), "CRITERION_NOT_MET", "postmenopausal: no LHRH agonist needed"),
    ])
    add("rec-lrr-01-tamoxifen", []).extend([
        elig("rec-lrr-01-tamoxifen", lrr(**lrr_pre), "premenopausal, isolated recurrence: tamoxifen alone"),
        out("rec-lrr-01-tamoxifen", lrr(), "CRITERION_NOT_MET", "postmenopausal: the main LRR-01 endocrine option"),
    ])

    # ---------------------------------------------------------------- metastatic: general
    add("rec-m-all-01", []).extend([
        elig("rec-m-all-01", metastatic(), "bone and liver metastases"),
        out("rec-m-all-01", metastatic(metastatic={"sites": ["liver", "lung"]}), "CRITERION_NOT_MET",
            "no bone metastases"),
    ])
    add("rec-m-all-02", []).extend([
        elig("rec-m-all-02", metastatic(metastatic={"hypercalcemia": True}, labs={"calcium_mg_dl": 12.6}),
             "hypercalcaemia of malignancy, Ca 12.6 mg/dL"),
        out("rec-m-all-02", metastatic(labs={"calcium_mg_dl": 9.4}), "CRITERION_NOT_MET", "calcium normal"),
    ])

    # ---------------------------------------------------------------- metastatic HR+: first line
    for rid in ("rec-m-hr-01", "rec-m-hr-02", "rec-m-hr-03"):
        add(rid, []).append(elig(rid, metastatic(), "de novo postmenopausal HR+ ABC, first line"))
    add("rec-m-hr-01", []).append(out("rec-m-hr-01", metastatic(labs={"qtcf_ms": 472}), "CONTRAINDICATION",
                                      "QTcF 472 ms: ribociclib must not be started"))
    add("rec-m-hr-02", []).append(out("rec-m-hr-02", pre(), "CRITERION_NOT_MET",
                                      "premenopausal: the variant without LHRH agonist is not for her"))
    add("rec-m-hr-03", []).append(out("rec-m-hr-03", metastatic(metastatic={"visceral_crisis": True}),
                                      "CRITERION_NOT_MET", "visceral crisis: chemotherapy first"))
    for rid in ("rec-m-hr-01-ofs", "rec-m-hr-02-ofs", "rec-m-hr-03-ofs"):
        add(rid, []).append(elig(rid, pre(), "de novo premenopausal HR+ ABC, first line with OFS"))
    add("rec-m-hr-01-ofs", []).append(out("rec-m-hr-01-ofs", metastatic(), "CRITERION_NOT_MET",
                                          "postmenopausal: no LHRH agonist needed"))
    unk = metastatic(age=51, menopausal_status="unknown")
    # Unknown status: the variant without an LHRH agonist needs the status (MISSING_DATA); the LHRH-agonist
    # variant is safe whatever the status (ESO-ESMO ABC), so it is offered.
    add("rec-m-hr-02", []).append(out("rec-m-hr-02", unk, "MISSING_DATA", "menopausal status unknown at 51"))
    add("rec-m-hr-02-ofs", []).extend([
        elig("rec-m-hr-02-ofs", unk, "menopausal status unknown at 51: LHRH agonist + AI + palbociclib"),
        out("rec-m-hr-02-ofs", pre(metastatic=RELAPSE, therapies=[
            therapy(["goserelin", "letrozole"], "adjuvant", "2023-01-15", "2026-09-01", "progression")]),
            "CRITERION_NOT_MET", "relapse on adjuvant LHRH agonist + letrozole: fulvestrant is the partner")])
    add("rec-m-hr-03-ofs", []).append(elig("rec-m-hr-03-ofs", male(), "man with de novo HR+ ABC"))
    add("rec-m-hr-03-ofs", []).append(out("rec-m-hr-03-ofs", pre(metastatic={"life_threatening": True}),
                                          "CRITERION_NOT_MET", "life-threatening disease"))

    relapse_adj_ai = dict(metastatic=RELAPSE, therapies=[ADJ_AI_ON])
    add("rec-m-hr-04", []).extend([
        elig("rec-m-hr-04", metastatic(**relapse_adj_ai),
             "relapse on adjuvant anastrozole after 3.6 y (secondary resistance): CDK4/6i + fulvestrant"),
        out("rec-m-hr-04", metastatic(metastatic=MET_DX, therapies=[PAL_LET_PD]), "CRITERION_NOT_MET",
            "after palbociclib for metastatic disease: no new CDK4/6i + fulvestrant under M-HR-04"),
        out("rec-m-hr-04", metastatic(metastatic=RELAPSE, therapies=[ADJ_ABE_ON]), "PRIOR_PROGRESSION",
            "relapse on adjuvant abemaciclib + letrozole: M-HR-15/16 apply, not M-HR-04"),
    ])
    add("rec-m-hr-04-1l-sensitive", []).extend([
        elig("rec-m-hr-04-1l-sensitive", metastatic(), "endocrine-sensitive 1L: ribociclib + fulvestrant"),
        out("rec-m-hr-04-1l-sensitive", metastatic(**relapse_adj_ai), "CRITERION_NOT_MET",
            "relapse on adjuvant AI is not endocrine-sensitive"),
    ])
    add("rec-m-hr-04-ofs", []).extend([
        elig("rec-m-hr-04-ofs", pre(metastatic=RELAPSE, therapies=[ADJ_TAM_ON]),
             "premenopausal relapse on adjuvant tamoxifen: OFS + CDK4/6i + fulvestrant"),
        out("rec-m-hr-04-ofs", pre(metastatic=dict(RELAPSE, visceral_crisis=True), therapies=[ADJ_TAM_ON]),
            "CRITERION_NOT_MET", "visceral crisis"),
        out("rec-m-hr-04-ofs", pre(metastatic=RELAPSE, therapies=[ADJ_ABE_OFS_ON]), "PRIOR_PROGRESSION",
            "premenopausal relapse on adjuvant abemaciclib + goserelin + letrozole"),
    ])
    add("rec-m-hr-05", []).extend([
        elig("rec-m-hr-05", metastatic(metastatic={"sites": ["bone"]}), "bone-only, low burden: ET alone (SONIA)"),
        out("rec-m-hr-05", metastatic(metastatic={"visceral_crisis": True}), "CRITERION_NOT_MET",
            "visceral crisis"),
    ])
    add("rec-m-hr-05-ofs", []).extend([
        elig("rec-m-hr-05-ofs", pre(), "premenopausal: OFS + ET alone"),
        out("rec-m-hr-05-ofs", pre(metastatic=RELAPSE, therapies=[ADJ_TAM_ON]), "CRITERION_NOT_MET",
            "relapse on adjuvant tamoxifen is not endocrine-sensitive"),
    ])
    add("rec-m-hr-05-male-tamoxifen", []).extend([
        elig("rec-m-hr-05-male-tamoxifen", male(), "man with de novo HR+ ABC: tamoxifen alone (ASCO 2020)"),
        elig("rec-m-hr-05-male-tamoxifen", male(metastatic=RELAPSE, therapies=[therapy(
            ["leuprorelin", "anastrozole"], "adjuvant", "2023-01-15", "2026-09-01", "progression")]),
             "man relapsing on adjuvant leuprorelin + anastrozole: alternate ET (tamoxifen)"),
        out("rec-m-hr-05-male-tamoxifen", metastatic(), "CRITERION_NOT_MET", "postmenopausal woman"),
    ])
    add("rec-m-hr-06", []).extend([
        elig("rec-m-hr-06", metastatic(metastatic={"visceral_crisis": True, "sites": ["liver"]},
                                       labs={"qtcf_ms": 420}), "liver metastases with visceral crisis"),
        out("rec-m-hr-06", metastatic(), "CRITERION_NOT_MET", "no crisis, endocrine-sensitive"),
    ])

    # ---------------------------------------------------------------- metastatic HR+: later lines
    after_pal = dict(metastatic=MET_DX, therapies=[PAL_LET_PD])
    add("rec-m-hr-07", []).extend([
        elig("rec-m-hr-07", metastatic(**after_pal), "after palbociclib + letrozole: everolimus + exemestane"),
        out("rec-m-hr-07", metastatic(**after_pal, conditions=["interstitial_lung_disease"]),
            "CONTRAINDICATION", "interstitial lung disease: no everolimus"),
    ])
    add("rec-m-hr-08", []).extend([
        elig("rec-m-hr-08", metastatic(**after_pal), "after letrozole: fulvestrant"),
        out("rec-m-hr-08", metastatic(), "CRITERION_NOT_MET", "no prior aromatase inhibitor"),
    ])
    add("rec-m-hr-08-ofs", []).extend([
        elig("rec-m-hr-08-ofs", pre(metastatic=MET_DX, therapies=[PRE_PAL_PD]), "premenopausal after AI: OFS + fulvestrant"),
        out("rec-m-hr-08-ofs", metastatic(**after_pal), "CRITERION_NOT_MET", "postmenopausal"),
    ])
    pik = {"PIK3CA": "altered"}
    add("rec-m-hr-09", []).extend([
        elig("rec-m-hr-09", metastatic(**after_pal, biomarkers=pik, labs={"hba1c_percent": 5.6}),
             "PIK3CA H1047R after palbociclib + letrozole: alpelisib + fulvestrant"),
        out("rec-m-hr-09", metastatic(**after_pal, biomarkers=pik, conditions=["diabetes_type1"]),
            "CONTRAINDICATION", "type 1 diabetes: no alpelisib"),
    ])
    add("rec-m-hr-09-ofs", []).extend([
        elig("rec-m-hr-09-ofs", male(metastatic=MET_DX, therapies=[MALE_PAL_PD], biomarkers=pik),
             "man, PIK3CA-mutated after leuprorelin + anastrozole + palbociclib"),
        out("rec-m-hr-09-ofs", pre(metastatic=MET_DX, therapies=[PRE_PAL_PD], biomarkers=pik),
            "CRITERION_NOT_MET", "premenopausal women were not studied in SOLAR-1"),
    ])
    add("rec-m-hr-10", []).extend([
        elig("rec-m-hr-10", metastatic(**after_pal, biomarkers={"AKT1": "altered"}),
             "AKT1 E17K after palbociclib + letrozole: capivasertib + fulvestrant"),
        out("rec-m-hr-10", metastatic(**after_pal, **{"=biomarkers": {"ESR1": "not_detected"}}),
            "MISSING_DATA", "PIK3CA/AKT1/PTEN not tested"),
    ])
    add("rec-m-hr-10-ofs", []).extend([
        elig("rec-m-hr-10-ofs", pre(metastatic=MET_DX, therapies=[PRE_PAL_PD], biomarkers={"PTEN": "altered"}),
             "premenopausal, PTEN loss after OFS + letrozole + palbociclib"),
        out("rec-m-hr-10-ofs", pre(metastatic=MET_DX, therapies=[PRE_PAL_PD]), "CRITERION_NOT_MET",
            "no PIK3CA/AKT1/PTEN alteration"),
    ])
    add("rec-m-hr-11", []).extend([
        elig("rec-m-hr-11", metastatic(**relapse_adj_ai, biomarkers=pik, labs={"hba1c_percent": 5.4}),
             "PIK3CA-mutated relapse on adjuvant anastrozole: inavolisib + palbociclib + fulvestrant (INAVO120)"),
        out("rec-m-hr-11", metastatic(**relapse_adj_ai, biomarkers=pik, conditions=["diabetes_type2"]),
            "CONTRAINDICATION", "type 2 diabetes on treatment: inavolisib not studied"),
        out("rec-m-hr-11", metastatic(metastatic=RELAPSE, therapies=[ADJ_ABE_ON], biomarkers=pik),
            "PRIOR_PROGRESSION", "PIK3CA-mutated relapse on adjuvant abemaciclib + letrozole (INAVO120 excluded it)"),
    ])
    add("rec-m-hr-11-ofs", []).extend([
        elig("rec-m-hr-11-ofs", pre(metastatic=RELAPSE, therapies=[ADJ_TAM_ON], biomarkers=pik),
             "premenopausal PIK3CA-mutated relapse on adjuvant tamoxifen"),
        out("rec-m-hr-11-ofs", pre(metastatic=RELAPSE, therapies=[ADJ_TAM_ON], **{"=biomarkers": {}}),
            "MISSING_DATA", "PIK3CA not tested"),
        out("rec-m-hr-11-ofs", pre(metastatic=RELAPSE, therapies=[ADJ_ABE_OFS_ON], biomarkers=pik),
            "PRIOR_PROGRESSION", "premenopausal relapse on adjuvant abemaciclib + goserelin + letrozole"),
    ])
    esr1 = {"ESR1": "altered"}
    add("rec-m-hr-12", []).extend([
        elig("rec-m-hr-12", metastatic(**after_pal, biomarkers=esr1), "ESR1 Y537S in ctDNA after AI + CDK4/6i"),
        out("rec-m-hr-12", metastatic(**after_pal), "CRITERION_NOT_MET", "ESR1 wild-type in ctDNA"),
    ])
    add("rec-m-hr-13", []).extend([
        elig("rec-m-hr-13", male(metastatic=MET_DX, therapies=[MALE_PAL_PD], biomarkers=esr1),
             "man with ESR1 mutation after ET + CDK4/6i: imlunestrant"),
        out("rec-m-hr-13", metastatic(**after_pal, **{"=biomarkers": {"PIK3CA": "not_detected"}}),
            "MISSING_DATA", "ESR1 not tested"),
    ])
    add("rec-m-hr-14", []).extend([
        elig("rec-m-hr-14", metastatic(**after_pal, biomarkers=esr1), "ESR1-mutated, postmenopausal: vepdegestrant"),
        out("rec-m-hr-14", male(metastatic=MET_DX, therapies=[MALE_PAL_PD], biomarkers=esr1),
            "CRITERION_NOT_MET", "VERITAC-2 population is postmenopausal women"),
    ])
    add("rec-m-hr-15", []).extend([
        elig("rec-m-hr-15", metastatic(**after_pal), "after palbociclib + letrozole: abemaciclib + fulvestrant"),
        out("rec-m-hr-15", metastatic(metastatic=MET_DX, therapies=[ABE_LET_PD]), "PRIOR_PROGRESSION",
            "progressed on abemaciclib: not continued"),
    ])
    add("rec-m-hr-15-ofs", []).extend([
        elig("rec-m-hr-15-ofs", pre(metastatic=MET_DX, therapies=[PRE_PAL_PD]), "premenopausal after palbociclib"),
        out("rec-m-hr-15-ofs", pre(metastatic=MET_DX, therapies=[
            therapy(["goserelin", "palbociclib", "letrozole"], "metastatic", "2023-04-20", "2025-03-01", "progression"),
            CAPE_PD]), "CRITERION_NOT_MET", "chemotherapy already given (postMONARCH excluded it)"),
    ])
    rib_let_tox = therapy(["ribociclib", "letrozole"], "metastatic", "2026-06-10", "2026-08-01", "toxicity")
    tox_1l = dict(metastatic={"diagnosis_date": "2026-06-01", "de_novo": True})
    add("rec-m-hr-01-switch-intolerance", []).extend([
        elig("rec-m-hr-01-switch-intolerance", metastatic(**tox_1l, therapies=[rib_let_tox]),
             "1L ribociclib + letrozole stopped for toxicity without progression: another CDK4/6i + NSAI"),
        out("rec-m-hr-01-switch-intolerance", metastatic(metastatic=MET_DX, therapies=[RIB_LET_PD]),
            "PRIOR_PROGRESSION", "progressed on ribociclib + letrozole: not a switch for intolerance"),
        out("rec-m-hr-01-switch-intolerance", metastatic(), "CRITERION_NOT_MET",
            "no CDK4/6 inhibitor given yet: the first-line CDK4/6i options apply"),
    ])
    add("rec-m-hr-01-switch-intolerance-ofs", []).extend([
        elig("rec-m-hr-01-switch-intolerance-ofs", pre(**tox_1l, therapies=[
            therapy(["goserelin", "abemaciclib", "letrozole"], "metastatic", "2026-06-10", "2026-08-15", "toxicity")]),
             "premenopausal, 1L goserelin + abemaciclib + letrozole stopped for toxicity: switch CDK4/6i"),
        out("rec-m-hr-01-switch-intolerance-ofs", metastatic(**tox_1l, therapies=[rib_let_tox]),
            "CRITERION_NOT_MET", "postmenopausal woman: the version without ovarian suppression"),
    ])
    add("rec-m-hr-16", []).extend([
        elig("rec-m-hr-16", metastatic(**after_pal), "after palbociclib: switch to ribociclib + fulvestrant/exemestane"),
        out("rec-m-hr-16", metastatic(metastatic=MET_DX, therapies=[RIB_LET_PD]), "PRIOR_PROGRESSION",
            "progressed on ribociclib: the same CDK4/6i is not continued"),
    ])
    add("rec-m-hr-16-ofs", []).extend([
        elig("rec-m-hr-16-ofs", male(metastatic=MET_DX, therapies=[MALE_PAL_PD]), "man after palbociclib"),
        out("rec-m-hr-16-ofs", metastatic(**after_pal), "CRITERION_NOT_MET", "postmenopausal woman"),
    ])
    brca = {"gBRCA2": "pathogenic"}
    add("rec-m-hr-18", []).extend([
        elig("rec-m-hr-18", metastatic(metastatic={"diagnosis_date": "2023-04-10", "de_novo": False},
                                       therapies=[ADJ_ACT, PAL_LET_PD], biomarkers=brca),
             "gBRCA2, adjuvant AC-T, progression on palbociclib + letrozole: PARP inhibitor (OlympiAD)"),
        out("rec-m-hr-18", metastatic(metastatic={"diagnosis_date": "2023-04-10", "de_novo": False},
                                      therapies=[ADJ_ACT, PAL_LET_PD], biomarkers=brca,
                                      conditions=["myelodysplastic_syndrome"]),
            "CONTRAINDICATION", "MDS: no PARP inhibitor"),
        elig("rec-m-hr-18", metastatic(metastatic={"diagnosis_date": "2026-09-01", "de_novo": False},
                                       therapies=[ADJ_ACT, therapy(["tamoxifen"], "adjuvant", "2019-08-01",
                                                                   "2024-08-01", "completed")],
                                       biomarkers=brca),
             "gBRCA2, adjuvant AC-T and 5 years of tamoxifen, first metastatic line: PARP inhibitor (OlympiAD)"),
        out("rec-m-hr-18", metastatic(metastatic={"diagnosis_date": "2026-09-01", "de_novo": False},
                                      therapies=[ADJ_ACT], biomarkers=brca),
            "CRITERION_NOT_MET", "no endocrine therapy in any setting yet"),
    ])
    add("rec-m-hr-19", []).extend([
        elig("rec-m-hr-19", metastatic(**after_pal, receptors={"her2_ihc": "ultralow"}),
             "HER2-ultralow, after ET + CDK4/6i, chemo-naive: T-DXd (DESTINY-Breast06)"),
        out("rec-m-hr-19", metastatic(**after_pal, receptors={"her2_ihc": "0"}), "CRITERION_NOT_MET",
            "HER2-0 (null): no T-DXd"),
    ])
    after_cape = dict(metastatic=MET_DX, therapies=[PAL_LET_PD_EARLY, CAPE_PD])
    add("rec-m-hr-20", []).extend([
        elig("rec-m-hr-20", metastatic(**after_cape), "HER2-low after ET + CDK4/6i and capecitabine (DESTINY-Breast04)"),
        out("rec-m-hr-20", metastatic(**after_cape, conditions=["interstitial_lung_disease"]),
            "CONTRAINDICATION", "ILD: no T-DXd"),
    ])
    early_rel = therapy(["docetaxel", "cyclophosphamide"], "adjuvant", "2025-12-01", "2026-05-30", "completed")
    add("rec-m-hr-20-early-relapse", []).extend([
        elig("rec-m-hr-20-early-relapse", metastatic(metastatic=RELAPSE, therapies=[early_rel]),
             "HER2-low relapse 3 months after adjuvant TC"),
        out("rec-m-hr-20-early-relapse", metastatic(metastatic=RELAPSE, therapies=[ADJ_ACT]), "CRITERION_NOT_MET",
            "relapse 7 years after adjuvant chemotherapy"),
    ])
    three = dict(metastatic=MET_DX, therapies=[PAL_LET_PD_EARLY,
                                               therapy(["capecitabine"], "metastatic", "2025-03-10", "2025-11-20",
                                                       "progression"),
                                               PACLI_PD_2])
    add("rec-m-hr-21", []).extend([
        elig("rec-m-hr-21", metastatic(**three, receptors={"her2_ihc": "0"}),
             "HER2-0 after ET + CDK4/6i, capecitabine and paclitaxel: sacituzumab govitecan (TROPiCS-02)"),
        out("rec-m-hr-21", metastatic(**after_cape), "CRITERION_NOT_MET", "only one line after ET"),
    ])
    add("rec-m-hr-22", []).extend([
        elig("rec-m-hr-22", metastatic(**after_cape), "after ET and one chemo line: Dato-DXd (TROPION-Breast01)"),
        out("rec-m-hr-22", metastatic(**after_cape, conditions=["interstitial_lung_disease"]), "CONTRAINDICATION",
            "ILD: no Dato-DXd"),
    ])
    two_et = dict(metastatic=MET_DX, therapies=[PAL_LET_PD_EARLY,
                                                therapy(["everolimus", "exemestane"], "metastatic", "2025-03-10",
                                                        "2026-09-25", "progression")])
    add("rec-m-hr-23", []).extend([
        elig("rec-m-hr-23", metastatic(**two_et), "two endocrine lines exhausted: single-agent chemotherapy"),
        out("rec-m-hr-23", metastatic(**after_pal), "CRITERION_NOT_MET", "one endocrine line only"),
    ])
    add("rec-m-hr-23-after-chemo", []).extend([
        elig("rec-m-hr-23-after-chemo", metastatic(**after_cape), "after capecitabine: further single-agent chemo"),
        out("rec-m-hr-23-after-chemo", metastatic(), "CRITERION_NOT_MET", "chemotherapy-naive first line"),
    ])
    add("rec-m-hr-23-combination", []).extend([
        elig("rec-m-hr-23-combination", metastatic(metastatic={"visceral_crisis": True}),
             "visceral crisis: combination allowed"),
        out("rec-m-hr-23-combination", metastatic(**after_cape), "NOT_PREFERRED", "no crisis: single agent"),
    ])
    et_then_chemo = dict(metastatic=MET_DX, therapies=[LET_PD, CAPE_PD])
    add("rec-m-hr-24", []).extend([
        elig("rec-m-hr-24", metastatic(**et_then_chemo), "after letrozole alone and capecitabine, CDK4/6i-naive"),
        out("rec-m-hr-24", metastatic(**after_cape), "CRITERION_NOT_MET", "CDK4/6i already given"),
        # Verzenio US label 1.2: "disease progression following endocrine therapy and prior
        # chemotherapy in the metastatic setting": the endocrine therapy may be adjuvant
        elig("rec-m-hr-24", metastatic(metastatic={"diagnosis_date": "2024-03-01", "de_novo": False},
                                       therapies=[therapy(["tamoxifen"], "adjuvant", "2017-02-01", "2022-02-01",
                                                          "completed"), CAPE_PD]),
             "relapse after 5 years of adjuvant tamoxifen, then capecitabine for metastatic disease"),
        out("rec-m-hr-24", metastatic(metastatic=MET_DX, therapies=[CAPE_PD]),
            "CRITERION_NOT_MET", "no endocrine therapy in any setting: not 'progression following endocrine therapy'"),
    ])
    tam_pd = therapy(["tamoxifen"], "metastatic", "2023-04-20", "2026-09-25", "progression")
    add("rec-m-hr-ai-after-tamoxifen", []).extend([
        elig("rec-m-hr-ai-after-tamoxifen", metastatic(metastatic=MET_DX, therapies=[tam_pd]),
             "progression on first-line tamoxifen: aromatase inhibitor"),
        out("rec-m-hr-ai-after-tamoxifen", metastatic(metastatic=MET_DX, therapies=[LET_PD, therapy(
            ["tamoxifen"], "metastatic", "2025-03-01", "2026-09-25", "progression")]),
            "CRITERION_NOT_MET", "already progressed on an AI"),
    ])
    pre_tam_pd = therapy(["goserelin", "tamoxifen"], "metastatic", "2023-04-20", "2026-09-25", "progression")
    add("rec-m-hr-ai-after-tamoxifen-ofs", []).extend([
        elig("rec-m-hr-ai-after-tamoxifen-ofs", pre(metastatic=MET_DX, therapies=[pre_tam_pd]),
             "premenopausal, progression on goserelin + tamoxifen"),
        out("rec-m-hr-ai-after-tamoxifen-ofs", metastatic(metastatic=MET_DX, therapies=[tam_pd]),
            "CRITERION_NOT_MET", "postmenopausal"),
    ])
    add("rec-m-hr-er-low-chemo", []).extend([
        elig("rec-m-hr-er-low-chemo", metastatic(receptors=ER_LOW), "ER 5% (ER-low): TNBC-like chemotherapy"),
        out("rec-m-hr-er-low-chemo", metastatic(), "CRITERION_NOT_MET", "ER 90%: endocrine therapy first"),
    ])
    add("rec-m-hr-seq-et", []).extend([
        elig("rec-m-hr-seq-et", metastatic(**after_pal), "after letrozole: exemestane or tamoxifen"),
        out("rec-m-hr-seq-et", metastatic(), "CRITERION_NOT_MET", "no endocrine therapy yet"),
    ])
    add("rec-m-hr-seq-et-ofs", []).extend([
        elig("rec-m-hr-seq-et-ofs", pre(metastatic=MET_DX, therapies=[PRE_PAL_PD]), "premenopausal after OFS + AI"),
        out("rec-m-hr-seq-et-ofs", metastatic(**after_pal), "CRITERION_NOT_MET", "postmenopausal"),
    ])

    # ---------------------------------------------------------------- metastatic TNBC
    cps15 = {"pdl1_cps": 15}
    add("rec-m-tn-01a", []).extend([
        elig("rec-m-tn-01a", metastatic(**TN_1L, biomarkers=cps15), "TNBC CPS 15, first line (KEYNOTE-355)"),
        out("rec-m-tn-01a", metastatic(**TN_1L, biomarkers={"pdl1_cps": 5}), "CRITERION_NOT_MET", "CPS 5"),
    ])
    add("rec-m-tn-01b", []).extend([
        elig("rec-m-tn-01b", metastatic(**TN_1L, biomarkers=cps15), "TNBC CPS 15: pembrolizumab + gem/carbo"),
        out("rec-m-tn-01b", metastatic(**TN_1L, biomarkers=cps15, conditions=["active_autoimmune_disease"]),
            "CONTRAINDICATION", "active autoimmune disease: no checkpoint inhibitor"),
    ])
    erl = dict(receptors=ER_LOW, metastatic={"sites": ["lung", "liver"]})
    add("rec-m-tn-01a-er-low", []).extend([
        elig("rec-m-tn-01a-er-low", metastatic(**erl, biomarkers={"pdl1_cps": 22}), "ER 5%, CPS 22: pembrolizumab + taxane"),
        out("rec-m-tn-01a-er-low", metastatic(**erl), "MISSING_DATA", "PD-L1 not tested"),
    ])
    add("rec-m-tn-01b-er-low", []).extend([
        elig("rec-m-tn-01b-er-low", metastatic(**erl, biomarkers={"pdl1_cps": 22}), "ER 5%, CPS 22: pembrolizumab + gem/carbo"),
        out("rec-m-tn-01b-er-low", metastatic(receptors=ER_LOW, metastatic=MET_DX, biomarkers={"pdl1_cps": 22},
                                              therapies=[CAPE_PD]),
            "CRITERION_NOT_MET", "chemotherapy already given for metastatic disease"),
    ])
    add("rec-m-tn-02", []).extend([
        elig("rec-m-tn-02", metastatic(**TN_1L, biomarkers={"pdl1_ic_percent": 5, "pdl1_cps": 4}),
             "TNBC SP142 IC 5% (EU): atezolizumab + nab-paclitaxel"),
        out("rec-m-tn-02", metastatic(**TN_1L, biomarkers={"pdl1_ic_percent": 5, "pdl1_cps": 4}),
            "CRITERION_NOT_MET", "US: atezolizumab TNBC indication withdrawn 2021", jurisdiction="US"),
    ])
    adj_recent = therapy(["epirubicin", "cyclophosphamide", "paclitaxel"], "adjuvant", "2025-11-01", "2026-05-01",
                         "completed")
    add("rec-m-tn-03", []).extend([
        elig("rec-m-tn-03", metastatic(**TN_1L, biomarkers=cps15), "TNBC CPS 15: SG + pembrolizumab (ASCENT-04)"),
        out("rec-m-tn-03", metastatic(receptors=TN, metastatic=RELAPSE, biomarkers=cps15, therapies=[adj_recent]),
            "CRITERION_NOT_MET", "relapse 4 months after adjuvant chemotherapy"),
    ])
    add("rec-m-tn-04", []).extend([
        elig("rec-m-tn-04", metastatic(**TN_1L, biomarkers={"pdl1_cps": 3}), "TNBC CPS 3, first line (ASCENT-03)"),
        out("rec-m-tn-04", metastatic(receptors=TN, metastatic=MET_DX, biomarkers={"pdl1_cps": 3},
                                      therapies=[therapy(["paclitaxel"], "metastatic", "2023-04-20", "2024-02-01",
                                                         "progression")]),
            "CRITERION_NOT_MET", "second line"),
    ])
    for rec in ("rec-m-tn-04-io-contraindicated", "rec-m-tn-05-io-contraindicated"):
        add(rec, []).extend([
            elig(rec, metastatic(**TN_1L, biomarkers={"pdl1_cps": 25}, conditions=["active_autoimmune_disease"]),
                 "TNBC CPS 25 with active autoimmune disease: not a checkpoint-inhibitor candidate"),
            out(rec, metastatic(**TN_1L, biomarkers={"pdl1_cps": 25}), "CRITERION_NOT_MET",
                "CPS 25 and no contraindication: pembrolizumab + chemotherapy instead"),
        ])
    add("rec-m-tn-05", []).extend([
        elig("rec-m-tn-05", metastatic(**TN_1L, biomarkers={"pdl1_cps": 3}), "TNBC CPS 3 (TROPION-Breast02)"),
        out("rec-m-tn-05", metastatic(**TN_1L, biomarkers={"pdl1_cps": 3}, conditions=["interstitial_lung_disease"]),
            "CONTRAINDICATION", "ILD: no Dato-DXd"),
    ])
    add("rec-m-tn-06", []).extend([
        elig("rec-m-tn-06", metastatic(**TN_1L, biomarkers={"pdl1_cps": 3}), "TNBC: single-agent chemotherapy"),
        out("rec-m-tn-06", metastatic(**TN_1L, age=34, menopausal_status="premenopausal", conditions=["pregnancy"],
                                      biomarkers={"pdl1_cps": 3}),
            "CONTRAINDICATION", "pregnancy: every antineoplastic drug is blocked"),
    ])
    add("rec-m-tn-06-combination", []).extend([
        elig("rec-m-tn-06-combination", metastatic(receptors=TN, biomarkers={"pdl1_cps": 3},
                                                   metastatic={"rapidly_progressive": True, "sites": ["lung", "liver"]}),
             "rapidly progressive TNBC: gemcitabine + carboplatin"),
        out("rec-m-tn-06-combination", metastatic(**TN_1L, biomarkers={"pdl1_cps": 3}), "NOT_PREFERRED",
            "no crisis: single agent"),
    ])
    add("rec-m-tn-07", []).extend([
        elig("rec-m-tn-07", metastatic(**TN_1L, biomarkers={"pdl1_cps": 3, "gBRCA1": "pathogenic"}),
             "gBRCA1 TNBC: carboplatin (TNT)"),
        out("rec-m-tn-07", metastatic(**TN_1L, biomarkers={"pdl1_cps": 3}), "CRITERION_NOT_MET", "gBRCA negative"),
    ])
    tn_relapse = dict(receptors=TN, metastatic={"diagnosis_date": "2024-06-01", "de_novo": False, "sites": ["lung"]})
    add("rec-m-tn-08", []).extend([
        elig("rec-m-tn-08", metastatic(**tn_relapse, therapies=[ADJ_ACT], biomarkers={"pdl1_cps": 3, "gBRCA1": "pathogenic"}),
             "gBRCA1 TNBC relapse after adjuvant AC-T: PARP inhibitor"),
        out("rec-m-tn-08", metastatic(**TN_1L, biomarkers={"pdl1_cps": 3, "gBRCA1": "pathogenic"}),
            "CRITERION_NOT_MET", "no prior chemotherapy in any setting"),
    ])
    tn_two = [therapy(["paclitaxel"], "metastatic", "2024-06-10", "2025-04-01", "progression"),
              therapy(["capecitabine"], "metastatic", "2025-04-10", "2026-09-20", "progression")]
    add("rec-m-tn-09", []).extend([
        elig("rec-m-tn-09", metastatic(**tn_relapse, therapies=[ADJ_ACT] + tn_two, biomarkers={"pdl1_cps": 3}),
             "TNBC after paclitaxel and capecitabine: SG (ASCENT)"),
        out("rec-m-tn-09", metastatic(**TN_1L, biomarkers={"pdl1_cps": 3}), "CRITERION_NOT_MET", "first line"),
    ])
    tn_low = dict(tn_relapse, receptors=dict(TN, her2_ihc="2+", her2_ish="not_amplified"))
    add("rec-m-tn-10", []).extend([
        elig("rec-m-tn-10", metastatic(**tn_low, therapies=[ADJ_ACT, tn_two[0]], biomarkers={"pdl1_cps": 3}),
             "HER2-low (2+/ISH-) TNBC after metastatic paclitaxel: T-DXd"),
        out("rec-m-tn-10", metastatic(**tn_relapse, therapies=[ADJ_ACT, tn_two[0]], biomarkers={"pdl1_cps": 3}),
            "CRITERION_NOT_MET", "HER2-0: no T-DXd"),
    ])
    tn_early_relapse = dict(receptors=dict(TN, her2_ihc="1+"), metastatic=RELAPSE, therapies=[adj_recent])
    noscore = {"er_percent": 0, "pr_percent": 0, "her2": "negative", "specimen": "metastasis"}
    add("rec-m-tn-10-early-relapse", []).extend([
        elig("rec-m-tn-10-early-relapse", metastatic(**tn_early_relapse, biomarkers={"pdl1_cps": 3}),
             "HER2-low TNBC relapsing 4 months after adjuvant EC-paclitaxel"),
        out("rec-m-tn-10-early-relapse", metastatic(**dict(tn_early_relapse, **{"=receptors": noscore}),
                                                    biomarkers={"pdl1_cps": 3}),
            "MISSING_DATA", "HER2 reported only as negative: HER2-low cannot be decided"),
    ])

    # ---------------------------------------------------------------- the current regimen
    # ESO-ESMO ABC 4/5: endocrine-based therapy continues until progression or unacceptable toxicity;
    # chemotherapy until progression or toxicity (Claessens 2020); a marker rise alone is not
    # progression (ABC 4, II/C). No switch without an indication.
    cur_dx = {"diagnosis_date": "2025-05-20", "de_novo": True}
    rib_let_on = therapy(["ribociclib", "letrozole"], "metastatic", "2025-06-01")
    add("rec-continue-current", []).extend([
        elig("rec-continue-current", metastatic(metastatic=cur_dx, therapies=[rib_let_on]),
             "first-line ribociclib + letrozole for 17 months, no progression: continue it",
             expect={"include": [["letrozole", "ribociclib"]],
                     "exclude_sets": [["fulvestrant"], ["exemestane", "everolimus"], ["letrozole"]],
                     "never_drugs": ["capecitabine", "paclitaxel", "trastuzumab deruxtecan"],
                     "classification": {"line": 1, "endocrine_resistance": "none"}}),
        elig("rec-continue-current", metastatic(metastatic=cur_dx, therapies=[dict(
                 rib_let_on, progression_date="2026-10-15", progression_basis=["tumor_markers"])]),
             "CA 15-3 rise only on ribociclib + letrozole: confirm, do not switch",
             expect={"include": [["letrozole", "ribociclib"]], "never_drugs": ["fulvestrant", "capecitabine"],
                     "advice": ["CONFIRM_PROGRESSION"], "warnings": ["TUMOR_MARKER_ONLY_PROGRESSION"],
                     "classification": {"line": 1, "endocrine_resistance": "none"}}),
        elig("rec-continue-current", metastatic(receptors=TN, metastatic=MET_DX, biomarkers={"pdl1_cps": 3},
                                                therapies=[therapy(["paclitaxel"], "metastatic", "2023-04-20",
                                                                   "2024-02-01", "progression"),
                                                           therapy(["capecitabine"], "metastatic", "2024-02-10")]),
             "TNBC, second-line capecitabine working: chemotherapy continues until progression or toxicity",
             expect={"include": [["capecitabine"]], "never_drugs": ["eribulin", "sacituzumab govitecan"],
                     "classification": {"line": 2}}),
        out("rec-continue-current", metastatic(metastatic=cur_dx, therapies=[dict(
                rib_let_on, progression_date="2026-10-15", progression_basis=["imaging"])]),
            "PRIOR_PROGRESSION", "progression on imaging while still on ribociclib + letrozole: change",
            expect={"warnings": ["CONTINUING_AFTER_PROGRESSION"], "never_drugs": ["ribociclib", "letrozole"],
                    "classification": {"line": 2}}),
        out("rec-continue-current", metastatic(metastatic=cur_dx, therapies=[rib_let_on], labs={"qtcf_ms": 485}),
            "CONTRAINDICATION", "QTcF 485 ms on ribociclib: the current regimen is contraindicated",
            expect={"warnings": ["CURRENT_REGIMEN_CONTRAINDICATED"], "never_drugs": ["ribociclib"]}),
        out("rec-continue-current", pre(metastatic=cur_dx, therapies=[
                therapy(["palbociclib", "letrozole"], "metastatic", "2025-06-01")]),
            "CRITERION_NOT_MET", "premenopausal on palbociclib + letrozole without ovarian suppression: "
            "not continued as it is; the LHRH-agonist version is offered (palbociclib is not 'already given')",
            expect={"include": [["goserelin", "palbociclib", "letrozole"]]}),
    ])
    adj_ana_on = therapy(["anastrozole"], "adjuvant", "2025-01-10")
    add("rec-continue-current-early", []).extend([
        elig("rec-continue-current-early", early(therapies=[adj_ana_on]),
             "22 months into adjuvant anastrozole, node-positive: continue; ribociclib may be added (NATALEE)",
             expect={"include": [["anastrozole"], ["anastrozole", "ribociclib"]],
                     "exclude_sets": [["letrozole"], ["exemestane"], ["letrozole", "ribociclib"]]}),
        out("rec-continue-current-early", early(age=44, menopausal_status="premenopausal",
                                                conditions=["history_of_thromboembolism"],
                                                therapies=[therapy(["tamoxifen"], "adjuvant", "2025-01-10")]),
            "CONTRAINDICATION", "adjuvant tamoxifen with a history of thromboembolism: not continued",
            expect={"warnings": ["CURRENT_REGIMEN_CONTRAINDICATED"], "never_drugs": ["tamoxifen"]}),
    ])
    sequencing_cases(add)
    # -- medications, organs and tests (issue 9) --------------------------------------------------
    # Pregnancy (ESMO 2013; Amant et al. Lancet 2012): chemotherapy from the second trimester only.
    preg = dict(age=34, menopausal_status="premenopausal", conditions=["pregnancy"])
    add("rec-m-preg-01", []).extend([
        elig("rec-m-preg-01", metastatic(**preg, pregnancy_trimester=2),
             "pregnant, second trimester, HR+ metastatic: weekly paclitaxel or an anthracycline"),
        out("rec-m-preg-01", metastatic(**preg, pregnancy_trimester=1), "CONTRAINDICATION",
            "pregnant, first trimester: no chemotherapy during organogenesis"),
        out("rec-m-preg-01", metastatic(age=34, menopausal_status="premenopausal"), "CRITERION_NOT_MET",
            "not pregnant"),
    ])
    tn_early = {"er_percent": 0, "pr_percent": 0, "her2_ihc": "0", "specimen": "primary", "tested_on": "2026-09-20"}
    add("rec-e-preg-01", []).extend([
        elig("rec-e-preg-01", early(**preg, receptors=tn_early, pregnancy_trimester=3),
             "pregnant, third trimester, stage II TNBC: AC/EC then weekly paclitaxel"),
        out("rec-e-preg-01", early(**preg, receptors=tn_early), "CONTRAINDICATION",
            "pregnant, trimester not recorded: the trimester decides chemotherapy"),
    ])
    # Hepatic impairment by Child-Pugh class (labels: Ibrance C 75 mg; Arimidex B/C contraindicated)
    add("rec-m-hr-02", []).extend([
        elig("rec-m-hr-02", metastatic(child_pugh="C"), "Child-Pugh C: palbociclib 75 mg with letrozole"),
        elig("rec-m-hr-02", metastatic(child_pugh="B"), "Child-Pugh B: letrozole partner (anastrozole contraindicated)"),
        elig("rec-m-hr-02", metastatic(child_pugh="A"), "Child-Pugh A: no change for palbociclib"),
    ])
    # Menopausal status unknown: the LHRH-agonist variants are safe whatever the status (ESO-ESMO ABC)
    add("rec-m-hr-01-ofs", []).extend([
        elig("rec-m-hr-01-ofs", metastatic(age=50, menopausal_status="unknown"),
             "menopausal status unknown: LHRH agonist + AI + ribociclib"),
        elig("rec-m-hr-01-ofs", pre(metastatic=RELAPSE, therapies=[ADJ_TAM_ON]),
             "premenopausal relapse on adjuvant tamoxifen: LHRH agonist + AI + ribociclib (MONALEESA-7)"),
        out("rec-m-hr-01-ofs", pre(metastatic=RELAPSE, therapies=[
            therapy(["goserelin", "anastrozole"], "adjuvant", "2023-01-15", "2026-09-01", "progression")]),
            "CRITERION_NOT_MET", "premenopausal relapse on adjuvant LHRH agonist + anastrozole: fulvestrant partner"),
        out("rec-m-hr-01-ofs", pre(metastatic=RELAPSE, therapies=[
            therapy(["goserelin", "exemestane"], "adjuvant", "2021-01-15", "2026-03-01", "completed")]),
            "CRITERION_NOT_MET", "relapse 6 months after completing adjuvant LHRH agonist + exemestane"),
    ])
    # Biomarker history: HER2-low on an earlier sample (ESMO HER2-low consensus); ESR1 stale
    zero = dict(HR, her2_ihc="0")
    add("rec-m-hr-19", []).append(
        elig("rec-m-hr-19", metastatic(**after_pal, receptors=zero, biomarker_tests=[
            {"test": "her2_ihc", "result": "1+", "date": "2019-02-01", "sample": "tissue_primary"}]),
             "HER2-0 now, HER2-low (1+) on the primary: T-DXd with a caution"))
    add("rec-m-hr-12", []).append(
        out("rec-m-hr-12", metastatic(**after_pal, biomarker_tests=[
            {"test": "ESR1", "result": "not_detected", "date": "2023-04-15", "sample": "ctdna"}]),
            "MISSING_DATA", "ESR1 negative before the progression on palbociclib + letrozole: re-test"))
    return c


def sequencing_cases(add) -> None:
    """Time since curative treatment, cross-resistance and sequencing (issue 9). Each note cites the
    source the expectation is written from."""
    cps15 = {"pdl1_cps": 15}
    # KEYNOTE-522: neoadjuvant pembrolizumab + chemotherapy, then adjuvant pembrolizumab.
    kn522_neo = therapy(["pembrolizumab", "paclitaxel", "carboplatin"], "neoadjuvant", "2024-09-01", "2025-02-20",
                        "completed")
    adj_pembro_recent = therapy(["pembrolizumab"], "adjuvant", "2025-03-20", "2026-06-15", "completed")
    adj_pembro_old = therapy(["pembrolizumab"], "adjuvant", "2024-03-20", "2024-12-15", "completed")
    kn522_neo_old = therapy(["pembrolizumab", "paclitaxel", "carboplatin"], "neoadjuvant", "2023-09-01",
                            "2024-02-20", "completed")
    tn_rel = dict(receptors=TN, metastatic=RELAPSE)  # relapse 2026-09-01
    early_ici = metastatic(**tn_rel, biomarkers=cps15, therapies=[kn522_neo, adj_pembro_recent])   # 78 days
    late_ici = metastatic(**tn_rel, biomarkers=cps15, therapies=[kn522_neo_old, adj_pembro_old])   # 625 days
    add("rec-m-tn-01a", []).extend([
        out("rec-m-tn-01a", early_ici, "CRITERION_NOT_MET",
            "CPS 15, relapse 2.5 months after adjuvant pembrolizumab (chemotherapy ended 18 months before): "
            "KEYNOTE-355 required >= 6 months from completing curative treatment; no ICI re-challenge after "
            "early relapse on or soon after adjuvant pembrolizumab (S34; ASCENT-04 design)"),
        elig("rec-m-tn-01a", late_ici,
             "CPS 15, relapse 20 months after adjuvant pembrolizumab: >= 6 months from curative treatment (S34)"),
    ])
    add("rec-m-tn-03", []).append(
        out("rec-m-tn-03", early_ici, "CRITERION_NOT_MET",
            "relapse 2.5 months after adjuvant pembrolizumab: ASCENT-04 required >= 6 months since completion "
            "of curative treatment (ESMO 2022 276TiP)"))
    add("rec-m-tn-04-after-curative-ici", []).extend([
        elig("rec-m-tn-04-after-curative-ici", late_ici,
             "CPS 15 relapsing 20 months after curative pembrolizumab: ASCENT-03 enrolled PD-L1-positive "
             "patients treated with anti-PD-(L)1 in the curative setting (ESMO 2022 275TiP)"),
        out("rec-m-tn-04-after-curative-ici", early_ici, "CRITERION_NOT_MET",
            "relapse 2.5 months after curative treatment: ASCENT-03 required >= 6 months (275TiP)"),
        out("rec-m-tn-04-after-curative-ici", metastatic(**TN_1L, biomarkers=cps15), "CRITERION_NOT_MET",
            "de novo CPS 15 without prior immunotherapy: pembrolizumab-based first line applies"),
    ])
    add("rec-m-tn-05-after-curative-ici", []).extend([
        elig("rec-m-tn-05-after-curative-ici", early_ici,
             "CPS 15 relapsing after curative pembrolizumab: not a PD-1/PD-L1 candidate in TROPION-Breast02 "
             "(NCT05374512 eligibility)"),
        out("rec-m-tn-05-after-curative-ici", metastatic(**TN_1L, biomarkers=cps15), "CRITERION_NOT_MET",
            "de novo CPS 15 without prior immunotherapy"),
    ])
    adj_cape_recent = therapy(["capecitabine"], "adjuvant", "2025-12-01", "2026-05-01", "completed")
    add("rec-m-tn-04", []).append(
        out("rec-m-tn-04", metastatic(**tn_rel, biomarkers={"pdl1_cps": 3}, therapies=[adj_cape_recent]),
            "CRITERION_NOT_MET",
            "CPS 3, relapse 4 months after adjuvant capecitabine: ASCENT-03 required >= 6 months from "
            "completion of curative treatment (275TiP)"))

    adj_ec_p = therapy(["epirubicin", "cyclophosphamide", "paclitaxel"], "adjuvant", "2025-05-01", "2025-11-15",
                       "completed")
    add("rec-m-tn-02", []).append(
        out("rec-m-tn-02", metastatic(**tn_rel, biomarkers={"pdl1_ic_percent": 5, "pdl1_cps": 4},
                                      therapies=[adj_ec_p]), "CRITERION_NOT_MET",
            "SP142 IC 5%, relapse 9.5 months after adjuvant EC-paclitaxel: IMpassion130 allowed curative "
            "chemotherapy only with a treatment-free interval >= 12 months (ESMO 2018 LBA1)",
            jurisdiction="EU"))

    # Agents given (neo)adjuvantly with relapse within 12 months are not re-offered (capecitabine).
    add("rec-m-tn-06", []).extend([
        case("eligible", metastatic(**tn_rel, biomarkers={"pdl1_cps": 3}, therapies=[adj_cape_recent]),
             offered=["rec-m-tn-06"], excluded={"drug-capecitabine": ["PRIOR_PROGRESSION"]},
             expect={"never_drugs": ["capecitabine"], "offered_drugs": ["eribulin"]},
             note="capecitabine 4 months after adjuvant capecitabine (CREATE-X) is not re-offered as if new "
                  "(ASCENT line counting, S33)"),
        case("eligible", metastatic(**tn_rel, biomarkers={"pdl1_cps": 3},
                                    therapies=[therapy(["capecitabine"], "adjuvant", "2023-10-01", "2024-03-01",
                                                       "completed")]),
             offered=["rec-m-tn-06"], expect={"offered_drugs": ["capecitabine"]},
             note="capecitabine 30 months after adjuvant capecitabine: a long interval, re-challenge possible"),
        # Progression on a drug excludes every formulation of the molecule.
        case("eligible", metastatic(receptors=TN, metastatic=MET_DX, biomarkers={"pdl1_cps": 3},
                                    therapies=[therapy(["paclitaxel"], "metastatic", "2023-04-20", "2024-02-01",
                                                       "progression")]),
             offered=["rec-m-tn-06"],
             excluded={"drug-paclitaxel": ["PRIOR_PROGRESSION"], "drug-nab-paclitaxel": ["PRIOR_PROGRESSION"]},
             expect={"never_drugs": ["paclitaxel", "nab-paclitaxel"], "offered_drugs": ["docetaxel"]},
             note="progression on paclitaxel: nab-paclitaxel is the same molecule and is not offered"),
        case("eligible", metastatic(receptors=TN, metastatic=MET_DX, biomarkers={"pdl1_cps": 3},
                                    therapies=[therapy(["doxorubicin"], "metastatic", "2023-04-20", "2024-02-01",
                                                       "progression")]),
             offered=["rec-m-tn-06"], excluded={"drug-pegylated-liposomal-doxorubicin": ["PRIOR_PROGRESSION"]},
             expect={"never_drugs": ["doxorubicin", "pegylated liposomal doxorubicin"]},
             note="progression on doxorubicin: pegylated liposomal doxorubicin is the same molecule"),
    ])

    # Non-steroidal AI after relapse on a non-steroidal AI: switch class.
    adj_let_on = therapy(["letrozole"], "adjuvant", "2022-03-01", None)
    add("rec-lrr-01-endocrine", []).append(
        case("eligible", lrr(therapies=[adj_let_on]), offered=["rec-lrr-01-endocrine"],
             expect={"never_drugs": ["letrozole", "anastrozole"], "offered_drugs": ["exemestane"]},
             note="isolated locoregional recurrence on adjuvant letrozole: no non-steroidal AI; switch class "
                  "(S5, BOLERO-2 S13)"))
    add("rec-m-hr-04", []).append(
        case("eligible", metastatic(metastatic=RELAPSE, therapies=[ADJ_AI_ON]), offered=["rec-m-hr-04"],
             expect={"never_drugs": ["letrozole", "anastrozole"], "offered_drugs": ["exemestane"]},
             note="relapse on adjuvant anastrozole: CDK4/6 inhibitor + fulvestrant; letrozole (same class) "
                  "is not offered (S5, S10)"))

    # CDK4/6 inhibitor after an adjuvant CDK4/6 inhibitor: caution.
    adj_abe_done = therapy(["abemaciclib"], "adjuvant", "2024-02-01", "2026-02-01", "completed")
    adj_let_pd = therapy(["letrozole"], "adjuvant", "2024-02-01", "2026-09-01", "progression")
    add("rec-m-hr-04", []).append(
        case("eligible", metastatic(metastatic=RELAPSE, therapies=[adj_abe_done, adj_let_pd]),
             offered=["rec-m-hr-04"], expect={"caution_contains": {"rec-m-hr-04": "re-challenge"}},
             note="relapse 7 months after completing adjuvant abemaciclib: a CDK4/6 inhibitor is a re-challenge "
                  "with little evidence (Gerosa et al. ESMO Open 2025)"))

    # Inavolisib: the EU SmPC requires >= 12 months from stopping an adjuvant CDK4/6 inhibitor.
    ina = metastatic(metastatic=RELAPSE, therapies=[adj_abe_done, adj_let_pd],
                     biomarkers={"PIK3CA": "altered"})
    add("rec-m-hr-11", []).extend([
        out("rec-m-hr-11", ina, "CRITERION_NOT_MET",
            "EU: relapse 7 months after stopping adjuvant abemaciclib; Itovebi SmPC 4.1 requires >= 12 months",
            jurisdiction="EU"),
        case("eligible", ina, offered=["rec-m-hr-11"], jurisdiction="US",
             note="US: the US label states no interval after an adjuvant CDK4/6 inhibitor"),
        case("eligible", ina, offered=["rec-m-hr-11"], expect={"caution_contains": {"rec-m-hr-11": "EU label"}},
             note="no jurisdiction: offered, with the EU label interval as a caution"),
    ])

    # MAINTAIN-type CDK4/6 switch only right after progression on a CDK4/6 inhibitor.
    add("rec-m-hr-16", []).append(
        out("rec-m-hr-16", metastatic(metastatic=MET_DX, therapies=[PAL_LET_PD_EARLY, CAPE_PD]),
            "CRITERION_NOT_MET",
            "palbociclib + letrozole, then capecitabine: MAINTAIN enrolled patients progressing during "
            "ET + CDK4/6 inhibitor, not in a later line after chemotherapy (Kalinsky JCO 2023)"))

    # Topoisomerase-I ADC after topoisomerase-I ADC: caution, preference lowered.
    her2low_hr = dict(receptors=dict(HR, her2_ihc="1+"), metastatic=MET_DX)
    tdxd_pd = therapy(["trastuzumab deruxtecan"], "metastatic", "2025-03-10", "2026-09-25", "progression")
    cape_then = therapy(["capecitabine"], "metastatic", "2024-10-01", "2025-03-01", "progression")
    pal_short = therapy(["palbociclib", "letrozole"], "metastatic", "2023-04-20", "2024-09-20", "progression")
    add("rec-m-hr-22", []).append(
        case("eligible", metastatic(**her2low_hr, therapies=[pal_short, cape_then, tdxd_pd]),
             offered=["rec-m-hr-22"],
             expect={"preference": {"rec-m-hr-22": "alternative"},
                     "caution_contains": {"rec-m-hr-22": "topoisomerase-I"},
                     "ranked_before": [["rec-m-hr-23-after-chemo", "rec-m-hr-22"]]},
             note="Dato-DXd after T-DXd: same payload class, shorter benefit of the second ADC (Mai 2025, "
                  "Huppert 2025); preference lowered below chemotherapy"))
    add("rec-m-tn-09", []).append(
        case("eligible", metastatic(**dict(dict(receptors=dict(TN, her2_ihc="1+"),
                                                               metastatic={"diagnosis_date": "2024-06-01",
                                                                           "de_novo": False, "sites": ["lung"]})),
                                    therapies=[ADJ_ACT, therapy(["paclitaxel"], "metastatic", "2024-06-10",
                                                                "2025-04-01", "progression"),
                                               therapy(["trastuzumab deruxtecan"], "metastatic", "2025-04-10",
                                                       "2026-09-20", "progression")],
                                    biomarkers={"pdl1_cps": 3}),
             offered=["rec-m-tn-09"],
             expect={"preference": {"rec-m-tn-09": "alternative"},
                     "caution_contains": {"rec-m-tn-09": "topoisomerase-I"},
                     "ranked_before": [["rec-m-tn-06", "rec-m-tn-09"]]},
             note="SG after T-DXd in HER2-low TNBC: ASCENT-04 excluded prior topoisomerase inhibitors; "
                  "cross-resistance in retrospective cohorts (Mai 2025; Tarantino Flatiron)"))

    # Early progression (< 6 months) on a first-line CDK4/6 inhibitor: chemotherapy preferred.
    early_pd = therapy(["palbociclib", "letrozole"], "metastatic", "2026-03-01", "2026-07-15", "progression")
    dx_2026 = {"diagnosis_date": "2026-02-20", "de_novo": True}
    add("rec-m-hr-07", []).append(
        case("eligible", metastatic(metastatic=dx_2026, therapies=[early_pd]),
             offered=["rec-m-hr-07", "rec-m-hr-06"],
             expect={"preference": {"rec-m-hr-07": "alternative"},
                     "ranked_before": [["rec-m-hr-06", "rec-m-hr-07"]],
                     "classification": {"endocrine_resistance": "primary"}},
             note="progression 4.5 months into first-line palbociclib + letrozole (primary endocrine "
                  "resistance, ABC): chemotherapy preferred over everolimus-based therapy (S1)"))

    # ER-low: triple-negative-like preference.
    add("rec-m-tn-01a-er-low", []).append(
        case("eligible", metastatic(receptors=ER_LOW, metastatic={"sites": ["lung", "liver"]},
                                    biomarkers={"pdl1_cps": 22}),
             offered=["rec-m-tn-01a-er-low", "rec-m-hr-01"],
             expect={"preference": {"rec-m-tn-01a-er-low": "preferred", "rec-m-hr-01": "alternative"},
                     "ranked_before": [["rec-m-tn-01a-er-low", "rec-m-hr-01"]]},
             note="ER 5%, CPS 22: ER-low behaves like TNBC (S49); pembrolizumab + chemotherapy first, "
                  "endocrine-based therapy an alternative (eligible per ASCO/CAP, S46)"))

    # PARP inhibitors: time from adjuvant olaparib; no prior chemotherapy needed for gBRCA HR+.
    brca = {"gBRCA1": "pathogenic"}
    adj_ola = lambda end: therapy(["olaparib"], "adjuvant", "2023-01-10", end, "completed")  # noqa: E731
    add("rec-m-hr-18", []).extend([
        out("rec-m-hr-18", metastatic(metastatic=RELAPSE, biomarkers=brca,
                                      therapies=[ADJ_ACT, adj_ola("2026-04-01"), ADJ_AI_ON]),
            "PRIOR_PROGRESSION", "relapse 5 months after adjuvant olaparib (OlympiA): PARP-inhibitor resistance; "
                                 "OlympiAD/EMBRACA excluded prior PARP inhibitors (S26, S27)"),
        case("eligible", metastatic(metastatic=RELAPSE, biomarkers=brca,
                                    therapies=[ADJ_ACT, adj_ola("2024-01-10"), ADJ_AI_ON]),
             offered=["rec-m-hr-18"], expect={"preference": {"rec-m-hr-18": "alternative"},
                                              "caution_contains": {"rec-m-hr-18": "re-challenge"}},
             note="relapse 32 months after adjuvant olaparib: re-challenge without trial data (expert opinion)"),
        case("eligible", metastatic(metastatic=MET_DX, biomarkers=brca, therapies=[PAL_LET_PD]),
             offered=["rec-m-hr-18"], expect={"preference": {"rec-m-hr-18": "preferred"}},
             note="gBRCA1 HR+ after CDK4/6 inhibitor + AI, no chemotherapy ever: PARP inhibitor without prior "
                  "chemotherapy (ASCO 2021 1L-3L; ESMO: anthracycline/taxane not required)"),
    ])

    # No two options with identical drugs and roles: the best-ranked is kept.
    two_et_one_chemo = [LET_PD, therapy(["fulvestrant"], "metastatic", "2025-02-20", "2025-10-01", "progression"),
                        therapy(["paclitaxel"], "metastatic", "2025-10-10", "2026-09-25", "progression")]
    add("rec-m-hr-23-after-chemo", []).append(
        case("ruled-out", metastatic(metastatic=MET_DX, therapies=two_et_one_chemo), offered=["rec-m-hr-23"],
             excluded={"rec-m-hr-23-after-chemo": ["NOT_PREFERRED"]},
             note="two endocrine lines and one chemotherapy line: both single-agent chemotherapy rules apply; "
                  "one option, the best-ranked (M-HR-23) is kept"))


def main() -> None:
    CASES_DIR.mkdir(exist_ok=True)
    for old in CASES_DIR.glob("*.json"):
        old.unlink()
    for rec_id, items in sorted(cases().items()):
        out_cases = []
        for i, item in enumerate(items):
            cid = f"{rec_id}--{item['kind']}-{i + 1}"
            record = {"id": cid, **item["record"]}
            entry = {"id": cid, "kind": item["kind"], "note": item["note"], "record": record,
                     "expect": item["expect"]}
            if "jurisdiction" in item:
                entry["jurisdiction"] = item["jurisdiction"]
            out_cases.append(entry)
        (CASES_DIR / f"{rec_id}.json").write_text(
            json.dumps({"recommendation": rec_id, "cases": out_cases}, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
