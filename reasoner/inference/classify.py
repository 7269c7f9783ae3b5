"""Classification, lines of therapy, endocrine resistance and patient states for one record."""

from __future__ import annotations

import datetime as dt
import functools
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from rdflib import RDF, Literal, URIRef
from rdflib.namespace import XSD

from reasoner.errors import KnowledgeBaseError
from reasoner.inference.parameters import InferenceParameters
from reasoner.terminology import drug_iri
from reasoner.vocab import H2N

__all__ = ["DrugClasses", "Inference", "classify_receptors", "infer", "inferred_facts", "inferred_triples"]

# Thresholds, time windows, early-disease risk definitions, visceral sites and the IRIs of states
# and facets are knowledge: they are read from the knowledge base (ontology/inference.ttl,
# states.ttl, core.ttl) into InferenceParameters when it loads (reasoner/inference/parameters.py).
# The state keys below are the skos:notation of the states and facets in ontology/states.ttl.

ENDOCRINE = "EndocrineTherapy"
OFS = "LHRHAgonist"
CYTOTOXIC = "CytotoxicChemotherapy"
ADC = "AntibodyDrugConjugate"
ANTINEOPLASTIC = "AntineoplasticDrug"
SUBTYPE_STATES = {"HR+/HER2-": "hr-positive-her2-negative", "HR-/HER2-": "triple-negative"}
HER2_STATES = {"HER2-0": "her2-zero", "HER2-ultralow": "her2-ultralow", "HER2-low": "her2-low"}
TRIMESTER_STATES = {1: "pregnancy-first-trimester", 2: "pregnancy-second-or-third-trimester",
                    3: "pregnancy-second-or-third-trimester"}


@dataclass(frozen=True)
class DrugClasses:
    """The drug classes (OWL class local names, transitively) of every canonical drug."""

    classes: Mapping[str, frozenset[str]]
    #: the inference parameters of the same knowledge base (read when it loads)
    parameters: InferenceParameters | None = field(default=None, compare=False, repr=False)

    def has(self, drug: str, cls: str) -> bool:
        return cls in self.classes.get(drug, frozenset())

    def is_endocrine(self, drug: str) -> bool:
        """Endocrine therapy proper: SERM, AI, SERD (an LHRH agonist alone is ovarian suppression)."""
        return self.has(drug, ENDOCRINE) and not self.has(drug, OFS)

    def is_chemo_like(self, drug: str) -> bool:
        """Cytotoxic chemotherapy, or an antibody-drug conjugate with a cytotoxic payload."""
        return self.has(drug, CYTOTOXIC) or self.has(drug, ADC)


@dataclass(frozen=True)
class Inference:
    """What the reasoner inferred about one patient."""

    setting: str | None
    settings: tuple[str, ...]
    subtype: str | None
    her2_category: str
    her2_positive: bool
    er_low: bool
    line: int | None
    endocrine_resistance: str
    visceral_crisis: bool | None
    states: frozenset[str]
    unknown_facets: frozenset[str]
    quantities: Mapping[str, int | float]
    exposed: frozenset[str]
    exposed_metastatic: frozenset[str]
    progressed: frozenset[str]
    ongoing: frozenset[str]
    progressed_regimens: tuple[frozenset[str], ...] = field(default_factory=tuple)
    stopped_for_toxicity: frozenset[str] = frozenset()
    exposed_including_current: frozenset[str] = frozenset()
    current_drugs: tuple[str, ...] = ()  # the current regimen's drugs (ongoing therapies of this setting)
    current_working: bool = False  # on a current regimen with no progression (marker-only excepted)
    # Days from the end of each drug's latest (neo)adjuvant exposure to the relapse (0: relapse on
    # it); None when the relapse date is not known. Empty outside recurrent disease.
    curative_relapse_days: Mapping[str, int | None] = field(default_factory=dict)
    # The drugs of the regimen whose progression opened the current line (the latest progression).
    last_progressed: frozenset[str] = frozenset()
    # Drug classes (local names, transitively) of the drugs above, for the inferred triples.
    drug_classes: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # The parameters it was inferred with (the IRIs of its states and facets are looked up there).
    parameters: InferenceParameters | None = field(default=None, compare=False, repr=False)

    def classification(self) -> dict:
        """The ``classification`` object of the result contract."""
        return {
            "subtype": self.subtype,
            "her2_category": self.her2_category,
            "er_low": self.er_low,
            "line": self.line,
            "endocrine_resistance": self.endocrine_resistance,
            "visceral_crisis": self.visceral_crisis,
        }


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _default_parameters() -> InferenceParameters:
    """No default: inference imports nothing of a later pipeline step (the knowledge base), so the
    caller passes the parameters of its knowledge base (``kb.inference_parameters``)."""
    raise KnowledgeBaseError("no inference parameters: pass those of a loaded knowledge base "
                             "(kb.inference_parameters)",
                             hint="thresholds and windows are read from the knowledge base, never defaulted")


