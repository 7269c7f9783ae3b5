"""The one vocabulary: drug names, synonyms, brand names and codes, and the codes of the coded values.

Everything here is read from the knowledge base, never written in Python:

- the drugs of ``ontology/drugs.ttl``: ``rdfs:label`` is the canonical name (lower-case INN),
  ``skos:altLabel`` the synonyms and brand names, ``skos:exactMatch`` the RxNorm, NCIt, ATC and
  ChEBI codes;
- the enumerations of ``ontology/core.ttl``: individuals whose ``skos:notation`` is the JSON code
  (:func:`enum_table`);
- the SSSOM mapping sets of ``ontology/mappings/`` (as Mondo keeps its mappings): the SNOMED CT and
  RxNorm codes of those individuals and drugs beyond the ingredient codes (menopausal status,
  metastatic sites, specimen, conditions; precise ingredients, brands, products), each row with its
  predicate, its source and whether it is the code written on export.

:class:`Vocabulary` is built from the knowledge base's store (:meth:`Vocabulary.from_rows`, as
``KnowledgeBase.vocabulary``) or, where no knowledge base is loaded, from the module files
(:meth:`Vocabulary.default`). The JSON input, the patient graph, the FHIR import and export and the
knowledge base all resolve names and codes through it.
"""

from __future__ import annotations

import csv
import difflib
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from threading import Lock

from rdflib import OWL, RDF, RDFS, Graph, URIRef
from rdflib.namespace import SKOS

from reasoner.errors import KnowledgeBaseError
from reasoner.resources import ontology_dir
from reasoner.vocab import H2N

__all__ = [
    "NO_TERM_FOUND",
    "BiomarkerRequirement",
    "CodeMapping",
    "EnumTable",
    "Vocabulary",
    "concomitant_medications",
    "core_graph",
    "drug_iri",
    "enum_table",
    "mapping_set_paths",
    "normalise_text",
    "ontology_file",
    "read_mapping_set",
    "record_concepts",
    "record_graph",
    "set_default_vocabulary",
    "system_key",
]

# ------------------------------------------------------------------------------- ontology files


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


def _parse(path: Path) -> Graph:
    g = Graph()
    try:
        g.parse(str(path), format="turtle")
    except Exception as exc:  # rdflib raises many unrelated types for bad Turtle
        raise KnowledgeBaseError(
            f"cannot parse: {exc}", where=str(path), hint="fix the Turtle syntax"
        ) from exc
    return g


@cache
def core_graph() -> Graph:
    """``ontology/core.ttl``, parsed once (the enumerations and the patient properties; kept
    between runs by the start-up cache, :mod:`reasoner.cache`)."""
    from reasoner.cache import cached_graph

    return cached_graph(ontology_file("core.ttl"), _parse)


@cache
def record_graph() -> Graph:
    """``ontology/record.ttl`` (the concepts of the clinical record the FHIR import reads without a
    record field), parsed once and kept between runs by the start-up cache."""
    from reasoner.cache import cached_graph

    return cached_graph(ontology_file("record.ttl"), _parse)


def record_concepts(cls: URIRef) -> dict[URIRef, str]:
    """The individuals of ``cls`` in ``record.ttl`` (for example the anti-HER2 drugs outside the
    knowledge base, ``h2n:AntiHER2Drug``): IRI -> ``rdfs:label``."""
    return _labelled_individuals(record_graph(), cls)


def _labelled_individuals(g: Graph, cls: URIRef) -> dict[URIRef, str]:
    """The individuals of ``cls`` in ``g`` that have an ``rdfs:label``: IRI -> the first label."""
    out: dict[URIRef, str] = {}
    for ind in g.subjects(RDF.type, cls):
        labels = sorted(str(x) for x in g.objects(ind, RDFS.label))
        if isinstance(ind, URIRef) and labels:
            out[ind] = labels[0]
    return out


