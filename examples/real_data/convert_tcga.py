"""Convert the TCGA-BRCA GDC clinical tables into patient records (JSON Lines), one per patient.

Run: ``python examples/real_data/convert_tcga.py --out FILE [--source DIR]``.
Import: ``convert(source_dir) -> Iterator[dict]``, ``tally(records) -> dict``.

The mapping is documented in ``examples/real_data/README.md``. The rules that matter most:

- Missing-value tokens (``[Not Available]``, ``[Not Evaluated]``, ``[Unknown]``,
  ``[Not Applicable]``, ``[Discrepancy]``, ``Indeterminate``, ``Equivocal``, empty) never become
  a negative: the field is left out (unknown). HER2 ``Equivocal`` by IHC is, by definition,
  IHC 2+; without a FISH result it stays IHC 2+ without ISH.
- Every patient gives exactly one record, even when required fields are missing (the reasoner
  then reports the record invalid).
- The source has no calendar dates, only days relative to the initial diagnosis. Each
  patient's timeline is placed so that the last day known for the patient (last contact,
  death or the last drug date) falls on ``AS_OF``; ``age`` is the age on that day.
- Facts the contract has no field for are kept under the ``x_tcga`` extension key.
"""

from __future__ import annotations

import csv
import re
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the shared helpers, as script or module
from _cli import run, write  # noqa: E402, F401 - shared by both converters

__all__ = ["AS_OF", "DRUG_SYNONYMS", "REGIMEN_ACRONYMS", "convert", "normalise_drug", "tally", "main"]

AS_OF = date(2026, 11, 1)
"""The fixed decision date: every patient's last known day is placed on it."""

DEFAULT_SOURCE = (
    Path(__file__).resolve().parents[2].parent / "shared" / "data" / "external" / ("tcga-brca-gdc-clinical")
)

MISSING = frozenset(
    {
        "",
        "[not available]",
        "[not evaluated]",
        "[unknown]",
        "[not applicable]",
        "[discrepancy]",
        "indeterminate",
        "equivocal",
        "not performed",
        "na",
        "n/a",
        "null",
    }
)

# Lower-case spellings seen in the TCGA drug table -> canonical contract names.
DRUG_SYNONYMS: dict[str, str] = {
    **{
        s: "tamoxifen"
        for s in ("tamoxifen", "tamoxiphene", "tamoxiphen", "nolvadex", "novadex", "tamoxifen citrate")
    },
    "toremifene": "toremifene",
    "fareston": "toremifene",
    **{s: "anastrozole" for s in ("anastrozole", "anastrazole", "arimidex", "anastrozolum", "anastrazolum")},
    **{s: "letrozole" for s in ("letrozole", "letrozol", "letrozolum", "femara")},
    **{s: "exemestane" for s in ("exemestane", "aromasin", "aromatase exemestane")},
    **{s: "goserelin" for s in ("goserelin", "gosereline", "zoladex")},
    **{
        s: "leuprorelin" for s in ("leuprorelin", "leuprolide", "leuprolide acetate", "lupron", "leuporeline")
    },
    "triptorelin": "triptorelin",
    **{s: "fulvestrant" for s in ("fulvestrant", "faslodex")},
    "everolimus": "everolimus",
    **{
        s: "doxorubicin"
        for s in (
            "doxorubicin",
            "doxorubicine",
            "doxorubicinum",
            "doxorubicin hcl",
            "adriamycin",
            "adriamyicin",
            "adriamicin",
            "adrimycin",
            "adrimicin",
        )
    },
    **{s: "pegylated liposomal doxorubicin" for s in ("doxil", "doxorubicin liposome")},
    **{s: "epirubicin" for s in ("epirubicin", "epirubicoin")},
    **{s: "paclitaxel" for s in ("paclitaxel", "paclitaxelum", "taxol")},
    **{
        s: "nab-paclitaxel"
        for s in ("abraxane", "paclitaxel (protein-bound)", "albumin-bound paclitaxel", "nab-paclitaxel")
    },
    **{s: "docetaxel" for s in ("docetaxel", "doxetaxel", "taxotere")},
    **{s: "capecitabine" for s in ("capecitabine", "capecetabine", "xeloda")},
    **{
        s: "fluorouracil"
        for s in (
            "fluorouracil",
            "5-fluorouracil",
            "5-flourouracil",
            "5 fluorouracil",
            "flourouracil",
            "5-fu",
            "fluorouracillum",
        )
    },
    **{s: "vinorelbine" for s in ("vinorelbine", "navelbine")},
    **{s: "gemcitabine" for s in ("gemcitabine", "gemzar")},
    "carboplatin": "carboplatin",
    "cisplatin": "cisplatin",
    **{
        s: "cyclophosphamide"
        for s in (
            "cyclophosphamide",
            "cyclophosphamid",
            "cyclophosphamidum",
            "cyclophosphane",
            "cyclophasphamide",
            "cyclophospamide",
            "cuclophosphamide",
            "cytoxan",
            "cytoxen",
            "cyotxan",
        )
    },
    **{s: "methotrexate" for s in ("methotrexate", "methotrexatum", "metotreksat")},
    **{s: "zoledronic acid" for s in ("zoledronic acid", "zometa")},
    **{s: "pamidronate" for s in ("pamidronate", "pamidronic acid")},
    "ibandronate": "ibandronate",
    **{s: "clodronate" for s in ("clodronate", "clodronic acid")},
    **{s: "denosumab" for s in ("denosumab", "xgeva")},
}

