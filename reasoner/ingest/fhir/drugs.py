"""Drug codes and names of FHIR resources -> canonical drug names: the one vocabulary.

:class:`reasoner.terminology.Vocabulary` indexes the drugs of ``ontology/drugs.ttl`` (``rdfs:label``,
``skos:altLabel``, ``skos:exactMatch`` to RxNorm, NCIt, ATC and ChEBI) and the RxNorm precise
ingredient, brand and product codes of ``ontology/mappings/her2neg-codes.sssom.tsv``. This module
keeps the names the FHIR import has always used for it.
"""

from __future__ import annotations

import functools
from pathlib import Path

from reasoner.errors import KnowledgeBaseError
from reasoner.terminology import Vocabulary, normalise_text, ontology_file

__all__ = ["DrugLookup", "default_drugs_path", "load_drug_lookup", "normalise_text"]


class DrugLookup(Vocabulary):
    """The vocabulary as the FHIR import reads it (``from_turtle`` for a drugs file of that shape)."""

    @classmethod
    def from_turtle(cls, path: Path) -> Vocabulary:
        """The vocabulary of a Turtle file of drug individuals (``kb:drug-*``)."""
        return Vocabulary.from_file(path)


def default_drugs_path() -> Path:
    """Where ``drugs.ttl`` lives (through :mod:`reasoner.resources`)."""
    return ontology_file("drugs.ttl")


@functools.lru_cache(maxsize=8)
def _load_cached(path: str) -> Vocabulary:
    if Path(path) == default_drugs_path().resolve():
        return Vocabulary.default()
    return Vocabulary.from_file(Path(path))


def load_drug_lookup(path: Path | None = None) -> Vocabulary:
    """The vocabulary for ``path`` (default: the knowledge base's ``drugs.ttl``), read once and cached."""
    if path is None:
        return Vocabulary.default()
    target = Path(path)
    if not target.is_file():
        raise KnowledgeBaseError(
            "drug ontology not found",
            where=str(target),
            hint="ontology/drugs.ttl must be present (or pass drugs=Vocabulary.from_file(path))",
        )
    return _load_cached(str(target.resolve()))
