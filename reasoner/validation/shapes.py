"""The SHACL shapes (``ontology/shapes/patient-shapes.ttl``), loaded once, and their metadata."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from rdflib import RDF, Graph, URIRef

from reasoner.errors import KnowledgeBaseError
from reasoner.graph.vocab import SH, SHAPES_NS
from reasoner.validation.findings import Severity

__all__ = ["ShapeInfo", "shapes_graph", "shape_infos", "shapes_path"]

SHAPES_FILE = "patient-shapes.ttl"
_SEVERITY = {SH.Violation: Severity.VIOLATION, SH.Warning: Severity.WARNING, SH.Info: Severity.INFO}


@dataclass(frozen=True)
class ShapeInfo:
    iri: URIRef
    name: str  # the local name, used as Finding.shape
    label: str  # sh:name
    message: str
    severity: Severity
    path: URIRef | None  # sh:path when it is a plain IRI
    finding_property: URIRef | None  # h2ns:findingProperty

    @property
    def reported_property(self) -> URIRef | None:
        return self.finding_property or self.path


def shapes_path() -> Path:
    try:
        from reasoner.resources import shapes_dir

        path = shapes_dir() / SHAPES_FILE
    except ImportError:  # pragma: no cover
        path = Path(__file__).resolve().parents[2] / "ontology" / "shapes" / SHAPES_FILE
    if not path.is_file():
        raise KnowledgeBaseError("the SHACL shapes file is missing", where=str(path))
    return path


def _parse_shapes(path: Path) -> Graph:
    g = Graph()
    try:
        g.parse(path, format="turtle")
    except Exception as exc:
        raise KnowledgeBaseError(f"cannot parse the SHACL shapes: {exc}", where=str(path)) from exc
    return g


@cache
def shapes_graph() -> Graph:
    """The shapes graph, parsed once (kept between runs by the start-up cache, :mod:`reasoner.cache`)."""
    from reasoner.cache import cached_graph

    return cached_graph(shapes_path(), _parse_shapes)


@cache
def shape_infos() -> dict[URIRef, ShapeInfo]:
    """Every named shape (the ones with a target), by IRI."""
    g = shapes_graph()
    out: dict[URIRef, ShapeInfo] = {}
    for s in sorted(set(g.subjects(SH.targetClass, None))):
        if not isinstance(s, URIRef):
            raise KnowledgeBaseError("every targeted shape must be named by an IRI", where=str(shapes_path()))
        path = g.value(s, SH.path)
        name = str(s)[len(str(SHAPES_NS)) :] if str(s).startswith(str(SHAPES_NS)) else str(s)
        out[s] = ShapeInfo(
            iri=s,
            name=name,
            label=str(g.value(s, SH.name) or name),
            message=str(g.value(s, SH.message) or g.value(s, SH.name) or name),
            severity=_SEVERITY.get(g.value(s, SH.severity), Severity.VIOLATION),
            path=path if isinstance(path, URIRef) else None,
            finding_property=g.value(s, SHAPES_NS.findingProperty),
        )
    for s in g.subjects(RDF.type, SH.NodeShape):
        if isinstance(s, URIRef) and s not in out:
            raise KnowledgeBaseError(f"shape {s} has no sh:targetClass", where=str(shapes_path()))
    return out
