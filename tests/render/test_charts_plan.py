"""Issue 14, point 7: a KPI's chart draws its plan (the Plan sheet) in place of the straight
expected path, in its own dash pattern and with its own label, on a scale that holds every planned
value; a keep KPI's limit is a light band on the allowed side, following seasonal limits, labelled
"limit", with no expected path. The results come from workbooks through the real pipeline; the
geometry is checked by numbers, on the scale the chart's own axis states."""

from __future__ import annotations

import datetime as dt
import itertools
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kpireport.engine import KpiResult
from kpireport.engine.results import PlanPoint
from kpireport.periods import period_end
from kpireport.render.axes import ROW
from kpireport.render.charts import BOTTOM, HEIGHT, TOP, kpi_chart
from tests.engine.test_plan_numbers import REVENUE, with_plan
from tests.engine.user_workbooks import compute_sheets, only_kpi, user_sheets
from tests.render.test_charts import DA, EN, SV, SVG, parse, right_labels

D = dt.date
FOOT = HEIGHT - BOTTOM
GRID = "#d9dee3"
# Pixels: the SVG writes coordinates to a tenth, and the scale is read back from the axis.
NEAR = 0.15

# Every chart here runs from the baseline date, 1 January 2026, to the deadline, 31 December
# 2026 (the measurements end before it): 364 days across the plot's 294 pixels.
START, DEADLINE = D(2026, 1, 1), D(2026, 12, 31)


def plot_x(root: ET.Element) -> tuple[float, float]:
    """The plot's left and right edges, read off its grid lines (the margins beside it are as
    wide as the labels in them)."""
    grid = [ln for ln in root.findall(f"{SVG}line") if ln.get("stroke") == GRID]
    return float(grid[0].get("x1", "")), float(grid[0].get("x2", ""))


def x_of(root: ET.Element, day: dt.date) -> float:
    left, right = plot_x(root)
    return left + (right - left) * (day - START).days / (DEADLINE - START).days


def y_scale(root: ET.Element) -> Any:
    """The chart's value-to-y mapping, read off its y axis: the grid lines and their labels."""
    grid = [
        float(ln.get("y1", "")) for ln in root.findall(f"{SVG}line") if ln.get("stroke") == GRID
    ]
    # each tick's label is written a third of its size below its grid line
    labels = [(float(t.get("y", "")), t.text or "") for t in by_class(root, "c-tick")]
    percent = [t.text for t in by_class(root, "c-unit")] == ["%"]
    ticks = [
        (_number(min(labels, key=lambda label: abs(label[0] - y))[1], percent), y) for y in grid
    ]
    (v0, y0), (v1, y1) = ticks[0], ticks[-1]
    return lambda value: y0 + (value - v0) * (y1 - y0) / (v1 - v0)


def _number(label: str, percent: bool) -> float:
    """An English tick label's value: 150, 1,250; 2.5 on an axis of percentages, 0.025."""
    return float(label.replace(",", "")) / (100 if percent else 1)


def points_of(elem: ET.Element) -> list[tuple[float, float]]:
    pairs = (pair.split(",") for pair in elem.get("points", "").split())
    return [(float(x), float(y)) for x, y in pairs]


