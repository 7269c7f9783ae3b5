"""RDF patient graphs as input (issue 13): the Turtle that `recommend --format turtle` prints reads
back as input and gives the same result; JSON-LD is recognised by its content whatever the file is
called; findings about RDF input speak the ontology's vocabulary, not JSON keys."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rdflib import Graph
from typer.testing import CliRunner

from reasoner.cli import app
from reasoner.ingest import read_records

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples" / "patients").glob("*.json"))


def _summary(result: dict) -> tuple:
    return (
        result["status"],
        json.dumps(result["classification"], sort_keys=True),
        tuple(o["id"] for o in result["options"]),
        tuple(sorted((e["id"], tuple(r["code"] for r in e["reasons"])) for e in result["excluded"])),
        tuple(sorted(a["code"] for a in result["advice"])),
    )


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_turtle_output_reads_back_as_input(kb, path, tmp_path):
    turtle = CliRunner().invoke(app, ["recommend", str(path), "--format", "turtle"])
    assert turtle.exit_code in (0, 11), turtle.output
    ttl = tmp_path / "patient.ttl"
    ttl.write_text(turtle.stdout)
    [(label, record)] = read_records(ttl)
    direct = kb.recommend(json.loads(path.read_text())).to_dict()
    again = kb.recommend(record).to_dict()
    assert _summary(again) == _summary(direct)


def test_example_turtle_patient_matches_its_json_twin(kb):
    [(_, record)] = read_records(ROOT / "examples" / "turtle" / "hr-second-line-pik3ca.ttl")
    twin = json.loads((ROOT / "examples" / "patients" / "hr-second-line-pik3ca.json").read_text())
    assert _summary(kb.recommend(record).to_dict()) == _summary(kb.recommend(twin).to_dict())


@pytest.mark.parametrize("name", ["patient.json", "patient.txt", "patient"])
def test_json_ld_is_recognised_by_content(kb, tmp_path, name):
    g = Graph()
    g.parse(ROOT / "examples" / "turtle" / "hr-second-line-pik3ca.ttl")
    path = tmp_path / name
    path.write_text(g.serialize(format="json-ld"))
    [(_, record)] = read_records(path)
    assert record["id"] == "ex-hr-2l-pik3ca"
    assert kb.recommend(record).status == "ok"


BAD_TTL = """
@prefix h2n: <https://w3id.org/her2neg/kb/> .
<https://w3id.org/her2neg/patient/b1> a h2n:Patient ;
  h2n:patientId "b1" ; h2n:age 64 ; h2n:sex h2n:sex-female ; h2n:menopausalStatus h2n:menopause-post ;
  h2n:diseaseSetting h2n:setting-early ; h2n:hasEarlyDisease [ a h2n:EarlyDisease ] ;
  h2n:hasReceptorResult [ a h2n:ReceptorResult ; h2n:erPercent 150 ; h2n:her2IhcScore h2n:her2-ihc-1plus ] .
"""


def test_rdf_input_errors_speak_the_rdf_vocabulary(tmp_path):
    path = tmp_path / "bad.ttl"
    path.write_text(BAD_TTL)
    result = CliRunner().invoke(app, ["validate", str(path), "--format", "json"])
    assert result.exit_code == 10, result.output
    findings = json.loads(result.stdout)[0]["findings"]
    er = next(f for f in findings if "erPercent" in f["path"])
    assert er["path"] == "h2n:hasReceptorResult/h2n:erPercent" and "h2n:erPercent" in er["message"]
    ihc = next(f for f in findings if "her2IhcScore" in f["path"])
    assert "h2n:ihc-1plus" in ihc["message"] and "h2n:HER2IHCScore" in ihc["message"]
    text = json.dumps(findings)
    assert "er_percent" not in text and "her2_ihc" not in text and "receptors." not in text