def _parameters(drugs: DrugClasses, params: InferenceParameters | None) -> InferenceParameters:
    params = params if params is not None else drugs.parameters
    if params is None:
        raise KnowledgeBaseError("no inference parameters: infer() needs the drug classes of a loaded "
                                 "knowledge base (kb.drug_classes) or its parameters",
                                 hint="thresholds and windows are read from the knowledge base, never defaulted")
    return params


def _receptor_status(receptors: Mapping, key: str, params: InferenceParameters) -> bool | None:
    """True positive (>=1%), False negative (<1%), None unknown (ASCO/CAP 2020; the cut-off is
    the parameter receptor_positive_percent)."""
    percent = receptors.get(f"{key}_percent")
    if percent is not None:
        return percent in params["receptor_positive_percent"]
    status = receptors.get(key)
    if status is not None:
        return status == "positive"
    return None


def classify_receptors(receptors: Mapping, params: InferenceParameters | None = None
                       ) -> tuple[str | None, str, bool, bool]:
    """Subtype, HER2 category, HER2-positive flag and ER-low flag of a receptor result.

    HER2 (ASCO/CAP 2023, DESTINY-Breast06): IHC 3+ or ISH amplified or status positive is
    HER2-positive. IHC 0 is HER2-0, ultralow HER2-ultralow, 1+ or 2+ with ISH not amplified
    HER2-low; ``her2: negative`` without a score leaves the category unknown. ER/PR positivity
    and ER-low are the parameters of ``params`` (``kb.inference_parameters``; required).
    """
    if params is None:
        params = _default_parameters()
    ihc = receptors.get("her2_ihc")
    ish = receptors.get("her2_ish")
    status = receptors.get("her2")
    her2_positive = ihc == "3+" or ish == "amplified" or status == "positive"
    category = "unknown"
    if not her2_positive:
        if ihc == "0":
            category = "HER2-0"
        elif ihc == "ultralow":
            category = "HER2-ultralow"
        elif ihc == "1+" or (ihc == "2+" and ish == "not_amplified"):
            category = "HER2-low"
    her2_negative = not her2_positive and (category != "unknown" or status == "negative")
    er = _receptor_status(receptors, "er", params)
    pr = _receptor_status(receptors, "pr", params)
    er_low = receptors.get("er_percent") in params["er_low_percent"]
    subtype = None
    if her2_negative:
        if er or pr:
            subtype = "HR+/HER2-"
        elif er is False and pr is False:
            subtype = "HR-/HER2-"
    return subtype, category, her2_positive, er_low


@dataclass
class _Therapy:
    index: int
    drugs: frozenset[str]
    setting: str
    start: dt.date | None
    end: dt.date | None
    end_reason: str | None
    progression_date: dt.date | None
    basis: frozenset[str]
    uncounted_bases: frozenset[str]  # bases that do not count as progression alone (knowledge base)

    @property
    def progression_recorded(self) -> bool:
        """A progression is recorded on this regimen (whatever it rests on)."""
        return self.end_reason == "progression" or self.progression_date is not None

    @property
    def marker_only(self) -> bool:
        """The recorded progression rests on tumour markers or circulating tumour cells alone."""
        return self.progression_recorded and bool(self.basis) and self.basis <= self.uncounted_bases

    @property
    def progressed(self) -> bool:
        """Progression that counts: documented by imaging or clinically (or basis not recorded).

        Progression shown by tumour markers or circulating tumour cells alone is not counted
        anywhere in inference (line, endocrine resistance, exclusions): a marker change alone must
        not change treatment (ESO-ESMO ABC 4, response evaluation, II/C); it is confirmed first
        (advice CONFIRM_PROGRESSION, warning TUMOR_MARKER_ONLY_PROGRESSION).
        """
        return self.progression_recorded and not self.marker_only

    @property
    def progression_at(self) -> dt.date | None:
        if not self.progressed:
            return None
        if self.progression_date is not None:
            return self.progression_date
        return self.end if self.end_reason == "progression" else None

    @property
    def ongoing(self) -> bool:
        return self.end is None


# The therapy settings of a current regimen, by the (effective) setting the decision is for: an
# ongoing adjuvant regimen at a metastatic relapse is not a current regimen but one the disease
# relapsed on.
CURRENT_THERAPY_SETTINGS = {
    "early": frozenset({"adjuvant", "neoadjuvant"}),
    "metastatic": frozenset({"metastatic"}),
    "locoregional_recurrence": frozenset({"locoregional_recurrence"}),
}


