"""The Plan sheet's checks across sheets: a plan row's period against its KPI's frequency, its
baseline date and deadline, one row per period, and the plan's end against the target."""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Callable, Iterator

from kpireport.issues import Date, Issue, Value
from kpireport.model import KPI, PlanRow, Workbook
from kpireport.periods import period_end, period_label, period_start
from kpireport.validate import FREQUENCY_OF, FREQUENCY_WORDS, GRANULARITY_OF, GRANULARITY_WORDS


def plan_issues(
    workbook: Workbook, baseline_date: Callable[[KPI], dt.date | None]
) -> Iterator[Issue]:
    """Every problem of the Plan sheet's rows of known KPIs; ``baseline_date`` gives a KPI's
    (typed, or its first measurement's date)."""
    by_kpi: dict[str, list[PlanRow]] = defaultdict(list)
    for row in workbook.plan:
        by_kpi[row.kpi_id].append(row)
    for kpi in workbook.kpis:
        if kpi.frequency is not None and by_kpi.get(kpi.id):
            yield from _kpi_plan(workbook, kpi, by_kpi[kpi.id], baseline_date(kpi))


def _kpi_plan(
    workbook: Workbook, kpi: KPI, rows: list[PlanRow], baseline: dt.date | None
) -> Iterator[Issue]:
    assert kpi.frequency is not None
    frequency = kpi.frequency
    periods: dict[dt.date, list[PlanRow]] = defaultdict(list)
    for row in rows:
        if row.granularity not in ("day", GRANULARITY_OF[frequency]):
            yield Issue(
                "plan-wrong-period",
                *_at(workbook, row, "period"),
                {
                    "value": period_label(row.date, FREQUENCY_OF[row.granularity]),
                    "granularity": GRANULARITY_WORDS[row.granularity],
                    "kpi": kpi.id,
                    "frequency": FREQUENCY_WORDS[frequency],
                    "frequency_unit": GRANULARITY_WORDS[GRANULARITY_OF[frequency]],
                },
            )
        else:
            periods[period_start(row.date, frequency)].append(row)
    for start, same in periods.items():
        label = period_label(start, frequency)
        if len(same) > 1:
            for row in same:
                others = ", ".join(
                    str(workbook.loc("plan", other.row, "period"))
                    for other in same
                    if other is not row
                )
                yield Issue(
                    "duplicate-plan-period",
                    *_at(workbook, row, "period"),
                    {"kpi": kpi.id, "period": label, "other": others},
                )
        row = same[0]
        if baseline is not None and period_end(start, frequency) < baseline:
            args = {"period": label, "kpi": kpi.id, "baseline_date": Date(baseline)}
            yield Issue("plan-before-baseline", *_at(workbook, row, "period"), args)
        elif kpi.deadline is not None and start > kpi.deadline:
            args = {"period": label, "kpi": kpi.id, "deadline": Date(kpi.deadline)}
            yield Issue("plan-after-deadline", *_at(workbook, row, "period"), args)
        elif (
            kpi.deadline is not None
            and kpi.target is not None
            and start == period_start(kpi.deadline, frequency)
            and not math.isclose(row.target, kpi.target, rel_tol=1e-9, abs_tol=1e-12)
        ):
            yield Issue(
                "plan-target-mismatch",
                *_at(workbook, row, "target"),
                {
                    "period": label,
                    "plan": Value(row.target, kpi.unit),
                    "target": Value(kpi.target, kpi.unit),
                },
            )


def _at(workbook: Workbook, row: PlanRow, column: str) -> tuple[str, str | None]:
    loc = workbook.loc("plan", row.row, column)
    return loc.sheet, loc.cell
