"""Process-wide settings for a process that reasons over many records (batch and Spark workers, the
CDS Hooks server): they change no result, only what the process spends its CPU on."""

from __future__ import annotations

import gc

__all__ = ["restore_gc", "tune_gc_for_reasoning"]


def tune_gc_for_reasoning() -> tuple[int, int, int]:
    """Tune the cyclic garbage collector for a process that reasons over many records after loading
    the knowledge base: the objects alive now (the knowledge base, its tables, compiled queries and
    shapes) are frozen out of collection, and the first generation is collected every 50,000
    allocations instead of 700. Each record allocates thousands of short-lived objects; with the
    defaults every few records a collection walked the whole knowledge base (about 15% of a worker's
    CPU; ``benchmarks/README.md``). Nothing else changes: unreachable cycles are still collected.
    Returns the previous thresholds (for :func:`restore_gc`)."""
    previous = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)
    return previous


def restore_gc(previous: tuple[int, int, int]) -> None:
    gc.unfreeze()
    gc.set_threshold(*previous)
