"""Biomarker test history (``biomarker_tests``): results valid for their test, and ``biomarkers``
consistent with the latest test.

The input contract says ``biomarkers`` holds the latest known result and must not contradict the
latest test. These checks run on the normalised record, after the structure checks; every problem
is a :class:`Finding` that names the field path.
"""

from __future__ import annotations

import math
from typing import Any

from reasoner.validation.findings import Finding, Severity

__all__ = ["ALLOWED_RESULTS", "check_history", "latest_tests"]

_SOMATIC = ("altered", "not_detected", "not_tested")
_GERMLINE = ("pathogenic", "not_detected", "not_tested")
#: The results each test allows: a tuple of codes, or a (min, max) range for a score.
ALLOWED_RESULTS: dict[str, Any] = {
    "ESR1": _SOMATIC, "PIK3CA": _SOMATIC, "AKT1": _SOMATIC, "PTEN": _SOMATIC,
    "gBRCA1": _GERMLINE, "gBRCA2": _GERMLINE, "gPALB2": _GERMLINE,
    "her2_ihc": ("0", "ultralow", "1+", "2+", "3+"),
    "pdl1_cps": (0, 1e6), "pdl1_ic_percent": (0, 100),
}
HISTORY = "biomarker history"


def latest_tests(record: dict) -> dict[str, tuple[int, dict]]:
    """The latest test with a result (not ``not_tested``) per test name: ``{test: (index, test)}``.

    Latest is by date; on the same date, the later entry of the list.
    """
    out: dict[str, tuple[int, dict]] = {}
    for i, t in enumerate(record.get("biomarker_tests") or []):
        name, result, when = t.get("test"), t.get("result"), t.get("date")
        if name is None or result is None or when is None or result == "not_tested":
            continue
        if name not in out or (when, i) >= (out[name][1]["date"], out[name][0]):
            out[name] = (i, t)
    return out


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, int | float) and isinstance(b, int | float) and not isinstance(a, bool):
        return math.isclose(float(a), float(b))
    return a == b


def check_history(record: dict) -> list[Finding]:
    findings: list[Finding] = []
    tests = record.get("biomarker_tests") or []
    for i, t in enumerate(tests):
        name, result = t.get("test"), t.get("result")
        allowed = ALLOWED_RESULTS.get(name)
        if allowed is None or result is None:
            continue
        path = f"biomarker_tests[{i}].result"
        if isinstance(allowed[0], str):
            if result not in allowed:
                findings.append(Finding(Severity.VIOLATION, path, result if isinstance(result, str | int | float) else None,
                                        f"{path}: {result!r} is not a result of a {name} test. Allowed: "
                                        f"{', '.join(allowed)}.", HISTORY))
        elif isinstance(result, str) or not (allowed[0] <= result <= allowed[1]):
            findings.append(Finding(Severity.VIOLATION, path, result,
                                    f"{path}: a {name} result is a number from {allowed[0]:g} to {allowed[1]:g}; "
                                    f"got {result!r}.", HISTORY))
    if any(f.severity is Severity.VIOLATION for f in findings):
        return findings
    biomarkers = record.get("biomarkers") or {}
    receptors = record.get("receptors") or {}
    for name, (i, t) in sorted(latest_tests(record).items()):
        if name == "her2_ihc":
            current, path = receptors.get("her2_ihc"), "receptors.her2_ihc"
            tested_on = receptors.get("tested_on")
            if current is not None and not _same(current, t["result"]) and (tested_on is None or tested_on <= t["date"]):
                findings.append(Finding(Severity.WARNING, path, current,
                                        f"receptors.her2_ihc is {current!r} but the latest HER2 IHC test "
                                        f"(biomarker_tests[{i}], {t['date']}) gave {t['result']!r}: receptors should "
                                        "hold the most recent result; check which one is current.", HISTORY))
            continue
        current = biomarkers.get(name)
        if current is None or current == "not_tested" or _same(current, t["result"]):
            continue
        findings.append(Finding(Severity.VIOLATION, f"biomarkers.{name}", current,
                                f"biomarkers.{name} is {current!r} but the latest {name} test (biomarker_tests[{i}], "
                                f"{t['date']}) gave {t['result']!r}: biomarkers must hold the latest result.",
                                HISTORY))
    return findings
