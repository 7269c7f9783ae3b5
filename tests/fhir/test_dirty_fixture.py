"""The deliberately dirty breastcancertrials.org fixture: located errors and report entries, no crash."""

from __future__ import annotations

import copy
import datetime as dt

import pytest
from conftest import load

from reasoner.errors import FhirError
from reasoner.ingest.fhir import bundle_to_record


def test_two_values_on_one_observation_is_a_located_fhir_error(drugs):
    with pytest.raises(FhirError) as info:
        bundle_to_record(load("breastcancertrials_org_patient_data.json"), drugs=drugs)
    err = info.value
    assert err.where == "Bundle.entry[3] Observation/95d74cb0-15d5-44dd-a289-b622bfed80be .value[x]"
    assert "only one value" in err.message
    assert err.hint


def test_without_the_bad_observation_duplicates_and_bad_codes_are_reported(drugs):
    data = copy.deepcopy(load("breastcancertrials_org_patient_data.json"))
    del data["entry"][3]
    result = bundle_to_record(data, as_of=dt.date(2020, 1, 1), drugs=drugs)
    record, report = result.record, result.report
    assert record["id"] == "1e208b6b-77f1-4808-a32b-9f9caf1ec334"
    assert record["sex"] == "female" and record["age"] == 53
    assert "receptors" not in record  # the HER2 result was removed: unknown, not negative
    dupes = [i for i in report.ignored if "same id as" in i.reason]
    assert len(dupes) == 7  # 4 MedicationStatements + 3 Conditions share ids
    # RxNorm 1156253 is zoledronic acid, but the display says paclitaxel: a conflict
    assert any(c.kind == "drug_code" and "1156253" in c.text for c in report.conflicts)
    # unknown codes fall back to the display text, and the report says so
    assert any("904425" in m.inferred and m.value == "paclitaxel" for m in report.mapped)
    assert record["therapies"][0]["drugs"] == ["paclitaxel", "zoledronic acid"]


def test_invalid_loinc_34566_is_not_read_as_her2(drugs):
    data = copy.deepcopy(load("breastcancertrials_org_patient_data.json"))
    del data["entry"][3]["resource"]["valueQuantity"]
    result = bundle_to_record(data, drugs=drugs)
    assert "receptors" not in result.record
    assert any("34566" in i.reason for i in result.report.ignored)
