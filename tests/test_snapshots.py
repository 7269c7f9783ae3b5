"""Golden results for the example patients: any change in what the reasoner says shows as a diff.

Rewrite them with ``python -m pytest tests/test_snapshots.py --update-snapshots`` after an
intended change to the knowledge base, and review the diff of ``tests/snapshots/``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples" / "patients").glob("*.json"))


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_result_matches_golden_file(kb, snapshot, path):
    result = kb.recommend(json.loads(path.read_text())).to_dict()
    snapshot(f"{path.stem}.json", result)


@pytest.mark.parametrize("path", EXAMPLES[:3], ids=[p.stem for p in EXAMPLES[:3]])
def test_patient_graph_matches_golden_file(kb, snapshot, path):
    graph, _ = kb.engine.patient_graph(json.loads(path.read_text()))
    snapshot(f"{path.stem}.ttl", graph)
