"""Assembly: the chosen candidates written as a record of the contract (setting, receptors, therapy lines)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from reasoner.ingest.therapy_setting import derive_setting, missing_for_setting

from . import codes as C
from .parse import ParsedResource
from .report import MissingEntry
from .state import _MapperState
from .values import (
    ADMIN_COURSE_GAP_DAYS,
    ADMIN_ONGOING_DAYS,
    DE_NOVO_WINDOW_DAYS,
    REGIMEN_WINDOW_DAYS,
    _Candidate,
    _Course,
)


class Assembly(_MapperState):
    """Assembly: the chosen candidates written as a record of the contract (setting, receptors, therapy lines)."""

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
