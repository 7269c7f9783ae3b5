"""The result contract (``shared/spec/recommendation.md``) as typed, frozen values."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, TypedDict

from reasoner.validation.findings import Severity

try:  # a C JSON encoder: the batch path serialises ~20 KB per result
    import orjson as _orjson
except ImportError:  # pragma: no cover - orjson is a dependency; this keeps imports working without it
    _orjson = None

__all__ = [
    "DISCLAIMER",
    "Status",
    "ReasonCode",
    "Severity",
    "Evidence",
    "Approval",
    "Reason",
    "OptionComponent",
    "Option",
    "Excluded",
    "Advice",
    "ResultWarning",
    "ValidationEntry",
    "Result",
    "Explanation",
    "RuleExplanation",
    "CriterionExplanation",
    "ContraindicationExplanation",
]

DISCLAIMER = (
    "Decision support only: it supports, and does not replace, the judgement of the treating "
    "clinician and the multidisciplinary team."
)


class Status(str, Enum):
    """The result's ``status`` (the contract): a ``str``, so ``result.status == "ok"`` holds."""

    OK = "ok"
    INVALID = "invalid"
    OUT_OF_SCOPE = "out_of_scope"

    def __str__(self) -> str:
        return self.value


class ReasonCode(str, Enum):
    """Why an option is not offered (the contract's reason codes); any other code is an error."""

    CONTRAINDICATION = "CONTRAINDICATION"
    PRIOR_PROGRESSION = "PRIOR_PROGRESSION"
    MISSING_DATA = "MISSING_DATA"
    NOT_PREFERRED = "NOT_PREFERRED"
    CRITERION_NOT_MET = "CRITERION_NOT_MET"

    def __str__(self) -> str:
        return self.value


_REASON_CODES = ReasonCode._value2member_map_
_STATUSES = Status._value2member_map_
_SEVERITIES = Severity._value2member_map_


class _Record(Mapping):
    """A frozen dataclass that also reads as the contract's JSON object (``item["trial"]``,
    ``item.get("date")``, ``dict(item)``): its keys are its fields, in the contract's order."""

    __slots__ = ()

    def __getitem__(self, key: str) -> Any:
        if key in self.__dataclass_fields__:
            return getattr(self, key)
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter(self.__dataclass_fields__)

    def __len__(self) -> int:
        return len(self.__dataclass_fields__)

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass(frozen=True, eq=True)
class Evidence(_Record):
    """One piece of evidence behind an option: the source, the trial and the evidence level."""

    source: str | None
    trial: str | None
    level: str | None



@dataclass(frozen=True, eq=True)
class Approval(_Record):
    """The regulatory status of an option's indication with one agency (FDA, EMA)."""

    agency: str | None
    status: str | None
    date: str | None


@dataclass(frozen=True)
class Reason:
    code: ReasonCode
    text: str

    def __post_init__(self) -> None:
        code = _REASON_CODES.get(self.code)
        if code is None:  # fail closed: a reason the contract does not know is a programming error
            raise ValueError(f"unknown reason code {self.code!r}; expected one of {sorted(_REASON_CODES)}")
        object.__setattr__(self, "code", code)

    def to_dict(self) -> dict:
        return {"code": self.code, "text": self.text}


class OptionComponent:
    """One component of an option (role, drugs, dosing): immutable, compared by value.

    A plain slotted class rather than a dataclass, because its JSON leaves ``dosing`` out when
    there is none: :meth:`Result.to_json` lets orjson serialise every dataclass natively and
    calls :meth:`to_dict` only for components.
    """

    __slots__ = ("role", "drugs", "dosing")

    def __init__(self, role: str, drugs: tuple[str, ...], dosing: str | None = None):
        object.__setattr__(self, "role", role)
        object.__setattr__(self, "drugs", drugs)
        object.__setattr__(self, "dosing", dosing)

    def __setattr__(self, name, value):
        raise AttributeError(f"OptionComponent is immutable (cannot set {name!r})")

    def __delattr__(self, name):
        raise AttributeError(f"OptionComponent is immutable (cannot delete {name!r})")

    def _key(self) -> tuple:
        return (self.role, self.drugs, self.dosing)

    def __eq__(self, other: object) -> bool:
        return self._key() == other._key() if isinstance(other, OptionComponent) else NotImplemented

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return f"OptionComponent(role={self.role!r}, drugs={self.drugs!r}, dosing={self.dosing!r})"

    def __reduce__(self):
        return (OptionComponent, self._key())

    def to_dict(self) -> dict:
        out: dict[str, Any] = {"role": self.role, "drugs": list(self.drugs)}
        if self.dosing:
            out["dosing"] = self.dosing
        return out


@dataclass(frozen=True)
class Option:
    id: str
    label: str
    intent: str
    line: int | None
    preference: str
    components: tuple[OptionComponent, ...]
    rationale: tuple[str, ...]
    evidence: tuple[Evidence, ...]
    approvals: tuple[Approval, ...]
    cautions: tuple[str, ...]
    recommendation_code: str | None = None
    regimen: str | None = None
    continue_current: bool = False  # the regimen she is on now, continued (not a new treatment)

    @property
    def drugs(self) -> tuple[str, ...]:
        return tuple(sorted({d for c in self.components for d in c.drugs}))

    def to_dict(self) -> dict:
        out = {
            "id": self.id,
            "label": self.label,
            "intent": self.intent,
            "line": self.line,
            "preference": self.preference,
            "components": [c.to_dict() for c in self.components],
            "rationale": list(self.rationale),
            "evidence": [e.to_dict() for e in self.evidence],
            "approvals": [a.to_dict() for a in self.approvals],
            "cautions": list(self.cautions),
            "recommendation_code": self.recommendation_code,
            "regimen": self.regimen,
        }
        if self.continue_current:  # the contract: options without the key are new treatments
            out["continue_current"] = True
        return out


