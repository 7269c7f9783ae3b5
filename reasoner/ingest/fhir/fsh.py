"""FHIR Shorthand (FSH) instances -> FHIR R4 JSON, for the mCODE examples that exist only as FSH.

The mCODE implementation guide's breast-cancer example ("Jenny M") and MITRE's Synthea-derived
breast-cancer patients (``mcode-omop``) are published as FSH ``Instance`` definitions; the official
compiler (SUSHI) needs the FHIR packages from a package server, which is out of reach here. This
module reads the subset of FSH those files use -- ``Alias``, ``Instance``/``InstanceOf``/``Usage``/
``Title``/``Description``, assignment rules ``* path = value`` (codes ``SYS#code "display"``,
``Reference(id)``, quantities ``6000 'cGy'``, strings, numbers, booleans, dates, instance names),
indexes ``[0]``/``[+]``/``[=]``, extension slices by name and indented (context) rules -- and
types each element from the ``fhir.resources`` R4B models, so a code lands as a CodeableConcept,
Coding or code as the element requires. ``RuleSet``/``insert``, caret rules and profiles' own
slices other than extensions are not interpreted (the rule is skipped and listed).

Profiles are reduced to their base resource (``PrimaryCancerCondition`` -> ``Condition``) and kept
in ``meta.profile`` with the mCODE canonical URL, which is what the mapper reads.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reasoner.errors import FhirError
from reasoner.vocab import H2N

__all__ = ["FshInstance", "parse_fsh", "fsh_resources", "fsh_patient_bundles", "is_fsh"]

MCODE = "http://hl7.org/fhir/us/mcode/StructureDefinition/"
US_CORE = "http://hl7.org/fhir/us/core/StructureDefinition/"

#: The aliases of the mCODE IG and mcode-omop (their alias files are not part of the examples).
DEFAULT_ALIASES = {
    "SCT": "http://snomed.info/sct",
    "LNC": "http://loinc.org",
    "RXN": "http://www.nlm.nih.gov/research/umls/rxnorm",
    "AJCC": "http://cancerstaging.org",
    "ICD10CM": "http://hl7.org/fhir/sid/icd-10-cm",
    "UCUM": "http://unitsofmeasure.org",
    "NCIT": "http://ncit.nci.nih.gov",
    "HGNC": "http://www.genenames.org/geneId",
    "HGVS": "http://varnomen.hgvs.org",
    "GTR": "http://www.ncbi.nlm.nih.gov/gtr",
    "CLINVAR": "http://www.ncbi.nlm.nih.gov/clinvar",
    "ClinStatus": "http://terminology.hl7.org/CodeSystem/condition-clinical",
    "VerStatus": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
    "CondCat": "http://terminology.hl7.org/CodeSystem/condition-category",
    "ObsCat": "http://terminology.hl7.org/CodeSystem/observation-category",
    "ObsInt": "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation",
    "MedReqCat": "http://terminology.hl7.org/CodeSystem/medicationrequest-category",
    "IDTYPE": "http://terminology.hl7.org/CodeSystem/v2-0203",
    "SPTY": "http://terminology.hl7.org/CodeSystem/v2-0487",
    "OmbRaceCat": "urn:oid:2.16.840.1.113883.6.238",
    "DiagnosticService": "http://terminology.hl7.org/CodeSystem/v2-0074",
    "AbsentReason": "http://terminology.hl7.org/CodeSystem/data-absent-reason",
    "RefMeaning": "http://terminology.hl7.org/CodeSystem/referencerange-meaning",
}

#: mCODE / US Core profile names -> base resource type (the profile URL is derived from the name).
PROFILE_BASE = {
    "CancerPatient": "Patient",
    "PrimaryCancerCondition": "Condition",
    "SecondaryCancerCondition": "Condition",
    "HistologyMorphologyBehavior": "Condition",
    "TumorMarkerTest": "Observation",
    "CancerStageGroup": "Observation",
    "TNMStageGroup": "Observation",
    "TNMPrimaryTumorCategory": "Observation",
    "TNMRegionalNodesCategory": "Observation",
    "TNMDistantMetastasesCategory": "Observation",
    "CancerDiseaseStatus": "Observation",
    "GenomicVariant": "Observation",
    "GenomicRegionStudied": "Observation",
    "ECOGPerformanceStatus": "Observation",
    "KarnofskyPerformanceStatus": "Observation",
    "Comorbidities": "Observation",
    "TumorSize": "Observation",
    "Tumor": "BodyStructure",
    "HumanSpecimen": "Specimen",
    "GenomicsReport": "DiagnosticReport",
    "CancerRelatedMedicationAdministration": "MedicationAdministration",
    "CancerRelatedMedicationRequest": "MedicationRequest",
    "CancerRelatedMedicationStatement": "MedicationStatement",
    "CancerRelatedSurgicalProcedure": "Procedure",
    "RadiotherapyCourseSummary": "Procedure",
    "RadiotherapyVolume": "BodyStructure",
    "ComorbiditiesResponse": "QuestionnaireResponse",
    "MCODEPatientBundle": "Bundle",
    "MCODEPatientGroup": "Group",
    "USCorePatient": "Patient",
    "USCoreCondition": "Condition",
    "USCoreProcedure": "Procedure",
    "USCoreObservationLab": "Observation",
    "USCoreDiagnosticReportLab": "DiagnosticReport",
    "USCoreSmokingStatusProfile": "Observation",
    "USCorePractitioner": "Practitioner",
    "USCoreOrganization": "Organization",
}
#: Extension slice names whose canonical URL is not mCODE's kebab-case of the name.
EXTENSION_URLS = {
    "birthsex": US_CORE + "us-core-birthsex",
    "race": US_CORE + "us-core-race",
    "ethnicity": US_CORE + "us-core-ethnicity",
}

_LOINC = "http://loinc.org"
#: ``code`` fixed by a profile (SUSHI fills it from the profile; the instances leave it out) -> the
#: concept whose export code (LOINC, ``ontology/mappings/her2neg-codes.sssom.tsv``) is written.
#: Comorbidities has no fixed code we could verify: it gets a text-only code naming the profile.
#: The codes are the mapping set's (no literal clinical code here: ``tests/fhir/test_code_tables.py``);
#: the alias and profile URLs above are structural.
FIXED_CONCEPTS = {
    "ECOGPerformanceStatus": H2N.ecog,
    "KarnofskyPerformanceStatus": H2N["obs-karnofsky-performance-status"],
    "CancerDiseaseStatus": H2N["obs-cancer-disease-status"],
    "GenomicVariant": H2N["obs-genetic-variant-assessment"],
    "TumorSize": H2N.tumorSizeMm,
    "bodyweight": H2N["obs-body-weight"],
    "bodyheight": H2N["obs-body-height"],
}
#: Display written where it is the profile's name rather than the mapping set's LOINC label.
FIXED_DISPLAY = {"CancerDiseaseStatus": "Cancer disease status"}
#: Observation.component slices of the mCODE / Genomics Reporting profiles -> the concept whose
#: export code is the slice's fixed code.
COMPONENT_CONCEPTS = {
    "gene-studied": H2N["obs-gene-studied"],
    "genomic-source-class": H2N["obs-genomic-source-class"],
    "clinical-significance": H2N["obs-variant-clinical-significance"],
    "variation-code": H2N["obs-variation-code"],
    "genomic-hgvs": H2N["obs-genomic-hgvs"],
    "tumorLongestDimension": H2N["obs-tumor-longest-dimension"],
}


def _loinc_coding(concept: Any, display: str | None = None) -> dict[str, str]:
    from .codes import export_row

    m = export_row(concept, "loinc")
    return {"system": _LOINC, "code": m.code, "display": display or m.label}


@functools.cache
def fixed_codes() -> dict[str, dict[str, str]]:
    """Profile name -> the Coding of its fixed ``code`` (read once from the vocabulary)."""
    return {name: _loinc_coding(c, FIXED_DISPLAY.get(name)) for name, c in FIXED_CONCEPTS.items()}


@functools.cache
def component_slices() -> dict[str, dict[str, str]]:
    """Component slice name -> the Coding of its fixed code (read once from the vocabulary)."""
    return {name: _loinc_coding(c) for name, c in COMPONENT_CONCEPTS.items()}


_INSTANCE_KEYS = ("Instance", "InstanceOf", "Title", "Description", "Usage")


@dataclass
class FshInstance:
    """One ``Instance`` of an FSH file: its id, profile or resource type, and assignment rules."""

    id: str
    instance_of: str = ""
    rules: list[tuple[str, str]] = field(default_factory=list)  # (path, value text)
    skipped: list[str] = field(default_factory=list)
    source: str = ""


def _kebab(name: str) -> str:
    """``ECOGPerformanceStatus`` -> ``ecog-performance-status`` (acronyms kept together)."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "-", name).lower()


