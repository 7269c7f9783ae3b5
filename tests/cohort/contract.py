"""A small, independent checker of the patient-record contract (``shared/spec/patient-record.md``).

It is written from the spec tables for the cohort tests only; the project's real validator
lives elsewhere. ``check(record)`` returns a list of ``(path, message)`` findings; an empty list
means the record obeys the contract (structure, enumerations, ranges, dates, the HER2 and ER
consistency rules, and start <= progression <= end <= as_of for therapies).
"""

from __future__ import annotations

from datetime import date
from typing import Any

#: The canonical drug names of the contract, in the spec's order (the one copy the tests share;
#: tests/ontology/test_drugs.py checks it against the spec text).
CANONICAL_DRUG_LIST = (
    "tamoxifen", "toremifene", "anastrozole", "letrozole", "exemestane", "goserelin", "leuprorelin",
    "triptorelin", "fulvestrant", "elacestrant", "imlunestrant", "camizestrant", "palbociclib", "ribociclib",
    "abemaciclib", "everolimus", "alpelisib", "capivasertib", "inavolisib", "olaparib", "talazoparib",
    "pembrolizumab", "atezolizumab", "sacituzumab govitecan", "trastuzumab deruxtecan",
    "datopotamab deruxtecan", "doxorubicin", "epirubicin", "pegylated liposomal doxorubicin", "paclitaxel",
    "nab-paclitaxel", "docetaxel", "capecitabine", "fluorouracil", "vinorelbine", "gemcitabine", "eribulin",
    "carboplatin", "cisplatin", "cyclophosphamide", "methotrexate", "zoledronic acid", "pamidronate",
    "ibandronate", "clodronate", "denosumab",
)
CANONICAL_DRUGS = frozenset(CANONICAL_DRUG_LIST)

CONDITIONS = frozenset(
    """pregnancy breastfeeding history_of_thromboembolism active_autoimmune_disease
    organ_transplant interstitial_lung_disease diabetes_type1 diabetes_type2 dpd_deficiency
    peripheral_neuropathy_grade2plus heart_failure long_qt_syndrome severe_hepatic_impairment
    osteonecrosis_of_jaw hypocalcemia endometrial_hyperplasia_or_cancer myelodysplastic_syndrome""".split()
)

TOP_KEYS = {
    "id",
    "as_of",
    "sex",
    "age",
    "menopausal_status",
    "ecog",
    "setting",
    "receptors",
    "biomarkers",
    "metastatic",
    "early",
    "locoregional_recurrence",
    "therapies",
    "conditions",
    "labs",
    "medications",
}
REQUIRED = ("id", "sex", "age", "setting", "receptors")
RECEPTOR_KEYS = {
    "er_percent",
    "er",
    "pr_percent",
    "pr",
    "her2_ihc",
    "her2_ish",
    "her2",
    "specimen",
    "tested_on",
}
SOMATIC = {"PIK3CA", "AKT1", "PTEN", "ESR1"}
GERMLINE = {"gBRCA1", "gBRCA2", "gPALB2"}
BIOMARKER_KEYS = SOMATIC | GERMLINE | {"pdl1_cps", "pdl1_ic_percent", "ki67_percent", "recurrence_score"}
MET_KEYS = {
    "diagnosis_date",
    "de_novo",
    "sites",
    "bone_lesions",
    "visceral_crisis",
    "life_threatening",
    "rapidly_progressive",
    "hypercalcemia",
}
MET_SITES = {
    "bone",
    "liver",
    "lung",
    "pleura",
    "peritoneum",
    "brain",
    "distant_lymph_nodes",
    "skin_soft_tissue",
    "other",
}
EARLY_ENUMS = {
    "t": {"Tis", "T1mi", "T1a", "T1b", "T1c", "T2", "T3", "T4"},
    "n": {"N0", "N1mi", "N1", "N2", "N3"},
    "surgery": {"none", "breast_conserving", "mastectomy"},
    "neoadjuvant_response": {"pcr", "residual_disease"},
}
THERAPY_KEYS = {"drugs", "setting", "start", "end", "end_reason", "progression_date", "progression_basis"}
LAB_RANGES = {
    "lvef_percent": (0, 100),
    "qtcf_ms": (200, 800),
    "crcl_ml_min": (0, 250),
    "hba1c_percent": (3, 20),
    "calcium_mg_dl": (3, 20),
}

Finding = tuple[str, str]


def _is_num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _date(v: Any) -> date | None:
    if not isinstance(v, str) or len(v) != 10:
        return None
    try:
        return date.fromisoformat(v)
    except ValueError:
        return None


def _unknown_keys(obj: dict[str, Any], allowed: set[str], prefix: str) -> list[Finding]:
    return [(f"{prefix}{k}", "unknown key") for k in obj if k not in allowed and not k.startswith("x_")]