@cache
def concomitant_medications() -> dict[URIRef, str]:
    """The concomitant medications of ``ontology/interactions.ttl`` (individuals of
    ``h2n:ConcomitantMedication``): IRI -> ``rdfs:label`` (the lower-case INN), parsed once."""
    return _labelled_individuals(_parse(ontology_file("interactions.ttl")), H2N.ConcomitantMedication)


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
    g = core_graph()
    classes = set(g.transitive_subjects(RDFS.subClassOf, cls))
    pairs: dict[str, URIRef] = {}
    for c in classes:
        for ind in g.subjects(RDF.type, c):
            for code in g.objects(ind, SKOS.notation):
                pairs[str(code)] = URIRef(ind)
    if not pairs:
        raise KnowledgeBaseError(f"no coded values found for {cls}", where=str(ontology_file("core.ttl")))
    return EnumTable(cls, dict(sorted(pairs.items())))


# ------------------------------------------------------------------------------- code systems


def system_key(system: str | None) -> str:
    """Reduce a code-system URI to a short key (``loinc``, ``sct``, ``rxnorm``, ``ncit``, ...)."""
    s = (system or "").lower()
    if "loinc" in s:
        return "loinc"
    if "snomed" in s:
        return "sct"
    if "rxnorm" in s:
        return "rxnorm"
    if "thesaurus.owl" in s or s.endswith("/ncit") or "ncit" in s.rsplit("/", 1)[-1]:
        return "ncit"
    if "whocc" in s or s.endswith("/atc"):
        return "atc"
    if "genenames" in s or "hgnc" in s:
        return "hgnc"
    if "gtr" in s:
        return "gtr"
    if "cancerstaging" in s:
        return "ajcc"
    if "unitsofmeasure" in s:
        return "ucum"
    return s


#: IRIs of the code systems the drugs' ``skos:exactMatch`` and the mapping sets use -> (key, code pattern).
_IRI_PATTERNS = (
    (re.compile(r"^http://purl\.bioontology\.org/ontology/RXNORM/(\w+)$"), "rxnorm"),
    (re.compile(r"^http://purl\.obolibrary\.org/obo/NCIT_(C\d+)$"), "ncit"),
    (re.compile(r"^http://purl\.bioontology\.org/ontology/ATC/(\w+)$"), "atc"),
    (re.compile(r"^http://purl\.obolibrary\.org/obo/CHEBI_(\d+)$"), "chebi"),
    (re.compile(r"^http://snomed\.info/id/(\d+)$"), "sct"),
    (re.compile(r"^http://loinc\.org/rdf/([\w-]+)$"), "loinc"),
    (re.compile(r"^http://identifiers\.org/hgnc/(\d+)$"), "hgnc"),
    (re.compile(r"^https://www\.ncbi\.nlm\.nih\.gov/gtr/tests/(\d+)$"), "gtr"),
)


def _code_of(iri: str) -> tuple[str, str] | None:
    for pattern, key in _IRI_PATTERNS:
        m = pattern.match(iri)
        if m:
            return key, m.group(1)
    return None


# ------------------------------------------------------------------------------- mapping sets

#: Predicates under which a code is read as its subject: the code means the subject, or something
#: narrower or closely the same. A broader code (skos:broadMatch) never says the narrower value.
_READ_PREDICATES = frozenset(
    str(SKOS[p]) for p in ("exactMatch", "closeMatch", "narrowMatch", "relatedMatch")
)
#: SSSOM's subject for "no term of the knowledge base matches this code" (sssom:NoTermFound).
NO_TERM_FOUND = "https://w3id.org/sssom/NoTermFound"


@dataclass(frozen=True)
class CodeMapping:
    """One row of an SSSOM mapping set, with its CURIEs expanded."""

    subject: str
    predicate: str
    system: str  # code-system key (sct, rxnorm, loinc, ...)
    code: str
    label: str
    category: str  # object_category: the SNOMED semantic tag or the RxNorm term type
    export: bool  # the code written on export
    comment: str
    subject_label: str = ""  # the subject's rdfs:label (checked against the ontology by the tests)
    predicate_modifier: str = ""  # SSSOM predicate_modifier: "Not" negates the mapping

    @property
    def read(self) -> bool:
        """Whether the code, found in an input, is read as the subject (never for a negated row or
        a code no term matches)."""
        return self.predicate in _READ_PREDICATES and not self.not_mapped

    @property
    def not_mapped(self) -> bool:
        """A code deliberately not read: a negated mapping (``predicate_modifier`` ``Not``: the code
        does not mean the subject) or a code no term of the knowledge base matches
        (``sssom:NoTermFound``). The comment gives the reason, then its source."""
        return self.predicate_modifier == "Not" or self.subject == NO_TERM_FOUND

    @property
    def reason(self) -> str:
        """The reason of a row not mapped: its comment up to the source (``. Source:`` or
        ``. unverified:``)."""
        return re.split(r"\.\s+(?:Source|unverified):", self.comment, maxsplit=1)[0].strip()


