"""The Plan sheet: a KPI's planned value per period (a budget month by month, seasonal limits)."""

from __future__ import annotations

from kpireport.model import PlanRow
from kpireport.schema import Unit
from kpireport.workbook.context import ReadContext


def read_plan(ctx: ReadContext, units: dict[str, Unit]) -> list[PlanRow]:
    """The plan rows with a KPI, a period and a target, values in their KPI's unit; the checks
    across rows (a known KPI, the period's frequency, one row per period) are validation's."""
    key = "plan"
    out: list[PlanRow] = []
    for row, _cells in ctx.rows(key):
        kpi_id = ctx.kpi_id(key, row)
        when = ctx.date(key, row, "period", required=True, kpi=kpi_id)
        target = ctx.number(key, row, "target", units.get(kpi_id or ""), required=True, kpi=kpi_id)
        note = ctx.text(key, row, "note")
        if kpi_id is None or when is None or target is None:
            continue
        out.append(PlanRow(kpi_id, when[0], when[1], target, row, note))
    return out
