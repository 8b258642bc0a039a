"""Acceptance tests of the engine (stage 3): the numbers of docs/workbook-format.md,
"What the numbers mean".

Every expected number is worked out by hand in the test (the arithmetic is in a comment), never by
asking the code under test. Most tests build KPI and Measurement objects directly and call
``compute_kpi``; the percent rule, the Settings thresholds and ``kpireport build`` go through real
workbooks written with the conftest helpers.

The standard clock used by many tests: baseline date 2026-01-01, report date 2026-04-11 (100 days
later: Jan 31 + Feb 28 + Mar 31 = 90 days to Apr 1, +10), deadline 2026-07-20 (200 days later:
90 + Apr 30 + May 31 + Jun 30 = 181 days to Jul 1, +19). So the expected progress is exactly
100 / 200 = 0.5, and with the default thresholds a KPI is on track from progress 0.95 * 0.5 = 0.475
and at risk from 0.80 * 0.5 = 0.4.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from kpireport.cli import main
from kpireport.engine import (
    STATUSES,
    KpiResult,
    compute,
    compute_kpi,
    difference,
    expected_progress,
    progress,
    relative_difference,
    theil_sen,
    to_dict,
)
from kpireport.model import KPI, Benchmark, Department, Measurement, Settings, Workbook
from kpireport.periods import period_end
from kpireport.schema import parse_unit
from kpireport.validate import check
from tests.conftest import SAMPLES, Fmt, kpi_row, valid_sheets, write_workbook

D = dt.date

START = D(2026, 1, 1)  # baseline date of the standard clock
AS_OF = D(2026, 4, 11)  # START + 100 days
DEADLINE = D(2026, 7, 20)  # START + 200 days


def make_kpi(**overrides: Any) -> KPI:
    """A monthly 'higher' KPI on the standard clock, from 0 to 100; keywords replace fields.
    Its aggregation is ``last``: the standard report date falls inside April, where a ``sum``
    KPI's April would be a period still running, set aside (issue 13, point 4)."""
    values: dict[str, Any] = {
        "id": "K-1",
        "department": "Sales",
        "name": "Test KPI",
        "row": 2,
        "unit": parse_unit("count"),
        "direction": "higher",
        "target": 100.0,
        "deadline": DEADLINE,
        "frequency": "monthly",
        "baseline": 0.0,
        "baseline_date": START,
        "aggregation": "last",
        "weight": 1.0,
    }
    values.update(overrides)
    return KPI(**values)


def ms(*pairs: tuple[dt.date, float], kpi_id: str = "K-1") -> list[Measurement]:
    """Measurements from (date, value) pairs; Excel rows 2, 3, ... in the order given."""
    return [
        Measurement(kpi_id, date, "day", float(value), row)
        for row, (date, value) in enumerate(pairs, start=2)
    ]


def run_kpi(
    kpi: KPI,
    measurements: list[Measurement],
    as_of: dt.date = AS_OF,
    benchmarks: list[Benchmark] | None = None,
    **kwargs: Any,
) -> KpiResult:
    return compute_kpi(kpi, measurements, benchmarks or [], as_of, **kwargs)


# The standard clock, per direction: (baseline, target). "lower" runs from 200 down to 100, so
# progress = (x - 200) / (100 - 200) = (200 - x) / 100.
DIRECTIONS = {"higher": (0.0, 100.0), "lower": (200.0, 100.0)}


def two_periods(direction: str, current: float, **thresholds: float) -> KpiResult:
    """A KPI on the standard clock with its baseline typed for January, March at the baseline
    and ``current`` in April: two periods after the baseline period (so not too early), and too
    few for a trend, so no forecast can rescue it. ``thresholds``: on_track, at_risk."""
    baseline, target = DIRECTIONS[direction]
    kpi = make_kpi(direction=direction, baseline=baseline, target=target)
    return run_kpi(kpi, ms((D(2026, 3, 1), baseline), (D(2026, 4, 1), current)), **thresholds)


# --- status, both directions -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("direction", "current", "status", "progress_value"),
    [
        # higher, 0 -> 100, expected 0.5: on track from 0.475, at risk from 0.4
        ("higher", 100, "achieved", 1.0),  # (100 - 0) / (100 - 0) = 1
        ("higher", 120, "achieved", 1.2),  # (120 - 0) / 100 = 1.2: beyond the target
        ("higher", 50, "on_track", 0.5),  # 50 / 100 = 0.5 >= 0.475
        ("higher", 48, "on_track", 0.48),  # 0.48 >= 0.475
        ("higher", 45, "at_risk", 0.45),  # 0.4 <= 0.45 < 0.475
        ("higher", 30, "off_track", 0.3),  # 0.3 < 0.4
        ("higher", -10, "off_track", -0.1),  # (-10 - 0) / 100: moving away
        # lower, 200 -> 100: progress = (200 - x) / 100
        ("lower", 100, "achieved", 1.0),  # (100 - 200) / (100 - 200) = 1
        ("lower", 80, "achieved", 1.2),  # (80 - 200) / -100 = 1.2
        ("lower", 150, "on_track", 0.5),  # (150 - 200) / -100 = 0.5
        ("lower", 152, "on_track", 0.48),  # 48 / 100
        ("lower", 155, "at_risk", 0.45),  # 45 / 100
        ("lower", 170, "off_track", 0.3),  # 30 / 100
        ("lower", 210, "off_track", -0.1),  # (210 - 200) / -100 = -0.1: moving away
    ],
)
def test_status_by_progress_with_default_thresholds(
    direction: str, current: float, status: str, progress_value: float
) -> None:
    result = two_periods(direction, current)
    assert result.expected_progress == 0.5  # 100 days of 200
    assert result.progress == pytest.approx(progress_value, abs=1e-12)
    assert result.status == status
    # two periods: too few for a trend, so nothing is projected
    assert result.recent_pace is None
    assert result.forecast is None or (
        result.forecast.value is None and result.forecast.slope is None
    )


@pytest.mark.parametrize(
    ("direction", "current", "status"),
    [
        # on_track 0.75, at_risk 0.5, expected 0.5: on track from 0.375, at risk from 0.25.
        # (All exact binary fractions, so the boundaries are exact too.)
        ("higher", 37.5, "on_track"),  # 37.5 / 100 = 0.375 >= 0.375 (inclusive)
        ("higher", 37, "at_risk"),  # 0.37 < 0.375, >= 0.25
        ("higher", 25, "at_risk"),  # 0.25 >= 0.25 (inclusive)
        ("higher", 24, "off_track"),  # 0.24 < 0.25
        ("lower", 162.5, "on_track"),  # (200 - 162.5) / 100 = 0.375
        ("lower", 163, "at_risk"),  # 0.37
        ("lower", 175, "at_risk"),  # 0.25
        ("lower", 176, "off_track"),  # 0.24
    ],
)
def test_status_with_other_thresholds(direction: str, current: float, status: str) -> None:
    assert two_periods(direction, current, on_track=0.75, at_risk=0.5).status == status


def test_the_same_progress_gets_different_statuses_under_different_thresholds() -> None:
    # progress 0.45 (expected 0.5): default 0.475 / 0.4 -> at risk; 0.9 -> 0.45 -> on track;
    # 0.99 / 0.95 -> 0.495 / 0.475 -> off track
    assert two_periods("higher", 45).status == "at_risk"
    assert two_periods("higher", 45, on_track=0.9, at_risk=0.5).status == "on_track"
    assert two_periods("higher", 45, on_track=0.99, at_risk=0.95).status == "off_track"


# The forecast clock: baseline date 2026-01-01, deadline 2026-12-31, report date 2026-06-30.
# 2026-01-01 -> 2026-06-30 is 180 days (31+28+31+30+31+30 = 181 days to Jul 1, minus 1);
# 2026-01-01 -> 2026-12-31 is 364 days. Expected progress 180 / 364 = 0.4945...,
# on track from 0.95 * 180 / 364 = 0.4698, at risk from 0.80 * 180 / 364 = 0.3956.
FC_AS_OF = D(2026, 6, 30)
FC_DEADLINE = D(2026, 12, 31)


