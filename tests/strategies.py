"""Every generator of patient records for the property-based tests, in one place.

- :func:`records`: any valid, normalised record; the widest mix of fields the contract
  (``shared/spec/patient-record.md``) allows (graph round trip, validation engines, evaluators).
- :func:`patients`: clinically coherent patients with a date-consistent history, for the clinical
  invariants (``tests/test_invariants.py``).
- :func:`mutated_records`: the hostile example patient with fields replaced by arbitrary values and
  arbitrary Unicode, for failing closed (``tests/failclosed/test_fuzz.py``).

Cohorts at scale (benchmarks, batch, Parquet, Spark) come from the seeded generator
:func:`reasoner.cohort.synthetic.generate`; all of them use its reference date ``AS_OF``.
"""

from __future__ import annotations

import datetime as dt
import json

from hypothesis import strategies as st

from reasoner.cohort.synthetic import AS_OF
from tests.contraindication_truth import CONDITION_BLOCKS, MEDICATION_BLOCKS
from tests.failclosed.hostile import BASE

__all__ = ["AS_OF", "records", "patients", "mutated_records", "any_text", "hostile_text", "values"]

# ---------------------------------------------------------------------------------------------
# records(): any valid, normalised record
# ---------------------------------------------------------------------------------------------

DRUGS = sorted(
    "tamoxifen letrozole anastrozole exemestane goserelin fulvestrant elacestrant palbociclib ribociclib "
    "abemaciclib everolimus alpelisib capivasertib olaparib pembrolizumab paclitaxel nab-paclitaxel "
    "docetaxel capecitabine eribulin carboplatin cyclophosphamide doxorubicin denosumab".split()
    + ["zoledronic acid", "sacituzumab govitecan", "trastuzumab deruxtecan"]
)


def _date(lo: int = 2000, hi: int = 2026):
    return st.builds(
        lambda y, m, d: f"{y:04d}-{m:02d}-{d:02d}",
        st.integers(lo, hi),
        st.integers(1, 10),
        st.integers(1, 28),
    )


percent = st.one_of(st.integers(0, 100), st.floats(0, 100, allow_nan=False).map(lambda x: round(x, 3)))
ids = st.text(min_size=1, max_size=40).filter(lambda s: s.strip() and "\x00" not in s)
json_scalars = st.one_of(st.none(), st.booleans(), st.integers(-1000, 1000), st.text(max_size=10))
extension = st.recursive(
    json_scalars,
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=5), c, max_size=3),
    max_leaves=6,
)


def _sorted_unique(elements, **kw):
    return st.lists(elements, unique=True, **kw).map(sorted)


@st.composite
def _any_receptors(draw):
    r = {"er_percent": draw(percent)}
    if draw(st.booleans()) or r["er_percent"] < 1:
        r["pr_percent"] = draw(percent)
    ihc = draw(st.sampled_from(["0", "ultralow", "1+", "2+"]))
    r["her2_ihc"] = ihc
    if ihc == "2+":
        r["her2_ish"] = "not_amplified"
    if draw(st.booleans()):
        r["specimen"] = draw(st.sampled_from(["primary", "metastasis", "recurrence"]))
    if draw(st.booleans()):
        r["tested_on"] = draw(_date(2020, 2025))
    return r


@st.composite
def _any_therapy(draw):
    start = draw(_date(2005, 2024))
    t = {
        "drugs": draw(_sorted_unique(st.sampled_from(DRUGS), min_size=1, max_size=3)),
        "setting": draw(
            st.sampled_from(["neoadjuvant", "adjuvant", "metastatic", "locoregional_recurrence"])
        ),
        "start": start,
    }
    if draw(st.booleans()):
        t["end"] = draw(_date(int(start[:4]) + 1, 2025))
        t["end_reason"] = draw(st.sampled_from(["progression", "completed", "toxicity", "other"]))
    if draw(st.booleans()):
        t["progression_date"] = draw(_date(int(start[:4]) + 1, 2025))
        t["progression_basis"] = draw(
            _sorted_unique(st.sampled_from(["imaging", "clinical", "tumor_markers"]), min_size=1)
        )
    if draw(st.booleans()):
        t["x_note"] = draw(extension)
    return t


