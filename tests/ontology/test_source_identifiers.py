"""Persistent identifiers (DOI, PMID, PMCID, NCT, other trial registries, DailyMed set IDs of US
labels) on h2n:Source individuals.

Three things are checked:
- every identifier value in the knowledge base is well-formed (Python regexes, independent of the
  QC query's SPARQL regexes) and sits on an h2n:Source;
- the two QC queries about identifiers really fire on bad data (run on a small hand-made graph, on
  rdflib and on pyoxigraph), so "zero rows" on the real knowledge base means something;
- a few identifiers, as written on the registry (ClinicalTrials.gov, UMIN-CTR, DailyMed/FDALabel) and
  publisher pages, are attached to the sources that name those trials, publications and labels.
"""

from __future__ import annotations

import re

import pytest
import rdflib
from rdflib.namespace import RDF, XSD

from reasoner import resources
from reasoner.ontology.merged import load_merged_graph

H2N = rdflib.Namespace("https://w3id.org/her2neg/kb/")
QC_DIR = resources.queries_dir() / "qc"

PATTERNS = {
    H2N.doi: re.compile(r"10\.\d{4,9}/\S+"),
    H2N.pmid: re.compile(r"[1-9]\d{0,8}"),
    H2N.pmcid: re.compile(r"PMC\d+"),
    H2N.nctId: re.compile(r"NCT\d{8}"),
    H2N.dailyMedSetId: re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"),
    H2N.trialRegistryId: re.compile(
        r"UMIN\d{9}|ISRCTN\d{8}|ACTRN\d{14}|ChiCTR[-A-Za-z0-9]+|jRCT[0-9a-z]+|\d{4}-\d{6}-\d{2}"
    ),
}


@pytest.fixture(scope="module")
def graph() -> rdflib.Graph:
    return load_merged_graph(allow_missing=True)


def _identifier_triples(g: rdflib.Graph):
    for prop in PATTERNS:
        for s, o in g.subject_objects(prop):
            yield s, prop, o


def test_identifier_properties_are_declared_annotation_properties(graph):
    for prop in PATTERNS:
        assert (prop, RDF.type, rdflib.OWL.AnnotationProperty) in graph, prop
        assert graph.value(prop, rdflib.RDFS.label) is not None, prop
        assert (
            graph.value(prop, rdflib.URIRef("http://www.w3.org/2004/02/skos/core#definition")) is not None
        ), prop


def test_every_identifier_is_well_formed_and_on_a_source(graph):
    bad = []
    for s, prop, o in _identifier_triples(graph):
        if not isinstance(o, rdflib.Literal) or o.language or o.datatype not in (None, XSD.string):
            bad.append((s, prop, o, "not a plain string"))
        elif not PATTERNS[prop].fullmatch(str(o)):
            bad.append((s, prop, o, "malformed"))
        if (s, RDF.type, H2N.Source) not in graph:
            bad.append((s, prop, o, "not on an h2n:Source"))
    assert not bad, bad


def test_sources_carry_identifiers(graph):
    sources = set(graph.subjects(RDF.type, H2N.Source))
    with_ids = {s for s in sources if any((s, p, None) in graph for p in PATTERNS)}
    # Every trial source names at least one registered trial; most guideline/trial publications
    # have a DOI or PMID, approval reports carry the NCT numbers of the trials they name and US
    # labels their DailyMed set ID. EU/Swiss labels, news items without a named trial and database
    # extracts have none. The floor (84 of 170 sources when it was last raised) guards against
    # identifiers being dropped wholesale.
    assert len(with_ids) >= 84, len(with_ids)


