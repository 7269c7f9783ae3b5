"""Menopausal status unknown, and relapse on adjuvant tamoxifen before menopause.

ESO-ESMO ABC: with adequate ovarian function suppression (an LHRH agonist), pre- and postmenopausal
women are treated alike, so the LHRH-agonist regimens are safe whatever the status; tamoxifen works
in both. MONALEESA-7 (Tripathy et al. 2018): ribociclib + goserelin + NSAI or tamoxifen as first line
in premenopausal women; adjuvant endocrine therapy was permitted, so relapse on adjuvant tamoxifen
does not exclude an aromatase-inhibitor partner (only relapse on/within 12 months of an adjuvant AI
makes fulvestrant the partner).
"""

from __future__ import annotations

from tests.clinical.make_cases import ADJ_AI_ON, ADJ_TAM_ON, RELAPSE, early, metastatic

LHRHA = {"goserelin", "leuprorelin", "triptorelin"}
AIS = {"anastrozole", "letrozole", "exemestane"}


def run(kb, record):
    return kb.recommend({"id": "meno", **record}).to_dict()


def options(result):
    return [[set(c["drugs"]) for c in o["components"]] for o in result["options"]]


def has_ofs_ai_cdk(result):
    return any(any(c <= LHRHA for c in comps) and any(c & AIS for c in comps)
               and any(c & {"palbociclib", "ribociclib", "abemaciclib"} for c in comps) for comps in options(result))


def test_unknown_status_offers_lhrh_agonist_regimens_not_nothing(kb):
    r = run(kb, metastatic(age=50, menopausal_status="unknown"))
    assert has_ofs_ai_cdk(r)
    assert "ASSESS_MENOPAUSAL_STATUS" in {a["code"] for a in r["advice"]}
    # every endocrine option carries an LHRH agonist: nothing that needs postmenopausal status alone
    for comps in options(r):
        if any(c & (AIS | {"fulvestrant", "tamoxifen"}) for c in comps):
            assert any(c <= LHRHA for c in comps)
            assert any("Menopausal status not known" in c for o in r["options"] for c in o["cautions"])
    assert "rec-m-hr-01" not in {o["id"] for o in r["options"]}  # the AI-alone partner needs the status


def test_unknown_status_early_disease_offers_tamoxifen_or_ofs(kb):
    r = run(kb, early(age=48, menopausal_status="unknown"))
    drugs = {d for o in r["options"] for c in o["components"] for d in c["drugs"]}
    assert drugs & {"tamoxifen", "exemestane"}
    assert drugs & LHRHA
    known_post = run(kb, early(age=48, menopausal_status="postmenopausal"))
    assert "rec-e-hr-02a" not in {o["id"] for o in known_post["options"]}


def test_relapse_on_adjuvant_tamoxifen_premenopausal_gets_ai_lhrh_cdk46(kb):
    r = run(kb, metastatic(age=42, menopausal_status="premenopausal", metastatic=RELAPSE, therapies=[ADJ_TAM_ON]))
    assert has_ofs_ai_cdk(r)
    # relapse on an adjuvant aromatase inhibitor: fulvestrant is the partner, not an AI
    on_ai = run(kb, metastatic(age=42, menopausal_status="premenopausal", metastatic=RELAPSE,
                               therapies=[{**ADJ_AI_ON, "drugs": ["goserelin", "anastrozole"]}]))
    assert not has_ofs_ai_cdk(on_ai)
