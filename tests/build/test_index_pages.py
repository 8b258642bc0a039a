"""Issue 15, point 6: the HTML indexes show the trend across board meetings.

``DIR/index.html`` shows per workbook the company, the latest report date, its score and status
counts, links to the latest board pack (PDF and HTML, where built) and every earlier date with
its score, newest first; each set's ``index.html`` shows the earlier sets of its workbook the
same way. The numbers come from the sets' results.json files: one that does not read is listed
without numbers. The expected numbers are read here from results.json, never typed in."""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from kpireport import fmt, labels
from kpireport.build import write_home
from kpireport.i18n import get_locale
from tests.build.test_incremental import cli, run
from tests.conftest import kpi_row, valid_sheets, write_workbook
from tests.render.test_html import (
    CHROMIUM,
    _is_paged_media_gap,
    _nu_check,
    _style_lines,
    needs_chromium,
    needs_vnu,
)

D = dt.date
DATES = (D(2026, 4, 30), D(2026, 5, 31), D(2026, 6, 30))
STATUSES = ("achieved", "on_track", "at_risk", "off_track", "missed")


def sheets(report_date: dt.date, lang: str = "en", company: str = "Test A/S") -> dict[str, Any]:
    """Two KPIs whose statuses differ from month to month: SALES-01 (40, 42, ... in January to
    June) and SALES-02, which climbs and then drops in June."""
    data = copy.deepcopy(valid_sheets())
    data["Settings"] = [
        ["key", "value"],
        ["company", company],
        ["report_date", report_date],
        ["language", lang],
    ]
    data["KPIs"].append(kpi_row(id="SALES-02", name="Orders", target=100, baseline=50))
    months = [D(2026, m, 1) for m in range(1, 7)]
    values = [60, 68, 76, 84, 92, 55]
    data["Measurements"] += [["SALES-02", d, v, None] for d, v in zip(months, values, strict=True)]
    return data


def build_dates(folder: Path, out: Path, dates: tuple[dt.date, ...], lang: str = "en") -> Path:
    """``kpis.xlsx`` built once per date into ``out``, in date order, as its Settings report
    date changes month by month; HTML and JSON."""
    path = folder / "kpis.xlsx"
    for day in dates:
        write_workbook(path, sheets(day, lang))
        done = cli(path, out, "--format", "html,json")
        assert done.exit_code == 0, done.output
    return path


# --- reading a page: a small tree, queried by class -------------------------------------------

VOID = {"meta", "br", "img", "hr", "input", "link", "wbr", "col", "source"}


@dataclass
class Node:
    """An element: its tag, attributes, children and text."""

    tag: str
    attrs: dict[str, str]
    children: list[Node | str] = field(default_factory=list)

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    @property
    def text(self) -> str:
        parts = [c if isinstance(c, str) else c.text for c in self.children]
        return re.sub(r"[ \t\r\n]+", " ", "".join(parts)).strip()  # no-break spaces kept

    def all(self, cls: str | None = None, tag: str | None = None) -> list[Node]:
        """Every element below this one with class ``cls`` and tag ``tag``, in document order."""
        found = []
        for child in self.children:
            if isinstance(child, Node):
                if (cls is None or cls in child.classes) and (tag is None or child.tag == tag):
                    found.append(child)
                found += child.all(cls, tag)
        return found

    def one(self, cls: str | None = None, tag: str | None = None) -> Node:
        [node] = self.all(cls, tag)
        return node

    def links(self) -> list[str]:
        return [n.attrs["href"] for n in self.all(tag="a")]