@pytest.mark.parametrize(
    ("source", "prop", "value"),
    [
        # ClinicalTrials.gov records (trial acronym in the registry title)
        ("source-s26", "nctId", "NCT02000622"),  # OlympiAD
        ("source-s13", "nctId", "NCT00863655"),  # BOLERO-2
        ("source-s33", "nctId", "NCT02574455"),  # ASCENT
        ("source-s12", "nctId", "NCT01602380"),  # FALCON
        ("source-s12", "nctId", "NCT00099437"),  # CONFIRM
        ("source-s22", "nctId", "NCT05169567"),  # postMONARCH
        ("source-s22", "nctId", "NCT03809988"),  # PALMIRA
        ("source-impassion130-design", "nctId", "NCT02425891"),
        # CREATE-X is registered in UMIN-CTR only (JBCRG-04)
        ("source-s41", "trialRegistryId", "UMIN000000843"),
        # Publications: Robson NEJM 2017;377:523 (OlympiAD)
        ("source-s26", "pmid", "28578601"),
        ("source-s26", "doi", "10.1056/NEJMoa1706450"),
        # ABC 5 (Cardoso, Ann Oncol 2020)
        ("source-s2", "doi", "10.1016/j.annonc.2020.09.010"),
        # ABC 6/7 (Cardoso, Breast 2024;76:103756)
        ("source-s3", "doi", "10.1016/j.breast.2024.103756"),
        # ASCO HR+ MBC guideline update (Burstein, JCO 2021;39:3959), as on its PMC page
        ("source-s6", "doi", "10.1200/JCO.21.01392"),
        ("source-s6", "pmid", "34324367"),
        ("source-s6", "pmcid", "PMC8659999"),
        # ASCO 2014 HER2-negative advanced breast cancer guideline (Partridge, JCO 2014;32:3307)
        ("source-s9", "pmid", "25185096"),
        # Approval reports carry the registry numbers of the trials they name
        ("source-regulatory-afinitor-eu", "nctId", "NCT00863655"),  # BOLERO-2
        ("source-regulatory-ibrance-us-2016", "nctId", "NCT01942135"),  # PALOMA-3
        ("source-regulatory-kisqali-us-2018", "nctId", "NCT02422615"),  # MONALEESA-3
        ("source-regulatory-enhertu-eu-db06", "nctId", "NCT04494425"),  # DESTINY-Breast06
        # US labels: the SPL set ID of VERZENIO (Eli Lilly), as in the FDALabel SPL document
        ("source-regulatory-verzenio-us-label", "dailyMedSetId", "be4bc0de-0fdc-4d46-8d25-be43c79e6a06"),
    ],
)
def test_identifier_written_from_registry(graph, source, prop, value):
    values = {str(o) for o in graph.objects(H2N[source], H2N[prop])}
    assert value in values, (source, prop, sorted(values))


BAD_TTL = """
@prefix h2n: <https://w3id.org/her2neg/kb/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
h2n:t-ok a h2n:Source ; h2n:sourceType "trial" ; h2n:nctId "NCT01234567" ; h2n:doi "10.1056/NEJMoa1706450" .
h2n:t-other-registry a h2n:Source ; h2n:sourceType "trial" ; h2n:trialRegistryId "UMIN000000843" .
h2n:t-missing a h2n:Source ; h2n:sourceType "trial" ; h2n:pmid "28578601" .
h2n:t-bad-nct a h2n:Source ; h2n:sourceType "trial" ; h2n:nctId "NCT1234" .
h2n:g-bad a h2n:Source ; h2n:sourceType "guideline" ;
    h2n:doi "https://doi.org/10.1016/j.annonc.2020.09.010" ; h2n:pmid "PMID 123" ; h2n:pmcid "12345"@en .
h2n:l-ok a h2n:Source ; h2n:sourceType "label" ; h2n:dailyMedSetId "be4bc0de-0fdc-4d46-8d25-be43c79e6a06" .
h2n:l-bad a h2n:Source ; h2n:sourceType "label" ; h2n:dailyMedSetId "setid=BE4BC0DE-0FDC-4D46-8D25-BE43C79E6A06" .
h2n:not-a-source h2n:nctId "NCT01234567" .
"""


def _rows(query_name: str):
    import pyoxigraph as ox

    text = (QC_DIR / f"{query_name}.rq").read_text(encoding="utf-8")
    g = rdflib.Graph().parse(data=BAD_TTL, format="turtle")
    by_rdflib = sorted({(str(r[0]), str(r[1])) for r in g.query(text)})
    store = ox.Store()
    store.load(BAD_TTL.encode(), format=ox.RdfFormat.TURTLE)
    by_oxigraph = sorted({(s[0].value, s[1].value) for s in store.query(text)})
    assert by_rdflib == by_oxigraph
    return by_rdflib


def test_trial_source_without_nct_query_fires():
    rows = _rows("trial-source-without-nct")
    entities = {e.rsplit("/", 1)[1] for e, _ in rows}
    assert entities == {"t-missing", "t-bad-nct"}


def test_malformed_identifier_query_fires():
    rows = _rows("malformed-source-identifier")
    got = {(e.rsplit("/", 1)[1], p.rsplit("/", 1)[1]) for e, p in rows}
    assert got == {
        ("t-bad-nct", "nctId"),
        ("g-bad", "doi"),
        ("g-bad", "pmid"),
        ("g-bad", "pmcid"),
        ("l-bad", "dailyMedSetId"),
        ("not-a-source", "nctId"),
    }


def test_kb_info_lists_source_identifiers():
    import json

    from typer.testing import CliRunner

    from reasoner.cli import app

    result = CliRunner().invoke(app, ["kb", "info", "--format", "json"], catch_exceptions=False)
    info = json.loads(result.output)
    ids = info["source_identifiers"]
    olympiad = ids["OlympiAD (Robson, NEJM 2017) and the FDA approval of olaparib"]
    assert olympiad["nctId"] == ["NCT02000622"] and olympiad["pmid"] == ["28578601"]
    assert set(ids) <= set(info["sources"])
    table = CliRunner().invoke(app, ["kb", "info"], catch_exceptions=False).output
    assert "with DOI/PMID/NCT identifiers" in table and "NCT02000622" in table
