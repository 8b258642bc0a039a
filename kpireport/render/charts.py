"""KPI charts as small hand-built SVG: a few lines and labels, so WeasyPrint lays out hundreds of
them quickly, and every line differs by its dash pattern as well as its colour (readable when
printed in greyscale)."""

from __future__ import annotations

import math
from html import escape

from kpireport import fmt
from kpireport.engine import KpiResult, unit_of
from kpireport.i18n import Locale
from kpireport.render.axes import (
    ASCENT,
    DESCENT,
    FONT_SIZE,
    ROW,
    Label,
    label,
    right_labels,
    text_width,
    time_axis,
)
from kpireport.render.guides import INK, MUTED, Scale, guide_values, keep_limit, reach_path

WIDTH, HEIGHT = 400, 200
# The plot's margins: above it a row for the value axis's unit and the deadline, below it the
# time axis's two rows; left and right as wide as the tick labels and the lines' labels.
TOP, BOTTOM = ROW + 6, 4 + 2 * ROW + DESCENT + 2
GAP = 5  # between a label and what it labels

GRID = "#d9dee3"


def axis_value(value: float, result: KpiResult, locale: Locale, digits: int) -> str:
    """A short tick label, exact to ``digits`` decimals of ``value``: 4.5M / 4,5 mio. for large
    numbers, 86 for 86 % (the axis says its unit once, above its ticks)."""
    if result.unit_kind == "percent":
        return fmt.number(value * 100, locale, max(digits - 2, 0))
    if abs(value) >= 10_000:
        return fmt.compact(value, locale, digits)
    return fmt.number(value, locale, digits)


def _decimals(ticks: list[float]) -> int:
    """The fewest decimals that write every tick exactly: their step's (2 for 4.1, 4.15, 4.2),
    so that no two ticks share a label."""
    digits = 0
    # Ends: _nice_ticks rounds its ticks to decimals; and at most _MAX_DECIMALS, so that the
    # ticks of the tiniest numbers a workbook may hold (1e-300) are not labels 300 digits long.
    while digits < _MAX_DECIMALS and any(round(tick, digits) != tick for tick in ticks):
        digits += 1
    return digits


_MAX_DECIMALS = 10


def _nice_ticks(low: float, high: float, count: int = 4) -> list[float]:
    """About ``count`` evenly spaced round values from ``low`` to ``high``: never more than
    ``count + 1``, whatever the numbers (none when their span is beyond a float)."""
    span = high - low or abs(high) or 1.0
    if not math.isfinite(span):
        return []
    # A step of less than a few units in the last place of the values adds nothing to them
    # (1e16 + 0.5 == 1e16): span at least that much, so that every step moves a tick; and
    # more than the tiniest floats, whose powers of ten are 0.
    span = max(span, 16 * math.ulp(max(abs(low), abs(high))), 1e-300)
    step = 10.0 ** math.floor(math.log10(span / count))
    for factor in (1, 2, 2.5, 5, 10):
        if math.isfinite(step * factor) and span / (step * factor) <= count:
            step *= factor
            break
    first = math.ceil(low / step)
    # At least two ticks, so that an axis says what its scale is: a span raised to the floors
    # above (values of 1e-300) can hold a single multiple of the step.
    last = max(math.floor(high / step + 1e-9), first + 1)
    # Counted, not stepped until past ``high``: the number of ticks is bounded by ``count``
    # (span / step <= count), never by the values. Rounded to a thousandth of a step: 0.825,
    # not 0.8250000000000001.
    digits = 3 - math.floor(math.log10(step))
    ticks = [round((first + i) * step, digits) for i in range(min(last - first + 1, count + 1))]
    return [t for t in ticks if math.isfinite(t)]  # the one added beyond a float's range