# Regimen acronyms written as a drug name. Only the canonical components are listed: the "H"
# of TCH is trastuzumab, which is not a contract drug (it is kept as an unmapped name).
REGIMEN_ACRONYMS: dict[str, tuple[list[str], list[str]]] = {
    "ac": (["doxorubicin", "cyclophosphamide"], []),
    "tc": (["docetaxel", "cyclophosphamide"], []),
    "tch": (["docetaxel", "carboplatin"], ["trastuzumab"]),
}

_SPLIT = re.compile(r"\s*(?:\+|,|/|\(|\)|\band\b)\s*")


def _missing(value: str | None) -> bool:
    return value is None or value.strip().lower() in MISSING


def _clean(value: str | None) -> str | None:
    return None if _missing(value) else value.strip()  # type: ignore[union-attr]


def _int(value: str | None) -> int | None:
    v = _clean(value)
    if v is None:
        return None
    try:
        return int(float(v))
    except ValueError:
        return None


def normalise_drug(raw: str) -> tuple[list[str], list[str]]:
    """Map one free-text TCGA drug entry to ``(canonical names, unmapped parts)``.

    Handles case, brand names, misspellings, Latin forms, ``+``/``,``/``/``/``and``-joined
    combinations, names with the brand in brackets, and the regimen acronyms AC, TC and TCH.
    """
    text = raw.strip().lower()
    if not text or _missing(text):
        return [], []
    if text in DRUG_SYNONYMS:
        return [DRUG_SYNONYMS[text]], []
    if text in REGIMEN_ACRONYMS:
        drugs, unmapped = REGIMEN_ACRONYMS[text]
        return list(drugs), list(unmapped)
    mapped: list[str] = []
    unmapped: list[str] = []
    for part in (p.strip() for p in _SPLIT.split(text)):
        if not part:
            continue
        if part in DRUG_SYNONYMS:
            names = [DRUG_SYNONYMS[part]]
        else:
            words = part.split()
            names = [DRUG_SYNONYMS[w] for w in words] if all(w in DRUG_SYNONYMS for w in words) else []
        if names:
            mapped += [n for n in names if n not in mapped]
        else:
            unmapped.append(part)
    return mapped, unmapped


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


_MENOPAUSE = {"pre": "premenopausal", "peri": "perimenopausal", "post": "postmenopausal"}
_T = {
    "T1a": "T1a",
    "T1b": "T1b",
    "T1c": "T1c",
    "T1mi": "T1mi",
    "Tis": "Tis",
    "T2": "T2",
    "T2a": "T2",
    "T2b": "T2",
    "T3": "T3",
    "T3a": "T3",
    "T4": "T4",
    "T4a": "T4",
    "T4b": "T4",
    "T4c": "T4",
    "T4d": "T4",
}
_SURGERY = {
    "modified radical mastectomy": "mastectomy",
    "simple mastectomy": "mastectomy",
    "lumpectomy": "breast_conserving",
}
_SITES = {"bone": "bone", "liver": "liver", "lung": "lung", "brain": "brain", "other, specify": "other"}


