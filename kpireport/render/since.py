"""What the reports show of the comparison with the previous report (issue 15): a move's sign,
and a KPI's sparkline of its latest periods."""

from __future__ import annotations

from kpireport.engine import KpiResult

# The sign of a move, shown with its word (colour is never the only sign).
MOVE_SIGN = {
    "worsened": "▼",
    "improved": "▲",
    "changed": "◆",
    "new": "+",
    "gone": "−",
    "held": "=",
}
SPARK_PERIODS = 12
SPARK_WIDTH, SPARK_HEIGHT = 60.0, 16.0


def spark_points(
    values: list[float], low: float, high: float, width: float, height: float, pad: float
) -> list[tuple[float, float]]:
    """``values`` (two or more) spread evenly across a ``width`` by ``height`` box less ``pad``
    on every side, ``low`` at its foot and ``high`` at its top (the foot for a flat line):
    the points of a sparkline, here and on the index pages."""
    inner_w, inner_h = width - 2 * pad, height - 2 * pad
    step = inner_w / (len(values) - 1)
    span = (high - low) or 1.0
    top = low + span
    return [(pad + n * step, pad + (top - v) / span * inner_h) for n, v in enumerate(values)]


def sparkline(kpi: KpiResult, color: str) -> str:
    """A small line of the KPI's latest :data:`SPARK_PERIODS` values, the latest one dotted; ""
    with fewer than two. Decorative: the values themselves are in the text beside it."""
    values = [p.value for p in kpi.series[-SPARK_PERIODS:]]
    if len(values) < 2:
        return ""
    xy = spark_points(values, min(values), max(values), SPARK_WIDTH, SPARK_HEIGHT, 2)
    points = " ".join(f"{x:.1f},{y:.1f}" for x, y in xy)
    last_x, last_y = xy[-1]
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="spark" viewBox="0 0 {SPARK_WIDTH:g} '
        f'{SPARK_HEIGHT:g}" aria-hidden="true"><polyline points="{points}" fill="none" '
        f'stroke="{color}" stroke-width="1.2" stroke-linejoin="round"/><circle '
        f'cx="{last_x:.1f}" cy="{last_y:.1f}" r="1.6" fill="{color}"/></svg>'
    )
