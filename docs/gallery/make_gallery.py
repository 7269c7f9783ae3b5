"""Regenerate the gallery: HTML reports, their screenshots, and the terminal view as SVG and PNG.

    PYTHONPATH=$PWD python docs/gallery/make_gallery.py

Needs the ``report`` and ``test`` extras and Debian's ``chromium`` and ``chromium-driver`` (the
screenshots are taken by headless Chromium through selenium, as in ``tests/report``). Nothing is
fetched from the network: the reports are self-contained and the web font that rich's SVG export
would load is removed (the system monospace font is used).
"""

from __future__ import annotations

import io
import json
import re
import shutil
import sys
from pathlib import Path

from rich.console import Console

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))

import reasoner  # noqa: E402
from reasoner.cli.render import render_result  # noqa: E402
from reasoner.report import render_report  # noqa: E402

PATIENTS = {
    "tumour-board-demo": HERE / "tumour-board-demo.json",
    "hr-second-line-pik3ca": ROOT / "examples/patients/hr-second-line-pik3ca.json",
    "tnbc-gbrca": ROOT / "examples/patients/tnbc-gbrca.json",
    "continue-current": ROOT / "tests/acceptance/cases/A15-continue-current.json",
}
TERMINAL = ("hr-second-line-pik3ca", "tumour-board-demo")


def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--hide-scrollbars", "--window-size=1100,900", "--disable-background-networking"):
        options.add_argument(arg)
    return webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)


def full_page_png(driver, url: str, path: Path, width: int = 1100) -> None:
    driver.get(url)
    height = driver.execute_script("return Math.ceil(document.documentElement.scrollHeight)")
    driver.set_window_size(width, max(height, 400) + 120)
    driver.get(url)
    path.write_bytes(driver.get_screenshot_as_png())


def terminal_svg(kb, record: dict, title: str) -> str:
    console = Console(record=True, width=80, file=io.StringIO(), force_terminal=True, color_system="truecolor")
    render_result(console, kb.recommend(record), kb=kb)
    svg = console.export_svg(title=f"her2neg recommend {title}.json  (80 columns)")
    return re.sub(r"@font-face\s*{[^}]*}", "", svg)


def main() -> None:
    kb = reasoner.KnowledgeBase.load()
    driver = browser()
    try:
        for name, path in PATIENTS.items():
            record = json.loads(path.read_text())
            record = record.get("record", record)  # an acceptance case holds its record
            html = render_report(kb.recommend(record), record=record, kb=kb, generated="(gallery)")
            out = HERE / f"report-{name}.html"
            out.write_text(html, encoding="utf-8")
            full_page_png(driver, out.as_uri(), HERE / f"report-{name}.png")
            if name in TERMINAL:
                svg = HERE / f"terminal-{name}.svg"
                svg.write_text(terminal_svg(kb, record, name), encoding="utf-8")
                driver.set_window_size(1000, 900)
                driver.get(svg.as_uri())
                size = driver.execute_script(
                    "const r = document.documentElement.getBoundingClientRect(); return [r.width, r.height]")
                driver.set_window_size(int(size[0]) + 20, int(size[1]) + 140)
                driver.get(svg.as_uri())
                (HERE / f"terminal-{name}.png").write_bytes(driver.get_screenshot_as_png())
            print(f"{name}: report, screenshot{' and terminal view' if name in TERMINAL else ''}")
    finally:
        driver.quit()


if __name__ == "__main__":
    main()