def _menopause(raw: str) -> str | None:
    """Pre/Peri/Post map to the contract; ``Indeterminate`` (assessed, undecidable) maps to the
    contract's own ``unknown``; the bracketed tokens (not recorded) leave the field absent."""
    v = raw.strip().lower()
    if v.startswith("indeterminate"):
        return "unknown"
    for prefix, value in _MENOPAUSE.items():
        if v.startswith(prefix + " ") or v == prefix:
            return value
    return None


def _n_category(raw: str) -> str | None:
    v = raw.strip()
    if v.startswith("N0"):
        return "N0"
    if v.startswith("N1mi"):
        return "N1mi"
    for n in ("N1", "N2", "N3"):
        if v.startswith(n):
            return n
    return None


def _her2(row: dict[str, str], x: dict[str, Any]) -> dict[str, str]:
    """HER2 fields from the IHC score, the IHC status and the FISH status (see README)."""
    out: dict[str, str] = {}
    score = _clean(row["her2_ihc_score"])
    status = row["her2_status_by_ihc"].strip()
    fish = row["her2_fish_status"].strip()
    if score not in (None, "0", "1+", "2+", "3+"):
        score = None
    conflict = (
        (status == "Positive" and score in ("0", "1+"))
        or (status == "Negative" and score == "3+")
        or (status == "Equivocal" and score in ("0", "1+", "3+"))
    )
    if conflict:
        x["her2_conflict"] = f"IHC status {status!r} but IHC score {score!r}: HER2 IHC left unknown"
    elif score is not None:
        out["her2_ihc"] = score
    elif status == "Equivocal":
        out["her2_ihc"] = "2+"  # equivocal IHC is 2+ by definition (ASCO/CAP)
    elif status == "Positive":
        out["her2_ihc"] = "3+"  # positive IHC is 3+ by definition (ASCO/CAP)
    if fish == "Positive":
        out["her2_ish"] = "amplified"
    elif fish == "Negative":
        out["her2_ish"] = "not_amplified"
    if status == "Negative" and score is None and not conflict and fish != "Positive":
        out["her2"] = "negative"  # IHC negative without the 0 / 1+ score
    return out


def _receptors(row: dict[str, str], dx: date, x: dict[str, Any]) -> dict[str, Any]:
    r: dict[str, Any] = {}
    for marker, col, pct_col in (
        ("er", "er_status_by_ihc", "er_status_ihc_Percent_Positive"),
        ("pr", "pr_status_by_ihc", "pr_status_ihc_percent_positive"),
    ):
        status = row[col].strip()
        if status in ("Positive", "Negative"):
            r[marker] = status.lower()
        pct = _clean(row[pct_col])
        if pct is not None:
            x[f"{marker}_percent_bin"] = pct  # a 10-point bin, not a value: never turned into *_percent
    r.update(_her2(row, x))
    if r:
        r["specimen"] = "primary"
        r["tested_on"] = dx.isoformat()
    return r


_REGIMEN_SETTING = {"ADJUVANT": "adjuvant", "PALLIATIVE": "metastatic"}
_RECURRENCE_REGIMENS = {"RECURRENCE", "PROGRESSION", "PALLIATIVE"}


def _therapy_setting(row: dict[str, str], metastatic: bool) -> str | None:
    regimen = row["therapy_regimen"].strip()
    other = row["therapy_regimen_other"].strip().lower()
    if "neo" in other and "adjuvant" in other:
        return "neoadjuvant"
    if "metastatic" in other:
        return "metastatic"
    if regimen in _REGIMEN_SETTING:
        return _REGIMEN_SETTING[regimen]
    if regimen in ("RECURRENCE", "PROGRESSION") and metastatic:
        return "metastatic"
    return None  # recurrence of unknown kind, "other" or not recorded


