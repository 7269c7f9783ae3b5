"""Batch: one line per record, nothing lost, no matter what (issue 10)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import pytest

from reasoner.batch import BatchError, run_batch
from reasoner.cohort.synthetic import generate
from reasoner.errors import OutputError

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def _cohort(path: Path, records) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def test_out_equal_to_the_input_is_refused_before_writing(tmp_path):
    cohort = _cohort(tmp_path / "c.jsonl", generate(3, seed=1))
    before = cohort.read_bytes()
    with pytest.raises(BatchError, match="is an input of this run"):
        run_batch(cohort, cohort, jobs=1, progress=False)
    with pytest.raises(BatchError, match="is an input of this run"):
        run_batch(cohort, tmp_path / "." / "c.jsonl", resume=True, jobs=1, progress=False)
    assert cohort.read_bytes() == before
    folder = tmp_path / "cohort"
    folder.mkdir()
    _cohort(folder / "a.jsonl", generate(2, seed=2))
    with pytest.raises(BatchError, match="is an input of this run"):
        run_batch(folder, folder / "results.jsonl", jobs=1, progress=False)
    assert not (folder / "results.jsonl").exists()


def test_out_whose_csv_summary_is_the_input_is_refused(tmp_path):
    cohort = tmp_path / "c.csv"  # JSON Lines in a file named .csv: read by content
    _cohort(cohort, generate(2, seed=3))
    before = cohort.read_bytes()
    with pytest.raises(BatchError, match="the CSV summary of --out"):
        run_batch(cohort, tmp_path / "c.jsonl", jobs=1, progress=False)  # its summary would be c.csv
    assert cohort.read_bytes() == before and not (tmp_path / "c.jsonl").exists()
    link = tmp_path / "alias.jsonl"
    link.symlink_to(cohort)
    with pytest.raises(BatchError, match="is an input of this run"):
        run_batch(link, cohort, jobs=1, progress=False)
    assert cohort.read_bytes() == before


def test_a_second_run_on_the_same_out_is_refused(tmp_path):
    cohort = _cohort(tmp_path / "c.jsonl", generate(2, seed=4))
    out = tmp_path / "out.jsonl"
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (tmp_path / "out.jsonl.lock").write_text(f"{holder.pid}\n")
        with pytest.raises(BatchError, match=f"another batch run \\(pid {holder.pid}\\)"):
            run_batch(cohort, out, jobs=1, progress=False)
        assert not out.exists()
    finally:
        holder.kill()
        holder.wait()
    # the holder is dead now: its lock is stale and taken over, then removed
    summary = run_batch(cohort, out, jobs=1, progress=False)
    assert summary.total == 2 and not (tmp_path / "out.jsonl.lock").exists()


def test_resume_redoes_a_record_that_changed(tmp_path):
    records = list(generate(12, seed=5))
    cohort = _cohort(tmp_path / "c.jsonl", records)
    out = tmp_path / "out.jsonl"
    run_batch(cohort, out, jobs=1, progress=False)
    records[7] = {**records[7], "age": records[7]["age"] + 1 if isinstance(records[7].get("age"), int) else 50}
    _cohort(cohort, records)  # same keys (file:line), record 8 changed
    summary = run_batch(cohort, out, resume=True, jobs=1, progress=False)
    assert summary.resumed == 7 and summary.processed == 5
    fresh = tmp_path / "fresh.jsonl"
    run_batch(cohort, fresh, jobs=1, progress=False)
    assert out.read_bytes() == fresh.read_bytes()


def test_resume_streams_the_output(tmp_path):
    """Memory of a resume does not grow with the results file (it is read a line at a time)."""
    cohort = _cohort(tmp_path / "c.jsonl", generate(120, seed=8))
    out = tmp_path / "out.jsonl"
    run_batch(cohort, out, jobs=1, progress=False)
    size = out.stat().st_size
    assert size > 1_000_000
    tracemalloc.start()
    try:
        summary = run_batch(cohort, out, resume=True, jobs=1, progress=False)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert summary.resumed == 120 and summary.processed == 0
    assert peak < size / 4, f"resume peaked at {peak} bytes for a {size}-byte results file"


def test_io_errors_have_their_own_exit_code(tmp_path):
    cohort = _cohort(tmp_path / "c.jsonl", generate(2, seed=6))
    folder = tmp_path / "a-folder"
    folder.mkdir()
    with pytest.raises(OutputError) as info:
        run_batch(cohort, folder, jobs=1, progress=False)
    assert info.value.exit_code == 7
    result = subprocess.run([sys.executable, "-m", "reasoner", "batch", str(cohort), "--out", str(folder),
                             "--no-progress"], env=ENV, capture_output=True, text=True, timeout=300)
    assert result.returncode == 7, result.stderr
    assert "internal error" not in result.stderr and "cannot be written" in result.stderr
    # a full disk (a file-size limit stands in for it)
    code = ("import resource, signal, sys; signal.signal(signal.SIGXFSZ, signal.SIG_IGN); "
            "resource.setrlimit(resource.RLIMIT_FSIZE, (3000, 3000)); from reasoner.cli import main; "
            f"main(['batch', {str(cohort)!r}, '--out', {str(tmp_path / 'full.jsonl')!r}, '--no-progress'])")
    result = subprocess.run([sys.executable, "-c", code], env=ENV, capture_output=True, text=True, timeout=300)
    assert result.returncode == 7, result.stderr
    assert "cannot be written" in result.stderr and not (tmp_path / "full.jsonl.lock").exists()


def _children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(entry.name))
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc to find the worker processes")
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_workers_never_outlive_the_parent(tmp_path, sig):
    cohort = _cohort(tmp_path / "c.jsonl", generate(400, seed=7))
    proc = subprocess.Popen([sys.executable, "-m", "reasoner", "batch", str(cohort), "--out",
                             str(tmp_path / "out.jsonl"), "--jobs", "2", "--chunk-size", "5", "--no-progress"],
                            env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        workers: list[int] = []
        while time.monotonic() < deadline and len(workers) < 2:
            time.sleep(0.2)
            workers = _children(proc.pid)
        assert len(workers) >= 2, "the batch did not start its workers"
        time.sleep(1.0)
        os.kill(proc.pid, sig)
        proc.wait(timeout=60)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and any(_alive(w) for w in workers):
            time.sleep(0.2)
        assert not any(_alive(w) for w in workers), "a worker outlived its parent"
    finally:
        if proc.poll() is None:
            proc.kill()
        for w in _children(proc.pid):
            os.kill(w, signal.SIGKILL)
