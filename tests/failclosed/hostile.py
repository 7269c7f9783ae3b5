"""Builders of hostile inputs shared by the fail-closed tests (issue 10)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BASE = json.loads((ROOT / "examples/patients/hr-first-line-postmenopausal.json").read_text(encoding="utf-8"))


def record(**changes) -> dict:
    """The example first-line patient with some fields replaced."""
    out = copy.deepcopy(BASE)
    out.update(changes)
    return out


def with_drug(name: str) -> dict:
    return record(therapies=[{"drugs": [name], "setting": "metastatic", "start": "2026-01-01"}])


def write(path: Path, value, *, ensure_ascii: bool = True) -> Path:
    path.write_text(json.dumps(value, ensure_ascii=ensure_ascii), encoding="utf-8")
    return path
