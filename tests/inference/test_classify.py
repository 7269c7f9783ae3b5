"""Inference rules: HER2 categories, ER-low, lines, ESO-ESMO ABC endocrine resistance, states."""

from __future__ import annotations

import pytest

from reasoner.inference import classify_receptors, infer


def record(**kw):
    base = {
        "id": "t", "as_of": "2026-11-01", "sex": "female", "age": 60, "menopausal_status": "postmenopausal",
        "setting": "metastatic",
        "receptors": {"er_percent": 90, "pr_percent": 50, "her2_ihc": "1+", "specimen": "metastasis"},
        "metastatic": {"diagnosis_date": "2026-01-01", "de_novo": False, "sites": ["bone"]},
    }
    base.update(kw)
    return base


def adjuvant_et(start, end, reason="completed"):
    return {"drugs": ["letrozole"], "setting": "adjuvant", "start": start, "end": end, "end_reason": reason}


@pytest.mark.parametrize("receptors, expected", [
    ({"er_percent": 90, "pr_percent": 50, "her2_ihc": "0"}, ("HR+/HER2-", "HER2-0", False, False)),
    ({"er_percent": 5, "pr_percent": 0, "her2_ihc": "ultralow"}, ("HR+/HER2-", "HER2-ultralow", False, True)),
    ({"er_percent": 0, "pr_percent": 0, "her2_ihc": "1+"}, ("HR-/HER2-", "HER2-low", False, False)),
    ({"er_percent": 0, "pr_percent": 20, "her2_ihc": "2+", "her2_ish": "not_amplified"}, ("HR+/HER2-", "HER2-low", False, False)),
    ({"er_percent": 0, "pr_percent": 0, "her2_ihc": "2+", "her2_ish": "amplified"}, (None, "unknown", True, False)),
    ({"er": "positive", "her2": "negative"}, ("HR+/HER2-", "unknown", False, False)),
    ({"er_percent": 0, "her2_ihc": "0"}, (None, "HER2-0", False, False)),
    ({"er_percent": 10, "pr_percent": 0, "her2_ihc": "0"}, ("HR+/HER2-", "HER2-0", False, True)),
    ({"er_percent": 11, "pr_percent": 0, "her2_ihc": "0"}, ("HR+/HER2-", "HER2-0", False, False)),
])
def test_classify_receptors(kb, receptors, expected):
    assert classify_receptors(receptors, kb.inference_parameters) == expected


def test_de_novo_first_line_is_endocrine_sensitive(kb):
    inf = infer(record(metastatic={"diagnosis_date": "2026-10-01", "de_novo": True, "sites": ["bone"]}),
                kb.drug_classes)
    assert inf.endocrine_resistance == "none" and inf.line == 1
    assert "no-prior-adjuvant-et" in inf.states and "de-novo-metastatic" in inf.states


def test_relapse_in_first_two_years_of_adjuvant_et_is_primary(kb):
    inf = infer(record(therapies=[adjuvant_et("2025-01-01", None)]), kb.drug_classes)
    assert inf.endocrine_resistance == "primary"
    assert "relapse-on-adjuvant-et" in inf.states


def test_relapse_on_adjuvant_et_after_two_years_is_secondary(kb):
    inf = infer(record(therapies=[adjuvant_et("2022-01-01", None)]), kb.drug_classes)
    assert inf.endocrine_resistance == "secondary"


def test_relapse_within_12_months_of_completing_adjuvant_et_is_secondary(kb):
    inf = infer(record(therapies=[adjuvant_et("2020-01-01", "2025-06-01")]), kb.drug_classes)
    assert inf.endocrine_resistance == "secondary"
    assert "relapse-within-12m-adjuvant-et" in inf.states


def test_relapse_more_than_12_months_after_adjuvant_et_is_sensitive(kb):
    inf = infer(record(therapies=[adjuvant_et("2015-01-01", "2020-01-01")]), kb.drug_classes)
    assert inf.endocrine_resistance == "none"
    assert "relapse-after-12m-adjuvant-et" in inf.states


def test_progression_within_six_months_of_first_line_et_is_primary(kb):
    therapy = {"drugs": ["letrozole", "palbociclib"], "setting": "metastatic", "start": "2026-01-10",
               "end": "2026-05-01", "end_reason": "progression", "progression_basis": ["imaging"]}
    inf = infer(record(therapies=[therapy]), kb.drug_classes)
    assert inf.endocrine_resistance == "primary"
    assert inf.line == 2 and inf.quantities["priorMetastaticEndocrineLines"] == 1
    assert {"letrozole", "palbociclib"} <= inf.progressed


