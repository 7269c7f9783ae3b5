"""The one input reader: files and folders of patient records for the CLI, ``her2neg batch`` and ``her2neg serve``.

Every format is recognised here, once, and mostly by content:

- JSON Lines (``.jsonl``, ``.ndjson``, or a ``.json`` file whose first two non-blank lines are
  objects): read line by line, in bounded reads;
- a FHIR R4 Bundle or resource (a ``.json`` file with a ``resourceType``), or NDJSON of FHIR
  resources (one collection Bundle): kept as FHIR, so that the engine maps it and its mapping
  report (conflicts, an unresolvable medication) reaches the result;
- a JSON object or array, Turtle, JSON-LD (recognised by its ``@context``/``@graph`` whatever the
  file is called): :func:`reasoner.ingest.read_records`.

:func:`iter_inputs` yields ``(key, record)`` for a cohort and never stops on a bad record: what
cannot be read is yielded as :class:`Unreadable` (batch, serve). :func:`load_inputs` is the strict
form (CLI): the first unreadable record is an :class:`~reasoner.errors.InputError` naming the file
and line, and so is a duplicate patient id within a file. The key (label) of a record is ``file``,
``file#n`` (array element or graph patient) or ``file:line`` (JSON Lines).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reasoner.errors import InputError
from reasoner.ingest import note_unique_id

__all__ = [
    "RECORD_SUFFIXES",
    "Unreadable",
    "count_inputs",
    "is_json_lines",
    "iter_inputs",
    "load_inputs",
    "record_files",
]

RECORD_SUFFIXES = (".json", ".jsonl", ".ndjson", ".ttl", ".jsonld", ".json-ld", ".nt")
_JSONL = (".jsonl", ".ndjson")
_FHIR_HEAD = 4096  # bytes looked at for a "resourceType" before a file is parsed as FHIR


@dataclass(frozen=True)
class Unreadable:
    """An input item that is not a record: why it could not be read."""

    message: str
    error: InputError | None = field(default=None, compare=False, repr=False)

    def raise_error(self, key: str) -> None:
        raise self.error if self.error is not None else InputError(self.message, where=key)


def record_files(path: Path) -> list[Path]:
    """The record files of a path: the file itself, or every record file below a folder, sorted."""
    if not path.exists():
        raise InputError("file not found", where=str(path))
    if path.is_dir():
        return [c for c in sorted(path.rglob("*")) if c.is_file() and c.suffix.lower() in RECORD_SUFFIXES]
    return [path]


def _head(path: Path, size: int = _FHIR_HEAD) -> bytes:
    with path.open("rb") as fh:
        return fh.read(size)


def _looks_fhir(head: bytes) -> bool:
    """A cheap look before parsing: FHIR resources carry ``resourceType`` (the parser decides)."""
    return b'"resourceType"' in head


def is_json_lines(path: Path) -> bool:
    """JSON Lines by name (``.jsonl``, ``.ndjson``) or a ``.json`` file whose first two non-blank lines are objects."""
    if path.suffix.lower() in _JSONL:
        return True
    if path.suffix.lower() != ".json":
        return False
    from reasoner.ingest.limits import MAX_RECORD_BYTES

    with path.open("rb") as fh:
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


def _iter_json_lines(path: Path) -> Iterator[tuple[str, Any]]:
    from reasoner.ingest.json_record import parse_json_line
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
                message = f"the line is longer than {MAX_RECORD_BYTES:,} bytes; one record is far smaller"
                yield key, Unreadable(message, InputError(message, where=key))
                continue
            if not raw.strip():
                continue
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                error = InputError(
                    f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start} of the line)",
                    where=key,
                    hint="save the file as UTF-8",
                )
                yield key, Unreadable("the line is not UTF-8 text", error)
                continue
            try:
                yield key, parse_json_line(text, str(path), number)
            except InputError as exc:
                yield key, Unreadable(f"the line cannot be read as a JSON record: {exc.message}", exc)


def _fhir_document(path: Path) -> list[tuple[str, Any]] | None:
    """A FHIR Bundle or resource (``.json``), or NDJSON of FHIR resources as one collection Bundle;
    None when the file is not FHIR."""
    from reasoner.ingest.fhir import is_fhir
    from reasoner.ingest.json_record import decode_text, parse_json_records
    from reasoner.ingest.limits import read_limited

    data = read_limited(path)
    if path.suffix.lower() == ".json":
        # the guarded parser (depth, number size, duplicate keys), never a bare json.loads
        value = parse_json_records(decode_text(data, str(path)), str(path), json_lines=False)[0][1]
        return [(str(path), value)] if is_fhir(value) else None
    if not is_fhir(data):
        return None
    from reasoner.ingest.fhir.parse import _decode

    resources = _decode(data)
    resources = resources if isinstance(resources, list) else [resources]
    return [
        (
            str(path),
            {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": r} for r in resources]},
        )
    ]


def _iter_file(path: Path) -> Iterator[tuple[str, Any]]:
    """The records of one file, an unreadable one as :class:`Unreadable` (the whole file, or one line)."""
    from reasoner.ingest import read_records

    try:
        suffix = path.suffix.lower()
        if suffix in (".json", ".ndjson") and _looks_fhir(_head(path)):
            fhir = _fhir_document(path)
            if fhir is not None:
                yield from fhir
                return
        if is_json_lines(path):
            yield from _iter_json_lines(path)
            return
        items = read_records(path, check_duplicates=False)
    except InputError as exc:
        yield str(path), Unreadable(f"the file cannot be read: {exc}", exc)
        return
    yield from items


def _paths(inputs: Path | str | Iterable[Path | str]) -> list[Path]:
    return [Path(inputs)] if isinstance(inputs, str | Path) else [Path(p) for p in inputs]


def iter_inputs(inputs: Path | str | Iterable[Path | str]) -> Iterator[tuple[str, Any]]:
    """Every record of the inputs (files or folders), in order, as ``(key, record)``; what cannot be
    read is an :class:`Unreadable` item. Duplicate patient ids are not checked (the caller reports them)."""
    for path in _paths(inputs):
        for file in record_files(path):
            yield from _iter_file(file)


def load_inputs(path: Path | str) -> list[tuple[str, Any]]:
    """Every record of a file or folder, strictly: the first unreadable record, an empty file, or a
    patient id twice in one file is an :class:`InputError` (exit code 3) naming the file and line."""
    out: list[tuple[str, Any]] = []
    for file in record_files(Path(path)):
        seen: dict[str, str] = {}
        count = 0
        for key, record in _iter_file(file):
            if isinstance(record, Unreadable):
                record.raise_error(key)
            count += 1
            note_unique_id(seen, record.get("id") if isinstance(record, dict) and "resourceType" not in record
                           else None, key)
            out.append((key, record))
        if not count:
            raise InputError(
                "the input is empty",
                where=str(file),
                hint="give one JSON record, an array, JSON Lines or Turtle",
            )
    return out


def count_inputs(inputs: Path | str | Iterable[Path | str]) -> int | None:
    """The number of records when it is cheap to know (JSON Lines only), else None."""
    total = 0
    for path in _paths(inputs):
        for file in record_files(path):
            if not is_json_lines(file) or (file.suffix.lower() == ".ndjson" and _looks_fhir(_head(file))):
                return None
            with file.open("rb") as fh:
                for block in iter(lambda: fh.read(1 << 16), b""):  # bounded memory, not line by line
                    total += block.count(b"\n")
                if file.stat().st_size and not _ends_with_newline(file):
                    total += 1
    return total


def _ends_with_newline(path: Path) -> bool:
    with path.open("rb") as fh:
        fh.seek(-1, 2)
        return fh.read(1) == b"\n"
