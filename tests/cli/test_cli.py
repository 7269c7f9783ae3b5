"""The her2neg command, the README commands, the examples and the API docstrings."""

from __future__ import annotations

import doctest
import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import reasoner
from reasoner.cli import EXIT_INVALID, EXIT_OUT_OF_SCOPE, app

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples" / "patients").glob("*.json"))
runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_recommend_json_is_the_contract():
    result = run("recommend", str(ROOT / "examples/patients/hr-first-line-postmenopausal.json"), "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) >= {"patient", "status", "knowledge_base", "classification", "options", "excluded",
                         "advice", "warnings", "validation"}
    assert data["status"] == "ok"
    assert data["classification"]["subtype"] == "HR+/HER2-"


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_example_runs(path):
    result = run("recommend", str(path))
    expected = EXIT_OUT_OF_SCOPE if "out-of-scope" in path.stem else 0
    assert result.exit_code == expected, result.output
    assert "does not replace" in result.output


def test_table_output_names_options_and_disclaimer():
    result = run("recommend", str(ROOT / "examples/patients/contraindication-qtcf.json"))
    assert result.exit_code == 0
    assert "palbociclib" in result.output and "QTcF" in result.output


def test_invalid_record_exit_code(tmp_path):
    case = json.loads((ROOT / "tests/acceptance/cases/A11-invalid.json").read_text())
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(case["record"]))
    result = run("recommend", str(path))
    assert result.exit_code == EXIT_INVALID
    assert "receptors.pr_percent" in result.output
    result = run("validate", str(path))
    assert result.exit_code == EXIT_INVALID
    assert "receptors.pr_percent" in result.output


def test_unreadable_input_is_one_line_error(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text("{not json")
    result = runner.invoke(app, ["recommend", str(path)])
    assert result.exit_code == 3
    assert "Traceback" not in result.output


def test_explain_names_the_criterion():
    result = run("explain", str(ROOT / "examples/patients/contraindication-qtcf.json"), "--drug", "Kisqali")
    assert result.exit_code == 0, result.output
    assert "ribociclib" in result.output and "QTcF" in result.output


def test_query_with_bound_parameter():
    result = run("query", "contraindicated-drugs", "--data", str(ROOT / "examples/patients/contraindication-qtcf.json"),
                 "--format", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert any(r["drug"].endswith("drug-ribociclib") for r in rows)


def test_query_unknown_name_suggests():
    result = runner.invoke(app, ["query", "contraindicated-drug"])
    assert result.exit_code == 5
    assert "contraindicated-drugs" in result.output


def test_query_list_and_kb_info():
    assert "criterion-status" in run("query", "--list").output
    info = run("kb", "info", "--format", "json")
    counts = json.loads(info.output)["counts"]
    assert counts["recommendations"] > 50 and counts["drugs"] >= 46


def test_turtle_output_parses():
    import rdflib

    result = run("recommend", str(ROOT / "examples/patients/hr-premenopausal.json"), "--format", "turtle")
    assert result.exit_code == 0
    graph = rdflib.Graph().parse(data=result.output, format="turtle")
    assert any("hasOption" in str(p) for p in graph.predicates())


def test_jurisdiction_us_drops_withdrawn_atezolizumab(tmp_path):
    record = json.loads((ROOT / "examples/patients/tnbc-first-line-pdl1.json").read_text())
    record["biomarkers"]["pdl1_ic_percent"] = 5
    eu = reasoner.recommend(record, jurisdiction="EU")
    us = reasoner.recommend(record, jurisdiction="US")
    assert any("atezolizumab" in o.drugs for o in eu.options)
    assert not any("atezolizumab" in o.drugs for o in us.options)


@pytest.mark.parametrize("command", [
    ("recommend", "examples/patients/hr-first-line-postmenopausal.json", "--jurisdiction", "JP"),
    ("batch", "examples/patients/hr-first-line-postmenopausal.json", "--out", "{tmp}/out.jsonl", "--jurisdiction", "JP"),
])
def test_unknown_jurisdiction_is_a_usage_error(tmp_path, command):
    """Exit code 2 (usage), with the codes the knowledge base defines; not an internal error."""
    args = [a.replace("{tmp}", str(tmp_path)) for a in command]
    args[1] = str(ROOT / args[1])
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert "EU or US" in result.output


def test_jurisdictions_are_knowledge(kb):
    """The jurisdictions and their agencies come from the ontology (h2n:Jurisdiction)."""
    assert kb.jurisdictions == {"US": "FDA", "EU": "EMA"}
    assert kb.jurisdiction("eu") == "EU"


def test_unknown_jurisdiction_or_evaluator_from_the_api():
    from reasoner.engine import Engine

    record = json.loads((ROOT / "examples/patients/hr-first-line-postmenopausal.json").read_text())
    with pytest.raises(reasoner.UsageError):
        reasoner.recommend(record, jurisdiction="XX")
    with pytest.raises(reasoner.UsageError) as info:
        Engine(reasoner.KnowledgeBase.default(), evaluator="magic")
    assert info.value.exit_code == 2


def test_python_m_reasoner_and_walkthrough():
    import os

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-m", "reasoner", "--help"], capture_output=True, text=True, env=env)
    assert out.returncode == 0 and "Exit codes" in out.stdout
    walk = subprocess.run([sys.executable, str(ROOT / "examples/walkthrough.py")], capture_output=True, text=True,
                          cwd=ROOT, env=env)
    assert walk.returncode == 0, walk.stderr
    assert "alpelisib offered in" in walk.stdout


def test_api_docstring_examples_run():
    failures, tried = doctest.testmod(reasoner, verbose=False)
    assert tried > 0 and failures == 0
