"""The cohort runner: every input record gets exactly one result line, in input order.

Records are cut into chunks; each chunk is reasoned over by :meth:`reasoner.engine.Engine.run`
(one batched validation, one batch of SPARQL queries) in a worker process that loads the
knowledge base once. The parent writes the results in input order as they come back, so memory
stays bounded by the chunks in flight, whatever the cohort size.

A chunk that makes the engine fail is re-run record by record; a record that still fails becomes
an ``invalid`` line saying it could not be processed. A worker process that dies is replaced by
running its chunk in the parent. Nothing is lost: the run writes one line per input record.
"""

from __future__ import annotations

import csv
import io
import json
import os
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reasoner.batch.inputs import Unreadable, count_inputs, iter_inputs
from reasoner.errors import InputError, OutputError, ReasonerError
from reasoner.textsafe import csv_cell, json_dumps

__all__ = ["BatchSummary", "BatchError", "run_batch", "csv_path_for", "merge_shards", "CSV_COLUMNS",
           "DEFAULT_CHUNK_SIZE"]

DEFAULT_CHUNK_SIZE = 50
CSV_COLUMNS = ("input", "patient", "status", "subtype", "her2_category", "line", "n_options",
               "first_option", "advice_codes", "warning_codes")
STATUSES = ("ok", "invalid", "out_of_scope")


class BatchError(ReasonerError):
    """The batch cannot start or resume (for example the output does not match the input)."""

    exit_code = 3


def record_hash(raw: Any) -> str:
    """SHA-256 of an input record's content (canonical JSON), written into its result line so that
    ``--resume`` keeps a line only for the very record it came from."""
    import hashlib

    if isinstance(raw, Unreadable):
        text = "unreadable:" + raw.message
    else:
        try:
            text = json.dumps(raw, sort_keys=True, ensure_ascii=True, separators=(",", ":"), default=repr)
        except (TypeError, ValueError, RecursionError):
            text = "unhashable:" + type(raw).__name__
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def _check_out_is_not_input(inputs: Path | str | Iterable[Path | str], out_path: Path, csv_path: Path) -> None:
    """Refuse, before anything is opened for writing, an output that is (or would be read as) input."""
    from reasoner.batch.inputs import RECORD_SUFFIXES, _files

    paths = [Path(inputs)] if isinstance(inputs, str | Path) else [Path(p) for p in inputs]
    for path in paths:
        if not path.exists():
            continue
        for target, what in ((out_path, "--out"), (csv_path, "the CSV summary of --out")):
            candidates = _files(path) if path.is_dir() else [path]
            inside = path.is_dir() and target.resolve().is_relative_to(path.resolve()) \
                and target.suffix.lower() in RECORD_SUFFIXES
            if inside or any(_same_file(target, c) or target.resolve() == c.resolve() for c in candidates):
                raise BatchError(f"{what} ({target}) is an input of this run: writing it would destroy the input",
                                 where=str(target), hint="give --out a new file outside the input folders")


class _Lock:
    """``<out>.lock`` holding the pid of the run writing ``out``: two runs never interleave."""

    def __init__(self, out_path: Path):
        self.path = out_path.with_name(out_path.name + ".lock")
        self.held = False

    def __enter__(self):
        for _ in range(2):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                pid = self._owner()
                if pid is not None and pid != os.getpid() and _alive(pid):
                    raise BatchError(f"another batch run (pid {pid}) is writing this output",
                                     where=str(self.path),
                                     hint="wait for it to finish, or give another --out") from None
                self.path.unlink(missing_ok=True)  # left by a run that died: take it over
                continue
            with os.fdopen(fd, "w") as fh:
                fh.write(f"{os.getpid()}\n")
            self.held = True
            return self
        raise BatchError("cannot take the lock of this output", where=str(self.path))

    def _owner(self) -> int | None:
        try:
            return int(self.path.read_text().strip() or "0") or None
        except (OSError, ValueError):
            return None

    def __exit__(self, *exc):
        if self.held and self._owner() == os.getpid():
            self.path.unlink(missing_ok=True)
        return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True




