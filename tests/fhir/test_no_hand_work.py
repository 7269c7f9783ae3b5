"""FHIR with no hand work (issue 13): what the bundle lacks is derived by a stated rule or named in
the report, never silently left to make an invalid record.

Clinical rules checked here, from their sources:
- NCCN definition of menopause (ontology source S50): prior bilateral oophorectomy, or age 60 or
  more, is postmenopausal; menopausal status cannot be assigned while an LHRH agonist is given;
  below 60 without those facts it needs amenorrhoea history and FSH/oestradiol (stays unknown).
- A qualitative HER2 IHC result "Negative" (LOINC 85319-2, SNOMED 260385009) is a HER2 status
  without a score: ``her2: negative`` (the contract's status-only field), never an IHC score.
- Neoadjuvant therapy is given before the breast surgery, adjuvant after it.
"""

from __future__ import annotations

import datetime as dt

from builders import LOINC, RXN, SCT, bundle, cc, condition, med_statement, obs, patient

from reasoner.ingest.fhir import bundle_to_record

AS_OF = dt.date(2021, 3, 1)


def run(drugs, *resources, birth="1960-05-01"):
    return bundle_to_record(bundle(patient(birth=birth), *resources), as_of=AS_OF, drugs=drugs)


def procedure(pid, code, date="2020-01-15", **extra):
    return {"resourceType": "Procedure", "id": pid, "status": "completed", "code": code,
            "subject": {"reference": "Patient/p1"}, "performedDateTime": date, **extra}


def meno_entry(result):
    return next(m for m in result.report.mapped if m.field == "menopausal_status")


def test_age_60_or_more_is_postmenopausal_with_the_rule_stated(drugs):
    result = run(drugs, birth="1955-01-01")  # 66 on 2021-03-01
    assert result.record["menopausal_status"] == "postmenopausal"
    entry = meno_entry(result)
    assert "NCCN" in entry.inferred and "66" in entry.inferred
    assert any(w["code"] == "FHIR_DERIVED" for w in result.report.warnings())


def test_under_60_without_oophorectomy_stays_unknown(drugs):
    result = run(drugs, birth="1970-01-01")  # 51
    assert result.record["menopausal_status"] == "unknown"
    assert "FSH" in meno_entry(result).inferred
    assert not any(w["code"] == "FHIR_DERIVED" for w in result.report.warnings())


def test_bilateral_oophorectomy_is_postmenopausal_at_any_age(drugs):
    bso = procedure("bso", cc(SCT, "1234", text="Bilateral salpingo-oophorectomy"), date="2019-03-01")
    result = run(drugs, bso, birth="1975-01-01")  # 46
    assert result.record["menopausal_status"] == "postmenopausal"
    assert "oophorectomy" in meno_entry(result).inferred


def test_unilateral_oophorectomy_is_not_menopause(drugs):
    uso = procedure("uso", cc(None, None, text="Left oophorectomy"))
    result = run(drugs, uso, birth="1975-01-01")
    assert result.record["menopausal_status"] == "unknown"
    assert any("not stated bilateral" in i.reason for i in result.report.ignored)


def test_not_assigned_while_an_lhrh_agonist_is_given(drugs):
    gos = med_statement("g", cc(RXN, "50610", "goserelin"), status="active", effectiveDateTime="2020-06-01")
    result = run(drugs, gos, birth="1955-01-01")  # 66, but on goserelin
    assert result.record["menopausal_status"] == "unknown"
    assert "LHRH" in meno_entry(result).inferred


def test_qualitative_her2_ihc_negative_is_her2_negative(drugs):
    her2 = obs("h", cc(LOINC, "85319-2"), {"valueCodeableConcept": cc(SCT, "260385009", "Negative")})
    rec = run(drugs, her2).record
    assert rec["receptors"]["her2"] == "negative" and "her2_ihc" not in rec["receptors"]


def test_surgery_maps_and_places_therapy_before_or_after_it(drugs):
    stage = obs("st", cc(LOINC, "21908-9"), {"valueCodeableConcept": cc(SCT, "1222769001", "Stage IIB")})
    lump = procedure("s", cc(SCT, "392021009", "Lumpectomy of breast"), date="2020-05-01")
    neo = med_statement("c1", cc(RXN, "56946", "paclitaxel"),
                        effectivePeriod={"start": "2020-01-10", "end": "2020-04-01"})
    adj = med_statement("e1", cc(RXN, "72965", "letrozole"), status="active", effectiveDateTime="2020-06-01")
    result = run(drugs, stage, lump, neo, adj)
    rec = result.record
    assert rec["setting"] == "early"
    assert rec["early"]["surgery"] == "breast_conserving"
    assert [(t["drugs"], t["setting"]) for t in rec["therapies"]] == [
        (["paclitaxel"], "neoadjuvant"), (["letrozole"], "adjuvant")]
    assert not [m for m in result.report.missing if m.field.startswith("therapies")]
    # no T/N in this bundle: early holds what is known, and the report names the rest
    assert {m.field for m in result.report.missing} == {"early.t", "early.n"}


def test_radiotherapy_is_reported(drugs):
    rt = procedure("rt", cc(SCT, "33195004", "External beam radiation therapy procedure"))
    result = run(drugs, rt)
    assert any(m.field == "(radiotherapy)" for m in result.report.mapped)


def test_specimen_of_the_receptor_result(drugs):
    spec = {"resourceType": "Specimen", "id": "sp", "subject": {"reference": "Patient/p1"},
            "collection": {"bodySite": cc(SCT, "10200004", "Liver structure")}}
    er = obs("er", cc(LOINC, "85337-4"), {"valueCodeableConcept": cc(LOINC, "LA6576-8")},
             specimen={"reference": "Specimen/sp"})
    rec = run(drugs, spec, er).record
    assert rec["receptors"]["specimen"] == "metastasis"
    breast = dict(spec, collection={"bodySite": cc(SCT, "80248007", "Left breast structure")})
    assert run(drugs, breast, er).record["receptors"]["specimen"] == "primary"


def test_missing_disease_setting_is_named(drugs):
    result = run(drugs, obs("er", cc(LOINC, "85337-4"), {"valueCodeableConcept": cc(LOINC, "LA6576-8")}))
    assert "setting" not in result.record
    missing = {m.field: m.needs for m in result.report.missing}
    assert "setting" in missing and "stage" in missing["setting"]
    assert result.report.to_dict()["missing"][0]["field"] == "setting"


def test_underivable_therapy_setting_is_named(drugs):
    met = condition("m", cc(SCT, "94381002", "Secondary malignant neoplasm of liver"))  # no onset date
    m0 = obs("m0", cc(LOINC, "21907-1"), {"valueCodeableConcept": cc(SCT, "1229901006")})  # cM0: not de novo
    tam = med_statement("t", cc(RXN, "10324", "tamoxifen"), effectivePeriod={"start": "2018-01-01", "end": "2019-01-01"})
    result = run(drugs, met, m0, tam)
    assert result.record["setting"] == "metastatic"
    assert "setting" not in result.record["therapies"][0]
    missing = {m.field: m.needs for m in result.report.missing}
    assert "metastatic.diagnosis_date" in missing
    assert "therapies[0].setting" in missing and "tamoxifen" in missing["therapies[0].setting"]
