"""Run the real cohorts (TCGA-BRCA, METABRIC) through ``batch`` and print the distribution report.

    python examples/real_data/convert_tcga.py --out /tmp/tcga.jsonl
    python examples/real_data/convert_metabric.py --out /tmp/metabric.jsonl
    python benchmarks/real_cohorts.py /tmp/tcga.jsonl /tmp/metabric.jsonl

For each cohort: records in, result lines out (must be equal), the tally by status, and the
distribution of subtypes, HER2 categories, first offered options and advice codes (from the CSV).
"""

from __future__ import annotations

import csv
import sys
from collections import Counter
from pathlib import Path

from reasoner.batch import csv_path_for, run_batch


def report(path: Path) -> dict:
    out = path.with_name(path.stem + "-results.jsonl")
    summary = run_batch(path, out, progress=False)
    n_in = sum(1 for line in path.open("rb") if line.strip())
    with csv_path_for(out).open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    advice = Counter(code for r in rows for code in r["advice_codes"].split(";") if code)
    return {
        "cohort": path.name, "records_in": n_in, "lines_out": len(rows), "seconds": round(summary.seconds, 1),
        "status": dict(Counter(r["status"] for r in rows)),
        "subtype": dict(Counter(r["subtype"] or "(none)" for r in rows).most_common()),
        "her2_category": dict(Counter(r["her2_category"] or "(none)" for r in rows).most_common()),
        "with_options": sum(1 for r in rows if int(r["n_options"]) > 0),
        "top_advice": dict(advice.most_common(6)),
        "duplicates": len(summary.duplicates),
    }


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        info = report(Path(arg))
        assert info["records_in"] == info["lines_out"], info
        for key, value in info.items():
            print(f"{key}: {value}")
        print()