def _therapies(
    drug_rows: list[dict[str, str]], dx: date, metastatic: bool, x: dict[str, Any]
) -> list[dict[str, Any]]:
    """Group drug rows into regimens (same start day, regimen label and end status)."""
    groups: dict[tuple[Any, ...], list[tuple[dict[str, str], list[str]]]] = {}
    unmapped: list[str] = []
    for i, row in enumerate(drug_rows):
        raw = row["pharmaceutical_therapy_drug_name"]
        drugs, rest = normalise_drug(raw)
        if rest or (not drugs and not _missing(raw)):
            unmapped.append(raw.strip())
        if not drugs:
            continue
        start = _int(row["pharmaceutical_tx_started_days_to"])
        end = _int(row["pharmaceutical_tx_ended_days_to"])
        ongoing = row["pharmaceutical_tx_ongoing_indicator"].strip()
        end_class = (
            "ongoing" if ongoing == "YES" and end is None else ("ended" if end is not None else "unknown")
        )
        key = (
            start if start is not None else f"row{i}",
            row["therapy_regimen"].strip(),
            row["therapy_regimen_other"].strip(),
            end_class,
        )
        groups.setdefault(key, []).append((row, drugs))
    if unmapped:
        x["unmapped_drug_names"] = unmapped
    therapies: list[dict[str, Any]] = []
    not_placed: list[dict[str, Any]] = []
    for (start, _regimen, _other, end_class), members in groups.items():
        drugs = []
        for _row, names in members:
            drugs += [n for n in names if n not in drugs]
        first = members[0][0]
        setting = _therapy_setting(first, metastatic)
        if end_class == "unknown":
            not_placed.append({"drugs": drugs, "reason": "stopped or status unknown, end date not recorded"})
            continue
        t: dict[str, Any] = {"drugs": drugs}
        if setting is not None:
            t["setting"] = setting
        if isinstance(start, int):
            t["start"] = (dx + timedelta(days=start)).isoformat()
        if end_class == "ended":
            end = max(_int(r["pharmaceutical_tx_ended_days_to"]) or 0 for r, _ in members)
            t["end"] = (dx + timedelta(days=end)).isoformat()
            if any(
                r["treatment_best_response"].strip() == "Clinical Progressive Disease" for r, _ in members
            ):
                t["end_reason"] = "progression"
        therapies.append(t)
    if not_placed:
        x["therapies_not_placed"] = not_placed
    therapies.sort(key=lambda t: (t.get("start", "9999"), t["drugs"]))
    return therapies


def _last_day(row: dict[str, str], drug_rows: Iterable[dict[str, str]]) -> int:
    days = [_int(row["last_contact_days_to"]), _int(row["death_days_to"]), 0]
    for d in drug_rows:
        days += [_int(d["pharmaceutical_tx_started_days_to"]), _int(d["pharmaceutical_tx_ended_days_to"])]
    return max(v for v in days if v is not None)


def _patient(row: dict[str, str], drug_rows: list[dict[str, str]], as_of: date) -> dict[str, Any]:
    x: dict[str, Any] = {"source": "TCGA-BRCA GDC Biotab clinical", "days_followed": 0}
    last = _last_day(row, drug_rows)
    dx = as_of - timedelta(days=last)
    x["days_followed"] = last
    rec: dict[str, Any] = {"id": row["bcr_patient_barcode"].strip(), "as_of": as_of.isoformat()}
    sex = {"FEMALE": "female", "MALE": "male"}.get(row["gender"].strip())
    if sex:
        rec["sex"] = sex
    age_dx = _int(row["age_at_diagnosis"])
    if age_dx is not None:
        rec["age"] = age_dx + int(last / 365.25)
        x["age_at_diagnosis"] = age_dx
    if sex != "male":
        meno = _menopause(row["menopause_status"])
        if meno is not None:
            rec["menopausal_status"] = meno

    stage = row["ajcc_pathologic_tumor_stage"].strip()
    pm = row["ajcc_metastasis_pathologic_pm"].strip()
    x["stage"] = stage
    sites_raw = _clean(row["metastasis_site"])
    sites = (
        sorted({_SITES.get(s.strip().lower(), "other") for s in sites_raw.split("|")}) if sites_raw else []
    )
    recurrence = row["new_tumor_event_dx_indicator"].strip() == "YES" or any(
        d["therapy_regimen"].strip() in _RECURRENCE_REGIMENS for d in drug_rows
    )
    de_novo = stage == "Stage IV" or pm == "M1"
    setting: str | None = None
    if de_novo or sites:
        setting = "metastatic"
    elif recurrence:
        x["setting_note"] = (
            "treated for a recurrence of unrecorded kind (locoregional or distant): setting unknown"
        )
    elif re.fullmatch(r"Stage I{1,3}[ABC]?", stage) or pm == "M0":
        setting = "early"
    if setting:
        rec["setting"] = setting

    x_rec: dict[str, Any] = {}
    receptors = _receptors(row, dx, x_rec)
    if receptors:
        rec["receptors"] = receptors
    x.update(x_rec)

    if setting == "metastatic":
        m: dict[str, Any] = {"de_novo": de_novo}
        if de_novo:
            m["diagnosis_date"] = dx.isoformat()
        if sites:
            m["sites"] = sites
        rec["metastatic"] = m
    elif setting == "early":
        e: dict[str, Any] = {}
        t = _T.get(row["ajcc_tumor_pathologic_pt"].strip())
        if t:
            e["t"] = t
        n = _n_category(row["ajcc_nodes_pathologic_pn"])
        if n:
            e["n"] = n
        surgery = _SURGERY.get(row["surgical_procedure_first"].strip().lower())
        if surgery:
            e["surgery"] = surgery
        rec["early"] = e

    therapies = _therapies(drug_rows, dx, setting == "metastatic", x)
    if therapies:
        rec["therapies"] = therapies
    x["drug_rows"] = len(drug_rows)
    rec["x_tcga"] = x
    return rec


