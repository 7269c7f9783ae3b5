"""Cohort scale: reason over thousands of patient records in one run, nothing lost.

    >>> from reasoner.batch import run_batch                      # doctest: +SKIP
    >>> summary = run_batch("cohort.jsonl", "results.jsonl", jobs=2)  # doctest: +SKIP
    >>> summary.total, summary.ok, summary.invalid, summary.out_of_scope  # doctest: +SKIP

Every input record gets exactly one JSON line (the result contract plus ``"input"``, the record's
``file:line``) in input order, and a CSV summary is written next to it. See ``docs/scale-out.md``.
"""

from reasoner.batch.runner import (
    CSV_COLUMNS,
    DEFAULT_CHUNK_SIZE,
    BatchError,
    BatchSummary,
    csv_path_for,
    merge_shards,
    output_format_for,
    process_chunk,
    result_line,
    run_batch,
)
from reasoner.ingest.reader import Unreadable, count_inputs, iter_inputs

__all__ = [
    "CSV_COLUMNS",
    "DEFAULT_CHUNK_SIZE",
    "BatchError",
    "BatchSummary",
    "Unreadable",
    "count_inputs",
    "csv_path_for",
    "iter_inputs",
    "merge_shards",
    "output_format_for",
    "process_chunk",
    "result_line",
    "run_batch",
]
