"""Shape tests as self-contained case files, plus the shapes file's own conventions.

Each ``shape_cases/*.json`` holds a record and the exact findings (severity, path, shape) it
must give — no more, no fewer (information findings aside). Many are boundary cases that must
give none.
"""

import json
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib import RDF, Graph

from reasoner.errors import KnowledgeBaseError
from reasoner.graph.vocab import SH
from reasoner.validation import fastpath, validate_record
from reasoner.validation.shapes import shape_infos, shapes_graph
from tests.strategies import mutated_records, patients

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


_PREFIXES = """
@prefix h2n: <https://w3id.org/her2neg/kb/> .
@prefix h2ns: <https://w3id.org/her2neg/shapes/> .
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
h2ns:p a owl:Ontology ; sh:declare [ sh:prefix "h2n" ; sh:namespace "https://w3id.org/her2neg/kb/"^^xsd:anyURI ] .
"""

UNSUPPORTED = {
    "pattern": "h2ns:X a sh:PropertyShape ; sh:targetClass h2n:Patient ; sh:path h2n:age ; sh:pattern \"^1\" .",
    "class": "h2ns:X a sh:PropertyShape ; sh:targetClass h2n:Patient ; sh:path h2n:sex ; sh:class h2n:Sex .",
    "or": "h2ns:X a sh:NodeShape ; sh:targetClass h2n:Patient ; sh:or ( [ sh:path h2n:age ; sh:minCount 1 ] ) .",
    "alternative path": "h2ns:X a sh:NodeShape ; sh:targetClass h2n:Patient ; sh:not [ sh:property "
                        "[ sh:path [ sh:alternativePath ( h2n:age h2n:sex ) ] ; sh:minCount 1 ] ] .",
    "inner node constraint": "h2ns:X a sh:NodeShape ; sh:targetClass h2n:Patient ; "
                             "sh:not [ sh:property [ sh:path h2n:age ; sh:minCount 1 ] ; sh:closed true ] .",
    "target node": "h2ns:X a sh:PropertyShape ; sh:targetNode h2n:p1 ; sh:path h2n:age ; sh:minCount 1 .",
    "minCount 2.5": "h2ns:X a sh:PropertyShape ; sh:targetClass h2n:Patient ; sh:path h2n:age ; sh:minCount 2.5 .",
    "sparql optional": "h2ns:X a sh:NodeShape ; sh:targetClass h2n:Patient ; sh:sparql [ a sh:SPARQLConstraint ; "
                       "sh:prefixes h2ns:p ; sh:select \"SELECT $this WHERE { OPTIONAL { $this h2n:age ?a } }\" ] .",
    "sparql function": "h2ns:X a sh:NodeShape ; sh:targetClass h2n:Patient ; sh:sparql [ a sh:SPARQLConstraint ; "
                       "sh:prefixes h2ns:p ; sh:select \"SELECT $this WHERE { $this h2n:age ?a FILTER(STRLEN(?a) > 1) }\" ] .",
    "sparql regex flags": "h2ns:X a sh:NodeShape ; sh:targetClass h2n:Patient ; sh:sparql [ a sh:SPARQLConstraint ; "
                          "sh:prefixes h2ns:p ; sh:select \"SELECT $this WHERE { $this h2n:age ?a "
                          "FILTER(REPLACE(STR(?a), 'a', 'b', 'i') = 'c') }\" ] .",
    "sparql union": "h2ns:X a sh:NodeShape ; sh:targetClass h2n:Patient ; sh:sparql [ a sh:SPARQLConstraint ; "
                    "sh:prefixes h2ns:p ; sh:select \"SELECT $this WHERE { { $this h2n:age ?a } UNION { $this h2n:sex ?a } }\" ] .",
}


@pytest.mark.parametrize("name", sorted(UNSUPPORTED))
def test_compiler_refuses_what_it_does_not_know(name):
    """Fail closed: a shape construct the compiler does not support is an error when the shapes
    load, never a skipped check."""
    g = Graph()
    g.parse(data="@prefix owl: <http://www.w3.org/2002/07/owl#> .\n" + _PREFIXES + UNSUPPORTED[name],
            format="turtle")
    shapes = set(g.subjects(SH.targetClass, None)) | set(g.subjects(SH.targetNode, None))
    with pytest.raises(KnowledgeBaseError):
        fastpath.compile_shapes(g, shapes)


def test_compiler_refuses_an_unknown_constraint_added_to_the_real_shapes():
    g = Graph()
    g.parse(data=shapes_graph().serialize(format="turtle"), format="turtle")
    shape = next(iter(shape_infos()))
    g.add((shape, SH.pattern, __import__("rdflib").Literal("^x")))
    with pytest.raises(KnowledgeBaseError):
        fastpath.compile_shapes(g, shape_infos())
    assert fastpath.compiled_shapes().shapes == tuple(sorted(shape_infos()))
    assert g.value(shape, RDF.type) is not None


_BASE = json.loads((Path(__file__).parent / "shape_cases" / "metastatic-therapy-before-diagnosis-exact.json")
                   .read_text())["record"]


