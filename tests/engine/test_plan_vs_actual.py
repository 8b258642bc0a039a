"""Issue 14, point 5: actual vs plan for the current period (the last complete one for a ``sum``
KPI, its running period shown "so far"), the variance signed so that positive is better, relative
or in points by the unit, and a ``sum`` KPI's year to date from the fiscal year's first month.
Numbers by hand in the comments."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from kpireport.engine import to_dict
from kpireport.engine.plan import fiscal_year_first_day
from kpireport.export import results_csv
from tests.engine.test_plan_numbers import REVENUE, with_plan
from tests.engine.user_workbooks import compute_sheets, only_kpi, user_sheets

D = dt.date


def fiscal(sheets: dict[str, Any], month: object) -> dict[str, Any]:
    sheets["Settings"].append(["fiscal_year_start", month])
    return sheets


def test_the_last_complete_month_against_its_plan_and_the_running_month_so_far(
    tmp_path: Path,
) -> None:
    # Monthly revenue (sum). Jan..Oct 110..155 by 5; 20 so far in November (a measurement on
    # 3 November); report date 4 November. Plan: October 150, November 170.
    # Current = October (the last complete month): 155 against 150, variance +5, relative
    # +5 / 150 = +3.33 %. November so far: 20 against the month's plan of 170, no variance.
    months = [(D(2026, m, 15), 110 + 5 * (m - 1)) for m in range(1, 11)] + [(D(2026, 11, 3), 20)]
    sheets = with_plan(
        user_sheets(REVENUE, months, report_date=D(2026, 11, 4)),
        ("2026-10", 150),
        ("2026-11", 170),
    )
    plan = only_kpi(compute_sheets(tmp_path, sheets)).plan
    assert plan is not None and plan.current is not None and plan.so_far is not None
    assert (plan.current.period, plan.current.actual, plan.current.planned) == ("2026-10", 155, 150)
    assert plan.current.explicit
    assert plan.current.variance == pytest.approx(5)
    assert plan.current.relative == pytest.approx(5 / 150)
    assert (plan.so_far.period, plan.so_far.actual, plan.so_far.planned) == ("2026-11", 20, 170)
    assert plan.so_far.variance is None
    assert [(p.period, p.actual) for p in plan.periods] == [("2026-10", 155), ("2026-11", None)]


def test_a_lower_is_better_kpi_in_points_below_its_plan_is_better(tmp_path: Path) -> None:
    # Complaint rate in % (points, not relative), lower is better, level KPI (last).
    # Baseline 8 % on 1 Jan, target 4 % by 31 Dec. March actual 5.5 %, March plan 6 % (typed as
    # the user types percentages; the numbers hold them as fractions): variance -(5.5 - 6) =
    # +0.5 points (better, 0.005 as a fraction), no relative variance.
    kpi = {
        "unit": "%",
        "direction": "lower",
        "target": 4,
        "baseline": 8,
        "baseline_date": D(2026, 1, 1),
        "aggregation": "last",
    }
    months = [(D(2026, 1, 31), 7.5), (D(2026, 2, 28), 6.5), (D(2026, 3, 31), 5.5)]
    sheets = with_plan(user_sheets(kpi, months, report_date=D(2026, 3, 31)), ("2026-03", 6))
    plan = only_kpi(compute_sheets(tmp_path, sheets)).plan
    assert plan is not None and plan.current is not None
    assert plan.current.actual == pytest.approx(0.055)
    assert plan.current.planned == pytest.approx(0.06)
    assert plan.current.variance == pytest.approx(0.005)
    assert plan.current.relative is None
    assert plan.year_to_date is None  # a level is not summed over the year


def test_a_month_without_a_plan_row_is_planned_by_the_plan_line(tmp_path: Path) -> None:
    # Level KPI (last), baseline 100 on 1 Jan 2026, target 160 by 31 Dec. Plan: March 130 only.
    # February is not planned: the line from the baseline (100 on 1 Jan) to March's 130 (on
    # 31 March), on 28 February: 58 of 89 days, 100 + 30 x 58 / 89 = 119.55. Actual 118:
    # variance -1.55.
    kpi = {**REVENUE, "aggregation": "last"}
    months = [(D(2026, 1, 31), 110), (D(2026, 2, 28), 118)]
    sheets = with_plan(user_sheets(kpi, months, report_date=D(2026, 2, 28)), ("2026-03", 130))
    plan = only_kpi(compute_sheets(tmp_path, sheets)).plan
    assert plan is not None and plan.current is not None
    assert not plan.current.explicit
    assert plan.current.planned == pytest.approx(100 + 30 * 58 / 89)
    assert plan.current.variance == pytest.approx(118 - (100 + 30 * 58 / 89))
    assert [p.date for p in plan.line] == [D(2026, 1, 1), D(2026, 3, 31), D(2026, 12, 31)]


def test_year_to_date_across_a_fiscal_year_that_starts_in_july(tmp_path: Path) -> None:
    # Monthly revenue (sum), baseline 100 on 1 Jan 2026, target 160 by 30 June 2027; fiscal year
    # from July. Actuals: May 2026 140, June 150 (the old fiscal year), July 120, August 110,
    # September: no value, October 130; report date 31 October 2026.
    # Plan: June 145, July 115, August 120, September 125, October 135.
    # YTD = July to October: counted July, August, October (3; September missing):
    # actual 120 + 110 + 130 = 360, plan 115 + 120 + 135 = 370, variance -10, relative -10/370.
    # June's 150 against 145 belongs to the year before and is not counted.
    kpi = {**REVENUE, "deadline": D(2027, 6, 30)}
    months = [(D(2026, 5, 15), 140), (D(2026, 6, 15), 150), (D(2026, 7, 15), 120)]
    months += [(D(2026, 8, 15), 110), (D(2026, 10, 15), 130)]
    sheets = user_sheets(kpi, months, report_date=D(2026, 10, 31))
    rows = [("2026-06", 145), ("2026-07", 115), ("2026-08", 120), ("2026-09", 125)]
    sheets = fiscal(with_plan(sheets, *rows, ("2026-10", 135)), "July")
    plan = only_kpi(compute_sheets(tmp_path, sheets)).plan
    assert plan is not None and plan.year_to_date is not None
    ytd = plan.year_to_date
    assert (ytd.start, ytd.end) == (D(2026, 7, 1), D(2026, 10, 31))
    assert (ytd.periods, ytd.missing) == (3, 1)
    assert (ytd.actual, ytd.planned) == (360, 370)
    assert ytd.variance == pytest.approx(-10)
    assert ytd.relative == pytest.approx(-10 / 370)
    # the same workbook with the calendar year: January to October, May 140 and June 150 join;
    # January..April have no value (4 missing); plan of May from the line: 100 on 1 Jan to June's
    # 145 on 30 June, on 31 May: 100 + 45 x 150 / 180 = 137.5.
    sheets["Settings"] = [row for row in sheets["Settings"] if row[0] != "fiscal_year_start"]
    ytd = only_kpi(compute_sheets(tmp_path, sheets, "calendar.xlsx")).plan.year_to_date  # type: ignore[union-attr]
    assert ytd is not None
    assert (ytd.start, ytd.periods, ytd.missing) == (D(2026, 1, 1), 5, 5)
    assert ytd.actual == 140 + 150 + 360
    assert ytd.planned == pytest.approx(100 + 45 * 150 / 180 + 145 + 370)


def test_the_running_month_is_not_counted_in_the_year_to_date(tmp_path: Path) -> None:
    # Monthly sum, calendar year. Jan 100, Feb 110, 12 so far in March (report date 5 March).
    # Plan Jan 105, Feb 105, Mar 120. YTD = Jan + Feb: 210 against 210, variance 0.
    months = [(D(2026, 1, 20), 100), (D(2026, 2, 20), 110), (D(2026, 3, 2), 12)]
    sheets = with_plan(
        user_sheets(REVENUE, months, report_date=D(2026, 3, 5)),
        ("2026-01", 105),
        ("2026-02", 105),
        ("2026-03", 120),
    )
    plan = only_kpi(compute_sheets(tmp_path, sheets)).plan
    assert plan is not None and plan.year_to_date is not None and plan.so_far is not None
    assert (plan.year_to_date.actual, plan.year_to_date.planned) == (210, 210)
    assert plan.year_to_date.variance == 0
    assert plan.so_far.actual == 12


def test_a_kpi_without_a_plan_has_none_and_results_json_carries_the_plan(tmp_path: Path) -> None:
    months = [(D(2026, 1, 20), 100), (D(2026, 2, 20), 110)]
    sheets = user_sheets(REVENUE, months, report_date=D(2026, 2, 28))
    assert only_kpi(compute_sheets(tmp_path, sheets)).plan is None
    results = compute_sheets(tmp_path, with_plan(sheets, ("2026-02", 104)), "planned.xlsx")
    data = json.loads(json.dumps(to_dict(results)))
    plan = data["departments"][0]["kpis"][0]["plan"]
    assert plan["current"]["period"] == "2026-02"
    assert plan["current"]["variance"] == pytest.approx(6)
    assert plan["year_to_date"]["actual"] == 210


@pytest.mark.parametrize(
    ("day", "month", "first"),
    [
        (D(2026, 6, 30), 7, D(2025, 7, 1)),
        (D(2026, 7, 1), 7, D(2026, 7, 1)),
        (D(2026, 12, 31), 1, D(2026, 1, 1)),
        (D(2027, 3, 1), 4, D(2026, 4, 1)),
    ],
)
def test_fiscal_year_first_day(day: dt.date, month: int, first: dt.date) -> None:
    assert fiscal_year_first_day(day, month) == first


def test_the_frames_and_results_csv_carry_the_plan(tmp_path: Path) -> None:
    # Monthly sum, Jan 100, Feb 110, Mar 125; plan Feb 104 and Mar 120 (January unplanned: the
    # plan line from the baseline, 100 on 1 Jan, to 104 on 28 Feb, on 31 January: 100 + 4 x
    # 30 / 58 = 102.07). The series' "expected" is the plan line at each period's end, "plan"
    # the period's plan; the KPI row has March against its plan (+5, +5/120) and the year to
    # date (335 against 326.07).
    months = [(D(2026, 1, 20), 100), (D(2026, 2, 20), 110), (D(2026, 3, 20), 125)]
    sheets = with_plan(
        user_sheets(REVENUE, months, report_date=D(2026, 3, 31)), ("2026-02", 104), ("2026-03", 120)
    )
    results = compute_sheets(tmp_path, sheets)
    series = results.series_frame()
    january = 100 + 4 * 30 / 58
    assert list(series["plan"]) == pytest.approx([january, 104, 120])
    assert list(series["expected"]) == pytest.approx([january, 104, 120])
    row = results.to_frame().iloc[0]
    assert (row["goal"], row["plan_period"], row["plan"]) == ("reach", "2026-03", 120)
    assert row["plan_variance"] == pytest.approx(5)
    assert row["plan_relative"] == pytest.approx(5 / 120)
    assert (row["ytd_actual"], row["ytd_plan"]) == pytest.approx((335, january + 224))
    header, values = results_csv(results).decode("utf-8-sig").splitlines()[:2]
    cells = dict(zip(header.split(","), values.split(","), strict=True))
    assert (cells["Goal"], cells["Plan"], cells["Difference from plan"]) == (
        "reach",
        "120.0",
        "5.0",
    )
    assert float(cells["Year-to-date plan"]) == pytest.approx(january + 224)
