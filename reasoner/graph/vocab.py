"""The ontology vocabulary the patient graph uses: namespaces and the coded values of ``core.ttl``.

Coded JSON values are enumeration individuals whose ``skos:notation`` is the JSON code; the
code-to-individual tables are read from ``core.ttl`` by :mod:`reasoner.terminology` (the one
vocabulary) and re-exported here for the graph and validation steps.
"""

from __future__ import annotations

from rdflib import Namespace
from rdflib.namespace import XSD

from reasoner.terminology import EnumTable, enum_table, ontology_file
from reasoner.vocab import H2N, PATIENT_NS  # the one definition of the namespaces

__all__ = ["H2N", "PATIENT_NS", "SH", "SHAPES_NS", "XSD", "EnumTable", "enum_table", "ontology_file"]

SHAPES_NS = Namespace("https://w3id.org/her2neg/shapes/")
"""The namespace of the SHACL shapes (``h2ns:``)."""
SH = Namespace("http://www.w3.org/ns/shacl#")
