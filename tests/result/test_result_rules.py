"""Rules and texts of the result are knowledge: read from the ontology, sourced, fail closed.

``ontology/advice.ttl`` holds the rule that endocrine therapy is never combined with chemotherapy
(``h2n:ForbiddenCombination``), the fixed texts of reasons and cautions (``h2n:ResultText``) and the
TEST_ISH advice for a record invalid because HER2 IHC 2+ lacks ISH (``h2n:ValidationAdvice``). The
engine reads them generically; these tests change them in a copy of the knowledge base and see the
result change, and remove them and see the knowledge base refused.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from reasoner import KnowledgeBase
from reasoner.errors import KnowledgeBaseError
from reasoner.query.backends import get_backend
from reasoner.resources import module_paths, ontology_dir

PREFIX = ("PREFIX h2n: <https://w3id.org/her2neg/kb/>\nPREFIX dcterms: <http://purl.org/dc/terms/>\n"
          "PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>\n")

BASE = {"sex": "female", "age": 62, "menopausal_status": "postmenopausal", "as_of": "2026-11-01", "ecog": 1,
        "setting": "metastatic",
        "receptors": {"er_percent": 90, "pr_percent": 50, "her2_ihc": "0", "specimen": "metastasis",
                      "tested_on": "2026-01-10"},
        "metastatic": {"diagnosis_date": "2026-01-05", "de_novo": True, "sites": ["bone"],
                       "visceral_crisis": False}}
# ongoing letrozole with ongoing paclitaxel: endocrine therapy with chemotherapy (ESO-ESMO ABC)
ET_WITH_CHEMO = {**BASE, "id": "et-chemo", "therapies": [
    {"drugs": ["letrozole", "paclitaxel"], "setting": "metastatic", "start": "2026-01-20"}]}
# a first line stopped for toxicity (no progression): its drugs may be offered again, with a caution
TOXICITY = {**BASE, "id": "tox", "therapies": [
    {"drugs": ["letrozole", "palbociclib"], "setting": "metastatic", "start": "2026-01-20", "end": "2026-04-01",
     "end_reason": "toxicity"}]}
# HER2 IHC 2+ without ISH: invalid, ISH is advised (ASCO/CAP 2023)
NO_ISH = {**BASE, "id": "no-ish", "receptors": {**BASE["receptors"], "her2_ihc": "2+"}}


def _copy_kb(tmp_path: Path, pattern: str, replacement: str) -> KnowledgeBase:
    src = ontology_dir()
    dst = tmp_path / "ontology"
    shutil.copytree(src, dst)
    target = dst / "advice.ttl"
    text, count = re.subn(pattern, replacement, target.read_text(encoding="utf-8"), flags=re.S)
    assert count == 1, f"{pattern!r} matched {count} times"
    target.write_text(text, encoding="utf-8")
    files = tuple(dst / p.relative_to(src) for p in module_paths())
    return KnowledgeBase(get_backend("oxigraph", files), files)


def _excluded_reasons(result: dict, rule_id: str) -> list[tuple[str, str]]:
    return [(r["code"], r["text"]) for e in result["excluded"] if e["id"] == rule_id for r in e["reasons"]]


def _cautions(result: dict) -> set[str]:
    return {c for o in result["options"] for c in o["cautions"]}


def test_the_rules_are_read_from_the_knowledge_base(kb):
    rules = kb.result_rules
    [combination] = rules.combinations
    assert (combination.first, combination.first_except, combination.second) == (
        "EndocrineTherapy", frozenset({"LHRHAgonist"}), "CytotoxicChemotherapy")
    assert {"current-drug-progressed", "stopped-for-toxicity"} <= set(rules.texts)
    assert rules.texts["current-drug-progressed"].code == "PRIOR_PROGRESSION"
    assert [a.code for a in rules.validation_advice] == ["TEST_ISH"]


def test_every_rule_and_text_has_a_source_and_date(kb):
    for check in ("FILTER NOT EXISTS { ?x dcterms:source ?s . ?s a h2n:Source }",
                  "FILTER NOT EXISTS { ?x h2n:currentTo ?d FILTER(DATATYPE(?d) = xsd:date) }"):
        rows = kb.backend.select(PREFIX + "SELECT ?x WHERE { VALUES ?c { h2n:ForbiddenCombination h2n:ResultText "
                                 "h2n:ValidationAdvice } ?x a ?c . " + check + " }")
        assert rows == []


def test_endocrine_therapy_with_chemotherapy_is_not_continued(kb):
    result = kb.recommend(ET_WITH_CHEMO).to_dict()
    assert "rec-continue-current" not in {o["id"] for o in result["options"]}
    assert ("CRITERION_NOT_MET", kb.result_rules.combinations[0].current_text) in _excluded_reasons(
        result, "rec-continue-current")
    assert not any({"letrozole", "paclitaxel"} <= {d for c in o["components"] for d in c["drugs"]}
                   for o in result["options"])


def test_the_combination_rule_is_data(tmp_path):
    other = _copy_kb(tmp_path, r'(h2n:currentRegimenText )"the current regimen combines[^"]*"',
                     r'\1"changed text: not continued"')
    result = other.recommend(ET_WITH_CHEMO).to_dict()
    assert ("CRITERION_NOT_MET", "changed text: not continued") in _excluded_reasons(result, "rec-continue-current")


def test_the_toxicity_caution_is_data(kb, tmp_path):
    expected = kb.result_rules.texts["stopped-for-toxicity"].text(drug="letrozole")
    assert expected.startswith("letrozole was stopped for toxicity before")
    assert expected in _cautions(kb.recommend(TOXICITY).to_dict())
    other = _copy_kb(tmp_path, r'(h2n:messageTemplate )"\{drug\} was stopped for toxicity before[^"]*"',
                     r'\1"{drug}: stopped for toxicity (changed)"')
    assert "letrozole: stopped for toxicity (changed)" in _cautions(other.recommend(TOXICITY).to_dict())


def test_test_ish_advice_follows_the_property_in_the_knowledge_base(kb, tmp_path):
    result = kb.recommend(NO_ISH).to_dict()
    assert result["status"] == "invalid" and "TEST_ISH" in {a["code"] for a in result["advice"]}
    other = _copy_kb(tmp_path, r"h2n:onViolationOf h2n:her2IshResult", "h2n:onViolationOf h2n:ecog")
    result = other.recommend(NO_ISH).to_dict()
    assert result["status"] == "invalid" and "TEST_ISH" not in {a["code"] for a in result["advice"]}


# HER2 IHC 3+: HER2-positive (ASCO/CAP 2023), out of scope
HER2_POSITIVE = {**BASE, "id": "her2-pos", "receptors": {**BASE["receptors"], "her2_ihc": "3+"}}
# a concomitant medication no knowledge-base name matches
UNKNOWN_MED = {**BASE, "id": "unknown-med", "medications": ["zzz-not-a-drug"]}


def test_the_engines_texts_are_data(kb, tmp_path):
    """The out-of-scope finding and the unknown-medication warning are texts of advice.ttl
    (h2n:ResultText), not of the code: changing the knowledge base changes the result."""
    result = kb.recommend(HER2_POSITIVE).to_dict()
    assert result["status"] == "out_of_scope"
    assert kb.result_rules.texts["her2-positive-out-of-scope"].text() in {v["message"] for v in result["validation"]}
    warning = kb.result_rules.texts["unknown-medication"]
    assert (warning.code, warning.text(medication="zzz-not-a-drug")) in {
        (w["code"], w["text"]) for w in kb.recommend(UNKNOWN_MED).to_dict()["warnings"]}
    other = _copy_kb(tmp_path, r'(h2n:messageTemplate )"HER2-positive disease \(IHC 3\+[^"]*"',
                     r'\1"HER2-positive: out of scope (changed)"')
    assert "HER2-positive: out of scope (changed)" in {
        v["message"] for v in other.recommend(HER2_POSITIVE).to_dict()["validation"]}


@pytest.mark.parametrize("pattern, replacement, message", [
    (r"h2n:combination-endocrine-chemotherapy a h2n:ForbiddenCombination ;",
     "h2n:combination-endocrine-chemotherapy a h2n:ResultRuleDraft ;", "no h2n:ForbiddenCombination"),
    (r"    h2n:secondDrugClass h2n:CytotoxicChemotherapy ;\n", "", "second is missing"),
    (r'skos:notation "stopped-for-toxicity" ;', "", "stopped-for-toxicity"),
    (r'skos:notation "history-incomplete" ;', "", "history-incomplete"),
    (r'skos:notation "her2-positive-out-of-scope" ;', "", "her2-positive-out-of-scope"),
    (r"(h2n:onViolationOf h2n:her2IshResult ;\n)    dcterms:source h2n:source-s47 ;", r"\1", "no source"),
])
def test_a_missing_rule_or_text_refuses_the_knowledge_base(tmp_path, pattern, replacement, message):
    with pytest.raises(KnowledgeBaseError, match=re.escape(message)):
        _copy_kb(tmp_path, pattern, replacement)


@pytest.mark.parametrize("key, code", [
    ("unknown-medication", "UNKNOWN_MEDICATION"),
    ("history-incomplete", "MISSING_DATA"),
    ("current-drug-progressed", "PRIOR_PROGRESSION"),
    ("current-regimen-not-recommended", "CRITERION_NOT_MET"),
])
def test_a_text_without_its_code_refuses_the_knowledge_base(tmp_path, key, code):
    """The code of a reason or warning the engine writes is knowledge like its text: without it the
    knowledge base does not load (there is no code in the engine to fall back on), and the error
    names the text."""
    from reasoner.result_rules import REQUIRED_CODES

    assert key in REQUIRED_CODES
    pattern = rf'(skos:notation "{re.escape(key)}" ;\n(?:    [^\n]*\n)*?)    h2n:reasonCode "{code}" ;\n'
    with pytest.raises(KnowledgeBaseError, match=re.escape(f"result text {key!r} has no code")):
        _copy_kb(tmp_path, pattern, r"\1")
