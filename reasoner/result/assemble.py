"""Step 6 of the pipeline: one patient's result assembled from the rows the queries derived.

Pure with respect to the patient: :meth:`Assembler.assemble` reads the prepared record (its
inference) and the rows of the eligibility and warning queries, and the loaded knowledge base
(rules, regimens, criteria, texts); it writes nothing but the :class:`~reasoner.result.Result`.
The only state is a memo of criteria outcomes per (rule, statuses, jurisdiction, unknown facets).
"""

from __future__ import annotations

import functools
import itertools
import operator
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from reasoner.inference import Inference
from reasoner.query.fastpath import NOT_CHECKED, STATUSES_BY_RULE, contraindication_text
from reasoner.result.model import (
    Advice,
    Excluded,
    Option,
    OptionComponent,
    Reason,
    Result,
    ResultWarning,
    ValidationEntry,
)
from reasoner.vocab import local_name

if TYPE_CHECKING:  # the knowledge base and the engine come later in the pipeline; types only
    from reasoner.engine import PreparedRecord as _Prepared
    from reasoner.kb import KnowledgeBase, Rule

__all__ = ["Assembler", "WARNING_QUERIES"]

#: The warning queries whose rows become the result's warnings (``queries/warnings``), in this order.
WARNING_QUERIES = (
    "current-regimen-contraindicated",
    "et-chemo-combination",
    "tumor-marker-only-progression",
    "continuing-after-progression",
    "er-low",
    "current-et-chemo-warning",
)

_STATUS_FIELDS = operator.itemgetter("rule", "criterion", "status")

_NONE: frozenset[str] = frozenset()


