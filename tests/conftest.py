"""Shared fixtures: one knowledge base per test session."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def kb():
    import reasoner

    return reasoner.KnowledgeBase.load()


@pytest.fixture(scope="module")
def start_endpoint(kb, tmp_path_factory):
    """Start the project's hardened Oxigraph endpoint (127.0.0.1, a free port) on a store holding the
    knowledge base (graph urn:her2neg:kb) and ``records``; returns its query URL. Every endpoint
    started is stopped at the end of the module."""
    from reasoner.serve import export_store, free_port, start_server

    procs = []

    def start(records=(), name: str = "endpoint") -> str:
        store = tmp_path_factory.mktemp(name) / "store"
        export_store(store, list(records), kb=kb)
        port = free_port()
        procs.append(start_server(store, port=port))
        return f"http://127.0.0.1:{port}/query"

    yield start
    for proc in procs:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="session")
def blocked_drugs(kb):
    """The drugs a record contraindicates: what the knowledge base blocks, plus the independent
    table of tests/contraindication_truth.py (so a block missing from the knowledge base fails)."""
    from reasoner.query.catalog import get_query
    from tests.contraindication_truth import ground_truth_blocked

    def blocked(record: dict) -> set[str]:
        rows = kb.engine.query(get_query("contraindicated-drugs").text, [record])
        return {kb.labels[r["drug"]] for r in rows if r["action"] == "block"} | ground_truth_blocked(record)

    return blocked


@pytest.fixture(scope="session")
def hermit_run():
    """HermiT, started once per test session: the knowledge base plus every example of the tests.

    Returns the report and a function from (test module's prefix, example name) to the defined
    classes HermiT inferred for that example.
    """
    from reasoner.ontology.hermit import run_with_examples
    from tests.inference.test_hermit_agreement import EXAMPLES as AGREEMENT
    from tests.ontology.test_owl import EXAMPLES as OWL

    examples = {f"owl-{name}": ex[0] for name, ex in OWL.items()}
    examples.update({f"agreement-{name}": ex for name, ex in AGREEMENT.items()})
    report, classes = run_with_examples(examples, allow_missing=True)
    return report, lambda prefix, name: classes[f"{prefix}-{name}"]


def pytest_addoption(parser):
    parser.addoption("--update-snapshots", action="store_true", default=False,
                     help="rewrite the golden files under tests/snapshots/ instead of comparing")


@pytest.fixture
def snapshot(request):
    """Compare a value with its golden file (JSON, or Turtle compared as isomorphic graphs).

    ``pytest --update-snapshots`` rewrites the golden files; review the diff before committing.
    """
    import json
    from pathlib import Path

    update = request.config.getoption("--update-snapshots")
    root = Path(__file__).parent / "snapshots"

    def check(name: str, value):
        path = root / name
        if name.endswith(".ttl"):
            import rdflib
            from rdflib.compare import isomorphic

            graph = value if isinstance(value, rdflib.Graph) else rdflib.Graph().parse(data=value, format="turtle")
            if update:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(graph.serialize(format="turtle"), encoding="utf-8")
                return
            assert path.exists(), f"{name}: no golden file yet (run with --update-snapshots)"
            expected = rdflib.Graph().parse(path, format="turtle")
            assert isomorphic(graph, expected), f"{name}: the graph differs from its golden file (--update-snapshots)"
            return
        text = json.dumps(value, indent=1, ensure_ascii=False, sort_keys=True) + "\n"
        if update:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            return
        assert path.exists(), f"{name}: no golden file yet (run with --update-snapshots)"
        assert text == path.read_text(encoding="utf-8"), f"{name} differs from its golden file (--update-snapshots)"

    return check


def _leftover_servers(marker: str) -> list[int]:
    """Pids of SPARQL servers (oxigraph) whose command line names this session's temporary folder."""
    from pathlib import Path

    found = []
    for entry in Path("/proc").iterdir() if Path("/proc").is_dir() else ():
        if entry.name.isdigit():
            try:
                cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
                state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
            except (OSError, IndexError):
                continue
            if "oxigraph" in cmd and marker in cmd and state != "Z":
                found.append(int(entry.name))
    return found


def pytest_sessionfinish(session, exitstatus):
    """No server is left running after the test session: any SPARQL server started on this session's
    temporary folders is stopped here, and the session fails (a test did not stop what it started)."""
    import os
    import signal
    import time

    factory = getattr(session.config, "_tmp_path_factory", None)
    if factory is None:
        return
    try:
        marker = str(factory.getbasetemp())
    except (OSError, ValueError):
        return
    time.sleep(0.5)  # a server stopped at the very end is allowed to finish exiting
    left = _leftover_servers(marker)
    for pid in left:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    if left:
        import sys

        print(f"\nerror: {len(left)} SPARQL server(s) were still running after the tests (pids {left}); "
              "stopped now", file=sys.stderr)
        session.exitstatus = 1
