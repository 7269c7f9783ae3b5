"""The cohort fixtures of the batch tests, shared with the Spark tests."""

from tests.batch.conftest import cohort_file, cohort_lines  # noqa: F401
