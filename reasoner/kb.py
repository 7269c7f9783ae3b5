"""The knowledge base, loaded once and reused for many patients.

It parses every ontology module into a fast embedded store (pyoxigraph) and reads, once, the
metadata the result needs (labels, texts, regimens, evidence, approvals). Eligibility itself is
decided per patient by the SPARQL queries in ``queries/eligibility/``.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from reasoner.errors import KnowledgeBaseError
from reasoner.inference import DrugClasses
from reasoner.inference.parameters import load_parameters
from reasoner.query.backends import QueryBackend, get_backend
from reasoner.query.catalog import get_query
from reasoner.resources import module_paths
from reasoner.result.model import Approval, Evidence
from reasoner.result_rules import load_result_rules
from reasoner.terminology import Vocabulary
from reasoner.vocab import H2N, local_name

__all__ = ["KnowledgeBase", "Rule", "Criterion", "Component", "Regimen", "ContraindicationInfo", "ResistanceRule"]


_INLINE_PREFIXES = """
PREFIX h2n: <https://w3id.org/her2neg/kb/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
"""


@dataclass(frozen=True)
class Component:
    order: int
    role: str
    drugs: tuple[str, ...]
    continues_after_progression: bool
    dosing: str | None


@dataclass(frozen=True)
class Regimen:
    iri: str
    label: str
    components: tuple[Component, ...]

    @functools.cached_property
    def drugs(self) -> tuple[str, ...]:
        """Every drug option of every component, sorted."""
        return tuple(sorted({d for c in self.components for d in c.drugs}))


@dataclass(frozen=True)
class Criterion:
    iri: str
    label: str
    fail_text: str
    missing_text: str
    reason_code: str
    negated: bool
    unknown_caution: str | None
    jurisdiction: str | None = None  # the label jurisdiction it comes from (US, EU); None: everywhere
    soft: bool = False  # failing it adds a caution instead of excluding the option
    lowers_preference: bool = False  # a failing soft criterion also lowers the preference
    state_facets: tuple[tuple[str, str], ...] = ()  # (state label, facet local name) of its states

    def caution_for(self, unknown_facets) -> str | None:
        """The unknown-caution for a patient: ``{missing}`` names the states whose fact is not
        recorded for this patient (not every state of the criterion), so a caution never says a
        recorded fact is missing."""
        text = self.unknown_caution
        if not text or "{missing}" not in text:
            return text
        labels = [label for label, facet in self.state_facets if facet in unknown_facets] \
            or [label for label, _ in self.state_facets]
        missing = " or ".join(dict.fromkeys(labels)) or self.label
        if text.startswith("{missing}"):
            missing = missing[:1].upper() + missing[1:]
        return text.replace("{missing}", missing)


@dataclass(frozen=True)
class Rule:
    """A recommendation or an advice rule, with what the result shows about it."""

    iri: str
    kind: str  # "Recommendation" | "AdviceRule"
    label: str
    code: str | None
    regimen: str | None
    intent: str
    preference: str
    rank: int
    line_label: str | None
    rationale: tuple[str, ...]
    cautions: tuple[str, ...]
    evidence: tuple[Evidence, ...]
    approvals: tuple[Approval, ...]
    endorsed_in: frozenset[str]
    sources: tuple[str, ...]
    advice_code: str | None
    advice_text: str | None
    continues_current: bool = False  # h2n:continuesCurrentRegimen: its option is the current regimen
    supersedes_intents: frozenset[str] = frozenset()  # h2n:supersedesIntent (intent notations)
    keeps_add_ons: bool = False  # h2n:keepsAddOns
    superseded_code: str | None = None  # h2n:supersededReasonCode (required of a rule that continues the current regimen)
    superseded_text: str | None = None  # h2n:supersededText

    @functools.cached_property
    def id(self) -> str:
        return local_name(self.iri)


@dataclass(frozen=True)
class ResistanceRule:
    """Which drugs the disease is taken to be resistant to (``h2n:ResistanceRule``)."""

    iri: str
    scope: str  # active_moiety | drug_class | curative_relapse
    drug_class: str | None  # local name of the OWL class it applies to
    within_days: int | None
    action: str  # block | caution
    message: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class ContraindicationInfo:
    iri: str
    label: str
    message: str
    action: str
    kind: str
    section: str | None
    sources: tuple[str, ...]


UNVERIFIED_APPROVAL_NOTE = (
    "the knowledge base records this status but it could not be verified against the agency's "
    "records (h2n:verificationStatus \"unverified\"): check the current label"
)


def _approval_item(row: dict) -> Approval:
    """An approval as the result shows it (agency, status, date: the keys of the contract and of
    the Parquet schema). An approval marked unverified is never shown as "approved": its status is
    "unverified" (UNVERIFIED_APPROVAL_NOTE says what that means); a verified approval whose date is
    unverified is shown without the date."""
    verification = (row.get("verification") or "verified").strip().lower()
    status = row.get("status")
    date = None if row.get("date") is None else str(row["date"])
    if verification == "unverified" and status == "approved":
        status = "unverified"
    elif verification == "date unverified":
        date = None
    return Approval(agency=row.get("agency"), status=status, date=date)


def _group(rows, key):
    out = defaultdict(list)
    for row in rows:
        out[row[key]].append(row)
    return out


def _open_store(backend: str, files: tuple[Path, ...]) -> QueryBackend:
    try:
        return get_backend(backend, files)
    except (SyntaxError, ValueError, OSError) as exc:
        raise KnowledgeBaseError(f"the ontology does not load: {exc}") from exc


def _snapshot_key() -> str | None:
    """The start-up cache key of the knowledge base: every file under ``ontology/`` and
    ``queries/``, the package's code and the versions of the libraries that read them (see
    :mod:`reasoner.cache`); None when the cache is off or a file cannot be read (nothing cached)."""
    from reasoner import cache
    from reasoner.resources import ontology_dir, queries_dir

    if not cache.enabled():
        return None
    try:
        import pyoxigraph
        import rdflib

        versions = f"rdflib {rdflib.__version__}, pyoxigraph {pyoxigraph.__version__}"
        return cache.files_key(f"kb ({versions})", (), (ontology_dir(), queries_dir()))
    except Exception:  # noqa: BLE001 - unreadable files: load from the files, the loader says what is wrong
        return None


def _inside_ontology_dir(files: tuple[Path, ...]) -> bool:
    """Whether every module file lies under ``ontology/`` (and so is covered by the cache key)."""
    from reasoner.resources import ontology_dir

    root = ontology_dir().resolve()
    return all(Path(f).resolve().is_relative_to(root) for f in files)


def _seed_default_vocabulary(vocabulary) -> None:
    """The cached default vocabulary (``drugs.ttl`` and the mapping sets), unless one is set already."""
    from reasoner import terminology

    if vocabulary is not None and getattr(terminology, "_DEFAULT", None) is None:
        terminology.set_default_vocabulary(vocabulary)


def _write_snapshot(kb: KnowledgeBase, key: str) -> None:
    """Put a freshly loaded knowledge base's derived tables in the start-up cache: its metadata,
    the compiled fast-path knowledge (compiled now, kept for the engine) and the default vocabulary."""
    from reasoner import cache
    from reasoner.query.fastpath import CompiledKnowledge
    from reasoner.terminology import Vocabulary, ontology_file

    vocabulary = Vocabulary.from_file(ontology_file("drugs.ttl"))  # what Vocabulary.default() reads
    kb._compiled_knowledge = CompiledKnowledge(kb.backend)
    state = {k: v for k, v in kb.__dict__.items() if k not in KnowledgeBase._NOT_CACHED}
    cache.write("kb", key, {"class": type(kb).__qualname__, "state": state, "files": kb.files,
                            "compiled": kb._compiled_knowledge, "vocabulary": vocabulary})
    _seed_default_vocabulary(vocabulary)


def _superseded_code(iri: str, row: dict) -> str | None:
    """The reason code of the options a continued current regimen supersedes: knowledge, required of
    a rule that continues the current regimen (no default: a missing one refuses the knowledge base)."""
    if row.get("cur") and not row.get("scode"):
        raise KnowledgeBaseError(
            f"rule {iri} continues the current regimen but has no h2n:supersededReasonCode",
            where="queries/kb/kb-current-regimen-rules.rq",
            hint="give the rule the reason code of the options it supersedes; the knowledge base is refused")
    return row.get("scode")


class KnowledgeBase:
    """The ontology modules loaded into a store, with the metadata the results need.

    Load it once and reuse it: ``kb = KnowledgeBase.load()``, then ``kb.recommend(record)``
    for each patient (see :mod:`reasoner`).
    """

    def __init__(self, backend: QueryBackend, files: tuple[Path, ...]):
        self.backend = backend
        self.files = files
        self._check_evaluable()
        self._read_metadata()

    #: Attributes that are not derived tables (never put in the start-up cache).
    _NOT_CACHED = frozenset({"_backend", "files", "_engine", "_compiled_knowledge"})

    @property
    def backend(self) -> QueryBackend:
        """The triple store of the knowledge base. A knowledge base read from the start-up cache
        (:mod:`reasoner.cache`) loads it from the module files on first use."""
        store = self.__dict__.get("_backend")
        if store is None:
            store = self._backend = _open_store("oxigraph", self.files)
        return store

    @backend.setter
    def backend(self, store: QueryBackend) -> None:
        self._backend = store

    @classmethod
    def load(cls, *, backend: str = "oxigraph") -> KnowledgeBase:
        """Load every module of the ontology (``ontology/her2neg.ttl`` and its imports).

        On the default backend the derived tables come from the start-up cache when it holds them
        for these very files and this code (:mod:`reasoner.cache`; ``HER2NEG_NO_CACHE=1`` turns it
        off); the store itself is then loaded on first use. The module list is part of what is
        cached: it is derived from ``her2neg.ttl`` and the catalog, which the key covers, and only
        a knowledge base whose modules all lie under ``ontology/`` is cached."""
        if backend not in ("oxigraph", "rdflib"):  # the knowledge base is loaded from its files
            from reasoner.errors import UsageError

            raise UsageError(f"unknown backend {backend!r}", hint="use oxigraph or rdflib")
        key = _snapshot_key() if backend == "oxigraph" else None
        if key is not None:
            from reasoner import cache

            snapshot = cache.read("kb", key)
            if isinstance(snapshot, dict) and snapshot.get("class") == cls.__qualname__:
                kb = cls.__new__(cls)
                kb.__dict__.update(snapshot["state"])
                kb.files = snapshot["files"]
                kb._backend = None
                kb._compiled_knowledge = snapshot["compiled"]
                _seed_default_vocabulary(snapshot["vocabulary"])
                return kb
        files = tuple(module_paths())
        if not files:
            raise KnowledgeBaseError("no ontology modules found", hint="is the package installed with its data?")
        kb = cls(_open_store(backend, files), files)
        if key is not None and _inside_ontology_dir(files):
            _write_snapshot(kb, key)
        return kb

    @staticmethod
    @functools.cache
    def default() -> KnowledgeBase:
        """A process-wide knowledge base on the default backend, loaded on first use."""
        return KnowledgeBase.load()

    # -- metadata ---------------------------------------------------------------------------

    def _q(self, name: str) -> list[dict]:
        """Run the named query of ``queries/kb/`` on the knowledge base.

        (An inline query text is still accepted for metadata added since the move to queries/kb/;
        such queries are not in the compliance run: move them to a file.)"""
        if "{" in name:
            return self.backend.select(_INLINE_PREFIXES + name)
        return self.backend.select(get_query(name).text)

    def _check_evaluable(self) -> None:
        """Fail closed on knowledge neither evaluator can evaluate (``queries/qc/criterion-not-evaluable.rq``,
        ``queries/qc/contraindication-not-evaluable.rq``).

        A criterion of an unknown kind, or without what its kind needs, would yield no status and
        so count as met; a contraindication without a drug, action, type, message or trigger, or with a
        threshold that cannot be compared (no bound, a bound that is not a number), would never
        match, so that what it contraindicates would be read as absent. Such a knowledge base does
        not load.
        """
        from reasoner.resources import queries_dir

        for name, what in (("criterion-not-evaluable", "criterion"),
                           ("contraindication-not-evaluable", "contraindication")):
            path = queries_dir() / "qc" / f"{name}.rq"
            try:
                rows = self.backend.select(path.read_text(encoding="utf-8"))
            except OSError as exc:
                raise KnowledgeBaseError(f"the QC query cannot be read: {exc}", where=str(path)) from exc
            if rows:
                first = rows[0]
                more = f" (and {len(rows) - 1} more)" if len(rows) > 1 else ""
                of = f" of {first['value']}" if what == "criterion" else ""
                raise KnowledgeBaseError(
                    f"{what} {first['entity']}{of} cannot be evaluated: {first['message']}{more}",
                    where=str(path.name), hint=f"fix the {what} in the ontology; the knowledge base is refused")

    def _read_metadata(self) -> None:
        header = self._q("kb-version")
        self.version = str(header[0]["info"]) if header and header[0].get("info") else "0.1.0"
        current = self._q("kb-current-to")
        self.current_to = current[0]["max"] if current and current[0].get("max") else None

        self.labels: dict[str, str] = {
            r["s"]: r["label"] for r in self._q("kb-labels")
        }
        #: Jurisdiction code (US, EU) -> the agency whose approvals count there (ontology: h2n:Jurisdiction).
        self.jurisdictions: dict[str, str] = {
            str(r["code"]): str(r["agency"]) for r in self._q("kb-jurisdictions")
        }
        self.notations: dict[str, str] = {
            r["s"]: r["n"] for r in self._q("kb-notations")
        }
        drug_rows = self._q("kb-drugs")
        classes: dict[str, set[str]] = defaultdict(set)
        self.drug_iris: dict[str, str] = {}
        for r in drug_rows:
            classes[r["label"]].add(local_name(r["cls"]))
            self.drug_iris[r["label"]] = r["drug"]
        #: thresholds, windows, risk definitions and term IRIs of the inference step (fail closed)
        self.inference_parameters = load_parameters(self._q)
        self.drug_classes = DrugClasses({k: frozenset(v) for k, v in classes.items()},
                                        parameters=self.inference_parameters)
        #: The one vocabulary (drug names, synonyms, brands, codes; the codes of ontology/mappings/),
        #: built from this store.
        self.vocabulary: Vocabulary = Vocabulary.from_rows(self._q("kb-vocabulary"))
        # The most specific class label of each drug (the role shown for a drug of the current regimen).
        supers: dict[str, set[str]] = defaultdict(set)
        for r in self._q("kb-class-hierarchy"):
            supers[r["class"]].add(r["super"])
        drug_class = str(H2N.Drug)

        @functools.cache
        def ancestors(cls: str) -> frozenset[str]:  # cls and every class above it
            out = {cls}
            for sup in supers.get(cls, ()):
                out |= ancestors(sup)
            return frozenset(out)

        def depth(cls: str) -> int:  # the classes from cls up to h2n:Drug
            return sum(1 for a in ancestors(cls) if drug_class in ancestors(a))

        type_rows = [dict(r, depth=depth(r["type"])) for r in self._q("kb-drug-type-labels")]
        self.drug_type_labels: dict[str, str] = {}
        for r in sorted(type_rows, key=lambda r: (-int(r["depth"]), str(r["typeLabel"]))):
            self.drug_type_labels.setdefault(r["label"], r["typeLabel"])

        self.sources: dict[str, str] = {}
        for r in self._q("kb-sources"):
            self.sources[r["s"]] = r["label"]
        self.citations = {
            r["s"]: r["c"]
            for r in self._q("kb-citations")
        }
        # Persistent identifiers (DOI, PMID, PMCID, NCT, other registries, DailyMed set IDs of US
        # labels) of each source, by source IRI.
        self.source_identifiers: dict[str, dict[str, list[str]]] = {}
        for r in self._q("""SELECT ?s ?p ?v WHERE { ?s a h2n:Source ; ?p ?v .
                            VALUES ?p { h2n:doi h2n:pmid h2n:pmcid h2n:nctId h2n:trialRegistryId
                                        h2n:dailyMedSetId } }"""):
            ids = self.source_identifiers.setdefault(r["s"], {})
            ids.setdefault(local_name(r["p"]), []).append(str(r["v"]))
        for ids in self.source_identifiers.values():
            for values in ids.values():
                values.sort()

        comp_rows = self._q("kb-regimen-components")
        self.regimens: dict[str, Regimen] = {}
        for regimen, rows in _group(comp_rows, "regimen").items():
            comps = []
            for comp, crow in _group(rows, "component").items():
                first = crow[0]
                drugs = sorted({self.labels.get(r["drug"], local_name(r["drug"])) for r in crow})
                comps.append(Component(
                    order=int(first.get("order") or 0),
                    role=self.labels.get(first.get("role") or "", "") or local_name(comp),
                    drugs=tuple(drugs),
                    continues_after_progression=bool(first.get("continues")),
                    dosing=first.get("dosing"),
                ))
            comps.sort(key=lambda c: (c.order, c.role))
            self.regimens[regimen] = Regimen(regimen, self.labels.get(regimen, local_name(regimen)), tuple(comps))

        state_facets: dict[str, set[tuple[str, str]]] = defaultdict(set)
        for r in self._q("""SELECT ?c ?label ?key WHERE { ?c h2n:state ?s . ?s rdfs:label ?label ;
                h2n:facet ?facet . ?facet skos:notation ?key }"""):  # the facet's key, as inference emits it
            state_facets[r["c"]].add((r["label"], str(r["key"])))
        self.criteria: dict[str, Criterion] = {}
        for r in self._q("kb-criteria"):
            label = r.get("label") or local_name(r["c"])
            if r["c"] in self.criteria:
                continue
            self.criteria[r["c"]] = Criterion(
                iri=r["c"], label=label,
                fail_text=r.get("fail") or f"criterion not met: {label}",
                missing_text=r.get("missing") or f"needed but not recorded: {label}",
                reason_code=r.get("code") or "CRITERION_NOT_MET",
                negated=bool(r.get("neg")),
                unknown_caution=r.get("caution"),
                jurisdiction=r.get("jur"),
                soft=bool(r.get("soft")),
                lowers_preference=bool(r.get("lowers")),
                state_facets=tuple(sorted(state_facets.get(r["c"], ()))),
            )

        #: every criterion each rule names (a criterion without a status row excludes the rule)
        self.rule_criteria: dict[str, frozenset[str]] = {
            rule: frozenset(r["c"] for r in rows)
            for rule, rows in _group(self._q("SELECT ?rule ?c WHERE { ?rule h2n:hasCriterion ?c }"), "rule").items()
        }

        #: the criteria that depend on the treatment history (h2n:fromTreatmentHistory)
        self.history_criteria: frozenset[str] = frozenset(r["c"] for r in self._q("""SELECT DISTINCT ?c WHERE {
            { ?c h2n:exposureKind ?k . ?k h2n:fromTreatmentHistory true }
            UNION { ?c h2n:quantity ?q . ?q h2n:fromTreatmentHistory true }
            UNION { ?c h2n:state ?s . ?s h2n:facet ?f . ?f h2n:fromTreatmentHistory true }
            UNION { ?c h2n:criterionFacet ?f . ?f h2n:fromTreatmentHistory true }
            UNION { ?c a h2n:IntervalCriterion } }"""))  # intervals are measured from prior treatments

        # Formulations of one molecule (h2n:activeMoiety) and the resistance rules.
        self.active_moiety: dict[str, str] = {}
        for r in self._q("kb-active-moieties"):
            drug, moiety = self.labels.get(r["d"]), self.labels.get(r["m"])
            if drug and moiety:
                self.active_moiety[drug] = moiety
        rr_sources = _group(self._q("kb-resistance-rule-sources"), "r")
        self.resistance_rules: list[ResistanceRule] = []
        for r in self._q("kb-resistance-rules"):
            self.resistance_rules.append(ResistanceRule(
                iri=r["r"], scope=r["scope"], drug_class=local_name(r["cls"]) if r.get("cls") else None,
                within_days=int(r["days"]) if r.get("days") is not None else None,
                action=r.get("action") or "block", message=r["message"],
                sources=tuple(sorted({x["v"] for x in rr_sources.get(r["r"], [])})),
            ))

        self.rules: dict[str, Rule] = {}
        rule_rows = self._q("kb-rules")
        multi = {
            "rationale": _group(self._q("kb-rationale"), "r"),
            "caution": _group(self._q("kb-cautions"), "r"),
            "source": _group(self._q("kb-rule-sources"), "r"),
            "endorsed": _group(self._q("kb-endorsements"), "r"),
            "supersedes": _group(self._q("kb-supersedes"), "r"),
        }
        current_rows = {r["r"]: r for r in self._q("kb-current-regimen-rules")}
        evidence = _group(self._q("kb-evidence"), "r")
        approvals = _group(self._q("kb-approvals"), "r")
        seen: set[str] = set()
        for r in rule_rows:
            iri = r["r"]
            if iri in seen:
                continue
            seen.add(iri)
            ev = []
            for e in sorted(evidence.get(iri, []), key=lambda e: (e.get("src") or "", e.get("trial") or "", e.get("level") or "")):
                item = Evidence(source=self.sources.get(e.get("src") or "", local_name(e.get("src") or "")),
                                trial=e.get("trial"), level=e.get("level"))
                if item not in ev:
                    ev.append(item)
            ap = []
            for a in sorted(approvals.get(iri, []), key=lambda a: (a.get("agency") or "", str(a.get("date") or ""))):
                item = _approval_item(a)
                if item not in ap:
                    ap.append(item)
            self.rules[iri] = Rule(
                iri=iri, kind=local_name(r["kind"]), label=r.get("label") or local_name(iri),
                code=r.get("code"), regimen=r.get("regimen"), intent=r.get("intent") or "anticancer",
                preference=r.get("pref") or "alternative", rank=1000 if r.get("rank") is None else int(r["rank"]),
                line_label=r.get("line"),
                rationale=tuple(sorted({x["v"] for x in multi["rationale"].get(iri, [])})),
                cautions=tuple(sorted({x["v"] for x in multi["caution"].get(iri, [])})),
                evidence=tuple(ev), approvals=tuple(ap),
                endorsed_in=frozenset(x["v"] for x in multi["endorsed"].get(iri, [])),
                sources=tuple(sorted({x["v"] for x in multi["source"].get(iri, [])})),
                advice_code=r.get("acode"), advice_text=r.get("atext"),
                continues_current=bool(current_rows.get(iri, {}).get("cur")),
                supersedes_intents=frozenset(x["v"] for x in multi["supersedes"].get(iri, [])),
                keeps_add_ons=bool(current_rows.get(iri, {}).get("addons")),
                superseded_code=_superseded_code(iri, current_rows.get(iri, {})),
                superseded_text=current_rows.get(iri, {}).get("stext"),
            )

        #: drug classes never combined, fixed result texts, advice for invalid records (ontology/advice.ttl)
        self.result_rules = load_result_rules(self._q)

        #: the record warnings (ontology/advice.ttl): local name -> (code, message template)
        self.warning_texts: dict[str, tuple[str, str]] = {
            local_name(r["warning"]): (r["code"], r["template"]) for r in self._q("kb-warnings")}

        self.contraindications: dict[str, ContraindicationInfo] = {}
        ci_sources = _group(self._q("kb-contraindication-sources"), "c")
        for r in self._q("kb-contraindications"):
            if r["c"] in self.contraindications:
                continue
            self.contraindications[r["c"]] = ContraindicationInfo(
                iri=r["c"], label=r.get("label") or local_name(r["c"]),
                # message, action and type: required at load (queries/qc/contraindication-not-evaluable.rq)
                message=r["message"], action=r["action"], kind=r["kind"],
                section=r.get("section"),
                sources=tuple(sorted({x["v"] for x in ci_sources.get(r["c"], [])})),
            )

        # Every concomitant-medication name the knowledge base reasons over: the names and synonyms of
        # the medication individuals, the names single contraindications are triggered by, and the
        # drugs of the knowledge base. Any other name is kept but reported (UNKNOWN_MEDICATION).
        medications = self._q("kb-medication-names")
        triggers = self._q("kb-medication-triggers")
        self.medication_names: frozenset[str] = frozenset(
            [r["n"].lower() for r in medications]
            + [r["name"].lower() for r in triggers if r.get("name")]
            + [name.lower() for name in self.drug_iris]
            + [alt.lower() for alt in self.vocabulary.synonyms])
        self.interaction_count = len(triggers)
        self.concomitant_medication_count = len({r["m"] for r in medications})

        #: rule IRI -> the fail texts of its criteria about who the patient is (the reading view)
        population: dict[str, set[str]] = {}
        for r in self._q("kb-population-criteria"):
            population.setdefault(str(r["rule"]), set()).add(str(r["text"]))
        self.population_criteria: dict[str, frozenset[str]] = {k: frozenset(v) for k, v in population.items()}

    # -- facts for the CLI's `kb info` -------------------------------------------------------

    def counts(self) -> dict[str, int]:
        rows = self._q("kb-count-classes")
        mappings = self._q("kb-count-mappings")
        triples = self._q("kb-count-triples")
        return {
            "triples": int(triples[0]["n"]),
            "classes": int(rows[0]["classes"]),
            "drugs": len(self.drug_iris),
            "regimens": len(self.regimens),
            "recommendations": sum(1 for r in self.rules.values() if r.kind == "Recommendation"),
            "advice_rules": sum(1 for r in self.rules.values() if r.kind == "AdviceRule"),
            "criteria": len(self.criteria),
            "contraindications": len(self.contraindications),
            "interactions": self.interaction_count,
            "concomitant_medications": self.concomitant_medication_count,
            "sources": len(self.sources),
            "mappings": int(mappings[0]["n"]),
        }

    @property
    def release(self) -> str:
        """``version`` of the result contract: the release and the date the content is current to."""
        current = self.current_to or dt.date.today().isoformat()
        return f"her2neg-kb {self.version} (content current to {current})"

    def jurisdiction(self, value: str | None) -> str | None:
        """A jurisdiction code as the knowledge base knows it (case-insensitive), or None for none.

        Raises :class:`~reasoner.errors.UsageError` (exit code 2) for a code the knowledge base
        does not define.
        """
        if value is None:
            return None
        code = str(value).strip().upper()
        if code not in self.jurisdictions:
            from reasoner.errors import UsageError

            raise UsageError(f"unknown jurisdiction {value!r}", hint="use " + " or ".join(sorted(self.jurisdictions)))
        return code

    def term(self, local: str) -> str:
        return str(H2N[local])
