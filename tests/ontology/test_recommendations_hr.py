"""Structure and content checks for the metastatic HR-positive/HER2-negative knowledge.

Covers ontology/sources.ttl, ontology/regimens.ttl and
ontology/recommendations-metastatic-hr.ttl (with core, states and roles), using rdflib SPARQL.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import rdflib
from rdflib import Namespace

ONTOLOGY = Path(__file__).resolve().parents[2] / "ontology"
H2N = Namespace("https://w3id.org/her2neg/kb/")
FILES = ("core.ttl", "states.ttl", "roles.ttl", "sources.ttl", "regimens.ttl", "recommendations-metastatic-hr.ttl",
         "sources-regulatory.ttl", "contraindications.ttl")  # the last two: sources drugs.ttl cites
PREFIXES = """
PREFIX h2n: <https://w3id.org/her2neg/kb/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dcterms: <http://purl.org/dc/terms/>
"""

# Until drugs.ttl is loaded, the class membership needed for the no-mixing check is hard-coded.
ENDOCRINE_DRUGS = {
    "tamoxifen", "toremifene", "anastrozole", "letrozole", "exemestane", "goserelin", "leuprorelin",
    "triptorelin", "fulvestrant", "elacestrant", "imlunestrant", "camizestrant", "vepdegestrant",
}
CYTOTOXIC_DRUGS = {
    "doxorubicin", "epirubicin", "pegylated-liposomal-doxorubicin", "paclitaxel", "nab-paclitaxel",
    "docetaxel", "capecitabine", "fluorouracil", "vinorelbine", "gemcitabine", "eribulin",
    "carboplatin", "cisplatin", "cyclophosphamide", "methotrexate",
}


@pytest.fixture(scope="module")
def kb() -> rdflib.Graph:
    graph = rdflib.Graph()
    for name in FILES:
        graph.parse(ONTOLOGY / name, format="turtle")
    drugs = ONTOLOGY / "drugs.ttl"
    if drugs.exists():
        graph.parse(drugs, format="turtle")
    return graph


def rows(kb: rdflib.Graph, query: str) -> list:
    return list(kb.query(PREFIXES + query))


def local(iri) -> str:
    return str(iri).removeprefix(str(H2N))


def test_hr_recommendations_exist(kb):
    recs = rows(kb, "SELECT ?r WHERE { ?r a h2n:Recommendation ; h2n:forSubtype h2n:state-hr-positive-her2-negative }")
    assert len(recs) >= 26


@pytest.mark.parametrize(
    "prop",
    ["h2n:recommendsRegimen", "h2n:forSetting", "h2n:forSubtype", "h2n:hasCriterion", "h2n:hasEvidence",
     "dcterms:source", "h2n:currentTo", "h2n:intent", "h2n:preference", "h2n:lineLabel", "h2n:rank",
     "h2n:rationale", "h2n:recommendationCode", "rdfs:label", "skos:definition"],
)
def test_every_recommendation_has(kb, prop):
    missing = rows(kb, f"SELECT ?r WHERE {{ ?r a h2n:Recommendation . FILTER NOT EXISTS {{ ?r {prop} ?v }} }}")
    assert not missing, f"recommendations without {prop}: {[local(r[0]) for r in missing]}"


def test_recommendation_targets_exist(kb):
    dangling = rows(kb, """SELECT ?r ?x WHERE {
        ?r a h2n:Recommendation .
        { ?r h2n:recommendsRegimen ?x . FILTER NOT EXISTS { ?x a h2n:Regimen } }
        UNION { ?r h2n:hasCriterion ?x . FILTER NOT EXISTS { ?x a ?k . ?k rdfs:subClassOf h2n:Criterion } }
        UNION { ?r dcterms:source ?x . FILTER NOT EXISTS { ?x a h2n:Source } }
        UNION { ?r h2n:hasEvidence ?x . FILTER NOT EXISTS { ?x h2n:evidenceSource/a h2n:Source } }
    }""")
    assert not dangling, [(local(r), local(x)) for r, x in dangling]


def test_hr_scope_is_metastatic_hr_positive(kb):
    wrong = rows(kb, """SELECT ?r WHERE { ?r a h2n:Recommendation ; h2n:recommendationCode ?c .
        FILTER(STRSTARTS(?c, "M-HR-"))
        FILTER NOT EXISTS { ?r h2n:forSetting h2n:setting-metastatic ; h2n:forSubtype h2n:state-hr-positive-her2-negative } }""")
    assert not wrong


def test_every_criterion_has_kind_fail_and_missing_text(kb):
    bad = rows(kb, """SELECT DISTINCT ?c WHERE { ?r h2n:hasCriterion ?c .
        FILTER NOT EXISTS {
            ?c a ?k ; h2n:failText ?f ; h2n:missingText ?m ; rdfs:label ?l ; skos:definition ?d .
            VALUES ?k { h2n:StateCriterion h2n:NumericCriterion h2n:ExposureCriterion h2n:UnknownFacetCriterion } } }""")
    assert not bad, [local(c[0]) for c in bad]


def test_criterion_fields_match_kind(kb):
    bad = rows(kb, """SELECT DISTINCT ?c WHERE {
        { ?c a h2n:StateCriterion . FILTER NOT EXISTS { ?c h2n:state/a h2n:PatientState } }
        UNION { ?c a h2n:NumericCriterion . FILTER NOT EXISTS { ?c h2n:quantity ?q }
                FILTER NOT EXISTS { ?c h2n:minInclusive|h2n:maxInclusive|h2n:minExclusive|h2n:maxExclusive ?b } }
        UNION { ?c a h2n:ExposureCriterion . FILTER NOT EXISTS { ?c h2n:exposureKind ?k } }
        UNION { ?c a h2n:ExposureCriterion . FILTER NOT EXISTS { ?c h2n:appliesToDrugClass|h2n:exposureDrug ?x } }
    }""")
    assert not bad, [local(c[0]) for c in bad]


def test_negated_criteria_with_unknown_caution_are_negated(kb):
    bad = rows(kb, "SELECT ?c WHERE { ?c h2n:unknownCaution ?t . FILTER NOT EXISTS { ?c h2n:negated true } }")
    assert not bad


def test_every_regimen_component_has_role_and_drug(kb):
    bad = rows(kb, """SELECT ?reg ?c WHERE { ?reg a h2n:Regimen ; h2n:hasComponent ?c .
        FILTER NOT EXISTS { ?c h2n:drugOption ?d ; h2n:role ?role . ?role a h2n:TherapeuticRole } }""")
    assert not bad, [(local(r), local(c)) for r, c in bad]
    empty = rows(kb, "SELECT ?reg WHERE { ?reg a h2n:Regimen . FILTER NOT EXISTS { ?reg h2n:hasComponent ?c } }")
    assert not empty


def test_no_regimen_mixes_endocrine_and_cytotoxic(kb):
    mixed = []
    for (reg,) in rows(kb, "SELECT ?reg WHERE { ?reg a h2n:Regimen }"):
        drugs = {
            local(d).removeprefix("drug-")
            for comp in kb.objects(reg, H2N.hasComponent)
            for d in kb.objects(comp, H2N.drugOption)
        }
        if drugs & ENDOCRINE_DRUGS and drugs & CYTOTOXIC_DRUGS:
            mixed.append(local(reg))
    assert not mixed


def test_no_regimen_mixes_endocrine_and_cytotoxic_classes(kb):
    """The same check by drug class."""
    mixed = rows(kb, """SELECT DISTINCT ?reg WHERE {
        ?reg h2n:hasComponent/h2n:drugOption ?e . ?e a/rdfs:subClassOf* h2n:EndocrineTherapy .
        ?reg h2n:hasComponent/h2n:drugOption ?c . ?c a/rdfs:subClassOf* h2n:CytotoxicChemotherapy }""")
    assert not mixed, [local(r[0]) for r in mixed]


def test_referenced_drugs_and_classes_exist(kb):
    missing = rows(kb, """SELECT DISTINCT ?d WHERE { { ?c h2n:drugOption ?d } UNION { ?c h2n:exposureDrug ?d }
        FILTER NOT EXISTS { ?d a/rdfs:subClassOf* h2n:Drug } }""")
    assert not missing, [local(d[0]) for d in missing]
    classes = rows(kb, """SELECT DISTINCT ?k WHERE { ?c h2n:appliesToDrugClass ?k . FILTER NOT EXISTS { ?k rdfs:subClassOf* h2n:Drug } }""")
    assert not classes, [local(k[0]) for k in classes]


def test_ribociclib_never_with_tamoxifen(kb):
    bad = rows(kb, """SELECT ?reg WHERE { ?reg h2n:hasComponent/h2n:drugOption h2n:drug-ribociclib ;
        h2n:hasComponent/h2n:drugOption h2n:drug-tamoxifen }""")
    assert not bad


def test_ofs_regimens_only_for_pre_or_male(kb):
    """Regimens with an LHRH agonist go to pre/perimenopausal women or men; the others never do."""
    for rec, reg in rows(kb, "SELECT ?r ?reg WHERE { ?r a h2n:Recommendation ; h2n:recommendsRegimen ?reg }"):
        has_ofs = bool(rows(kb, f"ASK {{ <{reg}> h2n:hasComponent/h2n:role h2n:role-ofs }}")[0])
        states = {local(s) for (s,) in rows(kb, f"""SELECT ?s WHERE {{ <{rec}> h2n:hasCriterion ?c .
            ?c a h2n:StateCriterion ; h2n:state ?s . FILTER NOT EXISTS {{ ?c h2n:negated true }} }}""")}
        if has_ofs:
            assert states & {"state-premenopausal", "state-male"}, local(rec)
            assert "state-postmenopausal" not in states, local(rec)
        elif states & {"state-premenopausal"}:
            pytest.fail(f"{local(rec)}: premenopausal patients need a regimen with an LHRH agonist")


def test_endocrine_recommendations_exclude_visceral_crisis(kb):
    """Every regimen with endocrine therapy requires the absence of visceral crisis (ABC4 I/A)."""
    endocrine = " ".join(f"h2n:drug-{d}" for d in sorted(ENDOCRINE_DRUGS))
    bad = rows(kb, f"""SELECT DISTINCT ?r WHERE {{ ?r a h2n:Recommendation ; h2n:recommendsRegimen/h2n:hasComponent/h2n:drugOption ?d .
        VALUES ?d {{ {endocrine} }}
        FILTER NOT EXISTS {{ ?r h2n:hasCriterion ?c . ?c h2n:negated true ; h2n:state h2n:state-visceral-crisis ; h2n:unknownCaution ?t }} }}""")
    assert not bad, [local(r[0]) for r in bad]


def test_evidence_and_approvals_are_sourced(kb):
    bad = rows(kb, """SELECT ?x WHERE { { ?r h2n:hasEvidence ?x } UNION { ?r h2n:hasApproval ?x }
        FILTER NOT EXISTS { ?x dcterms:source ?s ; h2n:currentTo ?d } }""")
    assert not bad
    bad_status = rows(kb, """SELECT ?a WHERE { ?r h2n:hasApproval ?a .
        FILTER NOT EXISTS { ?a h2n:agency ?g ; h2n:approvalStatus ?s . FILTER(?g IN ("FDA", "EMA"))
            FILTER(?s IN ("approved", "withdrawn", "not_approved", "investigational")) } }""")
    assert not bad_status


def test_approval_dates_are_iso(kb):
    import re

    for (date,) in rows(kb, "SELECT ?d WHERE { ?a a h2n:RegulatoryApproval ; h2n:approvalDate ?d }"):
        assert re.fullmatch(r"\d{4}(-\d{2}-\d{2})?", str(date)), date


def test_camizestrant_never_offered_as_approved(kb):
    bad = rows(kb, """SELECT ?r WHERE { ?r h2n:recommendsRegimen/h2n:hasComponent/h2n:drugOption h2n:drug-camizestrant ;
        h2n:hasApproval ?a . ?a h2n:agency "FDA" ; h2n:approvalStatus "approved" }""")
    assert not bad


def test_sources_complete(kb):
    sources = {local(s) for (s,) in rows(kb, "SELECT ?s WHERE { ?s a h2n:Source }")}
    expected = {f"source-s{n}" for n in range(1, 60) if n != 57}  # the reference list has no S57
    assert expected <= sources
    bad = rows(kb, """SELECT ?s WHERE { ?s a h2n:Source . FILTER(REGEX(STR(?s), "/source-s[0-9]+$"))
        FILTER NOT EXISTS { ?s rdfs:label ?l ; skos:definition ?d ; dcterms:bibliographicCitation ?c ;
                            h2n:sourceType ?t ; h2n:url ?u ; h2n:currentTo ?ct } }""")
    assert not bad
    labels = rows(kb, "SELECT ?s (COUNT(?l) AS ?n) WHERE { ?s a h2n:Source ; rdfs:label ?l } GROUP BY ?s HAVING (COUNT(?l) > 1)")
    assert not labels


def test_every_source_referenced_exists(kb):
    bad = rows(kb, """SELECT DISTINCT ?s WHERE { { ?x dcterms:source ?s } UNION { ?x h2n:evidenceSource ?s }
        FILTER(STRSTARTS(STR(?s), "https://w3id.org/her2neg/kb/source-")) FILTER NOT EXISTS { ?s a h2n:Source } }""")
    assert not bad


def test_single_label_and_definition(kb):
    bad = rows(kb, """SELECT ?x WHERE { { ?x a h2n:Recommendation } UNION { ?x a h2n:Regimen } UNION { ?x a h2n:RegimenComponent }
        UNION { ?x a h2n:Evidence } UNION { ?x a h2n:RegulatoryApproval } UNION { ?r h2n:hasCriterion ?x }
        { SELECT ?x (COUNT(DISTINCT ?l) AS ?nl) WHERE { ?x rdfs:label ?l } GROUP BY ?x }
        { SELECT ?x (COUNT(DISTINCT ?d) AS ?nd) WHERE { ?x skos:definition ?d } GROUP BY ?x }
        FILTER(?nl != 1 || ?nd != 1) }""")
    assert not bad, [local(x[0]) for x in bad]


def test_table_1a_codes_present(kb):
    codes = {str(c) for (c,) in rows(kb, "SELECT ?c WHERE { ?r h2n:recommendationCode ?c }")}
    # M-HR-17 (SERENA-6/PADA-1 switch), M-HR-25 (gedatolisib) and M-HR-26 (giredestrant) are
    # investigational and deliberately not encoded as recommendations.
    expected = {f"M-HR-{n:02d}" for n in range(1, 27)} - {"M-HR-17", "M-HR-25", "M-HR-26"}
    assert expected <= codes, sorted(expected - codes)


def _regimen_drug_sets(kb, rec):
    return [
        {local(d).removeprefix("drug-") for d in kb.objects(comp, H2N.drugOption)}
        for comp in kb.objects(kb.value(rec, H2N.recommendsRegimen), H2N.hasComponent)
    ]


def _producible(kb, rec, drugs: set[str]) -> bool:
    comps = _regimen_drug_sets(kb, rec)
    if len(comps) != len(drugs):
        return False
    remaining = set(drugs)
    for options in comps:
        hit = options & remaining
        if not hit:
            return False
        remaining -= {sorted(hit)[0]}
    return not remaining


def _recs_producing(kb, drugs):
    return [
        rec for (rec,) in rows(kb, "SELECT ?r WHERE { ?r a h2n:Recommendation ; h2n:forSubtype h2n:state-hr-positive-her2-negative }")
        if _producible(kb, rec, set(drugs)) and kb.value(rec, H2N.currentTo) is not None and kb.value(rec, rdflib.DCTERMS.source) is not None
    ]


# Seed statements the project must hold as data (each: a drug set some recommendation produces,
# and a check on its criteria).
SEED = {
    "endocrine therapy first unless visceral crisis / life-threatening (ABC4 I/A)": ["letrozole", "palbociclib"],
    "sequential endocrine therapy": ["exemestane"],
    "tamoxifen": ["tamoxifen"],
    "anastrozole": ["anastrozole"],
    "letrozole": ["letrozole"],
    "exemestane": ["exemestane"],
    "LHRH agonist goserelin with ET (premenopausal)": ["goserelin", "letrozole"],
    "LHRH agonist leuprorelin with ET (premenopausal)": ["leuprorelin", "anastrozole"],
    "fulvestrant 500 mg with loading dose": ["fulvestrant"],
    "second-line choice by prior exposure (AI after tamoxifen)": ["anastrozole"],
    "exemestane + everolimus after a non-steroidal AI": ["exemestane", "everolimus"],
    "CDK4/6 inhibitor with endocrine therapy": ["ribociclib", "letrozole"],
    "CDK4/6 inhibitor with fulvestrant": ["abemaciclib", "fulvestrant"],
    "single-agent chemotherapy": ["eribulin"],
    "combination chemotherapy (not preferred)": ["docetaxel", "capecitabine"],
    "alpelisib + fulvestrant": ["alpelisib", "fulvestrant"],
    "capivasertib + fulvestrant": ["capivasertib", "fulvestrant"],
    "inavolisib + palbociclib + fulvestrant": ["inavolisib", "palbociclib", "fulvestrant"],
    "elacestrant": ["elacestrant"],
    "imlunestrant": ["imlunestrant"],
    "vepdegestrant": ["vepdegestrant"],
    "olaparib": ["olaparib"],
    "talazoparib": ["talazoparib"],
    "trastuzumab deruxtecan": ["trastuzumab-deruxtecan"],
    "datopotamab deruxtecan": ["datopotamab-deruxtecan"],
    "sacituzumab govitecan": ["sacituzumab-govitecan"],
    "abemaciclib + fulvestrant after CDK4/6i (postMONARCH)": ["abemaciclib", "fulvestrant"],
    "switch CDK4/6i (MAINTAIN)": ["ribociclib", "exemestane"],
    "pegylated liposomal doxorubicin": ["pegylated-liposomal-doxorubicin"],
    "nab-paclitaxel": ["nab-paclitaxel"],
}


@pytest.mark.parametrize("statement", sorted(SEED))
def test_seed_statement_present(kb, statement):
    assert _recs_producing(kb, SEED[statement]), statement


def test_seed_fulvestrant_loading_dose(kb):
    doses = rows(kb, """SELECT ?t WHERE { ?c h2n:drugOption h2n:drug-fulvestrant ; h2n:dosing ?t ; dcterms:source ?s }""")
    assert doses and all("500 mg" in str(t) and "15" in str(t) and "29" in str(t) for (t,) in doses)


def test_seed_combination_chemotherapy_not_preferred(kb):
    recs = _recs_producing(kb, ["paclitaxel", "gemcitabine"])
    assert recs
    for rec in recs:
        assert kb.value(rec, H2N.preference) == H2N.alternative
        codes = {str(c) for crit in kb.objects(rec, H2N.hasCriterion) for c in kb.objects(crit, H2N.reasonCode)}
        assert "NOT_PREFERRED" in codes
        states = {local(s) for crit in kb.objects(rec, H2N.hasCriterion) for s in kb.objects(crit, H2N.state)}
        assert {"state-visceral-crisis", "state-life-threatening", "state-rapidly-progressive"} <= states


def test_seed_chemotherapy_indications(kb):
    """Chemotherapy for visceral crisis, primary endocrine resistance, rapid progression, failure of several ET lines, ER-low."""
    states, quantities = set(), set()
    for rec in _recs_producing(kb, ["paclitaxel"]):
        for crit in kb.objects(rec, H2N.hasCriterion):
            states |= {local(s) for s in kb.objects(crit, H2N.state)}
            quantities |= {local(q) for q in kb.objects(crit, H2N.quantity)}
    assert {"state-visceral-crisis", "state-primary-endocrine-resistance", "state-rapidly-progressive", "state-er-low"} <= states
    assert "priorMetastaticEndocrineLines" in quantities


def test_seed_et_for_er_low(kb):
    """ER-low is HR-positive: endocrine recommendations never require ER above 10%."""
    bad = rows(kb, """SELECT ?r WHERE { ?r a h2n:Recommendation ; h2n:hasCriterion ?c . ?c h2n:state h2n:state-er-low ; h2n:negated true }""")
    assert not bad


def test_premenopausal_never_gets_ai_without_ofs(kb):
    """A02: anastrozole alone and anastrozole + palbociclib never go to premenopausal women."""
    for drugs in (["anastrozole"], ["anastrozole", "palbociclib"]):
        for rec in _recs_producing(kb, drugs):
            states = {local(s) for crit in kb.objects(rec, H2N.hasCriterion)
                      if (crit, H2N.negated, rdflib.Literal(True)) not in kb for s in kb.objects(crit, H2N.state)}
            assert "state-premenopausal" not in states
            assert states & {"state-postmenopausal"}, local(rec)
