"""What a person reads: one view of a result shared by the terminal, the HTML report and CDS Hooks.

The result contract (:mod:`reasoner.result`) is complete and machine-shaped; this module arranges it
for reading without adding clinical content:

- each option with a one-line reason, its main evidence and its approvals, and the cautions it
  carries as references into one list where every caution is said once (with the options it
  concerns);
- the "not offered" entries grouped by their decisive reason, and the variants that were never
  meant for this patient folded away. A variant is folded when a criterion about who the patient
  is was not met: a ``h2n:StateCriterion`` whose states are all marked
  ``h2n:describesPopulation true`` in the ontology, themselves or through their facet (sex,
  menopausal status, tumour subtype, ER-low status). Which facets these are is knowledge-base data, not code. An entry whose reason is
  ``MISSING_DATA`` is never folded (unknown is not "does not apply");
- the facts of the record each classification value came from, and the patient's timeline.

Every text shown comes from the result or the record; :func:`plain` strips control characters so
that patient text cannot move the cursor or restyle a terminal.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from reasoner.result import DISCLAIMER, Result

__all__ = [
    "plain", "first_sentence", "ReadingView", "OptionView", "CautionView", "NotOfferedGroup",
    "build_view", "population_fail_texts", "timeline", "classification_facts", "REASON_ORDER", "DECISIVE_ORDER",
    "REASON_TITLES", "option_title",
]

# The sections of "not offered", in reading order.
REASON_ORDER = ("CONTRAINDICATION", "PRIOR_PROGRESSION", "MISSING_DATA", "NOT_PREFERRED", "CRITERION_NOT_MET")
# The decisive reason of an excluded entry is its first reason in this order: a known "no" decides
# before an unknown fact, so an entry is listed under MISSING_DATA ("what to test") only when the
# missing facts are all that stands between the patient and the option.
DECISIVE_ORDER = ("CONTRAINDICATION", "PRIOR_PROGRESSION", "NOT_PREFERRED", "CRITERION_NOT_MET", "MISSING_DATA")
REASON_TITLES = {
    "CONTRAINDICATION": "Contraindicated",
    "PRIOR_PROGRESSION": "Progressed on it before",
    "MISSING_DATA": "A fact it needs is not known (what to test)",
    "NOT_PREFERRED": "Not preferred here",
    "CRITERION_NOT_MET": "Criteria not met",
}

_SURROGATE = re.compile("[\ud800-\udfff]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


def plain(value: Any) -> str:
    """Text safe to show anywhere: no control characters (ESC, C1, bidi overrides), NFC-normalised.

    Rich markup is never interpreted in what this module returns; callers print it as
    ``rich.text.Text`` (terminal) or let Jinja2 autoescape it (HTML).
    """
    text = "" if value is None else str(value)
    text = _SURROGATE.sub("\ufffd", text)  # a lone surrogate is not text: it cannot be printed or encoded
    return _CONTROL.sub("", unicodedata.normalize("NFC", text)).replace("\t", " ")


def first_sentence(text: str) -> tuple[str, bool]:
    """The first sentence of a text, and whether anything was left out."""
    text = plain(text).strip()
    match = re.search(r"(?<=[a-z0-9%)\]])\.\s+(?=[A-Z])", text)
    if match is None:
        return text, False
    return text[: match.start() + 1], True


def option_title(option: Any) -> str:
    """The option's label; an ongoing regimen to continue reads "Continue current regimen"."""
    if getattr(option, "continue_current", False) or (isinstance(option, Mapping) and option.get("continue_current")):
        drugs = " + ".join("/".join(c.drugs) for c in option.components)
        return f"Continue current regimen ({drugs})"
    return plain(option.label)


@dataclass
class CautionView:
    key: str                 # "a", "b", ...
    text: str
    options: list[int]       # 1-based option numbers


@dataclass
class OptionView:
    number: int
    id: str
    title: str
    preference: str
    intent: str
    drugs: str               # "capivasertib + fulvestrant", roles joined by +, choices by /
    components: list[dict]
    reason: str              # first sentence of the first rationale
    reason_more: bool
    rationale: list[str]
    evidence_line: str       # the main evidence (first entry's level), with the number of others
    evidence: list[dict]
    approvals_line: str
    approvals: list[dict]
    caution_keys: list[str]
    continue_current: bool = False


