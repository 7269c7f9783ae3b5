"""The ontology as OWL 2 DL: it loads, imports resolve offline, HermiT finds it consistent and
classifies example tumours and patients as expected.

HermiT starts a JVM: it runs once per test session (fixture ``hermit_run`` in tests/conftest.py), over the knowledge base plus
the example patients below. The tests run over whatever modules the top ontology imports and
exist; ``test_every_import_resolves_offline`` fails while an imported module file is missing.
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

import pytest
import rdflib
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS

from reasoner import resources
from reasoner.ontology import load_merged_graph, to_rdfxml
from reasoner.ontology.hermit import dl_safe_graph

H2N = "https://w3id.org/her2neg/kb/"
ONTOLOGY = resources.ontology_dir()
MODULE_FILES = sorted(p for p in ONTOLOGY.glob("*.ttl"))  # shapes/ is a sub-folder: not a module


def h2n(name: str) -> str:
    return H2N + name


# name -> (example record, classes it must have, classes it must not have)
EXAMPLES: dict[str, tuple[dict, set[str], set[str]]] = {
    "er90-pr50-ihc1": (
        {"receptors": {"er_percent": 90, "pr_percent": 50, "her2_ihc": "1+"}},
        {
            "HRPositiveHER2NegativeResult",
            "HER2LowResult",
            "HER2NegativeResult",
            "ERPositiveResult",
            "HRPositiveHER2NegativePatient",
        },
        {
            "TripleNegativeResult",
            "TripleNegativePatient",
            "HER2ZeroResult",
            "ERLowResult",
            "HER2PositiveResult",
        },
    ),
    "er0-pr0-ihc0": (
        {"receptors": {"er_percent": 0, "pr_percent": 0, "her2_ihc": "0"}},
        {"TripleNegativeResult", "TripleNegativePatient", "HER2ZeroResult", "HER2NegativeResult"},
        {
            "HRPositiveHER2NegativeResult",
            "HRPositiveHER2NegativePatient",
            "HER2LowResult",
            "HER2UltralowResult",
        },
    ),
    "er5-ultralow": (
        {"receptors": {"er_percent": 5, "pr_percent": 0, "her2_ihc": "ultralow"}},
        {
            "ERLowResult",
            "ERPositiveResult",
            "HER2UltralowResult",
            "HER2NegativeResult",
            "HRPositiveHER2NegativeResult",
        },
        {"ERNegativeResult", "TripleNegativeResult", "HER2LowResult", "HER2ZeroResult"},
    ),
    "ihc2-ish-amplified": (
        {"receptors": {"er_percent": 80, "pr_percent": 20, "her2_ihc": "2+", "her2_ish": "amplified"}},
        {"HER2PositiveResult", "ERPositiveResult"},
        {
            "HER2NegativeResult",
            "HER2LowResult",
            "HRPositiveHER2NegativeResult",
            "HRPositiveHER2NegativePatient",
        },
    ),
    "ihc2-ish-not-amplified": (
        {"receptors": {"er_percent": 0, "pr_percent": 0, "her2_ihc": "2+", "her2_ish": "not_amplified"}},
        {"HER2LowResult", "HER2NegativeResult", "TripleNegativeResult"},
        {"HER2PositiveResult"},
    ),
    "ihc2-no-ish": (  # IHC 2+ without ISH cannot be classified
        {"receptors": {"er_percent": 0, "pr_percent": 0, "her2_ihc": "2+"}},
        {"ERNegativeResult", "PRNegativeResult"},
        {"HER2NegativeResult", "HER2PositiveResult", "HER2LowResult", "TripleNegativeResult"},
    ),
    "ihc3": (
        {"receptors": {"er_percent": 0, "pr_percent": 0, "her2_ihc": "3+"}},
        {"HER2PositiveResult"},
        {"HER2NegativeResult", "TripleNegativeResult"},
    ),
    "er-unknown": (  # unknown is never read as negative
        {"receptors": {"pr_percent": 0, "her2_ihc": "0"}},
        {"PRNegativeResult", "HER2ZeroResult"},
        {
            "TripleNegativeResult",
            "TripleNegativePatient",
            "ERNegativeResult",
            "ERPositiveResult",
            "HRPositiveHER2NegativeResult",
        },
    ),
    "status-only-tn": (
        {"receptors": {"er": "negative", "pr": "negative", "her2": "negative"}},
        {"TripleNegativeResult", "TripleNegativePatient", "HER2NegativeResult"},
        {"HER2LowResult", "HER2ZeroResult", "HER2UltralowResult"},  # category unknown
    ),
    "pr-only-positive": (
        {"receptors": {"er_percent": 0, "pr_percent": 30, "her2_ihc": "0"}},
        {"HRPositiveHER2NegativeResult", "PRPositiveResult", "ERNegativeResult"},
        {"TripleNegativeResult", "PRLowResult"},
    ),
    "male-postmenopausal-crisis": (
        {
            "sex": "male",
            "menopausal_status": "postmenopausal",
            "metastatic": {"sites": ["liver", "bone"], "visceral_crisis": True},
        },
        {
            "MalePatient",
            "PostmenopausalPatient",
            "PatientInVisceralCrisis",
            "PatientWithVisceralMetastases",
            "PatientWithBoneMetastases",
        },
        set(),
    ),
    "female-bone-only": (
        {
            "sex": "female",
            "menopausal_status": "premenopausal",
            "metastatic": {"sites": ["bone"], "visceral_crisis": False},
        },
        {"PatientWithBoneMetastases"},
        {"MalePatient", "PostmenopausalPatient", "PatientInVisceralCrisis", "PatientWithVisceralMetastases"},
    ),
}

# Subsumptions the knowledge base must entail (asserted or inferred).
EXPECTED_SUBSUMPTIONS = [
    ("HER2LowResult", "HER2NegativeResult"),
    ("HER2UltralowResult", "HER2NegativeResult"),
    ("HER2ZeroResult", "HER2NegativeResult"),
    ("ERLowResult", "ERPositiveResult"),
    ("PRLowResult", "PRPositiveResult"),
    ("TripleNegativeResult", "HER2NegativeResult"),
    ("TripleNegativeResult", "ERNegativeResult"),
    ("HRPositiveHER2NegativeResult", "HER2NegativeResult"),
    ("HRPositiveHER2NegativeResult", "ReceptorResult"),
    ("TripleNegativePatient", "Patient"),
    ("HRPositiveHER2NegativePatient", "Patient"),
    ("PatientInVisceralCrisis", "Patient"),
    # drug classes (drugs.ttl)
    ("NonSteroidalAromataseInhibitor", "AromataseInhibitor"),
    ("SteroidalAromataseInhibitor", "AromataseInhibitor"),
    ("AromataseInhibitor", "EndocrineTherapy"),
    ("NonSteroidalAromataseInhibitor", "EndocrineTherapy"),
    ("SERM", "EndocrineTherapy"),
    ("SERD", "EndocrineTherapy"),
    ("OralSERD", "SERD"),
    ("LHRHAgonist", "EndocrineTherapy"),
    ("PD1Inhibitor", "ImmuneCheckpointInhibitor"),
    ("PDL1Inhibitor", "ImmuneCheckpointInhibitor"),
    ("TROP2ADC", "AntibodyDrugConjugate"),
    ("HER2ADC", "AntibodyDrugConjugate"),
    ("Bisphosphonate", "BoneTargetedAgent"),
    ("RANKLInhibitor", "BoneTargetedAgent"),
    ("Taxane", "CytotoxicChemotherapy"),
    ("Anthracycline", "CytotoxicChemotherapy"),
    ("EndocrineTherapy", "Drug"),
    ("CytotoxicChemotherapy", "Drug"),
]

# Subsumptions that must NOT hold (safety: the endocrine/chemotherapy split, HER2 categories).
FORBIDDEN_SUBSUMPTIONS = [
    ("HER2LowResult", "HER2PositiveResult"),
    ("HRPositiveHER2NegativeResult", "TripleNegativeResult"),
    ("TripleNegativeResult", "HRPositiveHER2NegativeResult"),
    ("AntibodyDrugConjugate", "CytotoxicChemotherapy"),
    ("EndocrineTherapy", "CytotoxicChemotherapy"),
    ("CytotoxicChemotherapy", "EndocrineTherapy"),
]


@pytest.fixture(scope="module")
def hermit(hermit_run):
    """The session's one HermiT run (tests/conftest.py): the report and these examples' classes."""
    report, classes_of = hermit_run
    return report, {name: classes_of("owl", name) for name in EXAMPLES}


# ---------------------------------------------------------------- loading


def test_every_module_parses_in_rdflib():
    for path in resources.module_paths(allow_missing=True):
        graph = rdflib.Graph().parse(path, format="turtle")
        assert len(graph) > 0, path


def test_merged_graph_holds_every_module():
    graph = load_merged_graph(allow_missing=True)
    ontologies = {str(s) for s in graph.subjects(RDF.type, OWL.Ontology)}
    for path in resources.module_paths(allow_missing=True):
        expected = "https://w3id.org/her2neg/kb" if path.stem == "her2neg" else h2n(path.stem)
        assert expected in ontologies


def test_loads_in_owlready2():
    import owlready2

    safe, _notes = dl_safe_graph(load_merged_graph(allow_missing=True))
    world = owlready2.World()
    world.get_ontology("https://w3id.org/her2neg/kb").load(fileobj=io.BytesIO(to_rdfxml(safe)))
    assert world[h2n("Patient")] is not None
    assert world[h2n("TripleNegativeResult")] is not None
    assert world[h2n("TripleNegativeResult")].equivalent_to


# ---------------------------------------------------------------- imports and catalog


def test_every_import_resolves_offline():
    """Every owl:imports of every module maps through the catalog to an existing local file."""
    catalog = resources.read_catalog()
    problems = []
    for path in MODULE_FILES:
        for iri in resources.imported_iris(path):
            target = catalog.get(iri)
            if target is None:
                problems.append(f"{path.name}: <{iri}> is not in catalog-v001.xml")
            elif not target.is_file():
                problems.append(f"{path.name}: <{iri}> maps to {target.name}, which does not exist")
    assert not problems, "\n".join(problems)


def test_strict_module_paths_match_imports():
    paths = resources.module_paths()  # raises KnowledgeBaseError when a module is missing
    assert paths[0].name == "her2neg.ttl"
    assert len(paths) == len(resources.imported_iris()) + 1


def test_top_ontology_imports_every_module_file():
    """A new .ttl in ontology/ that the top ontology does not import fails here."""
    imports = set(resources.imported_iris())
    missing = [p.name for p in MODULE_FILES if p.stem != "her2neg" and h2n(p.stem) not in imports]
    assert not missing, f"add to the owl:imports of her2neg.ttl and to the catalog: {missing}"


def test_catalog_maps_every_module_and_version_iri():
    catalog = resources.read_catalog()
    for path in MODULE_FILES:
        if path.stem == "her2neg":
            iri, version = "https://w3id.org/her2neg/kb", "https://w3id.org/her2neg/kb/0.1.0"
        else:
            iri, version = h2n(path.stem), f"https://w3id.org/her2neg/kb/0.1.0/{path.stem}"
        assert catalog.get(iri) == path.resolve(), iri
        assert catalog.get(version) == path.resolve(), version


def test_catalog_uses_relative_uris():
    root = ET.parse(resources.catalog_path()).getroot()
    for element in root.iter("{urn:oasis:names:tc:entity:xmlns:xml:catalog}uri"):
        assert "/" not in element.get("uri") and ":" not in element.get("uri"), element.get("uri")


@pytest.mark.parametrize("path", MODULE_FILES, ids=lambda p: p.name)
def test_module_header(path):
    graph = rdflib.Graph().parse(path, format="turtle")
    expected = "https://w3id.org/her2neg/kb" if path.stem == "her2neg" else h2n(path.stem)
    headers = list(graph.subjects(RDF.type, OWL.Ontology))
    assert [str(h) for h in headers] == [expected]
    header = headers[0]
    version = graph.value(header, OWL.versionIRI)
    suffix = "" if path.stem == "her2neg" else f"/{path.stem}"
    assert str(version) == f"https://w3id.org/her2neg/kb/0.1.0{suffix}"
    for prop in (DCTERMS.title, DCTERMS.description, DCTERMS.license, RDFS.label, SKOS.definition):
        assert graph.value(header, prop) is not None, f"{path.name}: no {prop}"


def test_top_ontology_imports_every_listed_module():
    modules = {
        "core",
        "states",
        "roles",
        "classification",
        "drugs",
        "contraindications",
        "sources",
        "regimens",
        "regimens-tn-early",
        "recommendations-metastatic-hr",
        "recommendations-metastatic-tn",
        "recommendations-other",
        "advice",
    }
    assert {h2n(m) for m in modules} <= set(resources.imported_iris())


# ---------------------------------------------------------------- HermiT


def test_hermit_consistent(hermit):
    report, _ = hermit
    assert report.consistent, report.message


def test_no_unsatisfiable_classes(hermit):
    report, _ = hermit
    assert report.unsatisfiable == (), report.unsatisfiable


@pytest.mark.parametrize(("sub", "sup"), EXPECTED_SUBSUMPTIONS, ids=lambda x: x)
def test_expected_subsumption(hermit, sub, sup):
    report, _ = hermit
    assert report.is_subclass(h2n(sub), h2n(sup)), f"{sub} ⊑ {sup} is not entailed"


@pytest.mark.parametrize(("sub", "sup"), FORBIDDEN_SUBSUMPTIONS, ids=lambda x: x)
def test_forbidden_subsumption(hermit, sub, sup):
    report, _ = hermit
    assert not report.is_subclass(h2n(sub), h2n(sup)), f"{sub} ⊑ {sup} must not hold"


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_example_classification(hermit, name):
    _, classes = hermit
    _record, must, must_not = EXAMPLES[name]
    got = classes[name]
    assert must <= got, f"missing {sorted(must - got)}; got {sorted(got)}"
    assert not (must_not & got), f"wrongly inferred {sorted(must_not & got)}"


def test_hermit_summary_mentions_consistency(hermit):
    report, _ = hermit
    assert "consistent" in report.summary()
