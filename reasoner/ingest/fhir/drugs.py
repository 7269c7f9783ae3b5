"""Drug codes and names -> canonical drug names, read from the knowledge base's ``drugs.ttl``.

The ontology holds one individual per drug (``kb:drug-letrozole``) with ``rdfs:label`` (the
canonical name), ``skos:altLabel`` (synonyms, brands) and ``skos:exactMatch`` to RxNorm, NCIt, ATC
and ChEBI IRIs. This module indexes those triples once per file, and adds the RxNorm PIN/BN/product
codes and extra spellings kept in :mod:`reasoner.ingest.fhir.codes`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from reasoner.errors import KnowledgeBaseError

from . import codes

__all__ = ["DrugLookup", "DrugMatch", "default_drugs_path", "load_drug_lookup", "normalise_text"]

KB_NS = "https://w3id.org/her2neg/kb/"
_RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
_SKOS_ALT = "http://www.w3.org/2004/02/skos/core#altLabel"
_SKOS_EXACT = "http://www.w3.org/2004/02/skos/core#exactMatch"

_IRI_PATTERNS = (
    (re.compile(r"^http://purl\.bioontology\.org/ontology/RXNORM/(\w+)$"), "rxnorm"),
    (re.compile(r"^http://purl\.obolibrary\.org/obo/NCIT_(C\d+)$"), "ncit"),
    (re.compile(r"^http://purl\.bioontology\.org/ontology/ATC/(\w+)$"), "atc"),
    (re.compile(r"^http://purl\.obolibrary\.org/obo/CHEBI_(\d+)$"), "chebi"),
)


def normalise_text(text: str) -> str:
    """Lower-case, non-alphanumerics to single spaces (``"Nab-Paclitaxel"`` -> ``"nab paclitaxel"``)."""
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text.lower()).split())


@dataclass(frozen=True)
class DrugMatch:
    """A recognised drug and how it was recognised (``code`` or ``text``)."""

    name: str
    how: str
    evidence: str


@dataclass(frozen=True)
class DrugLookup:
    """Index of drug codes and names; build it with :meth:`from_turtle` or :func:`load_drug_lookup`."""

    by_code: Mapping[tuple[str, str], str]
    by_name: Mapping[str, str]

    @classmethod
    def from_turtle(cls, path: Path) -> DrugLookup:
        """Read drug individuals (``kb:drug-*``) from a Turtle file."""
        import rdflib

        graph = rdflib.Graph()
        try:
            graph.parse(str(path), format="turtle")
        except Exception as exc:  # rdflib raises many unrelated types for bad Turtle
            raise KnowledgeBaseError(
                f"cannot read drug ontology: {exc}", where=str(path), hint="fix the Turtle syntax"
            ) from exc
        labels: dict[str, str] = {}
        for s, _p, o in graph.triples((None, rdflib.URIRef(_RDFS_LABEL), None)):
            if str(s).startswith(KB_NS + "drug-"):
                labels[str(s)] = str(o)
        by_code: dict[tuple[str, str], str] = {}
        ambiguous: set[tuple[str, str]] = set()
        by_name: dict[str, str] = {}
        for subject, name in labels.items():
            by_name[normalise_text(name)] = name
            node = rdflib.URIRef(subject)
            for alt in graph.objects(node, rdflib.URIRef(_SKOS_ALT)):
                by_name.setdefault(normalise_text(str(alt)), name)
            for target in graph.objects(node, rdflib.URIRef(_SKOS_EXACT)):
                for pattern, key in _IRI_PATTERNS:
                    m = pattern.match(str(target))
                    if m:
                        code_key = (key, m.group(1))
                        if code_key in by_code and by_code[code_key] != name:
                            ambiguous.add(code_key)  # e.g. one ATC code for two formulations
                        by_code[code_key] = name
        for code_key in ambiguous:
            del by_code[code_key]
        return cls.with_extras(by_code, by_name)

    @classmethod
    def with_extras(cls, by_code: Mapping[tuple[str, str], str], by_name: Mapping[str, str]) -> DrugLookup:
        """Add this module's extra RxNorm codes and spellings (the ontology wins on a clash)."""
        codes_all = {("rxnorm", c): n for c, n in codes.RXNORM_EXTRA.items()}
        codes_all.update(by_code)
        names = {normalise_text(n): n for n in codes.CANONICAL_DRUGS}
        names.update({normalise_text(k): v for k, v in codes.DRUG_SYNONYMS.items()})
        names.update(by_name)
        return cls(by_code=codes_all, by_name=names)

    def match_code(self, system: str | None, code: str | None) -> str | None:
        """Canonical name for a coding, or ``None``."""
        if not code:
            return None
        key = codes.system_key(system)
        if key == "ncit" and not code.startswith("C"):
            code = "C" + code
        return self.by_code.get((key, code.strip()))

    def match_text(self, text: str | None) -> str | None:
        """Canonical name of the longest known drug name found as whole words in ``text``."""
        if not text:
            return None
        norm = f" {normalise_text(text)} "
        best: tuple[int, str] | None = None
        for phrase, name in self.by_name.items():
            if phrase and f" {phrase} " in norm and (best is None or len(phrase) > best[0]):
                best = (len(phrase), name)
        return best[1] if best else None


def default_drugs_path() -> Path:
    """Where ``drugs.ttl`` lives: via :mod:`reasoner.resources` when present, else the repository's
    ``ontology/`` folder next to the package."""
    try:
        from reasoner import resources  # type: ignore[attr-defined]
    except ImportError:
        resources = None
    if resources is not None:
        for attr in ("ontology_path", "ontology_file"):
            fn = getattr(resources, attr, None)
            if callable(fn):
                return Path(fn("drugs.ttl"))
        for attr in ("ontology_dir", "ONTOLOGY_DIR"):
            value = getattr(resources, attr, None)
            if value is not None:
                return Path(value() if callable(value) else value) / "drugs.ttl"
    return Path(__file__).resolve().parents[3] / "ontology" / "drugs.ttl"


@functools.lru_cache(maxsize=8)
def _load_cached(path: str) -> DrugLookup:
    return DrugLookup.from_turtle(Path(path))


def load_drug_lookup(path: Path | None = None) -> DrugLookup:
    """The drug index for ``path`` (default :func:`default_drugs_path`), read once and cached."""
    target = Path(path) if path is not None else default_drugs_path()
    if not target.is_file():
        raise KnowledgeBaseError(
            "drug ontology not found",
            where=str(target),
            hint="ontology/drugs.ttl must be present (or pass drugs=DrugLookup.from_turtle(path))",
        )
    return _load_cached(str(target.resolve()))