def _concurrent_same_class(current: list[_Therapy], drugs: DrugClasses) -> bool:
    """Whether two ongoing regimens hold two different drugs of the same most specific drug class."""
    if len(current) < 2:
        return False
    members = Counter(c for classes in drugs.classes.values() for c in classes)

    def specific(drug: str) -> frozenset[str]:
        classes = drugs.classes.get(drug, frozenset())
        smallest = min((members[c] for c in classes), default=0)
        return frozenset(c for c in classes if members[c] == smallest)

    for i, first in enumerate(current):
        for second in current[i + 1:]:
            for a in first.drugs - second.drugs:
                for b in second.drugs - first.drugs:
                    if specific(a) & specific(b):
                        return True
    return False


def _current_regimen(record: Mapping, setting: str | None, therapies: list[_Therapy]) -> list[_Therapy]:
    """The therapies the patient is on now for the disease the decision is for.

    Ongoing (no ``end`` and no ``end_reason``) therapies of the decision's setting; a locoregional
    recurrence reasoned over as metastatic disease also counts its locoregional-recurrence therapies.
    """
    settings = set(CURRENT_THERAPY_SETTINGS.get(setting or "", ()))
    if setting == "metastatic" and record.get("setting") == "locoregional_recurrence":
        settings.add("locoregional_recurrence")
    return [t for t in therapies if t.ongoing and t.end_reason is None and t.setting in settings]


def _therapies(record: Mapping, params: InferenceParameters) -> list[_Therapy]:
    out = []
    for i, t in enumerate(record.get("therapies") or []):
        out.append(
            _Therapy(
                index=i,
                drugs=frozenset(t.get("drugs") or []),
                setting=t.get("setting", ""),
                start=_date(t.get("start")),
                end=_date(t.get("end")),
                end_reason=t.get("end_reason"),
                progression_date=_date(t.get("progression_date")),
                basis=frozenset(t.get("progression_basis") or []),
                uncounted_bases=params.uncounted_progression_bases,
            )
        )
    return out


def _sort_key(t: _Therapy) -> tuple:
    return (t.start or dt.date.min, t.index)


def _curative_relapse_days(record: Mapping, therapies: list[_Therapy]) -> dict[str, int | None]:
    """Per drug given (neo)adjuvantly: days from the end of its latest curative exposure to relapse.

    0 when the disease relapsed on it (no end date, an end on or after the relapse, or progression
    recorded on it); None for every drug when the relapse date is not known. Early disease (no
    relapse) has none.
    """
    if record.get("setting") not in ("metastatic", "locoregional_recurrence"):
        return {}
    relapse = _relapse_date(record)
    out: dict[str, int | None] = {}
    for t in therapies:
        if t.setting not in ("adjuvant", "neoadjuvant"):
            continue
        if relapse is None:
            days = None
        elif t.end is None or t.progressed or t.end >= relapse:
            days = 0
        else:
            days = (relapse - t.end).days
        for drug in t.drugs:
            if drug not in out or days is None:
                out[drug] = days
            elif out[drug] is not None:
                out[drug] = min(out[drug], days)
    return out


def _relapse_date(record: Mapping) -> dt.date | None:
    """When the disease recurred: the metastatic diagnosis date; for a locoregional recurrence,
    the date of the recurrence biopsy, else the decision date (the record has no recurrence date)."""
    if record.get("setting") == "locoregional_recurrence":
        receptors = record.get("receptors") or {}
        if receptors.get("specimen") == "recurrence" and receptors.get("tested_on"):
            return _date(receptors["tested_on"])
        return _date(record.get("as_of"))
    return _date((record.get("metastatic") or {}).get("diagnosis_date"))


