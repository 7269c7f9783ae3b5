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

    __slots__ = ("_triples",)

    def __init__(self, triples=()):
        self._triples: dict[tuple, None] = dict.fromkeys(triples)

    def add(self, triple: tuple) -> PatientTriples:
        self._triples[triple] = None
        return self

    def update(self, triples) -> PatientTriples:
        """Add many triples, in order (as ``add`` on each, in one call)."""
        if self._triples:
            self._triples.update(dict.fromkeys(triples))
        else:
            self._triples = dict.fromkeys(triples)
        return self

    def triples(self, pattern: tuple) -> Iterator[tuple]:
        """The triples matching ``(s, p, o)``, ``None`` matching anything (as ``Graph.triples``)."""
        s, p, o = pattern
        for t in list(self._triples):
            if (s is None or t[0] == s) and (p is None or t[1] == p) and (o is None or t[2] == o):
                yield t

    def remove(self, pattern: tuple) -> PatientTriples:
        for t in list(self.triples(pattern)):
            del self._triples[t]
        return self

    def __iter__(self) -> Iterator[tuple]:
        return iter(self._triples)

    def __len__(self) -> int:
        return len(self._triples)

    def __contains__(self, triple: object) -> bool:
        return triple in self._triples

    def to_graph(self) -> Graph:
        """An rdflib graph holding these triples (prefix ``h2n`` bound)."""
        from reasoner.vocab import H2N

        g = Graph()
        g.bind("h2n", H2N)
        for t in self._triples:
            g.add(t)
        return g

    def __repr__(self) -> str:
        return f"<PatientTriples: {len(self._triples)} triples>"
