"""A KPI's plan (the Plan sheet) as a line through time: the expected value on any date, linear
between planned periods, from the baseline before the first and to the target at the deadline
(docs/metrics.md, "Expected progress from a plan")."""

from __future__ import annotations

import datetime as dt
from itertools import pairwise

from kpireport.model import KPI, PlanRow
from kpireport.periods import GRANULARITY, period_end, period_start


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
