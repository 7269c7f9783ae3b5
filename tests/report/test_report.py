"""The one-page HTML report: content, escaping, self-containment, and a real browser.

The browser tests drive Debian's headless Chromium through chromedriver (selenium); `.ci/run`
installs both when they are missing. They check that the page renders without console errors,
that the screenshot is not blank (pixel variance), and that "why not" opens on demand.
"""

from __future__ import annotations

import io
import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reasoner.cli import app
from reasoner.report import render_report

ROOT = Path(__file__).resolve().parents[2]
TYPICAL = ROOT / "examples/patients/hr-second-line-pik3ca.json"


def load(path: Path) -> dict:
    return json.loads(path.read_text())


def report(kb, record) -> str:
    return render_report(kb.recommend(record), record=record, kb=kb, generated="test")


class _Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def parse(html: str) -> _Collect:
    p = _Collect()
    p.feed(html)
    return p


def flat(text: str) -> str:
    return " ".join(text.split())


def test_report_has_every_part_a_tumour_board_needs(kb):
    record = load(TYPICAL)
    result = kb.recommend(record)
    html = report(kb, record)
    page = parse(html)
    text = flat(" ".join(page.text))
    # classification with the facts it came from
    assert "HR+/HER2-" in text and "ER 90%" in text and "HER2 IHC 0" in text
    assert "metastatic diagnosis 2024-01-05" in text
    # the timeline: the therapy line with start, end and how it ended, the progression, the biopsy
    svg = html[html.index("<svg"):html.index("</svg>")]
    assert "letrozole + palbociclib (metastatic; 2024-01-15 to 2026-09-30, progression)" in svg
    assert 'class="progression"' in svg and 'class="biopsy"' in svg and 'class="diagnosis"' in svg
    # options with evidence, approvals and cautions; every caution once
    for option in result.options:
        assert flat(option.label) in text
        for e in option.evidence:
            assert flat(e["level"]) in text
        for a in option.approvals:
            assert f"{a['agency']} {a['status'].replace('_', ' ')}" in text
    for caution in {c for o in result.options for c in o.cautions}:
        assert text.count(flat(caution)) == 1
    # why not, for every excluded option, inside <details>
    details = html[html.index('id="not-offered"'):]
    for e in result.excluded:
        assert flat(e.label) in flat(details)
        for r in e.reasons:
            assert flat(r.text) in flat(details)
    assert html.count("<details>") >= 2
    # advice, knowledge-base version, disclaimer
    for a in result.advice:
        assert flat(a.text) in text
    assert result.knowledge_base["version"] in text
    assert "does not replace" in text and "Decision support" in text


def test_report_is_self_contained(kb):
    html = report(kb, load(TYPICAL))
    page = parse(html)
    tags = {t for t, _ in page.tags}
    assert not tags & {"script", "link", "img", "iframe", "object", "embed"}
    for _, attrs in page.tags:
        for name, value in attrs.items():
            if name in ("src", "href", "action") or name.startswith("on"):
                pytest.fail(f"external reference or handler {name}={value!r}")
    style = html[html.index("<style>"):html.index("</style>")]
    assert "url(" not in style and "@import" not in style and "@font-face" not in style
    # the only URL is the SVG namespace, which is a name, not a fetch
    assert set(re.findall(r"https?://[^\"' <]+", html)) <= {"http://www.w3.org/2000/svg"}


def test_patient_text_is_escaped(kb):
    record = load(TYPICAL)
    record["id"] = '<script>alert("x")</script><b onmouseover=1>'
    record["therapies"][0]["x_note"] = "<img src=x>"
    html = report(kb, record)
    assert "<script>" not in html and "<b onmouseover" not in html
    assert "&lt;script&gt;" in html
    assert not {t for t, _ in parse(html).tags} & {"script", "b"}


def test_report_from_a_fhir_bundle_draws_the_same_timeline(kb):
    from reasoner.ingest.fhir import record_to_bundle

    record = load(TYPICAL)
    bundle = record_to_bundle(record)
    html_fhir = render_report(kb.recommend(bundle), record=bundle, kb=kb, generated="test")
    assert "letrozole + palbociclib (metastatic; 2024-01-15 to 2026-09-30, progression)" in html_fhir