def _enum(out: list[Finding], obj: dict[str, Any], key: str, allowed: set[str], path: str) -> None:
    if key in obj and obj[key] not in allowed:
        out.append((path, f"{obj[key]!r} not in {sorted(allowed)}"))


def _range(
    out: list[Finding],
    obj: dict[str, Any],
    key: str,
    lo: float,
    hi: float | None,
    path: str,
    integer: bool = False,
) -> None:
    if key not in obj:
        return
    v = obj[key]
    ok = _is_int(v) if integer else _is_num(v)
    if not ok or v < lo or (hi is not None and v > hi):
        out.append((path, f"{v!r} not a number in [{lo}, {hi}]"))


def check(record: Any) -> list[Finding]:
    """Return the contract findings of one record (empty: the record is valid)."""
    out: list[Finding] = []
    if not isinstance(record, dict):
        return [("", "not an object")]
    out += _unknown_keys(record, TOP_KEYS, "")
    for key in REQUIRED:
        if key not in record:
            out.append((key, "required"))
    if "id" in record and not (isinstance(record["id"], str) and 1 <= len(record["id"]) <= 128):
        out.append(("id", "string of 1-128 chars"))
    as_of = _date(record.get("as_of")) if "as_of" in record else date.today()
    if as_of is None:
        out.append(("as_of", "not a date"))
        as_of = date.today()
    _enum(out, record, "sex", {"female", "male"}, "sex")
    _range(out, record, "age", 18, 120, "age", integer=True)
    _enum(
        out,
        record,
        "menopausal_status",
        {"premenopausal", "perimenopausal", "postmenopausal", "unknown"},
        "menopausal_status",
    )
    if record.get("sex") == "female" and "menopausal_status" not in record:
        out.append(("menopausal_status", "required for women"))
    _range(out, record, "ecog", 0, 4, "ecog", integer=True)
    setting = record.get("setting")
    _enum(out, record, "setting", {"early", "metastatic", "locoregional_recurrence"}, "setting")
    if setting in ("early", "metastatic", "locoregional_recurrence") and setting not in record:
        out.append((setting, f"required when setting is {setting}"))

    rec = record.get("receptors")
    if isinstance(rec, dict):
        out += _unknown_keys(rec, RECEPTOR_KEYS, "receptors.")
        for m in ("er", "pr"):
            _range(out, rec, f"{m}_percent", 0, 100, f"receptors.{m}_percent")
            _enum(out, rec, m, {"positive", "negative"}, f"receptors.{m}")
            pct, status = rec.get(f"{m}_percent"), rec.get(m)
            if _is_num(pct) and status is not None and (status == "positive") != (pct >= 1):
                out.append((f"receptors.{m}", f"{status} conflicts with {m}_percent {pct}"))
        _enum(out, rec, "her2_ihc", {"0", "ultralow", "1+", "2+", "3+"}, "receptors.her2_ihc")
        _enum(out, rec, "her2_ish", {"not_amplified", "amplified", "not_done"}, "receptors.her2_ish")
        _enum(out, rec, "her2", {"negative", "positive"}, "receptors.her2")
        _enum(out, rec, "specimen", {"primary", "metastasis", "recurrence"}, "receptors.specimen")
        if "tested_on" in rec:
            d = _date(rec["tested_on"])
            if d is None or d > as_of:
                out.append(("receptors.tested_on", "not a date on or before as_of"))
        ihc, ish, her2 = rec.get("her2_ihc"), rec.get("her2_ish"), rec.get("her2")
        if ihc == "2+" and ish not in ("amplified", "not_amplified"):
            out.append(("receptors.her2_ish", "IHC 2+ without an ISH result (TEST_ISH)"))
        if her2 is not None:
            positive = ihc == "3+" or ish == "amplified"
            negative = ihc in ("0", "ultralow", "1+") or (ihc == "2+" and ish == "not_amplified")
            if (her2 == "negative" and positive) or (her2 == "positive" and negative):
                out.append(("receptors.her2", f"{her2} conflicts with IHC/ISH"))
    elif rec is not None:
        out.append(("receptors", "not an object"))

    bio = record.get("biomarkers")
    if isinstance(bio, dict):
        out += _unknown_keys(bio, BIOMARKER_KEYS, "biomarkers.")
        for k in SOMATIC:
            _enum(out, bio, k, {"altered", "not_detected", "not_tested"}, f"biomarkers.{k}")
        for k in GERMLINE:
            _enum(out, bio, k, {"pathogenic", "not_detected", "not_tested"}, f"biomarkers.{k}")
        _range(out, bio, "pdl1_cps", 0, None, "biomarkers.pdl1_cps")
        _range(out, bio, "pdl1_ic_percent", 0, 100, "biomarkers.pdl1_ic_percent")
        _range(out, bio, "ki67_percent", 0, 100, "biomarkers.ki67_percent")
        _range(out, bio, "recurrence_score", 0, 100, "biomarkers.recurrence_score", integer=True)

    met = record.get("metastatic")
    if isinstance(met, dict):
        out += _unknown_keys(met, MET_KEYS, "metastatic.")
        if "diagnosis_date" in met:
            d = _date(met["diagnosis_date"])
            if d is None or d > as_of:
                out.append(("metastatic.diagnosis_date", "not a date on or before as_of"))
        for k in ("de_novo", "visceral_crisis", "life_threatening", "rapidly_progressive", "hypercalcemia"):
            if k in met and not isinstance(met[k], bool):
                out.append((f"metastatic.{k}", "not a boolean"))
        for i, s in enumerate(met.get("sites", [])):
            if s not in MET_SITES:
                out.append((f"metastatic.sites[{i}]", f"{s!r} not a site"))
        _enum(out, met, "bone_lesions", {"lytic", "blastic", "mixed"}, "metastatic.bone_lesions")

    early = record.get("early")
    if isinstance(early, dict):
        out += _unknown_keys(early, set(EARLY_ENUMS) | {"nodes_positive", "tumor_size_mm", "grade"}, "early.")
        for k, allowed in EARLY_ENUMS.items():
            _enum(out, early, k, allowed, f"early.{k}")
        _range(out, early, "nodes_positive", 0, None, "early.nodes_positive", integer=True)
        _range(out, early, "tumor_size_mm", 0, None, "early.tumor_size_mm")
        _range(out, early, "grade", 1, 3, "early.grade", integer=True)

    lrr = record.get("locoregional_recurrence")
    if isinstance(lrr, dict):
        out += _unknown_keys(lrr, {"isolated", "site"}, "locoregional_recurrence.")
        if "isolated" in lrr and not isinstance(lrr["isolated"], bool):
            out.append(("locoregional_recurrence.isolated", "not a boolean"))
        _enum(out, lrr, "site", {"breast", "chest_wall", "regional_nodes"}, "locoregional_recurrence.site")

    for i, th in enumerate(record.get("therapies", [])):
        p = f"therapies[{i}]"
        out += _unknown_keys(th, THERAPY_KEYS, f"{p}.")
        drugs = th.get("drugs")
        if not isinstance(drugs, list) or not drugs:
            out.append((f"{p}.drugs", "a non-empty list is required"))
        else:
            out += [
                (f"{p}.drugs[{j}]", f"{d!r} not canonical")
                for j, d in enumerate(drugs)
                if d not in CANONICAL_DRUGS
            ]
        _enum(
            out,
            th,
            "setting",
            {"neoadjuvant", "adjuvant", "metastatic", "locoregional_recurrence"},
            f"{p}.setting",
        )
        _enum(out, th, "end_reason", {"progression", "completed", "toxicity", "other"}, f"{p}.end_reason")
        for j, b in enumerate(th.get("progression_basis", [])):
            if b not in {"imaging", "clinical", "tumor_markers", "circulating_tumor_cells"}:
                out.append((f"{p}.progression_basis[{j}]", f"{b!r} not a basis"))
        dates: dict[str, date] = {}
        for k in ("start", "end", "progression_date"):
            if k in th:
                d = _date(th[k])
                if d is None or d > as_of:
                    out.append((f"{p}.{k}", "not a date on or before as_of"))
                else:
                    dates[k] = d
        if "start" in dates and "end" in dates and dates["end"] < dates["start"]:
            out.append((f"{p}.end", "before start"))
        if "progression_date" in dates:
            if "start" in dates and dates["progression_date"] < dates["start"]:
                out.append((f"{p}.progression_date", "before start"))
            if "end" in dates and dates["progression_date"] > dates["end"]:
                out.append((f"{p}.progression_date", "after end"))

    for i, c in enumerate(record.get("conditions", [])):
        if c not in CONDITIONS:
            out.append((f"conditions[{i}]", f"{c!r} not a condition code"))
    labs = record.get("labs")
    if isinstance(labs, dict):
        out += _unknown_keys(labs, set(LAB_RANGES), "labs.")
        for k, (lo, hi) in LAB_RANGES.items():
            _range(out, labs, k, lo, hi, f"labs.{k}")
    meds = record.get("medications")
    if meds is not None and not (isinstance(meds, list) and all(isinstance(m, str) for m in meds)):
        out.append(("medications", "a list of strings is required"))
    return out


def structural_findings(record: Any) -> list[Finding]:
    """The findings about keys and enumeration values only (no required-field or semantic rules).

    Converted real-data records may lack required fields or carry a real HER2 IHC 2+ without
    ISH; those are legitimately reported invalid by the reasoner. What a converter must never
    do is write an unknown key, a value outside an enumeration or a malformed date.
    """
    semantic = ("required", "IHC 2+ without", "conflicts with", "before start", "after end")
    return [f for f in check(record) if not any(s in f[1] for s in semantic)]
