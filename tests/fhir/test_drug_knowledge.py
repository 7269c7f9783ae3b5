"""Drug knowledge the FHIR consistency checks read from ``ontology/drugs.ttl``, not from Python:
which biomarker a targeted drug's indication requires (``h2n:BiomarkerRequirement``) and which drugs
are CDK4/6 inhibitors (``h2n:CDK46Inhibitor``).

Expected values are written from the indications (drug-identifiers.md Table B and the labels and
approvals it cites): alpelisib and inavolisib need a PIK3CA mutation (Piqray and Itovebi US section 1);
capivasertib one or more PIK3CA, AKT1 or PTEN alterations (Truqap US section 1, EU 2024);
elacestrant, imlunestrant and vepdegestrant an ESR1 mutation (Orserdu US section 1; FDA approvals
of 2025 and 2026); olaparib and talazoparib a germline BRCA1/2 pathogenic variant (Lynparza and
Talzenna US section 1). Palbociclib, ribociclib and abemaciclib are the CDK4/6 inhibitors (ATC
L01EF)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from builders import LOINC, bundle, cc, med_statement, obs, patient

from reasoner.errors import KnowledgeBaseError
from reasoner.ingest.fhir import bundle_to_record
from reasoner.kb import KnowledgeBase
from reasoner.resources import ontology_dir
from reasoner.terminology import Vocabulary
from reasoner.vocab import H2N

AS_OF = dt.date(2021, 3, 1)

#: drug -> (biomarkers any one of which meets the indication, the result that counts as positive)
INDICATIONS = {
    "alpelisib": ({"PIK3CA"}, "altered"),
    "inavolisib": ({"PIK3CA"}, "altered"),
    "capivasertib": ({"PIK3CA", "AKT1", "PTEN"}, "altered"),
    "elacestrant": ({"ESR1"}, "altered"),
    "imlunestrant": ({"ESR1"}, "altered"),
    "vepdegestrant": ({"ESR1"}, "altered"),
    "olaparib": ({"gBRCA1", "gBRCA2"}, "pathogenic"),
    "talazoparib": ({"gBRCA1", "gBRCA2"}, "pathogenic"),
}
#: HGNC ids (genenames.org) of the genes above.
HGNC = {"PIK3CA": "8975", "AKT1": "391", "PTEN": "9588", "ESR1": "3467"}


def test_biomarker_requirements_are_the_indications():
    got = Vocabulary.default().biomarker_requirements
    assert {d: (set(r.tests), set(r.statuses)) for d, r in got.items()} == {
        d: (tests, {status}) for d, (tests, status) in INDICATIONS.items()
    }


def test_cdk46_inhibitors_are_a_drug_class_of_the_ontology():
    assert Vocabulary.default().drugs_of_class(H2N.CDK46Inhibitor) == {"palbociclib", "ribociclib", "abemaciclib"}
    bone = Vocabulary.default().drugs_of_class(H2N.BoneTargetedAgent)
    assert bone == {"zoledronic acid", "pamidronate", "ibandronate", "clodronate", "denosumab"}


@pytest.mark.parametrize("backend", ["oxigraph", "rdflib"])
def test_the_knowledge_base_store_gives_the_same_drug_knowledge_as_the_files(backend, monkeypatch):
    """kb-vocabulary.rq on the store and the Turtle file read directly agree (one vocabulary)."""
    monkeypatch.setenv("HER2NEG_NO_CACHE", "1")  # derived from the store, not the start-up cache
    store, files = KnowledgeBase.load(backend=backend).vocabulary, Vocabulary.default()
    assert store.biomarker_requirements == files.biomarker_requirements
    for cls in (H2N.CDK46Inhibitor, H2N.BoneTargetedAgent, H2N.EndocrineTherapy, H2N.Drug):
        assert store.drugs_of_class(cls) == files.drugs_of_class(cls), cls


def test_every_requirement_has_its_source_and_date():
    from rdflib import Graph
    from rdflib.namespace import DCTERMS, RDF

    g = Graph().parse(ontology_dir() / "drugs.ttl")
    requirements = set(g.subjects(RDF.type, H2N.BiomarkerRequirement))
    assert len(requirements) == len(INDICATIONS)
    for r in requirements:
        assert list(g.objects(r, DCTERMS.source)), r
        assert list(g.objects(r, H2N.currentTo)), r


def _drugs_file(tmp_path: Path, old: str, new: str) -> Path:
    text = (ontology_dir() / "drugs.ttl").read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "drugs.ttl"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def test_a_requirement_naming_an_unknown_test_fails_closed(tmp_path):
    path = _drugs_file(tmp_path, "h2n:requiresPositiveTest h2n:test-esr1 ;", "h2n:requiresPositiveTest h2n:test-esr2 ;")
    with pytest.raises(KnowledgeBaseError, match="BiomarkerTestKind"):
        Vocabulary.from_file(path)


def test_a_requirement_without_a_positive_status_fails_closed(tmp_path):
    text = (ontology_dir() / "drugs.ttl").read_text(encoding="utf-8")
    block = text[text.index("h2n:biomarker-requirement-talazoparib a"):]
    status_line = "    h2n:satisfiedByStatus h2n:biomarker-pathogenic ;\n"
    assert status_line in block
    path = tmp_path / "drugs.ttl"
    path.write_text(text.replace(block, block.replace(status_line, "", 1)), encoding="utf-8")
    with pytest.raises(KnowledgeBaseError, match="talazoparib"):
        Vocabulary.from_file(path)


# ------------------------------------------------------------------ the FHIR consistency check


def variant(oid: str, gene: str, present: bool = True) -> dict:
    """A somatic genetic-variant Observation (mCODE GenomicVariant: LOINC 69548-6, gene 48018-6)."""
    return obs(
        oid,
        cc(LOINC, "69548-6"),
        {"valueCodeableConcept": cc(LOINC, "LA9633-4" if present else "LA9634-2")},
        component=[{"code": cc(LOINC, "48018-6"),
                    "valueCodeableConcept": cc("http://www.genenames.org/geneId", f"HGNC:{HGNC[gene]}")}],
    )  # fmt: skip


def on(drug: str) -> dict:
    return med_statement("m1", cc(None, None, text=drug), status="active", effectiveDateTime="2020-06-01")


def conflicts(*resources, drugs=None) -> list[str]:
    report = bundle_to_record(bundle(patient(), *resources), as_of=AS_OF, drugs=drugs or Vocabulary.default()).report
    return [c.text for c in report.conflicts if c.kind == "targeted_without_biomarker"]


@pytest.mark.parametrize("gene", ["PIK3CA", "AKT1", "PTEN"])
def test_capivasertib_with_any_of_its_alterations_is_consistent(gene):
    assert conflicts(on("capivasertib"), variant("v1", gene)) == []


def test_capivasertib_without_an_alteration_is_a_conflict():
    found = conflicts(on("capivasertib"), variant("v1", "PTEN", present=False))
    assert len(found) == 1 and "capivasertib" in found[0] and "PTEN not_detected" in found[0]
    (none,) = conflicts(on("capivasertib"))
    assert all(g in none for g in ("PIK3CA", "AKT1", "PTEN")) and "no " in none


def test_alpelisib_needs_pik3ca_not_akt1():
    """Alpelisib is for PIK3CA-mutated disease only (ASCO 2024: an option for PIK3CA, not AKT1)."""
    assert conflicts(on("alpelisib"), variant("v1", "PIK3CA")) == []
    assert len(conflicts(on("alpelisib"), variant("v1", "AKT1"))) == 1


def test_elacestrant_needs_esr1():
    assert conflicts(on("elacestrant"), variant("v1", "ESR1")) == []
    assert len(conflicts(on("elacestrant"), variant("v1", "PIK3CA"))) == 1


def test_a_drug_without_a_requirement_raises_no_conflict():
    assert conflicts(on("fulvestrant")) == []


def test_the_check_reads_the_requirement_from_the_ontology(tmp_path):
    """Knowledge is data: a requirement changed in a copy of drugs.ttl changes the check."""
    path = _drugs_file(
        tmp_path,
        "h2n:biomarker-requirement-alpelisib a h2n:BiomarkerRequirement ;",
        "h2n:biomarker-requirement-alpelisib a h2n:BiomarkerRequirement ;\n"
        "    h2n:requiresPositiveTest h2n:test-akt1 ;",
    )
    changed = Vocabulary.from_file(path)
    assert set(changed.biomarker_requirements["alpelisib"].tests) == {"PIK3CA", "AKT1"}
    assert conflicts(on("alpelisib"), variant("v1", "AKT1"), drugs=changed) == []


def test_at_most_one_requirement_per_drug():
    """The vocabulary merges a drug's requirement rows: two requirements of one drug would read as one."""
    from collections import Counter

    from rdflib import Graph

    g = Graph().parse(ontology_dir() / "drugs.ttl")
    per_drug = Counter(g.objects(None, H2N.requirementOfDrug))
    assert per_drug and max(per_drug.values()) == 1
