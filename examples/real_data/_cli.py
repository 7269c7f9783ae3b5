"""What the two converters share: writing JSON Lines and their command line."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

__all__ = ["write", "run"]


def write(records: Iterable[dict[str, Any]], out: Path) -> list[dict[str, Any]]:
    """Write records as JSON Lines and return them."""
    out.parent.mkdir(parents=True, exist_ok=True)
    written = []
    with out.open("w", encoding="utf-8") as fh:
        for r in records:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
            written.append(r)
    return written


def run(
    argv: list[str] | None,
    *,
    description: str,
    default_source: Path,
    required_file: str,
    source_help: str,
    convert: Callable[[Path], Iterator[dict[str, Any]]],
    tally: Callable[[list[dict[str, Any]]], dict[str, Any]],
) -> int:
    """Command line: convert, write ``--out``, print the tally. Exit 0, or 2 on bad arguments."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--out", required=True, type=Path, help="output JSON Lines file")
    parser.add_argument("--source", type=Path, default=default_source, help=source_help)
    args = parser.parse_args(argv)
    if not (args.source / required_file).is_file():
        parser.error(f"{args.source}: {required_file} not found (use --source)")
    records = write(convert(args.source), args.out)
    print(f"wrote {len(records)} records to {args.out}")
    for key, value in tally(records).items():
        print(f"  {key}: {value}")
    return 0
