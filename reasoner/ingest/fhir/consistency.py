"""Consistency checks of the assembled record, written into the report as conflicts."""

from __future__ import annotations

import datetime as dt
from typing import Any

from reasoner.vocab import H2N

from .state import _MapperState


class ConsistencyChecks(_MapperState):
    """Consistency checks of the assembled record, written into the report as conflicts."""

    def check_consistency(self, record: dict[str, Any]) -> None:
        therapies = record.get("therapies", [])
        # two CDK4/6 inhibitors running at the same time
        spans = []
        for t in therapies:
            for d in t["drugs"]:
                start = dt.date.fromisoformat(t["start"]) if "start" in t else None
                end = dt.date.fromisoformat(t["end"]) if "end" in t else None
                spans.append((d, start, end))
        cdk_inhibitors = self.drugs.drugs_of_class(H2N.CDK46Inhibitor)  # drugs.ttl
        cdk = [s for s in spans if s[0] in cdk_inhibitors]
        reported: set[frozenset[str]] = set()
        for a in range(len(cdk)):
            for b in range(a + 1, len(cdk)):
                (da, sa, ea), (db, sb, eb) = cdk[a], cdk[b]
                if da == db or frozenset((da, db)) in reported:
                    continue
                overlap = (sa is None or eb is None or sa <= eb) and (sb is None or ea is None or sb <= ea)
                if overlap and (ea is None and eb is None or sa and sb):
                    reported.add(frozenset((da, db)))
                    res = [c.resources[0] for c in self.courses if c.drug in (da, db)]
                    self.conflict(
                        "concurrent_cdk46", f"two CDK4/6 inhibitors at the same time: {da} and {db}", res
                    )
        ongoing: dict[str, int] = {}
        for t in therapies:
            if "end" not in t:
                for d in t["drugs"]:
                    ongoing[d] = ongoing.get(d, 0) + 1
        for d, n in sorted(ongoing.items()):
            if n > 1:
                self.conflict(
                    "duplicate_active",
                    f"{d} is in {n} regimens that are all still ongoing",
                    [c.resources[0] for c in self.courses if c.drug == d],
                )
        biomarkers = record.get("biomarkers", {})
        given = {d for t in therapies for d in t["drugs"]}
        # what each targeted drug's indication requires (h2n:BiomarkerRequirement of drugs.ttl)
        for drug, requirement in sorted(self.drugs.biomarker_requirements.items()):
            needs = requirement.tests
            if drug in given and not requirement.met_by(biomarkers):
                state = (
                    ", ".join(f"{b} {biomarkers[b]}" for b in needs if b in biomarkers)
                    or f"no {' / '.join(needs)} result"
                )
                res = [c.resources[0] for c in self.courses if c.drug == drug]
                self.conflict(
                    "targeted_without_biomarker", f"{drug} is recorded but the bundle has {state}", res
                )
        her2 = record.get("receptors", {})
        her2_pos = (
            her2.get("her2") == "positive"
            or her2.get("her2_ihc") == "3+"
            or her2.get("her2_ish") == "amplified"
        )
        if self.anti_her2 and not her2_pos:
            names = sorted({n for n, _ in self.anti_her2})
            self.conflict(
                "targeted_without_biomarker",
                f"anti-HER2 therapy ({', '.join(names)}) is recorded but HER2 is not positive in the bundle",
                [r for _, r in self.anti_her2],
            )
