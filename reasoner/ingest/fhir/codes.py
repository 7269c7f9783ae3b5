"""Code tables used by the FHIR mapping (LOINC, SNOMED CT, HGNC, RxNorm product codes).

Sources (see also ``docs/fhir-mapping.md``):
- ``shared/reference/drug-identifiers.md`` Table C (mCODE STU4 TumorMarkerTest codes, answer codes,
  SNOMED receptor and menopause findings) and Table A notes (RxNorm PIN/BN codes).
- ``shared/data/external/hl7-mcode-ig`` (Jenny M example: genomic source class, ECOG answers,
  treatment intent) and ``tumor_marker_test_vs_breast_codes.csv``.
- ``shared/data/external/mcode-trial-matching-fhir`` (MITRE RxNorm product codes, as displayed).
- ``shared/data/external/synthea-breast-cancer/synthea_breast_cancer_module_codes.csv``.
- DICOM CID 6086 "Menopausal Phase" (SNOMED 309606002 / 303111005 / 307429007 / 371036001).
- Lab LOINC codes: LOINC 10230-1 LVEF (napkon IG), 18043-0/8808-8/8810-4/8811-2 (DICOM CID 3467,
  3833, 12202), 8636-3 QTc, 76634-5 QTc Fridericia, 76635-2 QTc Bazett, 4548-4 HbA1c,
  2164-2 / 35591-7 creatinine clearance, 17861-6 calcium (public FHIR/HL7v2 examples).
"""

from __future__ import annotations

import re

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


def system_key(system: str | None) -> str:
    """Reduce a code-system URI to a short key (``loinc``, ``sct``, ``rxnorm``, ``ncit``, ...)."""
    s = (system or "").lower()
    if "loinc" in s:
        return "loinc"
    if "snomed" in s:
        return "sct"
    if "rxnorm" in s:
        return "rxnorm"
    if "thesaurus.owl" in s or s.endswith("/ncit") or "ncit" in s.rsplit("/", 1)[-1]:
        return "ncit"
    if "whocc" in s or s.endswith("/atc"):
        return "atc"
    if "genenames" in s or "hgnc" in s:
        return "hgnc"
    if "gtr" in s:
        return "gtr"
    if "cancerstaging" in s:
        return "ajcc"
    if "unitsofmeasure" in s:
        return "ucum"
    return s


# --------------------------------------------------------------------------- tumour markers

ER_STATUS = {"85337-4", "40556-3", "16112-5"}
ER_PERCENT = {"85329-1", "14228-1"}
PR_STATUS = {"85339-0", "40557-1", "16113-3"}
PR_PERCENT = {"85325-9", "14230-7"}
HER2_IHC = {"85319-2", "18474-7"}
HER2_STATUS = {"48676-1", "72383-3"}
HER2_ISH = {"85318-4", "31150-6", "96893-3"}
KI67 = {"85330-9"}
PDL1_22C3 = {"83052-1", "85147-7"}
PDL1_SP142 = {"83057-0", "85149-3"}
ECOG = {"89247-1"}
GENETIC_VARIANT = {"69548-6"}
GENE_STUDIED = "48018-6"
GENOMIC_SOURCE_CLASS = "48002-0"
CLINICAL_SIGNIFICANCE = "53037-8"
DISEASE_STATUS = {"97509-4", "88040-1"}

#: Tumour-marker and related codes read but deliberately not mapped, with the reason.
DELIBERATELY_IGNORED_LOINC: dict[str, str] = {
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
    "21889-1": "tumour size is mapped only for early disease",
    "33728-7": "tumour size is mapped only for early disease",
}

POSITIVE = {("loinc", "LA6576-8"), ("sct", "10828004")}
NEGATIVE = {("loinc", "LA6577-6"), ("sct", "260385009")}
#: Equivocal / indeterminate / not evaluated: never read as negative.
UNCERTAIN = {("sct", "42425007"), ("sct", "82334004"), ("sct", "419984006"), ("sct", "373068000")}
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
IHC_ANSWERS = {"LA6111-4": "0", "LA11841-6": "1+", "LA11842-4": "2+", "LA11843-2": "3+"}
VARIANT_PRESENT = {("loinc", "LA9633-4")}
VARIANT_ABSENT = {("loinc", "LA9634-2")}
GERMLINE = {("loinc", "LA6683-2")}
SOMATIC = {("loinc", "LA6684-0")}
PATHOGENIC = {("loinc", "LA6668-3"), ("loinc", "LA26332-9")}
NOT_PATHOGENIC = {("loinc", "LA26333-7"), ("loinc", "LA26334-5"), ("loinc", "LA6675-8")}
ECOG_ANSWERS = {"LA9622-7": 0, "LA9623-5": 1, "LA9624-3": 2, "LA9625-0": 3, "LA9626-8": 4}

