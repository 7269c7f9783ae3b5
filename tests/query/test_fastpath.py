"""The fast path gives exactly the rows of the SPARQL queries it compiles (the reference)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from reasoner.cohort.synthetic import generate
from reasoner.engine import Engine
from tests.strategies import records as generated_records

ROOT = Path(__file__).resolve().parents[2]


def _records():
    records = [json.loads(p.read_text())["record"] for p in sorted((ROOT / "tests/acceptance/cases").glob("*.json"))]
    records += [json.loads(p.read_text()) for p in sorted((ROOT / "examples/patients").glob("*.json"))]
    records += [c["record"] for p in sorted((ROOT / "tests/clinical/cases").glob("*.json"))
                for c in json.loads(p.read_text())["cases"]]
    records += list(generate(150, seed=11))
    return records


RECORDS = _records()


def _key(row: dict) -> str:
    return json.dumps(row, sort_keys=True, default=str)


@pytest.fixture(scope="module")
def engines(kb):
    return Engine(kb, evaluator="fastpath"), Engine(kb, evaluator="sparql")


@pytest.mark.parametrize("start", range(0, len(RECORDS), 25))
def test_fastpath_rows_equal_sparql_rows(engines, start):
    fast, ref = engines
    prepared = [p for p in ref._prepare_many(RECORDS[start:start + 25]) if p.status == "ok"]
    # one batch per distinct patient id, as Engine.run does
    seen, batches = set(), [[]]
    for p in prepared:
        if p.iri in seen:
            batches.append([])
            seen = set()
        seen.add(p.iri)
        batches[-1].append(p)
    for batch in batches:
        graphs = {p.iri: ref._patient_triples(p) for p in batch}
        expected = ref._query_batch_sparql(batch, graphs)
        actual = fast._query_batch(batch, graphs)
        for p in batch:
            for name in ref._queries:
                want = sorted(_key(r) for r in expected.get(p.iri, {}).get(name, []))
                got = sorted(_key(r) for r in actual.get(p.iri, {}).get(name, []))
                assert got == want, f"{p.patient_id}: {name} differs"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(record=generated_records())
def test_fastpath_rows_equal_sparql_rows_on_generated_patients(engines, record):
    """The same on patients hypothesis generates (tests/graph/strategies.py): any mix of receptors,
    biomarkers, settings and up to three therapies with progression and end dates."""
    fast, ref = engines
    prepared = [p for p in ref._prepare_many([record]) if p.status == "ok"]
    for p in prepared:
        graphs = {p.iri: ref._patient_triples(p)}
        expected = ref._query_batch_sparql([p], graphs)
        actual = fast._query_batch([p], graphs)
        for name in ref._queries:
            want = sorted(_key(r) for r in expected.get(p.iri, {}).get(name, []))
            got = sorted(_key(r) for r in actual.get(p.iri, {}).get(name, []))
            assert got == want, f"{name} differs for {record}"
    assert [r.to_dict() for r in fast.run([record])] == [r.to_dict() for r in ref.run([record])]


def test_fastpath_results_equal_sparql_results(engines):
    fast, ref = engines
    sample = RECORDS[:60]
    assert [r.to_dict() for r in fast.run(sample)] == [r.to_dict() for r in ref.run(sample)]


def test_unknown_evaluator_is_an_error(kb):
    from reasoner.errors import ReasonerError

    with pytest.raises(ReasonerError):
        Engine(kb, evaluator="magic")


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(record=generated_records())
def test_indexed_statuses_equal_criterion_by_criterion(engines, record):
    """The fast path evaluates a patient from her facts through indexes of the criteria; read one
    criterion at a time (CompiledKnowledge._status, the definition) the statuses are the same."""
    from rdflib import URIRef

    from reasoner.inference import inferred_triples
    from reasoner.query.fastpath import PatientFacts

    fast, _ = engines
    for p in (p for p in fast._prepare_many([record]) if p.status == "ok"):
        facts = PatientFacts.from_triples(
            p.iri, list(fast._patient_triples(p)) + list(inferred_triples(URIRef(p.iri), p.inference)))
        compiled = fast._compiled
        assert compiled.statuses_by_rule(facts) == compiled.statuses_by_rule_reference(facts)


def test_assembly_reads_the_grouped_statuses_as_the_rows(engines):
    """What the engine's own run gives result assembly (statuses grouped by rule, no rows) is the
    criterion-status rows grouped: the same results either way."""
    fast, _ = engines
    prepared = [p for p in fast._prepare_many(RECORDS[:80]) if p.status == "ok"]
    seen, batch = set(), []
    for p in prepared:
        if p.iri not in seen:
            seen.add(p.iri)
            batch.append(p)
    graphs = {p.iri: fast._patient_triples(p) for p in batch}
    lean = fast._query_batch(batch, graphs, for_assembly=True)
    full = fast._query_batch(batch, graphs)
    for p in batch:
        assert lean[p.iri]["criterion-status"] == []
        grouped = [{"patient": p.iri, "rule": rule, "criterion": c, "status": s}
                   for rule, pairs in lean[p.iri]["criterion-status-by-rule"].items() for c, s in pairs]
        assert grouped == full[p.iri]["criterion-status"]
        rows_only = {k: v for k, v in full[p.iri].items() if k != "criterion-status-by-rule"}
        assert fast._assembler.assemble(p, rows_only, None) == fast._assembler.assemble(p, lean[p.iri], None)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(record=generated_records())
def test_inferred_facts_are_the_inferred_triples_as_plain_values(engines, record):
    """The compiled queries read the inferred facts as plain values; the stores get them as rdflib
    terms: the same facts, in the same order, either way."""
    from rdflib import Literal, URIRef

    from reasoner.inference import inferred_facts, inferred_triples

    fast, _ = engines
    for p in (p for p in fast._prepare_many([record]) if p.status == "ok"):
        as_terms = [(str(s), str(q), o.toPython() if isinstance(o, Literal) else str(o))
                    for s, q, o in inferred_triples(URIRef(p.iri), p.inference)]
        assert as_terms == list(inferred_facts(p.iri, p.inference))
        assert all(isinstance(o, URIRef) or (isinstance(o, Literal) and type(o.toPython()) is int)
                   for _, _, o in inferred_triples(URIRef(p.iri), p.inference))
