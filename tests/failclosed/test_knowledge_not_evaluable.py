"""Knowledge the engine cannot evaluate never counts as met (issue 10, "knowledge that cannot be evaluated").

A criterion retyped to a kind neither evaluator knows used to be dropped silently, so a
postmenopausal-only regimen appeared for a premenopausal woman. Now: ``KnowledgeBase.load`` refuses
it (a QC query, the error names the IRI), the fast evaluator refuses it, and if such knowledge is
evaluated anyway (the SPARQL reference) a criterion without a status excludes the option.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import rdflib

from reasoner.engine import Engine
from reasoner.errors import KnowledgeBaseError
from reasoner.kb import KnowledgeBase
from reasoner.query.backends import OxigraphBackend
from reasoner.resources import module_paths
from reasoner.vocab import H2N, local_name

ROOT = Path(__file__).resolve().parents[2]
POSTMENOPAUSAL = H2N["state-postmenopausal"]


def _tampered_files(tmp_path: Path, change) -> tuple[Path, ...]:
    graph = rdflib.Graph()
    for path in module_paths():
        graph.parse(path, format="turtle")
    changed = change(graph)
    assert changed, "the tampering found nothing to change"
    out = tmp_path / "kb.ttl"
    graph.serialize(out, format="turtle")
    return (out,)


def _retype_postmenopausal(graph: rdflib.Graph) -> list:
    """Every state criterion that requires 'postmenopausal' becomes a kind no evaluator knows."""
    hits = [c for c in graph.subjects(H2N.state, POSTMENOPAUSAL)
            if (c, rdflib.RDF.type, H2N.StateCriterion) in graph]
    for c in hits:
        graph.remove((c, rdflib.RDF.type, H2N.StateCriterion))
        graph.add((c, rdflib.RDF.type, H2N.FutureCriterion))
    return hits


def test_kb_load_refuses_a_criterion_of_unknown_kind_naming_its_iri(tmp_path):
    files = _tampered_files(tmp_path, _retype_postmenopausal)
    with pytest.raises(KnowledgeBaseError) as info:
        KnowledgeBase(OxigraphBackend(files), files)
    assert str(H2N) in str(info.value) and "cannot be evaluated" in str(info.value)


def test_kb_load_refuses_a_state_criterion_without_states(tmp_path):
    def drop_states(graph):
        hits = list(graph.triples((None, H2N.state, POSTMENOPAUSAL)))
        c = hits[0][0]
        for t in list(graph.triples((c, H2N.state, None))):
            graph.remove(t)
        return [c]

    files = _tampered_files(tmp_path, drop_states)
    with pytest.raises(KnowledgeBaseError, match="without h2n:state"):
        KnowledgeBase(OxigraphBackend(files), files)


@pytest.fixture(scope="module")
def unchecked_kb(tmp_path_factory):
    """The tampered knowledge base with the load-time check bypassed (as a custom store might be)."""
    files = _tampered_files(tmp_path_factory.mktemp("kb"), _retype_postmenopausal)
    original = KnowledgeBase._check_evaluable
    KnowledgeBase._check_evaluable = lambda self: None
    try:
        return KnowledgeBase(OxigraphBackend(files), files)
    finally:
        KnowledgeBase._check_evaluable = original


def test_fast_evaluator_raises_on_a_criterion_it_does_not_understand(unchecked_kb):
    with pytest.raises(KnowledgeBaseError, match="no kind the fast path understands"):
        Engine(unchecked_kb, evaluator="fastpath")


def test_a_criterion_without_a_status_excludes_the_option(unchecked_kb):
    """Premenopausal woman (acceptance case A02): no option whose postmenopausal criterion was
    unreadable may be offered; each is excluded with MISSING_DATA naming the criterion."""
    record = json.loads((ROOT / "tests/acceptance/cases/A02-hr-premenopausal.json").read_text())["record"]
    graph = rdflib.Graph()
    for path in unchecked_kb.files:
        graph.parse(path, format="turtle")
    retyped = {str(c) for c in graph.subjects(rdflib.RDF.type, H2N.FutureCriterion)}
    affected = {local_name(rule) for rule, crits in unchecked_kb.rule_criteria.items() if crits & retyped}
    assert affected

    result = Engine(unchecked_kb, evaluator="sparql").run([record])[0]
    assert result.status == "ok"
    assert not affected & {o.id for o in result.options}, "an option with an unevaluable criterion was offered"
    named = {e.id for e in result.excluded
             if any(r.code == "MISSING_DATA" and "could not be evaluated" in r.text for r in e.reasons)}
    assert named and named <= affected


@pytest.mark.parametrize("change, message", [
    # a threshold bound that is not a number: the QTcF could never be compared with it, so a QTcF of
    # 480 ms would be read as "no contraindication" (Kisqali USPI 5: do not start at 450 ms or more)
    (lambda g: _set(g, "ci-ribociclib-qtcf", H2N.minInclusive, rdflib.Literal("450 ms")), "not a number"),
    (lambda g: _set(g, "ci-ribociclib-qtcf", H2N.minInclusive, None), "without a bound"),
    (lambda g: _set(g, "ci-ribociclib-qtcf", H2N.message, None), "without h2n:message"),
    (lambda g: _set(g, "ci-ribociclib-qtcf", H2N.appliesToDrug, None), "without h2n:appliesToDrug"),
    # absolute or relative is what the explanation calls it: knowledge, no default
    (lambda g: _set(g, "ci-ribociclib-qtcf", H2N.contraindicationType, None), "without an h2n:contraindicationType"),
])
def test_kb_load_refuses_a_contraindication_it_cannot_evaluate(tmp_path, change, message):
    files = _tampered_files(tmp_path, change)
    with pytest.raises(KnowledgeBaseError, match=re.escape(message)) as info:
        KnowledgeBase(OxigraphBackend(files), files)
    assert str(H2N["ci-ribociclib-qtcf"]) in str(info.value) and "cannot be evaluated" in str(info.value)


def _set(graph: rdflib.Graph, local: str, prop, value) -> list:
    """Replace (value None: remove) the values of ``prop`` on the contraindication ``local``."""
    subject = H2N[local]
    old = list(graph.triples((subject, prop, None)))
    for t in old:
        graph.remove(t)
    if value is not None:
        graph.add((subject, prop, value))
    return old


def test_kb_load_refuses_a_continued_regimen_rule_without_the_code_of_what_it_supersedes(tmp_path):
    """The reason code of the new options a working current regimen supersedes is knowledge
    (current-regimen.ttl): a rule without it is refused, not given a default code."""
    files = _tampered_files(tmp_path, lambda g: _set(g, "rec-continue-current", H2N.supersededReasonCode, None))
    with pytest.raises(KnowledgeBaseError, match="supersededReasonCode") as info:
        KnowledgeBase(OxigraphBackend(files), files)
    assert str(H2N["rec-continue-current"]) in str(info.value)
