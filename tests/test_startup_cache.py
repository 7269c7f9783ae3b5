"""The start-up cache (reasoner.cache): a knowledge base read from it equals one loaded from the
files, any edit of an ontology file invalidates it, and a damaged, foreign or disabled cache is
never used (the knowledge base is then derived from the files again)."""

from __future__ import annotations

import os
import pickle
import shutil
from pathlib import Path

import pytest

import reasoner
from reasoner import cache
from reasoner.resources import data_root

ROOT = Path(__file__).resolve().parents[1]
RECORDS = sorted((ROOT / "examples" / "patients").glob("*.json"))
TABLES = ("version", "labels", "rules", "criteria", "regimens", "contraindications", "drug_classes",
          "medication_names", "rule_criteria", "history_criteria", "population_criteria", "warning_texts")


@pytest.fixture
def data_copy(tmp_path, monkeypatch):
    """ontology/ and queries/ copied to a folder of their own, and an empty cache folder."""
    root = tmp_path / "data"
    shutil.copytree(data_root() / "ontology", root / "ontology")
    shutil.copytree(data_root() / "queries", root / "queries")
    monkeypatch.setenv("HER2NEG_DATA_DIR", str(root))
    monkeypatch.setenv("HER2NEG_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("HER2NEG_NO_CACHE", raising=False)
    data_root.cache_clear()
    yield root
    data_root.cache_clear()


def _kb_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("kb-*.pickle")) if folder.is_dir() else []


def test_a_knowledge_base_from_the_cache_equals_one_from_the_files(data_copy, tmp_path):
    fresh = reasoner.KnowledgeBase.load()  # derived from the files, then written to the cache
    assert len(_kb_files(tmp_path / "cache")) == 1
    cached = reasoner.KnowledgeBase.load()
    assert cached.__dict__.get("_backend") is None  # read from the cache: the store is not loaded
    for name in TABLES:
        assert getattr(cached, name) == getattr(fresh, name), name
    import json

    for path in RECORDS:
        record = json.loads(path.read_text(encoding="utf-8"))
        assert cached.recommend(record).to_dict() == fresh.recommend(record).to_dict(), path.name
    # the store is loaded on first use, from the same files
    assert cached.counts() == fresh.counts()
    assert cached.__dict__.get("_backend") is not None


def test_editing_an_ontology_file_invalidates_the_cache(data_copy, tmp_path):
    before = reasoner.KnowledgeBase.load()
    regimens = data_copy / "ontology" / "regimens.ttl"
    text = regimens.read_text(encoding="utf-8")
    iri, label = next((i, lab) for i, lab in sorted(before.labels.items())
                      if "/regimen-" in i and text.count(f'"{lab}"') == 1
                      and list(before.labels.values()).count(lab) == 1)
    regimens.write_text(text.replace(f'"{label}"', f'"{label} (edited)"', 1), encoding="utf-8")
    after = reasoner.KnowledgeBase.load()
    assert after.labels[iri] == f"{label} (edited)"
    assert len(_kb_files(tmp_path / "cache")) == 2  # a new key; the old entry is never read again


def test_editing_a_parsed_turtle_file_invalidates_its_graph(tmp_path, monkeypatch):
    monkeypatch.setenv("HER2NEG_CACHE_DIR", str(tmp_path / "cache"))
    import rdflib

    path = tmp_path / "module.ttl"
    path.write_text('<urn:a> <urn:p> "one" .\n', encoding="utf-8")
    parse = lambda p: rdflib.Graph().parse(p, format="turtle")  # noqa: E731
    assert {str(o) for o in cache.cached_graph(path, parse).objects()} == {"one"}
    assert {str(o) for o in cache.cached_graph(path, parse).objects()} == {"one"}  # from the cache
    path.write_text('<urn:a> <urn:p> "two" .\n', encoding="utf-8")
    assert {str(o) for o in cache.cached_graph(path, parse).objects()} == {"two"}


@pytest.mark.parametrize("damage", ["garbage", "other-key", "foreign-mode"])
def test_a_damaged_or_foreign_cache_file_is_ignored(data_copy, tmp_path, damage):
    fresh = reasoner.KnowledgeBase.load()
    (entry,) = _kb_files(tmp_path / "cache")
    if damage == "garbage":
        entry.write_bytes(b"\x80\x05not a pickle")
    elif damage == "other-key":
        key, payload = pickle.loads(entry.read_bytes())
        payload["state"]["labels"] = {}
        entry.write_bytes(pickle.dumps(("0" * 64, payload)))
    else:
        os.chmod(entry, 0o666)  # others could have written it: never unpickled
    again = reasoner.KnowledgeBase.load()
    assert again.labels == fresh.labels and again.__dict__.get("_backend") is not None  # from the files


def test_the_cache_can_be_turned_off(data_copy, tmp_path, monkeypatch):
    monkeypatch.setenv("HER2NEG_NO_CACHE", "1")
    kb = reasoner.KnowledgeBase.load()
    assert kb.__dict__.get("_backend") is not None
    assert not (tmp_path / "cache").exists() or not list((tmp_path / "cache").iterdir())
