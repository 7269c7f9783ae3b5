"""The one table that ties JSON record fields to graph nodes and properties, used both ways.

``record_to_graph`` and ``graph_to_records`` convert with it, the structure checks read the
allowed keys, types and codes from it, and validation findings map a focus node IRI plus a
property back to the JSON path the user wrote (``receptors.er_percent``, ``therapies[1].end``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote, unquote

from rdflib import URIRef

from reasoner.graph.vocab import H2N, PATIENT_NS

__all__ = [
    "FIELDS",
    "GROUPS",
    "Field",
    "Group",
    "field_for",
    "group_for_link",
    "json_path",
    "node_iri",
    "parse_node_iri",
    "patient_iri",
    "rdf_path",
    "speak_rdf",
]

Kind = Literal[
    "string", "date", "integer", "decimal", "boolean", "enum", "enum_list", "drug_list", "string_list", "scalar"
]


@dataclass(frozen=True)
class Group:
    """A JSON object of the record and the graph node that holds its fields."""

    key: str  # "" for the top level; else the record key ("receptors", "therapies", ...)
    node: str  # node kind: patient, receptors, metastatic, early, lrr, therapy
    cls: URIRef | None  # class of its own node (None: fields sit on the patient node)
    link: URIRef | None  # patient -> node property (None for the top level, biomarkers, labs)
    suffix: str | None  # IRI suffix after the patient IRI; "{i}" is the 0-based list index
    is_list: bool = False
    index_prop: URIRef | None = None  # list groups: the property holding the 0-based list index


GROUPS: dict[str, Group] = {
    g.key: g
    for g in (
        Group("", "patient", H2N.Patient, None, None),
        Group("receptors", "receptors", H2N.ReceptorResult, H2N.hasReceptorResult, "receptors"),
        Group("biomarkers", "patient", None, None, None),
        Group("labs", "patient", None, None, None),
        Group("metastatic", "metastatic", H2N.MetastaticDisease, H2N.hasMetastaticDisease, "metastatic"),
        Group("early", "early", H2N.EarlyDisease, H2N.hasEarlyDisease, "early"),
        Group(
            "locoregional_recurrence",
            "lrr",
            H2N.LocoregionalRecurrence,
            H2N.hasLocoregionalRecurrence,
            "locoregional-recurrence",
        ),
        Group("therapies", "therapy", H2N.TherapyExposure, H2N.receivedTherapy, "therapy/{i}", True,
              H2N.therapyIndex),
        Group("biomarker_tests", "biomarker-test", H2N.BiomarkerTest, H2N.hasBiomarkerTest, "biomarker-test/{i}",
              True, H2N.testIndex),
    )
}


@dataclass(frozen=True)
class Field:
    """One JSON field: where it sits, the property that carries it, its kind and coded values."""

    group: str
    key: str
    prop: URIRef
    kind: Kind
    enum: URIRef | None = None  # enumeration class for enum / enum_list
    allowed: tuple[str, ...] | None = None  # a subset of the enumeration's codes, where the spec narrows it
    max_len: int = 200  # strings only

    @property
    def node(self) -> str:
        return GROUPS[self.group].node

    def path(self, index: int | None = None) -> str:
        if not self.group:
            return self.key
        if GROUPS[self.group].is_list:
            return f"{self.group}[{index}].{self.key}"
        return f"{self.group}.{self.key}"


_SOMATIC = ("altered", "not_detected", "not_tested")
_GERMLINE = ("pathogenic", "not_detected", "not_tested")

FIELDS: tuple[Field, ...] = (
    # top level (patient node)
    Field("", "id", H2N.patientId, "string", max_len=128),
    Field("", "as_of", H2N.asOf, "date"),
    Field("", "sex", H2N.sex, "enum", H2N.Sex),
    Field("", "age", H2N.age, "integer"),
    Field("", "menopausal_status", H2N.menopausalStatus, "enum", H2N.MenopausalStatus),
    Field("", "ecog", H2N.ecog, "integer"),
    Field("", "setting", H2N.diseaseSetting, "enum", H2N.DiseaseSetting),
    Field("", "conditions", H2N.hasCondition, "enum_list", H2N.ConditionCode),
    Field("", "medications", H2N.concomitantMedication, "string_list", max_len=100),
    # extensions of the input contract (documented in README and docs/knowledge-model.md)
    Field("", "child_pugh", H2N.childPughClass, "enum", H2N.ChildPughClass),
    Field("", "pregnancy_trimester", H2N.pregnancyTrimester, "integer"),
    # receptors
    Field("receptors", "er_percent", H2N.erPercent, "decimal"),
    Field("receptors", "er", H2N.erStatus, "enum", H2N.ReceptorStatus),
    Field("receptors", "pr_percent", H2N.prPercent, "decimal"),
    Field("receptors", "pr", H2N.prStatus, "enum", H2N.ReceptorStatus),
    Field("receptors", "her2_ihc", H2N.her2IhcScore, "enum", H2N.HER2IHCScore),
    Field("receptors", "her2_ish", H2N.her2IshResult, "enum", H2N.ISHResult),
    Field("receptors", "her2", H2N.her2Status, "enum", H2N.ReceptorStatus),
    Field("receptors", "specimen", H2N.specimen, "enum", H2N.SpecimenType),
    Field("receptors", "tested_on", H2N.testedOn, "date"),
    # biomarkers (on the patient node)
    Field("biomarkers", "PIK3CA", H2N.pik3caStatus, "enum", H2N.BiomarkerStatus, _SOMATIC),
    Field("biomarkers", "AKT1", H2N.akt1Status, "enum", H2N.BiomarkerStatus, _SOMATIC),
    Field("biomarkers", "PTEN", H2N.ptenStatus, "enum", H2N.BiomarkerStatus, _SOMATIC),
    Field("biomarkers", "ESR1", H2N.esr1Status, "enum", H2N.BiomarkerStatus, _SOMATIC),
    Field("biomarkers", "gBRCA1", H2N.gBRCA1Status, "enum", H2N.BiomarkerStatus, _GERMLINE),
    Field("biomarkers", "gBRCA2", H2N.gBRCA2Status, "enum", H2N.BiomarkerStatus, _GERMLINE),
    Field("biomarkers", "gPALB2", H2N.gPALB2Status, "enum", H2N.BiomarkerStatus, _GERMLINE),
    Field("biomarkers", "pdl1_cps", H2N.pdl1Cps, "decimal"),
    Field("biomarkers", "pdl1_ic_percent", H2N.pdl1IcPercent, "decimal"),
    Field("biomarkers", "ki67_percent", H2N.ki67Percent, "decimal"),
    Field("biomarkers", "recurrence_score", H2N.recurrenceScore, "integer"),
    # labs (on the patient node)
    Field("labs", "lvef_percent", H2N.lvefPercent, "decimal"),
    Field("labs", "qtcf_ms", H2N.qtcfMs, "decimal"),
    Field("labs", "crcl_ml_min", H2N.crclMlMin, "decimal"),
    Field("labs", "hba1c_percent", H2N.hba1cPercent, "decimal"),
    Field("labs", "calcium_mg_dl", H2N.calciumMgDl, "decimal"),
    # metastatic
    Field("metastatic", "diagnosis_date", H2N.diagnosisDate, "date"),
    Field("metastatic", "de_novo", H2N.deNovo, "boolean"),
    Field("metastatic", "sites", H2N.metastaticSite, "enum_list", H2N.MetastaticSite),
    Field("metastatic", "bone_lesions", H2N.boneLesionType, "enum", H2N.BoneLesionType),
    Field("metastatic", "visceral_crisis", H2N.visceralCrisis, "boolean"),
    Field("metastatic", "life_threatening", H2N.lifeThreatening, "boolean"),
    Field("metastatic", "rapidly_progressive", H2N.rapidlyProgressive, "boolean"),
    Field("metastatic", "hypercalcemia", H2N.hypercalcemia, "boolean"),
    # early
    Field("early", "t", H2N.tCategory, "enum", H2N.TCategory),
    Field("early", "n", H2N.nCategory, "enum", H2N.NCategory),
    Field("early", "nodes_positive", H2N.nodesPositive, "integer"),
    Field("early", "tumor_size_mm", H2N.tumorSizeMm, "decimal"),
    Field("early", "grade", H2N.grade, "integer"),
    Field("early", "surgery", H2N.surgery, "enum", H2N.SurgeryType),
    Field("early", "neoadjuvant_response", H2N.neoadjuvantResponse, "enum", H2N.NeoadjuvantResponse),
    # locoregional recurrence
    Field("locoregional_recurrence", "isolated", H2N.isolated, "boolean"),
    Field("locoregional_recurrence", "site", H2N.recurrenceSite, "enum", H2N.RecurrenceSite),
    # therapies[i]
    Field("therapies", "drugs", H2N.includesDrug, "drug_list", max_len=100),
    Field("therapies", "setting", H2N.therapySetting, "enum", H2N.TherapySetting),
    Field("therapies", "start", H2N.startDate, "date"),
    Field("therapies", "end", H2N.endDate, "date"),
    Field("therapies", "end_reason", H2N.endReason, "enum", H2N.EndReason),
    Field("therapies", "progression_date", H2N.progressionDate, "date"),
    Field("therapies", "progression_basis", H2N.progressionBasis, "enum_list", H2N.ProgressionBasis),
    # biomarker_tests[i]: the history behind biomarkers (result: a code or a number, "scalar")
    Field("biomarker_tests", "test", H2N.testName, "enum", H2N.BiomarkerTestKind),
    Field("biomarker_tests", "result", H2N.testResult, "scalar", max_len=40),
    Field("biomarker_tests", "date", H2N.testDate, "date"),
    Field("biomarker_tests", "sample", H2N.testSample, "enum", H2N.TestSampleType),
)

FIELDS_BY_GROUP: dict[str, dict[str, Field]] = {}
for _f in FIELDS:
    FIELDS_BY_GROUP.setdefault(_f.group, {})[_f.key] = _f
_BY_NODE_PROP: dict[tuple[str, URIRef], Field] = {(f.node, f.prop): f for f in FIELDS}
_LINKS: dict[URIRef, Group] = {g.link: g for g in GROUPS.values() if g.link is not None}
_SUFFIXES: dict[str, Group] = {g.suffix.split("/")[0]: g for g in GROUPS.values() if g.suffix}


def patient_iri(patient_id: str) -> URIRef:
    """``https://w3id.org/her2neg/patient/<percent-encoded id>`` (every reserved character encoded)."""
    return URIRef(PATIENT_NS + quote(str(patient_id), safe=""))


