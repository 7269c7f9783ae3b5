"""Procedure and specimen: surgery, radiotherapy, oophorectomy, the biopsied specimen."""

from __future__ import annotations

import datetime as dt
from typing import Any

from . import codes as C
from .parse import ParsedResource
from .state import _MapperState
from .values import (
    _Candidate,
    _codes,
    _first_code,
    _profiles,
    _text,
    _to_date,
)


class ProcedureMapper(_MapperState):
    """Procedure and specimen: surgery, radiotherapy, oophorectomy, the biopsied specimen."""

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