@st.composite
def records(draw):
    """Any valid, normalised record (lists sorted, without repeats): the widest mix of fields the
    contract allows, for the graph, validation and evaluator round trips."""
    sex = draw(st.sampled_from(["female", "female", "male"]))
    setting = draw(st.sampled_from(["metastatic", "early", "locoregional_recurrence"]))
    r = {"id": draw(ids), "as_of": AS_OF.isoformat(), "sex": sex, "age": draw(st.integers(18, 120))}
    if sex == "female":
        r["menopausal_status"] = draw(
            st.sampled_from(["premenopausal", "perimenopausal", "postmenopausal", "unknown"])
        )
    if draw(st.booleans()):
        r["ecog"] = draw(st.integers(0, 4))
    r["setting"] = setting
    r["receptors"] = draw(_any_receptors())
    if draw(st.booleans()):
        b = {}
        if draw(st.booleans()):
            b["PIK3CA"] = draw(st.sampled_from(["altered", "not_detected", "not_tested"]))
        if draw(st.booleans()):
            b["gBRCA1"] = draw(st.sampled_from(["pathogenic", "not_detected", "not_tested"]))
        if draw(st.booleans()):
            b["pdl1_cps"] = draw(st.integers(0, 100))
        if draw(st.booleans()):
            b["ki67_percent"] = draw(percent)
        if draw(st.booleans()):
            b["recurrence_score"] = draw(st.integers(0, 100))
        if draw(st.booleans()):
            b["x_lab_id"] = draw(st.text(max_size=8))
        if b:
            r["biomarkers"] = b
    if setting == "metastatic":
        m = {"diagnosis_date": draw(_date(2015, 2025)), "de_novo": draw(st.booleans())}
        sites = draw(
            _sorted_unique(
                st.sampled_from(["bone", "liver", "lung", "brain", "distant_lymph_nodes"]), max_size=3
            )
        )
        if sites:
            m["sites"] = sites
        if draw(st.booleans()):
            m["visceral_crisis"] = draw(st.booleans())
        r["metastatic"] = m
    elif setting == "early":
        r["early"] = {
            "t": draw(st.sampled_from(["T1c", "T2", "T3"])),
            "n": draw(st.sampled_from(["N0", "N1", "N2"])),
            "nodes_positive": draw(st.integers(0, 20)),
            "tumor_size_mm": draw(st.floats(1, 120).map(lambda x: round(x, 1))),
            "grade": draw(st.integers(1, 3)),
        }
    else:
        r["locoregional_recurrence"] = {
            "isolated": True,
            "site": draw(st.sampled_from(["breast", "chest_wall"])),
        }
    ths = draw(st.lists(_any_therapy(), max_size=3))
    if setting == "early":
        ths = [t for t in ths if t["setting"] != "metastatic"]
    if setting == "metastatic":  # valid: a metastatic-setting therapy starts at most 31 days before the diagnosis
        earliest = dt.date.fromisoformat(r["metastatic"]["diagnosis_date"]) - dt.timedelta(days=31)
        ths = [t for t in ths if t["setting"] != "metastatic" or "start" not in t
               or dt.date.fromisoformat(t["start"]) >= earliest]
    if ths:
        r["therapies"] = ths
    conds = draw(
        _sorted_unique(st.sampled_from(["diabetes_type2", "heart_failure", "long_qt_syndrome"]), max_size=2)
    )
    if conds:
        r["conditions"] = conds
    if draw(st.booleans()):
        r["labs"] = {
            "qtcf_ms": draw(st.integers(350, 500)),
            "hba1c_percent": draw(st.floats(4, 12).map(lambda x: round(x, 1))),
        }
    meds = draw(_sorted_unique(st.sampled_from(["warfarin", "metformin", "omeprazole"]), max_size=2))
    if meds:
        r["medications"] = meds
    # contract extensions (README, docs/knowledge-model.md)
    if draw(st.booleans()):
        r["child_pugh"] = draw(st.sampled_from(["A", "B", "C"]))
    if sex == "female" and draw(st.integers(0, 4)) == 0:
        r["pregnancy_trimester"] = draw(st.integers(1, 3))
    if draw(st.booleans()):
        r["x_source"] = draw(extension)
    return r


# ---------------------------------------------------------------------------------------------
# patients(): clinically coherent patients
# ---------------------------------------------------------------------------------------------


def _d(days_before: int) -> str:
    return (AS_OF - dt.timedelta(days=days_before)).isoformat()


