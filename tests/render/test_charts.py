"""The KPI charts: hand-built SVG that must be well-formed XML whatever the series and the text,
carry every label the reader needs (in their language), keep inside its view box, and tell its
lines apart without colour; and the y axis's ticks (_nice_ticks), few and in bounded time
whatever the numbers."""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import math
import re
import signal
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from kpireport import fmt
from kpireport.engine import KpiResult
from kpireport.engine.results import STATUSES, BenchmarkGap, Forecast, Point
from kpireport.i18n import get_locale
from kpireport.render.axes import ASCENT, FONT_SIZE, ROW
from kpireport.render.axes import right_labels as place_right_labels
from kpireport.render.charts import (
    BOTTOM,
    HEIGHT,
    TOP,
    WIDTH,
    _decimals,
    _nice_ticks,
    axis_value,
    kpi_chart,
    status_icon,
)

SVG = "{http://www.w3.org/2000/svg}"
EN, DA, SV = get_locale("en"), get_locale("da"), get_locale("sv")
DEADLINE = dt.date(2026, 12, 31)
NICE = (1.0, 2.0, 2.5, 5.0)


def point(n: int, value: float, period: str | None = None) -> Point:
    """The ``n``-th month of 2026 (0-based, running on into 2027 and beyond)."""
    year, month = divmod(n, 12)
    start = dt.date(2026 + year, month + 1, 1)
    end = (start + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    return Point(period or start.strftime("%b %Y"), start, end, value, 1)


def result(values: list[float], **overrides: Any) -> KpiResult:
    """A KPI result with a monthly series of ``values`` from January 2026."""
    series = [point(n, v) for n, v in enumerate(values)]
    fields: dict[str, Any] = {
        "id": "SALES-01",
        "name": "New customers per month",
        "department": "Sales",
        "description": None,
        "objective": None,
        "owner": None,
        "data_source": None,
        "unit": "count",
        "unit_kind": "number",
        "currency": None,
        "direction": "higher",
        "frequency": "monthly",
        "aggregation": "sum",
        "weight": 1.0,
        "target": 60.0,
        "deadline": DEADLINE,
        "baseline": None,
        "baseline_date": None,
        "current": values[-1] if values else None,
        "current_period": series[-1].period if series else None,
        "current_period_end": series[-1].end if series else None,
        "progress": None,
        "expected_progress": 0.5,
        "status": "on_track",
        "shortfall": None,
        "forecast": None,
        "required_pace": None,
        "recent_pace": None,
        "previous_period_change": None,
        "yoy_change": None,
        "benchmarks": [],
        "stale": False,
        "warnings": [],
        "series": series,
    }
    fields.update(overrides)
    return KpiResult(**fields)


def full(values: list[float], **overrides: Any) -> KpiResult:
    """With a baseline (the straight expected path), a benchmark and a forecast."""
    return result(
        values,
        baseline=40.0,
        baseline_date=dt.date(2026, 1, 1),
        benchmarks=[BenchmarkGap("Industry", "industry", 50.0, None, None)],
        forecast=Forecast("theil-sen", len(values), 2.0, 58.0, None),
        **overrides,
    )


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)  # well-formed XML, or this raises
    assert root.tag == f"{SVG}svg"
    assert root.get("viewBox") == f"0 0 {WIDTH} {HEIGHT}"
    return root


def texts(root: ET.Element) -> list[ET.Element]:
    return list(root.iter(f"{SVG}text"))


def role(root: ET.Element, name: str) -> list[ET.Element]:
    """The texts of one part of the chart: tick, unit, deadline, line, time, year."""
    return [t for t in texts(root) if t.get("class") == f"c-{name}"]


def tick_labels(root: ET.Element) -> list[str]:
    """The y axis's labels, top to bottom."""
    ticks = role(root, "tick")
    return [t.text or "" for t in sorted(ticks, key=lambda t: float(t.get("y", "0")))]


