"""Every SPARQL file under queries/ starts with a complete ``#+ key: value`` header."""

from __future__ import annotations

import pytest

from reasoner import resources

REQUIRED = ("summary", "description", "params", "tags", "example")
QUERY_FILES = sorted(resources.queries_dir().rglob("*.rq"))


def header(text: str) -> dict[str, str]:
    """The ``#+ key: value`` lines before the first line of SPARQL."""
    found: dict[str, str] = {}
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("#+"):
            key, sep, value = stripped[2:].partition(":")
            if sep:
                found[key.strip()] = value.strip()
        elif stripped and not stripped.startswith("#"):
            break
    return found


def missing_keys(text: str) -> list[str]:
    head = header(text)
    return [key for key in REQUIRED if not head.get(key)]


def test_there_are_queries():
    assert QUERY_FILES


@pytest.mark.parametrize("path", QUERY_FILES, ids=lambda p: str(p.relative_to(resources.data_root())))
def test_query_header_is_complete(path):
    text = path.read_text(encoding="utf-8")
    assert text.lstrip().startswith("#+"), f"{path.name}: the file must start with the #+ header"
    assert not missing_keys(text), f"{path.name}: header lacks {missing_keys(text)}"


def test_checker_fails_when_a_key_is_missing():
    good = "\n".join(f"#+ {k}: something" for k in REQUIRED) + "\nSELECT * WHERE { ?s ?p ?o }\n"
    assert missing_keys(good) == []
    for key in REQUIRED:
        bad = "\n".join(line for line in good.splitlines() if not line.startswith(f"#+ {key}:"))
        assert missing_keys(bad) == [key]
    late = "SELECT * WHERE { ?s ?p ?o }\n#+ summary: too late\n"
    assert "summary" in missing_keys(late)