def kpi_chart(
    result: KpiResult, locale: Locale, color: str, accent: str, alt: str | None = None
) -> str:
    """The KPI's chart: measured values, target, the plan or else the expected path (a straight
    line from the baseline to the target), benchmark, forecast; for a keep KPI its limit and the
    band it allows, in place of the target and the path. ``alt``: what it shows in words
    (render/alt.py), its accessible name and, as its first ``<title>``, a tagged PDF's /Alt;
    by default the KPI's name."""
    points = result.series
    if not points:
        return ""
    start = min(points[0].end, result.baseline_date or points[0].end)
    end = max(result.deadline, points[-1].end)
    values = [p.value for p in points] + [result.target] + guide_values(result)
    benchmark = result.benchmarks[0] if result.benchmarks else None
    if benchmark is not None:
        values.append(benchmark.value)
    forecast = (
        result.forecast.value if result.forecast and result.forecast.value is not None else None
    )
    if forecast is not None:
        values.append(forecast)
    low, high = min(values), max(values)
    pad = (high - low) * 0.08 or abs(high) * 0.1 or 1.0
    low, high = low - pad, high + pad
    if result.unit_kind != "percent" and min(values) >= 0 > low:
        low = 0.0
    ticks = _nice_ticks(low, high)
    if not ticks or not math.isfinite(max(high, ticks[-1]) - min(low, ticks[0])):
        return ""  # numbers beyond what a float can span (about 1e308): no chart can show them
    low, high = min(low, ticks[0]), max(high, ticks[-1])

    digits = _decimals(ticks)
    tick_texts = [axis_value(tick, result, locale, digits) for tick in ticks]
    words = _line_words(result, locale, benchmark is not None, forecast is not None)
    left = max(text_width(t) for t in tick_texts) + GAP + 2
    right = max(text_width(w, bold=True) for w in words.values()) + GAP + 2
    plot_w, plot_h = WIDTH - left - right, HEIGHT - TOP - BOTTOM
    scale = Scale(left, TOP, plot_w, plot_h, start, max((end - start).days, 1), low, high)
    x, y = scale.x, scale.y

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-label="{escape(alt or result.name)}">'
        f"<title>{escape(alt or result.name)}</title>"
    ]
    keep = keep_limit(result, scale, locale) if result.goal == "keep" else None
    if keep is not None:
        out.append(keep[0])  # the band, under the grid and every line
    for tick, text in zip(ticks, tick_texts, strict=True):
        out.append(
            f'<line x1="{left:.1f}" x2="{left + plot_w:.1f}" y1="{y(tick):.1f}" '
            f'y2="{y(tick):.1f}" stroke="{GRID}" stroke-width="0.8"/>'
        )
        out.append(label(left - GAP, y(tick) + FONT_SIZE / 3, text, "tick", "end"))
    out.extend(_captions(result, locale, scale))
    lines: list[Label] = []
    if keep is not None:
        # a limit held, not a target travelled to: no path from the baseline
        out.append(keep[1])
        lines.extend(keep[2])
    else:
        path, labels = reach_path(result, scale, locale)
        out.extend(path)
        lines.extend(labels)
        out.append(
            f'<line x1="{left:.1f}" x2="{left + plot_w:.1f}" y1="{y(result.target):.1f}" '
            f'y2="{y(result.target):.1f}" stroke="{INK}" stroke-width="1.3" '
            f'stroke-dasharray="7 4"/>'
        )
        lines.append((y(result.target), words["target"], INK))
    if benchmark is not None:
        out.append(
            f'<line x1="{left:.1f}" x2="{left + plot_w:.1f}" y1="{y(benchmark.value):.1f}" '
            f'y2="{y(benchmark.value):.1f}" stroke="{MUTED}" stroke-width="1.2" '
            f'stroke-dasharray="9 3 2 3"/>'
        )
        lines.append((y(benchmark.value), words["benchmark"], MUTED))
    # forecast: from the latest value to the deadline
    last = points[-1]
    if forecast is not None:
        out.append(
            f'<line x1="{x(last.end):.1f}" y1="{y(last.value):.1f}" x2="{x(result.deadline):.1f}" '
            f'y2="{y(forecast):.1f}" stroke="{accent}" stroke-width="2" stroke-dasharray="5 4"/>'
        )
        lines.append((y(forecast), words["forecast"], accent))
    # measured values
    coords = " ".join(f"{x(p.end):.1f},{y(p.value):.1f}" for p in points)
    out.append(
        f'<polyline points="{coords}" fill="none" stroke="{color}" stroke-width="2.2" '
        f'stroke-linejoin="round"/>'
    )
    radius = 2.4 if len(points) <= 40 else 0
    if radius:
        # each point tells its period and value on hover (issue 16, point 8: no script needed)
        unit = unit_of(result)
        out.extend(
            f'<circle cx="{x(p.end):.1f}" cy="{y(p.value):.1f}" r="{radius}" fill="{color}" '
            'tabindex="0">'
            f"<title>{escape(p.period)}: {escape(fmt.value(p.value, unit, locale))}</title>"
            "</circle>"
            for p in points
        )
    lines.append((y(last.value), words["actual"], color))
    out.extend(right_labels(lines, left + plot_w + GAP, TOP + ASCENT, TOP + plot_h))
    out.extend(time_axis(start, end, (x(start), x(end)), TOP + plot_h, locale))
    out.append("</svg>")
    return "".join(out)