class Assembler:
    """Assembles results against one loaded knowledge base."""

    def __init__(self, kb: KnowledgeBase):
        self.kb = kb
        # Memos of pure functions of the (fixed) knowledge base and their key; each bounded.
        self._outcomes: dict[tuple, tuple] = {}  # _criteria_outcome
        self._exclusions: dict[tuple, Excluded] = {}  # a rule excluded by its criteria alone
        self._resistances: dict[tuple, tuple] = {}  # _resistance
        self._forbidden: dict[frozenset, Any] = {}  # _forbidden_combination
        self._unchecked: dict[frozenset, tuple] = {}  # _not_checked
        self._unchecked_cautions: dict[tuple, list[str]] = {}  # _unchecked_caution
        self._ranks = {rule.id: rule.rank for iri, rule in kb.rules.items() if kb.term(rule.id) == iri}
        #: the facets whose unknown-caution text ({missing}) a rule's criteria can name: the only
        #: unknown facets its outcome depends on (Criterion.caution_for)
        self._rule_facets = {}
        for rule_iri, criteria in kb.rule_criteria.items():
            facets = frozenset(facet for c in criteria if c in kb.criteria
                               and "{missing}" in (kb.criteria[c].unknown_caution or "")
                               for _, facet in kb.criteria[c].state_facets)
            if facets:
                self._rule_facets[rule_iri] = facets
        #: the drugs of each rule's regimen
        self._rule_drugs = {iri: frozenset(kb.regimens[rule.regimen].drugs) for iri, rule in kb.rules.items()
                            if rule.regimen in kb.regimens}
        #: the rules with a criterion that depends on the treatment history
        self._history_rules = frozenset(r for r, cs in kb.rule_criteria.items() if cs & kb.history_criteria)
        #: the rules whose option continues the current regimen, in rank order
        self._continuing = sorted((iri for iri, rule in kb.rules.items() if rule.continues_current),
                                  key=lambda i: (kb.rules[i].rank, i))

    def kb_info(self, source_iris: Iterable[str]) -> dict:
        labels = sorted({self.kb.sources.get(s, s) for s in source_iris})
        return {"version": self.kb.release, "sources": labels}

    def assemble(self, p: _Prepared, rows: dict[str, list], jurisdiction: str | None) -> Result:
        kb = self.kb
        inf = p.inference
        assert inf is not None and p.record is not None
        resistant, resistance_cautions, resistance_sources = self._resistance(inf)

        contraindication_rows = sorted(
            rows.get("contraindicated-drugs", []),
            key=lambda r: (r["contraindication"], r["drug"], str(r.get("trigger")), str(r.get("value"))),
        )
        blocked, cautioned, cited = self._contraindications(contraindication_rows)
        unchecked = self._not_checked(rows.get(NOT_CHECKED, []), cited)
        in_scope = {r["rule"] for r in rows.get("rules-in-scope", [])}
        statuses = _statuses_by_rule(rows)

        options: list[Option] = []
        excluded: list[Excluded] = []
        advice: dict[str, Advice] = {a.code: a for a in p.extra_advice}
        removed: dict[str, list[Reason]] = defaultdict(list)
        lowered_ids: set[str] = set()
        cited.update(resistance_sources)

        # The current regimen first: while it works, it supersedes new regimens (h2n:supersedesIntent).
        continuing: Rule | None = None
        for rule_iri in self._continuing if inf.current_drugs else ():  # nothing to continue: not applicable
            if rule_iri not in in_scope:
                continue
            rule = kb.rules[rule_iri]
            endorsement = self._endorsement(inf.current_drugs, in_scope, statuses)
            option, reasons = self._continue_option(rule, inf, statuses.get(rule_iri, ()), blocked, cautioned,
                                                   jurisdiction, endorsement, unchecked)
            cited.update(rule.sources)
            if option is None:
                excluded.append(Excluded(rule.id, rule.label, inf.current_drugs, tuple(_dedupe(reasons))))
            elif continuing is None:
                options.append(option)
                continuing = rule

        exclusions = self._exclusions
        # An exclusion by the criteria alone was memoised with its key; it stands as it is unless a
        # contraindication, a continued current regimen or an incomplete history adds to its reasons.
        quick = continuing is None
        history_rules = self._history_rules if p.history_incomplete else frozenset()
        rule_drugs = self._rule_drugs
        for rule_iri in sorted(in_scope):
            key = self._key(rule_iri, statuses.get(rule_iri, ()), jurisdiction, inf.unknown_facets)
            if quick and rule_iri not in history_rules and (not blocked or blocked.keys().isdisjoint(
                    rule_drugs.get(rule_iri, ()))):
                exclusion = exclusions.get(key)
                if exclusion is not None:
                    excluded.append(exclusion)
                    cited.update(kb.rules[rule_iri].sources)
                    continue
            rule = kb.rules.get(rule_iri)
            if rule is None or rule.continues_current:
                continue
            reasons, cautions, lowered = self._outcome(rule, key)
            plain = True  # the reasons are the criteria's alone (the exclusion can be memoised)
            if rule_iri in history_rules:
                # fail closed: what depends on an incomplete treatment history is unknown
                incomplete = kb.result_rules.texts["history-incomplete"]
                reasons, plain = [*reasons, self._reason(incomplete.code, incomplete.text())], False
            superseded = continuing is not None and rule.kind == "Recommendation" \
                and rule.intent in continuing.supersedes_intents
            if superseded and reasons and not (continuing.keeps_add_ons and self._keeps_current(rule, inf)):
                reasons = [self._reason(continuing.superseded_code, continuing.superseded_text or continuing.label),
                           *reasons]
                plain = False
            if rule.kind == "AdviceRule":
                if not reasons and rule.advice_code and rule.advice_code not in advice:
                    advice[rule.advice_code] = Advice(rule.advice_code, rule.advice_text or rule.label)
                    cited.update(rule.sources)
                continue
            regimen = kb.regimens.get(rule.regimen or "")
            if regimen is None:
                continue
            all_drugs = regimen.drugs
            cited.update(rule.sources)
            if reasons:
                # Say also when a contraindication alone would rule the regimen out.
                for comp in regimen.components if blocked else ():
                    if comp.drugs and all(d in blocked for d in comp.drugs):
                        reasons = [*reasons, *(Reason("CONTRAINDICATION", t) for d in comp.drugs for t in blocked[d])]
                        plain = False
                if plain:
                    exclusion = self._exclusions.get(key)
                    if exclusion is None:
                        if len(self._exclusions) >= 65536:
                            self._exclusions.clear()
                        exclusion = self._exclusions[key] = Excluded(rule.id, rule.label, all_drugs, reasons)
                    excluded.append(exclusion)
                else:
                    excluded.append(Excluded(rule.id, rule.label, all_drugs, tuple(_dedupe(reasons))))
                continue
            components = []
            empty_reasons: list[Reason] = []
            for comp in regimen.components:
                keep = []
                for drug in comp.drugs:
                    if drug in blocked:
                        for text in blocked[drug]:
                            removed[drug].append(Reason("CONTRAINDICATION", text))
                        empty_reasons.extend(Reason("CONTRAINDICATION", t) for t in blocked[drug])
                    elif drug in resistant and not comp.continues_after_progression:
                        for text in resistant[drug]:
                            reason = Reason("PRIOR_PROGRESSION", text)
                            removed[drug].append(reason)
                            empty_reasons.append(reason)
                    else:
                        keep.append(drug)
                if not keep:
                    components = None
                    break
                components.append(OptionComponent(comp.role, tuple(keep), comp.dosing))
            if components is None:
                excluded.append(Excluded(rule.id, rule.label, all_drugs, tuple(_dedupe(empty_reasons))))
                continue
            if superseded:
                components = self._add_on(components, inf.current_drugs) if continuing.keeps_add_ons else None
                if components is None:
                    excluded.append(Excluded(rule.id, rule.label, all_drugs, (self._reason(
                        continuing.superseded_code, continuing.superseded_text or continuing.label),)))
                    continue
            drugs_in = {d for c in components for d in c.drugs}
            forbidden = self._forbidden_combination(drugs_in)
            if forbidden is not None:
                excluded.append(Excluded(rule.id, rule.label, all_drugs, (Reason(forbidden.code, forbidden.text),)))
                continue
            approval_reason = self._jurisdiction_reason(rule, jurisdiction)
            if approval_reason:
                excluded.append(Excluded(rule.id, rule.label, all_drugs, (approval_reason,)))
                continue
            option_cautions = [*rule.cautions, *cautions]
            for drug in sorted(drugs_in):
                option_cautions.extend(cautioned.get(drug, []))
                option_cautions.extend(resistance_cautions.get(drug, []))
                if drug in inf.stopped_for_toxicity:
                    option_cautions.append(kb.result_rules.texts["stopped-for-toxicity"].text(drug=drug))
            option_cautions.extend(self._unchecked_caution(drugs_in, unchecked))
            if lowered:
                lowered_ids.add(rule.id)
            options.append(Option(
                id=rule.id, label=rule.label, intent=rule.intent, line=inf.line,
                preference="alternative" if lowered else rule.preference, components=tuple(components),
                rationale=rule.rationale, evidence=rule.evidence, approvals=rule.approvals,
                cautions=tuple(_dedupe(option_cautions)), recommendation_code=rule.code,
                regimen=regimen.label,
            ))

        for drug, reasons in sorted(removed.items()):
            excluded.append(Excluded(f"drug-{drug.replace(' ', '-')}", drug, (drug,), tuple(_dedupe(reasons))))

        options, duplicates = self._ordered(options, lowered_ids)
        excluded.extend(duplicates)
        excluded.sort(key=lambda e: e.id)
        validation = tuple(ValidationEntry(f.severity.value, f.path, f.message) for f in p.findings)
        return Result(
            patient=p.patient_id,
            status="ok",
            knowledge_base=self.kb_info(cited),
            classification=inf.classification(),
            options=tuple(options),
            excluded=tuple(excluded),
            advice=tuple(sorted(advice.values(), key=lambda a: a.code)),
            warnings=tuple(_dedupe(self._warnings(p, rows) + list(p.extra_warnings))),
            validation=validation + p.extra_validation,
            jurisdiction=jurisdiction,
        )

    def _contraindications(self, rows: list[dict]) -> tuple[dict[str, list[str]], dict[str, list[str]], set[str]]:
        """The texts of the contraindications that block each drug and of those that caution it (by
        drug label), and their sources, from the contraindicated-drugs rows."""
        kb = self.kb
        blocked: dict[str, list[str]] = defaultdict(list)
        cautioned: dict[str, list[str]] = defaultdict(list)
        cited: set[str] = set()
        for row in rows:
            info = kb.contraindications.get(row["contraindication"])
            if info is None:
                continue
            drug = kb.labels.get(row["drug"])
            if drug is None:
                continue
            (blocked if info.action == "block" else cautioned)[drug].append(_message(info.message, row))
            cited.update(info.sources)
        return blocked, cautioned, cited

    def _not_checked(self, rows: list[dict], cited: set[str]) -> tuple[frozenset, dict[str, list[tuple[str, str]]]]:
        """Fail closed on the blocking contraindications that could not be checked (the value their
        threshold tests is not recorded): drug label -> (missing value, contraindication label),
        with its memo key (the rows are a function of the missing values alone, given the
        knowledge base)."""
        key = frozenset(r["trigger"] for r in rows)
        hit = self._unchecked.get(key)
        if hit is None:
            kb = self.kb
            unchecked: dict[str, list[tuple[str, str]]] = defaultdict(list)
            sources: set[str] = set()
            for row in sorted(rows, key=lambda r: (r["contraindication"], r["drug"])):
                info = kb.contraindications.get(row["contraindication"])
                drug = kb.labels.get(row["drug"])
                if info is None or drug is None:
                    continue
                unchecked[drug].append((kb.labels.get(row["trigger"], local_name(row["trigger"])), info.label))
                sources.update(info.sources)
            if len(self._unchecked) >= 4096:
                self._unchecked.clear()
            hit = self._unchecked[key] = (dict(unchecked), frozenset(sources))
        cited.update(hit[1])
        return key, hit[0]

    def _unchecked_caution(self, drugs: Iterable[str], unchecked: tuple[frozenset, dict[str, list[tuple[str, str]]]]
                           ) -> list[str]:
        """One caution for an option naming every value it lacks and the contraindications of its
        drugs left unchecked by it (none when nothing is missing); memoised."""
        key, by_drug = unchecked
        if not by_drug:
            return []
        memo_key = (key, frozenset(drugs))
        hit = self._unchecked_cautions.get(memo_key)
        if hit is not None:
            return hit
        by_value: dict[str, list[str]] = {}
        for drug in sorted(memo_key[1]):
            for missing, label in by_drug.get(drug, ()):
                labels = by_value.setdefault(missing, [])
                if label not in labels:
                    labels.append(label)
        out: list[str] = []
        if by_value:
            values = sorted(by_value)
            missing = ", ".join(values[:-1]) + " and " + values[-1] if len(values) > 1 else values[0]
            labels = ", ".join(f"'{label}'" for value in values for label in by_value[value])
            out = [self.kb.result_rules.texts["contraindication-not-checked"].text(
                missing=missing[:1].upper() + missing[1:], contraindications=labels)]
        if len(self._unchecked_cautions) >= 65536:
            self._unchecked_cautions.clear()
        self._unchecked_cautions[memo_key] = out
        return out

    def _warnings(self, p: _Prepared, rows: dict[str, list]) -> list[ResultWarning]:
        """The record warnings: the rows of the warning queries (a contraindicated drug she is on now
        first), and each medication of the record the knowledge base does not know."""
        kb = self.kb
        warnings = []
        for name in WARNING_QUERIES:
            for row in sorted(rows.get(name, []), key=_warning_order):
                warnings.append(ResultWarning(row["code"], row["message"]))
        for name in p.record.get("medications") or []:
            if name.lower() not in kb.medication_names:
                unknown = kb.result_rules.texts["unknown-medication"]
                warnings.append(ResultWarning(unknown.code, unknown.text(medication=name)))
        return warnings

    def _ordered(self, options: list[Option], lowered_ids: set[str]) -> tuple[list[Option], list[Excluded]]:
        """The options in rank order, those whose preference a soft criterion lowered after the
        others, one per set of drugs and roles (the later ones returned as excluded)."""
        ranks = self._ranks
        options = sorted(options, key=lambda o: (o.id in lowered_ids, ranks[o.id] if o.id in ranks
                                                 else self.kb.rules[self.kb.term(o.id)].rank, o.id))
        return _dedupe_options(options)

    def _continue_option(self, rule: Rule, inf: Inference, statuses: list[tuple[str, str]],
                         blocked: dict[str, list[str]],
                         cautioned: dict[str, list[str]], jurisdiction: str | None,
                         endorsement: tuple[Rule | None, list[Reason]] = (None, []),
                         unchecked: tuple[frozenset, dict[str, list[tuple[str, str]]]] | None = None,
                         ) -> tuple[Option | None, list[Reason]]:
        """The option that continues the current regimen, or the reasons it is not offered.

        Its components are the drugs of the patient's current regimen, one component per drug, with
        the drug's class as the role. It is offered whole or not at all: a current drug that is
        contraindicated, or endocrine therapy together with chemotherapy, is a reason to change.
        """
        inf_drugs = inf.current_drugs
        reasons, cautions, _ = self._criteria_outcome(rule, statuses, jurisdiction, inf.unknown_facets)
        if not reasons:
            endorsing, missing = endorsement
            reasons = [Reason("CONTRAINDICATION", f"{d} (current regimen): {t}")
                       for d in inf_drugs for t in blocked.get(d, [])]
            regimen = self.kb.regimens.get(endorsing.regimen or "") if endorsing else None
            carried = {d for c in (regimen.components if regimen else ()) if c.continues_after_progression
                       for d in c.drugs}
            progressed = self.kb.result_rules.texts["current-drug-progressed"]
            reasons += [Reason(progressed.code, progressed.text(drug=d))
                        for d in inf_drugs if d in inf.progressed and d not in carried]
            forbidden = self._forbidden_combination(set(inf_drugs))
            if forbidden is not None:
                reasons.append(Reason(forbidden.code, forbidden.current_text))
            elif endorsing is None and missing:
                reasons += missing  # what must be known before the current regimen can be endorsed
            elif endorsing is None:
                text = self.kb.result_rules.texts["current-regimen-not-recommended"]
                reasons.append(Reason(text.code, text.text(regimen=" + ".join(inf_drugs))))
            approval_reason = self._jurisdiction_reason(rule, jurisdiction)
            if approval_reason:
                reasons.append(approval_reason)
        if reasons:
            return None, reasons
        option_cautions = list(rule.cautions) + cautions
        for drug in inf_drugs:
            option_cautions.extend(cautioned.get(drug, []))
        option_cautions.extend(self._unchecked_caution(inf_drugs, unchecked or (frozenset(), {})))
        components = tuple(OptionComponent(self.kb.drug_type_labels.get(d, "current drug"), (d,))
                           for d in inf_drugs)
        return Option(
            id=rule.id, label=rule.label, intent=rule.intent, line=inf.line,
            preference=rule.preference, components=components, rationale=rule.rationale,
            evidence=rule.evidence, approvals=rule.approvals, cautions=tuple(_dedupe(option_cautions)),
            recommendation_code=rule.code, regimen="current regimen: " + " + ".join(inf_drugs),
            continue_current=True,
        ), []

    def _endorsement(self, current: Sequence[str], in_scope: Iterable[str],
                     statuses: dict[str, list[tuple[str, str]]]) -> tuple[Rule | None, list[Reason]]:
        """The recommendation of the knowledge base that holds the current regimen, if any.

        The current regimen is continued only when it is one the knowledge base recommends for the
        patient now: some in-scope recommendation can produce exactly its drugs and none of its
        criteria fails (facts not recorded are returned, to be named as cautions; unknown is not
        read as negative: when the only recommendations that hold it lack facts, those facts are
        returned as MISSING_DATA reasons and the regimen is not endorsed until they are known).
        """
        target = frozenset(current)
        best: tuple[Rule | None, list[Reason]] = (None, [])
        for rule_iri in sorted(in_scope):
            rule = self.kb.rules.get(rule_iri)
            if rule is None or rule.kind != "Recommendation" or rule.continues_current:
                continue
            regimen = self.kb.regimens.get(rule.regimen or "")
            if regimen is None or not _produces(regimen, target):
                continue
            reasons, _, _ = self._criteria_outcome(rule, statuses.get(rule_iri, ()))
            if not reasons:
                return rule, []
            if all(r.code == "MISSING_DATA" for r in reasons) and (not best[1] or len(reasons) < len(best[1])):
                best = (None, reasons)
        return best

    def _keeps_current(self, rule: Rule, inf: Inference) -> bool:
        """Whether the rule's regimen can be built on the current regimen (not a switch)."""
        regimen = self.kb.regimens.get(rule.regimen or "")
        if regimen is None:
            return False
        comps = [OptionComponent(c.role, c.drugs, c.dosing) for c in regimen.components]
        return self._add_on(comps, inf.current_drugs) is not None

    @staticmethod
    def _add_on(components: list[OptionComponent], current: Sequence[str]) -> list[OptionComponent] | None:
        """The option built on the current regimen, or None when it would be a switch.

        It keeps every current drug (each in some component; those components are narrowed to the
        current drugs) and may add components (a CDK4/6 inhibitor added to ongoing adjuvant endocrine
        therapy) or continue the same drugs under a recommendation of its own (extended adjuvant
        endocrine therapy). An option without some current drug would replace it: a switch.
        """
        current_set = set(current)
        covered: set[str] = set()
        narrowed = []
        for comp in components:
            keep = tuple(d for d in comp.drugs if d in current_set)
            if keep:
                covered.update(keep)
                narrowed.append(OptionComponent(comp.role, keep, comp.dosing))
            else:
                narrowed.append(comp)
        return narrowed if covered == current_set else None

    def _criteria_outcome(self, rule: Rule, statuses: list[tuple[str, str]],
                          jurisdiction: str | None = None, unknown_facets: frozenset[str] = frozenset()
                          ) -> tuple[list[Reason], list[str], bool]:
        """The reasons a rule fails, the cautions its criteria add, and whether its preference is lowered.

        A criterion scoped to a jurisdiction (``h2n:criterionJurisdiction``) applies only there; with
        no jurisdiction asked, its failure is a caution naming the jurisdiction. A soft criterion
        (``h2n:softCriterion``) that fails lowers the preference and adds its fail text as a caution.
        """
        reasons, cautions, lowered = self._outcome(rule, self._key(rule.iri, tuple(statuses), jurisdiction,
                                                                   unknown_facets))
        return list(reasons), list(cautions), lowered

    def _key(self, rule_iri: str, statuses: tuple, jurisdiction: str | None, unknown_facets: frozenset[str]) -> tuple:
        """The memo key of a rule's criteria outcome: of the patient's unknown facets, only those the
        rule's texts can name (the outcome depends on no other)."""
        facets = self._rule_facets.get(rule_iri)
        return rule_iri, statuses, jurisdiction, unknown_facets & facets if facets else _NONE

    def _outcome(self, rule: Rule, key: tuple) -> tuple[tuple[Reason, ...], tuple[str, ...], bool]:
        """:meth:`_criteria_outcome` for ``key`` = (rule IRI, statuses, jurisdiction, unknown facets),
        as immutable tuples: a pure function of the key (the knowledge base is fixed), computed once."""
        hit = self._outcomes.get(key)
        if hit is None:
            if len(self._outcomes) >= 65536:
                self._outcomes.clear()
            hit = self._outcomes[key] = self._criteria_outcome_uncached(rule, key[1], key[2], key[3])
        return hit

    def _criteria_outcome_uncached(self, rule: Rule, statuses: list[tuple[str, str]], jurisdiction: str | None,
                                   unknown_facets: frozenset[str]) -> tuple[tuple[Reason, ...], tuple[str, ...], bool]:
        reasons: list[Reason] = []
        cautions: list[str] = []
        lowered = False
        # Fail closed: a criterion of the rule that yields no status (or a status no one knows)
        # cannot count as met; it excludes the option.
        evaluated = {c for c, s in statuses if s in ("met", "not_met", "unknown")}
        for criterion_iri in sorted(self.kb.rule_criteria.get(rule.iri, frozenset()) - evaluated):
            reasons.append(self._reason("MISSING_DATA", _not_evaluable_text(self.kb, criterion_iri)))
        for criterion_iri, status in sorted(statuses):
            if status == "met":
                continue
            criterion = self.kb.criteria.get(criterion_iri)
            if criterion is None or status not in ("not_met", "unknown"):
                reasons.append(self._reason("MISSING_DATA", _not_evaluable_text(self.kb, criterion_iri)))
                continue
            if criterion.jurisdiction and rule.kind == "Recommendation" and jurisdiction != criterion.jurisdiction:
                if jurisdiction is None:
                    text = criterion.fail_text if status == "not_met" else criterion.missing_text
                    cautions.append(f"{criterion.jurisdiction} label: {text}")
                continue
            if criterion.soft and rule.kind == "Recommendation":
                if status == "not_met":
                    lowered = lowered or criterion.lowers_preference
                    cautions.append(criterion.fail_text)
                elif status == "unknown":  # never read as met: say what is missing
                    cautions.append(criterion.caution_for(unknown_facets) or criterion.missing_text)
                continue
            if status == "unknown":
                if criterion.negated and (criterion.unknown_caution or rule.kind == "AdviceRule"):
                    if criterion.unknown_caution and rule.kind == "Recommendation":
                        cautions.append(criterion.caution_for(unknown_facets))
                    continue
                reasons.append(self._reason("MISSING_DATA", criterion.missing_text))
            else:
                reasons.append(self._reason(criterion.reason_code, criterion.fail_text))
        return tuple(_dedupe(reasons)), tuple(_dedupe(cautions)), lowered

    def _resistance(self, inf: Inference) -> tuple[dict[str, list[str]], dict[str, list[str]], set[str]]:
        """:meth:`_resistance_uncached`, memoised on what it reads (the result is only read, never changed)."""
        key = (inf.progressed, tuple(sorted(inf.curative_relapse_days.items(), key=lambda kv: kv[0])))
        hit = self._resistances.get(key)
        if hit is None:
            if len(self._resistances) >= 4096:
                self._resistances.clear()
            hit = self._resistances[key] = self._resistance_uncached(inf)
        return hit

    def _resistance_uncached(self, inf: Inference) -> tuple[dict[str, list[str]], dict[str, list[str]], set[str]]:
        """The drugs the disease is taken to be resistant to (with why), the cautions per drug, and
        the sources used: the drugs it progressed on, extended by the knowledge base's resistance
        rules (``h2n:ResistanceRule``: same active moiety, same class, relapse within a window
        after (neo)adjuvant exposure)."""
        classes = self.kb.drug_classes
        progressed = self.kb.result_rules.texts["progressed-on-drug"]
        resistant: dict[str, list[str]] = {
            d: [progressed.text(drug=d)] for d in sorted(inf.progressed)}
        cautions: dict[str, list[str]] = defaultdict(list)
        sources: set[str] = set()
        rules = self.kb.resistance_rules

        def fill(message: str, drug: str, days: int | None = None, cause: str | None = None) -> str:
            return message.replace("{drug}", drug).replace("{cause}", cause or drug).replace(
                "{days}", "unknown" if days is None else str(days))

        for rule in rules:
            if rule.scope != "curative_relapse" or rule.drug_class is None:
                continue
            hits = {d: days for d, days in inf.curative_relapse_days.items()
                    if classes.has(d, rule.drug_class)
                    and (days is None or rule.within_days is None or days <= rule.within_days)}
            for drug, days in sorted(hits.items()):
                sources.update(rule.sources)
                if rule.action == "block" and days is not None:
                    resistant.setdefault(drug, []).append(fill(rule.message, drug, days))
                elif rule.action == "block":
                    cautions[drug].append(fill(rule.message, drug, days)
                                          + " (the relapse date is not known: check the interval)")
                else:  # a caution on every drug of the class
                    for other in sorted(d for d in classes.classes if classes.has(d, rule.drug_class)):
                        cautions[other].append(fill(rule.message, other, days, drug))
        changed = True
        while changed:  # extend by class and by molecule until nothing changes
            changed = False
            for rule in rules:
                if rule.action != "block" or rule.scope not in ("drug_class", "active_moiety"):
                    continue
                for cause in sorted(resistant):
                    if rule.scope == "drug_class":
                        if rule.drug_class is None or not classes.has(cause, rule.drug_class):
                            continue
                        others = [d for d in classes.classes if classes.has(d, rule.drug_class)]
                    else:
                        moiety = self.kb.active_moiety.get(cause, cause)
                        others = [d for d in classes.classes if self.kb.active_moiety.get(d, d) == moiety]
                    for other in sorted(others):
                        if other not in resistant:
                            resistant[other] = [fill(rule.message, other, None, cause)]
                            sources.update(rule.sources)
                            changed = True
        return resistant, {d: _dedupe(c) for d, c in cautions.items()}, sources

    @staticmethod
    @functools.lru_cache(maxsize=4096)
    def _reason(code: str, text: str) -> Reason:
        """Reasons are immutable and repeat across patients: build each one once."""
        return Reason(code, text)

    def _forbidden_combination(self, drugs: set[str]):
        """The first combination rule of the knowledge base (h2n:ForbiddenCombination: endocrine therapy
        with chemotherapy) that ``drugs`` break, or None."""
        key = frozenset(drugs)
        if key in self._forbidden:
            return self._forbidden[key]
        classes = self.kb.drug_classes.classes
        found = None
        for rule in self.kb.result_rules.combinations:
            if rule.broken_by(drugs, lambda d: classes.get(d, frozenset())):
                found = rule
                break
        if len(self._forbidden) >= 4096:
            self._forbidden.clear()
        self._forbidden[key] = found
        return found

    def _validation_advice(self, violations) -> tuple[Advice, ...]:
        """The advice of the knowledge base (h2n:ValidationAdvice: TEST_ISH) for an invalid record whose
        violations point at the field of one of its properties (JSON path or ontology property)."""
        out = []
        for item, names in _validation_advice_fields(self.kb):
            if any(names & _path_steps(f.path) for f in violations):
                out.append(Advice(item.code, item.text))
        return tuple(out)

    def _jurisdiction_reason(self, rule: Rule, jurisdiction: str | None) -> Reason | None:
        if jurisdiction is None:
            return None
        agency = self.kb.jurisdictions[jurisdiction]
        if jurisdiction in rule.endorsed_in:
            return None
        statuses = [a for a in rule.approvals if a.get("agency") == agency]
        # Only a verified approval counts: an approval marked unverified (status "unverified") is
        # not read as approved; the option is then kept only where a guideline endorses it.
        if any(a.get("status") == "approved" for a in statuses):
            return None
        detail = ", ".join(
            f"{a.get('status')}{' ' + a['date'] if a.get('date') else ''}" for a in statuses
        ) or "no approval recorded"
        if any(a.get("status") == "unverified" for a in statuses):
            detail += "; an approval is recorded but not verified, so it is not counted: check the current label"
        return Reason("CRITERION_NOT_MET", f"not approved or guideline-endorsed in the {jurisdiction} "
                      f"({agency}: {detail})")

    def not_ok(self, p: _Prepared, jurisdiction: str | None) -> Result:
        validation = tuple(ValidationEntry(f.severity.value, f.path, f.message) for f in p.findings)
        validation += p.extra_validation
        if not validation:
            validation = (ValidationEntry("violation", "", "the record could not be read"),)
        # Only what was derived: an out-of-scope record (HER2-positive) gets no HER2-negative
        # classification at all; an invalid one keeps what inference derived, never a default.
        empty = {"subtype": None, "her2_category": None, "er_low": None, "line": None,
                 "endocrine_resistance": None, "visceral_crisis": None}
        classification = dict(empty)
        if p.inference is not None and p.status != "out_of_scope":
            classification = p.inference.classification()
            if p.inference.subtype is None:
                classification["endocrine_resistance"] = None  # not derived without a subtype
        return Result(
            patient=p.patient_id, status=p.status, knowledge_base=self.kb_info(()),
            classification=classification, advice=tuple(sorted(p.extra_advice, key=lambda a: a.code)),
            warnings=p.extra_warnings, validation=validation, jurisdiction=jurisdiction,
        )