def mapping_set_paths() -> list[Path]:
    """The SSSOM mapping sets of ``ontology/mappings/`` (``*.sssom.tsv``), sorted."""
    folder = ontology_dir() / "mappings"
    return sorted(folder.glob("*.sssom.tsv")) if folder.is_dir() else []


def read_mapping_set(path: Path) -> tuple[CodeMapping, ...]:
    """Read an SSSOM/TSV mapping set: the YAML metadata block (``#`` lines) and the table."""
    import yaml

    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise KnowledgeBaseError(f"cannot read the mapping set: {exc}", where=str(path)) from exc
    lines = text.splitlines()
    header = [line[1:] for line in lines if line.startswith("#")]
    body = [line for line in lines if line and not line.startswith("#")]
    try:
        meta = yaml.safe_load("\n".join(header)) or {}
    except yaml.YAMLError as exc:
        raise KnowledgeBaseError(f"bad SSSOM metadata: {exc}", where=str(path)) from exc
    curies = dict(meta.get("curie_map") or {})

    def expand(curie: str) -> str:
        prefix, sep, local = curie.partition(":")
        if sep and prefix in curies:
            return curies[prefix] + local
        if sep and local.startswith("//"):
            return curie
        raise KnowledgeBaseError(f"prefix of {curie!r} not in the curie_map", where=str(path))

    out = []
    for n, row in enumerate(csv.DictReader(body, delimiter="\t"), start=2):
        try:
            obj = expand(row["object_id"])
            code = _code_of(obj)
            if code is None:
                raise KnowledgeBaseError(
                    f"object {row['object_id']!r} is in no known code system", where=f"{path}:{n}"
                )
            out.append(
                CodeMapping(
                    subject=expand(row["subject_id"]),
                    predicate=expand(row["predicate_id"]),
                    system=code[0],
                    code=code[1],
                    label=row.get("object_label") or "",
                    category=row.get("object_category") or "",
                    export=(row.get("export") or "").strip().lower() == "true",
                    comment=row.get("comment") or "",
                    subject_label=row.get("subject_label") or "",
                    predicate_modifier=(row.get("predicate_modifier") or "").strip(),
                )
            )
        except KeyError as exc:
            raise KnowledgeBaseError(f"SSSOM column {exc} missing", where=f"{path}:{n}") from exc
    return tuple(out)


@cache
def _default_mappings() -> tuple[CodeMapping, ...]:
    return tuple(m for path in mapping_set_paths() for m in read_mapping_set(path))


# ------------------------------------------------------------------------------- drug knowledge


@dataclass(frozen=True)
class BiomarkerRequirement:
    """What a drug's indication requires (``h2n:BiomarkerRequirement`` of ``drugs.ttl``): a result in
    ``statuses`` of at least one of ``tests`` (the record's biomarker names, ``skos:notation`` of
    ``h2n:BiomarkerTestKind``; the statuses are ``skos:notation`` of ``h2n:BiomarkerStatus``)."""

    drug: str
    tests: tuple[str, ...]
    statuses: tuple[str, ...]

    def met_by(self, biomarkers: Mapping[str, object]) -> bool:
        """Whether a record's ``biomarkers`` hold a positive result of one of the tests."""
        return any(biomarkers.get(t) in self.statuses for t in self.tests)


#: Predicates of a biomarker requirement read into the vocabulary -> the enumeration of their values.
_REQUIREMENT_PARTS = {
    str(H2N.requiresPositiveTest): H2N.BiomarkerTestKind,
    str(H2N.satisfiedByStatus): H2N.BiomarkerStatus,
}