def right_labels(root: ET.Element) -> list[str]:
    return [t.text or "" for t in role(root, "line")]


def coordinates(root: ET.Element) -> list[tuple[str, float]]:
    """Every x or y coordinate drawn, with the attribute it came from."""
    out: list[tuple[str, float]] = []
    for elem in root.iter():
        for name in ("x", "x1", "x2", "cx", "y", "y1", "y2", "cy"):
            if elem.get(name) is not None:
                out.append((name, float(elem.get(name, ""))))
        if elem.get("points"):
            for pair in elem.get("points", "").split():
                x, y = pair.split(",")
                out += [("x", float(x)), ("y", float(y))]
    return out


# -- well-formed, whatever the series ---------------------------------------------------------


@pytest.mark.parametrize("count", [1, 2, 12, 41, 120])
def test_series_of_any_length_make_well_formed_svg(count: int) -> None:
    values = [40.0 + (n % 7) for n in range(count)]
    root = parse(kpi_chart(full(values), EN, "#1F4E79", "#C00000"))
    line = root.find(f"{SVG}polyline")
    assert line is not None
    xs = [float(pair.split(",")[0]) for pair in line.get("points", "").split()]
    assert len(xs) == count
    assert xs == sorted(xs)  # in time order, left to right
    circles = root.findall(f"{SVG}circle")
    assert len(circles) == (count if count <= 40 else 0)  # dots only while they stay apart


def test_no_series_no_chart() -> None:
    assert kpi_chart(result([]), EN, "#000", "#f00") == ""


def test_the_series_is_drawn_in_its_colour_and_the_forecast_in_the_accent() -> None:
    root = parse(kpi_chart(full([41, 43, 47]), EN, "#1F4E79", "#C00000"))
    line = root.find(f"{SVG}polyline")
    assert line is not None and line.get("stroke") == "#1F4E79"
    assert {c.get("fill") for c in root.findall(f"{SVG}circle")} == {"#1F4E79"}
    forecast = [ln for ln in root.findall(f"{SVG}line") if ln.get("stroke") == "#C00000"]
    assert len(forecast) == 1


def test_lines_differ_by_their_dash_pattern() -> None:
    """Printed in greyscale, each line is still told apart: no two share a dash pattern, and
    the measured series is the only solid one."""
    root = parse(kpi_chart(full([41, 43, 47]), EN, "#1F4E79", "#C00000"))
    lines = [ln for ln in root.findall(f"{SVG}line") if ln.get("stroke") != "#d9dee3"]  # not grid
    dashes = [ln.get("stroke-dasharray") for ln in lines]
    assert len(lines) == 5  # deadline, expected path, target, benchmark, forecast
    assert None not in dashes
    assert len(set(dashes)) == len(dashes)
    line = root.find(f"{SVG}polyline")
    assert line is not None and line.get("stroke-dasharray") is None


@given(
    values=st.lists(st.floats(-1e7, 1e7, allow_nan=False), min_size=1, max_size=30),
    target=st.floats(-1e7, 1e7, allow_nan=False),
    extra=st.tuples(st.booleans(), st.booleans(), st.booleans()),
    percent=st.booleans(),
)
def test_everything_drawn_stays_in_the_view_box(
    values: list[float], target: float, extra: tuple[bool, bool, bool], percent: bool
) -> None:
    baseline, benchmark, forecast = extra
    chart = result(
        values,
        target=target,
        unit_kind="percent" if percent else "number",
        baseline=values[0] if baseline else None,
        baseline_date=dt.date(2025, 12, 1) if baseline else None,
        benchmarks=[BenchmarkGap("B", None, target / 2, None, None)] if benchmark else [],
        forecast=Forecast("theil-sen", 3, 1.0, values[-1] * 1.5, None) if forecast else None,
    )
    root = parse(kpi_chart(chart, EN, "#000", "#f00"))
    for name, value in coordinates(root):
        limit = WIDTH if name.startswith(("x", "cx")) else HEIGHT
        assert 0 <= value <= limit, (name, value)
    labels = tick_labels(root)
    assert len(labels) >= 2


