"""A remote SPARQL 1.1 endpoint behind the same :class:`~reasoner.query.backends.QueryBackend` interface.

Works with any store that speaks the SPARQL 1.1 Protocol (Oxigraph server, Apache Jena Fuseki,
Virtuoso, GraphDB ...). Conventions:

- the knowledge base lives in the named graph ``kb_graph`` (default ``urn:her2neg:kb``; load it
  once with :meth:`SparqlEndpointBackend.load_files` or your store's own loader);
- patient triples are written with SPARQL Update ``INSERT DATA`` into a named graph;
- a SELECT runs over the merge of ``kb_graph`` and the requested patient graphs, given as
  ``default-graph-uri`` parameters of the protocol (no store-specific extension);
- query parameters are bound with a trailing ``VALUES`` clause built from escaped RDF terms, never
  pasted into the query text;
- rows are normalised exactly like the embedded backends (IRIs and strings as ``str``, typed
  literals as ``int``/``float``/``bool``/``date``, blank nodes as ``_:id``).

Only the standard library is used for HTTP (``urllib``).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Mapping
from typing import Any

from rdflib.term import BNode, Literal, URIRef

from reasoner.errors import BackendError
from reasoner.query.terms import XSD, Row, TermRow, _py, check_bindings, term_from_json
from reasoner.vocab import KB_GRAPH

__all__ = ["SparqlEndpointBackend", "KB_GRAPH"]

_BATCH = 5000


def _term(value: Any) -> str:
    """An RDF term in SPARQL/N-Triples syntax (escaped), from an rdflib term or a Python value."""
    if isinstance(value, URIRef | BNode | Literal):
        if isinstance(value, BNode):
            return "_:b" + "".join(c for c in str(value) if c.isalnum())
        return value.n3()
    if isinstance(value, str) and value.startswith(("http://", "https://", "urn:")):
        return URIRef(value).n3()
    if isinstance(value, bool):
        return Literal("true" if value else "false", datatype=URIRef(XSD + "boolean")).n3()
    if isinstance(value, int):
        return Literal(str(value), datatype=URIRef(XSD + "integer")).n3()
    return Literal(str(value)).n3()


def _from_json(cell: dict | None) -> Any:
    if cell is None:
        return None
    kind = cell.get("type")
    if kind == "uri":
        return cell["value"]
    if kind == "bnode":
        return "_:" + cell["value"]
    return _py(cell["value"], cell.get("datatype"), cell.get("xml:lang"))


class SparqlEndpointBackend:
    """A SPARQL 1.1 Protocol endpoint (query URL, optional update URL)."""

    name = "endpoint"

    def __init__(self, query_url: str, update_url: str | None = None, *, kb_graph: str = KB_GRAPH,
                 timeout: float = 120.0, graph_store_url: str | None = None):
        self.query_url = query_url
        self.update_url = update_url
        self.kb_graph = kb_graph
        self.timeout = timeout
        self.graph_store_url = graph_store_url

    # -- HTTP -------------------------------------------------------------------------------

    def _post(self, url: str, data: bytes, content_type: str, accept: str | None = None) -> bytes:
        headers = {"Content-Type": content_type}
        if accept:
            headers["Accept"] = accept
        request = urllib.request.Request(url, data=data, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - user's endpoint
                return response.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode("utf-8", "replace")[:500]
            raise BackendError(f"the SPARQL endpoint answered {exc.code}: {detail}", where=url) from None
        except (urllib.error.URLError, OSError) as exc:
            raise BackendError(f"the SPARQL endpoint cannot be reached: {exc}", where=url,
                               hint="is the server running?") from None

    def update(self, text: str) -> None:
        """Run a SPARQL Update on the endpoint."""
        if not self.update_url:
            raise BackendError("this endpoint is read-only (no update URL given)", where=self.query_url,
                               hint="start the server writable, or load the data into it beforehand")
        body = urllib.parse.urlencode({"update": text}).encode("utf-8")
        self._post(self.update_url, body, "application/x-www-form-urlencoded")

    # -- the QueryBackend protocol --------------------------------------------------------------

    def add_patient_triples(self, graph_name: str, triples: Iterable[tuple], *, batch: int | None = _BATCH) -> None:
        # blank nodes are scoped to one request: pass batch=None for data with blank nodes
        graph = URIRef(graph_name).n3()
        lines: list[str] = []
        for s, p, o in triples:
            lines.append(f"{_term(s)} {_term(p)} {_term(o)} .")
            if batch and len(lines) >= batch:
                self.update(f"INSERT DATA {{ GRAPH {graph} {{\n" + "\n".join(lines) + "\n} }")
                lines = []
        if lines:
            self.update(f"INSERT DATA {{ GRAPH {graph} {{\n" + "\n".join(lines) + "\n} }")

    def drop_graph(self, graph_name: str) -> None:
        self.update(f"DROP SILENT GRAPH {URIRef(graph_name).n3()}")

    def select(self, query: str, *, graphs: list[str] | None = None,
               bindings: Mapping[str, Any] | None = None) -> list[Row]:
        check_bindings(bindings)  # a crafted name or IRI must not rewrite the query text
        if bindings:
            names = list(bindings)
            values = " ".join(_term(bindings[n]) for n in names)
            query = f"{query.rstrip()}\nVALUES ({' '.join('?' + n for n in names)}) {{ ({values}) }}\n"
        return self._convert(self._select_json(query, graphs), _from_json)

    def _select_json(self, query: str, graphs: list[str] | None) -> list[dict[str, Any]]:
        """The SELECT's bindings as SPARQL JSON cells (variable -> cell, None when unbound)."""
        params = [("query", query), ("default-graph-uri", self.kb_graph)]
        params += [("default-graph-uri", g) for g in graphs or []]
        body = urllib.parse.urlencode(params).encode("utf-8")
        raw = self._post(self.query_url, body, "application/x-www-form-urlencoded",
                         accept="application/sparql-results+json")
        try:
            data = json.loads(raw)
            names = data["head"].get("vars", [])
            return [{n: b.get(n) for n in names} for b in data["results"]["bindings"]]
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise BackendError(f"the SPARQL endpoint did not return SPARQL JSON results: {exc}",
                               where=self.query_url) from None

    def select_terms(self, query: str, *, graphs: list[str] | None = None) -> list[TermRow]:
        return self._convert(self._select_json(query, graphs), term_from_json)

    def _convert(self, rows: list[dict[str, Any]], convert: Any) -> list[Any]:
        try:
            return [{n: convert(cell) for n, cell in row.items()} for row in rows]
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise BackendError(f"the SPARQL endpoint returned a malformed term: {exc}", where=self.query_url) from None

    # -- loading the knowledge base -------------------------------------------------------------

    def load_files(self, paths: Iterable[Any], graph: str | None = None) -> int:
        """Load Turtle files into ``graph`` (default the KB graph); returns the triples sent."""
        import rdflib

        target = graph or self.kb_graph
        total = 0
        for path in paths:
            g = rdflib.Graph()
            g.parse(str(path), format="turtle")
            if self.graph_store_url:  # Graph Store Protocol: one POST per file
                url = f"{self.graph_store_url}?graph={urllib.parse.quote(target, safe='')}"
                self._post(url, g.serialize(format="nt", encoding="utf-8"), "application/n-triples")
            else:
                self.add_patient_triples(target, g, batch=None)
            total += len(g)
        return total
