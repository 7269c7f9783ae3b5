"""The drug catalogue: canonical drug names, their synonyms and brand names, and their IRIs.

Built from ``ontology/drugs.ttl``: each drug is an individual whose ``rdfs:label`` is the canonical
name (lower-case INN) and whose ``skos:altLabel`` values are synonyms and brand names. Matching
ignores case, spaces, hyphens and underscores (``Nab Paclitaxel`` = ``nab-paclitaxel``).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from pathlib import Path
from threading import Lock

from rdflib import OWL, RDF, RDFS, Graph, URIRef
from rdflib.namespace import SKOS

from reasoner.errors import KnowledgeBaseError
from reasoner.graph.vocab import H2N, ontology_file

__all__ = ["DrugCatalog", "set_default_catalog"]

_SQUASH = re.compile(r"[\s\-_]+")


def _key(name: str) -> str:
    return _SQUASH.sub("", name.casefold())


class DrugCatalog:
    """Canonical drug names and their synonyms; immutable once built."""

    def __init__(self, drugs: dict[str, URIRef], synonyms: dict[str, str] | None = None):
        """``drugs``: canonical name -> IRI; ``synonyms``: synonym or brand -> canonical name."""
        self._iri: dict[str, URIRef] = dict(sorted(drugs.items()))
        self._label: dict[URIRef, str] = {iri: name for name, iri in self._iri.items()}
        self._lookup: dict[str, str] = {}
        for alt, canonical in (synonyms or {}).items():
            if canonical in self._iri:
                self._lookup.setdefault(_key(alt), canonical)
        for name in self._iri:  # a canonical name always wins over a colliding synonym
            self._lookup[_key(name)] = name

    # construction -------------------------------------------------------------------------
    @classmethod
    def from_graph(cls, graph: Graph) -> DrugCatalog:
        drug_classes = set(graph.transitive_subjects(RDFS.subClassOf, H2N.Drug))
        drug_classes.add(H2N.Drug)
        candidates: set[URIRef] = set()
        for s, t in graph.subject_objects(RDF.type):
            if not isinstance(s, URIRef) or t == OWL.Class or (s, RDF.type, OWL.Class) in graph:
                continue
            if t in drug_classes or str(s).startswith(str(H2N) + "drug-"):
                candidates.add(s)
        drugs: dict[str, URIRef] = {}
        synonyms: dict[str, str] = {}
        for s in sorted(candidates):
            labels = sorted(str(x) for x in graph.objects(s, RDFS.label))
            if not labels:
                continue
            name = labels[0]
            drugs[name] = s
            for alt in graph.objects(s, SKOS.altLabel):
                synonyms[str(alt)] = name
        if not drugs:
            raise KnowledgeBaseError("no drugs (individuals with rdfs:label) found in the drug catalogue")
        return cls(drugs, synonyms)

    @classmethod
    def from_file(cls, path: str | Path) -> DrugCatalog:
        g = Graph()
        try:
            g.parse(str(path), format="turtle")
        except Exception as exc:
            raise KnowledgeBaseError(f"cannot parse the drug catalogue: {exc}", where=str(path)) from exc
        return cls.from_graph(g)

    @classmethod
    def default(cls) -> DrugCatalog:
        """The catalogue of ``ontology/drugs.ttl``, loaded once and cached."""
        global _DEFAULT
        if _DEFAULT is None:
            with _LOCK:
                if _DEFAULT is None:
                    _DEFAULT = cls.from_file(ontology_file("drugs.ttl"))
        return _DEFAULT

    load = default  # the name the CLI uses

    # queries ------------------------------------------------------------------------------
    @property
    def names(self) -> tuple[str, ...]:
        """Every canonical name, sorted."""
        return tuple(self._iri)

    def canonical(self, name: str) -> str | None:
        """The canonical name for a canonical name, synonym or brand name; None when unknown."""
        if not isinstance(name, str):
            return None
        return self._lookup.get(_key(name))

    def suggest(self, name: str, n: int = 3) -> list[str]:
        """Up to ``n`` canonical names closest to ``name`` (for 'did you mean' messages)."""
        if not isinstance(name, str) or n <= 0:
            return []
        key = _key(name[:200])
        out: list[str] = []
        for cutoff in (0.6, 0.4):
            for match in difflib.get_close_matches(key, list(self._lookup), n=4 * n, cutoff=cutoff):
                canonical = self._lookup[match]
                if canonical not in out:
                    out.append(canonical)
            if out:
                break
        return out[:n]

    def iri(self, canonical: str) -> URIRef:
        """The IRI of a canonical drug name (``h2n:drug-…``); KeyError when it is not one."""
        return self._iri[canonical]

    def label(self, iri: URIRef) -> str | None:
        """The canonical name of a drug IRI; None when the IRI is not a known drug."""
        return self._label.get(URIRef(iri))

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.canonical(name) is not None

    def __iter__(self) -> Iterable[str]:  # pragma: no cover - convenience
        return iter(self._iri)

    def __len__(self) -> int:
        return len(self._iri)


_DEFAULT: DrugCatalog | None = None
_LOCK = Lock()


def set_default_catalog(catalog: DrugCatalog | None) -> None:
    """Replace the cached default catalogue (tests, embedding); None reloads ``drugs.ttl`` on next use."""
    global _DEFAULT
    with _LOCK:
        _DEFAULT = catalog
