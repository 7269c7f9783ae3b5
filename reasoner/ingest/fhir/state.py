"""The mapper's state and its report helpers (what was mapped, ignored, in conflict)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from .drugs import DrugLookup
from .parse import ParsedInput, ParsedResource
from .report import ConflictEntry, IgnoredEntry, MappingEntry, MissingEntry
from .values import (
    _Candidate,
    _Course,
)


class _MapperState:
    """What every mapper reads and writes, and the report helpers."""

    def __init__(self, parsed: ParsedInput, drugs: DrugLookup, as_of: dt.date | None):
        self.parsed = parsed
        self.drugs = drugs
        self.as_of = as_of
        self.today = as_of or dt.date.today()
        self.mapped: list[MappingEntry] = []
        self.ignored: list[IgnoredEntry] = list(parsed.ignored)
        self.conflicts: list[ConflictEntry] = []
        self.cands: dict[str, list[_Candidate]] = {}
        self.conditions: dict[str, _Candidate] = {}
        self.sites: dict[str, _Candidate] = {}
        self.met_dates: list[tuple[dt.date, ParsedResource]] = []
        self.primary_dates: list[tuple[dt.date, ParsedResource]] = []
        self.stage_evidence: list[tuple[str, ParsedResource, str, dt.date | None, bool]] = []
        self.progressions: list[tuple[dt.date, ParsedResource, list[str], set[str]]] = []
        self.courses: list[_Course] = []
        self.med_raw: list[tuple[ParsedResource, str]] = []
        self.medications: dict[str, _Candidate] = {}
        self.anti_her2: list[tuple[str, ParsedResource]] = []
        self.missing: list[MissingEntry] = []
        self.surgeries: list[tuple[str, dt.date | None, ParsedResource, str]] = []
        self.oophorectomies: list[tuple[dt.date | None, ParsedResource, str]] = []
        self.by_ref: dict[str, ParsedResource] = {}
        for r in parsed.resources:
            self.by_ref.setdefault(r.ref, r)
            if r.full_url:
                self.by_ref.setdefault(r.full_url, r)

    def label(self, r: ParsedResource) -> str:
        return f"{r.where} {r.ref}"

    def map(
        self, r: ParsedResource, element: str, code: str, fld: str, value: Any, inferred: str = ""
    ) -> None:
        self.mapped.append(MappingEntry(self.label(r), element, code, fld, value, inferred))

    def ignore(self, r: ParsedResource | str, reason: str, element: str = "") -> None:
        self.ignored.append(IgnoredEntry(r if isinstance(r, str) else self.label(r), reason, element))

    def conflict(self, kind: str, text: str, resources: Iterable[ParsedResource]) -> None:
        self.conflicts.append(
            ConflictEntry(kind, text, tuple(dict.fromkeys(self.label(r) for r in resources)))
        )

    def cand(self, fld: str, c: _Candidate) -> None:
        self.cands.setdefault(fld, []).append(c)

    def resolve_ref(self, ref: str | None, owner: ParsedResource | None = None) -> ParsedResource | None:
        if not ref:
            return None
        if ref in self.by_ref:
            return self.by_ref[ref]
        tail = "/".join(ref.rstrip("/").split("/")[-2:])
        return self.by_ref.get(tail)
