"""MedicationRequest/Statement/Administration: drugs, periods, settings and end reasons."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from reasoner.vocab import UNRESOLVED_MEDICATION_KIND  # the conflict kind the engine fails closed on

from . import codes as C
from .parse import ParsedResource
from .state import _MapperState
from .values import (
    _Candidate,
    _codes,
    _codings,
    _Course,
    _first_code,
    _profiles,
    _text,
    _to_date,
)


class MedicationMapper(_MapperState):
    """MedicationRequest/Statement/Administration: drugs, periods, settings and end reasons."""

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
                if "secondary-cancer-condition" in prof or sct & (set(C.SECONDARY_SITES) - C.REGIONAL_SECONDARY):
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
