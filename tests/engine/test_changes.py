"""Issue 15, point 1: each KPI compared with the previous report: its status move along
achieved > on track > at risk > off track > missed (to or from no data or too early: changed),
the change in its value (positive = better), and per department and for the company the KPIs
whose status moved, came or went, worsened first."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path

import pytest

from kpireport.engine import compute, to_dict
from kpireport.engine.changes import compare, move
from kpireport.engine.results import Results
from kpireport.previous import month_before
from kpireport.validate import check
from tests.conftest import SAMPLES, kpi_row, valid_sheets
from tests.engine.user_workbooks import compute_sheets

D = dt.date


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        ("on_track", "on_track", "held"),
        ("on_track", "achieved", "improved"),
        ("missed", "off_track", "improved"),
        ("achieved", "on_track", "worsened"),
        ("at_risk", "missed", "worsened"),
        ("no_data", "on_track", "changed"),
        ("on_track", "too_early", "changed"),
        ("too_early", "no_data", "changed"),
    ],
)
def test_a_status_move(before: str, after: str, expected: str) -> None:
    assert move(before, after) == expected


def two_reports(tmp_path: Path) -> tuple[Results, Results]:
    """Sales: SALES-01 (both reports), SALES-02 (only the earlier), SALES-03 (only the later);
    Support: SUP-01 (only the earlier: its department is gone)."""
    earlier = copy.deepcopy(valid_sheets())
    later = copy.deepcopy(valid_sheets())
    earlier["KPIs"] += [
        kpi_row(id="SALES-02", name="Orders"),
        kpi_row(id="SUP-01", department="Support", name="Tickets"),
    ]
    later["KPIs"].append(kpi_row(id="SALES-03", name="Quotes"))
    months = [D(2026, m, 1) for m in range(1, 7)]
    for sheets, ids in ((earlier, ["SALES-02", "SUP-01"]), (later, ["SALES-03"])):
        sheets["Measurements"] += [
            [i, d, 40 + 2 * n, None] for i in ids for n, d in enumerate(months)
        ]
    return compute_sheets(tmp_path, later, "later.xlsx"), compute_sheets(
        tmp_path, earlier, "earlier.xlsx"
    )


def test_each_kpi_gets_its_previous_status_value_and_move(tmp_path: Path) -> None:
    now, before = two_reports(tmp_path)
    # SALES-01 measured 40..50 in both; make the earlier report show it achieved at 55, so that
    # now (on track at 50) it has worsened by 5
    old = before.departments[0].kpis[0]
    old.status, old.current = "achieved", 55.0
    compare(now, before, "earlier_set")
    kpi = now.departments[0].kpis[0]
    assert kpi.previous is not None
    assert (kpi.previous.status, kpi.previous.current, kpi.previous.move) == (
        "achieved",
        55.0,
        "worsened",
    )
    assert kpi.previous.difference == pytest.approx(-5)
    assert kpi.previous.report_date == before.report_date
    assert kpi.previous.source == "earlier_set"
    assert now.compared_with is not None and now.compared_with.source == "earlier_set"


def test_a_lower_is_better_kpi_that_fell_has_a_positive_difference(tmp_path: Path) -> None:
    now, before = two_reports(tmp_path)
    for results, value in ((now, 4.0), (before, 6.0)):
        kpi = results.departments[0].kpis[0]
        kpi.direction, kpi.current = "lower", value
    compare(now, before, "recomputed")
    previous = now.departments[0].kpis[0].previous
    assert previous is not None and previous.difference == pytest.approx(2)


def test_changes_list_the_moves_new_and_gone_worsened_first(tmp_path: Path) -> None:
    now, before = two_reports(tmp_path)
    before.departments[0].kpis[0].status = "achieved"  # SALES-01 worsened to on track
    compare(now, before, "recomputed")
    sales = now.departments[0]
    assert [(c.id, c.move, c.before, c.after) for c in sales.changes] == [
        ("SALES-01", "worsened", "achieved", now.departments[0].kpis[0].status),
        ("SALES-03", "new", None, now.departments[0].kpis[1].status),
        ("SALES-02", "gone", before.departments[0].kpis[1].status, None),
    ]
    company = [(c.id, c.move) for c in now.summary.changes]
    assert company == [
        ("SALES-01", "worsened"),
        ("SALES-03", "new"),
        ("SALES-02", "gone"),
        ("SUP-01", "gone"),
    ]
    new = now.departments[0].kpis[1]
    assert new.id == "SALES-03" and new.previous is None


def test_a_kpi_whose_status_held_is_not_in_the_changes(tmp_path: Path) -> None:
    now, before = two_reports(tmp_path)
    compare(now, before, "recomputed")
    assert now.departments[0].kpis[0].previous.move == "held"  # type: ignore[union-attr]
    assert "SALES-01" not in [c.id for c in now.departments[0].changes]


@pytest.mark.parametrize("sample", ["acme-en", "fjordsol-da"])
def test_the_previous_report_computed_from_the_reports_series_is_the_same(sample: str) -> None:
    """kpireport/previous.py computes the month before with the report's results (``later``):
    on any earlier date, the ends of months, quarters and weeks among them, the results are
    exactly those computed afresh."""
    workbook, report = check(SAMPLES / f"{sample}.xlsx")
    results = compute(workbook, report)
    day = results.report_date
    earlier = [month_before(day), month_before(month_before(day)), day - dt.timedelta(days=1)]
    earlier += [day - dt.timedelta(days=n) for n in (3, 10, 45, 92, 200, 400)]
    for date in earlier:
        taken = compute(workbook, report, report_date=date, later=results)
        assert to_dict(taken) == to_dict(compute(workbook, report, report_date=date)), date