def _strip_comments(text: str) -> str:
    """Remove ``//`` and ``/* */`` comments outside strings."""
    out, i, n, in_str = [], 0, len(text), False
    while i < n:
        c = text[i]
        if in_str:
            out.append(c)
            if c == "\\" and i + 1 < n:
                out.append(text[i + 1])
                i += 2
                continue
            if c == '"':
                in_str = False
            i += 1
            continue
        if c == '"':
            in_str = True
            out.append(c)
            i += 1
        elif text.startswith("//", i) and (i == 0 or text[i - 1] != ":"):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            skipped = text[i : (n if j < 0 else j + 2)]
            out.append("\n" * skipped.count("\n"))
            i = n if j < 0 else j + 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def is_fsh(text: str) -> bool:
    """True for FSH text with at least one ``Instance:`` definition."""
    return bool(re.search(r"^\s*Instance\s*:", text, re.M)) and not text.lstrip().startswith(("{", "["))


def parse_fsh(text: str, source: str = "<fsh>") -> tuple[dict[str, FshInstance], dict[str, str]]:
    """Instances (by id, in file order) and aliases of one FSH text."""
    aliases: dict[str, str] = {}
    instances: dict[str, FshInstance] = {}
    current: FshInstance | None = None
    in_other = False  # inside a RuleSet / Profile / ValueSet ... (not read)
    context: list[tuple[int, str]] = []
    for lineno, raw in enumerate(_strip_comments(text).splitlines(), start=1):
        if not raw.strip():
            continue
        m = re.match(r"^([A-Za-z]+)\s*:\s*(.*)$", raw)
        if m and not raw.startswith((" ", "\t", "*")):
            key, value = m.group(1), m.group(2).strip()
            if key == "Alias":
                name, _, url = value.partition("=")
                aliases[name.strip()] = url.strip()
                continue
            if key == "Instance":
                current = FshInstance(value, source=f"{source}:{lineno}")
                instances[value] = current
                in_other, context = False, []
                continue
            if key in _INSTANCE_KEYS and current is not None and not in_other:
                if key == "InstanceOf":
                    current.instance_of = value
                continue
            in_other, current = True, None  # RuleSet, Profile, Extension, ValueSet, ...
            continue
        if current is None or in_other:
            continue
        rule = re.match(r"^(\s*)\*\s*(.*)$", raw)
        if not rule:
            continue  # continuation of a multi-line string (Description): not a rule
        indent, body = len(rule.group(1)), rule.group(2).strip()
        while context and context[-1][0] >= indent:
            context.pop()
        if body.startswith(("insert ", "^")) or re.match(r"^\S+\s+(from|contains|only|obeys)\b", body):
            current.skipped.append(body)
            continue
        path, eq, value = body.partition("=")
        path = path.strip()
        if context:
            path = f"{context[-1][1]}.{path}" if path else context[-1][1]
        if not eq:
            context.append((indent, path))  # a context rule: the indented rules below extend it
            continue
        current.rules.append((path, value.strip()))
    return instances, aliases


