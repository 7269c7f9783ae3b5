"""her2neg-reasoner: treatment options for HER2-negative breast cancer, with reasons.

Two one-call functions for the common case, and one object for control::

    >>> import reasoner
    >>> record = {
    ...     "id": "pt-1", "as_of": "2026-11-01", "sex": "female", "age": 68,
    ...     "menopausal_status": "postmenopausal", "setting": "metastatic",
    ...     "receptors": {"er_percent": 95, "pr_percent": 40, "her2_ihc": "1+", "specimen": "metastasis"},
    ...     "metastatic": {"diagnosis_date": "2026-10-01", "de_novo": True, "sites": ["bone"]},
    ... }
    >>> result = reasoner.recommend(record)
    >>> str(result.status), result.classification["subtype"], result.classification["her2_category"]
    ('ok', 'HR+/HER2-', 'HER2-low')
    >>> any({"letrozole", "palbociclib"} <= set(d for c in o.components for d in c.drugs) for o in result.options)
    True
    >>> reasoner.validate({"id": "x"}).ok
    False

For many patients, load the knowledge base once and reuse it::

    >>> kb = reasoner.KnowledgeBase.load()
    >>> [str(r.status) for r in kb.recommend_many([record, {**record, "id": "pt-2"}])]
    ['ok', 'ok']

The result supports, and does not replace, clinical judgement.
"""

from __future__ import annotations

import importlib
import threading
from typing import TYPE_CHECKING, Any

from reasoner.errors import (
    BackendError,
    FhirError,
    InputError,
    KnowledgeBaseError,
    QueryError,
    ReasonerError,
    UsageError,
)

__all__ = [
    "DISCLAIMER",
    "BackendError",
    "FhirError",
    "Finding",
    "InputError",
    "KnowledgeBase",
    "KnowledgeBaseError",
    "QueryError",
    "ReasonerError",
    "Result",
    "Severity",
    "UsageError",
    "ValidationOutcome",
    "__version__",
    "recommend",
    "validate",
]

__version__ = "0.1.0"

if TYPE_CHECKING:
    from reasoner.result import Result
    from reasoner.validation import ValidationOutcome

#: Names imported on first use (PEP 562), so that ``import reasoner`` (and every command that does
#: not reason, ``her2neg --help`` included) does not load the knowledge-base code and rdflib.
_LAZY = {
    "DISCLAIMER": "reasoner.result",
    "Result": "reasoner.result",
    "Finding": "reasoner.validation",
    "Severity": "reasoner.validation",
    "ValidationOutcome": "reasoner.validation",
    "validate_record": "reasoner.validation",
}


def _knowledge_base_class() -> type:
    from reasoner.kb import KnowledgeBase as _KnowledgeBase

    class KnowledgeBase(_KnowledgeBase):
        """The knowledge base loaded once, with the pipeline on top (the control object)."""

        _engine = None

        @property
        def engine(self):
            if self._engine is None:
                from reasoner.engine import Engine

                self._engine = Engine(self)
            return self._engine

        def recommend(self, record: Any, *, jurisdiction: str | None = None) -> Result:
            """The result for one patient record (a dict per the patient-record contract)."""
            return self.engine.run([record], jurisdiction=jurisdiction)[0]

        def recommend_many(self, records: list[Any], *, jurisdiction: str | None = None) -> list[Result]:
            """Results for many records, in input order; queries run once for the whole batch."""
            return self.engine.run(records, jurisdiction=jurisdiction)

        def validate(self, record: Any) -> ValidationOutcome:
            """Validate a record without reasoning over it."""
            from reasoner.validation import validate_record

            return validate_record(record)

    KnowledgeBase.__qualname__ = "KnowledgeBase"  # reasoner.KnowledgeBase, as pickle and docs name it
    return KnowledgeBase


_LOCK = threading.Lock()


def __getattr__(name: str) -> Any:
    if name == "KnowledgeBase":
        with _LOCK:  # one class, whichever thread asks first
            if "KnowledgeBase" in globals():
                return globals()["KnowledgeBase"]
            value = globals()["KnowledgeBase"] = _knowledge_base_class()
        return value
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
    elif name.startswith("__"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    else:
        try:  # a submodule not imported yet (``reasoner.kb`` after a bare ``import reasoner``)
            value = importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
        return value
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__) | set(_LAZY))


_DEFAULT: Any = None


def _default():
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = __getattr__("KnowledgeBase").load()
    return _DEFAULT


def recommend(record: Any, *, jurisdiction: str | None = None) -> Result:
    """Treatment options for one patient record, with reasons, exclusions, advice and warnings.

    ``jurisdiction`` (``"US"`` or ``"EU"``) keeps only options approved or guideline-endorsed there.
    """
    return _default().recommend(record, jurisdiction=jurisdiction)


def validate(record: Any) -> ValidationOutcome:
    """Validate one patient record; ``.ok`` is False when a violation blocks reasoning."""
    from reasoner.validation import validate_record

    return validate_record(record)
