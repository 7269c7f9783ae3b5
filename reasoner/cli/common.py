"""What every ``her2neg`` command shares: the exit codes of results, the consoles and one error exit.

Its own module so that the command modules (:mod:`reasoner.cli`, :mod:`reasoner.cli.batch`) import
it and not each other.
"""

from __future__ import annotations

from rich.console import Console

from reasoner.errors import ReasonerError
from reasoner.textsafe import terminal as _t

__all__ = ["EXIT_INVALID", "EXIT_OUT_OF_SCOPE", "err", "error_exit_code", "fail", "out", "state"]

EXIT_INVALID = 10
EXIT_OUT_OF_SCOPE = 11

out = Console(soft_wrap=True, emoji=False)
err = Console(stderr=True, soft_wrap=True, emoji=False)
#: ``trace``: set by ``her2neg --trace`` (errors raise with their traceback).
state: dict[str, bool] = {"trace": False}


def error_exit_code(exc: BaseException) -> int:
    """Print the error's one-line message and return its exit code (``--trace``: raise it)."""
    if state["trace"]:
        raise exc
    if isinstance(exc, ReasonerError):
        err.print(f"[red]error:[/red] {_t(exc)}", highlight=False)
        return exc.exit_code
    err.print(
        f"[red]internal error:[/red] {type(exc).__name__}: {_t(exc)} (run with --trace for details)",
        highlight=False,
    )
    return 1


def fail(exc: BaseException) -> None:
    """Exit with the error's exit code and a one-line message (the traceback with ``--trace``)."""
    import typer  # here: the lean `recommend` start (reasoner.cli.main) does not import typer

    raise typer.Exit(error_exit_code(exc))
