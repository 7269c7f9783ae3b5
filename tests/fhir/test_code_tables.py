"""The codes of the clinical terminologies (LOINC, SNOMED CT, RxNorm, HGNC) live in the mapping set
(ontology/mappings/her2neg-codes.sssom.tsv), read through the one vocabulary:
``reasoner/ingest/fhir/codes.py`` holds no literal code table (receptors, biomarkers, ECOG, labs,
concomitant medications, staging, genomics, answers, cancer conditions, radiotherapy, anti-HER2
drugs, codes deliberately not mapped). Each moved code still maps a FHIR bundle to the same record
field, and a code the vocabulary cannot resolve is not mapped (the resource is reported as ignored),
as for any unknown code.

The expected fields are those of the code's meaning in LOINC / SNOMED CT / RxNorm / HGNC (the mapping
set's object_label and source per row; docs/fhir-mapping.md), not the program's output."""

from __future__ import annotations

import ast
import datetime as dt
import re
from pathlib import Path

import pytest
from builders import LOINC, RXN, SCT, bundle, cc, condition, med_statement, obs, patient

from reasoner.ingest.fhir import bundle_to_record
from reasoner.ingest.fhir import codes as C
from reasoner.terminology import Vocabulary, set_default_vocabulary

AS_OF = dt.date(2021, 3, 1)
CODES_PY = Path(C.__file__)

#: The receptor, biomarker and ECOG tables moved into the mapping set (views of the vocabulary now).
MARKER_TABLES = ("ER_STATUS", "ER_PERCENT", "PR_STATUS", "PR_PERCENT", "HER2_IHC", "HER2_STATUS",
                 "HER2_ISH", "KI67", "PDL1_22C3", "PDL1_SP142", "ECOG")  # fmt: skip
#: Names of the tables moved into the mapping set: codes.py must not define them as literals.
MOVED = {*MARKER_TABLES, "LVEF", "QTCF", "QTC_UNSPECIFIED", "CRCL", "HBA1C", "CALCIUM", "LAB_FIELDS",
         "LAB_LOINC_OUT", "CONCOMITANT_RXNORM", "IHC_ANSWERS", "INTENT_SETTING", "SETTING_INTENT_OUT",
         "END_REASON_CODES", "END_REASON_OUT", "EVIDENCE_BASIS", "BASIS_OUT", "BREAST_SURGERY",
         "POSITIVE", "NEGATIVE", "MENOPAUSE_OBSERVABLE", "T_CATEGORY", "N_CATEGORY", "GRADE_LOINC",
         "TUMOR_SIZE_LOINC", "STAGE_GROUP", "CLINICAL_STAGE_GROUP", "M_CATEGORY", "CLINICAL_M_CATEGORY",
         "STAGE_SNOMED", "M_SNOMED", "T_SNOMED", "N_SNOMED", "GENETIC_VARIANT", "GENE_STUDIED",
         "GENOMIC_SOURCE_CLASS", "CLINICAL_SIGNIFICANCE", "DISEASE_STATUS", "UNCERTAIN", "VARIANT_PRESENT",
         "VARIANT_ABSENT", "GERMLINE", "SOMATIC", "PATHOGENIC", "NOT_PATHOGENIC", "ECOG_ANSWERS", "GENES",
         "GENE_IDS", "PROGRESSION_VALUES", "BREAST_CANCER", "SECONDARY_CANCER_GENERIC", "REGIONAL_SECONDARY",
         "RADIOTHERAPY", "ANTI_HER2_RXNORM", "DELIBERATELY_IGNORED_LOINC", "MENOPAUSE_IGNORED",
         "RECURRENCE_SCORE_GTR", "LYMPH_NODE_BODY_SITES"}  # fmt: skip
#: Literal code tables still in codes.py: none. Every code table is a view of the vocabulary (the
#: mapping set's rows on terms of core.ttl, record.ttl, drugs.ttl and interactions.ttl); a new code
#: table goes to the mapping set, never back into codes.py.
NOT_YET_MOVED: set[str] = set()
#: A LOINC code (or LOINC answer), or a SNOMED CT / RxNorm / HGNC identifier.
_CODE = re.compile(r"^(LA)?\d{1,7}-\d$|^\d{3,18}$")


def _literal_code_tables() -> dict[str, set[str]]:
    """Module-level names of codes.py bound to a literal holding a clinical code -> those codes."""
    tree = ast.parse(CODES_PY.read_text(encoding="utf-8"))
    out: dict[str, set[str]] = {}
    for node in tree.body:
        targets = (
            node.targets
            if isinstance(node, ast.Assign)
            else [node.target]
            if isinstance(node, ast.AnnAssign)
            else []
        )
        value = getattr(node, "value", None)
        if value is None:
            continue
        found = {
            n.value
            for n in ast.walk(value)
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and _CODE.match(n.value)
        }
        for t in targets:
            if isinstance(t, ast.Name) and found:
                out[t.id] = found
    return out