# -- labels ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("locale", "words"),
    [
        (EN, ["target", "benchmark", "forecast", "actual"]),
        (DA, ["mål", "benchmark", "prognose", "faktisk"]),
        (SV, ["mål", "jämförelse", "prognos", "utfall"]),
    ],
    ids=["en", "da", "sv"],
)
def test_every_line_is_labelled_in_the_readers_language(locale: Any, words: list[str]) -> None:
    root = parse(kpi_chart(full([41, 43, 47]), locale, "#000", "#f00"))
    assert sorted(right_labels(root)) == sorted(words)
    (deadline,) = role(root, "deadline")
    assert deadline.text == f"{locale.gettext('Deadline')} {fmt.date(DEADLINE, locale)}"


def test_without_benchmark_and_forecast_only_target_and_measured() -> None:
    root = parse(kpi_chart(result([41, 43]), EN, "#000", "#f00"))
    assert sorted(right_labels(root)) == ["actual", "target"]


def test_right_labels_never_overlap_even_when_the_lines_meet() -> None:
    """Target, benchmark, forecast and the last value all at 50: four labels, apart."""
    chart = result(
        [50.0],
        target=50.0,
        benchmarks=[BenchmarkGap("B", None, 50.0, None, None)],
        forecast=Forecast("theil-sen", 1, 0.0, 50.0, None),
    )
    root = parse(kpi_chart(chart, EN, "#000", "#f00"))
    ys = sorted(float(t.get("y", "0")) for t in role(root, "line"))
    assert len(ys) == 4
    assert all(b - a >= ROW - 0.1 for a, b in itertools.pairwise(ys))


def test_the_time_axis_names_months_where_they_fit_and_years_beyond() -> None:
    """Issue 16 replaced the first period, the latest and the deadline by a time axis: each
    month's end where the labels stand apart, the year under its first; years alone on a chart
    of decades."""
    year = parse(kpi_chart(result([41, 43]), EN, "#000", "#f00"))  # January to December 2026
    months = [t.text for t in role(year, "time")]
    assert months == [
        "Jan",
        "Feb",
        "Mar",
        "Apr",
        "May",
        "Jun",
        "Jul",
        "Aug",
        "Sep",
        "Oct",
        "Nov",
        "Dec",
    ]
    assert [t.text for t in role(year, "year")] == ["2026"]
    single = parse(kpi_chart(result([41.0], deadline=dt.date(2026, 1, 31)), EN, "#000", "#f00"))
    assert [t.text for t in role(single, "time")] == ["Jan"]
    decades = parse(kpi_chart(result([41.0], deadline=dt.date(2056, 1, 31)), EN, "#000", "#f00"))
    years = [int(t.text or "") for t in role(decades, "time")]
    assert years[0] in (2026, 2030) and years[-1] >= 2050 and not role(decades, "year")


def test_workbook_text_is_escaped() -> None:
    """KPI names and periods come from the workbook: they are text in the SVG, never markup."""
    name = "Sales <script>alert(\"x\")</script> & 'more'"
    chart = result([1.0, 2.0], name=name)
    chart.series[0].period = "<b>Q1</b> & co"
    svg = kpi_chart(chart, EN, "#000", "#f00")
    assert "<script>" not in svg and "<b>" not in svg
    root = parse(svg)
    assert root.get("aria-label") == name
    assert "<b>Q1</b> & co: 1" in [t.text for t in root.iter(f"{SVG}title")]


# -- the y axis --------------------------------------------------------------------------------


