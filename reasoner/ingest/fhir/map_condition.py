"""Condition: the cancer, metastatic sites and comorbidities."""

from __future__ import annotations

import datetime as dt
import re

from . import codes as C
from .parse import ParsedResource
from .state import _MapperState
from .values import (
    Coding,
    _Candidate,
    _codings,
    _first_code,
    _obs_date,
    _profiles,
    _text,
    _to_date,
)


class ConditionMapper(_MapperState):
    """Condition: the cancer, metastatic sites and comorbidities."""

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
                    elif k == "sct" and code in C.LYMPH_NODE_BODY_SITES:
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
