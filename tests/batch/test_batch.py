"""``run_batch`` / ``her2neg batch``: one line per record, in order, resumable, shardable, same answers."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from reasoner.batch import BatchError, csv_path_for, merge_shards, process_chunk, run_batch
from tests.batch.conftest import read_jsonl

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def full_run(cohort_file, tmp_path_factory):
    out = tmp_path_factory.mktemp("full") / "results.jsonl"
    summary = run_batch(cohort_file, out, jobs=2, chunk_size=16, progress=False)
    return summary, out


def test_every_record_has_exactly_one_line_in_input_order(full_run, cohort_file, cohort_lines):
    summary, out = full_run
    rows = read_jsonl(out)
    assert len(rows) == cohort_lines == summary.total
    numbers = [int(r["input"].rsplit(":", 1)[1]) for r in rows]
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)
    assert all(r["input"].startswith(str(cohort_file)) for r in rows)
    assert summary.ok + summary.invalid + summary.out_of_scope == summary.total
    assert {r["status"] for r in rows} <= {"ok", "invalid", "out_of_scope"}
    assert summary.ok > 60 and summary.invalid > 0 and summary.out_of_scope > 0


def test_unreadable_lines_become_invalid_lines(full_run):
    _, out = full_run
    rows = read_jsonl(out)
    broken = rows[17]
    assert broken["status"] == "invalid" and broken["patient"] is None
    assert "could not be read" in broken["validation"][0]["message"]
    not_a_record = rows[60]
    assert not_a_record["status"] == "invalid" and not_a_record["validation"]


def test_duplicate_ids_are_reported_and_both_answered(full_run):
    summary, out = full_run
    rows = read_jsonl(out)
    duplicated = rows[40]["patient"]
    assert duplicated in summary.duplicates and len(summary.duplicates[duplicated]) == 2
    first = next(r for r in rows if r["patient"] == duplicated)
    assert {k: v for k, v in first.items() if k != "input"} == {k: v for k, v in rows[40].items() if k != "input"}


def test_csv_summary_has_one_row_per_record(full_run):
    summary, out = full_run
    rows = read_jsonl(out)
    with csv_path_for(out).open(newline="", encoding="utf-8") as fh:
        table = list(csv.DictReader(fh))
    assert len(table) == len(rows)
    for row, data in zip(table, rows, strict=True):
        assert row["input"] == data["input"] and row["status"] == data["status"]
        assert int(row["n_options"]) == len(data["options"])
        assert row["first_option"] == (data["options"][0]["id"] if data["options"] else "")
        assert row["advice_codes"] == ";".join(a["code"] for a in data["advice"])


def test_batch_results_equal_one_record_at_a_time(kb, full_run, cohort_file):
    _, out = full_run
    rows = read_jsonl(out)
    lines = [line for line in cohort_file.read_text().splitlines() if line.strip()]
    for i in range(0, len(lines), 7):  # a spread sample
        if i in (17, 60):  # the unreadable lines
            continue
        records = {i: json.loads(lines[i])}
        one = kb.recommend(records[i]).to_dict()
        assert {k: v for k, v in rows[i].items() if k not in ("input", "input_sha256")} == one, records[i].get("id")


def test_resume_after_interruption_gives_the_same_file(full_run, cohort_file, tmp_path):
    _, out = full_run
    data = out.read_bytes()
    lines = data.splitlines(keepends=True)
    partial = tmp_path / "results.jsonl"
    partial.write_bytes(b"".join(lines[:57]) + lines[57][: len(lines[57]) // 2])  # killed mid-line
    summary = run_batch(cohort_file, partial, resume=True, jobs=1, chunk_size=16, progress=False)
    assert summary.resumed == 57 and summary.processed == len(lines) - 57
    assert partial.read_bytes() == data
    assert csv_path_for(partial).read_text() == csv_path_for(out).read_text()
    # resuming a complete run does nothing and loses nothing
    again = run_batch(cohort_file, partial, resume=True, jobs=1, progress=False)
    assert again.processed == 0 and partial.read_bytes() == data


def test_resume_refuses_output_of_another_input(full_run, tmp_path):
    _, out = full_run
    other = tmp_path / "other.jsonl"
    other.write_text(json.dumps({"id": "x"}) + "\n")
    copy = tmp_path / "results.jsonl"
    shutil.copy(out, copy)
    with pytest.raises(BatchError):
        run_batch(other, copy, resume=True, jobs=1, progress=False)


def test_sharded_runs_merge_into_the_single_run(full_run, cohort_file, tmp_path):
    _, out = full_run
    parts = []
    for i in (1, 2, 3):
        part = tmp_path / f"part{i}.jsonl"
        run_batch(cohort_file, part, shard=f"{i}/3", jobs=1, chunk_size=16, progress=False)
        parts.append(part)
    merged = tmp_path / "merged.jsonl"
    assert merge_shards(parts, merged) == len(read_jsonl(out))
    assert merged.read_bytes() == out.read_bytes()


def test_a_record_that_breaks_the_engine_becomes_an_invalid_line(kb):
    class Fragile:  # the real engine, failing on one record (fault injection)
        def __getattr__(self, name):
            return getattr(kb.engine, name)

        def run(self, records, jurisdiction=None):
            if any(isinstance(r, dict) and r.get("id") == "boom" for r in records):
                raise RuntimeError("boom")
            return kb.engine.run(records, jurisdiction=jurisdiction)

    good = json.loads((REPO / "examples/patients/hr-first-line-postmenopausal.json").read_text())
    lines = process_chunk([("a:1", good), ("a:2", {**good, "id": "boom"}), ("a:3", {**good, "id": "g2"})],
                          Fragile(), None)
    statuses = [json.loads(text)["status"] for text, _, _ in lines]
    assert statuses == ["ok", "invalid", "ok"]
    bad = json.loads(lines[1][0])
    assert bad["patient"] == "boom" and "could not be processed" in bad["validation"][0]["message"]
    assert [flag for _, _, flag in lines] == [False, True, False]


def test_folder_and_array_inputs(tmp_path):
    folder = REPO / "examples/patients"
    out = tmp_path / "ex.jsonl"
    summary = run_batch(folder, out, jobs=1, progress=False)
    files = sorted(folder.glob("*.json"))
    rows = read_jsonl(out)
    assert len(rows) == len(files) == summary.total
    assert [r["input"] for r in rows] == [str(f) for f in files]
    array = tmp_path / "array.json"
    array.write_text(json.dumps([json.loads(f.read_text()) for f in files[:3]]))
    run_batch(array, tmp_path / "arr.jsonl", jobs=1, progress=False)
    assert [r["input"] for r in read_jsonl(tmp_path / "arr.jsonl")] == [f"{array}#{i}" for i in (1, 2, 3)]


def test_cli_batch(cohort_file, cohort_lines, tmp_path):
    out = tmp_path / "cli.jsonl"
    proc = subprocess.run([sys.executable, "-m", "reasoner", "batch", str(cohort_file), "--out", str(out),
                           "--jobs", "2", "--no-progress", "--json"], capture_output=True, text=True, cwd=REPO,
                          timeout=600)
    assert proc.returncode == 10, proc.stderr  # the cohort holds invalid records
    tally = json.loads(proc.stdout)
    assert tally["total"] == cohort_lines == len(read_jsonl(out))
    assert tally["duplicates"]


def test_a_serial_run_leaves_the_callers_garbage_collector_as_it_was(cohort_file, tmp_path):
    """run_batch(jobs=1) runs in the caller's process: it tunes the collector for the run (objects
    alive frozen, a larger first generation) and gives both back afterwards."""
    import gc

    before = gc.get_threshold()
    frozen = gc.get_freeze_count()
    out = tmp_path / "serial.jsonl"
    summary = run_batch(cohort_file, out, jobs=1, progress=False)
    assert summary.total == len(read_jsonl(out))
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() <= frozen  # unfrozen (unfreeze also returns what was frozen before)


def test_a_parallel_run_leaves_no_spool_folder_and_clears_a_dead_runs(cohort_file, tmp_path):
    """Workers hand JSON Lines chunks back through files of a spool folder beside the output (copied
    in the kernel): the file is byte for byte the one a serial run writes; the folder goes with the
    run, and one left by a run that was killed is removed by the next."""
    out, serial = tmp_path / "spooled.jsonl", tmp_path / "serial.jsonl"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True).stdout.strip()  # a pid that no longer runs
    stale = tmp_path / f".spooled.jsonl.spool-{dead}"
    stale.mkdir()
    (stale / "left.part").write_bytes(b"{}\n")
    run_batch(cohort_file, out, jobs=2, chunk_size=16, progress=False)
    run_batch(cohort_file, serial, jobs=1, chunk_size=16, progress=False)
    assert not [p.name for p in tmp_path.iterdir() if ".spool-" in p.name]
    assert out.read_bytes() == serial.read_bytes()


def test_a_parallel_resume_appends_the_spooled_chunks(full_run, cohort_file, tmp_path):
    """Resuming opens the output for appending, where the kernel copy is refused: the spooled
    chunks are then copied by reading them, and the file is the complete run's."""
    _, out = full_run
    data = out.read_bytes()
    lines = data.split(b"\n")
    partial = tmp_path / "partial.jsonl"
    partial.write_bytes(b"\n".join(lines[:40]) + b"\n" + lines[40][:30])  # killed mid-line
    summary = run_batch(cohort_file, partial, resume=True, jobs=2, chunk_size=16, progress=False)
    assert summary.resumed == 40
    assert partial.read_bytes() == data
