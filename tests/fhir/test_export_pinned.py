"""The FHIR export and the FSH reader write the same bytes as before their codes moved to the mapping set.

``tests/fhir/data/export-pinned.json`` was written by ``record_to_bundle`` and ``fsh_resources`` while
their codes were still literals in ``export.py`` and ``fsh.py`` (main at 30282d2): the bundle of every
example patient (``examples/patients``) and every acceptance record (``tests/acceptance/cases``), and
the resources of an FSH text that uses every profile-fixed code and component slice the FSH reader
knows. Reading the codes through the vocabulary must not change one byte of them. A deliberate change
of the export regenerates the file: ``PYTHONPATH=$PWD python tests/fhir/test_export_pinned.py``
(and the diff is reviewed)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from reasoner.ingest.fhir import record_to_bundle
from reasoner.ingest.fhir.fsh import fsh_resources

ROOT = Path(__file__).resolve().parents[2]
PINNED = Path(__file__).parent / "data" / "export-pinned.json"

#: One instance of each profile whose code the FSH reader fills in, and each component slice.
FSH = """
Instance: pat
InstanceOf: CancerPatient
* gender = #female

Instance: ecog
InstanceOf: ECOGPerformanceStatus
* subject = Reference(pat)
* valueInteger = 1

Instance: karnofsky
InstanceOf: KarnofskyPerformanceStatus
* subject = Reference(pat)
* valueInteger = 80

Instance: status
InstanceOf: CancerDiseaseStatus
* subject = Reference(pat)
* valueCodeableConcept = SCT#271299001 "Patient's condition worsened"

Instance: variant
InstanceOf: GenomicVariant
* subject = Reference(pat)
* valueCodeableConcept = LNC#LA9633-4 "Present"
* component[gene-studied].valueCodeableConcept = HGNC#HGNC:8975 "PIK3CA"
* component[genomic-source-class].valueCodeableConcept = LNC#LA6684-0 "Somatic"
* component[clinical-significance].valueCodeableConcept = LNC#LA6668-3 "Pathogenic"
* component[variation-code].valueCodeableConcept = CLINVAR#31944 "c.3140A>G"
* component[genomic-hgvs].valueCodeableConcept = HGVS#NC_000003.12:g.179234297A>G

Instance: size
InstanceOf: TumorSize
* subject = Reference(pat)
* valueQuantity = 22 'mm'
* component[tumorLongestDimension].valueQuantity = 22 'mm'

Instance: weight
InstanceOf: http://hl7.org/fhir/StructureDefinition/bodyweight
* subject = Reference(pat)
* valueQuantity = 70 'kg'

Instance: height
InstanceOf: http://hl7.org/fhir/StructureDefinition/bodyheight
* subject = Reference(pat)
* valueQuantity = 165 'cm'
"""


def _records() -> dict[str, dict]:
    out = {}
    for path in sorted((ROOT / "examples" / "patients").glob("*.json")):
        out[f"examples/{path.name}"] = json.loads(path.read_text(encoding="utf-8"))
    for path in sorted((ROOT / "tests" / "acceptance" / "cases").glob("*.json")):
        case = json.loads(path.read_text(encoding="utf-8"))
        record = case.get("record")
        if isinstance(record, dict):
            out[f"acceptance/{path.name}"] = record
    return out


def _exported() -> dict[str, str]:
    return {name: _now(name) for name in [*_records(), "fsh"]}


def _pinned() -> dict[str, str]:
    return json.loads(PINNED.read_text(encoding="utf-8"))


def test_every_record_and_the_fsh_text_are_pinned():
    names = set(_records()) | {"fsh"}
    assert names == set(_pinned()), "a record was added or removed: regenerate and review the diff"
    assert len(names) > 20


def _now(name: str) -> str:
    if name == "fsh":
        return json.dumps(fsh_resources([FSH]), ensure_ascii=False)
    return json.dumps(record_to_bundle(_records()[name]), ensure_ascii=False)


@pytest.mark.parametrize("name", sorted(_pinned()) if PINNED.is_file() else ["<no pinned file>"])
def test_the_export_is_byte_identical_to_the_pinned_one(name):
    assert PINNED.is_file(), f"{PINNED} missing"
    assert _now(name) == _pinned()[name]


if __name__ == "__main__":  # regenerate (a deliberate change of the export)
    PINNED.write_text(json.dumps(_exported(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    sys.exit(0)
