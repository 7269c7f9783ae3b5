"""Input: patient records from JSON, JSON Lines, Turtle or JSON-LD (FHIR lives in ``ingest.fhir``).

:func:`read_records` reads one document into ``(label, record)`` pairs; unreadable input and
duplicate patient ids are :class:`~reasoner.errors.InputError` naming the file and line.
:mod:`reasoner.ingest.reader` reads files and folders (FHIR too) for the CLI, batch and serve.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from reasoner.errors import InputError

__all__ = ["read_records"]

_JSON_SUFFIXES = {".json": False, ".jsonl": True, ".ndjson": True}
_RDF_SUFFIXES = {".ttl": "turtle", ".jsonld": "json-ld", ".json-ld": "json-ld", ".nt": "nt"}


def _read_rdf(text: str, fmt: str, source: str) -> list[tuple[str, Any]]:
    from rdflib import Graph

    from reasoner.ingest.rdf import graph_to_records

    g = Graph()
    if fmt == "json-ld":
        text = _jsonld_offline(text, source)
    try:
        g.parse(data=text, format=fmt)
    except Exception as exc:  # rdflib raises many unrelated types on bad input
        text_msg = " ".join(str(exc).split()) or type(exc).__name__
        m = re.search(r"at line (\d+)", text_msg)
        msg = re.sub(r"^at line \d+ of <[^>]*>:\s*", "", text_msg)[:300]
        where = f"{source}:{m.group(1)}" if m else source
        raise InputError(
            f"not valid {'Turtle' if fmt == 'turtle' else fmt.upper()}: {msg}", where=where
        ) from None
    records = graph_to_records(g)
    if not records:
        raise InputError(
            "the graph holds no h2n:Patient", where=source, hint="type each patient a h2n:Patient"
        )
    return [(f"{source}#{r.get('id', i)}", r) for i, r in enumerate(records, start=1)]


def _jsonld_offline(text: str, source: str) -> str:
    """The JSON-LD text read with the JSON guards, its contexts resolved with no network or file access."""
    import json

    from reasoner.ingest.json_record import _loads
    from reasoner.ingest.jsonld_offline import resolve_contexts_offline

    doc = _loads(text, source)
    return json.dumps(resolve_contexts_offline(doc, source))


def _sniff(text: str) -> str:
    head = text.lstrip()[:2000]
    if head.startswith(("{", "[")):
        # JSON-LD keywords: a patient record never has keys that start with "@"
        return "json-ld" if re.search(r'"@(context|graph|id|type)"\s*:', head) else "json"
    return "turtle"


def read_records(
    path_or_text: str | Path | bytes, *, source: str | None = None, check_duplicates: bool = True
) -> list[tuple[str, Any]]:
    """Read patient records: a JSON object, a JSON array, JSON Lines, Turtle or JSON-LD.

    ``path_or_text``: a :class:`~pathlib.Path`, a path string, the text itself, or bytes. Returns
    ``(label, record)`` pairs in input order, labels ``file``, ``file#n`` (array position or patient
    id), ``file:line`` (JSON Lines). Raises :class:`InputError` (with file and line) for input that
    cannot be read — not UTF-8, empty, malformed JSON or Turtle — and for duplicate patient ids
    (unless ``check_duplicates`` is false: a batch reports them itself). Files and folders of a
    cohort are read by :mod:`reasoner.ingest.reader`, which calls this for each document.
    """
    suffix = ""
    if isinstance(path_or_text, Path) or (
        isinstance(path_or_text, str)
        and path_or_text.strip()
        and "\n" not in path_or_text
        and not path_or_text.lstrip().startswith(("{", "[", "@", "<", "#"))
    ):
        path = Path(path_or_text)
        source = source or str(path)
        if not path.is_file():
            raise InputError("file not found", where=source)
        from reasoner.ingest.limits import read_limited

        data = read_limited(path)
        suffix = path.suffix.lower()
    elif isinstance(path_or_text, bytes):
        data, source = path_or_text, source or "<input>"
    else:
        data, source = str(path_or_text).encode("utf-8", "surrogatepass"), source or "<input>"

    from reasoner.ingest.json_record import decode_text, parse_json_records
    from reasoner.ingest.limits import MAX_DOCUMENT_BYTES

    if len(data) > MAX_DOCUMENT_BYTES:  # the same limit for text and bytes as for files
        raise InputError(f"the document is {len(data):,} bytes, more than the {MAX_DOCUMENT_BYTES:,} read as one",
                         where=source, hint="give a large cohort as JSON Lines (one record a line)")
    text = decode_text(data, source)
    # JSON-LD is recognised by its content (@context / @graph), whatever the file is called
    sniffed = _sniff(text)
    if suffix in _JSON_SUFFIXES:
        kind = "json-ld" if sniffed == "json-ld" and not _JSON_SUFFIXES[suffix] else "json"
    else:
        kind = _RDF_SUFFIXES.get(suffix) or sniffed
    if kind == "json":
        items = parse_json_records(text, source, json_lines=_JSON_SUFFIXES.get(suffix))
    else:
        items = _read_rdf(text, kind, source)
    seen: dict[str, str] = {}
    for label, record in items if check_duplicates else ():
        note_unique_id(seen, record.get("id") if isinstance(record, dict) else None, label)
    return items


def note_unique_id(seen: dict[str, str], pid: Any, where: str) -> None:
    """Remember where patient id ``pid`` was first read; a second time is an :class:`InputError`
    naming both places (ids must be unique within a cohort). A non-text id is not checked here."""
    if not isinstance(pid, str):
        return
    if pid in seen:
        raise InputError(f"duplicate patient id {pid!r} (first at {seen[pid]})", where=where,
                         hint="ids must be unique within a cohort")
    seen[pid] = where
