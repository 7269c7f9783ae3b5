"""CPU per record of the validation step alone, as a batch worker runs it.

    python benchmarks/bench_validation_step.py                  # 2,000 records, best of 5
    python benchmarks/bench_validation_step.py --n 1000 --repeat 3 --profile 25

The first ``--n`` records of the seed-42 synthetic cohort (the one ``bench_worker.py`` and
``bench_cohort.py`` use) go through ``reasoner.validation.validate_records`` in chunks of 100
(structure checks, value limits, patient graph, compiled SHACL shapes), after one warm pass,
with a worker's garbage-collector settings (``reasoner.runtime.tune_gc_for_reasoning``).
Each figure is the best of ``--repeat`` passes of CPU time (``time.process_time``); on a shared
machine run it from each checkout alternately and compare minima. ``--profile N`` then prints
the N most expensive functions (cumulative) of one more pass under cProfile (inflated).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--profile", type=int, default=0, metavar="N")
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    from reasoner.cohort.synthetic import generate
    from reasoner.terminology import Vocabulary
    from reasoner.validation import validate_records

    records = list(generate(args.n, seed=42))
    catalog = Vocabulary.default()
    today = date(2026, 12, 3)
    chunks = [records[i:i + 100] for i in range(0, args.n, 100)]

    def run() -> None:
        for chunk in chunks:
            validate_records(chunk, catalog=catalog, today=today)

    run()  # warm: compiled shapes, caches
    from reasoner.runtime import tune_gc_for_reasoning

    tune_gc_for_reasoning()  # as a batch worker does after loading the knowledge base
    best = float("inf")
    for _ in range(args.repeat):
        t = time.process_time()
        run()
        best = min(best, time.process_time() - t)
    print(f"validate_records, {args.n} records in chunks of 100: {1000 * best / args.n:.3f} ms CPU/record "
          f"(best of {args.repeat}; load average {os.getloadavg()[0]:.1f})")
    if args.profile:
        import cProfile
        import pstats

        prof = cProfile.Profile()
        prof.enable()
        run()
        prof.disable()
        pstats.Stats(prof).sort_stats("cumulative").print_stats(args.profile)


if __name__ == "__main__":
    main()
