"""Input forms, located errors, and the drug index."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from builders import LOINC, RXN, bundle, cc, med_statement, obs, patient
from conftest import DATA

from reasoner.errors import FhirError, KnowledgeBaseError
from reasoner.ingest.fhir import DrugLookup, bundle_to_record, is_fhir, load_drug_lookup
from reasoner.ingest.fhir.drugs import default_drugs_path


def test_is_fhir_detects_content():
    b = bundle(patient())
    assert is_fhir(b) and is_fhir(json.dumps(b)) and is_fhir(json.dumps(b).encode())
    assert is_fhir(json.dumps(patient()) + "\n" + json.dumps(obs("o", cc(LOINC, "85337-4"))))
    assert not is_fhir({"id": "x", "sex": "female"})
    assert not is_fhir("not json") and not is_fhir("") and not is_fhir(42) and not is_fhir("[1, 2]")


def test_ndjson_and_searchset(drugs):
    er = obs("er", cc(LOINC, "85337-4"), {"valueCodeableConcept": cc(LOINC, "LA6576-8")})
    nd = "\n".join(json.dumps(r) for r in (patient(), er))
    assert bundle_to_record(nd, drugs=drugs).record["receptors"]["er"] == "positive"
    search = bundle(patient(), er, btype="searchset")
    search["entry"].append(
        {"resource": {"resourceType": "OperationOutcome", "issue": []}, "search": {"mode": "outcome"}}
    )
    assert bundle_to_record(search, drugs=drugs).record["receptors"]["er"] == "positive"


def test_malformed_element_is_located(drugs):
    bad = obs("abc", cc(LOINC, "85329-1"), {"valueQuantity": {"value": "lots"}})
    with pytest.raises(FhirError) as info:
        bundle_to_record(bundle(patient(), bad), drugs=drugs)
    assert info.value.where == "Bundle.entry[1] Observation/abc .valueQuantity.value"
    with pytest.raises(FhirError) as info:
        bundle_to_record(bundle(patient(birth="1960-13-45")), drugs=drugs)
    assert info.value.where.endswith("Patient/p1 .birthDate")


@pytest.mark.parametrize(
    "data, where",
    [
        ({"resourceType": "Bundle", "type": "message", "entry": []}, "Bundle.type"),
        (
            {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": {"id": "x"}}]},
            "Bundle.entry[0].resource",
        ),
        ({"id": "x"}, "(root)"),
        ("{not json", "line 1 column 2"),
        (bundle(obs("o", cc(LOINC, "85337-4"))), "Bundle"),
        (bundle(patient("a"), patient("b")), "Bundle.entry[1] Patient/b"),
    ],
)
def test_structural_errors(drugs, data, where):
    with pytest.raises(FhirError) as info:
        bundle_to_record(data, drugs=drugs)
    assert info.value.where == where


def test_unknown_types_and_exact_duplicates_are_reported(drugs):
    er = obs("er", cc(LOINC, "85337-4"), {"valueCodeableConcept": cc(LOINC, "LA6576-8")})
    b = bundle(patient(), er, er, {"resourceType": "Encounter", "id": "e1", "status": "finished"})
    report = bundle_to_record(b, drugs=drugs).report
    reasons = [i.reason for i in report.ignored]
    assert any("exact duplicate" in r for r in reasons) and any("Encounter" in r for r in reasons)


def test_fixture_turtle_index():
    drugs = DrugLookup.from_turtle(DATA / "drugs_fixture.ttl")  # in the fixture, two drugs share L01CD01
    assert drugs.match_code(RXN, "72965") == "letrozole"
    assert drugs.match_code("http://ncicb.nci.nih.gov/xml/owl/EVS/Thesaurus.owl", "C1527") == "letrozole"
    assert drugs.match_code("http://www.whocc.no/atc", "L02BG04") == "letrozole"
    assert (
        drugs.match_code("http://www.whocc.no/atc", "L01CD01") is None
    )  # paclitaxel and nab-paclitaxel share it
    assert drugs.match_code(RXN, "1873978") == "ribociclib"  # PIN from drug-identifiers.md
    assert drugs.match_code(RXN, "486610") == "nab-paclitaxel"
    assert drugs.match_text("Nab-Paclitaxel 100 mg") == "nab-paclitaxel"
    assert drugs.match_text("leuprolide acetate depot") == "leuprorelin"
    assert drugs.match_text("Kisqali 200 MG") == "ribociclib"
    assert drugs.match_text("amlodipine") is None


def test_free_text_medication_is_reported_as_inferred(drugs):
    result = bundle_to_record(
        bundle(
            patient(),
            med_statement("m", cc(None, None, text="Faslodex 500 mg IM"), effectiveDateTime="2020-01-01"),
        ),
        drugs=drugs,
    )
    assert result.record["therapies"][0]["drugs"] == ["fulvestrant"]
    assert any("recognised from text" in m.inferred for m in result.report.mapped)


def test_missing_ontology_is_a_knowledge_base_error(tmp_path):
    with pytest.raises(KnowledgeBaseError):
        load_drug_lookup(tmp_path / "drugs.ttl")


def test_project_ontology_has_the_fixture_shape():
    path = default_drugs_path()
    assert path.name == "drugs.ttl"
    if not path.is_file():  # the ontology is another engineer's deliverable
        pytest.fail(f"{path} missing")
    lookup = load_drug_lookup(path)
    assert lookup is load_drug_lookup(path)  # cached
    assert lookup.match_code(RXN, "72965") == "letrozole"
    fixture = DrugLookup.from_turtle(DATA / "drugs_fixture.ttl")
    for (system, code), name in fixture.by_code.items():
        if system in ("rxnorm", "ncit") and (system, code) in lookup.by_code:
            assert lookup.by_code[(system, code)] == name, (system, code)
    assert Path(path).read_text().count("drug-letrozole") >= 1
