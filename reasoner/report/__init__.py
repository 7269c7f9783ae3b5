"""The one-page HTML report for a tumour board: ``her2neg report FILE --out report.html``.

Self-contained: inline CSS and an inline SVG timeline, no script, no font or image from the network.
Rendered with a Jinja2 template (``templates/report.html.j2``) with autoescaping on, so every text
of the record and the result is escaped; the reading view (:mod:`reasoner.views`) is the same as
the terminal's. Needs the ``report`` extra (``pip install "her2neg-reasoner[report]"``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from reasoner.result import Result
from reasoner.views import ReadingView, build_view

__all__ = ["render_report", "timeline_svg", "record_for_report"]

# The timeline's geometry (SVG user units; the SVG scales to the page width).
WIDTH, LEFT, RIGHT, ROW, TOP = 960, 12, 12, 26, 34
SETTING_CLASS = {"metastatic": "met", "adjuvant": "adj", "neoadjuvant": "adj", "locoregional_recurrence": "lrr"}


def _environment():
    try:
        import jinja2
    except ImportError as exc:  # pragma: no cover - the extra is part of [test]
        from reasoner.errors import ReasonerError

        raise ReasonerError("the HTML report needs Jinja2",
                            hint='pip install "her2neg-reasoner[report]"') from exc
    return jinja2.Environment(
        loader=jinja2.PackageLoader("reasoner.report", "templates"),
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _date(value: str) -> dt.date:
    return dt.date.fromisoformat(value)


def timeline_svg(timeline: Mapping) -> dict:
    """Coordinates for the timeline: therapy bars one row each, marks on their own row, year ticks."""
    if not timeline or not timeline.get("start"):
        return {}
    start, end = _date(timeline["start"]), _date(timeline["end"])
    span = max((end - start).days, 1)
    pad = max(span // 40, 15)
    start, end = start - dt.timedelta(days=pad), end + dt.timedelta(days=pad)
    span = (end - start).days
    usable = WIDTH - LEFT - RIGHT

    def x(value: str | dt.date) -> float:
        d = _date(value) if isinstance(value, str) else value
        return round(LEFT + usable * (d - start).days / span, 1)

    bars = []
    for i, b in enumerate(timeline.get("bars", [])):
        x0, x1 = x(b["start"]), x(b["end"])
        y = TOP + i * ROW
        label = f"{b['drugs']} ({b['setting']}; {b['start']} to {'ongoing' if b['ongoing'] else b['end']}" \
                f"{'' if b['ongoing'] else ', ' + b['end_reason']})"
        # A label fits inside a long bar; a short bar has it beside (left of it near the right edge).
        inside = len(label) * 6.4 + 10 < x1 - x0
        anchor_right = not inside and x0 > WIDTH * 0.55
        tx = x0 + 5 if inside else ((x0 - 4) if anchor_right else (x1 + 4))
        bars.append({**b, "x": x0, "y": y, "w": max(x1 - x0, 3), "label": label, "inside": inside,
                     "cls": SETTING_CLASS.get(b["setting"], "other"),
                     "tx": tx, "anchor": "end" if anchor_right else "start"})
    marks_y = TOP + len(bars) * ROW + 8
    marks, lanes = [], []          # marks closer than 22 units go to the next lane down
    for i, m in enumerate(timeline.get("marks", [])):
        mx = x(m["date"])
        lane = next((j for j, last in enumerate(lanes) if mx - last >= 22), len(lanes))
        if lane == len(lanes):
            lanes.append(mx)
        lanes[lane] = mx
        marks.append({**m, "x": mx, "y": marks_y + lane * 30, "n": i + 1})
    marks_y += max(len(lanes) - 1, 0) * 30
    ticks = []
    months = (1,) if span > 3 * 365 else (1, 4, 7, 10)  # quarters on a short timeline
    for year in range(start.year, end.year + 1):
        for month in months:
            d = dt.date(year, month, 1)
            if start <= d <= end:
                tx = x(d)
                label = str(year) if month == 1 else f"{year}-{month:02d}"
                ticks.append({"x": tx, "label": label if tx < WIDTH - RIGHT - 52 else ""})
    height = marks_y + 34
    return {"width": WIDTH, "height": height, "bars": bars, "marks": marks, "ticks": ticks,
            "as_of": {"x": x(timeline["as_of"]), "label": timeline["as_of"]}, "axis_y": height - 14}


def record_for_report(raw: Any) -> Mapping | None:
    """The patient record behind an input: a FHIR bundle is mapped, a record is used as is."""
    if isinstance(raw, Mapping) and "resourceType" in raw:
        from reasoner.ingest.fhir import bundle_to_record, is_fhir

        if is_fhir(raw):
            try:
                return bundle_to_record(raw).record
            except Exception:  # noqa: BLE001 - the result already says why the bundle is invalid
                return None
    return raw if isinstance(raw, Mapping) else None


def render_report(result: Result, *, record: Any = None, kb: Any = None,
                  generated: str | None = None) -> str:
    """The report as one HTML string (UTF-8, no external resource)."""
    record = record_for_report(record)
    view: ReadingView = build_view(result, kb=kb, record=record)
    svg = timeline_svg(view.timeline) if view.timeline else {}
    generated = generated or dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    as_of = (record or {}).get("as_of") if isinstance(record, Mapping) else None
    template = _environment().get_template("report.html.j2")
    return template.render(v=view, svg=svg, generated=generated, as_of=as_of,
                           jurisdiction=result.jurisdiction, n_options=len(view.options))