@dataclass
class ExcludedView:
    id: str
    label: str
    drugs: list[str]
    reasons: list[dict]
    folded: bool


@dataclass
class NotOfferedGroup:
    code: str
    title: str
    reason: str
    entries: list[ExcludedView]
    short: str = ""          # the criterion's own label where the knowledge base has one
    @property
    def drugs(self) -> list[str]:
        return sorted({d for e in self.entries for d in e.drugs})


@dataclass
class ReadingView:
    patient: str
    status: str
    classification: dict
    classification_line: str
    options: list[OptionView]
    cautions: list[CautionView]
    groups: list[NotOfferedGroup]          # entries that apply to this patient
    folded: list[ExcludedView]             # variants for other patients
    advice: list[dict]
    warnings: list[dict]
    validation: list[dict]
    kb_version: str
    sources: list[str]
    disclaimer: str = DISCLAIMER
    facts: list[dict] = field(default_factory=list)
    timeline: dict = field(default_factory=dict)

    @property
    def excluded_count(self) -> int:
        return sum(len(g.entries) for g in self.groups) + len(self.folded)


def classification_line(c: Mapping, status: str) -> str:
    if status != "ok":
        return status.replace("_", " ")
    parts = [str(c.get("subtype")), str(c.get("her2_category"))]
    if c.get("er_low"):
        parts.append("ER-low")
    if c.get("line") is not None:
        parts.append(f"metastatic line {c['line']}")
    parts.append(f"endocrine resistance: {c.get('endocrine_resistance')}")
    if c.get("visceral_crisis"):
        parts.append("visceral crisis")
    return " · ".join(plain(p) for p in parts)


def _approvals_line(approvals: list[dict]) -> str:
    bits = []
    for a in approvals:
        status = a.get("status") or ""
        date = f" {a['date']}" if a.get("date") else ""
        bits.append(f"{a.get('agency')} {status.replace('_', ' ')}{date}")
    return ", ".join(plain(b) for b in bits) or "no approval recorded"


def _evidence_line(evidence: list[dict]) -> str:
    if not evidence:
        return "guideline"
    main = evidence[0]
    text = plain(main.get("level") or main.get("trial") or main.get("source") or "")
    trial = main.get("trial")
    if trial and trial not in text:
        text = f"{plain(trial)}: {text}"
    if len(evidence) > 1:
        text += f" (+{len(evidence) - 1} more)"
    return text


@functools.lru_cache(maxsize=8)
def _population_rows(kb: Any) -> dict[str, frozenset[str]]:
    known = getattr(kb, "population_criteria", None)  # read with the knowledge base's metadata
    if known is not None:
        return known
    from reasoner.query.catalog import get_query

    rows = kb.backend.select(get_query("kb-population-criteria").text)
    out: dict[str, set[str]] = {}
    for r in rows:
        out.setdefault(str(r["rule"]), set()).add(str(r["text"]))
    return {k: frozenset(v) for k, v in out.items()}


def population_fail_texts(kb: Any, rule_id: str) -> frozenset[str]:
    """The fail texts of the rule's criteria about who the patient is (see the module docstring)."""
    if kb is None:
        return frozenset()
    return _population_rows(kb).get(kb.term(rule_id), frozenset())


@functools.lru_cache(maxsize=8)
def _criterion_labels(kb: Any) -> dict[str, str]:
    """fail text -> the criterion's label, where the fail text belongs to criteria of one label."""
    seen: dict[str, set[str]] = {}
    for c in getattr(kb, "criteria", {}).values():
        seen.setdefault(c.fail_text, set()).add(c.label)
    out = {}
    for text, labels in seen.items():
        if len({x.lower() for x in labels}) == 1:
            out[text] = sorted(labels)[0]
    return out


def _decisive(reasons) -> tuple[str, str]:
    ranked = sorted(reasons, key=lambda r: (DECISIVE_ORDER.index(r.code) if r.code in DECISIVE_ORDER
                                            else len(DECISIVE_ORDER)))
    return (ranked[0].code, ranked[0].text) if ranked else ("CRITERION_NOT_MET", "")


