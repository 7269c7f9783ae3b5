"""Shared fixtures for the FHIR ingest tests."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from reasoner.ingest.fhir import DrugLookup

DATA = Path(__file__).parent / "data"
AS_OF = dt.date(2020, 6, 1)


@pytest.fixture(scope="session")
def drugs() -> DrugLookup:
    """Drug index from the fixture Turtle (same shape as ``ontology/drugs.ttl``)."""
    return DrugLookup.from_turtle(DATA / "drugs_fixture.ttl")


def load(name: str) -> dict:
    """A JSON file from ``tests/fhir/data``."""
    return json.loads((DATA / name).read_text())