#: HGNC ids of the genes the contract knows.
GENES = {
    "8975": "PIK3CA",
    "3467": "ESR1",
    "391": "AKT1",
    "9588": "PTEN",
    "1100": "BRCA1",
    "1101": "BRCA2",
    "26144": "PALB2",
}
GENE_IDS = {v: k for k, v in GENES.items()}
SOMATIC_GENES = {"PIK3CA", "ESR1", "AKT1", "PTEN"}
GERMLINE_GENES = {"BRCA1": "gBRCA1", "BRCA2": "gBRCA2", "PALB2": "gPALB2"}
#: Genes that a targeted drug needs (drug -> biomarker fields any of which must be positive).
TARGETED_DRUG_BIOMARKER = {
    "alpelisib": ("PIK3CA",),
    "inavolisib": ("PIK3CA",),
    "capivasertib": ("PIK3CA", "AKT1", "PTEN"),
    "elacestrant": ("ESR1",),
    "imlunestrant": ("ESR1",),
    "olaparib": ("gBRCA1", "gBRCA2"),
    "talazoparib": ("gBRCA1", "gBRCA2"),
}
CDK46_INHIBITORS = {"palbociclib", "ribociclib", "abemaciclib"}
BONE_AGENTS = {"zoledronic acid", "pamidronate", "ibandronate", "clodronate", "denosumab"}

# --------------------------------------------------------------------------- labs

LVEF = {"10230-1", "8806-2", "18043-0", "8808-8", "8810-4", "8811-2"}
QTCF = {"76634-5"}
QTC_UNSPECIFIED = {"8636-3"}
CRCL = {"2164-2", "35591-7"}
HBA1C = {"4548-4", "17856-6"}
CALCIUM = {"17861-6", "49765-1"}
LAB_FIELDS = {
    **{c: "lvef_percent" for c in LVEF},
    **{c: "qtcf_ms" for c in QTCF | QTC_UNSPECIFIED},
    **{c: "crcl_ml_min" for c in CRCL},
    **{c: "hba1c_percent" for c in HBA1C},
    **{c: "calcium_mg_dl" for c in CALCIUM},
}
LAB_LOINC_OUT = {
    "lvef_percent": ("10230-1", "Left ventricular Ejection fraction", "%"),
    "qtcf_ms": ("76634-5", "Q-T interval corrected by Fridericia formula", "ms"),
    "crcl_ml_min": ("2164-2", "Creatinine renal clearance", "mL/min"),
    "hba1c_percent": ("4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood", "%"),
    "calcium_mg_dl": ("17861-6", "Calcium [Mass/volume] in Serum or Plasma", "mg/dL"),
}
LAB_RANGES = {
    "lvef_percent": (0, 100),
    "qtcf_ms": (200, 800),
    "crcl_ml_min": (0, 250),
    "hba1c_percent": (3, 20),
    "calcium_mg_dl": (3, 20),
}

# --------------------------------------------------------------------------- menopause

MENOPAUSE = {
    "309606002": "premenopausal",  # Before menopause (DICOM CID 6086)
    "289904000": "premenopausal",  # Menopause absent (finding) (Table C, one source)
    "303111005": "perimenopausal",  # During menopause (DICOM CID 6086)
    "307429007": "postmenopausal",  # After menopause (DICOM CID 6086)
    "289903006": "postmenopausal",  # Menopause present (finding) (Table C, one source)
    "371036001": "postmenopausal",  # Postsurgical menopause (DICOM CID 6086)
}
MENOPAUSE_OUT = {"premenopausal": "309606002", "perimenopausal": "303111005", "postmenopausal": "307429007"}
#: Artificial menopause (31351009) can be reversible medical suppression: not read as postmenopausal.
MENOPAUSE_IGNORED = {
    "31351009": "artificial menopause may be reversible ovarian suppression; not a menopausal status"
}

# --------------------------------------------------------------------------- cancer conditions