def node_iri(patient: URIRef, group: str, index: int | None = None) -> URIRef:
    """The deterministic IRI of a sub-node: ``<patient>/receptors``, ``<patient>/therapy/<i>``."""
    suffix = GROUPS[group].suffix
    assert suffix is not None, group
    return URIRef(f"{patient}/{suffix.format(i=index)}")


_TAIL = re.compile(r"^([^/]*)(?:/([a-z-]+)(?:/(\d+))?)?$")


def parse_node_iri(node: URIRef | str) -> tuple[str, str, int | None] | None:
    """``(patient id, group key, index)`` for an IRI made by :func:`node_iri`; None for any other IRI."""
    text = str(node)
    if not text.startswith(PATIENT_NS):
        return None
    m = _TAIL.match(text[len(PATIENT_NS) :])
    if not m:
        return None
    pid, suffix, index = m.group(1), m.group(2), m.group(3)
    if suffix is None:
        return unquote(pid), "", None
    group = _SUFFIXES.get(suffix)
    if group is None or group.is_list != (index is not None):
        return None
    return unquote(pid), group.key, int(index) if index is not None else None


def field_for(node_kind: str, prop: URIRef) -> Field | None:
    return _BY_NODE_PROP.get((node_kind, URIRef(prop)))


def group_for_link(prop: URIRef) -> Group | None:
    return _LINKS.get(URIRef(prop))