def convert(source_dir: str | Path = DEFAULT_SOURCE, *, as_of: date = AS_OF) -> Iterator[dict[str, Any]]:
    """Yield one patient record per row of ``tcga_brca_clinical_patient.tsv``, in file order.

    Drug rows from ``tcga_brca_clinical_drug.tsv`` are joined by ``bcr_patient_barcode``.
    """
    source = Path(source_dir)
    patients = _read(source / "tcga_brca_clinical_patient.tsv")
    drugs: dict[str, list[dict[str, str]]] = {}
    for d in _read(source / "tcga_brca_clinical_drug.tsv"):
        drugs.setdefault(d["bcr_patient_barcode"].strip(), []).append(d)
    for row in patients:
        yield _patient(row, drugs.get(row["bcr_patient_barcode"].strip(), []), as_of)


def tally(records: Iterable[dict[str, Any]]) -> dict[str, int]:
    """Count records and the key fields they lack (or carry in a form the reasoner rejects)."""
    c: Counter[str] = Counter()
    for r in records:
        c["records"] += 1
        for key in ("sex", "age", "setting", "receptors"):
            if key not in r:
                c[f"lacking {key}"] += 1
        if r.get("sex") == "female" and "menopausal_status" not in r:
            c["lacking menopausal_status (women)"] += 1
        if r.get("menopausal_status") == "unknown":
            c["menopausal_status unknown"] += 1
        rec = r.get("receptors", {})
        for m in ("er", "pr"):
            if m not in rec and f"{m}_percent" not in rec:
                c[f"lacking receptors.{m}"] += 1
        if not {"her2_ihc", "her2_ish", "her2"} & set(rec):
            c["lacking any HER2 result"] += 1
        if rec.get("her2_ihc") == "2+" and "her2_ish" not in rec:
            c["HER2 IHC 2+ without ISH"] += 1
        if r.get("setting") == "early" and not {"t", "n"} <= set(r.get("early", {})):
            c["early without T or N"] += 1
        if "therapies" not in r:
            c["no therapies"] += 1
        x = next((v for k, v in r.items() if k.startswith("x_")), {})
        if x.get("unmapped_drug_names"):
            c["with unmapped drug names"] += 1
        if x.get("therapies_not_placed"):
            c["with therapies not placed (end unknown)"] += 1
        if x.get("her2_conflict"):
            c["HER2 status/score conflict (left unknown)"] += 1
    return dict(c)


def main(argv: list[str] | None = None) -> int:
    """Command line: convert, write ``--out``, print the tally. Exit 0, or 2 on bad arguments."""
    return run(argv, description=__doc__.split("\n\n")[0], default_source=DEFAULT_SOURCE,
               required_file="tcga_brca_clinical_patient.tsv", source_help="folder of the TCGA TSV files", convert=convert, tally=tally)


if __name__ == "__main__":
    sys.exit(main())
