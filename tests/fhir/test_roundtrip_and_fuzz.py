"""Property tests: record -> bundle -> record is lossless for the FHIR-carried fields, and random
input never raises anything but FhirError."""

from __future__ import annotations

import datetime as dt
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reasoner.errors import FhirError
from reasoner.ingest.fhir import bundle_to_record, is_fhir, record_to_bundle
from reasoner.ingest.fhir.codes import CONDITION_OUT, CONDITION_TEXT_OUT
from reasoner.ingest.therapy_setting import derive_setting
from tests.cohort.contract import CANONICAL_DRUG_LIST as CANONICAL_DRUGS
from tests.cohort.contract import MET_SITES

AS_OF = dt.date(2024, 6, 30)
dates = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2024, 6, 1)).map(dt.date.isoformat)
percent = st.integers(0, 100)


@st.composite
def therapies(draw, setting):
    out = []
    n = draw(st.integers(0, 4))
    for _ in range(n):
        t = {"drugs": sorted(draw(st.sets(st.sampled_from(CANONICAL_DRUGS), min_size=1, max_size=3)))}
        start = draw(dates)
        t["start"] = start
        if draw(st.booleans()):
            t["end"] = draw(dates.filter(lambda d, s=start: d >= s))
            if draw(st.booleans()):
                t["end_reason"] = draw(st.sampled_from(["progression", "completed", "toxicity", "other"]))
        choices = (
            ["neoadjuvant", "adjuvant", "metastatic", "locoregional_recurrence"]
            if setting
            else ["neoadjuvant", "adjuvant"]
        )
        if draw(st.booleans()):
            t["setting"] = draw(st.sampled_from(choices))
        if draw(st.booleans()):
            t["progression_date"] = t["start"]
            if draw(st.booleans()):
                t["progression_basis"] = draw(
                    st.lists(
                        st.sampled_from(["imaging", "clinical", "tumor_markers"]),
                        min_size=1,
                        max_size=3,
                        unique=True,
                    )
                )
        out.append(t)
    return sorted(out, key=lambda t: (t["start"], t["drugs"]))


@st.composite
def records(draw):
    sex = draw(st.sampled_from(["female", "male"]))
    rec = {
        "id": draw(st.from_regex(r"[A-Za-z0-9][A-Za-z0-9\-]{0,20}", fullmatch=True)),
        "sex": sex,
        "age": draw(st.integers(18, 100)),
        "as_of": AS_OF.isoformat(),
    }
    if sex == "female":
        rec["menopausal_status"] = draw(
            st.sampled_from(["premenopausal", "perimenopausal", "postmenopausal", "unknown"])
        )
    if draw(st.booleans()):
        rec["ecog"] = draw(st.integers(0, 4))
    setting = draw(st.sampled_from(["early", "metastatic"]))
    rec["setting"] = setting
    if setting == "metastatic":
        met = {}
        sites = draw(st.sets(st.sampled_from(sorted(MET_SITES))))
        if sites:
            met["sites"] = sorted(sites)
            if draw(st.booleans()):
                met["diagnosis_date"] = draw(dates)
        if draw(st.booleans()):
            met["de_novo"] = True
        elif sites and draw(st.booleans()):
            met["de_novo"] = False
        if met:
            rec["metastatic"] = met
    else:
        early = {}
        for key, values in (
            ("t", ["Tis", "T1mi", "T1a", "T1b", "T1c", "T2", "T3", "T4"]),
            ("n", ["N0", "N1mi", "N1", "N2", "N3"]),
            ("grade", [1, 2, 3]),
        ):
            if draw(st.booleans()):
                early[key] = draw(st.sampled_from(values))
        if draw(st.booleans()):
            early["tumor_size_mm"] = draw(st.integers(1, 150))
        if early:
            rec["early"] = early
    receptors = {}
    if draw(st.booleans()):
        receptors["er_percent"] = draw(percent)
    elif draw(st.booleans()):
        receptors["er"] = draw(st.sampled_from(["positive", "negative"]))
    if draw(st.booleans()):
        receptors["pr_percent"] = draw(percent)
    elif draw(st.booleans()):
        receptors["pr"] = draw(st.sampled_from(["positive", "negative"]))
    if draw(st.booleans()):
        receptors["her2_ihc"] = draw(st.sampled_from(["0", "ultralow", "1+", "2+", "3+"]))
        if draw(st.booleans()):
            receptors["her2_ish"] = draw(st.sampled_from(["not_amplified", "amplified", "not_done"]))
    elif draw(st.booleans()):
        receptors["her2"] = draw(st.sampled_from(["negative", "positive"]))
    if receptors:
        receptors["tested_on"] = draw(dates)
    rec["receptors"] = receptors
    bio = {}
    for gene in ("PIK3CA", "AKT1", "PTEN", "ESR1"):
        if draw(st.booleans()):
            bio[gene] = draw(st.sampled_from(["altered", "not_detected", "not_tested"]))
    for gene in ("gBRCA1", "gBRCA2", "gPALB2"):
        if draw(st.booleans()):
            bio[gene] = draw(st.sampled_from(["pathogenic", "not_detected", "not_tested"]))
    for key, strat in (
        ("pdl1_cps", st.integers(0, 100)),
        ("pdl1_ic_percent", percent),
        ("ki67_percent", percent),
        ("recurrence_score", st.integers(0, 100)),
    ):
        if draw(st.booleans()):
            bio[key] = draw(strat)
    if bio:
        rec["biomarkers"] = bio
    ts = draw(therapies(setting))
    if ts:
        rec["therapies"] = ts
    conds = draw(st.sets(st.sampled_from(sorted(set(CONDITION_OUT) | set(CONDITION_TEXT_OUT)))))
    if conds:
        rec["conditions"] = sorted(conds)
    labs = {}
    for key, strat in (
        ("lvef_percent", percent),
        ("qtcf_ms", st.integers(300, 600)),
        ("crcl_ml_min", st.integers(5, 200)),
        ("hba1c_percent", st.integers(4, 15)),
        ("calcium_mg_dl", st.integers(5, 15)),
    ):
        if draw(st.booleans()):
            labs[key] = draw(strat)
    if labs:
        rec["labs"] = labs
    meds = draw(st.sets(st.sampled_from(["warfarin", "phenytoin", "paroxetine", "fluoxetine"])))
    if meds:
        rec["medications"] = sorted(meds)
    return rec