def json_path(focus: URIRef | str, prop: URIRef | str | None) -> str:
    """The JSON path of ``prop`` on the node ``focus`` (both ways with :func:`node_iri`).

    A link property (``h2n:hasMetastaticDisease``) names the whole object (``metastatic``);
    with no property, the path of the node itself (``receptors``, ``therapies[2]``, or ``""``).
    """
    parsed = parse_node_iri(focus)
    if parsed is None:
        return ""
    _pid, gkey, index = parsed
    group = GROUPS[gkey]
    if prop is not None:
        f = field_for(group.node, URIRef(prop))
        if f is not None:
            return f.path(index)
        link = group_for_link(URIRef(prop))
        if link is not None and gkey == "":
            return link.key
    if not gkey:
        return ""
    return f"{gkey}[{index}]" if group.is_list else gkey


def _curie(iri: URIRef) -> str:
    s = str(iri)
    return f"h2n:{s[len(str(H2N)):]}" if s.startswith(str(H2N)) else f"<{s}>"


_PATH_STEP = re.compile(r"([^.\[\]]+)(?:\[(\d+)\])?")


def rdf_path(path: str) -> str:
    """A JSON path of the record in the ontology's vocabulary, as a SPARQL property path from the
    patient: ``receptors.er_percent`` -> ``h2n:hasReceptorResult/h2n:erPercent``,
    ``therapies[1].setting`` -> ``h2n:receivedTherapy[1]/h2n:therapySetting``,
    ``biomarkers.PIK3CA`` -> ``h2n:pik3caStatus``. Unknown keys are kept as they are."""
    steps = _PATH_STEP.findall(path or "")
    if not steps:
        return path
    out: list[str] = []
    group = ""
    for i, (key, index) in enumerate(steps):
        last = i == len(steps) - 1
        if group == "" and key in GROUPS and key:
            g = GROUPS[key]
            if g.link is not None:
                out.append(_curie(g.link) + (f"[{index}]" if index else ""))
            group = key
            if last and g.link is None:
                out.append(key)
            continue
        f = FIELDS_BY_GROUP.get(group, {}).get(key)
        out.append((_curie(f.prop) if f is not None else key) + (f"[{index}]" if index else ""))
    return "/".join(out)


