"""Shared fixtures for the cohort tests: a synthetic cohort file with the awkward cases planted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reasoner.cohort.synthetic import generate

N_SYNTHETIC = 120


@pytest.fixture(scope="session")
def cohort_file(tmp_path_factory) -> Path:
    """120 synthetic records + a malformed line + a duplicate id + a non-object line (JSON Lines)."""
    path = tmp_path_factory.mktemp("cohort") / "cohort.jsonl"
    records = list(generate(N_SYNTHETIC, seed=11))
    lines = [json.dumps(r) for r in records]
    lines.insert(17, '{"id": "broken", "as_of": ')          # malformed JSON
    lines.insert(40, json.dumps(records[3]))                  # the same id again
    lines.insert(60, "[1, 2, 3]")                             # valid JSON, not a record
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def cohort_lines(cohort_file) -> int:
    return sum(1 for line in cohort_file.read_text().splitlines() if line.strip())


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