def test_codes_py_has_no_literal_table_of_the_moved_codes():
    tables = _literal_code_tables()
    assert not MOVED & set(tables), "moved tables are views of the vocabulary, not literals"
    assert set(tables) <= NOT_YET_MOVED, f"new literal code tables: {set(tables) - NOT_YET_MOVED}"
    assert set(tables) == NOT_YET_MOVED, f"moved: take {NOT_YET_MOVED - set(tables)} off NOT_YET_MOVED"
    literal = set().union(*tables.values())
    moved_codes = set(C.LAB_FIELDS) | set(C.CONCOMITANT_RXNORM)
    for name in MARKER_TABLES:
        moved_codes |= set(getattr(C, name))
    assert not moved_codes & literal, moved_codes & literal


def run(*resources):
    return bundle_to_record(bundle(patient(), *resources), as_of=AS_OF, drugs=Vocabulary.default())


# LOINC code -> (contract field, value sent, value expected); one per code moved
LAB_CASES = [
    ("10230-1", "lvef_percent", 55),  # Left ventricular Ejection fraction
    ("18043-0", "lvef_percent", 55),  # LVEF by US
    ("8806-2", "lvef_percent", 55),  # LVEF by 2D echo
    ("8808-8", "lvef_percent", 55),  # LVEF by Cardiac angiogram
    ("8810-4", "lvef_percent", 55),  # LVEF by Spiral CT
    ("8811-2", "lvef_percent", 55),  # LVEF by MR
    ("76634-5", "qtcf_ms", 440),  # QTc by Fridericia
    ("8636-3", "qtcf_ms", 440),  # QTc, formula not stated: read as QTcF with a note
    ("2164-2", "crcl_ml_min", 72),  # Creatinine renal clearance in 24 hour Urine and Serum or Plasma
    ("35591-7", "crcl_ml_min", 72),  # Creatinine renal clearance predicted by Cockcroft-Gault formula
    ("4548-4", "hba1c_percent", 6.1),  # Hemoglobin A1c/Hemoglobin.total in Blood
    ("17856-6", "hba1c_percent", 6.1),  # Hemoglobin A1c/Hemoglobin.total in Blood by HPLC
    ("17861-6", "calcium_mg_dl", 9.5),  # Calcium [Mass/volume] in Serum or Plasma
]
UNITS = {
    "lvef_percent": "%",
    "qtcf_ms": "ms",
    "crcl_ml_min": "mL/min",
    "hba1c_percent": "%",
    "calcium_mg_dl": "mg/dL",
}


@pytest.mark.parametrize(("code", "field", "value"), LAB_CASES)
def test_each_lab_code_maps_to_its_field(code, field, value):
    result = run(obs("lab", cc(LOINC, code), {"valueQuantity": {"value": value, "unit": UNITS[field]}}))
    assert result.record["labs"] == {field: value}
    notes = [m.inferred for m in result.report.mapped if m.field == f"labs.{field}"]
    assert any("formula not stated" in n for n in notes) == (code == "8636-3")


def test_lab_codes_are_exactly_the_moved_ones():
    assert {c for c, _, _ in LAB_CASES} == set(C.LAB_FIELDS)
    # the code written on export: the exact LOINC code of each field
    assert {f: out[0] for f, out in C.LAB_LOINC_OUT.items()} == {
        "lvef_percent": "10230-1",
        "qtcf_ms": "76634-5",
        "crcl_ml_min": "2164-2",
        "hba1c_percent": "4548-4",
        "calcium_mg_dl": "17861-6",
    }


def test_calcium_in_whole_blood_is_not_read_as_serum_calcium():
    # LOINC 49765-1 is "Calcium [Mass/volume] in Blood" (short name Calcium Bld-mCnc): a whole-blood
    # measurement, while the calcium thresholds of the knowledge base are serum calcium (17861-6,
    # "Calcium [Mass/volume] in Serum or Plasma"). It is reported as ignored, never read as serum calcium.
    result = run(obs("ca", cc(LOINC, "49765-1"), {"valueQuantity": {"value": 9.5, "unit": "mg/dL"}}))
    assert "labs" not in result.record
    reasons = [i.reason for i in result.report.ignored]
    assert any("whole blood is not serum calcium" in r for r in reasons), reasons
    assert "49765-1" not in C.LAB_FIELDS