def _requirements(name_of: Mapping[str, str], rows: Iterable[tuple[str, str, str]]) -> dict[str, BiomarkerRequirement]:
    """(drug IRI, predicate, value IRI) rows of the biomarker requirements -> drug name -> requirement.

    Fails closed: a value that is not a known test or status, a requirement of an unknown drug, or
    one without tests or statuses is a knowledge-base error, never a requirement read as met."""
    parts: dict[str, dict[str, set[str]]] = {}
    for drug, pred, value in rows:
        cls = _REQUIREMENT_PARTS[pred]
        code = enum_table(cls).by_iri.get(URIRef(value))
        if drug not in name_of or code is None:
            raise KnowledgeBaseError(
                f"biomarker requirement cannot be read: {value} is not a {cls.split('/')[-1]}"
                if code is None
                else f"biomarker requirement of an unknown drug: {drug}",
                where="ontology/drugs.ttl (h2n:BiomarkerRequirement)",
            )
        parts.setdefault(name_of[drug], {}).setdefault(pred, set()).add(code)
    out: dict[str, BiomarkerRequirement] = {}
    for name, got in sorted(parts.items()):
        tests, statuses = (sorted(got.get(p, ())) for p in _REQUIREMENT_PARTS)
        if not tests or not statuses:
            raise KnowledgeBaseError(
                f"biomarker requirement of {name} names no test or no positive status",
                where="ontology/drugs.ttl (h2n:BiomarkerRequirement)",
            )
        out[name] = BiomarkerRequirement(name, tuple(tests), tuple(statuses))
    return out


# ------------------------------------------------------------------------------- names

_SQUASH = re.compile(r"[\s\-_]+")


def _key(name: str) -> str:
    """Lookup key of a drug name: case, spaces, hyphens and underscores ignored."""
    return _SQUASH.sub("", name.casefold())


def normalise_text(text: str) -> str:
    """Lower-case, non-alphanumerics to single spaces (``"Nab-Paclitaxel"`` -> ``"nab paclitaxel"``)."""
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text.lower()).split())


# ------------------------------------------------------------------------------- the vocabulary


