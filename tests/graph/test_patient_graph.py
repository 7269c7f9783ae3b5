"""JSON record <-> patient graph: IRIs, vocabulary, lossless round trip, JSON and Turtle agree."""

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import XSD

from reasoner.graph import graph_to_records, json_path, node_iri, patient_iri, record_to_graph
from reasoner.graph.mapping import FIELDS, GROUPS, parse_node_iri
from reasoner.graph.vocab import H2N, enum_table
from reasoner.validation import validate_graph, validate_record
from tests.strategies import records

DATA = Path(__file__).parent / "data"
ACCEPTANCE = sorted(Path("/work/shared/acceptance").glob("A*.json")) or sorted(
    (Path(__file__).parents[1] / "acceptance" / "cases").glob("A*.json")
)


@pytest.mark.parametrize(
    "pid, tail",
    [
        ("A01", "A01"),
        ("pt 1", "pt%201"),
        ("a/b", "a%2Fb"),
        ('say "hi"', "say%20%22hi%22"),
        ("Zoë", "Zo%C3%AB"),
        ("#?&", "%23%3F%26"),
    ],
)
def test_patient_iri_percent_encodes(pid, tail):
    iri = patient_iri(pid)
    assert iri == URIRef("https://w3id.org/her2neg/patient/" + tail)
    assert parse_node_iri(iri) == (pid, "", None)
    assert parse_node_iri(node_iri(iri, "therapies", 3)) == (pid, "therapies", 3)


def test_sub_node_iris_are_deterministic():
    p = patient_iri("x")
    assert str(node_iri(p, "receptors")) == f"{p}/receptors"
    assert str(node_iri(p, "locoregional_recurrence")) == f"{p}/locoregional-recurrence"
    assert str(node_iri(p, "therapies", 0)) == f"{p}/therapy/0"


def test_every_field_maps_to_a_json_path_and_back():
    p = patient_iri("id/with slash")
    for f in FIELDS:
        g = GROUPS[f.group]
        node = p if g.link is None else node_iri(p, f.group, 2 if g.is_list else None)
        assert json_path(node, f.prop) == f.path(2 if g.is_list else None)
    assert json_path(p, H2N.hasMetastaticDisease) == "metastatic"


def test_enumeration_tables_come_from_core():
    assert enum_table(H2N.HER2IHCScore).by_code["2+"] == H2N["ihc-2plus"]
    assert enum_table(H2N.MetastaticSite).by_code["liver"] == H2N["site-liver"]  # a VisceralSite
    assert set(enum_table(H2N.DiseaseSetting).codes) == {"early", "metastatic", "locoregional_recurrence"}


@pytest.mark.parametrize("path", ACCEPTANCE, ids=[p.stem for p in ACCEPTANCE])
def test_acceptance_records_round_trip(path):
    record = json.loads(path.read_text())["record"]
    normal = validate_record(record).record  # lists the graph holds as sets come back sorted
    g = record_to_graph(record)
    assert not any(isinstance(t, BNode) for triple in g for t in triple)
    assert graph_to_records(g) == [normal]
    assert isomorphic(record_to_graph(normal), g)


def test_datatypes_follow_property_ranges():
    record = json.loads(next(p for p in ACCEPTANCE if "A04" in p.name).read_text())["record"]
    g = record_to_graph(record)
    p = patient_iri("A04")
    assert g.value(p, H2N.age) == Literal("66", datatype=XSD.integer)
    assert g.value(p, H2N.hba1cPercent) == Literal("5.5", datatype=XSD.decimal)
    assert g.value(p, H2N.asOf) == Literal("2026-11-01", datatype=XSD.date)
    assert (node_iri(p, "therapies", 0), H2N.includesDrug, H2N["drug-abemaciclib"]) in g


def test_extensions_kept_as_json_strings():
    record = json.loads(ACCEPTANCE[0].read_text())["record"]
    record = {**record, "x_site": {"a": [1, 2]}, "labs": {"qtcf_ms": 400, "x_device": "ecg-3"}}
    g = record_to_graph(record)
    assert len(list(g.objects(None, H2N.extensionJson))) == 2
    assert graph_to_records(g) == [record]


def test_json_and_turtle_give_isomorphic_graphs_and_same_findings():
    record = json.loads((DATA / "A08.json").read_text())
    turtle = Graph().parse(DATA / "A08.ttl", format="turtle")
    assert isomorphic(record_to_graph(record), turtle)
    from_json = validate_record(record)
    (from_rdf,) = validate_graph(turtle)
    assert from_json.findings == from_rdf.findings
    assert from_json.record == from_rdf.record


def test_invalid_turtle_patient_gives_same_findings_as_json():
    record = json.loads((DATA / "A08.json").read_text())
    record["receptors"]["pr_percent"] = -5
    record["receptors"]["her2_ish"] = "not_done"
    turtle = Graph().parse(data=record_to_graph(record).serialize(format="turtle"), format="turtle")
    (from_rdf,) = validate_graph(turtle)
    # the same findings, said in the ontology's vocabulary for RDF input (issue 13)
    from dataclasses import replace

    from reasoner.graph.mapping import speak_rdf

    expected = tuple(
        replace(f, path=speak_rdf(f.path, f.message)[0], message=speak_rdf(f.path, f.message)[1])
        for f in validate_record(record).findings
    )
    assert from_rdf.findings == expected
    assert {f.path for f in from_rdf.violations} == {
        "h2n:hasReceptorResult/h2n:prPercent", "h2n:hasReceptorResult/h2n:her2IshResult"}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records())
def test_round_trip_is_lossless(record):
    g = record_to_graph(record)
    assert not any(isinstance(t, BNode) for triple in g for t in triple)
    assert graph_to_records(g) == [record]
    again = Graph().parse(data=g.serialize(format="turtle"), format="turtle")
    assert isomorphic(g, again)
    assert graph_to_records(again) == [record]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records())
def test_generated_records_are_valid_and_already_normal(record):
    outcome = validate_record(record)
    assert outcome.ok, [f.to_dict() for f in outcome.violations]
    assert outcome.record == record


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records())
def test_patient_triples_hold_the_same_triples_as_an_rdflib_graph(record):
    from reasoner.graph import add_record
    from reasoner.graph.triples import PatientTriples

    triples = PatientTriples()
    add_record(triples, record)
    assert len(set(triples)) == len(triples) == len(record_to_graph(record))
    assert set(triples) == set(record_to_graph(record))


def test_patient_triples_keep_one_copy_of_a_repeated_list_value():
    """A record that was not normalised (a drug named twice, once as a synonym; a medication
    twice) gives each triple once, as an rdflib graph does, and stays a set after changes."""
    from reasoner.graph import add_record
    from reasoner.graph.triples import PatientTriples

    record = {
        "id": "dup", "as_of": "2026-01-01", "sex": "female", "age": 60, "setting": "metastatic",
        "medications": ["warfarin", "warfarin"],
        "therapies": [{"drugs": ["letrozole", "Letrozole", "letrozole"], "setting": "metastatic"}],
    }
    triples = PatientTriples()
    add_record(triples, record)
    graph = record_to_graph(record)
    assert len(triples) == len(graph) == len(set(triples))
    assert set(triples) == set(graph)
    first = next(iter(triples))
    assert first in triples
    triples.add(first)
    assert len(triples) == len(graph)
