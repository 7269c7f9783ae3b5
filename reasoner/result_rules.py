"""Rules and texts of the result that are knowledge, read from the knowledge base when it loads.

- :class:`ForbiddenCombination` (``h2n:ForbiddenCombination``): drug classes never given together
  (endocrine therapy with chemotherapy). The engine excludes an option, or the continuation of the
  current regimen, that holds drugs of both sides.
- :class:`ResultText` (``h2n:ResultText``): the fixed texts of reasons and cautions the engine
  writes (a drug of the current regimen progressed on before; a drug stopped for toxicity).
- :class:`ValidationAdvice` (``h2n:ValidationAdvice``): advice for a record that is invalid
  because of a violation on a given property (``TEST_ISH`` when HER2 IHC 2+ lacks an ISH result).

All live in ``ontology/advice.ttl`` with their sources and are read through the named queries
``queries/kb/kb-forbidden-combinations.rq``, ``kb-result-texts.rq`` and ``kb-validation-advice.rq``.
Fail closed: a rule or text that is incomplete, or one the engine needs that is missing, refuses
the knowledge base (:class:`~reasoner.errors.KnowledgeBaseError`).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass

from reasoner.errors import KnowledgeBaseError
from reasoner.vocab import local_name

__all__ = ["ForbiddenCombination", "ResultText", "ValidationAdvice", "ResultRules", "load_result_rules",
           "REQUIRED_TEXTS", "REQUIRED_CODES"]

#: The result texts the engine writes, by key (skos:notation of an h2n:ResultText).
REQUIRED_TEXTS = ("current-drug-progressed", "stopped-for-toxicity", "progressed-on-drug",
                  "current-regimen-not-recommended", "history-incomplete", "criterion-not-evaluable",
                  "unknown-medication", "her2-positive-out-of-scope", "subtype-undetermined",
                  "locoregional-not-isolated", "contraindication-not-checked")

#: The result texts the engine writes with their code (h2n:reasonCode: a reason's or a warning's code):
#: the code is knowledge as much as the text, so a missing one refuses the knowledge base (no default).
REQUIRED_CODES = ("current-drug-progressed", "current-regimen-not-recommended", "history-incomplete",
                  "unknown-medication")


@dataclass(frozen=True)
class ForbiddenCombination:
    iri: str
    first: str  # drug class (local name) of one side
    first_except: frozenset[str]
    second: str
    second_except: frozenset[str]
    code: str
    text: str  # the reason for an option
    current_text: str  # the reason for not continuing the current regimen
    sources: tuple[str, ...]

    def broken_by(self, drugs: Iterable[str], classes: Callable[[str], Collection[str]]) -> bool:
        """Whether ``drugs`` hold a drug of each side (``classes(drug)``: its class local names)."""
        drugs = list(drugs)

        def side(cls: str, excepted: frozenset[str]) -> bool:
            return any(cls in (c := classes(d)) and not (excepted & set(c)) for d in drugs)

        return side(self.first, self.first_except) and side(self.second, self.second_except)


@dataclass(frozen=True)
class ResultText:
    iri: str
    key: str
    code: str | None
    template: str
    sources: tuple[str, ...]

    def text(self, **values: object) -> str:
        """The template with its ``{name}`` placeholders filled in."""
        out = self.template
        for name, value in values.items():
            out = out.replace("{" + name + "}", str(value))
        return out


@dataclass(frozen=True)
class ValidationAdvice:
    iri: str
    code: str
    text: str
    properties: frozenset[str]  # property IRIs
    sources: tuple[str, ...]


@dataclass(frozen=True)
class ResultRules:
    combinations: tuple[ForbiddenCombination, ...]
    texts: dict[str, ResultText]
    validation_advice: tuple[ValidationAdvice, ...]


def _group(rows: Iterable[dict], key: str) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        out[row[key]].append(row)
    return out


def _one(rows: list[dict], column: str, where: str, *, required: bool = True) -> str | None:
    values = {str(r[column]) for r in rows if r.get(column) is not None}
    if len(values) > 1:
        raise KnowledgeBaseError(f"{where}: {len(values)} values for {column}", hint="give it once")
    if not values and required:
        raise KnowledgeBaseError(f"{where}: {column} is missing", hint="see ontology/advice.ttl")
    return values.pop() if values else None


def _sources(rows: list[dict], where: str) -> tuple[str, ...]:
    sources = tuple(sorted({r["source"] for r in rows if r.get("source")}))
    if not sources:
        raise KnowledgeBaseError(f"{where} has no source (dcterms:source)",
                                 hint="every clinical statement carries its source")
    if not any(isinstance(r.get("currentTo"), dt.date) for r in rows):
        raise KnowledgeBaseError(f"{where} has no h2n:currentTo date",
                                 hint="every clinical statement carries the date it is current to")
    return sources


def load_result_rules(select: Callable[[str], list[dict]]) -> ResultRules:
    """Read the rules and texts; ``select(name)`` runs a named query of ``queries/kb/``."""
    combinations = []
    for iri, rows in sorted(_group(select("kb-forbidden-combinations"), "c").items()):
        where = f"forbidden combination {iri}"
        combinations.append(ForbiddenCombination(
            iri=iri,
            first=local_name(_one(rows, "first", where)),
            first_except=frozenset(local_name(r["firstExcept"]) for r in rows if r.get("firstExcept")),
            second=local_name(_one(rows, "second", where)),
            second_except=frozenset(local_name(r["secondExcept"]) for r in rows if r.get("secondExcept")),
            code=_one(rows, "code", where), text=_one(rows, "text", where),
            current_text=_one(rows, "currentText", where), sources=_sources(rows, where)))
    if not combinations:
        raise KnowledgeBaseError("the knowledge base defines no h2n:ForbiddenCombination",
                                 hint="endocrine therapy is never combined with chemotherapy: ontology/advice.ttl")
    texts: dict[str, ResultText] = {}
    for iri, rows in sorted(_group(select("kb-result-texts"), "t").items()):
        where = f"result text {iri}"
        key = _one(rows, "key", where)
        if key in texts:
            raise KnowledgeBaseError(f"two result texts have the key {key!r}")
        texts[key] = ResultText(iri, key, _one(rows, "code", where, required=False),
                                _one(rows, "template", where), _sources(rows, where))
    for key in REQUIRED_TEXTS:
        if key not in texts:
            raise KnowledgeBaseError(f"result text {key!r} is missing from the knowledge base",
                                     hint="ontology/advice.ttl defines it; the engine has no default")
    for key in REQUIRED_CODES:
        if texts[key].code is None:
            raise KnowledgeBaseError(f"result text {key!r} has no code (h2n:reasonCode)",
                                     hint="ontology/advice.ttl gives it; the engine has no default")
    advice = []
    for iri, rows in sorted(_group(select("kb-validation-advice"), "a").items()):
        where = f"validation advice {iri}"
        properties = frozenset(r["property"] for r in rows if r.get("property"))
        if not properties:
            raise KnowledgeBaseError(f"{where} names no property (h2n:onViolationOf)")
        advice.append(ValidationAdvice(iri, _one(rows, "code", where), _one(rows, "text", where), properties,
                                       _sources(rows, where)))
    return ResultRules(tuple(combinations), texts, tuple(advice))
