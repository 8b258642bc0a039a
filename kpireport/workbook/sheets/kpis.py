"""The KPIs sheet: one row per KPI, with its unit, direction, target and the rest of its card."""

from __future__ import annotations

from kpireport import schema
from kpireport.issues import Issue, Number
from kpireport.model import KPI, cell_name
from kpireport.schema import Unit
from kpireport.workbook.context import ReadContext


def read_kpis(ctx: ReadContext) -> list[KPI]:
    """The KPIs in sheet order; a sheet with a header but no KPI (and no error that explains
    why) is reported."""
    key = "kpis"
    out: list[KPI] = []
    for row, _cells in ctx.rows(key):
        kpi_id = ctx.text(key, row, "id", required=True)
        label = kpi_id
        department = ctx.text(key, row, "department", required=True, kpi=label)
        name = ctx.text(key, row, "name", required=True, kpi=label)
        unit_text = ctx.text(key, row, "unit")
        unit = schema.parse_unit(unit_text) if unit_text else Unit("text", "")
        direction = ctx.choice(
            key, row, "direction", schema.DIRECTIONS, "bad-direction", required=True, kpi=label
        )
        target = ctx.number(key, row, "target", unit, required=True, kpi=label)
        deadline = ctx.date(key, row, "deadline", end=True)
        baseline = ctx.number(key, row, "baseline", unit)
        baseline_date = ctx.date(key, row, "baseline_date")
        frequency = ctx.choice(
            key, row, "frequency", schema.FREQUENCIES, "bad-frequency", required=True, kpi=label
        )
        aggregation = ctx.choice(key, row, "aggregation", schema.AGGREGATIONS, "bad-aggregation")
        weight = _weight(ctx, row)
        goal = ctx.choice(key, row, "goal", schema.GOALS, "bad-goal") or "reach"
        if kpi_id is None:
            continue
        out.append(
            KPI(
                id=kpi_id,
                department=department or "",
                name=name or kpi_id,
                row=row,
                unit=unit,
                direction=direction,
                target=target,
                deadline=deadline[0] if deadline else None,
                frequency=frequency,
                description=ctx.text(key, row, "description"),
                baseline=baseline,
                baseline_date=baseline_date[0] if baseline_date else None,
                aggregation=aggregation,
                objective=ctx.text(key, row, "objective"),
                owner=ctx.text(key, row, "owner"),
                data_source=ctx.text(key, row, "data_source"),
                weight=weight,
                goal=goal,
            )
        )
    if (
        "kpis" in ctx.sheets
        and ctx.sheets["kpis"].header_row
        and not out
        and not any(
            i.sheet == ctx.sheets["kpis"].name and i.severity == "error" for i in ctx.issues
        )
    ):
        info = ctx.sheets["kpis"]
        # The header row's first cell: the row below it may lie outside the sheet.
        first = cell_name(info.header_row, min(info.columns.values(), default=0))
        ctx.issues.append(Issue("no-kpis", info.name, first, {"sheet": info.name}))
    return out


def canonical_ids(kpis: list[KPI]) -> dict[str, str]:
    """Casefolded id -> id: ids match ignoring case, as Excel's own lookups do, and the KPIs
    sheet's spelling wins (its first row, when two differ only in case)."""
    return {k.id.casefold(): k.id for k in reversed(kpis)}


def _weight(ctx: ReadContext, row: int) -> float:
    """The KPI's weight in its department's score: 1 when empty, or negative (reported)."""
    weight = ctx.number("kpis", row, "weight")
    if weight is None:
        return 1.0
    if weight < 0:
        info = ctx.sheets["kpis"]
        ctx.issues.append(
            Issue(
                "bad-weight",
                info.name,
                info.loc(row, "weight").cell,
                {"value": Number(weight, 6)},
            )
        )
        return 1.0
    return weight
