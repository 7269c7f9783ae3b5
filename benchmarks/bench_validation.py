"""Validation benchmark: one typical patient (warm) and a synthetic cohort.

Compares the fast path (shapes compiled into Python checks) with pySHACL, the reference,
without inference and with RDFS inference. Run from the repository root::

    python benchmarks/bench_validation.py                 # 1,000-patient cohort
    python benchmarks/bench_validation.py --cohort 200 --repeat 30

Prints a Markdown table (milliseconds). Single-patient rows are end-to-end ``validate_record``
calls (structure checks + graph + shapes); cohort rows split the shape evaluation from the
shared structure/graph step.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from reasoner.cohort.synthetic import generate  # noqa: E402
from reasoner.ingest.drugs import DrugCatalog  # noqa: E402
from reasoner.validation import _prepare, validate_record, validate_records  # noqa: E402
from reasoner.validation.fastpath import run_fast  # noqa: E402
from reasoner.validation.reference import run_pyshacl  # noqa: E402

TYPICAL = {
    "id": "bench-1",
    "as_of": "2026-11-01",
    "sex": "female",
    "age": 60,
    "menopausal_status": "postmenopausal",
    "ecog": 1,
    "setting": "metastatic",
    "receptors": {
        "er_percent": 70,
        "pr_percent": 10,
        "her2_ihc": "2+",
        "her2_ish": "not_amplified",
        "specimen": "metastasis",
        "tested_on": "2026-10-01",
    },
    "biomarkers": {"PIK3CA": "not_detected", "ESR1": "not_detected", "gBRCA1": "not_detected"},
    "metastatic": {"diagnosis_date": "2022-01-01", "de_novo": True, "sites": ["bone", "liver"]},
    "therapies": [
        {
            "drugs": ["letrozole", "ribociclib"],
            "setting": "metastatic",
            "start": "2022-01-10",
            "end": "2024-02-01",
            "end_reason": "progression",
            "progression_basis": ["imaging"],
        },
        {
            "drugs": ["paclitaxel"],
            "setting": "metastatic",
            "start": "2024-02-10",
            "end": "2026-09-01",
            "end_reason": "progression",
            "progression_basis": ["imaging"],
        },
    ],
    "labs": {"qtcf_ms": 430, "hba1c_percent": 5.6},
}


def _times(fn, n: int) -> list[float]:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def _row(label: str, ts: list[float]) -> str:
    ts = sorted(ts)
    p95 = ts[min(len(ts) - 1, int(round(0.95 * (len(ts) - 1))))]
    return f"| {label} | {statistics.median(ts):.1f} | {p95:.1f} | {len(ts)} |"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cohort", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=50, help="warm single-patient repetitions (fast path)")
    ap.add_argument("--skip-rdfs", action="store_true", help="skip pySHACL with RDFS inference on the cohort")
    args = ap.parse_args()

    catalog = DrugCatalog.default()
    validate_record(TYPICAL)  # warm: ontology tables, compiled shapes, pySHACL import
    validate_record(TYPICAL, engine="pyshacl")
    print("## One typical patient, warm (ms per validate_record call)\n")
    print("| engine | median | p95 | runs |\n|---|---|---|---|")
    print(_row("fast path (compiled shapes)", _times(lambda: validate_record(TYPICAL), args.repeat)))
    print(_row("pySHACL, no inference", _times(lambda: validate_record(TYPICAL, engine="pyshacl"), 10)))
    prepared = _prepare(TYPICAL, catalog, date.today())
    print(
        _row(
            "pySHACL, RDFS inference (shapes only)",
            _times(lambda: run_pyshacl(prepared.graph.to_graph(), inference="rdfs"), 5),
        )
    )

    cohort = list(generate(args.cohort, seed=0))
    print(f"\n## Cohort of {len(cohort):,} synthetic patients (seconds, one run)\n")
    print("| step | total s | ms / patient |\n|---|---|---|")

    def line(label, seconds):
        print(f"| {label} | {seconds:.2f} | {seconds * 1000 / len(cohort):.2f} |", flush=True)

    t = time.perf_counter()
    outcomes = validate_records(cohort)
    line("fast path, end to end (`validate_records`)", time.perf_counter() - t)
    t = time.perf_counter()
    prepared = [_prepare(r, catalog, date.today()) for r in cohort]
    graphs = [p.graph for p in prepared if p.graph is not None]
    line("structure checks + patient graphs (shared by all engines)", time.perf_counter() - t)
    t = time.perf_counter()
    fast = run_fast(graphs)
    line("shapes: fast path", time.perf_counter() - t)
    import rdflib

    merged = rdflib.Graph()
    for g in graphs:
        merged += g
    t = time.perf_counter()
    ref = run_pyshacl(merged)
    line("shapes: pySHACL, no inference (one validate over the batch)", time.perf_counter() - t)
    if not args.skip_rdfs:
        t = time.perf_counter()
        run_pyshacl(merged, inference="rdfs")
        line("shapes: pySHACL, RDFS inference (one validate over the batch)", time.perf_counter() - t)
    invalid = sum(not o.ok for o in outcomes)
    print(
        f"\nfast path and pySHACL results identical: {fast == ref}; invalid records: {invalid}; "
        f"findings: {sum(len(o.findings) for o in outcomes)}"
    )
    print(json.dumps({"python": sys.version.split()[0]}))


if __name__ == "__main__":
    main()
