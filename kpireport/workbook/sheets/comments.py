"""The Comments sheet: what the people responsible say about a KPI, and what is being done."""

from __future__ import annotations

from kpireport.model import Comment
from kpireport.workbook.context import ReadContext


def read_comments(ctx: ReadContext) -> list[Comment]:
    """The comment rows with a KPI and a comment or an action (else ``missing-value`` at the
    comment cell), and a readable report date when one is given: a row for an unknown report
    cannot be placed, so it is left out; an unreadable due date leaves the row without one.
    Which report shows a comment, and the checks across sheets, are validation's and the
    engine's (:meth:`Comment.applies`)."""
    key = "comments"
    out: list[Comment] = []
    for row, _cells in ctx.rows(key):
        kpi_id = ctx.kpi_id(key, row)
        typed = ctx.value(key, row, "report_date", required=False, kpi=kpi_id)
        when = ctx.to_date(key, *typed) if typed is not None else None
        reported = len(ctx.issues)
        comment = ctx.text(key, row, "comment", kpi=kpi_id)
        action = ctx.text(key, row, "action", kpi=kpi_id)
        if comment is None and action is None and len(ctx.issues) == reported:
            ctx.missing(key, row, "comment", kpi_id)  # an unusable cell is reported already
        owner = ctx.text(key, row, "owner", kpi=kpi_id)
        due = ctx.date(key, row, "due", end=True, kpi=kpi_id)
        if kpi_id is None or (typed is not None and when is None):
            continue
        if comment is None and action is None:
            continue
        out.append(
            Comment(
                kpi_id,
                when[0] if when else None,
                when[1] if when else None,
                comment,
                action,
                owner,
                due[0] if due else None,
                row,
            )
        )
    return out
