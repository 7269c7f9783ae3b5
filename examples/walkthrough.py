"""A short walkthrough of the Python API (run: ``python examples/walkthrough.py``).

1. one patient with ``reasoner.recommend``;
2. why a drug is or is not offered;
3. many patients with one knowledge base;
4. a SPARQL query from ``queries/`` over the knowledge base and the patients.
"""

from __future__ import annotations

import json
from pathlib import Path

import reasoner
from reasoner.query.catalog import get_query

HERE = Path(__file__).parent / "patients"


def main() -> None:
    record = json.loads((HERE / "hr-second-line-pik3ca.json").read_text())

    # 1. One patient.
    result = reasoner.recommend(record)
    print(f"{result.patient}: {result.status}, {result.classification}")
    for option in result.options:
        drugs = " + ".join("/".join(c.drugs) for c in option.components)
        print(f"  option  {option.label}: {drugs} ({option.preference})")
    for item in result.excluded[:5]:
        print(f"  not offered  {item.label}: {item.reasons[0].code} {item.reasons[0].text}")
    for advice in result.advice:
        print(f"  advice  {advice.code}")

    # 2. Why (not) a drug, criterion by criterion.
    kb = reasoner.KnowledgeBase.load()
    explanation = kb.engine.explain(record, "alpelisib")
    print(f"alpelisib offered in: {explanation['offered_in']}")

    # 3. Many patients, one knowledge base.
    records = [json.loads(p.read_text()) for p in sorted(HERE.glob("*.json"))]
    for r in kb.recommend_many(records):
        print(f"  {r.patient:<22} {r.status:<13} {len(r.options)} options")

    # 4. A named query over the knowledge base plus these patients.
    rows = kb.engine.query(get_query("contraindicated-drugs").text, records)
    print(f"contraindication rows: {len(rows)}")
    print(reasoner.DISCLAIMER)


if __name__ == "__main__":
    main()
