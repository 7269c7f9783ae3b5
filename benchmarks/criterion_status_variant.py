"""Measure a proposed rewrite of the exposure branch of queries/eligibility/criterion-status.rq.

    python benchmarks/criterion_status_variant.py [N]

The shipped branch joins a three-way UNION (BIND 0 / exposure drug / drug class) to the patient
rows; on Oxigraph this grows faster than linearly with the patients in one batch (13.6 ms/patient
at 10 patients, 53 ms/patient at 200). The variant below says the same with two OPTIONALs and a
COALESCE; it returns identical rows (checked here on the batch) and stays ~2 ms/patient.
The query file belongs to the eligibility owner: this script only measures the proposal.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

OLD = """      {
        BIND(0 AS ?h)
      } UNION {
        ?patient ?exposure ?drug .
        ?criterion h2n:exposureDrug ?drug .
        BIND(1 AS ?h)
      } UNION {
        ?patient ?exposure ?drug .
        ?drug a ?drugType .
        ?drugType rdfs:subClassOf* ?class .
        ?criterion h2n:appliesToDrugClass ?class .
        BIND(1 AS ?h)
      }"""
NEW = """      OPTIONAL { ?criterion h2n:exposureDrug ?drug . ?patient ?exposure ?drug . BIND(1 AS ?h1) }
      OPTIONAL { ?criterion h2n:appliesToDrugClass ?class . ?patient ?exposure ?drug2 .
                 ?drug2 a ?drugType . ?drugType rdfs:subClassOf* ?class . BIND(1 AS ?h2) }
      BIND(COALESCE(?h1, ?h2, 0) AS ?h)"""


def main(n: int = 1000) -> None:
    import reasoner
    from reasoner.cohort.synthetic import generate

    kb = reasoner.KnowledgeBase.load()
    records = list(generate(n, seed=9))
    original = kb.engine._queries["criterion-status"]
    assert OLD in original, "criterion-status.rq changed: update this script"
    for label, text in (("shipped", original), ("variant", original.replace(OLD, NEW))):
        kb.engine._queries["criterion-status"] = text
        started = time.perf_counter()
        results = [r.to_dict() for i in range(0, n, 50) for r in kb.recommend_many(records[i:i + 50])]
        seconds = time.perf_counter() - started
        print(f"{label}: {n} patients in chunks of 50, one process: {seconds:.1f} s, "
              f"{1000 * seconds / n:.1f} ms/patient")
        if label == "shipped":
            reference = results
        else:
            print("identical results:", results == reference)
    kb.engine._queries["criterion-status"] = original


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
