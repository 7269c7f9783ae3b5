"""FHIR bundles straight from the EHR: both MITRE mCODE bundles get a result."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reasoner.cli import app

DATA = Path(__file__).resolve().parents[1] / "fhir" / "data"


@pytest.mark.parametrize("name", ["TrialMatching_Patient01.json", "TrialMatching_Patient02.json"])
def test_mitre_bundle_gets_a_result(kb, name):
    bundle = json.loads((DATA / name).read_text())
    result = kb.recommend(bundle).to_dict()
    assert result["status"] == "ok", result["validation"]
    assert result["classification"]["subtype"] == "HR+/HER2-"
    assert result["patient"].startswith("mCODETrialMatching")


def test_mapping_conflict_becomes_a_warning(kb):
    bundle = json.loads((DATA / "TrialMatching_Patient02.json").read_text())
    warnings = kb.recommend(bundle).to_dict()["warnings"]
    assert any(w["code"] == "FHIR_CONFLICT" and "alpelisib" in w["text"] for w in warnings)


def test_import_fhir_prints_record_and_report():
    result = CliRunner().invoke(app, ["import-fhir", str(DATA / "TrialMatching_Patient01.json")])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["record"]["setting"] == "metastatic"
    assert payload["report"]["conflicts"]


def test_malformed_bundle_is_invalid_not_a_crash(kb):
    bundle = {"resourceType": "Bundle", "type": "collection",
              "entry": [{"resource": {"resourceType": "Observation", "status": 12}}]}
    result = kb.recommend(bundle)
    assert result.status == "invalid" and not result.options and result.validation


@pytest.mark.parametrize("name", ["TrialMatching_Patient01.json", "TrialMatching_Patient02.json"])
def test_import_fhir_no_report_prints_a_record_recommend_accepts(tmp_path, name):
    """No hand work: the printed record goes to `recommend` as is."""
    result = CliRunner().invoke(app, ["import-fhir", str(DATA / name), "--no-report"])
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert "record" not in record and record["id"].startswith("mCODETrialMatching")
    path = tmp_path / "record.json"
    path.write_text(result.stdout)
    rec = CliRunner().invoke(app, ["recommend", str(path), "--format", "json"])
    assert rec.exit_code == 0, rec.output
    out = json.loads(rec.stdout)
    assert out["status"] == "ok"
    assert not [v for v in out["validation"] if v["severity"] == "violation"]
