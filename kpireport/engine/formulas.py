"""The formulas of docs/metrics.md: progress, expected progress, status, the Theil-Sen forecast,
the required pace and the comparisons with earlier periods and benchmarks, as plain functions of
numbers and dates."""

from __future__ import annotations

import datetime as dt
import math
import re
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
# more periods than MAX_FORECAST_YEARS holds at the finest frequency (daily)
_MAX_FORECAST_STEPS = (MAX_FORECAST_YEARS + 1) * 366
# Words of a unit that make its values points on a scale (English, Danish, Swedish): a change of
# a score or an index is read in points, never as a percentage of the earlier score.
POINT_WORDS = frozenset(
    {
        *("score", "scores", "point", "points", "pt", "pts", "pointtal", "poäng"),
        *("nps", "index", "indexes", "indices", "indeks", "indekstal", "indextal"),
    }
)


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
    *,
    early: bool = False,
    stale: bool = False,
) -> str:
    """The first rule of docs/metrics.md, section 7, that holds: achieved, missed, no data, too
    early, on track (by pace, or by forecast unless below the at-risk line), off track without
    progress, at risk; else off track. A stale KPI is at best at risk until its deadline."""
    at_risk_line = prog is None or prog >= bar(expected, at_risk)
    if current is not None and reached(current, target, sign):
        status = "achieved"
    elif deadline < as_of:
        status = "missed"
    elif current is None:
        status = "no_data"
    elif early:
        status = "too_early"
    elif prog is not None and prog >= bar(expected, on_track):
        status = "on_track"
    elif (
        at_risk_line and fc is not None and fc.value is not None and reached(fc.value, target, sign)
    ):
        # a trend may lift an at-risk KPI, never one further behind than the at-risk line
        status = "on_track"
    elif prog is None:  # started at the target (baseline = target) and has moved away from it
        status = "off_track"
    else:
        status = "at_risk" if at_risk_line else "off_track"
    if stale and deadline >= as_of and status in ("achieved", "on_track"):
        # the latest value is too old to vouch for where the KPI is now
        return "at_risk"
    return status


def bar(expected: float, share: float) -> float:
    """The least progress that counts at a threshold ``share`` (on_track, at_risk) of the
    expected progress: ``expected x share``, measured from the expected progress outwards when
    that is negative (a plan below the baseline, a quiet month), so that exactly on plan is always
    on track: -0.5 expected gives -0.525 at 0.95, not -0.475."""
    return expected * share if expected >= 0 else expected * (2 - share)


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
    """The Theil-Sen slope of the latest periods, projected from the current value (the latest
    period's) to the deadline's period; the target is reached no earlier than the report date's
    period, and after the current one."""
    recent = points[-FORECAST_PERIODS:]
    if len(recent) < MIN_FORECAST_PERIODS:
        return None
    last = recent[-1]
    as_of = as_of or last.end
    origin = recent[0].start
    xs = [float(periods_between(origin, p.start, frequency)) for p in recent]
    slope, _intercept = theil_sen(xs, [p.value for p in recent])
    # From where the KPI is now: a fall in the latest period, which the median treats as an
    # outlier, still moves the projection down with it.
    ahead = periods_between(last.start, deadline, frequency)
    value = last.value + slope * ahead if ahead >= 0 else None
    date_reached = None
    needed = (target - last.value) / slope if sign * slope > 0 else math.inf
    # A slope too small to matter (1e-323 a period towards 1e15) needs more periods than a
    # float holds, or than fit in the years a forecast looks ahead: no date, not a crash.
    if needed <= _MAX_FORECAST_STEPS:
        steps = max(
            math.ceil(needed - 1e-9),
            1,
            periods_between(last.start, as_of, frequency),
        )
        start = _shift(last.start, steps, frequency)
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


def comparison_scale(unit_kind: str, unit: str) -> str:
    """How a KPI's values compare with an earlier period's or a benchmark: in
    ``percentage_points`` for a percent KPI, in ``points`` for a score or an index (a unit
    such as score, point, NPS, index, indeks), else ``relative`` (a difference in the unit, and
    a relative change too)."""
    if unit_kind == "percent":
        return "percentage_points"
    words = re.findall(r"[^\W\d_]+", unit.casefold())  # runs of letters: "NPS-point" is two
    if unit_kind == "score" or not POINT_WORDS.isdisjoint(words):
        return "points"
    return "relative"


def difference(current: float, other: float, sign: float) -> float:
    """current - other, on the scale of the values, signed so that positive means better."""
    return sign * (current - other)


def relative_difference(current: float, other: float, sign: float) -> float | None:
    """(current - other) / |other|, signed so that positive means better; none from 0."""
    if other == 0:
        return None
    return sign * (current - other) / abs(other)


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
