"""A real SPARQL endpoint over the knowledge base and a cohort: ``her2neg serve``.

:func:`export_store` writes, into an Oxigraph store directory,

- the knowledge base (every ontology module) in the named graph ``urn:her2neg:kb``;
- for each valid, in-scope record of the cohort, in the named graph ``urn:her2neg:patients``:
  the patient graph, everything the reasoner inferred for it
  (:func:`reasoner.inference.inferred_triples`: states, unknown facets, lines, exposures) and
  the result as triples: ``h2n:hasOption`` for each option offered and ``h2n:hasExcludedOption``
  for each recommendation ruled out.

:func:`serve` then runs the ``oxigraph`` server of the PyPI ``oxigraph`` package on it:
``serve-read-only`` by default, ``serve`` with ``writable=True``; bound to 127.0.0.1 unless told
otherwise, with ``--union-default-graph`` so that a plain query sees the knowledge base and the
patients together. :class:`reasoner.query.endpoint.SparqlEndpointBackend` (which names the graphs
explicitly) and any standard SPARQL client work against it.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from reasoner.errors import BackendError
from reasoner.vocab import KB_GRAPH

__all__ = ["KB_GRAPH", "PATIENTS_GRAPH", "cohort_triples", "export_store", "oxigraph_command", "serve",
           "start_server", "wait_until_up", "free_port"]

PATIENTS_GRAPH = "urn:her2neg:patients"


def cohort_triples(engine: Any, records: Iterable[Any], *, with_results: bool = True,
                   chunk_size: int = 200) -> Iterator[tuple]:
    """Patient triples + inferred triples (+ result triples) for every valid, in-scope record."""
    from rdflib import URIRef

    from reasoner.inference import inferred_triples
    from reasoner.vocab import H2N

    records = list(records)
    for start in range(0, len(records), chunk_size):
        chunk = records[start:start + chunk_size]
        prepared = engine._prepare_many(chunk)
        results = engine.run(chunk) if with_results else [None] * len(chunk)
        for p, result in zip(prepared, results, strict=True):
            if p.status != "ok":
                continue
            subject = URIRef(p.iri)
            yield from engine._patient_triples(p)
            yield from inferred_triples(subject, p.inference)
            if result is None:
                continue
            for option in result.options:
                yield subject, H2N.hasOption, H2N[option.id]
            for item in result.excluded:
                if engine.kb.term(item.id) in engine.kb.rules:
                    yield subject, H2N.hasExcludedOption, H2N[item.id]


def oxigraph_command() -> str:
    """The ``oxigraph`` server executable (PyPI package ``oxigraph``)."""
    exe = shutil.which("oxigraph")
    if exe is None:
        raise BackendError("the oxigraph server is not installed", hint="pip install oxigraph")
    return exe


def export_store(location: Path | str, records: Iterable[Any] = (), *, kb: Any = None) -> dict[str, int]:
    """Write the knowledge base and the cohort (with inferences and results) into a store directory."""
    import pyoxigraph as ox

    from reasoner.query.backends import to_ox_term

    if kb is None:
        import reasoner

        kb = reasoner._default()
    store = ox.Store(str(location))
    kb_graph, patients = ox.NamedNode(KB_GRAPH), ox.NamedNode(PATIENTS_GRAPH)
    existing = set(store.named_graphs())
    for graph in (kb_graph, patients):  # a re-export replaces what an earlier one wrote
        if graph in existing:
            store.remove_graph(graph)
    for path in kb.files:
        store.bulk_load(path=str(path), format=ox.RdfFormat.TURTLE, to_graph=kb_graph)
    count = 0

    def quads():
        nonlocal count
        for s, p, o in cohort_triples(kb.engine, records):
            count += 1
            yield ox.Quad(to_ox_term(s), to_ox_term(p), to_ox_term(o), patients)

    store.extend(quads())
    store.flush()
    n_kb = sum(1 for _ in store.quads_for_pattern(None, None, None, kb_graph))
    del store  # release the directory lock before the server opens it
    return {"kb_triples": n_kb, "patient_triples": count}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(location: Path | str, *, host: str = "127.0.0.1", port: int = 7878, writable: bool = False,
                 union_default_graph: bool = True) -> subprocess.Popen:
    """Start ``oxigraph serve[-read-only]`` on the store directory; returns the process (running)."""
    cmd = [oxigraph_command(), "serve" if writable else "serve-read-only", "--location", str(location),
           "--bind", f"{host}:{port}"]
    if union_default_graph:
        cmd.append("--union-default-graph")
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wait_until_up(f"http://{host}:{port}/query", proc)
    return proc


def wait_until_up(query_url: str, proc: subprocess.Popen | None = None, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    probe = query_url + "?query=" + urllib.request.quote("ASK {}")
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            err = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
            raise BackendError(f"the oxigraph server stopped: {err.strip()[:500]}")
        try:
            with urllib.request.urlopen(probe, timeout=2) as r:  # noqa: S310 - loopback
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise BackendError("the oxigraph server did not start in time", where=query_url)


def serve(location: Path | str, records: Iterable[Any] = (), *, host: str = "127.0.0.1", port: int = 7878,
          writable: bool = False) -> subprocess.Popen:
    """Export the store and start the server on it (the CLI's ``serve``)."""
    export_store(location, records)
    return start_server(location, host=host, port=port, writable=writable)
