"""One patient at a time: warm ``recommend``, knowledge-base load, and cold CLI start.

    python benchmarks/bench_recommend.py            # 200 patients warm, 5 cold CLI starts

- warm: ``kb.recommend(record)`` for 200 seeded synthetic patients after one warm-up call;
  median and p95 in ms;
- KB load: ``KnowledgeBase.load()`` (parse every module into pyoxigraph, read the metadata),
  median of 5;
- cold CLI: ``python -m reasoner recommend examples/patients/hr-first-line-postmenopausal.json``
  in a subprocess, start to exit (first answer printed), median of 5, wall and CPU (user+system
  of the subprocess: the figure that survives a loaded machine).
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(n: int = 200, cold: int = 5) -> None:
    sys.path.insert(0, str(ROOT))
    import reasoner
    from reasoner.cohort.synthetic import generate

    loads = []
    for _ in range(5):
        t = time.perf_counter()
        kb = reasoner.KnowledgeBase.load()
        loads.append(time.perf_counter() - t)
    records = list(generate(n, seed=5))
    kb.recommend(records[0])
    times, cpu = [], []
    for record in records:
        t, c = time.perf_counter(), time.process_time()
        kb.recommend(record)
        times.append(1000 * (time.perf_counter() - t))
        cpu.append(1000 * (time.process_time() - c))
    times.sort()
    print(f"warm recommend, {n} patients: median {statistics.median(times):.1f} ms, "
          f"p95 {times[int(0.95 * len(times)) - 1]:.1f} ms, max {times[-1]:.1f} ms; "
          f"CPU median {statistics.median(cpu):.1f} ms (load average {os.getloadavg()[0]:.1f})")
    print(f"knowledge-base load: median {statistics.median(loads):.2f} s")
    example = ROOT / "examples/patients/hr-first-line-postmenopausal.json"
    colds, cold_cpu = [], []
    for _ in range(cold):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "reasoner", "recommend", str(example)], cwd=ROOT,
                       capture_output=True, check=True)
        colds.append(time.perf_counter() - t)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cold_cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    print(f"cold CLI start to first answer: median {statistics.median(colds):.2f} s wall, "
          f"{statistics.median(cold_cpu):.2f} s CPU over {cold} runs (load average {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
