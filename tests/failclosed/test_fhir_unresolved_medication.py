"""A MedicationRequest whose medication cannot be resolved is never silently dropped (issue 10).

Dropping it made a patient who progressed on letrozole + palbociclib first-line again, and the
regimen she progressed on was offered again. Now it is a finding with its FHIR path, and every
option that depends on the treatment history is excluded with MISSING_DATA, in ``recommend``
(API and CLI) and in ``batch``.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import reasoner
from reasoner.batch import run_batch
from reasoner.cli import app
from reasoner.ingest.fhir import record_to_bundle

ROOT = Path(__file__).resolve().parents[2]
RECORD = json.loads((ROOT / "examples/patients/hr-second-line-pik3ca.json").read_text())


def _bundle(breakage: str) -> dict:
    bundle = copy.deepcopy(record_to_bundle(RECORD))
    for entry in bundle["entry"]:
        res = entry["resource"]
        if res["resourceType"] != "MedicationRequest":
            continue
        del res["medicationCodeableConcept"]
        if breakage == "dangling":
            res["medicationReference"] = {"reference": "Medication/not-in-the-bundle"}
        elif breakage == "no-code":
            res["medicationReference"] = {"reference": f"Medication/m-{res['id']}"}
            bundle["entry"].append({"fullUrl": f"urn:uuid:m-{res['id']}",
                                    "resource": {"resourceType": "Medication", "id": f"m-{res['id']}"}})
        elif breakage == "contained-missing":
            res["medicationReference"] = {"reference": "#absent"}
        elif breakage == "cyclic":  # the request names itself as its medication
            res["medicationReference"] = {"reference": f"MedicationRequest/{res['id']}"}
    return bundle


def _history_free(kb) -> set[str]:
    """Recommendations with no criterion on the treatment history (still decidable)."""
    from reasoner.vocab import local_name

    return {local_name(r) for r, crits in kb.rule_criteria.items() if not crits & kb.history_criteria}


@pytest.mark.parametrize("breakage", ["dangling", "no-code", "contained-missing", "cyclic"])
def test_unresolvable_medication_is_a_finding_and_history_options_are_missing_data(kb, breakage):
    result = kb.recommend(_bundle(breakage))
    assert result.status == "ok"
    paths = [v.path for v in result.validation if "cannot be resolved" in v.message]
    assert paths and all("MedicationRequest/medreq-" in p and p.endswith(".medication[x]") for p in paths)
    offered = {o.id for o in result.options}
    assert offered <= _history_free(kb), offered - _history_free(kb)
    # the regimen she progressed on (an aromatase inhibitor with a CDK4/6 inhibitor) is not offered
    assert not any({"letrozole", "palbociclib"} <= {d for c in o.components for d in c.drugs} for o in result.options)
    missing = [e for e in result.excluded if any(r.code == "MISSING_DATA" and "treatment history" in r.text
                                                 for r in e.reasons)]
    assert missing


def test_the_intact_bundle_still_gives_its_options(kb):
    result = kb.recommend(record_to_bundle(RECORD))
    assert not any("cannot be resolved" in v.message for v in result.validation)
    assert any(o.id not in _history_free(kb) for o in result.options)


def test_recommend_cli_and_batch_agree(tmp_path, kb):
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(_bundle("dangling")))
    cli = CliRunner().invoke(app, ["recommend", str(path), "--format", "json"])
    assert cli.exit_code == 0, cli.output
    data = json.loads(cli.output)
    out = tmp_path / "out.jsonl"
    run_batch(path, out, jobs=1, progress=False)
    line = json.loads(out.read_text().splitlines()[0])
    for got in (data, line):
        assert {o["id"] for o in got["options"]} <= _history_free(kb)
        assert any("cannot be resolved" in v["message"] for v in got["validation"])
    assert [o["id"] for o in data["options"]] == [o["id"] for o in line["options"]]
    api = reasoner.recommend(_bundle("dangling")).to_dict()
    assert [o["id"] for o in api["options"]] == [o["id"] for o in data["options"]]


def test_ndjson_of_resources_reports_it_too(tmp_path, kb):
    path = tmp_path / "resources.ndjson"
    path.write_text("\n".join(json.dumps(e["resource"]) for e in _bundle("dangling")["entry"]) + "\n")
    cli = CliRunner().invoke(app, ["recommend", str(path), "--format", "json"])
    assert cli.exit_code == 0, cli.output
    data = json.loads(cli.output)
    assert any("cannot be resolved" in v["message"] for v in data["validation"])
    assert {o["id"] for o in data["options"]} <= _history_free(kb)