ET_REGIMENS = [["letrozole"], ["anastrozole"], ["exemestane"], ["tamoxifen"], ["fulvestrant"],
               ["palbociclib", "letrozole"], ["ribociclib", "anastrozole"], ["abemaciclib", "letrozole"],
               ["palbociclib", "fulvestrant"], ["abemaciclib", "fulvestrant"], ["everolimus", "exemestane"],
               ["alpelisib", "fulvestrant"], ["capivasertib", "fulvestrant"], ["elacestrant"]]
CHEMO_REGIMENS = [["paclitaxel"], ["capecitabine"], ["eribulin"], ["vinorelbine"], ["gemcitabine", "carboplatin"],
                  ["nab-paclitaxel"], ["docetaxel"], ["pegylated liposomal doxorubicin"],
                  ["sacituzumab govitecan"], ["trastuzumab deruxtecan"]]
TN_REGIMENS = CHEMO_REGIMENS + [["pembrolizumab", "paclitaxel"], ["olaparib"], ["carboplatin"],
                                ["atezolizumab", "nab-paclitaxel"]]
ADJUVANT = [["doxorubicin", "cyclophosphamide", "paclitaxel"], ["docetaxel", "cyclophosphamide"],
            ["epirubicin", "cyclophosphamide", "paclitaxel"]]
ADJ_ET = [["tamoxifen"], ["anastrozole"], ["letrozole"], ["goserelin", "exemestane"], ["abemaciclib", "letrozole"]]


@st.composite
def _clinical_receptors(draw):
    kind = draw(st.sampled_from(["hr"] * 6 + ["er_low", "tn", "tn", "her2pos", "ihc2_no_ish", "er_status"]))
    her2 = draw(st.sampled_from([{"her2_ihc": "0"}, {"her2_ihc": "ultralow"}, {"her2_ihc": "1+"},
                                 {"her2_ihc": "2+", "her2_ish": "not_amplified"}, {"her2": "negative"}]))
    out: dict = {}
    if kind == "hr":
        out = {"er_percent": draw(st.integers(11, 100)), "pr_percent": draw(st.integers(0, 100))}
    elif kind == "er_low":
        out = {"er_percent": draw(st.integers(1, 10)), "pr_percent": draw(st.sampled_from([0, 0, 5]))}
    elif kind == "tn":
        out = {"er_percent": 0, "pr_percent": 0}
    elif kind == "er_status":
        out = {"er": "positive", "pr": draw(st.sampled_from(["positive", "negative"]))}
    elif kind == "her2pos":
        out = {"er_percent": 80, "pr_percent": 10}
        her2 = draw(st.sampled_from([{"her2_ihc": "3+"}, {"her2_ihc": "2+", "her2_ish": "amplified"}]))
    elif kind == "ihc2_no_ish":
        out = {"er_percent": 70, "pr_percent": 20}
        her2 = {"her2_ihc": "2+"}
    out.update(her2)
    out["specimen"] = draw(st.sampled_from(["primary", "metastasis", "recurrence"]))
    return out


def _biomarkers(draw) -> dict:
    out = {}
    for key in ("PIK3CA", "AKT1", "PTEN", "ESR1"):
        v = draw(st.sampled_from(["altered", "not_detected", "not_tested", None]))
        if v:
            out[key] = v
    for key in ("gBRCA1", "gBRCA2", "gPALB2"):
        v = draw(st.sampled_from(["pathogenic", "not_detected", "not_detected", "not_tested", None]))
        if v:
            out[key] = v
    if draw(st.booleans()):
        out["pdl1_cps"] = draw(st.sampled_from([0, 1, 5, 9, 10, 15, 40]))
    if draw(st.booleans()):
        out["pdl1_ic_percent"] = draw(st.sampled_from([0, 1, 5]))
    if draw(st.booleans()):
        out["ki67_percent"] = draw(st.integers(1, 80))
    if draw(st.booleans()):
        out["recurrence_score"] = draw(st.integers(0, 60))
    return out


_IDS = st.integers(0, 10**9)