def _line_words(
    result: KpiResult, locale: Locale, benchmark: bool, forecast: bool
) -> dict[str, str]:
    """The labels the chart's lines will have, by line, which the right margin is made wide
    enough for: words that differ at a glance in every language ("faktisk" beside "mål", never
    "målt")."""
    words = {"actual": locale.pgettext("chart", "actual")}
    if result.goal == "keep":
        words["limit"] = locale.pgettext("chart", "limit")
        words["allowed"] = locale.pgettext("chart", "allowed")
    else:
        words["target"] = locale.pgettext("chart", "target")
        if result.plan is not None:
            words["plan"] = locale.pgettext("chart", "plan")
    if benchmark:
        words["benchmark"] = locale.pgettext("chart", "benchmark")
    if forecast:
        words["forecast"] = locale.pgettext("chart", "forecast")
    return words


def _captions(result: KpiResult, locale: Locale, scale: Scale) -> list[str]:
    """The row above the plot: the value axis's unit at its left (none for a bare count or
    score), the deadline at its right, ending at the deadline's dashed line, drawn here."""
    x = scale.x(result.deadline)
    foot = scale.top + scale.height
    out = [
        f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{scale.top}" y2="{foot:.1f}" stroke="{MUTED}" '
        f'stroke-width="0.8" stroke-dasharray="2 3"/>'
    ]
    unit = fmt.unit_word(unit_of(result), locale)
    baseline = ROW - 2
    taken = 0.0
    if unit:
        out.append(label(2, baseline, unit, "unit"))
        taken = 2 + text_width(unit) + 2 * GAP
    deadline = f"{locale.gettext('Deadline')} {fmt.date(result.deadline, locale)}"
    width = text_width(deadline)
    # ending at the deadline's line, or moved right of the unit where it would touch it
    end = max(x, taken + width)
    if end <= WIDTH - 2:
        out.append(label(end, baseline, deadline, "deadline", "end"))
    return out


def status_icon(status: str) -> str:
    """A small SVG icon per status, so a status is never told by colour alone."""
    shapes = {
        "achieved": '<circle cx="8" cy="8" r="7"/><path d="M4.5 8.2l2.3 2.3 4.7-4.9" '
        'fill="none" stroke="#fff" stroke-width="1.8" stroke-linecap="round"/>',
        "on_track": '<circle cx="8" cy="8" r="7"/><path d="M5 10.5l5.5-5.5M6.2 5h4.3v4.3" '
        'fill="none" stroke="#fff" stroke-width="1.7" stroke-linecap="round"/>',
        "at_risk": '<path d="M8 1.2l7 13H1z"/><path d="M8 5.6v4" stroke="#fff" '
        'stroke-width="1.8" stroke-linecap="round"/><circle cx="8" cy="12" r="1" fill="#fff"/>',
        "off_track": '<rect x="1.5" y="1.5" width="13" height="13" rx="2.5"/><path d="M8 4.3v6.4'
        'M5.2 8l2.8 2.8 2.8-2.8" fill="none" stroke="#fff" stroke-width="1.7" '
        'stroke-linecap="round"/>',
        "missed": '<circle cx="8" cy="8" r="7"/><path d="M5.3 5.3l5.4 5.4M10.7 5.3l-5.4 5.4" '
        'stroke="#fff" stroke-width="1.8" stroke-linecap="round"/>',
        "too_early": '<path d="M3.5 1.5h9M3.5 14.5h9M4.6 1.5c0 3.8 3.4 4.4 3.4 6.5s-3.4 2.7-3.4 '
        '6.5M11.4 1.5c0 3.8-3.4 4.4-3.4 6.5s3.4 2.7 3.4 6.5" fill="none" stroke="currentColor" '
        'stroke-width="1.5" stroke-linecap="round"/><path d="M5.6 13.6h4.8L8 10.8z"/>',
        "no_data": '<circle cx="8" cy="8" r="6.2" fill="none" stroke="currentColor" '
        'stroke-width="1.6" stroke-dasharray="2.4 1.8"/>',
    }
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" class="icon" viewBox="0 0 16 16" '
        f'aria-hidden="true" fill="currentColor">{shapes[status]}</svg>'
    )
