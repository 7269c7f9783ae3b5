"""The inference contract: the states and facets the reasoner emits are the ones the ontology declares.

``ontology/states.ttl`` declares every patient state (``h2n:PatientState``) and facet
(``h2n:Facet``); criteria, contraindications and advice rules name them. These tests hold the two
sides together over a corpus of patients (the examples, the acceptance and clinical cases, the
acceptance variants and 3,000 synthetic patients):

- every state and unknown facet the inference step emits is declared (no string-built IRI that the
  knowledge base does not know, which a criterion could never match);
- every state and facet that the knowledge base uses is emitted for some patient (a criterion on a
  state nothing emits is dead knowledge, and one on a facet that is never unknown would silently
  treat a missing fact as known);
- every declared facet is emitted as unknown for some patient.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reasoner.cohort.synthetic import generate
from reasoner.inference import infer
from reasoner.validation import validate_record

ROOT = Path(__file__).resolve().parents[2]
H2N = "https://w3id.org/her2neg/kb/"
PREFIX = f"PREFIX h2n: <{H2N}>\n"


_HR = {"er_percent": 80, "pr_percent": 20, "her2_ihc": "1+", "specimen": "primary", "tested_on": "2026-01-10"}
_BASE = {"sex": "female", "age": 62, "menopausal_status": "postmenopausal", "as_of": "2026-11-01", "ecog": 0}
# Records where one fact is missing that the corpora above always give: each names the facet it leaves
# unknown. They are inputs only; what is expected of them is that the facet is reported unknown.
EDGE_RECORDS = [
    # early disease without nodal status: node-status and early-risk unknown
    {**_BASE, "id": "edge-early", "setting": "early", "receptors": _HR, "early": {"t": "T2", "surgery": "mastectomy"}},
    # locoregional recurrence not said to be isolated or not; no specimen recorded
    {**_BASE, "id": "edge-lrr", "setting": "locoregional_recurrence",
     "receptors": {k: v for k, v in _HR.items() if k != "specimen"}, "locoregional_recurrence": {"site": "breast"}},
    # ER reported positive without a percentage (registries, older reports): ER-low unknown
    {**_BASE, "id": "edge-er", "setting": "metastatic",
     "receptors": {"er": "positive", "pr_percent": 30, "her2_ihc": "0", "specimen": "metastasis"},
     "metastatic": {"diagnosis_date": "2025-01-05", "de_novo": True, "sites": ["bone"]}},
    # progression recorded without how it was shown
    {**_BASE, "id": "edge-progression", "setting": "metastatic", "receptors": {**_HR, "specimen": "metastasis"},
     "metastatic": {"diagnosis_date": "2024-01-05", "de_novo": True, "sites": ["bone"]},
     "therapies": [{"drugs": ["letrozole", "palbociclib"], "setting": "metastatic", "start": "2024-01-20",
                    "end": "2025-06-01", "end_reason": "progression"}]},
    # an ongoing therapy with neither setting nor start date, not de novo: whether it is the current regimen is unknown
    {**_BASE, "id": "edge-current", "setting": "metastatic", "receptors": {**_HR, "specimen": "metastasis"},
     "metastatic": {"diagnosis_date": "2024-01-05", "de_novo": False, "sites": ["bone"]},
     "therapies": [{"drugs": ["letrozole", "palbociclib"]}]},
    # first-line CDK4/6 inhibitor progressed, start not recorded: early progression unknown
    {**_BASE, "id": "edge-cdk46i-start", "setting": "metastatic", "receptors": {**_HR, "specimen": "metastasis"},
     "metastatic": {"diagnosis_date": "2024-01-05", "de_novo": True, "sites": ["bone"]},
     "therapies": [{"drugs": ["letrozole", "palbociclib"], "setting": "metastatic", "end": "2025-06-01",
                    "end_reason": "progression", "progression_basis": ["imaging"]}]},
]


def _records():
    yield from EDGE_RECORDS
    paths = [*sorted((ROOT / "examples" / "patients").glob("*.json")),
             *sorted((ROOT / "tests" / "acceptance" / "cases").glob("*.json")),
             *sorted((ROOT / "tests" / "acceptance" / "variants").rglob("*.json")),
             *sorted((ROOT / "tests" / "clinical" / "cases").glob("*.json"))]
    for path in paths:
        data = json.loads(path.read_text(encoding="utf-8"))
        items = data if isinstance(data, list) else data.get("cases", [data])
        for item in items:
            if isinstance(item, dict):
                yield item.get("record", item)
    yield from generate(3000, seed=11)


@pytest.fixture(scope="module")
def emitted(kb):
    states: set[str] = set()
    facets: set[str] = set()
    for record in _records():
        outcome = validate_record(record)
        if outcome.record is None:
            continue
        inference = infer(outcome.record, kb.drug_classes)
        states |= {f"{H2N}state-{s}" for s in inference.states}
        facets |= {f"{H2N}facet-{f}" for f in inference.unknown_facets}
    return states, facets


def _iris(kb, body: str) -> set[str]:
    return {r["x"] for r in kb.backend.select(PREFIX + "SELECT DISTINCT ?x WHERE { " + body + " }")}


def test_every_emitted_state_and_facet_is_declared(kb, emitted):
    states, facets = emitted
    assert states - _iris(kb, "?x a h2n:PatientState") == set()
    assert facets - _iris(kb, "?x a h2n:Facet") == set()


def test_every_state_the_knowledge_base_uses_is_emitted(kb, emitted):
    states, _ = emitted
    used = _iris(kb, "{ ?c h2n:state ?x } UNION { ?c h2n:triggeredByState ?x } UNION { ?c h2n:forSubtype ?x }")
    assert sorted(used - states) == [], "criteria name states that the inference step never emits"


def test_every_facet_the_knowledge_base_uses_is_emitted(kb, emitted):
    _, facets = emitted
    used = _iris(kb, "{ ?c h2n:criterionFacet ?x } UNION { ?c h2n:state ?s . ?s h2n:facet ?x }")
    assert sorted(used - facets) == [], "criteria depend on facts that the inference step never reports unknown"


def test_every_declared_facet_is_emitted(kb, emitted):
    _, facets = emitted
    assert sorted(_iris(kb, "?x a h2n:Facet") - facets) == []
