"""The release artefact: one merged, reasoned ``her2neg.owl`` (RDF/XML) with a dated version IRI.

``python -m reasoner.ontology release --out dist/`` merges the top ontology and every module it
imports into one ontology with no ``owl:imports`` (so any OWL tool, owlready2 included, opens it
offline), runs HermiT, and adds what HermiT entails that the modules do not state: the direct
inferred ``rdfs:subClassOf`` axioms between named classes and the inferred ``rdf:type`` of the
knowledge base's individuals, as an ODK release does. The ontology header says how many axioms
were added; the axioms themselves are plain (the modules stay the source to edit).

The version IRI is ``https://w3id.org/her2neg/kb/releases/<date>/her2neg.owl``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import rdflib
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, XSD

from reasoner.ontology.merged import load_merged_graph, reasoning_graph
from reasoner.resources import TOP_ONTOLOGY_IRI

__all__ = ["Release", "build_release", "release_graph", "RELEASE_IRI"]

#: Pattern of the dated version IRI of a release.
RELEASE_IRI = "https://w3id.org/her2neg/kb/releases/{date}/her2neg.owl"
RELEASE_FILE = "her2neg.owl"


@dataclass(frozen=True)
class Release:
    path: Path
    version_iri: str
    triples: int
    inferred_subclass_axioms: int
    inferred_type_assertions: int


def _direct(pairs: set[tuple[str, str]], closure: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """The pairs of ``pairs`` not implied through a third class of ``closure`` (transitive reduction)."""
    ups: dict[str, set[str]] = {}
    for a, b in closure:
        ups.setdefault(a, set()).add(b)
    out = set()
    for a, b in pairs:
        if (b, a) in closure:  # equivalent classes: stated as owl:equivalentClass already
            continue
        middle = ups.get(a, set()) - {a, b}
        if any((m, b) in closure and (b, m) not in closure and (m, a) not in closure for m in middle):
            continue
        out.add((a, b))
    return out


def release_graph(report=None, *, date: dt.date | None = None) -> tuple[rdflib.Graph, int, int]:
    """The merged knowledge base with HermiT's entailments; returns (graph, n subclass, n type).

    ``report`` is a :class:`~reasoner.ontology.HermitReport` of the same knowledge base (run HermiT
    when None). Individuals outside the knowledge base (example patients of a test run) are ignored.
    """
    merged = load_merged_graph()
    graph = reasoning_graph(merged)
    if report is None:
        from reasoner.ontology.hermit import run_hermit

        report = run_hermit(graph=merged)
    if not report.consistent:
        from reasoner.errors import KnowledgeBaseError

        raise KnowledgeBaseError(f"HermiT finds the knowledge base inconsistent: {report.message}")
    declared = {str(c) for c in graph.subjects(RDF.type, OWL.Class)}
    pairs = {(a, b) for a, b in report.inferred_subsumptions if a in declared and b in declared}
    subclass = _direct(pairs, set(report.subsumptions))
    for a, b in sorted(subclass):
        graph.add((rdflib.URIRef(a), RDFS.subClassOf, rdflib.URIRef(b)))
    individuals = {str(s) for s in graph.subjects(RDF.type, OWL.NamedIndividual)} | {
        str(s) for s, o in graph.subject_objects(RDF.type) if str(o) in declared}
    n_types = 0
    for ind, classes in sorted(report.inferred_types.items()):
        if ind not in individuals:
            continue
        for cls in sorted(classes):
            if cls in declared:
                graph.add((rdflib.URIRef(ind), RDF.type, rdflib.URIRef(cls)))
                n_types += 1

    top = rdflib.URIRef(TOP_ONTOLOGY_IRI)
    date = date or dt.date.today()
    version = str(merged.value(top, OWL.versionInfo) or "")
    graph.remove((top, OWL.versionIRI, None))
    graph.remove((top, OWL.versionInfo, None))
    graph.add((top, OWL.versionIRI, rdflib.URIRef(RELEASE_IRI.format(date=date.isoformat()))))
    graph.add((top, OWL.versionInfo, rdflib.Literal(f"{version} (release {date.isoformat()})")))
    graph.add((top, DCTERMS.date, rdflib.Literal(date.isoformat(), datatype=XSD.date)))
    for p in (DCTERMS.title, DCTERMS.description, DCTERMS.license, RDFS.label):
        for o in merged.objects(top, p):
            graph.add((top, p, o))
    graph.add((top, RDFS.comment, rdflib.Literal(
        f"Merged release of every module with HermiT's entailments added: {len(subclass)} direct inferred "
        f"subclass axioms and {n_types} inferred class assertions. Edit the Turtle modules under ontology/, "
        "never this file.")))
    return graph, len(subclass), n_types


def build_release(out_dir: Path, *, report=None, date: dt.date | None = None) -> Release:
    """Write ``her2neg.owl`` (RDF/XML) into ``out_dir`` and return what was written."""
    graph, n_sub, n_types = release_graph(report, date=date)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / RELEASE_FILE
    path.write_bytes(graph.serialize(format="xml", encoding="utf-8"))
    version_iri = str(graph.value(rdflib.URIRef(TOP_ONTOLOGY_IRI), OWL.versionIRI))
    return Release(path, version_iri, len(graph), n_sub, n_types)
