"""The ``her2neg`` command: a thin shell over the Python API.

The command tree (typer) is :mod:`reasoner.cli.commands`; its names (``app``, ``kb_app``, the commands,
``EXIT_INVALID``...) are read through this package as before. :func:`main` runs a plain
``her2neg recommend FILE... [--format F] [--jurisdiction J] [--all]`` straight away, without
importing typer or building the command tree (a third of a cold start); anything else (help,
``--trace``, another command, an unusual argument) goes to the typer app, which also gives every
usage error its message. Both run the same body (:mod:`reasoner.cli.recommend`): same output, same
messages, same exit codes (tests/cli).

Exit codes (also in ``her2neg --help`` and the README):

==  =====================================================================
0   every record reasoned over (status ok) / no validation violation
1   unexpected internal error (run again with ``--trace`` and report it)
2   usage error (unknown option, missing argument)
3   an input file cannot be read (not JSON/Turtle/FHIR, not UTF-8, empty)
4   the knowledge base does not load
5   unknown query name or bad query parameter
6   a triple store or SPARQL endpoint failed
7   results cannot be written (disk full, read-only, a folder in the way)
10  at least one record is invalid (validation violation)
11  at least one record is out of scope (for example HER2-positive), none invalid
==  =====================================================================
"""

from __future__ import annotations

import os
import sys
from typing import Any

__all__ = ["main"]

_OPTIONS = {"--format": "format", "-f": "format", "--jurisdiction": "jurisdiction", "-j": "jurisdiction"}


def _plain_recommend(args: list[str]) -> dict | None:
    """The arguments of a plain ``recommend`` call, or None when typer should read them.

    Plain: ``recommend`` first, then files and ``--format/-f VALUE``, ``--jurisdiction/-j VALUE``,
    ``--all``, each option at most once, at least one file, no token beginning with ``-`` other
    than these options (``--help``, ``--``, ``--format=json``, ``-fjson``: typer), a format of
    ``table``, ``json`` or ``turtle`` (typer gives the usage error otherwise)."""
    from reasoner.cli.recommend import FORMATS

    if not args or args[0] != "recommend" or any(k.startswith("_HER2NEG_COMPLETE") for k in os.environ):
        return None
    parsed: dict[str, Any] = {"files": [], "format": None, "jurisdiction": None, "all_": False}
    rest = iter(args[1:])
    for token in rest:
        if token in _OPTIONS:
            name = _OPTIONS[token]
            value = next(rest, None)
            if parsed[name] is not None or value is None or value.startswith("-"):
                return None
            parsed[name] = value
        elif token == "--all":
            if parsed["all_"]:
                return None
            parsed["all_"] = True
        elif token.startswith("-") or not token:
            return None
        else:
            parsed["files"].append(token)
    if not parsed["files"]:
        return None
    parsed["format"] = parsed["format"] or "table"
    if parsed["format"] not in FORMATS:
        return None
    return parsed


def _run_plain(parsed: dict) -> None:
    """``recommend`` without typer; exits as typer's standalone mode does."""
    import errno
    from pathlib import Path

    from reasoner.cli.recommend import run_recommend

    try:
        try:
            code = run_recommend([Path(f) for f in parsed["files"]], parsed["format"], parsed["jurisdiction"],
                                 parsed["all_"])
        except EOFError:
            sys.stderr.write("\nAborted!\n")
            code = 1
        except KeyboardInterrupt:
            code = 130
        except OSError as exc:
            if exc.errno != errno.EPIPE:
                raise
            from typer._click.utils import PacifyFlushWrapper

            sys.stdout = PacifyFlushWrapper(sys.stdout)
            sys.stderr = PacifyFlushWrapper(sys.stderr)
            code = 1
        if code not in (0, None):
            sys.exit(code)
        sys.exit(0)
    except BrokenPipeError:  # output piped into `head` and friends: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(0)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``her2neg`` script and ``python -m reasoner``."""
    parsed = _plain_recommend(list(sys.argv[1:] if argv is None else argv))
    if parsed is not None:
        _run_plain(parsed)
    from reasoner.cli.commands import main as app_main

    app_main(argv)


def __getattr__(name: str) -> Any:
    """The names of the command tree (``from reasoner.cli import app``), loaded on first use."""
    if name.startswith("__"):
        raise AttributeError(name)
    import importlib

    _commands = importlib.import_module("reasoner.cli.commands")
    try:
        return getattr(_commands, name)
    except AttributeError:
        raise AttributeError(f"module 'reasoner.cli' has no attribute {name!r}") from None