def _endocrine_resistance(
    record: Mapping, therapies: list[_Therapy], drugs: DrugClasses, states: set[str], unknown: set[str],
    params: InferenceParameters,
) -> str:
    """Primary / secondary / none / unknown, per the ESO-ESMO ABC 4/5 definitions.

    Unknown, never "none", when the record cannot tell: an endocrine therapy whose setting is
    unknown (it may have been adjuvant, or an earlier metastatic line), or a first metastatic
    endocrine line that stopped (an end date, or a later line started) without a recorded reason
    or progression -- it may have stopped because the disease progressed.
    """
    relapse = _relapse_date(record)
    adjuvant_et = [
        t for t in therapies
        if t.setting in ("adjuvant", "neoadjuvant") and any(drugs.is_endocrine(d) for d in t.drugs)
    ]
    unknown_setting_et = [
        t for t in therapies if not t.setting and any(drugs.is_endocrine(d) for d in t.drugs)
    ]
    adjuvant_class = None
    if not adjuvant_et and unknown_setting_et:
        unknown.add("adjuvant-et-relapse")
    elif not adjuvant_et:
        states.add("no-prior-adjuvant-et")
    elif relapse is None:
        unknown.add("adjuvant-et-relapse")
    else:
        last = max(adjuvant_et, key=lambda t: t.end or dt.date.max)
        first_start = min((t.start for t in adjuvant_et if t.start), default=None)
        on_treatment = last.end is None or last.end >= relapse or last.end_reason == "progression"
        # The class the disease relapsed on matters for the partner of a CDK4/6 inhibitor: after an
        # aromatase inhibitor, fulvestrant; after tamoxifen, an aromatase inhibitor (MONALEESA-7).
        on_ai = any(drugs.has(d, "AromataseInhibitor") for d in last.drugs)
        if on_ai and on_treatment:
            states.add("relapse-on-adjuvant-ai")
        elif on_ai and (relapse - last.end).days in params["relapse_within_12m_adjuvant_et_days"]:
            states.add("relapse-within-12m-adjuvant-ai")
        if on_treatment:
            states.add("relapse-on-adjuvant-et")
            if first_start is None:
                adjuvant_class = "unknown"
            else:
                primary = (relapse - first_start).days in params["primary_resistance_adjuvant_et_days"]
                adjuvant_class = "primary" if primary else "secondary"
        elif (relapse - last.end).days in params["relapse_within_12m_adjuvant_et_days"]:
            states.add("relapse-within-12m-adjuvant-et")
            adjuvant_class = "secondary"
        else:
            states.add("relapse-after-12m-adjuvant-et")
            adjuvant_class = "none"
    if adjuvant_class in ("primary", "secondary"):
        return adjuvant_class
    if unknown_setting_et:
        return "unknown"
    metastatic = sorted((t for t in therapies if t.setting == "metastatic"), key=_sort_key)
    first_et = next((t for t in metastatic if any(drugs.is_endocrine(d) for d in t.drugs)), None)
    if first_et is not None and first_et.progressed:
        at = first_et.progression_at
        if first_et.start is None or at is None:
            return "unknown"
        primary = (at - first_et.start).days in params["primary_resistance_first_line_et_days"]
        return "primary" if primary else "secondary"
    if first_et is not None and first_et.end_reason is None:
        followed = any(
            t is not first_et and t.start and first_et.start and t.start > first_et.start for t in metastatic
        )
        if first_et.end is not None or followed:
            return "unknown"  # stopped for a reason not recorded: progression cannot be excluded
    if adjuvant_class == "unknown" or "adjuvant-et-relapse" in unknown:
        return "unknown"
    return "none"


def _early_states(record: Mapping, states: set[str], unknown: set[str], params: InferenceParameters) -> None:
    """States of early disease: nodal status, neoadjuvant response, recurrence score, and the
    early-disease risk definitions of the knowledge base (monarchE, NATALEE, KEYNOTE-522, OlympiA),
    evaluated generically over the features derived here (a feature not recorded never holds)."""
    early = record.get("early") or {}
    biomarkers = record.get("biomarkers") or {}
    nodes = early.get("nodes_positive")
    n = early.get("n")
    response = early.get("neoadjuvant_response")
    node_positive = None
    if nodes is not None:
        node_positive = nodes >= 1
    elif n is not None:
        node_positive = n != "N0"
    if node_positive is None:
        unknown.add("node-status")
    else:
        states.add("node-positive" if node_positive else "node-negative")
    if response == "residual_disease":
        states.add("residual-disease")
    elif response == "pcr":
        states.add("pcr")
    else:
        unknown.add("neoadjuvant-response")
    rs = biomarkers.get("recurrence_score")
    if rs is None:
        unknown.add("recurrence-score")
    else:
        states.add("rs-high" if rs in params["recurrence_score_high"] else "rs-low-intermediate")
    if nodes is None and n is None:
        unknown.add("early-risk")
        return
    features = {
        "positive_nodes": nodes if nodes is not None else params.assumed_positive_nodes.get(n or ""),
        "n_category": n if n is not None else params.n_category_of_count(nodes),
        "t_category": early.get("t"),
        "grade": early.get("grade"),
        "tumour_size_mm": early.get("tumor_size_mm"),
        "ki67_percent": biomarkers.get("ki67_percent"),
        "recurrence_score": rs,
    }
    reached = frozenset(states)  # risk conditions read the states decided before them
    for definition in params.risk_definitions:
        if definition.holds(reached, features):
            states.add(definition.state)


def _latest_tests(record: Mapping) -> dict[str, dict]:
    """The latest test with a result (not ``not_tested``) per test name (by date, then list order)."""
    out: dict[str, tuple[tuple, dict]] = {}
    for i, t in enumerate(record.get("biomarker_tests") or []):
        if t.get("result") in (None, "not_tested") or not t.get("date") or not t.get("test"):
            continue
        key = (t["date"], i)
        if t["test"] not in out or key >= out[t["test"]][0]:
            out[t["test"]] = (key, t)
    return {name: t for name, (_, t) in out.items()}