@dataclass
class BatchSummary:
    """What a batch run did: counts by status, duplicates, where the results are."""

    total: int = 0
    by_status: Counter = field(default_factory=Counter)
    resumed: int = 0
    processed: int = 0
    unprocessable: int = 0
    duplicates: dict[str, list[str]] = field(default_factory=dict)
    out_path: str = ""
    csv_path: str = ""
    seconds: float = 0.0
    jobs: int = 1
    shard: tuple[int, int] | None = None

    @property
    def ok(self) -> int:
        return self.by_status.get("ok", 0)

    @property
    def invalid(self) -> int:
        return self.by_status.get("invalid", 0)

    @property
    def out_of_scope(self) -> int:
        return self.by_status.get("out_of_scope", 0)

    def to_dict(self) -> dict[str, Any]:
        return {
            "total": self.total, "ok": self.ok, "invalid": self.invalid, "out_of_scope": self.out_of_scope,
            "resumed": self.resumed, "processed": self.processed, "unprocessable": self.unprocessable,
            "duplicates": self.duplicates, "out": self.out_path, "csv": self.csv_path,
            "seconds": round(self.seconds, 3), "jobs": self.jobs,
            "shard": f"{self.shard[0]}/{self.shard[1]}" if self.shard else None,
        }


def csv_path_for(out_path: Path) -> Path:
    """The CSV summary written next to the JSON Lines results (``results.jsonl`` -> ``results.csv``)."""
    return out_path.with_suffix(".csv") if out_path.suffix.lower() != ".csv" else out_path.with_suffix(".summary.csv")


def _csv_row(data: dict) -> list:
    cls = data.get("classification") or {}
    options = data.get("options") or []
    return [csv_cell(v) for v in (
        data.get("input", ""), data.get("patient") or "", data.get("status", ""),
        cls.get("subtype") or "", cls.get("her2_category") or "",
        "" if cls.get("line") is None else cls.get("line"), len(options),
        options[0]["id"] if options else "",
        ";".join(a["code"] for a in data.get("advice") or []),
        ";".join(w["code"] for w in data.get("warnings") or []),
    )]


# -- the work done in a worker (or in the parent with --jobs 1) --------------------------------

_ENGINE: Any = None
_JURISDICTION: str | None = None


def _die_with_parent() -> None:
    """A worker never outlives the batch that started it: the kernel kills it when the parent dies
    (Linux ``PR_SET_PDEATHSIG``), and a watchdog thread exits when the parent is gone elsewhere."""
    import threading

    parent = os.getppid()
    try:
        import ctypes
        import signal

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the watchdog alone
        pass
    if os.getppid() != parent:  # the parent died before the signal was armed
        os._exit(1)

    def watch() -> None:
        while True:
            time.sleep(1.0)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="her2neg-parent-watchdog", daemon=True).start()


def _init_worker(jurisdiction: str | None) -> None:
    global _ENGINE, _JURISDICTION
    _die_with_parent()
    import reasoner

    _ENGINE = reasoner.KnowledgeBase.load().engine
    _JURISDICTION = jurisdiction


def _unprocessable(engine: Any, raw: Any, message: str, jurisdiction: str | None) -> Any:
    from reasoner.engine import _text_id
    from reasoner.result.model import Result, ValidationEntry

    pid = _text_id(raw)
    return Result(
        patient=pid, status="invalid", knowledge_base=engine._kb_info(()),
        classification={"subtype": None, "her2_category": None, "er_low": None, "line": None,
                        "endocrine_resistance": None, "visceral_crisis": None},
        validation=(ValidationEntry("violation", "", message),), jurisdiction=jurisdiction,
    )