def test_padding_never_takes_a_count_axis_below_zero() -> None:
    """Values near zero are padded down to 0, not to a negative number no count can have."""
    root = parse(kpi_chart(result([0.1, 2.0, 3.0], target=4.0), EN, "#000", "#f00"))
    labels = tick_labels(root)
    assert labels[-1] == "0"
    assert not any(label.startswith("-") for label in labels)
    zero = [t for t in role(root, "tick") if t.text == "0"]
    # 0 is the plot's foot (its label a third of its size below its line)
    assert float(zero[0].get("y", "")) == pytest.approx(HEIGHT - BOTTOM + FONT_SIZE / 3, abs=0.05)


def test_a_percent_axis() -> None:
    chart = result([0.80, 0.83, 0.85], unit="%", unit_kind="percent", target=0.9)
    # the unit once, above the ticks (issue 16: every value axis says its unit)
    for locale in (EN, DA):
        root = parse(kpi_chart(chart, locale, "#000", "#f00"))
        assert tick_labels(root) == ["90", "85", "80"]
        assert [t.text for t in role(root, "unit")] == ["%"]


def test_a_currency_axis_uses_short_numbers() -> None:
    chart = result(
        [2_150_000.0, 2_300_000.0, 2_450_000.0],
        unit="DKK",
        unit_kind="currency",
        currency="DKK",
        target=2_600_000.0,
    )
    assert tick_labels(parse(kpi_chart(chart, EN, "#000", "#f00"))) == ["2.6m", "2.4m", "2.2m"]
    assert tick_labels(parse(kpi_chart(chart, DA, "#000", "#f00"))) == [
        "2,6\xa0mio.",
        "2,4\xa0mio.",
        "2,2\xa0mio.",
    ]


def test_small_currency_amounts_are_plain_numbers() -> None:
    chart = result(
        [118.0, 121.0, 125.0], unit="DKK", unit_kind="currency", currency="DKK", target=110.0
    )
    labels = tick_labels(parse(kpi_chart(chart, DA, "#000", "#f00")))
    assert labels == ["125", "120", "115", "110"]


@pytest.mark.parametrize(
    ("values", "unit_kind", "target"),
    [
        ([0.9991, 0.9993, 0.9995], "percent", 0.999),  # uptime: 99.9%, 99.9%, 99.9%
        ([4.1, 4.15, 4.2], "number", 4.25),  # a rating out of 5: 4.1, 4.2, 4.2, 4.2
    ],
    ids=["uptime-percent", "rating"],
)
def test_tick_labels_are_distinct(values: list[float], unit_kind: str, target: float) -> None:
    chart = result(values, unit_kind=unit_kind, target=target)
    labels = tick_labels(parse(kpi_chart(chart, EN, "#000", "#f00")))
    assert len(set(labels)) == len(labels), labels


@given(st.floats(-1e9, 1e9, allow_nan=False), st.floats(1e-6, 2e9), st.booleans())
@example(0.99896, 0.00058, True)  # the uptime band above
@example(1_100_000.0, 150.0, False)  # short figures: 1.10015m, not 1.1m, 1.1m, 1.1m
@example(100.0, 10.0, False)  # 102.5, not 102
def test_tick_labels_say_their_ticks_values(low: float, span: float, percent: bool) -> None:
    """Whatever the band, every tick's label is its value, to the decimals of the ticks' step:
    no two labels alike."""
    ticks = _nice_ticks(low, low + span)
    chart = result([low], unit_kind="percent" if percent else "number")
    labels = [axis_value(tick, chart, EN, _decimals(ticks)) for tick in ticks]
    assert len(set(labels)) == len(labels), (ticks, labels)
    for tick, label in zip(ticks, labels, strict=True):
        if percent:
            assert math.isclose(float(label.rstrip("%").replace(",", "")), tick * 100), label
        elif abs(tick) < 10_000:
            assert float(label.replace(",", "")) == tick, label


# -- _nice_ticks ---------------------------------------------------------------------------------