@pytest.mark.parametrize(
    ("direction", "baseline", "target", "rising", "flat"),
    [
        # higher 40 -> 60: Apr..Jun 43, 45.5, 48: progress (48 - 40) / 20 = 0.4, at risk by
        # pace (0.3956 <= 0.4 < 0.4698). Theil-Sen slope 2.5; from the current value, June, to
        # the deadline's December, 6 periods: 48 + 2.5 * 6 = 63 >= 60, so on track only because
        # of the forecast. (Issue 13: before, the progress 0.3 of 40, 43, 46 was lifted too;
        # below the at-risk line the forecast no longer lifts: tests/engine/test_status_rules.)
        ("higher", 40.0, 60.0, [43, 45.5, 48], [48, 48, 48]),
        # lower 60 -> 40: 57, 54.5, 52: progress (52 - 60) / (40 - 60) = 0.4; slope -2.5,
        # 52 - 2.5 * 6 = 37 <= 40.
        ("lower", 60.0, 40.0, [57, 54.5, 52], [52, 52, 52]),
    ],
)
def test_on_track_only_because_the_forecast_meets_the_target(
    direction: str, baseline: float, target: float, rising: list[float], flat: list[float]
) -> None:
    kpi = make_kpi(direction=direction, baseline=baseline, target=target, deadline=FC_DEADLINE)
    months = [D(2026, 4, 1), D(2026, 5, 1), D(2026, 6, 1)]
    result = run_kpi(kpi, ms(*zip(months, rising, strict=True)), as_of=FC_AS_OF)
    assert result.expected_progress == pytest.approx(180 / 364)
    assert result.progress == pytest.approx(0.4)
    assert result.status == "on_track"
    assert result.forecast is not None
    assert result.forecast.value == pytest.approx(63.0 if direction == "higher" else 37.0)
    # reached where 48 + 2.5n = 60 (or 52 - 2.5n = 40): n = 4.8 -> the 5th period after June,
    # November
    assert result.forecast.date_reached == D(2026, 11, 30)
    # The same progress with a flat trend (slope 0, projected 48 / 52): at risk, since
    # 0.3956 <= 0.4 < 0.4698.
    control = run_kpi(kpi, ms(*zip(months, flat, strict=True)), as_of=FC_AS_OF)
    assert control.progress == pytest.approx(0.4)
    assert control.forecast is not None and control.forecast.slope == 0
    assert control.forecast.date_reached is None
    assert control.status == "at_risk"


@pytest.mark.parametrize("direction", ["higher", "lower"])
def test_missed_when_the_deadline_passed_without_reaching_the_target(direction: str) -> None:
    baseline, target = DIRECTIONS[direction]
    current = 80.0 if direction == "higher" else 120.0  # progress 0.8 either way
    kpi = make_kpi(direction=direction, baseline=baseline, target=target, deadline=D(2026, 3, 31))
    result = run_kpi(kpi, ms((D(2026, 1, 1), baseline), (D(2026, 3, 1), current)))
    assert result.status == "missed"
    assert result.progress == pytest.approx(0.8)
    assert result.expected_progress == 1.0  # the report date is past the deadline: clamped
    assert result.required_pace is None  # no time left to pace
    assert result.shortfall == pytest.approx(0.2)  # a missed KPI falls short of 1: 1 - 0.8


@pytest.mark.parametrize("direction", ["higher", "lower"])
def test_achieved_comes_before_missed(direction: str) -> None:
    # at the target with the deadline passed: achieved, and no more pace is needed
    baseline, target = DIRECTIONS[direction]
    kpi = make_kpi(direction=direction, baseline=baseline, target=target, deadline=D(2026, 3, 31))
    result = run_kpi(kpi, ms((D(2026, 1, 1), baseline), (D(2026, 3, 1), target)))
    assert result.status == "achieved"
    assert result.progress == 1.0
    assert result.required_pace == 0.0


@pytest.mark.parametrize("direction", ["higher", "lower"])
@pytest.mark.parametrize("baseline_given", [True, False])
def test_no_measurements(direction: str, baseline_given: bool) -> None:
    baseline, target = DIRECTIONS[direction]
    kpi = make_kpi(
        direction=direction,
        baseline=baseline if baseline_given else None,
        target=target,
        baseline_date=START if baseline_given else None,
    )
    bench = [Benchmark("K-1", "Industry", 50.0, 2)]
    result = run_kpi(kpi, [], benchmarks=bench)
    assert result.status == "no_data"
    assert result.current is None and result.current_period is None
    assert result.progress is None and result.shortfall is None
    assert result.forecast is None and result.recent_pace is None
    assert result.required_pace is None
    assert result.previous_period_change is None and result.yoy_change is None
    assert result.benchmarks[0].difference is None and result.benchmarks[0].relative is None
    assert result.stale is False
    assert result.series == []
    # and once the deadline has passed, it is missed: nothing was reached
    passed = run_kpi(kpi, [], as_of=D(2026, 8, 1))
    assert passed.status == "missed"


def test_deadline_on_the_report_date_has_not_passed() -> None:
    # as_of == deadline: expected progress 200 / 200 = 1; progress 0.96 >= 0.95 -> on track
    kpi = make_kpi()
    result = run_kpi(kpi, ms((D(2026, 1, 1), 0), (D(2026, 7, 1), 96)), as_of=DEADLINE)
    assert result.expected_progress == 1.0
    assert result.status == "on_track"
    # the day after, it is missed
    after = run_kpi(kpi, ms((D(2026, 1, 1), 0), (D(2026, 7, 1), 96)), as_of=D(2026, 7, 21))
    assert after.status == "missed"


def test_measurements_after_the_report_date_are_left_out() -> None:
    kpi = make_kpi()
    # (March as well: two periods after the baseline period, so not too early to judge)
    data = ms((D(2026, 1, 1), 0), (D(2026, 3, 1), 25), (D(2026, 4, 1), 50), (D(2026, 5, 1), 100))
    result = run_kpi(kpi, data)  # as of 2026-04-11: May is not known yet
    assert result.current == 50.0 and result.current_period == "2026-04"
    assert result.status == "on_track"  # not achieved by a value from the future
    assert result.excluded_after_report_date == 1


# --- progress and expected progress ----------------------------------------------------------


@pytest.mark.parametrize(
    ("current", "baseline", "target", "expected"),
    [
        (40.0, 40.0, 60.0, 0.0),  # at the baseline: 0 / 20
        (60.0, 40.0, 60.0, 1.0),  # at the target: 20 / 20
        (52.0, 40.0, 60.0, 0.6),  # (52 - 40) / (60 - 40) = 0.6
        (30.0, 40.0, 60.0, -0.5),  # (30 - 40) / 20 = -0.5: moving away
        (70.0, 40.0, 60.0, 1.5),  # (70 - 40) / 20 = 1.5: beyond
        (12.0, 12.0, 8.0, 0.0),  # lower: at the baseline
        (8.0, 12.0, 8.0, 1.0),  # lower: (8 - 12) / (8 - 12) = 1
        (11.0, 12.0, 8.0, 0.25),  # (11 - 12) / (8 - 12) = 0.25
        (14.0, 12.0, 8.0, -0.5),  # (14 - 12) / -4 = -0.5: worse than the baseline
        (6.0, 12.0, 8.0, 1.5),  # (6 - 12) / -4 = 1.5: beyond
    ],
)
def test_progress_formula(current: float, baseline: float, target: float, expected: float) -> None:
    assert progress(current, baseline, target) == expected


def test_progress_without_a_baseline_or_with_the_target_at_the_baseline_is_none() -> None:
    assert progress(50.0, None, 60.0) is None
    assert progress(50.0, 60.0, 60.0) is None  # (50 - 60) / 0: undefined


def test_baseline_given_versus_the_first_periods_value() -> None:
    data = ms(
        (D(2026, 1, 5), 10),  # January: 10 + 20 = 30 (sum)
        (D(2026, 1, 20), 20),
        (D(2026, 2, 3), 45),
        (D(2026, 4, 2), 65),
    )
    # a sum KPI, reported at the end of April, when April's total is complete
    whole = D(2026, 4, 30)
    given_ = run_kpi(make_kpi(baseline=20.0, aggregation="sum"), data, as_of=whole)
    assert given_.baseline == 20.0
    assert given_.progress == pytest.approx((65 - 20) / (100 - 20))  # 45 / 80 = 0.5625
    default = run_kpi(make_kpi(baseline=None, aggregation="sum"), data, as_of=whole)
    # the first period's value after aggregation (10 + 20 = 30), not the first row's 10
    assert default.baseline == 30.0
    assert default.progress == pytest.approx(0.5)  # (65 - 30) / (100 - 30) = 35 / 70


def test_baseline_date_given_versus_the_first_measurements_date() -> None:
    # Given 2026-01-01: 100 days of 200 -> 0.5
    data = ms((D(2026, 1, 11), 0), (D(2026, 4, 1), 50))
    assert run_kpi(make_kpi(), data).expected_progress == 0.5
    # Default: the first measurement's date, 2026-01-11 (not the start of its month).
    # 2026-01-11 -> 2026-04-11 is 90 days (31 + 28 + 31); -> 2026-07-20 is 190 days.
    default = run_kpi(make_kpi(baseline_date=None), data)
    assert default.baseline_date == D(2026, 1, 11)
    assert default.expected_progress == pytest.approx(90 / 190)


def test_expected_progress_is_held_between_0_and_1() -> None:
    assert expected_progress(START, DEADLINE, AS_OF) == 0.5  # 100 / 200
    assert expected_progress(START, DEADLINE, D(2025, 12, 1)) == 0.0  # before the baseline date
    assert expected_progress(START, DEADLINE, START) == 0.0
    assert expected_progress(START, DEADLINE, DEADLINE) == 1.0
    assert expected_progress(START, DEADLINE, D(2027, 3, 1)) == 1.0  # after the deadline
    assert expected_progress(START, DEADLINE, D(2026, 1, 21)) == 0.1  # 20 / 200


