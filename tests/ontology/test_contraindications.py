"""The contraindication modules (ontology/contraindications.ttl and the interactions of
ontology/interactions.ttl): completeness and clinical checks."""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from pathlib import Path

import pytest
import rdflib
from rdflib import OWL, RDF, RDFS, XSD, Literal, URIRef
from rdflib.namespace import DCTERMS, SKOS

REPO = Path(__file__).resolve().parents[2]
ONTOLOGY = REPO / "ontology"
H2N = rdflib.Namespace("https://w3id.org/her2neg/kb/")
LABS = {H2N.qtcfMs, H2N.lvefPercent, H2N.crclMlMin, H2N.hba1cPercent, H2N.calciumMgDl}
BOUNDS = (H2N.minInclusive, H2N.minExclusive, H2N.maxInclusive, H2N.maxExclusive)
STATUSES = {"verified", "label knowledge, not re-read", "unverified", "expert opinion"}


@cache
def kb() -> rdflib.Graph:
    g = rdflib.Graph()
    for name in ("core.ttl", "states.ttl", "drugs.ttl", "contraindications.ttl", "interactions.ttl",
                 "organs.ttl", "history.ttl", "sources.ttl"):
        g.parse(ONTOLOGY / name)
    return g


def cis(g):
    return sorted(g.subjects(RDF.type, H2N.Contraindication))


def drug(name: str) -> URIRef:
    return H2N["drug-" + name.replace(" ", "-")]


# The drugs a contraindication covers: its drug, or every drug typed with its class or a subclass.
COVERS = """
  { ?ci h2n:appliesToDrug ?drug }
  UNION
  { ?ci h2n:appliesToDrugClass ?cls . ?drug a/rdfs:subClassOf* ?cls }
"""
PREFIX = "PREFIX h2n: <https://w3id.org/her2neg/kb/>\nPREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"


# Conditions the reasoner turns into a patient state that contraindications are triggered by
# (reasoner/inference/classify.py): severe hepatic impairment (also Child-Pugh C), pregnancy.
CONDITION_STATES = {"severe-hepatic": ["hepatic-impairment-severe"], "pregnancy": ["pregnant"]}


def blocked_in_states(states: list[str], name: str) -> bool:
    q = (
        PREFIX
        + "ASK { ?ci a h2n:Contraindication ; h2n:action h2n:action-block ; h2n:triggeredByState ?s ."
        + " VALUES ?s { " + " ".join(f"h2n:state-{s}" for s in states) + " }"
        + COVERS
        + "}"
    )
    return kb().query(q, initBindings={"drug": drug(name)}).askAnswer


def blocked_by_condition(condition: str, name: str) -> bool:
    q = (
        PREFIX
        + "ASK { ?ci a h2n:Contraindication ; h2n:action h2n:action-block ; h2n:triggeredByCondition ?c ."
        + COVERS
        + "}"
    )
    if kb().query(q, initBindings={"c": H2N["cond-" + condition], "drug": drug(name)}).askAnswer:
        return True
    states = CONDITION_STATES.get(condition)
    return bool(states) and blocked_in_states(states, name)


def actions_for_value(quantity: str, value: str, name: str) -> set[str]:
    """The actions of threshold contraindications of a drug that the value triggers."""
    q = (
        PREFIX
        + """
    SELECT DISTINCT ?action WHERE {
      ?ci a h2n:Contraindication ; h2n:quantity ?q ; h2n:action ?action ."""
        + COVERS
        + """
      OPTIONAL { ?ci h2n:minInclusive ?minI } OPTIONAL { ?ci h2n:minExclusive ?minE }
      OPTIONAL { ?ci h2n:maxInclusive ?maxI } OPTIONAL { ?ci h2n:maxExclusive ?maxE }
      FILTER((!BOUND(?minI) || ?v >= ?minI) && (!BOUND(?minE) || ?v > ?minE) &&
             (!BOUND(?maxI) || ?v <= ?maxI) && (!BOUND(?maxE) || ?v < ?maxE))
    }"""
    )
    rows = kb().query(
        q,
        initBindings={
            "q": H2N[quantity],
            "drug": drug(name),
            "v": Literal(Decimal(value), datatype=XSD.decimal),
        },
    )
    return {str(r[0]).rsplit("-", 1)[1] for r in rows}


