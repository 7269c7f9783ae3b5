"""QC runs through the backend factory (get_backend) like the knowledge base and validation: the same
query gives the same report rows, with terms kept as terms (an IRI is not a string, a literal keeps its
datatype or language), on the embedded pyoxigraph store, on rdflib and on a live SPARQL endpoint (the
project's Oxigraph server, started on 127.0.0.1 and stopped at the end). A bad backend name is a
usage error, not an internal one."""

from __future__ import annotations

import pytest

from reasoner.errors import UsageError
from reasoner.ontology.qc import qc_queries, run_qc

#: A probe in the QC report shape that returns rows: IRIs (rdf:type), a plain string (rdfs:label),
#: a language-tagged literal (skos:definition @en) and a typed literal (h2n:currentTo xsd:date).
PROBE = """PREFIX h2n: <https://w3id.org/her2neg/kb/>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT DISTINCT ?entity ?property ?value ?message WHERE {
  VALUES ?entity { h2n:med-warfarin h2n:source-fda-ddi-table }
  ?entity ?property ?value .
  FILTER(?property IN (rdf:type, rdfs:label, skos:definition, h2n:currentTo))
  BIND(CONCAT("probe of ", STR(?property)) AS ?message)
}
"""
H2N = "https://w3id.org/her2neg/kb/"


@pytest.fixture(scope="module")
def endpoint(start_endpoint):
    return start_endpoint((), "qc-endpoint")  # the knowledge base in the graph urn:her2neg:kb, no patients


@pytest.fixture(scope="module")
def probe(tmp_path_factory):
    path = tmp_path_factory.mktemp("qc-probe") / "probe.rq"
    path.write_text(PROBE, encoding="utf-8")
    return path


def test_the_probe_gives_the_same_terms_on_every_backend(probe, endpoint):
    rows = {engine: run_qc(probe, engine=engine) for engine in ("oxigraph", "rdflib", endpoint)}
    assert rows["oxigraph"] == rows["rdflib"] == rows[endpoint]
    found = {(r.entity, r.property, r.value) for r in rows["oxigraph"]}
    warfarin, source = H2N + "med-warfarin", H2N + "source-fda-ddi-table"
    rdf_type = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
    assert (warfarin, rdf_type, H2N + "ConcomitantMedication") in found  # an IRI, written bare
    assert (warfarin, "http://www.w3.org/2000/01/rdf-schema#label", '"warfarin"') in found  # a plain string
    assert (
        source,
        H2N + "currentTo",
        '"2026-06-30"^^<http://www.w3.org/2001/XMLSchema#date>',
    ) in found  # a typed literal keeps its datatype
    definitions = [r.value for r in rows["oxigraph"] if r.property.endswith("core#definition")]
    assert definitions and all(v.endswith('"@en') for v in definitions)  # a language tag is kept
    assert all(r.message.startswith("probe of ") for r in rows["oxigraph"])


def test_every_qc_query_gives_the_same_rows_on_the_endpoint(endpoint):
    for path in qc_queries():
        assert run_qc(path, engine=endpoint) == run_qc(path, engine="oxigraph"), path.name


def test_an_unknown_backend_is_a_usage_error(probe):
    with pytest.raises(UsageError) as info:
        run_qc(probe, engine="graphdb")
    assert info.value.exit_code == 2
