"""A KPI chart's scale, and the guides its values are read against besides the target and the
benchmark: the straight expected path, the plan (the Plan sheet), and a keep KPI's limit with the
band of values it allows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from kpireport.engine import KpiResult
from kpireport.i18n import Locale
from kpireport.render.axes import Label

INK = "#1f2933"
MUTED = "#6b7785"
PLAN = "#3e4c59"
# The on-track green of the reports' stylesheet, faint: the grid (#d9dee3) and the measured line
# read through it, on screen and printed in greyscale.
BAND, BAND_OPACITY = "#267340", 0.1


@dataclass(frozen=True)
class Scale:
    """Where a day and a value are drawn: the plot's box, its first day and its length in days,
    and the values at its foot and its top."""

    left: float
    top: float
    width: float
    height: float
    start: dt.date
    days: int
    low: float
    high: float

    def x(self, day: dt.date) -> float:
        """The x of the start of ``day``."""
        return self.left + self.width * (day - self.start).days / self.days

    def y(self, value: float) -> float:
        """The y of ``value``."""
        return self.top + self.height * (1 - (value - self.low) / (self.high - self.low))


def guide_values(result: KpiResult) -> list[float]:
    """The values the guides draw, which the value axis must hold (a Black Friday month planned
    above the target among them)."""
    if result.plan is not None:
        return [p.value for p in result.plan.line]
    if result.goal == "reach" and result.baseline is not None:
        return [result.baseline]
    return []


def reach_path(result: KpiResult, scale: Scale, locale: Locale) -> tuple[list[str], list[Label]]:
    """The path a reach KPI is expected to travel: its plan, in its own dash pattern and labelled
    "plan", else the straight line from the baseline to the target at the deadline (unlabelled:
    it ends on the target's line, and the target's label names it)."""
    if result.plan is not None:
        line = result.plan.line
        coords = " ".join(f"{scale.x(p.date):.1f},{scale.y(p.value):.1f}" for p in line)
        svg = (
            f'<polyline class="plan-line" points="{coords}" fill="none" stroke="{PLAN}" '
            f'stroke-width="1.6" stroke-dasharray="3 2" stroke-linejoin="round"/>'
        )
        return [svg], [(scale.y(line[-1].value), locale.pgettext("chart", "plan"), PLAN)]
    if result.baseline is None or result.baseline_date is None:
        return [], []
    svg = (
        f'<line x1="{scale.x(result.baseline_date):.1f}" y1="{scale.y(result.baseline):.1f}" '
        f'x2="{scale.x(result.deadline):.1f}" y2="{scale.y(result.target):.1f}" '
        f'stroke="{MUTED}" stroke-width="1.2" stroke-dasharray="1 3" stroke-linecap="round"/>'
    )
    return [svg], []


def keep_limit(result: KpiResult, scale: Scale, locale: Locale) -> tuple[str, str, list[Label]]:
    """A keep KPI's limit from the baseline date to the deadline, as a line (in the target's
    pattern) that steps to a planned period's limit over its days, and as a band from it to the
    plot's top ("higher": at or above is within) or foot ("lower"), drawn under everything else;
    and their labels beside their ends: "limit" at the line's, "allowed" halfway across the
    band's."""
    first = result.baseline_date or scale.start
    runs = _limit_runs(result, first, max(result.deadline, first))
    points = [(scale.x(day), scale.y(limit)) for start, end, limit in runs for day in (start, end)]
    coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    edge = scale.top if result.direction == "higher" else scale.top + scale.height
    corners = f"{points[-1][0]:.1f},{edge:.1f} {points[0][0]:.1f},{edge:.1f}"
    band = (
        f'<polygon class="limit-band" points="{coords} {corners}" fill="{BAND}" '
        f'fill-opacity="{BAND_OPACITY}" stroke="none"/>'
    )
    line = (
        f'<polyline class="limit-line" points="{coords}" fill="none" stroke="{INK}" '
        f'stroke-width="1.3" stroke-dasharray="7 4"/>'
    )
    labels = [
        (points[-1][1], locale.pgettext("chart", "limit"), INK),
        ((points[-1][1] + edge) / 2, locale.pgettext("chart", "allowed"), BAND),
    ]
    return band, line, labels


def _limit_runs(
    result: KpiResult, first: dt.date, last: dt.date
) -> list[tuple[dt.date, dt.date, float]]:
    """The limit from the start of ``first`` to the start of ``last`` as runs (from, to, limit):
    each planned period's limit from its first day to the day after its last (the plan's line
    holds each planned period's first and last day), the target between them."""
    line = result.plan.line if result.plan is not None else []
    runs: list[tuple[dt.date, dt.date, float]] = []
    day = first
    for start, end in zip(line[::2], line[1::2], strict=True):
        since, until = max(start.date, day), min(end.date + dt.timedelta(days=1), last)
        if until <= since:
            continue  # outside the time the limit is held
        if since > day:
            runs.append((day, since, result.target))
        runs.append((since, until, start.value))
        day = until
    if day < last or not runs:
        runs.append((day, last, result.target))
    return runs