POS = {"valueCodeableConcept": cc(LOINC, "LA6576-8", "Positive")}
# LOINC code -> (value sent, (group, field), value expected)
MARKER_CASES = [
    *[(c, POS, ("receptors", "er"), "positive") for c in ("85337-4", "40556-3", "16112-5")],
    *[
        (c, {"valueQuantity": {"value": 80, "unit": "%"}}, ("receptors", "er_percent"), 80)
        for c in ("85329-1", "14228-1")
    ],
    *[(c, POS, ("receptors", "pr"), "positive") for c in ("85339-0", "40557-1", "16113-3")],
    *[
        (c, {"valueQuantity": {"value": 5, "unit": "%"}}, ("receptors", "pr_percent"), 5)
        for c in ("85325-9", "14230-7")
    ],
    *[
        (c, {"valueCodeableConcept": cc(LOINC, "LA11841-6", "1+")}, ("receptors", "her2_ihc"), "1+")
        for c in ("85319-2", "18474-7")
    ],
    *[
        (c, {"valueCodeableConcept": cc(LOINC, "LA6577-6", "Negative")}, ("receptors", "her2"), "negative")
        for c in ("48676-1", "72383-3")
    ],
    *[
        (c, {"valueString": "not amplified"}, ("receptors", "her2_ish"), "not_amplified")
        for c in ("85318-4", "31150-6", "96893-3")
    ],
    ("85330-9", {"valueQuantity": {"value": 25, "unit": "%"}}, ("biomarkers", "ki67_percent"), 25),
    *[
        (c, {"valueQuantity": {"value": 12, "unit": "{CPS}"}}, ("biomarkers", "pdl1_cps"), 12)
        for c in ("83052-1", "85147-7")
    ],
    *[
        (c, {"valueQuantity": {"value": 1, "unit": "%"}}, ("biomarkers", "pdl1_ic_percent"), 1)
        for c in ("83057-0", "85149-3")
    ],
    ("89247-1", {"valueInteger": 1}, ("", "ecog"), 1),
]


@pytest.mark.parametrize(("code", "value", "where", "expected"), MARKER_CASES)
def test_each_receptor_and_biomarker_code_maps_to_its_field(code, value, where, expected):
    rec = run(obs("m", cc(LOINC, code), value)).record
    group, field = where
    got = rec.get(field) if not group else rec.get(group, {}).get(field)
    assert got == expected, rec


# RxNorm ingredient -> the concomitant medication named to the engine (interactions.ttl label)
MED_CASES = [
    ("11289", "warfarin"),
    ("8183", "phenytoin"),
    ("4493", "fluoxetine"),
    ("32937", "paroxetine"),
    ("42347", "bupropion"),
    ("6135", "ketoconazole"),
    ("28031", "itraconazole"),
    ("21212", "clarithromycin"),
    ("9384", "rifampicin"),
    ("2002", "carbamazepine"),
]


@pytest.mark.parametrize(("code", "name"), MED_CASES)
def test_each_concomitant_medication_code_maps_to_its_name(code, name):
    # coded only (no display, no text): the code alone must resolve
    rec = run(med_statement("m", cc(RXN, code), status="active")).record
    assert rec["medications"] == [name]


def test_medication_codes_are_exactly_the_moved_ones():
    assert dict(MED_CASES) == C.CONCOMITANT_RXNORM


def test_lab_and_medication_codes_name_their_source():
    """Every lab LOINC code and concomitant-medication RxNorm code tested here names its source in the
    mapping set; the rows still marked unverified are the three RxNorm ingredient codes for which no
    public source was found (their comments say what was searched)."""
    v = Vocabulary.default()
    rows = {(m.system, m.code): m for m in v.mappings if m.read and m.system in ("loinc", "rxnorm")}
    tested = [("loinc", c) for c, _, _ in LAB_CASES] + [("rxnorm", c) for c, _ in MED_CASES]
    unverified = {c for s, c in tested if rows[(s, c)].comment.lower().startswith("unverified")}
    assert unverified == {"28031", "21212", "9384"}  # itraconazole, clarithromycin, rifampin
    for s, c in tested:
        assert rows[(s, c)].label, (s, c)  # the LOINC display / RxNorm ingredient name


@pytest.fixture
def vocabulary_without_loinc_and_rxnorm_rows():
    full = Vocabulary.default()
    kept = tuple(m for m in full.mappings if m.system not in ("loinc", "rxnorm") or full.label(m.subject))
    drugs = {name: full.iri(name) for name in full.names}
    codes = [(s, c, n) for (s, c), n in full.by_code.items()]
    set_default_vocabulary(Vocabulary(drugs, full.synonyms, codes, kept))
    C._tables.cache_clear()
    yield
    set_default_vocabulary(None)
    C._tables.cache_clear()


def test_a_code_the_vocabulary_cannot_resolve_is_not_mapped(vocabulary_without_loinc_and_rxnorm_rows):
    result = run(
        obs("lvef", cc(LOINC, "10230-1"), {"valueQuantity": {"value": 55, "unit": "%"}}),
        obs("er", cc(LOINC, "85337-4"), POS),
        med_statement("w", cc(RXN, "11289"), status="active"),
    )
    assert "labs" not in result.record and "receptors" not in result.record
    assert "medications" not in result.record
    ignored = {i.reason for i in result.report.ignored}
    assert any("10230-1" in r and "not mapped" in r for r in ignored), ignored
    assert any("85337-4" in r and "not mapped" in r for r in ignored), ignored
    assert any("11289" in r for r in ignored), ignored