# --------------------------------------------------------------------------- typing from the models


@functools.cache
def _model(type_name: str) -> Any:
    from fhir.resources.R4B import get_fhir_model_class

    try:
        return get_fhir_model_class(type_name)
    except (KeyError, ValueError, LookupError):
        return None


@dataclass(frozen=True)
class _Kind:
    is_list: bool
    type_name: str  # "CodeableConcept", "Coding", "Reference", "Quantity", ..., or a primitive
    model: Any  # the model class for complex types, else None


@functools.cache
def _field_kind(model: Any, name: str) -> _Kind | None:
    if model is None:
        return None
    f = model.model_fields.get(name)
    if f is None:
        return None
    ann = str(f.annotation)
    is_list = "List[" in ann
    m = re.search(r"abc\.(\w+)Type", ann)
    if m:
        return _Kind(is_list, m.group(1), _model(m.group(1)))
    prim = re.search(r"(Code|DateTime|Date|Instant|Decimal|Integer|UnsignedInt|PositiveInt|Boolean)\(", ann)
    return _Kind(is_list, prim.group(1) if prim else "string", None)


_SEG = re.compile(r"([A-Za-z0-9_\-]+)((?:\[[^\]]*\])*)")


def _segments(path: str) -> list[tuple[str, list[str]]]:
    parts, depth, cur = [], 0, ""
    for ch in path:
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        if ch == "." and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    out = []
    for p in parts:
        m = _SEG.fullmatch(p.strip())
        if not m:
            raise ValueError(f"path segment {p!r}")
        out.append((m.group(1), re.findall(r"\[([^\]]*)\]", m.group(2))))
    return out


