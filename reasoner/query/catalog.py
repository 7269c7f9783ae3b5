"""The catalogue of named SPARQL queries shipped in ``queries/``.

One ``.rq`` file per question; the file stem is the query's public name (in the API and the CLI).
Each file starts with ``#+ key: value`` header lines (summary, description, params, tags, example).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

from reasoner.errors import QueryError
from reasoner.resources import queries_dir

__all__ = ["NamedQuery", "catalog", "get_query"]

HEADER_KEYS = ("summary", "description", "params", "tags", "example")


@dataclass(frozen=True)
class NamedQuery:
    """A query file: its public name, folder (kind), header and text."""

    name: str
    kind: str
    path: Path
    header: dict[str, str]
    text: str

    @property
    def summary(self) -> str:
        return self.header.get("summary", "")

    @property
    def params(self) -> dict[str, str]:
        """The declared parameters (``#+ params: name (description), ...``; ``none`` for none)."""
        return declared_params(self.header.get("params", ""))


def declared_params(text: str) -> dict[str, str]:
    """``{"drug": "IRI of an h2n drug individual; required"}`` from a ``#+ params`` header value."""
    out: dict[str, str] = {}
    depth, start = 0, 0
    parts = []
    for i, ch in enumerate(text):  # split at commas outside parentheses
        depth += ch == "("
        depth -= ch == ")"
        if ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    for part in parts:
        part = part.strip()
        m = re.match(r"\??([A-Za-z_][A-Za-z0-9_]*)\s*(?:\((.*)\))?\s*$", part, re.S)
        if m and part.lower() != "none":
            out[m.group(1)] = (m.group(2) or "").strip()
    return out


def parse_header(text: str) -> dict[str, str]:
    """The ``#+ key: value`` lines at the top of a query file."""
    header: dict[str, str] = {}
    for line in text.splitlines():
        if not line.startswith("#+"):
            if line.strip() and not line.startswith("#"):
                break
            continue
        key, _, value = line[2:].partition(":")
        header[key.strip()] = value.strip()
    return header


@functools.cache
def catalog() -> dict[str, NamedQuery]:
    """Every query under ``queries/``, by public name (file stem), in name order."""
    root = queries_dir()
    found: dict[str, NamedQuery] = {}
    for path in sorted(root.rglob("*.rq")):
        text = path.read_text(encoding="utf-8")
        name = path.stem
        if name in found:
            raise QueryError(f"two query files are named {name!r}", where=str(path))
        found[name] = NamedQuery(name, path.parent.name, path, parse_header(text), text)
    return dict(sorted(found.items()))


def get_query(name: str) -> NamedQuery:
    """A named query; the error lists the closest names when it does not exist."""
    queries = catalog()
    if name not in queries:
        import difflib

        close = difflib.get_close_matches(name, list(queries), n=3)
        hint = f"did you mean {', '.join(close)}?" if close else "see `her2neg query --list`"
        raise QueryError(f"no query named {name!r}", hint=hint)
    return queries[name]
