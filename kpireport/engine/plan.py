"""A KPI's plan (the Plan sheet) as a line through time: the expected value on any date, linear
between planned periods, from the baseline before the first and to the target at the deadline
(docs/metrics.md, "Expected progress from a plan"), and its actuals against it ("Actual vs
plan")."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from itertools import pairwise

from kpireport.engine.formulas import difference, relative_difference
from kpireport.engine.results import (
    PartialPeriod,
    PlanPeriod,
    PlanPoint,
    PlanResult,
    Point,
    YearToDate,
)
from kpireport.model import KPI, PlanRow
from kpireport.periods import GRANULARITY, next_period, period_end, period_label, period_start


def usable_plan(kpi: KPI, rows: list[PlanRow]) -> dict[dt.date, PlanRow]:
    """The plan rows the numbers may use, by the first day of their period: those dated by a day
    or by a period of the KPI's frequency, the first row of a period (validation reports the
    others as errors)."""
    assert kpi.frequency is not None
    out: dict[dt.date, PlanRow] = {}
    for row in rows:
        if row.granularity in ("day", GRANULARITY[kpi.frequency]):
            out.setdefault(period_start(row.date, kpi.frequency), row)
    return out


def plan_line(
    kpi: KPI, rows: list[PlanRow], baseline: float | None, baseline_date: dt.date | None
) -> list[tuple[dt.date, float]]:
    """The plan's points in date order: the baseline on the baseline date, each planned value on
    its period's last day (the deadline, for the deadline's period), the target on the deadline
    unless the deadline's period is planned. Rows of periods ending before the baseline date or
    starting after the deadline are left out (validation warns about them)."""
    assert kpi.frequency is not None and kpi.deadline is not None and kpi.target is not None
    deadline = kpi.deadline
    points: dict[dt.date, float] = {}
    if baseline is not None and baseline_date is not None:
        points[baseline_date] = baseline
    for start, row in sorted(usable_plan(kpi, rows).items()):
        end = period_end(start, kpi.frequency)
        if (baseline_date is not None and end < baseline_date) or start > deadline:
            continue
        points[min(end, deadline)] = row.target  # a plan on the baseline's day wins over it
    points.setdefault(deadline, kpi.target)
    return sorted(points.items())


def value_on(line: list[tuple[dt.date, float]], day: dt.date) -> float:
    """The line's value on ``day``: linear in days between its points, flat before the first
    and after the last."""
    if day <= line[0][0]:
        return line[0][1]
    for (d0, v0), (d1, v1) in pairwise(line):
        if day <= d1:
            return v0 + (v1 - v0) * (day - d0).days / (d1 - d0).days
    return line[-1][1]


def plan_result(
    kpi: KPI,
    rows: list[PlanRow],
    points: list[Point],
    partial: PartialPeriod | None,
    baseline: float | None,
    baseline_date: dt.date | None,
    fiscal_year_start: int,
    relative: bool,
) -> PlanResult:
    """A KPI's plan against its actuals (docs/metrics.md, "Actual vs plan"): the current period
    (``points`` ends with it: for a ``sum`` KPI the last complete one, its running period being
    ``partial``), the running period so far, the year to date of a ``sum`` KPI from the
    ``fiscal_year_start`` month, and every planned period. A period the Plan sheet does not plan
    is planned by the plan line on its last day (a reach KPI) or by the target (a keep KPI's
    limit)."""
    assert kpi.frequency is not None and kpi.deadline is not None and kpi.target is not None
    frequency, deadline, target = kpi.frequency, kpi.deadline, kpi.target
    sign = 1.0 if kpi.direction == "higher" else -1.0
    rows_by_start = {
        start: row
        for start, row in usable_plan(kpi, rows).items()
        if start <= deadline
        and (baseline_date is None or period_end(start, frequency) >= baseline_date)
    }
    keep = kpi.goal == "keep"
    line = [] if keep else plan_line(kpi, rows, baseline, baseline_date)

    explicit = {start: row.target for start, row in rows_by_start.items()}

    def planned(start: dt.date) -> float:
        return planned_value(start, period_end(start, frequency), explicit, line, keep, target)

    def period(start: dt.date, label: str, actual: float | None) -> PlanPeriod:
        plan = planned(start)
        row = rows_by_start.get(start)
        return PlanPeriod(
            period=label,
            start=start,
            end=period_end(start, frequency),
            planned=plan,
            explicit=row is not None,
            actual=actual,
            variance=None if actual is None else difference(actual, plan, sign),
            relative=None
            if actual is None or not relative
            else relative_difference(actual, plan, sign),
            note=row.note if row is not None else None,
        )

    actual_of = {p.start: p.value for p in points}
    current = period(points[-1].start, points[-1].period, points[-1].value) if points else None
    so_far = None
    if partial is not None:
        # the running period's amount so far is not held against the whole period's plan
        so_far = period(partial.start, partial.period, None)
        so_far.actual = partial.value
    ytd = None
    if kpi.aggregation == "sum" and frequency != "yearly" and points:
        ytd = _year_to_date(points[-1], actual_of, planned, fiscal_year_start, frequency, sign)
        if ytd is not None and relative:
            ytd.relative = relative_difference(ytd.actual, ytd.planned, sign)
    return PlanResult(
        line=[PlanPoint(day, value) for day, value in (line or _steps(rows_by_start, kpi))],
        current=current,
        so_far=so_far,
        year_to_date=ytd,
        periods=[
            period(start, period_label(start, frequency), actual_of.get(start))
            for start in sorted(rows_by_start)
        ],
    )


def planned_value(
    start: dt.date,
    end: dt.date,
    explicit: Mapping[dt.date, float],
    line: list[tuple[dt.date, float]],
    keep: bool,
    target: float,
) -> float:
    """The plan of the period from ``start`` to ``end``: its row on the Plan sheet
    (``explicit``, by first day), else for a keep KPI the target (its limit), else the plan
    ``line`` on the period's last day (the line ends on the deadline)."""
    if start in explicit:
        return explicit[start]
    if keep:
        return target
    return value_on(line, end)