class _Builder:
    def __init__(self, instances: dict[str, FshInstance], aliases: dict[str, str]):
        self.instances = instances
        self.aliases = {**DEFAULT_ALIASES, **aliases}
        self.types: dict[str, str] = {}
        for inst in instances.values():
            self.types[inst.id] = self.resource_type(inst)[0]

    def resource_type(self, inst: FshInstance) -> tuple[str, str | None]:
        name = inst.instance_of.strip()
        if name.startswith("http"):
            base = {"bodyweight": "Observation", "bodyheight": "Observation"}.get(name.rsplit("/", 1)[-1])
            return base or "Basic", name
        if name in PROFILE_BASE:
            prefix = US_CORE if name.startswith("USCore") else MCODE
            slug = _kebab(name[6:]) if name.startswith("USCore") else "mcode-" + _kebab(name)
            if name.startswith("USCore"):
                slug = "us-core-" + slug
            return PROFILE_BASE[name], prefix + slug
        return name, None

    # values --------------------------------------------------------------------------------
    def system(self, token: str) -> str:
        return self.aliases.get(token, token)

    def coding(self, text: str) -> dict[str, Any] | None:
        m = re.match(r'^(\S*?)#("([^"]*)"|[^\s"]+)\s*(?:"((?:[^"\\]|\\.)*)")?\s*$', text)
        if not m:
            return None
        sys_tok, code = m.group(1), m.group(3) if m.group(3) is not None else m.group(2)
        out: dict[str, Any] = {}
        if sys_tok:
            out["system"] = self.system(sys_tok)
        out["code"] = code
        if m.group(4):
            out["display"] = m.group(4)
        return out

    def reference(self, text: str) -> dict[str, Any] | None:
        m = re.match(r"^Reference\(\s*([^)]+?)\s*\)\s*(?:\"([^\"]*)\")?$", text)
        if not m:
            return None
        target = m.group(1)
        if "/" not in target and target in self.types:
            target = f"{self.types[target]}/{target}"
        return {"reference": target}

    def value(self, text: str, kind: _Kind | None) -> Any:
        tname = kind.type_name if kind else ""
        ref = self.reference(text)
        if ref is not None:
            return ref
        if "#" in text and not text.startswith('"'):
            c = self.coding(text)
            if c is not None:
                if tname == "CodeableConcept":
                    return {"coding": [c]}
                if tname == "Code" or (tname in ("string", "") and "system" not in c and kind is not None):
                    return c["code"]
                return c
        q = re.match(r"^(-?\d+(?:\.\d+)?)\s+'([^']*)'\s*(?:\"([^\"]*)\")?$", text)
        if q:
            value = float(q.group(1)) if "." in q.group(1) else int(q.group(1))
            return {"value": value, "unit": q.group(3) or q.group(2), "system": DEFAULT_ALIASES["UCUM"],
                    "code": q.group(2)}
        if text.startswith('"'):
            m = re.match(r'^"((?:[^"\\]|\\.)*)"', text)
            s = m.group(1).replace('\\"', '"') if m else text.strip('"')
            return s
        if text in ("true", "false"):
            return text == "true"
        if re.fullmatch(r"-?\d+", text):
            return int(text)
        if re.fullmatch(r"-?\d+\.\d+", text):
            return float(text)
        if text in self.instances:
            return ("instance", text)
        return text  # dates without quotes, bare tokens

    # paths ---------------------------------------------------------------------------------
    def assign(self, root: dict[str, Any], model: Any, path: str, raw_value: str, slices: dict) -> None:
        segs = _segments(path)
        node: Any = root
        cur_model = model
        key_path = ""
        for depth, (name, indexes) in enumerate(segs):
            last = depth == len(segs) - 1
            kind = _field_kind(cur_model, name)
            key_path += f".{name}"
            if kind is None and name == "extension":
                kind = _Kind(True, "Extension", _model("Extension"))
            if kind is not None and kind.is_list or indexes:
                lst = node.setdefault(name, [])
                if not isinstance(lst, list):
                    lst = node[name] = [lst]
                idx_tok = indexes[0] if indexes else "0"
                pos = self.index(lst, idx_tok, name, key_path, slices, nested=depth > 0)
                key_path += f"[{pos}]"
                if last:
                    val = self.value(raw_value, kind)
                    while len(lst) <= pos:
                        lst.append(None)
                    lst[pos] = self.realise(val)
                    return
                while len(lst) <= pos:
                    lst.append({})
                if not isinstance(lst[pos], dict):
                    lst[pos] = {}
                node = lst[pos]
                # a second index on the same segment (extension[slice][0]): index within the slice
                if len(indexes) > 1 and name == "extension":
                    pass
            else:
                if last:
                    node[name] = self.realise(self.value(raw_value, kind))
                    return
                nxt = node.get(name)
                if not isinstance(nxt, dict):
                    nxt = node[name] = {}
                node = nxt
            cur_model = kind.model if kind is not None else None

    def index(self, lst: list, tok: str, name: str, key_path: str, slices: dict, nested: bool) -> int:
        counters = slices.setdefault("__last__", {})
        if tok == "+":
            pos = len(lst)
        elif tok == "=":
            pos = counters.get(key_path, max(len(lst) - 1, 0))
        elif re.fullmatch(r"\d+", tok):
            pos = int(tok)
        else:  # a named slice: extensions carry their URL, components their fixed code
            skey = (key_path, tok)
            if skey not in slices:
                fixed = component_slices().get(tok) if name == "component" else None
                found = next(
                    (i for i, item in enumerate(lst)
                     if fixed and isinstance(item, dict)
                     and fixed["code"] in [c.get("code") for c in (item.get("code") or {}).get("coding", [])]),
                    None,
                )
                if found is not None:
                    slices[skey] = found
                else:
                    slices[skey] = len(lst)
                    if name == "extension":
                        lst.append({"url": self.extension_url(tok, nested)})
                    else:
                        lst.append({"code": {"coding": [dict(fixed)]}} if fixed else {})
            pos = slices[skey]
        counters[key_path] = pos
        return pos

    def extension_url(self, slice_name: str, nested: bool) -> str:
        if slice_name in EXTENSION_URLS:
            return EXTENSION_URLS[slice_name]
        if nested and slice_name in ("ombCategory", "detailed", "text"):
            return slice_name
        return MCODE + "mcode-" + _kebab(slice_name)

    def realise(self, val: Any) -> Any:
        if isinstance(val, tuple) and val and val[0] == "instance":
            return self.build(self.instances[val[1]])
        return val

    def build(self, inst: FshInstance) -> dict[str, Any]:
        rtype, profile = self.resource_type(inst)
        model = _model(rtype)
        out: dict[str, Any] = {"resourceType": rtype, "id": inst.id}
        if profile:
            out["meta"] = {"profile": [profile]}
        slices: dict = {}
        for path, value in inst.rules:
            try:
                self.assign(out, model, path, value, slices)
            except (ValueError, KeyError, TypeError) as exc:
                inst.skipped.append(f"{path} = {value} ({exc})")
        base = inst.instance_of.strip().rsplit("/", 1)[-1]
        if "code" not in out and model is not None and "code" in model.model_fields:
            if base in FIXED_CONCEPTS:
                out["code"] = {"coding": [dict(fixed_codes()[base])]}
            elif rtype == "Observation":
                out["code"] = {"text": f"{base} (code fixed by the profile, not known here)"}
        return _drop_empty(out)


