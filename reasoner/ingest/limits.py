"""The limits every input path applies, in one place (documented in ``docs/input-limits.md``).

Every reader (CLI ``recommend``/``validate``/``explain``/``query``/``import-fhir``, ``batch``,
``serve``, folders) and the Python API apply the same limits, so the same bytes give the same
answer everywhere and memory stays bounded:

- a document read whole (a JSON object or array, Turtle, JSON-LD, a FHIR bundle) is at most
  :data:`MAX_DOCUMENT_BYTES`; larger cohorts are JSON Lines, which are streamed;
- one JSON Lines record is at most :data:`MAX_RECORD_BYTES`;
- JSON nests at most :data:`MAX_DEPTH` levels;
- a record holds at most :data:`MAX_VALUES` values (every number, string, list and object counts,
  not only strings), integers have at most :data:`MAX_INT_DIGITS` digits, and no string or key
  holds a lone surrogate (it is not Unicode text).

A file past a byte limit is :class:`~reasoner.errors.InputError` (exit 3). A record value past a
value limit, given through the API or a JSON Lines line, is a validation violation (``invalid``),
never an exception.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from reasoner.errors import InputError

__all__ = ["MAX_DOCUMENT_BYTES", "MAX_RECORD_BYTES", "MAX_DEPTH", "MAX_VALUES", "MAX_INT_DIGITS",
           "read_limited", "value_problems", "has_lone_surrogate"]

MAX_DOCUMENT_BYTES = int(os.environ.get("HER2NEG_MAX_DOCUMENT_BYTES", 32 * 1024 * 1024))
MAX_RECORD_BYTES = 4 * 1024 * 1024
MAX_DEPTH = 64
MAX_VALUES = 100_000
MAX_INT_DIGITS = 300
_MAX_INT_BITS = int(MAX_INT_DIGITS * 3.3219280948873626) + 1
_SURROGATE = re.compile("[\ud800-\udfff]")


def has_lone_surrogate(text: str) -> bool:
    return bool(_SURROGATE.search(text))


def read_limited(path: Path, limit: int = MAX_DOCUMENT_BYTES, *, what: str = "document") -> bytes:
    """The bytes of ``path``, refusing (InputError) a file larger than ``limit`` before reading it."""
    try:
        size = path.stat().st_size
        if size > limit:
            raise InputError(
                f"the {what} is {size:,} bytes, more than the {limit:,} read as one {what}",
                where=str(path), hint="give a large cohort as JSON Lines (one record a line), which is streamed")
        with path.open("rb") as fh:
            data = fh.read(limit + 1)
    except IsADirectoryError:
        raise InputError("is a folder, not a file", where=str(path)) from None
    except OSError as exc:
        raise InputError(f"cannot read the file: {exc.strerror or exc}", where=str(path)) from None
    if len(data) > limit:  # grew while read, or not a regular file
        raise InputError(f"the {what} is more than {limit:,} bytes", where=str(path),
                         hint="give a large cohort as JSON Lines (one record a line), which is streamed")
    return data


def _step(path: str, key: Any) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    key = _SURROGATE.sub("\ufffd", str(key))
    return f"{path}.{key}" if path else key


def _path(ref: tuple | None) -> str:
    """The JSON path of a chain ``(parent chain, key)`` built by :func:`value_problems`."""
    keys = []
    while ref is not None:
        ref, key = ref
        keys.append(key)
    path = ""
    for key in reversed(keys):
        path = _step(path, key)
    return path


def _plainly_safe(value: Any) -> bool:
    """True when ``value`` certainly has none of the problems :func:`value_problems` looks for:
    a recursive pass over exactly-typed JSON values (dict, list, str, int, float, bool, None)
    with ASCII keys and strings, small integers, at most ``MAX_VALUES`` values and ``MAX_DEPTH``
    levels. Anything else (a subclass, a tuple, non-ASCII text, a big integer) answers False and
    the full walk decides, so the answer never differs from it."""
    budget = [MAX_VALUES - 1]  # the value itself counts too

    def ok(v: Any, depth: int) -> bool:
        t = type(v)
        if t is dict:
            for k in v:
                if type(k) is not str or not k.isascii():
                    return False
            items = v.values()
        elif t is list:
            items = v
        else:
            return False
        if depth > MAX_DEPTH:
            return False
        budget[0] -= len(v)
        if budget[0] < 0:
            return False
        for x in items:
            tx = type(x)
            if tx is str:
                if not x.isascii():
                    return False
            elif tx is int:
                if x.bit_length() > _MAX_INT_BITS:
                    return False
            elif tx is dict or tx is list:
                if not ok(x, depth + 1):
                    return False
            elif not (x is None or tx is float or tx is bool):
                return False
        return True

    return ok(value, 1)


def value_problems(value: Any, *, limit: int = 5) -> list[tuple[str, str]]:
    """``(json_path, message)`` for each value of ``value`` no reader could carry safely.

    Iterative (no recursion), stops after ``MAX_VALUES`` values or ``limit`` problems. Any Python
    value is accepted; only dict, list/tuple, str, int, float, bool and None are JSON. (It runs on
    every record: paths are kept as ``(parent, key)`` chains and written out only for a problem,
    and ASCII text, which holds no surrogate, skips the search for one.)
    """
    if _plainly_safe(value):  # the usual record: one quick pass, no path chains
        return []
    problems: list[tuple[str, str]] = []
    stack: list[tuple[Any, tuple | None, int]] = [(value, None, 1)]
    count = 0
    while stack and len(problems) < limit:
        v, ref, depth = stack.pop()
        count += 1
        if count > MAX_VALUES:
            problems.append(("", f"holds more than {MAX_VALUES:,} values; a patient record is far "
                                 "smaller (give one record per patient)"))
            break
        if isinstance(v, dict):
            if depth > MAX_DEPTH:
                problems.append((_path(ref), f"nested more than {MAX_DEPTH} levels deep"))
                continue
            for k, item in v.items():
                if not isinstance(k, str):
                    problems.append((_path(ref), f"has a key that is not text ({type(k).__name__})"))
                    continue
                if not k.isascii() and has_lone_surrogate(k):
                    problems.append((_path(ref), "has a key holding a lone surrogate (not Unicode text)"))
                    continue
                stack.append((item, (ref, k), depth + 1))
        elif isinstance(v, (list, tuple)):
            if depth > MAX_DEPTH:
                problems.append((_path(ref), f"nested more than {MAX_DEPTH} levels deep"))
                continue
            if len(v) > MAX_VALUES:
                problems.append((_path(ref), f"lists {len(v):,} values, more than the {MAX_VALUES:,} a record may hold"))
                continue
            stack.extend((item, (ref, i), depth + 1) for i, item in enumerate(v))
        elif isinstance(v, str):
            if not v.isascii() and has_lone_surrogate(v):
                problems.append((_path(ref), "holds a lone surrogate (for example \\ud800): not Unicode text; "
                                             "fix the encoding of the source"))
        elif isinstance(v, bool) or v is None or isinstance(v, float):
            continue
        elif isinstance(v, int):
            if v.bit_length() > _MAX_INT_BITS:
                problems.append((_path(ref), f"is an integer of more than {MAX_INT_DIGITS} digits"))
    return problems