def _current_biomarkers(record: Mapping, drugs: DrugClasses, params: InferenceParameters) -> tuple[dict, bool]:
    """The biomarkers to reason with, and whether the ESR1 result is stale.

    ``biomarkers`` holds the latest known result; where it lacks a key, the latest test of
    ``biomarker_tests`` gives it. ESR1 mutations are acquired under endocrine therapy: an ESR1
    ``not_detected`` whose test predates the latest progression on endocrine therapy is not current,
    so ESR1 counts as unknown (ESMO ESR1 testing at each progression; advice TEST_ESR1).
    """
    current = dict(record.get("biomarkers") or {})
    latest = _latest_tests(record)
    for name, test in latest.items():
        if name in ("ESR1", "PIK3CA", "AKT1", "PTEN", "gBRCA1", "gBRCA2", "gPALB2"):  # scores stay in biomarkers
            if current.get(name) in (None, "not_tested"):
                current[name] = test["result"]
    stale = False
    esr1 = latest.get("ESR1")
    if current.get("ESR1") == "not_detected" and esr1 is not None and esr1["result"] == "not_detected":
        tested = _date(esr1["date"])
        progressions = [t.progression_at for t in _therapies(record, params)
                        if t.progressed and t.progression_at is not None
                        and any(drugs.is_endocrine(d) for d in t.drugs)]
        if progressions and tested is not None and tested < max(progressions):
            stale = True
            current.pop("ESR1")
    return current, stale


def _her2_low_history(record: Mapping, category: str) -> bool:
    """HER2-low (IHC 1+) on an earlier sample while the latest result is HER2-0 or ultralow or unscored.

    Only IHC 1+ counts: an earlier IHC 2+ without its ISH result does not establish HER2-low.
    """
    if category == "HER2-low":
        return False
    return any(t.get("test") == "her2_ihc" and t.get("result") == "1+"
               for t in record.get("biomarker_tests") or [])