def near(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return abs(a[0] - b[0]) <= NEAR and abs(a[1] - b[1]) <= NEAR


def by_class(root: ET.Element, name: str) -> list[ET.Element]:
    return [e for e in root.iter() if e.get("class") == name]


def straight_paths(root: ET.Element, result: KpiResult) -> list[ET.Element]:
    """Lines from the baseline (on its date) to the target (on the deadline): the straight
    expected path."""
    assert result.baseline is not None and result.baseline_date is not None
    y = y_scale(root)
    ends = (
        (x_of(root, result.baseline_date), y(result.baseline)),
        (x_of(root, DEADLINE), y(result.target)),
    )
    return [
        ln
        for ln in root.findall(f"{SVG}line")
        if near((float(ln.get("x1", "")), float(ln.get("y1", ""))), ends[0])
        and near((float(ln.get("x2", "")), float(ln.get("y2", ""))), ends[1])
    ]


def crossings(points: list[tuple[float, float]], x: float) -> list[float]:
    """The y of every point where the segments joining ``points`` cross the vertical at ``x``."""
    return [
        y0 + (y1 - y0) * (x - x0) / (x1 - x0)
        for (x0, y0), (x1, y1) in itertools.pairwise(points)
        if min(x0, x1) <= x <= max(x0, x1) and x0 != x1
    ]


def band_at(band: ET.Element, x: float) -> tuple[float, float]:
    """The band's extent (top y, bottom y) on the vertical at ``x``: where its closed outline
    crosses it."""
    outline = points_of(band)
    ys = crossings([*outline, outline[0]], x)
    return min(ys), max(ys)


# -- a seasonal revenue plan (sum KPI, baseline 100 on 1 January, target 160 by 31 December) ----

# January to July 110, 115, 120, 125, 130, 135, 130; report date 31 July. The plan: a quiet July
# of 125, a Black Friday November of 200 (above the target, and above every measured value) and
# December at the target, 160. Its line: the baseline 100 on 1 January, each planned value on its
# month's last day, so (1 Jan, 100), (31 Jul, 125), (30 Nov, 200), (31 Dec, 160).
VALUES = [110, 115, 120, 125, 130, 135, 130]
PLAN = (("2026-07", 125), ("2026-11", 200), ("2026-12", 160))
PLAN_LINE = [(D(2026, 1, 1), 100.0), (D(2026, 7, 31), 125.0), (D(2026, 11, 30), 200.0)]
PLAN_LINE.append((D(2026, 12, 31), 160.0))


@pytest.fixture(scope="module")
def revenue(tmp_path_factory: pytest.TempPathFactory) -> dict[str, KpiResult]:
    """The revenue KPI without a plan and with the seasonal plan, through the pipeline."""
    tmp = tmp_path_factory.mktemp("revenue")
    months = [(D(2026, m, 15), v) for m, v in enumerate(VALUES, start=1)]
    straight = user_sheets(REVENUE, months, report_date=D(2026, 7, 31))
    planned = with_plan(user_sheets(REVENUE, months, report_date=D(2026, 7, 31)), *PLAN)
    return {
        "straight": only_kpi(compute_sheets(tmp, straight, "straight.xlsx")),
        "planned": only_kpi(compute_sheets(tmp, planned, "planned.xlsx")),
    }


def test_the_plan_line_passes_through_every_planned_point(revenue: dict[str, KpiResult]) -> None:
    result = revenue["planned"]
    assert result.plan is not None
    assert [(p.date, p.value) for p in result.plan.line] == PLAN_LINE
    root = parse(kpi_chart(result, EN, "#1F4E79", "#C00000"))
    y = y_scale(root)
    (plan,) = by_class(root, "plan-line")
    drawn = points_of(plan)
    assert len(drawn) == len(PLAN_LINE)
    for (day, value), point in zip(PLAN_LINE, drawn, strict=True):
        assert near(point, (x_of(root, day), y(value))), (day, value, point)


def test_the_straight_path_is_drawn_without_a_plan_and_not_with_one(
    revenue: dict[str, KpiResult],
) -> None:
    straight = parse(kpi_chart(revenue["straight"], EN, "#000", "#f00"))
    assert len(straight_paths(straight, revenue["straight"])) == 1
    assert by_class(straight, "plan-line") == []
    planned = parse(kpi_chart(revenue["planned"], EN, "#000", "#f00"))
    assert straight_paths(planned, revenue["planned"]) == []


def test_a_planned_value_beyond_the_target_is_inside_the_plot(
    revenue: dict[str, KpiResult],
) -> None:
    """November's 200 is above the target (160) and every measured value: without it in the
    scale the plan would run off the top of the chart."""
    root = parse(kpi_chart(revenue["planned"], EN, "#000", "#f00"))
    y = y_scale(root)
    assert TOP <= y(200.0) <= FOOT
    (plan,) = by_class(root, "plan-line")
    assert all(TOP <= py <= FOOT for _x, py in points_of(plan))


def test_the_plan_has_its_own_dash_pattern(revenue: dict[str, KpiResult]) -> None:
    """Printed in greyscale, plan, target, forecast and deadline are still told apart."""
    root = parse(kpi_chart(revenue["planned"], EN, "#1F4E79", "#C00000"))
    drawn = [e for e in root.iter() if e.tag in (f"{SVG}line", f"{SVG}polyline")]
    dashes = [e.get("stroke-dasharray") for e in drawn if e.get("stroke") != GRID]
    assert dashes.count(None) == 1  # the measured series, the one solid line
    patterns = [d for d in dashes if d is not None]
    assert len(patterns) == 4  # deadline, plan, target, forecast
    assert len(set(patterns)) == len(patterns)
    (plan,) = by_class(root, "plan-line")
    assert plan.get("stroke-dasharray") in patterns


@pytest.mark.parametrize(
    ("locale", "words"),
    [
        (EN, ["forecast", "actual", "plan", "target"]),
        (DA, ["faktisk", "mål", "plan", "prognose"]),
        (SV, ["mål", "plan", "prognos", "utfall"]),
    ],
    ids=["en", "da", "sv"],
)
def test_the_plan_is_labelled_in_the_readers_language(
    revenue: dict[str, KpiResult], locale: Any, words: list[str]
) -> None:
    root = parse(kpi_chart(revenue["planned"], locale, "#000", "#f00"))
    assert sorted(right_labels(root)) == sorted(words)


@pytest.mark.parametrize(
    ("locale", "plan", "target"),
    [(EN, "plan", "target"), (DA, "plan", "mål"), (SV, "plan", "mål")],
    ids=["en", "da", "sv"],
)
def test_a_plan_ending_at_the_target_is_labelled_above_it_in_every_language(
    revenue: dict[str, KpiResult], locale: Any, plan: str, target: str
) -> None:
    """The plan's line and the target's end at the same height (160 on 31 December): their
    labels are apart, and in the same order whatever the words (seen: Swedish "mål" sorted
    above "plan")."""
    root = parse(kpi_chart(revenue["planned"], locale, "#000", "#f00"))
    labels = sorted((float(t.get("y", "")), t.text) for t in by_class(root, "c-line"))
    assert len(labels) == 4
    assert all(b[0] - a[0] >= ROW - 0.1 for a, b in itertools.pairwise(labels))
    words = [text for _y, text in labels]
    assert words.index(plan) + 1 == words.index(target), words


# -- keep KPIs: sick leave at most 3 % (lower), uptime at least 97 % (higher) ---------------------

# Monthly levels ("last"), held from 1 January to 31 December 2026; report date 30 June.
# Sick leave January to June 2.0, 2.5, 2.0, 2.5, 2.0, 2.5 %; uptime 6 points higher: 98.0, 97.5,
# ... %, written so that both KPIs sit 0.5 to 1 point inside their limits. The seasonal plan
# allows a winter's flu: 4 % in January and February (uptime: 96 % then), the target elsewhere.
KEEP = {"lower": (3.0, 1.0), "higher": (97.0, -1.0)}
KEEP_VALUES = [2.0, 2.5, 2.0, 2.5, 2.0, 2.5]


def keep_sheets(direction: str, seasonal: bool) -> dict[str, Any]:
    target, sign = KEEP[direction]
    values = [v if direction == "lower" else 100 - v for v in KEEP_VALUES]
    kpi = {
        "unit": "%",
        "direction": direction,
        "target": target,
        "baseline": None,
        "aggregation": "last",
    }
    sheets = user_sheets(
        kpi, [(D(2026, m, 28), v) for m, v in enumerate(values, 1)], report_date=D(2026, 6, 30)
    )
    sheets["KPIs"] = [[*row, "goal" if n == 0 else "keep"] for n, row in enumerate(sheets["KPIs"])]
    if seasonal:
        winter = target + sign
        with_plan(sheets, ("2026-01", winter), ("2026-02", winter))
    return sheets


@pytest.fixture(scope="module")
def keep(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, bool], KpiResult]:
    """Both directions, with and without the seasonal plan, through the pipeline."""
    tmp = tmp_path_factory.mktemp("keep")
    return {
        (direction, seasonal): only_kpi(
            compute_sheets(tmp, keep_sheets(direction, seasonal), f"{direction}{seasonal}.xlsx")
        )
        for direction in KEEP
        for seasonal in (False, True)
    }


