"""Property-based fuzzing of every input path with arbitrary values and arbitrary Unicode
(lone surrogates, controls, bidi overrides, separators included): nothing raises (issue 10).

The default run is short (CI). The documented long run, >= 20,000 examples per property::

    HER2NEG_FUZZ=long PYTHONPATH=$PWD python -m pytest -q -p no:cacheprovider tests/failclosed/test_fuzz.py

(``HER2NEG_FUZZ_EXAMPLES=N`` sets another count.)
"""

from __future__ import annotations

import io
import json
import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console

from reasoner.cli.render import render_result
from reasoner.errors import InputError
from reasoner.ingest import read_records
from reasoner.textsafe import csv_cell, json_dumps, terminal
from tests.failclosed.hostile import BASE

EXAMPLES = int(os.environ.get("HER2NEG_FUZZ_EXAMPLES", 20_000 if os.environ.get("HER2NEG_FUZZ") == "long" else 150))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=os.environ.get("HER2NEG_FUZZ") != "long",
                suppress_health_check=list(HealthCheck))

# every code point, surrogates (category Cs) included
any_char = st.characters(codec=None, categories=None, exclude_categories=())
any_text = st.text(alphabet=any_char, max_size=30)
hostile_text = st.one_of(
    any_text,
    st.sampled_from(["[/x]", "[bold]", "\x1b[31m", "\x1b]0;t\x07", "\x9b", "\u202e", "\u2028", "\ud800", "\udfff",
                     "=1+1", "@SUM(A1)", "\n<http://e/s> <http://e/p> <http://e/o> .\n", "\x00", "\ufeff", "%00",
                     "letrozole", "palbociclib", "postmenopausal", "metastatic", "1+", "2026-01-01"]),
)
scalars = st.one_of(
    st.none(), st.booleans(), hostile_text,
    st.integers(), st.integers(min_value=-(10**400), max_value=10**400),
    st.floats(allow_nan=True, allow_infinity=True),
)
values = st.recursive(scalars, lambda c: st.lists(c, max_size=4) | st.dictionaries(hostile_text, c, max_size=4),
                      max_leaves=12)
PATHS = [("id",), ("age",), ("sex",), ("setting",), ("menopausal_status",), ("receptors",),
         ("receptors", "er_percent"), ("receptors", "her2_ihc"), ("metastatic",), ("metastatic", "sites"),
         ("therapies",), ("labs",), ("biomarkers",), ("x_extension",), ("as_of",), ("conditions",)]


@st.composite
def mutated_records(draw):
    """The example patient with some fields replaced by arbitrary values (or the value itself)."""
    if draw(st.integers(0, 9)) == 0:
        return draw(values)
    record = json.loads(json.dumps(BASE))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(PATHS))
        target = record
        for key in path[:-1]:
            target = target.setdefault(key, {}) if isinstance(target.get(key), dict) or key not in target else {}
        target[path[-1]] = draw(values)
    if draw(st.booleans()):
        record["therapies"] = [{"drugs": [draw(hostile_text)], "setting": "metastatic", "start": "2026-01-01"}]
    return record


@FUZZ
@given(mutated_records())
def test_recommend_never_raises_and_its_output_is_safe(kb, record):
    result = kb.recommend(record)
    assert result.status in ("ok", "invalid", "out_of_scope")
    text = json_dumps(result.to_dict())
    text.encode("utf-8")  # no lone surrogate reaches the output
    json.loads(text)
    console = Console(file=io.StringIO(), width=100, force_terminal=True, color_system=None)
    render_result(console, result)  # no markup error
    assert "\x1b]" not in console.file.getvalue() and "\x9b" not in console.file.getvalue()


@FUZZ
@given(st.one_of(st.binary(max_size=300), any_text.map(lambda t: t.encode("utf-8", "surrogatepass")),
                 values.map(lambda v: json.dumps(v, ensure_ascii=False).encode("utf-8", "surrogatepass")),
                 st.builds(lambda c: json.dumps({"@context": c, "@id": "x"}).encode(), values)))
def test_the_reader_raises_only_input_errors(data):
    try:
        items = read_records(data)
    except InputError as exc:
        assert exc.exit_code == 3 and str(exc)
        return
    assert items


@FUZZ
@given(any_text)
def test_text_helpers_leave_no_control_character(text):
    for out in (terminal(text), str(csv_cell(text))):
        assert not any(ch in out for ch in "\x1b\x9b\x07\n\r\u2028\u202e")
        out.encode("utf-8")
    assert json.loads(json_dumps(text)) == text
