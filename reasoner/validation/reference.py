"""The reference evaluation of the shapes: pySHACL over a patient graph."""

from __future__ import annotations

from rdflib import RDF, Graph, URIRef

from reasoner.errors import KnowledgeBaseError
from reasoner.graph.vocab import SH
from reasoner.validation.shapes import shapes_graph, shapes_path

__all__ = ["run_pyshacl", "RawResult"]

RawResult = tuple[URIRef, URIRef, URIRef | None]
"""(source shape, focus node, result path or None)."""


def run_pyshacl(data: Graph, *, inference: str = "none") -> set[RawResult]:
    """Results of pySHACL (``inference``: none, rdfs, owlrl, …) as (shape, focus, path) triples."""
    try:
        import pyshacl
    except ImportError as exc:
        raise KnowledgeBaseError("pySHACL is not installed",
                                 hint="pip install 'her2neg-reasoner[reference]'") from exc

    _conforms, results, _text = pyshacl.validate(
        data,
        shacl_graph=shapes_graph(),
        inference=inference,
        advanced=False,
        allow_warnings=True,
        abort_on_first=False,
    )
    if not isinstance(results, Graph):
        raise KnowledgeBaseError(
            f"pySHACL could not evaluate the shapes: {results}", where=str(shapes_path())
        )
    out: set[RawResult] = set()
    for r in results.subjects(RDF.type, SH.ValidationResult):
        shape = results.value(r, SH.sourceShape)
        focus = results.value(r, SH.focusNode)
        path = results.value(r, SH.resultPath)
        out.add((shape, focus, path if isinstance(path, URIRef) else None))
    return out