BREAST_CANCER = {
    "254837009",  # Malignant neoplasm of breast
    "372137005",  # Primary malignant neoplasm of breast
    "353431000119107",  # Primary malignant neoplasm of female left breast
    "372064008",  # Malignant neoplasm of female breast
    "93796005",  # Primary malignant neoplasm of female breast
    "408643008",  # Infiltrating duct carcinoma of breast (MITRE)
}
SECONDARY_CANCER_GENERIC = "128462008"  # Secondary malignant neoplastic disease

#: SecondaryCancerCondition codes -> contract site (None = regional, not a distant site).
SECONDARY_SITES: dict[str, str | None] = {
    "94222008": "bone",  # Secondary malignant neoplasm of bone
    "94381002": "liver",  # Secondary malignant neoplasm of liver
    "94391008": "lung",  # Secondary malignant neoplasm of lung
    "94225005": "brain",  # Secondary malignant neoplasm of brain
    "94181007": None,  # Secondary malignant neoplasm of axillary lymph nodes: regional (N), not M
}
#: bodySite codes -> contract site.
BODY_SITES = {
    "272673000": "bone",  # Bone structure
    "10200004": "liver",  # Liver structure
    "39607008": "lung",  # Lung structure
    "3120008": "pleura",  # Pleural membrane structure
    "15425007": "peritoneum",  # Peritoneum
    "12738006": "brain",  # Brain structure
    "39937001": "skin_soft_tissue",  # Skin structure
}
SITE_OUT = {
    "bone": ("94222008", None),
    "liver": ("94381002", None),
    "lung": ("94391008", None),
    "brain": ("94225005", None),
    "pleura": (SECONDARY_CANCER_GENERIC, "3120008"),
    "peritoneum": (SECONDARY_CANCER_GENERIC, "15425007"),
    "skin_soft_tissue": (SECONDARY_CANCER_GENERIC, "39937001"),
    "distant_lymph_nodes": (SECONDARY_CANCER_GENERIC, "59441001"),  # Structure of lymph node
    "other": (SECONDARY_CANCER_GENERIC, None),
}
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

STAGE_GROUP = {"21908-9", "21902-2", "399537006", "399588009"}
CLINICAL_STAGE_GROUP = {"21908-9", "399537006"}
M_CATEGORY = {"21907-1", "21901-4", "399387003", "371497001"}
T_CATEGORY = {"21905-5", "21899-0", "399504009", "384625004"}
N_CATEGORY = {"21906-3", "21900-6", "399534004", "371494008"}
STAGE_SNOMED = {
    "258215001": "1",
    "258219007": "2",
    "258224005": "3",
    "258228008": "4",
    "1222724007": "1",
    "1222728005": "1",
    "1222766008": "2",
    "1222769001": "2",
    "1222802001": "3",
    "1222805004": "3",
    "1222806003": "3",
    "261638004": "3",
}
M_SNOMED = {"1229901006": "M0", "1229903009": "M1"}
T_SNOMED = {"1228938002": "T3", "1228929004": "T2", "1228944003": "T4", "1229859000": "T3"}
N_SNOMED = {
    "1229967007": "N0",
    "1229973008": "N1",
    "1229978004": "N2",
    "1229984001": "N3",
    "1229947003": "N0",
}
T_VALUES = ("Tis", "T1mi", "T1a", "T1b", "T1c", "T2", "T3", "T4")
N_VALUES = ("N0", "N1mi", "N1", "N2", "N3")
GRADE_LOINC = {"44648-4"}
TUMOR_SIZE_LOINC = {"21889-1", "33728-7"}

# --------------------------------------------------------------------------- comorbidities

