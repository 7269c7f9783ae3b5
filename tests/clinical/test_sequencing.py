"""Time since curative treatment, cross-resistance and sequencing (issue 9): the inferred intervals,
the two evaluators on them, option dedupe and the jurisdiction filter.

The per-recommendation patient cases are in ``cases/`` (written by ``make_cases.sequencing_cases``,
each note citing its source); these tests check the machinery those cases rely on.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reasoner.engine import Engine
from reasoner.inference import infer, inferred_triples
from reasoner.vocab import H2N

ROOT = Path(__file__).resolve().parents[2]
TN = {"er_percent": 0, "pr_percent": 0, "her2_ihc": "0", "specimen": "metastasis", "tested_on": "2026-09-01"}


def record(therapies, diagnosis_date="2026-09-01", **kw):
    metastatic = {"de_novo": False, "sites": ["lung"], "visceral_crisis": False}
    if diagnosis_date:
        metastatic["diagnosis_date"] = diagnosis_date
    base = {"id": "seq", "as_of": "2026-11-01", "sex": "female", "age": 50, "menopausal_status": "postmenopausal",
            "ecog": 0, "setting": "metastatic", "receptors": TN, "metastatic": metastatic,
            "biomarkers": {"pdl1_cps": 15, "gBRCA1": "not_detected", "gBRCA2": "not_detected"},
            "therapies": therapies}
    base.update(kw)
    return base


KN522 = [
    {"drugs": ["pembrolizumab", "paclitaxel", "carboplatin"], "setting": "neoadjuvant", "start": "2024-09-01",
     "end": "2025-02-20", "end_reason": "completed"},
    {"drugs": ["pembrolizumab"], "setting": "adjuvant", "start": "2025-03-20", "end": "2026-06-15",
     "end_reason": "completed"},
]


def test_days_from_curative_exposure_to_relapse(kb):
    inf = infer(record(KN522), kb.drug_classes)
    # pembrolizumab last ended 2026-06-15, relapse 2026-09-01: 78 days; the chemotherapy 558 days.
    assert inf.curative_relapse_days == {"pembrolizumab": 78, "paclitaxel": 558, "carboplatin": 558}
    ongoing = [{"drugs": ["letrozole"], "setting": "adjuvant", "start": "2023-01-01"}]
    assert infer(record(ongoing), kb.drug_classes).curative_relapse_days == {"letrozole": 0}  # relapse on it
    assert set(infer(record(KN522, diagnosis_date=None), kb.drug_classes).curative_relapse_days.values()) == {None}
    early = record(KN522, setting="early")
    assert infer(early, kb.drug_classes).curative_relapse_days == {}  # no relapse, no interval


def test_curative_exposure_triples_carry_the_class_closure(kb):
    inf = infer(record(KN522), kb.drug_classes)
    triples = set(inferred_triples(H2N["patient-x"], inf))
    node = next(o for s, p, o in triples if p == H2N.curativeExposure and str(o).endswith("drug-pembrolizumab"))
    assert (node, H2N.curativeDrugClass, H2N.ImmuneCheckpointInhibitor) in triples
    assert any(p == H2N.daysToRelapse and s == node and int(o) == 78 for s, p, o in triples)


@pytest.mark.parametrize("diagnosis_date", ["2026-09-01", "2027-06-01", None])
def test_interval_criteria_equal_in_both_evaluators(kb, diagnosis_date):
    """The SPARQL file and the fast path give the same rows, including an unknown interval."""
    fast, ref = Engine(kb, evaluator="fastpath"), Engine(kb, evaluator="sparql")
    rec = record(KN522, diagnosis_date=diagnosis_date, as_of="2027-07-01")
    prepared = [p for p in ref._prepare_many([rec]) if p.status == "ok"]
    graphs = {p.iri: ref._patient_triples(p) for p in prepared}
    want = ref._query_batch_sparql(prepared, graphs)
    got = fast._query_batch(prepared, graphs)
    key = lambda rows: sorted(json.dumps(r, sort_keys=True, default=str) for r in rows)  # noqa: E731
    for p in prepared:
        assert key(got[p.iri]["criterion-status"]) == key(want[p.iri]["criterion-status"])
        statuses = {r["criterion"].rsplit("/", 1)[-1]: r["status"] for r in got[p.iri]["criterion-status"]}
        expected = {"2026-09-01": "not_met", "2027-06-01": "met", None: "unknown"}[diagnosis_date]
        assert statuses["crit-curative-treatment-6m"] == expected


def test_unknown_interval_is_never_read_as_met(kb):
    """KEYNOTE-355 needs >= 6 months: without a recurrence date the option carries the caution."""
    result = kb.recommend(record(KN522, diagnosis_date=None)).to_dict()
    option = next(o for o in result["options"] if o["id"] == "rec-m-tn-01a")
    assert any("not known" in c for c in option["cautions"])


def _all_records():
    records = [json.loads(p.read_text())["record"] for p in sorted((ROOT / "tests/acceptance/cases").glob("*.json"))]
    records += [c["record"] for p in sorted((ROOT / "tests/clinical/cases").glob("*.json"))
                for c in json.loads(p.read_text())["cases"]]
    return records


def test_no_two_options_with_identical_drugs_and_roles(kb):
    for result in kb.recommend_many(_all_records()):
        seen = {}
        for option in result.to_dict()["options"]:
            key = tuple(sorted((c["role"], tuple(c["drugs"]), c.get("dosing", "")) for c in option["components"]))
            assert key not in seen, f"{result.patient}: {option['id']} repeats {seen[key]}"
            seen[key] = option["id"]


def test_dedupe_keeps_the_best_ranked(kb):
    let_pd = {"drugs": ["letrozole"], "setting": "metastatic", "start": "2023-04-20", "end": "2025-02-10",
              "end_reason": "progression", "progression_basis": ["imaging"]}
    ful_pd = {"drugs": ["fulvestrant"], "setting": "metastatic", "start": "2025-02-20", "end": "2025-10-01",
              "end_reason": "progression", "progression_basis": ["imaging"]}
    pac_pd = {"drugs": ["paclitaxel"], "setting": "metastatic", "start": "2025-10-10", "end": "2026-09-25",
              "end_reason": "progression", "progression_basis": ["imaging"]}
    rec = record([let_pd, ful_pd, pac_pd], diagnosis_date="2023-04-10",
                 receptors={"er_percent": 90, "pr_percent": 40, "her2_ihc": "0", "specimen": "metastasis"})
    result = kb.recommend(rec).to_dict()
    ids = [o["id"] for o in result["options"]]
    ranks = {r.id: r.rank for r in kb.rules.values()}
    assert "rec-m-hr-23" in ids and "rec-m-hr-23-after-chemo" not in ids
    assert ranks["rec-m-hr-23"] < ranks["rec-m-hr-23-after-chemo"]
    dropped = next(e for e in result["excluded"] if e["id"] == "rec-m-hr-23-after-chemo")
    assert [r["code"] for r in dropped["reasons"]] == ["NOT_PREFERRED"]


def test_jurisdiction_scoped_criterion(kb):
    """Inavolisib: the EU SmPC (4.1) requires >= 12 months from stopping an adjuvant CDK4/6 inhibitor."""
    rec = record([
        {"drugs": ["abemaciclib"], "setting": "adjuvant", "start": "2024-02-01", "end": "2026-02-01",
         "end_reason": "completed"},
        {"drugs": ["letrozole"], "setting": "adjuvant", "start": "2024-02-01", "end": "2026-09-01",
         "end_reason": "progression", "progression_basis": ["imaging"]},
    ], receptors={"er_percent": 90, "pr_percent": 40, "her2_ihc": "0", "specimen": "metastasis"},
        biomarkers={"PIK3CA": "altered", "gBRCA1": "not_detected", "gBRCA2": "not_detected"})
    offered = lambda j: {o.id for o in kb.recommend(rec, jurisdiction=j).options}  # noqa: E731
    assert "rec-m-hr-11" in offered("US")
    assert "rec-m-hr-11" not in offered("EU")
    assert "rec-m-hr-11" in offered(None)
