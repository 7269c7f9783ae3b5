"""The inference parameters are knowledge: read from the knowledge base, sourced, and fail closed.

Thresholds, time windows, the early-disease risk definitions (monarchE, NATALEE, KEYNOTE-522,
OlympiA), the visceral sites and the IRIs of states and facets live in the ontology
(``ontology/inference.ttl``, ``states.ttl``, ``core.ttl``). These tests show that:

- the values read are those of the sources (ASCO/CAP 2020, ESO-ESMO ABC 4/5, TAILORx/RxPONDER,
  monarchE, AJCC);
- they are data, not code: a copy of the knowledge base with a different threshold or risk
  definition classifies the same record differently;
- every parameter and risk definition carries a source and a currentTo date;
- a missing or malformed parameter refuses the knowledge base at load time (no default in code).
"""

from __future__ import annotations

import dataclasses
import re
import shutil
from pathlib import Path

import pytest

from reasoner.errors import KnowledgeBaseError
from reasoner.inference import DrugClasses, classify_receptors, infer, inferred_triples
from reasoner.inference.parameters import PARAMETER_KEYS, Bounds
from reasoner.kb import KnowledgeBase
from reasoner.query.backends import get_backend
from reasoner.resources import module_paths, ontology_dir
from reasoner.vocab import H2N

PREFIX = ("PREFIX h2n: <https://w3id.org/her2neg/kb/>\nPREFIX dcterms: <http://purl.org/dc/terms/>\n"
          "PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>\n")


def _copy_kb(tmp_path: Path, edit) -> list[Path]:
    """The ontology modules copied to tmp_path, inference.ttl passed through ``edit``."""
    src = ontology_dir()
    dst = tmp_path / "ontology"
    shutil.copytree(src, dst)
    target = dst / "inference.ttl"
    target.write_text(edit(target.read_text(encoding="utf-8")), encoding="utf-8")
    return [dst / p.relative_to(src) for p in module_paths()]


def _load(files: list[Path]) -> KnowledgeBase:
    return KnowledgeBase(get_backend("oxigraph", tuple(files)), tuple(files))


def _sub(pattern: str, replacement: str):
    """Replace ``pattern`` once; a space in it matches any run of whitespace (line breaks included),
    so the edits do not depend on how the canonical formatter lays the Turtle out."""
    pattern = re.sub(r" +", r"\\s+", pattern)

    def edit(text: str) -> str:
        new, count = re.subn(pattern, replacement, text, flags=re.S)
        assert count == 1, f"{pattern!r} matched {count} times"
        return new
    return edit


def _metastatic(**labs) -> dict:
    return {"id": "p", "sex": "female", "age": 60, "menopausal_status": "postmenopausal", "as_of": "2026-11-01",
            "setting": "metastatic", "ecog": 1, "labs": labs,
            "receptors": {"er_percent": 90, "pr_percent": 50, "her2_ihc": "0", "specimen": "metastasis"},
            "metastatic": {"diagnosis_date": "2026-10-01", "de_novo": True, "sites": ["bone"]}}


def _early(**early) -> dict:
    return {"id": "e", "sex": "female", "age": 50, "menopausal_status": "postmenopausal", "as_of": "2026-11-01",
            "setting": "early", "ecog": 0,
            "receptors": {"er_percent": 90, "pr_percent": 50, "her2_ihc": "0", "specimen": "primary"},
            "early": {"surgery": "mastectomy", **early}}


# -- the values are those of the sources --------------------------------------------------------

