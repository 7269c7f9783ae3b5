"""Code tables used by the FHIR mapping (LOINC, SNOMED CT, RxNorm, HGNC): views of the vocabulary.

Every clinical code is knowledge, kept in ``ontology/mappings/her2neg-codes.sssom.tsv`` (each row
with its source) and read through :mod:`reasoner.terminology` (the one vocabulary); this module holds
no literal code table (``tests/fhir/test_code_tables.py`` checks it). The tables (``ER_STATUS``,
``LAB_FIELDS``, ``MENOPAUSE``, ``SITE_OUT``, ``STAGE_SNOMED``, ``GENES``, ``RADIOTHERAPY``,
``DELIBERATELY_IGNORED_LOINC``, ...) are built once, on first use (``_tables``), from the rows whose
subject is:

- a coded value of ``core.ttl`` (menopausal status, metastatic site, specimen, condition, HER2 IHC
  score, receptor status, T/N/M category, stage group, ECOG grade, therapy setting, end reason,
  progression basis, surgery);
- a patient property of ``core.ttl`` (the LOINC codes of the receptor, biomarker, ECOG, lab and
  staging observations; the HGNC ids of the genes of the biomarker status properties);
- a drug of ``drugs.ttl`` or a concomitant medication of ``interactions.ttl`` (RxNorm);
- a concept of ``record.ttl``, the clinical-record concepts without a record field (staging and
  genomics observation kinds and answers, cancer conditions, radiotherapy, anti-HER2 drugs outside
  the knowledge base).

Codes read but deliberately not mapped are negated rows (``predicate_modifier`` ``Not``) or rows
whose subject is ``sssom:NoTermFound``; the import reports them with the reason of the row's comment.
A code the vocabulary does not resolve is not mapped: the resource is reported as ignored. The word
lists (``..._WORDS``, ``SITE_WORDS``, ``CONDITION_TEXT``) are text fallbacks, not codes.

Sources (see also ``docs/fhir-mapping.md``):
- ``shared/reference/drug-identifiers.md`` Table C (mCODE STU4 TumorMarkerTest codes, answer codes,
  SNOMED receptor and menopause findings) and Table A notes (RxNorm PIN/BN codes).
- ``shared/data/external/hl7-mcode-ig`` (Jenny M example: genomic source class, ECOG answers,
  treatment intent) and ``tumor_marker_test_vs_breast_codes.csv``.
- ``shared/data/external/mcode-trial-matching-fhir`` (MITRE RxNorm product codes, as displayed).
- ``shared/data/external/synthea-breast-cancer/synthea_breast_cancer_module_codes.csv``.
- DICOM CID 6086 "Menopausal Phase" (SNOMED 309606002 / 303111005 / 307429007 / 371036001).
- HL7 Genomics Reporting, the HL7 FHIR value sets and other public FHIR material found by code
  search (genomic answers, HGNC ids, uncertain results, eGFR codes): named in each row's comment.
- Every code's source is in its mapping-set row (rows not yet re-verified say "unverified").
"""

from __future__ import annotations

import re
from functools import cache

from rdflib import URIRef
from rdflib.namespace import SKOS

from reasoner.graph.mapping import FIELDS
from reasoner.terminology import (  # noqa: F401 - system_key: used as C.system_key
    Vocabulary,
    concomitant_medications,
    record_concepts,
    system_key,
)
from reasoner.vocab import H2N

# --------------------------------------------------------------------------- code systems

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
NCIT = "http://ncicb.nci.nih.gov/xml/owl/EVS/Thesaurus.owl"
ATC = "http://www.whocc.no/atc"
HGNC = "http://www.genenames.org"
GTR = "http://www.ncbi.nlm.nih.gov/gtr"
AJCC = "http://cancerstaging.org"
UCUM = "http://unitsofmeasure.org"

#: Project extension carrying a therapy's contract setting (used by ``record_to_bundle``).
EXT_THERAPY_SETTING = "https://w3id.org/her2neg/fhir/StructureDefinition/therapy-setting"
#: mCODE treatment-intent extension (STU1 and STU2+ URLs end the same way).
EXT_TREATMENT_INTENT_SUFFIX = "treatment-intent"
#: mCODE comorbid-condition-present extension (Comorbidities profile).
EXT_COMORBID_PRESENT_SUFFIX = "comorbid-condition-present"
#: mCODE CancerDiseaseStatus evidence-type extension.
EXT_EVIDENCE_TYPE_SUFFIX = "cancer-disease-status-evidence-type"


# --------------------------------------------------------------------------- tumour markers