@st.composite
def patients(draw, idx=_IDS):
    """A clinically coherent patient: a subtype, a setting, a date-consistent therapy history
    (adjuvant, metastatic lines, maybe ongoing), biomarkers, conditions, labs and medications."""
    sex = draw(st.sampled_from(["female"] * 9 + ["male"]))
    age = draw(st.integers(28, 88))
    setting = draw(st.sampled_from(["metastatic"] * 6 + ["early", "early", "locoregional_recurrence"]))
    rec = draw(_clinical_receptors())
    tn_like = rec.get("er_percent", 50) == 0
    record: dict = {"id": f"hyp-{draw(idx)}", "as_of": AS_OF.isoformat(), "sex": sex, "age": age,
                    "setting": setting, "receptors": rec, "biomarkers": _biomarkers(draw)}
    if sex == "female":
        record["menopausal_status"] = draw(st.sampled_from(
            ["premenopausal", "perimenopausal", "postmenopausal", "postmenopausal", "unknown"]))
    if draw(st.booleans()):
        record["ecog"] = draw(st.integers(0, 3))
    therapies: list[dict] = []
    met_dx_before = draw(st.integers(30, 3000))  # days before as_of
    adjuvant = draw(st.booleans()) and not (setting == "metastatic" and draw(st.booleans()))
    if adjuvant or setting in ("locoregional_recurrence",):
        # adjuvant chemo and/or ET ending before the relapse (or ongoing in the early setting)
        base = met_dx_before + draw(st.integers(-200, 2500)) if setting != "early" else draw(st.integers(60, 900))
        base = max(base, (met_dx_before if setting != "early" else 0) + 10)
        if draw(st.booleans()):
            chemo_start = base + 400
            therapies.append({"drugs": draw(st.sampled_from(ADJUVANT)),
                              "setting": draw(st.sampled_from(["adjuvant", "neoadjuvant"])),
                              "start": _d(chemo_start), "end": _d(chemo_start - 150), "end_reason": "completed"})
        if not tn_like and draw(st.booleans()):
            et_start = base + 200
            t = {"drugs": draw(st.sampled_from(ADJ_ET)), "setting": "adjuvant", "start": _d(et_start)}
            end_mode = draw(st.sampled_from(["completed", "relapse", "ongoing"]))
            if setting == "early" and end_mode != "ongoing":
                end_mode = "ongoing"
            if end_mode == "completed":
                t.update(end=_d(base - 1 if setting != "early" else 1), end_reason="completed")
                if setting != "early":
                    t["end"] = _d(min(et_start - 1, max(base, met_dx_before + 1)))
            elif end_mode == "relapse" and setting != "early":
                t.update(end=_d(met_dx_before), end_reason="progression", progression_basis=["imaging"])
            if setting != "early" or end_mode == "ongoing":
                therapies.append(t)
    if setting == "metastatic":
        lines = draw(st.integers(0, 4))
        pool = TN_REGIMENS if tn_like else ET_REGIMENS + CHEMO_REGIMENS
        start = met_dx_before - 5
        span = max(start // (lines + 1), 20)
        for _ in range(lines):
            end = max(start - span, 2)
            reason = draw(st.sampled_from(["progression"] * 5 + ["toxicity", "completed"]))
            t = {"drugs": draw(st.sampled_from(pool)), "setting": "metastatic", "start": _d(start),
                 "end": _d(end), "end_reason": reason}
            if reason == "progression":
                t["progression_basis"] = draw(st.sampled_from([["imaging"], ["clinical"], ["tumor_markers"],
                                                               ["imaging", "tumor_markers"]]))
            therapies.append(t)
            start = end - 1
        if draw(st.integers(0, 4)) == 0 and start > 10:  # an ongoing line, maybe continued after progression
            t = {"drugs": draw(st.sampled_from(pool)), "setting": "metastatic", "start": _d(start)}
            if draw(st.booleans()):
                t["progression_date"] = _d(max(start // 2, 1))
                t["progression_basis"] = ["imaging"]
            therapies.append(t)
        met = {"diagnosis_date": _d(met_dx_before),
               "de_novo": not any(t["setting"] in ("adjuvant", "neoadjuvant") for t in therapies)}
        sites = draw(st.lists(st.sampled_from(["bone", "liver", "lung", "pleura", "brain", "distant_lymph_nodes",
                                               "skin_soft_tissue"]), min_size=1, max_size=3, unique=True))
        met["sites"] = sorted(sites)
        for key in ("visceral_crisis", "life_threatening", "rapidly_progressive", "hypercalcemia"):
            v = draw(st.sampled_from([False, False, False, True, None]))
            if v is not None:
                met[key] = v
        record["metastatic"] = met
    elif setting == "early":
        nodes = draw(st.sampled_from([0, 0, 1, 2, 3, 4, 7, 12]))
        n = "N0" if nodes == 0 else "N1" if nodes <= 3 else "N2" if nodes <= 9 else "N3"
        size = draw(st.integers(5, 70))
        t = "T1b" if size <= 10 else "T1c" if size <= 20 else "T2" if size <= 50 else "T3"
        early = {"t": t, "n": n, "nodes_positive": nodes, "tumor_size_mm": size, "grade": draw(st.integers(1, 3)),
                 "surgery": draw(st.sampled_from(["none", "breast_conserving", "mastectomy"]))}
        if any(x["setting"] == "neoadjuvant" for x in therapies):
            early["neoadjuvant_response"] = draw(st.sampled_from(["pcr", "residual_disease"]))
        record["early"] = early
    else:
        record["locoregional_recurrence"] = {"isolated": draw(st.booleans()),
                                             "site": draw(st.sampled_from(["breast", "chest_wall", "regional_nodes"]))}
    if therapies:
        record["therapies"] = therapies
    conds = draw(st.lists(st.sampled_from(sorted(CONDITION_BLOCKS) + ["diabetes_type2", "history_of_thromboembolism",
                                                                      "peripheral_neuropathy_grade2plus"]),
                          max_size=2, unique=True))
    if sex == "male" or record.get("menopausal_status") == "postmenopausal":
        conds = [c for c in conds if c not in ("pregnancy", "breastfeeding")]
    if conds:
        record["conditions"] = conds
    labs = {}
    for key, values in (("qtcf_ms", [410, 440, 449, 450, 480]), ("lvef_percent", [35, 49, 50, 62]),
                        ("hba1c_percent", [5.2, 6.4, 6.5, 7.9, 8.1, 9.0]), ("crcl_ml_min", [15, 25, 30, 45, 90]),
                        ("calcium_mg_dl", [8.0, 9.5, 11.2, 13.0])):
        if draw(st.integers(0, 3)) == 0:
            labs[key] = draw(st.sampled_from(values))
    if labs:
        record["labs"] = labs
    meds = draw(st.lists(st.sampled_from(sorted(MEDICATION_BLOCKS) + ["warfarin", "metformin"]), max_size=2,
                         unique=True))
    if meds:
        record["medications"] = meds
    return record


# ---------------------------------------------------------------------------------------------
# mutated_records(): hostile input
# ---------------------------------------------------------------------------------------------

# every code point, surrogates (category Cs) included
any_char = st.characters(codec=None, categories=None, exclude_categories=())
any_text = st.text(alphabet=any_char, max_size=30)
hostile_text = st.one_of(
    any_text,
    st.sampled_from(["[/x]", "[bold]", "\x1b[31m", "\x1b]0;t\x07", "\x9b", "\u202e", "\u2028", "\ud800", "\udfff",
                     "=1+1", "@SUM(A1)", "\n<http://e/s> <http://e/p> <http://e/o> .\n", "\x00", "\ufeff", "%00",
                     "letrozole", "palbociclib", "postmenopausal", "metastatic", "1+", "2026-01-01"]),
)
scalars = st.one_of(
    st.none(), st.booleans(), hostile_text,
    st.integers(), st.integers(min_value=-(10**400), max_value=10**400),
    st.floats(allow_nan=True, allow_infinity=True),
)
values = st.recursive(scalars, lambda c: st.lists(c, max_size=4) | st.dictionaries(hostile_text, c, max_size=4),
                      max_leaves=12)
PATHS = [("id",), ("age",), ("sex",), ("setting",), ("menopausal_status",), ("receptors",),
         ("receptors", "er_percent"), ("receptors", "her2_ihc"), ("metastatic",), ("metastatic", "sites"),
         ("therapies",), ("labs",), ("biomarkers",), ("x_extension",), ("as_of",), ("conditions",)]


@st.composite
def mutated_records(draw):
    """The hostile example patient with some fields replaced by arbitrary values (or the value itself)."""
    if draw(st.integers(0, 9)) == 0:
        return draw(values)
    record = json.loads(json.dumps(BASE))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(PATHS))
        target = record
        for key in path[:-1]:
            target = target.setdefault(key, {}) if isinstance(target.get(key), dict) or key not in target else {}
        target[path[-1]] = draw(values)
    if draw(st.booleans()):
        record["therapies"] = [{"drugs": [draw(hostile_text)], "setting": "metastatic", "start": "2026-01-01"}]
    return record
