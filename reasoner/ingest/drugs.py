"""The drug catalogue of the JSON input: canonical drug names, their synonyms and brand names, and their IRIs.

It is the one vocabulary (:class:`reasoner.terminology.Vocabulary`, read from ``ontology/drugs.ttl``):
matching a name ignores case, spaces, hyphens and underscores (``Nab Paclitaxel`` = ``nab-paclitaxel``).
"""

from __future__ import annotations

from reasoner.terminology import Vocabulary, set_default_vocabulary

__all__ = ["DrugCatalog", "set_default_catalog"]

#: The name the JSON input and the CLI use for the vocabulary.
DrugCatalog = Vocabulary


def set_default_catalog(catalog: Vocabulary | None) -> None:
    """Replace the cached default vocabulary (tests, embedding); None rereads the files on next use."""
    set_default_vocabulary(catalog)