class _Tree(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        if self.stack[-1].tag not in ("style", "script"):
            self.stack[-1].children.append(data)


def parse(path: Path) -> Node:
    tree = _Tree()
    tree.feed(path.read_text(encoding="utf-8"))
    tree.close()
    return tree.root


# --- what the indexes should show -----------------------------------------------------------


def results(out: Path, day: dt.date, workbook: str = "kpis") -> dict[str, Any]:
    return json.loads((out / workbook / day.isoformat() / "results.json").read_text("utf-8"))


def check_row(row: Node, day: dt.date, data: dict[str, Any] | None, href: str, lang: str) -> None:
    """One report date's row: the date, as a link to its set; its score, or none."""
    loc = get_locale(lang)
    date_cell = row.one("date")
    assert date_cell.text == fmt.date(day, loc)
    assert date_cell.one(tag="time").attrs["datetime"] == day.isoformat()
    assert date_cell.links() == [href]
    score = row.one("score").text
    if data is None:
        assert score == labels.NONE
    else:
        assert score == fmt.percent(data["summary"]["score"], loc)


def check_latest(
    section: Node, data: dict[str, Any], files: set[str], lang: str, workbook: str = "kpis"
) -> None:
    """The latest set's company, date, score, status counts and board pack links."""
    loc = get_locale(lang)
    day = D.fromisoformat(data["report_date"])
    assert section.one(tag="h2").text == data["company"]
    latest = section.one("latest")
    assert fmt.date(day, loc) in latest.text
    assert loc.gettext("Latest report") in latest.text
    assert latest.one("score").text.startswith(fmt.percent(data["summary"]["score"], loc))
    counts = {
        next(c for c in n.classes if c.startswith("s-"))[2:]: n.text for n in latest.all("count")
    }
    expected = {
        s: f"{data['summary']['counts'][s]} {labels.status(s, loc)}"
        for s in STATUSES
        if data["summary"]["counts"].get(s)
    }
    assert {s: t for s, t in counts.items() if s in expected} == expected
    prefix = f"{workbook}/{day.isoformat()}/"
    want = [prefix + f for f in ("board-pack.pdf", "board-pack.html") if f in files]
    assert [h for h in latest.links() if "board-pack" in h] == want


@pytest.fixture(scope="module")
def three(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``kpis.xlsx`` built at the end of April, May and June into one folder, and ``other.xlsx``
    (another company) once."""
    folder = tmp_path_factory.mktemp("three")
    out = folder / "out"
    build_dates(folder, out, DATES)
    other = write_workbook(folder / "other.xlsx", sheets(DATES[0], company="Other AB"))
    assert cli(other, out, "--format", "html,json").exit_code == 0
    return out


def test_the_overview_shows_each_workbook_s_latest_report_and_its_trend(three: Path) -> None:
    page = parse(three / "index.html")
    sections = page.all("workbook", "section")
    assert [s.one("file").text for s in sections] == ["kpis", "other"]
    kpis, other = sections
    data = {day: results(three, day) for day in DATES}
    scores = {d["summary"]["score"] for d in data.values()}
    assert len(scores) > 1, "the scores must differ for this test to mean anything"
    check_latest(kpis, data[DATES[-1]], {"board-pack.html"}, "en")
    rows = kpis.all("set", "tr")
    assert len(rows) == 3
    for row, day in zip(rows, reversed(DATES), strict=True):  # newest first
        check_row(row, day, data[day], f"kpis/{day.isoformat()}/index.html", "en")
    # the change from one report to the next, in points
    newest, middle = data[DATES[2]]["summary"]["score"], data[DATES[1]]["summary"]["score"]
    points = fmt.number(abs(newest - middle) * 100, get_locale("en"), 1)
    assert points in rows[0].one("change").text
    # the trend as a line: one point per report, oldest to newest
    spark = kpis.one("sparkline", "svg")
    assert spark.attrs["role"] == "img"
    assert len(spark.one(tag="polyline").attrs["points"].split()) == 3
    check_latest(other, results(three, DATES[0], "other"), {"board-pack.html"}, "en", "other")
    assert len(other.all("set", "tr")) == 1
    assert not other.all("sparkline")  # one report: no trend yet


def test_each_set_s_index_shows_the_earlier_reports(three: Path) -> None:
    data = {day: results(three, day) for day in DATES}
    for n, day in enumerate(DATES):
        page = parse(three / "kpis" / day.isoformat() / "index.html")
        rows = page.all("set", "tr")
        # this report and the earlier ones, newest first; none for the first report
        shown = list(reversed(DATES[: n + 1])) if n else []
        assert len(rows) == len(shown), day
        for row, when in zip(rows, shown, strict=True):
            href = "index.html" if when == day else f"../{when.isoformat()}/index.html"
            check_row(row, when, data[when], href, "en")


def test_the_latest_board_pack_pdf_is_linked_where_it_was_built(
    three: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    shutil.copytree(three, out)
    path = write_workbook(tmp_path / "kpis.xlsx", sheets(D(2026, 7, 31)))
    done = run(path, out, "--format", "pdf,html,json", "-j", "1")
    assert done.returncode == 0, done.stderr
    [kpis, _other] = parse(out / "index.html").all("workbook", "section")
    files = {"board-pack.html", "board-pack.pdf"}
    check_latest(kpis, results(out, D(2026, 7, 31)), files, "en")
    rows = kpis.all("set", "tr")
    assert len(rows) == 4
    # the earlier rows link their own board packs: HTML only, as they were built
    assert [h for h in rows[1].links() if "board-pack" in h] == ["kpis/2026-06-30/board-pack.html"]


@pytest.mark.tampered_results
def test_a_set_whose_results_json_does_not_read_is_listed_without_numbers(
    three: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    shutil.copytree(three, out)
    data = {day: results(out, day) for day in DATES}
    (out / "kpis" / DATES[1].isoformat() / "results.json").write_text("{not json", "utf-8")
    other = out / "other" / DATES[0].isoformat() / "results.json"
    other.write_text(json.dumps({**results(out, DATES[0], "other"), "schema_version": "1.0"}))
    write_home(out)
    [kpis, other_section] = parse(out / "index.html").all("workbook", "section")
    rows = kpis.all("set", "tr")
    check_row(rows[0], DATES[2], data[DATES[2]], "kpis/2026-06-30/index.html", "en")
    check_row(rows[1], DATES[1], None, "kpis/2026-05-31/index.html", "en")
    check_row(rows[2], DATES[0], data[DATES[0]], "kpis/2026-04-30/index.html", "en")
    # the trend skips the report without numbers
    assert len(kpis.one("sparkline", "svg").one(tag="polyline").attrs["points"].split()) == 2
    # a workbook whose only set does not read: its name, its date, no numbers
    assert other_section.one(tag="h2").text == "other"
    [row] = other_section.all("set", "tr")
    check_row(row, DATES[0], None, "other/2026-04-30/index.html", "en")
    assert not other_section.all("count")


def test_the_overview_speaks_danish(tmp_path: Path) -> None:
    out = tmp_path / "out"
    build_dates(tmp_path, out, DATES[1:], lang="da")
    page = parse(out / "index.html")
    assert page.one(tag="html").attrs["lang"] == "da"
    [section] = page.all("workbook", "section")
    check_latest(section, results(out, DATES[2]), {"board-pack.html"}, "da")
    for row, day in zip(section.all("set", "tr"), reversed(DATES[1:]), strict=True):
        check_row(row, day, results(out, day), f"kpis/{day.isoformat()}/index.html", "da")
    text = page.text
    for words in ("Latest report", "Report date", "Score", "KPI reports"):
        assert get_locale("da").gettext(words) in text
    assert "Seneste rapport" in text and "30. jun. 2026" in text
    assert "Latest report" not in text


# --- the pages as a browser and the W3C checker see them ---------------------------------------


def _pages(out: Path) -> list[Path]:
    return [out / "index.html", *sorted(out.glob("*/*/index.html"))]


@pytest.mark.tampered_results
@needs_vnu
def test_the_index_pages_pass_the_nu_html_checker(three: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    shutil.copytree(three, out)
    (out / "kpis" / DATES[0].isoformat() / "results.json").write_text("{", "utf-8")  # the note
    write_home(out)
    pages = _pages(out)
    style_lines = {str(p): _style_lines(p) for p in pages}
    errors = [m for m in _nu_check(pages) if not _is_paged_media_gap(m, style_lines)]
    assert not errors, "\n".join(
        f"{m.get('url')}:{m.get('lastLine')}: {m['message']}" for m in errors
    )


# A page in an iframe of the given width, measured by the page around it: headless Chromium lays
# out --dump-dom at 500 px at least, whatever the window, but an iframe is as wide as it is told.
FRAME = """<!DOCTYPE html><html><body style="margin:0">
<iframe id="f" src="{src}" style="width:{width}px;height:900px;border:0"></iframe>
<script>
document.getElementById("f").addEventListener("load", function () {{
  var d = this.contentDocument.documentElement;
  document.body.setAttribute("data-width", d.scrollWidth + "/" + d.clientWidth);
}});
</script></body></html>"""


def _width(page: Path, width: int, tmp_path: Path) -> tuple[int, int]:
    """(scrollWidth, clientWidth) of ``page`` laid out ``width`` px wide in Chromium."""
    assert CHROMIUM is not None
    frame = tmp_path / f"frame-{width}.html"
    frame.write_text(FRAME.format(src=page.as_uri(), width=width), encoding="utf-8")
    command = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
    command += ["--allow-file-access-from-files", "--virtual-time-budget=5000"]
    command += [f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", frame.as_uri()]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    found = re.search(r'data-width="(\d+)/(\d+)"', done.stdout)
    assert found, f"no width measured for {page}:\n{done.stderr[-2000:]}"
    return int(found[1]), int(found[2])


@needs_chromium
@pytest.mark.parametrize("width", [390, 1280])
def test_the_index_pages_fit_a_phone_and_a_desktop(three: Path, tmp_path: Path, width: int) -> None:
    """Nothing wider than the window: no sideways scrolling at 390 or 1280 px, in English and
    in Danish (longer words: "Bestyrelsespakke")."""
    danish = tmp_path / "da"
    build_dates(tmp_path, danish, DATES[1:], lang="da")
    pages = [three / "index.html", three / "kpis" / DATES[-1].isoformat() / "index.html"]
    pages += [danish / "index.html", danish / "kpis" / DATES[-1].isoformat() / "index.html"]
    too_wide = []
    for page in pages:
        scroll, client = _width(page, width, tmp_path)
        if scroll > client:
            too_wide.append(f"{page}: {scroll} px in {client} px")
    assert not too_wide, "\n".join(too_wide)
