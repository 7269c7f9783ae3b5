"""Cohort throughput: the batch runner on seeded synthetic cohorts, against the naive pipeline.

    python benchmarks/bench_cohort.py                 # 1k and 10k (a few minutes)
    python benchmarks/bench_cohort.py --sizes 1000 10000 100000 --jobs 2
    python benchmarks/bench_cohort.py --naive-only --naive 20

For each size N: generate N records (``reasoner.cohort.synthetic``, seed 42) into a JSON Lines
file, run ``reasoner.batch.run_batch`` on it, and report wall time, patients/second, ms/patient,
and peak resident memory of the parent and of the worker processes (``resource.getrusage``,
``ru_maxrss``). Each size runs in a fresh subprocess so peaks do not carry over.

The naive pipeline is what a user would write with the same libraries, per patient: an rdflib
graph holding the ontology and the patient graph, one pySHACL validation, then the eligibility and
warning queries with rdflib. It runs on a sample of ``--naive`` patients; the ratio compares the
per-patient cost of both.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def one_size(n: int, jobs: int, chunk: int) -> dict:
    from reasoner.batch import run_batch
    from reasoner.cohort.synthetic import write_jsonl

    with tempfile.TemporaryDirectory() as tmp:
        cohort = Path(tmp) / "cohort.jsonl"
        write_jsonl(cohort, n, seed=42)
        started = time.perf_counter()
        summary = run_batch(cohort, Path(tmp) / "results.jsonl", jobs=jobs, chunk_size=chunk, progress=False)
        seconds = time.perf_counter() - started
    self_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"n": n, "jobs": jobs, "chunk_size": chunk, "seconds": round(seconds, 2),
            "patients_per_s": round(n / seconds, 1), "ms_per_patient": round(1000 * seconds / n, 3),
            "peak_rss_parent_mb": round(self_rss), "peak_rss_worker_mb": round(child_rss),
            "ok": summary.ok, "invalid": summary.invalid, "out_of_scope": summary.out_of_scope,
            "lines": summary.total}


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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="*", default=[1000, 10000])
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--chunk-size", type=int, default=50)
    ap.add_argument("--naive", type=int, default=20)
    ap.add_argument("--naive-only", action="store_true")
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)  # internal: run one size and print JSON
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one_size(args.one, args.jobs, args.chunk_size)))
        return
    results = []
    if not args.naive_only:
        for n in args.sizes:
            proc = subprocess.run([sys.executable, __file__, "--one", str(n), "--jobs", str(args.jobs),
                                   "--chunk-size", str(args.chunk_size)], capture_output=True, text=True,
                                  cwd=ROOT, check=True)
            results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
            print(json.dumps(results[-1]), flush=True)
    base = naive(args.naive) if args.naive else None
    if base:
        print(json.dumps(base))
        for r in results:
            print(f"N={r['n']}: {r['ms_per_patient']} ms/patient (wall, {r['jobs']} jobs) vs naive "
                  f"{base['naive_ms_per_patient']} ms/patient: {base['naive_ms_per_patient'] / r['ms_per_patient']:.0f}x")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