def test_enumerated_values_read_and_written_through_the_vocabulary():
    """The codes of enumerated values (the mapping set's rows on core.ttl individuals), as the sources
    give them: LOINC answers of the HER2 IHC score, SNOMED CT treatment intent, reason a treatment
    stopped, disease-status evidence type and breast-conserving surgery."""
    assert C.IHC_ANSWERS == {"LA6111-4": "0", "LA11841-6": "1+", "LA11842-4": "2+", "LA11843-2": "3+"}
    assert C.INTENT_SETTING == {"373847000": "neoadjuvant", "373846009": "adjuvant"}
    assert C.SETTING_INTENT_OUT == {"neoadjuvant": "373847000", "adjuvant": "373846009"}
    assert C.END_REASON_CODES == {"271299001": "progression", "281647001": "toxicity", "385658003": "completed"}
    assert C.END_REASON_OUT == {
        "progression": ("271299001", "progression"),
        "toxicity": ("281647001", "toxicity"),
        "completed": ("385658003", "completed"),
        "other": (None, "other"),
    }
    assert C.EVIDENCE_BASIS == {"363679005": "imaging", "5880005": "clinical", "250724005": "tumor_markers"}
    assert C.BASIS_OUT == {"imaging": "363679005", "clinical": "5880005", "tumor_markers": "250724005"}
    assert C.BREAST_SURGERY == {"64368001": "breast_conserving", "392021009": "breast_conserving"}


@pytest.mark.parametrize("code", ["LA6111-4", "LA11841-6", "LA11842-4", "LA11843-2"])
def test_each_her2_ihc_answer_maps_to_its_score(code):
    rec = run(obs("ihc", cc(LOINC, "85319-2"), {"valueCodeableConcept": cc(LOINC, code)})).record
    assert rec["receptors"]["her2_ihc"] == C.IHC_ANSWERS[code]


@pytest.mark.parametrize(
    ("code", "reason"), [("271299001", "progression"), ("281647001", "toxicity"), ("385658003", "completed")]
)
def test_each_status_reason_code_maps_to_its_end_reason(code, reason):
    med = med_statement("m1", cc(RXN, "84857"), effectivePeriod={"start": "2019-01-01", "end": "2020-04-01"},
                        statusReason=[cc(SCT, code)])  # fmt: skip
    assert run(med).record["therapies"][0]["end_reason"] == reason


@pytest.mark.parametrize(
    ("code", "basis"), [("363679005", "imaging"), ("5880005", "clinical"), ("250724005", "tumor_markers")]
)
def test_each_evidence_type_maps_to_its_progression_basis(code, basis):
    ext = "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-cancer-disease-status-evidence-type"
    prog = obs("prog", cc(LOINC, "97509-4"), {"valueCodeableConcept": cc(SCT, "271299001")}, date="2020-03-01",
               extension=[{"url": ext, "valueCodeableConcept": cc(SCT, code)}])  # fmt: skip
    med = med_statement("m1", cc(RXN, "84857"), effectivePeriod={"start": "2019-01-01", "end": "2020-04-01"},
                        statusReason=[cc(None, None, text="disease progression")])  # fmt: skip
    assert run(med, prog).record["therapies"][0]["progression_basis"] == [basis]


def test_coded_positive_negative_and_the_menopause_observable():
    assert C.POSITIVE == {("loinc", "LA6576-8"), ("sct", "10828004")}
    assert C.NEGATIVE == {("loinc", "LA6577-6"), ("sct", "260385009")}
    assert set(C.MENOPAUSE_OBSERVABLE) == {"161712005"}


@pytest.mark.parametrize(
    ("system", "code", "status"),
    [(LOINC, "LA6576-8", "positive"), (LOINC, "LA6577-6", "negative"), (SCT, "10828004", "positive"),
     (SCT, "260385009", "negative")],
)  # fmt: skip
def test_each_coded_answer_gives_its_receptor_status(system, code, status):
    rec = run(obs("pr", cc(LOINC, "85339-0"), {"valueCodeableConcept": cc(system, code)})).record
    assert rec["receptors"]["pr"] == status


def test_a_menopausal_status_asked_but_unknown_stays_unknown():
    absent = {"dataAbsentReason": cc("http://terminology.hl7.org/CodeSystem/data-absent-reason", "unknown")}
    rec = run(obs("meno", cc(SCT, "161712005"), absent)).record
    # asked and recorded unknown: kept unknown, not derived from the age (60 -> postmenopausal, NCCN)
    assert rec["menopausal_status"] == "unknown"


def test_staging_grade_and_size_observation_codes():
    """The observation codes of T and N category (clinical and pathological, LOINC and SNOMED CT),
    histological grade and tumour size, as the staging profiles give them."""
    assert C.T_CATEGORY == {"21905-5", "21899-0", "399504009", "384625004"}
    assert C.N_CATEGORY == {"21906-3", "21900-6", "399534004", "371494008"}
    assert C.GRADE_LOINC == {"44648-4"}
    assert C.TUMOR_SIZE_LOINC == {"21889-1", "33728-7"}