def _steps(rows_by_start: dict[dt.date, PlanRow], kpi: KPI) -> list[tuple[dt.date, float]]:
    """A keep KPI's limits as a step line: each planned period's limit from its first day to its
    last, the target between them."""
    assert kpi.frequency is not None and kpi.target is not None
    out: list[tuple[dt.date, float]] = []
    for start, row in sorted(rows_by_start.items()):
        out += [(start, row.target), (period_end(start, kpi.frequency), row.target)]
    return out


def fiscal_year_first_day(day: dt.date, first_month: int) -> dt.date:
    """The first day of the fiscal year that ``day`` falls in, the year starting on the first of
    ``first_month`` (1 = January: the calendar year)."""
    year = day.year if day.month >= first_month else day.year - 1
    return dt.date(year, first_month, 1)


def _year_to_date(
    current: Point,
    actual_of: dict[dt.date, float],
    planned: Callable[[dt.date], float],
    first_month: int,
    frequency: str,
    sign: float,
) -> YearToDate | None:
    """The periods starting in the current period's fiscal year, up to and including the current
    period: the actuals summed and the plans of the same periods summed; a period without a value
    counts in neither (``missing``)."""
    first = fiscal_year_first_day(current.start, first_month)
    start = period_start(first, frequency)
    if start < first:  # a week that began in the year before
        start = next_period(start, frequency)
    actual = plan = 0.0
    counted = missing = 0
    while start <= current.start:
        value = actual_of.get(start)
        if value is None:
            missing += 1
        else:
            actual += value
            plan += planned(start)
            counted += 1
        start = next_period(start, frequency)
    if counted == 0:
        return None
    return YearToDate(
        first, current.end, counted, missing, actual, plan, difference(actual, plan, sign), None
    )
