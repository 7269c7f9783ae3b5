"""Hypothesis strategies: valid, normalised patient records (lists sorted and without repeats)."""

from hypothesis import strategies as st

AS_OF = "2026-11-01"
DRUGS = sorted(
    "tamoxifen letrozole anastrozole exemestane goserelin fulvestrant elacestrant palbociclib ribociclib "
    "abemaciclib everolimus alpelisib capivasertib olaparib pembrolizumab paclitaxel nab-paclitaxel "
    "docetaxel capecitabine eribulin carboplatin cyclophosphamide doxorubicin denosumab".split()
    + ["zoledronic acid", "sacituzumab govitecan", "trastuzumab deruxtecan"]
)


def _date(lo: int = 2000, hi: int = 2026):
    return st.builds(
        lambda y, m, d: f"{y:04d}-{m:02d}-{d:02d}",
        st.integers(lo, hi),
        st.integers(1, 10),
        st.integers(1, 28),
    )


percent = st.one_of(st.integers(0, 100), st.floats(0, 100, allow_nan=False).map(lambda x: round(x, 3)))
ids = st.text(min_size=1, max_size=40).filter(lambda s: s.strip() and "\x00" not in s)
json_scalars = st.one_of(st.none(), st.booleans(), st.integers(-1000, 1000), st.text(max_size=10))
extension = st.recursive(
    json_scalars,
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=5), c, max_size=3),
    max_leaves=6,
)


def _sorted_unique(elements, **kw):
    return st.lists(elements, unique=True, **kw).map(sorted)


@st.composite
def receptors(draw):
    r = {"er_percent": draw(percent)}
    if draw(st.booleans()) or r["er_percent"] < 1:
        r["pr_percent"] = draw(percent)
    ihc = draw(st.sampled_from(["0", "ultralow", "1+", "2+"]))
    r["her2_ihc"] = ihc
    if ihc == "2+":
        r["her2_ish"] = "not_amplified"
    if draw(st.booleans()):
        r["specimen"] = draw(st.sampled_from(["primary", "metastasis", "recurrence"]))
    if draw(st.booleans()):
        r["tested_on"] = draw(_date(2020, 2025))
    return r


@st.composite
def therapy(draw):
    start = draw(_date(2005, 2024))
    t = {
        "drugs": draw(_sorted_unique(st.sampled_from(DRUGS), min_size=1, max_size=3)),
        "setting": draw(
            st.sampled_from(["neoadjuvant", "adjuvant", "metastatic", "locoregional_recurrence"])
        ),
        "start": start,
    }
    if draw(st.booleans()):
        t["end"] = draw(_date(int(start[:4]) + 1, 2025))
        t["end_reason"] = draw(st.sampled_from(["progression", "completed", "toxicity", "other"]))
    if draw(st.booleans()):
        t["progression_date"] = draw(_date(int(start[:4]) + 1, 2025))
        t["progression_basis"] = draw(
            _sorted_unique(st.sampled_from(["imaging", "clinical", "tumor_markers"]), min_size=1)
        )
    if draw(st.booleans()):
        t["x_note"] = draw(extension)
    return t


@st.composite
def records(draw):
    sex = draw(st.sampled_from(["female", "female", "male"]))
    setting = draw(st.sampled_from(["metastatic", "early", "locoregional_recurrence"]))
    r = {"id": draw(ids), "as_of": AS_OF, "sex": sex, "age": draw(st.integers(18, 120))}
    if sex == "female":
        r["menopausal_status"] = draw(
            st.sampled_from(["premenopausal", "perimenopausal", "postmenopausal", "unknown"])
        )
    if draw(st.booleans()):
        r["ecog"] = draw(st.integers(0, 4))
    r["setting"] = setting
    r["receptors"] = draw(receptors())
    if draw(st.booleans()):
        b = {}
        if draw(st.booleans()):
            b["PIK3CA"] = draw(st.sampled_from(["altered", "not_detected", "not_tested"]))
        if draw(st.booleans()):
            b["gBRCA1"] = draw(st.sampled_from(["pathogenic", "not_detected", "not_tested"]))
        if draw(st.booleans()):
            b["pdl1_cps"] = draw(st.integers(0, 100))
        if draw(st.booleans()):
            b["ki67_percent"] = draw(percent)
        if draw(st.booleans()):
            b["recurrence_score"] = draw(st.integers(0, 100))
        if draw(st.booleans()):
            b["x_lab_id"] = draw(st.text(max_size=8))
        if b:
            r["biomarkers"] = b
    if setting == "metastatic":
        m = {"diagnosis_date": draw(_date(2015, 2025)), "de_novo": draw(st.booleans())}
        sites = draw(
            _sorted_unique(
                st.sampled_from(["bone", "liver", "lung", "brain", "distant_lymph_nodes"]), max_size=3
            )
        )
        if sites:
            m["sites"] = sites
        if draw(st.booleans()):
            m["visceral_crisis"] = draw(st.booleans())
        r["metastatic"] = m
    elif setting == "early":
        r["early"] = {
            "t": draw(st.sampled_from(["T1c", "T2", "T3"])),
            "n": draw(st.sampled_from(["N0", "N1", "N2"])),
            "nodes_positive": draw(st.integers(0, 20)),
            "tumor_size_mm": draw(st.floats(1, 120).map(lambda x: round(x, 1))),
            "grade": draw(st.integers(1, 3)),
        }
    else:
        r["locoregional_recurrence"] = {
            "isolated": True,
            "site": draw(st.sampled_from(["breast", "chest_wall"])),
        }
    ths = draw(st.lists(therapy(), max_size=3))
    if setting == "early":
        ths = [t for t in ths if t["setting"] != "metastatic"]
    if setting == "metastatic":  # valid: a metastatic-setting therapy starts at most 31 days before the diagnosis
        import datetime as _dt

        earliest = _dt.date.fromisoformat(r["metastatic"]["diagnosis_date"]) - _dt.timedelta(days=31)
        ths = [t for t in ths if t["setting"] != "metastatic" or "start" not in t
               or _dt.date.fromisoformat(t["start"]) >= earliest]
    if ths:
        r["therapies"] = ths
    conds = draw(
        _sorted_unique(st.sampled_from(["diabetes_type2", "heart_failure", "long_qt_syndrome"]), max_size=2)
    )
    if conds:
        r["conditions"] = conds
    if draw(st.booleans()):
        r["labs"] = {
            "qtcf_ms": draw(st.integers(350, 500)),
            "hba1c_percent": draw(st.floats(4, 12).map(lambda x: round(x, 1))),
        }
    meds = draw(_sorted_unique(st.sampled_from(["warfarin", "metformin", "omeprazole"]), max_size=2))
    if meds:
        r["medications"] = meds
    # contract extensions (README, docs/knowledge-model.md)
    if draw(st.booleans()):
        r["child_pugh"] = draw(st.sampled_from(["A", "B", "C"]))
    if sex == "female" and draw(st.integers(0, 4)) == 0:
        r["pregnancy_trimester"] = draw(st.integers(1, 3))
    if draw(st.booleans()):
        r["x_source"] = draw(extension)
    return r