def test_stage_group_and_m_category_observation_codes():
    """The observation codes of the AJCC stage group and M category, clinical and pathological, as
    the mCODE IG example gives them (LOINC 21908-9 Stage group.clinical, 21902-2 .pathology; SNOMED CT
    399537006 Clinical / 399588009 Pathologic TNM stage grouping; LOINC 21907-1 / 21901-4 Distant
    metastases.clinical / .pathology; SNOMED CT 399387003 cM / 371497001 pM category)."""
    assert C.STAGE_GROUP == {"21908-9", "21902-2", "399537006", "399588009"}
    assert C.CLINICAL_STAGE_GROUP == {"21908-9", "399537006"}
    assert C.M_CATEGORY == {"21907-1", "21901-4", "399387003", "371497001"}
    assert C.CLINICAL_M_CATEGORY == {"21907-1", "399387003"}


#: SNOMED CT staging values and what they mean (the code's display: "Stage 3A", "AJCC stage IIB",
#: "AJCC cM0", "AJCC pT3", ...): the stage group without its letter, the M, T or N category.
STAGE_VALUES = {"258215001": "1", "258219007": "2", "258224005": "3", "258228008": "4", "1222724007": "1",
                "1222728005": "1", "1222766008": "2", "1222769001": "2", "1222802001": "3", "1222805004": "3",
                "1222806003": "3", "261638004": "3"}  # fmt: skip
M_VALUES = {"1229901006": "M0", "1229903009": "M1"}
T_VALUES = {"1228929004": "T2", "1228938002": "T3", "1228944003": "T4", "1229859000": "T3"}
N_VALUES = {"1229967007": "N0", "1229947003": "N0", "1229973008": "N1", "1229978004": "N2", "1229984001": "N3"}


def test_staging_values_read_through_the_vocabulary():
    assert C.STAGE_SNOMED == STAGE_VALUES
    assert C.M_SNOMED == M_VALUES
    assert C.T_SNOMED == T_VALUES
    assert C.N_SNOMED == N_VALUES


def _stage(code, value_code, oid="stage", date="2020-01-10"):
    return obs(oid, cc(LOINC if "-" in code else SCT, code), {"valueCodeableConcept": cc(SCT, value_code)},
               date=date)  # fmt: skip


def _primary(onset="2020-01-05"):
    return condition("primary", cc(SCT, "254837009", "Malignant neoplasm of breast"), onsetDateTime=onset)


@pytest.mark.parametrize(("code", "group"), sorted(STAGE_VALUES.items()))
def test_each_stage_group_value_decides_the_setting(code, group):
    # a clinical stage group alone: stage IV is metastatic (de novo), stage I-III early disease
    rec = run(_primary(), _stage("21908-9", code)).record
    assert rec.get("setting") == ("metastatic" if group == "4" else "early"), rec


@pytest.mark.parametrize("observation", ["21908-9", "21902-2", "399537006", "399588009"])
def test_each_stage_group_observation_code_is_read(observation):
    rec = run(_primary(), _stage(observation, "258228008")).record  # Stage 4
    assert rec.get("setting") == "metastatic", rec


@pytest.mark.parametrize("observation", ["21907-1", "21901-4", "399387003", "371497001"])
@pytest.mark.parametrize(("code", "m"), sorted(M_VALUES.items()))
def test_each_m_category_code_decides_the_setting(observation, code, m):
    rec = run(_primary(), _stage(observation, code)).record
    assert rec.get("setting") == ("metastatic" if m == "M1" else "early"), rec


@pytest.mark.parametrize(("code", "t"), sorted(T_VALUES.items()))
def test_each_t_category_value_maps_to_early_t(code, t):
    rec = run(_primary(), _stage("21908-9", "258215001"), _stage("21905-5", code, "t")).record
    assert rec["early"]["t"] == t, rec


@pytest.mark.parametrize(("code", "n"), sorted(N_VALUES.items()))
def test_each_n_category_value_maps_to_early_n(code, n):
    rec = run(_primary(), _stage("21908-9", "258215001"), _stage("21906-3", code, "n")).record
    assert rec["early"]["n"] == n, rec


def test_genomic_variant_codes():
    """mCODE GenomicVariant (drug-identifiers.md Table C, the mCODE IG and HL7 Genomics Reporting):
    69548-6 Genetic variant assessment with components 48018-6 Gene studied, 48002-0 Genomic source
    class and 53037-8 Genetic variation clinical significance; LA9633-4 Present / LA9634-2 Absent;
    LA6683-2 Germline / LA6684-0 Somatic; LA6668-3 Pathogenic and LA26332-9 Likely pathogenic versus
    LA26333-7 Uncertain significance, LA26334-5 Likely benign, LA6675-8 Benign."""
    assert C.GENETIC_VARIANT == {"69548-6"}
    assert (C.GENE_STUDIED, C.GENOMIC_SOURCE_CLASS, C.CLINICAL_SIGNIFICANCE) == ("48018-6", "48002-0", "53037-8")
    assert C.VARIANT_PRESENT == {("loinc", "LA9633-4")}
    assert C.VARIANT_ABSENT == {("loinc", "LA9634-2")}
    assert C.GERMLINE == {("loinc", "LA6683-2")}
    assert C.SOMATIC == {("loinc", "LA6684-0")}
    assert C.PATHOGENIC == {("loinc", "LA6668-3"), ("loinc", "LA26332-9")}
    assert C.NOT_PATHOGENIC == {("loinc", "LA26333-7"), ("loinc", "LA26334-5"), ("loinc", "LA6675-8")}


