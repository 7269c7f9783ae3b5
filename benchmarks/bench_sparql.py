"""The SPARQL evaluator against the default (compiled) evaluator, and the same queries on the Oxigraph server.

    python benchmarks/bench_sparql.py                       # 100, 1,000 and 10,000 patients
    python benchmarks/bench_sparql.py --sizes 100 1000 --no-server

For each size N, a seeded synthetic cohort (``reasoner.cohort.synthetic.generate(N, seed=42)``; about
88% of the records valid and in scope) is reasoned over in ONE batch, so every patient of the cohort
is in the store while the queries run: a query whose cost per patient grew with the patients in
the store would show here. Measured in one process, one after the other:

- ``Engine(kb, evaluator="fastpath")`` (the default) and ``Engine(kb, evaluator="sparql")`` (the
  queries of ``queries/eligibility`` and ``queries/warnings`` on the embedded pyoxigraph store):
  ``Engine.run`` end to end per record, and the query step alone (``Engine._query_batch``:
  loading the patient graphs and running the queries, or the compiled evaluation) per patient;
  both must give the same results (checked).
- The Oxigraph server (``oxigraph serve-read-only`` of PyPI ``oxigraph``, as ``her2neg serve``
  runs it) over the knowledge base and the cohort with its results: every query of
  ``queries/eligibility``, ``queries/warnings`` and ``queries/reports`` sent once over HTTP (POST,
  SPARQL JSON results parsed), time per patient per query and in total.

Wall time AND CPU time (``time.process_time``: this process; the Oxigraph server's CPU is read from
/proc for the server part) are reported, with the load average before and after each size: on a
shared machine the CPU figures are the ones that survive the load. Each size is reasoned over in a
fresh subprocess (``--in-process`` to skip), so sizes do not share caches or memory.

Prints Markdown tables (paste into benchmarks/README.md).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

REPORT_BINDINGS = {"patients-eligible-for-drug": {"drug": "https://w3id.org/her2neg/kb/drug-letrozole"}}


def _timed_engine(kb, evaluator: str):
    from reasoner.engine import Engine

    engine = Engine(kb, evaluator=evaluator)
    spent = {"query": 0.0, "query_cpu": 0.0}
    inner = engine._query_batch

    def timed(prepared, graphs):
        started, cpu = time.perf_counter(), time.process_time()
        try:
            return inner(prepared, graphs)
        finally:
            spent["query"] += time.perf_counter() - started
            spent["query_cpu"] += time.process_time() - cpu

    engine._query_batch = timed
    return engine, spent


def run_engines(kb, records) -> dict:
    out = {}
    results = {}
    for evaluator in ("fastpath", "sparql"):
        engine, spent = _timed_engine(kb, evaluator)
        started, cpu = time.perf_counter(), time.process_time()
        res = engine.run(records)
        total, total_cpu = time.perf_counter() - started, time.process_time() - cpu
        ok = sum(1 for r in res if str(r.status) == "ok")
        out[evaluator] = {"total": total, "total_cpu": total_cpu, "ok": ok, **spent}
        results[evaluator] = [r.to_dict() for r in res]
    out["same"] = results["fastpath"] == results["sparql"]
    return out


def _cpu_of(pid: int) -> float:
    """User + system CPU seconds of a process (Linux /proc; 0.0 where it cannot be read)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def _load() -> float:
    try:
        return os.getloadavg()[0]
    except OSError:
        return float("nan")


def run_server(kb, records) -> dict:
    from reasoner.query.catalog import catalog
    from reasoner.query.endpoint import SparqlEndpointBackend
    from reasoner.serve import PATIENTS_GRAPH, export_store, free_port, start_server

    with tempfile.TemporaryDirectory(prefix="bench-sparql-") as tmp:
        export_store(Path(tmp) / "store", records, kb=kb)
        port = free_port()
        # a benchmark, not a public endpoint: no time limit, and room for the 10,000-patient answers
        # (criterion-status is ~0.5 GB of SPARQL JSON there)
        proc = start_server(Path(tmp) / "store", port=port, timeout=None, max_result_bytes=8 * 1024**3,
                            max_memory=None)
        server_pid = getattr(proc, "child", proc).pid
        try:
            backend = SparqlEndpointBackend(f"http://127.0.0.1:{port}/query", timeout=3600)
            timings = {}
            for name, query in catalog().items():
                if query.kind not in ("eligibility", "warnings", "reports"):
                    continue
                started, cpu = time.perf_counter(), _cpu_of(server_pid)
                rows = backend.select(query.text, graphs=[PATIENTS_GRAPH], bindings=REPORT_BINDINGS.get(name))
                timings[name] = (time.perf_counter() - started, _cpu_of(server_pid) - cpu, len(rows))
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    return timings