def _is_nice(step: float) -> bool:
    exponent = math.floor(math.log10(step))
    mantissa = step / 10**exponent
    return any(math.isclose(mantissa, nice, rel_tol=1e-9) for nice in (*NICE, 10.0))


@st.composite
def ranges(draw: st.DrawFn) -> tuple[float, float]:
    """A low and a high as a chart's values give them: within ±1e9, the span at least a
    millionth of their size (a KPI chart pads its range by 8 %)."""
    low = draw(st.floats(-1e9, 1e9, allow_nan=False))
    least = max(1e-6, abs(low) * 1e-6)
    span = draw(st.floats(least, max(2e9, least * 2), allow_nan=False))
    return low, low + span


@given(ranges(), st.integers(4, 8))
def test_ticks_are_nice_evenly_spaced_and_cover_the_range(
    bounds: tuple[float, float], count: int
) -> None:
    """For the chart's 4 ticks or more; with fewer asked for, one tick may be all there is."""
    low, high = bounds
    ticks = _nice_ticks(low, high, count)
    span = high - low
    assert 2 <= len(ticks) <= count + 1, ticks
    steps = [b - a for a, b in itertools.pairwise(ticks)]
    assert all(s > 0 for s in steps), ticks  # increasing
    step = steps[0]
    assert all(math.isclose(s, step, rel_tol=1e-6, abs_tol=span * 1e-9) for s in steps)
    assert _is_nice(step), step
    tolerance = span * 1e-9
    assert low - tolerance <= ticks[0] < low + step + tolerance  # no gap of a step at the ends
    assert high - step - tolerance < ticks[-1] <= high + tolerance
    assert all(math.isclose(t / step, round(t / step), abs_tol=1e-6) for t in ticks)  # multiples


