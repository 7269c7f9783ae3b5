"""Namespaces and IRI helpers shared by every pipeline step."""

from __future__ import annotations

import functools

from rdflib import Namespace, URIRef

__all__ = ["H2N", "KB_GRAPH", "PATIENT_NS", "UNRESOLVED_MEDICATION_KIND", "drug_iri", "drug_name", "local_name"]

H2N = Namespace("https://w3id.org/her2neg/kb/")
PATIENT_NS = "https://w3id.org/her2neg/patient/"
#: The named graph that holds the knowledge base in every store (embedded, served or your own endpoint).
KB_GRAPH = "urn:her2neg:kb"
#: Conflict kind of a FHIR medication resource whose drug cannot be resolved (dangling reference,
#: no code): the engine treats the treatment history as incomplete (fail closed).
UNRESOLVED_MEDICATION_KIND = "unresolved_medication"


@functools.cache
def drug_iri(canonical: str) -> URIRef:
    """The knowledge-base IRI of a canonical drug name (``nab-paclitaxel`` -> ``h2n:drug-nab-paclitaxel``)."""
    return H2N["drug-" + canonical.replace(" ", "-")]


def local_name(iri: str) -> str:
    """The part of a knowledge-base IRI after the namespace."""
    text = str(iri)
    return text[len(str(H2N)):] if text.startswith(str(H2N)) else text.rsplit("/", 1)[-1]


def drug_name(iri: str, labels: dict[str, str]) -> str:
    """The canonical name of a drug IRI, from the knowledge base's labels."""
    return labels.get(str(iri), local_name(iri).removeprefix("drug-").replace("-", " "))
