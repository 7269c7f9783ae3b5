"""Shared fixtures for the FHIR ingest tests."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from reasoner.terminology import Vocabulary

DATA = Path(__file__).parent / "data"
AS_OF = dt.date(2020, 6, 1)


@pytest.fixture(scope="session")
def drugs() -> Vocabulary:
    """The one vocabulary of the knowledge base (``ontology/drugs.ttl`` and ``ontology/mappings/``);
    ``data/drugs_fixture.ttl`` is only checked to have its shape (test_parse_and_drugs)."""
    return Vocabulary.default()


def load(name: str) -> dict:
    """A JSON file from ``tests/fhir/data``."""
    return json.loads((DATA / name).read_text())
