"""FHIR R4 resources (validated R4B models) -> a patient record of the JSON contract.

Rules that hold throughout: only contract keys are written; a fact that is not in the bundle stays
absent (never a negative); equivocal or indeterminate results are never read as negative; every
inference is written into the report; contradictions become report conflicts.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from reasoner.errors import FhirError
from reasoner.ingest.therapy_setting import derive_setting, missing_for_setting

from . import codes as C
from .drugs import DrugLookup, normalise_text
from .parse import ParsedInput, ParsedResource
from .report import ConflictEntry, FhirImport, IgnoredEntry, MappingEntry, MappingReport, MissingEntry

__all__ = ["map_resources"]

REGIMEN_WINDOW_DAYS = 7
ADMIN_COURSE_GAP_DAYS = 90
ADMIN_ONGOING_DAYS = 35
DE_NOVO_WINDOW_DAYS = 90

Coding = tuple[str, str, str]  # (system key, code, display)


# --------------------------------------------------------------------------- small helpers


def _codings(cc: Any) -> list[Coding]:
    if cc is None:
        return []
    return [(C.system_key(c.system), (c.code or "").strip(), c.display or "") for c in (cc.coding or [])]


def _text(cc: Any) -> str:
    if cc is None:
        return ""
    parts = [cc.text or ""] + [c.display or "" for c in (cc.coding or [])]
    return " | ".join(dict.fromkeys(p for p in parts if p))


def _codes(cc: Any, key: str) -> set[str]:
    return {code for k, code, _ in _codings(cc) if k == key}


def _first_code(cc: Any) -> str:
    for k, code, _ in _codings(cc):
        if code:
            return f"{k}#{code}"
    return f"text:{cc.text}" if cc is not None and cc.text else ""


def _to_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        m = re.match(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?", value)
        if m:
            return dt.date(int(m.group(1)), int(m.group(2) or 1), int(m.group(3) or 1))
    return None


def _num(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, Decimal):
        value = float(value)
    return float(value) if isinstance(value, (int, float)) else None


def _clean_number(x: float) -> int | float:
    return int(x) if float(x).is_integer() else round(x, 4)


def _profiles(model: Any) -> list[str]:
    meta = getattr(model, "meta", None)
    return [str(p) for p in (meta.profile or [])] if meta is not None else []


def _obs_date(obs: Any) -> dt.date | None:
    for attr in ("effectiveDateTime", "effectiveInstant"):
        d = _to_date(getattr(obs, attr, None))
        if d:
            return d
    period = getattr(obs, "effectivePeriod", None)
    if period is not None:
        return _to_date(period.end) or _to_date(period.start)
    return _to_date(getattr(obs, "issued", None))


def _is_uncertain(codings: list[Coding], text: str) -> bool:
    if any((k, c) in C.UNCERTAIN for k, c, _ in codings):
        return True
    low = text.lower()
    return any(w in low for w in C.UNCERTAIN_WORDS)


def _polarity(codings: list[Coding], text: str) -> str | None:
    """``positive`` / ``negative`` / ``uncertain`` / None from coded or textual result values."""
    if _is_uncertain(codings, text):
        return "uncertain"
    if any((k, c) in C.POSITIVE for k, c, _ in codings):
        return "positive"
    if any((k, c) in C.NEGATIVE for k, c, _ in codings):
        return "negative"
    low = normalise_text(text)
    if re.search(r"\b(negative|neg|not detected|absent)\b", low):
        return "negative"
    if re.search(r"\b(positive|pos|detected|present)\b", low):
        return "positive"
    return None


from reasoner.vocab import UNRESOLVED_MEDICATION_KIND  # noqa: E402 - the conflict kind the engine fails closed on


@dataclass
class _Candidate:
    value: Any
    date: dt.date | None
    res: ParsedResource
    element: str
    code: str
    inferred: str = ""


@dataclass
class _Course:
    drug: str
    start: dt.date | None
    end: dt.date | None
    ended: bool
    setting: str | None
    end_reason: str | None
    group: str | None
    resources: list[ParsedResource] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- the mapper


class _Mapper:
    def __init__(self, parsed: ParsedInput, drugs: DrugLookup, as_of: dt.date | None):
        self.parsed = parsed
        self.drugs = drugs
        self.as_of = as_of
        self.today = as_of or dt.date.today()
        self.mapped: list[MappingEntry] = []
        self.ignored: list[IgnoredEntry] = list(parsed.ignored)
        self.conflicts: list[ConflictEntry] = []
        self.cands: dict[str, list[_Candidate]] = {}
        self.conditions: dict[str, _Candidate] = {}
        self.sites: dict[str, _Candidate] = {}
        self.met_dates: list[tuple[dt.date, ParsedResource]] = []
        self.primary_dates: list[tuple[dt.date, ParsedResource]] = []
        self.stage_evidence: list[tuple[str, ParsedResource, str, dt.date | None, bool]] = []
        self.progressions: list[tuple[dt.date, ParsedResource, list[str], set[str]]] = []
        self.courses: list[_Course] = []
        self.med_raw: list[tuple[ParsedResource, str]] = []
        self.medications: dict[str, _Candidate] = {}
        self.anti_her2: list[tuple[str, ParsedResource]] = []
        self.missing: list[MissingEntry] = []
        self.surgeries: list[tuple[str, dt.date | None, ParsedResource, str]] = []
        self.oophorectomies: list[tuple[dt.date | None, ParsedResource, str]] = []
        self.by_ref: dict[str, ParsedResource] = {}
        for r in parsed.resources:
            self.by_ref.setdefault(r.ref, r)
            if r.full_url:
                self.by_ref.setdefault(r.full_url, r)

    # ---------------------------------------------------------------- report helpers

    def label(self, r: ParsedResource) -> str:
        return f"{r.where} {r.ref}"

    def map(
        self, r: ParsedResource, element: str, code: str, fld: str, value: Any, inferred: str = ""
    ) -> None:
        self.mapped.append(MappingEntry(self.label(r), element, code, fld, value, inferred))

    def ignore(self, r: ParsedResource | str, reason: str, element: str = "") -> None:
        self.ignored.append(IgnoredEntry(r if isinstance(r, str) else self.label(r), reason, element))

    def conflict(self, kind: str, text: str, resources: Iterable[ParsedResource]) -> None:
        self.conflicts.append(
            ConflictEntry(kind, text, tuple(dict.fromkeys(self.label(r) for r in resources)))
        )

    def cand(self, fld: str, c: _Candidate) -> None:
        self.cands.setdefault(fld, []).append(c)

    def resolve_ref(self, ref: str | None, owner: ParsedResource | None = None) -> ParsedResource | None:
        if not ref:
            return None
        if ref in self.by_ref:
            return self.by_ref[ref]
        tail = "/".join(ref.rstrip("/").split("/")[-2:])
        return self.by_ref.get(tail)

    # ---------------------------------------------------------------- patient

    def patient(self) -> tuple[ParsedResource, set[str]]:
        patients = [r for r in self.parsed.resources if r.rtype == "Patient"]
        ids = {p.model.id or p.where for p in patients}
        if not patients:
            raise FhirError(
                "no Patient resource",
                where="Bundle",
                hint="the bundle must contain the patient's Patient resource (id, gender, birthDate)",
            )
        if len(ids) > 1:
            raise FhirError(
                f"{len(ids)} different Patient resources ({', '.join(sorted(map(str, ids)))})",
                where=f"{patients[1].where} {patients[1].ref}",
                hint="give one patient per bundle",
            )
        p = patients[0]
        refs = {p.ref}
        if p.full_url:
            refs.add(p.full_url)
        if p.model.id:
            refs.add(f"urn:uuid:{p.model.id}")
        return p, refs

    def belongs(self, r: ParsedResource, patient_refs: set[str], pid: str | None) -> bool:
        subject = getattr(r.model, "subject", None) or getattr(r.model, "patient", None)
        ref = getattr(subject, "reference", None) if subject is not None else None
        if not ref:
            return True
        if ref in patient_refs:
            return True
        return bool(pid) and ref.rstrip("/").endswith(f"Patient/{pid}")

    def map_patient(self, p: ParsedResource, record: dict[str, Any]) -> None:
        m = p.model
        if m.id:
            record["id"] = m.id
            self.map(p, "Patient.id", "", "id", m.id)
        else:
            ident = next((i.value for i in (m.identifier or []) if i.value), None)
            fallback = ident or p.full_url.rsplit(":", 1)[-1].rsplit("/", 1)[-1]
            if fallback:
                record["id"] = fallback[:128]
                self.map(
                    p,
                    "Patient.identifier" if ident else "Bundle.entry.fullUrl",
                    "",
                    "id",
                    record["id"],
                    "Patient.id is missing",
                )
        if m.gender in ("female", "male"):
            record["sex"] = m.gender
            self.map(p, "Patient.gender", m.gender, "sex", m.gender)
        elif m.gender:
            self.ignore(p, f"gender {m.gender!r} has no contract value (female/male)", "Patient.gender")
        birth = m.birthDate
        if birth is not None:
            bdate = _to_date(birth)
            note = ""
            if isinstance(birth, str):
                note = f"birthDate {birth} has no day; the first possible day was used"
            if bdate is not None:
                age = (
                    self.today.year
                    - bdate.year
                    - ((self.today.month, self.today.day) < (bdate.month, bdate.day))
                )
                record["age"] = age
                when = f"as of {self.today.isoformat()}" + ("" if self.as_of else " (today)")
                self.map(
                    p,
                    "Patient.birthDate",
                    str(birth),
                    "age",
                    age,
                    "; ".join(x for x in (note, f"age {when}") if x),
                )

    # ---------------------------------------------------------------- conditions

    def map_condition(self, r: ParsedResource) -> None:
        m = r.model
        ver = {c for _, c, _ in _codings(m.verificationStatus)}
        if ver & {"refuted", "entered-in-error"}:
            self.ignore(r, f"verificationStatus {sorted(ver)[0]}", "Condition.verificationStatus")
            return
        clinical = {c for _, c, _ in _codings(m.clinicalStatus)}
        codings = _codings(m.code)
        sct = {c for k, c, _ in codings if k == "sct"}
        text = _text(m.code)
        low = text.lower()
        profiles = " ".join(_profiles(m))
        onset = (
            _to_date(m.onsetDateTime)
            or (_to_date(m.onsetPeriod.start) if m.onsetPeriod is not None else None)
            or _to_date(m.recordedDate)
        )
        if (
            "secondary-cancer-condition" in profiles
            or sct & (set(C.SECONDARY_SITES) | {C.SECONDARY_CANCER_GENERIC})
            or ("secondary" in low and "malignant" in low)
            or "metasta" in low
        ):
            self.map_secondary(r, codings, text, onset)
            return
        if (
            "primary-cancer-condition" in profiles
            or sct & C.BREAST_CANCER
            or ("breast" in low and re.search(r"malignan|carcinoma|cancer", low))
        ):
            how = next((c for c in sct if c in C.BREAST_CANCER), "")
            if onset:
                self.primary_dates.append((onset, r))
            self.map(
                r,
                "Condition.code",
                f"sct#{how}" if how else _first_code(m.code),
                "(primary cancer)",
                text or how,
                "" if how else "recognised as primary breast cancer from profile or text",
            )
            for i, stage in enumerate(m.stage or []):
                self.stage_value(r, stage.summary, f"Condition.stage[{i}].summary", onset, clinical=True)
            return
        if sct & set(C.MENOPAUSE) or sct & set(C.MENOPAUSE_IGNORED):
            self.menopause_codes(r, codings, "Condition.code", onset)
            return
        cond = next((C.CONDITIONS[c] for c in sct if c in C.CONDITIONS), None)
        how = ""
        if cond is None:
            cond = next((name for pat, name in C.CONDITION_TEXT if pat.search(low)), None)
            how = "recognised from the condition text"
        if cond is None:
            self.ignore(
                r, f"condition {_first_code(m.code) or text!r} is not a contract condition", "Condition.code"
            )
            return
        if cond not in C.HISTORY_CONDITIONS and clinical & {"inactive", "resolved", "remission"}:
            self.ignore(
                r, f"{cond}: clinicalStatus {sorted(clinical)[0]} (not active)", "Condition.clinicalStatus"
            )
            return
        if ver & {"unconfirmed", "provisional", "differential"}:
            self.ignore(
                r,
                f"{cond}: verificationStatus {sorted(ver)[0]} (not confirmed)",
                "Condition.verificationStatus",
            )
            return
        self.conditions.setdefault(
            cond, _Candidate(cond, onset, r, "Condition.code", _first_code(m.code), how)
        )

    def map_secondary(
        self, r: ParsedResource, codings: list[Coding], text: str, onset: dt.date | None
    ) -> None:
        site: str | None = None
        how = ""
        for k, code, _ in codings:
            if k == "sct" and code in C.SECONDARY_SITES:
                site = C.SECONDARY_SITES[code]
                if site is None:
                    self.ignore(
                        r, f"sct#{code}: regional lymph node metastasis, not a distant site", "Condition.code"
                    )
                    return
                break
        if site is None:
            body = [(_codings(b), _text(b)) for b in (r.model.bodySite or [])]
            for cods, btext in body:
                for k, code, _ in cods:
                    if k == "sct" and code in C.BODY_SITES:
                        site, how = C.BODY_SITES[code], "site from Condition.bodySite"
                    elif k == "sct" and code == "59441001":
                        if "distant" in btext.lower():
                            site, how = "distant_lymph_nodes", "site from Condition.bodySite"
                        else:
                            self.ignore(
                                r,
                                "lymph node metastasis without 'distant': regional or distant is unknown",
                                "Condition.bodySite",
                            )
                            return
            if site is None:
                words = (text + " " + " ".join(t for _, t in body)).lower()
                if "lymph" in words:
                    if "distant" in words:
                        site, how = "distant_lymph_nodes", "site recognised from text"
                    else:
                        self.ignore(
                            r, "lymph node metastasis: regional or distant is unknown", "Condition.code"
                        )
                        return
                else:
                    site = next((s for w, s in C.SITE_WORDS if w in words), None)
                    how = "site recognised from text" if site else ""
            if site is None:
                site, how = "other", "metastatic site not coded; recorded as other"
        if onset:
            self.met_dates.append((onset, r))
        self.sites.setdefault(
            site, _Candidate(site, onset, r, "Condition.code", _first_code(r.model.code), how)
        )

    # ---------------------------------------------------------------- observations

    def map_observation(self, r: ParsedResource) -> None:
        m = r.model
        if m.status in ("entered-in-error", "cancelled", "registered", "preliminary"):
            self.ignore(r, f"Observation.status {m.status}: not a final result", "Observation.status")
            return
        loinc = _codes(m.code, "loinc")
        sct = _codes(m.code, "sct")
        date = _obs_date(m)
        vcc = m.valueCodeableConcept
        vcod = _codings(vcc)
        vtext = " ".join(x for x in (_text(vcc), m.valueString or "") if x)
        qty = m.valueQuantity
        qval = _num(qty.value) if qty is not None else None
        if qval is None and m.valueInteger is not None:
            qval = float(m.valueInteger)
        unit = ((qty.unit or "") + " " + (qty.code or "")).strip() if qty is not None else ""
        profiles = " ".join(_profiles(m))
        code = _first_code(m.code)

        if "comorbidities" in profiles:
            self.comorbidities(r)
            return
        if m.dataAbsentReason is not None and C.MENOPAUSE_OBSERVABLE in sct:
            # menopausal status assessed and recorded unknown: kept unknown, not derived by age
            self.cand("menopausal_status", _Candidate("unknown", date, r, "Observation.dataAbsentReason", code))
            return
        if m.dataAbsentReason is not None and not (loinc & (C.HER2_ISH | C.GENETIC_VARIANT)):
            self.ignore(
                r,
                f"no value (dataAbsentReason {_first_code(m.dataAbsentReason)})",
                "Observation.dataAbsentReason",
            )
            return
        for group, fld in ((C.ER_STATUS, "er"), (C.PR_STATUS, "pr")):
            if loinc & group:
                if qval is not None and ("%" in unit or not unit):
                    self.percent(r, f"{fld}_percent", qval, date, code)
                else:
                    self.status(r, fld, vcod, vtext, date, code)
                return
        for group, fld in ((C.ER_PERCENT, "er_percent"), (C.PR_PERCENT, "pr_percent")):
            if loinc & group:
                self.percent(r, fld, qval, date, code)
                return
        if loinc & C.HER2_IHC:
            self.her2_ihc(r, vcod, vtext, qval, date, code)
            return
        if loinc & C.HER2_STATUS:
            self.status(r, "her2", vcod, vtext, date, code)
            return
        if loinc & C.HER2_ISH:
            self.her2_ish(r, vcod, vtext, date, code)
            return
        if loinc & C.GENETIC_VARIANT:
            self.variant(r, date, code)
            return
        if loinc & C.KI67:
            self.quantity_biomarker(r, "ki67_percent", qval, date, code, 0, 100)
            return
        if loinc & C.PDL1_22C3:
            blob = f"{unit} {_text(m.method)} {_text(m.code)}".lower()
            if qval is not None and ("cps" in blob or "combined positive" in blob):
                self.quantity_biomarker(r, "pdl1_cps", qval, date, code, 0, None)
            else:
                self.ignore(
                    r,
                    "PD-L1 22C3 result is not a CPS quantity (unit/method must say CPS)",
                    "Observation.value[x]",
                )
            return
        if loinc & C.PDL1_SP142:
            if qval is not None and "%" in unit:
                self.quantity_biomarker(r, "pdl1_ic_percent", qval, date, code, 0, 100)
            else:
                self.ignore(r, "PD-L1 SP142 result is not an IC percentage", "Observation.value[x]")
            return
        if _codes(m.code, "gtr") & {"509910"} or "oncotype" in _text(m.code).lower():
            if qval is not None:
                self.quantity_biomarker(r, "recurrence_score", round(qval), date, code, 0, 100)
            else:
                self.ignore(r, "recurrence score without a number", "Observation.value[x]")
            return
        if loinc & C.ECOG:
            self.ecog(r, vcod, qval, date, code)
            return
        lab = next((C.LAB_FIELDS[c] for c in loinc if c in C.LAB_FIELDS), None)
        if lab:
            self.lab(r, lab, qval, unit, date, code, loinc)
            return
        if (loinc | sct) & C.STAGE_GROUP:
            self.stage_value(
                r,
                vcc,
                "Observation.valueCodeableConcept",
                date,
                clinical=bool((loinc | sct) & C.CLINICAL_STAGE_GROUP),
            )
            return
        if (loinc | sct) & (C.M_CATEGORY | C.T_CATEGORY | C.N_CATEGORY):
            self.tnm(r, loinc | sct, vcc, date)
            return
        if loinc & C.GRADE_LOINC:
            g = re.search(r"grade\s*([123])\b", vtext.lower())
            if g:
                self.cand(
                    "grade", _Candidate(int(g.group(1)), date, r, "Observation.valueCodeableConcept", code)
                )
            else:
                self.ignore(r, "histologic grade not 1-3", "Observation.value[x]")
            return
        if loinc & C.TUMOR_SIZE_LOINC:
            size = self.tumor_size_mm(m)
            if size is not None:
                self.cand("tumor_size_mm", _Candidate(size, date, r, "Observation.value[x]", code))
            else:
                self.ignore(r, "tumour size without a length quantity", "Observation.value[x]")
            return
        if loinc & C.DISEASE_STATUS or "disease-status" in profiles:
            self.disease_status(r, vcod, date)
            return
        if {c for k, c, _ in vcod if k == "sct"} & (set(C.MENOPAUSE) | set(C.MENOPAUSE_IGNORED)) or sct & set(
            C.MENOPAUSE
        ):
            self.menopause_codes(
                r, vcod or _codings(m.code), "Observation.value[x]" if vcod else "Observation.code", date
            )
            return
        reason = next(
            (C.DELIBERATELY_IGNORED_LOINC[c] for c in loinc if c in C.DELIBERATELY_IGNORED_LOINC), None
        )
        self.ignore(
            r, reason or f"observation code {code or _text(m.code)!r} is not mapped", "Observation.code"
        )

    def tumor_size_mm(self, m: Any) -> float | None:
        qtys = [m.valueQuantity] + [c.valueQuantity for c in (m.component or [])]
        for q in qtys:
            if q is not None and _num(q.value) is not None:
                unit = (q.code or q.unit or "").lower()
                factor = {"cm": 10.0, "mm": 1.0}.get(unit)
                if factor:
                    return _clean_number(_num(q.value) * factor)
        return None

    def status(
        self, r: ParsedResource, fld: str, vcod: list[Coding], vtext: str, date: dt.date | None, code: str
    ) -> None:
        pol = _polarity(vcod, vtext)
        if pol in ("positive", "negative"):
            self.cand(fld, _Candidate(pol, date, r, "Observation.valueCodeableConcept", code))
        elif pol == "uncertain":
            self.ignore(
                r,
                f"{fld}: {vtext or 'equivocal/indeterminate'} is not a positive or negative result",
                "Observation.value[x]",
            )
        else:
            self.ignore(r, f"{fld}: no recognisable result value", "Observation.value[x]")

    def percent(
        self, r: ParsedResource, fld: str, qval: float | None, date: dt.date | None, code: str
    ) -> None:
        if qval is None or not 0 <= qval <= 100:
            self.ignore(r, f"{fld}: needs a percentage between 0 and 100", "Observation.valueQuantity")
            return
        self.cand(fld, _Candidate(_clean_number(qval), date, r, "Observation.valueQuantity", code))

    def her2_ihc(
        self,
        r: ParsedResource,
        vcod: list[Coding],
        vtext: str,
        qval: float | None,
        date: dt.date | None,
        code: str,
    ) -> None:
        score = next((C.IHC_ANSWERS[c] for k, c, _ in vcod if k == "loinc" and c in C.IHC_ANSWERS), None)
        low = vtext.lower()
        inferred = ""
        if score is None and "ultralow" in low.replace("-", "").replace(" ", ""):
            score = "ultralow"
        if score is None:
            m = re.search(r"(?<![\d.])([0-3])\s*\+|\bscore\s*([0-3])\b|^\s*([0-3])\s*$", low)
            if m:
                digit = next(g for g in m.groups() if g is not None)
                score = "0" if digit == "0" else f"{digit}+"
        if score is None and qval is not None and qval in (0, 1, 2, 3):
            score = "0" if qval == 0 else f"{int(qval)}+"
        if score is None and "equivocal" in low:
            score, inferred = "2+", "IHC 'equivocal' read as 2+ (ASCO/CAP: equivocal IHC is 2+); ISH decides"
        if score is not None:
            self.cand("her2_ihc", _Candidate(score, date, r, "Observation.value[x]", code, inferred))
            return
        self.status(r, "her2", vcod, vtext, date, code)

    def her2_ish(
        self, r: ParsedResource, vcod: list[Coding], vtext: str, date: dt.date | None, code: str
    ) -> None:
        m = r.model
        if m.dataAbsentReason is not None:
            reason = {c for _, c, _ in _codings(m.dataAbsentReason)}
            if reason & {"not-performed", "not-asked"}:
                self.cand("her2_ish", _Candidate("not_done", date, r, "Observation.dataAbsentReason", code))
            else:
                self.ignore(
                    r,
                    f"her2_ish: no value ({', '.join(sorted(reason)) or 'absent'})",
                    "Observation.dataAbsentReason",
                )
            return
        low = normalise_text(vtext)
        value, inferred = None, ""
        if re.search(r"\b(not|non) amplified\b", low):
            value = "not_amplified"
        elif re.search(r"\bamplified\b", low):
            value = "amplified"
        elif re.search(r"\bless than 1 8\b", low):
            value, inferred = "not_amplified", "FISH text 'less than 1.8' read as not amplified"
        elif re.search(r"\bgreater than 2 2\b", low):
            value, inferred = "amplified", "FISH text 'greater than 2.2' read as amplified"
        if value is None:
            pol = _polarity(vcod, vtext)
            value = {"positive": "amplified", "negative": "not_amplified"}.get(pol or "")
        if value is None:
            self.ignore(
                r,
                f"her2_ish: {vtext or 'no value'!r} is not a clear amplified / not amplified result",
                "Observation.value[x]",
            )
            return
        self.cand("her2_ish", _Candidate(value, date, r, "Observation.value[x]", code, inferred))

    def quantity_biomarker(
        self,
        r: ParsedResource,
        fld: str,
        qval: float | None,
        date: dt.date | None,
        code: str,
        lo: float,
        hi: float | None,
    ) -> None:
        if qval is None or qval < lo or (hi is not None and qval > hi):
            self.ignore(r, f"{fld}: needs a number in range", "Observation.valueQuantity")
            return
        self.cand(
            fld,
            _Candidate(
                _clean_number(qval) if fld != "recurrence_score" else int(qval),
                date,
                r,
                "Observation.valueQuantity",
                code,
            ),
        )

    def ecog(
        self, r: ParsedResource, vcod: list[Coding], qval: float | None, date: dt.date | None, code: str
    ) -> None:
        value = next((C.ECOG_ANSWERS[c] for k, c, _ in vcod if k == "loinc" and c in C.ECOG_ANSWERS), None)
        if value is None and qval is not None and qval in (0, 1, 2, 3, 4):
            value = int(qval)
        if value is None:
            self.ignore(r, "ECOG value is not 0-4", "Observation.value[x]")
            return
        self.cand("ecog", _Candidate(value, date, r, "Observation.value[x]", code))

    def lab(
        self,
        r: ParsedResource,
        fld: str,
        qval: float | None,
        unit: str,
        date: dt.date | None,
        code: str,
        loinc: set[str],
    ) -> None:
        if qval is None:
            self.ignore(r, f"{fld}: no numeric value", "Observation.valueQuantity")
            return
        u = unit.lower()
        inferred = ""
        if fld == "calcium_mg_dl" and "mmol" in u:
            qval, inferred = qval * 4.008, "converted from mmol/L (x 4.008)"
        elif fld == "qtcf_ms" and re.fullmatch(r"s( s)?", u):
            qval, inferred = qval * 1000, "converted from seconds"
        elif fld == "lvef_percent" and u in ("1", "1 1", "{ratio}") and qval <= 1:
            qval, inferred = qval * 100, "converted from a fraction"
        elif fld == "hba1c_percent" and "mmol/mol" in u:
            qval, inferred = qval * 0.0915 + 2.15, "converted from IFCC mmol/mol to NGSP %"
        if fld == "qtcf_ms" and loinc & C.QTC_UNSPECIFIED and not loinc & C.QTCF:
            method = _text(r.model.method).lower()
            if "bazett" in method:
                self.ignore(r, "QTc by Bazett is not QTcF", "Observation.method")
                return
            inferred = "; ".join(x for x in (inferred, "QTc formula not stated; read as QTcF") if x)
        lo, hi = C.LAB_RANGES[fld]
        if not lo <= qval <= hi:
            self.ignore(r, f"{fld}: {qval:g} is outside {lo}-{hi}", "Observation.valueQuantity")
            return
        self.cand(
            fld,
            _Candidate(_clean_number(round(qval, 2)), date, r, "Observation.valueQuantity", code, inferred),
        )

    def variant(self, r: ParsedResource, date: dt.date | None, code: str) -> None:
        m = r.model
        gene: str | None = None
        source: str | None = None
        significance: str | None = None
        for comp in m.component or []:
            ccodes = _codes(comp.code, "loinc")
            vcc = comp.valueCodeableConcept
            vcod = _codings(vcc)
            if C.GENE_STUDIED in ccodes:
                for _k, c, disp in vcod:
                    gid = c.upper().replace("HGNC:", "")
                    gene = C.GENES.get(gid) or (disp.upper() if disp.upper() in C.GENE_IDS else gene)
                if gene is None and vcc is not None and (vcc.text or "").upper() in C.GENE_IDS:
                    gene = vcc.text.upper()
            elif C.GENOMIC_SOURCE_CLASS in ccodes:
                if any((k, c) in C.GERMLINE for k, c, _ in vcod) or "germline" in _text(vcc).lower():
                    source = "germline"
                elif any((k, c) in C.SOMATIC for k, c, _ in vcod) or "somatic" in _text(vcc).lower():
                    source = "somatic"
            elif C.CLINICAL_SIGNIFICANCE in ccodes:
                if any((k, c) in C.PATHOGENIC for k, c, _ in vcod):
                    significance = "pathogenic"
                elif any((k, c) in C.NOT_PATHOGENIC for k, c, _ in vcod):
                    significance = "not_pathogenic"
        if gene is None:
            self.ignore(
                r,
                "genetic variant for a gene the contract does not use (or gene not coded)",
                "Observation.component",
            )
            return
        if m.dataAbsentReason is not None:
            fld = C.GERMLINE_GENES.get(gene, gene)
            self.cand(
                fld,
                _Candidate("not_tested", date, r, "Observation.dataAbsentReason", f"hgnc#{C.GENE_IDS[gene]}"),
            )
            return
        pol = _polarity(_codings(m.valueCodeableConcept), _text(m.valueCodeableConcept))
        present = (
            any((k, c) in C.VARIANT_PRESENT for k, c, _ in _codings(m.valueCodeableConcept))
            or pol == "positive"
        )
        absent = (
            any((k, c) in C.VARIANT_ABSENT for k, c, _ in _codings(m.valueCodeableConcept))
            or pol == "negative"
        )
        code = f"hgnc#{C.GENE_IDS[gene]}"
        if not (present or absent):
            self.ignore(r, f"{gene}: variant result is neither present nor absent", "Observation.value[x]")
            return
        if gene in C.GERMLINE_GENES:
            fld = C.GERMLINE_GENES[gene]
            if source == "somatic":
                self.ignore(
                    r, f"somatic {gene} result is not a germline (g{gene}) result", "Observation.component"
                )
                return
            if source != "germline":
                self.ignore(
                    r,
                    f"{gene}: genomic source class (germline/somatic) not coded; not read as g{gene}",
                    "Observation.component",
                )
                return
            if absent:
                self.cand(fld, _Candidate("not_detected", date, r, "Observation.valueCodeableConcept", code))
            elif significance == "pathogenic":
                self.cand(fld, _Candidate("pathogenic", date, r, "Observation.valueCodeableConcept", code))
            else:
                self.ignore(
                    r,
                    f"germline {gene} variant without pathogenic/likely pathogenic significance",
                    "Observation.component",
                )
            return
        if absent:
            self.cand(gene, _Candidate("not_detected", date, r, "Observation.valueCodeableConcept", code))
        elif significance == "not_pathogenic":
            self.ignore(
                r,
                f"{gene} variant of uncertain or benign significance is not an alteration",
                "Observation.component",
            )
        else:
            self.cand(gene, _Candidate("altered", date, r, "Observation.valueCodeableConcept", code))

    def stage_value(
        self, r: ParsedResource, cc: Any, element: str, date: dt.date | None, clinical: bool
    ) -> None:
        if cc is None:
            return
        group: str | None = None
        for k, code, disp in _codings(cc):
            if k == "sct" and code in C.STAGE_SNOMED:
                group = C.STAGE_SNOMED[code]
            elif k == "ajcc":
                m = re.match(r"^[cp]?(0|1|2|3|4|IV|III|II|I)", code, re.I)
                if m:
                    group = {"iv": "4", "iii": "3", "ii": "2", "i": "1"}.get(m.group(1).lower(), m.group(1))
            if group is None:
                m = re.search(r"stage\s*(iv|iii|ii|i|4|3|2|1|0)(?![a-z0-9])", disp.lower()) or re.search(
                    r"stage\s*(iv|iii|ii|i|4|3|2|1|0)[abc]?\b", disp.lower()
                )
                if m:
                    group = {"iv": "4", "iii": "3", "ii": "2", "i": "1"}.get(m.group(1), m.group(1))
            if group:
                break
        if group is None:
            self.ignore(r, "stage group value not recognised", element)
            return
        self.stage_evidence.append(("M1" if group == "4" else "M0", r, element, date, clinical))

    def tnm(self, r: ParsedResource, code_set: set[str], cc: Any, date: dt.date | None) -> None:
        cod = _codings(cc)
        text = _text(cc)
        if code_set & C.M_CATEGORY:
            val = next((C.M_SNOMED[c] for k, c, _ in cod if k == "sct" and c in C.M_SNOMED), None)
            if val is None:
                m = re.search(r"\b[cp]?(M[01])\b", text)
                val = m.group(1) if m else None
            if val:
                self.stage_evidence.append(
                    (
                        val,
                        r,
                        "Observation.valueCodeableConcept",
                        date,
                        bool(code_set & {"21907-1", "399387003"}),
                    )
                )
            else:
                self.ignore(r, "M category value not recognised", "Observation.valueCodeableConcept")
            return
        table, values, fld = (
            (C.T_SNOMED, C.T_VALUES, "t") if code_set & C.T_CATEGORY else (C.N_SNOMED, C.N_VALUES, "n")
        )
        val = next((table[c] for k, c, _ in cod if k == "sct" and c in table), None)
        if val is None:
            m = re.search(r"\b[cpy]?(T(?:is|1mi|1a|1b|1c|[234])|N(?:1mi|[0-3]))\b", text)
            val = m.group(1) if m and m.group(1) in values else None
        if val in values:
            self.cand(
                fld, _Candidate(val, date, r, "Observation.valueCodeableConcept", _first_code(r.model.code))
            )
        else:
            self.ignore(
                r,
                f"{fld.upper()} category {text!r} has no contract value ({', '.join(values)})",
                "Observation.valueCodeableConcept",
            )

    def disease_status(self, r: ParsedResource, vcod: list[Coding], date: dt.date | None) -> None:
        if not ({c for k, c, _ in vcod if k == "sct"} & C.PROGRESSION_VALUES) or date is None:
            self.ignore(r, "disease status is not a dated progression", "Observation.value[x]")
            return
        basis: list[str] = []
        for ext in r.model.extension or []:
            if str(ext.url).endswith(C.EXT_EVIDENCE_TYPE_SUFFIX):
                for k, c, _ in _codings(ext.valueCodeableConcept):
                    b = C.EVIDENCE_BASIS.get(c) if k == "sct" else None
                    if b is None:
                        low = _text(ext.valueCodeableConcept).lower()
                        b = next((v for w, v in C.BASIS_WORDS.items() if w in low), None)
                    if b and b not in basis:
                        basis.append(b)
        part_of = {p.reference for p in (r.model.partOf or []) if p.reference}
        for f in r.model.focus or []:
            target = self.resolve_ref(f.reference)
            if f.reference and target is not None and target.rtype.startswith("Medication"):
                part_of.add(f.reference)
        self.progressions.append((date, r, basis, part_of))

    def menopause_codes(
        self, r: ParsedResource, codings: list[Coding], element: str, date: dt.date | None
    ) -> None:
        for k, c, _ in codings:
            if k == "sct" and c in C.MENOPAUSE_IGNORED:
                self.ignore(r, C.MENOPAUSE_IGNORED[c], element)
                return
            if k == "sct" and c in C.MENOPAUSE:
                self.cand("menopausal_status", _Candidate(C.MENOPAUSE[c], date, r, element, f"sct#{c}"))
                return

    def comorbidities(self, r: ParsedResource) -> None:
        found = False
        for ext in r.model.extension or []:
            if str(ext.url).endswith(C.EXT_COMORBID_PRESENT_SUFFIX) and ext.valueCodeableConcept is not None:
                for k, c, _ in _codings(ext.valueCodeableConcept):
                    if k == "sct" and c in C.CONDITIONS:
                        found = True
                        self.conditions.setdefault(
                            C.CONDITIONS[c],
                            _Candidate(
                                C.CONDITIONS[c],
                                _obs_date(r.model),
                                r,
                                "Observation.extension[comorbidConditionPresent]",
                                f"sct#{c}",
                            ),
                        )
        if not found:
            self.ignore(
                r,
                "comorbidities: no present condition with a contract code (references are read from the Condition resources)",
            )

    # ---------------------------------------------------------------- medications

    def medication_concept(self, r: ParsedResource) -> Any:
        m = r.model
        if m.medicationCodeableConcept is not None:
            return m.medicationCodeableConcept
        ref = m.medicationReference.reference if m.medicationReference is not None else None
        if ref and ref.startswith("#"):
            for c in m.contained or []:
                if c.get_resource_type() == "Medication" and c.id == ref[1:]:
                    return c.code
        target = self.resolve_ref(ref)
        if target is not None and target.rtype == "Medication":
            return target.model.code
        return None

    def identify_drug(self, r: ParsedResource, cc: Any) -> tuple[str | None, str]:
        """Canonical drug of a medication concept, and the inference note ('' if by code)."""
        by_code: dict[str, str] = {}
        for k, code, _ in _codings(cc):
            name = self.drugs.match_code(k, code)
            if name:
                by_code.setdefault(name, f"{k}#{code}")
        text = _text(cc)
        by_text = self.drugs.match_text(text)
        if len(by_code) > 1:
            self.conflict(
                "drug_code",
                f"{r.ref}: codings name different drugs ({', '.join(sorted(by_code))}); {sorted(by_code)[0]} used",
                [r],
            )
        if by_code:
            name = sorted(by_code)[0]
            if by_text and by_text != name:
                self.conflict(
                    "drug_code",
                    f"{r.ref}: code {by_code[name]} is {name} but the text says {by_text!r}; the code is used",
                    [r],
                )
            return name, ""
        if by_text:
            unknown = ", ".join(f"{k}#{c}" for k, c, _ in _codings(cc) if c)
            return by_text, f"drug recognised from text {text!r}" + (
                f" (code {unknown} not known)" if unknown else ""
            )
        return None, ""

    def map_medication(self, r: ParsedResource) -> None:
        m = r.model
        rtype = r.rtype
        status = m.status or "unknown"
        skip = {
            "MedicationStatement": {"entered-in-error", "not-taken", "intended"},
            "MedicationRequest": {"entered-in-error", "cancelled", "draft"},
            "MedicationAdministration": {"entered-in-error", "not-done"},
        }[rtype]
        if status in skip:
            self.ignore(r, f"{rtype}.status {status}: not a treatment received", f"{rtype}.status")
            return
        if rtype == "MedicationRequest" and m.intent in ("proposal",):
            self.ignore(
                r, "MedicationRequest.intent proposal: not a treatment received", "MedicationRequest.intent"
            )
            return
        cc = self.medication_concept(r)
        if cc is None:
            # Fail closed: a treatment whose drug is unknown makes the whole history incomplete
            # (it may be the regimen the disease progressed on); the engine does not offer what
            # depends on the history (UNRESOLVED_MEDICATION_KIND).
            self.ignore(r, "no medication code or resolvable Medication reference", f"{rtype}.medication[x]")
            ref = m.medicationReference.reference if m.medicationReference is not None else None
            self.conflict(
                UNRESOLVED_MEDICATION_KIND,
                f"{self.label(r)}.medication[x]: the medication cannot be resolved ("
                + (f"reference {ref!r} not found, or without a code" if ref else "no code")
                + "): the treatment history is incomplete, so the options that depend on it are not offered",
                [r],
            )
            return
        name, note = self.identify_drug(r, cc)
        text_low = _text(cc).lower()
        rx = _codes(cc, "rxnorm")
        if name is None:
            her2 = next((C.ANTI_HER2_RXNORM[c] for c in rx if c in C.ANTI_HER2_RXNORM), None) or next(
                (w for w in C.ANTI_HER2_WORDS if w in text_low), None
            )
            if her2:
                self.anti_her2.append((her2, r))
                self.ignore(
                    r,
                    f"anti-HER2 drug {her2} is not a drug of the HER2-negative contract",
                    f"{rtype}.medication[x]",
                )
                return
            conc = next((C.CONCOMITANT_RXNORM[c] for c in rx if c in C.CONCOMITANT_RXNORM), None) or next(
                (v for w, v in C.CONCOMITANT_WORDS.items() if re.search(rf"\b{w}\b", text_low)), None
            )
            if conc and status not in ("completed", "stopped"):
                self.medications.setdefault(
                    conc, _Candidate(conc, None, r, f"{rtype}.medication[x]", _first_code(cc))
                )
                return
            self.ignore(
                r,
                f"medication {(_first_code(cc) + ' ' + _text(cc)).strip()!r} is not a contract drug or interacting co-medication",
                f"{rtype}.medication[x]",
            )
            return
        start, end, ended, pnote = self.period(r)
        setting = self.coded_setting(r)
        end_reason = self.end_reason(r)
        group = None
        if rtype == "MedicationRequest" and m.groupIdentifier is not None:
            group = m.groupIdentifier.value
        notes = [x for x in (note, pnote) if x]
        self.courses.append(_Course(name, start, end, ended, setting, end_reason, group, [r], notes))
        self.map(r, f"{rtype}.medication[x]", _first_code(cc), "therapies[].drugs", name, note)

    def period(self, r: ParsedResource) -> tuple[dt.date | None, dt.date | None, bool, str]:
        m = r.model
        rtype = r.rtype
        start = end = None
        note = ""
        if rtype in ("MedicationStatement", "MedicationAdministration"):
            start = _to_date(getattr(m, "effectiveDateTime", None))
            if m.effectivePeriod is not None:
                start, end = _to_date(m.effectivePeriod.start), _to_date(m.effectivePeriod.end)
        else:
            for dose in m.dosageInstruction or []:
                bounds = dose.timing.repeat.boundsPeriod if dose.timing and dose.timing.repeat else None
                if bounds is not None:
                    start = start or _to_date(bounds.start)
                    end = end or _to_date(bounds.end)
            if start is None and m.authoredOn is not None:
                start, note = _to_date(m.authoredOn), "start taken from MedicationRequest.authoredOn"
        status = m.status or "unknown"
        if rtype == "MedicationAdministration":
            ended = status in ("completed", "stopped")
        else:
            ended = status in ("completed", "stopped") or end is not None
        return start, end, ended, note

    def coded_setting(self, r: ParsedResource) -> str | None:
        m = r.model
        for ext in m.extension or []:
            url = str(ext.url)
            if url == C.EXT_THERAPY_SETTING and ext.valueCode:
                return str(ext.valueCode)
            if url.endswith(C.EXT_TREATMENT_INTENT_SUFFIX):
                for k, c, _ in _codings(ext.valueCodeableConcept):
                    if k == "sct" and c in C.INTENT_SETTING:
                        return C.INTENT_SETTING[c]
        for ref in getattr(m, "reasonReference", None) or []:
            target = self.resolve_ref(ref.reference)
            if target is not None and target.rtype == "Condition":
                prof = " ".join(_profiles(target.model))
                sct = _codes(target.model.code, "sct")
                if "secondary-cancer-condition" in prof or sct & (set(C.SECONDARY_SITES) - {"94181007"}):
                    return "metastatic"
        return None

    def end_reason(self, r: ParsedResource) -> str | None:
        reasons = r.model.statusReason
        if reasons is None:
            return None
        for cc in reasons if isinstance(reasons, list) else [reasons]:
            for k, c, _ in _codings(cc):
                if k == "sct" and c in C.END_REASON_CODES:
                    return C.END_REASON_CODES[c]
            low = _text(cc).lower()
            for word, value in (
                ("progress", "progression"),
                ("toxic", "toxicity"),
                ("adverse", "toxicity"),
                ("complet", "completed"),
                ("other", "other"),
            ):
                if word in low:
                    return value
        return None

    # ---------------------------------------------------------------- procedures, specimen, menopause

    def map_procedure(self, r: ParsedResource) -> None:
        """Breast surgery (early.surgery; the date places early-disease therapy before or after it),
        bilateral oophorectomy (menopausal status) and radiotherapy (no contract field: reported)."""
        m = r.model
        if m.status not in ("completed", "in-progress"):
            self.ignore(r, f"Procedure.status {m.status}: not a procedure performed", "Procedure.status")
            return
        sct = _codes(m.code, "sct")
        text = _text(m.code)
        low = text.lower()
        profiles = " ".join(_profiles(m))
        date = _to_date(m.performedDateTime) or (
            _to_date(m.performedPeriod.start) if m.performedPeriod is not None else None
        )
        if any(w in low for w in C.OOPHORECTOMY_WORDS):
            if "bilateral" in low or "both ovaries" in low:
                self.oophorectomies.append((date, r, "bilateral oophorectomy recognised from the procedure text"))
                self.map(r, "Procedure.code", _first_code(m.code), "(bilateral oophorectomy)", text,
                         "recognised from the procedure text")
            else:
                self.ignore(r, "oophorectomy not stated bilateral: ovarian function may remain", "Procedure.code")
            return
        kind = next((C.BREAST_SURGERY[c] for c in sct if c in C.BREAST_SURGERY), None)
        how = ""
        if kind is None and "breast" in low or kind is None and "mastectomy" in low:
            kind = next((v for w, v in C.BREAST_SURGERY_WORDS if w in low), None)
            how = "surgery recognised from the procedure text" if kind else ""
        if kind is not None:
            self.surgeries.append((kind, date, r, how))
            return
        if sct & C.RADIOTHERAPY or "radiotherapy" in profiles.lower() or any(w in low for w in C.RADIOTHERAPY_WORDS):
            end = _to_date(m.performedPeriod.end) if m.performedPeriod is not None else None
            when = f"{date or '?'}" + (f" to {end}" if end else "")
            self.map(r, "Procedure.code", _first_code(m.code), "(radiotherapy)", f"{text or 'radiotherapy'} ({when})",
                     "radiotherapy has no field in the patient record: reported only")
            return
        self.ignore(r, f"procedure {_first_code(m.code) or text!r} is not used by the mapping", "Procedure.code")

    def early_surgery(self, early: dict[str, Any]) -> None:
        if not self.surgeries:
            return
        kinds = {k for k, _, _, _ in self.surgeries}
        # a mastectomy after breast-conserving surgery (re-excision, completion) is the surgery done
        kind, date, r, how = max(
            self.surgeries, key=lambda s: (s[0] == "mastectomy", s[1] or dt.date.min)
        )
        early["surgery"] = kind
        note = how
        if len(kinds) > 1:
            note = "; ".join(x for x in (how, "breast-conserving surgery and mastectomy recorded: mastectomy used") if x)
        self.map(r, "Procedure.code", _first_code(r.model.code), "early.surgery", kind, note)

    def specimen(self, out: dict[str, Any], chosen: list[_Candidate], setting: str | None) -> None:
        """receptors.specimen: the Specimen the most recent receptor result names (its body site: a
        breast site is the primary, a metastatic site a metastasis). No Specimen named: absent."""
        latest = max(chosen, key=lambda c: (c.date or dt.date.min, c.res.index))
        ref = getattr(latest.res.model, "specimen", None)
        target = self.resolve_ref(ref.reference) if ref is not None else None
        if target is not None and target.rtype == "Specimen":
            sm = target.model
            body = sm.collection.bodySite if sm.collection is not None else None
            codes = _codes(body, "sct")
            words = (_text(body) + " " + _text(sm.type)).lower()
            value = None
            if codes & C.BREAST_SITES or ("breast" in words and "metasta" not in words):
                value = "primary" if setting != "locoregional_recurrence" else None
            site = next((C.BODY_SITES[c] for c in codes if c in C.BODY_SITES), None)
            if site or "metasta" in words:
                value = "metastasis"
            if value:
                out["specimen"] = value
                self.map(target, "Specimen.collection.bodySite", _first_code(body), "receptors.specimen", value,
                         f"specimen of {latest.res.ref}")
                return
            self.ignore(target, "specimen body site does not tell primary, metastasis or recurrence",
                        "Specimen.collection.bodySite")
            return

    def derive_menopause(self, p: ParsedResource, record: dict[str, Any]) -> None:
        """Menopausal status when none is coded, by the NCCN definition of menopause (ontology source
        S50): prior bilateral oophorectomy, or age 60 or more; it cannot be assigned while an LHRH
        agonist is given. Otherwise ``unknown``."""
        gnrh = ("goserelin", "leuprorelin", "triptorelin")
        on_gnrh = [c for c in self.courses if c.drug in gnrh and not c.ended]
        age = record.get("age")
        value, note, src = "unknown", "menopausal status not coded", p
        if on_gnrh:
            note += "; it cannot be assigned while an LHRH agonist is given (NCCN definition of menopause)"
            src = on_gnrh[0].resources[0]
        elif self.oophorectomies:
            date, src, _ = self.oophorectomies[0]
            value = "postmenopausal"
            note = (f"prior bilateral oophorectomy{f' ({date})' if date else ''}: postmenopausal by the NCCN "
                    "definition of menopause")
        elif isinstance(age, int) and age >= C.MENOPAUSE_AGE:
            value = "postmenopausal"
            note = (f"age {age} (60 or more): postmenopausal by the NCCN definition of menopause "
                    "(not coded in the bundle)")
        else:
            if any(c.drug in gnrh for c in self.courses):
                note += "; ovarian suppression (GnRH agonist) was given, but status is not inferred from it"
            note += ("; NCCN assigns postmenopausal status from age 60 or a bilateral oophorectomy, otherwise "
                     "it needs amenorrhoea history with FSH/oestradiol")
        record["menopausal_status"] = value
        self.mapped.append(MappingEntry(self.label(src), "(derived)", "", "menopausal_status", value, note))

    # ---------------------------------------------------------------- assembly

    def pick(self, fld: str, label: str | None = None) -> _Candidate | None:
        """Most recent candidate of a field; contradicting values become a conflict."""
        cands = self.cands.get(fld, [])
        if not cands:
            return None
        ordered = sorted(cands, key=lambda c: (c.date or dt.date.min, c.res.index))
        best = ordered[-1]
        values = {repr(c.value) for c in cands}
        if len(values) > 1:
            parts = ", ".join(
                f"{c.value} ({c.res.ref}{', ' + c.date.isoformat() if c.date else ''})" for c in ordered
            )
            ties = [
                c
                for c in ordered
                if (c.date or dt.date.min) == (best.date or dt.date.min) and c.value != best.value
            ]
            if ties:
                self.conflict(
                    "contradiction",
                    f"{label or fld}: contradicting results with the same date: {parts}; not mapped",
                    [c.res for c in cands],
                )
                return None
            self.conflict(
                "contradiction",
                f"{label or fld}: results differ: {parts}; the most recent ({best.value}) is used",
                [c.res for c in cands],
            )
        return best

    def put(self, target: dict[str, Any], key: str, fld: str, c: _Candidate | None, path: str) -> None:
        if c is None:
            return
        target[key] = c.value
        self.map(c.res, c.element, c.code, path, c.value, c.inferred)

    def assemble(self) -> dict[str, Any]:
        p, refs = self.patient()
        record: dict[str, Any] = {}
        self.map_patient(p, record)
        if self.as_of:
            record["as_of"] = self.as_of.isoformat()
        pid = p.model.id
        for r in self.parsed.resources:
            if r is p or r.rtype == "Patient":
                continue
            if r.rtype != "Medication" and not self.belongs(r, refs, pid):
                self.ignore(r, "belongs to another subject than the Patient")
                continue
            if r.rtype == "Condition":
                self.map_condition(r)
            elif r.rtype == "Observation":
                self.map_observation(r)
            elif r.rtype.startswith("Medication") and r.rtype != "Medication":
                self.map_medication(r)
            elif r.rtype == "Procedure":
                self.map_procedure(r)

        sex = record.get("sex")
        meno = self.pick("menopausal_status", "menopausal status")
        if sex == "female" or (sex is None and meno is not None):
            if meno is not None:
                self.put(record, "menopausal_status", "menopausal_status", meno, "menopausal_status")
            else:
                self.derive_menopause(p, record)
        elif meno is not None and sex == "male":
            self.ignore(meno.res, "menopausal status of a male patient", meno.element)
        self.put(record, "ecog", "ecog", self.pick("ecog", "ECOG"), "ecog")

        setting, metastatic = self.disease_setting()
        if setting:
            record["setting"] = setting
        else:
            self.missing.append(
                MissingEntry(
                    "setting",
                    "a stage group (LOINC 21908-9 / SNOMED 399537006), an M category, a PrimaryCancerCondition "
                    "stage.summary, or a SecondaryCancerCondition for distant metastases",
                )
            )
        if setting == "metastatic" and not metastatic.get("diagnosis_date") and metastatic.get("de_novo") is not True:
            self.missing.append(
                MissingEntry(
                    "metastatic.diagnosis_date",
                    "an onset date on a SecondaryCancerCondition (needed to place therapies before or after "
                    "the metastatic diagnosis)",
                )
            )
        if metastatic:
            record["metastatic"] = metastatic
        if setting == "early":
            early: dict[str, Any] = {}
            for fld in ("t", "n", "grade", "tumor_size_mm"):
                self.put(early, fld, fld, self.pick(fld), f"early.{fld}")
            self.early_surgery(early)
            # required in the early setting: the early-disease facts known so far (possibly none)
            record["early"] = early
            for fld, needs in (("t", "a T category with a contract value (T1a/T1b/T1c, not T1)"),
                               ("n", "an N category (LOINC 21906-3 / 21900-6)")):
                if fld not in early:
                    self.missing.append(MissingEntry(f"early.{fld}", needs))
        else:
            for fld in ("t", "n", "grade", "tumor_size_mm"):
                for c in self.cands.get(fld, []):
                    self.ignore(c.res, f"early.{fld} is used only when the setting is early (setting: {setting or 'unknown'})", c.element)
            for _kind, _date, r, _how in self.surgeries:
                self.ignore(
                    r,
                    f"breast surgery ({_kind}): early.surgery is used only when the setting is early "
                    f"(setting: {setting or 'unknown'}); its date still places early-disease therapy",
                    "Procedure.code",
                )
        receptors = self.receptors(setting)
        if receptors:
            record["receptors"] = receptors
        biomarkers: dict[str, Any] = {}
        for fld in (
            "PIK3CA",
            "AKT1",
            "PTEN",
            "ESR1",
            "gBRCA1",
            "gBRCA2",
            "gPALB2",
            "pdl1_cps",
            "pdl1_ic_percent",
            "ki67_percent",
            "recurrence_score",
        ):
            self.put(biomarkers, fld, fld, self.pick(fld), f"biomarkers.{fld}")
        if biomarkers:
            record["biomarkers"] = biomarkers
        therapies = self.therapies(metastatic, record)
        if therapies:
            record["therapies"] = therapies
        if self.conditions:
            record["conditions"] = sorted(self.conditions)
            for name, c in sorted(self.conditions.items()):
                self.map(c.res, c.element, c.code, "conditions[]", name, c.inferred)
        labs: dict[str, Any] = {}
        for fld in C.LAB_RANGES:
            self.put(labs, fld, fld, self.pick(fld), f"labs.{fld}")
        if labs:
            record["labs"] = labs
        if self.medications:
            record["medications"] = sorted(self.medications)
            for name, c in sorted(self.medications.items()):
                self.map(c.res, c.element, c.code, "medications[]", name)
        self.check_consistency(record)
        return record

    def disease_setting(self) -> tuple[str | None, dict[str, Any]]:
        metastatic: dict[str, Any] = {}
        m1 = [e for e in self.stage_evidence if e[0] == "M1"]
        m0 = [e for e in self.stage_evidence if e[0] == "M0"]
        if self.sites or m1:
            for site, c in sorted(self.sites.items()):
                self.map(c.res, c.element, c.code, "metastatic.sites[]", site, c.inferred)
            if self.sites:
                metastatic["sites"] = sorted(self.sites)
            if self.met_dates:
                d, r = min(self.met_dates, key=lambda x: x[0])
                metastatic["diagnosis_date"] = d.isoformat()
                self.map(
                    r,
                    "Condition.onset[x]",
                    "",
                    "metastatic.diagnosis_date",
                    d.isoformat(),
                    "earliest onset of a secondary cancer condition",
                )
            clinical_m1 = [e for e in m1 if e[4]]
            if clinical_m1:
                _, r, element, _, _ = clinical_m1[0]
                metastatic["de_novo"] = True
                self.map(
                    r,
                    element,
                    "",
                    "metastatic.de_novo",
                    True,
                    "clinical stage IV / cM1 means metastatic at first diagnosis",
                )
            elif self.met_dates and self.primary_dates:
                met = min(d for d, _ in self.met_dates)
                prim, r = min(self.primary_dates, key=lambda x: x[0])
                de_novo = (met - prim).days <= DE_NOVO_WINDOW_DAYS
                metastatic["de_novo"] = de_novo
                self.map(
                    r,
                    "Condition.onset[x]",
                    "",
                    "metastatic.de_novo",
                    de_novo,
                    f"metastases {(met - prim).days} days after the primary diagnosis (de novo if <= {DE_NOVO_WINDOW_DAYS})",
                )
            elif [e for e in m0 if e[4]] and self.sites:
                _, r, element, _, _ = [e for e in m0 if e[4]][0]
                metastatic["de_novo"] = False
                self.map(
                    r,
                    element,
                    "",
                    "metastatic.de_novo",
                    False,
                    "clinical M0 / stage 0-III at diagnosis, distant metastases later",
                )
            if self.sites:
                first = next(iter(self.sites.values()))
                self.map(first.res, first.element, first.code, "setting", "metastatic", "distant metastasis recorded")
            for _, r, element, _, _ in m1:
                self.map(r, element, "", "setting", "metastatic", "stage IV / M1 recorded")
            return "metastatic", metastatic
        if m0:
            for _, r, element, _, _ in m0:
                self.map(r, element, "", "setting", "early", "stage 0-III / M0 recorded and no distant metastasis")
            return "early", {}
        return None, {}

    def receptors(self, setting: str | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {}
        chosen: dict[str, _Candidate] = {}
        for fld, label in (
            ("er_percent", "ER %"),
            ("er", "ER"),
            ("pr_percent", "PR %"),
            ("pr", "PR"),
            ("her2_ihc", "HER2 IHC"),
            ("her2_ish", "HER2 ISH"),
            ("her2", "HER2"),
        ):
            c = self.pick(fld, label)
            if c is not None:
                chosen[fld] = c
        for rec in ("er", "pr"):
            pct, qual = chosen.get(f"{rec}_percent"), chosen.get(rec)
            if pct is not None and qual is not None:
                agrees = (pct.value >= 1) == (qual.value == "positive")
                if agrees:
                    self.ignore(
                        qual.res,
                        f"{rec} status is implied by {rec}_percent (the contract takes only one)",
                        qual.element,
                    )
                    del chosen[rec]
                else:
                    self.conflict(
                        "contradiction",
                        f"{rec.upper()}: {pct.value}% ({pct.res.ref}) contradicts {qual.value} ({qual.res.ref})",
                        [pct.res, qual.res],
                    )
                    newer = (
                        pct
                        if (pct.date or dt.date.min) > (qual.date or dt.date.min)
                        else qual
                        if (qual.date or dt.date.min) > (pct.date or dt.date.min)
                        else None
                    )
                    for key in (f"{rec}_percent", rec):
                        if newer is None or chosen[key] is not newer:
                            del chosen[key]
        ihc, ish, status = chosen.get("her2_ihc"), chosen.get("her2_ish"), chosen.get("her2")
        if status is not None and (ihc is not None or ish is not None):
            derived = None
            if (ihc and ihc.value == "3+") or (ish and ish.value == "amplified"):
                derived = "positive"
            elif (ihc and ihc.value in ("0", "ultralow", "1+")) or (
                ihc and ihc.value == "2+" and ish and ish.value == "not_amplified"
            ):
                derived = "negative"
            elif ihc is None and ish is not None and ish.value == "not_amplified":
                derived = "negative"
            if derived is not None and derived != status.value:
                self.conflict(
                    "contradiction",
                    f"HER2: {status.value} ({status.res.ref}) contradicts the IHC/ISH details",
                    [status.res] + [x.res for x in (ihc, ish) if x],
                )
                del chosen["her2"]
            elif ihc is not None:
                self.ignore(
                    status.res,
                    "HER2 status not used: the IHC score is given (it decides the HER2 category)",
                    status.element,
                )
                del chosen["her2"]
            # an ISH result without an IHC score does not classify HER2 by itself: the status is kept
        for fld, c in chosen.items():
            self.put(out, fld, fld, c, f"receptors.{fld}")
        if chosen:
            self.specimen(out, list(chosen.values()), setting)
        dates = [c.date for c in chosen.values() if c.date]
        if dates:
            latest = max(dates)
            out["tested_on"] = latest.isoformat()
            src = next(c for c in chosen.values() if c.date == latest)
            self.map(
                src.res,
                "Observation.effective[x]",
                "",
                "receptors.tested_on",
                latest.isoformat(),
                "date of the most recent receptor result",
            )
        return out

    # ---------------------------------------------------------------- therapies

    def merge_courses(self) -> list[_Course]:
        """Collapse repeated records of one drug (administrations, duplicates) into courses."""
        by_drug: dict[tuple[str, str | None], list[_Course]] = {}
        for c in self.courses:
            by_drug.setdefault((c.drug, c.group), []).append(c)
        merged: list[_Course] = []
        for (_drug, _group), items in by_drug.items():
            items.sort(key=lambda c: (c.start or dt.date.min, c.resources[0].index))
            current: _Course | None = None
            for c in items:
                admin = c.resources[0].rtype == "MedicationAdministration"
                if current is not None and c.start and current.start:
                    last = current.end or current.start
                    gap = (c.start - last).days
                    same = c.start == current.start or (
                        admin
                        and current.resources[0].rtype == "MedicationAdministration"
                        and gap <= ADMIN_COURSE_GAP_DAYS
                    )
                    if same:
                        current.resources += c.resources
                        current.notes += c.notes
                        if admin:
                            current.end = max(x for x in (current.end, c.end, c.start) if x)
                        elif c.end or current.end:
                            current.end = (
                                max(x for x in (current.end, c.end) if x)
                                if (current.ended and c.ended)
                                else None
                            )
                        current.ended = current.ended and c.ended
                        current.setting = current.setting or c.setting
                        current.end_reason = current.end_reason or c.end_reason
                        continue
                if current is not None:
                    merged.append(current)
                current = _Course(
                    c.drug,
                    c.start,
                    c.end,
                    c.ended,
                    c.setting,
                    c.end_reason,
                    c.group,
                    list(c.resources),
                    list(c.notes),
                )
                if admin and current.end is None:
                    current.end = current.start
            if current is not None:
                merged.append(current)
        for c in merged:
            if c.resources[0].rtype == "MedicationAdministration":
                last = c.end or c.start
                if last and (self.today - last).days <= ADMIN_ONGOING_DAYS and not c.end_reason:
                    c.ended, c.end = False, None
                    c.notes.append(
                        f"last administration within {ADMIN_ONGOING_DAYS} days of {self.today}: ongoing"
                    )
                else:
                    c.ended = True
                    c.notes.append("end taken as the last recorded administration")
        return merged

    def therapies(self, metastatic: dict[str, Any], record: dict[str, Any]) -> list[dict[str, Any]]:
        courses = self.merge_courses()
        if not courses:
            for _date, r, _basis, _part_of in self.progressions:
                self.ignore(r, "progression recorded but no regimen to link it to", "Observation.value[x]")
            return []
        regimens: list[list[_Course]] = []
        groups: dict[str, list[_Course]] = {}
        for c in sorted(courses, key=lambda c: (c.start is None, c.start or dt.date.min, c.drug)):
            if c.group:
                if c.group in groups:
                    groups[c.group].append(c)
                    continue
                groups[c.group] = [c]
                regimens.append(groups[c.group])
                continue
            target = next(
                (
                    g
                    for g in regimens
                    if not g[0].group
                    and c.start
                    and g[0].start
                    and abs((c.start - g[0].start).days) <= REGIMEN_WINDOW_DAYS
                    and c.drug not in {x.drug for x in g}
                ),
                None,
            )
            if target is not None:
                target.append(c)
            else:
                regimens.append([c])
        regimens.sort(
            key=lambda g: (
                min((c.start for c in g if c.start), default=dt.date.max),
                sorted(c.drug for c in g),
            )
        )
        context = dict(record, as_of=self.today.isoformat())
        surgery = min((d for _, d, _, _ in self.surgeries if d), default=None)
        out: list[dict[str, Any]] = []
        per_regimen: list[tuple[list[ParsedResource], list[str]]] = []
        starts = [min((c.start for c in g if c.start), default=None) for g in regimens]
        for i, g in enumerate(regimens):
            therapy: dict[str, Any] = {"drugs": sorted({c.drug for c in g})}
            notes: list[str] = [n for c in g for n in c.notes]
            res = [r for c in g for r in c.resources]
            start = starts[i]
            if start:
                therapy["start"] = start.isoformat()
            ended = all(c.ended for c in g)
            if ended:
                ends = [c.end for c in g if c.end]
                if ends and len(ends) == len(g):
                    therapy["end"] = max(ends).isoformat()
                else:
                    later = [s for s in starts[i + 1 :] if s and start and s > start]
                    if later:
                        therapy["end"] = min(later).isoformat()
                        notes.append(
                            "completed without an end date; end set to the start of the next regimen"
                        )
                    elif ends or start:
                        therapy["end"] = max(ends or [start]).isoformat()
                        notes.append("completed without an end date; end set to the last recorded date")
            elif any(c.ended for c in g):
                notes.append(
                    "some drugs of this regimen are completed, others still active; regimen kept ongoing"
                )
            coded = {c.setting for c in g if c.setting}
            if len(coded) > 1:
                self.conflict(
                    "therapy_setting",
                    f"regimen {therapy['drugs']}: drugs coded with different settings {sorted(coded)}",
                    res,
                )
            if coded:
                therapy["setting"] = sorted(coded)[0]
            else:
                derived = derive_setting(context, therapy)
                if derived is None:
                    notes.append("setting not coded and not derivable; left out")
                    self.missing.append(
                        MissingEntry(
                            f"therapies[{i}].setting",
                            f"{missing_for_setting(context, therapy)}, or a coded treatment intent / "
                            f"therapy-setting extension on the medication resources ({', '.join(therapy['drugs'])})",
                        )
                    )
                elif derived.setting == "adjuvant" and surgery and start:
                    value = "neoadjuvant" if start < surgery else "adjuvant"
                    therapy["setting"] = value
                    notes.append(
                        f"setting inferred: early-disease therapy started {start} "
                        f"{'before' if value == 'neoadjuvant' else 'on or after'} the breast surgery ({surgery})"
                    )
                else:
                    therapy["setting"] = derived.setting
                    notes.append(f"setting inferred: {derived.reason}")
            reasons = {c.end_reason for c in g if c.end_reason}
            if reasons and "end" in therapy:
                therapy["end_reason"] = sorted(reasons)[0]
            out.append(therapy)
            per_regimen.append((res, notes))
        self.attach_progressions(out, per_regimen)
        for i, (therapy, (res, notes)) in enumerate(zip(out, per_regimen, strict=True)):
            for r in dict.fromkeys(res):
                self.map(r, r.rtype, "", f"therapies[{i}]", dict(therapy), "; ".join(dict.fromkeys(notes)))
        return out

    def attach_progressions(
        self, therapies: list[dict[str, Any]], per_regimen: list[tuple[list[ParsedResource], list[str]]]
    ) -> None:
        """Put each dated progression on the regimen it belongs to: the one its ``partOf`` names,
        else the only regimen running on its date."""
        spans = []
        for t in therapies:
            start = dt.date.fromisoformat(t["start"]) if "start" in t else None
            end = dt.date.fromisoformat(t["end"]) if "end" in t else self.today
            spans.append((start, end))
        hits: dict[int, list[tuple[dt.date, ParsedResource, list[str], str]]] = {}
        for date, r, basis, part_of in self.progressions:
            target: int | None = None
            note = ""
            if part_of:
                for i, (res, _notes) in enumerate(per_regimen):
                    keys = {x.ref for x in res} | {x.full_url for x in res if x.full_url}
                    if any(p in keys or any(p.rstrip("/").endswith(k) for k in keys) for p in part_of):
                        target = i
                        break
            else:
                running = [i for i, (s, e) in enumerate(spans) if s and s <= date <= e]
                if len(running) == 1:
                    target, note = running[0], "progression linked to the only regimen running on its date"
            if target is None:
                self.ignore(r, "progression could not be linked to exactly one regimen", "Observation.partOf")
                continue
            hits.setdefault(target, []).append((date, r, basis, note))
        for i, items in hits.items():
            date, r, basis, note = min(items, key=lambda h: h[0])
            therapies[i]["progression_date"] = date.isoformat()
            self.map(
                r, "Observation.effective[x]", "", f"therapies[{i}].progression_date", date.isoformat(), note
            )
            if basis:
                therapies[i]["progression_basis"] = basis

    def check_consistency(self, record: dict[str, Any]) -> None:
        therapies = record.get("therapies", [])
        # two CDK4/6 inhibitors running at the same time
        spans = []
        for t in therapies:
            for d in t["drugs"]:
                start = dt.date.fromisoformat(t["start"]) if "start" in t else None
                end = dt.date.fromisoformat(t["end"]) if "end" in t else None
                spans.append((d, start, end))
        cdk = [s for s in spans if s[0] in C.CDK46_INHIBITORS]
        reported: set[frozenset[str]] = set()
        for a in range(len(cdk)):
            for b in range(a + 1, len(cdk)):
                (da, sa, ea), (db, sb, eb) = cdk[a], cdk[b]
                if da == db or frozenset((da, db)) in reported:
                    continue
                overlap = (sa is None or eb is None or sa <= eb) and (sb is None or ea is None or sb <= ea)
                if overlap and (ea is None and eb is None or sa and sb):
                    reported.add(frozenset((da, db)))
                    res = [c.resources[0] for c in self.courses if c.drug in (da, db)]
                    self.conflict(
                        "concurrent_cdk46", f"two CDK4/6 inhibitors at the same time: {da} and {db}", res
                    )
        ongoing: dict[str, int] = {}
        for t in therapies:
            if "end" not in t:
                for d in t["drugs"]:
                    ongoing[d] = ongoing.get(d, 0) + 1
        for d, n in sorted(ongoing.items()):
            if n > 1:
                self.conflict(
                    "duplicate_active",
                    f"{d} is in {n} regimens that are all still ongoing",
                    [c.resources[0] for c in self.courses if c.drug == d],
                )
        biomarkers = record.get("biomarkers", {})
        given = {d for t in therapies for d in t["drugs"]}
        for drug, needs in C.TARGETED_DRUG_BIOMARKER.items():
            if drug in given and not any(biomarkers.get(b) in ("altered", "pathogenic") for b in needs):
                state = (
                    ", ".join(f"{b} {biomarkers[b]}" for b in needs if b in biomarkers)
                    or f"no {' / '.join(needs)} result"
                )
                res = [c.resources[0] for c in self.courses if c.drug == drug]
                self.conflict(
                    "targeted_without_biomarker", f"{drug} is recorded but the bundle has {state}", res
                )
        her2 = record.get("receptors", {})
        her2_pos = (
            her2.get("her2") == "positive"
            or her2.get("her2_ihc") == "3+"
            or her2.get("her2_ish") == "amplified"
        )
        if self.anti_her2 and not her2_pos:
            names = sorted({n for n, _ in self.anti_her2})
            self.conflict(
                "targeted_without_biomarker",
                f"anti-HER2 therapy ({', '.join(names)}) is recorded but HER2 is not positive in the bundle",
                [r for _, r in self.anti_her2],
            )


def map_resources(parsed: ParsedInput, *, drugs: DrugLookup, as_of: dt.date | None) -> FhirImport:
    """Map validated resources to a record plus report (see :func:`reasoner.ingest.fhir.bundle_to_record`)."""
    mapper = _Mapper(parsed, drugs, as_of)
    record = mapper.assemble()
    report = MappingReport(
        tuple(mapper.mapped), tuple(mapper.ignored), tuple(mapper.conflicts), tuple(mapper.missing)
    )
    return FhirImport(record=record, report=report)
