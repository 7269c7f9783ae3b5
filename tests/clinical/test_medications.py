"""Concomitant medications are reasoned over (ontology/interactions.ttl).

Each expectation is written from the label text cited next to it, not from the program's output;
each pair shows the capability: the same patient without the medication gets the drug.
"""

from __future__ import annotations

import pytest

from tests.clinical.make_cases import CAPE_PD, MET_DX, NEG, PAL_LET_PD, TN, metastatic

# HR+/HER2-low, postmenopausal, progression on first-line palbociclib + letrozole; PIK3CA-altered:
# in scope for capivasertib + fulvestrant, alpelisib + fulvestrant and everolimus + exemestane.
SECOND_LINE = metastatic(metastatic=MET_DX, therapies=[PAL_LET_PD],
                         biomarkers={**NEG, "PIK3CA": "altered"}, labs={"hba1c_percent": 5.5})
FIRST_LINE = metastatic()
GBRCA = metastatic(metastatic=MET_DX, therapies=[CAPE_PD], receptors=dict(TN),
                   biomarkers={**NEG, "gBRCA1": "pathogenic"})


def run(kb, record, meds=None):
    rec = {"id": "meds", **record}
    if meds is not None:
        rec["medications"] = meds
    return kb.recommend(rec).to_dict()


def offered_drugs(result):
    return {d for o in result["options"] for c in o["components"] for d in c["drugs"]}


def removed(result, drug):
    """The reason texts of a drug taken out of the options (``drug-…`` entries of ``excluded``)."""
    return [r["text"] for e in result["excluded"] if e["id"] == "drug-" + drug.replace(" ", "-")
            for r in e["reasons"] if r["code"] == "CONTRAINDICATION"]


def cautions(result, drug):
    return [c for o in result["options"] if drug in {d for comp in o["components"] for d in comp["drugs"]}
            for c in o["cautions"]]


def test_strong_cyp3a4_inhibitor_blocks_capivasertib_with_the_label_dose(kb):
    # Truqap SmPC 4.5 / USPI 7.1: avoid strong CYP3A4 inhibitors (itraconazole +95% AUC);
    # if it cannot be avoided, reduce to 320 mg twice daily (USPI 2).
    assert "capivasertib" in offered_drugs(run(kb, SECOND_LINE))
    r = run(kb, SECOND_LINE, ["itraconazole"])
    assert "capivasertib" not in offered_drugs(r)
    assert any("Itraconazole" in t and "320 mg" in t for t in removed(r, "capivasertib"))
    # everolimus (Afinitor USPI 7: avoid strong CYP3A4 inhibitors) goes too
    assert "everolimus" not in offered_drugs(r)


def test_moderate_cyp3a4_inhibitor_is_a_capivasertib_dose_change(kb):
    # Truqap USPI 2/7.1: with a moderate CYP3A4 inhibitor reduce capivasertib to 320 mg twice daily.
    r = run(kb, SECOND_LINE, ["diltiazem"])
    assert "capivasertib" in offered_drugs(r)
    assert any("Diltiazem" in c and "320 mg" in c for c in cautions(r, "capivasertib"))


def test_strong_cyp3a4_inducer_blocks_cdk46_inhibitors_by_synonym(kb):
    # Ibrance USPI 7.2, Kisqali USPI 7.2, Verzenio USPI 7.2: avoid strong CYP3A inducers (rifampin).
    before = offered_drugs(run(kb, FIRST_LINE))
    assert {"palbociclib", "ribociclib", "abemaciclib"} <= before
    for name in ("rifampicin", "rifampin", "Rifadin"):
        r = run(kb, FIRST_LINE, [name])
        assert not {"palbociclib", "ribociclib", "abemaciclib"} & offered_drugs(r), name
        assert "letrozole" in offered_drugs(r)  # endocrine therapy alone stays possible
        assert not [w for w in r["warnings"] if w["code"] == "UNKNOWN_MEDICATION"]