#: Words of an equivocal / indeterminate / not evaluated result (never read as negative); the
#: coded ones are UNCERTAIN, a view of the vocabulary.
UNCERTAIN_WORDS = (
    "equivocal",
    "indeterminate",
    "not evaluated",
    "not done",
    "not performed",
    "unknown",
    "borderline",
    "inconclusive",
    "pending",
    "not assessed",
    "cannot be determined",
)
SOMATIC_GENES = {"PIK3CA", "ESR1", "AKT1", "PTEN"}
GERMLINE_GENES = {"BRCA1": "gBRCA1", "BRCA2": "gBRCA2", "PALB2": "gPALB2"}

# --------------------------------------------------------------------------- labs

#: UCUM unit written on export for each lab field of the contract (the codes are in the mapping set).
LAB_UNITS = {
    "lvef_percent": "%",
    "qtcf_ms": "ms",
    "crcl_ml_min": "mL/min",
    "hba1c_percent": "%",
    "calcium_mg_dl": "mg/dL",
}
#: Plausible range of each lab value: outside it the observation is ignored (reported).
LAB_RANGES = {
    "lvef_percent": (0, 100),
    "qtcf_ms": (200, 800),
    "crcl_ml_min": (0, 250),
    "hba1c_percent": (3, 20),
    "calcium_mg_dl": (3, 20),
}

# --------------------------------------------------------------------------- cancer conditions

#: Words in a site display -> contract site (fallback when the code is unknown).
SITE_WORDS = (
    ("pleura", "pleura"),
    ("periton", "peritoneum"),
    ("liver", "liver"),
    ("hepat", "liver"),
    ("lung", "lung"),
    ("pulmonary", "lung"),
    ("brain", "brain"),
    ("cerebr", "brain"),
    ("bone", "bone"),
    ("skin", "skin_soft_tissue"),
    ("soft tissue", "skin_soft_tissue"),
)

# --------------------------------------------------------------------------- staging

T_VALUES = ("Tis", "T1mi", "T1a", "T1b", "T1c", "T2", "T3", "T4")
N_VALUES = ("N0", "N1mi", "N1", "N2", "N3")

# --------------------------------------------------------------------------- comorbidities

#: History-type conditions: mapped whatever the clinical status.
HISTORY_CONDITIONS = {"history_of_thromboembolism"}
#: Text patterns for contract conditions without a verified SNOMED code (matched on code text
#: or display; reported as a text match).
CONDITION_TEXT = (
    (re.compile(r"osteonecrosis of (the )?jaw"), "osteonecrosis_of_jaw"),
    (
        re.compile(r"endometrial (hyperplasia|carcinoma|cancer|adenocarcinoma)"),
        "endometrial_hyperplasia_or_cancer",
    ),
    (
        re.compile(r"dihydropyrimidine dehydrogenase deficiency|\bdpd deficiency|\bdpyd deficiency"),
        "dpd_deficiency",
    ),
    (
        re.compile(r"(peripheral )?neuropathy,? (ctcae )?grade [234]|grade [234] (peripheral )?neuropathy"),
        "peripheral_neuropathy_grade2plus",
    ),
    (re.compile(r"(organ|kidney|renal|liver|heart|lung) transplant"), "organ_transplant"),
)
CONDITION_TEXT_OUT = {
    "osteonecrosis_of_jaw": "Osteonecrosis of the jaw",
    "endometrial_hyperplasia_or_cancer": "Endometrial hyperplasia",
    "dpd_deficiency": "Dihydropyrimidine dehydrogenase deficiency",
    "peripheral_neuropathy_grade2plus": "Peripheral neuropathy grade 2",
    "organ_transplant": "Kidney transplant",
}

# --------------------------------------------------------------------------- therapy context

BASIS_WORDS = {
    "imaging": "imaging",
    "clinical": "clinical",
    "tumor marker": "tumor_markers",
    "circulating tumor": "circulating_tumor_cells",
    "ctc": "circulating_tumor_cells",
}

# --------------------------------------------------------------------------- drugs


#: Words of an anti-HER2 drug in a medication text (the coded ones are ANTI_HER2_RXNORM, a view).
ANTI_HER2_WORDS = ("trastuzumab", "pertuzumab", "lapatinib", "neratinib", "tucatinib", "emtansine")


