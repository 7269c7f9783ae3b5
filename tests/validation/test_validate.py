"""validate_record / validate_graph: acceptance cases, never an exception, speed, API shape."""

import json
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reasoner.cohort.synthetic import generate
from reasoner.validation import (
    Finding,
    Severity,
    ValidationOutcome,
    render_findings,
    validate_record,
    validate_records,
)
from tests.strategies import records

ACCEPTANCE = sorted(Path("/work/shared/acceptance").glob("A*.json")) or sorted(
    (Path(__file__).parents[1] / "acceptance" / "cases").glob("A*.json")
)


@pytest.mark.parametrize("path", ACCEPTANCE, ids=[p.stem for p in ACCEPTANCE])
def test_acceptance_records(path):
    case = json.loads(path.read_text())
    outcome = validate_record(case["record"])
    if path.stem.startswith("A11"):
        assert "receptors.pr_percent" in {f.path for f in outcome.violations}
    elif path.stem.startswith("A14"):
        assert any("receptors.her2_ish" in f.path for f in outcome.violations)
    else:
        assert outcome.ok, [f.to_dict() for f in outcome.findings]
        assert outcome.graph is not None and outcome.record is not None


def test_outcome_api():
    outcome = validate_record({"id": "x"})
    assert isinstance(outcome, ValidationOutcome) and not outcome.ok
    assert all(isinstance(f, Finding) and isinstance(f.severity, Severity) for f in outcome.findings)
    with pytest.raises(AttributeError):
        outcome.findings[0].path = "y"  # frozen
    assert Severity.VIOLATION.value == "violation"
    text = render_findings(outcome.findings)
    assert "violation" in text and "sex" in text
    assert render_findings(()).startswith("no findings")


def test_normalised_record():
    rec = json.loads(ACCEPTANCE[0].read_text())["record"]
    rec = {
        **rec,
        "therapies": [{"drugs": ["Faslodex", "Kisqali"], "setting": "metastatic", "start": "2026-09-25"}],
    }
    rec.pop("as_of")
    outcome = validate_record(rec, today=date(2026, 11, 1))
    assert outcome.ok
    assert outcome.record["therapies"][0]["drugs"] == ["fulvestrant", "ribociclib"]
    assert outcome.record["as_of"] == "2026-11-01"
    assert {f.path for f in outcome.findings if f.severity is Severity.INFO} >= {
        "as_of",
        "therapies[0].drugs[0]",
    }


def test_structure_violation_gives_no_record_and_no_duplicate_findings():
    rec = json.loads(ACCEPTANCE[0].read_text())["record"]
    outcome = validate_record({**rec, "sex": "F"})
    assert outcome.record is None and outcome.graph is None
    assert [f.path for f in outcome.violations] == ["sex"]  # not also "sex is required"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=8), c, max_size=4),
    max_leaves=20,
)
keys = st.sampled_from(
    [
        "id",
        "as_of",
        "sex",
        "age",
        "setting",
        "menopausal_status",
        "receptors",
        "metastatic",
        "therapies",
        "labs",
        "biomarkers",
        "early",
        "locoregional_recurrence",
        "conditions",
        "x_a",
        "bogus",
    ]
)
record_like = st.dictionaries(
    keys,
    json_values
    | st.dictionaries(
        st.sampled_from(
            ["er_percent", "her2_ihc", "drugs", "start", "end", "sites", "qtcf_ms", "PIK3CA", "x_b"]
        ),
        json_values,
        max_size=4,
    )
    | st.lists(
        st.dictionaries(
            st.sampled_from(["drugs", "start", "end", "setting", "end_reason"]), json_values, max_size=4
        ),
        max_size=3,
    ),
    max_size=10,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(json_values, record_like))
def test_never_raises_for_any_json_value(raw):
    outcome = validate_record(raw)
    assert isinstance(outcome, ValidationOutcome)
    assert not any(f.shape == "internal" for f in outcome.findings)
    for f in outcome.findings:
        json.dumps(f.to_dict(), allow_nan=False)
        assert f.message
    if outcome.record is None:
        assert not outcome.ok


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records())
def test_fast_path_matches_pyshacl_on_valid_records(record):
    assert validate_record(record).findings == validate_record(record, engine="pyshacl").findings


@pytest.mark.slow
def test_fast_path_matches_pyshacl_on_a_synthetic_cohort():
    cohort = list(generate(150, seed=7))
    fast = validate_records(cohort)
    ref = validate_records(cohort, engine="pyshacl")
    assert [o.findings for o in fast] == [o.findings for o in ref]
    assert sum(not o.ok for o in fast) > 0  # the generator plants invalid records


def test_duplicate_ids_in_a_batch_do_not_merge():
    rec = json.loads(ACCEPTANCE[0].read_text())["record"]
    bad = {**rec, "age": 10}
    a, b = validate_records([rec, bad])
    assert a.ok and not b.ok


