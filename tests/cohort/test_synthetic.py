"""Tests of the synthetic cohort generator (``reasoner.cohort.synthetic``)."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from reasoner.cohort.synthetic import AS_OF, CATEGORIES, INVALID_KINDS, generate, write_jsonl

from .contract import CANONICAL_DRUGS, check

N = 4000


@pytest.fixture(scope="module")
def cohort() -> list[dict[str, Any]]:
    return list(generate(N, seed=7))


def _share(records: list[dict[str, Any]], pred: Any) -> float:
    return sum(1 for r in records if pred(r)) / len(records)


def _valid(cohort: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in cohort if r["x_synthetic"]["category"] != "invalid"]


def _hr_pos(r: dict[str, Any]) -> bool:
    rec = r["receptors"]
    return (
        rec.get("er") == "positive"
        or rec.get("er_percent", 0) >= 1
        or rec.get("pr") == "positive"
        or (rec.get("pr_percent", 0) >= 1)
    )


def _her2_positive(r: dict[str, Any]) -> bool:
    rec = r["receptors"]
    return rec.get("her2_ihc") == "3+" or rec.get("her2_ish") == "amplified" or rec.get("her2") == "positive"


# ---------------------------------------------------------------- determinism


def test_same_seed_gives_identical_records() -> None:
    assert list(generate(300, seed=3)) == list(generate(300, seed=3))


def test_different_seeds_differ() -> None:
    a = [json.dumps(r, sort_keys=True) for r in generate(50, seed=1)]
    b = [json.dumps(r, sort_keys=True) for r in generate(50, seed=2)]
    assert sum(x != y for x, y in zip(a, b, strict=True)) >= 45


def test_prefix_stable_whatever_n() -> None:
    assert list(generate(40, seed=11)) == list(generate(400, seed=11))[:40]


def test_ids_unique_and_carry_seed(cohort: list[dict[str, Any]]) -> None:
    ids = [r["id"] for r in cohort]
    assert len(set(ids)) == N
    assert all(i.startswith("syn-7-") for i in ids)


def test_write_jsonl_roundtrip(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "cohort.jsonl"
    assert write_jsonl(path, 120, seed=5) == 120
    lines = path.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == list(generate(120, seed=5))


def test_as_of_default_and_override() -> None:
    assert AS_OF == date(2026, 11, 1)
    first = next(generate(1))
    assert first["as_of"] == "2026-11-01"
    other = list(generate(200, seed=2, as_of=date(2030, 1, 15)))
    assert {r["as_of"] for r in other} == {"2030-01-15"}
    assert all(not check(r) for r in other if r["x_synthetic"]["category"] != "invalid")


def test_negative_n_rejected() -> None:
    with pytest.raises(ValueError):
        list(generate(-1))


# ---------------------------------------------------------------- contract


def test_every_valid_record_obeys_the_contract(cohort: list[dict[str, Any]]) -> None:
    bad = {r["id"]: check(r) for r in _valid(cohort) if check(r)}
    assert not bad, list(bad.items())[:5]


def test_every_invalid_record_has_exactly_its_planted_finding(cohort: list[dict[str, Any]]) -> None:
    invalid = [r for r in cohort if r["x_synthetic"]["category"] == "invalid"]
    assert invalid
    for r in invalid:
        paths = {p for p, _ in check(r)}
        assert paths == {r["x_synthetic"]["invalid_path"]}, (r["id"], check(r))


def test_all_invalid_kinds_occur(cohort: list[dict[str, Any]]) -> None:
    kinds = Counter(r["x_synthetic"].get("invalid") for r in cohort)
    assert {k for k, _ in INVALID_KINDS} <= set(kinds)


def test_only_canonical_drug_names(cohort: list[dict[str, Any]]) -> None:
    used = {d for r in cohort for t in r.get("therapies", []) for d in t["drugs"]}
    assert used <= CANONICAL_DRUGS
    assert len(used) >= 30  # a broad spread of the canonical list is exercised


def test_keys_are_contract_keys_or_extensions(cohort: list[dict[str, Any]]) -> None:
    for r in cohort:
        assert not [f for f in check(r) if f[1] == "unknown key"]
        assert [k for k in r if k.startswith("x_")] == ["x_synthetic"]


# ---------------------------------------------------------------- the mix


def test_category_mix_within_tolerance(cohort: list[dict[str, Any]]) -> None:
    counts = Counter(r["x_synthetic"]["category"] for r in cohort)
    for name, p in CATEGORIES:
        assert abs(counts[name] / N - p) < 0.025, (name, counts[name] / N)


def test_receptor_mix_matches_the_categories(cohort: list[dict[str, Any]]) -> None:
    valid = _valid(cohort)
    her2neg = [r for r in valid if not _her2_positive(r)]
    hr_pos = _share(her2neg, _hr_pos) * len(her2neg) / N
    tnbc = _share(her2neg, lambda r: not _hr_pos(r)) * len(her2neg) / N
    assert 0.66 <= hr_pos <= 0.78
    assert 0.12 <= tnbc <= 0.18
    assert 0.03 <= _share(cohort, lambda r: _her2_positive(r)) <= 0.09
    for r in valid:
        assert _her2_positive(r) == (r["x_synthetic"]["category"] == "her2_positive")


def test_her2_ihc_distribution(cohort: list[dict[str, Any]]) -> None:
    her2neg = [r["receptors"] for r in _valid(cohort) if not _her2_positive(r)]
    counts = Counter(rec.get("her2_ihc", "status_only") for rec in her2neg)
    share = {k: v / len(her2neg) for k, v in counts.items()}
    assert set(share) == {"0", "ultralow", "1+", "2+", "status_only"}
    assert 0.20 < share["0"] < 0.34 and 0.08 < share["ultralow"] < 0.18 and 0.28 < share["1+"] < 0.42
    assert 0.14 < share["2+"] < 0.26 and 0.02 < share["status_only"] < 0.08
    assert all(rec["her2_ish"] == "not_amplified" for rec in her2neg if rec.get("her2_ihc") == "2+")
    assert all(rec["her2"] == "negative" for rec in her2neg if "her2_ihc" not in rec)


def test_settings_mix(cohort: list[dict[str, Any]]) -> None:
    counts = Counter(r["setting"] for r in cohort)
    assert 0.65 < counts["metastatic"] / N < 0.75
    assert 0.16 < counts["early"] / N < 0.24
    assert 0.07 < counts["locoregional_recurrence"] / N < 0.13
    for r in cohort:
        assert r["setting"] in r
        others = {"metastatic", "early", "locoregional_recurrence"} - {r["setting"]}
        assert not others & set(r)


def test_menopausal_status_follows_age(cohort: list[dict[str, Any]]) -> None:
    women = [r for r in cohort if r["sex"] == "female"]
    assert all("menopausal_status" in r for r in women)
    assert all("menopausal_status" not in r for r in cohort if r["sex"] == "male")
    assert any(r["sex"] == "male" for r in cohort)
    old = [r for r in women if r["age"] > 55]
    young = [r for r in women if r["age"] < 45]
    assert {r["menopausal_status"] for r in old} <= {"postmenopausal", "unknown"}
    assert _share(young, lambda r: r["menopausal_status"] in ("premenopausal", "perimenopausal")) > 0.85
    assert 0.01 < _share(women, lambda r: r["menopausal_status"] == "unknown") < 0.06


def _metastatic_lines(r: dict[str, Any]) -> list[dict[str, Any]]:
    bone = {"denosumab", "zoledronic acid"}
    return [t for t in r.get("therapies", []) if t["setting"] == "metastatic" and not set(t["drugs"]) <= bone]


def test_metastatic_lines_one_to_four(cohort: list[dict[str, Any]]) -> None:
    met = [r for r in _valid(cohort) if r["setting"] == "metastatic"]
    lines = Counter(r["x_synthetic"]["line"] for r in met)
    assert set(lines) == {1, 2, 3, 4}
    assert lines[1] > lines[2] > lines[3] > lines[4] > 0.05 * len(met)
    for r in met:
        assert len(_metastatic_lines(r)) == r["x_synthetic"]["line"] - 1


def test_hr_positive_first_line_is_endocrine_based(cohort: list[dict[str, Any]]) -> None:
    et = {"letrozole", "anastrozole", "exemestane", "fulvestrant", "tamoxifen"}
    firsts = [
        _metastatic_lines(r)[0]
        for r in _valid(cohort)
        if r["setting"] == "metastatic"
        and r["x_synthetic"]["category"] == "hr_positive"
        and _metastatic_lines(r)
    ]
    assert _share(firsts, lambda t: bool(set(t["drugs"]) & et)) > 0.85
    assert (
        _share(firsts, lambda t: bool(set(t["drugs"]) & {"palbociclib", "ribociclib", "abemaciclib"})) > 0.7
    )


def test_history_dates_are_consistent(cohort: list[dict[str, Any]]) -> None:
    for r in _valid(cohort):
        as_of = date.fromisoformat(r["as_of"])
        ths = r.get("therapies", [])
        starts = [date.fromisoformat(t["start"]) for t in ths]
        assert starts == sorted(starts) or r["setting"] != "metastatic"
        if r["setting"] == "metastatic":
            met_dx = date.fromisoformat(r["metastatic"]["diagnosis_date"])
            for t in ths:
                start = date.fromisoformat(t["start"])
                if t["setting"] == "metastatic":
                    assert start >= met_dx
                else:
                    assert start < met_dx and date.fromisoformat(t["end"]) <= met_dx
            if r["metastatic"]["de_novo"]:
                assert all(t["setting"] == "metastatic" for t in ths)
            lines = _metastatic_lines(r)
            for a, b in zip(lines, lines[1:], strict=False):
                assert date.fromisoformat(a.get("end", a.get("progression_date"))) < date.fromisoformat(
                    b["start"]
                )
        for t in ths:
            assert date.fromisoformat(t["start"]) <= as_of
            if "end" in t:
                assert "end_reason" in t
            if "progression_date" in t:
                assert t["progression_basis"]


def test_history_features_occur(cohort: list[dict[str, Any]]) -> None:
    valid = _valid(cohort)
    ths = [t for r in valid for t in r.get("therapies", [])]
    ongoing = [t for t in ths if "end" not in t]
    assert any("progression_date" in t for t in ongoing)  # continuing after progression
    assert any("progression_date" not in t for t in ongoing)  # e.g. denosumab going on
    assert _share(ths, lambda t: t.get("end_reason") == "progression") > 0.3
    assert any(t.get("progression_basis") == ["tumor_markers"] for t in ths)
    assert sum(bool(r["x_synthetic"].get("et_chemo_combination")) for r in valid) >= 5
    assert {t["setting"] for t in ths} == {"neoadjuvant", "adjuvant", "metastatic"}
    relapse_on_adjuvant_et = [
        t for t in ths if t["setting"] == "adjuvant" and t.get("end_reason") == "progression"
    ]
    assert len(relapse_on_adjuvant_et) > 50


def test_biomarker_rates(cohort: list[dict[str, Any]]) -> None:
    valid = _valid(cohort)
    hr = [
        r["biomarkers"]
        for r in valid
        if r["x_synthetic"]["category"] == "hr_positive"
        and r.get("biomarkers", {}).get("PIK3CA") in ("altered", "not_detected")
    ]
    assert 0.30 < _share(hr, lambda b: b["PIK3CA"] == "altered") < 0.40
    ai = {"letrozole", "anastrozole", "exemestane"}
    esr1_after_ai = [
        r["biomarkers"]["ESR1"]
        for r in valid
        if r.get("biomarkers", {}).get("ESR1") in ("altered", "not_detected")
        and any(set(t["drugs"]) & ai for t in r.get("therapies", []))
    ]
    assert 0.24 < esr1_after_ai.count("altered") / len(esr1_after_ai) < 0.36
    brca_tested = [r["biomarkers"] for r in valid if "gBRCA1" in r.get("biomarkers", {})]
    rate = _share(brca_tested, lambda b: "pathogenic" in (b["gBRCA1"], b["gBRCA2"]))
    assert 0.03 < rate < 0.08
    cps = [
        r["biomarkers"]["pdl1_cps"]
        for r in valid
        if r["x_synthetic"]["category"] == "triple_negative" and "pdl1_cps" in r.get("biomarkers", {})
    ]
    assert 0.32 < sum(c >= 10 for c in cps) / len(cps) < 0.48


def test_contraindication_rates(cohort: list[dict[str, Any]]) -> None:
    labs = [r.get("labs", {}) for r in cohort if r["x_synthetic"].get("invalid") != "qtcf_out_of_range"]
    assert 0.02 < _share(labs, lambda lab: lab.get("qtcf_ms", 0) >= 450) < 0.04
    assert 0.02 < _share(labs, lambda lab: lab.get("lvef_percent", 100) < 50) < 0.06
    assert 0.01 < _share(labs, lambda lab: lab.get("crcl_ml_min", 100) < 30) < 0.035
    conds = Counter(c for r in cohort for c in r.get("conditions", []))
    assert 0.07 < (conds["diabetes_type2"] + conds["diabetes_type1"]) / N < 0.14
    assert conds["diabetes_type1"] > 0 and conds["interstitial_lung_disease"] > 0
    assert len(conds) >= 14
    diabetics = [r for r in cohort if {"diabetes_type1", "diabetes_type2"} & set(r.get("conditions", []))]
    assert all(r["labs"]["hba1c_percent"] >= 6.5 for r in diabetics)