def infer(record: Mapping, drugs: DrugClasses, params: InferenceParameters | None = None) -> Inference:
    """Infer classification, states, lines and exposures from a validated record.

    ``params`` are the inference parameters of the knowledge base; by default those read with
    ``drugs`` (``kb.drug_classes``). Without either it is an error: there is no default in code.
    """
    params = _parameters(drugs, params)
    states: set[str] = set()
    unknown: set[str] = set()
    receptors = record.get("receptors") or {}
    subtype, her2_category, her2_positive, er_low = classify_receptors(receptors, params)

    def state_of(value, table: dict, facet: str) -> None:
        """Add the state ``table`` names for ``value``; an unlisted value leaves ``facet`` unknown."""
        if value in table:
            states.add(table[value])
        else:
            unknown.add(facet)

    sex = record.get("sex")
    if sex in ("female", "male"):
        states.add(sex)
    if sex == "female":  # perimenopausal counts as premenopausal for treatment choice
        implied = params.implied_states["menopausal_status"].get(record.get("menopausal_status"), frozenset())
        states |= implied
        if not any(params.state_facets.get(s) == "menopause" for s in implied):
            unknown.add("menopause")
    state_of(subtype, SUBTYPE_STATES, "subtype")
    state_of(her2_category, HER2_STATES, "her2-category")
    if er_low:
        states.add("er-low")
    elif receptors.get("er_percent") is None and _receptor_status(receptors, "er", params):
        unknown.add("er-low")  # ER positive without a percentage: whether it is 1-10% is not known

    setting = record.get("setting")
    lrr = record.get("locoregional_recurrence") or {}
    if setting == "locoregional_recurrence" and lrr.get("isolated") is False:
        # A recurrence with distant disease is metastatic disease (ESO-ESMO ABC): reason as such.
        setting = "metastatic"
    states.add({"early": "setting-early", "metastatic": "setting-metastatic"}.get(setting, "setting-lrr"))
    if record.get("setting") == "locoregional_recurrence":
        states.add("setting-lrr")
    if setting == "locoregional_recurrence":
        if lrr.get("isolated") is True:
            states.add("lrr-isolated")
        elif lrr.get("isolated") is None:
            unknown.add("lrr-isolated")

    specimen = receptors.get("specimen")
    if specimen is None:
        unknown.add("specimen")
    elif (setting in ("metastatic", "locoregional_recurrence") and specimen in ("metastasis", "recurrence")) \
            or setting == "early":
        # The recurrence or a metastasis itself was biopsied (either is the current disease): no REBIOPSY.
        states.add("current-disease-biopsied")

    metastatic = record.get("metastatic") or {}
    for key, state, facet in (
        ("visceral_crisis", "visceral-crisis", "visceral-crisis"),
        ("life_threatening", "life-threatening", "life-threatening"),
        ("rapidly_progressive", "rapidly-progressive", "rapid-progression"),
        ("de_novo", "de-novo-metastatic", "de-novo"),
    ):
        value = metastatic.get(key)
        if value is True:
            states.add(state)
        elif value is None:
            unknown.add(facet)
    sites = metastatic.get("sites")
    if sites is None:
        unknown.add("metastatic-sites")
    else:
        site_set = set(sites)
        if "bone" in site_set:
            states.add("bone-metastases")
            if site_set == {"bone"}:
                states.add("bone-only")
        if site_set & params.visceral_sites:
            states.add("visceral-metastases")
        if "brain" in site_set:
            states.add("brain-metastases")
    labs = record.get("labs") or {}
    conditions = set(record.get("conditions") or [])
    if conditions & {"diabetes_type1", "diabetes_type2"} and labs.get("hba1c_percent") is None:
        unknown.add("glycaemic-control")
    # Hepatic function: Child-Pugh class (contract extension), or the condition severe_hepatic_impairment.
    states |= params.implied_states["child_pugh"].get(record.get("child_pugh"), frozenset())
    if "severe_hepatic_impairment" in conditions:
        states.add("hepatic-impairment-severe")
    # Pregnancy: the condition, or a trimester (contract extension), which implies it.
    trimester = record.get("pregnancy_trimester")
    if "pregnancy" in conditions or trimester is not None:
        states.add("pregnant")
        states.add(TRIMESTER_STATES.get(trimester, "pregnancy-trimester-unknown"))
    calcium = labs.get("calcium_mg_dl")
    hypercalcemia = metastatic.get("hypercalcemia")
    if hypercalcemia is True or calcium in params["hypercalcaemia_calcium_mg_dl"]:
        states.add("hypercalcemia")
    elif hypercalcemia is None and calcium is None:
        unknown.add("hypercalcemia")

    biomarkers, esr1_stale = _current_biomarkers(record, drugs, params)
    if esr1_stale:
        states.add("esr1-result-stale")
    if _her2_low_history(record, her2_category):
        states.add("her2-low-history")
    for key, prefix in (("PIK3CA", "pik3ca"), ("AKT1", "akt1"), ("PTEN", "pten"), ("ESR1", "esr1")):
        value = biomarkers.get(key)
        if value == "altered":
            states.add(f"{prefix}-altered")
        elif value == "not_detected":
            states.add(f"{prefix}-not-detected")
        else:
            unknown.add(prefix)
    brca = (biomarkers.get("gBRCA1"), biomarkers.get("gBRCA2"))
    if "pathogenic" in brca:
        states.add("gbrca-pathogenic")
    elif brca == ("not_detected", "not_detected"):
        states.add("gbrca-not-detected")
    else:
        unknown.add("gbrca")
    if biomarkers.get("gPALB2") == "pathogenic":
        states.add("gpalb2-pathogenic")
    elif biomarkers.get("gPALB2") != "not_detected":
        unknown.add("gpalb2")
    if biomarkers.get("pdl1_cps") is None:
        unknown.add("pdl1-cps")
    if biomarkers.get("pdl1_ic_percent") is None:
        unknown.add("pdl1-ic")
    ecog = record.get("ecog")
    if ecog is None:
        unknown.add("ecog")
    else:
        states.add("ecog-0-1" if ecog in params["ecog_fit"] else "ecog-2-plus")

    therapies = _therapies(record, params)
    metastatic_lines = sorted((t for t in therapies if t.setting == "metastatic"), key=_sort_key)
    # A line ends with progression, or with the end of a regimen for any reason but toxicity:
    # a regimen stopped for toxicity without progression is switched within the same line.
    prior = [t for t in metastatic_lines
             if t.progressed or (not t.ongoing and t.end_reason != "toxicity")]
    prior_chemo = sum(1 for t in prior if any(drugs.is_chemo_like(d) for d in t.drugs))
    prior_et = sum(1 for t in prior if any(drugs.is_endocrine(d) for d in t.drugs))

    relapse = _relapse_date(record)
    adjuvant_chemo = [
        t for t in therapies
        if t.setting in ("adjuvant", "neoadjuvant") and any(drugs.is_chemo_like(d) for d in t.drugs)
    ]
    early_relapse_12 = False
    if adjuvant_chemo and relapse is not None:
        last_end = max(t.end or relapse for t in adjuvant_chemo)
        gap = (relapse - last_end).days
        if gap in params["relapse_within_6m_adjuvant_chemo_days"]:
            states.add("relapse-within-6m-adjuvant-chemo")
        if gap in params["relapse_within_12m_adjuvant_chemo_days"]:
            states.add("relapse-within-12m-adjuvant-chemo")
            early_relapse_12 = True
    elif adjuvant_chemo:
        unknown.add("adjuvant-chemo-relapse")
    unknown_setting = [t for t in therapies if not t.setting]
    if any(drugs.is_chemo_like(d) for t in unknown_setting for d in t.drugs) and not early_relapse_12:
        unknown.add("adjuvant-chemo-relapse")  # it may have been (neo)adjuvant chemotherapy

    if subtype == "HR+/HER2-":
        resistance = _endocrine_resistance(record, therapies, drugs, states, unknown, params)
    else:
        resistance = "none"
    if resistance == "primary":
        states.add("primary-endocrine-resistance")
    elif resistance == "secondary":
        states.add("secondary-endocrine-resistance")
    elif resistance == "none":
        states.add("endocrine-sensitive")
    else:
        unknown.add("endocrine-resistance")

    # Early progression (< 6 months) on a first-line CDK4/6 inhibitor: primary resistance.
    first_line = metastatic_lines[0] if metastatic_lines else None
    if first_line is not None and any(drugs.has(d, "CDK46Inhibitor") for d in first_line.drugs) \
            and first_line.progressed:
        at = first_line.progression_at
        if first_line.start is None or at is None:
            unknown.add("first-line-cdk46i-response")
        elif (at - first_line.start).days in params["early_progression_first_line_cdk46i_days"]:
            states.add("early-progression-1l-cdk46i")

    progressed_therapies = [t for t in therapies if t.progressed]
    recorded = [t for t in therapies if t.progression_recorded]
    latest = max(recorded, key=lambda t: (t.progression_date or t.end or dt.date.min, t.index), default=None)
    if latest is not None and latest.marker_only:
        states.add("marker-only-progression")
    elif latest is not None and not latest.basis:
        unknown.add("progression-basis")  # how the latest progression was shown is not recorded

    # The current regimen: working when nothing but marker-only progression is recorded on it.
    # Its anticancer drugs only: an ongoing bone-targeted agent is supportive care, not a regimen.
    current = [t for t in _current_regimen(record, setting, therapies)
               if any(drugs.has(d, ANTINEOPLASTIC) for d in t.drugs)]
    if _concurrent_same_class(current, drugs):
        # Two ongoing regimens with two different drugs of the same class (two CDK4/6 inhibitors, two
        # aromatase inhibitors, ...): the record contradicts itself about what she is on now. Fail
        # closed: the current regimen is unknown and every drug she is on counts as given.
        unknown.add("current-regimen")
        current = []
    if not current and any(t.ongoing and t.end_reason is None and not t.setting for t in therapies):
        unknown.add("current-regimen")  # an ongoing therapy whose setting is unknown may be the current one
    current_working = bool(current) and not any(t.progressed for t in current)
    if current:
        states.add("on-current-regimen")
        if not current_working:
            states.add("current-regimen-progressed")
    working_indices = {t.index for t in current} if current_working else set()
    # A drug she is on now, in a working regimen, is not "already given" for excluding it.
    given = [t for t in therapies if t.index not in working_indices]

    quantities: dict[str, int | float] = {}
    line = None
    if setting == "metastatic" and not unknown_setting:
        # a therapy of unknown setting may have been a metastatic line: the line is then unknown,
        # and so is every quantity counted from the lines (criteria on them are MISSING_DATA)
        line = len(prior) + 1
        quantities.update(
            metastaticLine=line,
            priorMetastaticLines=len(prior),
            priorMetastaticChemoLines=prior_chemo,
            priorMetastaticEndocrineLines=prior_et,
            priorLinesCountingEarlyRelapse=len(prior) + (1 if early_relapse_12 else 0),
        )

    visceral_crisis = metastatic.get("visceral_crisis") if setting == "metastatic" else None
    if setting != "metastatic":
        visceral_crisis = None

    if setting == "early":
        _early_states(record, states, unknown, params)

    curative_days = _curative_relapse_days(record, therapies)
    # The regimen whose progression opened the current line: the latest metastatic progression,
    # unless a line-defining metastatic regimen started after it.
    last_progressed: frozenset[str] = frozenset()
    progressed_metastatic = [t for t in metastatic_lines if t.progressed]
    if progressed_metastatic:
        last = max(progressed_metastatic, key=lambda t: (t.progression_at or dt.date.min, _sort_key(t)))
        if not any(t is not last and _sort_key(t) > _sort_key(last) for t in prior):
            last_progressed = last.drugs
    elif not prior:
        # First line after a relapse on (neo)adjuvant therapy: that relapse opened the line.
        adjuvant_progressed = [t for t in therapies if t.setting in ("adjuvant", "neoadjuvant") and t.progressed]
        if adjuvant_progressed and setting == "metastatic":
            last = max(adjuvant_progressed, key=lambda t: (t.progression_at or dt.date.min, _sort_key(t)))
            last_progressed = last.drugs

    return Inference(
        setting=setting,
        settings=tuple(dict.fromkeys((record.get("setting"), setting))) if setting else (),
        subtype=subtype,
        her2_category=her2_category,
        her2_positive=her2_positive,
        er_low=er_low,
        line=line,
        endocrine_resistance=resistance,
        visceral_crisis=visceral_crisis,
        states=frozenset(states),
        unknown_facets=frozenset(unknown),
        quantities=quantities,
        exposed=frozenset(d for t in given for d in t.drugs),
        exposed_metastatic=frozenset(d for t in given if t.setting == "metastatic" for d in t.drugs),
        progressed=frozenset(d for t in progressed_therapies for d in t.drugs),
        ongoing=frozenset(d for t in therapies if t.ongoing for d in t.drugs),
        progressed_regimens=tuple(t.drugs for t in progressed_therapies),
        stopped_for_toxicity=frozenset(
            d for t in therapies if t.end_reason == "toxicity" and not t.progressed for d in t.drugs),
        exposed_including_current=frozenset(d for t in therapies for d in t.drugs),
        current_drugs=tuple(sorted({d for t in current for d in t.drugs if drugs.has(d, ANTINEOPLASTIC)})),
        current_working=current_working,
        curative_relapse_days=curative_days,
        last_progressed=last_progressed,
        drug_classes={d: frozenset(drugs.classes.get(d, frozenset())) for d in curative_days},
        parameters=params,
    )


