"""CPU per record of the work one batch worker does, and of a warm single ``recommend``.

    python benchmarks/bench_worker.py                 # 500 records, best of 5
    python benchmarks/bench_worker.py --n 2000 --repeat 3

The first ``--n`` records of the seed-42 synthetic cohort (the one ``bench_cohort.py`` uses) go
through ``reasoner.batch.runner._process_for_output`` in chunks of 100, in this process: batched
validation, inference, the compiled queries, result assembly, the JSON Lines bytes and CSV rows,
exactly what a worker of ``her2neg batch`` does per chunk (no process start, no knowledge-base
load, no parent), with the worker's garbage-collector settings. Then ``kb.recommend`` one record
at a time on the first 100 records.

Each figure is the best of ``--repeat`` passes of CPU time (``time.process_time``): on a shared
machine the minimum is the figure least disturbed by other jobs, and it is comparable between two
checkouts measured one after the other (run this file from each, alternately).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=500)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    import reasoner
    from reasoner.batch.runner import _process_for_output
    from reasoner.cohort.synthetic import generate

    records = list(generate(args.n, seed=42))
    kb = reasoner.KnowledgeBase.load()
    engine = kb.engine
    chunks = [[(str(i + j), r) for j, r in enumerate(records[i:i + 100])] for i in range(0, args.n, 100)]
    for chunk in chunks:  # warm: caches, compiled shapes and queries
        _process_for_output(chunk, "jsonl", engine, None)
    from reasoner.runtime import tune_gc_for_reasoning

    tune_gc_for_reasoning()  # as a batch worker does after loading the knowledge base
    batch = min(_cpu(lambda: [_process_for_output(c, "jsonl", engine, None) for c in chunks])
                for _ in range(args.repeat))
    single = records[:100]
    one = min(_cpu(lambda: [kb.recommend(r) for r in single]) for _ in range(args.repeat))
    print(f"worker path, {args.n} records in chunks of 100: {1000 * batch / args.n:.3f} ms CPU/record; "
          f"warm recommend, one record a call: {1000 * one / len(single):.3f} ms CPU/record "
          f"(best of {args.repeat}; load average {os.getloadavg()[0]:.1f})")


def _cpu(fn) -> float:
    t = time.process_time()
    fn()
    return time.process_time() - t


if __name__ == "__main__":
    main()
