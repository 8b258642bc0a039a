"""Workbooks as a finance person fills them in, for the engine's acceptance tests of issue 13:
one KPI row, its measurement rows (dates typed as dates), benchmark rows and the Settings, written
with openpyxl (and, where it matters, saved again by LibreOffice), then read, validated and
computed exactly as ``kpireport build`` does."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path
from typing import Any

from kpireport.engine import KpiResult, Results, compute
from kpireport.validate import check
from tests.conftest import kpi_row, valid_sheets, write_workbook

Row = list[Any]


def user_sheets(
    kpi: dict[str, Any],
    measurements: list[tuple[dt.date, Any]],
    benchmarks: tuple[tuple[str, Any], ...] = (),
    report_date: dt.date | None = None,
) -> dict[str, list[Row]]:
    """The conftest workbook with one KPI (``kpi``: columns replaced by header name) with the
    id SALES-01, its measurements as (date, value) rows, its benchmarks as (source, value)
    rows, and the Settings ``report_date`` (left empty when None, as a user who clears it)."""
    sheets = copy.deepcopy(valid_sheets())
    sheets["KPIs"][1] = kpi_row(**kpi)
    sheets["Measurements"] = [["kpi", "date", "value", "note"]] + [
        ["SALES-01", date, value, None] for date, value in measurements
    ]
    sheets["Benchmarks"] = [["kpi", "source", "value", "kind", "date"]] + [
        ["SALES-01", source, value, "industry", dt.date(2025, 12, 31)]
        for source, value in benchmarks
    ]
    settings = [row for row in sheets["Settings"] if row[0] != "report_date"]
    if report_date is not None:
        settings.append(["report_date", report_date])
    sheets["Settings"] = settings
    return sheets


def compute_file(path: Path) -> Results:
    """The results of the workbook at ``path``, which must validate without errors."""
    workbook, report = check(path)
    assert report.valid, [(i.code, i.cell) for i in report.errors]
    return compute(workbook, report)


def compute_sheets(
    tmp_path: Path, sheets: dict[str, list[Row]], name: str = "kpis.xlsx"
) -> Results:
    """``sheets`` written to ``tmp_path / name`` and computed."""
    return compute_file(write_workbook(tmp_path / name, sheets))


def only_kpi(results: Results) -> KpiResult:
    """The one KPI of a :func:`user_sheets` workbook."""
    (kpi,) = [k for d in results.departments for k in d.kpis]
    return kpi
