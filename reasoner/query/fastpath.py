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

import itertools
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from rdflib import Literal

from reasoner.errors import KnowledgeBaseError
from reasoner.query.catalog import get_query
from reasoner.vocab import H2N, local_name

__all__ = ["STATUSES_BY_RULE", "CompiledKnowledge", "PatientFacts", "compile_knowledge", "contraindication_text"]

HAS_STATE = str(H2N.hasState)
UNKNOWN_FACET = str(H2N.unknownFacet)
EFFECTIVE_SETTING = str(H2N.effectiveSetting)
CURATIVE_EXPOSURE = str(H2N.curativeExposure)
CURATIVE_CLASS = str(H2N.curativeDrugClass)
DAYS_TO_RELAPSE = str(H2N.daysToRelapse)
HAS_CONDITION = str(H2N.hasCondition)
CONCOMITANT = str(H2N.concomitantMedication)
BLOCKED_DRUG = str(H2N.blockedDrug)
THERAPY_INDEX = str(H2N.therapyIndex)
PROGRESSION_BASIS = str(H2N.progressionBasis)
PROGRESSION_DATE = str(H2N.progressionDate)
INCLUDES_DRUG = str(H2N.includesDrug)
START_DATE = str(H2N.startDate)
END_DATE = str(H2N.endDate)
AS_OF = str(H2N.asOf)
ONGOING_DRUG = str(H2N.ongoingDrug)
RECEIVED_THERAPY = str(H2N.receivedTherapy)

_BOUNDS = {"minInclusive": "minI", "minExclusive": "minE", "maxInclusive": "maxI", "maxExclusive": "maxE"}


def _fill(template: str, **values: Any) -> str:
    """A message template of the knowledge base with its {name} placeholders filled (as the queries'
    REPLACE(?template, "\\{name\\}", STR(?value)) does)."""
    for name, value in values.items():
        template = template.replace("{" + name + "}", str(value))
    return template


def value_text(value: Any) -> str:
    """A laboratory value in a text: a whole number without decimals (``472``), any other number in
    plain decimal notation (``5.5``, ``0.00001``): what the SPARQL queries write, ``STR`` of the
    ``xsd:decimal`` the patient graph holds (:func:`reasoner.graph.convert.decimal_lexical`)."""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else format(Decimal(repr(value)), "f")
    if isinstance(value, Decimal):
        return str(int(value)) if value == value.to_integral_value() else format(value.normalize(), "f")
    return str(value)


def contraindication_text(message: str, trigger: Any, value: Any) -> str:
    """A contraindication's message (``h2n:message``) for one patient: ``{value}`` is the laboratory
    value that crossed the threshold (when there is one), ``{medication}`` the trigger, the
    concomitant medication as the record names it, capitalised. As the query
    queries/warnings/current-regimen-contraindicated.rq fills them in."""
    if value is not None:
        message = message.replace("{value}", value_text(value))
    if "{medication}" in message:
        text = str(trigger or "")
        message = message.replace("{medication}", text[:1].upper() + text[1:])
    return message


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
    def from_triples(cls, iri: str, triples: Iterable[tuple], facts: Iterable[tuple] = ()) -> PatientFacts:
        """From rdflib ``triples`` (the patient graph) and plain ``facts`` (subject and property
        IRIs as text, the object as the Python value a triple's object converts to: what
        :func:`reasoner.inference.inferred_facts` gives)."""
        converted = ((str(s), str(p), o.toPython() if isinstance(o, Literal) else str(o)) for s, p, o in triples)
        by_subject: dict[str, dict[str, list[Any]]] = {}
        for subject, prop, value in itertools.chain(converted, facts):
            edges = by_subject.get(subject)
            if edges is None:
                edges = by_subject[subject] = {}
            values = edges.get(prop)
            if values is None:
                edges[prop] = [value]
            else:
                values.append(value)
        edges = by_subject.get(iri, {})
        therapy_iris = edges.get(RECEIVED_THERAPY, [])
        curative_iris = edges.get(CURATIVE_EXPOSURE, [])
        return cls(iri, edges, {t: by_subject.get(t, {}) for t in therapy_iris},
                   {e: by_subject.get(e, {}) for e in curative_iris})

    def values(self, prop: str) -> list[Any]:
        return self.edges.get(prop, [])


