"""The real TCGA-BRCA cohort through ``run_batch``: every record accounted for."""

from __future__ import annotations

import importlib.util
import json
from collections import Counter
from pathlib import Path

from reasoner.batch import run_batch

REPO = Path(__file__).resolve().parents[2]


def _converter(name: str):
    spec = importlib.util.spec_from_file_location(name, REPO / "examples/real_data" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_tcga_every_record_has_one_result(tmp_path):
    records = list(_converter("convert_tcga").convert())
    cohort = tmp_path / "tcga.jsonl"
    cohort.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    summary = run_batch(cohort, tmp_path / "results.jsonl", jobs=2, progress=False)
    rows = [json.loads(line) for line in (tmp_path / "results.jsonl").read_text().splitlines()]
    assert len(records) == 1097 == summary.total == len(rows)
    assert [r["patient"] for r in rows] == [r["id"] for r in records]
    assert summary.unprocessable == 0 and not summary.duplicates
    statuses = Counter(r["status"] for r in rows)
    assert statuses["ok"] > 300 and statuses["out_of_scope"] > 50  # HER2-positive patients are kept
