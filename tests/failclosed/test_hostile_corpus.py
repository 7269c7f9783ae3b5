"""The hostile-input corpus (``corpus/``, written by ``make_corpus.py``): every file through every
input path, with the outcome ``corpus/expect.json`` requires. Never an internal error (exit 1),
never a traceback, never a network or file access, the same records in ``recommend`` and ``batch``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import rdflib
from typer.testing import CliRunner

from reasoner.batch import run_batch
from reasoner.cli import app

CORPUS = Path(__file__).parent / "corpus"
EXPECT = json.loads((CORPUS / "expect.json").read_text(encoding="utf-8"))
FILES = sorted(p for p in CORPUS.iterdir() if p.name != "expect.json")
runner = CliRunner()


def test_every_corpus_file_has_an_expectation():
    assert sorted(p.name for p in FILES) == sorted(EXPECT)


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_recommend_and_validate(path):
    want = EXPECT[path.name]
    for fmt in ("json", "table"):
        result = runner.invoke(app, ["recommend", str(path), "--format", fmt])
        assert result.exit_code == want["recommend"], (fmt, result.output[-800:], result.exception)
        assert "internal error" not in result.output and "Traceback" not in result.output
        assert not any(ch in result.output for ch in "\x1b\x07\x9b\u202e")
        if "message" in want:
            assert want["message"] in result.output
    if want["recommend"] == 0:
        result = runner.invoke(app, ["recommend", str(path), "--format", "turtle"])
        assert result.exit_code == 0
        graph = rdflib.Graph().parse(data=result.output, format="turtle")  # the output is one Turtle document
        assert not any(str(s).startswith("http://evil.example") for s in graph.subjects())
    result = runner.invoke(app, ["validate", str(path), "--format", "json"])
    assert result.exit_code in (0, 3, 10) and "internal error" not in result.output


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_batch(path, tmp_path):
    want = EXPECT[path.name]
    out = tmp_path / "out.jsonl"
    summary = run_batch(path, out, jobs=1, progress=False)
    lines = out.read_bytes().split(b"\n")
    assert lines[-1] == b""
    statuses = [json.loads(line)["status"] for line in lines[:-1]]
    assert statuses == want["batch"]
    assert summary.total == len(want["batch"])
    out.read_bytes().decode("utf-8")  # every line is UTF-8 text
