"""The Comments sheet's checks across sheets: an action due before the report date, and a KPI
off track or missed without a comment for this report (docs/workbook-format.md, "Comments")."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator

from kpireport.issues import Date, Issue, Text
from kpireport.labels import STATUS
from kpireport.model import KPI, Measurement, PlanRow, Workbook

# The statuses a board asks to have explained.
RED = ("off_track", "missed")


def comment_issues(
    workbook: Workbook, as_of: dt.date | None, by_kpi: dict[str, list[Measurement]]
) -> Iterator[Issue]:
    """Every problem of the Comments sheet's rows of known KPIs as of ``as_of``, and every red
    KPI left without a comment for that report. Only for a workbook with a Comments sheet:
    only there do the statuses get computed here, so a workbook without one does not pay for
    them (and is not asked for comments it has no sheet for)."""
    if "comments" not in workbook.sheets or as_of is None:
        return
    known = {kpi.id for kpi in workbook.kpis}
    shown = [c for c in workbook.comments if c.kpi_id in known and c.applies(as_of)]
    for comment in shown:
        if comment.due is not None and comment.due < as_of:
            loc = workbook.loc("comments", comment.row, "due")
            yield Issue(
                "action-overdue",
                loc.sheet,
                loc.cell,
                {"kpi": comment.kpi_id, "due": Date(comment.due), "report_date": Date(as_of)},
            )
    explained = {c.kpi_id for c in shown if c.written_for(as_of)}
    plans: dict[str, list[PlanRow]] = defaultdict(list)
    for row in workbook.plan:
        plans[row.kpi_id].append(row)
    for kpi in workbook.kpis:
        if kpi.id in explained:
            continue
        status = _status(workbook, kpi, by_kpi.get(kpi.id, []), plans.get(kpi.id), as_of)
        if status in RED:
            loc = workbook.loc("kpis", kpi.row, "id")
            yield Issue(
                "comment-missing",
                loc.sheet,
                loc.cell,
                {
                    "kpi": kpi.id,
                    "status": Text(STATUS[status]),
                    "report_date": Date(as_of),
                    "sheet": workbook.sheets["comments"].name,
                },
            )


def _status(
    workbook: Workbook,
    kpi: KPI,
    measurements: list[Measurement],
    plan: list[PlanRow] | None,
    as_of: dt.date,
) -> str | None:
    """The status the engine will give ``kpi`` as of ``as_of`` (benchmarks and warnings do
    not change it), or None for a KPI too incomplete to compute (reported already)."""
    from kpireport.engine import compute_kpi  # the engine is imported only when needed

    if None in (kpi.direction, kpi.frequency, kpi.target, kpi.deadline):
        return None
    settings = workbook.settings
    result = compute_kpi(
        kpi,
        measurements,
        [],
        as_of,
        on_track=settings.on_track,
        at_risk=settings.at_risk,
        plan=plan,
        fiscal_year_start=settings.fiscal_year_start,
    )
    return result.status
