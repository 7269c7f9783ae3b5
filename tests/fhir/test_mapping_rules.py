"""Mapping rules, one small bundle per rule."""

from __future__ import annotations

import datetime as dt

from builders import LOINC, RXN, SCT, bundle, cc, condition, med_statement, obs, patient

from reasoner.ingest.fhir import bundle_to_record

AS_OF = dt.date(2021, 3, 1)


def run(drugs, *resources):
    return bundle_to_record(bundle(patient(), *resources), as_of=AS_OF, drugs=drugs)


def test_patient_basics(drugs):
    rec = run(drugs).record
    # NCCN definition of menopause: age 60 or more is postmenopausal (the rule is reported)
    assert rec == {
        "id": "p1",
        "sex": "female",
        "age": 60,
        "as_of": "2021-03-01",
        "menopausal_status": "postmenopausal",
    }


def test_male_has_no_menopausal_status(drugs):
    rec = bundle_to_record(bundle(patient(gender="male")), as_of=AS_OF, drugs=drugs).record
    assert rec["sex"] == "male" and "menopausal_status" not in rec


def test_loinc_answers_and_percentages(drugs):
    rec = run(
        drugs,
        obs("er", cc(LOINC, "85337-4"), {"valueCodeableConcept": cc(LOINC, "LA6576-8", "Positive")}),
        obs("erp", cc(LOINC, "85329-1"), {"valueQuantity": {"value": 80, "unit": "%"}}),
        obs("pr", cc(LOINC, "85339-0"), {"valueCodeableConcept": cc(LOINC, "LA6577-6", "Negative")}),
        obs("her2", cc(LOINC, "85319-2"), {"valueCodeableConcept": cc(LOINC, "LA11841-6", "1+")}),
    ).record
    assert rec["receptors"] == {
        "er_percent": 80,
        "pr": "negative",
        "her2_ihc": "1+",
        "tested_on": "2020-01-10",
    }


def test_ihc_answer_codes(drugs):
    for la, score in (("LA6111-4", "0"), ("LA11841-6", "1+"), ("LA11842-4", "2+"), ("LA11843-2", "3+")):
        rec = run(drugs, obs("h", cc(LOINC, "85319-2"), {"valueCodeableConcept": cc(LOINC, la)})).record
        assert rec["receptors"]["her2_ihc"] == score
    rec = run(drugs, obs("h", cc(LOINC, "85319-2"), {"valueString": "IHC score 2+"})).record
    assert rec["receptors"]["her2_ihc"] == "2+"
    rec = run(drugs, obs("h", cc(LOINC, "85319-2"), {"valueString": "HER2-ultralow"})).record
    assert rec["receptors"]["her2_ihc"] == "ultralow"


def test_messy_tokens_never_become_negative(drugs):
    for token in ("Equivocal", "Indeterminate", "[Not Evaluated]", "Not done"):
        result = run(
            drugs,
            obs("er", cc(LOINC, "85337-4"), {"valueString": token}),
            obs("pr", cc(LOINC, "16113-3"), {"valueCodeableConcept": cc(None, None, text=token)}),
            obs("ish", cc(LOINC, "85318-4"), {"valueString": token}),
        )
        assert "receptors" not in result.record, token
        assert len([i for i in result.report.ignored if "Observation/" in i.resource]) == 3
    coded = run(
        drugs, obs("er", cc(LOINC, "85337-4"), {"valueCodeableConcept": cc(SCT, "42425007", "Equivocal")})
    )
    assert "receptors" not in coded.record


def test_equivocal_ihc_is_2plus_with_inference_note(drugs):
    result = run(drugs, obs("h", cc(LOINC, "85319-2"), {"valueString": "Equivocal"}))
    assert result.record["receptors"]["her2_ihc"] == "2+"
    assert any(
        m.field == "receptors.her2_ihc" and "equivocal" in m.inferred.lower() for m in result.report.mapped
    )


def test_snomed_qualifiers_and_fish_strings(drugs):
    rec = run(
        drugs,
        obs("er", cc(LOINC, "40556-3"), {"valueCodeableConcept": cc(SCT, "10828004")}),
        obs("h", cc(LOINC, "85319-2"), {"valueCodeableConcept": cc(LOINC, "LA11842-4")}),
        obs("ish", cc(LOINC, "85318-4"), {"valueString": "less than 1.8"}),
    ).record
    assert rec["receptors"]["er"] == "positive" and rec["receptors"]["her2_ish"] == "not_amplified"
    ambiguous = run(drugs, obs("ish", cc(LOINC, "85318-4"), {"valueString": "greater than 1.8"}))
    assert "receptors" not in ambiguous.record