def _drop_empty(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_empty(v) for k, v in value.items() if v not in (None, {}, [])}
    if isinstance(value, list):
        return [_drop_empty(v) for v in value if v not in (None, {}, [])]
    return value


def _read(sources: Iterable[str | Path]) -> tuple[dict[str, FshInstance], dict[str, str]]:
    instances: dict[str, FshInstance] = {}
    aliases: dict[str, str] = {}
    for src in sources:
        if isinstance(src, Path) or (isinstance(src, str) and "\n" not in src and src.endswith(".fsh")):
            path = Path(src)
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise FhirError(f"cannot read the FSH file: {exc}", where=str(path)) from None
            label = str(path)
        else:
            text, label = str(src), "<fsh>"
        inst, al = parse_fsh(text, label)
        instances.update(inst)
        aliases.update(al)
    if not instances:
        raise FhirError("no FSH Instance definitions", where="FSH", hint="give .fsh files with Instance: blocks")
    return instances, aliases


def fsh_resources(sources: Iterable[str | Path]) -> list[dict[str, Any]]:
    """Every instance of the FSH sources (file paths or FSH text) as a FHIR R4 JSON resource."""
    instances, aliases = _read(sources)
    builder = _Builder(instances, aliases)
    return [builder.build(inst) for inst in instances.values()]


