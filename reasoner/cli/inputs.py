"""Reading input files for the CLI: JSON, JSON Lines, Turtle/JSON-LD or a FHIR bundle.

The same reader and limits as ``her2neg batch`` (:mod:`reasoner.batch.inputs`,
:mod:`reasoner.ingest.limits`): the same bytes give the same records everywhere; only what is
done with an unreadable record differs (here it stops the command with exit 3, in a batch it
becomes an ``invalid`` result line).
"""

from __future__ import annotations

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
    """Records in a file or folder, each with a label for messages (``file``, ``file#2``, ``file:line``).

    FHIR bundles (detected by content) are mapped to a patient record first; everything else is
    read by :func:`reasoner.ingest.read_records` (JSON object, JSON array, JSON Lines, Turtle,
    JSON-LD), which reports unreadable input and duplicate ids as :class:`InputError`. A folder is
    read as ``her2neg batch`` reads it (every record file below it, sorted).
    """
    from reasoner.batch.inputs import _files
    from reasoner.ingest import read_records
    from reasoner.ingest.json_record import decode_text, parse_json_records
    from reasoner.ingest.limits import read_limited

    path = Path(path)
    if not path.exists():
        raise InputError("file not found", where=str(path))
    if path.is_dir():
        items: list[tuple[str, Any]] = []
        for child in _files(path):
            items.extend(load_inputs(child))
        return items
    suffix = path.suffix.lower()
    if suffix in (".json", ".ndjson"):
        data = read_limited(path)
        if b'"resourceType"' in data[:4096] or suffix == ".ndjson":
            if suffix == ".json":
                # the guarded parser (depth, number size, duplicate keys), never a bare json.loads
                value = parse_json_records(decode_text(data, str(path)), str(path), json_lines=False)[0][1]
                if _is_fhir(value):
                    # The engine maps the bundle itself, so its mapping conflicts reach the result.
                    return [(str(path), value)]
            elif _is_fhir(data):
                from reasoner.ingest.fhir.parse import _decode

                # NDJSON of resources as one collection Bundle: the engine maps it, so the mapping
                # report (conflicts, an unresolvable medication) reaches the result as for a .json bundle
                resources = _decode(data)
                resources = resources if isinstance(resources, list) else [resources]
                return [(str(path), {"resourceType": "Bundle", "type": "collection",
                                     "entry": [{"resource": r} for r in resources]})]
    return read_records(path)
