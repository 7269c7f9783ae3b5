"""The inference parameters: the knowledge the inference step decides patient states with.

Thresholds (ER-low 1-10 %, hypercalcaemia, recurrence score, ECOG), time windows (the 6-month,
12-month and 2-year windows of endocrine resistance and of relapse after chemotherapy), the
early-disease risk definitions of the adjuvant trials (monarchE, NATALEE, KEYNOTE-522, OlympiA),
the node counts of the N categories, the visceral sites, and the IRIs of the states, facets and
settings the inference step writes: all live in the knowledge base (``ontology/inference.ttl``,
``ontology/states.ttl``, ``ontology/core.ttl``), each clinical statement with its source. They are
read here, once, when the knowledge base loads, through the named queries
``queries/kb/kb-inference-*.rq``.

Fail closed: a parameter the inference step needs that is missing, repeated, without bounds,
with a non-numeric bound, or without a source or date refuses the knowledge base
(:class:`~reasoner.errors.KnowledgeBaseError`); there are no defaults in code.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from reasoner.errors import KnowledgeBaseError

__all__ = ["Bounds", "RiskCondition", "RiskDefinition", "InferenceParameters", "load_parameters",
           "PARAMETER_KEYS", "DEFINITION_KEYS", "CODED_FIELDS", "RISK_FEATURES"]

#: The parameters the inference step reads, by key (skos:notation of an h2n:InferenceParameter).
PARAMETER_KEYS = (
    "receptor_positive_percent",
    "er_low_percent",
    "hypercalcaemia_calcium_mg_dl",
    "recurrence_score_high",
    "ecog_fit",
    "primary_resistance_adjuvant_et_days",
    "relapse_within_12m_adjuvant_et_days",
    "primary_resistance_first_line_et_days",
    "early_progression_first_line_cdk46i_days",
    "relapse_within_6m_adjuvant_chemo_days",
    "relapse_within_12m_adjuvant_chemo_days",
)
#: Inference parameters that document a definition held elsewhere in the data (node counts, the
#: states of coded values, which progression counts): required, with source and date, but unbounded.
DEFINITION_KEYS = ("n_category_node_counts", "menopausal_status_states", "child_pugh_states",
                   "progression_basis_counts")
#: Record fields whose codes give states (h2n:impliesState on their enumeration's values).
CODED_FIELDS = ("menopausal_status", "child_pugh")
#: The features risk conditions may test (skos:notation of an h2n:RiskFeature): what the
#: inference step derives from the record for each.
RISK_FEATURES = frozenset(
    {"positive_nodes", "grade", "tumour_size_mm", "t_category", "n_category", "ki67_percent", "recurrence_score"})
_BOUND_FIELDS = (("minI", "min_inclusive"), ("minE", "min_exclusive"), ("maxI", "max_inclusive"),
                 ("maxE", "max_exclusive"))
_RISK_STATES = ("monarche-high-risk", "natalee-risk", "keynote522-stage", "olympia-risk")


@dataclass(frozen=True)
class Bounds:
    """A numeric range (h2n:minInclusive, h2n:minExclusive, h2n:maxInclusive, h2n:maxExclusive)."""

    min_inclusive: int | float | None = None
    min_exclusive: int | float | None = None
    max_inclusive: int | float | None = None
    max_exclusive: int | float | None = None

    def __contains__(self, value: int | float | None) -> bool:
        """Whether ``value`` lies within every bound; a missing value (None) never does."""
        if value is None or isinstance(value, bool):
            return False
        return ((self.min_inclusive is None or value >= self.min_inclusive)
                and (self.min_exclusive is None or value > self.min_exclusive)
                and (self.max_inclusive is None or value <= self.max_inclusive)
                and (self.max_exclusive is None or value < self.max_exclusive))

    @property
    def empty(self) -> bool:
        return all(v is None for v in (self.min_inclusive, self.min_exclusive, self.max_inclusive, self.max_exclusive))


@dataclass(frozen=True)
class RiskCondition:
    """One condition of a risk pathway: a required state, or a feature within bounds or among values."""

    state: str | None = None  # notation of a required patient state
    feature: str | None = None  # notation of an h2n:RiskFeature
    bounds: Bounds | None = None
    values: frozenset[str] | None = None  # notations of coded values (T or N categories)

    def holds(self, states: Iterable[str], features: Mapping[str, object]) -> bool:
        """Whether the condition holds; a feature that is not recorded never holds."""
        if self.state is not None:
            return self.state in states
        value = features.get(self.feature or "")
        if value is None:
            return False
        if self.values is not None:
            return value in self.values
        return self.bounds is not None and value in self.bounds


@dataclass(frozen=True)
class RiskDefinition:
    """An early-disease risk definition: its state holds when every condition of a pathway holds."""

    iri: str
    state: str  # notation of the state it gives
    pathways: tuple[tuple[RiskCondition, ...], ...]

    def holds(self, states: Iterable[str], features: Mapping[str, object]) -> bool:
        states = frozenset(states)
        return any(all(c.holds(states, features) for c in pathway) for pathway in self.pathways)


@dataclass(frozen=True)
class InferenceParameters:
    """Everything the inference step reads from the knowledge base (see the module docstring)."""

    bounds: Mapping[str, Bounds]  # by parameter key (PARAMETER_KEYS)
    risk_definitions: tuple[RiskDefinition, ...]
    visceral_sites: frozenset[str]  # notations of h2n:VisceralSite (record codes)
    assumed_positive_nodes: Mapping[str, int]  # N category notation -> node count it is counted as
    node_count_categories: tuple[tuple[str, int, int | None], ...]  # (N category, min, max or None)
    #: record field -> code -> state keys it implies (menopausal_status, child_pugh)
    implied_states: Mapping[str, Mapping[str, frozenset[str]]] = field(default_factory=dict)
    #: progression bases (record codes) that do not count as progression on their own
    uncounted_progression_bases: frozenset[str] = frozenset()
    #: state key -> key of its facet (states without a facet are absent)
    state_facets: Mapping[str, str] = field(repr=False, default_factory=dict)
    state_iris: Mapping[str, str] = field(repr=False, default_factory=dict)
    facet_iris: Mapping[str, str] = field(repr=False, default_factory=dict)
    setting_iris: Mapping[str, str] = field(repr=False, default_factory=dict)

    def __getitem__(self, key: str) -> Bounds:
        return self.bounds[key]

    def n_category_of_count(self, nodes: int) -> str | None:
        """The N category of a positive-node count (the category whose count range holds it)."""
        for category, low, high in self.node_count_categories:
            if nodes >= low and (high is None or nodes <= high):
                return category
        return None

    def state_iri(self, key: str) -> str:
        """The IRI of a patient state, looked up by its notation; an undeclared state is an error."""
        try:
            return self.state_iris[key]
        except KeyError:
            raise KnowledgeBaseError(f"the inference step emits state {key!r}, which the ontology does not declare",
                                     hint="declare it in ontology/states.ttl with its skos:notation") from None

    def facet_iri(self, key: str) -> str:
        """The IRI of a facet, looked up by its notation; an undeclared facet is an error."""
        try:
            return self.facet_iris[key]
        except KeyError:
            raise KnowledgeBaseError(f"the inference step emits facet {key!r}, which the ontology does not declare",
                                     hint="declare it in ontology/states.ttl with its skos:notation") from None

    def setting_iri(self, key: str) -> str:
        try:
            return self.setting_iris[key]
        except KeyError:
            raise KnowledgeBaseError(f"disease setting {key!r} is not declared in the ontology",
                                     hint="declare it in ontology/core.ttl as h2n:DiseaseSetting") from None


def _number(value: object, where: str) -> int | float:
    """A bound as a Python number; anything else (text, a date, a boolean) is malformed."""
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        raise KnowledgeBaseError(f"{where}: bound {value!r} is not a number",
                                 hint="write bounds as xsd:integer or xsd:decimal literals")
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _bounds(rows: list[dict], where: str) -> Bounds:
    values: dict[str, int | float] = {}
    for column, name in _BOUND_FIELDS:
        found = {r[column] for r in rows if r.get(column) is not None}
        if len(found) > 1:
            raise KnowledgeBaseError(f"{where}: {len(found)} values for {name}", hint="give each bound once")
        if found:
            values[name] = _number(found.pop(), where)
    return Bounds(**values)


def _provenance(rows: list[dict], where: str) -> None:
    if not any(r.get("source") for r in rows):
        raise KnowledgeBaseError(f"{where} has no source (dcterms:source)",
                                 hint="every clinical statement carries its source")
    if not any(isinstance(r.get("currentTo"), dt.date) for r in rows):
        raise KnowledgeBaseError(f"{where} has no h2n:currentTo date",
                                 hint="every clinical statement carries the date it is current to")


def _group(rows: Iterable[dict], key: str) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        out[row[key]].append(row)
    return out


def load_parameters(select: Callable[[str], list[dict]]) -> InferenceParameters:
    """Build the inference parameters from a knowledge base.

    ``select(name)`` runs the named query of ``queries/kb/`` and returns its rows. Raises
    :class:`~reasoner.errors.KnowledgeBaseError` when a parameter is missing or malformed.
    """
    # Terms: states, facets, settings, visceral sites, N categories.
    terms: dict[str, dict[str, str]] = defaultdict(dict)
    assumed: dict[str, int] = {}
    ranges: list[tuple[str, int, int | None]] = []
    implied_iris: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    counts: dict[str, set[bool]] = defaultdict(set)
    state_facets: dict[str, str] = {}
    for r in select("kb-inference-terms"):
        kind, notation = r["kind"], str(r["n"])
        if r.get("implies"):
            implied_iris[kind][notation].add(r["implies"])
        if r.get("counts") is not None:
            counts[notation].add(r["counts"])
        if kind == "state" and r.get("facetKey"):
            state_facets[notation] = str(r["facetKey"])
        if notation in terms[kind] and terms[kind][notation] != r["s"]:
            raise KnowledgeBaseError(f"two {kind}s have the notation {notation!r}: {terms[kind][notation]} and {r['s']}",
                                     hint="a notation names one term")
        terms[kind][notation] = r["s"]
        if kind == "n-category":
            where = f"N category {notation}"
            if r.get("assumed") is not None:
                assumed[notation] = int(_number(r["assumed"], where))
            if r.get("countMin") is not None:
                high = r.get("countMax")
                ranges.append((notation, int(_number(r["countMin"], where)),
                               None if high is None else int(_number(high, where))))
    for kind in ("state", "facet", "setting", "visceral-site", "n-category", *CODED_FIELDS, "progression_basis"):
        if not terms.get(kind):
            raise KnowledgeBaseError(f"the knowledge base declares no {kind} with a skos:notation",
                                     hint="the inference step looks its terms up by notation")
    missing_counts = sorted(set(terms["n-category"]) - set(assumed))
    if missing_counts or not ranges:
        raise KnowledgeBaseError(f"N categories without h2n:assumedPositiveNodes: {missing_counts or 'none with a count range'}",
                                 hint="see ontology/inference.ttl")

    state_by_iri = {iri: key for key, iri in terms["state"].items()}
    implied: dict[str, dict[str, frozenset[str]]] = {}
    for kind in CODED_FIELDS:
        implied[kind] = {}
        for code in terms[kind]:
            iris = implied_iris[kind].get(code, set())
            if not iris or not iris <= set(state_by_iri):
                raise KnowledgeBaseError(f"{kind} code {code!r} implies no declared patient state (h2n:impliesState)",
                                         hint="see ontology/inference.ttl")
            implied[kind][code] = frozenset(state_by_iri[i] for i in iris)
    for code in terms["progression_basis"]:
        if len(counts.get(code, ())) != 1 or not isinstance(next(iter(counts[code])), bool):
            raise KnowledgeBaseError(f"progression basis {code!r} needs one boolean h2n:countsAsProgression",
                                     hint="see ontology/inference.ttl")
    uncounted = frozenset(code for code in terms["progression_basis"] if counts[code] == {False})

    # Thresholds and windows.
    by_key: dict[str, list[dict]] = defaultdict(list)
    for r in select("kb-inference-parameters"):
        if not r.get("key"):
            raise KnowledgeBaseError(f"inference parameter {r['p']} has no skos:notation (its key)")
        by_key[str(r["key"])].append(r)
    bounds: dict[str, Bounds] = {}
    for key, rows in by_key.items():
        iris = {r["p"] for r in rows}
        if len(iris) > 1:
            raise KnowledgeBaseError(f"inference parameter {key!r} is given {len(iris)} times: {sorted(iris)}",
                                     hint="give each parameter once")
        where = f"inference parameter {key!r} ({rows[0]['p']})"
        _provenance(rows, where)
        bounds[key] = _bounds(rows, where)
    for key in DEFINITION_KEYS:
        if key not in bounds:
            raise KnowledgeBaseError(f"inference parameter {key!r} is missing from the knowledge base",
                                     hint="ontology/inference.ttl defines it with its source")
    for key in PARAMETER_KEYS:
        if key not in bounds:
            raise KnowledgeBaseError(f"inference parameter {key!r} is missing from the knowledge base",
                                     hint="ontology/inference.ttl defines it; the reasoner has no default")
        if bounds[key].empty:
            raise KnowledgeBaseError(f"inference parameter {key!r} has no bound",
                                     hint="give h2n:minInclusive, h2n:minExclusive, h2n:maxInclusive or h2n:maxExclusive")

    # Early-disease risk definitions.
    definitions = []
    for iri, rows in sorted(_group(select("kb-inference-risk"), "def").items()):
        where = f"risk definition {iri}"
        _provenance(rows, where)
        states = {r["state"] for r in rows if r.get("state")}
        if len(states) != 1 or next(iter(states)) not in state_by_iri:
            raise KnowledgeBaseError(f"{where} needs exactly one h2n:riskState that is a declared patient state")
        pathways = []
        for pathway, prow in sorted(_group([r for r in rows if r.get("pathway")], "pathway").items()):
            conditions = []
            for _cond, crow in sorted(_group([r for r in prow if r.get("cond")], "cond").items()):
                conditions.append(_condition(crow, f"{where}, pathway {pathway}", state_by_iri, terms))
            if not conditions:
                raise KnowledgeBaseError(f"{where}: pathway {pathway} has no condition")
            pathways.append(tuple(conditions))
        if not pathways:
            raise KnowledgeBaseError(f"{where} has no pathway")
        definitions.append(RiskDefinition(iri, state_by_iri[next(iter(states))], tuple(pathways)))
    given = {d.state for d in definitions}
    for state in _RISK_STATES:
        if state not in given:
            raise KnowledgeBaseError(f"no early-disease risk definition gives state {state!r}",
                                     hint="ontology/inference.ttl defines them; the reasoner has no default")

    return InferenceParameters(
        bounds=bounds,
        risk_definitions=tuple(definitions),
        visceral_sites=frozenset(terms["visceral-site"]),
        assumed_positive_nodes=assumed,
        node_count_categories=tuple(sorted(ranges, key=lambda x: x[1])),
        implied_states=implied,
        uncounted_progression_bases=uncounted,
        state_facets=state_facets,
        state_iris=dict(terms["state"]),
        facet_iris=dict(terms["facet"]),
        setting_iris=dict(terms["setting"]),
    )


def _condition(rows: list[dict], where: str, state_by_iri: Mapping[str, str],
               terms: Mapping[str, Mapping[str, str]]) -> RiskCondition:
    requires = {r["requires"] for r in rows if r.get("requires")}
    features = {r["feature"] for r in rows if r.get("feature")}
    values = frozenset(str(r["value"]) for r in rows if r.get("value") is not None)
    if requires:
        if len(requires) > 1 or features or values:
            raise KnowledgeBaseError(f"{where}: a condition requires one state and nothing else")
        state = next(iter(requires))
        if state not in state_by_iri:
            raise KnowledgeBaseError(f"{where}: required state {state} is not a declared patient state")
        return RiskCondition(state=state_by_iri[state])
    if len(features) != 1 or next(iter(features)) not in RISK_FEATURES:
        raise KnowledgeBaseError(f"{where}: a condition needs one known h2n:riskFeature (one of {sorted(RISK_FEATURES)})",
                                 hint="or h2n:requiresState")
    feature = next(iter(features))
    bounds = _bounds(rows, where)
    if values and not bounds.empty or (not values and bounds.empty):
        raise KnowledgeBaseError(f"{where}: condition on {feature!r} needs bounds or h2n:riskValue (not both)")
    return RiskCondition(feature=feature, bounds=None if values else bounds, values=values or None)
