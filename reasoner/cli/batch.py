"""``her2neg batch`` (a cohort, nothing lost) and ``her2neg serve`` (a SPARQL endpoint).

Wired into the main app by ``register(app)`` at the end of :mod:`reasoner.cli.commands`.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from reasoner.textsafe import visible


def _sigterm_as_interrupt() -> None:
    """SIGTERM ends the command like Ctrl-C: its cleanup runs (workers stopped, lock and store removed)."""
    import signal
    import threading

    if threading.current_thread() is threading.main_thread():
        def handler(signum, frame):
            raise KeyboardInterrupt

        signal.signal(signal.SIGTERM, handler)


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
        from reasoner.cli.common import EXIT_INVALID, EXIT_OUT_OF_SCOPE
        from reasoner.cli.common import fail as _fail

        console = Console(stderr=True, soft_wrap=True, emoji=False)
        _sigterm_as_interrupt()
        try:
            summary = run_batch(cohort, out, resume=resume, jobs=jobs, chunk_size=chunk_size,
                                jurisdiction=jurisdiction, progress=progress, shard=shard)
        except KeyboardInterrupt:  # Ctrl-C or SIGTERM: workers are stopped, the lock removed
            console.print("interrupted: resume with --resume", highlight=False, markup=False)
            raise typer.Exit(130) from None
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
            console.print(f"results: {visible(summary.out_path)}"
                          + (f"\nsummary: {visible(summary.csv_path)}" if summary.csv_path else ""),
                          highlight=False, markup=False)
            if summary.duplicates:
                console.print(f"[yellow]{len(summary.duplicates)} duplicate patient id(s):[/yellow]")
                for pid, keys in list(summary.duplicates.items())[:20]:
                    console.print(f"  {visible(pid)}: {visible(', '.join(keys))}", highlight=False, markup=False)
        if summary.invalid:
            raise typer.Exit(EXIT_INVALID)
        if summary.out_of_scope:
            raise typer.Exit(EXIT_OUT_OF_SCOPE)

    @app.command()
    def serve(
        data: Annotated[list[Path] | None, typer.Option("--data", help="Cohort to load (records, any input format).")] = None,
        host: Annotated[str, typer.Option("--host", help="Address to bind (loopback by default).")] = "127.0.0.1",
        port: Annotated[int, typer.Option("--port", help="Port (an error if it is in use).")] = 7878,
        writable: Annotated[bool, typer.Option("--writable", help="Accept SPARQL Update (oxigraph serve).")] = False,
        location: Annotated[Path | None, typer.Option("--location", help="Store directory (default: a temporary one, removed on exit).")] = None,
        timeout: Annotated[float, typer.Option("--timeout", help="Seconds a query may run (0: no limit).")] = 30.0,
        max_memory_mb: Annotated[int, typer.Option("--max-memory-mb", help="Memory of the SPARQL server (MiB; 0: no limit).")] = 4096,
        max_result_mb: Annotated[int, typer.Option("--max-result-mb", help="Largest answer sent (MiB).")] = 256,
        allow_service: Annotated[bool, typer.Option("--allow-service", help="Allow federated SERVICE calls (off by default).")] = False,
    ) -> None:
        """Serve the knowledge base + the cohort + everything inferred for it as a SPARQL endpoint."""
        from rich.console import Console

        from reasoner.cli.common import fail as _fail
        from reasoner.ingest.reader import Unreadable, iter_inputs
        from reasoner.serve import export_store, start_server

        console = Console(stderr=True, soft_wrap=True, emoji=False)
        endpoint = None
        where = None
        _sigterm_as_interrupt()
        try:
            items = list(iter_inputs(data)) if data else []
            records = [raw for _, raw in items if not isinstance(raw, Unreadable)]
            for key, raw in items:  # never a silent drop
                if isinstance(raw, Unreadable):
                    console.print(f"not loaded: {visible(key)}: {visible(raw.message)}", highlight=False, markup=False)
            where = location or Path(tempfile.mkdtemp(prefix="her2neg-store-"))
            counts = export_store(where, records)
            endpoint = start_server(where, host=host, port=port, writable=writable, timeout=timeout or None,
                                    max_memory=max_memory_mb * 1024 * 1024 or None,
                                    max_result_bytes=max_result_mb * 1024 * 1024, allow_service=allow_service,
                                    remove_store=location is None)
            console.print(f"SPARQL endpoint: http://{host}:{port}/query"
                          + (f" (update: http://{host}:{port}/update)" if writable else " (read-only)")
                          + f"; queries stop after {timeout:g} s" + ("" if allow_service else "; SERVICE off"),
                          highlight=False, markup=False)
            console.print(f"store {visible(where)}: {counts['kb_triples']} knowledge-base triples (graph urn:her2neg:kb), "
                          f"{counts['patient_triples']} patient triples (graph urn:her2neg:patients) from "
                          f"{len(records)} records. Ctrl-C stops.", highlight=False, markup=False)
            endpoint.wait()
        except KeyboardInterrupt:
            pass
        except Exception as exc:  # noqa: BLE001
            _fail(exc)
        finally:
            if endpoint is not None:
                endpoint.stop()
            if location is None and where is not None:
                import shutil

                shutil.rmtree(where, ignore_errors=True)
