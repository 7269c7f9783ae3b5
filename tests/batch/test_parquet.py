"""Parquet results: one typed row per input record, the documented schema, readable by pyarrow and DuckDB."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from reasoner.batch import BatchError, run_batch
from reasoner.result.columnar import COLUMNS, arrow_schema

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs/columnar-results.md"


def spark_type(t: pa.DataType) -> str:
    """An Arrow type written as Spark SQL's simpleString (the notation of the docs)."""
    if pa.types.is_string(t):
        return "string"
    if pa.types.is_int32(t):
        return "int"
    if pa.types.is_boolean(t):
        return "boolean"
    if pa.types.is_list(t):
        return f"array<{spark_type(t.value_type)}>"
    if pa.types.is_struct(t):
        return "struct<" + ",".join(f"{f.name}:{spark_type(f.type)}" for f in t) + ">"
    raise AssertionError(f"type outside the documented set: {t}")


def documented_columns() -> list[tuple[str, str]]:
    rows = re.findall(r"^\| `([a-z_0-9]+)` \| `([^`]+)` \|", DOC.read_text(encoding="utf-8"), re.M)
    assert rows, "no column table in docs/columnar-results.md"
    return rows


def test_the_schema_is_the_documented_one():
    assert documented_columns() == [(f.name, spark_type(f.type)) for f in arrow_schema()]
    assert tuple(arrow_schema().names) == COLUMNS


@pytest.fixture(scope="module")
def runs(cohort_file, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("parquet")
    summary = run_batch(cohort_file, tmp / "results.parquet", jobs=2, chunk_size=16, progress=False)
    (tmp / "jsonl").mkdir()
    run_batch(cohort_file, tmp / "jsonl/results.jsonl", jobs=1, chunk_size=16, progress=False)
    lines = [json.loads(line) for line in (tmp / "jsonl/results.jsonl").read_text(encoding="utf-8").splitlines()]
    return summary, tmp / "results.parquet", lines


def test_parquet_has_one_typed_row_per_input_record(runs, cohort_lines):
    summary, path, lines = runs
    table = pq.read_table(path)
    assert table.schema.equals(arrow_schema(), check_metadata=False)
    assert pq.read_metadata(path).metadata[b"her2neg.schema"] == b"1"
    assert table.num_rows == cohort_lines == summary.total == len(lines)
    assert summary.csv_path == "" and not path.with_suffix(".csv").exists()
    rows = table.to_pylist()
    for row, data in zip(rows, lines, strict=True):  # the same results as the JSON Lines, typed
        cls = data["classification"]
        assert row["input"] == data["input"] and row["patient"] == data["patient"]
        assert row["status"] == data["status"]
        assert (row["subtype"], row["her2_category"], row["line"], row["er_low"], row["visceral_crisis"]) == \
            (cls["subtype"], cls["her2_category"], cls["line"], cls["er_low"], cls["visceral_crisis"])
        assert row["option_ids"] == [o["id"] for o in data["options"]]
        assert row["first_option"] == (data["options"][0]["id"] if data["options"] else None)
        assert row["advice_codes"] == [a["code"] for a in data["advice"]]
        assert row["warning_codes"] == [w["code"] for w in data["warnings"]]
        assert row["excluded"] == data["excluded"]
        assert row["validation"] == data["validation"]
        for option, contract in zip(row["options"], data["options"], strict=True):
            assert option["evidence"] == contract["evidence"] and option["approvals"] == contract["approvals"]
            assert option["cautions"] == contract["cautions"] and option["line"] == contract["line"]
            assert [c["drugs"] for c in option["components"]] == [c["drugs"] for c in contract["components"]]
            assert [c["dosing"] for c in option["components"]] == [c.get("dosing") for c in contract["components"]]
        assert row["kb_version"] == data["knowledge_base"]["version"]
        assert row["disclaimer"] == data["disclaimer"]
    statuses = {r["status"] for r in rows}
    assert statuses == {"ok", "invalid", "out_of_scope"}
    broken = [r for r in rows if r["patient"] is None and r["status"] == "invalid"]
    assert broken and all(r["n_violations"] >= 1 for r in broken)  # unreadable lines are rows too


def test_duckdb_reads_the_documented_schema(runs):
    _, path, lines = runs
    con = duckdb.connect()
    described = {name: kind for name, kind, *_ in con.execute(f"DESCRIBE SELECT * FROM '{path}'").fetchall()}
    assert list(described) == list(COLUMNS)
    assert described["line"] == "INTEGER" and described["er_low"] == "BOOLEAN"
    assert described["advice_codes"] == "VARCHAR[]"
    assert described["excluded"].startswith("STRUCT(id VARCHAR, \"label\" VARCHAR") or \
        described["excluded"].startswith("STRUCT(id VARCHAR, label VARCHAR")
    by_status = dict(con.execute(f"SELECT status, count(*) FROM '{path}' GROUP BY status").fetchall())
    expected: dict[str, int] = {}
    for data in lines:
        expected[data["status"]] = expected.get(data["status"], 0) + 1
    assert by_status == expected
    # nested lists unnest in SQL: every offered drug of every ok patient
    offered = con.execute(
        f"SELECT count(*) FROM (SELECT unnest(options) AS o FROM '{path}') WHERE len(o.drugs) > 0").fetchone()[0]
    assert offered == sum(len(d["options"]) for d in lines)
    esr1 = con.execute(f"SELECT count(*) FROM '{path}' WHERE list_contains(advice_codes, 'TEST_ESR1')").fetchone()[0]
    assert esr1 == sum(1 for d in lines if any(a["code"] == "TEST_ESR1" for a in d["advice"]))


def test_resume_needs_json_lines(cohort_file, tmp_path):
    with pytest.raises(BatchError, match="JSON Lines"):
        run_batch(cohort_file, tmp_path / "r.parquet", resume=True, jobs=1, progress=False)


def test_cli_writes_parquet(tmp_path):
    out = tmp_path / "ex.parquet"
    proc = subprocess.run([sys.executable, "-m", "reasoner", "batch", str(REPO / "examples/patients"),
                           "--out", str(out), "--jobs", "1", "--no-progress", "--json"],
                          capture_output=True, text=True, cwd=REPO, timeout=600)
    assert proc.returncode in (0, 10, 11), proc.stderr
    tally = json.loads(proc.stdout)
    table = pq.read_table(out)
    assert table.num_rows == tally["total"] == len(list((REPO / "examples/patients").glob("*.json")))
    assert "out_of_scope" in table.column("status").to_pylist()
