"""Partial records give partial answers (issue 13).

A therapy without a setting is not an invalid record: the contract does not require the field, so
absent means unknown. The setting is derived from the dates where the record has them (rule in
``reasoner.ingest.therapy_setting`` and ``docs/fhir-mapping.md``), stated as a warning on the
result; otherwise what depends on it -- the line of metastatic therapy and endocrine resistance --
is unknown and the options that need it are not offered (MISSING_DATA).

Endocrine resistance follows ESO-ESMO ABC 5 (Cardoso et al., Ann Oncol 2020): secondary
resistance is progression on first-line endocrine therapy for metastatic disease after 6 months or
more. A first line that stopped without a recorded reason may have stopped for progression, so
"no resistance" cannot be concluded from it.
"""

from __future__ import annotations

import reasoner
from reasoner.ingest.therapy_setting import RULE, derive_setting
from reasoner.validation import validate_record


def record(**kw):
    base = {
        "id": "p", "as_of": "2026-11-01", "sex": "female", "age": 64, "menopausal_status": "postmenopausal",
        "setting": "metastatic",
        "receptors": {"er_percent": 90, "pr_percent": 50, "her2_ihc": "1+", "specimen": "metastasis",
                      "tested_on": "2026-10-01"},
        "metastatic": {"diagnosis_date": "2025-01-10", "de_novo": False, "sites": ["bone"]},
        "biomarkers": {"PIK3CA": "not_detected", "ESR1": "not_detected", "gBRCA1": "not_detected",
                       "gBRCA2": "not_detected"},
        "ecog": 0,
    }
    base.update(kw)
    return base


AI_CDK = {"drugs": ["letrozole", "palbociclib"], "start": "2025-01-20", "end": "2026-09-01",
          "end_reason": "progression", "progression_date": "2026-09-01"}
ADJ_TAM = {"drugs": ["tamoxifen"], "start": "2018-01-01", "end": "2023-01-01", "end_reason": "completed"}


def test_the_rule_derives_settings_from_dates():
    rec = record(therapies=[ADJ_TAM, AI_CDK])
    assert derive_setting(rec, AI_CDK).setting == "metastatic"
    assert derive_setting(rec, ADJ_TAM).setting == "adjuvant"
    de_novo = record(metastatic={"de_novo": True, "sites": ["bone"]})
    assert derive_setting(de_novo, {"drugs": ["letrozole"]}).setting == "metastatic"
    early = record(setting="early", metastatic=None)
    assert derive_setting(early, {"drugs": ["tamoxifen"], "start": "2026-01-01"}).setting == "adjuvant"
    no_date = record(metastatic={"de_novo": False, "sites": ["bone"]})
    assert derive_setting(no_date, AI_CDK) is None
    assert derive_setting(record(setting="locoregional_recurrence"), AI_CDK) is None
    assert derive_setting(rec, {**AI_CDK, "setting": "adjuvant"}) is None  # a given setting is kept
    assert "metastatic diagnosis date" in RULE


def test_derived_setting_is_stated_on_the_result_and_used():
    result = reasoner.recommend(record(therapies=[ADJ_TAM, AI_CDK]))
    assert result.status == "ok"
    derived = [v for v in result.to_dict()["validation"] if v["path"].startswith("therapies[")]
    assert {v["path"] for v in derived} == {"therapies[0].setting", "therapies[1].setting"}
    assert all(v["severity"] == "warning" and "derived as" in v["message"] for v in derived)
    # AI + CDK4/6 inhibitor for metastatic disease, progression after 19 months: second line,
    # secondary endocrine resistance (ABC 5)
    assert result.classification["line"] == 2
    assert result.classification["endocrine_resistance"] == "secondary"


def test_underivable_setting_gives_a_partial_answer():
    rec = record(metastatic={"de_novo": False, "sites": ["bone"]}, therapies=[AI_CDK])
    outcome = validate_record(rec)
    assert outcome.ok
    warning = [f for f in outcome.findings if f.path == "therapies[0].setting"]
    assert warning and "metastatic.diagnosis_date" in warning[0].message
    result = reasoner.recommend(rec)
    assert result.status == "ok"
    assert result.classification["line"] is None
    assert result.classification["endocrine_resistance"] == "unknown"
    data = result.to_dict()
    missing = [e for e in data["excluded"] if any(r["code"] == "MISSING_DATA" for r in e["reasons"])]
    assert missing, "options that depend on the line must be MISSING_DATA"
    # never a drug the disease progressed on (letrozole, palbociclib) among the options
    for option in data["options"]:
        drugs = {d for c in option["components"] for d in c["drugs"]}
        assert not drugs & {"letrozole", "palbociclib"}, option["label"]


def test_four_endocrine_lines_without_end_reasons_leave_resistance_unknown():
    lines = [
        {"drugs": ["anastrozole"], "setting": "metastatic", "start": "2025-01-20", "end": "2025-06-01"},
        {"drugs": ["letrozole"], "setting": "metastatic", "start": "2025-06-01", "end": "2025-12-01"},
        {"drugs": ["exemestane"], "setting": "metastatic", "start": "2025-12-01", "end": "2026-04-01"},
        {"drugs": ["tamoxifen"], "setting": "metastatic", "start": "2026-04-01"},
    ]
    result = reasoner.recommend(record(therapies=lines))
    assert result.status == "ok"
    assert result.classification["endocrine_resistance"] == "unknown"


def test_first_line_replaced_without_a_reason_is_not_read_as_sensitive():
    lines = [
        {"drugs": ["letrozole", "ribociclib"], "setting": "metastatic", "start": "2025-01-20"},
        {"drugs": ["fulvestrant"], "setting": "metastatic", "start": "2026-02-01"},
    ]
    result = reasoner.recommend(record(therapies=lines))
    assert result.classification["endocrine_resistance"] == "unknown"


def test_first_line_stopped_for_toxicity_is_still_sensitive():
    lines = [{"drugs": ["letrozole"], "setting": "metastatic", "start": "2025-01-20", "end": "2025-03-01",
              "end_reason": "toxicity"}]
    result = reasoner.recommend(record(therapies=lines))
    assert result.classification["endocrine_resistance"] == "none"
