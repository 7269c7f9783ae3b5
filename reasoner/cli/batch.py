"""``her2neg batch`` (a cohort, nothing lost) and ``her2neg serve`` (a SPARQL endpoint).

Wired into the main app by ``register(app)`` at the end of :mod:`reasoner.cli`.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    """Add the ``batch`` and ``serve`` commands to the ``her2neg`` app."""

    @app.command()
    def batch(
        cohort: Annotated[list[Path], typer.Argument(help="Records: JSON Lines, a JSON array, a folder of records, Turtle.")],
        out: Annotated[Path, typer.Option("--out", "-o", help="Results file: JSON Lines (a CSV summary goes next to it), or .parquet for one typed row per record.")],
        resume: Annotated[bool, typer.Option("--resume", help="Continue an interrupted run (keeps its complete lines).")] = False,
        jobs: Annotated[int | None, typer.Option("--jobs", "-j", help="Worker processes (default: one per core).")] = None,
        jurisdiction: Annotated[str | None, typer.Option("--jurisdiction", help="US or EU.")] = None,
        chunk_size: Annotated[int, typer.Option("--chunk-size", help="Records reasoned over together.")] = 50,
        shard: Annotated[str | None, typer.Option("--shard", help="i/n: only records i, i+n, ... (for n machines).")] = None,
        progress: Annotated[bool, typer.Option("--progress/--no-progress", help="Show a progress bar.")] = True,
        summary_json: Annotated[bool, typer.Option("--json", help="Print the final tally as JSON.")] = False,
    ) -> None:
        """Reason over a whole cohort: one result per input record, in input order (JSON Lines + CSV, or Parquet)."""
        from rich.console import Console

        from reasoner.batch import run_batch
        from reasoner.cli import EXIT_INVALID, EXIT_OUT_OF_SCOPE, _fail

        console = Console(stderr=True, soft_wrap=True)
        try:
            summary = run_batch(cohort, out, resume=resume, jobs=jobs, chunk_size=chunk_size,
                                jurisdiction=jurisdiction, progress=progress, shard=shard)
        except Exception as exc:  # noqa: BLE001 - one-line errors by default
            _fail(exc)
            return
        if summary_json:
            typer.echo(json.dumps(summary.to_dict(), indent=2, ensure_ascii=False))
        else:
            rate = summary.processed / summary.seconds if summary.seconds else 0.0
            console.print(
                f"{summary.total} records: ok {summary.ok}, invalid {summary.invalid}, "
                f"out_of_scope {summary.out_of_scope}"
                + (f" (resumed after {summary.resumed})" if summary.resumed else "")
                + (f"; {summary.unprocessable} could not be processed" if summary.unprocessable else "")
                + f"; {summary.seconds:.1f} s, {rate:.0f} records/s on {summary.jobs} job(s)", highlight=False)
            console.print(f"results: {summary.out_path}"
                          + (f"\nsummary: {summary.csv_path}" if summary.csv_path else ""), highlight=False)
            if summary.duplicates:
                console.print(f"[yellow]{len(summary.duplicates)} duplicate patient id(s):[/yellow]")
                for pid, keys in list(summary.duplicates.items())[:20]:
                    console.print(f"  {pid}: {', '.join(keys)}", highlight=False, markup=False)
        if summary.invalid:
            raise typer.Exit(EXIT_INVALID)
        if summary.out_of_scope:
            raise typer.Exit(EXIT_OUT_OF_SCOPE)

    @app.command()
    def serve(
        data: Annotated[list[Path] | None, typer.Option("--data", help="Cohort to load (records, any input format).")] = None,
        host: Annotated[str, typer.Option("--host", help="Address to bind (loopback by default).")] = "127.0.0.1",
        port: Annotated[int, typer.Option("--port", help="Port.")] = 7878,
        writable: Annotated[bool, typer.Option("--writable", help="Accept SPARQL Update (oxigraph serve).")] = False,
        location: Annotated[Path | None, typer.Option("--location", help="Store directory (default: a temporary one).")] = None,
    ) -> None:
        """Serve the knowledge base + the cohort + everything inferred for it as a SPARQL endpoint."""
        from rich.console import Console

        from reasoner.batch import Unreadable, iter_inputs
        from reasoner.cli import _fail
        from reasoner.serve import export_store, start_server

        console = Console(stderr=True, soft_wrap=True)
        proc = None
        try:
            records = [raw for _, raw in iter_inputs(data)] if data else []
            records = [r for r in records if not isinstance(r, Unreadable)]
            where = location or Path(tempfile.mkdtemp(prefix="her2neg-store-"))
            counts = export_store(where, records)
            proc = start_server(where, host=host, port=port, writable=writable)
            console.print(f"SPARQL endpoint: http://{host}:{port}/query"
                          + (f" (update: http://{host}:{port}/update)" if writable else " (read-only)"), highlight=False)
            console.print(f"store {where}: {counts['kb_triples']} knowledge-base triples (graph urn:her2neg:kb), "
                          f"{counts['patient_triples']} patient triples (graph urn:her2neg:patients) from "
                          f"{len(records)} records. Ctrl-C stops.", highlight=False)
            proc.wait()
        except KeyboardInterrupt:
            pass
        except Exception as exc:  # noqa: BLE001
            _fail(exc)
        finally:
            if proc is not None and proc.poll() is None:
                proc.terminate()
                proc.wait(timeout=10)
