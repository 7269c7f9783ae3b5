"""Every query of queries/ gives identical rows on rdflib, pyoxigraph, a live Oxigraph endpoint and Virtuoso.

The data: the knowledge base + the acceptance patients (tests/acceptance/cases/*.json) with
everything inferred for them and their results (h2n:hasOption, as ``her2neg serve`` writes them).
The endpoints are real servers started here on 127.0.0.1 and free ports, with their stores in
temporary directories, and stopped at the end: ``oxigraph serve`` (PyPI ``oxigraph``) and
OpenLink Virtuoso 7 (Debian ``virtuoso-opensource``, installed by ``.ci/run``; see
tests/query/virtuoso.py). Both are queried through the SPARQL 1.1 Protocol by
:class:`~reasoner.query.endpoint.SparqlEndpointBackend`, with the graphs named by
``default-graph-uri``.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from reasoner.query.backends import OxigraphBackend, RdflibBackend
from reasoner.query.catalog import catalog
from reasoner.query.endpoint import SparqlEndpointBackend
from reasoner.serve import cohort_triples, free_port, oxigraph_command, wait_until_up
from tests.query import virtuoso

ROOT = Path(__file__).resolve().parents[2]
CASES = sorted((ROOT / "tests" / "acceptance" / "cases").glob("*.json"))
EXAMPLES = sorted((ROOT / "examples" / "patients").glob("*.json"))
GRAPH = "urn:her2neg:test:acceptance"
BINDINGS = {"patients-eligible-for-drug": {"drug": "https://w3id.org/her2neg/kb/drug-letrozole"}}
QUERIES = sorted(catalog())
# On ribociclib + letrozole with a QTcF of 472 ms and diabetes: a current regimen with a blocking
# contraindication (the examples have none), for queries/warnings/current-regimen-contraindicated.rq.
ONGOING_CONTRAINDICATED = {
    "id": "compliance-ongoing-qtcf", "as_of": "2026-11-01", "sex": "female", "age": 71,
    "menopausal_status": "postmenopausal", "setting": "metastatic",
    "receptors": {"er_percent": 95, "pr_percent": 50, "her2_ihc": "0", "specimen": "metastasis"},
    "metastatic": {"diagnosis_date": "2026-09-20", "de_novo": True, "sites": ["bone"]},
    "labs": {"qtcf_ms": 472}, "conditions": ["diabetes_type2"],
    "therapies": [{"drugs": ["letrozole", "ribociclib"], "setting": "metastatic", "start": "2026-10-01"}],
}
# The same warning triggered by a concomitant medication of an interaction class (the text names it,
# capitalised) and by a laboratory value that is not a whole number (the text writes it as stored).
ONGOING_CONTRAINDICATED_MORE = [
    {**ONGOING_CONTRAINDICATED, "id": "compliance-ongoing-clarithromycin", "labs": {"qtcf_ms": 430},
     "conditions": [], "medications": ["clarithromycin"],
     "therapies": [{"drugs": ["fulvestrant", "palbociclib"], "setting": "metastatic", "start": "2026-10-01"}]},
    {**ONGOING_CONTRAINDICATED, "id": "compliance-ongoing-crcl", "labs": {"crcl_ml_min": 29.5}, "conditions": [],
     "receptors": {"er_percent": 0, "pr_percent": 0, "her2_ihc": "0", "specimen": "metastasis"},
     "therapies": [{"drugs": ["capecitabine"], "setting": "metastatic", "start": "2026-10-01"}]},
]


@pytest.fixture(scope="module")
def triples(kb):
    records = [json.loads(p.read_text())["record"] for p in CASES]
    # the examples add what the acceptance cases lack (every warning fires on some example)
    ids = {r.get("id") for r in records}
    for path in EXAMPLES:
        record = json.loads(path.read_text())
        if isinstance(record, dict) and record.get("id") not in ids:
            ids.add(record.get("id"))
            records.append(record)
    records += [ONGOING_CONTRAINDICATED, *ONGOING_CONTRAINDICATED_MORE]
    return list(cohort_triples(kb.engine, records))


@pytest.fixture(scope="module")
def endpoint(kb, triples, tmp_path_factory):
    port = free_port()
    location = tmp_path_factory.mktemp("oxigraph-store")
    proc = subprocess.Popen([oxigraph_command(), "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_up(f"{base}/query", proc)
        backend = SparqlEndpointBackend(f"{base}/query", f"{base}/update", graph_store_url=f"{base}/store")
        backend.load_files(kb.files)
        backend.add_patient_triples(GRAPH, triples)
        yield backend
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def virtuoso_endpoint(kb, triples, tmp_path_factory):
    assert virtuoso.available(), f"Virtuoso is not installed: {virtuoso.INSTALL_HINT}"
    server = virtuoso.VirtuosoServer(tmp_path_factory.mktemp("virtuoso"))
    server.start()
    try:
        backend = SparqlEndpointBackend(server.query_url)
        server.load_files(kb.files, backend.kb_graph)
        server.load(triples, GRAPH)
        yield backend
    finally:
        server.stop()


@pytest.fixture(scope="module")
def backends(kb, triples, endpoint, virtuoso_endpoint):
    ox_backend = OxigraphBackend(kb.files)
    rdf_backend = RdflibBackend(kb.files)
    for b in (ox_backend, rdf_backend):
        b.add_patient_triples(GRAPH, triples)
    return {"oxigraph": ox_backend, "rdflib": rdf_backend, "endpoint": endpoint, "virtuoso": virtuoso_endpoint}


def _normalised(rows):
    return sorted(rows, key=lambda r: json.dumps(r, sort_keys=True, default=str))


def test_every_query_folder_is_covered():
    kinds = {q.kind for q in catalog().values()}
    assert {"eligibility", "warnings", "reports", "qc"} <= kinds


@pytest.mark.parametrize("name", QUERIES)
def test_same_rows_on_every_backend(backends, name):
    text = catalog()[name].text
    bindings = BINDINGS.get(name)
    results = {label: _normalised(b.select(text, graphs=[GRAPH], bindings=bindings)) for label, b in backends.items()}
    assert results["oxigraph"] == results["rdflib"], f"{name}: oxigraph and rdflib differ"
    assert results["oxigraph"] == results["endpoint"], f"{name}: oxigraph and the endpoint differ"
    assert results["oxigraph"] == results["virtuoso"], f"{name}: oxigraph and Virtuoso differ"


def test_virtuoso_is_really_virtuoso(backends):
    """The fourth engine is a distinct implementation: Virtuoso's own SQL functions answer."""
    rows = backends["virtuoso"].select(
        "SELECT (<bif:sys_stat>('st_dbms_name') AS ?name) WHERE {}")
    assert "Virtuoso" in str(rows[0]["name"])


def test_the_data_is_not_trivial(backends):
    rows = backends["endpoint"].select(catalog()["rules-in-scope"].text, graphs=[GRAPH])
    assert len({r["patient"] for r in rows}) >= 10
    for name in ("et-chemo-combination", "tumor-marker-only-progression", "continuing-after-progression",
                 "er-low", "contraindicated-drugs", "current-et-chemo-combination",
                 "current-regimen-contraindicated", "missing-test-that-would-open-option",
                 "contraindications-not-checked"):
        assert backends["virtuoso"].select(catalog()[name].text, graphs=[GRAPH]), f"{name}: no rows to compare"
    offered = backends["endpoint"].select(catalog()["patients-eligible-for-drug"].text, graphs=[GRAPH],
                                          bindings=BINDINGS["patients-eligible-for-drug"])
    assert offered, "letrozole is offered to some acceptance patient"
