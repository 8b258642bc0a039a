"""Calendar periods of the five frequencies: where a date falls and how far apart periods are.

A period is named by its first day: the Monday of an ISO week, the first of a month, quarter or
year. So periods sort, compare and hash as plain dates.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable

FREQUENCIES = ("daily", "weekly", "monthly", "quarterly", "yearly")
GRANULARITY = {
    "daily": "day",
    "weekly": "week",
    "monthly": "month",
    "quarterly": "quarter",
    "yearly": "year",
}
_RANK = {"day": 0, "week": 1, "month": 2, "quarter": 3, "year": 4}
# The ends and labels of periods are kept for this many (date, frequency) pairs: a report asks
# for the same ones thousands of times (each daily KPI's series has the same days), and making
# them again was a third of the time to compute the bench workbook's results.
_KEPT = 16_384


def period_start(date: dt.date, frequency: str) -> dt.date:
    """The first day of the period of ``frequency`` that ``date`` falls in."""
    if frequency == "daily":
        return date
    if frequency == "weekly":
        return date - dt.timedelta(days=date.weekday())
    if frequency == "monthly":
        return date.replace(day=1)
    if frequency == "quarterly":
        return dt.date(date.year, 3 * ((date.month - 1) // 3) + 1, 1)
    if frequency == "yearly":
        return dt.date(date.year, 1, 1)
    raise ValueError(f"unknown frequency {frequency!r}")


def next_period(start: dt.date, frequency: str) -> dt.date:
    """The first day of the period after the one starting on ``start``."""
    if frequency == "daily":
        return start + dt.timedelta(days=1)
    if frequency == "weekly":
        return start + dt.timedelta(days=7)
    months = {"monthly": 1, "quarterly": 3, "yearly": 12}[frequency]
    index = start.year * 12 + start.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


@functools.lru_cache(maxsize=_KEPT)
def period_end(date: dt.date, frequency: str) -> dt.date:
    """The last day of the period of ``frequency`` that ``date`` falls in; for the last period
    a date can hold (of 9999), the last day there is, since no period comes after it."""
    start = period_start(date, frequency)
    try:
        return next_period(start, frequency) - dt.timedelta(days=1)
    except (OverflowError, ValueError):  # the year after 9999
        return dt.date.max


def granularity_end(date: dt.date, granularity: str) -> dt.date:
    """The last day of a period given with ``granularity`` (day, week, month, quarter, year)."""
    frequency = {v: k for k, v in GRANULARITY.items()}[granularity]
    return period_end(date, frequency)


def periods_between(a: dt.date, b: dt.date, frequency: str) -> int:
    """How many whole periods of ``frequency`` lie from the period of ``a`` to that of ``b``."""
    a, b = period_start(a, frequency), period_start(b, frequency)
    if frequency == "daily":
        return (b - a).days
    if frequency == "weekly":
        return (b - a).days // 7
    months = (b.year - a.year) * 12 + b.month - a.month
    return months // {"monthly": 1, "quarterly": 3, "yearly": 12}[frequency]


def period_number(frequency: str) -> Callable[[dt.date], int]:
    """A date's period of ``frequency`` as a number, consecutive periods one apart, so that
    ``periods_between(a, b, f)`` is ``number(b) - number(a)``: for many dates at once, where
    periods_between's two period starts a pair cost a third of validating a large workbook."""
    if frequency == "daily":
        return dt.date.toordinal
    if frequency == "weekly":
        return lambda d: (d.toordinal() - 1) // 7  # day 1, 1 January of year 1, was a Monday
    if frequency == "monthly":
        return lambda d: d.year * 12 + d.month - 1
    if frequency == "quarterly":
        return lambda d: d.year * 4 + (d.month - 1) // 3
    if frequency == "yearly":
        return lambda d: d.year
    raise ValueError(f"unknown frequency {frequency!r}")


def coarser(granularity: str, frequency: str) -> bool:
    """Whether a date given with ``granularity`` is less precise than the KPI's frequency."""
    return _RANK[granularity] > _RANK[GRANULARITY[frequency]]


@functools.lru_cache(maxsize=_KEPT)
def period_label(start: dt.date, frequency: str) -> str:
    """A short, language-neutral label: 2026-03-15, 2026-W11, 2026-03, 2026-Q1, 2026."""
    if frequency == "daily":
        return start.isoformat()
    if frequency == "weekly":
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}"
    if frequency == "monthly":
        return f"{start.year}-{start.month:02d}"
    if frequency == "quarterly":
        return f"{start.year}-Q{(start.month - 1) // 3 + 1}"
    if frequency == "yearly":
        return str(start.year)
    raise ValueError(f"unknown frequency {frequency!r}")