def test_contradicting_receptors_latest_wins_with_conflict(drugs):
    result = run(
        drugs,
        obs("er1", cc(LOINC, "85337-4"), {"valueCodeableConcept": cc(SCT, "10828004")}, date="2018-01-01"),
        obs("er2", cc(LOINC, "85337-4"), {"valueCodeableConcept": cc(SCT, "260385009")}, date="2020-01-01"),
    )
    assert result.record["receptors"]["er"] == "negative"
    assert any(c.kind == "contradiction" and "ER" in c.text for c in result.report.conflicts)
    same_day = run(
        drugs,
        obs("er1", cc(LOINC, "85337-4"), {"valueCodeableConcept": cc(SCT, "10828004")}),
        obs("er2", cc(LOINC, "85337-4"), {"valueCodeableConcept": cc(SCT, "260385009")}),
    )
    assert "receptors" not in same_day.record
    assert any("same date" in c.text for c in same_day.report.conflicts)


def test_her2_status_with_contradicting_ihc_is_a_conflict(drugs):
    result = run(
        drugs,
        obs("h1", cc(LOINC, "85319-2"), {"valueCodeableConcept": cc(LOINC, "LA11843-2")}),
        obs("h2", cc(LOINC, "48676-1"), {"valueCodeableConcept": cc(LOINC, "LA6577-6")}),
    )
    assert result.record["receptors"]["her2_ihc"] == "3+" and "her2" not in result.record["receptors"]
    assert any("HER2" in c.text for c in result.report.conflicts)


def variant(oid, gene, present=True, source=None, significance=None):
    comps = [
        {
            "code": cc(LOINC, "48018-6"),
            "valueCodeableConcept": cc("http://www.genenames.org/geneId", f"HGNC:{gene}"),
        }
    ]
    if source:
        comps.append({"code": cc(LOINC, "48002-0"), "valueCodeableConcept": cc(LOINC, source)})
    if significance:
        comps.append({"code": cc(LOINC, "53037-8"), "valueCodeableConcept": cc(LOINC, significance)})
    return obs(
        oid,
        cc(LOINC, "69548-6"),
        {"valueCodeableConcept": cc(LOINC, "LA9633-4" if present else "LA9634-2")},
        component=comps,
    )


def test_somatic_brca_is_never_gbrca(drugs):
    result = run(drugs, variant("v1", "1101", source="LA6684-0", significance="LA6668-3"))
    assert "biomarkers" not in result.record
    assert any("somatic BRCA2" in i.reason for i in result.report.ignored)


def test_germline_brca_and_palb2(drugs):
    rec = run(
        drugs,
        variant("v1", "1100", source="LA6683-2", significance="LA6668-3"),
        variant("v2", "26144", present=False, source="LA6683-2"),
        variant("v3", "1101"),  # source not coded: not read as germline
    ).record
    assert rec["biomarkers"] == {"gBRCA1": "pathogenic", "gPALB2": "not_detected"}


def test_somatic_genes_and_quantities(drugs):
    rec = run(
        drugs,
        variant("v1", "8975"),
        variant("v2", "391", present=False),
        variant("v3", "9588", significance="LA26333-7"),
        obs("ki", cc(LOINC, "85330-9"), {"valueQuantity": {"value": 25, "unit": "%"}}),
        obs("cps", cc(LOINC, "83052-1"), {"valueQuantity": {"value": 12, "unit": "CPS", "code": "{CPS}"}}),
        obs("sp", cc(LOINC, "83057-0"), {"valueQuantity": {"value": 1, "unit": "%"}}),
        obs("rs", cc("http://www.ncbi.nlm.nih.gov/gtr", "509910"), {"valueQuantity": {"value": 47}}),
        obs("ecog", cc(LOINC, "89247-1"), {"valueCodeableConcept": cc(LOINC, "LA9624-3")}),
    ).record
    assert rec["biomarkers"] == {
        "PIK3CA": "altered",
        "AKT1": "not_detected",
        "pdl1_cps": 12,
        "pdl1_ic_percent": 1,
        "ki67_percent": 25,
        "recurrence_score": 47,
    }
    assert rec["ecog"] == 2


