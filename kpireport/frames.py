"""Results as pandas DataFrames, for notebooks and scripts (docs/python-api.md), and for
results.xlsx. pandas is imported here only, when a frame is asked for: the command line never
pays for it.

The columns are plain data in the results' own units: percentages as fractions (0.42), dates as
pandas timestamps, codes in English (``on_track``), as in results.json.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import TYPE_CHECKING

from kpireport.engine.formulas import expected_progress
from kpireport.engine.plan import planned_value, value_on
from kpireport.engine.results import DepartmentResult, KpiResult, Results

if TYPE_CHECKING:
    import pandas

Cell = str | float | int | bool | dt.date | None

# One row per KPI: (column, what it is). docs/python-api.md lists them with their meaning.
KPI_COLUMNS = (
    "department",
    "kpi",
    "name",
    "unit",
    "unit_kind",
    "direction",
    "frequency",
    "weight",
    "baseline",
    "baseline_date",
    "current",
    "current_period",
    "target",
    "deadline",
    "progress",
    "expected_progress",
    "status",
    "shortfall",
    "forecast",
    "forecast_reached",
    "required_pace",
    "recent_pace",
    "previous_difference",
    "previous_relative",
    "yoy_difference",
    "yoy_relative",
    "benchmark",
    "benchmark_value",
    "benchmark_difference",
    "benchmark_relative",
    "stale",
    "goal",
    "plan_period",
    "plan",
    "plan_variance",
    "plan_relative",
    "ytd_start",
    "ytd_actual",
    "ytd_plan",
    "ytd_variance",
    "ytd_relative",
    "limit",
    "margin",
    "periods_held",
    "periods",
)
# One row per KPI and period (long format).
SERIES_COLUMNS = (
    *("kpi", "department", "period", "start", "end", "value", "count"),
    *("expected", "plan", "target"),
)
DATE_COLUMNS = ("baseline_date", "deadline", "forecast_reached", "ytd_start", "start", "end")


def kpi_rows(results: Results) -> Iterator[tuple[Cell, ...]]:
    """The rows of :func:`kpi_frame`, in KPI_COLUMNS order."""
    for dept in results.departments:
        for kpi in dept.kpis:
            yield _kpi_row(dept, kpi)


def _kpi_row(dept: DepartmentResult, kpi: KpiResult) -> tuple[Cell, ...]:
    benchmark = kpi.benchmarks[0] if kpi.benchmarks else None  # the one the chart shows
    fc = kpi.forecast
    previous, yoy = kpi.previous_period_change, kpi.yoy_change
    return (
        dept.name,
        kpi.id,
        kpi.name,
        kpi.unit,
        kpi.unit_kind,
        kpi.direction,
        kpi.frequency,
        kpi.weight,
        kpi.baseline,
        kpi.baseline_date,
        kpi.current,
        kpi.current_period,
        kpi.target,
        kpi.deadline,
        kpi.progress,
        kpi.expected_progress,
        kpi.status,
        kpi.shortfall,
        fc.value if fc else None,
        fc.date_reached if fc else None,
        kpi.required_pace,
        kpi.recent_pace,
        previous.difference if previous else None,
        previous.relative if previous else None,
        yoy.difference if yoy else None,
        yoy.relative if yoy else None,
        benchmark.source if benchmark else None,
        benchmark.value if benchmark else None,
        benchmark.difference if benchmark else None,
        benchmark.relative if benchmark else None,
        kpi.stale,
        kpi.goal,
        *_plan_cells(kpi),
        kpi.keep.limit if kpi.keep else None,
        kpi.keep.margin if kpi.keep else None,
        kpi.keep.periods_held if kpi.keep else None,
        kpi.keep.periods if kpi.keep else None,
    )


def _plan_cells(kpi: KpiResult) -> tuple[Cell, ...]:
    """plan_period .. ytd_relative: the current period against its plan, and the year to date."""
    current = kpi.plan.current if kpi.plan else None
    ytd = kpi.plan.year_to_date if kpi.plan else None
    return (
        current.period if current else None,
        current.planned if current else None,
        current.variance if current else None,
        current.relative if current else None,
        ytd.start if ytd else None,
        ytd.actual if ytd else None,
        ytd.planned if ytd else None,
        ytd.variance if ytd else None,
        ytd.relative if ytd else None,
    )


def series_rows(results: Results) -> Iterator[tuple[Cell, ...]]:
    """The rows of :func:`series_frame`, in SERIES_COLUMNS order."""
    for dept in results.departments:
        for kpi in dept.kpis:
            for point in kpi.series:
                yield (
                    kpi.id,
                    dept.name,
                    point.period,
                    point.start,
                    point.end,
                    point.value,
                    point.count,
                    expected_value(kpi, point.end),
                    period_plan(kpi, point.start, point.end),
                    kpi.target,
                )


def expected_value(kpi: KpiResult, when: dt.date) -> float | None:
    """Where a reach KPI should be on ``when``: on its plan where it has one, else on the
    straight path from its baseline (on its baseline date) to its target (on its deadline); the
    expected path of its chart. None for a keep KPI, which travels nowhere."""
    if kpi.goal == "keep":
        return None
    if kpi.plan is not None and kpi.plan.line:
        return value_on([(p.date, p.value) for p in kpi.plan.line], when)
    if kpi.baseline is None or kpi.baseline_date is None:
        return None
    share = expected_progress(kpi.baseline_date, kpi.deadline, when)
    return kpi.baseline + share * (kpi.target - kpi.baseline)


def period_plan(kpi: KpiResult, start: dt.date, end: dt.date) -> float | None:
    """The Plan sheet's value for the period from ``start`` to ``end`` (docs/metrics.md, "Actual
    vs plan"); None for a KPI without a plan."""
    plan = kpi.plan
    if plan is None:
        return None
    explicit = {p.start: p.planned for p in plan.periods if p.explicit}
    line = [(p.date, p.value) for p in plan.line]
    return planned_value(start, end, explicit, line, kpi.goal == "keep", kpi.target)


def kpi_frame(results: Results) -> pandas.DataFrame:
    """One row per KPI, departments in order, KPIs in the KPIs sheet's order."""
    return _frame(list(kpi_rows(results)), KPI_COLUMNS)


def series_frame(results: Results) -> pandas.DataFrame:
    """One row per KPI and period with a value (long format), oldest period first."""
    return _frame(list(series_rows(results)), SERIES_COLUMNS)


def _frame(rows: list[tuple[Cell, ...]], columns: tuple[str, ...]) -> pandas.DataFrame:
    import pandas

    frame = pandas.DataFrame.from_records(rows, columns=list(columns))
    for column in DATE_COLUMNS:
        if column in frame:
            frame[column] = pandas.to_datetime(frame[column])
    return frame


__all__ = [
    "KPI_COLUMNS",
    "SERIES_COLUMNS",
    "expected_value",
    "kpi_frame",
    "period_plan",
    "series_frame",
]
