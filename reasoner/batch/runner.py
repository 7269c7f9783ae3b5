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
import json
import os
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from reasoner.errors import InputError, OutputError, ReasonerError
from reasoner.ingest.reader import Unreadable, count_inputs, iter_inputs
from reasoner.runtime import restore_gc, tune_gc_for_reasoning
from reasoner.textsafe import csv_cell, json_dumps

__all__ = ["BatchSummary", "BatchError", "run_batch", "csv_path_for", "merge_shards", "CSV_COLUMNS",
           "DEFAULT_CHUNK_SIZE", "OUTPUT_FORMATS", "output_format_for", "process_chunk", "result_line"]

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
    from reasoner.ingest.reader import RECORD_SUFFIXES, record_files

    paths = [Path(inputs)] if isinstance(inputs, str | Path) else [Path(p) for p in inputs]
    for path in paths:
        if not path.exists():
            continue
        for target, what in ((out_path, "--out"), (csv_path, "the CSV summary of --out")):
            candidates = record_files(path) if path.is_dir() else [path]
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
_SPOOL: str | None = None  # a worker's spool folder (JSON Lines chunks go through files, not pipes)


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


def _init_worker(jurisdiction: str | None, spool: str | None = None) -> None:
    global _ENGINE, _JURISDICTION, _SPOOL
    _die_with_parent()
    import reasoner

    _ENGINE = reasoner.KnowledgeBase.load().engine
    _JURISDICTION = jurisdiction
    _SPOOL = spool
    tune_gc_for_reasoning()  # a worker process of its own: nothing else lives in it


def _unprocessable(engine: Any, raw: Any, message: str, jurisdiction: str | None) -> Any:
    from reasoner.engine import _text_id
    from reasoner.result.model import Result, ValidationEntry

    pid = _text_id(raw)
    return Result(
        patient=pid, status="invalid", knowledge_base=engine.kb_info(),
        classification={"subtype": None, "her2_category": None, "er_low": None, "line": None,
                        "endocrine_resistance": None, "visceral_crisis": None},
        validation=(ValidationEntry("violation", "", message),), jurisdiction=jurisdiction,
    )


def _reason(chunk: list[tuple[str, Any]], engine: Any, jurisdiction: str | None) -> tuple[list[Any], list[bool]]:
    """The results of a chunk (one per record, in order) and which records could not be processed."""
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
    return results, failed


def result_line(key: str, result: Any, raw: Any = None) -> bytes:
    """One JSON Lines line (without the newline): the contract JSON plus ``"input"`` and, given the
    record, ``"input_sha256"`` (its content hash, checked by ``--resume``) as its last keys."""
    body = result.to_json()
    # text-safe JSON for the key: a lone surrogate or a control character cannot break the line
    line = body[:-1] + b',"input":' + json_dumps(key).encode("utf-8")
    if raw is not None:
        line += b',"input_sha256":"' + record_hash(raw).encode("ascii") + b'"'
    return line + b"}"


def process_chunk(chunk: list[tuple[str, Any]], engine: Any = None,
                  jurisdiction: str | None = None) -> list[tuple[bytes, str, bool]]:
    """``(json_line, status, unprocessable)`` for each ``(key, record)`` of the chunk, in order.

    ``json_line`` is UTF-8 bytes (serialised once, here, by orjson).
    """
    if engine is None:
        engine, jurisdiction = _ENGINE, _JURISDICTION
    results, failed = _reason(chunk, engine, jurisdiction)
    return [(result_line(key, result, raw), result.status, bad)
            for (key, raw), result, bad in zip(chunk, results, failed, strict=True)]


def _csv_source(key: str, result: Any) -> dict:
    """The part of a result's JSON that the CSV row reads (built without serialising the rest)."""
    return {
        "input": key, "patient": result.patient, "status": result.status,
        "classification": result.classification,
        "options": [{"id": o.id} for o in result.options],
        "advice": [{"code": a.code} for a in result.advice],
        "warnings": [{"code": w.code} for w in result.warnings],
    }