def medication_actions(medication: str, name: str) -> set[str]:
    """The actions of the interactions of a drug that a medication name triggers: by the name itself,
    or by an interaction class of a medication with that name (label or synonym)."""
    q = (
        PREFIX
        + "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n"
        + "SELECT DISTINCT ?action WHERE { ?ci a h2n:Contraindication ; h2n:action ?action ."
        + " { ?ci h2n:triggeredByMedication ?m } UNION { ?ci h2n:triggeredByMedicationClass ?k . ?med a ?k ."
        + "   { ?med rdfs:label ?m } UNION { ?med skos:altLabel ?m } }"
        + COVERS
        + "}"
    )
    rows = kb().query(q, initBindings={"m": Literal(medication), "drug": drug(name)})
    return {str(r[0]).rsplit("-", 1)[1] for r in rows}


# ------------------------------------------------------------------- structure
def test_module_header():
    g = kb()
    onto = URIRef("https://w3id.org/her2neg/kb/contraindications")
    assert g.value(onto, OWL.versionIRI) == URIRef("https://w3id.org/her2neg/kb/0.1.0/contraindications")
    assert (onto, OWL.imports, URIRef("https://w3id.org/her2neg/kb/core")) in g
    assert (onto, OWL.imports, URIRef("https://w3id.org/her2neg/kb/drugs")) in g


def test_there_are_contraindications_of_both_actions():
    g = kb()
    actions = [g.value(c, H2N.action) for c in cis(g)]
    assert actions.count(H2N["action-block"]) > 50
    assert actions.count(H2N["action-caution"]) > 25


def test_every_contraindication_is_complete():
    g = kb()
    drug_classes = set(g.transitive_subjects(RDFS.subClassOf, H2N.Drug))
    problems = []
    for c in cis(g):

        def need(ok, what, c=c):
            if not ok:
                problems.append(f"{c}: {what}")

        need(len(list(g.objects(c, RDFS.label))) == 1, "exactly one rdfs:label")
        need(len(list(g.objects(c, SKOS.definition))) == 1, "exactly one skos:definition")
        targets = list(g.objects(c, H2N.appliesToDrug)) + list(g.objects(c, H2N.appliesToDrugClass))
        need(len(targets) == 1, "exactly one drug or drug class")
        for d in g.objects(c, H2N.appliesToDrug):
            need(set(g.objects(d, RDF.type)) & drug_classes, f"{d} is not a drug")
        for k in g.objects(c, H2N.appliesToDrugClass):
            need(k in drug_classes, f"{k} is not a drug class")
        conds = list(g.objects(c, H2N.triggeredByCondition))
        meds = list(g.objects(c, H2N.triggeredByMedication))
        states = list(g.objects(c, H2N.triggeredByState))
        qty = list(g.objects(c, H2N.quantity))
        med_classes = list(g.objects(c, H2N.triggeredByMedicationClass))
        need(len(conds) + len(meds) + len(states) + len(qty) + len(med_classes) == 1, "exactly one trigger")
        for k in med_classes:
            need(H2N.ConcomitantMedication in set(g.transitive_objects(k, RDFS.subClassOf)) and k != H2N.ConcomitantMedication,
                 f"{k} is not a medication class")
            need(any(True for _ in g.subjects(RDF.type, k)), f"{k} has no medication")
        for k in conds:
            need((k, RDF.type, H2N.ConditionCode) in g, f"{k} is not a condition code")
        for m in meds:
            need(
                str(m) == str(m).lower() and str(m).strip() == str(m), f"medication {m!r} must be lower case"
            )
        for q in qty:
            need(q in LABS, f"{q} is not a lab quantity")
            bounds = [g.value(c, b) for b in BOUNDS if g.value(c, b) is not None]
            need(bounds, "a threshold needs a bound")
            need(all(b.datatype == XSD.decimal for b in bounds), "bounds are xsd:decimal")
            need("{value}" in str(g.value(c, H2N.message)), "threshold message must show {value}")
        need(g.value(c, H2N.action) in {H2N["action-block"], H2N["action-caution"]}, "action")
        need(g.value(c, H2N.contraindicationType) in {H2N.absolute, H2N.relative}, "contraindicationType")
        need(bool(str(g.value(c, H2N.message) or "").strip()), "message")
        sources = list(g.objects(c, DCTERMS.source))
        need(sources, "dcterms:source")
        for s in sources:
            need(
                str(s).startswith(str(H2N["source-s"])) or (s, RDF.type, H2N.Source) in g,
                f"undefined source {s}",
            )
        need(g.value(c, H2N.sourceSection) is not None, "h2n:sourceSection")
        cur = g.value(c, H2N.currentTo)
        need(cur is not None and cur.datatype == XSD.date, "h2n:currentTo xsd:date")
        status = str(g.value(c, H2N.verificationStatus))
        need(status in STATUSES, f"verification status {status!r}")
        if status in {"unverified", "expert opinion"}:
            need(
                status in str(g.value(c, SKOS.definition)), "an unverified item must say so in its definition"
            )
    assert not problems, "\n".join(problems)