#: HGNC gene ids and their approved symbols (genenames.org)
HGNC = {"8975": "PIK3CA", "3467": "ESR1", "391": "AKT1", "9588": "PTEN", "1100": "BRCA1", "1101": "BRCA2",
        "26144": "PALB2"}  # fmt: skip


def test_genes_are_the_hgnc_ids_of_the_biomarker_fields():
    assert C.GENES == HGNC
    assert C.GENE_IDS == {symbol: gid for gid, symbol in HGNC.items()}


def _variant(gid, value, source=None, significance=None):
    comps = [{"code": cc(LOINC, "48018-6"), "valueCodeableConcept": cc(HGNC_SYSTEM, f"HGNC:{gid}")}]
    if source:
        comps.append({"code": cc(LOINC, "48002-0"), "valueCodeableConcept": cc(LOINC, source)})
    if significance:
        comps.append({"code": cc(LOINC, "53037-8"), "valueCodeableConcept": cc(LOINC, significance)})
    return obs(f"v{gid}", cc(LOINC, "69548-6"), {"valueCodeableConcept": cc(LOINC, value)}, component=comps)


HGNC_SYSTEM = "http://www.genenames.org/geneId"


@pytest.mark.parametrize("gid", ["8975", "3467", "391", "9588"])
def test_each_somatic_gene_id_present_or_absent(gid):
    present = run(_variant(gid, "LA9633-4", source="LA6684-0")).record
    assert present["biomarkers"] == {HGNC[gid]: "altered"}
    absent = run(_variant(gid, "LA9634-2")).record
    assert absent["biomarkers"] == {HGNC[gid]: "not_detected"}


@pytest.mark.parametrize("gid", ["1100", "1101", "26144"])
@pytest.mark.parametrize("significance", ["LA6668-3", "LA26332-9"])
def test_each_germline_gene_with_a_pathogenic_variant(gid, significance):
    rec = run(_variant(gid, "LA9633-4", source="LA6683-2", significance=significance)).record
    assert rec["biomarkers"] == {f"g{HGNC[gid]}": "pathogenic"}


@pytest.mark.parametrize("significance", ["LA26333-7", "LA26334-5", "LA6675-8"])
def test_a_variant_of_uncertain_or_benign_significance_is_not_an_alteration(significance):
    rec = run(_variant("8975", "LA9633-4", source="LA6684-0", significance=significance)).record
    assert "PIK3CA" not in rec.get("biomarkers", {})
    germline = run(_variant("1100", "LA9633-4", source="LA6683-2", significance=significance)).record
    assert "gBRCA1" not in germline.get("biomarkers", {})


def test_a_somatic_brca1_variant_is_never_a_germline_status():
    rec = run(_variant("1100", "LA9633-4", source="LA6684-0", significance="LA6668-3")).record
    assert "gBRCA1" not in rec.get("biomarkers", {})


#: LOINC answers of ECOG performance status (the LOINC answer list of 89247-1): grade 0 to 4
ECOG = {"LA9622-7": 0, "LA9623-5": 1, "LA9624-3": 2, "LA9625-0": 3, "LA9626-8": 4}


def test_ecog_answers():
    assert C.ECOG_ANSWERS == ECOG


@pytest.mark.parametrize(("code", "grade"), sorted(ECOG.items()))
def test_each_ecog_answer_maps_to_its_grade(code, grade):
    assert run(obs("ecog", cc(LOINC, "89247-1"), {"valueCodeableConcept": cc(LOINC, code)})).record["ecog"] == grade


#: SNOMED CT qualifiers of an uncertain result: Equivocal, Indeterminate, Inconclusive, Undetermined
UNCERTAIN = ("42425007", "82334004", "419984006", "373068000")


def test_uncertain_answers():
    assert C.UNCERTAIN == {("sct", c) for c in UNCERTAIN}


@pytest.mark.parametrize("code", UNCERTAIN)
def test_an_uncertain_receptor_result_is_never_negative(code):
    rec = run(obs("er", cc(LOINC, "85337-4"), {"valueCodeableConcept": cc(SCT, code)})).record
    assert "er" not in rec.get("receptors", {}), rec


def test_disease_status_codes():
    """CancerDiseaseStatus: LOINC 97509-4 (mCODE) or 88040-1 Response to cancer treatment (Synthea), with
    the worsening values 271299001 Patient's condition worsened (mCODE ConditionStatusTrendVS) and
    230993007 Worsening (Synthea)."""
    assert C.DISEASE_STATUS == {"97509-4", "88040-1"}
    assert C.PROGRESSION_VALUES == {"271299001", "230993007"}


