"""The bad-input corpus: every file is one bad record with the findings it must produce.

Each ``corpus/*.json`` is ``{"record": <any JSON value>, "expect": [{"severity", "path"}]}``.
The same records also hold the fast path to pySHACL (the reference): identical findings.
"""

import json
from datetime import date
from pathlib import Path

import pytest

from reasoner.validation import validate_record

CORPUS = sorted((Path(__file__).parent / "corpus").glob("*.json"))
TODAY = date(2026, 11, 1)


def _load(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))


def test_corpus_is_collected_whole(request):
    collected = [i for i in request.session.items if i.originalname == "test_bad_record"]
    if collected:  # run with the parametrised test: every file became one test
        assert len(collected) == len(CORPUS)
    assert len(CORPUS) >= 50


@pytest.mark.parametrize("path", CORPUS, ids=[p.stem for p in CORPUS])
def test_bad_record(path):
    case = _load(path)
    outcome = validate_record(case["record"], today=TODAY)
    got = {(f.severity.value, f.path) for f in outcome.findings}
    for exp in case["expect"]:
        assert (exp["severity"], exp["path"]) in got, f"{path.name}: expected {exp}, got {sorted(got)}"
        if exp["severity"] == "violation":
            assert not outcome.ok
            assert outcome.violations
    for f in outcome.findings:
        assert f.message.strip()
        assert set(f.to_dict()) == {"severity", "path", "message", "value", "shape"}
        json.dumps(f.to_dict(), allow_nan=False)  # findings are always plain JSON


@pytest.mark.parametrize("path", CORPUS, ids=[p.stem for p in CORPUS])
def test_fast_path_matches_pyshacl(path):
    record = _load(path)["record"]
    fast = validate_record(record, today=TODAY)
    ref = validate_record(record, today=TODAY, engine="pyshacl")
    assert fast.findings == ref.findings