def test_lines_count_chemotherapy_and_adc(kb):
    therapies = [
        {"drugs": ["letrozole"], "setting": "metastatic", "start": "2024-01-01", "end": "2025-01-01",
         "end_reason": "progression"},
        {"drugs": ["paclitaxel"], "setting": "metastatic", "start": "2025-01-10", "end": "2025-08-01",
         "end_reason": "progression"},
        {"drugs": ["trastuzumab deruxtecan"], "setting": "metastatic", "start": "2025-08-10", "end": "2026-09-01",
         "end_reason": "completed"},
    ]
    inf = infer(record(therapies=therapies, metastatic={"diagnosis_date": "2024-01-01", "sites": ["liver"]}),
                kb.drug_classes)
    assert inf.line == 4
    assert inf.quantities["priorMetastaticChemoLines"] == 2
    assert "visceral-metastases" in inf.states


def test_regimen_stopped_for_toxicity_is_switched_within_the_line(kb):
    therapy = {"drugs": ["letrozole", "ribociclib"], "setting": "metastatic", "start": "2026-02-01",
               "end": "2026-04-01", "end_reason": "toxicity"}
    inf = infer(record(therapies=[therapy]), kb.drug_classes)
    assert inf.line == 1 and inf.quantities["priorMetastaticEndocrineLines"] == 0
    assert inf.stopped_for_toxicity == {"letrozole", "ribociclib"}


def test_non_isolated_locoregional_recurrence_is_reasoned_as_metastatic(kb):
    rec = record(setting="locoregional_recurrence", metastatic=None,
                 locoregional_recurrence={"isolated": False, "site": "chest_wall"})
    inf = infer(rec, kb.drug_classes)
    assert inf.settings == ("locoregional_recurrence", "metastatic") and inf.line == 1
    assert "lrr-isolated" not in inf.states


def test_ongoing_regimen_without_progression_is_the_current_line(kb):
    therapy = {"drugs": ["anastrozole", "ribociclib"], "setting": "metastatic", "start": "2026-01-10"}
    inf = infer(record(therapies=[therapy]), kb.drug_classes)
    assert inf.line == 1 and "ribociclib" in inf.ongoing


def test_unknowns_are_facets_not_negatives(kb):
    rec = record(menopausal_status="unknown", biomarkers={"PIK3CA": "not_tested"})
    inf = infer(rec, kb.drug_classes)
    assert {"menopause", "pik3ca", "esr1", "gbrca", "pdl1-cps", "visceral-crisis"} <= inf.unknown_facets
    assert "postmenopausal" not in inf.states and "pik3ca-not-detected" not in inf.states


def test_marker_only_progression_state(kb):
    therapy = {"drugs": ["letrozole"], "setting": "metastatic", "start": "2026-01-10",
               "progression_date": "2026-09-01", "progression_basis": ["tumor_markers"]}
    inf = infer(record(therapies=[therapy]), kb.drug_classes)
    assert "marker-only-progression" in inf.states


def test_early_relapse_after_adjuvant_chemo_counts_for_line_counting(kb):
    therapy = {"drugs": ["doxorubicin", "cyclophosphamide"], "setting": "adjuvant", "start": "2025-03-01",
               "end": "2025-06-01", "end_reason": "completed"}
    inf = infer(record(therapies=[therapy], receptors={"er_percent": 0, "pr_percent": 0, "her2_ihc": "0"}),
                kb.drug_classes)
    assert "relapse-within-12m-adjuvant-chemo" in inf.states
    assert inf.quantities["priorLinesCountingEarlyRelapse"] == 1


def test_early_risk_states(kb):
    rec = record(setting="early", metastatic=None,
                 early={"t": "T2", "n": "N1", "nodes_positive": 2, "grade": 3, "tumor_size_mm": 30})
    inf = infer(rec, kb.drug_classes)
    assert {"monarche-high-risk", "natalee-risk", "node-positive"} <= inf.states


@pytest.mark.parametrize("t, grade, expected", [
    # NATALEE (Slamon 2023; N0 subgroup, ASCO 2024 abstr 512): T3 N0 (IIB) and T4 N0 (IIIB) of any
    # grade were eligible; T2 N0 needed grade 3, or grade 2 with Ki-67 >= 20% or high genomic risk;
    # T1 N0 was excluded.
    ("T3", 1, True), ("T4", 2, True), ("T2", 1, False), ("T2", 3, True), ("T1c", 3, False),
])
def test_natalee_node_negative_pathways(kb, t, grade, expected):
    size = {"T1c": 15, "T2": 30, "T3": 60, "T4": 70}[t]
    rec = record(setting="early", metastatic=None,
                 early={"t": t, "n": "N0", "nodes_positive": 0, "grade": grade, "tumor_size_mm": size})
    assert ("natalee-risk" in infer(rec, kb.drug_classes).states) is expected
