"""Queries that repeat another query's logic repeat it verbatim, so the two cannot drift apart.

- ``reports/missing-test-that-would-open-option.rq`` inlines the body of
  ``eligibility/criterion-status.rq`` between ``# BEGIN criterion-status.rq`` and ``# END``
  (only ``?negated`` is added to the projection).
- ``warnings/current-regimen-contraindicated.rq`` (the warning and cohort report) matches contraindication triggers with the trigger
  block of ``eligibility/contraindicated-drugs.rq`` (``# BEGIN triggers`` ... ``# END triggers``):
  a trigger kind added to one and not the other would make the cohort report miss what the
  reasoner blocks.
"""

from __future__ import annotations

import re

from reasoner.query.catalog import get_query


def _lines(text: str) -> list[str]:
    """Non-blank lines without their indentation."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def _between(text: str, begin: str, end: str) -> str:
    match = re.search(re.escape(begin) + r"[^\n]*\n(.*?)\n[ \t]*" + re.escape(end), text, re.S)
    assert match, f"no {begin!r} ... {end!r} block"
    return match.group(1)


def test_missing_test_report_inlines_criterion_status_verbatim():
    status = get_query("criterion-status").text
    body = status[status.index("SELECT DISTINCT ?patient ?rule ?criterion ?status WHERE {"):]
    copy = _between(get_query("missing-test-that-would-open-option").text,
                    "# BEGIN criterion-status.rq", "# END criterion-status.rq")
    expected = _lines(body)
    expected[0] = expected[0].replace("?status WHERE {", "?status ?negated WHERE {")
    assert _lines(copy) == expected


def test_current_regimen_report_matches_triggers_as_contraindicated_drugs_does():
    ours = _between(get_query("contraindicated-drugs").text, "# BEGIN triggers", "# END triggers")
    report = _between(get_query("current-regimen-contraindicated").text, "# BEGIN triggers", "# END triggers")
    assert _lines(report) == _lines(ours)


def test_the_checks_see_a_difference():
    text = "a\n  # BEGIN x (note)\n  one\n  two\n  # END x\n"
    assert _lines(_between(text, "# BEGIN x", "# END x")) == ["one", "two"]
    assert _lines("  one\n\n two ") != _lines("one\nthree")