#: The key under which :meth:`CompiledKnowledge.all_rows` also gives the criterion-status rows
#: grouped by rule (what result assembly reads; not a query of its own).
STATUSES_BY_RULE = "criterion-status-by-rule"
#: The rows of queries/eligibility/contraindications-not-checked.rq.
NOT_CHECKED = "contraindications-not-checked"
#: The notation of the action that removes a drug (h2n:action-block), as the rows carry it.
BLOCK = "block"

#: The warnings each query of queries/warnings/ gives (its VALUES clause), by query name.
WARNING_OF_QUERY = {
    "et-chemo-combination": ("warning-et-chemo-combination", "warning-et-chemo-overlap"),
    "tumor-marker-only-progression": ("warning-tumor-marker-only-progression",),
    "continuing-after-progression": ("warning-continuing-after-progression",),
    "er-low": ("warning-er-low",),
    "current-et-chemo-warning": ("warning-current-et-chemo-combination",),
    "current-regimen-contraindicated": ("warning-current-regimen-contraindicated",),
}


@dataclass
class _WarningCondition:
    states: set[str] = field(default_factory=set)
    basis_only: set[str] = field(default_factory=set)
    has: list[str] = field(default_factory=list)
    lacks: list[str] = field(default_factory=list)
    unless: list[str] = field(default_factory=list)  # local names of warnings
    combination: tuple = ()  # ((first class, first except classes), (second class, second except classes))
    scope: str | None = None
    action: str | None = None  # the IRI of the action of the contraindications it warns on
    drugs_of: str | None = None  # the IRI of the patient property of the drugs it looks at


