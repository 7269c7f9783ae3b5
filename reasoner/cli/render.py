"""Human-readable renderings of results for the terminal (rich tables)."""

from __future__ import annotations

import csv
import io
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from reasoner.result import DISCLAIMER, Result
from reasoner.textsafe import csv_cell, json_dumps
from reasoner.textsafe import terminal as _t
from reasoner.views import NotOfferedGroup, plain

__all__ = ["render_result", "render_explanation", "render_rows", "render_kb_info"]

# Criteria-not-met groups shown in the default view (the largest first); --all shows every one.
CRITERIA_SHOWN = 6
# The default view aims at one screen: past it, fewer criteria-not-met groups are shown (down to
# CRITERIA_MIN): what rules an option out is the first thing to fold, never a caution or a warning.
SCREEN_LINES = 60
CRITERIA_MIN = 2
# Up to this many "what to test" groups get two lines each (the test, then what it would open).
MISSING_TWO_LINES = 4

STATUS_STYLE = {"ok": "green", "invalid": "red", "out_of_scope": "yellow"}


def _row(console: Console, prefix: str, text: Text | str, *, style: str = "", indent: int | None = None,
         max_lines: int | None = None) -> None:
    """``prefix`` then ``text`` wrapped on words under itself (hanging indent); never cut mid-word.

    With ``max_lines`` the text is cut after that many lines at a word boundary, ending in "…".
    """
    indent = len(prefix) if indent is None else indent
    body = text.copy() if isinstance(text, Text) else Text(plain(text), style=style)
    room = max(console.width - indent - 1, 20)
    lines = body.wrap(console, room, overflow="fold")
    if max_lines is not None and len(lines) > max_lines:
        lines = lines[:max_lines]
        last = lines[-1]
        last.rstrip()
        if last.cell_len > room - 2:
            cut = last.plain[: room - 2].rsplit(" ", 1)[0]
            last.truncate(len(cut))
        last.rstrip()
        last.append("…")
    for i, line in enumerate(lines):
        line.rstrip()
        lead = Text(prefix if i == 0 else " " * indent)
        console.print(lead + line, soft_wrap=True, highlight=False)


def _title(console: Console, text: str) -> None:
    console.print(Text(text, style="bold"), soft_wrap=True, highlight=False)