@dataclass
class _ChunkOut:
    """What a worker sends back for one chunk: the bytes (or Arrow batch) to write and the tally.

    A worker with a spool folder writes the JSON Lines bytes into a file there instead (``spool``,
    ``payload`` None): the parent copies it into the output inside the kernel, so the ~22 KB of
    each result does not go through a pipe, pickling and the parent's memory (measured in
    ``benchmarks/README.md``, "Speed, third pass")."""

    payload: Any
    statuses: list[str]
    bad: list[bool]
    csv_rows: list[list]
    spool: str | None = None

    def __len__(self) -> int:
        return len(self.statuses)


def _process_for_output(chunk: list[tuple[str, Any]], fmt: str, engine: Any = None,
                        jurisdiction: str | None = None) -> _ChunkOut:
    """A chunk reasoned over and serialised in the worker, ready for the parent to write as is."""
    spool = None
    if engine is None:
        engine, jurisdiction, spool = _ENGINE, _JURISDICTION, _SPOOL
    results, failed = _reason(chunk, engine, jurisdiction)
    statuses = [r.status for r in results]
    if fmt == "parquet":
        from reasoner.result.columnar import record_batch, row

        payload = record_batch([row(orjson.loads(r.to_json()), key) for (key, _), r in zip(chunk, results, strict=True)])
        csv_rows: list[list] = []
    else:
        payload = b"".join(result_line(key, r, raw) + b"\n" for (key, raw), r in zip(chunk, results, strict=True))
        csv_rows = [_csv_row(_csv_source(key, r)) for (key, _), r in zip(chunk, results, strict=True)]
        if spool is not None:
            return _ChunkOut(None, statuses, failed, csv_rows, spool=_spool_write(spool, payload))
    return _ChunkOut(payload, statuses, failed, csv_rows)


def _spool_write(folder: str, payload: bytes) -> str:
    """``payload`` written into a new file of the spool folder; its path."""
    import tempfile

    fd, path = tempfile.mkstemp(dir=folder, suffix=".part")
    with os.fdopen(fd, "wb") as fh:
        fh.write(payload)
    return path


def _spool_copy(path: str, out) -> None:
    """Append a spooled chunk to ``out`` (a binary file, flushed first) and remove it: inside the
    kernel (``os.copy_file_range``) where the platform and the file allow it, else by reading it."""
    import shutil

    out.flush()
    try:
        with open(path, "rb") as src:
            left = os.fstat(src.fileno()).st_size
            try:
                while left > 0:
                    copied = os.copy_file_range(src.fileno(), out.fileno(), left)
                    if copied == 0:
                        break
                    left -= copied
            except (AttributeError, OSError):  # no copy_file_range here (or not for this file)
                pass
            if left > 0:
                src.seek(os.fstat(src.fileno()).st_size - left)
                shutil.copyfileobj(src, out, 1 << 20)
    finally:
        os.unlink(path)


class _Spool:
    """The spool folder of a parallel JSON Lines run: ``.<out name>.spool-<pid>`` beside the output
    (the same file system, so that the copy stays in the kernel), removed at the end; folders of
    runs whose process is gone (killed) are removed when the next run starts."""

    def __init__(self, out_path: Path):
        self.out_path = out_path
        self.path: Path | None = None

    def __enter__(self) -> str:
        import shutil

        prefix = f".{self.out_path.name}.spool-"
        for stale in self.out_path.parent.glob(prefix + "*"):
            pid = stale.name[len(prefix):]
            if stale.is_dir() and pid.isdigit() and not _alive(int(pid)):
                shutil.rmtree(stale, ignore_errors=True)
        self.path = self.out_path.parent / f"{prefix}{os.getpid()}"
        self.path.mkdir(mode=0o700, exist_ok=True)
        return str(self.path)

    def __exit__(self, *exc):
        import shutil

        if self.path is not None:
            shutil.rmtree(self.path, ignore_errors=True)
        return False


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


OUTPUT_FORMATS = ("jsonl", "parquet")


def output_format_for(out_path: Path, output_format: str | None = None) -> str:
    """``jsonl`` or ``parquet``: as asked, else from the output's suffix (``.parquet``, ``.pq``)."""
    if output_format is None:
        return "parquet" if out_path.suffix.lower() in (".parquet", ".pq") else "jsonl"
    fmt = output_format.lower().replace("json-lines", "jsonl").replace("ndjson", "jsonl")
    if fmt not in OUTPUT_FORMATS:
        raise BatchError(f"unknown output format {output_format!r}", hint="use jsonl or parquet")
    return fmt


