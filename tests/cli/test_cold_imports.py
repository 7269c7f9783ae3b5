"""The cold path of ``her2neg recommend`` loads no module it does not need.

A fresh interpreter runs the command on a JSON record, then reports which heavy optional modules
ended up in ``sys.modules``: none of the FHIR models, pySHACL, pyarrow, Jinja2, Spark, OWL tooling,
web servers, nor rdflib's SPARQL parser (the SHACL-SPARQL constraints are read from their parse
cache after the first run), nor typer and pydantic (the lean start of ``recommend``). Speed itself is measured in ``benchmarks/`` (bench_recommend.py).
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "patients" / "hr-first-line-postmenopausal.json"
HEAVY = ("fhir", "pyshacl", "pyarrow", "jinja2", "pyspark", "owlready2", "jpype", "duckdb", "fastapi",
         "uvicorn", "httpx", "rdflib.plugins.sparql", "reasoner.ingest.fhir", "reasoner.report",
         "reasoner.result.columnar", "reasoner.spark", "reasoner.serve", "reasoner.hooks",
         # the lean start of `recommend` (reasoner.cli.main) builds no typer command tree
         "typer", "pydantic", "click", "reasoner.cli.commands")

_PROBE = """
import json, runpy, sys
sys.argv = ["her2neg", "recommend", *sys.argv[1:]]
try:
    runpy.run_module("reasoner", run_name="__main__")
except SystemExit as exc:
    code = exc.code
heavy = sorted(m for m in sys.modules if any(m == h or m.startswith(h + ".") for h in HEAVY))
sys.stderr.write("\\nPROBE " + json.dumps({"code": code, "heavy": heavy}) + "\\n")
"""


def _probe(tmp_path, *args):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HER2NEG_CACHE_DIR": str(tmp_path / "cache")}
    proc = subprocess.run([sys.executable, "-c", f"HEAVY = {HEAVY!r}\n" + _PROBE, *args],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    line = [ln for ln in proc.stderr.splitlines() if ln.startswith("PROBE ")]
    assert line, proc.stderr[-2000:]
    return json.loads(line[-1][6:]), proc.stdout


@pytest.mark.parametrize("fmt", ["table", "json"])
def test_recommend_on_a_json_record_imports_no_heavy_module(tmp_path, fmt):
    _probe(tmp_path, str(EXAMPLE), "--format", fmt)  # the first run on a machine fills the parse cache
    report, stdout = _probe(tmp_path, str(EXAMPLE), "--format", fmt)
    assert report["code"] in (0, None)
    assert stdout.strip()  # it did answer
    assert report["heavy"] == []