@contextlib.contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Fail, rather than hang, when the block runs longer than ``seconds``."""

    def stop(*_: object) -> None:
        raise TimeoutError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


FINITE = st.floats(allow_nan=False, allow_infinity=False)


@given(FINITE, FINITE, st.integers(1, 8))
@example(1e16, 1e16 + 2, 4)  # first, and not shrunk: a loop that never ends fails at once
@example(
    999999999999999.875, 1e15, 4
)  # within validation's 1e15: steps of a unit in the last place
def test_ticks_of_any_numbers_are_few_distinct_and_in_order(a: float, b: float, count: int) -> None:
    """Values of 1e16 a step of 0.5 apart never moved (1e16 + 0.5 == 1e16): the loop ran on,
    growing 70 MB/s. The count of ticks is bounded by ``count``, never by the values."""
    low, high = sorted((a, b))
    with deadline(2):
        ticks = _nice_ticks(low, high, count)
    assert len(ticks) <= count + 1
    assert all(math.isfinite(t) for t in ticks)
    assert all(x < y for x, y in itertools.pairwise(ticks)), ticks


@pytest.mark.parametrize(
    ("values", "target"),
    [
        ([1e16, 1e16], 1e16 + 2),  # the issue's: ticks a unit in the last place apart
        ([9e14, 9e14], 9e14 + 0.125),
        ([999999999999999.875] * 3, 1e15),  # the largest numbers validation accepts
        ([1e40, 2e40], 3e40),  # Babel's default precision failed on these
        ([-1.7e308, 1.7e308], 0.0),  # a span beyond a float: no chart
        ([5e-324, 0.0], 1e-323),
    ],
)
def test_a_chart_of_extreme_numbers_is_drawn_or_left_out_quickly(
    values: list[float], target: float
) -> None:
    with deadline(2):
        svg = kpi_chart(result(values, target=target), EN, "#000", "#f00")
    if svg:
        for name, value in coordinates(parse(svg)):
            limit = WIDTH if name.startswith(("x", "cx")) else HEIGHT
            assert 0 <= value <= limit, (name, value)


@given(st.lists(FINITE, min_size=1, max_size=5), FINITE)
@example([1e16], 1e16 + 2)
def test_a_chart_of_any_numbers_is_well_formed_or_left_out(
    values: list[float], target: float
) -> None:
    with deadline(2):
        svg = kpi_chart(result(values, target=target), EN, "#000", "#f00")
    if svg:
        assert all(math.isfinite(value) for _name, value in coordinates(parse(svg)))


def test_ticks_of_round_ranges() -> None:
    assert _nice_ticks(0, 100) == [0, 25, 50, 75, 100]
    assert _nice_ticks(0, 1) == [0, 0.25, 0.5, 0.75, 1]
    assert _nice_ticks(-3, -1) == [-3, -2.5, -2, -1.5, -1]
    assert _nice_ticks(0.8, 0.9) == [0.8, 0.825, 0.85, 0.875, 0.9]  # no 0.8250000000000001
    assert _nice_ticks(37, 2_600_000) == [1_000_000, 2_000_000]
    assert _nice_ticks(0, 2_600_000) == [0, 1_000_000, 2_000_000]


@given(st.lists(st.floats(TOP, HEIGHT - BOTTOM), min_size=1, max_size=4))
def test_right_labels_keep_their_order_and_never_overlap(ys: list[float]) -> None:
    """Up to four labels (target, benchmark, forecast, measured) at any height of the plot."""
    items = [(y, f"label{n}", "#000") for n, y in enumerate(ys)]
    placed = _placed(place_right_labels(items, 300.0, TOP + ASCENT, HEIGHT - BOTTOM))
    assert [label for _y, label in placed] == [label for _y, label, _c in sorted(items)]
    heights = [y for y, _label in placed]
    assert all(b - a >= ROW - 0.1 for a, b in itertools.pairwise(heights))
    assert heights[-1] <= HEIGHT - BOTTOM + 0.05  # never below the plot's foot


def test_right_labels_stay_inside_the_chart() -> None:
    """One line at the top (the target), three at the foot (measured, benchmark, forecast)."""
    bottom = HEIGHT - BOTTOM
    items = [(float(TOP), "target", "#000")] + [(float(bottom), w, "#000") for w in "abc"]
    placed = _placed(place_right_labels(items, 300.0, TOP + ASCENT, bottom))
    assert placed[0][1] == "target"
    assert placed[0][0] >= TOP + ASCENT - 0.05, placed  # the label's ink inside the plot's top


def _placed(out: list[str]) -> list[tuple[float, str]]:
    """(baseline y, text) of each label drawn by axes.right_labels."""
    found = [re.search(r' y="([^"]+)"[^>]*>([^<]*)</text>', text) for text in out]
    return [(float(m.group(1)), m.group(2)) for m in found if m is not None]


# -- status icons --------------------------------------------------------------------------------


@pytest.mark.parametrize("status", STATUSES)
def test_every_status_has_its_own_icon(status: str) -> None:
    root = ET.fromstring(status_icon(status))
    assert root.get("aria-hidden") == "true"  # the status is in the text next to it
    assert root.get("viewBox") == "0 0 16 16"
    assert len(root) >= 1


def test_icons_differ_by_shape() -> None:
    shapes = {ET.tostring(ET.fromstring(status_icon(s))) for s in STATUSES}
    assert len(shapes) == len(STATUSES)


@pytest.mark.parametrize("value", [1e-300, 5e-324, -1e-300, 1e-15])
def test_an_axis_of_the_tiniest_numbers_has_two_ticks(value: float) -> None:
    """A KPI whose every value is one tiny number (found by hypothesis: 1e-300 gave one tick,
    so the axis had one label and no scale)."""
    ticks = _nice_ticks(value - abs(value) * 0.1, value + abs(value) * 0.1)
    assert len(ticks) >= 2
    root = parse(kpi_chart(result([value], target=value), EN, "#000", "#f00"))
    assert len(tick_labels(root)) >= 2