@functools.cache
@functools.lru_cache(maxsize=4096)
def _integer(value: int) -> Literal:
    return Literal(value, datatype=XSD.integer)


@functools.lru_cache(maxsize=1024)
def _iri(value: str) -> URIRef:
    return URIRef(value)


def inferred_triples(patient: URIRef, inference: Inference) -> Iterable[tuple]:
    """The triples the reasoner adds to the patient graph (states, facets, lines, exposures): the
    facts of :func:`inferred_facts` as rdflib terms (an ``int`` is an ``xsd:integer`` literal).

    The IRIs of settings, states and facets are looked up in the ontology by their notation (an
    undeclared one is a :class:`~reasoner.errors.KnowledgeBaseError`).
    """
    subject_text = str(patient)
    for s, p, o in inferred_facts(subject_text, inference):
        yield (patient if s is subject_text else URIRef(s)), _iri(p), (
            _integer(o) if type(o) is int else URIRef(o) if o.startswith(subject_text) else _iri(o))


_P = {name: str(H2N[name]) for name in (
    "Patient", "effectiveSetting", "hasState", "unknownFacet", "exposedTo", "exposedToIncludingCurrent",
    "exposedInMetastaticSetting", "progressedOn", "ongoingDrug", "currentRegimenDrug", "stoppedForToxicity",
    "progressedOnInLastLine", "curativeExposure", "CurativeExposure", "curativeDrug", "curativeDrugClass",
    "daysToRelapse")}
