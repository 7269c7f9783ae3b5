"""The ontology vocabulary the patient graph uses, read once from ``ontology/core.ttl``.

Coded JSON values are enumeration individuals whose ``skos:notation`` is the JSON code; the
code-to-individual tables are built here by reading ``core.ttl`` (never hard-coded).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from rdflib import RDF, RDFS, Graph, Namespace, URIRef
from rdflib.namespace import SKOS, XSD

from reasoner.errors import KnowledgeBaseError
from reasoner.resources import ontology_dir
from reasoner.vocab import H2N, PATIENT_NS  # the one definition of the namespaces

__all__ = ["H2N", "PATIENT_NS", "SH", "SHAPES_NS", "XSD", "EnumTable", "enum_table", "ontology_file"]

SHAPES_NS = Namespace("https://w3id.org/her2neg/shapes/")
"""The namespace of the SHACL shapes (``h2ns:``)."""
SH = Namespace("http://www.w3.org/ns/shacl#")


def ontology_file(name: str) -> Path:
    """Locate a file of ``ontology/`` through the project's one locator (:mod:`reasoner.resources`)."""
    path = ontology_dir() / name
    if not path.is_file():
        raise KnowledgeBaseError(
            f"ontology file {name!r} not found",
            where=str(path),
            hint="run from a checkout or reinstall the package with its data files",
        )
    return path


@cache
def _core_graph() -> Graph:
    path = ontology_file("core.ttl")
    g = Graph()
    try:
        g.parse(path, format="turtle")
    except Exception as exc:  # rdflib raises many unrelated types for bad Turtle
        raise KnowledgeBaseError(f"cannot parse: {exc}", where=str(path)) from exc
    return g


class EnumTable:
    """The coded values of one enumeration class: JSON code <-> individual IRI."""

    __slots__ = ("cls", "by_code", "by_iri", "codes")

    def __init__(self, cls: URIRef, pairs: dict[str, URIRef]):
        self.cls = cls
        self.by_code: dict[str, URIRef] = dict(pairs)
        self.by_iri: dict[URIRef, str] = {iri: code for code, iri in pairs.items()}
        self.codes: tuple[str, ...] = tuple(pairs)

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"EnumTable({self.cls}, {self.codes})"


@cache
def enum_table(cls: URIRef) -> EnumTable:
    """Codes of the individuals of ``cls`` (and its subclasses) in ``core.ttl``, in file order of notation."""
    g = _core_graph()
    classes = set(g.transitive_subjects(RDFS.subClassOf, cls))
    pairs: dict[str, URIRef] = {}
    for c in classes:
        for ind in g.subjects(RDF.type, c):
            for code in g.objects(ind, SKOS.notation):
                pairs[str(code)] = URIRef(ind)
    if not pairs:
        raise KnowledgeBaseError(f"no coded values found for {cls}", where=str(ontology_file("core.ttl")))
    return EnumTable(cls, dict(sorted(pairs.items())))