def process_chunk(chunk: list[tuple[str, Any]], engine: Any = None,
                  jurisdiction: str | None = None) -> list[tuple[str, str, bool]]:
    """``(json_line, status, unprocessable)`` for each ``(key, record)`` of the chunk, in order."""
    if engine is None:
        engine, jurisdiction = _ENGINE, _JURISDICTION
    results: list[Any] = [None] * len(chunk)
    failed = [False] * len(chunk)
    runnable = []
    for i, (_, raw) in enumerate(chunk):
        if isinstance(raw, Unreadable):
            results[i] = _unprocessable(engine, None, f"the record could not be read: {raw.message}",
                                        jurisdiction)
            failed[i] = True
        else:
            runnable.append(i)
    try:
        for i, result in zip(runnable, engine.run([chunk[i][1] for i in runnable], jurisdiction=jurisdiction),
                             strict=True):
            results[i] = result
    except Exception:  # noqa: BLE001 - isolate the record that breaks the engine
        for i in runnable:
            try:
                results[i] = engine.run([chunk[i][1]], jurisdiction=jurisdiction)[0]
            except Exception as exc:  # noqa: BLE001
                results[i] = _unprocessable(
                    engine, chunk[i][1],
                    f"the record could not be processed (internal error {type(exc).__name__}: {exc}); "
                    "please report it", jurisdiction)
                failed[i] = True
    out = []
    for (key, raw), result, bad in zip(chunk, results, failed, strict=True):
        data = result.to_dict()
        data["input"] = key
        data["input_sha256"] = record_hash(raw)
        # text-safe JSON: a lone surrogate or a control character in a key cannot break the line
        out.append((json_dumps(data), result.status, bad))
    return out


# -- the parent ---------------------------------------------------------------------------------


def _parse_shard(shard: str | tuple[int, int] | None) -> tuple[int, int] | None:
    if shard is None:
        return None
    if isinstance(shard, str):
        try:
            i, n = (int(x) for x in shard.split("/"))
        except ValueError:
            raise BatchError(f"bad shard {shard!r}", hint="use i/n, for example 1/4") from None
    else:
        i, n = shard
    if not (n >= 1 and 1 <= i <= n):
        raise BatchError(f"bad shard {i}/{n}", hint="i runs from 1 to n")
    return i, n


def _chunks(items: Iterator[tuple[str, Any]], size: int) -> Iterator[list[tuple[str, Any]]]:
    chunk: list[tuple[str, Any]] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _resume_prefix(out_path: Path, items: Iterator[tuple[str, Any]],
                   keep: Callable[[dict], None]) -> tuple[int, Iterator[tuple[str, Any]]]:
    """Keep the complete result lines already written, streamed (memory independent of the file).

    Each line must name the next input record (``input``) and carry its content hash
    (``input_sha256``): from the first line whose record changed (or that has no hash), the rest of
    the file is cut and those records are done again. A line for another input is refused; a partial
    last line (a run killed mid-write) is cut. Returns the number of lines kept and the records
    still to do.
    """
    kept = 0
    end = 0
    with out_path.open("rb") as fh:
        while True:
            line = fh.readline()
            if not line.endswith(b"\n"):
                break  # end of file, or a partial last line
            try:
                row = json.loads(line)
            except ValueError:
                raise BatchError("the results file holds a line that is not JSON; cannot resume",
                                 where=f"{out_path}:{kept + 1}", hint="run again without --resume") from None
            expected = next(items, None)
            if expected is None or not isinstance(row, dict) or row.get("input") != expected[0]:
                raise BatchError(
                    f"result line {kept + 1} is for input {row.get('input') if isinstance(row, dict) else row!r} "
                    f"but the input has {expected[0] if expected else 'no more records'!r} there; cannot resume",
                    where=str(out_path), hint="resume with the same input, --shard and --out, or start again")
            if row.get("input_sha256") != record_hash(expected[1]):
                # the record changed since the line was written: redo it and everything after it
                items = _prepend(expected, items)
                break
            keep({k: row.get(k) for k in ("input", "patient", "status", "classification",
                                          "options", "advice", "warnings", "validation")})
            kept += 1
            end += len(line)
    if end != out_path.stat().st_size:
        with out_path.open("r+b") as fh:
            fh.truncate(end)
    return kept, items


def _prepend(first: tuple[str, Any], rest: Iterator[tuple[str, Any]]) -> Iterator[tuple[str, Any]]:
    yield first
    yield from rest


