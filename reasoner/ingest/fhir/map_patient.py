"""Patient: identity, sex, age, and menopausal status derived where the guideline definition allows."""

from __future__ import annotations

from typing import Any

from reasoner.errors import FhirError

from . import codes as C
from .parse import ParsedResource
from .report import MappingEntry
from .state import _MapperState
from .values import (
    _to_date,
)


class PatientMapper(_MapperState):
    """Patient: identity, sex, age, and menopausal status derived where the guideline definition allows."""

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
