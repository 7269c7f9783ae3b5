"""Reading input files for the CLI: JSON, JSON Lines, Turtle/JSON-LD or a FHIR bundle."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from reasoner.errors import InputError

__all__ = ["load_inputs"]


def _is_fhir(data: Any) -> bool:
    try:
        from reasoner.ingest.fhir import is_fhir
    except ImportError:  # pragma: no cover - the FHIR package ships with the project
        return False
    return is_fhir(data)


def load_inputs(path: Path) -> list[tuple[str, Any]]:
    """Records in a file, each with a label for messages (``file``, ``file#2``, ``file:line``).

    FHIR bundles (detected by content) are mapped to a patient record first; everything else is
    read by :func:`reasoner.ingest.read_records` (JSON object, JSON array, JSON Lines, Turtle,
    JSON-LD), which reports unreadable input and duplicate ids as :class:`InputError`.
    """
    from reasoner.ingest import read_records

    if not path.exists():
        raise InputError("file not found", where=str(path))
    if path.is_dir():
        items: list[tuple[str, Any]] = []
        for child in sorted(path.iterdir()):
            if child.suffix.lower() in (".json", ".jsonl", ".ndjson", ".ttl", ".jsonld"):
                items.extend(load_inputs(child))
        return items
    if path.suffix.lower() in (".json", ".ndjson"):
        try:
            data = json.loads(path.read_bytes().decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            data = None
        if data is not None and _is_fhir(data):
            # The engine maps the bundle itself, so its mapping conflicts reach the result.
            return [(str(path), data)]
    if path.suffix.lower() == ".ndjson":
        text = path.read_bytes()
        if _is_fhir(text):
            from reasoner.ingest.fhir import bundle_to_record

            return [(str(path), bundle_to_record(text).record)]
    return read_records(path)