def test_label_sources_are_complete():
    g = kb()
    for s in g.subjects(RDF.type, H2N.Source):
        if "/source-label-" not in str(s):
            continue
        assert str(g.value(s, H2N.sourceType)) == "label", s
        assert g.value(s, DCTERMS.bibliographicCitation) is not None, s
        assert len(list(g.objects(s, RDFS.label))) == 1, s
        assert g.value(s, H2N.currentTo) is not None, s


def test_class_iris_only_in_annotation_positions():
    """OWL 2 DL: a class IRI is never the value of an object property."""
    g = kb()
    classes = set(g.subjects(RDF.type, OWL.Class))
    for c in cis(g):
        for p, o in g.predicate_objects(c):
            if o in classes and p not in (RDF.type, H2N.appliesToDrugClass, H2N.triggeredByMedicationClass,
                                          H2N.quantity):
                pytest.fail(f"{c} {p} {o}")


# ------------------------------------------------------------------- clinical checks
def test_ribociclib_blocked_at_qtcf_450():
    assert actions_for_value("qtcfMs", "450", "ribociclib") == {"block"}
    assert actions_for_value("qtcfMs", "470", "ribociclib") == {"block"}
    assert actions_for_value("qtcfMs", "449", "ribociclib") == set()


def test_acceptance_a09_qtcf_470_leaves_palbociclib_and_letrozole():
    for name in ("palbociclib", "letrozole", "abemaciclib", "fulvestrant"):
        assert actions_for_value("qtcfMs", "470", name) == set(), name


# ESMO 2013 (Peccatori et al.) and Amant et al. Lancet 2012: no chemotherapy in the first trimester;
# from gestational week 14 anthracycline-based (AC/EC/FEC) and taxane-based chemotherapy is possible;
# endocrine therapy, targeted agents, immunotherapy, ADCs and bone-targeted agents are not given in pregnancy.
PREGNANCY_CHEMOTHERAPY = {"doxorubicin", "epirubicin", "cyclophosphamide", "paclitaxel", "docetaxel", "fluorouracil"}


def _all_drugs(top: str) -> set[str]:
    q = PREFIX + "SELECT DISTINCT ?l WHERE { ?d a/rdfs:subClassOf* ?top ; rdfs:label ?l }"
    return {str(r[0]) for r in kb().query(q, initBindings={"top": H2N[top]})}


def test_pregnancy_blocks_every_drug_in_the_first_trimester_and_when_the_trimester_is_unknown():
    drugs = _all_drugs("AntineoplasticDrug") | _all_drugs("BoneTargetedAgent")
    assert len(drugs) >= 40
    for trimester in ("pregnancy-first-trimester", "pregnancy-trimester-unknown"):
        missing = [d for d in drugs if not blocked_in_states(["pregnant", trimester], d)]
        assert missing == [], (trimester, missing)