def render_result(console: Console, result: Result, *, source: str = "", kb: Any = None,
                  record: Any = None, show_all: bool = False, criteria_limit: int | None = None) -> None:
    """One patient's result as a clinician reads it: one screen for a typical patient.

    Options ranked, each with its label (what it is for), preference, main evidence and the
    cautions it carries; each caution said once with the options it concerns; advice and warnings;
    "not offered" grouped by the decisive reason, one line a group, with the variants meant for
    other patients folded away. ``show_all`` prints every text in full and every excluded entry
    with all its reasons. Every text is printed as plain ``Text``: no markup is interpreted and
    control characters are removed (:func:`reasoner.views.plain`).
    """
    from reasoner.views import build_view

    if criteria_limit is None and not show_all:  # fit one screen: render, and fold criteria if it does not
        with console.capture() as capture:
            render_result(console, result, source=source, kb=kb, record=record, criteria_limit=CRITERIA_SHOWN)
        rendered = capture.get()
        excess = rendered.count("\n") - SCREEN_LINES
        if excess <= 0:  # it fits: written as rendered (styles kept, no second wrap)
            console.print(Text.from_ansi(rendered), end="", soft_wrap=True)
            return
        criteria_limit = max(CRITERIA_MIN, CRITERIA_SHOWN - excess)
    criteria_budget = CRITERIA_SHOWN if criteria_limit is None else criteria_limit
    view = build_view(result, kb=kb)
    style = STATUS_STYLE.get(result.status, "white")
    head = Text()
    head.append(plain(result.patient or source), style="bold")
    head.append("  ")
    head.append(result.status, style=style)
    console.rule(head)
    if result.status == "ok":
        _row(console, "", view.classification_line)
    if view.options:
        _title(console, f"Options, ranked ({len(view.options)})")
        for o in view.options:
            _row(console, f"{o.number:>2}. ", Text(o.title, style="bold"), max_lines=None if show_all else 1)
            detail = Text(o.preference, style="green" if o.preference == "preferred" else "cyan")
            if show_all:
                detail.append(" · " + o.drugs)
                _row(console, "    ", detail)
                for r in o.rationale:
                    _row(console, "    why: ", r, indent=9)
                for e in o.evidence:
                    bits = [b for b in (e.get("trial"), e.get("level"), e.get("source")) if b]
                    _row(console, "    evidence: ", " · ".join(plain(b) for b in bits))
                _row(console, "    approvals: ", o.approvals_line)
                for c in o.components:
                    if c.get("dosing"):
                        _row(console, "    dosing: ", c["dosing"])
                if o.caution_keys:
                    _row(console, "    cautions: ", " ".join(o.caution_keys), style="yellow")
            else:
                refs = Text("  cautions " + " ".join(o.caution_keys), style="yellow") if o.caution_keys else Text()
                evidence = Text(" · " + o.evidence_line)
                room = console.width - 5 - detail.cell_len - refs.cell_len
                if evidence.cell_len > room:
                    evidence = Text(" · " + _clip(o.evidence_line, room - 3))
                _row(console, "    ", detail + evidence + refs)
    if view.cautions:
        _title(console, "Cautions (each said once; the letters are used above)" if show_all
               else "Cautions (each said once, for the options numbered; --all gives the full text)")
        n = len(view.options)
        for c in view.cautions:
            if show_all:
                which = "all options" if len(c.options) == n and n > 1 else "option" + (
                    "s " if len(c.options) > 1 else " ") + _ranges(c.options)
                body = Text(c.text)
                body.append(f" [{which}]", style="dim")
                _row(console, f" {c.key}  ", body)
            else:  # one line: letter, the options it concerns, the text cut at a word
                which = "all" if len(c.options) == n and n > 1 else _ranges(c.options)
                _row(console, f" {c.key} ", Text(f"[{which}] ", style="dim") + Text(plain(c.text)), max_lines=1)
    for title, items in (("Advice", view.advice), ("Warnings", view.warnings)):
        if items:
            _title(console, title)
            for item in items:
                # warnings in full (they say what is wrong); advice on one line unless --all
                body = Text(item["code"], style="yellow" if title == "Warnings" else "cyan")
                body.append(": " + item["text"])
                _row(console, " - ", body, max_lines=None if show_all or title == "Warnings" else 1)
    if view.validation:
        _title(console, "Validation")
        for v in view.validation:
            _row(console, " - ", f"{v['severity']} {v['path']}: {v['message']}")
    if view.groups or view.folded:
        shown = sum(len(g.entries) for g in view.groups)
        head_text = f"Not offered: {shown}"
        if view.folded:
            head_text += f" (+{len(view.folded)} variants for other patients" + (
                ")" if show_all else ", folded; --all shows all)")
        _title(console, head_text)
        section = None
        criteria_shown = 0
        missing_groups = sum(g.code == "MISSING_DATA" for g in view.groups)
        for g in view.groups if show_all else _merge_criteria(view.groups):
            if not show_all and g.code == "CRITERION_NOT_MET":
                criteria_shown += 1
                if criteria_shown > criteria_budget:
                    continue
            if g.title != section:
                section = g.title
                _row(console, " ", Text(section, style="bold"))
            if show_all:
                _row(console, "   - ", g.reason)
                for e in g.entries:
                    _row(console, "       ", e.label)
                    for r in e.reasons:
                        if (r["code"], r["text"]) != (g.code, g.reason):
                            _row(console, "         also ", f"{r['code']}: {r['text']}")
                continue
            what = "; ".join(e.label for e in g.entries) if g.code == "MISSING_DATA" else ", ".join(g.drugs)
            if g.code == "CRITERION_NOT_MET":
                line = Text(g.short + ": ")
                line.append(what, style="dim")
                _row(console, "   - ", line, max_lines=1)
            elif g.code == "MISSING_DATA":
                line = Text(g.reason)
                line.append(" → " + what, style="dim")
                # what to test, and what it would open: two lines, one when there are many tests
                _row(console, "   - ", line, max_lines=2 if missing_groups <= MISSING_TWO_LINES else 1)
            else:  # the reason names the drug or class; say first which regimens it rules out
                what = g.entries[0].label if len(g.entries) == 1 else f"{len(g.entries)} regimens"
                line = Text(what + ": ", style="bold")
                line.append(g.reason)
                _row(console, "   - ", line, max_lines=2)
        if criteria_shown > criteria_budget:
            _row(console, "   ", Text(f"+{criteria_shown - criteria_budget} more criteria not met (--all shows all)",
                                       style="dim"))
        if show_all and view.folded:
            _title(console, "Variants for other patients (not offered)")
            for e in view.folded:
                _row(console, " - ", e.label)
                for r in e.reasons:
                    _row(console, "     ", f"{r['code']}: {r['text']}")
    _row(console, "", Text(f"{view.kb_version}. {DISCLAIMER}", style="dim"))