#: SNOMED condition codes -> contract condition codes.
CONDITIONS = {
    "77386006": "pregnancy",  # Pregnancy
    "413712001": "breastfeeding",  # Breastfeeding (mother)
    "128053003": "history_of_thromboembolism",  # Deep venous thrombosis
    "59282003": "history_of_thromboembolism",  # Pulmonary embolism
    "371039008": "history_of_thromboembolism",  # Thromboembolic disorder
    "85828009": "active_autoimmune_disease",  # Autoimmune disease
    "55464009": "active_autoimmune_disease",  # Systemic lupus erythematosus
    "69896004": "active_autoimmune_disease",  # Rheumatoid arthritis
    "34000006": "active_autoimmune_disease",  # Crohn's disease
    "64766004": "active_autoimmune_disease",  # Ulcerative colitis
    "24700007": "active_autoimmune_disease",  # Multiple sclerosis
    "233703007": "interstitial_lung_disease",  # Interstitial lung disease
    "205237003": "interstitial_lung_disease",  # Pneumonitis
    "46635009": "diabetes_type1",  # Diabetes mellitus type 1
    "44054006": "diabetes_type2",  # Diabetes mellitus type 2
    "84114007": "heart_failure",  # Heart failure
    "42343007": "heart_failure",  # Congestive heart failure
    "9651007": "long_qt_syndrome",  # Long QT syndrome
    "59927004": "severe_hepatic_impairment",  # Hepatic failure
    "5291005": "hypocalcemia",  # Hypocalcemia
    "109995007": "myelodysplastic_syndrome",  # Myelodysplastic syndrome
}
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
CONDITION_OUT = {
    "pregnancy": "77386006",
    "breastfeeding": "413712001",
    "history_of_thromboembolism": "128053003",
    "active_autoimmune_disease": "85828009",
    "interstitial_lung_disease": "233703007",
    "diabetes_type1": "46635009",
    "diabetes_type2": "44054006",
    "heart_failure": "84114007",
    "long_qt_syndrome": "9651007",
    "severe_hepatic_impairment": "59927004",
    "hypocalcemia": "5291005",
    "myelodysplastic_syndrome": "109995007",
}

# --------------------------------------------------------------------------- therapy context

INTENT_SETTING = {"373847000": "neoadjuvant", "373846009": "adjuvant"}
SETTING_INTENT_OUT = {"neoadjuvant": "373847000", "adjuvant": "373846009"}
END_REASON_CODES = {
    "271299001": "progression",  # Patient's condition worsened
    "281647001": "toxicity",  # Adverse reaction
    "385658003": "completed",  # Done
}
END_REASON_OUT = {
    "progression": ("271299001", "progression"),
    "toxicity": ("281647001", "toxicity"),
    "completed": ("385658003", "completed"),
    "other": (None, "other"),
}
PROGRESSION_VALUES = {"271299001", "230993007"}  # condition worsened / Worsening (Synthea)
EVIDENCE_BASIS = {
    "363679005": "imaging",  # Imaging (procedure)
    "5880005": "clinical",  # Physical examination procedure
    "250724005": "tumor_markers",  # Tumor marker measurement
}
BASIS_OUT = {v: k for k, v in EVIDENCE_BASIS.items()}
BASIS_WORDS = {
    "imaging": "imaging",
    "clinical": "clinical",
    "tumor marker": "tumor_markers",
    "circulating tumor": "circulating_tumor_cells",
    "ctc": "circulating_tumor_cells",
}

# --------------------------------------------------------------------------- drugs

#: Canonical drug names of the patient-record contract (end of ``patient-record.md``).
CANONICAL_DRUGS = (
    "tamoxifen", "toremifene", "anastrozole", "letrozole", "exemestane", "goserelin", "leuprorelin",
    "triptorelin", "fulvestrant", "elacestrant", "imlunestrant", "camizestrant", "palbociclib",
    "ribociclib", "abemaciclib", "everolimus", "alpelisib", "capivasertib", "inavolisib", "olaparib",
    "talazoparib", "pembrolizumab", "atezolizumab", "sacituzumab govitecan", "trastuzumab deruxtecan",
    "datopotamab deruxtecan", "doxorubicin", "epirubicin", "pegylated liposomal doxorubicin",
    "paclitaxel", "nab-paclitaxel", "docetaxel", "capecitabine", "fluorouracil", "vinorelbine",
    "gemcitabine", "eribulin", "carboplatin", "cisplatin", "cyclophosphamide", "methotrexate",
    "zoledronic acid", "pamidronate", "ibandronate", "clodronate", "denosumab",
)  # fmt: skip