@pytest.mark.parametrize("direction", ["lower", "higher"])
def test_the_limits_band_lies_on_the_allowed_side(
    keep: dict[tuple[str, bool], KpiResult], direction: str
) -> None:
    """At or below 3 % is allowed for sick leave: the band runs from the limit down to the
    plot's foot; at or above 97 % for uptime: from the limit up to the plot's top. It spans
    the time the limit is held, from the baseline date to the deadline."""
    result = keep[(direction, False)]
    assert result.goal == "keep" and result.plan is None
    root = parse(kpi_chart(result, EN, "#000", "#f00"))
    y = y_scale(root)
    (band,) = by_class(root, "limit-band")
    limit = y(result.target)
    for day in (D(2026, 1, 15), D(2026, 6, 30), D(2026, 12, 15)):
        top, bottom = band_at(band, x_of(root, day))
        allowed = (limit, FOOT) if direction == "lower" else (TOP, limit)
        assert top == pytest.approx(allowed[0], abs=NEAR), day
        assert bottom == pytest.approx(allowed[1], abs=NEAR), day
    xs = [px for px, _y in points_of(band)]
    assert min(xs) == pytest.approx(x_of(root, START), abs=NEAR)
    assert max(xs) == pytest.approx(x_of(root, DEADLINE), abs=NEAR)