def _statuses_by_rule(rows: dict[str, list]) -> dict[str, tuple[tuple[str, str], ...]]:
    """The criterion statuses by rule: as the fast path gives them, or grouped from the
    criterion-status rows (the SPARQL evaluator)."""
    statuses = rows.get(STATUSES_BY_RULE)
    if statuses is not None:
        return statuses
    grouped: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for rule_iri, criterion_iri, status in map(_STATUS_FIELDS, rows.get("criterion-status", [])):
        grouped[rule_iri].append((criterion_iri, status))
    return {rule_iri: tuple(pairs) for rule_iri, pairs in grouped.items()}


def _not_evaluable_text(kb: KnowledgeBase, criterion_iri: str) -> str:
    label = kb.criteria[criterion_iri].label if criterion_iri in kb.criteria else local_name(criterion_iri)
    return kb.result_rules.texts["criterion-not-evaluable"].text(label=label, criterion=criterion_iri)


def _message(message: str, row: dict) -> str:
    """A contraindication's message for one contraindicated-drugs row: ``{value}`` is the lab value
    that crossed the threshold, ``{medication}`` the concomitant medication as the record names it
    (as the warning query current-regimen-contraindicated fills them in)."""
    return contraindication_text(message, row.get("trigger"), row.get("value"))