#: RxNorm codes that are not the ingredient (IN) codes found in ``ontology/drugs.ttl``:
#: precise ingredients (PIN), brand names (BN) and clinical/branded products (SCD/SBD/SCDG).
RXNORM_EXTRA = {
    # drug-identifiers.md Table A (PIN / BN columns and footnotes)
    "203217": "leuprorelin",  # leuprolide acetate PIN
    "338529": "triptorelin",  # triptorelin pamoate PIN
    "1873978": "ribociclib",  # ribociclib succinate PIN
    "2169302": "alpelisib",  # Piqray BN
    "2099703": "talazoparib",  # talazoparib tosylate PIN
    "2267574": "trastuzumab deruxtecan",  # fam-trastuzumab deruxtecan-nxki PIN
    "2360530": "sacituzumab govitecan",  # sacituzumab govitecan-hziy PIN
    "486610": "nab-paclitaxel",  # paclitaxel protein-bound
    "214525": "pegylated liposomal doxorubicin",  # doxorubicin liposome
    "466523": "pegylated liposomal doxorubicin",  # doxorubicin hydrochloride liposome
    "114527": "vinorelbine",  # vinorelbine tartrate PIN
    "1045452": "eribulin",  # eribulin mesylate PIN
    "105443": "pamidronate",  # pamidronate disodium PIN
    # MITRE trial-matching bundles (code + display as given there)
    "1163443": "leuprorelin",  # leuprolide Injetable Product
    "1156671": "fulvestrant",  # fulvestrant Injectable Product
    "1946828": "abemaciclib",  # abemaciclib Oral Product
    "1946827": "abemaciclib",  # abemaciclib Oral Product
    "1873980": "ribociclib",  # ribociclib Oral Product
    "1163788": "exemestane",  # exemestane Oral Product
    "1156253": "zoledronic acid",  # zoledronic acid Injetable Product
    "1157702": "anastrozole",  # anastrozole Oral Product
    "1163195": "letrozole",  # letrozole Oral Product
    "1601377": "palbociclib",  # palbociclib
    "1158877": "capecitabine",  # capecitabine Oral Product
    "1164214": "tamoxifen",  # tamoxifen Oral Product
    "1156710": "gemcitabine",  # gemcitabine Injetable Product
    "2169297": "alpelisib",  # alpelisib Oral Product
    # Synthea breast-cancer module (synthea_breast_cancer_module_codes.csv)
    "198240": "tamoxifen",  # Tamoxifen 10 MG Oral Tablet
    "200064": "letrozole",  # letrozole 2.5 MG Oral Tablet
    "199224": "anastrozole",  # anastrozole 1 MG Oral Tablet
    "310261": "exemestane",  # exemestane 25 MG Oral Tablet
    "727762": "fulvestrant",  # 5 ML fulvestrant 50 MG/ML Prefilled Syringe
    "1601380": "palbociclib",  # palbociclib 100 MG Oral Capsule
    "1873983": "ribociclib",  # ribociclib 200 MG Oral Tablet
    "1946840": "abemaciclib",  # abemaciclib 100 MG Oral Tablet [Verzenio]
    "1790099": "doxorubicin",  # 10 ML Doxorubicin Hydrochloride 2 MG/ML Injection
    "1732186": "epirubicin",  # 100 ML Epirubicin Hydrochloride 2 MG/ML Injection
    "583214": "paclitaxel",  # Paclitaxel 100 MG Injection
    "1734919": "cyclophosphamide",  # Cyclophosphamide 1000 MG Injection
    "597195": "carboplatin",  # Carboplatin 10 MG/ML Injectable Solution
    "1791701": "fluorouracil",  # 10 ML Fluorouracil 50 MG/ML Injection
    "1114085": "zoledronic acid",  # 100 ML zoledronic acid 0.04 MG/ML Injection
    "993452": "denosumab",  # 1 ML denosumab 60 MG/ML Prefilled Syringe
    "1737449": "pamidronate",  # 10 ML Pamidronate Disodium 3 MG/ML Injection
}

#: Anti-HER2 drugs (Synthea module codes): not canonical in this HER2-negative contract.
ANTI_HER2_RXNORM = {
    "2119714": "trastuzumab (hyaluronidase-oysk)",
    "1658084": "ado-trastuzumab emtansine",
    "672149": "lapatinib",
    "1940648": "neratinib",
}
ANTI_HER2_WORDS = ("trastuzumab", "pertuzumab", "lapatinib", "neratinib", "tucatinib", "emtansine")

