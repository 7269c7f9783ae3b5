"""Shape tests as self-contained case files, plus the shapes file's own conventions.

Each ``shape_cases/*.json`` holds a record and the exact findings (severity, path, shape) it
must give — no more, no fewer (information findings aside). Many are boundary cases that must
give none.
"""

import json
from datetime import date
from pathlib import Path

import pytest
from rdflib import RDF, Graph

from reasoner.errors import KnowledgeBaseError
from reasoner.graph.vocab import SH
from reasoner.validation import fastpath, validate_record
from reasoner.validation.shapes import shape_infos, shapes_graph

CASES = sorted((Path(__file__).parent / "shape_cases").glob("*.json"))
CORPUS = sorted((Path(__file__).parent / "corpus").glob("*.json"))
TODAY = date(2026, 11, 1)


def test_all_cases_collected(request):
    collected = [i for i in request.session.items if i.originalname == "test_shape_case"]
    if collected:
        assert len(collected) == len(CASES)
    assert len(CASES) >= 15


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_shape_case(path):
    case = json.loads(path.read_text())
    for engine in ("fast", "pyshacl"):
        outcome = validate_record(case["record"], today=TODAY, engine=engine)
        got = sorted(
            (f.severity.value, f.path, f.shape) for f in outcome.findings if f.severity.value != "info"
        )
        want = sorted((e["severity"], e["path"], e["shape"]) for e in case["expect"])
        assert got == want, engine


def test_every_shape_is_documented():
    g = shapes_graph()
    for iri in shape_infos():
        for p in (SH.name, SH.description, SH.message):
            assert len(list(g.objects(iri, p))) == 1, (iri, p)
        assert g.value(iri, SH.severity) in (SH.Violation, SH.Warning), iri


def test_every_shape_fires_somewhere_in_the_corpus():
    fired = set()
    for path in CORPUS:
        outcome = validate_record(json.loads(path.read_text())["record"], today=TODAY)
        fired |= {f.shape for f in outcome.findings}
    assert {i.name for i in shape_infos().values()} <= fired


def test_shapes_are_mostly_shacl_core():
    g = shapes_graph()
    sparql = {s for s in g.subjects(SH.sparql, None)}
    assert len(sparql) <= 4, "only date comparisons across nodes (as_of, the metastatic diagnosis) need SHACL-SPARQL"
    assert not list(g.subjects(SH["or"], None)) and not list(g.subjects(SH.xone, None))


def test_fast_path_refuses_unknown_constraints(monkeypatch):
    g = Graph()
    g.parse(data=shapes_graph().serialize(format="turtle"), format="turtle")
    shape = next(iter(shape_infos()))
    g.add((shape, SH.pattern, __import__("rdflib").Literal("^x")))
    monkeypatch.setattr(fastpath, "shapes_graph", lambda: g)
    fastpath.compiled_queries.cache_clear()
    try:
        with pytest.raises(KnowledgeBaseError):
            fastpath.compiled_queries()
    finally:
        monkeypatch.undo()
        fastpath.compiled_queries.cache_clear()
    assert fastpath.compiled_queries()
    assert g.value(shape, RDF.type) is not None