@dataclass(frozen=True)
class Excluded:
    id: str
    label: str
    drugs: tuple[str, ...]
    reasons: tuple[Reason, ...]

    def to_dict(self) -> dict:
        return {"id": self.id, "label": self.label, "drugs": list(self.drugs),
                "reasons": [r.to_dict() for r in self.reasons]}


@dataclass(frozen=True)
class Advice:
    code: str
    text: str

    def to_dict(self) -> dict:
        return {"code": self.code, "text": self.text}


@dataclass(frozen=True)
class ResultWarning:
    """A problem found in the record itself (the contract's ``warnings``); named so that it does
    not shadow the builtin ``Warning``."""

    code: str
    text: str

    def to_dict(self) -> dict:
        return {"code": self.code, "text": self.text}


@dataclass(frozen=True)
class ValidationEntry:
    severity: Severity
    path: str
    message: str

    def __post_init__(self) -> None:
        severity = _SEVERITIES.get(self.severity)
        if severity is None:
            raise ValueError(f"unknown severity {self.severity!r}; expected one of {sorted(_SEVERITIES)}")
        object.__setattr__(self, "severity", severity)

    def to_dict(self) -> dict:
        return {"severity": self.severity, "path": self.path, "message": self.message}


@dataclass(frozen=True)
class Result:
    """What :func:`reasoner.recommend` returns; ``to_dict()`` is the contract's JSON."""

    patient: str | None
    status: Status
    knowledge_base: dict
    classification: dict
    options: tuple[Option, ...] = ()
    excluded: tuple[Excluded, ...] = ()
    advice: tuple[Advice, ...] = ()
    warnings: tuple[ResultWarning, ...] = ()
    validation: tuple[ValidationEntry, ...] = ()
    jurisdiction: str | None = None
    disclaimer: str = field(default=DISCLAIMER)

    def __post_init__(self) -> None:
        status = _STATUSES.get(self.status)
        if status is None:
            raise ValueError(f"unknown status {self.status!r}; expected one of {sorted(_STATUSES)}")
        object.__setattr__(self, "status", status)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def to_json(self) -> bytes:
        """The contract's JSON as compact UTF-8 bytes: ``to_dict()`` serialised, ~10x faster.

        Options (whose JSON leaves out keys they do not use) go through :meth:`Option.to_dict`;
        the bulk (exclusions with their reasons, advice, warnings, findings) are frozen dataclasses
        whose fields are declared in the contract's key order, which orjson writes natively.
        ``tests/result/test_serialisation.py`` holds the bytes equal to ``orjson.dumps(to_dict())``.
        """
        if _orjson is None:  # pragma: no cover
            import json

            return json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        return _orjson.dumps({
            "patient": self.patient,
            "status": self.status,
            "knowledge_base": self.knowledge_base,
            "classification": self.classification,
            "options": [o.to_dict() for o in self.options],
            "excluded": self.excluded,
            "advice": self.advice,
            "warnings": self.warnings,
            "validation": self.validation,
            "jurisdiction": self.jurisdiction,
            "disclaimer": self.disclaimer,
        }, default=_component)

    def to_dict(self) -> dict:
        return {
            "patient": self.patient,
            "status": self.status,
            "knowledge_base": dict(self.knowledge_base),
            "classification": dict(self.classification),
            "options": [o.to_dict() for o in self.options],
            "excluded": [e.to_dict() for e in self.excluded],
            "advice": [a.to_dict() for a in self.advice],
            "warnings": [w.to_dict() for w in self.warnings],
            "validation": [v.to_dict() for v in self.validation],
            "jurisdiction": self.jurisdiction,
            "disclaimer": self.disclaimer,
        }


class CriterionExplanation(TypedDict):
    """One eligibility criterion of a recommendation and how this patient stands on it."""

    criterion: str
    status: str  # met, not_met, unknown, or "assumed" (unknown, read as absent with a caution)
    text: str


class RuleExplanation(TypedDict):
    """One recommendation that contains the drug, and whether it was offered."""

    id: str
    label: str
    offered: bool
    criteria: list[CriterionExplanation]


class ContraindicationExplanation(TypedDict):
    action: str
    type: str
    text: str


class Explanation(TypedDict, total=False):
    """What :meth:`reasoner.Engine.explain` returns: why a drug is or is not offered."""

    patient: str | None
    drug: str
    status: str
    rules: list[RuleExplanation]
    contraindications: list[ContraindicationExplanation]
    prior_progression: bool
    offered_in: list[str]


def _component(obj: Any) -> Any:
    if isinstance(obj, OptionComponent):
        return obj.to_dict()
    raise TypeError(f"{type(obj).__name__} is not part of the result contract")


def __getattr__(name: str) -> Any:
    if name == "Warning":  # the 0.1 name, kept for callers; it shadowed the builtin
        import warnings

        warnings.warn("reasoner.result.Warning is now ResultWarning", DeprecationWarning, stacklevel=2)
        return ResultWarning
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