def run_batch(
    inputs: Path | str | Iterable[Path | str],
    out_path: Path | str,
    *,
    resume: bool = False,
    jobs: int | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    jurisdiction: str | None = None,
    progress: bool = True,
    shard: str | tuple[int, int] | None = None,
    on_chunk: Callable[[int], None] | None = None,
) -> BatchSummary:
    """Reason over every record of ``inputs``; one JSON line per record in ``out_path``, plus a CSV.

    ``jobs``: worker processes (default ``os.cpu_count()``; 1 runs in this process). ``shard``
    ``"i/n"`` keeps records ``i, i+n, i+2n, ...`` (1-based), so ``n`` machines can share a cohort;
    :func:`merge_shards` interleaves their outputs back into input order. ``resume`` keeps the
    complete lines of an interrupted run (after checking their input keys) and continues.
    """
    started = time.perf_counter()
    out_path = Path(out_path)
    csv_path = csv_path_for(out_path)
    if chunk_size < 1:
        raise BatchError("the chunk size must be at least 1")
    if jurisdiction is not None:  # the codes the knowledge base defines (h2n:Jurisdiction)
        from reasoner.kb import KnowledgeBase

        jurisdiction = KnowledgeBase.default().jurisdiction(jurisdiction)
    jobs = max(1, jobs or os.cpu_count() or 1)
    shard_t = _parse_shard(shard)
    summary = BatchSummary(out_path=str(out_path), csv_path=str(csv_path), jobs=jobs, shard=shard_t)

    items: Iterator[tuple[str, Any]] = iter_inputs(inputs)
    if shard_t is not None:
        i, n = shard_t
        items = (item for k, item in enumerate(items) if k % n == i - 1)
    total = count_inputs(inputs)
    if total is not None and shard_t is not None:
        total = len(range(shard_t[0] - 1, total, shard_t[1]))

    ids: dict[str, list[str]] = {}

    def note(key: str, raw: Any) -> Any:
        pid = raw.get("id") if isinstance(raw, dict) else None
        if isinstance(pid, str):
            ids.setdefault(pid, []).append(key)
        return raw

    _check_out_is_not_input(inputs, out_path, csv_path)
    try:
        out_path.parent.mkdir(parents=True, exist_ok=True)
        with _Lock(out_path):
            _write_all(out_path, csv_path, items, resume, summary, ids, note, total, progress,
                       jobs, jurisdiction, chunk_size, on_chunk)
    except OSError as exc:
        raise OutputError(f"the results cannot be written: {exc.strerror or exc}",
                          where=str(exc.filename or out_path),
                          hint="check the disk space, the permissions and that --out is a file") from None

    summary.total = sum(summary.by_status.values())
    summary.duplicates = {pid: keys for pid, keys in ids.items() if len(keys) > 1}
    summary.seconds = time.perf_counter() - started
    return summary


def _write_all(out_path, csv_path, items, resume, summary, ids, note, total, progress, jobs, jurisdiction,
               chunk_size, on_chunk) -> None:
    with csv_path.open("w", newline="", encoding="utf-8") as csv_file:
        writer = csv.writer(csv_file)
        writer.writerow(CSV_COLUMNS)

        def keep(row: dict) -> None:
            summary.by_status[row.get("status")] += 1
            if row.get("patient"):
                ids.setdefault(row["patient"], []).append(row["input"])
            if any("could not be" in (v.get("message") or "") and v.get("path") == ""
                   for v in row.get("validation") or []):
                summary.unprocessable += 1
            writer.writerow(_csv_row(row))

        kept = 0
        if resume and out_path.exists():
            kept, items = _resume_prefix(out_path, items, keep)
        summary.resumed = kept
        with out_path.open("ab" if kept else "wb") as out:
            _write_new(out, writer, items, summary, note, total, progress, kept, jobs, jurisdiction,
                       chunk_size, on_chunk)


def _write_new(out, writer, items, summary, note, total, progress, kept, jobs, jurisdiction, chunk_size,
               on_chunk) -> None:
    def write(lines: list[tuple[str, str, bool]]) -> None:
        buf = io.StringIO()
        for text, status, bad in lines:
            buf.write(text)
            buf.write("\n")
            summary.by_status[status] += 1
            summary.processed += 1
            summary.unprocessable += bad
            writer.writerow(_csv_row(json.loads(text)))
        out.write(buf.getvalue().encode("utf-8"))
        out.flush()
        if on_chunk:
            on_chunk(len(lines))

    chunks = _chunks(((k, note(k, r)) for k, r in items), chunk_size)
    with _progress(progress, total, kept) as advance:
        def write_and_advance(lines):
            write(lines)
            advance(len(lines))

        if jobs == 1:
            _run_serial(chunks, jurisdiction, write_and_advance)
        else:
            _run_parallel(chunks, jobs, jurisdiction, write_and_advance)


