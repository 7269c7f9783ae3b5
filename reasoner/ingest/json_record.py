"""Reading JSON patient records: one object, an array of objects, or JSON Lines.

Unreadable input is an :class:`~reasoner.errors.InputError` that names the file and line: bytes
that are not UTF-8, an empty file, a JSON syntax error, a number too long to read, nesting too
deep, or an object with the same key twice. Records themselves are returned as parsed (any JSON
value): checking them is validation's job.
"""

from __future__ import annotations

import json
import re
from typing import Any

from reasoner.errors import InputError

__all__ = ["decode_text", "parse_json_line", "parse_json_records", "looks_like_json_lines"]

from reasoner.ingest.limits import MAX_DEPTH  # noqa: E402 - one definition of every input limit


def decode_text(data: bytes, source: str) -> str:
    """UTF-8 text of ``data`` (a BOM is dropped); InputError with the line of the first bad byte."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(
            f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})",
            where=f"{source}:{line}",
            hint="save the file as UTF-8",
        ) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.strip():
        raise InputError(
            "the input is empty", where=source, hint="give one JSON record, an array, JSON Lines or Turtle"
        )
    return text


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise _DuplicateKey(key)
        seen[key] = value
    return seen


class _DuplicateKey(Exception):
    def __init__(self, key: str):
        self.key = key


_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)
_BRACKET = re.compile(r"[\[\]{}]")


def _depth_ok(text: str) -> int | None:
    """The line where nesting first exceeds MAX_DEPTH (outside strings), or None.

    Two quick bounds first (this runs on every record read): fewer opening brackets than the limit
    cannot exceed it; otherwise the depth is counted on the text with its complete strings emptied
    (C-speed regular expressions), which never undercounts; only above the limit does the exact
    character scan give the line."""
    if text.count("{") + text.count("[") <= MAX_DEPTH:
        return None
    depth = 0
    for m in _BRACKET.finditer(_STRING.sub('""', text)):
        if m.group() in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return _depth_scan(text)
        else:
            depth -= 1
    return None


def _depth_scan(text: str) -> int | None:
    """The line where nesting first exceeds MAX_DEPTH (outside strings), or None."""
    depth, in_string, escaped, line = 0, False, False, 1
    for ch in text:
        if ch == "\n":
            line += 1
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return line
        elif ch in "]}":
            depth -= 1
    return None


def _loads(text: str, source: str, line_offset: int = 0) -> Any:
    deep = _depth_ok(text)
    if deep is not None:
        raise InputError(
            f"JSON nested more than {MAX_DEPTH} levels deep", where=f"{source}:{deep + line_offset}"
        )
    try:
        return json.loads(text, object_pairs_hook=_no_duplicate_keys)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"not valid JSON: {exc.msg} (column {exc.colno})", where=f"{source}:{exc.lineno + line_offset}"
        ) from None
    except _DuplicateKey as exc:
        raise InputError(
            f"the key {exc.key!r} appears twice in one object; keep one value",
            where=f"{source}:{line_offset + 1}" if line_offset else source,
        ) from None
    except (ValueError, RecursionError) as exc:  # int too long to convert, or too deep
        reason = "a number has more digits than can be read" if "digits" in str(exc) else str(exc)
        raise InputError(f"JSON cannot be read: {reason}",
                         where=f"{source}:{line_offset + 1}" if line_offset else source) from None


def _lines(text: str) -> list[str]:
    """Lines split at LF (CRLF too) only: U+2028, U+0085 and friends inside a string are not line ends
    (``str.splitlines`` would cut a record there; JSON Lines and the batch reader split at LF)."""
    return [ln[:-1] if ln.endswith("\r") else ln for ln in text.split("\n")]


def looks_like_json_lines(text: str) -> bool:
    lines = [ln for ln in _lines(text) if ln.strip()]
    return len(lines) > 1 and all(ln.lstrip().startswith("{") and ln.rstrip().endswith("}") for ln in lines)


def parse_json_records(text: str, source: str, *, json_lines: bool | None = None) -> list[tuple[str, Any]]:
    """``(label, value)`` for each record: ``source`` for one object, ``source#n`` (1-based) for an
    array element, ``source:line`` for JSON Lines."""
    if json_lines is None:
        json_lines = looks_like_json_lines(text)
    if json_lines:
        out = []
        for i, line in enumerate(_lines(text), start=1):
            if line.strip():
                out.append((f"{source}:{i}", _loads(line, source, i - 1)))
        if not out:
            raise InputError("the input is empty", where=source)
        return out
    data = _loads(text, source)
    if isinstance(data, list):
        if not data:
            raise InputError("the JSON array holds no records", where=source)
        return [(f"{source}#{i}", item) for i, item in enumerate(data, start=1)]
    return [(source, data)]


def parse_json_line(text: str, source: str, line: int = 1) -> Any:
    """The value of one JSON Lines line (or one row of a table), as parsed: an array is not a
    cohort here, so checking that it is a record is validation's job. Errors name ``source:line``."""
    return _loads(text.removeprefix("\ufeff"), source, line - 1)