@pytest.mark.parametrize("status", ["97509-4", "88040-1"])
@pytest.mark.parametrize("value", ["271299001", "230993007"])
def test_each_disease_status_code_dates_a_progression(status, value):
    med = med_statement("m1", cc(RXN, "84857"), effectivePeriod={"start": "2019-01-01", "end": "2020-04-01"})
    prog = obs("prog", cc(LOINC, status), {"valueCodeableConcept": cc(SCT, value)}, date="2020-03-01")
    assert run(med, prog).record["therapies"][0]["progression_date"] == "2020-03-01"


#: SNOMED CT codes of a primary breast cancer: Malignant neoplasm of breast, Primary malignant
#: neoplasm of breast, ... of female left breast, Malignant neoplasm of female breast, Primary
#: malignant neoplasm of female breast, Infiltrating duct carcinoma of breast
BREAST_CANCER = ("254837009", "372137005", "353431000119107", "372064008", "93796005", "408643008")


def test_cancer_condition_codes():
    assert C.BREAST_CANCER == set(BREAST_CANCER)
    assert C.SECONDARY_CANCER_GENERIC == "128462008"  # Secondary malignant neoplastic disease
    assert C.REGIONAL_SECONDARY == {"94181007"}  # Secondary malignant neoplasm of axillary lymph nodes


@pytest.mark.parametrize("code", BREAST_CANCER)
def test_each_breast_cancer_code_dates_the_primary_diagnosis(code):
    # a stage IV clinical stage group 10 days after the primary's onset: de novo metastatic disease
    # (the primary's onset is the diagnosis date the de novo rule compares with)
    primary = condition("primary", cc(SCT, code), onsetDateTime="2020-01-05")
    secondary = condition("met", cc(SCT, "94222008"), onsetDateTime="2020-01-20")  # bone
    rec = run(primary, secondary).record
    assert rec["metastatic"]["de_novo"] is True, rec


def test_a_generic_secondary_malignancy_is_read_by_its_body_site():
    met = condition("met", cc(SCT, "128462008"), bodySite=[cc(SCT, "10200004")], onsetDateTime="2020-01-20")
    rec = run(_primary(), met).record
    assert rec["metastatic"]["sites"] == ["liver"]


def test_axillary_node_metastasis_is_regional_not_a_distant_site():
    rec = run(_primary(), condition("ax", cc(SCT, "94181007"), onsetDateTime="2020-01-20")).record
    assert "metastatic" not in rec and rec.get("setting") != "metastatic", rec


#: SNOMED CT radiotherapy codes (Synthea breast module, mCODE RadiotherapyCourseSummary, MITRE)
RADIOTHERAPY = ("33195004", "385798007", "1287742003", "447759004", "113120007", "384692006", "1217123003",
                "53438000", "445232009")  # fmt: skip


def test_radiotherapy_codes():
    assert C.RADIOTHERAPY == set(RADIOTHERAPY)


@pytest.mark.parametrize("code", RADIOTHERAPY)
def test_each_radiotherapy_code_is_listed_in_the_report(code):
    proc = {"resourceType": "Procedure", "id": "rt", "status": "completed", "code": cc(SCT, code),
            "subject": {"reference": "Patient/p1"}, "performedDateTime": "2020-06-01"}  # fmt: skip
    result = run(_primary(), proc)
    assert any(m.field == "(radiotherapy)" for m in result.report.mapped), result.report.to_dict()


#: Synthea's anti-HER2 RxNorm products and the drug each contains
ANTI_HER2 = {"2119714": "trastuzumab (hyaluronidase-oysk)", "1658084": "ado-trastuzumab emtansine",
             "672149": "lapatinib", "1940648": "neratinib"}  # fmt: skip


def test_anti_her2_codes():
    assert C.ANTI_HER2_RXNORM == ANTI_HER2


@pytest.mark.parametrize(("code", "name"), sorted(ANTI_HER2.items()))
def test_each_anti_her2_code_is_reported_and_never_a_therapy(code, name):
    result = run(med_statement("t", cc(RXN, code), status="active"))
    assert "therapies" not in result.record and "medications" not in result.record
    assert any(f"anti-HER2 drug {name}" in i.reason for i in result.report.ignored), result.report.to_dict()


