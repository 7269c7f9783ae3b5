"""Screen a cohort with Apache Spark: JSON Lines in, Parquet out (the schema of ``her2neg batch``).

    pip install 'her2neg-reasoner[spark]'
    python examples/spark/screen_cohort.py cohort.jsonl results.parquet              # local[2]
    python examples/spark/screen_cohort.py cohort.jsonl results.parquet --master local[*]
    spark-submit examples/spark/screen_cohort.py s3a://bucket/cohort/ s3a://bucket/results/   # a cluster

Each line of the input is one patient record (the input contract); lines that are not records
become rows with status ``invalid``. The output is a Parquet dataset (a folder of part files) with
one row per non-blank input line: ``input`` is ``<file>#<row id>`` (Spark's
``monotonically_increasing_id``: unique and increasing, not the line number). See ``docs/scale-out.md``.
"""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("cohort", help="JSON Lines file or folder (any path Spark reads)")
    ap.add_argument("out", help="Parquet output folder")
    ap.add_argument("--master", default=None, help="Spark master (default: local[2], or spark-submit's)")
    ap.add_argument("--jurisdiction", choices=["US", "EU"], default=None)
    ap.add_argument("--partitions", type=int, default=None, help="repartition the input first")
    args = ap.parse_args(argv)

    from pyspark.sql import SparkSession
    from pyspark.sql import functions as F

    from reasoner.spark import local_session, screen

    active = SparkSession.getActiveSession()
    if active is not None:
        spark = active
    elif args.master is None and "SPARK_ENV_LOADED" in __import__("os").environ:  # under spark-submit
        spark = SparkSession.builder.appName("her2neg-screen").getOrCreate()
    else:
        spark = local_session(args.master or "local[2]")

    lines = spark.read.text(args.cohort).select(
        F.concat(F.input_file_name(), F.lit("#"), F.monotonically_increasing_id().cast("string")).alias("input"),
        "value",
    ).where(F.trim("value") != "")
    if args.partitions:
        lines = lines.repartition(args.partitions)
    results = screen(lines, json_column="value", input_column="input", jurisdiction=args.jurisdiction)
    results.write.mode("overwrite").parquet(args.out)
    tally = {r["status"]: r["count"] for r in spark.read.parquet(args.out).groupBy("status").count().collect()}
    print(f"{sum(tally.values())} records: " + ", ".join(f"{k} {v}" for k, v in sorted(tally.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
