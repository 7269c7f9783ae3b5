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
from reasoner.query.catalog import get_query
from reasoner.vocab import H2N, local_name

__all__ = ["CompiledKnowledge", "PatientFacts", "compile_knowledge"]

HAS_STATE = str(H2N.hasState)
UNKNOWN_FACET = str(H2N.unknownFacet)
EFFECTIVE_SETTING = str(H2N.effectiveSetting)
CURATIVE_EXPOSURE = str(H2N.curativeExposure)
CURATIVE_CLASS = str(H2N.curativeDrugClass)
DAYS_TO_RELAPSE = str(H2N.daysToRelapse)

_BOUNDS = {"minInclusive": "minI", "minExclusive": "minE", "maxInclusive": "maxI", "maxExclusive": "maxE"}


def _fill(template: str, **values: Any) -> str:
    """A message template of the knowledge base with its {name} placeholders filled (as the queries'
    REPLACE(?template, "\\{name\\}", STR(?value)) does)."""
    for name, value in values.items():
        template = template.replace("{" + name + "}", str(value))
    return template


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
        # Every fact is read by a named query of queries/kb/ (run on every engine by the compliance test).
        select = lambda name: backend.select(get_query(name).text)  # noqa: E731 - local shorthand
        self.drug_classes: dict[str, set[str]] = defaultdict(set)
        for r in select("kb-drugs"):
            self.drug_classes[r["drug"]].add(r["cls"])
        self.labels = {r["s"]: r["label"] for r in select("kb-labels")}
        self.state_facet = {r["state"]: r["facet"] for r in select("kb-state-facets")}
        #: the record warnings (ontology/advice.ttl): local name -> (code, message template)
        self.warning_texts = {local_name(r["warning"]): (r["code"], r["template"]) for r in select("kb-warnings")}

        self.criteria: dict[str, _Criterion] = {}
        for r in select("kb-criterion-facts"):
            c = self.criteria.setdefault(r["criterion"], _Criterion(kind=local_name(r["kind"])))
            if c.kind != local_name(r["kind"]):
                raise KnowledgeBaseError(f"criterion {r['criterion']} has more than one kind: the fast path cannot evaluate it")
            prop, value = local_name(r.get("property") or ""), r.get("value")
            if prop == "negated":
                c.negated = bool(value)
            elif prop == "state":
                c.states.add(value)
            elif prop == "quantity" and c.kind == "NumericCriterion":
                c.quantity = value
            elif prop in _BOUNDS and c.kind in ("NumericCriterion", "IntervalCriterion"):
                c.bounds[_BOUNDS[prop]] = value
            elif prop == "exposureProperty" and c.kind == "ExposureCriterion":
                c.exposure_property = value
            elif prop == "exposureDrug" and c.kind == "ExposureCriterion":
                c.drugs.add(value)
            elif prop == "appliesToDrugClass" and c.kind in ("ExposureCriterion", "IntervalCriterion"):
                c.classes.add(value)
            elif prop == "criterionFacet" and c.kind == "UnknownFacetCriterion":
                c.facet = value

        self.rules: dict[str, dict[str, Any]] = {}
        for r in select("kb-rule-scope"):
            rule = self.rules.setdefault(r["rule"], {"kind": r["kind"], "settings": set(), "subtypes": set(),
                                                     "criteria": set()})
            rule["settings"].add(r["setting"])
            rule["subtypes"].add(r["subtype"])
        for r in select("kb-rule-criteria"):
            if r["rule"] in self.rules:
                if r["criterion"] not in self.criteria:  # fail closed: never drop a criterion it cannot read
                    raise KnowledgeBaseError(
                        f"criterion {r['criterion']} of {r['rule']} is of no kind the fast path understands",
                        hint="use StateCriterion, NumericCriterion, ExposureCriterion, IntervalCriterion or "
                             "UnknownFacetCriterion")
                self.rules[r["rule"]]["criteria"].add(r["criterion"])

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

        class_members: dict[str, set[str]] = defaultdict(set)
        for drug, classes in self.drug_classes.items():
            for cls in classes:
                class_members[cls].add(drug)
        # Medication classes: every name (label or synonym) of a medication typed with the class.
        class_names: dict[str, set[str]] = defaultdict(set)
        for r in select("kb-medication-class-names"):
            class_names[r["class"]].add(r["name"])
        facts = select("kb-contraindication-facts")
        # only a contraindication with an action matches (as in contraindicated-drugs.rq)
        self.contraindications: dict[str, _Contraindication] = {
            r["contraindication"]: _Contraindication(action=r["value"])
            for r in facts if local_name(r["property"]) == "action"
        }
        attrs = {"triggeredByCondition": "conditions", "triggeredByState": "states",
                 "triggeredByMedication": "medications"}
        for r in facts:
            ci = self.contraindications.get(r["contraindication"])
            prop, value = local_name(r["property"]), r["value"]
            if ci is None or prop == "action":
                continue
            if prop == "appliesToDrug":
                ci.drugs.add(value)
            elif prop == "appliesToDrugClass":
                ci.drugs |= class_members.get(value, set())
            elif prop in attrs:
                getattr(ci, attrs[prop]).add(value)
            elif prop == "triggeredByMedicationClass":
                ci.medications |= class_names.get(value, set())
            elif prop == "quantity":
                ci.quantity = value
            elif prop in _BOUNDS:
                ci.bounds[_BOUNDS[prop]] = value

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
                code, template = self.warning_texts["warning-tumor-marker-only-progression"]
                out["tumor-marker-only-progression"].append({
                    "patient": p.iri, "code": code, "therapyIndex": index,
                    "message": _fill(template, therapyIndex=index)})
            progression = t.get(str(H2N.progressionDate), [None])[0]
            marker_only = bool(bases & marker) and not bases - marker
            if progression is not None and end is None and not marker_only:
                code, template = self.warning_texts["warning-continuing-after-progression"]
                out["continuing-after-progression"].append({
                    "patient": p.iri, "code": code, "therapyIndex": index,
                    "message": _fill(template, therapyIndex=index, progressionDate=progression)})
        seen = set()
        et_chemo_code, same_text = self.warning_texts["warning-et-chemo-combination"]
        overlap_text = self.warning_texts["warning-et-chemo-overlap"][1]
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
                        message = (_fill(same_text, therapyIndex=i1, endocrineDrug=et_label,
                                         chemotherapyDrug=ch_label) if same else
                                   _fill(overlap_text, endocrineTherapyIndex=i1, chemotherapyIndex=i2,
                                         endocrineDrug=et_label, chemotherapyDrug=ch_label))
                        row = (min(i1, i2), message)
                        if row not in seen:
                            seen.add(row)
                            out["et-chemo-combination"].append({
                                "patient": p.iri, "code": et_chemo_code, "therapyIndex": row[0],
                                "message": message})
        ongoing = set(p.values(str(H2N.ongoingDrug)))
        ongoing_et = [d for d in ongoing if endocrine in self.drug_classes.get(d, ()) and ofs not in self.drug_classes.get(d, ())]
        ongoing_chemo = [d for d in ongoing if chemo in self.drug_classes.get(d, ())]
        current_code, current_text = self.warning_texts["warning-current-et-chemo-combination"]
        for et in ongoing_et:
            for ch in ongoing_chemo:
                if et not in self.labels or ch not in self.labels:
                    continue
                out["current-et-chemo-warning"].append({
                    "patient": p.iri, "code": current_code, "therapyIndex": -1,
                    "message": _fill(current_text, endocrineDrug=self.labels[et], chemotherapyDrug=self.labels[ch])})
        if str(H2N["state-er-low"]) in set(p.values(str(H2N.hasState))):
            code, template = self.warning_texts["warning-er-low"]
            out["er-low"].append({"patient": p.iri, "code": code, "therapyIndex": -1, "message": _fill(template)})
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


