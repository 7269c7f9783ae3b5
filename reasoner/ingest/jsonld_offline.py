"""JSON-LD without network or file access: an offline document loader.

A JSON-LD ``@context`` (or a context's ``@import``) may be a URL, and a JSON-LD processor fetches
it: over HTTP (a server that never answers hangs the run) or from the file system (``file:///``).
Patient data must never do either. This loader replaces every such reference, anywhere in the
document, before rdflib sees it: the project's own context (:data:`PROJECT_CONTEXT_IRI`) by its
inline definition, anything else is refused with :class:`~reasoner.errors.InputError` naming it.
Inline contexts (objects) are kept as they are.
"""

from __future__ import annotations

from typing import Any

from reasoner.errors import InputError
from reasoner.vocab import H2N, PATIENT_NS

__all__ = ["PROJECT_CONTEXT_IRI", "PROJECT_CONTEXT", "resolve_contexts_offline"]

#: The one remote context the loader knows (never fetched: its definition is below).
PROJECT_CONTEXT_IRI = "https://w3id.org/her2neg/context.jsonld"
PROJECT_CONTEXT: dict[str, Any] = {
    "h2n": str(H2N),
    "patient": PATIENT_NS,
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
}


def _context_value(value: Any, where: str) -> Any:
    """A ``@context`` value with every string reference resolved offline (or refused)."""
    if isinstance(value, str):
        if value == PROJECT_CONTEXT_IRI:
            return dict(PROJECT_CONTEXT)
        raise InputError(
            f"the JSON-LD context {value[:200]!r} is not fetched (no network or file access while reading data)",
            where=where, hint=f"inline the context, or use {PROJECT_CONTEXT_IRI}")
    if isinstance(value, list):
        return [_context_value(v, where) for v in value]
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key == "@import":  # JSON-LD 1.1: merge a referenced context (resolved offline or refused)
                if not isinstance(item, str):
                    raise InputError("a JSON-LD @import must name a context", where=where)
                out.update(_context_value(item, where))
                continue
            # a term definition may carry its own scoped context
            out[key] = resolve_contexts_offline(item, where) if isinstance(item, dict) else item
        return out
    return value


def resolve_contexts_offline(doc: Any, where: str) -> Any:
    """``doc`` (parsed JSON-LD) with every context reference resolved without I/O.

    Iterative over lists and objects (the depth is already bounded by the JSON reader).
    """
    if isinstance(doc, list):
        return [resolve_contexts_offline(item, where) for item in doc]
    if not isinstance(doc, dict):
        return doc
    out = {}
    for key, value in doc.items():
        if key == "@context":
            out[key] = _context_value(value, where)
        else:
            out[key] = resolve_contexts_offline(value, where)
    return out