class Vocabulary:
    """Drugs (canonical names, synonyms, brands, codes) and the codes of the coded values; immutable.

    Drug names: :meth:`canonical` (a name as typed in a record: case, spaces, hyphens ignored),
    :meth:`match_text` (the longest drug name found as whole words in free text), :meth:`suggest`.
    Drug codes: :meth:`match_code`. IRIs: :meth:`iri`, :meth:`label`. Coded values:
    :meth:`read_codes` and :meth:`export_codes`.
    """

    def __init__(
        self,
        drugs: Mapping[str, URIRef],
        synonyms: Mapping[str, str] | None = None,
        codes: Iterable[tuple[str, str, str]] = (),
        mappings: Iterable[CodeMapping] = (),
        classes: Mapping[str, Iterable[str]] | None = None,
        requirements: Mapping[str, BiomarkerRequirement] | None = None,
    ):
        """``drugs``: canonical name -> IRI; ``synonyms``: synonym or brand -> canonical name;
        ``codes``: (system key, code, canonical name) from the drugs' ``skos:exactMatch``;
        ``mappings``: the rows of the mapping sets; ``classes``: canonical name -> the drug classes
        it is a member of (its asserted types: every class up to ``h2n:Drug`` is asserted); ``requirements``: canonical name
        -> its :class:`BiomarkerRequirement`."""
        self._iri: dict[str, URIRef] = {k: URIRef(v) for k, v in sorted(drugs.items())}
        self._label: dict[URIRef, str] = {iri: name for name, iri in self._iri.items()}
        self.synonyms: dict[str, str] = {alt: c for alt, c in (synonyms or {}).items() if c in self._iri}
        # a name as typed in a record (DrugCatalog): a canonical name wins over a colliding synonym
        self._lookup: dict[str, str] = {}
        for alt, canonical in self.synonyms.items():
            self._lookup.setdefault(_key(alt), canonical)
        for name in self._iri:
            self._lookup[_key(name)] = name
        # whole-word phrases of free text (FHIR): the same names, normalised
        by_name: dict[str, str] = {}
        for name in self._iri:
            by_name[normalise_text(name)] = name
        for alt, canonical in self.synonyms.items():
            by_name.setdefault(normalise_text(alt), canonical)
        for name in self._iri:
            by_name[normalise_text(name)] = name
        self.by_name: dict[str, str] = by_name
        # codes: the ontology's exactMatch (a code of two drugs, e.g. one ATC code of two
        # formulations, is dropped), then the mapping sets' drug codes where the ontology has none
        by_code: dict[tuple[str, str], str] = {}
        ambiguous: set[tuple[str, str]] = set()
        for system, code, name in codes:
            if name not in self._iri:
                continue
            if (system, code) in by_code and by_code[(system, code)] != name:
                ambiguous.add((system, code))
            by_code[(system, code)] = name
        for key in ambiguous:
            del by_code[key]
        self.mappings: tuple[CodeMapping, ...] = tuple(mappings)
        for m in self.mappings:
            name = self._label.get(URIRef(m.subject))
            if name is not None and m.read:
                by_code.setdefault((m.system, m.code), name)
        self.by_code: dict[tuple[str, str], str] = by_code
        # (subject, code system) -> the row of the code written on export (the first one marked)
        self._export: dict[tuple[str, str], CodeMapping] = {}
        for m in self.mappings:
            if m.export:
                self._export.setdefault((m.subject, m.system), m)
        self._classes: dict[str, frozenset[URIRef]] = {
            name: frozenset(URIRef(c) for c in cs) for name, cs in (classes or {}).items() if name in self._iri
        }
        #: Canonical drug name -> what its indication requires of the tumour or germline.
        self.biomarker_requirements: dict[str, BiomarkerRequirement] = {
            name: r for name, r in (requirements or {}).items() if name in self._iri
        }

    # -- construction ---------------------------------------------------------------------

    @classmethod
    def from_rows(
        cls, rows: Iterable[Mapping[str, str]], mappings: Iterable[CodeMapping] | None = None
    ) -> Vocabulary:
        """From ``(drug, p, v)`` rows of a knowledge-base store (``queries/kb/kb-vocabulary.rq``):
        ``p`` is ``rdfs:label``, ``skos:altLabel`` or ``skos:exactMatch``."""
        labels: dict[str, list[str]] = {}
        alts: list[tuple[str, str]] = []
        matches: list[tuple[str, str]] = []
        types: list[tuple[str, str]] = []
        requirement_rows: list[tuple[str, str, str]] = []
        for r in rows:
            drug, p, v = str(r["drug"]), str(r["p"]), str(r["v"])
            if p == str(RDFS.label):
                labels.setdefault(drug, []).append(v)
            elif p == str(SKOS.altLabel):
                alts.append((drug, v))
            elif p == str(SKOS.exactMatch):
                matches.append((drug, v))
            elif p == str(RDF.type):
                types.append((drug, v))
            elif p in _REQUIREMENT_PARTS:
                requirement_rows.append((drug, p, v))
        return cls._build(labels, alts, matches, mappings, types, requirement_rows)

    @classmethod
    def from_graph(cls, graph: Graph, mappings: Iterable[CodeMapping] | None = None) -> Vocabulary:
        """From an RDF graph of drug individuals (typed with ``h2n:Drug`` or a subclass, or
        named ``h2n:drug-…``)."""
        drug_classes = set(graph.transitive_subjects(RDFS.subClassOf, H2N.Drug))
        drug_classes.add(H2N.Drug)
        candidates: set[URIRef] = set()
        for s, t in graph.subject_objects(RDF.type):
            if not isinstance(s, URIRef) or t == OWL.Class or (s, RDF.type, OWL.Class) in graph:
                continue
            if t in drug_classes or str(s).startswith(str(H2N) + "drug-"):
                candidates.add(s)
        for s in graph.subjects(RDFS.label):  # an untyped h2n:drug-… individual is a drug too
            if (
                isinstance(s, URIRef)
                and str(s).startswith(str(H2N) + "drug-")
                and (s, RDF.type, OWL.Class) not in graph
            ):
                candidates.add(s)
        labels = {str(s): [str(x) for x in graph.objects(s, RDFS.label)] for s in candidates}
        alts = [(str(s), str(x)) for s in candidates for x in graph.objects(s, SKOS.altLabel)]
        matches = [(str(s), str(x)) for s in candidates for x in graph.objects(s, SKOS.exactMatch)]
        types = [(str(s), str(t)) for s in candidates for t in graph.objects(s, RDF.type)]
        requirement_rows = [
            (str(drug), str(p), str(v))
            for req in graph.subjects(RDF.type, H2N.BiomarkerRequirement)
            for drug in graph.objects(req, H2N.requirementOfDrug)
            for p in _REQUIREMENT_PARTS
            for v in graph.objects(req, URIRef(p))
        ]
        return cls._build(labels, alts, matches, mappings, types, requirement_rows)

    @classmethod
    def _build(cls, labels, alts, matches, mappings, types=(), requirement_rows=()) -> Vocabulary:
        drugs: dict[str, URIRef] = {}
        name_of: dict[str, str] = {}
        for iri in sorted(labels):
            if labels[iri]:
                name = sorted(labels[iri])[0]
                drugs[name] = URIRef(iri)
                name_of[iri] = name
        if not drugs:
            raise KnowledgeBaseError("no drugs (individuals with rdfs:label) found in the drug catalogue")
        synonyms: dict[str, str] = {}
        for iri, alt in sorted(alts):
            if iri in name_of:
                synonyms[alt] = name_of[iri]
        codes = []
        for iri, target in sorted(matches):
            code = _code_of(target)
            if iri in name_of and code is not None and code[0] in ("rxnorm", "ncit", "atc", "chebi"):
                codes.append((code[0], code[1], name_of[iri]))
        classes: dict[str, set[str]] = {}
        for iri, c in types:
            if iri in name_of:
                classes.setdefault(name_of[iri], set()).add(c)
        return cls(
            drugs,
            synonyms,
            codes,
            _default_mappings() if mappings is None else mappings,
            classes,
            _requirements(name_of, requirement_rows),
        )

    @classmethod
    def from_file(cls, path: str | Path, mappings: Iterable[CodeMapping] | None = None) -> Vocabulary:
        """From a Turtle file of drugs (``ontology/drugs.ttl`` or a file of the same shape)."""
        path = Path(path)
        if not path.is_file():
            raise KnowledgeBaseError(
                "drug ontology not found", where=str(path), hint="ontology/drugs.ttl must be present"
            )
        return cls.from_graph(_parse(path), mappings)

    @classmethod
    def default(cls) -> Vocabulary:
        """The vocabulary of the knowledge base's files (``drugs.ttl`` and ``mappings/``), read once."""
        global _DEFAULT
        if _DEFAULT is None:
            with _LOCK:
                if _DEFAULT is None:
                    _DEFAULT = cls.from_file(ontology_file("drugs.ttl"))
        return _DEFAULT

    load = default

    # -- drug names -----------------------------------------------------------------------

    @property
    def names(self) -> tuple[str, ...]:
        """Every canonical drug name, sorted."""
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

    # -- drug codes and IRIs --------------------------------------------------------------

    def match_code(self, system: str | None, code: str | None) -> str | None:
        """Canonical name for a coding (system URI and code), or ``None``."""
        if not code:
            return None
        key = system_key(system)
        if key == "ncit" and not code.startswith("C"):
            code = "C" + code
        return self.by_code.get((key, code.strip()))

    def drugs_of_class(self, cls: URIRef | str) -> frozenset[str]:
        """Canonical names of the drugs that are members of the drug class ``cls`` (e.g.
        ``h2n:CDK46Inhibitor``), by their asserted types (every class up to ``h2n:Drug`` is asserted,
        as ``queries/qc/drug-class-not-closed.rq`` checks)."""
        target = URIRef(cls)
        return frozenset(name for name, cs in self._classes.items() if target in cs)

    def iri(self, canonical: str) -> URIRef:
        """The IRI of a canonical drug name (``h2n:drug-…``); KeyError when it is not one."""
        return self._iri[canonical]

    def label(self, iri: URIRef | str) -> str | None:
        """The canonical name of a drug IRI; None when the IRI is not a known drug."""
        return self._label.get(URIRef(iri))

    # -- coded values ---------------------------------------------------------------------

    def read_codes(self, cls: URIRef, system: str = "sct", category: str | None = None) -> dict[str, str]:
        """Code -> JSON code (``skos:notation``) of the individuals of ``cls``, for the codes read
        from input (see :attr:`CodeMapping.read`); ``category`` keeps one object category."""
        notation = enum_table(cls).by_iri
        out: dict[str, str] = {}
        for m in self.mappings:
            value = notation.get(URIRef(m.subject))
            if value is not None and m.read and m.system == system and category in (None, m.category):
                out.setdefault(m.code, value)
        return out

    def export_codes(self, cls: URIRef, system: str = "sct", category: str | None = None) -> dict[str, str]:
        """JSON code -> the code written on export, for the individuals of ``cls``."""
        notation = enum_table(cls).by_iri
        out: dict[str, str] = {}
        for m in self.mappings:
            value = notation.get(URIRef(m.subject))
            if value is not None and m.export and m.system == system and category in (None, m.category):
                out.setdefault(value, m.code)
        return out

    def codes(self, subject: URIRef, system: str, predicates: Iterable[str] | None = None) -> frozenset[str]:
        """The codes of ``system`` read as ``subject`` (a patient property such as ``h2n:lvefPercent``,
        an individual, a medication); ``predicates`` (local names such as ``"relatedMatch"``) keeps
        only the rows with one of those mapping predicates. Empty when the mapping sets have none."""
        keep = None if predicates is None else {str(SKOS[p]) for p in predicates}
        return frozenset(
            m.code
            for m in self.mappings
            if m.read
            and m.system == system
            and m.subject == str(subject)
            and (keep is None or m.predicate in keep)
        )

    def not_mapped(self, system: str, subjects: Iterable[URIRef] | None = None) -> dict[str, CodeMapping]:
        """Code -> its row, for the codes of ``system`` deliberately not read (negated mappings and
        codes no term matches; :attr:`CodeMapping.reason`); ``subjects`` keeps the negated rows on
        those subjects (and leaves out the codes no term matches)."""
        wanted = None if subjects is None else {str(s) for s in subjects}
        return {
            m.code: m
            for m in self.mappings
            if m.not_mapped and m.system == system and (wanted is None or m.subject in wanted)
        }

    def export_mapping(self, subject: URIRef, system: str) -> CodeMapping | None:
        """The row of the code of ``system`` written on export for ``subject``; None when there is none."""
        return self._export.get((str(subject), system))

    def concept_codes(self, subjects: Iterable[URIRef], system: str) -> dict[str, CodeMapping]:
        """Code -> its mapping row, for the codes of ``system`` read as one of ``subjects``."""
        wanted = {str(s) for s in subjects}
        out: dict[str, CodeMapping] = {}
        for m in self.mappings:
            if m.read and m.system == system and m.subject in wanted:
                out.setdefault(m.code, m)
        return out

    # -- container protocol ---------------------------------------------------------------

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.canonical(name) is not None

    def __iter__(self) -> Iterator[str]:
        return iter(self._iri)

    def __len__(self) -> int:
        return len(self._iri)


_DEFAULT: Vocabulary | None = None
_LOCK = Lock()


def drug_iri(canonical: str) -> URIRef:
    """The knowledge-base IRI of a canonical drug name (``nab-paclitaxel`` -> ``h2n:drug-nab-paclitaxel``),
    from the default vocabulary; KeyError for a name that is not a drug of the knowledge base."""
    return Vocabulary.default().iri(canonical)


def set_default_vocabulary(vocabulary: Vocabulary | None) -> None:
    """Replace the cached default vocabulary (tests, embedding); None rereads the files on next use."""
    global _DEFAULT
    with _LOCK:
        _DEFAULT = vocabulary
