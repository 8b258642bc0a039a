"""Issue 15, point 3: the headline sentences, checked against sentences written by hand, for
0, 1 and many KPIs in each kind of move, in English, Danish and Swedish."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path

import pytest

from kpireport.engine import Results
from kpireport.engine.changes import compare
from kpireport.headlines import headlines
from kpireport.i18n import get_locale
from tests.conftest import kpi_row, valid_sheets
from tests.engine.user_workbooks import compute_sheets

D = dt.date


def results(tmp_path: Path, name: str, values: dict[str, list[float]], as_of: dt.date) -> Results:
    """KPIs named by id (monthly sums from 1 January, target 60 from 40 by 31 December 2026),
    each with its values per month, as of ``as_of``."""
    sheets = copy.deepcopy(valid_sheets())
    names = {"SALES-01": "New customers", "SALES-02": "Orders", "SALES-03": "Quotes"}
    sheets["KPIs"] = [sheets["KPIs"][0]] + [
        kpi_row(id=kpi_id, name=names[kpi_id]) for kpi_id in values
    ]
    sheets["Measurements"] = [["kpi", "date", "value", "note"]] + [
        [kpi_id, D(2026, m, 1), v, None]
        for kpi_id, row in values.items()
        for m, v in enumerate(row, start=1)
    ]
    sheets["Benchmarks"] = [sheets["Benchmarks"][0]]
    sheets["Settings"] = [r for r in sheets["Settings"] if r[0] != "report_date"]
    sheets["Settings"].append(["report_date", as_of])
    return compute_sheets(tmp_path, sheets, name)


def sentences(now: Results, lang: str) -> list[str]:
    return headlines(
        [k for d in now.departments for k in d.kpis],
        now.summary.changes,
        now.summary.attention,
        now.compared_with,
        get_locale(lang),
    )


# From 40 on 1 January to 60 on 31 December (364 days). Expected progress on 31 May: 150 / 364
# = 0.412 (on-track bar 0.391, at-risk line 0.330); on 30 June 180 / 364 = 0.495 (0.470, 0.396).
# SALES-01: May 50, progress 0.5: on track; June 44, 0.2: off track (worsened).
# SALES-02: May 45, 0.25: off track; June 58, 0.9: on track (improved).
# SALES-03: 42 in May and June, 0.1: off track both times (held), the furthest behind.
MANY = {
    "SALES-01": [41, 43, 45, 47, 50, 44],
    "SALES-02": [41, 42, 43, 44, 45, 58],
    "SALES-03": [40, 40, 41, 41, 42, 42],
}


@pytest.fixture
def many(tmp_path: Path) -> Results:
    now = results(tmp_path, "june.xlsx", MANY, D(2026, 6, 30))
    before = results(tmp_path, "may.xlsx", {k: v[:5] for k, v in MANY.items()}, D(2026, 5, 31))
    compare(now, before, "earlier_set")
    return now


def test_statuses_this_test_relies_on(many: Results) -> None:
    kpis = {k.id: k for d in many.departments for k in d.kpis}
    moves = {k: (v.previous.status, v.status) for k, v in kpis.items() if v.previous}
    assert moves == {
        "SALES-01": ("on_track", "off_track"),
        "SALES-02": ("off_track", "on_track"),
        "SALES-03": ("off_track", "off_track"),
    }


EXPECTED = {
    "en": [
        "1 of 3 KPIs is achieved or on track.",
        "1 KPI has worsened since 31 May 2026: New customers, off track at 44 against a target "
        "of 60.",
        "1 KPI has improved: Orders.",
        "Furthest behind: Quotes, off track at 42 against a target of 60.",
    ],
    "da": [
        "1 af 3 KPI'er er nået eller på sporet.",
        "1 KPI er blevet dårligere siden 31. maj 2026: New customers, bagud med 44 mod et mål "
        "på 60.",
        "1 KPI er blevet bedre: Orders.",
        "Længst bagud: Quotes, bagud med 42 mod et mål på 60.",
    ],
    "sv": [
        "1 av 3 KPI:er är uppnådd eller i fas.",
        "1 KPI har försämrats sedan 31 maj 2026: New customers, avviker med 44 mot ett mål på 60.",
        "1 KPI har förbättrats: Orders.",
        "Längst efter: Quotes, avviker med 42 mot ett mål på 60.",
    ],
}


@pytest.mark.parametrize("lang", ["en", "da", "sv"])
def test_the_headlines_of_many_kpis(many: Results, lang: str) -> None:
    assert sentences(many, lang) == EXPECTED[lang]


def test_nothing_worsened_and_no_comparison(tmp_path: Path) -> None:
    # SALES-02 alone, on track in both months (May 48: 0.4; June 52: 0.6).
    values = {"SALES-02": [41, 43, 45, 46, 48, 52]}
    now = results(tmp_path, "june.xlsx", values, D(2026, 6, 30))
    before = results(tmp_path, "may.xlsx", {"SALES-02": values["SALES-02"][:5]}, D(2026, 5, 31))
    alone = sentences(now, "en")
    assert alone == ["1 of 1 KPI is achieved or on track."]  # nothing behind, no comparison
    compare(now, before, "recomputed")
    assert sentences(now, "en") == [
        "1 of 1 KPI is achieved or on track.",
        "No KPI has worsened since 31 May 2026.",
    ]
    assert sentences(now, "da")[1] == "Ingen KPI er blevet dårligere siden 31. maj 2026."


def test_many_worsened_and_many_improved(tmp_path: Path) -> None:
    # All three on track in May (50, 50, 50: 0.5), off track in June (42: 0.1): 3 worsened;
    # the furthest behind is the first worsened one, so it is not named twice.
    values = {k: [41, 43, 45, 47, 50, 42] for k in ("SALES-01", "SALES-02", "SALES-03")}
    now = results(tmp_path, "june.xlsx", values, D(2026, 6, 30))
    before = results(tmp_path, "may.xlsx", {k: v[:5] for k, v in values.items()}, D(2026, 5, 31))
    compare(now, before, "recomputed")
    assert sentences(now, "en") == [
        "0 of 3 KPIs are achieved or on track.",
        "3 KPIs have worsened since 31 May 2026: New customers, off track at 42 against a "
        "target of 60.",
    ]
    assert sentences(now, "da")[1].startswith("3 KPI'er er blevet dårligere siden 31. maj 2026")
    # and the other way round: off track in May (42), on track in June (52): 3 improved
    values = {k: [41, 41, 41, 42, 42, 52] for k in ("SALES-01", "SALES-02", "SALES-03")}
    now = results(tmp_path, "june2.xlsx", values, D(2026, 6, 30))
    before = results(tmp_path, "may2.xlsx", {k: v[:5] for k, v in values.items()}, D(2026, 5, 31))
    compare(now, before, "recomputed")
    assert sentences(now, "en")[1:] == [
        "No KPI has worsened since 31 May 2026.",
        "3 KPIs have improved: New customers, Orders and Quotes.",
    ]
    assert sentences(now, "da")[2] == "3 KPI'er er blevet bedre: New customers, Orders og Quotes."
    assert sentences(now, "sv")[2] == "3 KPI:er har förbättrats: New customers, Orders och Quotes."
