"""Namespaces and IRI helpers shared by every pipeline step."""

from __future__ import annotations

from rdflib import Namespace

__all__ = ["H2N", "KB_GRAPH", "PATIENT_NS", "PREFIXES", "UNRESOLVED_MEDICATION_KIND", "compact_iri",
           "drug_name", "expand_curie", "local_name"]

H2N = Namespace("https://w3id.org/her2neg/kb/")
PATIENT_NS = "https://w3id.org/her2neg/patient/"
#: The named graph that holds the knowledge base in every store (embedded, served or your own endpoint).
KB_GRAPH = "urn:her2neg:kb"
#: Conflict kind of a FHIR medication resource whose drug cannot be resolved (dangling reference,
#: no code): the engine treats the treatment history as incomplete (fail closed).
UNRESOLVED_MEDICATION_KIND = "unresolved_medication"
#: The prefixes the queries of queries/ declare (and ``patient:`` for patient IRIs): how the CLI
#: shows IRIs (``h2n:drug-letrozole``) and which CURIEs it accepts in ``--param``.
PREFIXES = {
    "h2n": str(H2N), "patient": PATIENT_NS,
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#", "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#", "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#", "dcterms": "http://purl.org/dc/terms/",
}


def compact_iri(iri: str) -> str:
    """``prefix:local`` for an IRI in one of :data:`PREFIXES`, else the IRI unchanged."""
    for prefix, namespace in PREFIXES.items():
        if iri.startswith(namespace) and len(iri) > len(namespace):
            return f"{prefix}:{iri[len(namespace):]}"
    return iri


def expand_curie(text: str) -> str:
    """The full IRI of ``prefix:local`` for a prefix of :data:`PREFIXES`, else the text unchanged."""
    prefix, sep, local = text.partition(":")
    if sep and prefix in PREFIXES and not local.startswith("//"):
        return PREFIXES[prefix] + local
    return text


def local_name(iri: str) -> str:
    """The part of a knowledge-base IRI after the namespace."""
    text = str(iri)
    return text[len(str(H2N)):] if text.startswith(str(H2N)) else text.rsplit("/", 1)[-1]


def drug_name(iri: str, labels: dict[str, str]) -> str:
    """The canonical name of a drug IRI, from the knowledge base's labels."""
    return labels.get(str(iri), local_name(iri).removeprefix("drug-").replace("-", " "))
