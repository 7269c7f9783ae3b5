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

Hardened (:class:`Endpoint`): clients talk to a small guard in this process that forwards to the
oxigraph child on a private loopback port. The guard refuses federated ``SERVICE`` calls (unless
allowed), stops a query after ``timeout`` seconds (the child is restarted, so nothing keeps
computing for a client that has gone), cuts answers past ``max_result_bytes``, and the child runs
with an address-space limit (``max_memory``). The child dies with its parent (Linux
``PR_SET_PDEATHSIG``), a port already in use is an error, and a temporary store is removed on stop.
"""

from __future__ import annotations

import http.client
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from reasoner.errors import BackendError
from reasoner.vocab import KB_GRAPH

__all__ = ["KB_GRAPH", "PATIENTS_GRAPH", "cohort_triples", "export_store", "oxigraph_command", "serve",
           "start_server", "wait_until_up", "free_port", "Endpoint", "DEFAULT_TIMEOUT_S", "DEFAULT_MAX_MEMORY",
           "DEFAULT_MAX_RESULT_BYTES"]

#: A query that runs longer is stopped (the server is restarted: nothing keeps computing for a client
#: that has gone).
DEFAULT_TIMEOUT_S = 30.0
#: Address space of the server process; past it the server stops and is restarted.
DEFAULT_MAX_MEMORY = 4 * 1024**3
#: A larger answer is cut off with an error.
DEFAULT_MAX_RESULT_BYTES = 256 * 1024**2

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
        prepared = engine.prepare(chunk)  # each record validated once, for its graph and its result
        results = engine.run_prepared(prepared) if with_results else [None] * len(chunk)
        for p, result in zip(prepared, results, strict=True):
            if p.status != "ok":
                continue
            subject = URIRef(p.iri)
            yield from engine.patient_triples(p)
            yield from inferred_triples(subject, p.inference)
            if result is None:
                continue
            for option in result.options:
                yield subject, H2N.hasOption, H2N[option.id]
            for item in result.excluded:
                if engine.kb.term(item.id) in engine.kb.rules:
                    yield subject, H2N.hasExcludedOption, H2N[item.id]


def oxigraph_command() -> str:
    """The ``oxigraph`` server executable (PyPI package ``oxigraph``, a dependency of this package)."""
    import sys

    exe = shutil.which("oxigraph") or shutil.which("oxigraph", path=str(Path(sys.executable).parent))
    if exe is None:
        raise BackendError("the oxigraph server is not installed",
                           hint=f'run: {Path(sys.executable).name} -m pip install "oxigraph>=0.4"')
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


def _check_port_free(host: str, port: int) -> None:
    """A port in use is an error, never a silent reuse of another (older) server."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
        try:
            s.bind((host, port))
        except OSError as exc:
            raise BackendError(f"cannot listen on {host}:{port}: {exc.strerror or exc}", where=f"{host}:{port}",
                               hint="is another server (an older her2neg serve?) running there? use --port") from None


def _child_setup(max_memory: int | None):
    def setup() -> None:  # runs in the child between fork and exec
        try:
            import ctypes

            ctypes.CDLL(None).prctl(1, int(signal.SIGTERM), 0, 0, 0)  # PR_SET_PDEATHSIG: die with serve
        except (OSError, AttributeError):
            pass
        if max_memory:
            import resource

            # data (heap and private writable mappings), not address space: reserved but unused
            # address ranges (malloc arenas, thread stacks) do not count
            resource.setrlimit(resource.RLIMIT_DATA, (max_memory, max_memory))
    return setup


_SERVICE = re.compile(r"\bSERVICE\b", re.IGNORECASE)
_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-authorization",
        "proxy-authenticate", "content-length", "host"}


def _sparql_texts(path: str, headers, body: bytes) -> list[str]:
    """The query/update texts of a SPARQL Protocol request (GET parameters, form or direct POST)."""
    texts = [v for k, vs in urllib.parse.parse_qs(urllib.parse.urlsplit(path).query).items()
             if k in ("query", "update") for v in vs]
    ctype = (headers.get("Content-Type") or "").split(";")[0].strip().lower()
    if ctype == "application/x-www-form-urlencoded":
        form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
        texts += [v for k in ("query", "update") for v in form.get(k, [])]
    elif ctype in ("application/sparql-query", "application/sparql-update"):
        texts.append(body.decode("utf-8", "replace"))
    return texts


