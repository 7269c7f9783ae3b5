"""One selector for every store: get_backend("oxigraph" | "rdflib" | URL)."""

from __future__ import annotations

import pytest

from reasoner.errors import UsageError
from reasoner.query.backends import OxigraphBackend, RdflibBackend, get_backend
from reasoner.query.endpoint import SparqlEndpointBackend
from reasoner.resources import module_paths
from reasoner.vocab import KB_GRAPH


@pytest.mark.parametrize("spec, cls", [("oxigraph", OxigraphBackend), ("rdflib", RdflibBackend)])
def test_embedded_backends_load_the_knowledge_base(spec, cls):
    files = [p for p in module_paths() if p.name == "core.ttl"]
    backend = get_backend(spec, files)
    assert isinstance(backend, cls)
    rows = backend.select("SELECT (COUNT(*) AS ?n) WHERE { ?s a <http://www.w3.org/2002/07/owl#Class> }")
    assert rows[0]["n"] > 10


def test_url_selects_the_endpoint_backend():
    backend = get_backend("http://127.0.0.1:7878/query")
    assert isinstance(backend, SparqlEndpointBackend)
    assert backend.query_url == "http://127.0.0.1:7878/query" and backend.kb_graph == KB_GRAPH


def test_unknown_backend_is_a_usage_error():
    with pytest.raises(UsageError):
        get_backend("virtuoso-by-name")