#: Codes read but deliberately not mapped, with the reason the import reports (what each code is:
#: its LOINC / SNOMED CT display in the mapping set)
IGNORED_LOINC = {
    "49683-6": "HER2/CEP17 ratio alone does not classify HER2 under ASCO/CAP 2018; the ISH interpretation (85318-4) is used",
    "74860-8": "HER2 copies per nucleus alone does not classify HER2; the ISH interpretation (85318-4) is used",
    "10480-2": "combined ER+PR result does not say which receptor; ER and PR must be reported separately",
    "21924-6": "generic tumour-marker result (Synthea 'triple negative') does not name the receptor",
    "32996-1": "serum HER2 is not a tissue HER2 status",
    "42914-2": "serum HER2 is not a tissue HER2 status",
    "51981-9": "serum HER2 is not a tissue HER2 status",
    "83053-9": "PD-L1 tumour proportion score is neither CPS nor SP142 IC score",
    "83054-7": "PD-L1 narrative interpretation carries no score",
    "62862-8": "microsatellite instability is not a field of the contract",
    "94077-5": "tumour mutational burden is not a field of the contract",
    "76635-2": "QTc by Bazett is not QTcF; only Fridericia (76634-5) or an unspecified QTc (8636-3) is used",
    "33914-3": "eGFR is not creatinine clearance",
    "62238-1": "eGFR is not creatinine clearance",
    "49765-1": "calcium in whole blood is not serum calcium; report serum calcium (LOINC 17861-6)",
}  # fmt: skip


def test_deliberately_ignored_codes_and_their_reasons():
    assert C.DELIBERATELY_IGNORED_LOINC == IGNORED_LOINC
    assert C.MENOPAUSE_IGNORED == {
        "31351009": "artificial menopause may be reversible ovarian suppression; not a menopausal status"
    }


@pytest.mark.parametrize(("code", "reason"), sorted(IGNORED_LOINC.items()))
def test_each_ignored_code_is_reported_with_its_reason(code, reason):
    value = {"valueQuantity": {"value": 3, "unit": "1"}}
    result = run(obs("x", cc(LOINC, code), value))
    assert result.record.get("receptors") is None and result.record.get("labs") is None
    assert result.record.get("biomarkers") is None
    assert reason in {i.reason for i in result.report.ignored}, result.report.to_dict()


def test_artificial_menopause_is_not_a_menopausal_status():
    meno = obs("meno", cc(SCT, "161712005"), {"valueCodeableConcept": cc(SCT, "31351009")})
    result = run(meno)
    assert result.record.get("menopausal_status") in (None, "postmenopausal")  # by age only (60, NCCN)
    reason = "artificial menopause may be reversible ovarian suppression; not a menopausal status"
    assert reason in {i.reason for i in result.report.ignored}, result.report.to_dict()


def test_a_not_mapped_code_is_never_read():
    v = Vocabulary.default()
    negated = [m for m in v.mappings if m.not_mapped]
    assert negated and not any(m.read or m.export for m in negated)
    assert "31351009" not in C.MENOPAUSE and "33914-3" not in C.LAB_FIELDS


#: The modules that read a FHIR bundle, and those that write one (the export, record -> bundle, and
#: the FSH reader, which fills in the codes fixed by mCODE profiles): no clinical code written in
#: them either. They take every code from the mapping set's rows (``export true`` for the code
#: written); what stays literal there is structural (profile, extension and code-system URLs, UCUM
#: units, the codes of HL7's own FHIR code systems), which this pattern does not match.
READING_MODULES = ("map_condition.py", "map_medication.py", "map_observation.py", "map_patient.py",
                   "map_procedure.py", "values.py", "consistency.py", "assembly.py", "state.py", "drugs.py",
                   "mapping.py", "parse.py", "report.py", "__init__.py", "export.py", "fsh.py")  # fmt: skip


def test_the_export_and_fsh_modules_are_checked():
    assert {"export.py", "fsh.py"} <= set(READING_MODULES)
    assert all((CODES_PY.parent / name).is_file() for name in READING_MODULES)


@pytest.mark.parametrize("name", READING_MODULES)
def test_the_reading_modules_hold_no_literal_code(name):
    path = CODES_PY.parent / name
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
             and _CODE.match(n.value)}  # fmt: skip
    assert not found, f"{name}: literal codes {found}"


def test_recurrence_score_assay_and_lymph_node_body_site():
    # GTR 509910 Oncotype DX Breast Recurrence Score Assay (mCODE IG: no LOINC code exists)
    assert C.RECURRENCE_SCORE_GTR == {"509910"}
    rs = obs("rs", cc("http://www.ncbi.nlm.nih.gov/gtr", "509910"), {"valueQuantity": {"value": 26}})
    assert run(rs).record["biomarkers"] == {"recurrence_score": 26}
    # SNOMED CT 59441001 Structure of lymph node: distant only when the text says so
    assert C.LYMPH_NODE_BODY_SITES == {"59441001"}
    site = {"coding": [{"system": SCT, "code": "59441001"}], "text": "distant lymph node"}
    met = condition("met", cc(SCT, "128462008"), bodySite=[site], onsetDateTime="2020-06-01")
    assert run(_primary(), met).record["metastatic"]["sites"] == ["distant_lymph_nodes"]
    regional = condition("met", cc(SCT, "128462008"), bodySite=[cc(SCT, "59441001")], onsetDateTime="2020-06-01")
    assert "metastatic" not in run(_primary(), regional).record
