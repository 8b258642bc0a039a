"""The Departments sheet: one row per department, its head, addresses, colour and logo."""

from __future__ import annotations

from kpireport.issues import Issue
from kpireport.model import Department
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
        folded = name.casefold()
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
