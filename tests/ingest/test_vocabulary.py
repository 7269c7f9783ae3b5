"""The one vocabulary (reasoner.terminology): built from the knowledge base's store it equals the one
read from the module files, and the SSSOM mapping set is sound (every subject a term of the
knowledge base, every row with a source, one code read as one value, one export code per value)."""

from collections import defaultdict

import pytest
from rdflib import OWL, RDF, RDFS, Graph, URIRef

from reasoner.kb import KnowledgeBase
from reasoner.terminology import (
    NO_TERM_FOUND,
    Vocabulary,
    concomitant_medications,
    core_graph,
    enum_table,
    mapping_set_paths,
    ontology_file,
    read_mapping_set,
)
from reasoner.vocab import H2N

SNOMED_SETS = (H2N.MenopausalStatus, H2N.MetastaticSite, H2N.SpecimenType, H2N.ConditionCode)
#: Every enumeration with coded individuals in the mapping set.
ENUM_SETS = (*SNOMED_SETS, H2N.HER2IHCScore, H2N.TherapySetting, H2N.EndReason, H2N.ProgressionBasis,
             H2N.SurgeryType, H2N.ReceptorStatus, H2N.TCategory, H2N.NCategory, H2N.MCategory, H2N.StageGroup, H2N.EcogGrade,
             H2N.BiomarkerStatus)  # fmt: skip


@pytest.fixture(scope="module")
def mappings():
    paths = mapping_set_paths()
    assert [p.name for p in paths] == ["her2neg-codes.sssom.tsv"]
    return [m for p in paths for m in read_mapping_set(p)]


def test_store_and_files_give_the_same_vocabulary():
    from_store, from_files = KnowledgeBase.default().vocabulary, Vocabulary.default()
    assert from_store.names == from_files.names
    assert from_store.synonyms == from_files.synonyms
    assert from_store.by_code == from_files.by_code
    assert from_store.by_name == from_files.by_name


def test_every_subject_is_a_term_of_the_knowledge_base(mappings):
    """Every subject is a coded value, a drug, a patient property of core.ttl, a concomitant
    medication of interactions.ttl or a record concept of record.ttl, and its subject_label is that
    term's rdfs:label (the JSON code for a coded value)."""
    vocabulary = Vocabulary.default()
    individuals = {iri: code for cls in ENUM_SETS for iri, code in enum_table(cls).by_iri.items()}
    core = core_graph()
    properties = {s for t in (OWL.DatatypeProperty, OWL.ObjectProperty) for s in core.subjects(RDF.type, t)}
    medications = concomitant_medications()
    record = Graph().parse(ontology_file("record.ttl"))
    concepts = {
        s: str(label)
        for s, label in record.subject_objects(RDFS.label)
        if isinstance(s, URIRef)
        and (s, RDF.type, OWL.Class) not in record
        and (s, RDF.type, H2N.Source) not in record
    }
    for m in mappings:
        subject = URIRef(m.subject)
        if m.subject == NO_TERM_FOUND:  # a code no term matches: deliberately not mapped, with a reason
            assert m.not_mapped and not m.read and m.reason and ". Source:" in m.comment, m
            continue
        assert (
            subject in individuals
            or vocabulary.label(subject)
            or subject in properties
            or subject in medications
            or subject in concepts
        ), m
        if subject in individuals:
            assert m.subject_label == individuals[subject], m  # the JSON code (skos:notation)
        if subject in properties:
            assert m.subject_label in {str(x) for x in core.objects(subject, RDFS.label)}, m
        if subject in medications:
            assert m.subject_label == medications[subject], m
        if subject in concepts:
            assert m.subject_label == concepts[subject], m
        assert m.comment.strip(), f"{m.code}: every mapping names its source"