def _warning_conditions(rows: Iterable[dict], combinations: Iterable[dict]) -> dict[str, _WarningCondition]:
    """The condition of every record warning (queries/kb/kb-warning-conditions.rq), by local name.

    Fail closed: a warning a query gives without the condition data that query reads, or whose
    forbidden combination is unknown or has no two sides, refuses the knowledge base.
    """
    sides: dict[str, dict[str, Any]] = defaultdict(lambda: {"first": set(), "firstExcept": set(), "second": set(),
                                                            "secondExcept": set()})
    for r in combinations:
        for key in ("first", "firstExcept", "second", "secondExcept"):
            if r.get(key):
                sides[r["c"]][key].add(r[key])
    out: dict[str, _WarningCondition] = defaultdict(_WarningCondition)
    combination_of: dict[str, str] = {}
    for r in rows:
        w, prop, value = out[local_name(r["warning"])], local_name(r["property"]), r["value"]
        if prop == "warnsOnState":
            w.states.add(value)
        elif prop == "progressionBasisOnly":
            w.basis_only.add(value)
        elif prop == "therapyHas":
            w.has.append(value)
        elif prop == "therapyLacks":
            w.lacks.append(value)
        elif prop == "unlessWarning":
            w.unless.append(local_name(value))
        elif prop == "combinationScope":
            w.scope = local_name(value)
        elif prop == "warnsOnCombination":
            combination_of[local_name(r["warning"])] = value
        elif prop == "warnsOnContraindicationAction":
            w.action = value
        elif prop == "warnsOnDrugsOf":
            w.drugs_of = value
    for name, iri in combination_of.items():
        side = sides.get(iri)
        if side is None or len(side["first"]) != 1 or len(side["second"]) != 1:
            raise KnowledgeBaseError(f"{name} warns on {iri}, which is not a forbidden combination with one class "
                                     "on each side: the warnings cannot be evaluated")
        out[name].combination = ((next(iter(side["first"])), frozenset(side["firstExcept"])),
                                 (next(iter(side["second"])), frozenset(side["secondExcept"])))
    needs = {"er-low": lambda w: w.states, "tumor-marker-only-progression": lambda w: w.basis_only,
             "continuing-after-progression": lambda w: w.has and all(u in out and out[u].basis_only for u in w.unless),
             "et-chemo-combination": lambda w: w.combination, "current-et-chemo-warning": lambda w: w.combination,
             "current-regimen-contraindicated": lambda w: w.action and w.drugs_of}
    scopes = {"warning-et-chemo-combination": "scope-one-regimen", "warning-et-chemo-overlap": "scope-overlapping-regimens",
              "warning-current-et-chemo-combination": "scope-ongoing-drugs"}
    for query, names in WARNING_OF_QUERY.items():
        for name in names:
            if name not in out or not needs[query](out[name]) or (name in scopes and out[name].scope != scopes[name]):
                raise KnowledgeBaseError(f"record warning {name} lacks the condition {query}.rq reads "
                                         "(ontology/advice.ttl): it cannot be evaluated")
    return dict(out)


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
        #: when each warning is given (ontology/advice.ttl), as the queries of queries/warnings/ read it
        self.warning_conditions = _warning_conditions(select("kb-warning-conditions"),
                                                      select("kb-forbidden-combinations"))

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
        # the rules by (setting, subtype) of their scope, for rules_in_scope
        self._rule_order = {iri: i for i, iri in enumerate(self.rules)}
        self._by_scope: dict[tuple[str, str], list[str]] = defaultdict(list)
        for iri, rule in self.rules.items():
            for setting in rule["settings"]:
                for subtype in rule["subtypes"]:
                    self._by_scope[setting, subtype].append(iri)
        needs = {"StateCriterion": lambda c: c.states, "NumericCriterion": lambda c: c.quantity,
                 "ExposureCriterion": lambda c: c.exposure_property and (c.drugs or c.classes),
                 "IntervalCriterion": lambda c: c.classes and c.bounds,
                 "UnknownFacetCriterion": lambda c: c.facet}
        for c_iri, c in self.criteria.items():
            if not needs[c.kind](c):
                raise KnowledgeBaseError(f"{c.kind} {c_iri} lacks what its kind needs: the fast path cannot evaluate it")
        for c in self.criteria.values():
            c.facets = {self.state_facet[s] for s in c.states if s in self.state_facet}
        self._index_criteria()

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
        # The contraindications by what triggers them, so that a patient is matched against the few
        # that can apply, not all of them (rows in the order of self.contraindications, as before).
        self._ci_order = {iri: i for i, iri in enumerate(self.contraindications)}
        self._ci_by_trigger: dict[tuple[str, str], list[str]] = defaultdict(list)
        self._ci_by_quantity: dict[str, list[str]] = defaultdict(list)
        for ci_iri, ci in self.contraindications.items():
            for kind, values in (("condition", ci.conditions), ("state", ci.states), ("medication", ci.medications)):
                for value in values:
                    self._ci_by_trigger[kind, value].append(ci_iri)
            if ci.quantity:
                self._ci_by_quantity[ci.quantity].append(ci_iri)
        self._sorted_drugs = {iri: tuple(sorted(ci.drugs)) for iri, ci in self.contraindications.items()}
        # contraindications-not-checked: the blocking thresholds, by the quantity they test
        self._blocking_by_quantity: dict[str, list[str]] = {
            quantity: [ci for ci in cis if self.contraindications[ci].action == BLOCK]
            for quantity, cis in self._ci_by_quantity.items()
        }
        self._not_checked: dict[tuple[str, ...], tuple[tuple[str, str, str], ...]] = {}
        # current-regimen-contraindicated: the messages of the contraindications, and the action its
        # warning names as the notation the contraindicated-drugs rows carry
        self._ci_messages: dict[str, tuple[str, ...]] = {}
        for r in select("kb-contraindications"):
            if r.get("message") is not None:
                self._ci_messages[r["c"]] = tuple(sorted({*self._ci_messages.get(r["c"], ()), r["message"]}))
        notations = {r["s"]: r["n"] for r in select("kb-notations")}
        current = self.warning_conditions[WARNING_OF_QUERY["current-regimen-contraindicated"][0]]
        if current.action not in notations:
            raise KnowledgeBaseError(f"the action {current.action} the warning current-regimen-contraindicated "
                                     "warns on has no skos:notation: it cannot be evaluated")
        self._current_ci_action = notations[current.action]

    # -- the queries ------------------------------------------------------------------------------

    def rules_in_scope(self, p: PatientFacts) -> list[dict]:
        """queries/eligibility/rules-in-scope.rq"""
        states = set(p.values(HAS_STATE))
        found = {iri for setting in set(p.values(EFFECTIVE_SETTING)) for state in states
                 for iri in self._by_scope.get((setting, state), ())}
        return [{"patient": p.iri, "rule": iri, "kind": self.rules[iri]["kind"]}
                for iri in sorted(found, key=self._rule_order.__getitem__)]

    def criterion_status(self, p: PatientFacts, scopes: list[dict] | None = None) -> list[dict]:
        """queries/eligibility/criterion-status.rq"""
        return _criterion_rows(p.iri, self.statuses_by_rule(p, scopes))

    def statuses_by_rule(self, p: PatientFacts, scopes: list[dict] | None = None) -> dict[str, tuple]:
        """The rows of :meth:`criterion_status` grouped by rule: ``{rule: ((criterion, status), ...)}``,
        criteria in a fixed order; each criterion is evaluated once per patient, however many rules
        hold it."""
        pairs = self._default_pairs.copy()  # criterion -> (criterion, status) when nothing touches it
        pair_of = self._pair_of
        for c_iri, status in self._touched(p).items():
            pairs[c_iri] = pair_of[c_iri][status]
        if self._interval_criteria:  # evaluated each time
            states, unknown = set(p.values(HAS_STATE)), set(p.values(UNKNOWN_FACET))
            for c_iri in self._interval_criteria:
                pairs[c_iri] = pair_of[c_iri][self._status(c_iri, p, states, unknown)]
        get, rules = pairs.__getitem__, self.rules
        return {scope["rule"]: tuple(map(get, rules[scope["rule"]]["criteria"]))
                for scope in (self.rules_in_scope(p) if scopes is None else scopes)}

    def statuses_by_rule_reference(self, p: PatientFacts, scopes: list[dict] | None = None) -> dict[str, tuple]:
        """:meth:`statuses_by_rule` criterion by criterion (:meth:`_status`), for the tests."""
        states, unknown = set(p.values(HAS_STATE)), set(p.values(UNKNOWN_FACET))
        return {scope["rule"]: tuple((c, self._status(c, p, states, unknown)) for c in self.rules[scope["rule"]]["criteria"])
                for scope in (self.rules_in_scope(p) if scopes is None else scopes)}

    def _index_criteria(self) -> None:
        """Each criterion's status when nothing of the patient touches it, and the criteria each
        patient fact touches: a patient is then evaluated from her facts (a few dozen) instead of
        criterion by criterion. Same statuses as :meth:`_status`, which defines them (a test holds the
        two equal)."""
        hit = {i: ("not_met" if c.negated else "met") for i, c in self.criteria.items()}
        miss = {i: ("met" if c.negated else "not_met") for i, c in self.criteria.items()}
        self._hit_status, self._miss_status = hit, miss
        #: the status of a criterion no fact of the patient touches (None: evaluated each time)
        self._default_status: dict[str, str | None] = {
            i: "unknown" if c.kind == "NumericCriterion" else None if c.kind == "IntervalCriterion" else miss[i]
            for i, c in self.criteria.items()}
        #: one (criterion, status) pair per criterion and status, shared by every patient
        self._pair_of = {i: {status: (i, status) for status in ("met", "not_met", "unknown")} for i in self.criteria}
        self._default_pairs = {i: self._pair_of[i][status] for i, status in self._default_status.items()
                               if status is not None}
        self._interval_criteria = tuple(i for i, status in self._default_status.items() if status is None)
        self._by_state: dict[str, list[str]] = defaultdict(list)  # state -> state criteria it meets
        self._by_state_facet: dict[str, list[str]] = defaultdict(list)  # unknown facet -> state criteria
        self._by_unknown_facet: dict[str, list[str]] = defaultdict(list)  # unknown facet -> facet criteria
        self._by_exposure: dict[tuple[str, str], list[str]] = defaultdict(list)  # (property, drug or class)
        self._by_quantity: dict[str, list[str]] = defaultdict(list)
        for i, c in self.criteria.items():
            if c.kind == "StateCriterion":
                for state in c.states:
                    self._by_state[state].append(i)
                for facet in c.facets:
                    self._by_state_facet[facet].append(i)
            elif c.kind == "UnknownFacetCriterion" and c.facet:
                self._by_unknown_facet[c.facet].append(i)
            elif c.kind == "ExposureCriterion" and c.exposure_property:
                for target in c.drugs | c.classes:
                    self._by_exposure[c.exposure_property, target].append(i)
            elif c.kind == "NumericCriterion" and c.quantity:
                self._by_quantity[c.quantity].append(i)
        self._exposure_properties = sorted({prop for prop, _ in self._by_exposure})
        self._exposure_hits: dict[tuple[str, Any], tuple[str, ...]] = {}  # filled as drugs are seen

    def _touched(self, p: PatientFacts) -> dict[str, str]:
        """The status of every criterion some fact of the patient touches (see :meth:`_index_criteria`)."""
        hit, miss = self._hit_status, self._miss_status
        out: dict[str, str] = {}
        for state in set(p.values(HAS_STATE)):
            for i in self._by_state.get(state, ()):
                out[i] = hit[i]
        for facet in set(p.values(UNKNOWN_FACET)):
            for i in self._by_state_facet.get(facet, ()):
                out.setdefault(i, "unknown")  # a state that holds wins over an unknown facet
            for i in self._by_unknown_facet.get(facet, ()):
                out[i] = hit[i]
        hits = self._exposure_hits
        for prop in self._exposure_properties:
            for drug in p.values(prop):
                criteria = hits.get((prop, drug))
                if criteria is None:  # the criteria an exposure to the drug meets, by the drug or a class
                    if len(hits) >= 65536:
                        hits.clear()
                    criteria = hits[prop, drug] = tuple(dict.fromkeys(
                        i for target in (drug, *sorted(self.drug_classes.get(drug, ())))
                        for i in self._by_exposure.get((prop, target), ())))
                for i in criteria:
                    out[i] = hit[i]
        edges = p.edges
        for quantity, criteria in self._by_quantity.items():
            values = edges.get(quantity)
            if values and (values := [float(v) for v in values if _is_number(v)]):
                for i in criteria:
                    bounds = self.criteria[i].bounds
                    out[i] = hit[i] if any(_within(v, bounds) for v in values) else miss[i]
        return out

    def _status(self, c_iri: str, p: PatientFacts, states: set[str], unknown: set[str]) -> str:
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
            return "not_met" if c.negated else "met"
        if unk:
            return "unknown"
        return "met" if c.negated else "not_met"

    def contraindicated_drugs(self, p: PatientFacts) -> list[dict]:
        """queries/eligibility/contraindicated-drugs.rq"""
        hits: dict[str, list[tuple[str, Any]]] = defaultdict(list)
        index = self._ci_by_trigger
        for kind, prop in (("condition", HAS_CONDITION), ("state", HAS_STATE), ("medication", CONCOMITANT)):
            for value in set(p.values(prop)):
                for ci_iri in index.get((kind, value), ()):
                    hits[ci_iri].append((value, None))
        for quantity, ci_iris in self._ci_by_quantity.items():
            values = [v for v in p.values(quantity) if _is_number(v)]
            for ci_iri in ci_iris if values else ():
                bounds = self.contraindications[ci_iri].bounds
                hits[ci_iri] += [(quantity, v) for v in values if _within(float(v), bounds)]
        rows = []
        for ci_iri in sorted(hits, key=self._ci_order.__getitem__):
            action = self.contraindications[ci_iri].action
            for trigger, value in hits[ci_iri]:
                value = _number(value)
                rows += [{"patient": p.iri, "drug": drug, "contraindication": ci_iri, "action": action,
                          "trigger": trigger, "value": value} for drug in self._sorted_drugs[ci_iri]]
        return rows

    def contraindications_not_checked(self, p: PatientFacts) -> list[dict]:
        """queries/eligibility/contraindications-not-checked.rq: the blocking thresholds whose
        quantity the patient has no value for (unknown is never read as below the threshold)."""
        edges = p.edges
        missing = tuple(q for q in self._blocking_by_quantity if not edges.get(q))
        found = self._not_checked.get(missing)
        if found is None:  # a function of the missing quantities alone: computed once per set
            found = self._not_checked[missing] = tuple(
                (drug, ci_iri, quantity) for quantity in missing
                for ci_iri in self._blocking_by_quantity[quantity] for drug in self._sorted_drugs[ci_iri])
        iri = p.iri
        return [{"patient": iri, "drug": d, "contraindication": c, "trigger": q} for d, c, q in found]

    def warnings(self, p: PatientFacts, contraindicated: list[dict] | None = None) -> dict[str, list[dict]]:
        """queries/warnings/*.rq: each query gives one or two warnings of ontology/advice.ttl, under the
        condition the warning's data states (:func:`_warning_conditions`), read here as there.
        ``contraindicated``: the patient's contraindicated-drugs rows (computed when not given)."""
        out: dict[str, list[dict]] = {name: [] for name in WARNING_OF_QUERY}
        conditions = self.warning_conditions

        # current-regimen-contraindicated: a contraindication with the warning's action (block) of a
        # drug she has through the warning's property (ongoing): the contraindicated-drugs rows, read
        # for her drugs only (the rows come from the trigger indexes, never a scan of every contraindication)
        current_name = WARNING_OF_QUERY["current-regimen-contraindicated"][0]
        drugs = p.values(conditions[current_name].drugs_of)
        if drugs:
            if contraindicated is None:
                contraindicated = self.contraindicated_drugs(p)
            action, on, labels, messages = self._current_ci_action, set(drugs), self.labels, self._ci_messages
            code, template = self.warning_texts[current_name]
            rows, seen = out["current-regimen-contraindicated"], set()
            for r in contraindicated:
                drug = r["drug"]
                if r["action"] != action or drug not in on or drug not in labels:
                    continue
                for text in messages.get(r["contraindication"], ()):
                    # the text goes in at the first {contraindication}, as the query puts it in
                    message = _fill(template, drug=labels[drug]).replace(
                        "{contraindication}", contraindication_text(text, r["trigger"], r["value"]), 1)
                    key = (drug, r["contraindication"], r["trigger"], r["value"], message)
                    if key not in seen:
                        seen.add(key)
                        rows.append({"patient": p.iri, "code": code, "therapyIndex": -1, "message": message,
                                     "drug": drug, "drugLabel": labels[drug], "contraindication": r["contraindication"],
                                     "trigger": r["trigger"], "value": r["value"]})
        states = set(p.values(HAS_STATE))

        def only_on(bases: set[str], name: str) -> bool:
            only = conditions[name].basis_only
            return bool(bases & only) and not bases - only

        # er-low: a state of the patient
        name = WARNING_OF_QUERY["er-low"][0]
        if conditions[name].states & states:
            code, template = self.warning_texts[name]
            out["er-low"].append({"patient": p.iri, "code": code, "therapyIndex": -1, "message": template})

        marker = WARNING_OF_QUERY["tumor-marker-only-progression"][0]
        continuing = WARNING_OF_QUERY["continuing-after-progression"][0]
        cont = conditions[continuing]
        info = []
        for t in p.therapies.values():
            index = t.get(THERAPY_INDEX, [None])[0]
            if index is None:  # the queries match regimens by their index
                continue
            bases = set(t.get(PROGRESSION_BASIS, []))
            if only_on(bases, marker):
                code, template = self.warning_texts[marker]
                out["tumor-marker-only-progression"].append({
                    "patient": p.iri, "code": code, "therapyIndex": index,
                    "message": _fill(template, therapyIndex=index)})
            if (cont.has and all(t.get(prop) for prop in cont.has) and not any(t.get(prop) for prop in cont.lacks)
                    and not any(only_on(bases, u) for u in cont.unless)):
                code, template = self.warning_texts[continuing]
                progression = t.get(PROGRESSION_DATE, [""])[0]
                out["continuing-after-progression"].append({
                    "patient": p.iri, "code": code, "therapyIndex": index,
                    "message": _fill(template, therapyIndex=index, progressionDate=progression)})
            info.append((t, index, t.get(INCLUDES_DRUG, []), t.get(START_DATE, [None])[0], t.get(END_DATE, [None])[0]))

        # et-chemo-combination: drugs of both sides of the forbidden combination in one regimen, or
        # in two regimens whose periods overlap (an ongoing regimen lasts up to the decision date)
        same_name, overlap_name = WARNING_OF_QUERY["et-chemo-combination"]
        same, overlap = conditions[same_name], conditions[overlap_name]
        if same.combination != overlap.combination:
            raise KnowledgeBaseError(f"{same_name} and {overlap_name} warn on different combinations: "
                                     "et-chemo-combination.rq reads them as one")
        as_of = next(iter(p.values(AS_OF)), None)
        code, same_text = self.warning_texts[same_name]
        overlap_text = self.warning_texts[overlap_name][1]
        seen = set()
        for t1, i1, drugs1, s1, e1 in info:
            ets = self._side(drugs1, same.combination[0])
            if not ets:
                continue
            for t2, i2, drugs2, s2, e2 in info:
                chemos = self._side(drugs2, same.combination[1])
                if not chemos:
                    continue
                one = t1 is t2
                if not one:
                    if s1 is None or s2 is None:
                        continue
                    end2 = e2 if e2 is not None else (as_of if as_of is not None else s1)
                    end1 = e1 if e1 is not None else (as_of if as_of is not None else s2)
                    if not (s1 <= end2 and s2 <= end1 and (e1 is None or e1 > s2) and (e2 is None or e2 > s1)):
                        continue
                for et in ets:
                    for ch in chemos:
                        if et not in self.labels or ch not in self.labels:
                            continue
                        et_label, ch_label = self.labels[et], self.labels[ch]
                        message = (_fill(same_text, therapyIndex=i1, endocrineDrug=et_label,
                                         chemotherapyDrug=ch_label) if one else
                                   _fill(overlap_text, endocrineTherapyIndex=i1, chemotherapyIndex=i2,
                                         endocrineDrug=et_label, chemotherapyDrug=ch_label))
                        row = (min(i1, i2), message)
                        if row not in seen:
                            seen.add(row)
                            out["et-chemo-combination"].append({
                                "patient": p.iri, "code": code, "therapyIndex": row[0], "message": message})

        # current-et-chemo-warning: drugs of both sides among the ongoing drugs
        current_name = WARNING_OF_QUERY["current-et-chemo-warning"][0]
        current = conditions[current_name]
        ongoing = set(p.values(ONGOING_DRUG))
        code, template = self.warning_texts[current_name]
        seen = set()
        for et in self._side(ongoing, current.combination[0]):
            for ch in self._side(ongoing, current.combination[1]):
                if et not in self.labels or ch not in self.labels:
                    continue
                message = _fill(template, endocrineDrug=self.labels[et], chemotherapyDrug=self.labels[ch])
                if message not in seen:
                    seen.add(message)
                    out["current-et-chemo-warning"].append({
                        "patient": p.iri, "code": code, "therapyIndex": -1, "message": message})
        return out

    def _side(self, drugs: Iterable[str], side: tuple[str, frozenset[str]]) -> list[str]:
        """The drugs of one side of a forbidden combination: of its class, of none of its except classes."""
        cls, excepted = side
        return [d for d in drugs if cls in self.drug_classes.get(d, ()) and not excepted & self.drug_classes.get(d, set())]

    def all_rows(self, iri: str, triples: Iterable[tuple], facts: Iterable[tuple] = (), *,
                 criterion_rows: bool = True) -> dict[str, list[dict]]:
        """Every row the engine's queries give for one patient, by query name, and the criterion
        statuses grouped by rule (:data:`STATUSES_BY_RULE`, what result assembly reads). With
        ``criterion_rows=False`` the criterion-status rows themselves are left out (they are that
        grouping flattened; the engine's own run does not need them)."""
        p = PatientFacts.from_triples(iri, triples, facts)
        contraindicated = self.contraindicated_drugs(p)
        blocked = sorted({r["drug"] for r in contraindicated if r["action"] == BLOCK})
        p.edges[BLOCKED_DRUG] = blocked
        scopes = self.rules_in_scope(p)
        by_rule = self.statuses_by_rule(p, scopes)
        rows = {
            "rules-in-scope": scopes,
            "criterion-status": _criterion_rows(p.iri, by_rule) if criterion_rows else [],
            "contraindicated-drugs": contraindicated,
            NOT_CHECKED: self.contraindications_not_checked(p),
            STATUSES_BY_RULE: by_rule,
        }
        rows.update(self.warnings(p, contraindicated))
        return rows


def _criterion_rows(iri: str, by_rule: dict[str, tuple]) -> list[dict]:
    """The criterion-status rows of the statuses grouped by rule."""
    return [{"patient": iri, "rule": rule, "criterion": c_iri, "status": status}
            for rule, statuses in by_rule.items() for c_iri, status in statuses]


def _number(value: Any) -> Any:
    """A number as the SPARQL backends return it (integral decimals as int)."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def compile_knowledge(kb) -> CompiledKnowledge:
    """Read the knowledge base once for the fast path (compiled already when the knowledge base
    was loaded through the start-up cache, :mod:`reasoner.cache`)."""
    compiled = getattr(kb, "_compiled_knowledge", None)
    return compiled if compiled is not None else CompiledKnowledge(kb.backend)


