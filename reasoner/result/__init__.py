"""Step 6 of the pipeline: the typed result and its renderings."""

from typing import Any

from reasoner.result.model import (
    DISCLAIMER,
    Advice,
    Approval,
    Evidence,
    Excluded,
    Option,
    OptionComponent,
    Reason,
    ReasonCode,
    Result,
    ResultWarning,
    Severity,
    Status,
    ValidationEntry,
)

__all__ = [
    "DISCLAIMER",
    "Advice",
    "Approval",
    "Evidence",
    "Excluded",
    "Option",
    "OptionComponent",
    "Reason",
    "ReasonCode",
    "Result",
    "ResultWarning",
    "Severity",
    "Status",
    "ValidationEntry",
]


def __getattr__(name: str) -> Any:
    if name == "Warning":  # the 0.1 name, kept for callers; it shadowed the builtin
        from reasoner.result import model

        return model.__getattr__(name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
