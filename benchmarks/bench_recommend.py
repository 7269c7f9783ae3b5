"""One patient at a time: warm ``recommend``, knowledge-base load, and cold CLI start.

    python benchmarks/bench_recommend.py            # 200 patients warm, 5 cold CLI starts
    python benchmarks/bench_recommend.py --cold-only [--no-cache]   # the cold CLI starts alone

- warm: ``kb.recommend(record)`` for 200 seeded synthetic patients after one warm-up call;
  median and p95 in ms, with Python's default garbage collector and with the settings a
  long-running process uses (``reasoner.runtime.tune_gc_for_reasoning``);
- KB load: ``KnowledgeBase.load()`` from the files (``HER2NEG_NO_CACHE=1``: parse every module
  into pyoxigraph, read the metadata) and from the start-up cache, median of 5 each;
- cold CLI: ``her2neg recommend examples/patients/hr-second-line-pik3ca.json`` (the ``her2neg``
  script found on ``PATH``, as a user runs it, with this checkout first on ``PYTHONPATH``; ``python
  -m reasoner`` when there is no such script) in a subprocess, start to exit (first answer
  printed), median of 5, wall and CPU (user+system of the subprocess: the figure that survives a
  loaded machine). One run first fills the start-up cache (``~/.cache/her2neg``, see
  ``reasoner/cache.py``) as the first run on a machine does; ``--no-cache`` measures with
  ``HER2NEG_NO_CACHE=1``. The line says whether the package's bytecode is cached (a checkout run
  with ``PYTHONDONTWRITEBYTECODE`` set has none: every start compiles its modules again, ~0.1 s).
"""

from __future__ import annotations

import os
import resource
import shutil
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

    loads, fresh_loads = [], []
    for _ in range(5):
        os.environ["HER2NEG_NO_CACHE"] = "1"
        t = time.perf_counter()
        reasoner.KnowledgeBase.load()
        fresh_loads.append(time.perf_counter() - t)
        del os.environ["HER2NEG_NO_CACHE"]
        t = time.perf_counter()
        kb = reasoner.KnowledgeBase.load()
        loads.append(time.perf_counter() - t)
    records = list(generate(n, seed=5))
    kb.recommend(records[0])
    from reasoner.runtime import restore_gc, tune_gc_for_reasoning

    for settings in ("default garbage collector", "server settings (reasoner.runtime, as the CDS Hooks server)"):
        previous = tune_gc_for_reasoning() if settings.startswith("server") else None
        times, cpu = [], []
        for record in records:
            t, c = time.perf_counter(), time.process_time()
            kb.recommend(record)
            times.append(1000 * (time.perf_counter() - t))
            cpu.append(1000 * (time.process_time() - c))
        if previous is not None:
            restore_gc(previous)
        times.sort()
        print(f"warm recommend, {n} patients, {settings}: median {statistics.median(times):.2f} ms, "
              f"p95 {times[int(0.95 * len(times)) - 1]:.2f} ms, max {times[-1]:.1f} ms; "
              f"CPU median {statistics.median(cpu):.2f} ms (load average {os.getloadavg()[0]:.1f})")
    print(f"knowledge-base load: median {statistics.median(fresh_loads):.3f} s from the files, "
          f"{statistics.median(loads):.3f} s from the start-up cache (the store then loads on first use)")
    print(cold_cli(cold))


def cold_cli(runs: int = 5, *, use_cache: bool = True) -> str:
    """Median wall and CPU of ``her2neg recommend`` on one record, each run a fresh process."""
    example = ROOT / "examples/patients/hr-second-line-pik3ca.json"
    script = shutil.which("her2neg")
    command = [script] if script else [sys.executable, "-m", "reasoner"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    if not use_cache:
        env["HER2NEG_NO_CACHE"] = "1"
    subprocess.run([*command, "recommend", str(example)], env=env, capture_output=True, check=True)  # fills the cache
    colds, cold_cpu = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        subprocess.run([*command, "recommend", str(example)], env=env, capture_output=True, check=True)
        colds.append(time.perf_counter() - t)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cold_cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    # Without compiled bytecode of the package (a checkout run with PYTHONDONTWRITEBYTECODE set) every
    # start compiles its modules again: ~0.1 s more.
    bytecode = "cached" if any((ROOT / "reasoner" / "__pycache__").glob("kb.*.pyc")) else "compiled at each start"
    return (f"cold CLI start to first answer ({' '.join(Path(c).name for c in command)}, start-up cache "
            f"{'on' if use_cache else 'off'}, bytecode {bytecode}): median {statistics.median(colds):.2f} s wall, "
            f"{statistics.median(cold_cpu):.2f} s CPU over {runs} runs (load average {os.getloadavg()[0]:.1f})")

if __name__ == "__main__":
    if "--cold-only" in sys.argv[1:]:
        print(cold_cli(5, use_cache="--no-cache" not in sys.argv[1:]))
    else:
        main()
