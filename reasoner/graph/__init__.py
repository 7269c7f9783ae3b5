"""Patient graphs: JSON patient records <-> RDF graphs in the ontology's vocabulary."""

from reasoner.graph.convert import add_record, graph_to_records, record_to_graph
from reasoner.graph.mapping import json_path, node_iri, patient_iri

__all__ = ["patient_iri", "node_iri", "record_to_graph", "graph_to_records", "add_record", "json_path"]