def _merge_criteria(groups: list[NotOfferedGroup]) -> list[NotOfferedGroup]:
    """Criteria-not-met groups with the same label said once, the largest first (default view).

    The view already orders the groups by reason, criteria not met last, so the other groups keep
    their place and only the merged criteria groups are ordered again."""
    merged: dict[str, NotOfferedGroup] = {}
    for g in groups:
        if g.code != "CRITERION_NOT_MET":
            continue
        if g.short in merged:
            merged[g.short].entries.extend(g.entries)
        else:
            merged[g.short] = NotOfferedGroup(g.code, g.title, g.reason, list(g.entries), g.short)
    others = [g for g in groups if g.code != "CRITERION_NOT_MET"]
    return others + sorted(merged.values(), key=lambda g: -len(g.entries))


def _clip(text: str, room: int) -> str:
    """At most ``room`` characters, cut at a word boundary with an ellipsis (never mid-word)."""
    text = plain(text)
    if len(text) <= room:
        return text
    cut = text[: max(room - 1, 1)].rsplit(" ", 1)[0].rstrip(",;:( ")
    return cut + "…"


def _ranges(numbers: list[int]) -> str:
    """1, 2, 3, 5 -> "1-3, 5"."""
    out, start, prev = [], None, None
    for n in sorted(numbers) + [None]:
        if start is None:
            start = prev = n
        elif n is not None and n == prev + 1:
            prev = n
        else:
            out.append(str(start) if start == prev else f"{start}-{prev}")
            start = prev = n
    return ", ".join(out)


def render_explanation(console: Console, explanation: dict) -> None:
    drug = _t(explanation["drug"])
    console.rule(f"[bold]{drug}[/bold] for {_t(explanation.get('patient'))}")
    if explanation.get("status") != "ok":
        console.print(f"The record is {_t(explanation.get('status'))}: no reasoning was done.")
        return
    offered = explanation.get("offered_in") or []
    console.print(f"Offered: {_t('yes, in ' + ', '.join(offered)) if offered else 'no'}", highlight=False)
    if explanation.get("prior_progression"):
        console.print(f"The disease progressed on a regimen containing {drug}.")
    for ci in explanation.get("contraindications", []):
        console.print(f"Contraindication ({_t(ci['action'])}, {_t(ci['type'])}): {_t(ci['text'])}", highlight=False)
    if not explanation.get("rules"):
        console.print(f"No recommendation for this patient's subtype and setting includes {drug}.", highlight=False)
    for rule in explanation.get("rules", []):
        mark = "[green]offered[/green]" if rule["offered"] else "[red]not offered[/red]"
        console.print(f"[bold]{_t(rule['label'])}[/bold] ({_t(rule['id'])}): {mark}", highlight=False)
        for c in rule["criteria"]:
            colour = {"met": "green", "not_met": "red", "unknown": "yellow", "assumed": "cyan"}[c["status"]]
            console.print(f"   [{colour}]{c['status']:>8}[/{colour}]  {_t(c['text'])}", highlight=False)
    console.print(f"[dim]{DISCLAIMER}[/dim]")


def render_rows(console: Console, rows: list[dict[str, Any]], fmt: str) -> None:
    names = list(rows[0]) if rows else []
    if fmt == "json":
        console.print(json_dumps(rows, indent=2, default=str), highlight=False, markup=False)
    elif fmt == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=names)
        writer.writeheader()
        writer.writerows({k: csv_cell(v) for k, v in row.items()} for row in rows)
        console.print(buffer.getvalue(), highlight=False, markup=False, end="")
    else:
        from reasoner.vocab import compact_iri

        # IRIs as prefixed names (h2n:drug-letrozole), never cut: long cells wrap
        table = Table(*(_t(n) for n in names)) if names else Table("no rows")
        for column in table.columns:
            column.overflow = "fold"
        for row in rows:
            table.add_row(*(_t(_cell(row[n], compact_iri)) if row[n] is not None else "" for n in names))
        console.print(table)
        console.print(f"{len(rows)} rows")


def render_kb_info(console: Console, info: dict) -> None:
    console.print(f"[bold]{_t(info['version'])}[/bold]", highlight=False)
    table = Table("what", "count")
    for key, value in info["counts"].items():
        table.add_row(key, str(value))
    console.print(table)
    identified = info.get("source_identifiers") or {}
    console.print(f"{len(info['sources'])} sources ({len(identified)} with DOI/PMID/NCT identifiers)", highlight=False)
    if identified:
        ids = Table("source", "identifiers")
        for label, by_kind in sorted(identified.items()):
            ids.add_row(_t(label), _t("; ".join(f"{kind} {', '.join(values)}" for kind, values in sorted(by_kind.items()))))
        console.print(ids)


def _cell(value: Any, compact) -> str:
    if value is None:
        return ""
    return compact(value) if isinstance(value, str) and value.startswith(("http://", "https://")) else str(value)