_TYPE = str(RDF.type)


def inferred_facts(patient: str, inference: Inference) -> Iterable[tuple[str, str, str | int]]:
    """The facts the reasoner adds to the patient graph, as plain values: ``(subject IRI, property
    IRI, object)`` with the object an IRI (``str``) or an integer (``int``). The patient's own IRI is
    yielded as the very ``patient`` object given. :func:`inferred_triples` gives them as rdflib
    terms (for the stores); the compiled eligibility queries read them as they are."""
    params = inference.parameters
    if params is None:
        raise KnowledgeBaseError("the inference carries no parameters: infer it with a loaded knowledge base")
    P = _P
    yield patient, _TYPE, P["Patient"]
    for setting in inference.settings:
        yield patient, P["effectiveSetting"], str(params.setting_iri(setting))
    for state in sorted(inference.states):
        yield patient, P["hasState"], str(params.state_iri(state))
    for facet in sorted(inference.unknown_facets):
        yield patient, P["unknownFacet"], str(params.facet_iri(facet))
    for name, value in sorted(inference.quantities.items()):
        yield patient, _property(name), int(value)
    for prop, drugs in (
        (P["exposedTo"], inference.exposed),
        (P["exposedToIncludingCurrent"], inference.exposed_including_current),
        (P["exposedInMetastaticSetting"], inference.exposed_metastatic),
        (P["progressedOn"], inference.progressed),
        (P["ongoingDrug"], inference.ongoing),
        (P["currentRegimenDrug"], inference.current_drugs),
        (P["stoppedForToxicity"], inference.stopped_for_toxicity),
        (P["progressedOnInLastLine"], inference.last_progressed),
    ):
        for drug in sorted(drugs):
            yield patient, prop, str(drug_iri(drug))
    # One node per drug given (neo)adjuvantly: the drug, its classes (the reasoner writes the class
    # closure so that queries need no property paths) and the days from its end to the relapse.
    for drug, days in sorted(inference.curative_relapse_days.items()):
        iri = str(drug_iri(drug))
        node = f"{patient}/curative/{iri.split('/')[-1]}"
        yield patient, P["curativeExposure"], node
        yield node, _TYPE, P["CurativeExposure"]
        yield node, P["curativeDrug"], iri
        for cls in sorted(inference.drug_classes.get(drug, ())):
            yield node, P["curativeDrugClass"], _property(cls)
        if days is not None:
            yield node, P["daysToRelapse"], int(days)


@functools.lru_cache(maxsize=1024)
def _property(local: str) -> str:
    return str(H2N[local])
