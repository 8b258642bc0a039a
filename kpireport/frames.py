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
)
# One row per KPI and period (long format).
SERIES_COLUMNS = ("kpi", "department", "period", "start", "end", "value", "count", "plan", "target")
DATE_COLUMNS = ("baseline_date", "deadline", "forecast_reached", "start", "end")


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
                    plan_value(kpi, point.end),
                    kpi.target,
                )


def plan_value(kpi: KpiResult, when: dt.date) -> float | None:
    """Where the KPI should be on ``when`` on the straight path from its baseline (on its
    baseline date) to its target (on its deadline): the plan line of its chart."""
    if kpi.baseline is None or kpi.baseline_date is None:
        return None
    share = expected_progress(kpi.baseline_date, kpi.deadline, when)
    return kpi.baseline + share * (kpi.target - kpi.baseline)


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


__all__ = ["KPI_COLUMNS", "SERIES_COLUMNS", "kpi_frame", "plan_value", "series_frame"]