@pytest.mark.parametrize("direction", ["lower", "higher"])
def test_the_band_follows_a_seasonal_limit(
    keep: dict[tuple[str, bool], KpiResult], direction: str
) -> None:
    """January and February allow 4 % sick leave (96 % uptime); from March on the target's 3 %
    (97 %) holds again. The limit line follows the band's edge."""
    result = keep[(direction, True)]
    assert result.plan is not None
    target, sign = KEEP[direction]
    root = parse(kpi_chart(result, EN, "#000", "#f00"))
    y = y_scale(root)
    (band,) = by_class(root, "limit-band")
    (line,) = by_class(root, "limit-line")
    for day, limit in [
        (D(2026, 1, 15), target + sign),
        (D(2026, 2, 14), target + sign),
        (D(2026, 3, 15), target),
        (D(2026, 6, 30), target),
        (D(2026, 12, 15), target),
    ]:
        top, bottom = band_at(band, x_of(root, day))
        edge = top if direction == "lower" else bottom
        assert edge == pytest.approx(y(limit / 100), abs=NEAR), (day, limit)
        assert crossings(points_of(line), x_of(root, day)) == [pytest.approx(edge, abs=NEAR)], day


def test_the_band_is_light_enough_to_read_through(keep: dict[tuple[str, bool], KpiResult]) -> None:
    """On white paper, the band's colour is at least 85 % as light as the paper: grid lines
    (#d9dee3, 72 %) and the measured line still stand out on it, in colour and in greyscale."""
    root = parse(kpi_chart(keep[("lower", False)], EN, "#000", "#f00"))
    (band,) = by_class(root, "limit-band")
    fill = band.get("fill", "")
    opacity = float(band.get("fill-opacity", "1"))
    channels = [int(fill[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    on_white = [opacity * c + (1 - opacity) for c in channels]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in on_white]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    assert luminance >= 0.85, (fill, opacity, luminance)
    assert band.get("stroke") in (None, "none")
    # drawn under everything else: the first shape after nothing
    shapes = [e for e in root if e.tag not in (f"{SVG}text", f"{SVG}title")]
    assert shapes[0] is band


def test_a_keep_kpi_has_no_straight_path(
    tmp_path: Path, keep: dict[tuple[str, bool], KpiResult]
) -> None:
    """Not even with a baseline: a keep KPI does not travel from it to the target."""
    sheets = keep_sheets("lower", seasonal=False)
    header = sheets["KPIs"][0]
    sheets["KPIs"][1][header.index("baseline")] = 1.5
    result = only_kpi(compute_sheets(tmp_path, sheets))
    assert result.baseline == pytest.approx(0.015)
    root = parse(kpi_chart(result, EN, "#000", "#f00"))
    assert straight_paths(root, result) == []
    drawn = [e for e in root.iter() if e.tag in (f"{SVG}line", f"{SVG}polyline")]
    assert [e.get("stroke-dasharray") for e in drawn].count("1 3") == 0


@pytest.mark.parametrize(
    ("locale", "limit", "target"),
    [(EN, "limit", "target"), (DA, "grænse", "mål"), (SV, "gräns", "mål")],
    ids=["en", "da", "sv"],
)
@pytest.mark.parametrize("seasonal", [False, True], ids=["flat", "seasonal"])
def test_the_limit_is_labelled_limit(
    keep: dict[tuple[str, bool], KpiResult], locale: Any, limit: str, target: str, seasonal: bool
) -> None:
    root = parse(kpi_chart(keep[("lower", seasonal)], locale, "#000", "#f00"))
    labels = right_labels(root)
    assert limit in labels
    assert target not in labels
    assert "plan" not in labels  # a keep KPI's plan is its limits: the band, not a line


# -- any plan, any limits: everything drawn stays inside ------------------------------------------


@given(
    planned=st.lists(st.floats(-1e7, 1e7, allow_nan=False), min_size=1, max_size=12),
    goal=st.sampled_from(["reach", "keep"]),
    direction=st.sampled_from(["higher", "lower"]),
)
def test_any_plan_is_drawn_inside_the_plot(
    revenue: dict[str, KpiResult], planned: list[float], goal: str, direction: str
) -> None:
    """Planned values (or limits) anywhere, for either goal and direction: the plan's line, the
    limit's line and band stay inside the plot, and the band reaches the allowed edge."""
    starts = [D(2026, m, 1) for m in range(1, len(planned) + 1)]
    months = [(start, period_end(start, "monthly")) for start in starts]
    if goal == "keep":  # a step: each period's limit on its first and last day
        line = [PlanPoint(day, v) for days, v in zip(months, planned, strict=True) for day in days]
    else:
        line = [PlanPoint(START, 100.0)] + [
            PlanPoint(end, v) for (_, end), v in zip(months, planned, strict=True)
        ]
    base = revenue["planned"]
    assert base.plan is not None
    result = replace(base, goal=goal, direction=direction, plan=replace(base.plan, line=line))
    root = parse(kpi_chart(result, EN, "#000", "#f00"))
    shapes = (
        by_class(root, "plan-line") + by_class(root, "limit-line") + by_class(root, "limit-band")
    )
    assert len(shapes) == (1 if goal == "reach" else 2)
    left, right = plot_x(root)
    for shape in shapes:
        for px, py in points_of(shape):
            assert left - NEAR <= px <= right + NEAR, (px, py)
            assert TOP - NEAR <= py <= FOOT + NEAR, (px, py)
    for band in by_class(root, "limit-band"):
        edge = TOP if direction == "higher" else FOOT
        assert [py for _px, py in points_of(band)][-2:] == [pytest.approx(edge, abs=NEAR)] * 2
