"""The nesting-depth check of the JSON reader: its quick bounds give the exact scan's answer."""

from hypothesis import given, settings
from hypothesis import strategies as st

from reasoner.ingest.json_record import _depth_ok, _depth_scan
from reasoner.ingest.limits import MAX_DEPTH

_TEXT = st.text(alphabet='[]{}"\\ a\n', max_size=300)


@settings(max_examples=3000)
@given(prefix=st.integers(0, MAX_DEPTH + 8), text=_TEXT)
def test_quick_depth_check_equals_the_exact_scan(prefix, text):
    """Strings (escapes, unterminated ones, brackets inside) and lines: same answer as the
    character-by-character scan, the line where the limit is first exceeded or None."""
    text = "[" * prefix + text
    assert _depth_ok(text) == _depth_scan(text)


def test_depth_just_above_the_limit_inside_and_outside_strings():
    deep = "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1)
    assert _depth_ok(deep) == 1
    assert _depth_ok('"' + deep + '"') is None
    assert _depth_ok('{"a":\n' + deep + "}") == 2
