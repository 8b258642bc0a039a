"""The Departments sheet: one row per department, its head, addresses, colour and logo."""

from __future__ import annotations

from kpireport.issues import Issue
from kpireport.model import KPI, Department
from kpireport.workbook.context import ReadContext


def read_departments(ctx: ReadContext) -> list[Department]:
    """The departments in sheet order; a name repeated (ignoring case) is reported and skipped."""
    out: list[Department] = []
    seen: dict[str, str] = {}
    key = "departments"
    for row, _cells in ctx.rows(key):
        name = ctx.text(key, row, "department", required=True)
        head = ctx.text(key, row, "head")
        info = ctx.sheets[key]
        emails = ctx.emails(info.name, info.loc(row, "email").cell, ctx.text(key, row, "email"))
        color = ctx.color(key, row, "color")
        logo = ctx.text(key, row, "logo")
        if name is None:
            continue
        folded = name_key(name)
        if folded in seen:
            ctx.issues.append(
                Issue(
                    "duplicate-department",
                    info.name,
                    info.loc(row, "department").cell,
                    {"department": name, "first": seen[folded]},
                )
            )
            continue
        seen[folded] = f"{info.name}!{info.loc(row, 'department').cell}"
        out.append(Department(name=name, head=head, emails=emails, color=color, logo=logo, row=row))
    return out


def name_key(name: str) -> str:
    """What makes two department names one: case and runs of spaces do not matter."""
    return " ".join(name.split()).casefold()


def one_spelling(ctx: ReadContext, departments: list[Department], kpis: list[KPI]) -> None:
    """Every KPI's department spelled one way: as on the Departments sheet, or else as on the
    first KPI row that names it. A KPI row spelling it otherwise (``sales``, ``SALES``,
    ``Customer  service``) is counted under that spelling, with the warning
    ``department-spelling`` at its cell, so that validate, the reports and the engine all
    count one department."""
    first: dict[str, tuple[str, str]] = {}  # name_key -> (spelling, where it is written)
    if "departments" in ctx.sheets:
        info = ctx.sheets["departments"]
        for d in departments:
            first[name_key(d.name)] = (d.name, str(info.loc(d.row, "department")))
    if "kpis" not in ctx.sheets:
        return
    info = ctx.sheets["kpis"]
    for kpi in kpis:
        if not kpi.department:
            continue
        loc = info.loc(kpi.row, "department")
        name, where = first.setdefault(name_key(kpi.department), (kpi.department, str(loc)))
        if kpi.department != name:
            args = {"department": kpi.department, "name": name, "first": where}
            ctx.issues.append(Issue("department-spelling", loc.sheet, loc.cell, args))
            kpi.department = name