def normalise(rec: dict) -> dict:
    """The round-trip-comparable form: empty receptors dropped; therapy setting absent when the
    record's own inference would add it is not compared (see docs)."""
    out = json.loads(json.dumps(rec))
    if not out.get("receptors"):
        out.pop("receptors", None)
    return out


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records())
def test_record_bundle_record_is_lossless(drugs, record):
    bundle = record_to_bundle(record)
    assert is_fhir(bundle) and bundle["type"] == "collection"
    back = bundle_to_record(json.dumps(bundle), as_of=AS_OF, drugs=drugs).record
    expected = normalise(record)
    # the early setting always carries its (possibly empty) object of early-disease facts
    if expected.get("setting") == "early":
        expected.setdefault("early", {})
    # a therapy without a setting gets the one the shared rule derives from the dates, if any
    context = dict(expected, as_of=AS_OF.isoformat())
    for t_in in expected.get("therapies", []):
        derived = derive_setting(context, t_in)
        if derived is not None:
            t_in["setting"] = derived.setting
    assert normalise(back) == expected


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
resource_types = st.sampled_from(
    [
        "Patient",
        "Observation",
        "Condition",
        "MedicationStatement",
        "MedicationRequest",
        "Bundle",
        "Encounter",
        7,
    ]
)


@st.composite
def fhirish(draw):
    """Random JSON shaped a bit like FHIR, so the fuzz reaches the mapping code."""
    keys = st.sampled_from(
        [
            "resourceType",
            "id",
            "status",
            "code",
            "valueQuantity",
            "valueCodeableConcept",
            "subject",
            "gender",
            "birthDate",
            "entry",
            "type",
            "resource",
            "effectiveDateTime",
            "component",
        ]
    )
    d = draw(st.dictionaries(keys | st.text(max_size=5), json_values, max_size=6))
    if draw(st.booleans()):
        d["resourceType"] = draw(resource_types)
    if d.get("resourceType") == "Bundle" and draw(st.booleans()):
        d["type"] = "collection"
        d["entry"] = draw(
            st.lists(
                st.fixed_dictionaries(
                    {
                        "resource": st.dictionaries(keys, json_values, max_size=5).map(
                            lambda r: {**r, "resourceType": "Patient"}
                        )
                    }
                ),
                max_size=3,
            )
        )
    return d


@settings(max_examples=300, deadline=None)
@given(st.one_of(json_values, fhirish(), st.text(max_size=40), st.binary(max_size=40)))
def test_random_input_raises_only_fhir_error(drugs, data):
    if not isinstance(data, (str, bytes)):
        data = data if isinstance(data, dict) else json.dumps(data)
    try:
        result = bundle_to_record(data, drugs=drugs)
    except FhirError:
        return
    assert isinstance(result.record, dict)
    is_fhir(data)
