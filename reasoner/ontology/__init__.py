"""OWL tools for the knowledge base: the merged graph, HermiT, example classification and QC.

These run in tests and at build time (``python -m reasoner.ontology``), never per patient.
"""

from __future__ import annotations

from reasoner.ontology.hermit import HermitReport, classify_examples, run_hermit
from reasoner.ontology.merged import load_merged_graph, to_rdfxml
from reasoner.ontology.qc import QCRow, qc_queries, run_qc

__all__ = [
    "HermitReport",
    "QCRow",
    "classify_examples",
    "load_merged_graph",
    "qc_queries",
    "run_hermit",
    "run_qc",
    "to_rdfxml",
]
