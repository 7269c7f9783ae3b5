"""The queries of queries/ as a SPARQL client sees them: SPARQLWrapper, GET requests, the CLI's tables.

- SPARQLWrapper (the common Python client) decides SELECT versus update from the query text; its
  comment stripping leaves every other line of a block of ``#`` lines, so header words such as
  "adds" or "removed" made it send a SELECT as an update. The ``#+`` header lines are separated by
  blank lines; every file must read as a SELECT.
- SPARQLWrapper sends GET by default: the queries answer over GET as over POST on the Oxigraph
  server; the largest (the missing-test report, ~8 KB) is documented to be sent with POST.
- ``her2neg query`` shows IRIs as prefixed names and answers queries over results
  (``patients-eligible-for-drug`` needs ``h2n:hasOption``, which the CLI now loads).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from SPARQLWrapper import GET, JSON, POST, SPARQLWrapper
from typer.testing import CliRunner

from reasoner.cli import app
from reasoner.query.catalog import catalog

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "patients" / "hr-first-line-postmenopausal.json"


@pytest.mark.parametrize("name", sorted(catalog()))
def test_sparqlwrapper_reads_every_query_as_a_select(name):
    client = SPARQLWrapper("http://127.0.0.1:9/sparql")
    client.setQuery(catalog()[name].text)
    assert client.queryType == "SELECT", (
        f"{name}: SPARQLWrapper takes it for {client.queryType}: separate the #+ header lines by blank lines")


@pytest.fixture(scope="module")
def server(start_endpoint):
    records = [json.loads(p.read_text()) for p in sorted((ROOT / "examples" / "patients").glob("*.json"))]
    return start_endpoint(records, "clients")


def _rows(url: str, text: str, method: str) -> list[str]:
    client = SPARQLWrapper(url)
    client.setQuery(text)
    client.setMethod(method)
    client.setReturnFormat(JSON)
    result = client.query().convert()
    return sorted(json.dumps(b, sort_keys=True) for b in result["results"]["bindings"])


def test_queries_work_over_get_and_the_large_report_over_post(server):
    # SPARQLWrapper's default is GET: the eligibility queries fit in a URL
    text = catalog()["criterion-status"].text
    assert _rows(server, text, GET) == _rows(server, text, POST)
    # the missing-test report (about 8 KB, the criterion-status body inlined) is over Oxigraph's 8 KB
    # header limit once URL-encoded: the README and its header say to send it with POST
    report = catalog()["missing-test-that-would-open-option"]
    assert "POST" in report.header["description"]
    assert _rows(server, report.text, POST), "the examples include a patient an untested biomarker keeps from an option"


def test_served_data_answer_queries_over_results(server):
    # the drug bound by a trailing VALUES clause, as a client would (patients in their own graph,
    # seen through the server's union default graph)
    query = catalog()["patients-eligible-for-drug"].text + "\nVALUES ?drug { <https://w3id.org/her2neg/kb/drug-letrozole> }\n"
    rows = _rows(server, query, GET)
    assert any("ex-hr-1l" in r for r in rows), "letrozole is a first-line option of the postmenopausal example"


def test_cli_query_shows_prefixed_names_and_answers_over_results():
    result = CliRunner().invoke(app, ["query", "patients-eligible-for-drug", "--data", str(EXAMPLE),
                                      "--param", "drug=h2n:drug-letrozole"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    # first-line endocrine therapy with an aromatase inhibitor for postmenopausal HR+/HER2- disease
    assert "h2n:drug-letrozole" in result.output
    assert "patient:ex-hr-1l" in result.output
    assert "https://w3id.org" not in result.output
    assert "0 rows" not in result.output


def test_cli_query_json_keeps_full_iris():
    result = CliRunner().invoke(app, ["query", "patients-eligible-for-drug", "--data", str(EXAMPLE),
                                      "--param", "drug=h2n:drug-letrozole", "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert rows and all(r["drug"] == "https://w3id.org/her2neg/kb/drug-letrozole" for r in rows)