def test_report_command_writes_the_file(tmp_path):
    out = tmp_path / "r.html"
    result = CliRunner().invoke(app, ["report", str(TYPICAL), "--out", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    # out of scope still gives a report saying so, with the status exit code
    her2 = ROOT / "examples/patients/her2-positive-out-of-scope.json"
    result = CliRunner().invoke(app, ["report", str(her2), "--out", str(out)], catch_exceptions=False)
    assert result.exit_code == 11
    assert "out of scope" in out.read_text(encoding="utf-8")
    # a report is for one patient
    cohort = tmp_path / "two.json"
    cohort.write_text(json.dumps([load(TYPICAL), dict(load(TYPICAL), id="other")]))
    result = CliRunner().invoke(app, ["report", str(cohort), "--out", str(out)])
    assert result.exit_code == 2


# -- a real browser --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    assert chromium and driver_path, "install Debian's chromium and chromium-driver (.ci/run does)"
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1100,1400", "--hide-scrollbars", "--no-first-run",
                "--disable-background-networking", "--disable-component-update"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def _variance(png: bytes) -> float:
    from PIL import Image, ImageStat

    return ImageStat.Stat(Image.open(io.BytesIO(png)).convert("L")).var[0]


@pytest.mark.parametrize("name", ["hr-second-line-pik3ca", "tnbc-gbrca", "pitfall-et-chemo"])
def test_report_renders_in_chromium_without_errors_and_is_not_blank(kb, browser, tmp_path, name):
    path = tmp_path / f"{name}.html"
    path.write_text(report(kb, load(ROOT / f"examples/patients/{name}.json")), encoding="utf-8")
    browser.get(path.as_uri())
    assert browser.execute_script("return document.readyState") == "complete"
    logs = browser.get_log("browser")
    assert not [entry for entry in logs if entry["level"] in ("SEVERE", "WARNING")], logs
    assert browser.find_element("css selector", "h1").text.startswith("Treatment options")
    svg = browser.find_element("css selector", "svg.timeline")
    assert svg.size["width"] > 600 and svg.size["height"] > 60
    assert _variance(browser.get_screenshot_as_png()) > 500  # a blank page has variance 0
    # nothing was fetched: the page made no request besides itself
    entries = browser.execute_script("return performance.getEntriesByType('resource').length")
    assert entries == 0


def test_why_not_opens_on_demand(kb, browser, tmp_path):
    record = load(TYPICAL)
    result = kb.recommend(record)
    path = tmp_path / "r.html"
    path.write_text(report(kb, record), encoding="utf-8")
    browser.get(path.as_uri())
    first = browser.find_element("css selector", "#not-offered details")
    entry = first.find_element("css selector", ".entry .label")
    assert not entry.is_displayed()
    first.find_element("css selector", "summary").click()
    assert entry.is_displayed()
    assert entry.text in {e.label for e in result.excluded}


@pytest.mark.parametrize("mutate", [
    lambda r: r.update(metastatic=["bone"]),
    lambda r: r.update(therapies={"drugs": "letrozole"}),
    lambda r: r["therapies"][0].update(drugs="letrozole", start=20240115, end="2026-02-30"),
    lambda r: r["therapies"].append("not a therapy"),
    lambda r: r.update(receptors="ER+"),
    lambda r: r.update(biomarkers=["PIK3CA"], as_of="yesterday"),
    lambda r: r["receptors"].update(tested_on="2026/10/10", her2_ihc=["0"]),
], ids=["metastatic-list", "therapies-object", "bad-therapy-values", "therapy-string", "receptors-string",
        "biomarkers-list", "bad-receptor-values"])
def test_an_invalid_record_still_gets_a_report(kb, mutate):
    # Fail closed: what cannot be read is left out of the drawing and the facts, never guessed, and
    # the report says the record is invalid with the validation findings.
    record = load(TYPICAL)
    mutate(record)
    result = kb.recommend(record)
    html = render_report(result, record=record, kb=kb, generated="test")
    assert "does not replace" in html
    if result.status != "ok":
        assert "Validation" in html and result.validation
    svg = html[html.index("<svg"):html.index("</svg>")] if "<svg" in html else ""
    assert "2026-02-30" not in svg and "ongoing" not in svg


def test_no_python_none_reaches_the_page(kb):
    for name in ("tnbc-gbrca", "hr-second-line-pik3ca", "tnbc-first-line-pdl1"):
        record = load(ROOT / f"examples/patients/{name}.json")
        text = " ".join(parse(report(kb, record)).text)
        assert not re.search(r"\bNone\b", text), name
