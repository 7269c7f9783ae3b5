"""The body of ``her2neg recommend``, shared by the typer command (:mod:`reasoner.cli.commands`) and the
lean start of :func:`reasoner.cli.main`, which runs a plain ``her2neg recommend FILE...`` without
building the typer command tree (typer and pydantic are most of a cold start's imports).

Nothing here imports typer: the result is an exit code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reasoner.cli.common import EXIT_INVALID, EXIT_OUT_OF_SCOPE, error_exit_code, out
from reasoner.textsafe import json_dumps, one_line

__all__ = ["FORMATS", "RECOMMEND_CHUNK", "run_recommend"]

RECOMMEND_CHUNK = 200  # records reasoned over together by `recommend` (output streamed per chunk)
FORMATS = ("table", "json", "turtle")


def _write(text: str) -> None:
    """Machine-readable output (JSON, Turtle) written as is: no markup, emoji or wrapping pass."""
    out.file.write(text + "\n")


def _load(path: Path) -> list[tuple[str, Any]]:
    from reasoner.ingest.reader import load_inputs

    return load_inputs(path)


def _kb():
    import reasoner

    return reasoner._default()


def _status_exit(statuses: list[str]) -> int:
    if "invalid" in statuses:
        return EXIT_INVALID
    if "out_of_scope" in statuses:
        return EXIT_OUT_OF_SCOPE
    return 0


def run_recommend(files: list[Path], format: str, jurisdiction: str | None, all_: bool) -> int:
    """Treatment options for each patient of the files, printed; the exit code (``format`` is one
    of :data:`FORMATS`, checked by the caller)."""
    try:
        kb = _kb()
        jurisdiction = kb.jurisdiction(jurisdiction)
        inputs = [item for path in files for item in _load(path)]
        records = [raw for _, raw in inputs]
        if format == "turtle":
            statuses = []
            for raw in records:
                graph, result = kb.engine.patient_graph(raw)
                statuses.append(result.status)
                _write(f"# {one_line(result.patient)}: status {result.status}")
                _write(graph.serialize(format="turtle"))
            return _status_exit(statuses)
        from reasoner.cli.render import render_result

        # In chunks, printed as they are done: memory does not grow with the number of records.
        statuses = []
        many = len(records) > 1
        if format == "json" and many:
            _write("[")
        for start in range(0, len(records), RECOMMEND_CHUNK):
            chunk = records[start:start + RECOMMEND_CHUNK]
            results = kb.recommend_many(chunk, jurisdiction=jurisdiction)
            for i, result in enumerate(results, start=start):
                statuses.append(result.status)
                if format == "json":
                    text = json_dumps(result.to_dict(), indent=2)
                    if many:  # exactly json.dumps(list, indent=2), one element at a time
                        text = "\n".join("  " + line for line in text.split("\n"))
                        text += "," if i < len(records) - 1 else ""
                    _write(text)
                else:
                    render_result(out, result, source=inputs[i][0], kb=kb, show_all=all_)
        if format == "json" and many:
            _write("]")
        return _status_exit(statuses)
    except Exception as exc:  # noqa: BLE001 - one-line errors by default
        return error_exit_code(exc)
