"""Issue 16, points 3, 4 (the HTML part) and 8: every HTML page of the three presentation
workbooks, in headless Chromium at a phone's width and a laptop's, fits the screen, breaks no
ordinary word, lets no text spill or overlap, and reads at a contrast of 4.5:1, in the light and
the dark colour scheme. The numbers come from probe.js (browser.py); each check names what fails.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.presentation.browser import WIDTHS, Screen
from tests.presentation.conftest import WORKBOOKS, Presented

# Every page of a report set, the departments by their place in results.json; and the output
# folder's own index.html.
KINDS = ("board-pack.html", "validation.html", "index.html", "dept-1", "dept-2", "dept-3", "dept-4")
PAGES = [("", "index.html")] + [(w, kind) for w in WORKBOOKS for kind in KINDS]


def page(presented: Presented, workbook: str, kind: str) -> Path:
    if not workbook:
        return presented.root / kind
    if kind.startswith("dept-"):
        department = presented.results(workbook)["departments"][int(kind[5:]) - 1]
        return presented.folder(workbook) / f"{department['slug']}.html"
    return presented.folder(workbook) / kind


def pages(test):  # type: ignore[no-untyped-def]
    """Parametrize ``test`` over every page at both widths."""
    test = pytest.mark.parametrize("width", WIDTHS)(test)
    ids = [f"{w or 'out'}/{k}" for w, k in PAGES]
    return pytest.mark.parametrize(("workbook", "kind"), PAGES, ids=ids)(test)


def measure(
    presented: Presented,
    screen: Screen,
    workbook: str,
    kind: str,
    width: int,
    scheme: str = "light",
) -> dict:
    return screen.measure(page(presented, workbook, kind), width, scheme)


@pages
def test_nothing_overflows_the_viewport(
    presented: Presented, screen: Screen, workbook: str, kind: str, width: int
) -> None:
    found = measure(presented, screen, workbook, kind, width)
    assert found["scrollWidth"] == found["clientWidth"] == width


# What probe.js lists that must not be there, each a condition of point 3.
FINDINGS = {
    "overflowing": "a text element whose content spills out of its box, or a table cell's",
    "broken": "a word of up to 25 letters not on one line",
    "overlaps": "text over other text, a bar, a chart or a picture",
    "amounts": "two amounts on one line with no room between them",
    "pills": "a status pill out of its table cell, or cut off",
}


@pages
@pytest.mark.parametrize("finding", FINDINGS)
def test_nothing_spills_breaks_overlaps_or_runs_together(
    presented: Presented, screen: Screen, workbook: str, kind: str, width: int, finding: str
) -> None:
    found = measure(presented, screen, workbook, kind, width)[finding]
    assert found == [], FINDINGS[finding]


@pages
def test_tables_fit_scroll_in_their_wrapper_or_become_cards(
    presented: Presented, screen: Screen, workbook: str, kind: str, width: int
) -> None:
    tables = measure(presented, screen, workbook, kind, width)["tables"]
    assert [t for t in tables if not (t["fits"] or t["wrapped"] or t["cards"])] == []


@pages
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_text_reads_against_its_background(
    presented: Presented, screen: Screen, workbook: str, kind: str, width: int, scheme: str
) -> None:
    found = measure(presented, screen, workbook, kind, width, scheme)
    assert found["texts"] > 10
    assert found["contrast"] == []


@pytest.mark.parametrize(("workbook", "kind"), PAGES, ids=[f"{w or 'out'}/{k}" for w, k in PAGES])
def test_the_page_follows_the_dark_colour_scheme(
    presented: Presented, screen: Screen, workbook: str, kind: str
) -> None:
    assert measure(presented, screen, workbook, kind, 390, "light")["pageLuminance"] > 0.8
    assert measure(presented, screen, workbook, kind, 390, "dark")["pageLuminance"] < 0.05


def test_every_table_header_has_a_scope(presented: Presented) -> None:
    missing = []
    for html in presented.html():
        text = html.read_text(encoding="utf-8")
        missing += [
            (html.name, th) for th in re.findall(r"<th\b[^>]*>", text) if "scope=" not in th
        ]
    assert missing == []


SVG = "{http://www.w3.org/2000/svg}"


def test_charts_are_images_with_a_name_and_their_points_take_focus(presented: Presented) -> None:
    charts = focusable = 0
    for html in presented.html():
        for svg in re.findall(
            r'<svg[^>]*class="chart".*?</svg>', html.read_text(encoding="utf-8"), re.S
        ):
            root = ET.fromstring(svg)
            charts += 1
            assert root.get("role") == "img"
            assert (root.get("aria-label") or "").strip() or root[0].tag == f"{SVG}title"
            # (a chart of over 40 points draws none: its line is too dense to point at)
            points = [c for c in root.iter(f"{SVG}circle") if c.find(f"{SVG}title") is not None]
            assert all(c.get("tabindex") == "0" for c in points), svg[:200]
            focusable += len(points)
    assert charts > 50
    assert focusable > 500


def test_a_focused_chart_point_is_marked(presented: Presented, screen: Screen) -> None:
    """Tab reaches the first point of a chart, and the point looks focused (CSS only)."""
    context = screen.browser.new_context(viewport={"width": 390, "height": 900})
    try:
        tab = context.new_page()
        tab.goto(page(presented, "acme-en", "dept-1").as_uri())
        before = tab.evaluate(
            "() => { const c = document.querySelector('svg.chart circle');"
            " return getComputedStyle(c).strokeWidth + ' ' + getComputedStyle(c).stroke; }"
        )
        for _ in range(200):
            tab.keyboard.press("Tab")
            if tab.evaluate("() => document.activeElement.tagName") == "circle":
                break
        focused = tab.evaluate(
            "() => { const c = document.activeElement; return [c.tagName,"
            " c.querySelector('title') && c.querySelector('title').textContent,"
            " getComputedStyle(c).strokeWidth + ' ' + getComputedStyle(c).stroke]; }"
        )
    finally:
        context.close()
    assert focused[0] == "circle"
    assert re.match(r"\d{4}-\d\d: ", focused[1] or "")
    assert focused[2] != before