def test_expected_progress_clamped_in_results() -> None:
    # the baseline date after the report date: 0. (Before issue 13 any progress >= 0 was then on
    # track; now no period after the baseline period, May, has a value yet: too early.)
    early = run_kpi(
        make_kpi(baseline_date=D(2026, 5, 1)), ms((D(2026, 1, 1), 0), (D(2026, 4, 1), 1))
    )
    assert early.expected_progress == 0.0
    assert early.status == "too_early"
    late = run_kpi(make_kpi(), ms((D(2026, 1, 1), 0), (D(2026, 4, 1), 50)), as_of=D(2026, 9, 1))
    assert late.expected_progress == 1.0


# --- percent KPIs through real workbooks ------------------------------------------------------


def percent_sheets(formatted: bool) -> dict[str, list[list[Any]]]:
    """The conftest workbook with a percent KPI from 40 % to 60 %, typed as fractions in
    percent-formatted cells or as plain numbers."""

    def pct(number: float) -> Any:
        if not formatted:
            return number  # a plain 42 means 42 %
        # 0.42 in a percent-formatted cell, shown as 42 % (or 50.5 % with one decimal)
        return Fmt(round(number / 100, 4), "0%" if number == int(number) else "0.0%")

    sheets = copy.deepcopy(valid_sheets())
    sheets["KPIs"][1] = kpi_row(
        name="Conversion rate", unit="%", target=pct(60), baseline=pct(40), aggregation="mean"
    )
    values = [40, 42, 44, 46, 48, 50.5]
    sheets["Measurements"] = [["kpi", "date", "value", "note"]] + [
        ["SALES-01", D(2026, m, 1), pct(v), None] for m, v in enumerate(values, start=1)
    ]
    sheets["Benchmarks"][1] = ["SALES-01", "Industry average 2025", pct(45), "industry", None]
    return sheets


def test_percent_typed_either_way_gives_identical_results(tmp_path: Path) -> None:
    dicts = []
    for formatted in (True, False):
        folder = tmp_path / ("formatted" if formatted else "plain")
        folder.mkdir()
        path = write_workbook(folder / "wb.xlsx", percent_sheets(formatted))
        workbook, report = check(path)
        assert report.valid, report.issues
        dicts.append(to_dict(compute(workbook, report)))
    formatted_dict, plain_dict = dicts
    assert formatted_dict["sha256"] != plain_dict["sha256"]  # two different files...
    del formatted_dict["sha256"], plain_dict["sha256"]
    assert formatted_dict == plain_dict  # ...with the same numbers
    kpi = formatted_dict["departments"][0]["kpis"][0]
    # fractions: 50.5 % is 0.505, 60 % is 0.6
    assert kpi["current"] == pytest.approx(0.505)
    assert kpi["target"] == pytest.approx(0.6)
    assert kpi["baseline"] == pytest.approx(0.4)
    assert kpi["benchmarks"][0]["value"] == pytest.approx(0.45)
    # (0.505 - 0.4) / (0.6 - 0.4) = 0.525
    assert kpi["progress"] == pytest.approx(0.525)
    # 0.505 - 0.45 = 0.055, 5.5 percentage points; no relative change for a percentage
    assert kpi["benchmarks"][0]["difference"] == pytest.approx(0.055)
    assert kpi["benchmarks"][0]["relative"] is None
    assert kpi["unit"] == "%"


# --- aggregation to the KPI's frequency --------------------------------------------------------

# frequency -> (four dates in one period, a date in the period before, labels, period end)
PERIOD_CASES = {
    "daily": (
        [D(2026, 3, 10)] * 4,  # several values on one day: in row order
        D(2026, 3, 9),
        "2026-03-10",
        "2026-03-09",
        D(2026, 3, 10),
    ),
    "weekly": (
        # ISO week 1 of 2026 runs from Monday 2025-12-29 to Sunday 2026-01-04
        [D(2025, 12, 29), D(2025, 12, 31), D(2026, 1, 2), D(2026, 1, 4)],
        D(2025, 12, 28),  # a Sunday: 2025-W52
        "2026-W01",
        "2025-W52",
        D(2026, 1, 4),
    ),
    "monthly": (
        [D(2026, 2, 1), D(2026, 2, 10), D(2026, 2, 20), D(2026, 2, 28)],
        D(2026, 1, 31),
        "2026-02",
        "2026-01",
        D(2026, 2, 28),
    ),
    "quarterly": (
        [D(2026, 4, 1), D(2026, 5, 15), D(2026, 6, 1), D(2026, 6, 30)],
        D(2026, 3, 31),
        "2026-Q2",
        "2026-Q1",
        D(2026, 6, 30),
    ),
    "yearly": (
        [D(2024, 1, 1), D(2024, 2, 29), D(2024, 7, 1), D(2024, 12, 31)],
        D(2023, 12, 31),
        "2024",
        "2023",
        D(2024, 12, 31),
    ),
}
# The period's values in date order are 4, 9, 2, 7.
AGGREGATES = {
    "sum": 22.0,  # 4 + 9 + 2 + 7
    "mean": 5.5,  # 22 / 4
    "last": 7.0,  # the latest
    "min": 2.0,
    "max": 9.0,
}


@pytest.mark.parametrize("frequency", list(PERIOD_CASES))
@pytest.mark.parametrize("aggregation", list(AGGREGATES))
def test_aggregation_of_several_values_in_one_period(frequency: str, aggregation: str) -> None:
    dates, before, label, before_label, end = PERIOD_CASES[frequency]
    in_order = [
        Measurement("K-1", before, "day", 1.0, 2),
        *(
            Measurement("K-1", date, "day", value, row)
            for row, (date, value) in enumerate(zip(dates, [4.0, 9.0, 2.0, 7.0], strict=True), 3)
        ),
    ]
    # given out of order: the engine orders by date, then by row
    shuffled = [in_order[3], in_order[1], in_order[4], in_order[0], in_order[2]]
    kpi = make_kpi(
        frequency=frequency,
        aggregation=aggregation,
        baseline=None,
        baseline_date=None,
        target=1000.0,
        deadline=D(2030, 12, 31),
    )
    result = run_kpi(kpi, shuffled, as_of=end)
    value = AGGREGATES[aggregation]
    assert result.current == value
    assert result.current_period == label
    assert result.current_period_end == end
    assert [(p.period, p.count) for p in result.series] == [(before_label, 1), (label, 4)]
    assert result.baseline == 1.0  # the first period's value
    assert result.baseline_date == before
    change = result.previous_period_change
    assert change is not None
    assert (change.period, change.value, change.difference) == (before_label, 1.0, value - 1.0)
    assert result.progress == pytest.approx((value - 1) / (1000 - 1))


def test_weekly_periods_across_the_year_boundary() -> None:
    kpi = make_kpi(frequency="weekly", aggregation="sum", baseline=None, baseline_date=None)
    data = ms(
        (D(2025, 12, 28), 1),  # Sunday: 2025-W52
        (D(2025, 12, 29), 2),  # Monday: 2026-W01
        (D(2026, 1, 1), 3),  # 2026-W01
        (D(2026, 1, 4), 4),  # Sunday: 2026-W01
        (D(2026, 1, 5), 5),  # Monday: 2026-W02
    )
    # as of the Sunday that ends 2026-W02 (on its Monday, W02's sum would be set aside as a
    # period still running: tests/engine/test_partial_period.py)
    result = run_kpi(kpi, data, as_of=D(2026, 1, 11))
    assert [(p.period, p.start, p.end, p.value) for p in result.series] == [
        ("2025-W52", D(2025, 12, 22), D(2025, 12, 28), 1.0),
        ("2026-W01", D(2025, 12, 29), D(2026, 1, 4), 9.0),  # 2 + 3 + 4
        ("2026-W02", D(2026, 1, 5), D(2026, 1, 11), 5.0),
    ]


def test_leap_day_in_a_daily_kpi_and_its_year_on_year() -> None:
    kpi = make_kpi(
        frequency="daily",
        aggregation="last",
        baseline=None,
        baseline_date=None,
        target=50.0,
        deadline=D(2024, 12, 31),
    )
    data = ms((D(2023, 2, 28), 10), (D(2024, 2, 28), 11), (D(2024, 2, 29), 12))
    result = run_kpi(kpi, data, as_of=D(2024, 2, 29))
    assert result.current_period == "2024-02-29"
    assert result.current == 12.0
    yoy = result.yoy_change
    # 2024-02-29 compares with 2023-02-28: change 12 - 10 = 2, relative 2 / 10 = 0.2
    assert yoy is not None
    assert (yoy.period, yoy.value, yoy.difference, yoy.improved) == ("2023-02-28", 10.0, 2.0, True)
    assert yoy.relative == pytest.approx(0.2)
    prev = result.previous_period_change
    assert prev is not None and (prev.period, prev.difference) == ("2024-02-28", 1.0)