class Endpoint:
    """The running endpoint: the guard (this process) in front of the oxigraph child.

    Behaves like the ``subprocess.Popen`` of earlier versions for ``poll``, ``wait``, ``terminate``
    and ``kill``.
    """

    def __init__(self, location: Path | str, *, host: str = "127.0.0.1", port: int = 7878, writable: bool = False,
                 union_default_graph: bool = True, timeout: float | None = DEFAULT_TIMEOUT_S,
                 max_memory: int | None = DEFAULT_MAX_MEMORY, max_result_bytes: int = DEFAULT_MAX_RESULT_BYTES,
                 allow_service: bool = False, remove_store: bool = False):
        self.location, self.host, self.port = Path(location), host, port
        self.writable, self.union = writable, union_default_graph
        self.timeout, self.max_memory, self.max_result_bytes = timeout, max_memory, max_result_bytes
        self.allow_service, self.remove_store = allow_service, remove_store
        self.child: subprocess.Popen | None = None
        # The child is always started from this one long-lived thread: the kernel's parent-death
        # signal fires when the *thread* that started a child ends, not only the process.
        from concurrent.futures import ThreadPoolExecutor

        self._spawner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="her2neg-endpoint-child")
        self._lock = threading.RLock()
        self._stopped = threading.Event()
        _check_port_free(host, port)
        self.inner_port = free_port()
        self._start_child()
        self.server = ThreadingHTTPServer((host, port), _handler(self))
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, name="her2neg-endpoint", daemon=True)
        self._thread.start()

    # -- the child ---------------------------------------------------------------------------

    def _start_child(self) -> None:
        self._spawner.submit(self._spawn).result()

    def _spawn(self) -> None:
        cmd = [oxigraph_command(), "serve" if self.writable else "serve-read-only", "--location",
               str(self.location), "--bind", f"127.0.0.1:{self.inner_port}"]
        if self.union:
            cmd.append("--union-default-graph")
        if self.timeout:
            cmd += ["--timeout-s", str(max(1, int(self.timeout)))]
        self.child = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                      preexec_fn=_child_setup(self.max_memory))  # noqa: PLW1509
        wait_until_up(f"http://127.0.0.1:{self.inner_port}/query", self.child)

    def restart(self) -> None:
        """Stop the child (whatever it computes) and start a fresh one on the same store."""
        with self._lock:
            if self._stopped.is_set():
                return
            self._stop_child()
            self._start_child()

    def _stop_child(self) -> None:
        child, self.child = self.child, None
        if child is not None and child.poll() is None:
            child.terminate()
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait(timeout=10)

    # -- Popen-like ---------------------------------------------------------------------------

    def poll(self) -> int | None:
        return 0 if self._stopped.is_set() else None

    def wait(self, timeout: float | None = None) -> int:
        if not self._stopped.wait(timeout):
            raise subprocess.TimeoutExpired("her2neg serve", timeout)
        return 0

    def terminate(self) -> None:
        self.stop()

    kill = terminate

    def stop(self) -> None:
        """Stop the guard and the child; remove a temporary store."""
        with self._lock:
            if self._stopped.is_set():
                return
            self._stopped.set()
        self.server.shutdown()
        self.server.server_close()
        with self._lock:
            self._stop_child()
        self._spawner.shutdown(wait=True)
        if self.remove_store:
            shutil.rmtree(self.location, ignore_errors=True)

    # -- one request --------------------------------------------------------------------------

    def forward(self, method: str, path: str, headers, body: bytes, respond) -> None:
        if not self.allow_service and any(_SERVICE.search(t) for t in _sparql_texts(path, headers, body)):
            respond(403, b"federated SERVICE calls are off on this endpoint (her2neg serve --allow-service)")
            return
        child = self.child
        if child is None or child.poll() is not None:  # it stopped (memory limit): start it again
            self.restart()
        conn = http.client.HTTPConnection("127.0.0.1", self.inner_port, timeout=self.timeout)
        try:
            out_headers = {k: v for k, v in headers.items() if k.lower() not in _HOP}
            conn.request(method, path, body=body or None, headers=out_headers)
            response = conn.getresponse()
            data = response.read(self.max_result_bytes + 1)
            if len(data) > self.max_result_bytes:
                conn.close()
                self.restart()
                respond(507, f"the answer is larger than {self.max_result_bytes:,} bytes; ask for less "
                             "(LIMIT, fewer variables)".encode())
                return
            kept = [(k, v) for k, v in response.getheaders() if k.lower() not in _HOP]
            respond(response.status, data, kept)
        except TimeoutError:
            conn.close()
            self.restart()  # the query would go on computing for nobody
            respond(503, f"the query ran longer than {self.timeout:g} s and was stopped".encode())
        except (ConnectionError, http.client.HTTPException, OSError) as exc:
            conn.close()
            self.restart()
            respond(503, f"the SPARQL server failed ({exc}); it was restarted".encode())
        finally:
            conn.close()


def _handler(endpoint: Endpoint):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):  # quiet: no per-request lines on the terminal
            pass

        def _body(self) -> bytes:
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length > 0 else b""

        def _respond(self, status: int, data: bytes, headers=()) -> None:
            self.send_response(status)
            names = {k.lower() for k, _ in headers}
            for k, v in headers:
                self.send_header(k, v)
            if "content-type" not in names:
                self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        def _forward(self) -> None:
            endpoint.forward(self.command, self.path, self.headers, self._body(), self._respond)

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _forward

    return Handler


def start_server(location: Path | str, *, host: str = "127.0.0.1", port: int = 7878, writable: bool = False,
                 union_default_graph: bool = True, **limits: Any) -> Endpoint:
    """Start the hardened endpoint on the store directory (see :class:`Endpoint` for ``limits``)."""
    return Endpoint(location, host=host, port=port, writable=writable, union_default_graph=union_default_graph,
                    **limits)


def wait_until_up(query_url: str, proc: subprocess.Popen | None = None, timeout: float = 30.0, *,
                  what: str = "the oxigraph server") -> None:
    """Wait until the SPARQL endpoint at ``query_url`` answers ``ASK {}``; ``what`` names it in errors."""
    deadline = time.monotonic() + timeout
    probe = query_url + "?query=" + urllib.request.quote("ASK {}")
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            err = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
            raise BackendError(f"{what} stopped: {err.strip()[:500]}")
        try:
            with urllib.request.urlopen(probe, timeout=2) as r:  # noqa: S310 - loopback
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise BackendError(f"{what} did not start in time", where=query_url)


def serve(location: Path | str, records: Iterable[Any] = (), *, host: str = "127.0.0.1", port: int = 7878,
          writable: bool = False, **limits: Any) -> Endpoint:
    """Export the store and start the endpoint on it (the CLI's ``serve``)."""
    export_store(location, records)
    return start_server(location, host=host, port=port, writable=writable, **limits)
