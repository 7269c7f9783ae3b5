"""Every code of the Synthea breast-cancer module that the contract can use maps; the rest are
ignored on purpose (listed here and in docs/fhir-mapping.md)."""

from __future__ import annotations

import csv

from builders import LOINC, RXN, SCT, bundle, cc, condition, med_statement, obs, patient
from conftest import DATA

from reasoner.ingest.fhir import bundle_to_record

ROWS = list(csv.DictReader((DATA / "synthea_breast_cancer_module_codes.csv").open()))

#: Observation codes ignored deliberately, with the reason.
IGNORED_OBSERVATIONS = {
    "10480-2": "combined ER+PR result does not name the receptor",
    "21924-6": "generic tumour marker ('triple negative') does not name the receptor",
    "59557-9": "treatment status is not a contract field",
    "88040-1": "only a dated 'worsening' becomes a progression date (tested separately)",
    "33728-7": "tumour size needs a length; Synthea emits none",
    "44667-4": "'no distant metastasis' is not coded as M0",
    "85352-3": "node counts are not mapped",
    "85344-0": "node counts are not mapped",
    "85343-2": "node counts are not mapped",
}
#: Module states whose value has no contract value (ignored with a reason).
IGNORED_STATES = {
    "T0_Diagnosed": "cT0 has no contract T value",
    "T1_Diagnosed": "cT1 without a/b/c has no contract T value (T1a/T1b/T1c/T1mi)",
}
#: Drugs outside the HER2-negative contract (anti-HER2 agents).
ANTI_HER2 = {"2119714", "1658084", "672149", "1940648"}


def value_rows(state):
    return [r for r in ROWS if r["state"] == state and r["kind"] == "value_code"]


def test_every_module_observation_code_maps_or_is_deliberately_ignored(drugs):
    for row in [r for r in ROWS if r["state_type"] == "Observation" and r["kind"] == "code"]:
        values = value_rows(row["state"])
        value = {"valueCodeableConcept": cc(SCT, values[0]["code"], values[0]["display"])} if values else {}
        if row["code"] == "85318-4":
            value = {"valueString": "less than 1.8" if "less" in row["state"] else "greater than 2.2"}
        m0 = obs("m0", cc(LOINC, "21907-1"), {"valueCodeableConcept": cc(SCT, "1229901006")})  # early setting
        result = bundle_to_record(
            bundle(patient(), m0, obs("o", cc(LOINC, row["code"], row["display"]), value)), drugs=drugs
        )
        used = [m for m in result.report.mapped if "Observation/o" in m.resource]
        if row["state"] in IGNORED_STATES:
            assert any("no contract value" in i.reason for i in result.report.ignored), row
        elif row["code"] in IGNORED_OBSERVATIONS:
            assert not any(m.field.startswith(("receptors", "biomarkers")) for m in used), row
            assert any("Observation/o" in i.resource for i in result.report.ignored) or used, row
        else:
            assert used, f"{row['state']} {row['code']} did not map"


def test_receptor_results_map_to_the_right_fields(drugs):
    expected = {
        "ER_positive": ("er", "positive"),
        "ER_negative": ("er", "negative"),
        "PR_positive": ("pr", "positive"),
        "PR_negative": ("pr", "negative"),
        "HER2_positive": ("her2", "positive"),
        "HER2_negative": ("her2", "negative"),
    }
    for state, (fld, value) in expected.items():
        code = next(r for r in ROWS if r["state"] == state and r["kind"] == "code")["code"]
        v = value_rows(state)[0]["code"]
        rec = bundle_to_record(
            bundle(patient(), obs("o", cc(LOINC, code), {"valueCodeableConcept": cc(SCT, v)})), drugs=drugs
        ).record
        assert rec["receptors"][fld] == value, state


def test_stage_and_m_category(drugs):
    for row in [r for r in ROWS if r["code"] == "21908-9" and r["kind"] == "code"]:
        v = value_rows(row["state"])[0]
        rec = bundle_to_record(
            bundle(
                patient(),
                obs("s", cc(LOINC, "21908-9"), {"valueCodeableConcept": cc(SCT, v["code"], v["display"])}),
            ),
            drugs=drugs,
        ).record
        assert rec["setting"] == ("metastatic" if row["state"] == "Stage IV" else "early"), row["state"]
    m1 = bundle_to_record(
        bundle(patient(), obs("m", cc(LOINC, "21907-1"), {"valueCodeableConcept": cc(SCT, "1229903009")})),
        drugs=drugs,
    ).record
    assert m1["setting"] == "metastatic"


def test_every_module_drug_maps_to_a_canonical_name(drugs):
    for row in [r for r in ROWS if r["state_type"] == "MedicationOrder"]:
        result = bundle_to_record(
            bundle(
                patient(),
                med_statement("m", cc(RXN, row["code"], row["display"]), effectiveDateTime="2019-01-01"),
            ),
            drugs=drugs,
        )
        if row["code"] in ANTI_HER2:
            assert "therapies" not in result.record
            assert any("anti-HER2" in c.text for c in result.report.conflicts), row
        else:
            drugs_out = result.record["therapies"][0]["drugs"]
            assert drugs_out == [
                row["state"].replace("5-fluorouracil", "fluorouracil").replace("_", " ").lower()
            ], row
            assert not any(
                m.inferred.startswith("drug recognised from text") for m in result.report.mapped
            ), row


def test_breast_cancer_condition_is_the_primary_cancer(drugs):
    code = next(r for r in ROWS if r["state"] == "Breast Cancer")["code"]
    result = bundle_to_record(bundle(patient(), condition("c", cc(SCT, code))), drugs=drugs)
    assert any(m.field == "(primary cancer)" for m in result.report.mapped)
