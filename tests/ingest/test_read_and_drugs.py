"""read_records: every readable format, and unreadable input as InputError with file and line;
the drug catalogue: canonical names, synonyms, suggestions, IRIs."""

import json
from pathlib import Path

import pytest

from reasoner.errors import InputError
from reasoner.graph import record_to_graph
from reasoner.ingest import read_records
from reasoner.ingest.drugs import DrugCatalog
from tests.cohort.contract import CANONICAL_DRUG_LIST

FIXTURE = Path(__file__).parent / "data" / "drugs-fixture.ttl"
REAL = Path(__file__).resolve().parents[2] / "ontology" / "drugs.ttl"
CANONICAL = list(CANONICAL_DRUG_LIST)
REC = {"id": "r1", "sex": "female", "age": 60}


@pytest.fixture(params=["fixture", "real"])
def catalog(request):
    if request.param == "real":
        return DrugCatalog.from_file(REAL)
    return DrugCatalog.from_file(FIXTURE)


def test_catalog_has_every_canonical_name(catalog):
    assert set(CANONICAL) <= set(catalog.names)
    for name in CANONICAL:
        assert catalog.canonical(name) == name
        assert str(catalog.iri(name)).startswith("https://w3id.org/her2neg/kb/drug-")


@pytest.mark.parametrize(
    "given, canonical",
    [
        ("leuprolide", "leuprorelin"),
        ("Nolvadex", "tamoxifen"),
        ("FASLODEX", "fulvestrant"),
        ("Kisqali", "ribociclib"),
        ("nab paclitaxel", "nab-paclitaxel"),
        ("Zoledronic-Acid", "zoledronic acid"),
        ("  letrozole ", "letrozole"),
    ],
)
def test_synonyms_and_brands(catalog, given, canonical):
    assert catalog.canonical(given) == canonical


def test_suggest_and_unknown(catalog):
    assert catalog.canonical("letrozol") is None
    assert catalog.suggest("letrozol")[0] == "letrozole"
    assert len(catalog.suggest("paclitaxl", n=2)) <= 2
    assert catalog.canonical(None) is None
    assert isinstance(catalog.suggest(""), list)
    assert catalog.label(catalog.iri("olaparib")) == "olaparib"


def test_default_catalog_is_cached():
    assert DrugCatalog.default() is DrugCatalog.default()


def test_json_object_array_and_lines(tmp_path):
    one = tmp_path / "one.json"
    one.write_text(json.dumps(REC))
    assert read_records(one) == [(str(one), REC)]
    arr = tmp_path / "arr.json"
    arr.write_text(json.dumps([REC, {**REC, "id": "r2"}]))
    assert [label for label, _ in read_records(arr)] == [f"{arr}#1", f"{arr}#2"]
    lines = tmp_path / "c.jsonl"
    lines.write_text(json.dumps(REC) + "\n\n" + json.dumps({**REC, "id": "r2"}) + "\n")
    assert [label for label, _ in read_records(lines)] == [f"{lines}:1", f"{lines}:3"]
    assert read_records(json.dumps(REC)) == [("<input>", REC)]


def test_turtle_and_json_ld(tmp_path):
    rec = json.loads((Path(__file__).parents[1] / "graph" / "data" / "A08.json").read_text())
    g = record_to_graph(rec)
    ttl = tmp_path / "p.ttl"
    ttl.write_text(g.serialize(format="turtle"))
    jsonld = tmp_path / "p.jsonld"
    jsonld.write_text(g.serialize(format="json-ld"))
    assert read_records(ttl)[0][1] == rec
    assert read_records(jsonld)[0][1] == rec


@pytest.mark.parametrize(
    "content, where, words",
    [
        (b"", "f.json", "empty"),
        (b"  \n ", "f.json", "empty"),
        (b'{"id": "a"}\n\xff\xfe', "f.json:2", "UTF-8"),
        (b'{"id": "a",\n "age": }', "f.json:2", "not valid JSON"),
        (b'{"id": "a", "id": "b"}', "f.json", "twice"),
        (b"[" * 200 + b"]" * 200, "f.json:1", "nested"),
        (b'{"age": 1' + b"0" * 5000 + b"}", "f.json", "cannot be read"),
        (b'[{"id": "a"}, {"id": "a"}]', "f.json#2", "duplicate patient id"),
        (b"[]", "f.json", "no records"),
    ],
)
def test_unreadable_json(tmp_path, content, where, words):
    f = tmp_path / "f.json"
    f.write_bytes(content)
    with pytest.raises(InputError) as err:
        read_records(f)
    assert err.value.where == str(tmp_path / where)
    assert words in err.value.message


def test_duplicate_ids_in_json_lines(tmp_path):
    f = tmp_path / "c.jsonl"
    f.write_text(json.dumps(REC) + "\n" + json.dumps(REC) + "\n")
    with pytest.raises(InputError, match="duplicate patient id 'r1'") as err:
        read_records(f)
    assert err.value.where == f"{f}:2"


def test_unreadable_turtle(tmp_path):
    f = tmp_path / "p.ttl"
    f.write_text("@prefix h2n: <https://w3id.org/her2neg/kb/> .\n\n<x> a h2n:Patient ; h2n:age \n")
    with pytest.raises(InputError, match="not valid Turtle") as err:
        read_records(f)
    assert err.value.where.startswith(str(f))
    f.write_text("@prefix h2n: <https://w3id.org/her2neg/kb/> .\n<x> a h2n:Drug .\n")
    with pytest.raises(InputError, match="no h2n:Patient"):
        read_records(f)


def test_missing_file():
    with pytest.raises(InputError, match="not found"):
        read_records(Path("/nonexistent/x.json"))
