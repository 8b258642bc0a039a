"""Keep KPIs: a target that is a limit to hold from the baseline date to the deadline (at or above
it for "higher", at or below for "lower"), per period the plan's limit where there is one. Their
status, periods held and margin (docs/metrics.md, "Keep KPIs")."""

from __future__ import annotations

import datetime as dt

from kpireport.engine.formulas import reached
from kpireport.engine.plan import usable_plan
from kpireport.engine.results import Held, Point
from kpireport.model import KPI, PlanRow
from kpireport.periods import period_start


def keep_status(
    kpi: KPI,
    points: list[Point],
    plan: list[PlanRow],
    baseline_date: dt.date | None,
    as_of: dt.date,
    forecast_value: float | None,
    *,
    early: bool,
    stale: bool,
) -> tuple[str, Held]:
    """The status of a keep KPI and how it has held its limit: at or after the deadline achieved
    when the deadline's period (or the latest before it) is within the target, else missed;
    before it no data, too early, off track beyond the current period's limit, at risk when the
    forecast at the deadline crosses the target, else on track (a stale KPI at best at risk)."""
    assert kpi.frequency is not None and kpi.deadline is not None and kpi.target is not None
    sign = 1.0 if kpi.direction == "higher" else -1.0
    target = kpi.target
    planned = {start: row.target for start, row in usable_plan(kpi, plan).items()}

    def limit(start: dt.date) -> float:
        return planned.get(start, target)

    first = period_start(baseline_date, kpi.frequency) if baseline_date else dt.date.min
    counted = [p for p in points if p.start >= first]
    held = sum(1 for p in counted if reached(p.value, limit(p.start), sign))
    last = points[-1] if points else None
    now = limit(last.start) if last else limit(period_start(as_of, kpi.frequency))
    margin = sign * (last.value - now) if last else None
    deadline_start = period_start(kpi.deadline, kpi.frequency)
    if as_of >= kpi.deadline:
        # the target decides, as for reach KPIs: a plan row for the deadline's period that
        # differs from it is warned about (plan-target-mismatch)
        final = next((p for p in reversed(points) if p.start <= deadline_start), None)
        ok = final is not None and reached(final.value, target, sign)
        status = "achieved" if ok else "missed"
    elif last is None:
        status = "no_data"
    elif early:
        status = "too_early"
    elif not reached(last.value, now, sign):
        status = "off_track"
    elif forecast_value is not None and not reached(forecast_value, target, sign):
        status = "at_risk"
    else:
        status = "at_risk" if stale else "on_track"
    return status, Held(now, margin, held, len(counted))
