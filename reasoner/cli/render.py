"""Human-readable renderings of results for the terminal (rich tables)."""

from __future__ import annotations

import csv
import io
from typing import Any

from rich.console import Console
from rich.table import Table

from reasoner.result import DISCLAIMER, Result
from reasoner.textsafe import csv_cell, json_dumps
from reasoner.textsafe import terminal as _t

__all__ = ["render_result", "render_explanation", "render_rows", "render_kb_info"]

STATUS_STYLE = {"ok": "green", "invalid": "red", "out_of_scope": "yellow"}


def render_result(console: Console, result: Result, *, source: str = "") -> None:
    """One patient's result as the clinician reads it."""
    c = result.classification
    style = STATUS_STYLE.get(result.status, "white")
    console.rule(f"[bold]{_t(result.patient or source)}[/bold]  [{style}]{_t(result.status)}[/{style}]")
    if result.status == "ok":
        facts = [_t(c.get('subtype')), _t(c.get('her2_category'))]
        if c.get("er_low"):
            facts.append("ER-low")
        if c.get("line") is not None:
            facts.append(f"metastatic line {_t(c['line'])}")
        facts.append(f"endocrine resistance: {_t(c.get('endocrine_resistance'))}")
        if c.get("visceral_crisis"):
            facts.append("visceral crisis")
        console.print("  ".join(facts), highlight=False)
    if result.options:
        table = Table(title="Options (one drug per role)", expand=False)
        table.add_column("#", justify="right")
        table.add_column("regimen", overflow="fold")
        table.add_column("drugs", overflow="fold")
        table.add_column("pref.", overflow="fold")
        table.add_column("evidence", overflow="fold")
        for i, o in enumerate(result.options, 1):
            drugs = " + ".join("/".join(comp.drugs) for comp in o.components)
            trials = sorted({e["trial"] for e in o.evidence if e.get("trial")})
            table.add_row(str(i), _t(o.label), _t(drugs), _t(o.preference), _t(", ".join(trials) or "guideline"))
        console.print(table)
        notes = [(i, c) for i, o in enumerate(result.options, 1) for c in o.cautions]
        if notes:
            console.print("[bold]Cautions[/bold]")
            for i, caution in notes:
                console.print(f"  \\[{i}] {_t(caution)}", highlight=False)
    if result.excluded:
        table = Table(title="Not offered", expand=False)
        table.add_column("option or drug", overflow="fold")
        table.add_column("reasons", overflow="fold")
        for e in result.excluded:
            table.add_row(_t(e.label), _t("; ".join(f"{r.code}: {r.text}" for r in e.reasons)))
        console.print(table)
    for title, items in (("Advice", result.advice), ("Warnings", result.warnings)):
        if items:
            console.print(f"[bold]{title}[/bold]")
            for item in items:
                console.print(f"  {_t(item.code)}: {_t(item.text)}", highlight=False)
    if result.validation:
        console.print("[bold]Validation[/bold]")
        for v in result.validation:
            console.print(f"  {_t(v.severity)} {_t(v.path)}: {_t(v.message)}", highlight=False)
    console.print(f"[dim]{_t(result.knowledge_base.get('version'))}. {DISCLAIMER}[/dim]", highlight=False)


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
        table = Table(*(_t(n) for n in names)) if names else Table("no rows")
        for row in rows:
            table.add_row(*(_t(row[n]) if row[n] is not None else "" for n in names))
        console.print(table)
        console.print(f"{len(rows)} rows")


def render_kb_info(console: Console, info: dict) -> None:
    console.print(f"[bold]{_t(info['version'])}[/bold]", highlight=False)
    table = Table("what", "count")
    for key, value in info["counts"].items():
        table.add_row(key, str(value))
    console.print(table)
    console.print(f"{len(info['sources'])} sources", highlight=False)
