"""Use ontology/drugs.ttl when it is there; otherwise the test fixture of the same shape."""

from pathlib import Path

import pytest

from reasoner.ingest.drugs import DrugCatalog, set_default_catalog

FIXTURE = Path(__file__).resolve().parents[1] / "ingest" / "data" / "drugs-fixture.ttl"
REAL = Path(__file__).resolve().parents[2] / "ontology" / "drugs.ttl"


@pytest.fixture(autouse=True, scope="session")
def _drug_catalog():
    if not REAL.is_file():
        set_default_catalog(DrugCatalog.from_file(FIXTURE))
    yield
