"""The mCODE sources that exist only as FHIR Shorthand go from FSH to a result with no manual step.

Expectations come from the sources themselves: the mCODE IG's narrative of the Jenny M case
(``hl7-mcode-ig/examples_narrative.md`` and the instances) and the per-patient receptor table that
accompanies MITRE's Synthea breast patients (``mcode_omop_synthea_breast_patients.csv``).
ASCO/CAP 2023: HER2 IHC negative with FISH not amplified is HER2-negative; FISH amplified (ratio
> 2.2) or IHC positive is HER2-positive (out of scope here).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reasoner.cli import app
from reasoner.ingest.fhir import bundle_to_record
from reasoner.ingest.fhir.fsh import fsh_patient_bundles, fsh_resources, parse_fsh

EXTERNAL = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "external"
JENNY = EXTERNAL / "hl7-mcode-ig" / "EX_ExtendedExample.fsh"
SYNTHEA = EXTERNAL / "synthea-breast-cancer"
SYNTHEA_FSH = SYNTHEA / "mcode_omop_synthea_fsh"


def test_fsh_rules_are_typed_from_the_fhir_models():
    text = """
Alias: MYSYS = http://example.org/codes
Instance: pat-1
InstanceOf: CancerPatient
* gender = #female  // a comment
* birthDate = "1960-01-02"
/* a block
   comment */
Instance: obs-1
InstanceOf: TumorMarkerTest
Description: "ER"
* status = #final "final"
* code = LNC#85337-4 "ER"
* subject = Reference(pat-1)
* valueCodeableConcept = SCT#10828004 "Positive"
* interpretation = MYSYS#H
* component[gene-studied].valueCodeableConcept = HGNC#HGNC:3467 "ESR1"
* extension[treatmentIntent].valueCodeableConcept = SCT#373808002
* valueQuantity.unit = "%"
"""
    instances, aliases = parse_fsh(text)
    assert list(instances) == ["pat-1", "obs-1"] and aliases == {"MYSYS": "http://example.org/codes"}
    pat, obs = fsh_resources([text])
    assert pat == {"resourceType": "Patient", "id": "pat-1", "gender": "female", "birthDate": "1960-01-02",
                   "meta": {"profile": ["http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-cancer-patient"]}}
    assert obs["status"] == "final"  # a code element: the bare code
    assert obs["code"] == {"coding": [{"system": "http://loinc.org", "code": "85337-4", "display": "ER"}]}
    assert obs["subject"] == {"reference": "Patient/pat-1"}
    assert obs["interpretation"] == [{"coding": [{"system": "http://example.org/codes", "code": "H"}]}]
    assert obs["component"][0]["code"]["coding"][0]["code"] == "48018-6"  # the slice's fixed code
    assert obs["extension"][0]["url"].endswith("mcode-treatment-intent")


def test_jenny_m_from_fsh_to_a_result(kb):
    bundle = fsh_patient_bundles([JENNY])["cancer-patient-jenny-m"]
    imported = bundle_to_record(bundle, as_of=dt.date(2018, 11, 1))
    rec = imported.record
    # the narrative: ER+/PR-/HER2- IDC, cT3 cN0 cM0 (stage IIB), ECOG 0, Oncotype DX 47,
    # partial mastectomy 2018-04-01, AC-T chemotherapy from April 2018, then anastrozole
    assert rec["setting"] == "early" and rec["sex"] == "female"
    assert rec["receptors"]["er"] == "positive" and rec["receptors"]["pr"] == "negative"
    assert rec["receptors"]["her2"] == "negative"
    assert rec["early"]["t"] == "T3" and rec["early"]["n"] == "N0"
    assert rec["early"]["surgery"] == "breast_conserving"
    assert rec["ecog"] == 0 and rec["biomarkers"]["recurrence_score"] == 47
    assert "gPALB2" not in rec.get("biomarkers", {})  # the PALB2 variant is somatic
    drugs = {d for t in rec["therapies"] for d in t["drugs"]}
    assert {"doxorubicin", "cyclophosphamide", "paclitaxel", "anastrozole"} <= drugs
    assert all(t["setting"] == "adjuvant" for t in rec["therapies"])  # all after the surgery
    assert any(m.field == "(radiotherapy)" for m in imported.report.mapped)
    # 53 years old and no menopausal status coded: unknown, never guessed
    assert rec["age"] == 53 and rec["menopausal_status"] == "unknown"
    result = kb.recommend(rec).to_dict()
    assert result["status"] == "ok", result["validation"]
    assert result["classification"]["subtype"] == "HR+/HER2-"
    assert "ASSESS_MENOPAUSAL_STATUS" in {a["code"] for a in result["advice"]}


def _synthea_rows():
    with (SYNTHEA / "mcode_omop_synthea_breast_patients.csv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_every_synthea_breast_patient_gets_a_result(kb):
    bundles = fsh_patient_bundles(sorted(SYNTHEA_FSH.glob("*.fsh")))
    rows = _synthea_rows()
    assert len(rows) == 21 and all(r["patient_id"] in bundles for r in rows)
    results = kb.recommend_many([bundles[r["patient_id"]] for r in rows])
    for row, res in zip(rows, results, strict=True):
        data = res.to_dict()
        her2_pos = row["HER2_IHC"] == "Positive" or row["HER2_FISH_ratio"] == "greater than 2.2"
        complete = row["ER_IHC"] and row["PR_IHC"] and row["HER2_IHC"]
        if her2_pos:
            assert data["status"] == "out_of_scope", row["patient_id"]
        elif complete:
            assert data["status"] == "ok", (row["patient_id"], data["validation"])
            subtype = "HR+/HER2-" if "Positive" in (row["ER_IHC"], row["PR_IHC"]) else "HR-/HER2-"
            assert data["classification"]["subtype"] == subtype
        else:  # receptors missing in the source: invalid, naming what is missing
            assert data["status"] == "invalid"
            assert any(v["path"].startswith("receptors") for v in data["validation"])


def test_import_fhir_reads_an_fsh_folder_into_json_lines(tmp_path):
    result = CliRunner().invoke(app, ["import-fhir", str(SYNTHEA_FSH), "--no-report"])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    ids = {r["id"] for r in records}
    assert {row["patient_id"] for row in _synthea_rows()} <= ids
    one = CliRunner().invoke(app, ["import-fhir", str(JENNY), "--no-report", "--patient", "cancer-patient-jenny-m"])
    assert one.exit_code == 0, one.output
    path = tmp_path / "jenny.json"
    path.write_text(one.stdout)
    rec = CliRunner().invoke(app, ["recommend", str(path), "--format", "json"])
    assert rec.exit_code == 0, rec.output
    assert json.loads(rec.stdout)["status"] == "ok"


@pytest.mark.parametrize("bad", ["Instance: x\nInstanceOf: Observation\n* code = Reference(\n", "no instances here"])
def test_bad_fsh_is_an_error_or_skipped_rule_not_a_crash(bad):
    from reasoner.errors import FhirError

    try:
        resources = fsh_resources([bad])
    except FhirError as exc:
        assert "Instance" in exc.message
    else:
        assert resources[0]["resourceType"] == "Observation"
