"""Free text of a record never becomes markup or syntax in the output (issue 10)."""

from __future__ import annotations

import csv
import json

import rdflib
from typer.testing import CliRunner

from reasoner.cli import EXIT_INVALID, app
from reasoner.textsafe import csv_cell, json_dumps, terminal
from tests.failclosed.hostile import record, with_drug, write

runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


def flat(text: str) -> str:
    """The output with line wrapping undone."""
    return " ".join(text.split())


def test_rich_markup_in_a_drug_name_is_shown_not_interpreted(tmp_path):
    path = write(tmp_path / "p.json", with_drug("[/x]"))
    result = run("recommend", path)
    assert result.exit_code == EXIT_INVALID, result.output
    assert "'[/x]' is not a known drug name" in flat(result.output)
    result = run("validate", path)
    assert result.exit_code == EXIT_INVALID and "[/x]" in result.output


def test_rich_markup_in_an_id_is_shown_not_interpreted(tmp_path):
    path = write(tmp_path / "p.json", record(id="[bold]x[/bold][/x]"))
    result = run("recommend", path)
    assert result.exit_code == 0, result.output
    assert "[bold]x[/bold][/x]" in flat(result.output)


def test_escape_sequences_never_reach_the_terminal(tmp_path):
    path = write(tmp_path / "p.json", with_drug("\x1b]0;pwned\x07\x9b31m"))
    for fmt in ("table", "json"):
        result = run("recommend", path, "--format", fmt)
        assert result.exit_code == EXIT_INVALID
        assert not any(ch in result.output for ch in "\x1b\x07\x9b"), fmt
    assert "pwned" in run("recommend", path).output  # the text is shown, its control characters are not
    path = write(tmp_path / "q.json", record(id="x\x1b[2J\u202eevil"))
    out = run("recommend", path).output
    assert "\x1b" not in out and "\u202e" not in out and "evil" in out


def test_a_newline_in_an_id_cannot_inject_turtle(tmp_path):
    evil = "x\n<http://evil.example/s> <http://evil.example/p> <http://evil.example/o> .\n#"
    path = write(tmp_path / "p.json", record(id=evil))
    result = run("recommend", path, "--format", "turtle")
    assert result.exit_code == 0, result.output
    graph = rdflib.Graph().parse(data=result.output, format="turtle")
    assert not list(graph.triples((rdflib.URIRef("http://evil.example/s"), None, None)))
    assert result.output.startswith("# x\\x0a<http://evil.example/s>")


def test_csv_summary_cells_are_not_formulas(tmp_path):
    from reasoner.batch import run_batch

    cohort = tmp_path / "c.jsonl"
    lines = [record(id=f"{sign}HYPERLINK(\"http://evil.example\")") for sign in "=+-@"]
    cohort.write_text("\n".join(json.dumps(r) for r in lines) + "\n", encoding="utf-8")
    summary = run_batch(cohort, tmp_path / "out.jsonl", jobs=1, progress=False)
    with open(summary.csv_path, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    patients = [row[1] for row in rows[1:]]
    assert len(patients) == 4
    assert all(p.startswith("'") for p in patients), patients


def test_text_helpers():
    assert terminal("[/x]\x1b") == "\\[/x]\\x1b"
    assert csv_cell("=1+1") == "'=1+1" and csv_cell("\uff1d1") == "'\uff1d1" and csv_cell(-3) == -3
    assert csv_cell("") == "" and csv_cell("ok") == "ok"
    assert json.loads(json_dumps({"a": "\x9b\u2028"})) == {"a": "\x9b\u2028"}
    assert "\x9b" not in json_dumps({"a": "\x9b"})


def test_emoji_codes_are_not_replaced(tmp_path):
    path = write(tmp_path / "p.json", record(id=":pill::smile:"))
    for fmt in ("table", "json"):
        result = run("recommend", path, "--format", fmt)
        assert result.exit_code == 0 and ":pill::smile:" in result.output and "\U0001f48a" not in result.output