#: Concomitant non-cancer drugs named in free text (Medication.code.text / display) -> the name
#: given to the engine. Their RxNorm codes are in the mapping set (CONCOMITANT_RXNORM, a view).
CONCOMITANT_WORDS = {
    "warfarin": "warfarin",
    "coumadin": "warfarin",
    "phenprocoumon": "phenprocoumon",
    "acenocoumarol": "acenocoumarol",
    "phenytoin": "phenytoin",
    "fluoxetine": "fluoxetine",
    "paroxetine": "paroxetine",
    "bupropion": "bupropion",
    "ketoconazole": "ketoconazole",
    "itraconazole": "itraconazole",
    "clarithromycin": "clarithromycin",
    "rifampicin": "rifampicin",
    "rifampin": "rifampicin",
    "carbamazepine": "carbamazepine",
    "brivudine": "brivudine",
}

# --------------------------------------------------------------------------- procedures and specimens

#: Words of a procedure's text (lower case) -> early.surgery (matched when no code is known).
BREAST_SURGERY_WORDS = (
    ("partial mastectomy", "breast_conserving"),
    ("segmental mastectomy", "breast_conserving"),
    ("lumpectomy", "breast_conserving"),
    ("quadrantectomy", "breast_conserving"),
    ("breast conserving", "breast_conserving"),
    ("breast-conserving", "breast_conserving"),
    ("excision of part of breast", "breast_conserving"),
    ("wide local excision of breast", "breast_conserving"),
    ("mastectomy", "mastectomy"),
)
#: Words of a radiotherapy procedure (the coded ones are RADIOTHERAPY, a view).
RADIOTHERAPY_WORDS = ("radiotherapy", "radiation therapy", "brachytherapy", "irradiation")
#: Bilateral oophorectomy: recognised from the text (no SNOMED code verified yet).
OOPHORECTOMY_WORDS = ("oophorectomy", "ovariectomy", "salpingo-oophorectomy", "salpingooophorectomy")

#: NCCN definition of menopause (ontology source S50): age at or above this is postmenopausal.
MENOPAUSE_AGE = 60

#: Data-absent-reason code system (an explicitly unknown value, e.g. menopausal status asked but unknown).
DATA_ABSENT_REASON = "http://terminology.hl7.org/CodeSystem/data-absent-reason"


# --------------------------------------------------------------------------- views of the vocabulary


