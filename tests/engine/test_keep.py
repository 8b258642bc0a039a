"""Issue 14, point 6: keep KPIs, whose target is a limit to hold from the baseline date to the
deadline. Each status in both directions, numbers by hand."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from kpireport.engine import KpiResult, compute, compute_kpi, to_dict
from kpireport.model import KPI, Measurement, PlanRow
from kpireport.validate import check
from tests.conftest import schema_problems, write_workbook
from tests.engine.test_engine import make_kpi
from tests.engine.user_workbooks import compute_sheets, only_kpi, user_sheets

D = dt.date


def keep_kpi(direction: str) -> KPI:
    """Sick leave at most 3 (lower), or uptime at least 3 (higher), monthly, held from
    1 January to 31 December 2026."""
    return make_kpi(
        direction=direction,
        target=3.0,
        deadline=D(2026, 12, 31),
        baseline=None,
        baseline_date=D(2026, 1, 1),
        goal="keep",
    )


def run(
    direction: str, values: list[float], as_of: dt.date, plan: list[PlanRow] | None = None
) -> KpiResult:
    # ``values`` written for "lower" (at most 3); for "higher" mirrored around 3 (at least 3)
    mirror = (lambda v: v) if direction == "lower" else (lambda v: 6 - v)
    ms = [Measurement("K-1", D(2026, m, 28), "day", mirror(v), m) for m, v in enumerate(values, 1)]
    return compute_kpi(keep_kpi(direction), ms, [], as_of, plan=plan)


DIRECTIONS = pytest.mark.parametrize("direction", ["lower", "higher"])


@DIRECTIONS
def test_on_track_while_within_the_limit(direction: str) -> None:
    # 2.0, 2.5, 2.0, 2.5, 2.0, 2.5: within 3 every month; the trend is flat (median slope 0), so
    # the forecast stays within. Margin on 30 June: 3 - 2.5 = 0.5. Held 6 of 6.
    result = run(direction, [2.0, 2.5, 2.0, 2.5, 2.0, 2.5], D(2026, 6, 30))
    assert result.status == "on_track"
    assert result.keep is not None
    assert (result.keep.limit, result.keep.periods_held, result.keep.periods) == (3.0, 6, 6)
    assert result.keep.margin == pytest.approx(0.5)
    assert result.progress is None and result.shortfall is None and result.required_pace is None


@DIRECTIONS
def test_at_risk_when_the_forecast_crosses_the_limit(direction: str) -> None:
    # 1.0, 1.5, 2.0, 2.5 rising 0.5 a month: within now (margin 0.5), but 2.5 + 0.5 x 8 = 6.5
    # by December, beyond 3: at risk.
    result = run(direction, [1.0, 1.5, 2.0, 2.5], D(2026, 4, 30))
    assert result.status == "at_risk"
    assert result.keep is not None and result.keep.margin == pytest.approx(0.5)


@DIRECTIONS
def test_off_track_beyond_the_limit(direction: str) -> None:
    # 2.0, 2.5, 3.5: beyond the limit in March, margin 3 - 3.5 = -0.5; held 2 of 3.
    result = run(direction, [2.0, 2.5, 3.5], D(2026, 3, 31))
    assert result.status == "off_track"
    assert result.keep is not None
    assert result.keep.margin == pytest.approx(-0.5)
    assert (result.keep.periods_held, result.keep.periods) == (2, 3)


@DIRECTIONS
def test_achieved_or_missed_at_the_deadline_by_the_deadlines_period(direction: str) -> None:
    # twelve months, held 11 of 12: December within, so achieved on 31 December; December
    # beyond, missed, however well the other months did.
    within = [2.0] * 5 + [3.5] + [2.0] * 6
    result = run(direction, within, D(2026, 12, 31))
    assert result.status == "achieved"
    assert result.keep is not None and (result.keep.periods_held, result.keep.periods) == (11, 12)
    result = run(direction, [2.0] * 11 + [3.2], D(2027, 1, 15))
    assert result.status == "missed"


@DIRECTIONS
def test_too_early_and_no_data_as_for_reach_kpis(direction: str) -> None:
    assert run(direction, [2.0], D(2026, 1, 31)).status == "too_early"
    result = run(direction, [], D(2026, 3, 31))
    assert result.status == "no_data"
    assert result.keep is not None and result.keep.margin is None


def test_a_plan_on_a_keep_kpi_gives_seasonal_limits() -> None:
    # At most 3, but 4 in February (flu season): February's 3.5 is within its limit.
    plan = [PlanRow("K-1", D(2026, 2, 1), "month", 4.0, 2)]
    result = run("lower", [2.0, 3.5], D(2026, 2, 28), plan)
    assert result.keep is not None
    assert (result.keep.limit, result.keep.periods_held) == (4.0, 2)
    assert result.keep.margin == pytest.approx(0.5)


def test_a_keep_kpi_from_a_workbook_in_results_json(tmp_path: Path) -> None:
    # Sick leave at most 3 %, typed as a user does, the goal column in Danish; June 2.5 %.
    sheets = user_sheets(
        {"unit": "%", "direction": "lower", "target": 3, "baseline": None, "aggregation": "last"},
        [(D(2026, m, 28), v) for m, v in enumerate([2.0, 2.5, 2.0, 2.5, 2.0, 2.5], 1)],
        report_date=D(2026, 6, 30),
    )
    sheets["KPIs"] = [
        [*row, "måltype" if n == 0 else "hold"] for n, row in enumerate(sheets["KPIs"])
    ]
    data = to_dict(compute_sheets(tmp_path, sheets))
    assert schema_problems(data) == []
    kpi = data["departments"][0]["kpis"][0]
    assert (kpi["goal"], kpi["status"], kpi["progress"]) == ("keep", "on_track", None)
    assert kpi["keep"]["limit"] == pytest.approx(0.03)
    assert kpi["keep"]["margin"] == pytest.approx(0.005)
    assert (kpi["keep"]["periods_held"], kpi["keep"]["periods"]) == (6, 6)


def test_the_target_decides_achieved_even_where_the_plan_allows_more(tmp_path: Path) -> None:
    # Sick leave at most 3 %, the plan allows 3.5 % in December (validation warns that the plan
    # ends away from the target, at the plan row's target cell). December 3.2 %: within
    # December's limit, so the margin is +0.3 pp, but beyond the target: missed on 31 December.
    sheets = user_sheets(
        {"unit": "%", "direction": "lower", "target": 3, "baseline": None, "aggregation": "last"},
        [(D(2026, m, 28), 2.5) for m in range(1, 12)] + [(D(2026, 12, 28), 3.2)],
        report_date=D(2026, 12, 31),
    )
    sheets["KPIs"] = [[*row, "goal" if n == 0 else "keep"] for n, row in enumerate(sheets["KPIs"])]
    sheets["Plan"] = [["kpi", "period", "target"], ["SALES-01", "2026-12", 3.5]]
    workbook, report = check(write_workbook(tmp_path / "keep.xlsx", sheets))
    assert ("plan-target-mismatch", "C2") in [(i.code, i.cell) for i in report.warnings]
    kpi = only_kpi(compute(workbook, report))
    assert kpi.status == "missed"
    assert kpi.keep is not None and kpi.keep.margin == pytest.approx(0.003)


def test_the_card_says_the_limit_is_crossed_when_the_status_does() -> None:
    # At most 3, the plan allows 3.5 in December. 2.4, 2.475, 2.55, 2.625 by April, 0.075 a
    # month: the forecast for December is 2.625 + 0.075 x 8 = 3.225, beyond the target that
    # decides (at risk), though within December's planned 3.5: the card must say it crosses the
    # limit, as the status does (it said "stays within", reading the plan's December).
    from kpireport.render import View
    from kpireport.render.failed import Heading

    plan = [PlanRow("K-1", D(2026, 12, 1), "month", 3.5, 2)]
    result = run("lower", [2.4, 2.475, 2.55, 2.625], D(2026, 4, 30), plan)
    assert result.status == "at_risk"
    assert result.forecast is not None and result.forecast.value == pytest.approx(3.225)
    view = View(Heading("k.xlsx", "0" * 64, D(2026, 4, 30), "en", "A/S", "KPIs", None, None))
    assert view.keep_outlook(result) == "crosses the limit"
