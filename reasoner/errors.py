"""One exception hierarchy for every domain problem.

Results (including validation findings) are values, not exceptions: an invalid patient record
gives a result with status ``invalid``. Exceptions are for problems that stop the work itself
(a file that cannot be read, a knowledge base that does not load, a query that does not exist).
Every message says where (file, line, IRI or field path) and what to do.
"""

from __future__ import annotations

__all__ = [
    "ReasonerError",
    "UsageError",
    "InputError",
    "FhirError",
    "KnowledgeBaseError",
    "QueryError",
    "BackendError",
    "OutputError",
]


class ReasonerError(Exception):
    """Base class of every error raised by :mod:`reasoner`."""

    exit_code = 1

    def __init__(self, message: str, *, where: str | None = None, hint: str | None = None):
        self.message = message
        self.where = where
        self.hint = hint
        text = f"{where}: {message}" if where else message
        if hint:
            text = f"{text} ({hint})"
        super().__init__(text)


class UsageError(ReasonerError):
    """A call with a value the API or the command does not take (an unknown jurisdiction, evaluator...)."""

    exit_code = 2


class InputError(ReasonerError):
    """An input file or document cannot be read at all (not JSON, not Turtle, not UTF-8, empty)."""

    exit_code = 3


class FhirError(InputError):
    """A FHIR resource is malformed; ``where`` names the resource and element."""


class KnowledgeBaseError(ReasonerError):
    """The ontology, shapes or queries shipped with the package cannot be loaded."""

    exit_code = 4


class QueryError(ReasonerError):
    """A named query does not exist, or its parameters are wrong."""

    exit_code = 5


class BackendError(ReasonerError):
    """A triple store or SPARQL endpoint failed to answer."""

    exit_code = 6


class OutputError(ReasonerError):
    """Results cannot be written (disk full, read-only file system, a folder where a file goes)."""

    exit_code = 7
