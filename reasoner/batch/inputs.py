"""Reading a cohort for a batch run: one ``(key, record)`` per input record, streamed, in order.

The key names where the record came from and is written into its result line as ``"input"``:
``file:line`` for JSON Lines, ``file#n`` for the n-th element of a JSON array, ``file#id`` for a
patient of a Turtle/JSON-LD graph, ``file`` for a file holding one record (or a FHIR bundle).

Unlike :func:`reasoner.ingest.read_records`, a record that cannot be read (a malformed JSON line)
does not stop the cohort: it is yielded as an :class:`Unreadable` item and becomes an ``invalid``
result line. Duplicate patient ids are not an error here either; the runner reports them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reasoner.errors import InputError

__all__ = ["Unreadable", "iter_inputs", "count_inputs", "RECORD_SUFFIXES"]

RECORD_SUFFIXES = (".json", ".jsonl", ".ndjson", ".ttl", ".jsonld", ".json-ld", ".nt")
_JSONL = (".jsonl", ".ndjson")


@dataclass(frozen=True)
class Unreadable:
    """An input item that is not a record: why it could not be read."""

    message: str


def _files(path: Path) -> list[Path]:
    if not path.exists():
        raise InputError("file not found", where=str(path))
    if path.is_dir():
        return [c for c in sorted(path.rglob("*")) if c.is_file() and c.suffix.lower() in RECORD_SUFFIXES]
    return [path]


def _is_jsonl(path: Path) -> bool:
    if path.suffix.lower() in _JSONL:
        return True
    if path.suffix.lower() != ".json":
        return False
    from reasoner.ingest.limits import MAX_RECORD_BYTES

    with path.open("rb") as fh:  # a .json file whose first two non-blank lines are objects
        lines = []
        for _ in range(10_000):  # bounded reads: a huge one-line file is not read whole here
            raw = fh.readline(MAX_RECORD_BYTES + 1)
            if not raw:
                break
            if raw.strip():
                lines.append(raw.strip())
            if len(lines) == 2:
                break
    return len(lines) == 2 and all(ln.startswith(b"{") and ln.endswith(b"}") for ln in lines)


def _ends_with_newline(path: Path) -> bool:
    with path.open("rb") as fh:
        fh.seek(-1, 2)
        return fh.read(1) == b"\n"


def _iter_jsonl(path: Path) -> Iterator[tuple[str, Any]]:
    from reasoner.ingest.json_record import parse_json_records
    from reasoner.ingest.limits import MAX_RECORD_BYTES

    with path.open("rb") as fh:
        number = 0
        while True:
            raw = fh.readline(MAX_RECORD_BYTES + 1)
            if not raw:
                break
            number += 1
            key = f"{path}:{number}"
            if len(raw) > MAX_RECORD_BYTES and not raw.endswith(b"\n"):
                while raw and not raw.endswith(b"\n"):  # skip the rest of the line, in bounded reads
                    raw = fh.readline(MAX_RECORD_BYTES + 1)
                yield key, Unreadable(f"the line is longer than {MAX_RECORD_BYTES:,} bytes; "
                                      "one record is far smaller")
                continue
            if not raw.strip():
                continue
            try:
                text = raw.decode("utf-8")
                yield key, parse_json_records(text, key, json_lines=False)[0][1]
            except UnicodeDecodeError:
                yield key, Unreadable("the line is not UTF-8 text")
            except InputError as exc:
                yield key, Unreadable(f"the line cannot be read as a JSON record: {exc.message}")


def _iter_file(path: Path) -> Iterator[tuple[str, Any]]:
    if _is_jsonl(path):
        yield from _iter_jsonl(path)
        return
    from reasoner.cli.inputs import load_inputs
    from reasoner.ingest.json_record import decode_text, parse_json_records
    from reasoner.ingest.limits import read_limited

    try:
        if path.suffix.lower() == ".json":
            # read without the duplicate-id check of read_records: the batch reports duplicates
            items = load_inputs(path) if _looks_fhir(path) else parse_json_records(
                decode_text(read_limited(path), str(path)), str(path), json_lines=False)
        else:
            items = load_inputs(path)
    except InputError as exc:
        yield str(path), Unreadable(f"the file cannot be read: {exc}")
        return
    yield from items


def _looks_fhir(path: Path) -> bool:
    with path.open("rb") as fh:
        head = fh.read(4096)
    return b'"resourceType"' in head


def iter_inputs(inputs: Path | str | Iterable[Path | str]) -> Iterator[tuple[str, Any]]:
    """Every record of the inputs (files or folders), in order, as ``(key, record)``."""
    paths = [Path(inputs)] if isinstance(inputs, str | Path) else [Path(p) for p in inputs]
    for path in paths:
        for file in _files(path):
            yield from _iter_file(file)


def count_inputs(inputs: Path | str | Iterable[Path | str]) -> int | None:
    """The number of records when it is cheap to know (JSON Lines only), else None."""
    paths = [Path(inputs)] if isinstance(inputs, str | Path) else [Path(p) for p in inputs]
    total = 0
    for path in paths:
        for file in _files(path):
            if not _is_jsonl(file):
                return None
            with file.open("rb") as fh:
                for block in iter(lambda: fh.read(1 << 16), b""):  # bounded memory, not line by line
                    total += block.count(b"\n")
                if file.stat().st_size and not _ends_with_newline(file):
                    total += 1
    return total
