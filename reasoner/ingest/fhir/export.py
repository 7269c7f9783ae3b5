"""A patient record -> a FHIR R4 collection Bundle (mCODE-shaped), the reverse of the mapping.

The round trip record -> bundle -> record is lossless for the fields FHIR can carry (listed in
``docs/fhir-mapping.md``). Dates of decision (``as_of``) are not carried: pass the same ``as_of``
to :func:`reasoner.ingest.fhir.bundle_to_record`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from rdflib import URIRef

from reasoner.terminology import enum_table
from reasoner.vocab import H2N

from . import codes as C

__all__ = ["record_to_bundle"]

# Every clinical code written here (LOINC, SNOMED CT, GTR, HGNC) is the mapping set's export row
# (``ontology/mappings/her2neg-codes.sssom.tsv``, ``export true``) of a patient property, coded value
# or record concept, read through ``C.export_row`` and the views of ``codes.py``
# (``tests/fhir/test_code_tables.py`` checks that this module holds no literal code). What stays
# literal is structural: profile and extension URLs (mCODE, the project's therapy-setting
# extension), code-system URLs, UCUM units, the codes of HL7's own FHIR code systems
# (condition-ver-status ``confirmed``, data-absent-reason ``not-performed`` / ``asked-unknown``)
# and the AJCC stage group written for de novo metastatic disease (``4`` "IV", the
# ``skos:notation`` of ``h2n:stage-4``; AJCC has no code system in the mapping set).
_MCODE = "http://hl7.org/fhir/us/mcode/StructureDefinition/"
#: mCODE verification status code system (HL7 FHIR, structural).
_VER_STATUS = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
#: Code-system key of the mapping set -> the FHIR system URL written.
_SYSTEMS = {"loinc": C.LOINC, "sct": C.SNOMED, "gtr": C.GTR, "hgnc": C.HGNC}


def _cc(system: str | None, code: str | None, display: str = "", text: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    if code:
        coding: dict[str, Any] = {"system": system, "code": code}
        if display:
            coding["display"] = display
        out["coding"] = [coding]
    if text:
        out["text"] = text
    return out


def _coded(subject: URIRef, system: str = "loinc", *, fsn: bool = False, symbol: bool = False) -> dict[str, Any]:
    """The CodeableConcept of ``subject``'s export code in ``system``, with the mapping set's label as
    display: ``fsn`` writes the SNOMED CT fully specified name (label and semantic tag, the row's
    object category), ``symbol`` the last word of the label (the AJCC category symbol of an
    "American Joint Committee on Cancer cM0" concept)."""
    m = C.export_row(subject, system)
    display = f"{m.label} ({m.category})" if fsn else m.label.rsplit(" ", 1)[-1] if symbol else m.label
    return _cc(_SYSTEMS[system], m.code, display)


def _status(value: str) -> URIRef:
    """The receptor status individual of a contract value (``positive``, ``negative``)."""
    return enum_table(H2N.ReceptorStatus).by_code[value]


def _birth_date(age: int, as_of: dt.date) -> str:
    year = as_of.year - age
    try:
        return as_of.replace(year=year).isoformat()
    except ValueError:  # 29 February
        return dt.date(year, 2, 28).isoformat()


class _Builder:
    def __init__(self, record: dict[str, Any]):
        self.record = record
        self.pid = str(record.get("id") or "patient")
        self.entries: list[dict[str, Any]] = []
        self.n = 0

    def add(self, resource: dict[str, Any], prefix: str) -> str:
        self.n += 1
        rid = f"{prefix}-{self.n}"
        resource = {"resourceType": resource.pop("resourceType"), "id": rid, **resource}
        self.entries.append({"fullUrl": f"urn:uuid:{rid}", "resource": resource})
        return f"{resource['resourceType']}/{rid}"

    def subject(self) -> dict[str, str]:
        return {"reference": f"Patient/{self.pid}"}

    def obs(
        self,
        code: dict[str, Any],
        value: dict[str, Any],
        date: str | None = None,
        prefix: str = "obs",
        **extra: Any,
    ) -> str:
        res: dict[str, Any] = {
            "resourceType": "Observation",
            "status": "final",
            "code": code,
            "subject": self.subject(),
        }
        if date:
            res["effectiveDateTime"] = date
        res.update(value)
        res.update(extra)
        return self.add(res, prefix)


def _patient(b: _Builder, record: dict[str, Any]) -> None:
    patient: dict[str, Any] = {
        "resourceType": "Patient",
        "id": b.pid,
        "meta": {"profile": [_MCODE + "mcode-cancer-patient"]},
    }
    if record.get("sex") in ("female", "male"):
        patient["gender"] = record["sex"]
    if isinstance(record.get("age"), int):
        as_of = dt.date.fromisoformat(record["as_of"]) if record.get("as_of") else dt.date.today()
        patient["birthDate"] = _birth_date(record["age"], as_of)
    b.entries.append({"fullUrl": f"urn:uuid:{b.pid}", "resource": patient})


def _disease(b: _Builder, record: dict[str, Any]) -> dict[str, str]:
    setting = record.get("setting")
    met = record.get("metastatic") or {}
    b.add(
        {
            "resourceType": "Condition",
            "meta": {"profile": [_MCODE + "mcode-primary-cancer-condition"]},
            "verificationStatus": _cc(_VER_STATUS, "confirmed"),
            "code": _coded(H2N["condition-breast-cancer"], "sct", fsn=True),
            "subject": b.subject(),
        },
        "primary",
    )
    site_refs: dict[str, str] = {}
    if setting == "metastatic":
        for site in met.get("sites", []):
            code, body = C.SITE_OUT[site]
            cond: dict[str, Any] = {
                "resourceType": "Condition",
                "meta": {"profile": [_MCODE + "mcode-secondary-cancer-condition"]},
                "verificationStatus": _cc(_VER_STATUS, "confirmed"),
                "code": _cc(C.SNOMED, code, text=f"metastasis: {site.replace('_', ' ')}"),
                "subject": b.subject(),
            }
            if body:
                cond["bodySite"] = [
                    _cc(
                        C.SNOMED,
                        body,
                        text="distant lymph nodes"
                        if site == "distant_lymph_nodes"
                        else site.replace("_", " "),
                    )
                ]
            if met.get("diagnosis_date"):
                cond["onsetDateTime"] = met["diagnosis_date"]
            site_refs[site] = b.add(cond, "secondary")
        if met.get("de_novo") is True:
            b.obs(
                _coded(H2N["obs-clinical-stage-group"]),
                {"valueCodeableConcept": _cc(C.AJCC, "4", "IV")},  # structural: see the module comment
                prefix="stage",
            )
        elif met.get("de_novo") is False:
            b.obs(
                _coded(H2N["obs-clinical-m-category"]),
                {"valueCodeableConcept": _coded(H2N["m-m0"], "sct", symbol=True)},
                prefix="stage",
            )
        if not met.get("sites") and met.get("de_novo") is not True:
            b.obs(
                _coded(H2N["obs-pathological-m-category"]),
                {"valueCodeableConcept": _coded(H2N["m-m1"], "sct", symbol=True)},
                prefix="stage",
            )
    elif setting == "early":
        b.obs(
            _coded(H2N["obs-clinical-m-category"]),
            {"valueCodeableConcept": _coded(H2N["m-m0"], "sct", symbol=True)},
            prefix="stage",
        )
        early = record.get("early") or {}
        if early.get("t"):
            b.obs(
                _coded(H2N.tCategory),
                {"valueCodeableConcept": _cc(None, None, text=f"c{early['t']}")},
                prefix="tnm",
            )
        if early.get("n"):
            b.obs(
                _coded(H2N.nCategory),
                {"valueCodeableConcept": _cc(None, None, text=f"c{early['n']}")},
                prefix="tnm",
            )
        if early.get("grade"):
            b.obs(
                _coded(H2N.grade),
                {"valueCodeableConcept": _cc(None, None, text=f"Nottingham grade {early['grade']}")},
                prefix="grade",
            )
        if early.get("tumor_size_mm") is not None:
            b.obs(
                _coded(H2N.tumorSizeMm),
                {
                    "valueQuantity": {
                        "value": early["tumor_size_mm"],
                        "unit": "mm",
                        "system": C.UCUM,
                        "code": "mm",
                    }
                },
                prefix="size",
            )
    return site_refs


def _receptors(b: _Builder, rec: dict[str, Any]) -> None:
    date = rec.get("tested_on")

    def qual(prop: URIRef, value: str) -> None:
        b.obs(_coded(prop), {"valueCodeableConcept": _coded(_status(value))}, date, "marker")

    def pct(prop: URIRef, value: float) -> None:
        b.obs(
            _coded(prop),
            {"valueQuantity": {"value": value, "unit": "%", "system": C.UCUM, "code": "%"}},
            date,
            "marker",
        )

    if "er_percent" in rec:
        pct(H2N.erPercent, rec["er_percent"])
    if "er" in rec:
        qual(H2N.erStatus, rec["er"])
    if "pr_percent" in rec:
        pct(H2N.prPercent, rec["pr_percent"])
    if "pr" in rec:
        qual(H2N.prStatus, rec["pr"])
    if "her2_ihc" in rec:
        ihc = rec["her2_ihc"]
        la = {v: k for k, v in C.IHC_ANSWERS.items()}.get(ihc)
        value = {"valueCodeableConcept": _cc(C.LOINC, la, ihc)} if la else {"valueString": "ultralow"}
        b.obs(
            _coded(H2N.her2IhcScore),
            value,
            date,
            "marker",
        )
    if "her2_ish" in rec:
        code = _coded(H2N.her2IshResult)
        if rec["her2_ish"] == "not_done":
            value = {
                "dataAbsentReason": _cc(
                    "http://terminology.hl7.org/CodeSystem/data-absent-reason", "not-performed"
                )
            }
        else:
            pos = rec["her2_ish"] == "amplified"
            answer = C.export_row(_status("positive" if pos else "negative"), "sct")
            value = {
                "valueCodeableConcept": _cc(C.SNOMED, answer.code, text="amplified" if pos else "not amplified")
            }
        b.obs(code, value, date, "marker")
    if "her2" in rec:
        qual(H2N.her2Status, rec["her2"])


def _biomarkers(b: _Builder, bio: dict[str, Any]) -> None:
    for fld in ("PIK3CA", "AKT1", "PTEN", "ESR1", "gBRCA1", "gBRCA2", "gPALB2"):
        if fld not in bio:
            continue
        gene = fld[1:] if fld.startswith("g") else fld
        comps = [
            {
                "code": _coded(H2N["obs-gene-studied"]),
                "valueCodeableConcept": _cc(C.HGNC, f"HGNC:{C.GENE_IDS[gene]}", gene),
            }
        ]
        if fld.startswith("g"):
            comps.append(
                {
                    "code": _coded(H2N["obs-genomic-source-class"]),
                    "valueCodeableConcept": _coded(H2N["answer-germline"]),
                }
            )
        value = bio[fld]
        if value == "not_tested":
            val: dict[str, Any] = {
                "dataAbsentReason": _cc(
                    "http://terminology.hl7.org/CodeSystem/data-absent-reason", "not-performed"
                )
            }
        elif value == "not_detected":
            val = {"valueCodeableConcept": _coded(H2N["biomarker-not-detected"])}
        else:
            val = {"valueCodeableConcept": _coded(H2N["answer-variant-present"])}
            if value == "pathogenic":
                comps.append(
                    {
                        "code": _coded(H2N["obs-variant-clinical-significance"]),
                        "valueCodeableConcept": _coded(H2N["biomarker-pathogenic"]),
                    }
                )
        b.obs(_coded(H2N["obs-genetic-variant-assessment"]), val, prefix="variant", component=comps)
    quantities = {
        "pdl1_cps": (_coded(H2N.pdl1Cps), "{CPS}", "CPS"),
        "pdl1_ic_percent": (_coded(H2N.pdl1IcPercent), "%", "%"),
        "ki67_percent": (_coded(H2N.ki67Percent), "%", "%"),
        "recurrence_score": (_coded(H2N.recurrenceScore, "gtr"), "1", "Recurrence score"),
    }
    for fld, (code, ucum, unit) in quantities.items():
        if fld in bio:
            b.obs(
                code,
                {"valueQuantity": {"value": bio[fld], "unit": unit, "system": C.UCUM, "code": ucum}},
                prefix="marker",
            )


def _therapies(b: _Builder, therapies: list[dict[str, Any]], site_refs: dict[str, str]) -> None:
    for i, t in enumerate(therapies):
        group = f"regimen-{i + 1}"
        refs = []
        for drug in t.get("drugs", []):
            req: dict[str, Any] = {
                "resourceType": "MedicationRequest",
                "meta": {"profile": [_MCODE + "mcode-cancer-related-medication-request"]},
                "status": "completed" if "end" in t else "active",
                "intent": "order",
                "groupIdentifier": {"value": group},
                "medicationCodeableConcept": _cc(None, None, text=drug),
                "subject": b.subject(),
            }
            exts = []
            if t.get("setting"):
                exts.append({"url": C.EXT_THERAPY_SETTING, "valueCode": t["setting"]})
                if t["setting"] in C.SETTING_INTENT_OUT:
                    exts.append(
                        {
                            "url": _MCODE + "mcode-treatment-intent",
                            "valueCodeableConcept": _cc(C.SNOMED, C.SETTING_INTENT_OUT[t["setting"]]),
                        }
                    )
            if exts:
                req["extension"] = exts
            bounds = {k: t[k] for k in ("start", "end") if k in t}
            if bounds:
                req["dosageInstruction"] = [{"timing": {"repeat": {"boundsPeriod": bounds}}}]
            if t.get("end_reason") and "end" in t:
                code, text = C.END_REASON_OUT[t["end_reason"]]
                req["statusReason"] = _cc(C.SNOMED, code, text=text) if code else _cc(None, None, text=text)
            refs.append(b.add(req, "medreq"))
        if t.get("progression_date"):
            exts = [
                {
                    "url": _MCODE + "mcode-cancer-disease-status-evidence-type",
                    "valueCodeableConcept": _cc(
                        C.SNOMED, C.BASIS_OUT.get(basis), text=basis.replace("_", " ")
                    ),
                }
                for basis in t.get("progression_basis", [])
            ]
            res: dict[str, Any] = {
                "resourceType": "Observation",
                "meta": {"profile": [_MCODE + "mcode-cancer-disease-status"]},
                "status": "final",
                "code": _coded(H2N["obs-cancer-disease-status"]),
                "subject": b.subject(),
                "effectiveDateTime": t["progression_date"],
                "valueCodeableConcept": _coded(H2N["answer-disease-progressing"], "sct", fsn=True),
                "extension": exts,
                "focus": [{"reference": r} for r in refs],
            }
            if not exts:
                del res["extension"]
            b.add(res, "status")


def record_to_bundle(record: dict[str, Any]) -> dict[str, Any]:
    """A collection Bundle (plain dict, FHIR R4 JSON) carrying ``record``'s FHIR-expressible facts.

    ``record`` is assumed valid against the patient-record contract; keys FHIR cannot carry
    (visceral crisis flags, locoregional recurrence, specimen, ``x_`` extensions) are left out.
    """
    b = _Builder(record)
    _patient(b, record)
    site_refs = _disease(b, record)
    status = record.get("menopausal_status")
    if status in C.MENOPAUSE_OUT:
        b.obs(
            _coded(H2N.menopausalStatus, "sct"),
            {"valueCodeableConcept": _cc(C.SNOMED, C.MENOPAUSE_OUT[status], status)},
            prefix="menopause",
        )
    elif status == "unknown":  # assessed and recorded unknown: not to be derived again on import
        b.obs(
            _coded(H2N.menopausalStatus, "sct"),
            {"dataAbsentReason": _cc(C.DATA_ABSENT_REASON, "asked-unknown", "Asked But Unknown")},
            prefix="menopause",
        )
    if "ecog" in record:
        b.obs(
            _coded(H2N.ecog),
            {"valueInteger": record["ecog"]},
            prefix="ecog",
        )
    _receptors(b, record.get("receptors") or {})
    _biomarkers(b, record.get("biomarkers") or {})
    for name in record.get("conditions", []):
        code = C.CONDITION_OUT.get(name)
        cc = (
            _cc(C.SNOMED, code, text=name.replace("_", " "))
            if code
            else _cc(None, None, text=C.CONDITION_TEXT_OUT[name])
        )
        b.add(
            {
                "resourceType": "Condition",
                "verificationStatus": _cc(_VER_STATUS, "confirmed"),
                "code": cc,
                "subject": b.subject(),
            },
            "condition",
        )
    for fld, value in (record.get("labs") or {}).items():
        loinc, display, unit = C.LAB_LOINC_OUT[fld]
        b.obs(
            _cc(C.LOINC, loinc, display),
            {"valueQuantity": {"value": value, "unit": unit, "system": C.UCUM, "code": unit}},
            prefix="lab",
        )
    for name in record.get("medications", []):
        b.add(
            {
                "resourceType": "MedicationStatement",
                "status": "active",
                "medicationCodeableConcept": _cc(None, None, text=name),
                "subject": b.subject(),
            },
            "comed",
        )
    _therapies(b, record.get("therapies") or [], site_refs)
    return {"resourceType": "Bundle", "type": "collection", "entry": b.entries}