@pytest.mark.parametrize("start,end,as_of,tested_on", [
    ("2025-12-10", None, "2026-11-01", "2026-10-01"),   # 31 days before the diagnosis: within tolerance
    ("2025-12-09", None, "2026-11-01", "2026-10-01"),   # 32 days: a finding
    ("2026-01-10", "2026-01-09", "2026-11-01", "2026-11-01"),  # end before start; tested on as_of
    ("2026-01-11", "2026-11-02", "2026-11-01", "2026-11-02"),  # end and test after as_of
    ("2024-01-10", "2025-01-10", "2026-01-09", "2026-01-10"),  # diagnosis after as_of
])
def test_date_constraints_at_their_boundaries_match_pyshacl(start, end, as_of, tested_on):
    """The SHACL-SPARQL date constraints (interpreted from their SPARQL by the compiled shapes)
    give pySHACL's findings exactly at and around their boundaries."""
    record = json.loads(json.dumps(_BASE))
    record["as_of"], record["receptors"]["tested_on"] = as_of, tested_on
    record["therapies"][0]["start"] = start
    if end:
        record["therapies"][0]["end"] = end
        record["therapies"][0]["end_reason"] = "progression"
    fast = validate_record(record, today=TODAY)
    assert fast.findings == validate_record(record, today=TODAY, engine="pyshacl").findings


def test_parsed_sparql_constraints_are_cached_and_read_back_alike(tmp_path, monkeypatch):
    """The SHACL-SPARQL constraints are parsed once per machine (the parser's import is most of a
    cold start's validation cost): a second compilation reads the cache, never the parser, and
    gives the same findings; a damaged cache file is parsed again."""
    import rdflib.plugins.sparql as sparql

    monkeypatch.setenv("HER2NEG_CACHE_DIR", str(tmp_path))
    records = [json.loads(p.read_text())["record"] for p in CORPUS]
    from reasoner.validation import _catalog, _prepare

    graphs = [g for g in (_prepare(r, _catalog(None), TODAY).graph for r in records if isinstance(r, dict)) if g is not None]
    first = fastpath.compile_shapes(shapes_graph(), shape_infos())
    files = sorted(tmp_path.glob("shacl-sparql-*.json"))
    assert len(files) == len(set(shapes_graph().subjects(SH.sparql, None)))

    def no_parser(*args, **kwargs):
        raise AssertionError("parsed again although cached")

    monkeypatch.setattr(sparql, "prepareQuery", no_parser)
    second = fastpath.compile_shapes(shapes_graph(), shape_infos())
    assert [first.run([g]) for g in graphs] == [second.run([g]) for g in graphs]
    assert any(shape.endswith("NotAfterDecision") for g in graphs for shape, _, _ in first.run([g]))

    monkeypatch.undo()
    monkeypatch.setenv("HER2NEG_CACHE_DIR", str(tmp_path))
    files[0].write_text('{"key": "x", "algebra": ')
    third = fastpath.compile_shapes(shapes_graph(), shape_infos())
    assert [first.run([g]) for g in graphs] == [third.run([g]) for g in graphs]


def test_parsed_sparql_constraints_follow_the_package_cache_rules(tmp_path, monkeypatch):
    """The parsed constraints are kept like the start-up cache (reasoner.cache): nothing is written
    or read with HER2NEG_NO_CACHE=1, and a cache file that others can write is never read."""
    import os

    import rdflib.plugins.sparql as sparql

    monkeypatch.setenv("HER2NEG_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("HER2NEG_NO_CACHE", "1")
    fastpath.compile_shapes(shapes_graph(), shape_infos())
    assert not list(tmp_path.iterdir())

    monkeypatch.delenv("HER2NEG_NO_CACHE")
    fastpath.compile_shapes(shapes_graph(), shape_infos())
    files = sorted(tmp_path.glob("shacl-sparql-*.json"))
    assert files and all(f.stat().st_mode & 0o077 == 0 for f in files)  # this user's only

    parsed = []
    real = sparql.prepareQuery
    monkeypatch.setattr(sparql, "prepareQuery", lambda *a, **k: parsed.append(1) or real(*a, **k))
    monkeypatch.setenv("HER2NEG_NO_CACHE", "1")
    fastpath.compile_shapes(shapes_graph(), shape_infos())
    assert len(parsed) == len(files)  # cache off: the files are not read
    monkeypatch.delenv("HER2NEG_NO_CACHE")
    parsed.clear()
    os.chmod(files[0], 0o666)
    fastpath.compile_shapes(shapes_graph(), shape_infos())
    assert len(parsed) == 1  # the file others could write is parsed again, the rest read


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(record=st.one_of(patients(), mutated_records()))
def test_compiled_shapes_match_pyshacl_on_coherent_and_hostile_records(record):
    """Beyond valid records: clinically coherent histories (dated lines, ongoing regimens: the
    date constraints) and hostile mutations of the example patient give the same findings."""
    fast = validate_record(record, today=TODAY)
    assert fast.findings == validate_record(record, today=TODAY, engine="pyshacl").findings
