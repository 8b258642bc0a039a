"""Since the last report: each KPI compared with the previous report (an earlier report set's
results, or the same workbook computed as of an earlier date), its status move and the change
in its value, and per department and for the company the KPIs whose status moved, came or went
(docs/metrics.md, "Since the last report")."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

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


@dataclass(frozen=True)
class Before:
    """A KPI in the previous report: what a comparison needs of it."""

    id: str
    name: str
    department: str
    status: str
    current: float | None


@dataclass(frozen=True)
class Snapshot:
    """The previous report, as much of it as a comparison needs: read from an earlier set's
    results.json without its series (kpireport/previous.py), or taken from results computed
    as of an earlier date."""

    report_date: dt.date
    company: str
    kpis: list[Before]


def snapshot(results: Results) -> Snapshot:
    """What a comparison needs of ``results``."""
    kpis = [
        Before(k.id, k.name, k.department, k.status, k.current)
        for d in results.departments
        for k in d.kpis
    ]
    return Snapshot(results.report_date, results.company, kpis)


def compare(results: Results, previous: Snapshot | Results, source: str) -> None:
    """Fill in ``results``: each KPI's ``previous`` (from ``previous``, the KPI of the same id),
    each department's and the company's ``changes``, and ``compared_with``."""
    if isinstance(previous, Results):
        previous = snapshot(previous)
    earlier = {k.id: k for k in previous.kpis}
    now = {k.id for d in results.departments for k in d.kpis}
    gone: dict[str, list[Before]] = {}  # by department, casefolded
    for k in previous.kpis:
        if k.id not in now:
            gone.setdefault(k.department.casefold(), []).append(k)
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
            kpi.previous = _previous(kpi, before, previous.report_date, source)
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
        changes += [_gone(k) for k in gone.pop(dept.name.casefold(), [])]
        dept.changes = _ordered(changes)
        everything += dept.changes
    # KPIs gone with their whole department
    everything += [_gone(k) for ks in gone.values() for k in ks]
    results.summary.changes = _ordered(everything)
    results.compared_with = ComparedWith(previous.report_date, source)


def _gone(kpi: Before) -> StatusChange:
    return StatusChange(kpi.id, kpi.name, kpi.department, "gone", kpi.status, None)


def _previous(kpi: KpiResult, before: Before, report_date: dt.date, source: str) -> Previous:
    sign = 1.0 if kpi.direction == "higher" else -1.0
    diff = None
    if kpi.current is not None and before.current is not None:
        diff = difference(kpi.current, before.current, sign)
    return Previous(
        report_date=report_date,
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
