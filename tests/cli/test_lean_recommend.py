"""``her2neg recommend`` started lean (reasoner.cli.main without typer) behaves exactly as the typer
command: same standard output, same error messages, same exit codes, for every argument form the
lean start accepts; every other form goes to typer (help, usage errors, --trace, other commands)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from reasoner.cli import _plain_recommend

ROOT = Path(__file__).resolve().parents[2]
EX = ROOT / "examples" / "patients"
FIRST = str(EX / "hr-first-line-postmenopausal.json")
SECOND = str(EX / "hr-second-line-pik3ca.json")
HER2POS = str(EX / "her2-positive-out-of-scope.json")

_TYPER = "import sys; from reasoner.cli.commands import main; main(sys.argv[1:])"


def _run(entry: list[str], args: list[str], cache: Path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HER2NEG_CACHE_DIR": str(cache), "COLUMNS": "100"}
    proc = subprocess.run([sys.executable, *entry, *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)
    return proc.returncode, proc.stdout, proc.stderr


@pytest.fixture(scope="module")
def invalid_record(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("records") / "invalid.json"
    path.write_text(json.dumps({"id": "bad-1", "sex": "female", "age": -4}), encoding="utf-8")
    return str(path)


CASES = {
    "table": ["recommend", FIRST],
    "json": ["recommend", SECOND, "--format", "json"],
    "json-many": ["recommend", FIRST, "-f", "json", SECOND],
    "turtle": ["recommend", FIRST, "--format", "turtle"],
    "all-eu": ["recommend", "--all", SECOND, "-j", "eu"],
    "out-of-scope": ["recommend", HER2POS],
    "unknown-jurisdiction": ["recommend", FIRST, "--jurisdiction", "XX"],
    "missing-file": ["recommend", "no/such/record.json"],
    "invalid": ["recommend", "INVALID", "-f", "json"],
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_lean_start_equals_the_typer_command(name, invalid_record, tmp_path):
    args = [invalid_record if a == "INVALID" else a for a in CASES[name]]
    assert _plain_recommend(args) is not None  # the lean start takes it
    lean = _run(["-m", "reasoner"], args, tmp_path)
    typer_ = _run(["-c", _TYPER], args, tmp_path)
    assert lean == typer_
    expected = {"out-of-scope": 11, "unknown-jurisdiction": 2, "missing-file": 3, "invalid": 10}.get(name, 0)
    assert lean[0] == expected, lean[2]


@pytest.mark.parametrize("args", [
    [], ["--help"], ["recommend"], ["recommend", "--help"], ["--trace", "recommend", FIRST],
    ["recommend", FIRST, "--format=json"], ["recommend", FIRST, "-fjson"], ["recommend", "--", FIRST],
    ["recommend", FIRST, "--format", "yaml"], ["recommend", FIRST, "-f", "json", "-f", "table"],
    ["recommend", FIRST, "--jurisdiction"], ["recommend", FIRST, "--all", "--all"], ["recommend", FIRST, "-x"],
    ["validate", FIRST], ["kb", "info"], ["recommend", FIRST, "-j", "-f"],
])
def test_every_other_form_goes_to_typer(args):
    assert _plain_recommend(args) is None


def test_usage_errors_keep_typers_message_and_code(tmp_path):
    code, _, err = _run(["-m", "reasoner"], ["recommend", FIRST, "--format", "yaml"], tmp_path)
    assert code == 2 and "use table, json or turtle" in err
