"""One source of truth: HermiT's classification of example tumours agrees with the fast path.

The OWL defined classes of ``ontology/classification.ttl`` and
:func:`reasoner.inference.classify_receptors` state the same ASCO/CAP rules; this test runs
HermiT once over every combination of receptor results below and requires the same answers.
"""

from __future__ import annotations

import itertools

import pytest

from reasoner.inference import classify_receptors

ER = [{"er_percent": 0}, {"er_percent": 5}, {"er_percent": 60}, {"er": "positive"}, {"er": "negative"}, {}]
PR = [{"pr_percent": 0}, {"pr_percent": 30}, {"pr": "negative"}, {}]
HER2 = [
    {"her2_ihc": "0"},
    {"her2_ihc": "ultralow"},
    {"her2_ihc": "1+"},
    {"her2_ihc": "2+", "her2_ish": "not_amplified"},
    {"her2_ihc": "2+", "her2_ish": "amplified"},
    {"her2_ihc": "3+"},
    {"her2": "negative"},
    {"her2": "positive"},
]

EXAMPLES = {
    f"ex{i}": {"receptors": {**er, **pr, **her2}}
    for i, (er, pr, her2) in enumerate(itertools.product(ER, PR, HER2))
}

SUBTYPE_CLASS = {"HR+/HER2-": "HRPositiveHER2NegativeResult", "HR-/HER2-": "TripleNegativeResult"}
CATEGORY_CLASS = {"HER2-0": "HER2ZeroResult", "HER2-ultralow": "HER2UltralowResult", "HER2-low": "HER2LowResult"}


@pytest.fixture(scope="module")
def hermit_classes(hermit_run):
    """The session's one HermiT run (tests/conftest.py), shared with tests/ontology/test_owl.py."""
    _, classes_of = hermit_run
    return {name: classes_of("agreement", name) for name in EXAMPLES}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_hermit_agrees_with_fast_path(kb, hermit_classes, name):
    receptors = EXAMPLES[name]["receptors"]
    subtype, category, her2_positive, er_low = classify_receptors(receptors, kb.inference_parameters)
    inferred = hermit_classes[name]
    for value, cls in SUBTYPE_CLASS.items():
        assert (subtype == value) == (cls in inferred), (receptors, subtype, sorted(inferred))
    for value, cls in CATEGORY_CLASS.items():
        assert (category == value) == (cls in inferred), (receptors, category, sorted(inferred))
    assert her2_positive == ("HER2PositiveResult" in inferred), (receptors, sorted(inferred))
    assert er_low == ("ERLowResult" in inferred), (receptors, sorted(inferred))
