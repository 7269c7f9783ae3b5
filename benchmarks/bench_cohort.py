"""Cohort throughput: the batch runner on seeded synthetic cohorts, against the naive pipeline.

    python benchmarks/bench_cohort.py                                   # 1k and 10k, JSON Lines and Parquet
    python benchmarks/bench_cohort.py --sizes 1000 10000 100000 1000000 --formats jsonl parquet
    python benchmarks/bench_cohort.py --naive-only --naive 20

For each size N and output format: take the first N records of a seeded synthetic cohort
(``reasoner.cohort.synthetic``, seed 42; record i depends on (seed, i) only, so each size is a
prefix of the largest, generated once into ``--cache``), run ``reasoner.batch.run_batch`` on it
with ``--jobs`` workers (default: the cores this process may use), and report wall time,
records/second, ms/record, and peak resident memory of the parent and of the largest worker
(``resource.getrusage`` ``ru_maxrss``), with the load average before and after (the machine is
shared). Each run is a fresh subprocess so peaks do not carry over; outputs are deleted after.

The naive pipeline is what a user would write with the same libraries, per patient: an rdflib
graph holding the ontology and the patient graph, one pySHACL validation, then the eligibility and
warning queries with rdflib. It runs on a sample of ``--naive`` patients in the same invocation;
the ratio compares the per-patient cost of both.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def cohort_file(cache: Path, n: int, largest: int) -> Path:
    """The first ``n`` records of the seed-42 cohort of ``largest`` records, as JSON Lines."""
    from reasoner.cohort.synthetic import write_jsonl

    cache.mkdir(parents=True, exist_ok=True)
    full = cache / f"cohort-seed42-{largest}.jsonl"
    if not full.exists():
        tmp = full.with_suffix(".part")
        write_jsonl(tmp, largest, seed=42)
        tmp.replace(full)
    if n == largest:
        return full
    part = cache / f"cohort-seed42-{n}.jsonl"
    if not part.exists():
        with full.open("rb") as src, part.with_suffix(".part").open("wb") as dst:
            for _, line in zip(range(n), src, strict=False):
                dst.write(line)
        part.with_suffix(".part").replace(part)
    return part


def one_size(cohort: Path, n: int, fmt: str, jobs: int, chunk: int) -> dict:
    from reasoner.batch import run_batch

    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as tmp:
        out = Path(tmp) / ("results.parquet" if fmt == "parquet" else "results.jsonl")
        started = time.perf_counter()
        summary = run_batch(cohort, out, jobs=jobs, chunk_size=chunk, progress=False)
        seconds = time.perf_counter() - started
        size = out.stat().st_size
    me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    self_rss, child_rss = me.ru_maxrss / 1024, children.ru_maxrss / 1024
    # CPU seconds of the parent (from the start, so KB-free imports included) and of every worker
    cpu = me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime
    return {"cpu_s": round(cpu, 1), "cpu_ms_per_record": round(1000 * cpu / n, 3), "n": n, "format": fmt, "jobs": jobs, "chunk_size": chunk, "seconds": round(seconds, 2),
            "records_per_s": round(n / seconds, 1), "ms_per_record": round(1000 * seconds / n, 3),
            "peak_rss_parent_mb": round(self_rss), "peak_rss_worker_mb": round(child_rss),
            "output_mb": round(size / 1e6, 1), "ok": summary.ok, "invalid": summary.invalid,
            "out_of_scope": summary.out_of_scope, "lines": summary.total,
            "load_before": round(load_before, 1), "load_after": round(os.getloadavg()[0], 1)}


def naive(n: int) -> dict:
    """Per patient: rdflib graph (ontology + patient) + pySHACL + rdflib queries."""
    import rdflib
    from pyshacl import validate

    import reasoner
    from reasoner.cohort.synthetic import generate
    from reasoner.engine import WARNING_QUERIES
    from reasoner.graph import record_to_graph
    from reasoner.inference import infer, inferred_triples
    from reasoner.query.catalog import get_query
    from reasoner.resources import module_paths
    from reasoner.validation import validate_record
    from reasoner.validation.shapes import shapes_graph

    kb = reasoner.KnowledgeBase.load()
    shapes = shapes_graph()
    queries = [get_query(q).text for q in ("rules-in-scope", "criterion-status", "contraindicated-drugs",
                                           *WARNING_QUERIES)]
    files = list(module_paths())
    records = [r for r in generate(n * 3, seed=42)]
    records = [r for r in records if validate_record(r).ok][:n]
    started = time.perf_counter()
    rows = 0
    for record in records:
        g = rdflib.Graph()
        for f in files:
            g.parse(str(f), format="turtle")
        patient = record_to_graph(record)
        g += patient
        validate(patient, shacl_graph=shapes)
        inference = infer(record, kb.drug_classes)
        for t in inferred_triples(next(iter(patient.subjects(rdflib.RDF.type, rdflib.URIRef(
                "https://w3id.org/her2neg/kb/Patient")))), inference):
            g.add(t)
        for q in queries:
            rows += len(list(g.query(q)))
    seconds = time.perf_counter() - started
    return {"naive_n": len(records), "naive_seconds": round(seconds, 2),
            "naive_ms_per_patient": round(1000 * seconds / len(records), 1), "naive_rows": rows}


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="*", default=[1000, 10000])
    ap.add_argument("--formats", nargs="*", default=["jsonl", "parquet"], choices=["jsonl", "parquet"])
    ap.add_argument("--jobs", type=int, default=_cores(), help="worker processes (default: usable cores)")
    ap.add_argument("--chunk-size", type=int, default=None, help="records per chunk (default: the runner's, as the CLI)")
    ap.add_argument("--naive", type=int, default=20)
    ap.add_argument("--naive-only", action="store_true")
    ap.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "her2neg-bench",
                    help="where the generated cohorts are kept between runs")
    ap.add_argument("--one", nargs=3, help=argparse.SUPPRESS)  # internal: cohort n format
    args = ap.parse_args()
    if args.chunk_size is None:  # what `her2neg batch` uses
        sys.path.insert(0, str(ROOT))
        from reasoner.batch.runner import DEFAULT_CHUNK_SIZE

        args.chunk_size = DEFAULT_CHUNK_SIZE
    if args.one:
        path, n, fmt = args.one
        print(json.dumps(one_size(Path(path), int(n), fmt, args.jobs, args.chunk_size)))
        return
    results = []
    if not args.naive_only:
        largest = max(args.sizes)
        for n in args.sizes:
            cohort = cohort_file(args.cache, n, largest)
            for fmt in args.formats:
                proc = subprocess.run([sys.executable, __file__, "--one", str(cohort), str(n), fmt,
                                       "--jobs", str(args.jobs), "--chunk-size", str(args.chunk_size)],
                                      capture_output=True, text=True, cwd=ROOT, check=True)
                results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
                print(json.dumps(results[-1]), flush=True)
    base = naive(args.naive) if args.naive else None
    if base:
        print(json.dumps(base), flush=True)
    print("\n| N | output | wall | records/s | ms/record (wall) | peak RSS parent | peak RSS worker | "
          "output size | CPU ms/record (all processes) | load avg before/after |" + (" vs naive |" if base else ""))
    print("|---|---|---|---|---|---|---|---|---|---|" + ("---|" if base else ""))
    for r in results:
        ratio = f" {base['naive_ms_per_patient'] / r['ms_per_record']:.0f}x |" if base else ""
        print(f"| {r['n']:,} | {r['format']} | {r['seconds']:.1f} s | {r['records_per_s']:,.0f} | "
              f"{r['ms_per_record']:.3f} | {r['peak_rss_parent_mb']} MB | {r['peak_rss_worker_mb']} MB | "
              f"{r['output_mb']:,.1f} MB | {r['cpu_ms_per_record']:.2f} | {r['load_before']} / {r['load_after']} |{ratio}")
    if base:
        print(f"| naive, {base['naive_n']} | - | {base['naive_seconds']:.1f} s | "
              f"{1000 / base['naive_ms_per_patient']:.2f} | {base['naive_ms_per_patient']:,.1f} | | | | | | 1x |")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
