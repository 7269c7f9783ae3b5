"""Biomarker test history (biomarker_tests): validation, round trip and what it changes.

Expectations from the sources cited next to each test: ESMO/ASCO ESR1 testing in ctDNA at each
progression on endocrine therapy (ESR1 mutations are acquired under treatment); CAPItello-291
(capivasertib for a PIK3CA, AKT1 or PTEN alteration); ESMO HER2-low consensus (HER2 heterogeneity).
"""

from __future__ import annotations

import copy

from reasoner.graph.convert import graph_to_records, record_to_graph
from reasoner.validation import validate_record
from tests.clinical.make_cases import MET_DX, NEG, PAL_LET_PD, metastatic

ESR1_OLD = {"test": "ESR1", "result": "not_detected", "date": "2023-04-15", "sample": "ctdna"}
SECOND_LINE = metastatic(metastatic=MET_DX, therapies=[PAL_LET_PD])  # progression on ET 2026-09-25


def run(kb, record):
    return kb.recommend({"id": "history", **record}).to_dict()


def reasons(result, rid):
    return [(r["code"], r["text"]) for e in result["excluded"] if e["id"] == rid for r in e["reasons"]]


def advice(result):
    return {a["code"] for a in result["advice"]}


# -- validation and graph ------------------------------------------------------------------------
def test_history_round_trips_losslessly():
    rec = {"id": "rt", **metastatic(biomarker_tests=[
        ESR1_OLD,
        {"test": "her2_ihc", "result": "1+", "date": "2019-02-01", "sample": "tissue_primary"},
        {"test": "pdl1_cps", "result": 12.5, "date": "2026-10-01", "sample": "tissue_metastasis"},
        {"test": "gBRCA1", "result": "not_detected", "date": "2019-03-01"}])}
    outcome = validate_record(rec)
    assert outcome.ok, [f.message for f in outcome.findings]
    assert graph_to_records(record_to_graph(rec)) == [outcome.record]
    assert outcome.record["biomarker_tests"][2]["result"] == 12.5
    assert outcome.record["biomarker_tests"][1]["result"] == "1+"


def test_biomarkers_must_not_contradict_the_latest_test():
    rec = {"id": "c", **metastatic(biomarker_tests=[
        ESR1_OLD, {"test": "ESR1", "result": "altered", "date": "2026-10-01", "sample": "ctdna"}])}
    outcome = validate_record(rec)  # NEG says ESR1 not_detected; the latest test says altered
    assert not outcome.ok
    assert any(f.path == "biomarkers.ESR1" and "latest" in f.message for f in outcome.findings)
    fixed = copy.deepcopy(rec)
    fixed["biomarkers"]["ESR1"] = "altered"
    assert validate_record(fixed).ok


def test_result_must_fit_its_test_and_a_test_needs_a_date():
    bad = {"id": "b", **metastatic(biomarker_tests=[{"test": "PIK3CA", "result": "pathogenic", "date": "2026-01-01"}])}
    assert any(f.path == "biomarker_tests[0].result" for f in validate_record(bad).findings)
    undated = {"id": "u", **metastatic(biomarker_tests=[{"test": "PIK3CA", "result": "altered"}])}
    assert any(f.path == "biomarker_tests[0].date" for f in validate_record(undated).violations)
    unknown = {"id": "k", **metastatic(biomarker_tests=[{"test": "BRCA", "result": "x", "date": "2026-01-01"}])}
    assert any(f.path == "biomarker_tests[0].test" for f in validate_record(unknown).violations)


# -- ESR1 re-testing -----------------------------------------------------------------------------
def test_esr1_negative_before_the_latest_progression_is_not_current(kb):
    # ESR1 mutations are acquired under aromatase inhibitors: re-test ctDNA at each progression;
    # an older negative result does not rule out elacestrant (EMERALD) -> MISSING_DATA + TEST_ESR1.
    stale = run(kb, {**SECOND_LINE, "biomarker_tests": [ESR1_OLD]})
    assert "TEST_ESR1" in advice(stale)
    assert {c for c, _ in reasons(stale, "rec-m-hr-12")} == {"MISSING_DATA"}
    current = run(kb, {**SECOND_LINE, "biomarker_tests": [{**ESR1_OLD, "date": "2026-10-01"}]})
    assert "TEST_ESR1" not in advice(current)
    assert "CRITERION_NOT_MET" in {c for c, _ in reasons(current, "rec-m-hr-12")}


def test_esr1_altered_in_history_fills_an_absent_biomarker(kb):
    rec = copy.deepcopy(SECOND_LINE)
    del rec["biomarkers"]["ESR1"]
    rec["biomarker_tests"] = [{"test": "ESR1", "result": "altered", "date": "2026-10-01", "sample": "ctdna"}]
    r = run(kb, rec)
    assert "elacestrant" in {d for o in r["options"] for c in o["components"] for d in c["drugs"]}


# -- PIK3CA / AKT1 / PTEN ------------------------------------------------------------------------
def test_akt1_and_pten_untested_gives_the_panel_advice(kb):
    # CAPItello-291: an AKT1 or PTEN alteration alone qualifies for capivasertib.
    partial = {k: v for k, v in NEG.items() if k not in ("AKT1", "PTEN")}
    rec = metastatic(metastatic=MET_DX, therapies=[PAL_LET_PD], **{"=biomarkers": partial})
    r = run(kb, rec)
    assert "TEST_PIK3CA_AKT1_PTEN" in advice(r)
    assert {c for c, _ in reasons(r, "rec-m-hr-10")} == {"MISSING_DATA"}
    assert "TEST_PIK3CA_AKT1_PTEN" not in advice(run(kb, SECOND_LINE))  # all three tested
    altered = run(kb, metastatic(metastatic=MET_DX, therapies=[PAL_LET_PD],
                                 **{"=biomarkers": {**partial, "PIK3CA": "altered"}}))
    assert "TEST_PIK3CA_AKT1_PTEN" not in advice(altered)  # capivasertib already open


# -- HER2-low history ----------------------------------------------------------------------------
def test_her2_low_on_an_earlier_sample_is_kept_with_a_caution(kb):
    zero = {"er_percent": 90, "pr_percent": 40, "her2_ihc": "0", "specimen": "metastasis", "tested_on": "2026-10-01"}
    rec = metastatic(metastatic=MET_DX, therapies=[PAL_LET_PD], receptors=zero)
    without = run(kb, rec)
    tdxd = lambda r: [o for o in r["options"]  # noqa: E731
                      if "trastuzumab deruxtecan" in {d for c in o["components"] for d in c["drugs"]}]
    assert tdxd(without) == []
    with_history = run(kb, {**rec, "biomarker_tests": [
        {"test": "her2_ihc", "result": "1+", "date": "2019-02-01", "sample": "tissue_primary"}]})
    offered = tdxd(with_history)
    assert offered
    assert all(any("earlier sample" in c for c in o["cautions"]) for o in offered)
