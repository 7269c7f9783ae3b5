"""The public prepare step (Engine.prepare / run_prepared / patient_triples): each record is
validated once, whether its graph and result are wanted (patient_graph, serve, query) or only its result."""

import json
from pathlib import Path

import pytest

import reasoner.engine as engine_module
from reasoner.engine import PreparedRecord
from reasoner.serve import cohort_triples

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "patients"
RECORDS = [json.loads(p.read_text()) for p in sorted(EXAMPLES.glob("*.json"))]


@pytest.fixture
def validated(monkeypatch):
    """Counts the records each validation call is given."""
    seen: list[str] = []
    one, many = engine_module.validate_record, engine_module.validate_records

    def validate_record(raw, *args, **kwargs):
        seen.append(raw.get("id"))
        return one(raw, *args, **kwargs)

    def validate_records(raws, *args, **kwargs):
        raws = list(raws)
        seen.extend(r.get("id") for r in raws)
        return many(raws, *args, **kwargs)

    monkeypatch.setattr(engine_module, "validate_record", validate_record)
    monkeypatch.setattr(engine_module, "validate_records", validate_records)
    return seen


def test_prepared_records_give_the_results_of_run(kb, validated):
    prepared = kb.engine.prepare(RECORDS)
    assert all(isinstance(p, PreparedRecord) for p in prepared)
    assert sorted(validated) == sorted(r["id"] for r in RECORDS)
    validated.clear()
    results = kb.engine.run_prepared(prepared)
    assert validated == []  # nothing validated again
    assert [r.to_dict() for r in results] == [r.to_dict() for r in kb.engine.run(RECORDS)]
    assert {p.status for p in prepared} >= {"ok", "out_of_scope"}
    for p in prepared:
        triples = kb.engine.patient_triples(p)
        assert bool(triples) == (p.record is not None)


def test_patient_graph_validates_the_record_once(kb, validated):
    graph, result = kb.engine.patient_graph(RECORDS[0])
    assert validated == [RECORDS[0]["id"]]
    assert len(graph) and result.patient == RECORDS[0]["id"]


def test_serve_and_query_validate_each_record_once(kb, validated):
    triples = list(cohort_triples(kb.engine, RECORDS))
    assert triples and sorted(validated) == sorted(r["id"] for r in RECORDS)
    validated.clear()
    kb.engine.query("SELECT ?p WHERE { ?p a <https://w3id.org/her2neg/kb/Patient> }", RECORDS)
    assert sorted(validated) == sorted(r["id"] for r in RECORDS)