class _JsonlSink:
    """JSON Lines results (bytes from the workers, written as they are) plus the CSV summary.

    With ``resume``, :meth:`resume` keeps the complete, unchanged lines of an interrupted run,
    streamed (:func:`_resume_prefix`), writing their CSV rows as it goes.
    """

    def __init__(self, out_path: Path, csv_path: Path, resume: bool = False,
                 keep: Callable[[dict], None] | None = None):
        self.out_path, self.csv_path, self._resume, self._keep = out_path, csv_path, resume, keep
        self.kept = 0
        self._out = None

    def __enter__(self):
        self._csv_file = self.csv_path.open("w", newline="", encoding="utf-8")
        self._writer = csv.writer(self._csv_file)
        self._writer.writerow(CSV_COLUMNS)
        return self

    def resume(self, items: Iterator[tuple[str, Any]]) -> Iterator[tuple[str, Any]]:
        if self._resume and self.out_path.exists():
            def keep(row: dict) -> None:
                if self._keep:
                    self._keep(row)
                self._writer.writerow(_csv_row(row))

            self.kept, items = _resume_prefix(self.out_path, items, keep)
        self._out = self.out_path.open("ab" if self.kept else "wb")
        return items

    def write(self, out: _ChunkOut) -> None:
        if out.spool is not None:
            _spool_copy(out.spool, self._out)
        else:
            self._out.write(out.payload)
        self._out.flush()
        self._writer.writerows(out.csv_rows)

    def __exit__(self, *exc):
        if self._out is not None:
            self._out.close()
        self._csv_file.close()
        return False


class _ParquetSink:
    """One Parquet file: the workers' Arrow batches gathered into row groups of ``ROW_GROUP`` rows."""

    ROW_GROUP = 4096

    def __init__(self, out_path: Path):
        self.out_path = out_path
        self._pending: list = []
        self._rows = 0

    kept = 0

    def resume(self, items):  # a Parquet file is written whole: nothing to keep
        return items

    def __enter__(self):
        import pyarrow.parquet as pq

        from reasoner.result.columnar import arrow_schema

        # zstd: repeated texts are dictionary-encoded per row group, the rest compresses ~10x
        self._writer = pq.ParquetWriter(self.out_path, arrow_schema(), compression="zstd")
        return self

    def _flush(self) -> None:
        if self._pending:
            import pyarrow as pa

            self._writer.write_table(pa.Table.from_batches(self._pending), row_group_size=max(self._rows, 1))
            self._pending, self._rows = [], 0

    def write(self, out: _ChunkOut) -> None:
        self._pending.append(out.payload)
        self._rows += len(out)
        if self._rows >= self.ROW_GROUP:
            self._flush()

    def __exit__(self, *exc):
        try:
            self._flush()
        finally:
            self._writer.close()
        return False


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
    output_format: str | None = None,
) -> BatchSummary:
    """Reason over every record of ``inputs``; one JSON line per record in ``out_path``, plus a CSV.

    ``jobs``: worker processes (default ``os.cpu_count()``; 1 runs in this process). ``shard``
    ``"i/n"`` keeps records ``i, i+n, i+2n, ...`` (1-based), so ``n`` machines can share a cohort;
    :func:`merge_shards` interleaves their outputs back into input order. ``resume`` keeps the
    complete lines of an interrupted run (after checking their input keys) and continues.
    ``output_format``: ``"jsonl"`` or ``"parquet"`` (one typed row per record, the schema of
    :mod:`reasoner.result.columnar`; needs pyarrow; no CSV beside it, no resume); by default
    ``.parquet``/``.pq`` outputs are Parquet and anything else JSON Lines.
    """
    started = time.perf_counter()
    out_path = Path(out_path)
    fmt = output_format_for(out_path, output_format)
    csv_path = csv_path_for(out_path)
    if chunk_size < 1:
        raise BatchError("the chunk size must be at least 1")
    if jurisdiction is not None:  # the codes the knowledge base defines (h2n:Jurisdiction)
        from reasoner.kb import KnowledgeBase

        jurisdiction = KnowledgeBase.default().jurisdiction(jurisdiction)
    jobs = max(1, jobs or os.cpu_count() or 1)
    shard_t = _parse_shard(shard)
    if fmt == "parquet":
        from reasoner.result.columnar import require_pyarrow

        require_pyarrow()
        if resume:
            raise BatchError("--resume needs JSON Lines output (a Parquet file is written whole)",
                             hint="write results.jsonl to resume, or run again without --resume")
    summary = BatchSummary(out_path=str(out_path), csv_path=str(csv_path) if fmt == "jsonl" else "",
                           jobs=jobs, shard=shard_t)

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
            _run_to_sink(out_path, csv_path, fmt, items, resume, summary, ids, note, total, progress, jobs,
                         jurisdiction, chunk_size, on_chunk)
    except OSError as exc:
        raise OutputError(f"the results cannot be written: {exc.strerror or exc}",
                          where=str(exc.filename or out_path),
                          hint="check the disk space, the permissions and that --out is a file") from None

    summary.total = sum(summary.by_status.values())
    summary.duplicates = {pid: keys for pid, keys in ids.items() if len(keys) > 1}
    summary.seconds = time.perf_counter() - started
    return summary


