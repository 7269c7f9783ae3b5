"""The release artefact: one merged, reasoned her2neg.owl that owlready2 and the OWL API open."""

from __future__ import annotations

import datetime as dt

import pytest
import rdflib
from rdflib.namespace import OWL, RDF, RDFS

from reasoner.ontology.release import build_release
from reasoner.resources import TOP_ONTOLOGY_IRI

H2N = rdflib.Namespace("https://w3id.org/her2neg/kb/")


@pytest.fixture(scope="module")
def release(hermit_run, tmp_path_factory):
    report, _ = hermit_run  # the session's HermiT run (the knowledge base plus test examples)
    return build_release(tmp_path_factory.mktemp("release"), report=report, date=dt.date(2026, 12, 3))


@pytest.fixture(scope="module")
def graph(release):
    return rdflib.Graph().parse(release.path, format="xml")


def test_dated_version_iri_and_no_imports(release, graph):
    top = rdflib.URIRef(TOP_ONTOLOGY_IRI)
    assert release.version_iri == "https://w3id.org/her2neg/kb/releases/2026-12-03/her2neg.owl"
    assert graph.value(top, OWL.versionIRI) == rdflib.URIRef(release.version_iri)
    assert not list(graph.objects(None, OWL.imports))
    assert len(list(graph.subjects(RDF.type, OWL.Ontology))) == 1


def test_holds_every_module_and_the_entailments(release, graph):
    # A term of each kind of module, and HermiT's defined-class subsumption HER2-low under HER2-negative.
    for term in (H2N["drug-ribociclib"], H2N["rec-m-hr-01"],
                 H2N["ci-ribociclib-qtcf"], H2N["state-postmenopausal"], H2N["source-s1"]):
        assert (term, None, None) in graph, term
    assert (H2N.HER2LowResult, RDFS.subClassOf, H2N.HER2NegativeResult) in graph
    assert release.inferred_subclass_axioms > 0


def test_no_example_individual_leaks_into_the_release(graph):
    assert not [s for s in graph.subjects() if "/kb/example/" in str(s)]


def test_owlready2_loads_the_release(release):
    import owlready2

    world = owlready2.World()
    onto = world.get_ontology(release.path.as_uri()).load()
    assert onto.search_one(iri=str(H2N["drug-ribociclib"])) is not None


def test_owl_api_finds_the_release_owl2_dl(release):
    from reasoner.ontology.profile import check_dl_profile

    (report,) = check_dl_profile([release.path])
    assert report.ok, report.summary()
