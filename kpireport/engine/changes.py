"""Since the last report: each KPI compared with the previous report (an earlier report set's
results, or the same workbook computed as of an earlier date), its status move and the change
in its value, and per department and for the company the KPIs whose status moved, came or went
(docs/metrics.md, "Since the last report")."""

from __future__ import annotations

from kpireport.engine.formulas import difference
from kpireport.engine.results import (
    ComparedWith,
    KpiResult,
    Previous,
    Results,
    StatusChange,
)

# The statuses a move is judged along, best first; a move from or to any other status (no
# data, too early) is a change, neither better nor worse.
ORDER = ("achieved", "on_track", "at_risk", "off_track", "missed")
# The order a board reads the moves in: what got worse first.
MOVES = ("worsened", "changed", "new", "gone", "improved")


def move(before: str, after: str) -> str:
    """``improved``, ``worsened``, ``held`` or ``changed``: a status move from ``before`` to
    ``after``."""
    if before == after:
        return "held"
    if before not in ORDER or after not in ORDER:
        return "changed"
    return "improved" if ORDER.index(after) < ORDER.index(before) else "worsened"


def compare(results: Results, previous: Results, source: str) -> None:
    """Fill in ``results``: each KPI's ``previous`` (from ``previous``, the KPI of the same id),
    each department's and the company's ``changes``, and ``compared_with``."""
    earlier = {k.id: k for d in previous.departments for k in d.kpis}
    now = {k.id for d in results.departments for k in d.kpis}
    everything: list[StatusChange] = []
    for dept in results.departments:
        changes = []
        for kpi in dept.kpis:
            before = earlier.get(kpi.id)
            if before is None:
                changes.append(
                    StatusChange(kpi.id, kpi.name, kpi.department, "new", None, kpi.status)
                )
                continue
            kpi.previous = _previous(kpi, before, previous, source)
            if kpi.previous.move != "held":
                changes.append(
                    StatusChange(
                        kpi.id,
                        kpi.name,
                        kpi.department,
                        kpi.previous.move,
                        before.status,
                        kpi.status,
                    )
                )
        for gone in (k for d in previous.departments for k in d.kpis):
            if gone.id not in now and gone.department.casefold() == dept.name.casefold():
                changes.append(
                    StatusChange(gone.id, gone.name, gone.department, "gone", gone.status, None)
                )
        dept.changes = _ordered(changes)
        everything += dept.changes
    # KPIs gone with their whole department
    departments = {d.name.casefold() for d in results.departments}
    everything += [
        StatusChange(k.id, k.name, k.department, "gone", k.status, None)
        for d in previous.departments
        if d.name.casefold() not in departments
        for k in d.kpis
        if k.id not in now
    ]
    results.summary.changes = _ordered(everything)
    results.compared_with = ComparedWith(previous.report_date, source)


def _previous(kpi: KpiResult, before: KpiResult, previous: Results, source: str) -> Previous:
    sign = 1.0 if kpi.direction == "higher" else -1.0
    diff = None
    if kpi.current is not None and before.current is not None:
        diff = difference(kpi.current, before.current, sign)
    return Previous(
        report_date=previous.report_date,
        source=source,
        status=before.status,
        current=before.current,
        difference=diff,
        move=move(before.status, kpi.status),
    )


def _ordered(changes: list[StatusChange]) -> list[StatusChange]:
    """Worsened first, as a board reads them, then changed, new, gone and improved; within a
    kind in the order given (the KPIs sheet's)."""
    return sorted(changes, key=lambda c: MOVES.index(c.move))
