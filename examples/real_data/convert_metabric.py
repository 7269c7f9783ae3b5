"""Convert the METABRIC clinical tables (cBioPortal ``brca_metabric``) into patient records.

Run: ``python examples/real_data/convert_metabric.py --out FILE [--source DIR]``.
Import: ``convert(source_dir) -> Iterator[dict]``, ``tally(records) -> dict``.

METABRIC has no dates and no drug names (only ever/never treatment flags), so each record
describes the patient at primary diagnosis: ``age`` is the age at diagnosis, ``therapies`` is
absent (nothing given yet at that point) and ``as_of`` is the fixed nominal date ``AS_OF``.
The treatment flags, survival and the copy-number HER2 call are kept under ``x_metabric``.
Empty cells, ``NA`` and ``null`` never become a negative: the field is left out. The mapping
is documented in ``examples/real_data/README.md``. METABRIC is ODbL (share-alike): keep the
output as test data.
"""

from __future__ import annotations

import csv
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the shared helpers, as script or module
from _cli import run, write  # noqa: E402, F401 - shared by both converters

__all__ = ["AS_OF", "convert", "tally", "main"]

AS_OF = date(2026, 11, 1)
"""The fixed nominal decision date (METABRIC has no calendar dates)."""

DEFAULT_SOURCE = (
    Path(__file__).resolve().parents[2].parent / "shared" / "data" / "external" / "cbioportal-metabric"
)

_MISSING = frozenset({"", "na", "null", "undef", "nc"})


def _clean(value: str | None) -> str | None:
    if value is None or value.strip().lower() in _MISSING:
        return None
    return value.strip()


