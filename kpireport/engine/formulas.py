"""The formulas of docs/metrics.md: progress, expected progress, status, the Theil-Sen forecast,
the required pace and the benchmark gap, as plain functions of numbers and dates."""

from __future__ import annotations

import datetime as dt
import math
import statistics
from itertools import combinations

from kpireport.engine.results import Forecast, Point
from kpireport.periods import period_end, periods_between

# The forecast fits a Theil-Sen line to at most this many of the latest periods...
FORECAST_PERIODS = 12
# ...and needs at least this many to say anything.
MIN_FORECAST_PERIODS = 3
# A target projected to be reached further away than this is "not reached".
MAX_FORECAST_YEARS = 10


def progress(current: float, baseline: float | None, target: float) -> float | None:
    """(current - baseline) / (target - baseline): 0 at the baseline, 1 at the target, for
    either direction; negative when moving away, above 1 beyond the target."""
    if baseline is None or target == baseline:
        return None
    return (current - baseline) / (target - baseline)


def expected_progress(start: dt.date | None, deadline: dt.date, as_of: dt.date) -> float:
    """The share of the time from the baseline date to the deadline that has passed, 0 to 1."""
    if start is None:
        return 0.0
    total = (deadline - start).days
    if total <= 0:
        return 1.0 if as_of >= deadline else 0.0
    return min(max((as_of - start).days / total, 0.0), 1.0)


def reached(value: float, target: float, sign: float) -> bool:
    """Whether ``value`` has reached ``target`` in the KPI's direction."""
    return sign * (value - target) >= 0


def status_of(
    current: float | None,
    target: float,
    sign: float,
    prog: float | None,
    expected: float,
    deadline: dt.date,
    as_of: dt.date,
    fc: Forecast | None,
    on_track: float,
    at_risk: float,
) -> str:
    """The first that holds: achieved, missed, no data, on track, at risk; else off track."""
    if current is not None and reached(current, target, sign):
        return "achieved"
    if deadline < as_of:
        return "missed"
    if current is None:
        return "no_data"
    if prog is not None and prog >= expected * on_track:
        return "on_track"
    if fc is not None and fc.value is not None and reached(fc.value, target, sign):
        return "on_track"
    if prog is None:  # started at the target (baseline = target) and has moved away from it
        return "off_track"
    if prog >= expected * at_risk:
        return "at_risk"
    return "off_track"


def theil_sen(xs: list[float], ys: list[float]) -> tuple[float, float]:
    """Slope and intercept of the Theil-Sen line: the median of the slopes between every pair
    of points, and the median of y - slope * x. From five points on, one outlier cannot swing
    it (it touches only n - 1 of the n(n - 1) / 2 slopes)."""
    slopes = [
        (yb - ya) / (xb - xa)
        for (xa, ya), (xb, yb) in combinations(zip(xs, ys, strict=True), 2)
        if xb != xa
    ]
    slope = statistics.median(slopes) if slopes else 0.0
    intercept = statistics.median(y - slope * x for x, y in zip(xs, ys, strict=True))
    return slope, intercept


def forecast(
    points: list[Point],
    target: float,
    deadline: dt.date,
    frequency: str,
    sign: float,
    as_of: dt.date | None = None,
) -> Forecast | None:
    """The Theil-Sen trend of the latest periods, projected to the deadline's period."""
    recent = points[-FORECAST_PERIODS:]
    if len(recent) < MIN_FORECAST_PERIODS:
        return None
    as_of = as_of or recent[-1].end
    origin = recent[0].start
    xs = [float(periods_between(origin, p.start, frequency)) for p in recent]
    slope, intercept = theil_sen(xs, [p.value for p in recent])
    x_deadline = periods_between(origin, deadline, frequency)
    value = intercept + slope * x_deadline if x_deadline >= xs[-1] else None
    date_reached = None
    if sign * slope > 0:
        x_target = (target - intercept) / slope
        index = max(math.ceil(x_target - 1e-9), int(xs[-1]) + 1)
        start = _shift(origin, index, frequency)
        if start is not None and start.year - as_of.year <= MAX_FORECAST_YEARS:
            date_reached = period_end(start, frequency)
    return Forecast("theil-sen", len(recent), slope, value, date_reached)


def required_pace(
    current: float | None,
    target: float,
    sign: float,
    last: Point | None,
    deadline: dt.date,
    frequency: str,
    as_of: dt.date,
) -> float | None:
    """The change per period now needed to reach the target by the deadline (0 once reached;
    none when the deadline has passed or falls in the current period)."""
    if current is None or last is None:
        return None
    if reached(current, target, sign):
        return 0.0
    if deadline < as_of:
        return None
    # From now: the later of the latest value's period and the report date's period.
    remaining = periods_between(max(last.start, as_of), deadline, frequency)
    if remaining < 1:
        return None
    return (target - current) / remaining


def benchmark_gap(current: float | None, benchmark: float, sign: float) -> float | None:
    """(current - benchmark) / |benchmark|, signed so that positive means better."""
    if current is None or benchmark == 0:
        return None
    return sign * (current - benchmark) / abs(benchmark)


def _shift(start: dt.date, periods: int, frequency: str) -> dt.date | None:
    """The start of the period ``periods`` after the one starting on ``start``; None past the
    calendar's end (a trend so slow it never gets there)."""
    try:
        if frequency == "daily":
            return start + dt.timedelta(days=periods)
        if frequency == "weekly":
            return start + dt.timedelta(weeks=periods)
    except OverflowError:
        return None
    months = periods * {"monthly": 1, "quarterly": 3, "yearly": 12}[frequency]
    index = start.year * 12 + start.month - 1 + months
    if index // 12 > dt.MAXYEAR:
        return None
    return dt.date(index // 12, index % 12 + 1, 1)
