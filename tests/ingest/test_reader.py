"""The one input reader (reasoner.ingest.reader): the CLI (load_inputs, strict) and batch/serve
(iter_inputs, never stopping) read the same bytes as the same records, whatever the format, and
recognise JSON-LD and FHIR by content."""

import json
from pathlib import Path

import pytest
from rdflib import Graph

from reasoner.errors import InputError
from reasoner.ingest.reader import Unreadable, count_inputs, iter_inputs, load_inputs

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "patients" / "hr-second-line-pik3ca.json"
BUNDLE = ROOT / "tests" / "fhir" / "data" / "TrialMatching_Patient01.json"


def _record(pid: str) -> dict:
    return {**json.loads(EXAMPLE.read_text()), "id": pid}


@pytest.fixture
def cohort(tmp_path):
    """One file of every kind the reader knows."""
    (tmp_path / "one.json").write_text(json.dumps(_record("a")))
    (tmp_path / "array.json").write_text(json.dumps([_record("b"), _record("c")]))
    (tmp_path / "lines.jsonl").write_text("\n".join(json.dumps(_record(p)) for p in "de") + "\n")
    (tmp_path / "lines-named.json").write_text("\n".join(json.dumps(_record(p)) for p in "fg") + "\n")
    g = Graph().parse(ROOT / "examples" / "turtle" / "hr-second-line-pik3ca.ttl")
    (tmp_path / "graph.ttl").write_text(g.serialize(format="turtle"))
    (tmp_path / "graph-ld.json").write_text(g.serialize(format="json-ld"))  # JSON-LD named .json
    (tmp_path / "bundle.json").write_text(BUNDLE.read_text())
    resources = [e["resource"] for e in json.loads(BUNDLE.read_text())["entry"]]
    (tmp_path / "resources.ndjson").write_text("\n".join(json.dumps(r) for r in resources) + "\n")
    return tmp_path


def test_strict_and_streaming_readers_give_the_same_records(cohort):
    strict = load_inputs(cohort)
    streamed = list(iter_inputs(cohort))
    assert strict == streamed
    by_file = {Path(key.split(":")[0].split("#")[0]).name: record for key, record in strict}
    assert by_file["graph-ld.json"]["id"] == by_file["graph.ttl"]["id"] == "ex-hr-2l-pik3ca"  # JSON-LD by content
    assert by_file["bundle.json"]["resourceType"] == "Bundle"
    # NDJSON of FHIR resources is one patient (one collection Bundle), not one record a resource
    ndjson = [record for key, record in strict if key.endswith("resources.ndjson")]
    assert len(ndjson) == 1 and ndjson[0]["type"] == "collection"
    assert len(ndjson[0]["entry"]) == len(json.loads(BUNDLE.read_text())["entry"])
    ids = [r.get("id") for _, r in strict if "resourceType" not in r]
    assert ids == ["b", "c", "ex-hr-2l-pik3ca", "ex-hr-2l-pik3ca", "f", "g", "d", "e", "a"]  # sorted file names


def test_a_bad_line_stops_the_cli_but_not_a_batch(tmp_path):
    path = tmp_path / "cohort.jsonl"
    path.write_text(json.dumps(_record("a")) + "\n{not json\n" + json.dumps(_record("b")) + "\n")
    with pytest.raises(InputError) as info:
        load_inputs(path)
    assert info.value.where == f"{path}:2"
    items = list(iter_inputs(path))
    assert [k for k, _ in items] == [f"{path}:1", f"{path}:2", f"{path}:3"]
    assert isinstance(items[1][1], Unreadable) and "cannot be read as a JSON record" in items[1][1].message
    assert count_inputs(path) == 3


def test_duplicate_ids_are_an_error_for_the_cli_only(tmp_path):
    path = tmp_path / "cohort.jsonl"
    path.write_text("\n".join(json.dumps(_record("same")) for _ in range(2)) + "\n")
    with pytest.raises(InputError, match="duplicate patient id 'same'"):
        load_inputs(path)
    assert [r["id"] for _, r in iter_inputs(path)] == ["same", "same"]  # the batch reports them


def test_empty_and_missing_files(tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n\n")
    with pytest.raises(InputError, match="empty"):
        load_inputs(empty)
    with pytest.raises(InputError, match="not found"):
        load_inputs(tmp_path / "missing.json")