def test_single_measurement() -> None:
    kpi = make_kpi(baseline=None, baseline_date=None)
    result = run_kpi(kpi, ms((D(2026, 4, 1), 30)))
    assert result.current == 30.0 and result.baseline == 30.0
    assert result.progress == 0.0  # (30 - 30) / (100 - 30)
    assert result.forecast is None and result.recent_pace is None
    assert result.previous_period_change is None and result.yoy_change is None
    # 2026-04-01 -> 2026-04-11 is 10 days; -> 2026-07-20 is 110 days
    assert result.expected_progress == pytest.approx(10 / 110)
    # 0 < 0.8 * 10 / 110, no forecast: off track before issue 13; now no period after the
    # baseline period (April) has a value and the deadline is three months away: too early
    assert result.status == "too_early"
    assert result.shortfall is None
    # April -> July: 3 periods; (100 - 30) / 3
    assert result.required_pace == pytest.approx(70 / 3)


# --- forecast and pace -------------------------------------------------------------------------


def test_theil_sen_by_hand() -> None:
    # (0, 1), (1, 3), (2, 4): pair slopes 2, 1.5, 1 -> median 1.5;
    # y - 1.5x = 1, 1.5, 1 -> median 1
    assert theil_sen([0.0, 1.0, 2.0], [1.0, 3.0, 4.0]) == (1.5, 1.0)
    # (0, 0), (1, 2), (2, 3), (3, 7): slopes 2, 3/2, 7/3, 1, 5/2, 4 -> sorted
    # 1, 1.5, 2, 2.33, 2.5, 4 -> median (2 + 7/3) / 2 = 13/6;
    # y - 13/6 x = 0, -1/6, -4/3, 1/2 -> median (-1/6 + 0) / 2 = -1/12
    slope, intercept = theil_sen([0.0, 1.0, 2.0, 3.0], [0.0, 2.0, 3.0, 7.0])
    assert slope == pytest.approx(13 / 6)
    assert intercept == pytest.approx(-1 / 12)


def test_forecast_is_robust_to_one_outlier() -> None:
    # Jan..Jul 2026: 10, 11, 12, 13, 100, 15, 16 (y = 10 + x except the outlier at x = 4).
    # 21 pair slopes: the 15 pairs without x = 4 have slope 1; with it: 90/4, 89/3, 88/2,
    # 87/1, -85/1, -84/2. Sorted: -85, -42, 1 (x15), 22.5, 29.7, 44, 87 -> the 11th is 1.
    # Intercept: median of y - x = 10, 10, 10, 10, 96, 10, 10 -> 10.
    values = [10, 11, 12, 13, 100, 15, 16]
    kpi = make_kpi(baseline=None, baseline_date=None, target=20.0, deadline=D(2026, 12, 31))
    data = ms(*((D(2026, m, 1), v) for m, v in enumerate(values, start=1)))
    result = run_kpi(kpi, data, as_of=D(2026, 7, 31))
    fc = result.forecast
    assert fc is not None
    assert fc.method == "theil-sen" and fc.periods_used == 7
    assert fc.slope == 1.0
    # December is 11 periods after January: 10 + 1 * 11 = 21
    assert fc.value == 21.0
    # 10 + x = 20 at x = 10: November 2026, reached by its end
    assert fc.date_reached == D(2026, 11, 30)
    assert result.recent_pace == 1.0
    # (20 - 16) / 5 periods from July to December
    assert result.required_pace == pytest.approx(0.8)


@pytest.mark.parametrize(
    ("direction", "values", "target", "value_at_deadline", "required"),
    [
        # 40, 42, 44: slope 2, intercept 40; December is x = 11: 40 + 22 = 62.
        # 40 + 2x = 60 at x = 10: November. Required: (60 - 44) / 9 periods (Mar -> Dec).
        ("higher", [40, 42, 44], 60.0, 62.0, 16 / 9),
        # 100, 97, 94: slope -3; 100 - 33 = 67. 100 - 3x = 70 at x = 10: November.
        # Required: (70 - 94) / 9 = -24 / 9.
        ("lower", [100, 97, 94], 70.0, 67.0, -24 / 9),
    ],
)
def test_forecast_value_date_reached_and_paces(
    direction: str, values: list[int], target: float, value_at_deadline: float, required: float
) -> None:
    kpi = make_kpi(
        direction=direction,
        baseline=None,
        baseline_date=None,
        target=target,
        deadline=D(2026, 12, 31),
    )
    data = ms(*((D(2026, m, 1), v) for m, v in enumerate(values, start=1)))
    result = run_kpi(kpi, data, as_of=D(2026, 3, 31))
    assert result.forecast is not None
    assert result.forecast.value == pytest.approx(value_at_deadline)
    assert result.forecast.date_reached == D(2026, 11, 30)
    assert result.recent_pace == pytest.approx(values[1] - values[0])
    assert result.required_pace == pytest.approx(required)


@pytest.mark.parametrize(
    ("direction", "values"),
    [("higher", [50, 48, 46]), ("lower", [50, 52, 54])],
)
def test_forecast_moving_away_never_reaches_the_target(direction: str, values: list[int]) -> None:
    target = 60.0 if direction == "higher" else 40.0
    kpi = make_kpi(direction=direction, baseline=None, target=target, deadline=D(2026, 12, 31))
    data = ms(*((D(2026, m, 1), v) for m, v in enumerate(values, start=1)))
    result = run_kpi(kpi, data, as_of=D(2026, 3, 31))
    assert result.forecast is not None
    assert result.forecast.date_reached is None
    # slope -2 (or +2) from 50: December (x = 11) 50 -/+ 22
    assert result.forecast.value == pytest.approx(28.0 if direction == "higher" else 72.0)
    assert result.recent_pace == pytest.approx(values[1] - values[0])


def test_forecast_daily_projection() -> None:
    # 0, 1, 2 on Jan 1..3: slope 1, intercept 0; deadline Jan 10 is x = 9 -> 9.
    # Target 5 at x = 5: 2026-01-06, a day is its own period.
    kpi = make_kpi(
        frequency="daily",
        aggregation="last",
        baseline=None,
        baseline_date=None,
        target=5.0,
        deadline=D(2026, 1, 10),
    )
    data = ms((D(2026, 1, 1), 0), (D(2026, 1, 2), 1), (D(2026, 1, 3), 2))
    result = run_kpi(kpi, data, as_of=D(2026, 1, 3))
    assert result.forecast is not None
    assert result.forecast.value == 9.0
    assert result.forecast.date_reached == D(2026, 1, 6)
    assert result.required_pace == pytest.approx(3 / 7)  # (5 - 2) / 7 days to Jan 10


