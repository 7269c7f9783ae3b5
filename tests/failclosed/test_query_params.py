"""``her2neg query`` and the backends accept only declared, well-formed parameters (issue 10)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reasoner.cli import EXIT_INVALID, app
from reasoner.errors import QueryError
from reasoner.query.backends import OxigraphBackend, RdflibBackend
from reasoner.query.endpoint import SparqlEndpointBackend
from tests.failclosed.hostile import with_drug, write

ROOT = Path(__file__).resolve().parents[2]
QTC = ROOT / "examples/patients/contraindication-qtcf.json"
PID = json.loads(QTC.read_text())["id"]
runner = CliRunner(mix_stderr=False) if "mix_stderr" in CliRunner.__init__.__code__.co_varnames else CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def _rows(*params):
    args = ["query", "contraindicated-drugs", "--data", QTC, "--format", "json"]
    for p in params:
        args += ["--param", p]
    result = run(*args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_an_undeclared_parameter_is_refused():
    result = run("query", "contraindicated-drugs", "--data", QTC, "--param", "value=999")
    assert result.exit_code == 5
    assert "no parameter 'value'" in result.output + (result.stderr if hasattr(result, "stderr") else "")


def test_patient_ids_curies_and_iris_mean_the_same_patient():
    full = _rows(f"patient=https://w3id.org/her2neg/patient/{PID}")
    assert full, "the QTcF example has contraindications"
    assert _rows(f"patient={PID}") == full
    assert _rows(f"patient=patient:{PID}") == full
    assert _rows(f"patient=<https://w3id.org/her2neg/patient/{PID}>") == full


def test_drug_curie_is_an_iri():
    result = run("query", "patients-eligible-for-drug", "--param", "drug=h2n:drug-ribociclib")
    assert result.exit_code == 0, result.output
    result = run("query", "patients-eligible-for-drug", "--param", "drug=not a drug at all")
    assert result.exit_code == 5


@pytest.mark.parametrize("value", ["<http://a b>", "http://x> } SELECT * { ?s ?p ?o", "urn:x\ny", 'h2n:a"b'])
def test_a_bad_iri_is_exit_5(value):
    result = run("query", "contraindicated-drugs", "--param", f"patient={value}")
    assert result.exit_code == 5, result.output
    assert "internal error" not in result.output


def test_a_missing_required_parameter_is_exit_5():
    assert run("query", "patients-eligible-for-drug").exit_code == 5


def test_invalid_records_in_data_are_reported(tmp_path):
    bad = write(tmp_path / "bad.json", with_drug("not-a-drug"))
    result = run("query", "rules-in-scope", "--data", QTC, "--data", bad, "--format", "json")
    assert result.exit_code == EXIT_INVALID
    text = result.output + (result.stderr if hasattr(result, "stderr") else "")
    assert "not loaded" in text and "bad.json" in text and "not-a-drug" in text


@pytest.mark.parametrize("name", ["x) {} } DELETE WHERE { ?s ?p ?o } #", "1x", "a b", "", "x?y"])
def test_backends_validate_binding_names(name):
    endpoint = SparqlEndpointBackend("http://127.0.0.1:9/query")  # never reached: refused before
    for backend in (endpoint, OxigraphBackend(), RdflibBackend()):
        with pytest.raises(QueryError):
            backend.select("SELECT ?x WHERE { BIND(1 AS ?x) }", bindings={name: "v"})


def test_backends_refuse_an_iri_value_that_would_break_out():
    for backend in (SparqlEndpointBackend("http://127.0.0.1:9/query"), OxigraphBackend(), RdflibBackend()):
        with pytest.raises(QueryError):
            backend.select("SELECT ?x WHERE { BIND(1 AS ?x) }", bindings={"x": "http://a> } #"})