def _run_to_sink(out_path, csv_path, fmt, items, resume, summary, ids, note, total, progress, jobs,
                 jurisdiction, chunk_size, on_chunk) -> None:
    def keep(row: dict) -> None:  # a line kept from the interrupted run
        summary.by_status[row.get("status")] += 1
        if row.get("patient"):
            ids.setdefault(row["patient"], []).append(row["input"])
        if any("could not be" in (v.get("message") or "") and v.get("path") == ""
               for v in row.get("validation") or []):
            summary.unprocessable += 1

    sink = _ParquetSink(out_path) if fmt == "parquet" else _JsonlSink(out_path, csv_path, resume, keep)
    with sink:
        items = sink.resume(items)
        summary.resumed = sink.kept

        def write(out: _ChunkOut) -> None:
            sink.write(out)
            for status, bad in zip(out.statuses, out.bad, strict=True):
                summary.by_status[status] += 1
                summary.processed += 1
                summary.unprocessable += bad
            if on_chunk:
                on_chunk(len(out))

        chunks = _chunks(((k, note(k, r)) for k, r in items), chunk_size)
        with _progress(progress, total, sink.kept) as advance:
            def write_and_advance(out: _ChunkOut) -> None:
                write(out)
                advance(len(out))

            if jobs == 1:
                _run_serial(chunks, fmt, jurisdiction, write_and_advance)
            else:
                import contextlib

                # JSON Lines chunks come back through files of a spool folder beside the output
                with _Spool(out_path) if fmt == "jsonl" else contextlib.nullcontext() as spool:
                    _run_parallel(chunks, fmt, jobs, jurisdiction, write_and_advance, spool)


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


def _run_serial(chunks, fmt: str, jurisdiction, write) -> None:
    cache: dict = {}
    previous = None
    try:
        for chunk in chunks:
            engine = _local_engine(cache)
            if previous is None:  # the caller's process: tuned for the run, restored after it
                previous = tune_gc_for_reasoning()
            write(_process_for_output(chunk, fmt, engine, jurisdiction))
    finally:
        if previous is not None:
            restore_gc(previous)


def _run_parallel(chunks, fmt: str, jobs: int, jurisdiction, write, spool: str | None = None) -> None:
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    cache: dict = {}
    # fork where there is one: no re-import of the caller's main module, workers start in ms; the
    # parent holds no store (each worker loads its own knowledge base in _init_worker)
    context = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
    executor = ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=_init_worker,
                                   initargs=(jurisdiction, spool))
    pending: deque = deque()
    try:
        def collect(chunk, future) -> None:
            nonlocal executor
            try:
                out = future.result()
            except BrokenProcessPool:
                # a worker died (out of memory, a crash in native code): redo this chunk here,
                # record by record, and start a fresh pool for the rest
                out = _process_for_output(chunk, fmt, _local_engine(cache), jurisdiction)
            write(out)

        for chunk in chunks:
            try:
                future = executor.submit(_process_for_output, chunk, fmt)
            except BrokenProcessPool:
                executor.shutdown(wait=False, cancel_futures=True)
                executor = ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=_init_worker,
                                               initargs=(jurisdiction, spool))
                future = executor.submit(_process_for_output, chunk, fmt)
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
