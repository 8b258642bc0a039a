"""Issue 15 in the reports: two report sets of one workbook a month apart, built in that order
into one folder, and the same with the earlier set deleted (the comparison recomputed): the
board pack's headline, its "since the last report" block and attention list, and the department
page's "since" column carry the right KPIs, values and arrows, in English and Danish.

The workbook (tests/build/test_since_last_report.py): SALES-01 40, 42, ... 50 (target 60 from
40): progress 0.4 on 31 May, 0.5 on 30 June, on track both times (expected 0.412 and 0.495);
SALES-02 60, 68, 76, 84, 92, then 55 in June (target 100 from 50): 0.84 on track in May, 0.1 off
track in June: worsened, 92 -> 55."""

from __future__ import annotations

import re
import shutil
from html import unescape
from pathlib import Path
from typing import Any

import pytest

from tests.build.test_incremental import cli
from tests.build.test_since_last_report import workbook

EXPECTED = {
    "en": {
        "headline": [
            "1 of 2 KPIs is achieved or on track.",
            "1 KPI has worsened since 31 May 2026: Orders, off track at 55 against a target of "
            "100.",
        ],
        "since": "Since the last report (31 May 2026)",
        "row": "Orders SALES-02 · Sales ▼ worsened on track → off track 92 → 55",
        "column": "▼ worsened on track · 92",
        "held": "= held on track · 48",
    },
    "da": {
        "headline": [
            "1 af 2 KPI'er er nået eller på sporet.",
            "1 KPI er blevet dårligere siden 31. maj 2026: Orders, bagud med 55 mod et mål på 100.",
        ],
        "since": "Siden sidste rapport (31. maj 2026)",
        "row": "Orders SALES-02 · Sales ▼ forværret på sporet → bagud 92 → 55",
        "column": "▼ forværret på sporet · 92",
        "held": "= uændret på sporet · 48",
    },
}


def text(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).replace("\xa0", " ").strip()


def between(html: str, start: str, end: str) -> str:
    at = html.index(start)
    return html[at : html.index(end, at)]


@pytest.fixture(scope="module", params=["earlier_set", "recomputed"])
def built(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    root = tmp_path_factory.mktemp(request.param)
    path, sets = workbook(root), {}
    for lang in ("en", "da"):
        out = root / lang
        assert (
            cli(
                path, out, "--format", "html,json", "--lang", lang, "--report-date", "2026-05-31"
            ).exit_code
            == 0
        )
        if request.param == "recomputed":
            shutil.rmtree(out / "kpis" / "2026-05-31")
        assert cli(path, out, "--format", "html,json", "--lang", lang).exit_code == 0
        sets[lang] = out / "kpis" / "2026-06-30"
    return sets


@pytest.mark.parametrize("lang", ["en", "da"])
def test_the_board_pack_says_what_changed(built: dict[str, Path], lang: str) -> None:
    words = EXPECTED[lang]
    pack = (built[lang] / "board-pack.html").read_text("utf-8")
    headline = between(pack, '<div class="headline">', "</div>")
    assert [text(p) for p in re.findall(r"<p>(.*?)</p>", headline, re.S)] == words["headline"]
    since = between(pack, '<h2 id="since">', "</table>")
    assert text(since).startswith(words["since"])
    rows = [text(r) for r in since.split("<tr>")[2:]]
    assert rows == [words["row"]]  # SALES-01 held: not listed
    attention = between(pack, '<h2 id="attention">', "</table>")
    orders = text(attention[attention.index("SALES-02") :].split("</tr>")[0])
    assert words["column"].split(" · ")[0] in orders


@pytest.mark.parametrize("lang", ["en", "da"])
def test_the_department_page_has_a_since_column(built: dict[str, Path], lang: str) -> None:
    words = EXPECTED[lang]
    page = (built[lang] / "sales.html").read_text("utf-8")
    table = between(page, '<table class="kpis">', "</table>")
    rows = {r.split("</a>")[0].rsplit(">", 1)[-1]: text(r) for r in table.split("<tr>")[2:]}
    assert words["column"] in rows["Orders"]
    assert words["held"] in rows["New customers per month"]
    assert words["headline"][1] in text(between(page, '<div class="headline">', "</div>"))


def test_comments_and_actions_on_the_right_card_and_in_the_attention_list(
    tmp_path: Path,
) -> None:
    """The English sample's Comments sheet: SALES-03's comment for the report of 30 September
    (with an action, its owner and due date) and SALES-02's comment for every report."""
    from tests.conftest import SAMPLES

    out = tmp_path / "out"
    done = cli(SAMPLES / "acme-en.xlsx", out, "--format", "html,json", "--compare-to", "none")
    assert done.exit_code == 0, done.output
    folder = out / "acme-en" / "2026-09-30"
    sales = (folder / "sales.html").read_text("utf-8")
    said = "Revenue is still below plan after we lost the Nordhavn key account"
    action = "Action: Win back two mid-size accounts with the new service offer (Mette Kjær, "
    card = text(between(sales, 'id="kpi-SALES-03"', "</section>"))
    assert said in card and action + "31 Dec 2026)" in card
    other = text(between(sales, 'id="kpi-SALES-01"', "</section>"))
    assert said not in other  # on its own card only
    general = "Conversion is counted 90 days after the lead"
    assert general in text(between(sales, 'id="kpi-SALES-02"', "</section>"))
    pack = (folder / "board-pack.html").read_text("utf-8")
    attention = between(pack, '<h2 id="attention">', "</table>")
    entry = text(between(attention, "SALES-03", "</tbody>"))
    assert said in entry and action in entry