def measure(n: int, seed: int, server: bool) -> dict:
    """Every figure for one size, in this process."""
    import reasoner
    from reasoner.cohort.synthetic import generate

    kb = reasoner.KnowledgeBase.load()
    records = list(generate(n, seed=seed))
    load_before = _load()
    e = run_engines(kb, records)
    out = {"n": n, "ok": e["fastpath"]["ok"], "engines": e, "load": [load_before, _load()]}
    print(f"# N={n}: engines done (same results: {e['same']})", file=sys.stderr, flush=True)
    if server:
        out["server"] = run_server(kb, records)
        out["load"].append(_load())
        print(f"# N={n}: server done", file=sys.stderr, flush=True)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 10000])
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--no-server", action="store_true", help="skip the Oxigraph server part")
    parser.add_argument("--in-process", action="store_true", help="measure every size in this process")
    parser.add_argument("--json", help=argparse.SUPPRESS)  # internal: one size, figures as JSON to this file
    args = parser.parse_args(argv)

    if args.json:
        Path(args.json).write_text(json.dumps(measure(args.sizes[0], args.seed, not args.no_server)))
        return
    runs = []
    for n in args.sizes:
        if args.in_process:
            runs.append(measure(n, args.seed, not args.no_server))
            continue
        with tempfile.TemporaryDirectory(prefix="bench-sparql-size-") as tmp:
            target = Path(tmp) / "figures.json"
            cmd = [sys.executable, str(Path(__file__).resolve()), "--sizes", str(n), "--seed", str(args.seed),
                   "--json", str(target)] + (["--no-server"] if args.no_server else [])
            subprocess.run(cmd, check=True)
            runs.append(json.loads(target.read_text()))

    print("| N records (patients reasoned over) | default: run ms/record (CPU) | SPARQL: run ms/record (CPU) | "
          "default: query step ms/patient (CPU) | SPARQL: query step ms/patient (CPU) | ratio query step, CPU (wall) | "
          "same results | load average before/after |")
    print("|---|---|---|---|---|---|---|---|")
    for r in runs:
        n, ok, e = r["n"], r["ok"], r["engines"]
        f, s = e["fastpath"], e["sparql"]
        print(f"| {n:,} ({ok:,}) | {1000 * f['total'] / n:.2f} ({1000 * f['total_cpu'] / n:.2f}) | "
              f"{1000 * s['total'] / n:.2f} ({1000 * s['total_cpu'] / n:.2f}) | "
              f"{1000 * f['query'] / ok:.2f} ({1000 * f['query_cpu'] / ok:.2f}) | "
              f"{1000 * s['query'] / ok:.2f} ({1000 * s['query_cpu'] / ok:.2f}) | "
              f"{s['query_cpu'] / f['query_cpu']:.1f}x ({s['query'] / f['query']:.1f}x) | {e['same']} | "
              + " / ".join(f"{x:.1f}" for x in r["load"][:2]) + " |")
    served = [r for r in runs if "server" in r]
    if served:
        names = list(served[0]["server"])
        print()
        print("| query on the Oxigraph server: ms/patient wall (server CPU); rows | "
              + " | ".join(f"N={r['n']:,}" for r in served) + " |")
        print("|---|" + "---|" * len(served))
        for name in names:
            cells = []
            for r in served:
                wall, cpu, rows = r["server"][name]
                cells.append(f"{1000 * wall / r['ok']:.3f} ({1000 * cpu / r['ok']:.2f}); {rows:,}")
            print(f"| {name} | " + " | ".join(cells) + " |")
        totals = []
        for r in served:
            wall = sum(v[0] for v in r["server"].values())
            cpu = sum(v[1] for v in r["server"].values())
            totals.append(f"{1000 * wall / r['ok']:.2f} ({1000 * cpu / r['ok']:.2f})")
        print("| **all of them** | " + " | ".join(totals) + " |")
        print("| load average during the server part | "
              + " | ".join(f"{r['load'][1]:.1f} / {r['load'][2]:.1f}" for r in served) + " |")


if __name__ == "__main__":
    main()
