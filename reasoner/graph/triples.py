"""A patient graph as a plain ordered set of triples: what validation builds for each record.

rdflib's stores index every triple three ways on each ``add``; a patient graph (~50-100 triples)
is built once, read front to back (SHACL fast path, eligibility fast path) and dropped, so those
indexes cost more than they give. :class:`PatientTriples` keeps the triples in a dict (insertion
order, no duplicates), iterates like an rdflib ``Graph`` and turns into one on request.
"""

from __future__ import annotations

from collections.abc import Iterator

from rdflib import Graph

__all__ = ["PatientTriples"]


class PatientTriples:
    """The triples of one patient graph (rdflib terms), in insertion order, each once."""

    __slots__ = ("_triples", "_unique")

    def __init__(self, triples=()):
        self._triples: dict[tuple, None] = dict.fromkeys(triples)
        self._unique: list[tuple] | None = None  # triples known distinct, not yet in the dict

    def update_distinct(self, triples: list[tuple]) -> PatientTriples:
        """``update`` with triples the caller knows to be pairwise distinct: into an empty graph
        they are kept as that list (no hashing of every term) until a change or a membership
        test needs the set."""
        if self._unique is None and not self._triples:
            self._unique = triples
            return self
        return self.update(triples)

    def _set(self) -> dict[tuple, None]:
        if self._unique is not None:
            self._triples, self._unique = dict.fromkeys(self._unique), None
        return self._triples

    def add(self, triple: tuple) -> PatientTriples:
        self._set()[triple] = None
        return self

    def update(self, triples) -> PatientTriples:
        """Add many triples, in order (as ``add`` on each, in one call)."""
        current = self._set()
        if current:
            current.update(dict.fromkeys(triples))
        else:
            self._triples = dict.fromkeys(triples)
        return self

    def triples(self, pattern: tuple) -> Iterator[tuple]:
        """The triples matching ``(s, p, o)``, ``None`` matching anything (as ``Graph.triples``)."""
        s, p, o = pattern
        for t in list(self):
            if (s is None or t[0] == s) and (p is None or t[1] == p) and (o is None or t[2] == o):
                yield t

    def remove(self, pattern: tuple) -> PatientTriples:
        current = self._set()
        for t in list(self.triples(pattern)):
            del current[t]
        return self

    def __iter__(self) -> Iterator[tuple]:
        return iter(self._unique if self._unique is not None else self._triples)

    def __len__(self) -> int:
        return len(self._unique if self._unique is not None else self._triples)

    def __contains__(self, triple: object) -> bool:
        return triple in self._set()

    def to_graph(self) -> Graph:
        """An rdflib graph holding these triples (prefix ``h2n`` bound)."""
        from reasoner.vocab import H2N

        g = Graph()
        g.bind("h2n", H2N)
        for t in self:
            g.add(t)
        return g

    def __repr__(self) -> str:
        return f"<PatientTriples: {len(self)} triples>"
