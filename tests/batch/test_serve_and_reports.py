"""``her2neg serve`` as a real endpoint, and the report queries on a small cohort."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from reasoner.errors import BackendError
from reasoner.query.backends import OxigraphBackend
from reasoner.query.catalog import get_query
from reasoner.query.endpoint import SparqlEndpointBackend
from reasoner.serve import (
    PATIENTS_GRAPH,
    cohort_triples,
    export_store,
    free_port,
    start_server,
    wait_until_up,
)

REPO = Path(__file__).resolve().parents[2]
H2N = "https://w3id.org/her2neg/kb/"


def small_cohort() -> list[dict]:
    records = [json.loads(p.read_text()) for p in sorted((REPO / "examples/patients").glob("*.json"))]
    records += [json.loads(p.read_text())["record"] for p in sorted((REPO / "tests/acceptance/cases").glob("*.json"))]
    qtcf = json.loads((REPO / "examples/patients/contraindication-qtcf.json").read_text())
    records.append({**qtcf, "id": "ongoing-ribociclib", "therapies": [
        {"drugs": ["letrozole", "ribociclib"], "setting": "metastatic", "start": "2026-10-01"}]})
    return records


def plain_select(url: str, query: str) -> list[dict]:
    """A standard SPARQL 1.1 Protocol client: GET with the query, SPARQL JSON back."""
    request = urllib.request.Request(url + "?" + urllib.parse.urlencode({"query": query}),
                                     headers={"Accept": "application/sparql-results+json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        data = json.load(response)
    return [{k: v["value"] for k, v in b.items()} for b in data["results"]["bindings"]]


@pytest.fixture(scope="module")
def cohort():
    return small_cohort()


@pytest.fixture(scope="module")
def local(kb, cohort):
    backend = OxigraphBackend(kb.files)
    backend.add_patient_triples(PATIENTS_GRAPH, cohort_triples(kb.engine, cohort))
    return backend


def test_serve_read_only_exports_everything(kb, cohort, tmp_path):
    counts = export_store(tmp_path / "store", cohort, kb=kb)
    assert counts["kb_triples"] > 1000 and counts["patient_triples"] > 100
    port = free_port()
    proc = start_server(tmp_path / "store", port=port)
    try:
        url = f"http://127.0.0.1:{port}/query"
        ok = [r for r in kb.recommend_many(cohort) if r.status == "ok"]
        patients = plain_select(url, f"SELECT DISTINCT ?p WHERE {{ ?p a <{H2N}Patient> ; <{H2N}hasState> ?s }}")
        assert len(patients) == len({r.patient for r in ok})
        options = plain_select(url, f"SELECT ?p ?o WHERE {{ ?p <{H2N}hasOption> ?o }}")
        assert len(options) == sum(len(r.options) for r in ok)
        with pytest.raises(BackendError):  # read-only: updates are refused
            SparqlEndpointBackend(url, f"http://127.0.0.1:{port}/update").update(
                f"INSERT DATA {{ <{H2N}x> <{H2N}y> <{H2N}z> }}")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_cli_serve_then_load_a_cohort_over_http(kb, cohort, local, tmp_path):
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "reasoner", "serve", "--port", str(port), "--writable",
                             "--location", str(tmp_path / "store")], cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_up(f"{base}/query", timeout=60)
        endpoint = SparqlEndpointBackend(f"{base}/query", f"{base}/update")
        endpoint.add_patient_triples(PATIENTS_GRAPH, cohort_triples(kb.engine, cohort))
        for name in ("rules-in-scope", "contraindicated-drugs", "current-regimen-contraindicated"):
            text = get_query(name).text
            remote = plain_select(f"{base}/query", text)  # union default graph: KB + patients
            expected = local.select(text, graphs=[PATIENTS_GRAPH])
            as_set = {tuple(sorted((k, str(v)) for k, v in r.items() if v is not None)) for r in remote}
            want = {tuple(sorted((k, str(v)) for k, v in r.items() if v is not None)) for r in expected}
            assert as_set == want and want, name
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_report_current_regimen_contraindicated(local):
    rows = local.select(get_query("current-regimen-contraindicated").text, graphs=[PATIENTS_GRAPH])
    hits = {(r["patient"].rsplit("/", 1)[-1], r["drugLabel"]) for r in rows}
    assert any(p.endswith("ongoing-ribociclib") and d == "ribociclib" for p, d in hits), hits
    assert all(d != "letrozole" for _, d in hits)


def test_report_current_et_chemo_combination(local):
    rows = local.select(get_query("current-et-chemo-combination").text, graphs=[PATIENTS_GRAPH])
    pairs = {(r["endocrineLabel"], r["chemotherapyLabel"]) for r in rows}
    assert ("anastrozole", "paclitaxel") in pairs  # examples/patients/pitfall-et-chemo.json


def test_report_patients_eligible_for_drug_matches_results(kb, cohort, local):
    for drug in ("capivasertib", "letrozole", "sacituzumab govitecan"):
        iri = kb.drug_iris[drug]
        rows = local.select(get_query("patients-eligible-for-drug").text, graphs=[PATIENTS_GRAPH],
                            bindings={"drug": iri})
        got = {(r["patient"], r["option"].rsplit("/", 1)[-1]) for r in rows}
        expected = {(r.patient, o.id) for r in kb.recommend_many(cohort)
                    for o in r.options if (drug in o.drugs if o.continue_current else any(
                        drug in c.drugs for c in kb.regimens[kb.rules[kb.term(o.id)].regimen].components))}
        assert {o for _, o in got} == {o for _, o in expected}, drug


def test_report_missing_test_matches_the_engine(kb, cohort, local):
    rows = local.select(get_query("missing-test-that-would-open-option").text, graphs=[PATIENTS_GRAPH])
    got = {(r["patient"], r["recommendation"].rsplit("/", 1)[-1]) for r in rows}
    expected = set()
    results = kb.recommend_many(cohort)
    iri_of = {}
    for row in local.select(f"SELECT ?p ?id WHERE {{ ?p <{H2N}patientId> ?id }}", graphs=[PATIENTS_GRAPH]):
        iri_of[row["id"]] = row["p"]
    # The report does not consider a working current regimen (its superseded reason) nor the
    # endorsement of the current regimen by the continue-current rule: only the rule's own criteria.
    superseded = {rule.superseded_text for rule in kb.rules.values() if rule.continues_current}
    for r in results:
        for e in r.excluded:
            rule = kb.rules.get(kb.term(e.id))
            reasons = [x for x in e.reasons if x.text not in superseded]
            if rule and not rule.continues_current and reasons and all(x.code == "MISSING_DATA" for x in reasons):
                expected.add((iri_of[r.patient], e.id))
    assert got == expected
    assert all(r["missingText"] for r in rows)
