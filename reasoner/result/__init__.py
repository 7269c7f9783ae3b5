"""Step 6 of the pipeline: the typed result and its renderings."""

from reasoner.result.model import (
    DISCLAIMER,
    Advice,
    Excluded,
    Option,
    OptionComponent,
    Reason,
    Result,
    ValidationEntry,
    Warning,
)

__all__ = [
    "DISCLAIMER",
    "Advice",
    "Excluded",
    "Option",
    "OptionComponent",
    "Reason",
    "Result",
    "ValidationEntry",
    "Warning",
]
