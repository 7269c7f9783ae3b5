"""Cohorts of patient records: a seeded synthetic generator (``reasoner.cohort.synthetic``).

Nothing is re-exported here yet; import the submodule you need.
"""

from __future__ import annotations

__all__: list[str] = []
