"""What a KPI chart writes around its plot, sized to be read on paper: how wide a label is, the
time axis (a month label at least every quarter where they fit, the year below), and the labels
beside the plot's right edge, kept apart."""

from __future__ import annotations

import datetime as dt
import functools
import math
from html import escape

from babel.dates import get_month_names

from kpireport.i18n import Locale

# The charts' text size in the view box's units. The card draws the 400-unit view box about
# 268 pt wide on A4 or Letter, so this is 7.5 pt there: at least 7 pt while the chart is drawn
# 250 pt (88.2 mm) wide or more (tests/presentation/test_text_size.py checks every PDF).
FONT_SIZE = 11.2
# Baseline to baseline of two rows of labels, and where a label's ink lies about its baseline.
ROW = 14.0
ASCENT, DESCENT = 0.8 * FONT_SIZE, 0.25 * FONT_SIZE
# Text is styled by attributes, not by the page's CSS: WeasyPrint draws inline SVG on its own.
FONT = f'font-family="Inter, DejaVu Sans, sans-serif" font-size="{FONT_SIZE}"'
MUTED_TEXT = "#5f6b7a"
# The least room between two labels of a row: a thin space (the widths are upper bounds, so the
# room seen is more).
SPACE = 0.2 * FONT_SIZE

# Widths in ems, at least those of Inter and of DejaVu Sans (the fallback font), regular and bold
# (for the lines' labels, semibold): the layout reserves room for either font.
_CLASSES = (
    (set("ijlI.,:;'|!"), 0.34, 0.40),
    (set("frt()/- \u00a0\u202f"), 0.47, 0.50),
    (set("mwMW%æÆ"), 1.00, 1.10),
    (set("+−"), 0.84, 0.85),
)


@functools.lru_cache(maxsize=4096)  # the same ticks, months and years on every chart
def text_width(text: str, bold: bool = False) -> float:
    """An upper bound of the width of ``text`` at :data:`FONT_SIZE`, in the view box's units."""
    ems = 0.0
    for char in text:
        for chars, regular, heavy in _CLASSES:
            if char in chars:
                ems += heavy if bold else regular
                break
        else:
            upper = char.isupper()
            ems += (0.86 if upper else 0.73) if bold else (0.80 if upper else 0.64)
    return ems * FONT_SIZE


def label(x: float, y: float, text: str, role: str, anchor: str = "start", fill: str = "") -> str:
    """A ``<text>`` of class ``c-<role>`` (the tests find the axis's parts by it)."""
    colour = fill or MUTED_TEXT
    weight = ' font-weight="600"' if role == "line" else ""
    return (
        f'<text class="c-{role}" x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" {FONT}{weight} '
        f'fill="{colour}">{escape(text)}</text>'
    )


# Months between two labels of the time axis, the fewest that fit; from 12 on, years.
_STEPS = (1, 2, 3, 6, 12, 24, 60, 120, 240, 600, 1200)


def _labelled(month: int, step: int) -> bool:
    """Whether the month counted from year 0 (12 * year + month - 1) ends at a label of the
    time axis in steps of ``step`` months."""
    if step < 12:
        return (month % 12 + 1) % step == 0
    return month % 12 == 11 and (month // 12) % (step // 12) == 0


def _month_end(year: int, month: int) -> dt.date:
    first = dt.date(year + month // 12, month % 12 + 1, 1)
    return first - dt.timedelta(days=1)


def time_axis(
    start: dt.date, end: dt.date, x_of: tuple[float, float], y: float, locale: Locale
) -> list[str]:
    """The time axis under the plot: the ends of the months of a step of :data:`_STEPS` (March,
    June, September, December for quarters), each labelled with its month where the labels
    stand apart, and a row below with the year under its first label; for steps of a year and
    more, the years alone. ``x_of``: the x of ``start`` and of ``end``; ``y``: the foot of the
    plot."""
    left, right = x_of
    days = max((end - start).days, 1)

    def x(day: dt.date) -> float:
        return left + (right - left) * (day - start).days / days

    names = get_month_names("abbreviated", locale=locale.babel)
    first = start.year * 12 + start.month - 1
    months = range(first, end.year * 12 + end.month)
    for step in _STEPS:
        ends = [_month_end(m // 12, m % 12 + 1) for m in months if _labelled(m, step)]
        ticks = [day for day in ends if start <= day <= end] or [end]
        if step >= 12:
            texts = [str(day.year) for day in ticks]
        else:
            # three letters, as Danish writes them ("sep", not the English "Sept")
            texts = [names[day.month].rstrip(".")[:3] for day in ticks]
        xs = [x(day) for day in ticks]
        widths = [text_width(t) for t in texts]
        apart = all(
            b - a >= (wa + wb) / 2 + SPACE
            for a, b, wa, wb in zip(xs, xs[1:], widths, widths[1:], strict=False)
        )
        if apart or step == _STEPS[-1]:
            break
    out = ['<path class="c-ticks" d="' + "".join(f"M{t:.1f} {y:.1f}v3" for t in xs)]
    out[0] += f'" stroke="{MUTED_TEXT}" stroke-width="0.8"/>'
    out += [
        label(t, y + 4 + ROW, text, "time", "middle") for t, text in zip(xs, texts, strict=True)
    ]
    if step < 12:
        out += _years(ticks, xs, y + 4 + 2 * ROW)
    return out


def _years(ticks: list[dt.date], xs: list[float], y: float) -> list[str]:
    """The year under the first label of each year; where two would touch (a year with one
    label, December, beside the next year's first), the later one only."""
    placed: list[tuple[float, str]] = []
    for day, x in zip(ticks, xs, strict=True):
        year = str(day.year)
        if placed and placed[-1][1] == year:
            continue
        if placed and x - placed[-1][0] < text_width(year) + SPACE:
            placed.pop()
        placed.append((x, year))
    return [label(x, y, year, "year", "middle") for x, year in placed]


# (y, text, colour) of a label beside the plot's right edge
Label = tuple[float, str, str]


def right_labels(items: list[Label], x: float, top: float, bottom: float) -> list[str]:
    """Labels beside the plot's right edge, each level with its line where it can be and nudged
    apart so they never overlap, their baselines between ``top`` and ``bottom``; lines ending at
    one height keep the order they are given in (not their words', which differs by language)."""
    items = sorted(items, key=lambda item: item[0])
    placed: list[float] = []
    for y, _text, _color in items:
        # the text's middle on the line: its baseline a third of the size below it
        y = max(y + FONT_SIZE / 3, top, (placed[-1] + ROW) if placed else -math.inf)
        placed.append(y)
    # Then up from the foot, moving a label only as far as the one below it needs: a label far
    # above the overflowing ones stays where its line is.
    below = bottom + ROW
    for n in reversed(range(len(placed))):
        placed[n] = below = min(placed[n], below - ROW)
    return [
        label(x, y, text, "line", fill=color)
        for (_y, text, color), y in zip(items, placed, strict=True)
    ]
