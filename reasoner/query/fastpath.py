"""The eligibility queries compiled to Python: the same rows, without a SPARQL engine.

``queries/eligibility/*.rq`` and ``queries/warnings/*.rq`` are the reference: what they mean is
defined there, in plain SPARQL that any store can run. For cohorts, evaluating them per patient
is the cost that dominates, so this module reads the knowledge base once (criteria, rules,
contraindications, drug classes) and evaluates the same logic directly on each patient's triples.
It returns rows in exactly the shape the SPARQL queries return (same variables, same values), and
``tests/query/test_fastpath.py`` holds the two to identical rows on the acceptance patients, the
examples and a synthetic cohort. ``Engine(kb, evaluator="sparql")`` runs the reference instead.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from rdflib import Literal

from reasoner.errors import KnowledgeBaseError
from reasoner.vocab import H2N

__all__ = ["CompiledKnowledge", "PatientFacts", "compile_knowledge"]

HAS_STATE = str(H2N.hasState)
UNKNOWN_FACET = str(H2N.unknownFacet)
EFFECTIVE_SETTING = str(H2N.effectiveSetting)
CURATIVE_EXPOSURE = str(H2N.curativeExposure)
CURATIVE_CLASS = str(H2N.curativeDrugClass)
DAYS_TO_RELAPSE = str(H2N.daysToRelapse)

_Q = """PREFIX h2n: <https://w3id.org/her2neg/kb/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
"""
ET_CHEMO_TEXT = (
    "therapies[{i}] combines endocrine therapy ({et}) with chemotherapy ({chemo}): endocrine therapy and "
    "chemotherapy should not be given together outside trials (ESO-ESMO ABC)."
)
ET_CHEMO_OVERLAP_TEXT = (
    "therapies[{i1}] ({et}) overlaps in time with therapies[{i2}] ({chemo}): endocrine therapy and "
    "chemotherapy should not be given together outside trials (ESO-ESMO ABC)."
)

CURRENT_ET_CHEMO_TEXT = (
    "The current treatment combines endocrine therapy ({et}) with chemotherapy ({chemo}), both ongoing: "
    "endocrine therapy and chemotherapy should not be given together outside trials (ESO-ESMO ABC); review "
    "the current regimen."
)


@dataclass
class _Criterion:
    kind: str
    negated: bool = False
    states: set[str] = field(default_factory=set)
    quantity: str | None = None
    bounds: dict[str, float] = field(default_factory=dict)
    exposure_property: str | None = None
    drugs: set[str] = field(default_factory=set)
    classes: set[str] = field(default_factory=set)
    facet: str | None = None
    facets: set[str] = field(default_factory=set)  # the facets of the states (state criteria)


@dataclass
class _Contraindication:
    drugs: set[str] = field(default_factory=set)
    action: str = "block"
    conditions: set[str] = field(default_factory=set)
    states: set[str] = field(default_factory=set)
    medications: set[str] = field(default_factory=set)
    quantity: str | None = None
    bounds: dict[str, float] = field(default_factory=dict)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)


def _within(value: float, bounds: dict[str, float]) -> bool:
    return (
        ("minI" not in bounds or value >= bounds["minI"])
        and ("minE" not in bounds or value > bounds["minE"])
        and ("maxI" not in bounds or value <= bounds["maxI"])
        and ("maxE" not in bounds or value < bounds["maxE"])
    )


@dataclass
class PatientFacts:
    """The patient-node facts the queries match: one patient's out-edges, by property IRI."""

    iri: str
    edges: dict[str, list[Any]]
    therapies: dict[str, dict[str, list[Any]]]
    curative: dict[str, dict[str, list[Any]]] = field(default_factory=dict)

    @classmethod
    def from_triples(cls, iri: str, triples: Iterable[tuple]) -> PatientFacts:
        by_subject: dict[str, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
        for s, p, o in triples:
            value = o.toPython() if isinstance(o, Literal) else str(o)
            by_subject[str(s)][str(p)].append(value)
        edges = by_subject.get(iri, {})
        therapy_iris = edges.get(str(H2N.receivedTherapy), [])
        curative_iris = edges.get(CURATIVE_EXPOSURE, [])
        return cls(iri, edges, {t: by_subject.get(t, {}) for t in therapy_iris},
                   {e: by_subject.get(e, {}) for e in curative_iris})

    def values(self, prop: str) -> list[Any]:
        return self.edges.get(prop, [])


class CompiledKnowledge:
    """The knowledge base's criteria, rules, contraindications and drug classes, read once."""

    def __init__(self, backend) -> None:
        select = lambda body: backend.select(_Q + body)  # noqa: E731 - local shorthand
        self.drug_classes: dict[str, set[str]] = defaultdict(set)
        for r in select("SELECT ?drug ?class WHERE { ?drug a h2n:Drug , ?class }"):
            self.drug_classes[r["drug"]].add(r["class"])
        self.labels = {r["s"]: r["l"] for r in select("SELECT ?s ?l WHERE { ?s rdfs:label ?l }")}
        self.state_facet = {r["s"]: r["f"] for r in select("SELECT ?s ?f WHERE { ?s h2n:facet ?f }")}

        self.criteria: dict[str, _Criterion] = {}
        for r in select("""SELECT ?c ?kind WHERE { ?c a ?kind .
                VALUES ?kind { h2n:StateCriterion h2n:NumericCriterion h2n:ExposureCriterion h2n:IntervalCriterion
                               h2n:UnknownFacetCriterion } }"""):
            if r["c"] in self.criteria:
                raise KnowledgeBaseError(f"criterion {r['c']} has more than one kind: the fast path cannot evaluate it")
            self.criteria[r["c"]] = _Criterion(kind=r["kind"].rsplit("/", 1)[-1])
        for r in select("SELECT ?c ?v WHERE { ?c h2n:negated ?v }"):
            if r["c"] in self.criteria:
                self.criteria[r["c"]].negated = bool(r["v"])
        for r in select("SELECT ?c ?s WHERE { ?c h2n:state ?s }"):
            if r["c"] in self.criteria:
                self.criteria[r["c"]].states.add(r["s"])
        for r in select("SELECT ?c ?q WHERE { ?c a h2n:NumericCriterion ; h2n:quantity ?q }"):
            self.criteria[r["c"]].quantity = r["q"]
        for key, prop in (("minI", "minInclusive"), ("minE", "minExclusive"),
                          ("maxI", "maxInclusive"), ("maxE", "maxExclusive")):
            for kind in ("NumericCriterion", "IntervalCriterion"):
                for r in select(f"SELECT ?c ?v WHERE {{ ?c a h2n:{kind} ; h2n:{prop} ?v }}"):
                    self.criteria[r["c"]].bounds[key] = r["v"]
        for r in select("""SELECT ?c ?p WHERE { ?c a h2n:ExposureCriterion ; h2n:exposureKind ?k .
                           ?k h2n:exposureProperty ?p }"""):
            self.criteria[r["c"]].exposure_property = r["p"]
        for r in select("SELECT ?c ?d WHERE { ?c a h2n:ExposureCriterion ; h2n:exposureDrug ?d }"):
            self.criteria[r["c"]].drugs.add(r["d"])
        for kind in ("ExposureCriterion", "IntervalCriterion"):
            for r in select(f"SELECT ?c ?k WHERE {{ ?c a h2n:{kind} ; h2n:appliesToDrugClass ?k }}"):
                self.criteria[r["c"]].classes.add(r["k"])
        for r in select("SELECT ?c ?f WHERE { ?c a h2n:UnknownFacetCriterion ; h2n:criterionFacet ?f }"):
            self.criteria[r["c"]].facet = r["f"]

        self.rules: dict[str, dict[str, Any]] = {}
        for r in select("""SELECT ?rule ?kind ?setting ?subtype WHERE { ?rule a ?kind ;
                h2n:forSetting ?setting ; h2n:forSubtype ?subtype .
                VALUES ?kind { h2n:Recommendation h2n:AdviceRule } }"""):
            rule = self.rules.setdefault(r["rule"], {"kind": r["kind"], "settings": set(), "subtypes": set(),
                                                     "criteria": set()})
            rule["settings"].add(r["setting"])
            rule["subtypes"].add(r["subtype"])
        for r in select("SELECT ?rule ?c WHERE { ?rule h2n:hasCriterion ?c }"):
            if r["rule"] in self.rules:
                if r["c"] not in self.criteria:  # fail closed: never drop a criterion it cannot read
                    raise KnowledgeBaseError(
                        f"criterion {r['c']} of {r['rule']} is of no kind the fast path understands",
                        hint="use StateCriterion, NumericCriterion, ExposureCriterion or UnknownFacetCriterion")
                self.rules[r["rule"]]["criteria"].add(r["c"])

        for rule in self.rules.values():
            rule["criteria"] = tuple(sorted(rule["criteria"]))
        needs = {"StateCriterion": lambda c: c.states, "NumericCriterion": lambda c: c.quantity,
                 "ExposureCriterion": lambda c: c.exposure_property and (c.drugs or c.classes),
                 "IntervalCriterion": lambda c: c.classes and c.bounds,
                 "UnknownFacetCriterion": lambda c: c.facet}
        for c_iri, c in self.criteria.items():
            if not needs[c.kind](c):
                raise KnowledgeBaseError(f"{c.kind} {c_iri} lacks what its kind needs: the fast path cannot evaluate it")
        for c in self.criteria.values():
            c.facets = {self.state_facet[s] for s in c.states if s in self.state_facet}

        self.contraindications: dict[str, _Contraindication] = {}
        for r in select("""SELECT ?ci ?action WHERE { ?ci a h2n:Contraindication ;
                           h2n:action/skos:notation ?action }"""):
            self.contraindications[r["ci"]] = _Contraindication(action=r["action"])
        for r in select("SELECT ?ci ?d WHERE { ?ci a h2n:Contraindication ; h2n:appliesToDrug ?d }"):
            self.contraindications[r["ci"]].drugs.add(r["d"])
        class_members: dict[str, set[str]] = defaultdict(set)
        for drug, classes in self.drug_classes.items():
            for c in classes:
                class_members[c].add(drug)
        for r in select("SELECT ?ci ?k WHERE { ?ci a h2n:Contraindication ; h2n:appliesToDrugClass ?k }"):
            self.contraindications[r["ci"]].drugs |= class_members.get(r["k"], set())
        for prop, attr in (("triggeredByCondition", "conditions"), ("triggeredByState", "states"),
                           ("triggeredByMedication", "medications")):
            for r in select(f"SELECT ?ci ?t WHERE {{ ?ci a h2n:Contraindication ; h2n:{prop} ?t }}"):
                getattr(self.contraindications[r["ci"]], attr).add(r["t"])
        # Medication classes: every name (label or synonym) of a medication typed with the class.
        class_names: dict[str, set[str]] = defaultdict(set)
        for r in select("""SELECT ?class ?name WHERE { ?med a ?class .
                           { ?med rdfs:label ?name } UNION { ?med skos:altLabel ?name } }"""):
            class_names[r["class"]].add(r["name"])
        for r in select("SELECT ?ci ?k WHERE { ?ci a h2n:Contraindication ; h2n:triggeredByMedicationClass ?k }"):
            self.contraindications[r["ci"]].medications |= class_names.get(r["k"], set())
        for r in select("SELECT ?ci ?q WHERE { ?ci a h2n:Contraindication ; h2n:quantity ?q }"):
            self.contraindications[r["ci"]].quantity = r["q"]
        for key, prop in (("minI", "minInclusive"), ("minE", "minExclusive"),
                          ("maxI", "maxInclusive"), ("maxE", "maxExclusive")):
            for r in select(f"SELECT ?c ?v WHERE {{ ?c a h2n:Contraindication ; h2n:{prop} ?v }}"):
                self.contraindications[r["c"]].bounds[key] = r["v"]

    # -- the queries ------------------------------------------------------------------------------

    def rules_in_scope(self, p: PatientFacts) -> list[dict]:
        """queries/eligibility/rules-in-scope.rq"""
        settings = set(p.values(EFFECTIVE_SETTING))
        states = set(p.values(HAS_STATE))
        return [
            {"patient": p.iri, "rule": iri, "kind": rule["kind"]}
            for iri, rule in self.rules.items()
            if rule["settings"] & settings and rule["subtypes"] & states
        ]

    def criterion_status(self, p: PatientFacts, scopes: list[dict] | None = None) -> list[dict]:
        """queries/eligibility/criterion-status.rq"""
        states = set(p.values(HAS_STATE))
        unknown = set(p.values(UNKNOWN_FACET))
        rows = []
        for scope in self.rules_in_scope(p) if scopes is None else scopes:
            for c_iri in self.rules[scope["rule"]]["criteria"]:
                c = self.criteria[c_iri]
                hit, unk = 0, 0
                if c.kind == "StateCriterion":
                    hit = int(bool(c.states & states))
                    unk = int(bool(c.facets & unknown))
                elif c.kind == "NumericCriterion":
                    values = [v for v in p.values(c.quantity or "") if _is_number(v)]
                    unk = int(not values)
                    hit = int(any(_within(float(v), c.bounds) for v in values))
                elif c.kind == "ExposureCriterion":
                    for drug in p.values(c.exposure_property or ""):
                        if drug in c.drugs or self.drug_classes.get(drug, set()) & c.classes:
                            hit = 1
                            break
                elif c.kind == "IntervalCriterion":
                    for exposure in p.curative.values():
                        if not set(exposure.get(CURATIVE_CLASS, ())) & c.classes:
                            continue
                        days = [v for v in exposure.get(DAYS_TO_RELAPSE, ()) if _is_number(v)]
                        if not days:
                            unk = 1
                        elif any(_within(float(v), c.bounds) for v in days):
                            hit = 1
                elif c.kind == "UnknownFacetCriterion":
                    hit = int(c.facet in unknown)
                else:  # pragma: no cover - refused when the knowledge is compiled
                    raise KnowledgeBaseError(f"criterion {c_iri} of kind {c.kind} cannot be evaluated")
                if hit:
                    status = "not_met" if c.negated else "met"
                elif unk:
                    status = "unknown"
                else:
                    status = "met" if c.negated else "not_met"
                rows.append({"patient": p.iri, "rule": scope["rule"], "criterion": c_iri, "status": status})
        return rows

    def contraindicated_drugs(self, p: PatientFacts) -> list[dict]:
        """queries/eligibility/contraindicated-drugs.rq"""
        conditions = set(p.values(str(H2N.hasCondition)))
        states = set(p.values(str(H2N.hasState)))
        medications = set(p.values(str(H2N.concomitantMedication)))
        rows = []
        for ci_iri, ci in self.contraindications.items():
            triggers: list[tuple[str, Any]] = []
            triggers += [(t, None) for t in ci.conditions & conditions]
            triggers += [(t, None) for t in ci.states & states]
            triggers += [(t, None) for t in ci.medications & medications]
            if ci.quantity:
                triggers += [(ci.quantity, v) for v in p.values(ci.quantity)
                             if _is_number(v) and _within(float(v), ci.bounds)]
            for trigger, value in triggers:
                for drug in ci.drugs:
                    rows.append({"patient": p.iri, "drug": drug, "contraindication": ci_iri,
                                 "action": ci.action, "trigger": trigger,
                                 "value": _number(value)})
        return rows

    def warnings(self, p: PatientFacts) -> dict[str, list[dict]]:
        """queries/warnings/*.rq"""
        out: dict[str, list[dict]] = {"et-chemo-combination": [], "tumor-marker-only-progression": [],
                                      "continuing-after-progression": [], "er-low": [],
                                      "current-et-chemo-warning": []}
        as_of = next(iter(p.values(str(H2N.asOf))), None)
        endocrine = str(H2N.EndocrineTherapy)
        ofs = str(H2N.LHRHAgonist)
        chemo = str(H2N.CytotoxicChemotherapy)
        info = []
        for t_iri, t in p.therapies.items():
            index = t.get(str(H2N.therapyIndex), [None])[0]
            drugs = t.get(str(H2N.includesDrug), [])
            ets = [d for d in drugs if endocrine in self.drug_classes.get(d, ()) and ofs not in self.drug_classes.get(d, ())]
            chemos = [d for d in drugs if chemo in self.drug_classes.get(d, ())]
            start = t.get(str(H2N.startDate), [None])[0]
            end = t.get(str(H2N.endDate), [None])[0]
            info.append((t_iri, index, ets, chemos, start, end))
            bases = set(t.get(str(H2N.progressionBasis), []))
            marker = {str(H2N["basis-tumor-markers"]), str(H2N["basis-ctc"])}
            if bases & marker and not bases - marker:  # (marker_only)
                out["tumor-marker-only-progression"].append({
                    "patient": p.iri, "code": "TUMOR_MARKER_ONLY_PROGRESSION", "therapyIndex": index,
                    "message": f"therapies[{index}]: progression was established by tumour markers or circulating "
                               "tumour cells alone; confirm by imaging or clinical assessment before changing "
                               "treatment (ESO-ESMO ABC)."})
            progression = t.get(str(H2N.progressionDate), [None])[0]
            marker_only = bool(bases & marker) and not bases - marker
            if progression is not None and end is None and not marker_only:
                out["continuing-after-progression"].append({
                    "patient": p.iri, "code": "CONTINUING_AFTER_PROGRESSION", "therapyIndex": index,
                    "message": f"therapies[{index}] is still ongoing although the disease progressed on it on "
                               f"{progression}: an ineffective therapy should not be continued."})
        seen = set()
        for t1, i1, ets, _, s1, e1 in info:
            for t2, i2, _, chemos, s2, e2 in info:
                if not ets or not chemos:
                    continue
                same = t1 == t2
                if not same:
                    if s1 is None or s2 is None:
                        continue
                    end2 = e2 if e2 is not None else (as_of if as_of is not None else s1)
                    end1 = e1 if e1 is not None else (as_of if as_of is not None else s2)
                    if not (s1 <= end2 and s2 <= end1 and (e1 is None or e1 > s2) and (e2 is None or e2 > s1)):
                        continue
                for et in ets:
                    for ch in chemos:
                        et_label, ch_label = self.labels.get(et, et), self.labels.get(ch, ch)
                        message = (ET_CHEMO_TEXT.format(i=i1, et=et_label, chemo=ch_label) if same else
                                   ET_CHEMO_OVERLAP_TEXT.format(i1=i1, et=et_label, i2=i2, chemo=ch_label))
                        row = (min(i1, i2), message)
                        if row not in seen:
                            seen.add(row)
                            out["et-chemo-combination"].append({
                                "patient": p.iri, "code": "ET_CHEMO_COMBINATION", "therapyIndex": row[0],
                                "message": message})
        ongoing = set(p.values(str(H2N.ongoingDrug)))
        ongoing_et = [d for d in ongoing if endocrine in self.drug_classes.get(d, ()) and ofs not in self.drug_classes.get(d, ())]
        ongoing_chemo = [d for d in ongoing if chemo in self.drug_classes.get(d, ())]
        for et in ongoing_et:
            for ch in ongoing_chemo:
                if et not in self.labels or ch not in self.labels:
                    continue
                out["current-et-chemo-warning"].append({
                    "patient": p.iri, "code": "CURRENT_ET_CHEMO_COMBINATION", "therapyIndex": -1,
                    "message": CURRENT_ET_CHEMO_TEXT.format(et=self.labels[et], chemo=self.labels[ch])})
        if str(H2N["state-er-low"]) in set(p.values(str(H2N.hasState))):
            out["er-low"].append({
                "patient": p.iri, "code": "ER_LOW", "therapyIndex": -1,
                "message": "ER is 1-10% (ER-low): endocrine therapy is an option but its benefit is uncertain, "
                           "and the biology is often ER-negative-like; consider the chemotherapy and "
                           "immunotherapy options of triple-negative disease too (ASCO/CAP 2020)."})
        return out

    def all_rows(self, iri: str, triples: Iterable[tuple]) -> dict[str, list[dict]]:
        """Every row the engine's queries give for one patient, by query name."""
        p = PatientFacts.from_triples(iri, triples)
        contraindicated = self.contraindicated_drugs(p)
        blocked = sorted({r["drug"] for r in contraindicated if r["action"] == "block"})
        p.edges[str(H2N.blockedDrug)] = blocked
        scopes = self.rules_in_scope(p)
        rows = {
            "rules-in-scope": scopes,
            "criterion-status": self.criterion_status(p, scopes),
            "contraindicated-drugs": contraindicated,
        }
        rows.update(self.warnings(p))
        return rows


def _number(value: Any) -> Any:
    """A number as the SPARQL backends return it (integral decimals as int)."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def compile_knowledge(kb) -> CompiledKnowledge:
    """Read the knowledge base once for the fast path."""
    return CompiledKnowledge(kb.backend)