def test_strong_cyp3a4_inhibitor_abemaciclib_dose_but_palbociclib_avoided(kb):
    # Verzenio USPI 2.4/7.1: strong CYP3A inhibitors other than ketoconazole -> 100 mg twice daily;
    # ketoconazole: avoid. Ibrance USPI 7.1: avoid (75 mg once daily if unavoidable).
    r = run(kb, FIRST_LINE, ["clarithromycin"])
    assert "abemaciclib" in offered_drugs(r)
    assert any("100 mg twice daily" in c for c in cautions(r, "abemaciclib"))
    assert "palbociclib" not in offered_drugs(r)
    assert any("75 mg" in t for t in removed(r, "palbociclib"))
    assert "abemaciclib" not in offered_drugs(run(kb, FIRST_LINE, ["ketoconazole"]))


def test_olaparib_avoided_with_cyp3a_inhibitor_talazoparib_dose_with_pgp_inhibitor(kb):
    # Lynparza USPI 7: avoid moderate CYP3A inhibitors (fluconazole; 150 mg twice daily if unavoidable).
    # Talzenna: P-gp inhibitors (verapamil named) -> reduce talazoparib to 0.75 mg once daily.
    base = run(kb, GBRCA)
    assert {"olaparib", "talazoparib"} <= offered_drugs(base)
    r = run(kb, GBRCA, ["verapamil"])  # moderate CYP3A4 inhibitor and P-gp inhibitor
    assert "olaparib" not in offered_drugs(r)
    assert any("150 mg" in t for t in removed(r, "olaparib"))
    assert "talazoparib" in offered_drugs(r)
    assert any("0.75 mg" in c for c in cautions(r, "talazoparib"))


def test_insulin_is_evidence_of_insulin_requiring_diabetes(kb):
    # Truqap SmPC 4.4: type 1 diabetes and diabetes requiring insulin were not studied -> not offered.
    # Piqray USPI 5: type 1 / uncontrolled type 2 diabetes not studied -> caution when on insulin.
    r = run(kb, SECOND_LINE, ["insulin glargine"])
    assert "capivasertib" not in offered_drugs(r)
    assert any("Insulin glargine" in t for t in removed(r, "capivasertib"))
    assert "alpelisib" in offered_drugs(r)
    assert any("insulin" in c.lower() for c in cautions(r, "alpelisib"))


def test_warfarin_with_capecitabine_and_cyp2d6_inhibitor_with_tamoxifen(kb):
    # Xeloda USPI 5.1/7: vitamin-K antagonists -> monitor INR frequently. CPIC tamoxifen: avoid strong
    # CYP2D6 inhibitors (paroxetine).
    chemo = metastatic(metastatic=MET_DX, therapies=[PAL_LET_PD],
                       receptors={"er_percent": 0, "pr_percent": 0, "her2_ihc": "0", "specimen": "metastasis",
                                  "tested_on": "2026-10-01"})
    r = run(kb, chemo, ["warfarin"])
    assert "capecitabine" in offered_drugs(r)
    assert any("Warfarin" in c and "INR" in c for c in cautions(r, "capecitabine"))
    assert not any("INR" in c for c in cautions(run(kb, chemo), "capecitabine"))
    male_like = metastatic(sex="male", age=67)
    r = run(kb, male_like, ["paroxetine"])
    assert any("Paroxetine" in c and "CYP2D6" in c for c in cautions(r, "tamoxifen"))


def test_unknown_medication_is_kept_and_reported_never_an_error(kb):
    r = run(kb, FIRST_LINE, ["zzq-unlisted-herbal", "metformin"])
    assert r["status"] == "ok"
    unknown = [w for w in r["warnings"] if w["code"] == "UNKNOWN_MEDICATION"]
    assert len(unknown) == 1 and "zzq-unlisted-herbal" in unknown[0]["text"]
    assert r["options"]


@pytest.mark.parametrize("evaluator", ["fastpath", "sparql"])
def test_both_evaluators_give_the_same_interaction_rows(kb, evaluator):
    from reasoner.engine import Engine

    rec = {"id": "meds", **SECOND_LINE, "medications": ["itraconazole", "st john's wort", "insulin", "warfarin"]}
    fast = Engine(kb, evaluator="fastpath")
    other = Engine(kb, evaluator=evaluator)
    a, b = fast.run([rec])[0].to_dict(), other.run([rec])[0].to_dict()
    assert a["options"] == b["options"] and a["excluded"] == b["excluded"]
