"""FDA statuses checked against the US labels (Verzenio, Ibrance, Faslodex prescribing information;
sources in ontology/sources-regulatory.ttl). Expectations are written from the label wording:

- Faslodex: fulvestrant *monotherapy* is indicated for postmenopausal women only, so the variant for
  pre/perimenopausal women with ovarian suppression and for men is outside the label.
- Verzenio: with fulvestrant after progression following endocrine therapy (approved 28 September
  2017; "adult patients"), which covers progression after a CDK4/6 inhibitor; monotherapy after
  endocrine therapy and prior chemotherapy for metastatic disease (28 September 2017).
- Ibrance: with an aromatase inhibitor in postmenopausal women or in men, not in pre/perimenopausal
  women: no single status fits the LHRH-agonist variant, so it is never shown as "approved".
"""

from __future__ import annotations

import pytest


def _fda(kb, code: str, ofs: bool = False):
    rec_id = "rec-" + code.lower() + ("-ofs" if ofs else "")
    rules = [r for r in kb.rules.values() if r.id == rec_id]
    assert len(rules) == 1 and rules[0].code == code, rec_id
    fda = [a for a in rules[0].approvals if a["agency"] == "FDA"]
    assert len(fda) == 1
    return fda[0]


def test_fulvestrant_monotherapy_with_ovarian_suppression_is_outside_the_us_label(kb):
    assert _fda(kb, "M-HR-08", ofs=True)["status"] == "not_approved"
    assert _fda(kb, "M-HR-08")["status"] == "approved"  # postmenopausal women: on label


@pytest.mark.parametrize("code", ["M-HR-15", "M-HR-24"])
def test_abemaciclib_indications_of_september_2017(kb, code):
    approval = _fda(kb, code)
    assert (approval["status"], approval["date"]) == ("approved", "2017-09-28")


def test_abemaciclib_adult_patient_wording_covers_the_ovarian_suppression_variants(kb):
    for code in ("M-HR-03", "M-HR-15"):
        approval = _fda(kb, code, ofs=True)
        assert approval["status"] == "approved"
        assert approval["date"] is None  # the date of the "adult patients" wording is not verified


def test_palbociclib_with_an_aromatase_inhibitor_is_not_labelled_for_premenopausal_women(kb):
    assert _fda(kb, "M-HR-02", ofs=True)["status"] != "approved"
