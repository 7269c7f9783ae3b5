"""Observation: receptors, HER2, biomarkers, variants, ECOG, labs, staging, disease status, menopause."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from . import codes as C
from .drugs import normalise_text
from .parse import ParsedResource
from .state import _MapperState
from .values import (
    Coding,
    _Candidate,
    _clean_number,
    _codes,
    _codings,
    _first_code,
    _num,
    _obs_date,
    _polarity,
    _profiles,
    _text,
)


class ObservationMapper(_MapperState):
    """Observation: receptors, HER2, biomarkers, variants, ECOG, labs, staging, disease status, menopause."""

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
        if m.dataAbsentReason is not None and sct & C.MENOPAUSE_OBSERVABLE:
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
        if _codes(m.code, "gtr") & C.RECURRENCE_SCORE_GTR or "oncotype" in _text(m.code).lower():
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
                        bool(code_set & C.CLINICAL_M_CATEGORY),
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