def build_view(result: Result, *, kb: Any = None, record: Mapping | None = None) -> ReadingView:
    """The reading view of one result (``kb`` to fold variants, ``record`` for facts and timeline)."""
    caution_index: dict[str, CautionView] = {}
    options = []
    for n, o in enumerate(result.options, 1):
        keys = []
        for text in o.cautions:
            text = plain(text)
            if text not in caution_index:
                caution_index[text] = CautionView("", text, [])
            caution_index[text].options.append(n)
        reason, more = first_sentence(o.rationale[0]) if o.rationale else ("", False)
        options.append(OptionView(
            number=n, id=o.id, title=option_title(o), preference=o.preference, intent=o.intent,
            drugs=" + ".join(" / ".join(plain(d) for d in c.drugs) for c in o.components),
            components=[c.to_dict() for c in o.components],
            reason=reason, reason_more=more or len(o.rationale) > 1,
            rationale=[plain(r) for r in o.rationale],
            evidence_line=_evidence_line(list(o.evidence)), evidence=[dict(e) for e in o.evidence],
            approvals_line=_approvals_line(list(o.approvals)), approvals=[dict(a) for a in o.approvals],
            caution_keys=keys, continue_current=bool(getattr(o, "continue_current", False)),
        ))
    # Cautions said once: those concerning most options first, then in order of appearance.
    cautions = sorted(caution_index.values(), key=lambda c: (-len(c.options), c.options[0]))
    for i, c in enumerate(cautions):
        c.key = _letter(i)
        for n in c.options:
            options[n - 1].caution_keys.append(c.key)

    groups: dict[tuple[str, str], NotOfferedGroup] = {}
    folded = []
    for e in result.excluded:
        population = population_fail_texts(kb, e.id) if not e.id.startswith("drug-") else frozenset()
        is_folded = any(r.code == "CRITERION_NOT_MET" and r.text in population for r in e.reasons)
        view = ExcludedView(e.id, plain(e.label), [plain(d) for d in e.drugs],
                            [{"code": r.code, "text": plain(r.text)} for r in e.reasons], is_folded)
        if is_folded:
            folded.append(view)
            continue
        code, text = _decisive(e.reasons)
        key = (code, text)
        if key not in groups:
            label = _criterion_labels(kb).get(text) if kb is not None and code == "CRITERION_NOT_MET" else None
            short = plain(label) if label else plain(text)
            groups[key] = NotOfferedGroup(code, REASON_TITLES.get(code, code), plain(text), [], short)
        groups[key].entries.append(view)
    ordered = sorted(groups.values(), key=lambda g: (
        REASON_ORDER.index(g.code) if g.code in REASON_ORDER else len(REASON_ORDER), -len(g.entries), g.reason))

    view = ReadingView(
        patient=plain(result.patient or ""), status=result.status,
        classification=dict(result.classification),
        classification_line=classification_line(result.classification, result.status),
        options=options, cautions=cautions, groups=ordered, folded=folded,
        advice=[{"code": a.code, "text": plain(a.text)} for a in result.advice],
        warnings=[{"code": w.code, "text": plain(w.text)} for w in result.warnings],
        validation=[{"severity": v.severity, "path": plain(v.path), "message": plain(v.message)}
                    for v in result.validation],
        kb_version=plain(result.knowledge_base.get("version")),
        sources=[plain(s) for s in result.knowledge_base.get("sources", [])],
        disclaimer=result.disclaimer,
    )
    if record is not None and isinstance(record, Mapping):
        view.facts = classification_facts(record, result)
        view.timeline = timeline(record)
    return view