def test_forecast_uses_the_latest_twelve_periods() -> None:
    # 2025-01..2025-05 at 100, then 2025-06..2026-05 at 10, 11, ..., 21.
    # The last 12 alone: slope 1. All 17 would give 136 pair slopes: 10 zeros among the first
    # five, 66 ones among the last twelve, 60 negatives across; the median (68th/69th) would be 0.
    months = [D(2025 + (m - 1) // 12, (m - 1) % 12 + 1, 1) for m in range(1, 18)]
    values = [100] * 5 + list(range(10, 22))
    kpi = make_kpi(baseline=None, baseline_date=None, target=30.0, deadline=D(2026, 12, 31))
    result = run_kpi(kpi, ms(*zip(months, values, strict=True)), as_of=D(2026, 5, 31))
    fc = result.forecast
    assert fc is not None
    assert fc.periods_used == 12
    assert fc.slope == 1.0
    # origin 2025-06 (value 10); December 2026 is 18 periods later: 10 + 18 = 28
    assert fc.value == 28.0
    # 10 + x = 30 at x = 20: 2027-02, after the deadline but still a date
    assert fc.date_reached == D(2027, 2, 28)


def test_achieved_kpi_reports_when_it_was_reached() -> None:
    # 40, 50, 60, 70 with target 60: at or beyond the target since March
    kpi = make_kpi(baseline=None, baseline_date=None, target=60.0, deadline=D(2026, 12, 31))
    data = ms(*((D(2026, m, 1), v) for m, v in enumerate([40, 50, 60, 70], start=1)))
    result = run_kpi(kpi, data, as_of=D(2026, 4, 30))
    assert result.status == "achieved"
    assert result.forecast is not None and result.forecast.date_reached == D(2026, 3, 31)
    assert result.required_pace == 0.0


@pytest.mark.parametrize(
    ("target", "date_reached"),
    [
        # 10, 11, 12 in Jan..Mar 2026: slope 1, intercept 10.
        (130.0, D(2036, 1, 31)),  # 10 + x = 130 at x = 120: January 2036, 10 years on
        (131.0, D(2036, 2, 29)),  # x = 121: February 2036 (a leap year)
        (142.0, None),  # x = 132: January 2037, more than 10 years on: not reached
    ],
)
def test_forecast_date_reached_at_most_ten_years_ahead(
    target: float, date_reached: dt.date | None
) -> None:
    kpi = make_kpi(baseline=None, baseline_date=None, target=target, deadline=D(2026, 12, 31))
    data = ms((D(2026, 1, 1), 10), (D(2026, 2, 1), 11), (D(2026, 3, 1), 12))
    result = run_kpi(kpi, data, as_of=D(2026, 3, 31))
    assert result.forecast is not None and result.forecast.slope == 1.0
    assert result.forecast.date_reached == date_reached
    assert result.forecast.value == 21.0  # December, x = 11


def test_required_pace_of_a_stale_kpi_counts_the_periods_left() -> None:
    # Last value March (20), report 2026-09-30, deadline December: 3 months are left
    # (September -> December), so (100 - 20) / 3, not / 9 from March.
    kpi = make_kpi(baseline=None, baseline_date=None, deadline=D(2026, 12, 31))
    data = ms((D(2026, 1, 1), 0), (D(2026, 2, 1), 10), (D(2026, 3, 1), 20))
    result = run_kpi(kpi, data, as_of=D(2026, 9, 30))
    assert result.stale is True
    assert result.required_pace == pytest.approx(80 / 3)
    assert result.recent_pace == 10.0


def test_default_baseline_at_the_target_then_moving_away_is_not_no_data() -> None:
    # The first period (the default baseline) is the target 50; then 45, 40: progress is
    # undefined (division by 50 - 50), but the KPI has data. Slope -5, projected 50 - 5 * 11 = -5:
    # no rescue. Contract: not achieved, not missed, has data, so "otherwise off track".
    kpi = make_kpi(baseline=None, baseline_date=None, target=50.0, deadline=D(2026, 12, 31))
    data = ms((D(2026, 1, 1), 50), (D(2026, 2, 1), 45), (D(2026, 3, 1), 40))
    result = run_kpi(kpi, data, as_of=D(2026, 3, 31))
    assert result.baseline == 50.0 and result.current == 40.0
    assert result.progress is None
    assert result.status == "off_track"


def test_default_baseline_at_the_target_can_still_be_on_track_by_forecast() -> None:
    # Jan..May: 50 (= target, the default baseline), 30, 35, 40, 45.
    # Pair slopes: from January -20, -7.5, -3.33, -1.25; the six others 5 -> median (5 + 5) / 2
    # = 5. Intercept: y - 5x = 50, 25, 25, 25, 25 -> 25. December (x = 11): 25 + 55 = 80 >= 50.
    kpi = make_kpi(baseline=None, baseline_date=None, target=50.0, deadline=D(2026, 12, 31))
    data = ms(*((D(2026, m, 1), v) for m, v in enumerate([50, 30, 35, 40, 45], start=1)))
    result = run_kpi(kpi, data, as_of=D(2026, 5, 31))
    assert result.forecast is not None
    assert result.forecast.slope == 5.0 and result.forecast.value == 80.0
    assert result.forecast.date_reached == D(2026, 6, 30)  # 25 + 5x = 50 at x = 5: June
    assert result.status == "on_track"


@pytest.mark.parametrize("frequency", ["daily", "weekly"])
def test_very_slow_trend_gives_no_date_instead_of_crashing(frequency: str) -> None:
    # 100, 100.0001, 100.0002: slope 0.0001 per period, so 5000 is reached after
    # (5000 - 100) / 0.0001 = 49 million periods: more than 10 years away -> not reached.
    kpi = make_kpi(
        frequency=frequency,
        aggregation="last",
        baseline=None,
        baseline_date=None,
        target=5000.0,
        deadline=D(2026, 12, 31),
    )
    step = dt.timedelta(days=1 if frequency == "daily" else 7)
    start = D(2026, 1, 5)  # a Monday
    data = ms(*((start + i * step, 100 + 0.0001 * i) for i in range(3)))
    result = run_kpi(kpi, data, as_of=start + 2 * step)
    assert result.forecast is not None
    assert result.forecast.date_reached is None


# --- comparisons -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("direction", "improved"),
    [("higher", False), ("lower", True)],
)
def test_previous_period_change(direction: str, improved: bool) -> None:
    target = 100.0 if direction == "higher" else 0.0
    kpi = make_kpi(direction=direction, baseline=None, target=target, deadline=D(2026, 12, 31))
    data = ms((D(2026, 1, 1), 40), (D(2026, 2, 1), 50), (D(2026, 3, 1), 45))
    change = run_kpi(kpi, data, as_of=D(2026, 3, 31)).previous_period_change
    assert change is not None
    # against February: 45 - 50 = -5, relative -5 / 50 = -0.1; down is better only for "lower",
    # and the difference and relative change are signed so that positive is better
    sign = 1.0 if direction == "higher" else -1.0
    assert (change.period, change.value, change.difference) == ("2026-02", 50.0, -5.0 * sign)
    assert change.relative == pytest.approx(-0.1 * sign)
    assert change.improved is improved


def test_previous_period_change_from_zero_has_no_relative_change() -> None:
    kpi = make_kpi(baseline=None, baseline_date=None)
    data = ms((D(2026, 2, 1), 0), (D(2026, 3, 1), 5))
    change = run_kpi(kpi, data).previous_period_change
    assert change is not None
    assert (change.difference, change.relative, change.improved) == (5.0, None, True)


def test_unchanged_value_is_not_an_improvement() -> None:
    data = ms((D(2026, 2, 1), 5), (D(2026, 3, 1), 5))
    for direction in ("higher", "lower"):
        kpi = make_kpi(
            direction=direction, baseline=None, target=50.0 if direction == "higher" else 1.0
        )
        change = run_kpi(kpi, data).previous_period_change
        assert change is not None and change.difference == 0.0 and change.improved is False


@pytest.mark.parametrize(
    ("frequency", "dates", "earlier_label"),
    [
        ("monthly", [D(2025, 3, 1), D(2026, 2, 1), D(2026, 3, 1)], "2025-03"),
        ("quarterly", [D(2025, 4, 1), D(2026, 1, 1), D(2026, 4, 1)], "2025-Q2"),
        ("yearly", [D(2024, 6, 1), D(2025, 6, 1), D(2026, 6, 1)], "2025"),
        # 2026-W01 starts 2025-12-29; 2025-W01 starts 2024-12-30
        ("weekly", [D(2024, 12, 30), D(2025, 12, 22), D(2025, 12, 29)], "2025-W01"),
        ("daily", [D(2025, 3, 15), D(2026, 3, 14), D(2026, 3, 15)], "2025-03-15"),
    ],
)
@pytest.mark.parametrize("direction", ["higher", "lower"])
def test_year_on_year_change(
    frequency: str, dates: list[dt.date], earlier_label: str, direction: str
) -> None:
    # values 40, 50, 46: against the same period a year earlier (40): change 6, relative 0.15.
    # For yearly data the previous period *is* last year: 2025 (value 50): change -4.
    target = 100.0 if direction == "higher" else 0.0
    kpi = make_kpi(
        frequency=frequency,
        aggregation="last",
        direction=direction,
        baseline=None,
        baseline_date=None,
        target=target,
        deadline=D(2027, 12, 31),
    )
    result = run_kpi(kpi, ms(*zip(dates, [40, 50, 46], strict=True)), as_of=dates[-1])
    yoy = result.yoy_change
    assert yoy is not None
    earlier = 50.0 if frequency == "yearly" else 40.0
    sign = 1.0 if direction == "higher" else -1.0  # positive is better
    assert (yoy.period, yoy.value, yoy.difference) == (
        earlier_label,
        earlier,
        sign * (46 - earlier),
    )
    # 6 / 40 = 0.15, -4 / 50
    assert yoy.relative == pytest.approx(sign * (46 - earlier) / earlier)
    assert yoy.improved is ((earlier < 46) == (direction == "higher"))


def test_year_on_year_needs_the_same_period_last_year() -> None:
    kpi = make_kpi(baseline=None, baseline_date=None)
    data = ms((D(2025, 2, 1), 30), (D(2026, 2, 1), 40), (D(2026, 3, 1), 45))
    assert run_kpi(kpi, data).yoy_change is None  # no 2025-03


@pytest.mark.parametrize(
    ("direction", "current", "benchmark", "relative"),
    [
        ("higher", 60.0, 50.0, 0.2),  # (60 - 50) / 50 = 0.2: better
        ("higher", 60.0, 75.0, -0.2),  # (60 - 75) / 75 = -0.2: worse
        ("lower", 60.0, 50.0, -0.2),  # -(60 - 50) / 50: worse, for lower is better
        ("lower", 60.0, 75.0, 0.2),  # -(60 - 75) / 75 = 0.2: better
        ("higher", -5.0, -10.0, 0.5),  # (-5 - -10) / |-10| = 0.5
        ("lower", -5.0, -10.0, -0.5),
        ("higher", 60.0, 60.0, 0.0),
    ],
)
def test_benchmark_comparison_sign(
    direction: str, current: float, benchmark: float, relative: float
) -> None:
    sign = 1.0 if direction == "higher" else -1.0
    assert relative_difference(current, benchmark, sign) == relative
    diff = sign * (current - benchmark)  # 10, -15, -10, 15, 5, -5, 0: positive is better
    assert difference(current, benchmark, sign) == diff
    kpi = make_kpi(direction=direction, baseline=None, target=1000.0 * sign)
    result = run_kpi(
        kpi,
        ms((D(2026, 4, 1), current)),
        benchmarks=[Benchmark("K-1", "Industry 2025", benchmark, 2, "industry", D(2025, 12, 31))],
    )
    b = result.benchmarks[0]
    assert (b.source, b.kind, b.value, b.date, b.difference, b.relative) == (
        "Industry 2025",
        "industry",
        benchmark,
        D(2025, 12, 31),
        diff,
        relative,  # a count: compared relatively too
    )


def test_benchmark_of_zero_has_no_relative_difference() -> None:
    assert relative_difference(5.0, 0.0, 1.0) is None
    assert difference(5.0, 0.0, 1.0) == 5.0


@pytest.mark.parametrize(
    ("frequency", "last", "as_of", "stale"),
    [
        ("monthly", D(2026, 6, 1), D(2026, 7, 31), False),  # one month after June
        ("monthly", D(2026, 6, 1), D(2026, 8, 31), True),  # two months after June
        ("monthly", D(2026, 6, 1), D(2026, 6, 30), False),  # in the same month
        ("weekly", D(2025, 12, 29), D(2026, 1, 11), False),  # W01 measured, report in W02
        ("weekly", D(2025, 12, 29), D(2026, 1, 12), True),  # report in W03
        ("quarterly", D(2026, 1, 1), D(2026, 6, 30), False),  # Q1 measured, report in Q2
        ("quarterly", D(2026, 1, 1), D(2026, 7, 1), True),  # report in Q3
    ],
)
def test_stale(frequency: str, last: dt.date, as_of: dt.date, stale: bool) -> None:
    kpi = make_kpi(frequency=frequency, baseline=None, baseline_date=None, deadline=D(2027, 12, 31))
    assert run_kpi(kpi, ms((last, 10)), as_of=as_of).stale is stale


# --- departments and the company ---------------------------------------------------------------


def status_kpi(kpi_id: str, department: str, current: float | None, **overrides: Any) -> tuple:
    """A KPI on the standard clock (0 -> 100) with March at 0 and April at ``current``: two
    periods after the baseline period (January), so not too early to judge."""
    kpi = make_kpi(id=kpi_id, department=department, name=f"KPI {kpi_id}", **overrides)
    data = (
        [] if current is None else ms((D(2026, 3, 1), 0), (D(2026, 4, 1), current), kpi_id=kpi_id)
    )
    return kpi, data


def summary_workbook(tmp_path: Path) -> Workbook:
    kpis_and_data = [
        status_kpi("S-1", "Sales", 100, weight=2.0),  # achieved, shortfall 0.5 - 1 = -0.5
        status_kpi("S-2", "Sales", 60),  # 0.6 >= 0.475: on track, shortfall -0.1
        status_kpi("S-3", "Sales", 10),  # 0.1 < 0.4: off track, shortfall 0.5 - 0.1 = 0.4
        status_kpi("S-4", "Sales", 45, weight=0.0),  # at risk, shortfall 0.05; weight 0
        # deadline passed at 30: missed, shortfall 1 - 0.3 = 0.7
        status_kpi("C-1", "Customer service", 30, deadline=D(2026, 3, 31)),
        status_kpi("C-2", "Customer service", None),  # no data
        # deadline passed without measurements: missed, with no progress and so no shortfall
        status_kpi("C-3", "Customer service", None, deadline=D(2026, 3, 31)),
        status_kpi("R-1", "R&D", 50),  # on track
        status_kpi("R-2", "R/D", 50),  # on track; slugifies like R&D
    ]
    return Workbook(
        path=tmp_path / "company.xlsx",
        sha256="0" * 64,
        sheets={},
        settings=Settings(company="Test A/S", report_date=AS_OF),
        departments=[Department("Customer service"), Department("Sales"), Department("R&D")],
        kpis=[k for k, _ in kpis_and_data],
        measurements=[m for _, data in kpis_and_data for m in data],
        benchmarks=[],
    )


def test_department_score_counts_and_attention(tmp_path: Path) -> None:
    results = compute(summary_workbook(tmp_path))
    assert results.report_date == AS_OF
    by_name = {d.name: d for d in results.departments}
    # order: the Departments sheet first, then departments named only on KPIs
    assert list(by_name) == ["Customer service", "Sales", "R&D", "R/D"]
    sales = by_name["Sales"]
    assert {k.id: k.status for k in sales.kpis} == {
        "S-1": "achieved",
        "S-2": "on_track",
        "S-3": "off_track",
        "S-4": "at_risk",
    }
    # good weight (S-1: 2, S-2: 1) / all weight (2 + 1 + 1; S-4 weighs 0) = 3 / 4
    assert sales.score == 0.75
    assert sales.counts == {
        "achieved": 1,
        "on_track": 1,
        "at_risk": 1,
        "off_track": 1,
        "missed": 0,
        "too_early": 0,
        "no_data": 0,
    }
    # the worst shortfall first: S-3 (0.4), S-4 (0.05); achieved and on track need no attention
    assert [a.id for a in sales.attention] == ["S-3", "S-4"]
    assert sales.attention[0].shortfall == pytest.approx(0.4)
    assert sales.attention[1].shortfall == pytest.approx(0.05)
    service = by_name["Customer service"]
    assert service.score == 0.0  # missed, no data, missed: 0 / 3
    assert service.counts["missed"] == 2 and service.counts["no_data"] == 1
    # no shortfall (C-3) first, then the largest; no data is not on the list
    assert [a.id for a in service.attention] == ["C-3", "C-1"]
    assert service.attention[0].shortfall is None
    assert service.attention[1].shortfall == pytest.approx(0.7)
    shortfalls = {k.id: k.shortfall for d in results.departments for k in d.kpis}
    assert shortfalls["S-2"] == pytest.approx(-0.1)  # 0.5 - 0.6: ahead of the calendar
    assert shortfalls["S-3"] == pytest.approx(0.4)  # 0.5 - 0.1
    assert shortfalls["C-2"] is None and shortfalls["C-3"] is None  # no progress


def test_company_summary(tmp_path: Path) -> None:
    data = to_dict(compute(summary_workbook(tmp_path)))
    summary = data["summary"]
    assert summary["kpi_count"] == 9
    # good weight: S-1 2 + S-2 1 + R-1 1 + R-2 1 = 5; all: 2 + 1 + 1 + 0 + 1 + 1 + 1 + 1 + 1 = 9
    # (weighted over all KPIs, not the average of the department scores)
    assert summary["score"] == 5 / 9
    assert summary["counts"] == {
        "achieved": 1,
        "on_track": 3,
        "at_risk": 1,
        "off_track": 1,
        "missed": 2,
        "too_early": 0,
        "no_data": 1,
    }
    assert set(summary["counts"]) == set(STATUSES)
    # by shortfall: C-3 none, C-1 0.7, S-3 0.4, S-4 0.05
    assert [a["id"] for a in summary["attention"]] == ["C-3", "C-1", "S-3", "S-4"]
    assert summary["attention"][1] == {
        "id": "C-1",
        "name": "KPI C-1",
        "department": "Customer service",
        "status": "missed",
        "stale": False,
        "progress": pytest.approx(0.3),  # 1 - 0.3 = the shortfall 0.7 of a missed KPI
        "shortfall": pytest.approx(0.7),
        "checks": [],  # no value typed on a doubtful scale (since results.json 2.1)
    }
    assert [(d["name"], d["kpi_count"], d["score"]) for d in summary["departments"]] == [
        ("Customer service", 3, 0.0),
        ("Sales", 4, 0.75),
        ("R&D", 1, 1.0),
        ("R/D", 1, 1.0),
    ]


def test_department_slugs_are_unique_and_safe(tmp_path: Path) -> None:
    departments = compute(summary_workbook(tmp_path)).departments
    slugs = [d.slug for d in departments]
    assert len(set(slugs)) == len(slugs)
    assert slugs[:3] == ["customer-service", "sales", "r-d"]
    assert slugs[3].startswith("r-d") and slugs[3] != "r-d"
    assert all(s and set(s) <= set("abcdefghijklmnopqrstuvwxyz0123456789-") for s in slugs)


def test_stale_kpi_needs_attention_even_when_on_track(tmp_path: Path) -> None:
    workbook = summary_workbook(tmp_path)
    kpi, data = status_kpi("X-1", "Extra", 60)  # April at 60: on track...
    workbook.kpis.append(kpi)
    workbook.measurements.extend(data)
    results = compute(workbook, report_date=D(2026, 6, 5))  # ...but June has no value
    extra = next(d for d in results.departments if d.name == "Extra")
    assert extra.kpis[0].stale is True
    assert [a.id for a in extra.attention] == ["X-1"] and extra.attention[0].stale


def test_weight_zero_alone_gives_no_score(tmp_path: Path) -> None:
    workbook = summary_workbook(tmp_path)
    kpi, data = status_kpi("Z-1", "Zero", 60, weight=0.0)
    workbook.kpis.append(kpi)
    workbook.measurements.extend(data)
    zero = next(d for d in compute(workbook).departments if d.name == "Zero")
    assert zero.score is None  # 0 / 0: nothing to score
    assert zero.counts["on_track"] == 1


def test_thresholds_from_settings(tmp_path: Path) -> None:
    # conftest workbook: baseline 40, target 60, 2026-01-01 -> 2026-12-31, report 2026-06-30:
    # expected 180 / 364. Jan..May at 40 and June at X: Theil-Sen slope 0 (10 of 15 pair
    # slopes are 0), projected X + 0 < 60, so no forecast rescue. Progress (X - 40) / 20.
    # Default: on track from 0.95 * 180/364 = 0.4698, at risk from 0.80 * 180/364 = 0.3956.
    # Settings 0.75 / 0.5: on track from 0.3709, at risk from 0.2473.
    cases = {
        48: ("at_risk", "on_track"),
        46: ("off_track", "at_risk"),
        44: ("off_track", "off_track"),
        50: ("on_track", "on_track"),
    }
    for x, (default_status, custom_status) in cases.items():
        for custom in (False, True):
            sheets = copy.deepcopy(valid_sheets())
            for row, value in zip(sheets["Measurements"][1:], [40, 40, 40, 40, 40, x], strict=True):
                row[2] = value
            if custom:
                sheets["Settings"] += [["on_track", 0.75], ["at_risk", "50%"]]
            path = write_workbook(tmp_path / f"t{x}{custom}.xlsx", sheets)
            workbook, report = check(path)
            assert report.valid, report.issues
            results = compute(workbook, report)
            kpi = results.departments[0].kpis[0]
            assert kpi.progress == pytest.approx((x - 40) / 20)
            assert kpi.expected_progress == pytest.approx(180 / 364)
            # slope 0 from the current value: X at the deadline, below 60
            assert kpi.forecast is not None and kpi.forecast.value == x
            assert kpi.status == (custom_status if custom else default_status), (x, custom)
            assert results.thresholds == (
                {"on_track": 0.75, "at_risk": 0.5} if custom else {"on_track": 0.95, "at_risk": 0.8}
            )


# --- kpireport build ---------------------------------------------------------------------------

TOP_KEYS = {
    "workbook",
    "sha256",
    "report_date",
    "language",
    "generated_by",
    "summary",
    "departments",
}
KPI_KEYS = {
    "id",
    "name",
    "department",
    "unit",
    "direction",
    "current",
    "current_period",
    "baseline",
    "target",
    "deadline",
    "progress",
    "expected_progress",
    "status",
    "forecast",
    "required_pace",
    "recent_pace",
    "previous_period_change",
    "yoy_change",
    "benchmarks",
    "stale",
    "warnings",
}


def build(*args: str) -> Any:
    return CliRunner().invoke(main, ["build", *args], catch_exceptions=False)


def test_build_writes_results_json(tmp_path: Path) -> None:
    sheets = copy.deepcopy(valid_sheets())
    sheets["Measurements"][6][2] = "50"  # June typed as text: a warning on that KPI
    path = write_workbook(tmp_path / "acme test.xlsx", sheets)
    out = tmp_path / "reports"
    result = build(str(path), "-o", str(out), "--format", "json")
    assert result.exit_code == 0, result.output
    target = out / "acme test" / "2026-06-30" / "results.json"
    assert target.is_file()
    assert str(target.parent) in result.stdout  # the report set (no board pack with json only)
    data = json.loads(target.read_text(encoding="utf-8"))
    assert data.keys() >= TOP_KEYS
    assert data["workbook"] == "acme test.xlsx"
    assert data["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert data["report_date"] == "2026-06-30"
    assert data["language"] == "en"
    assert data["generated_by"].startswith("kpireport ")
    kpi = data["departments"][0]["kpis"][0]
    assert kpi.keys() >= KPI_KEYS
    # conftest: 40, 42, ..., 50 monthly, baseline 40 -> target 60 by 2026-12-31
    assert kpi["id"] == "SALES-01" and kpi["department"] == "Sales"
    assert kpi["unit"] == "count" and kpi["direction"] == "higher"
    assert (kpi["current"], kpi["current_period"]) == (50.0, "2026-06")
    assert (kpi["baseline"], kpi["target"]) == (40.0, 60.0)
    assert kpi["deadline"] == "2026-12-31"  # dates as ISO strings
    assert kpi["progress"] == 0.5  # (50 - 40) / (60 - 40)
    assert kpi["expected_progress"] == pytest.approx(180 / 364)
    # slope 2 from 40 in January: December is x = 11 -> 62 >= 60; reached at x = 10, November
    assert kpi["forecast"]["value"] == 62.0
    assert kpi["forecast"]["date_reached"] == "2026-11-30"
    assert kpi["status"] == "on_track"  # 0.5 >= 0.95 * 0.4945 = 0.4698
    assert kpi["required_pace"] == pytest.approx(10 / 6)  # (60 - 50) / 6 months (Jun -> Dec)
    assert kpi["recent_pace"] == 2.0
    assert kpi["previous_period_change"]["period"] == "2026-05"
    assert kpi["previous_period_change"]["difference"] == 2.0  # 50 - 48
    assert kpi["yoy_change"] is None
    # benchmark 50: (50 - 50) / 50 = 0
    assert kpi["benchmarks"] == [
        {
            "source": "Industry average 2025",
            "kind": "industry",
            "value": 50.0,
            "date": "2025-12-31",
            "difference": 0.0,
            "relative": 0.0,
        }
    ]
    assert kpi["stale"] is False
    assert [w["code"] for w in kpi["warnings"]] == ["number-as-text"]
    assert kpi["warnings"][0]["cell"].endswith("!C7")


def test_a_later_build_keeps_the_earlier_report_set(tmp_path: Path) -> None:
    out = tmp_path / "reports"
    path = tmp_path / "wb.xlsx"
    write_workbook(path, valid_sheets())
    assert build(str(path), "-o", str(out), "--format", "json").exit_code == 0
    first = out / "wb" / "2026-06-30" / "results.json"
    first_text = first.read_text(encoding="utf-8")
    sheets = copy.deepcopy(valid_sheets())
    sheets["Settings"][2] = ["report_date", D(2026, 7, 31)]
    sheets["Measurements"].append(["SALES-01", D(2026, 7, 1), 52, None])
    write_workbook(path, sheets)
    assert build(str(path), "-o", str(out), "--format", "json").exit_code == 0
    second = out / "wb" / "2026-07-31" / "results.json"
    assert json.loads(second.read_text(encoding="utf-8"))["report_date"] == "2026-07-31"
    assert first.read_text(encoding="utf-8") == first_text  # untouched
    assert sorted(p.name for p in (out / "wb").iterdir()) == ["2026-06-30", "2026-07-31"]


def test_a_workbook_with_errors_writes_nothing(tmp_path: Path) -> None:
    sheets = copy.deepcopy(valid_sheets())
    sheets["KPIs"][1] = kpi_row(direction="sideways")
    path = write_workbook(tmp_path / "bad.xlsx", sheets)
    out = tmp_path / "reports"
    result = build(str(path), "-o", str(out), "--format", "json")
    assert result.exit_code == 1
    assert "'sideways' is not a direction." in result.stderr
    assert "F2" in result.stderr
    assert not list(tmp_path.rglob("results.json"))


def test_no_data_kpi_in_results_json(tmp_path: Path) -> None:
    sheets = copy.deepcopy(valid_sheets())
    sheets["KPIs"].append(kpi_row(id="SALES-02", name="Orders per month"))
    path = write_workbook(tmp_path / "wb.xlsx", sheets)
    out = tmp_path / "reports"
    assert build(str(path), "-o", str(out)).exit_code == 0
    data = json.loads((out / "wb" / "2026-06-30" / "results.json").read_text(encoding="utf-8"))
    kpi = data["departments"][0]["kpis"][1]
    assert kpi["status"] == "no_data"
    assert kpi["current"] is None and kpi["progress"] is None and kpi["forecast"] is None
    assert data["summary"]["counts"]["no_data"] == 1


@pytest.mark.parametrize("name", ["acme-en.xlsx", "fjordsol-da.xlsx"])
def test_sample_workbooks_build_with_a_mix_of_statuses(tmp_path: Path, name: str) -> None:
    path = SAMPLES / name
    result = build(str(path), "-o", str(tmp_path), "--format", "json")
    assert result.exit_code == 0, result.output
    (written,) = tmp_path.rglob("results.json")
    data = json.loads(written.read_text(encoding="utf-8"))
    assert data["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    statuses = [k["status"] for d in data["departments"] for k in d["kpis"]]
    assert len(statuses) == 13  # 12, and a keep KPI since issue 14
    assert len(set(statuses)) >= 4, statuses
    assert sum(data["summary"]["counts"].values()) == 13


# --- properties --------------------------------------------------------------------------------

FREQUENCIES = ["daily", "weekly", "monthly", "quarterly", "yearly"]
PERIOD_DAYS = {"daily": 1, "weekly": 7, "monthly": 28, "quarterly": 90, "yearly": 365}
ORIGIN = D(2024, 12, 30)  # a Monday, so weekly periods start on it


def _add_months(date: dt.date, months: int) -> dt.date:
    index = date.year * 12 + date.month - 1 + months
    return D(index // 12, index % 12 + 1, 1)


def _period_start(index: int, frequency: str) -> dt.date:
    if frequency in ("daily", "weekly"):
        return ORIGIN + dt.timedelta(days=index * PERIOD_DAYS[frequency])
    months = {"monthly": 1, "quarterly": 3, "yearly": 12}[frequency]
    return _add_months(D(2025, 1, 1), index * months)


@st.composite
def kpi_cases(draw: st.DrawFn, min_periods: int = 1) -> dict[str, Any]:
    frequency = draw(st.sampled_from(FREQUENCIES))
    aggregation = draw(st.sampled_from(["sum", "mean", "last", "min", "max"]))
    indexes = draw(
        st.lists(st.integers(0, 20), min_size=min_periods, max_size=8, unique=True).map(sorted)
    )
    values = st.integers(-100, 200).map(float)
    pairs: list[tuple[dt.date, float]] = []
    starts: list[dt.date] = []  # the start of each pair's period
    for index in indexes:
        start = _period_start(index, frequency)
        offsets = draw(st.lists(st.integers(0, PERIOD_DAYS[frequency] - 1), min_size=1, max_size=3))
        pairs.extend((start + dt.timedelta(days=o), draw(values)) for o in sorted(offsets))
        starts.extend([start] * len(offsets))
    last = max(d for d, _ in pairs)
    return {
        "direction": draw(st.sampled_from(["higher", "lower"])),
        "frequency": frequency,
        "aggregation": aggregation,
        "target": draw(values),
        "baseline": draw(st.none() | values),
        "baseline_date": draw(st.none() | st.dates(D(2024, 6, 1), D(2026, 6, 1))),
        "deadline": last + dt.timedelta(days=draw(st.integers(-200, 3000))),
        "as_of": last + dt.timedelta(days=draw(st.integers(0, 1000))),
        "pairs": pairs,
        "starts": starts,
        "benchmarks": draw(st.lists(values, max_size=3)),
        "on_track": draw(st.sampled_from([0.95, 0.9, 0.75])),
        "at_risk": draw(st.sampled_from([0.8, 0.6, 0.5])),
    }


def _case_kpi(case: dict[str, Any]) -> Any:
    """The KPI a generated case describes."""
    return make_kpi(
        direction=case["direction"],
        frequency=case["frequency"],
        aggregation=case["aggregation"],
        target=case["target"],
        baseline=case["baseline"],
        baseline_date=case["baseline_date"],
        deadline=case["deadline"],
    )


def _run_case(case: dict[str, Any]) -> KpiResult:
    kpi = _case_kpi(case)
    benchmarks = [Benchmark("K-1", f"B{i}", v, i + 2) for i, v in enumerate(case["benchmarks"])]
    return compute_kpi(
        kpi,
        ms(*case["pairs"]),
        benchmarks,
        case["as_of"],
        on_track=case["on_track"],
        at_risk=case["at_risk"],
    )


def _mirror(case: dict[str, Any]) -> dict[str, Any]:
    """Negate every value and swap the direction (and min with max, which trade places)."""
    return {
        **case,
        "direction": "lower" if case["direction"] == "higher" else "higher",
        "aggregation": {"min": "max", "max": "min"}.get(case["aggregation"], case["aggregation"]),
        "target": -case["target"],
        "baseline": None if case["baseline"] is None else -case["baseline"],
        "pairs": [(d, -v) for d, v in case["pairs"]],
        "benchmarks": [-v for v in case["benchmarks"]],
    }


FAST = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(kpi_cases())
def test_mirroring_a_kpi_changes_nothing_that_matters(case: dict[str, Any]) -> None:
    # Negation is exact in floating point and every formula is odd in the values, so the
    # results must be *equal*, not just close.
    a, b = _run_case(case), _run_case(_mirror(case))
    assert a.progress == b.progress
    assert a.expected_progress == b.expected_progress
    assert a.status == b.status
    assert [(g.difference, g.relative) for g in a.benchmarks] == [
        (g.difference, g.relative) for g in b.benchmarks
    ]
    assert (a.current is None) == (b.current is None)
    if a.current is not None:
        assert a.current == -b.current
    fa, fb = a.forecast, b.forecast
    assert (fa is None) == (fb is None)
    if fa is not None and fb is not None:
        assert fa.date_reached == fb.date_reached


finite = st.floats(-1e9, 1e9, allow_nan=False, allow_infinity=False)


@FAST
@given(finite, finite)
def test_progress_is_exactly_1_at_the_target_and_0_at_the_baseline(
    baseline: float, target: float
) -> None:
    # x / x is exactly 1 and 0 / x exactly 0 in IEEE arithmetic for any finite x != 0, and
    # target - baseline cannot overflow within +-1e9: no tolerance needed.
    assume(target != baseline)
    assert progress(target, baseline, target) == 1.0
    assert progress(baseline, baseline, target) == 0.0


@FAST
@given(kpi_cases(min_periods=2), st.booleans())
def test_progress_through_compute_kpi_at_target_and_baseline(
    case: dict[str, Any], at_target: bool
) -> None:
    # the last period gets exactly one value, so its aggregate is that value
    baseline = case["baseline"] if case["baseline"] is not None else 0.0
    assume(baseline != case["target"])
    last_start = case["starts"][-1]
    value = case["target"] if at_target else baseline
    pairs = [(d, v) for d, v in case["pairs"] if d < last_start] + [(last_start, value)]
    as_of = case["as_of"]
    if case["aggregation"] == "sum":  # a running period would be set aside: report it whole
        as_of = max(as_of, period_end(last_start, case["frequency"]))
    result = _run_case({**case, "baseline": baseline, "pairs": pairs, "as_of": as_of})
    assert result.progress == (1.0 if at_target else 0.0)
    if at_target:
        # a stale KPI is at best at risk until its deadline
        capped = result.stale and case["deadline"] >= as_of
        assert result.status == ("at_risk" if capped else "achieved")


# Too early depends on which periods have a value, not on the values: a KPI is too early before
# and after a move, or falls to it from achieved, or from at risk (a stale achieved KPI).
RANK = {"achieved": 3, "on_track": 2, "at_risk": 1, "too_early": 0.5, "off_track": 0, "missed": -1}


@FAST
@given(kpi_cases(min_periods=2), st.integers(1, 100))
def test_moving_the_current_value_away_never_improves_the_status(
    case: dict[str, Any], delta: int
) -> None:
    # Rank: achieved > on track > at risk > off track (> missed, which only an achieved KPI
    # can fall to, the deadline being fixed). Moving the latest value away from the target
    # lowers (or keeps) the period's aggregate for every aggregation, hence the progress and
    # the Theil-Sen projection.
    sign = 1.0 if case["direction"] == "higher" else -1.0
    assume(case["baseline"] != case["target"])  # a typed baseline at the target: an error
    before = _run_case(case)
    last = max(range(len(case["pairs"])), key=lambda i: (case["pairs"][i][0], i))
    moved = list(case["pairs"])
    moved[last] = (moved[last][0], moved[last][1] - sign * delta)
    after = _run_case({**case, "pairs": moved})
    # the KPI has data, so it never says "no data" (even when the default baseline equals
    # the target and progress is undefined)
    assert before.status != "no_data" and after.status != "no_data"
    if before.status == "missed":
        assert after.status == "missed"
    assert RANK[after.status] <= RANK[before.status], (before.status, after.status)


@FAST
@given(kpi_cases())
def test_no_status_a_controller_would_distrust(case: dict[str, Any]) -> None:
    """Issue 13, points 4 to 7, for any KPI."""
    result = _run_case(case)
    as_of, frequency = case["as_of"], case["frequency"]
    # 7: on track only at or above the at-risk line (by pace, or lifted by the forecast)
    if result.status == "on_track" and result.progress is not None:
        line = result.expected_progress * min(case["on_track"], case["at_risk"])
        assert result.progress >= line
    # 6: a stale KPI is at best at risk until its deadline, and no date is projected before
    # the end of the report date's period
    if result.stale and case["deadline"] >= as_of:
        assert result.status not in ("achieved", "on_track")
    fc = result.forecast
    if fc is not None and fc.date_reached is not None and result.status != "achieved":
        assert fc.date_reached >= period_end(as_of, frequency)
    # 5: too early means no shortfall, and is never said once the deadline is a period away
    if result.status == "too_early":
        assert result.shortfall is None
        assert period_end(as_of, frequency) < case["deadline"]
    # 4: a sum KPI is judged on finished periods only; the running one is set aside
    if case["aggregation"] == "sum":
        assert all(p.end <= as_of for p in result.series)
        assert result.current_period_incomplete is False
        partial = result.partial_period
        assert partial is None or partial.start <= as_of < partial.end


@FAST
@given(kpi_cases(), st.integers(1, 800))
def test_the_series_as_of_an_earlier_date_taken_from_a_later_one_is_the_same(
    case: dict[str, Any], days: int
) -> None:
    """The previous report is computed from the report's own series (``later``): the periods
    before the earlier date's were over by then and are taken as they are, the earlier date's
    own period is made again. Whatever the frequency, aggregation or dates, the KPI as of the
    earlier date is exactly what it is computed afresh."""
    later = _run_case(case)
    earlier = {**case, "as_of": case["as_of"] - dt.timedelta(days=days)}
    kpi = _case_kpi(case)
    taken = compute_kpi(kpi, ms(*case["pairs"]), [], earlier["as_of"], later=later.series)
    afresh = compute_kpi(kpi, ms(*case["pairs"]), [], earlier["as_of"])
    assert taken == afresh