def _read_cbioportal(path: Path) -> list[dict[str, str]]:
    """Read a cBioPortal clinical file: ``#`` header lines, then a TSV with attribute ids."""
    with path.open(encoding="utf-8", newline="") as fh:
        lines = [line for line in fh if not line.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t"))


def _read_2023_variant(path: Path) -> dict[str, dict[str, str]]:
    """The 2023 CSV variant: display-name header, then the attribute-id row, then data."""
    if not path.is_file():
        return {}
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    header = rows[1]
    return {r[0]: dict(zip(header, r, strict=False)) for r in rows[2:] if r}


_STATUS = {"+": "positive", "-": "negative", "pos": "positive", "neg": "negative"}
_SURGERY = {"MASTECTOMY": "mastectomy", "BREAST CONSERVING": "breast_conserving"}
_MENOPAUSE = {"pre": "premenopausal", "post": "postmenopausal"}


def _number(value: str | None) -> float | None:
    v = _clean(value)
    if v is None:
        return None
    try:
        return float(v)
    except ValueError:
        return None


def _patient(p: dict[str, str], s: dict[str, str], v: dict[str, str], as_of: date) -> dict[str, Any]:
    x: dict[str, Any] = {"source": "METABRIC (cBioPortal brca_metabric, ODbL)"}
    rec: dict[str, Any] = {"id": p["PATIENT_ID"].strip(), "as_of": as_of.isoformat()}
    sex = _clean(v.get("SEX"))
    if sex in ("Female", "Male"):
        rec["sex"] = sex.lower()  # type: ignore[union-attr]
    age = _number(p.get("AGE_AT_DIAGNOSIS"))
    if age is not None:
        rec["age"] = int(age)
    meno = _MENOPAUSE.get((_clean(p.get("INFERRED_MENOPAUSAL_STATE")) or "").lower())
    if meno and rec.get("sex") != "male":
        rec["menopausal_status"] = meno

    stage = _clean(s.get("TUMOR_STAGE"))
    x["tumor_stage"] = stage
    if stage in ("0", "1", "2", "3"):
        rec["setting"] = "early"
    elif stage == "4":
        rec["setting"] = "metastatic"

    receptors: dict[str, Any] = {}
    er_ihc = _STATUS.get(_clean(p.get("ER_IHC")) or "")
    er_status = _STATUS.get(_clean(s.get("ER_STATUS")) or "")
    if er_ihc or er_status:
        receptors["er"] = er_ihc or er_status
    if er_ihc and er_status and er_ihc != er_status:
        x["er_status_disagrees_with_er_ihc"] = {"ER_IHC": er_ihc, "ER_STATUS": er_status}
    pr = _STATUS.get(_clean(s.get("PR_STATUS")) or "")
    if pr:
        receptors["pr"] = pr
    her2 = _STATUS.get(_clean(s.get("HER2_STATUS")) or "")
    if her2:
        receptors["her2"] = her2
    if receptors:
        receptors["specimen"] = "primary"
        rec["receptors"] = receptors

    if rec.get("setting") == "early":
        e: dict[str, Any] = {}
        if stage == "0":
            e["t"] = "Tis"
        grade = _clean(s.get("GRADE"))
        if grade in ("1", "2", "3"):
            e["grade"] = int(grade)  # type: ignore[arg-type]
        size = _number(s.get("TUMOR_SIZE"))
        if size is not None:
            e["tumor_size_mm"] = size
        nodes = _number(v.get("LYMPH_NODES_EXAMINED_POSITIVE"))
        if nodes is not None:
            e["nodes_positive"] = int(nodes)
        surgery = _SURGERY.get(_clean(p.get("BREAST_SURGERY")) or "")
        if surgery:
            e["surgery"] = surgery
        rec["early"] = e
    elif rec.get("setting") == "metastatic":
        rec["metastatic"] = {"de_novo": True}

    for col in (
        "CHEMOTHERAPY",
        "HORMONE_THERAPY",
        "RADIO_THERAPY",
        "HER2_SNP6",
        "CLAUDIN_SUBTYPE",
        "THREEGENE",
        "OS_STATUS",
        "OS_MONTHS",
    ):
        value = _clean(p.get(col))
        if value is not None:
            x[col.lower()] = value
    rec["x_metabric"] = x
    return rec


def convert(source_dir: str | Path = DEFAULT_SOURCE, *, as_of: date = AS_OF) -> Iterator[dict[str, Any]]:
    """Yield one record per patient of ``data_clinical_patient.txt``, in file order.

    The sample table (receptors, stage, grade, size) is joined on ``PATIENT_ID``; sex and the
    number of positive nodes come from the 2023 CSV variant where present.
    """
    source = Path(source_dir)
    patients = _read_cbioportal(source / "data_clinical_patient.txt")
    samples: dict[str, dict[str, str]] = {}
    for s in _read_cbioportal(source / "data_clinical_sample.txt"):
        samples.setdefault(s["PATIENT_ID"].strip(), s)  # one primary sample per patient
    variant = _read_2023_variant(source / "data_clinical_patient_cbioportal_2023_variant.csv")
    for p in patients:
        pid = p["PATIENT_ID"].strip()
        yield _patient(p, samples.get(pid, {}), variant.get(pid, {}), as_of)


def tally(records: Iterable[dict[str, Any]]) -> dict[str, int]:
    """Count records and the key fields they lack."""
    c: Counter[str] = Counter()
    for r in records:
        c["records"] += 1
        for key in ("sex", "age", "setting", "receptors"):
            if key not in r:
                c[f"lacking {key}"] += 1
        if r.get("sex") == "female" and "menopausal_status" not in r:
            c["lacking menopausal_status (women)"] += 1
        rec = r.get("receptors", {})
        for key in ("er", "pr", "her2"):
            if key not in rec:
                c[f"lacking receptors.{key}"] += 1
        if r.get("x_metabric", {}).get("er_status_disagrees_with_er_ihc"):
            c["ER_IHC and ER_STATUS disagree (ER_IHC used)"] += 1
    return dict(c)


def main(argv: list[str] | None = None) -> int:
    """Command line: convert, write ``--out``, print the tally. Exit 0, or 2 on bad arguments."""
    return run(argv, description=__doc__.split("\n\n")[0], default_source=DEFAULT_SOURCE,
               required_file="data_clinical_patient.txt", source_help="folder of the METABRIC files", convert=convert, tally=tally)


if __name__ == "__main__":
    sys.exit(main())
