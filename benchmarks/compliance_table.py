"""The backend compliance run as a table: rows per query on each of the four engines.

    python benchmarks/compliance_table.py        # needs Debian's virtuoso-opensource and PyPI oxigraph

Builds the data of tests/query/test_backend_compliance.py (the knowledge base, the acceptance and
example patients and one patient on a contraindicated current regimen, with inferences and results),
loads it into rdflib, pyoxigraph, an Oxigraph server and a Virtuoso server (both on 127.0.0.1, in
temporary folders, stopped at the end), runs every query of queries/ and prints one Markdown row per
query: the row count on each engine and whether all four gave identical rows.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> int:
    import reasoner
    from reasoner.query.backends import OxigraphBackend, RdflibBackend
    from reasoner.query.catalog import catalog
    from reasoner.query.endpoint import SparqlEndpointBackend
    from reasoner.serve import cohort_triples, free_port, oxigraph_command, wait_until_up
    from tests.query import test_backend_compliance as compliance
    from tests.query.virtuoso import VirtuosoServer

    kb = reasoner.KnowledgeBase.load()
    records = [json.loads(p.read_text())["record"] for p in compliance.CASES]
    ids = {r.get("id") for r in records}
    for path in compliance.EXAMPLES:
        record = json.loads(path.read_text())
        if isinstance(record, dict) and record.get("id") not in ids:
            ids.add(record.get("id"))
            records.append(record)
    records.append(compliance.ONGOING_CONTRAINDICATED)
    triples = list(cohort_triples(kb.engine, records))
    graph = compliance.GRAPH

    with tempfile.TemporaryDirectory(prefix="compliance-") as tmp:
        port = free_port()
        oxi = subprocess.Popen([oxigraph_command(), "serve", "--location", f"{tmp}/ox", "--bind", f"127.0.0.1:{port}"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        virtuoso = VirtuosoServer(Path(tmp) / "virtuoso")
        try:
            base = f"http://127.0.0.1:{port}"
            wait_until_up(f"{base}/query", oxi)
            endpoint = SparqlEndpointBackend(f"{base}/query", f"{base}/update", graph_store_url=f"{base}/store")
            endpoint.load_files(kb.files)
            endpoint.add_patient_triples(graph, triples)
            virtuoso.start()
            vt = SparqlEndpointBackend(virtuoso.query_url)
            virtuoso.load_files(kb.files, vt.kb_graph)
            virtuoso.load(triples, graph)
            engines = {"rdflib": RdflibBackend(kb.files), "pyoxigraph": OxigraphBackend(kb.files),
                       "Oxigraph server": endpoint, "Virtuoso 7": vt}
            for name in ("rdflib", "pyoxigraph"):
                engines[name].add_patient_triples(graph, triples)
            print(f"{len(records)} records, {len(triples)} patient triples\n")
            print("| query | " + " | ".join(engines) + " | identical |")
            print("|---|" + "---|" * (len(engines) + 1))
            for name, query in catalog().items():
                bindings = compliance.BINDINGS.get(name)
                rows = {label: sorted(json.dumps(r, sort_keys=True, default=str)
                                      for r in b.select(query.text, graphs=[graph], bindings=bindings))
                        for label, b in engines.items()}
                same = all(v == rows["pyoxigraph"] for v in rows.values())
                print(f"| {query.kind}/{name} | " + " | ".join(str(len(v)) for v in rows.values())
                      + f" | {'yes' if same else '**no**'} |")
        finally:
            virtuoso.stop()
            oxi.terminate()
            oxi.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