#: Extra spellings of canonical drugs accepted in free text (in addition to the ontology's
#: rdfs:label / skos:altLabel). Source: patient-record.md synonyms and TCGA drug spellings.
DRUG_SYNONYMS = {
    "leuprolide": "leuprorelin",
    "lupron": "leuprorelin",
    "zoladex": "goserelin",
    "nolvadex": "tamoxifen",
    "faslodex": "fulvestrant",
    "kisqali": "ribociclib",
    "ibrance": "palbociclib",
    "verzenio": "abemaciclib",
    "piqray": "alpelisib",
    "truqap": "capivasertib",
    "orserdu": "elacestrant",
    "afinitor": "everolimus",
    "lynparza": "olaparib",
    "talzenna": "talazoparib",
    "keytruda": "pembrolizumab",
    "tecentriq": "atezolizumab",
    "trodelvy": "sacituzumab govitecan",
    "enhertu": "trastuzumab deruxtecan",
    "xeloda": "capecitabine",
    "taxol": "paclitaxel",
    "abraxane": "nab-paclitaxel",
    "nab paclitaxel": "nab-paclitaxel",
    "paclitaxel protein bound": "nab-paclitaxel",
    "protein bound paclitaxel": "nab-paclitaxel",
    "albumin bound paclitaxel": "nab-paclitaxel",
    "taxotere": "docetaxel",
    "adriamycin": "doxorubicin",
    "doxorubicin liposome": "pegylated liposomal doxorubicin",
    "liposomal doxorubicin": "pegylated liposomal doxorubicin",
    "doxorubicin hydrochloride liposome": "pegylated liposomal doxorubicin",
    "doxil": "pegylated liposomal doxorubicin",
    "caelyx": "pegylated liposomal doxorubicin",
    "5 fu": "fluorouracil",
    "5 fluorouracil": "fluorouracil",
    "navelbine": "vinorelbine",
    "gemzar": "gemcitabine",
    "halaven": "eribulin",
    "cytoxan": "cyclophosphamide",
    "zoledronate": "zoledronic acid",
    "zometa": "zoledronic acid",
    "xgeva": "denosumab",
    "prolia": "denosumab",
    "aredia": "pamidronate",
    "arimidex": "anastrozole",
    "femara": "letrozole",
    "aromasin": "exemestane",
}

#: Concomitant non-cancer drugs that matter for interactions (drug-identifiers.md Table B),
#: by RxNorm ingredient code and by name.
CONCOMITANT_RXNORM = {
    "11289": "warfarin",
    "8183": "phenytoin",
    "4493": "fluoxetine",
    "32937": "paroxetine",
    "42347": "bupropion",
    "6135": "ketoconazole",
    "28031": "itraconazole",
    "21212": "clarithromycin",
    "9384": "rifampicin",
    "2002": "carbamazepine",
}
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

#: Breast surgery (Procedure.code, SNOMED) -> early.surgery. 64368001 is the mCODE IG's partial
#: mastectomy ("Excision of part of breast"), 392021009 Synthea's breast-conserving surgery.
BREAST_SURGERY = {
    "64368001": "breast_conserving",  # Excision of part of breast (partial mastectomy)
    "392021009": "breast_conserving",  # Lumpectomy of breast
}
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
#: Radiotherapy procedures (SNOMED; the Synthea breast module and mCODE RadiotherapyCourseSummary).
RADIOTHERAPY = {
    "33195004",  # External beam radiation therapy procedure
    "385798007",  # Radiation therapy care
    "1287742003",  # Radiotherapy
    "447759004",  # Brachytherapy of breast
    "113120007",  # Interstitial brachytherapy
    "384692006",  # Intracavitary brachytherapy
    "1217123003",  # Radiotherapy course of treatment (mCODE course summary)
    "53438000",  # Radiation therapy procedure or service (MITRE Patient02)
    "445232009",  # Boost radiation therapy (MITRE Patient02)
}
RADIOTHERAPY_WORDS = ("radiotherapy", "radiation therapy", "brachytherapy", "irradiation")
#: Bilateral oophorectomy: recognised from the text (no SNOMED code verified yet).
OOPHORECTOMY_WORDS = ("oophorectomy", "ovariectomy", "salpingo-oophorectomy", "salpingooophorectomy")

#: Specimen.collection.bodySite / Specimen.type (SNOMED) of a breast tumour -> receptors.specimen primary.
BREAST_SITES = {"76752008", "80248007", "73056007"}  # Breast structure, left breast, right breast
#: NCCN definition of menopause (ontology source S50): age at or above this is postmenopausal.
MENOPAUSE_AGE = 60

#: Data-absent-reason code system (an explicitly unknown value, e.g. menopausal status asked but unknown).
DATA_ABSENT_REASON = "http://terminology.hl7.org/CodeSystem/data-absent-reason"
#: SNOMED "Menopause, function" (observable): the code of a menopausal-status Observation.
MENOPAUSE_OBSERVABLE = "161712005"