@cache
def _tables() -> dict:
    v = Vocabulary.default()
    site, spec, cond, meno = H2N.MetastaticSite, H2N.SpecimenType, H2N.ConditionCode, H2N.MenopausalStatus
    disorder_out = v.export_codes(site, category="disorder")
    body_out = v.export_codes(site, category="body structure")
    from reasoner.terminology import enum_table

    # LOINC codes of the observations carrying a patient property (receptors, biomarkers, ECOG, labs)
    def loinc(prop, *predicates):
        return v.codes(prop, "loinc", predicates or None)

    def observed(*kinds):
        """The LOINC and SNOMED CT codes of observations of these kinds (record.ttl)."""
        return frozenset().union(*(v.codes(k, system) for k in kinds for system in ("loinc", "sct")))

    def one(kind):
        """The LOINC code written for an observation (component) of this kind; None when the
        vocabulary has none (then nothing is read as it)."""
        m = v.export_mapping(kind, "loinc")
        return None if m is None else m.code

    def answers(subject):
        """The codes read as this answer or value, as (system key, code)."""
        return frozenset((m.system, m.code) for m in v.mappings if m.read and m.subject == str(subject))

    biomarkers = [f.prop for f in FIELDS if f.group == "biomarkers"]
    genes = {code: m.label for code, m in sorted(v.concept_codes(biomarkers, "hgnc").items())}

    generic = v.export_mapping(H2N["condition-secondary-malignancy"], "sct")
    secondary = None if generic is None else generic.code
    regional = v.codes(H2N["condition-regional-nodal-metastasis"], "sct")
    anti_her2 = record_concepts(H2N.AntiHER2Drug)

    labs = [f for f in FIELDS if f.group == "labs"]
    lab_out = {}
    for f in labs:
        m = v.export_mapping(f.prop, "loinc")
        if m is not None:
            lab_out[f.key] = (m.code, m.label, LAB_UNITS[f.key])
    meds = concomitant_medications()
    end_out = v.export_codes(H2N.EndReason)
    status = H2N.ReceptorStatus
    return {
        "ER_STATUS": loinc(H2N.erStatus),
        "ER_PERCENT": loinc(H2N.erPercent),
        "PR_STATUS": loinc(H2N.prStatus),
        "PR_PERCENT": loinc(H2N.prPercent),
        "HER2_IHC": loinc(H2N.her2IhcScore),
        "HER2_STATUS": loinc(H2N.her2Status),
        "HER2_ISH": loinc(H2N.her2IshResult),
        "KI67": loinc(H2N.ki67Percent),
        "PDL1_22C3": loinc(H2N.pdl1Cps),
        "PDL1_SP142": loinc(H2N.pdl1IcPercent),
        "ECOG": loinc(H2N.ecog),
        # lab LOINC code -> contract lab field; QTc read as QTcF: exact (Fridericia) or related (formula not stated)
        "LAB_FIELDS": {code: f.key for f in labs for code in loinc(f.prop)},
        "QTCF": loinc(H2N.qtcfMs, "exactMatch"),
        "QTC_UNSPECIFIED": loinc(H2N.qtcfMs, "relatedMatch"),
        # contract lab field -> (LOINC code, display, UCUM unit) written on export
        "LAB_LOINC_OUT": lab_out,
        # RxNorm ingredient -> concomitant medication (its rdfs:label in interactions.ttl)
        "CONCOMITANT_RXNORM": {
            code: meds[URIRef(m.subject)] for code, m in v.concept_codes(meds, "rxnorm").items()
        },
        # staging and early-disease observations (LOINC and SNOMED CT observable codes)
        "T_CATEGORY": loinc(H2N.tCategory) | v.codes(H2N.tCategory, "sct"),
        "N_CATEGORY": loinc(H2N.nCategory) | v.codes(H2N.nCategory, "sct"),
        "GRADE_LOINC": loinc(H2N.grade),
        "TUMOR_SIZE_LOINC": loinc(H2N.tumorSizeMm),
        # coded positive / negative results (LOINC answers, SNOMED qualifiers), as (system, code)
        "POSITIVE": {(s, c) for s in ("loinc", "sct") for c, x in v.read_codes(status, s).items() if x == "positive"},
        "NEGATIVE": {(s, c) for s in ("loinc", "sct") for c, x in v.read_codes(status, s).items() if x == "negative"},
        # SNOMED observable of a menopausal-status Observation
        "MENOPAUSE_OBSERVABLE": v.codes(H2N.menopausalStatus, "sct"),
        # LOINC answer -> HER2 IHC score
        "IHC_ANSWERS": v.read_codes(H2N.HER2IHCScore, system="loinc"),
        # SNOMED treatment intent -> therapy setting, and the code written on export
        "INTENT_SETTING": v.read_codes(H2N.TherapySetting),
        "SETTING_INTENT_OUT": v.export_codes(H2N.TherapySetting),
        # SNOMED reason a treatment stopped -> end reason; on export (code or None, text) per end reason
        "END_REASON_CODES": v.read_codes(H2N.EndReason),
        "END_REASON_OUT": {
            value: (end_out.get(value), value) for value in enum_table(H2N.EndReason).codes
        },
        # SNOMED evidence type of a disease-status observation -> progression basis, and back
        "EVIDENCE_BASIS": v.read_codes(H2N.ProgressionBasis),
        "BASIS_OUT": v.export_codes(H2N.ProgressionBasis),
        # staging: the codes of the stage-group and M-category observations (clinical and
        # pathological, LOINC and SNOMED CT) and of their SNOMED CT values
        "STAGE_GROUP": observed(H2N["obs-clinical-stage-group"], H2N["obs-pathological-stage-group"]),
        "CLINICAL_STAGE_GROUP": observed(H2N["obs-clinical-stage-group"]),
        "M_CATEGORY": observed(H2N["obs-clinical-m-category"], H2N["obs-pathological-m-category"]),
        "CLINICAL_M_CATEGORY": observed(H2N["obs-clinical-m-category"]),
        # SNOMED CT value -> AJCC stage group ("1".."4"), M, T and N category
        "STAGE_SNOMED": v.read_codes(H2N.StageGroup),
        "M_SNOMED": v.read_codes(H2N.MCategory),
        "T_SNOMED": v.read_codes(H2N.TCategory),
        "N_SNOMED": v.read_codes(H2N.NCategory),
        # genomics (mCODE GenomicVariant): the observation and component codes; the component
        # codes are single codes (the one written on export)
        "GENETIC_VARIANT": observed(H2N["obs-genetic-variant-assessment"]),
        "GENE_STUDIED": one(H2N["obs-gene-studied"]),
        "GENOMIC_SOURCE_CLASS": one(H2N["obs-genomic-source-class"]),
        "CLINICAL_SIGNIFICANCE": one(H2N["obs-variant-clinical-significance"]),
        # HGNC id -> gene symbol (the genes whose status is a biomarker field), and back
        "GENES": genes,
        "GENE_IDS": {symbol: gid for gid, symbol in genes.items()},
        # coded answers, as (system, code): variant present / absent, germline / somatic,
        # (likely) pathogenic / uncertain or benign, and equivocal-like results (never negative)
        "VARIANT_PRESENT": answers(H2N["answer-variant-present"]),
        "VARIANT_ABSENT": answers(H2N["biomarker-not-detected"]),
        "GERMLINE": answers(H2N["answer-germline"]),
        "SOMATIC": answers(H2N["answer-somatic"]),
        "PATHOGENIC": answers(H2N["biomarker-pathogenic"]),
        "NOT_PATHOGENIC": answers(H2N["answer-not-pathogenic"]),
        "UNCERTAIN": answers(H2N["answer-uncertain"]),
        # LOINC answer -> ECOG grade
        "ECOG_ANSWERS": {code: int(grade) for code, grade in v.read_codes(H2N.EcogGrade, "loinc").items()},
        # cancer disease status observations and their progressing values (SNOMED CT)
        "DISEASE_STATUS": observed(H2N["obs-cancer-disease-status"]),
        "PROGRESSION_VALUES": v.codes(H2N["answer-disease-progressing"], "sct"),
        # primary breast cancer; a secondary malignancy whose code names no site (the code written
        # on export for a site without a disorder code); regional (axillary) nodal metastasis
        "BREAST_CANCER": v.codes(H2N["condition-breast-cancer"], "sct"),
        "SECONDARY_CANCER_GENERIC": secondary,
        "REGIONAL_SECONDARY": regional,
        # radiotherapy procedures (no record field: listed in the report)
        "RADIOTHERAPY": v.codes(H2N["procedure-radiotherapy"], "sct"),
        # RxNorm code -> anti-HER2 drug outside the knowledge base (its record.ttl label)
        "ANTI_HER2_RXNORM": {
            code: anti_her2[URIRef(m.subject)] for code, m in v.concept_codes(anti_her2, "rxnorm").items()
        },
        # codes deliberately not mapped (the mapping set's negated rows and codes no term matches)
        # -> the reason reported: observation codes (LOINC), and menopause findings that are not a
        # menopausal status (artificial menopause may be reversible ovarian suppression)
        "DELIBERATELY_IGNORED_LOINC": {code: m.reason for code, m in sorted(v.not_mapped("loinc").items())},
        "MENOPAUSE_IGNORED": {
            code: m.reason for code, m in sorted(v.not_mapped("sct", enum_table(meno).by_iri).items())
        },
        # the 21-gene recurrence score assay (GTR test id)
        "RECURRENCE_SCORE_GTR": v.codes(H2N.recurrenceScore, "gtr"),
        # a lymph-node body site: broader than a distant nodal site (written on export for it, never
        # read back as one): distant only when the text says so
        "LYMPH_NODE_BODY_SITES": frozenset(
            m.code
            for m in v.mappings
            if m.subject == str(H2N["site-distant-lymph-nodes"])
            and m.system == "sct"
            and m.category == "body structure"
            and m.predicate == str(SKOS.broadMatch)
            and not m.not_mapped
        ),
        # breast surgery (Procedure.code) -> early.surgery
        "BREAST_SURGERY": v.read_codes(H2N.SurgeryType),
        # SNOMED finding -> menopausal status (and the one code written on export)
        "MENOPAUSE": v.read_codes(meno),
        "MENOPAUSE_OUT": v.export_codes(meno),
        # SecondaryCancerCondition codes -> contract site (None = regional, not a distant site)
        "SECONDARY_SITES": {**v.read_codes(site, category="disorder"), **dict.fromkeys(regional)},
        # bodySite codes -> contract site
        "BODY_SITES": v.read_codes(site, category="body structure"),
        # contract site -> (condition code, bodySite code) written on export
        "SITE_OUT": {
            s: (disorder_out[s], None) if s in disorder_out else (secondary, body_out.get(s))
            for s in enum_table(site).codes
        },
        # Specimen.collection.bodySite of a breast tumour -> receptors.specimen primary
        "BREAST_SITES": {
            c for c, value in v.read_codes(spec, category="body structure").items() if value == "primary"
        },
        # SNOMED condition codes -> contract condition codes, and the code written on export
        "CONDITIONS": v.read_codes(cond),
        "CONDITION_OUT": v.export_codes(cond),
    }


def export_row(subject: URIRef, system: str = "loinc"):
    """The mapping-set row of the code written on export for ``subject`` (a patient property, a
    coded value or a record concept) in ``system`` (``loinc``, ``sct``, ``gtr``, ...): its code and
    display (``label``). KeyError when the mapping set marks none (the export fails, it never
    writes a code of its own)."""
    m = Vocabulary.default().export_mapping(subject, system)
    if m is None:
        raise KeyError((URIRef(subject), system))
    return m


def __getattr__(name: str):
    tables = _tables()
    if name in tables:
        return tables[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
