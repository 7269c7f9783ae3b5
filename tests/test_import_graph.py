"""The import graph of the package flows forward: no import cycle between modules of ``reasoner``,
and no module imports a module of a later step of the pipeline (tools/import_graph.py: LAYERS,
ingest -> graph -> validation -> inference -> query -> result -> cli). Every import counts, also
one inside a function. ``python tools/import_graph.py`` prints the whole graph."""

import importlib.util
from pathlib import Path

import pytest

TOOL = Path(__file__).resolve().parents[1] / "tools" / "import_graph.py"


@pytest.fixture(scope="module")
def tool():
    spec = importlib.util.spec_from_file_location("import_graph", TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def edges(tool):
    return tool.module_edges(tool.build())


def test_no_import_cycles(tool, edges):
    assert tool.cycles(edges) == [], "modules of reasoner import each other (directly or through others)"


def test_no_import_against_the_pipeline_order(tool, edges):
    back = tool.back_edges(edges)
    assert back == [], "a module imports a module of a later step: " + ", ".join(f"{a} -> {b}" for a, b in back)


def test_every_unit_has_a_place_in_the_order(tool, edges):
    units = {tool.unit(m) for edge in edges for m in edge} - {"reasoner"}
    unplaced = {u for u in units if tool.layer_of(u) is None}
    assert unplaced == set(), "give each new top-level module its step in LAYERS of tools/import_graph.py"


def test_the_check_sees_a_cycle_and_a_back_edge(tool):
    assert tool.cycles({("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")}) == [["a", "b", "c"]]
    assert tool.back_edges({("reasoner.ingest.x", "reasoner.cli"), ("reasoner.cli", "reasoner.ingest")}) == [
        ("reasoner.ingest.x", "reasoner.cli")]
