"""The two MITRE mCODE bundles map to hand-checked expected records (read from the bundles:
Patient01 born 1959-01-01, ER+/PR+ (40556-3/40557-1), HER2 negative (18474-7), ESR1 and PIK3CA
present, liver and bone metastases (axillary nodes are regional), stage IV; Patient02 born
1973-01-01, eleven dated MedicationStatements)."""

from __future__ import annotations

from conftest import AS_OF, DATA, load

from reasoner.ingest.fhir import bundle_to_record


def test_patient01_maps_to_expected_record(drugs):
    result = bundle_to_record(load("TrialMatching_Patient01.json"), as_of=AS_OF, drugs=drugs)
    assert result.record == load("TrialMatching_Patient01.expected.json")


def test_patient02_maps_to_expected_record(drugs):
    text = (DATA / "TrialMatching_Patient02.json").read_text()
    result = bundle_to_record(text, as_of=AS_OF, drugs=drugs)
    assert result.record == load("TrialMatching_Patient02.expected.json")


def test_patient01_flags_two_active_cdk46_inhibitors(drugs):
    report = bundle_to_record(load("TrialMatching_Patient01.json"), as_of=AS_OF, drugs=drugs).report
    kinds = {c.kind for c in report.conflicts}
    assert "concurrent_cdk46" in kinds
    text = " ".join(c.text for c in report.conflicts)
    assert "abemaciclib" in text and "ribociclib" in text
    warnings = report.warnings()
    assert warnings and all(w["code"] in ("FHIR_CONFLICT", "FHIR_DERIVED") and w["text"] for w in warnings)
    assert {w["code"] for w in warnings} == {"FHIR_CONFLICT", "FHIR_DERIVED"}


def test_patient01_reports_regional_nodes_and_menopause_inference(drugs):
    report = bundle_to_record(load("TrialMatching_Patient01.json"), as_of=AS_OF, drugs=drugs).report
    assert any("94181007" in i.reason and "regional" in i.reason for i in report.ignored)
    # born 1959-01-01, 61 on 2020-06-01, leuprolide completed: postmenopausal by the NCCN
    # definition of menopause (age 60 or more), with the rule stated
    meno = [m for m in report.mapped if m.field == "menopausal_status"]
    assert meno and meno[0].value == "postmenopausal" and "NCCN" in meno[0].inferred and "61" in meno[0].inferred
    assert any(m.field == "metastatic.de_novo" and m.inferred for m in report.mapped)


def test_patient02_flags_alpelisib_without_pik3ca(drugs):
    report = bundle_to_record(load("TrialMatching_Patient02.json"), as_of=AS_OF, drugs=drugs).report
    targeted = [c for c in report.conflicts if c.kind == "targeted_without_biomarker"]
    assert len(targeted) == 1 and "alpelisib" in targeted[0].text and "PIK3CA" in targeted[0].text
    assert targeted[0].resources and "MedicationStatement" in targeted[0].resources[0]


def test_patient02_ignores_irrelevant_resources_with_reasons(drugs):
    report = bundle_to_record(load("TrialMatching_Patient02.json"), as_of=AS_OF, drugs=drugs).report
    reasons = " ".join(i.reason for i in report.ignored)
    assert "breast surgery (breast_conserving)" in reasons  # lumpectomy 392021009, setting metastatic
    radiotherapy = [m for m in report.mapped if m.field == "(radiotherapy)"]
    assert len(radiotherapy) == 4 and "53438000" in radiotherapy[0].code
    assert "tumour mutational burden" in reasons
    assert "genetic variant for a gene the contract does not use" in reasons
    inferred_end = [m for m in report.mapped if "end set to the start of the next regimen" in m.inferred]
    assert inferred_end


def test_report_to_dict_is_json_ready(drugs):
    import json

    report = bundle_to_record(load("TrialMatching_Patient01.json"), as_of=AS_OF, drugs=drugs).report
    data = report.to_dict()
    assert set(data) == {"mapped", "ignored", "conflicts", "missing"}
    json.dumps(data)
    assert all({"resource", "element", "code", "field", "value"} <= set(m) for m in data["mapped"])
