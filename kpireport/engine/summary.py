"""Department and company summaries: status counts, the weighted score and the KPIs that need
attention, per department in the Departments sheet's order and for the whole company."""

from __future__ import annotations

import math
from collections import Counter

from kpireport.engine.results import (
    STATUSES,
    Attention,
    CompanySummary,
    DepartmentLine,
    DepartmentResult,
    KpiResult,
    Summary,
)
from kpireport.model import Department, Workbook
from kpireport.slug import REPORT_SET_NAMES, unique_slugs

# Statuses that count towards a department's score, and those that need attention.
GOOD = frozenset({"achieved", "on_track"})
ATTENTION = frozenset({"off_track", "missed", "at_risk"})
# Warnings that make a KPI's status itself doubtful (a target read as 0.032 % that should be
# 3.2 % makes a false "achieved"): such a KPI needs attention whatever its status.
CHECK_CODES = frozenset({"scale-mismatch"})


def _summary(kpis: list[KpiResult]) -> Summary:
    """Status counts, weighted score and the KPIs that need attention, furthest behind first."""
    counts = Counter(k.status for k in kpis)
    total = sum(k.weight for k in kpis)
    good = sum(k.weight for k in kpis if k.status in GOOD)
    checks = {
        k.id: [f"{w.cell}: {w.message}" for w in k.warnings if w.code in CHECK_CODES] for k in kpis
    }
    attention = [k for k in kpis if k.status in ATTENTION or k.stale or checks[k.id]]
    # a status that may be false first, then the furthest behind
    attention.sort(key=lambda k: (not checks[k.id], -_behind(k), k.id))
    return Summary(
        kpi_count=len(kpis),
        score=good / total if total else None,
        counts={s: counts.get(s, 0) for s in STATUSES},
        attention=[
            Attention(
                k.id,
                k.name,
                k.department,
                k.status,
                k.stale,
                k.progress,
                k.shortfall,
                checks[k.id],
            )
            for k in attention
        ],
    )


def _behind(kpi: KpiResult) -> float:
    """How far behind a KPI is, for the attention list's order: its shortfall (against its plan
    where it has one, docs/metrics.md section 13); for a keep KPI the share of its limit it is
    beyond it (0 within it); without a value, infinitely far."""
    if kpi.keep is not None:
        margin, limit = kpi.keep.margin, kpi.keep.limit
        if margin is None:
            return math.inf
        return max(-margin, 0.0) / (abs(limit) or 1.0)
    return kpi.shortfall if kpi.shortfall is not None else math.inf


def department_results(workbook: Workbook, results: list[KpiResult]) -> list[DepartmentResult]:
    """Departments in the order of the Departments sheet, then any named only on KPIs."""
    listed: dict[str, Department] = {d.name.casefold(): d for d in workbook.departments}
    names: list[str] = [d.name for d in workbook.departments]
    for k in results:
        if k.department.casefold() not in {n.casefold() for n in names}:
            names.append(k.department)
    slugs = unique_slugs(names, reserved=REPORT_SET_NAMES)
    out = []
    for name in names:
        dept = listed.get(name.casefold())
        kpis = [k for k in results if k.department.casefold() == name.casefold()]
        if not kpis:
            continue
        summary = _summary(kpis)
        out.append(
            DepartmentResult(
                name=name,
                slug=slugs[name],
                head=dept.head if dept else None,
                emails=dept.emails if dept else [],
                email_cell=str(workbook.loc("departments", dept.row, "email")) if dept else None,
                color=dept.color if dept else None,
                logo=dept.logo if dept else None,
                score=summary.score,
                counts=summary.counts,
                attention=summary.attention,
                kpis=kpis,
            )
        )
    return out


def company_summary(departments: list[DepartmentResult]) -> CompanySummary:
    """The company's summary over every department's KPIs, with a line per department."""
    everything = _summary([k for d in departments for k in d.kpis])
    return CompanySummary(
        kpi_count=everything.kpi_count,
        score=everything.score,
        counts=everything.counts,
        attention=everything.attention,
        departments=[
            DepartmentLine(d.name, d.slug, d.score, d.counts, len(d.kpis)) for d in departments
        ],
    )
