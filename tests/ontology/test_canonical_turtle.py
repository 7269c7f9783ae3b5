"""The ontology's Turtle is in one canonical form (issue 14): `turtlefmt` (PyPI; the formatter of
Oxigraph's author, which keeps comments) writes every module and shapes file, so diffs show what
changed and nothing else. Fix a failure with ``turtlefmt ontology/``."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import rdflib
from rdflib.compare import isomorphic

ROOT = Path(__file__).resolve().parents[2]
FILES = sorted((ROOT / "ontology").glob("*.ttl")) + sorted((ROOT / "ontology" / "shapes").glob("*.ttl"))


def _turtlefmt() -> str:
    beside = Path(sys.executable).with_name("turtlefmt")
    found = str(beside) if beside.exists() else shutil.which("turtlefmt")
    assert found, "turtlefmt is part of the [test] extra: pip install -e '.[test]'"
    return found


def test_every_turtle_file_is_in_the_canonical_form():
    assert len(FILES) > 20
    run = subprocess.run([_turtlefmt(), "--check", *map(str, FILES)], capture_output=True, text=True)
    assert run.returncode == 0, (
        "Turtle not in the canonical form; run `turtlefmt ontology/` and commit the result:\n"
        + run.stdout[-3000:] + run.stderr[-3000:])


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_the_formatter_keeps_every_triple_and_comment(tmp_path, path):
    copy = tmp_path / path.name
    copy.write_bytes(path.read_bytes())
    subprocess.run([_turtlefmt(), str(copy)], check=True, capture_output=True)
    assert isomorphic(rdflib.Graph().parse(path), rdflib.Graph().parse(copy))
    comments = [line.strip() for line in path.read_text().splitlines() if line.lstrip().startswith("#")]
    formatted = copy.read_text()
    assert all(c in formatted for c in comments)
