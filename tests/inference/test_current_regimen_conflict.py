"""Two ongoing regimens that contradict each other: the current regimen is unknown (fail closed).

A record (for example MITRE's mCODE Patient01) can list two ongoing regimens with two different
drugs of the same class, here two CDK4/6 inhibitors, as if given together: no guideline gives two
CDK4/6 inhibitors at once, so the record cannot say what she is on now. The reasoner must neither
continue "the" current regimen nor count her as CDK4/6-inhibitor-naive and offer a first-line
CDK4/6 inhibitor (developer guide: what cannot be read is not read as absent). An LHRH agonist
recorded as its own ongoing therapy beside a CDK4/6 inhibitor + AI is no contradiction (MONALEESA-7
gave them together).
"""

from __future__ import annotations

import reasoner

BASE = {
    "as_of": "2026-11-01", "sex": "female", "age": 47, "menopausal_status": "postmenopausal",
    "setting": "metastatic", "ecog": 0,
    "receptors": {"er_percent": 90, "pr_percent": 40, "her2_ihc": "1+", "specimen": "metastasis",
                  "tested_on": "2026-03-01"},
    "metastatic": {"diagnosis_date": "2026-03-01", "de_novo": True, "sites": ["bone", "liver"],
                   "visceral_crisis": False, "life_threatening": False},
    "biomarkers": {"PIK3CA": "not_detected", "ESR1": "not_detected", "gBRCA1": "not_detected",
                   "gBRCA2": "not_detected"},
    "labs": {"qtcf_ms": 420, "lvef_percent": 60},
}
CDK46 = {"palbociclib", "ribociclib", "abemaciclib"}


def test_two_concurrent_cdk46_inhibitors_open_nothing_that_depends_on_the_current_regimen():
    record = {**BASE, "id": "two-cdk", "therapies": [
        {"drugs": ["abemaciclib", "fulvestrant"], "setting": "metastatic", "start": "2026-03-10"},
        {"drugs": ["ribociclib", "fulvestrant"], "setting": "metastatic", "start": "2026-04-01"},
    ]}
    result = reasoner.recommend(record)
    assert result.status == "ok"
    offered = {d for o in result.options for d in o.drugs}
    assert not offered & CDK46
    assert not any(o.to_dict().get("continue_current") for o in result.options)


def test_ovarian_suppression_recorded_apart_is_no_contradiction():
    record = {**BASE, "id": "ofs-apart", "menopausal_status": "premenopausal", "therapies": [
        {"drugs": ["goserelin"], "setting": "metastatic", "start": "2026-03-10"},
        {"drugs": ["letrozole", "ribociclib"], "setting": "metastatic", "start": "2026-03-10"},
    ]}
    result = reasoner.recommend(record)
    continuing = [o for o in result.options if o.to_dict().get("continue_current")]
    assert continuing and set(continuing[0].drugs) >= {"letrozole", "ribociclib"}