def _field_at(path: str) -> Field | None:
    steps = _PATH_STEP.findall(path or "")
    if not steps:
        return None
    group = steps[0][0] if len(steps) > 1 and steps[0][0] in GROUPS else ""
    return FIELDS_BY_GROUP.get(group, {}).get(steps[-1][0])


def speak_rdf(path: str, message: str) -> tuple[str, str]:
    """A finding's JSON path and message said in the ontology's vocabulary (for RDF input):
    the path as a property path from the patient, and for an enumeration the allowed values as
    the ontology's individuals."""
    if not path:
        return path, message
    new = rdf_path(path)
    if "." in path or "[" in path:
        message = message.replace(path, new)
    elif message.startswith(path):
        message = new + message[len(path):]
    message = message.replace(str(H2N), "h2n:")
    f = _field_at(path)
    if f is not None and f.kind in ("enum", "enum_list") and f.enum is not None and "Allowed:" in message:
        from reasoner.graph.vocab import enum_table

        head, _, tail = message.partition("Allowed:")
        rest = tail.split(".", 1)[1] if "." in tail.rstrip(".") else ""
        allowed = ", ".join(sorted(_curie(iri) for iri in enum_table(f.enum).by_code.values()))
        message = f"{head}Allowed: {allowed} (instances of {_curie(f.enum)}).{rest}"
    return new, message