class _progress:
    def __init__(self, enabled: bool, total: int | None, done: int):
        self.enabled, self.total, self.done = enabled, total, done
        self._bar = None

    def __enter__(self):
        if not self.enabled:
            return lambda n: None
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self._bar = Progress(TextColumn("reasoning"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                             TimeRemainingColumn(), transient=False)
        self._bar.start()
        task = self._bar.add_task("records", total=self.total, completed=self.done)
        return lambda n: self._bar.advance(task, n)

    def __exit__(self, *exc):
        if self._bar is not None:
            self._bar.stop()
        return False


def _local_engine(cache: dict) -> Any:
    if "engine" not in cache:
        import reasoner

        cache["engine"] = reasoner.KnowledgeBase.load().engine
    return cache["engine"]


def _run_serial(chunks, jurisdiction, write) -> None:
    cache: dict = {}
    for chunk in chunks:
        write(process_chunk(chunk, _local_engine(cache), jurisdiction))


def _run_parallel(chunks, jobs: int, jurisdiction, write) -> None:
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    cache: dict = {}
    # fork where there is one: no re-import of the caller's main module, workers start in ms; the
    # parent holds no store (each worker loads its own knowledge base in _init_worker)
    context = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
    executor = ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=_init_worker,
                                   initargs=(jurisdiction,))
    pending: deque = deque()
    try:
        def collect(chunk, future) -> None:
            nonlocal executor
            try:
                lines = future.result()
            except BrokenProcessPool:
                # a worker died (out of memory, a crash in native code): redo this chunk here,
                # record by record, and start a fresh pool for the rest
                lines = process_chunk(chunk, _local_engine(cache), jurisdiction)
            write(lines)

        for chunk in chunks:
            try:
                future = executor.submit(process_chunk, chunk)
            except BrokenProcessPool:
                executor.shutdown(wait=False, cancel_futures=True)
                executor = ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=_init_worker,
                                               initargs=(jurisdiction,))
                future = executor.submit(process_chunk, chunk)
            pending.append((chunk, future))
            while len(pending) >= 2 * jobs:
                collect(*pending.popleft())
        while pending:
            collect(*pending.popleft())
    except BaseException:
        # interrupted (Ctrl-C, SIGTERM, an output error): stop the workers now, do not wait for them
        for process in list((getattr(executor, "_processes", None) or {}).values()):
            process.kill()
        executor.shutdown(wait=False, cancel_futures=True)
        raise
    finally:
        executor.shutdown(wait=True, cancel_futures=True)


def merge_shards(shard_outputs: list[Path | str], out_path: Path | str) -> int:
    """Interleave the JSON Lines of ``--shard 1/n`` .. ``n/n`` runs back into input order.

    ``shard_outputs`` in shard order. Returns the number of lines written; writes the CSV next to it.
    """
    out_path = Path(out_path)
    handles = [Path(p).open("rb") for p in shard_outputs]
    written = 0
    try:
        with out_path.open("wb") as out, csv_path_for(out_path).open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(CSV_COLUMNS)
            live = list(handles)
            while live:
                for h in list(live):
                    line = h.readline()
                    if not line:
                        live.remove(h)
                        continue
                    out.write(line if line.endswith(b"\n") else line + b"\n")
                    writer.writerow(_csv_row(json.loads(line)))
                    written += 1
                # a shard that ran out early must be the last ones (i > total mod n); stop there
                if len(live) < len(handles):
                    for h in live:
                        rest = h.readline()
                        if rest:
                            raise InputError("the shard outputs do not interleave: a shard has too many lines",
                                             hint="merge the complete outputs of --shard 1/n .. n/n, in order")
                    break
    finally:
        for h in handles:
            h.close()
    return written