def test_labs_with_unit_conversion(drugs):
    result = run(
        drugs,
        obs("lvef", cc(LOINC, "10230-1"), {"valueQuantity": {"value": 55, "unit": "%"}}),
        obs("qtc", cc(LOINC, "8636-3"), {"valueQuantity": {"value": 0.44, "unit": "s", "code": "s"}}),
        obs("crcl", cc(LOINC, "2164-2"), {"valueQuantity": {"value": 72, "unit": "mL/min"}}),
        obs("a1c", cc(LOINC, "4548-4"), {"valueQuantity": {"value": 6.1, "unit": "%"}}),
        obs("ca", cc(LOINC, "17861-6"), {"valueQuantity": {"value": 2.5, "unit": "mmol/L"}}),
        obs("bazett", cc(LOINC, "76635-2"), {"valueQuantity": {"value": 470, "unit": "ms"}}),
    )
    assert result.record["labs"] == {
        "lvef_percent": 55,
        "qtcf_ms": 440,
        "crcl_ml_min": 72,
        "hba1c_percent": 6.1,
        "calcium_mg_dl": 10.02,
    }
    assert any("QTcF" in m.inferred for m in result.report.mapped if m.field == "labs.qtcf_ms")
    assert any("Bazett" in i.reason for i in result.report.ignored)


def test_menopause_and_comorbidities(drugs):
    rec = run(
        drugs,
        obs("meno", cc(SCT, "161712005"), {"valueCodeableConcept": cc(SCT, "307429007", "After menopause")}),
        condition("dm", cc(SCT, "44054006", "Diabetes mellitus type 2")),
        condition(
            "ild",
            cc(SCT, "233703007"),
            clinicalStatus=cc("http://terminology.hl7.org/CodeSystem/condition-clinical", "resolved"),
        ),
        condition(
            "dvt",
            cc(SCT, "128053003"),
            clinicalStatus=cc("http://terminology.hl7.org/CodeSystem/condition-clinical", "resolved"),
        ),
        condition("onj", cc(None, None, text="Osteonecrosis of the jaw")),
        condition("htn", cc(SCT, "38341003", "Hypertension")),
    ).record
    assert rec["menopausal_status"] == "postmenopausal"
    assert rec["conditions"] == ["diabetes_type2", "history_of_thromboembolism", "osteonecrosis_of_jaw"]


def test_metastatic_sites_dates_and_inferred_therapy_setting(drugs):
    prim = condition("prim", cc(SCT, "254837009"), onsetDateTime="2015-02-01")
    liver = condition("met1", cc(SCT, "94381002"), onsetDateTime="2019-05-01")
    pleura = condition(
        "met2", cc(None, None, text="Secondary malignant neoplasm of pleura"), onsetDateTime="2019-06-01"
    )
    adj = med_statement(
        "m1", cc(RXN, "72965", "letrozole"), effectivePeriod={"start": "2015-04-01", "end": "2019-04-01"}
    )
    met = med_statement("m2", cc(RXN, "1873978"), status="active", effectiveDateTime="2019-05-20")
    met2 = med_statement("m3", cc(RXN, "282357"), status="active", effectiveDateTime="2019-05-20")
    result = run(drugs, prim, liver, pleura, adj, met, met2)
    rec = result.record
    assert rec["setting"] == "metastatic"
    assert rec["metastatic"] == {
        "sites": ["liver", "pleura"],
        "diagnosis_date": "2019-05-01",
        "de_novo": False,
    }
    assert rec["therapies"] == [
        # before the metastatic diagnosis: early-disease therapy, written adjuvant (shared rule)
        {"drugs": ["letrozole"], "start": "2015-04-01", "end": "2019-04-01", "setting": "adjuvant"},
        {"drugs": ["fulvestrant", "ribociclib"], "start": "2019-05-20", "setting": "metastatic"},
    ]
    notes = " ".join(m.inferred for m in result.report.mapped)
    assert "on or after the metastatic diagnosis" in notes and "before the metastatic diagnosis" in notes
    assert not result.report.missing


