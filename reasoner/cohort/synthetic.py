"""A seeded generator of synthetic patient records for cohort-scale tests and benchmarks.

Every record follows ``shared/spec/patient-record.md`` and uses only the canonical drug names
listed there. The mix is chosen to look like a real HER2-negative clinic:

- about 73% HR+/HER2-, 15% triple negative, 6% HER2-positive (out of scope) and 6% records
  that are deliberately invalid (IHC 2+ without ISH, a percentage or lab out of range, an ER
  status that contradicts the ER percentage, a therapy that ends before it starts, an age
  under 18);
- settings mostly metastatic (70%), some early (20%) and locoregional recurrence (10%);
- metastatic lines 1-4 with date-consistent histories built backwards from ``as_of``;
- biomarkers, conditions and labs at realistic rates, including the ones that contraindicate
  drugs (QTcF >= 450 ms, diabetes, interstitial lung disease, LVEF < 50%, CrCl < 30 mL/min).

Each record carries an ``x_synthetic`` extension (never interpreted by the reasoner) that says
what the generator intended: the category, the metastatic line, the invalidity planted.

Generation is deterministic: record ``i`` of seed ``s`` depends on ``(s, i)`` only, so
``generate(10, seed=s)`` is a prefix of ``generate(1000, seed=s)``.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any, TypeVar

__all__ = ["AS_OF", "CATEGORIES", "INVALID_KINDS", "generate", "write_jsonl"]

AS_OF = date(2026, 11, 1)
"""The default decision date of every synthetic record."""

CATEGORIES: tuple[tuple[str, float], ...] = (
    ("hr_positive", 0.73),
    ("triple_negative", 0.15),
    ("her2_positive", 0.06),
    ("invalid", 0.06),
)
"""The intended mix: category name and probability."""

INVALID_KINDS: tuple[tuple[str, float], ...] = (
    ("her2_ihc_2plus_without_ish", 0.40),
    ("er_percent_out_of_range", 0.15),
    ("qtcf_out_of_range", 0.10),
    ("er_conflict", 0.15),
    ("therapy_end_before_start", 0.10),
    ("age_under_18", 0.10),
)
"""The planted invalidities and their share among invalid records."""

T = TypeVar("T")

_AIS = ("letrozole", "anastrozole", "exemestane")
_CDK46 = ("palbociclib", "ribociclib", "abemaciclib")
_MET_SITES = (
    "bone",
    "liver",
    "lung",
    "pleura",
    "peritoneum",
    "brain",
    "distant_lymph_nodes",
    "skin_soft_tissue",
    "other",
)
_SITE_WEIGHTS = (0.65, 0.35, 0.30, 0.12, 0.04, 0.06, 0.30, 0.08, 0.03)
_MEDICATIONS = (
    "warfarin",
    "amiodarone",
    "clarithromycin",
    "rifampicin",
    "carbamazepine",
    "metformin",
    "omeprazole",
)


def _pick(rng: random.Random, items: Sequence[T], weights: Sequence[float] | None = None) -> T:
    """Draw one item (with optional weights)."""
    return rng.choices(list(items), weights=weights, k=1)[0]


def _iso(d: date) -> str:
    return d.isoformat()


class _Record:
    """Builds one synthetic patient record from its own random stream."""

    def __init__(self, rng: random.Random, index: int, seed: int, as_of: date) -> None:
        self.rng = rng
        self.as_of = as_of
        self.rec: dict[str, Any] = {"id": f"syn-{seed}-{index:07d}", "as_of": _iso(as_of)}
        self.therapies: list[dict[str, Any]] = []
        self.meta: dict[str, Any] = {}
        self.ai_exposed = False
        self.taxane_exposed = False
        self.anthracycline_exposed = False
        self.bone_agent_exposed = False
        self.tamoxifen_exposed = False

    # ------------------------------------------------------------------ top level
    def build(self) -> dict[str, Any]:
        """Return the finished record."""
        rng = self.rng
        category = _pick(rng, [c for c, _ in CATEGORIES], [w for _, w in CATEGORIES])
        base = category
        if category == "invalid":
            base = _pick(rng, ["hr_positive", "triple_negative"], [0.8, 0.2])
        self.meta["category"] = category
        self.hr_positive = base == "hr_positive" or (base == "her2_positive" and rng.random() < 0.55)
        self.tnbc = base == "triple_negative"
        self.her2_positive = base == "her2_positive"

        sex = "male" if (self.hr_positive and rng.random() < 0.012) else "female"
        mean_age = 62 if self.hr_positive else 53
        age = int(min(95, max(24, rng.gauss(mean_age, 12))))
        setting = _pick(rng, ["metastatic", "early", "locoregional_recurrence"], [0.70, 0.20, 0.10])
        self.age = age
        self.rec["sex"] = sex
        self.rec["age"] = age
        if sex == "female":
            self.rec["menopausal_status"] = self._menopause(age)
        self.premenopausal = self.rec.get("menopausal_status") in ("premenopausal", "perimenopausal")
        if rng.random() < 0.85:
            self.rec["ecog"] = _pick(rng, [0, 1, 2, 3], [0.45, 0.38, 0.13, 0.04])
        self.rec["setting"] = setting
        self.rec["receptors"] = self._receptors()
        self.rec["biomarkers"] = self._biomarkers_base(setting)

        if setting == "metastatic":
            self._metastatic()
        elif setting == "early":
            self._early()
        else:
            self._locoregional()

        if self.therapies:
            self.rec["therapies"] = self.therapies
        self._conditions_and_labs()
        if not self.rec["biomarkers"]:
            del self.rec["biomarkers"]
        if category == "invalid":
            self._make_invalid()
        self.rec["x_synthetic"] = self.meta
        return self.rec

    def _menopause(self, age: int) -> str:
        rng = self.rng
        if rng.random() < 0.03:
            return "unknown"
        if age < 45:
            return _pick(rng, ["premenopausal", "perimenopausal", "postmenopausal"], [0.88, 0.07, 0.05])
        if age <= 55:
            return _pick(rng, ["premenopausal", "perimenopausal", "postmenopausal"], [0.35, 0.25, 0.40])
        return "postmenopausal"

    # ------------------------------------------------------------------ pathology
    def _her2_negative_ihc(self) -> dict[str, Any]:
        """HER2 IHC 0 / ultralow / 1+ / 2+ ISH- / status-only negative."""
        kind = _pick(self.rng, ["0", "ultralow", "1+", "2+", "status"], [0.27, 0.13, 0.35, 0.20, 0.05])
        if kind == "status":
            return {"her2": "negative"}
        if kind == "2+":
            return {"her2_ihc": "2+", "her2_ish": "not_amplified"}
        return {"her2_ihc": kind}

    def _receptors(self) -> dict[str, Any]:
        rng = self.rng
        r: dict[str, Any] = {}
        if self.hr_positive:
            if rng.random() < 0.10:
                r["er"] = "positive"
            elif rng.random() < 0.04:
                r["er_percent"] = rng.randint(1, 10)  # ER-low
            else:
                r["er_percent"] = _pick(rng, [50, 60, 70, 80, 90, 95, 100, rng.randint(11, 49)])
            if rng.random() < 0.08:
                r["pr"] = _pick(rng, ["positive", "negative"], [0.7, 0.3])
            else:
                r["pr_percent"] = 0 if rng.random() < 0.25 else rng.randint(1, 100)
        else:
            if rng.random() < 0.10:
                r["er"], r["pr"] = "negative", "negative"
            else:
                r["er_percent"], r["pr_percent"] = 0, 0
        if self.her2_positive:
            r.update(
                _pick(
                    rng,
                    [
                        {"her2_ihc": "3+"},
                        {"her2_ihc": "3+", "her2_ish": "amplified"},
                        {"her2_ihc": "2+", "her2_ish": "amplified"},
                    ],
                    [0.5, 0.2, 0.3],
                )
            )
        else:
            r.update(self._her2_negative_ihc())
        self.her2_low = r.get("her2_ihc") in ("1+", "2+") and not self.her2_positive
        return r

    def _biomarkers_base(self, setting: str) -> dict[str, Any]:
        rng = self.rng
        b: dict[str, Any] = {}
        if self.hr_positive and setting != "early":
            if rng.random() < 0.80:
                b["PIK3CA"] = "altered" if rng.random() < 0.35 else "not_detected"
                b["AKT1"] = "altered" if rng.random() < 0.05 else "not_detected"
                b["PTEN"] = "altered" if rng.random() < 0.06 else "not_detected"
            elif rng.random() < 0.5:
                b["PIK3CA"] = "not_tested"
        if rng.random() < 0.70:
            brca = rng.random()
            b["gBRCA1"] = "pathogenic" if brca < (0.045 if self.tnbc else 0.02) else "not_detected"
            b["gBRCA2"] = "pathogenic" if 0.5 < brca < (0.53 if self.tnbc else 0.535) else "not_detected"
            if rng.random() < 0.5:
                b["gPALB2"] = "pathogenic" if rng.random() < 0.01 else "not_detected"
        self.gbrca = "pathogenic" in (b.get("gBRCA1"), b.get("gBRCA2"))
        if self.tnbc and setting != "early" and rng.random() < 0.90:
            b["pdl1_cps"] = rng.randint(10, 80) if rng.random() < 0.40 else rng.randint(0, 9)
        if rng.random() < 0.6:
            b["ki67_percent"] = rng.randint(3, 40) if self.hr_positive else rng.randint(30, 90)
        return b

    # ------------------------------------------------------------------ therapy helpers
    def _add(
        self,
        drugs: Sequence[str],
        setting: str,
        start: date,
        end: date | None,
        end_reason: str | None = None,
        progression: date | None = None,
        basis: Sequence[str] | None = None,
    ) -> dict[str, Any]:
        t: dict[str, Any] = {"drugs": list(drugs), "setting": setting, "start": _iso(start)}
        if end is not None:
            t["end"] = _iso(end)
        if end_reason is not None:
            t["end_reason"] = end_reason
        if progression is not None:
            t["progression_date"] = _iso(progression)
            t["progression_basis"] = list(basis or ["imaging"])
        self.therapies.append(t)
        if set(drugs) & {"letrozole", "anastrozole", "exemestane"}:
            self.ai_exposed = True
        if "tamoxifen" in drugs:
            self.tamoxifen_exposed = True
        if set(drugs) & {"paclitaxel", "nab-paclitaxel", "docetaxel"}:
            self.taxane_exposed = True
        if set(drugs) & {"doxorubicin", "epirubicin", "pegylated liposomal doxorubicin"}:
            self.anthracycline_exposed = True
        return t

    def _adjuvant_history(self, relapse: date, primary_dx: date) -> None:
        """Adjuvant chemo and endocrine therapy between the primary diagnosis and a relapse."""
        rng = self.rng
        start = primary_dx + timedelta(days=rng.randint(25, 50))
        chemo_p = 0.85 if self.tnbc else (0.40 if self.hr_positive else 0.7)
        if rng.random() < chemo_p:
            regimen = _pick(rng, ["ac-t", "tc", "ec-t"], [0.6, 0.25, 0.15])
            first = {
                "ac-t": ["doxorubicin", "cyclophosphamide"],
                "tc": ["docetaxel", "cyclophosphamide"],
                "ec-t": ["epirubicin", "cyclophosphamide"],
            }[regimen]
            end = start + timedelta(days=84 if regimen != "tc" else 63)
            if end < relapse:
                self._add(first, "adjuvant", start, end, "completed")
                start = end + timedelta(days=rng.randint(10, 21))
                if regimen != "tc":
                    end = start + timedelta(days=84)
                    if end < relapse:
                        self._add(["paclitaxel"], "adjuvant", start, end, "completed")
                        start = end + timedelta(days=rng.randint(14, 35))
            if self.tnbc and self.gbrca and start + timedelta(days=365) < relapse and rng.random() < 0.5:
                end = start + timedelta(days=365)
                self._add(["olaparib"], "adjuvant", start, end, "completed")
                start = end + timedelta(days=14)
            elif self.tnbc and rng.random() < 0.2 and start + timedelta(days=168) < relapse:
                end = start + timedelta(days=168)
                self._add(["capecitabine"], "adjuvant", start, end, "completed")
        if self.hr_positive and start + timedelta(days=30) < relapse and rng.random() < 0.92:
            premeno = self.premenopausal
            if premeno:
                drugs = ["tamoxifen"] if rng.random() < 0.6 else [_pick(rng, _AIS[:2]), "goserelin"]
            else:
                drugs = [_pick(rng, _AIS, [0.5, 0.35, 0.15])] if rng.random() < 0.8 else ["tamoxifen"]
            planned_end = start + timedelta(days=_pick(rng, [1826, 1826, 2557, 3652]))
            if planned_end >= relapse:
                self._add(drugs, "adjuvant", start, relapse, "progression", relapse, ["imaging"])
            else:
                reason = "completed" if rng.random() < 0.85 else _pick(rng, ["toxicity", "other"])
                if reason != "completed":
                    planned_end = start + timedelta(days=rng.randint(120, 900))
                self._add(drugs, "adjuvant", start, planned_end, reason)

    def _met_regimen(self, k: int, used: set[str]) -> list[str]:
        """Pick the regimen of metastatic line ``k`` (0-based) from the subtype and history."""
        rng = self.rng
        b = self.rec["biomarkers"]
        ofs = ["goserelin"] if self.premenopausal and self.hr_positive else []
        chemo = [
            d
            for d in (
                "capecitabine",
                "paclitaxel",
                "nab-paclitaxel",
                "eribulin",
                "vinorelbine",
                "gemcitabine",
                "docetaxel",
                "pegylated liposomal doxorubicin",
            )
            if d not in used
        ]
        adcs = [d for d in ("sacituzumab govitecan", "datopotamab deruxtecan") if d not in used]
        if self.her2_low and "trastuzumab deruxtecan" not in used:
            adcs.append("trastuzumab deruxtecan")
        if self.hr_positive and not self.her2_positive:
            if k == 0:
                u = rng.random()
                if u < 0.02:
                    return ["letrozole", "capecitabine"] + ofs  # ET + chemo given together
                if u < 0.06:
                    return [_pick(rng, ["paclitaxel", "capecitabine"])]
                if u < 0.12:
                    return [_pick(rng, ["letrozole", "anastrozole", "fulvestrant"])] + ofs
                et = "fulvestrant" if self.ai_exposed and rng.random() < 0.6 else _pick(rng, _AIS[:2])
                return [et, _pick(rng, _CDK46, [0.45, 0.3, 0.25])] + ofs
            if k == 1:
                if b.get("PIK3CA") == "altered" and rng.random() < 0.7:
                    return ["fulvestrant", _pick(rng, ["alpelisib", "capivasertib"])] + ofs
                if b.get("ESR1") == "altered" and rng.random() < 0.7:
                    return ["elacestrant"]
                if self.gbrca and rng.random() < 0.6:
                    return [_pick(rng, ["olaparib", "talazoparib"])]
                options: list[list[str]] = [["exemestane", "everolimus"] + ofs, [_pick(rng, chemo)]]
                if "fulvestrant" not in used:
                    options.append(["fulvestrant"] + ofs)
                return _pick(rng, options)
            pool = [[d] for d in chemo] + [[d] for d in adcs]
            return _pick(rng, pool)
        if self.tnbc:
            if k == 0:
                cps = b.get("pdl1_cps")
                partner = _pick(rng, [["paclitaxel"], ["nab-paclitaxel"], ["gemcitabine", "carboplatin"]])
                if cps is not None and cps >= 10 and rng.random() < 0.85:
                    return ["pembrolizumab"] + partner
                if self.gbrca and rng.random() < 0.5:
                    return [_pick(rng, ["olaparib", "talazoparib"])]
                return partner
            if k == 1 and "sacituzumab govitecan" not in used and rng.random() < 0.7:
                return ["sacituzumab govitecan"]
            return _pick(rng, [[d] for d in chemo] + [[d] for d in adcs])
        # HER2-positive (out of scope): no anti-HER2 drug is canonical, so chemo or ET only.
        if self.hr_positive and k == 0 and rng.random() < 0.5:
            return [_pick(rng, _AIS[:2])] + ofs
        return [_pick(rng, chemo)]

    @staticmethod
    def _line_days(drugs: Sequence[str], rng: random.Random) -> int:
        if set(drugs) & set(_CDK46):
            return rng.randint(240, 1000)
        if set(drugs) & {"fulvestrant", "letrozole", "anastrozole", "exemestane", "elacestrant"}:
            return rng.randint(120, 500)
        return rng.randint(75, 300)

    # ------------------------------------------------------------------ settings
    def _metastatic(self) -> None:
        rng = self.rng
        line = _pick(rng, [1, 2, 3, 4], [0.40, 0.30, 0.18, 0.12])
        de_novo = rng.random() < (0.30 if self.hr_positive else 0.12)
        self.meta["line"] = line
        # Plan the relative timeline first (day 0 = metastatic diagnosis).
        lines: list[tuple[list[str], int, int, str, int | None, list[str]]] = []
        used: set[str] = set()
        history_days = 0
        # Durations are decided lazily because line choices depend on the adjuvant history;
        # the adjuvant history only needs the relapse date, which is shifted at the end.
        met_dx_rel = 0
        sites = [s for s, w in zip(_MET_SITES, _SITE_WEIGHTS, strict=True) if rng.random() < w] or ["bone"]
        # Build adjuvant history on a provisional absolute scale, then shift everything.
        provisional_met_dx = date(2000, 1, 1)
        if not de_novo:
            dfi = rng.randint(240, 4200 if self.hr_positive else 1500)
            self._adjuvant_history(provisional_met_dx, provisional_met_dx - timedelta(days=dfi))
        self._assign_esr1(line)
        t = met_dx_rel + rng.randint(10, 45)
        ongoing_last = line > 1 and rng.random() < 0.12
        for k in range(line - 1):
            drugs = self._met_regimen(k, used)
            used.update(drugs)
            if set(drugs) & {"letrozole", "anastrozole", "exemestane"}:
                self.ai_exposed = True
            days = self._line_days(drugs, rng)
            last = k == line - 2
            basis = ["imaging"] if rng.random() < 0.8 else ["imaging", "clinical"]
            if last and rng.random() < 0.06:
                basis = [_pick(rng, ["tumor_markers", "circulating_tumor_cells"], [0.85, 0.15])]
            reason = _pick(rng, ["progression", "toxicity", "other"], [0.85, 0.11, 0.04])
            if last and ongoing_last:
                reason = "ongoing"
            lines.append(
                (
                    drugs,
                    t,
                    t + days,
                    reason,
                    t + days if reason in ("progression", "ongoing") else None,
                    basis,
                )
            )
            t = t + days + rng.randint(7, 35)
        decision = t if line > 1 else met_dx_rel + rng.randint(14, 60)
        if line > 1 and ongoing_last:
            decision = lines[-1][4] + rng.randint(7, 30)  # type: ignore[operator]
        history_days = decision
        met_dx = self.as_of - timedelta(days=history_days)
        shift = met_dx - provisional_met_dx
        for th in self.therapies:  # shift the adjuvant history to the real metastatic diagnosis
            for key in ("start", "end", "progression_date"):
                if key in th:
                    th[key] = _iso(date.fromisoformat(th[key]) + shift)
        for drugs, s, e, reason, prog, basis in lines:
            start = met_dx + timedelta(days=s)
            if reason == "ongoing":
                self._add(drugs, "metastatic", start, None, None, met_dx + timedelta(days=prog or e), basis)
                self.meta["continuing_after_progression"] = True
            elif reason == "progression":
                end = met_dx + timedelta(days=e)
                self._add(drugs, "metastatic", start, end, "progression", end, basis)
            else:
                self._add(drugs, "metastatic", start, met_dx + timedelta(days=e), reason)
            if basis and basis[0] in ("tumor_markers", "circulating_tumor_cells"):
                self.meta["tumor_marker_only_progression"] = True
            if set(drugs) & {"letrozole", "anastrozole", "exemestane", "fulvestrant", "tamoxifen"} and set(
                drugs
            ) & {"capecitabine", "paclitaxel"}:
                self.meta["et_chemo_combination"] = True
        m: dict[str, Any] = {"diagnosis_date": _iso(met_dx), "de_novo": de_novo, "sites": sites}
        if "bone" in sites:
            m["bone_lesions"] = _pick(rng, ["lytic", "blastic", "mixed"], [0.45, 0.2, 0.35])
            if rng.random() < 0.3:
                agent = _pick(rng, ["denosumab", "zoledronic acid"])
                start = met_dx + timedelta(days=rng.randint(14, 60))
                if start < self.as_of:
                    self._add([agent], "metastatic", start, None)
                    self.bone_agent_exposed = True
        visceral = bool({"liver", "lung", "pleura", "peritoneum"} & set(sites))
        m["visceral_crisis"] = visceral and rng.random() < 0.05
        m["life_threatening"] = m["visceral_crisis"] or rng.random() < 0.03
        m["rapidly_progressive"] = m["visceral_crisis"] or rng.random() < 0.08
        m["hypercalcemia"] = "bone" in sites and rng.random() < 0.04
        self.rec["metastatic"] = m
        self.hypercalcemia = m["hypercalcemia"]
        self.therapies.sort(key=lambda th: th["start"])
        # Receptor re-test on a metastasis biopsy for most patients.
        if rng.random() < 0.6:
            self.rec["receptors"]["specimen"] = "metastasis"
            self.rec["receptors"]["tested_on"] = _iso(met_dx + timedelta(days=rng.randint(0, 10)))
        else:
            self.rec["receptors"]["specimen"] = "primary"
            first = min([date.fromisoformat(th["start"]) for th in self.therapies] + [met_dx])
            self.rec["receptors"]["tested_on"] = _iso(first - timedelta(days=rng.randint(20, 40)))

    def _assign_esr1(self, line: int) -> None:
        """ESR1 is tested in HR+ disease after AI exposure, and found in about 30% of those."""
        if not self.hr_positive or self.her2_positive:
            return
        rng = self.rng
        if self.ai_exposed or line >= 2:
            if rng.random() < 0.75:
                self.rec["biomarkers"]["ESR1"] = "altered" if rng.random() < 0.30 else "not_detected"
        elif rng.random() < 0.3:
            self.rec["biomarkers"]["ESR1"] = "altered" if rng.random() < 0.03 else "not_detected"

    def _early(self) -> None:
        rng = self.rng
        t = _pick(rng, ["T1a", "T1b", "T1c", "T2", "T3", "T4"], [0.04, 0.10, 0.34, 0.38, 0.10, 0.04])
        size = {
            "T1a": (2, 5),
            "T1b": (6, 10),
            "T1c": (11, 20),
            "T2": (21, 50),
            "T3": (51, 90),
            "T4": (20, 100),
        }[t]
        n = _pick(rng, ["N0", "N1mi", "N1", "N2", "N3"], [0.55, 0.05, 0.27, 0.09, 0.04])
        nodes = {
            "N0": 0,
            "N1mi": 1,
            "N1": rng.randint(1, 3),
            "N2": rng.randint(4, 9),
            "N3": rng.randint(10, 25),
        }[n]
        e: dict[str, Any] = {
            "t": t,
            "n": n,
            "nodes_positive": nodes,
            "tumor_size_mm": rng.randint(*size),
            "grade": _pick(rng, [1, 2, 3], [0.15, 0.45, 0.40] if self.hr_positive else [0.02, 0.18, 0.80]),
        }
        high_risk = t in ("T2", "T3", "T4") or n != "N0"
        neoadjuvant = (self.tnbc and high_risk and rng.random() < 0.75) or (
            not self.tnbc and high_risk and rng.random() < 0.12
        )
        if neoadjuvant:
            dx = self.as_of - timedelta(days=rng.randint(230, 290))
            start = dx + timedelta(days=rng.randint(14, 30))
            if self.tnbc:
                regimens = [
                    ["paclitaxel", "carboplatin", "pembrolizumab"],
                    ["doxorubicin", "cyclophosphamide", "pembrolizumab"],
                ]
            else:
                regimens = [["doxorubicin", "cyclophosphamide"], ["paclitaxel"]]
            for drugs in regimens:
                end = start + timedelta(days=84)
                self._add(drugs, "neoadjuvant", start, end, "completed")
                start = end + timedelta(days=rng.randint(7, 21))
            e["neoadjuvant_response"] = _pick(
                rng, ["pcr", "residual_disease"], [0.6, 0.4] if self.tnbc else [0.2, 0.8]
            )
            tested = dx
        else:
            tested = self.as_of - timedelta(days=rng.randint(30, 110))
        e["surgery"] = _pick(rng, ["breast_conserving", "mastectomy"], [0.6, 0.4])
        self.rec["early"] = e
        self.rec["receptors"]["specimen"] = "primary"
        self.rec["receptors"]["tested_on"] = _iso(tested)
        if self.hr_positive and not self.her2_positive and n in ("N0", "N1mi", "N1") and rng.random() < 0.5:
            self.rec["biomarkers"]["recurrence_score"] = min(100, int(rng.expovariate(1 / 18)))
        self.meta["line"] = None
        self.hypercalcemia = False

    def _locoregional(self) -> None:
        rng = self.rng
        recurrence = self.as_of - timedelta(days=rng.randint(14, 60))
        dfi = rng.randint(365, 4000)
        self._adjuvant_history(recurrence, recurrence - timedelta(days=dfi))
        self.rec["locoregional_recurrence"] = {
            "isolated": rng.random() < 0.85,
            "site": _pick(rng, ["breast", "chest_wall", "regional_nodes"], [0.45, 0.30, 0.25]),
        }
        self.rec["receptors"]["specimen"] = "recurrence"
        self.rec["receptors"]["tested_on"] = _iso(recurrence + timedelta(days=rng.randint(0, 10)))
        self._assign_esr1(1)
        self.meta["line"] = None
        self.hypercalcemia = False

    # ------------------------------------------------------------------ comorbidities
    def _conditions_and_labs(self) -> None:
        rng = self.rng
        cond: list[str] = []
        labs: dict[str, Any] = {}

        def maybe(code: str, p: float) -> bool:
            if rng.random() < p:
                cond.append(code)
                return True
            return False

        diabetes = maybe("diabetes_type2", 0.10) or maybe("diabetes_type1", 0.01)
        maybe("interstitial_lung_disease", 0.015)
        maybe("history_of_thromboembolism", 0.03)
        maybe("active_autoimmune_disease", 0.03)
        maybe("organ_transplant", 0.003)
        maybe("dpd_deficiency", 0.005)
        maybe("peripheral_neuropathy_grade2plus", 0.12 if self.taxane_exposed else 0.01)
        heart_failure = maybe("heart_failure", 0.015)
        maybe("long_qt_syndrome", 0.005)
        maybe("severe_hepatic_impairment", 0.01)
        if self.bone_agent_exposed:
            maybe("osteonecrosis_of_jaw", 0.03)
        hypocalcemia = maybe("hypocalcemia", 0.01)
        if self.tamoxifen_exposed:
            maybe("endometrial_hyperplasia_or_cancer", 0.02)
        if self.anthracycline_exposed:
            maybe("myelodysplastic_syndrome", 0.005)
        if self.rec.get("menopausal_status") == "premenopausal" and self.age < 45:
            if not maybe("pregnancy", 0.01):
                maybe("breastfeeding", 0.01)

        u = rng.random()
        if u < 0.03:
            labs["qtcf_ms"] = rng.randint(450, 520)
        elif u < 0.72:
            labs["qtcf_ms"] = rng.randint(370, 449)
        u = rng.random()
        if heart_failure or u < 0.03:
            labs["lvef_percent"] = rng.randint(30, 49)
        elif u < 0.55:
            labs["lvef_percent"] = rng.randint(50, 72)
        u = rng.random()
        if u < 0.02:
            labs["crcl_ml_min"] = rng.randint(10, 29)
        elif u < 0.75:
            labs["crcl_ml_min"] = rng.randint(30, 140)
        if diabetes or rng.random() < 0.3:
            labs["hba1c_percent"] = round(rng.uniform(6.5, 10.5) if diabetes else rng.uniform(4.8, 6.2), 1)
        if self.hypercalcemia:
            labs["calcium_mg_dl"] = round(rng.uniform(10.8, 14.0), 1)
        elif hypocalcemia:
            labs["calcium_mg_dl"] = round(rng.uniform(6.5, 8.2), 1)
        elif rng.random() < 0.5:
            labs["calcium_mg_dl"] = round(rng.uniform(8.6, 10.2), 1)
        if cond:
            self.rec["conditions"] = sorted(set(cond))
        if labs:
            self.rec["labs"] = labs
        meds = [m for m in _MEDICATIONS if rng.random() < 0.03]
        if meds:
            self.rec["medications"] = meds

    # ------------------------------------------------------------------ invalid records
    def _make_invalid(self) -> None:
        rng = self.rng
        kind = _pick(rng, [k for k, _ in INVALID_KINDS], [w for _, w in INVALID_KINDS])
        if kind == "therapy_end_before_start" and not any("end" in t for t in self.therapies):
            kind = "her2_ihc_2plus_without_ish"
        r = self.rec["receptors"]
        if kind == "her2_ihc_2plus_without_ish":
            for key in ("her2", "her2_ish"):
                r.pop(key, None)
            r["her2_ihc"] = "2+"
            path = "receptors.her2_ish"
        elif kind == "er_percent_out_of_range":
            r.pop("er", None)
            r["er_percent"] = _pick(rng, [-5, 101, 110, 150])
            path = "receptors.er_percent"
        elif kind == "qtcf_out_of_range":
            self.rec.setdefault("labs", {})["qtcf_ms"] = _pick(rng, [0, 150, 950, 1200])
            path = "labs.qtcf_ms"
        elif kind == "er_conflict":
            r.pop("er_percent", None)
            r["er"] = "negative" if self.hr_positive else "positive"
            r["er_percent"] = 80 if self.hr_positive else 0
            path = "receptors.er"
        elif kind == "therapy_end_before_start":
            idx = next(i for i, t in enumerate(self.therapies) if "end" in t)
            t = self.therapies[idx]
            t["end"] = _iso(date.fromisoformat(t["start"]) - timedelta(days=rng.randint(1, 60)))
            t.pop("progression_date", None)
            t.pop("progression_basis", None)
            path = f"therapies[{idx}].end"
        else:
            self.rec["age"] = rng.randint(12, 17)
            path = "age"
        self.meta["invalid"] = kind
        self.meta["invalid_path"] = path


def generate(n: int, *, seed: int = 0, as_of: date = AS_OF) -> Iterator[dict[str, Any]]:
    """Yield ``n`` synthetic patient records, deterministic for ``seed``.

    Record ``i`` draws from its own random stream seeded by ``(seed, i)``, so any prefix of a
    cohort is the same whatever ``n`` is. ``as_of`` is the decision date written into every
    record; all other dates are on or before it.
    """
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    for i in range(n):
        rng = random.Random(f"her2neg-synthetic:{seed}:{i}")
        yield _Record(rng, i, seed, as_of).build()


def write_jsonl(path: str | Path, n: int, seed: int = 0, *, as_of: date = AS_OF) -> int:
    """Write ``generate(n, seed=seed, as_of=as_of)`` as JSON Lines to ``path``; return the count."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("w", encoding="utf-8") as fh:
        for record in generate(n, seed=seed, as_of=as_of):
            fh.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")))
            fh.write("\n")
            count += 1
    return count