def test_pregnancy_second_trimester_only_anthracycline_and_taxane_chemotherapy():
    drugs = _all_drugs("AntineoplasticDrug") | _all_drugs("BoneTargetedAgent")
    states = ["pregnant", "pregnancy-second-or-third-trimester"]
    open_ = {d for d in drugs if not blocked_in_states(states, d)}
    assert open_ == PREGNANCY_CHEMOTHERAPY
    for name in ("trastuzumab deruxtecan", "letrozole", "tamoxifen", "goserelin", "pembrolizumab",
                 "palbociclib", "zoledronic acid", "denosumab", "capecitabine"):
        assert blocked_in_states(states, name), name


@pytest.mark.parametrize("name", ["alpelisib", "capivasertib", "inavolisib"])
def test_type1_diabetes_blocks_pi3k_akt_drugs(name):
    assert blocked_by_condition("diabetes-type1", name)


def test_type2_diabetes():
    assert blocked_by_condition("diabetes-type2", "inavolisib")
    for name in ("alpelisib", "capivasertib", "everolimus"):
        assert not blocked_by_condition("diabetes-type2", name), name


@pytest.mark.parametrize(
    "quantity, value, name, expected",
    [
        ("hba1cPercent", "6.4", "alpelisib", set()),
        ("hba1cPercent", "6.5", "alpelisib", {"block"}),
        ("hba1cPercent", "7.9", "capivasertib", set()),
        ("hba1cPercent", "8.0", "capivasertib", {"block"}),
        ("hba1cPercent", "8.1", "capivasertib", {"block"}),
        ("hba1cPercent", "5.9", "inavolisib", set()),
        ("hba1cPercent", "6.0", "inavolisib", {"block"}),
        ("lvefPercent", "49", "doxorubicin", {"block"}),
        ("lvefPercent", "49", "epirubicin", {"block"}),
        ("lvefPercent", "49", "pegylated liposomal doxorubicin", {"block"}),
        ("lvefPercent", "49", "trastuzumab deruxtecan", {"block"}),
        ("lvefPercent", "50", "doxorubicin", set()),
        ("crclMlMin", "29", "capecitabine", {"block"}),
        ("crclMlMin", "40", "capecitabine", {"caution"}),
        ("crclMlMin", "60", "capecitabine", set()),
        ("crclMlMin", "29", "zoledronic acid", {"block"}),
        ("crclMlMin", "45", "zoledronic acid", {"caution"}),
        ("crclMlMin", "30", "olaparib", {"block"}),
        ("crclMlMin", "31", "olaparib", {"caution"}),
        ("crclMlMin", "59", "cisplatin", {"block"}),
        ("crclMlMin", "19", "anastrozole", {"block"}),
        ("crclMlMin", "25", "anastrozole", set()),
        ("crclMlMin", "45", "talazoparib", {"caution"}),
        ("crclMlMin", "25", "denosumab", {"caution"}),
        # Aredia: not recommended in severe renal impairment; Bondronat SmPC 4.2: 2 mg below 30,
        # 4 mg at 30-49; Bonefos SmPC 4.3: contraindicated below 10, half dose at 10-30.
        ("crclMlMin", "29", "pamidronate", {"block"}),
        ("crclMlMin", "31", "pamidronate", set()),
        ("crclMlMin", "25", "ibandronate", {"caution"}),
        ("crclMlMin", "45", "ibandronate", {"caution"}),
        ("crclMlMin", "9", "clodronate", {"block"}),
        ("crclMlMin", "20", "clodronate", {"caution"}),
        ("calciumMgDl", "8.0", "denosumab", {"block"}),
        ("calciumMgDl", "8.0", "zoledronic acid", {"block"}),
        ("calciumMgDl", "8.0", "ibandronate", {"block"}),
        ("calciumMgDl", "9.0", "denosumab", set()),
    ],
)
def test_thresholds(quantity, value, name, expected):
    assert actions_for_value(quantity, value, name) == expected


