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


def sparkline(kpi: KpiResult, color: str) -> str:
    """A small line of the KPI's latest :data:`SPARK_PERIODS` values, the latest one dotted; ""
    with fewer than two. Decorative: the values themselves are in the text beside it."""
    values = [p.value for p in kpi.series[-SPARK_PERIODS:]]
    if len(values) < 2:
        return ""
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    step = (SPARK_WIDTH - 4) / (len(values) - 1)

    def y(value: float) -> float:
        return 2 + (SPARK_HEIGHT - 4) * (1 - (value - low) / span)

    points = " ".join(f"{2 + n * step:.1f},{y(v):.1f}" for n, v in enumerate(values))
    last_x, last_y = 2 + (len(values) - 1) * step, y(values[-1])
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="spark" viewBox="0 0 {SPARK_WIDTH:g} '
        f'{SPARK_HEIGHT:g}" aria-hidden="true"><polyline points="{points}" fill="none" '
        f'stroke="{color}" stroke-width="1.2" stroke-linejoin="round"/><circle '
        f'cx="{last_x:.1f}" cy="{last_y:.1f}" r="1.6" fill="{color}"/></svg>'
    )