def _letter(i: int) -> str:
    letters = "abcdefghijklmnopqrstuvwxyz"
    return letters[i] if i < 26 else letters[i // 26 - 1] + letters[i % 26]


# -- the facts behind the classification -----------------------------------------------------------

def _m(value: Any) -> Mapping:
    """An object of the record, or an empty one when the record has something else there
    (an invalid record still gets its report: what cannot be read is left out, never guessed)."""
    return value if isinstance(value, Mapping) else {}


def _l(value: Any) -> list:
    return value if isinstance(value, list) else []


def _fmt(value: Any) -> str:
    return plain(value if not isinstance(value, list) else ", ".join(map(str, value)))


def classification_facts(record: Mapping, result: Result) -> list[dict]:
    """Each classification value with the recorded facts it was derived from (from the record)."""
    rec = _m(record)
    receptors = _m(rec.get("receptors"))
    c = _m(result.classification)
    facts = []

    def receptor(key_pct: str, key_status: str, name: str) -> str | None:
        if receptors.get(key_pct) is not None:
            return f"{name} {plain(receptors[key_pct])}%"
        if receptors.get(key_status):
            return f"{name} {plain(receptors[key_status])}"
        return None

    her2 = []
    if receptors.get("her2_ihc") is not None:
        her2.append(f"HER2 IHC {plain(receptors['her2_ihc'])}")
    if receptors.get("her2_ish"):
        her2.append(f"ISH {plain(receptors['her2_ish']).replace('_', ' ')}")
    if receptors.get("her2"):
        her2.append(f"HER2 {plain(receptors['her2'])}")
    tested = []
    if receptors.get("specimen"):
        tested.append(f"specimen: {plain(receptors['specimen'])}")
    if receptors.get("tested_on"):
        tested.append(f"tested {plain(receptors['tested_on'])}")
    receptor_facts = [x for x in (receptor("er_percent", "er", "ER"), receptor("pr_percent", "pr", "PR")) if x]
    facts.append({"name": "Subtype", "value": _fmt(c.get("subtype")),
                  "from": "; ".join(receptor_facts + her2 + tested) or "no receptor result recorded"})
    facts.append({"name": "HER2 category", "value": _fmt(c.get("her2_category")),
                  "from": "; ".join(her2) or "no HER2 result recorded"})
    if c.get("er_low") is not None:
        facts.append({"name": "ER-low (1-10%)", "value": "yes" if c.get("er_low") else "no",
                      "from": receptor("er_percent", "er", "ER") or "ER not recorded"})
    therapies = [t for t in _l(rec.get("therapies")) if isinstance(t, Mapping)]
    met = [t for t in therapies if t.get("setting") == "metastatic"]
    if c.get("line") is not None:
        facts.append({"name": "Metastatic line", "value": _fmt(c.get("line")),
                      "from": ("metastatic therapies recorded: " + "; ".join(_therapy_short(t) for t in met))
                              if met else "no therapy recorded for metastatic disease"})
    endo_from = []
    metastatic = _m(rec.get("metastatic"))
    if metastatic.get("diagnosis_date"):
        endo_from.append(f"metastatic diagnosis {plain(metastatic['diagnosis_date'])}"
                         + (" (de novo)" if metastatic.get("de_novo") else ""))
    adjuvant = [t for t in therapies if t.get("setting") in ("adjuvant", "neoadjuvant")]
    endo_from += [f"{plain(t.get('setting'))}: {_therapy_short(t)}" for t in adjuvant]
    endo_from += [f"metastatic: {_therapy_short(t)}" for t in met]
    facts.append({"name": "Endocrine resistance (ESO-ESMO ABC)", "value": _fmt(c.get("endocrine_resistance")),
                  "from": "; ".join(endo_from) or "no endocrine therapy recorded"})
    if "visceral_crisis" in c:
        vc = metastatic.get("visceral_crisis")
        facts.append({"name": "Visceral crisis", "value": "unknown" if c.get("visceral_crisis") is None
                      else ("yes" if c.get("visceral_crisis") else "no"),
                      "from": "not recorded" if vc is None else f"recorded: {'yes' if vc else 'no'}"
                              + (f"; sites: {_fmt(metastatic.get('sites'))}" if metastatic.get("sites") else "")})
    if rec.get("menopausal_status") or rec.get("sex"):
        facts.append({"name": "Patient", "value": plain(rec.get("sex") or ""),
                      "from": "; ".join(x for x in (
                          f"age {plain(rec['age'])}" if rec.get("age") is not None else "",
                          f"menopausal status: {plain(rec['menopausal_status'])}" if rec.get("menopausal_status") else "",
                          f"ECOG {plain(rec['ecog'])}" if rec.get("ecog") is not None else "") if x)})
    biomarkers = _m(rec.get("biomarkers"))
    if biomarkers:
        facts.append({"name": "Biomarkers", "value": "",
                      "from": "; ".join(f"{plain(k)} {plain(v).replace('_', ' ')}" for k, v in biomarkers.items())})
    return facts


def _therapy_short(t: Mapping) -> str:
    drugs = " + ".join(plain(d) for d in _l(t.get("drugs")))
    span = f"{plain(t.get('start') or '?')} to {plain(t.get('end') or 'ongoing')}"
    end = f", {plain(t['end_reason'])}" if t.get("end_reason") else ""
    return f"{drugs} ({span}{end})"


# -- the timeline ---------------------------------------------------------------------------------

def _d(value: Any) -> dt.date | None:
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def timeline(record: Mapping) -> dict:
    """The record's dated events, for drawing: therapies as bars, the rest as marks.

    Returns ``{"start", "end", "bars": [...], "marks": [...]}`` with ISO dates; a therapy without
    an end runs to the decision date (``as_of``) and is marked ongoing.
    """
    rec = _m(record)
    as_of = _d(rec.get("as_of")) or dt.date.today()
    bars, marks = [], []
    metastatic = _m(rec.get("metastatic"))
    if _d(metastatic.get("diagnosis_date")):
        marks.append({"date": _d(metastatic["diagnosis_date"]).isoformat(), "kind": "diagnosis",
                      "label": "metastatic diagnosis" + (" (de novo)" if metastatic.get("de_novo") else "")})
    early = _m(rec.get("early"))
    for key in ("diagnosis_date",):
        if _d(early.get(key)):
            marks.append({"date": _d(early[key]).isoformat(), "kind": "diagnosis", "label": "diagnosis"})
    lrr = _m(rec.get("locoregional_recurrence"))
    if _d(lrr.get("diagnosis_date")):
        marks.append({"date": _d(lrr["diagnosis_date"]).isoformat(), "kind": "diagnosis",
                      "label": "locoregional recurrence"})
    receptors = _m(rec.get("receptors"))
    if _d(receptors.get("tested_on")):
        marks.append({"date": _d(receptors["tested_on"]).isoformat(), "kind": "biopsy",
                      "label": f"biopsy/receptor test ({plain(receptors.get('specimen') or 'specimen not recorded')})"})
    for test in _l(rec.get("biomarker_tests")):
        if isinstance(test, Mapping) and _d(test.get("date")):
            marks.append({"date": _d(test["date"]).isoformat(), "kind": "test",
                          "label": f"{plain(test.get('test'))}: {plain(test.get('result'))}"
                                   + (f" ({plain(test.get('sample'))})" if test.get("sample") else "")})
    for i, t in enumerate(_l(rec.get("therapies"))):
        if not isinstance(t, Mapping) or not _d(t.get("start")):
            continue
        end = _d(t.get("end"))
        if t.get("end") is not None and end is None:
            continue  # an end that cannot be read: not drawn as ongoing
        bars.append({
            "index": i, "drugs": " + ".join(plain(d) for d in _l(t.get("drugs"))),
            "setting": plain(t.get("setting") or "setting not recorded"),
            "start": _d(t["start"]).isoformat(), "end": (end or as_of).isoformat(), "ongoing": end is None,
            "end_reason": plain(t.get("end_reason") or ("ongoing" if end is None else "not recorded")),
        })
        prog = _d(t.get("progression_date")) or (end if t.get("end_reason") == "progression" else None)
        if prog:
            basis = ", ".join(plain(b).replace("_", " ") for b in _l(t.get("progression_basis")))
            marks.append({"date": prog.isoformat(), "kind": "progression",
                          "label": "progression" + (f" ({basis})" if basis else "")})
    dates = [_d(b["start"]) for b in bars] + [_d(b["end"]) for b in bars] + [_d(m["date"]) for m in marks]
    dates = [d for d in dates if d] + [as_of]
    bars.sort(key=lambda b: (b["start"], b["index"]))
    marks.sort(key=lambda m: m["date"])
    return {"start": min(dates).isoformat(), "end": max(dates).isoformat(), "as_of": as_of.isoformat(),
            "bars": bars, "marks": marks}
