"""A KPI's measurements per period of its frequency, combined by its aggregation."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from operator import attrgetter

from kpireport.model import KPI, Measurement
from kpireport.periods import period_start


def aggregate(values: list[float], how: str | None) -> float:
    """Combine the values of one period (in the order measured) as the KPI says."""
    if how == "sum":
        return sum(values)
    if how == "mean":
        return sum(values) / len(values)
    if how == "min":
        return min(values)
    if how == "max":
        return max(values)
    return values[-1]


def group_periods(kpi: KPI, measurements: list[Measurement]) -> dict[dt.date, list[Measurement]]:
    """The KPI's measurements by period of its frequency, oldest period first, each period's
    measurements in date order (then row order, for several on one day)."""
    if kpi.frequency is None:
        return {}
    frequency = kpi.frequency
    starts: dict[dt.date, dt.date] = {}  # dates repeat: compute each one's period once
    groups: dict[dt.date, list[Measurement]] = defaultdict(list)
    for m in measurements:
        start = starts.get(m.date)
        if start is None:
            start = starts[m.date] = period_start(m.date, frequency)
        groups[start].append(m)
    for ms in groups.values():
        if len(ms) > 1:
            ms.sort(key=_by_date_and_row)
    return dict(sorted(groups.items()))


_by_date_and_row = attrgetter("date", "row")
