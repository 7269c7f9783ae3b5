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

from typing import Any

from reasoner.errors import (
    BackendError,
    FhirError,
    InputError,
    KnowledgeBaseError,
    QueryError,
    ReasonerError,
    UsageError,
)
from reasoner.kb import KnowledgeBase as _KnowledgeBase
from reasoner.result import DISCLAIMER, Result
from reasoner.validation import Finding, Severity, ValidationOutcome, validate_record

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
        return validate_record(record)


_DEFAULT: KnowledgeBase | None = None


def _default() -> KnowledgeBase:
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = KnowledgeBase.load()
    return _DEFAULT


def recommend(record: Any, *, jurisdiction: str | None = None) -> Result:
    """Treatment options for one patient record, with reasons, exclusions, advice and warnings.

    ``jurisdiction`` (``"US"`` or ``"EU"``) keeps only options approved or guideline-endorsed there.
    """
    return _default().recommend(record, jurisdiction=jurisdiction)


def validate(record: Any) -> ValidationOutcome:
    """Validate one patient record; ``.ok`` is False when a violation blocks reasoning."""
    return validate_record(record)