@pytest.mark.parametrize(
    "condition, blocked, not_blocked",
    [
        ("long-qt", ["ribociclib", "toremifene", "eribulin"], ["palbociclib", "tamoxifen"]),
        (
            "heart-failure",
            ["doxorubicin", "epirubicin", "pegylated liposomal doxorubicin", "ribociclib", "toremifene"],
            ["trastuzumab deruxtecan", "letrozole"],
        ),
        (
            "ild",
            ["trastuzumab deruxtecan", "datopotamab deruxtecan", "everolimus"],
            [
                "palbociclib",
                "ribociclib",
                "abemaciclib",
                "pembrolizumab",
                "atezolizumab",
                "sacituzumab govitecan",
            ],
        ),
        ("dpd-deficiency", ["capecitabine", "fluorouracil"], ["gemcitabine"]),
        (
            "neuropathy",
            ["paclitaxel", "nab-paclitaxel", "docetaxel", "eribulin", "vinorelbine", "cisplatin"],
            ["carboplatin", "capecitabine"],
        ),
        ("autoimmune", ["pembrolizumab", "atezolizumab"], ["olaparib"]),
        ("transplant", ["pembrolizumab", "atezolizumab"], ["capecitabine"]),
        ("mds", ["olaparib", "talazoparib"], ["pembrolizumab"]),
        ("endometrial", ["tamoxifen", "toremifene"], ["letrozole", "fulvestrant"]),
        ("thromboembolism", ["tamoxifen", "toremifene"], ["abemaciclib", "letrozole"]),
        ("onj", ["zoledronic acid", "pamidronate", "ibandronate", "clodronate", "denosumab"], ["letrozole"]),
        (
            "hypocalcemia",
            ["zoledronic acid", "pamidronate", "ibandronate", "clodronate", "denosumab"],
            ["letrozole"],
        ),
        (
            "breastfeeding",
            ["anastrozole", "letrozole", "exemestane", "fulvestrant", "capecitabine"],
            ["palbociclib"],
        ),
        (
            "severe-hepatic",
            ["capecitabine", "doxorubicin", "docetaxel", "toremifene", "fulvestrant", "elacestrant"],
            ["ribociclib", "abemaciclib"],
        ),
    ],
)
def test_condition_blocks(condition, blocked, not_blocked):
    for name in blocked:
        assert blocked_by_condition(condition, name), f"{condition} should block {name}"
    for name in not_blocked:
        assert not blocked_by_condition(condition, name), f"{condition} should not block {name}"


@pytest.mark.parametrize(
    "condition, name",
    [
        ("breastfeeding", "palbociclib"),
        ("ild", "palbociclib"),
        ("ild", "pembrolizumab"),
        ("thromboembolism", "abemaciclib"),
        ("diabetes-type2", "alpelisib"),
        ("diabetes-type2", "capivasertib"),
        ("diabetes-type2", "everolimus"),
        ("breastfeeding", "denosumab"),
    ],
)
def test_condition_cautions(condition, name):
    q = (
        PREFIX
        + "ASK { ?ci a h2n:Contraindication ; h2n:action h2n:action-caution ; h2n:triggeredByCondition ?c ."
        + COVERS
        + "}"
    )
    assert kb().query(q, initBindings={"c": H2N["cond-" + condition], "drug": drug(name)}).askAnswer


@pytest.mark.parametrize(
    "medication, name, expected",
    [
        ("warfarin", "tamoxifen", {"caution"}),
        ("warfarin", "capecitabine", {"caution"}),
        ("phenytoin", "capecitabine", {"caution"}),
        ("brivudine", "capecitabine", {"block"}),
        ("brivudine", "fluorouracil", {"block"}),
        ("paroxetine", "tamoxifen", {"caution"}),
        ("fluoxetine", "tamoxifen", {"caution"}),
        ("bupropion", "tamoxifen", {"caution"}),
        ("ketoconazole", "ribociclib", {"block"}),
        ("clarithromycin", "everolimus", {"block"}),
        ("itraconazole", "elacestrant", {"block"}),
        ("estradiol", "anastrozole", {"block"}),
        ("warfarin", "letrozole", set()),
        ("ketoconazole", "letrozole", set()),
    ],
)
def test_medications(medication, name, expected):
    assert medication_actions(medication, name) == expected


def test_unverified_trial_thresholds_are_marked():
    g = kb()
    for cid in ("ci-alpelisib-hba1c", "ci-inavolisib-hba1c"):
        assert str(g.value(H2N[cid], H2N.verificationStatus)) == "unverified", cid
        assert "not verified" in str(g.value(H2N[cid], H2N.message)), cid
    assert str(g.value(H2N["ci-capivasertib-hba1c"], H2N.verificationStatus)) == "verified"
