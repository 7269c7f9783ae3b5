"""Shared fixtures: one knowledge base per test session."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def kb():
    import reasoner

    return reasoner.KnowledgeBase.load()


@pytest.fixture(scope="session")
def blocked_drugs(kb):
    """The drugs a record's conditions, labs and medications contraindicate (action block)."""

    def blocked(record: dict) -> set[str]:
        from reasoner.query.catalog import get_query

        rows = kb.engine.query(get_query("contraindicated-drugs").text, [record])
        return {kb.labels[r["drug"]] for r in rows if r["action"] == "block"}

    return blocked
