"""Issue 14, point 4: where a KPI has a plan, the expected value on the report date is the plan's
(linear between planned periods, the baseline before the first, the target at the deadline), and
the status follows its documented rules with that expected progress. Numbers by hand."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from kpireport.engine import compute_kpi
from kpireport.model import KPI, Measurement, PlanRow
from kpireport.periods import period_end
from tests.engine.test_engine import make_kpi
from tests.engine.user_workbooks import compute_sheets, only_kpi, user_sheets

D = dt.date

# Monthly revenue (sum), baseline 100 on 1 Jan 2026, target 160 by 31 Dec 2026.
REVENUE = {"target": 160, "baseline": 100, "baseline_date": D(2026, 1, 1), "aggregation": "sum"}


def with_plan(sheets: dict[str, Any], *rows: tuple[str, float]) -> dict[str, Any]:
    sheets["Plan"] = [["kpi", "period", "target"]] + [["SALES-01", p, v] for p, v in rows]
    return sheets


def test_a_quiet_month_on_plan_is_on_track_where_the_straight_line_says_at_risk(
    tmp_path: Path,
) -> None:
    # Jan..Jul 110, 115, 120, 125, 130, 135, 130 (a quiet July); report date 31 July.
    # Progress (130 - 100) / 60 = 0.5. Straight line: 211 of 364 days, expected 0.5797; on-track
    # bar 0.95 x 0.5797 = 0.5507, at-risk line 0.4637: at risk (the trend, 5 a month, gives
    # 130 + 5 x 5 = 155 in December, short of 160, so it does not lift it).
    # Plan: July 125, December 160. Expected value on 31 July = July's plan, 125: expected
    # progress (125 - 100) / 60 = 0.4167, on-track bar 0.3958; 0.5 >= 0.3958: on track.
    values = [110, 115, 120, 125, 130, 135, 130]
    months = [(D(2026, m, 15), v) for m, v in enumerate(values, start=1)]
    straight = user_sheets(REVENUE, months, report_date=D(2026, 7, 31))
    kpi = only_kpi(compute_sheets(tmp_path, straight, "straight.xlsx"))
    assert kpi.progress == pytest.approx(0.5)
    assert kpi.expected_progress == pytest.approx(211 / 364)
    assert kpi.status == "at_risk"
    planned = with_plan(straight, ("2026-07", 125), ("2026-12", 160))
    kpi = only_kpi(compute_sheets(tmp_path, planned, "planned.xlsx"))
    assert kpi.progress == pytest.approx(0.5)
    assert kpi.expected_progress == pytest.approx(25 / 60)
    assert kpi.status == "on_track"
    assert kpi.shortfall == pytest.approx(25 / 60 - 0.5)  # ahead of plan: negative


def test_a_busy_month_below_plan_is_at_risk_where_the_straight_line_says_on_track(
    tmp_path: Path,
) -> None:
    # Jan..Oct 120, 121, ..., 129, November 155; report date 30 November.
    # Progress (155 - 100) / 60 = 0.9167. Straight line: 333 of 364 days, expected 0.9148,
    # on-track bar 0.8691: on track. Plan: a Black Friday November of 165 (and 160 in December):
    # expected (165 - 100) / 60 = 1.0833, on-track bar 1.0292, at-risk line 0.8667: at risk
    # (the trend, 1 a month, gives 156 in December: no lift).
    values = [120 + n for n in range(10)] + [155]
    months = [(D(2026, m, 15), v) for m, v in enumerate(values, start=1)]
    straight = user_sheets(REVENUE, months, report_date=D(2026, 11, 30))
    kpi = only_kpi(compute_sheets(tmp_path, straight, "straight.xlsx"))
    assert kpi.expected_progress == pytest.approx(333 / 364)
    assert kpi.status == "on_track"
    planned = with_plan(straight, ("2026-11", 165), ("2026-12", 160))
    kpi = only_kpi(compute_sheets(tmp_path, planned, "planned.xlsx"))
    assert kpi.progress == pytest.approx(55 / 60)
    assert kpi.expected_progress == pytest.approx(65 / 60)
    assert kpi.status == "at_risk"


def test_between_planned_periods_the_plan_is_a_straight_line(tmp_path: Path) -> None:
    # Plan: March 120 (on 31 March), June 90 (on 30 June). Report date 15 May: 45 of the 91 days
    # from 31 March to 30 June, 120 - 30 x 45 / 91 = 105.16; expected (105.16 - 100) / 60.
    # Before the first planned period, from the baseline: on 28 February (58 of the 89 days from
    # 1 January to 31 March) 100 + 20 x 58 / 89 = 113.03.
    months = [(D(2026, m, 15), 100 + m) for m in range(1, 6)]
    sheets = with_plan(
        user_sheets(REVENUE, months, report_date=D(2026, 5, 15)), ("2026-03", 120), ("2026-06", 90)
    )
    kpi = only_kpi(compute_sheets(tmp_path, sheets))
    assert kpi.expected_progress == pytest.approx((120 - 30 * 45 / 91 - 100) / 60)
    sheets["Settings"][-1][1] = D(2026, 2, 28)
    kpi = only_kpi(compute_sheets(tmp_path, sheets, "feb.xlsx"))
    assert kpi.expected_progress == pytest.approx(20 * 58 / 89 / 60)


def test_a_month_planned_below_the_baseline_is_on_track_when_on_plan(tmp_path: Path) -> None:
    # A quiet July planned at 70, below the baseline 100: expected progress (70 - 100) / 60 =
    # -0.5. July's actual 70 is exactly on plan, progress -0.5. The bars are measured from the
    # plan outwards: on track from -0.5 - 0.05 x 0.5 = -0.525, so on track (by the plain
    # product, 0.95 x -0.5 = -0.475, exactly on plan would have been at risk or worse).
    values = [105, 110, 115, 120, 125, 130, 70]
    months = [(D(2026, m, 15), v) for m, v in enumerate(values, start=1)]
    sheets = with_plan(
        user_sheets(REVENUE, months, report_date=D(2026, 7, 31)), ("2026-07", 70), ("2026-12", 160)
    )
    kpi = only_kpi(compute_sheets(tmp_path, sheets))
    assert kpi.progress == pytest.approx(-0.5)
    assert kpi.expected_progress == pytest.approx(-0.5)
    assert kpi.status == "on_track"


# --- the property: a plan on the straight line changes nothing --------------------------------


def _kpi(direction: str, baseline: float, target: float) -> KPI:
    return make_kpi(
        direction=direction,
        baseline=baseline,
        target=target,
        deadline=D(2026, 12, 31),
        baseline_date=D(2026, 1, 1),
    )


@given(
    direction=st.sampled_from(["higher", "lower"]),
    values=st.lists(st.integers(-50, 150), min_size=1, max_size=11),
    as_of_month=st.integers(1, 12),
    planned=st.sets(st.integers(1, 12), min_size=1),
)
def test_a_plan_on_the_straight_line_gives_the_same_statuses_and_progress(
    direction: str, values: list[int], as_of_month: int, planned: set[int]
) -> None:
    baseline, target = (0.0, 100.0) if direction == "higher" else (100.0, 0.0)
    kpi = _kpi(direction, baseline, target)
    ms = [Measurement("K-1", D(2026, m, 28), "day", float(v), m) for m, v in enumerate(values, 1)]
    as_of = period_end(D(2026, as_of_month, 1), "monthly")
    start, deadline = D(2026, 1, 1), D(2026, 12, 31)

    def on_line(month: int) -> float:
        end = period_end(D(2026, month, 1), "monthly")
        return baseline + (target - baseline) * (end - start).days / (deadline - start).days

    plan = [PlanRow("K-1", D(2026, m, 1), "month", on_line(m), m) for m in sorted(planned)]
    without = compute_kpi(kpi, ms, [], as_of)
    with_ = compute_kpi(kpi, ms, [], as_of, plan=plan)
    assert with_.progress == without.progress
    assert with_.expected_progress == pytest.approx(without.expected_progress, abs=1e-12)
    # at a bar exactly, a rounding of 1e-16 decides; away from the bars the status is the same
    if without.progress is not None:
        bars = [without.expected_progress * f for f in (0.95, 0.8)]
        assume(all(abs(without.progress - bar) > 1e-9 for bar in bars))
    assert with_.status == without.status