def _subject_id(resource: dict[str, Any]) -> str | None:
    for key in ("subject", "patient"):
        ref = resource.get(key)
        if isinstance(ref, dict) and isinstance(ref.get("reference"), str):
            target = ref["reference"]
            if target.startswith("Patient/"):
                return target.split("/", 1)[1]
    return None


_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def _full_url(resource: dict[str, Any]) -> str:
    rid = resource["id"]
    return f"urn:uuid:{rid}" if _UUID.match(rid) else f"http://example.org/fhir/{resource['resourceType']}/{rid}"


def fsh_patient_bundles(sources: Iterable[str | Path]) -> dict[str, dict[str, Any]]:
    """One ``collection`` Bundle per Patient instance of the FSH sources, holding the resources
    whose ``subject``/``patient`` is that patient (and the Medications they name)."""
    resources = fsh_resources(sources)
    patients = [r for r in resources if r["resourceType"] == "Patient"]
    by_patient: dict[str, list[dict[str, Any]]] = {p["id"]: [p] for p in patients}
    for r in resources:
        pid = _subject_id(r)
        if pid in by_patient and r["resourceType"] != "Patient":
            by_patient[pid].append(r)
    return {
        pid: {
            "resourceType": "Bundle",
            "type": "collection",
            "entry": [{"fullUrl": _full_url(r), "resource": r} for r in items],
        }
        for pid, items in by_patient.items()
    }