def test_medication_request_with_group_intent_and_status_reason(drugs):
    def req(rid, drug_code, system=RXN, group="g1", intent_code="373846009"):
        return {
            "resourceType": "MedicationRequest",
            "id": rid,
            "status": "completed",
            "intent": "order",
            "subject": {"reference": "Patient/p1"},
            "medicationCodeableConcept": cc(system, drug_code),
            "groupIdentifier": {"value": group},
            "extension": [
                {
                    "url": "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-treatment-intent",
                    "valueCodeableConcept": cc(SCT, intent_code),
                }
            ],
            "statusReason": cc(SCT, "281647001", "Adverse reaction"),
            "dosageInstruction": [
                {"timing": {"repeat": {"boundsPeriod": {"start": "2018-04-01", "end": "2018-07-01"}}}}
            ],
        }

    rec = run(
        drugs,
        req("r1", "3639"),
        req("r2", "C405", system="http://ncicb.nci.nih.gov/xml/owl/EVS/Thesaurus.owl"),
        req("r3", "486610", group="g2", intent_code="373847000"),
    ).record
    assert rec["therapies"] == [
        {
            "drugs": ["cyclophosphamide", "doxorubicin"],
            "start": "2018-04-01",
            "end": "2018-07-01",
            "setting": "adjuvant",
            "end_reason": "toxicity",
        },
        {
            "drugs": ["nab-paclitaxel"],
            "start": "2018-04-01",
            "end": "2018-07-01",
            "setting": "neoadjuvant",
            "end_reason": "toxicity",
        },
    ]


def test_administrations_collapse_into_one_course(drugs):
    def admin(aid, day):
        return {
            "resourceType": "MedicationAdministration",
            "id": aid,
            "status": "completed",
            "subject": {"reference": "Patient/p1"},
            "medicationCodeableConcept": cc(RXN, "1790099"),
            "effectiveDateTime": day,
        }

    result = run(drugs, admin("a1", "2010-11-23"), admin("a2", "2010-12-12"), admin("a3", "2011-01-02"))
    assert result.record["therapies"] == [
        {"drugs": ["doxorubicin"], "start": "2010-11-23", "end": "2011-01-02"}
    ]
    assert any("last recorded administration" in m.inferred for m in result.report.mapped)


def test_progression_is_linked_to_the_running_regimen(drugs):
    prog = obs(
        "prog",
        cc(LOINC, "97509-4"),
        {"valueCodeableConcept": cc(SCT, "271299001")},
        date="2020-03-01",
        extension=[
            {
                "url": "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-cancer-disease-status-evidence-type",
                "valueCodeableConcept": cc(SCT, "363679005"),
            }
        ],
    )
    med = med_statement(
        "m1",
        cc(RXN, "84857"),
        effectivePeriod={"start": "2019-01-01", "end": "2020-04-01"},
        statusReason=[cc(None, None, text="disease progression")],
    )
    rec = run(drugs, med, prog).record
    assert rec["therapies"][0]["progression_date"] == "2020-03-01"
    assert rec["therapies"][0]["progression_basis"] == ["imaging"]
    assert rec["therapies"][0]["end_reason"] == "progression"


def test_concomitant_and_anti_her2_medications(drugs):
    result = run(
        drugs,
        med_statement("w", cc(RXN, "11289", "warfarin"), status="active"),
        med_statement("t", cc(RXN, "1658084", "ado-trastuzumab emtansine")),
        med_statement("x", cc(RXN, "197361", "amlodipine 5 MG Oral Tablet"), status="active"),
    )
    assert result.record["medications"] == ["warfarin"]
    assert "therapies" not in result.record
    assert any("anti-HER2" in c.text for c in result.report.conflicts)
    assert any("amlodipine" in i.reason for i in result.report.ignored)


def test_subject_of_another_patient_is_ignored(drugs):
    other = obs("er", cc(LOINC, "85337-4"), {"valueCodeableConcept": cc(SCT, "10828004")})
    other["subject"] = {"reference": "Patient/someone-else"}
    result = run(drugs, other)
    assert "receptors" not in result.record
    assert any("another subject" in i.reason for i in result.report.ignored)


def test_early_setting_from_staging(drugs):
    rec = run(
        drugs,
        obs("m", cc(LOINC, "21907-1"), {"valueCodeableConcept": cc(SCT, "1229901006")}),
        obs(
            "t",
            cc(LOINC, "21905-5"),
            {"valueCodeableConcept": cc(SCT, "1228929004", "American Joint Committee on Cancer cT2")},
        ),
        obs("n", cc(LOINC, "21906-3"), {"valueCodeableConcept": cc(SCT, "1229967007")}),
        obs(
            "g", cc(LOINC, "44648-4"), {"valueCodeableConcept": cc(LOINC, "LA27824-4", "Nottingham grade 2")}
        ),
        obs("s", cc(LOINC, "21889-1"), {"valueQuantity": {"value": 2.5, "unit": "cm", "code": "cm"}}),
    ).record
    assert rec["setting"] == "early"
    assert rec["early"] == {"t": "T2", "n": "N0", "grade": 2, "tumor_size_mm": 25}