def test_every_patient_property_read_from_fhir_has_one_export_code():
    """The receptor, biomarker, ECOG and lab properties the FHIR import reads by LOINC code each
    have one code written on export (the mapping set's exact code)."""
    v = Vocabulary.default()
    for prop in (
        H2N.erStatus,
        H2N.erPercent,
        H2N.prStatus,
        H2N.prPercent,
        H2N.her2IhcScore,
        H2N.her2Status,
        H2N.her2IshResult,
        H2N.ki67Percent,
        H2N.pdl1Cps,
        H2N.pdl1IcPercent,
        H2N.ecog,
        H2N.lvefPercent,
        H2N.qtcfMs,
        H2N.crclMlMin,
        H2N.hba1cPercent,
        H2N.calciumMgDl,
    ):
        assert v.codes(prop, "loinc"), prop
        m = v.export_mapping(prop, "loinc")
        assert m is not None and m.code in v.codes(prop, "loinc") and m.label, prop


def test_a_code_is_read_as_one_value_and_each_value_has_one_export_code(mappings):
    """A code is read as one value of a value set (one class of coded values; a code may be read in
    two value sets, e.g. 271299001 Patient's condition worsened as an end reason and as a disease
    status), and each value has one export code per code system and category."""
    graph = core_graph() + Graph().parse(ontology_file("record.ttl"))

    def value_set(subject):
        types = sorted(str(t) for t in graph.objects(URIRef(subject), RDF.type) if t != OWL.NamedIndividual)
        return types[0] if types else ""  # drugs and medications (other modules): one value set

    read = defaultdict(set)
    exported = defaultdict(set)
    for m in mappings:
        if m.read:
            read[(m.system, m.code, value_set(m.subject))].add(m.subject)
        if m.export:
            exported[(m.subject, m.system, m.category)].add(m.code)
    assert {k: v for k, v in read.items() if len(v) > 1} == {}
    assert {k: v for k, v in exported.items() if len(v) > 1} == {}


def test_a_broader_code_is_never_read_back(mappings):
    broad = [m for m in mappings if m.predicate.endswith("broadMatch")]
    assert broad and not any(m.read for m in broad)
    assert "59441001" not in Vocabulary.default().read_codes(H2N.MetastaticSite)


def test_drug_codes_of_the_mapping_set_resolve_but_the_ontology_wins():
    v = Vocabulary.default()
    rxn = "http://www.nlm.nih.gov/research/umls/rxnorm"
    assert v.match_code(rxn, "1873978") == "ribociclib"  # ribociclib succinate (PIN), drug-identifiers.md
    assert v.match_code(rxn, "198240") == "tamoxifen"  # Tamoxifen 10 MG Oral Tablet (Synthea)
    assert v.match_code(rxn, "72965") == "letrozole"  # the ingredient code of drugs.ttl
    # "liposomal doxorubicin" is ambiguous: pegylated (Doxil/Caelyx) or not (Myocet, a different
    # product); it is left unresolved (an unknown drug, never guessed), while the pegylated names resolve
    assert v.canonical("Liposomal Doxorubicin") is None
    assert (
        v.canonical("Caelyx")
        == v.canonical("doxorubicin hydrochloride liposome")
        == "pegylated liposomal doxorubicin"
    )
    assert v.match_text("paclitaxel protein bound 100 mg") == "nab-paclitaxel"


def test_the_engine_reads_records_with_its_knowledge_base_vocabulary(kb, monkeypatch):
    """Names are resolved with the vocabulary of the loaded knowledge base, not a second one read
    from files: a knowledge base whose vocabulary lacks a synonym does not accept it."""
    import json
    from pathlib import Path

    record = json.loads(
        (
            Path(__file__).resolve().parents[2] / "examples" / "patients" / "hr-second-line-pik3ca.json"
        ).read_text()
    )
    record["therapies"][0]["drugs"] = ["Femara"]  # brand name of letrozole (skos:altLabel)
    assert kb.engine.run([record])[0].status == "ok"
    v = kb.vocabulary
    bare = Vocabulary({n: v.iri(n) for n in v.names}, {}, (), v.mappings)  # no synonyms, no brands
    monkeypatch.setattr(kb, "vocabulary", bare)
    result = kb.engine.run([record])[0]
    assert result.status == "invalid"
    assert any("Femara" in entry.message for entry in result.validation)
