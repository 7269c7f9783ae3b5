"""``her2neg serve`` hardened (issue 10): SERVICE off, queries stopped after a timeout, answers
bounded, a port in use is an error, the child dies with serve, the temporary store is removed."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from reasoner.errors import BackendError
from reasoner.serve import export_store, free_port, oxigraph_command, start_server, wait_until_up

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
CARTESIAN = ("SELECT DISTINCT ?a ?b ?c ?d WHERE { ?a ?p1 ?x . ?b ?p2 ?y . ?c ?p3 ?z . ?d ?p4 ?w } "
             "ORDER BY ?a ?b ?c ?d")


def _get(url: str, query: str, timeout: float = 60):
    request = urllib.request.Request(url + "?" + urllib.parse.urlencode({"query": query}),
                                     headers={"Accept": "application/sparql-results+json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


@pytest.fixture(scope="module")
def store(kb, tmp_path_factory):
    where = tmp_path_factory.mktemp("store") / "store"
    export_store(where, [], kb=kb)
    return where


def test_the_server_ships_with_the_package():
    assert Path(oxigraph_command()).exists()
    from importlib.metadata import requires

    assert any(r.split(">")[0].split("=")[0].strip() == "oxigraph" and "extra" not in r
               for r in requires("her2neg-reasoner") or []) or "oxigraph>=0.4" in (ROOT / "pyproject.toml").read_text()


def test_service_is_off_and_a_runaway_query_is_stopped(store):
    port = free_port()
    endpoint = start_server(store, port=port, timeout=10, max_result_bytes=200_000)
    try:
        url = f"http://127.0.0.1:{port}/query"
        status, body = _get(url, "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }")
        assert status == 403 and b"SERVICE" in body
        status, body = _get(url, "select * where { service <http://127.0.0.1:9/sparql> { ?s ?p ?o } }")
        assert status == 403
        first_child = endpoint.child.pid
        started = time.monotonic()
        status, body = _get(url, CARTESIAN, timeout=120)
        assert status in (503, 507), body[:200]
        assert time.monotonic() - started < 90
        assert endpoint.child.pid != first_child  # the runaway query does not keep running
        with pytest.raises(ProcessLookupError):
            os.kill(first_child, 0)
            time.sleep(0.5)
            os.kill(first_child, 0)
        status, body = _get(url, "ASK { ?s ?p ?o }")  # and the endpoint still answers
        assert status == 200 and b"true" in body, body[:300]
        status, body = _get(url, "SELECT * WHERE { ?s ?p ?o }")  # an answer past the bound is cut off
        assert status == 507, body[:300]
    finally:
        endpoint.stop()
    assert endpoint.child is None


def test_a_port_in_use_is_an_error(store):
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        with pytest.raises(BackendError, match="cannot listen"):
            start_server(store, port=port)


def _children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    out.append(int(entry.name))
            except (OSError, ValueError, IndexError):
                continue
    return out


def _gone(pid: int, within: float = 20) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return True
        if state == "Z":
            return True
        time.sleep(0.2)
    return False


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc")
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_the_child_lives_and_dies_with_serve_and_the_store_is_removed(tmp_path, sig):
    port = free_port()
    env = {**ENV, "TMPDIR": str(tmp_path)}
    proc = subprocess.Popen([sys.executable, "-m", "reasoner", "serve", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_until_up(f"http://127.0.0.1:{port}/query", timeout=120)
        children = [c for c in _children(proc.pid) if "oxigraph" in Path(f"/proc/{c}/cmdline").read_text()]
        assert children
        stores = list(tmp_path.glob("her2neg-store-*"))
        assert len(stores) == 1
        os.kill(proc.pid, sig)
        proc.wait(timeout=60)
        assert all(_gone(c) for c in children), "the SPARQL server outlived serve"
        if sig == signal.SIGTERM:  # SIGKILL gives no chance to clean up; the store is in TMPDIR
            assert not stores[0].exists()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_serve_refuses_a_port_in_use(tmp_path):
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        result = subprocess.run([sys.executable, "-m", "reasoner", "serve", "--port", str(port)], env=ENV,
                                capture_output=True, text=True, timeout=300)
    assert result.returncode == 6, result.stderr
    assert "cannot listen" in result.stderr
