"""Free text from a record never becomes markup or syntax in what the reasoner prints or writes.

Ids, drug names and other strings of a record reach the terminal (rich markup), Turtle comments,
CSV cells and JSON. Each output has one function here:

- :func:`terminal` for rich output: markup (``[/x]``) escaped, control characters (ESC, C1, bidi
  overrides, line and paragraph separators) shown as visible ``\\xNN``/``\\uNNNN`` escapes;
- :func:`one_line` for a line-oriented header (a Turtle ``#`` comment): the same escapes, so a
  newline in an id cannot end the comment and inject triples;
- :func:`csv_cell` for spreadsheets: a text cell starting with ``= + - @`` (or tab/CR) is prefixed
  with ``'`` so it is not read as a formula (OWASP "CSV injection");
- :func:`json_dumps` for JSON printed to a terminal: C1 controls and U+2028/U+2029 escaped too
  (``json.dumps`` escapes only C0).
"""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any

__all__ = ["terminal", "one_line", "csv_cell", "json_dumps", "visible"]

# C0/C1 controls (tab kept out too: it moves the cursor), DEL, bidi embeddings/overrides/isolates,
# line/paragraph separators, lone surrogates.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2028\u2029\u2066-\u2069\ud800-\udfff]")


def _escape(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: Any) -> str:
    """``text`` with every control, bidi-override and separator character as a visible escape."""
    return _UNSAFE.sub(_escape, str(text))


def terminal(text: Any) -> str:
    """Safe inside a rich markup string: controls made visible, then ``[`` escaped."""
    from rich.markup import escape

    return escape(visible(text))


def one_line(text: Any) -> str:
    """Safe as the rest of a one-line comment (Turtle ``#``): no line break can end it."""
    return visible(text)


_FORMULA = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def csv_cell(value: Any) -> Any:
    """A CSV cell that a spreadsheet will not evaluate: text starting with a formula sign gets ``'``."""
    if isinstance(value, str):
        value = visible(value)
        if value and (value.startswith(_FORMULA) or unicodedata.normalize("NFKC", value[0])[:1] in ("=", "+", "-", "@")):
            return "'" + value
    return value


_JSON_EXTRA = re.compile("[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def json_dumps(value: Any, **kwargs: Any) -> str:
    """``json.dumps(..., ensure_ascii=False)`` whose text is also safe on a terminal."""
    kwargs.setdefault("ensure_ascii", False)
    text = json.dumps(value, **kwargs)
    return _JSON_EXTRA.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