def test_parameters_are_read_from_the_knowledge_base(kb):
    params = kb.inference_parameters
    assert kb.drug_classes.parameters is params
    assert set(PARAMETER_KEYS) <= set(params.bounds)
    # ASCO/CAP 2020: positive >= 1 %, ER-low 1-10 %
    assert params["receptor_positive_percent"] == Bounds(min_inclusive=1)
    assert params["er_low_percent"] == Bounds(min_inclusive=1, max_inclusive=10)
    # TAILORx / RxPONDER: high recurrence score 26 or more
    assert 26 in params["recurrence_score_high"] and 25 not in params["recurrence_score_high"]
    # ECOG 0-1
    assert 1 in params["ecog_fit"] and 2 not in params["ecog_fit"]
    # ESO-ESMO ABC: 2 years of adjuvant ET, 12 months after it, 6 months of first-line ET
    assert 729 in params["primary_resistance_adjuvant_et_days"]
    assert 730 not in params["primary_resistance_adjuvant_et_days"]
    assert 365 in params["relapse_within_12m_adjuvant_et_days"]
    assert 366 not in params["relapse_within_12m_adjuvant_et_days"]
    assert 182 in params["primary_resistance_first_line_et_days"]
    assert 183 not in params["primary_resistance_first_line_et_days"]
    # visceral sites are h2n:VisceralSite of core.ttl (liver, lung, pleura, peritoneum)
    assert params.visceral_sites == {"liver", "lung", "pleura", "peritoneum"}
    # AJCC pN: 1-3 nodes N1, 4-9 N2, 10 or more N3
    assert [params.n_category_of_count(n) for n in (0, 1, 3, 4, 9, 10, 25)] == ["N0", "N1", "N1", "N2", "N2", "N3", "N3"]
    assert params.assumed_positive_nodes == {"N0": 0, "N1mi": 0, "N1": 1, "N2": 4, "N3": 10}
    # NCCN / ESO-ESMO ABC: perimenopausal counts as premenopausal for treatment choice
    assert params.implied_states["menopausal_status"] == {
        "premenopausal": {"premenopausal"}, "perimenopausal": {"premenopausal"},
        "postmenopausal": {"postmenopausal"}, "unknown": {"menopause-unknown"}}
    assert params.implied_states["child_pugh"] == {
        "A": {"hepatic-impairment-mild"}, "B": {"hepatic-impairment-moderate"}, "C": {"hepatic-impairment-severe"}}
    # ESO-ESMO ABC 4: a marker change alone must not change treatment
    assert params.uncounted_progression_bases == {"tumor_markers", "circulating_tumor_cells"}
    assert {d.state for d in params.risk_definitions} == {
        "monarche-high-risk", "natalee-risk", "keynote522-stage", "olympia-risk"}


def test_every_parameter_and_risk_definition_has_a_source_and_date(kb):
    rows = kb.backend.select(PREFIX + """
        SELECT ?x WHERE {
          VALUES ?class { h2n:InferenceParameter h2n:EarlyRiskDefinition }
          ?x a ?class .
          FILTER NOT EXISTS { ?x dcterms:source ?s . ?s a h2n:Source }
        }""")
    assert rows == []
    rows = kb.backend.select(PREFIX + """
        SELECT ?x WHERE {
          VALUES ?class { h2n:InferenceParameter h2n:EarlyRiskDefinition }
          ?x a ?class .
          FILTER NOT EXISTS { ?x h2n:currentTo ?d FILTER(DATATYPE(?d) = xsd:date) }
        }""")
    assert rows == []
    count = kb.backend.select(PREFIX + "SELECT (COUNT(?x) AS ?n) WHERE { ?x a h2n:InferenceParameter }")
    assert int(count[0]["n"]) >= len(PARAMETER_KEYS)


# -- data, not code -----------------------------------------------------------------------------

def test_a_different_threshold_in_the_knowledge_base_changes_classification(kb, tmp_path):
    record = _metastatic(calcium_mg_dl=11.0)
    assert "hypercalcemia" in infer(record, kb.drug_classes).states  # 11.0 > 10.4 mg/dL
    other = _load(_copy_kb(tmp_path, _sub(r"h2n:minExclusive 10\.4", "h2n:minExclusive 12.0")))
    assert other.inference_parameters["hypercalcaemia_calcium_mg_dl"] == Bounds(min_exclusive=12)
    inf = infer(record, other.drug_classes)
    assert "hypercalcemia" not in inf.states and "hypercalcemia" not in inf.unknown_facets


@pytest.mark.parametrize(("calcium", "hyper"), [(10.4, False), (10.45, True), (10.5, True), (9.4, False)])
def test_hypercalcaemia_is_total_serum_calcium_above_10_4(kb, calcium, hyper):
    # MSD Manual Professional Version, Hypercalcemia (reviewed/revised Sept 2023): "a total serum calcium
    # concentration > 10.4 mg/dL (> 2.60 mmol/L)"; 10.4 itself is not hypercalcaemia
    assert kb.inference_parameters["hypercalcaemia_calcium_mg_dl"] == Bounds(min_exclusive=10.4)
    assert ("hypercalcemia" in infer(_metastatic(calcium_mg_dl=calcium), kb.drug_classes).states) is hyper


def test_a_different_risk_definition_changes_classification(kb, tmp_path):
    # 2 positive nodes, grade 2, 45 mm: not monarchE high risk (needs grade 3 or 50 mm or more)
    record = _early(t="T2", n="N1", nodes_positive=2, grade=2, tumor_size_mm=45)
    assert "monarche-high-risk" not in infer(record, kb.drug_classes).states
    other = _load(_copy_kb(tmp_path, _sub(r"h2n:feature-tumour-size ; h2n:minInclusive 50",
                                          "h2n:feature-tumour-size ; h2n:minInclusive 40")))
    assert "monarche-high-risk" in infer(record, other.drug_classes).states


