"""Contraindications that must block a drug, written independently of the knowledge base.

Written from ``shared/reference/drug-identifiers.md`` Table B (ABS, "REL -> block", "REL (avoid)")
and deliberately not derived from ``ontology/contraindications.ttl``: the invariant tests check
every result against this table, so a contraindication missing from the knowledge base shows up.
"""

from __future__ import annotations

from tests.cohort.contract import CANONICAL_DRUGS

ANTHRACYCLINES = {"doxorubicin", "epirubicin", "pegylated liposomal doxorubicin"}
BONE_AGENTS = {"zoledronic acid", "pamidronate", "ibandronate", "clodronate", "denosumab"}
AIS = {"anastrozole", "letrozole", "exemestane"}
LHRHA = {"goserelin", "leuprorelin", "triptorelin"}
CDK46 = {"palbociclib", "ribociclib", "abemaciclib"}
ENDOCRINE = AIS | {"tamoxifen", "toremifene", "fulvestrant", "elacestrant", "imlunestrant", "camizestrant",
                   "vepdegestrant"}
CANONICAL = set(CANONICAL_DRUGS)

CONDITION_BLOCKS: dict[str, set[str]] = {
    # ALL systemic agents: pregnancy (ABS*; "encode as ABS for an eligibility engine")
    "pregnancy": set(CANONICAL) | {"vepdegestrant"},
    "breastfeeding": AIS | {"fulvestrant", "capecitabine"},                      # EU ABS
    "long_qt_syndrome": {"ribociclib", "toremifene"},                           # REL avoid / ABS
    "heart_failure": ANTHRACYCLINES | {"toremifene", "ribociclib"},             # LVEF/HF; EU ABS; avoid
    "diabetes_type1": {"alpelisib", "capivasertib", "inavolisib"},              # REL (not studied) -> block
    "interstitial_lung_disease": {"trastuzumab deruxtecan", "datopotamab deruxtecan"},  # boxed, REL -> block
    "dpd_deficiency": {"capecitabine", "fluorouracil"},                         # ABS (EU) / boxed
    "myelodysplastic_syndrome": {"olaparib", "talazoparib"},
    "active_autoimmune_disease": {"pembrolizumab", "atezolizumab"},
    "organ_transplant": {"pembrolizumab", "atezolizumab"},
    "osteonecrosis_of_jaw": set(BONE_AGENTS),
    "hypocalcemia": {"denosumab"},                                              # Prolia ABS
    "endometrial_hyperplasia_or_cancer": {"toremifene"},                        # Fareston EU ABS
    "severe_hepatic_impairment": {"anastrozole", "capecitabine", "fulvestrant", "toremifene", "doxorubicin",
                                  "epirubicin", "docetaxel"},
}
# Labels that say "avoid" with a strong CYP3A inhibitor: Ibrance 7.1, Kisqali 7.1, Afinitor 7,
# Truqap 4.5/7.1, Lynparza 7, Orserdu 7 (Verzenio: ketoconazole only; others are a dose change).
_STRONG_3A4_INHIBITOR = {"palbociclib", "ribociclib", "everolimus", "capivasertib", "olaparib", "elacestrant"}
# Labels that say "avoid" with a strong CYP3A inducer: the three CDK4/6 inhibitors (7.2), Afinitor 7,
# Truqap 4.5, Lynparza 7, Orserdu 7, Piqray 7.
_STRONG_3A4_INDUCER = CDK46 | {"everolimus", "capivasertib", "olaparib", "elacestrant", "alpelisib"}
# Pregnancy (ESMO 2013; Amant et al. Lancet 2012): from the second trimester anthracycline- and
# taxane-based chemotherapy is possible; everything else is blocked throughout pregnancy.
PREGNANCY_CHEMOTHERAPY = {"doxorubicin", "epirubicin", "cyclophosphamide", "paclitaxel", "docetaxel", "fluorouracil"}
# Child-Pugh (labels): B -> anastrozole contraindicated (Arimidex SmPC 4.3); C = severe hepatic impairment.
CHILD_PUGH_BLOCKS = {"B": {"anastrozole"}}
MEDICATION_BLOCKS: dict[str, set[str]] = {
    "amiodarone": {"ribociclib"},                   # QT-prolonging drug: avoid
    "clarithromycin": _STRONG_3A4_INHIBITOR,         # strong CYP3A4 inhibitor: avoid
    "itraconazole": _STRONG_3A4_INHIBITOR,
    "ketoconazole": _STRONG_3A4_INHIBITOR | {"abemaciclib"},  # Verzenio 7.1: avoid ketoconazole
    "rifampicin": _STRONG_3A4_INDUCER,
    "rifampin": _STRONG_3A4_INDUCER,
    "carbamazepine": _STRONG_3A4_INDUCER,
    "fluconazole": {"olaparib", "elacestrant"},      # moderate CYP3A inhibitor: Lynparza 7, Orserdu 7 avoid
    "brivudine": {"capecitabine", "fluorouracil"},  # SmPC ABS
    "estradiol": {"anastrozole"},                   # Arimidex SmPC ABS
    "insulin": {"capivasertib", "inavolisib"},      # Truqap SmPC 4.4; Itovebi USPI 5.1 (not studied)
    "insulin glargine": {"capivasertib", "inavolisib"},
}


def lab_blocks(labs: dict) -> set[str]:
    out: set[str] = set()
    if labs.get("qtcf_ms", 0) >= 450:
        out.add("ribociclib")
    if labs.get("lvef_percent", 100) < 50:
        out |= ANTHRACYCLINES
    if labs.get("hba1c_percent", 0) > 6.4:
        out.add("alpelisib")
    if labs.get("hba1c_percent", 0) >= 8.0:  # CAPItello-291 excluded 8.0% or more
        out.add("capivasertib")
    crcl = labs.get("crcl_ml_min", 200)
    if crcl < 30:
        out |= {"capecitabine", "zoledronic acid", "olaparib", "pamidronate"}  # Aredia: not recommended
    if crcl < 10:
        out.add("clodronate")  # Bonefos SmPC 4.3
    if crcl < 20:
        out.add("anastrozole")
    return out


def ground_truth_blocked(record: dict) -> set[str]:
    out = lab_blocks(record.get("labs") or {})
    conditions = set(record.get("conditions") or [])
    trimester = record.get("pregnancy_trimester")
    if trimester is not None:
        conditions.add("pregnancy")
    if record.get("child_pugh") == "C":
        conditions.add("severe_hepatic_impairment")
    out |= CHILD_PUGH_BLOCKS.get(record.get("child_pugh"), set())
    for cond in conditions:
        blocked = CONDITION_BLOCKS.get(cond, set())
        if cond == "pregnancy" and trimester in (2, 3):
            blocked = blocked - PREGNANCY_CHEMOTHERAPY
        out |= blocked
    for med in record.get("medications") or []:
        out |= MEDICATION_BLOCKS.get(med, set())
    return out


