"""The drug module (ontology/drugs.ttl): classes, canonical drugs, synonyms and verified mappings."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest
import rdflib
from rdflib import OWL, RDF, RDFS, Literal, URIRef
from rdflib.namespace import DCTERMS, SKOS

from tests.cohort.contract import CANONICAL_DRUG_LIST

REPO = Path(__file__).resolve().parents[2]
ONTOLOGY = REPO / "ontology"
SHARED = REPO.parent / "shared"
REFERENCE = SHARED / "reference" / "drug-identifiers.md"
H2N = rdflib.Namespace("https://w3id.org/her2neg/kb/")

# The canonical drug names of the patient-record contract (shared/spec/patient-record.md).
CANONICAL = list(CANONICAL_DRUG_LIST)

# Classes the reasoner relies on (docs/knowledge-model.md).
REQUIRED_CLASSES = [
    "AntineoplasticDrug",
    "EndocrineTherapy",
    "CytotoxicChemotherapy",
    "LHRHAgonist",
    "AromataseInhibitor",
    "NonSteroidalAromataseInhibitor",
    "SteroidalAromataseInhibitor",
    "SERM",
    "SERD",
    "OralSERD",
    "CDK46Inhibitor",
    "MTORInhibitor",
    "PI3KAlphaInhibitor",
    "AKTInhibitor",
    "PARPInhibitor",
    "ImmuneCheckpointInhibitor",
    "PD1Inhibitor",
    "PDL1Inhibitor",
    "AntibodyDrugConjugate",
    "TROP2ADC",
    "HER2ADC",
    "Anthracycline",
    "Taxane",
    "Fluoropyrimidine",
    "VincaAlkaloid",
    "HalichondrinAnalogue",
    "PlatinumAgent",
    "AlkylatingAgent",
    "Antimetabolite",
    "BoneTargetedAgent",
    "Bisphosphonate",
    "RANKLInhibitor",
]

SYSTEMS = {
    "http://purl.obolibrary.org/obo/NCIT_": "NCIt",
    "http://purl.obolibrary.org/obo/CHEBI_": "ChEBI",
    "http://purl.bioontology.org/ontology/ATC/": "ATC",
    "http://purl.bioontology.org/ontology/RXNORM/": "RxNorm",
}
MAPPING_SOURCE = {
    "ATC": H2N["source-who-atc-2026"],
    "NCIt": H2N["source-moalmanac-2026"],
    "RxNorm": H2N["source-moalmanac-2026"],
    "ChEBI": H2N["source-pfocr-chebi"],
}
# Codes for drugs outside Table A, each checked in the WHO ATC list of 2026-04-25
# (fabkury/atcd, "WHO ATC-DDD 2026-04-25.csv"): rows L01BA01 methotrexate, L01BC02 fluorouracil,
# M05BA02 clodronic acid, M05BA06 ibandronic acid. Vepdegestrant has no ATC code there.
EXTRA_VERIFIED = {
    "fluorouracil": {"ATC": {"L01BC02"}},
    "methotrexate": {"ATC": {"L01BA01"}},
    "ibandronate": {"ATC": {"M05BA06"}},
    "clodronate": {"ATC": {"M05BA02"}},
    "vepdegestrant": {},
}
# Class concepts the reference verifies ("Other verified codes").
CLASS_EXACT = {"Anthracycline": {"CHEBI_48120"}, "Taxane": {"CHEBI_36064"}}


@cache
def kb() -> rdflib.Graph:
    g = rdflib.Graph()
    for name in ("core.ttl", "drugs.ttl"):
        g.parse(ONTOLOGY / name)
    return g


def drug_classes(g: rdflib.Graph) -> set[URIRef]:
    return set(g.transitive_subjects(RDFS.subClassOf, H2N.Drug))


def drugs(g: rdflib.Graph) -> dict[str, URIRef]:
    classes = drug_classes(g)
    out = {}
    for s, t in g.subject_objects(RDF.type):
        if t in classes and (s, RDF.type, OWL.Class) not in g:
            out[str(g.value(s, RDFS.label))] = s
    return out


def slug(name: str) -> str:
    return name.replace(" ", "-")


def split(iri: URIRef) -> tuple[str, str]:
    for prefix, system in SYSTEMS.items():
        if str(iri).startswith(prefix):
            return system, str(iri)[len(prefix) :]
    raise AssertionError(f"unknown mapping namespace: {iri}")


def squash(name: str) -> str:
    return re.sub(r"[\s\-_]+", "", name.casefold())


# ------------------------------------------------------------------- reference table A
CODE = re.compile(r"^(C\d+|[A-Z]\d{2}[A-Z]{2}\d{2}|\d+)\b")


def verified_code(cell: str) -> str | None:
    """The leading code of a Table A cell if the table marks it verified, else None.

    Not verified: '—', 'n/a', '(S)' or '(S; …)' (one non-authoritative source), a footnoted cell (the
    footnotes say the sources disagree or the term type was not checked), a code that belongs to
    the parent substance ('no separate code', 'use … for the parent') and salt-only cells ('[…]').
    """
    cell = cell.strip()
    m = CODE.match(cell)
    if not m:
        return None
    rest = cell[m.end() :]
    if rest.lstrip().startswith("(S") or "¹" in cell or "²" in cell or "no separate code" in cell:
        return None
    return m.group(1)


@cache
def table_a() -> dict[str, dict[str, str | None]]:
    assert REFERENCE.exists(), f"the shared reference table is missing: {REFERENCE}"
    rows = {}
    in_table = False
    for line in REFERENCE.read_text(encoding="utf-8").splitlines():
        if line.startswith("## Table A"):
            in_table = True
            continue
        if in_table and line.startswith("## "):
            break
        if not in_table or not line.startswith("| ") or line.startswith("| #") or line.startswith("|---"):
            continue
        cells = [c.strip() for c in line.strip("|").split("|")]
        name = cells[1].split(" (")[0].strip()
        rows[name] = {
            "NCIt": verified_code(cells[4]),
            "ChEBI": verified_code(cells[5]),
            "ATC": verified_code(cells[6]),
            "RxNorm": verified_code(cells[7]),
        }
    assert len(rows) == 42, f"Table A parse found {len(rows)} rows"
    return rows


def recalled_codes() -> set[str]:
    text = REFERENCE.read_text(encoding="utf-8")
    m = re.search(r"Recalled but not found[^\n]*", text)
    assert m, "the reference has no 'recalled but not found' line"
    return set(re.findall(r"\b(\d{4,})\b", m.group(0)))


# ------------------------------------------------------------------- tests
def test_contract_list_matches_spec():
    spec = SHARED / "spec" / "patient-record.md"
    assert spec.exists(), f"the shared input contract is missing: {spec}"
    text = spec.read_text(encoding="utf-8").split("## Canonical drug names", 1)[1]
    block = text.split("\n\n")[1]
    names = [n.strip().rstrip(".") for n in block.replace("\n", " ").split(",")]
    assert names == CANONICAL


@pytest.mark.parametrize("name", CANONICAL + ["vepdegestrant"])
def test_canonical_drug_present(name):
    g = kb()
    iri = H2N["drug-" + slug(name)]
    labels = list(g.objects(iri, RDFS.label))
    assert labels == [Literal(name)], f"{iri} must have exactly the one label {name!r}: {labels}"
    types = set(g.objects(iri, RDF.type))
    assert types & drug_classes(g), f"{name} is not typed with a class under h2n:Drug"
    assert (types - {H2N.Drug}) & drug_classes(g), f"{name} must be typed with its most specific class, not h2n:Drug alone"
    assert len(list(g.objects(iri, SKOS.definition))) == 1, f"{name}: exactly one skos:definition"
    assert list(g.objects(iri, DCTERMS.source)), f"{name}: no dcterms:source"
    assert g.value(iri, H2N.currentTo) is not None, f"{name}: no h2n:currentTo"


def test_drug_labels_are_lower_case_and_unique():
    g = kb()
    found = drugs(g)
    for name, iri in found.items():
        assert name == name.lower(), name
        assert len(list(g.objects(iri, RDFS.label))) == 1, iri
    assert set(CANONICAL) <= set(found)


@pytest.mark.parametrize("name", REQUIRED_CLASSES + ["TargetedTherapy"])
def test_required_class(name):
    g = kb()
    cls = H2N[name]
    assert (cls, RDF.type, OWL.Class) in g, name
    assert cls in drug_classes(g), f"{name} is not under h2n:Drug"
    assert len(list(g.objects(cls, RDFS.label))) == 1, name
    assert len(list(g.objects(cls, SKOS.definition))) == 1, name
    assert list(g.objects(cls, DCTERMS.source)), name


@pytest.mark.parametrize(
    "name, cls",
    [
        ("goserelin", "LHRHAgonist"),
        ("leuprorelin", "LHRHAgonist"),
        ("triptorelin", "LHRHAgonist"),
        ("letrozole", "EndocrineTherapy"),
        ("vepdegestrant", "OralSERD"),
        ("fulvestrant", "SERD"),
        ("exemestane", "SteroidalAromataseInhibitor"),
        ("nab-paclitaxel", "Taxane"),
        ("capecitabine", "Fluoropyrimidine"),
        ("fluorouracil", "Fluoropyrimidine"),
        ("methotrexate", "Antimetabolite"),
        ("trastuzumab deruxtecan", "HER2ADC"),
        ("sacituzumab govitecan", "TROP2ADC"),
        ("eribulin", "CytotoxicChemotherapy"),
        ("ibandronate", "Bisphosphonate"),
        ("denosumab", "RANKLInhibitor"),
        ("pembrolizumab", "PD1Inhibitor"),
        ("everolimus", "TargetedTherapy"),
    ],
)
def test_drug_in_class(name, cls):
    g = kb()
    q = "ASK { ?d a/rdfs:subClassOf* ?c }"
    assert g.query(q, initBindings={"d": H2N["drug-" + slug(name)], "c": H2N[cls]}).askAnswer


@pytest.mark.parametrize(
    "name",
    [
        "trastuzumab deruxtecan",
        "sacituzumab govitecan",
        "datopotamab deruxtecan",
        "zoledronic acid",
        "denosumab",
        "letrozole",
        "goserelin",
    ],
)
def test_not_cytotoxic_chemotherapy(name):
    g = kb()
    q = "ASK { ?d a/rdfs:subClassOf* <https://w3id.org/her2neg/kb/CytotoxicChemotherapy> }"
    assert not g.query(q, initBindings={"d": H2N["drug-" + slug(name)]}).askAnswer


def test_lhrh_agonist_is_endocrine_therapy():
    g = kb()
    assert H2N.EndocrineTherapy in set(g.transitive_objects(H2N.LHRHAgonist, RDFS.subClassOf))


def test_every_mapped_code_is_verified_in_reference():
    g = kb()
    table = table_a()
    problems = []
    for name, iri in drugs(g).items():
        allowed = {}
        if name in table:
            allowed = {k: {v} for k, v in table[name].items() if v}
        elif name in EXTRA_VERIFIED:
            allowed = EXTRA_VERIFIED[name]
        else:
            problems.append(f"{name}: not in Table A and no extra verification recorded")
        for target in g.objects(iri, SKOS.exactMatch):
            system, code = split(target)
            if code not in allowed.get(system, set()):
                problems.append(f"{name}: {system} {code} is not marked verified for it")
    assert not problems, "\n".join(problems)


def test_every_verified_code_is_mapped():
    g = kb()
    found = drugs(g)
    missing = []
    for name, codes in table_a().items():
        assert name in found, f"Table A drug {name!r} missing from drugs.ttl"
        mapped = {split(t) for t in g.objects(found[name], SKOS.exactMatch)}
        for system, code in codes.items():
            if code and (system, code) not in mapped:
                missing.append(f"{name}: {system} {code}")
    for name, systems in EXTRA_VERIFIED.items():
        mapped = {split(t) for t in g.objects(found[name], SKOS.exactMatch)}
        assert mapped == {(s, c) for s, cs in systems.items() for c in cs}, name
    assert not missing, "verified codes not mapped:\n" + "\n".join(missing)


def test_class_mappings_are_verified():
    g = kb()
    for cls in drug_classes(g):
        local = str(cls).rsplit("/", 1)[1]
        codes = {str(t).rsplit("/", 1)[1] for t in g.objects(cls, SKOS.exactMatch)}
        assert codes == CLASS_EXACT.get(local, set()), local


def test_no_recalled_but_not_found_code():
    g = kb()
    recalled = recalled_codes()
    assert recalled == {"5523", "480999", "63587"}
    for s, o in g.subject_objects(SKOS.exactMatch):
        assert split(o)[1] not in recalled, f"{s} maps the unverified code {o}"


def test_every_mapping_has_evidence():
    g = kb()
    for name, iri in drugs(g).items():
        sources = set(g.objects(iri, DCTERMS.source))
        for target in g.objects(iri, SKOS.exactMatch):
            system, _ = split(target)
            assert MAPPING_SOURCE[system] in sources, f"{name}: {system} mapping without its source"
        for src in sources:
            assert (src, RDF.type, H2N.Source) in g or str(src).startswith(str(H2N["source-s"])), src


def test_synonyms_unique_across_drugs():
    g = kb()
    owner: dict[str, set[str]] = {}
    for name, iri in drugs(g).items():
        for term in [name, *map(str, g.objects(iri, SKOS.altLabel))]:
            owner.setdefault(squash(term), set()).add(name)
    clashes = {k: v for k, v in owner.items() if len(v) > 1}
    assert not clashes, clashes


@pytest.mark.parametrize(
    "synonym, name",
    [
        ("leuprolide", "leuprorelin"),
        ("Nolvadex", "tamoxifen"),
        ("Faslodex", "fulvestrant"),
        ("Kisqali", "ribociclib"),
        ("Ibrance", "palbociclib"),
        ("Verzenio", "abemaciclib"),
        ("Piqray", "alpelisib"),
        ("Truqap", "capivasertib"),
        ("Itovebi", "inavolisib"),
        ("Orserdu", "elacestrant"),
        ("Lynparza", "olaparib"),
        ("Talzenna", "talazoparib"),
        ("Keytruda", "pembrolizumab"),
        ("Tecentriq", "atezolizumab"),
        ("Trodelvy", "sacituzumab govitecan"),
        ("SG", "sacituzumab govitecan"),
        ("Enhertu", "trastuzumab deruxtecan"),
        ("T-DXd", "trastuzumab deruxtecan"),
        ("Datroway", "datopotamab deruxtecan"),
        ("Dato-DXd", "datopotamab deruxtecan"),
        ("Abraxane", "nab-paclitaxel"),
        ("nab paclitaxel", "nab-paclitaxel"),
        ("albumin-bound paclitaxel", "nab-paclitaxel"),
        ("Xeloda", "capecitabine"),
        ("Halaven", "eribulin"),
        ("Navelbine", "vinorelbine"),
        ("Gemzar", "gemcitabine"),
        ("Zometa", "zoledronic acid"),
        ("Xgeva", "denosumab"),
        ("Prolia", "denosumab"),
        ("Arimidex", "anastrozole"),
        ("Femara", "letrozole"),
        ("Aromasin", "exemestane"),
        ("Zoladex", "goserelin"),
        ("Lupron", "leuprorelin"),
        ("Afinitor", "everolimus"),
        ("PLD", "pegylated liposomal doxorubicin"),
        ("Doxil", "pegylated liposomal doxorubicin"),
        ("Caelyx", "pegylated liposomal doxorubicin"),
        ("5-FU", "fluorouracil"),
        ("Veppanu", "vepdegestrant"),
    ],
)
def test_synonym_names_drug(synonym, name):
    g = kb()
    iri = H2N["drug-" + slug(name)]
    assert squash(synonym) in {squash(str(a)) for a in g.objects(iri, SKOS.altLabel)}, (synonym, name)


def test_route_declared_and_used():
    g = kb()
    assert (H2N.route, RDF.type, OWL.DatatypeProperty) in g
    allowed = {"oral", "intravenous", "subcutaneous", "intramuscular"}
    for name, iri in drugs(g).items():
        routes = {str(r) for r in g.objects(iri, H2N.route)}
        assert routes and routes <= allowed, (name, routes)


def test_module_header():
    g = kb()
    onto = URIRef("https://w3id.org/her2neg/kb/drugs")
    assert (onto, RDF.type, OWL.Ontology) in g
    assert g.value(onto, OWL.versionIRI) == URIRef("https://w3id.org/her2neg/kb/0.1.0/drugs")
    assert (onto, OWL.imports, URIRef("https://w3id.org/her2neg/kb/core")) in g
    for p in (DCTERMS.title, DCTERMS.description, DCTERMS.license, RDFS.label, SKOS.definition):
        assert g.value(onto, p) is not None, p
