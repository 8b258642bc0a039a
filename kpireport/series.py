"""A KPI's measurements per period of its frequency, combined by its aggregation."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Context, Decimal, localcontext
from operator import attrgetter

from kpireport.model import KPI, Measurement
from kpireport.periods import period_start

# 40 digits: numbers as typed (a float's shortest decimal has at most 17 significant digits) add
# up exactly unless they lie more than 23 orders of magnitude apart, and a mean's quotient then
# rounds to the float nearest the true mean.
_EXACT = Context(prec=40)


def aggregate(values: list[float], how: str | None) -> float:
    """Combine the values of one period (in the order measured) as the KPI says; a sum or a
    mean is that of the numbers as typed, rounded once (0.1 + 0.2 is 0.3)."""
    if len(values) == 1:
        return values[0]  # whatever the aggregation (and most periods have one value)
    if how == "sum" or how == "mean":
        # In binary, 0.7 + 0.7 + 0.7 is 2.0999999999999996, and its third 0.6999999999999998:
        # below a 70 % target the KPI measured three times. A float's repr is its shortest
        # decimal, the number as typed; decimal adds those exactly.
        with localcontext(_EXACT):
            total = sum(map(Decimal, map(repr, values)))
            return float(total if how == "sum" else total / len(values))
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