def _warning_order(row: dict) -> tuple:
    """The order of a warning query's rows: by the regimen they concern (``therapyIndex``), then by
    what a row is about where the query says it (the contraindication, drug, trigger and value of
    current-regimen-contraindicated), then by text."""
    return (row.get("therapyIndex") or 0, row.get("contraindication") or "", row.get("drug") or "",
            str(row.get("trigger")), str(row.get("value")), row["message"])


def _produces(regimen, target: frozenset[str]) -> bool:
    """Whether picking one drug from each component of the regimen can give exactly ``target``."""
    choices = [[d for d in comp.drugs if d in target] for comp in regimen.components]
    if len(choices) != len(target) or any(not c for c in choices):
        return False
    return any(frozenset(combo) == target for combo in itertools.product(*choices))


def _dedupe_options(options: list[Option]) -> tuple[list[Option], list[Excluded]]:
    """One option per set of drugs and roles: the first (best-ranked) is kept; each later option with
    the same components (same roles, drugs and dosing; a different dosing, such as extended adjuvant
    therapy, is a different regimen) is listed as excluded, naming the option that already offers them."""
    kept: dict[tuple, Option] = {}
    out, dropped = [], []
    for option in options:
        key = tuple(sorted((c.role, tuple(sorted(c.drugs)), c.dosing or "") for c in option.components))
        first = kept.get(key)
        if first is None:
            kept[key] = option
            out.append(option)
        else:
            dropped.append(Excluded(option.id, option.label, tuple(sorted({d for c in option.components for d in c.drugs})),
                                    (Reason("NOT_PREFERRED", f"the same drugs in the same roles are already offered "
                                                             f"as '{first.label}' ({first.id})"),)))
    return out, dropped


def _dedupe(items):
    """The items without repeats, first occurrence kept (hot: most lists hold 0 or 1 item)."""
    if isinstance(items, list) and len(items) < 2:
        return list(items)
    return list(dict.fromkeys(items))


@functools.lru_cache(maxsize=8)
def _validation_advice_fields(kb: KnowledgeBase) -> tuple:
    """Each validation advice with the names a finding's path gives its properties: the JSON key
    of the record field (``her2_ish``) and the property as a CURIE (``h2n:her2IshResult``)."""
    from reasoner.graph.mapping import FIELDS

    out = []
    for item in kb.result_rules.validation_advice:
        names = {f.key for f in FIELDS if str(f.prop) in item.properties}
        names |= {"h2n:" + local_name(p) for p in item.properties}
        out.append((item, frozenset(names)))
    return tuple(out)


def _path_steps(path: str) -> frozenset[str]:
    """The steps of a finding path (``receptors.her2_ish``, ``h2n:hasReceptorResult/h2n:her2IshResult``)."""
    return frozenset(re.sub(r"\[\d+\]", "", step) for step in re.split(r"[./]", path or "") if step)