def test_a_different_er_low_range_changes_classification(kb, tmp_path):
    receptors = {"er_percent": 15, "pr_percent": 0, "her2_ihc": "0"}
    assert classify_receptors(receptors, kb.inference_parameters)[3] is False
    other = _load(_copy_kb(tmp_path, _sub(r"h2n:minInclusive 1 ; h2n:maxInclusive 10 ;",
                                          "h2n:minInclusive 1 ; h2n:maxInclusive 20 ;")))
    assert classify_receptors(receptors, other.inference_parameters)[3] is True


def test_which_progression_counts_is_data(kb, tmp_path):
    record = _metastatic()
    record["therapies"] = [{"drugs": ["letrozole", "palbociclib"], "setting": "metastatic", "start": "2026-01-20",
                            "progression_date": "2026-09-01", "progression_basis": ["tumor_markers"]}]
    record["metastatic"] = {**record["metastatic"], "diagnosis_date": "2026-01-05"}
    inf = infer(record, kb.drug_classes)
    assert "marker-only-progression" in inf.states and inf.line == 1  # not counted: confirm first
    other = _load(_copy_kb(tmp_path, _sub(r"h2n:basis-tumor-markers h2n:countsAsProgression false",
                                          "h2n:basis-tumor-markers h2n:countsAsProgression true")))
    inf = infer(record, other.drug_classes)
    assert "marker-only-progression" not in inf.states and inf.line == 2


# -- fail closed --------------------------------------------------------------------------------

BROKEN = {
    "missing parameter": (r"h2n:param-ecog-fit a h2n:InferenceParameter ;.*?\n\n", "", "is missing"),
    "no bound": (r"h2n:maxInclusive 1 ; h2n:parameterUnit \"ECOG grade\"", 'h2n:parameterUnit "ECOG grade"', "has no bound"),
    "text bound": (r"h2n:minExclusive 10\.4", 'h2n:minExclusive "10.4"', "not a number"),
    "repeated bound": (r"h2n:minExclusive 10\.4", "h2n:minExclusive 10.4 , 11.0", "2 values"),
    "no source": (r"(h2n:maxInclusive 1 ; h2n:parameterUnit \"ECOG grade\" ;\n)    dcterms:source h2n:source-s32 ;", r"\1", "has no source"),
    "no date": (r"(h2n:minInclusive 26 ; h2n:parameterUnit \"score points\" ;\n    dcterms:source h2n:source-s42) ;"
                r" h2n:currentTo \"2026-06-30\"\^\^xsd:date", r"\1", "no h2n:currentTo"),
    "missing risk definition": (r"h2n:risk-olympia a h2n:EarlyRiskDefinition ;", "h2n:risk-olympia a h2n:RiskPathway ;", "olympia-risk"),
    "unknown risk feature": (r"h2n:riskFeature h2n:feature-ki67 ;", "h2n:riskFeature h2n:feature-unknown ;", "riskFeature"),
    "code without state": (r"h2n:menopause-post h2n:impliesState h2n:state-postmenopausal \.", "",
                           "implies no declared patient state"),
    "basis without flag": (r"h2n:basis-ctc h2n:countsAsProgression false \.", "", "countsAsProgression"),
    "missing definition": (r"h2n:param-progression-basis a h2n:InferenceParameter ;.*?\n\n", "",
                           "progression_basis_counts"),
    "missing node counts": (r"h2n:n-n1mi h2n:assumedPositiveNodes 0 \.", "", "assumedPositiveNodes"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_missing_or_malformed_parameter_refuses_the_knowledge_base(tmp_path, case):
    pattern, replacement, message = BROKEN[case]
    files = _copy_kb(tmp_path, _sub(pattern, replacement))
    with pytest.raises(KnowledgeBaseError, match=re.escape(message)):
        _load(files)


def test_infer_without_parameters_is_an_error(kb):
    bare = DrugClasses(kb.drug_classes.classes)
    with pytest.raises(KnowledgeBaseError):
        infer(_metastatic(), bare)


def test_a_state_the_ontology_does_not_declare_is_an_error(kb):
    inference = infer(_metastatic(), kb.drug_classes)
    triples = list(inferred_triples(H2N["patient/p"], inference))
    assert (H2N["patient/p"], H2N.hasState, H2N["state-bone-only"]) in triples  # looked up by notation
    broken = dataclasses.replace(inference, states=inference.states | {"no-such-state"})
    with pytest.raises(KnowledgeBaseError):
        list(inferred_triples(H2N["patient/p"], broken))
