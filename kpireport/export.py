"""Exports for spreadsheets: the computed KPI table as CSV (results.csv) and the KPI and series
tables as an Excel workbook (results.xlsx), both safe to open in Excel.

Plain data in, bytes out: the build decides where the file goes (and writes it atomically).
What the files hold, column by column: docs/exports.md.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from collections.abc import Iterator
from typing import Any

from kpireport import labels
from kpireport.engine import DepartmentResult, KpiResult, Results
from kpireport.i18n import N_, Locale, get_locale

# A spreadsheet reads a cell that starts with one of these as a formula (or, for tab and
# carriage return, strips the character and then may). OWASP, "CSV Injection".
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# (key, header): the columns of results.csv, in order.
COLUMNS = (
    ("department", N_("Department")),
    ("kpi_id", N_("KPI id")),
    ("name", N_("KPI")),
    ("unit", N_("Unit")),
    ("direction", N_("Direction")),
    ("current_period", N_("Current period")),
    ("current", N_("Current")),
    ("target", N_("Target")),
    ("deadline", N_("Deadline")),
    ("progress", N_("Progress")),
    ("expected_progress", N_("Expected progress")),
    ("status", N_("Status")),
    ("forecast", N_("Forecast at deadline")),
    ("previous_difference", N_("Difference from previous period")),
    ("previous_relative", N_("Relative change from previous period")),
    ("benchmark", N_("Benchmark")),
    ("benchmark_difference", N_("Difference from benchmark")),
    ("benchmark_relative", N_("Relative difference from benchmark")),
    ("goal", N_("Goal")),
    ("plan", N_("Plan")),
    ("plan_variance", N_("Difference from plan")),
    ("plan_relative", N_("Relative difference from plan")),
    ("ytd_actual", N_("Year to date")),
    ("ytd_plan", N_("Year-to-date plan")),
    ("margin", N_("Margin to limit")),
)

Cell = str | float | None


def neutralize(text: str) -> str:
    """``text`` made safe to put in a spreadsheet cell as text.

    Workbook cells come from many people, and a results.csv travels on to finance, who open it
    in Excel or LibreOffice. There a cell such as ``=HYPERLINK(...)`` or ``=cmd|' /C calc'!A0``
    would be run as a formula (leaking data, or starting a program after a prompt people click
    away). OWASP's remedy: a text that starts with ``=``, ``+``, ``-``, ``@``, tab or carriage
    return gets a leading single quote, so the spreadsheet shows it as text (the quote shows
    too). Numbers are never passed here: a negative number must stay a number.
    """
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def results_csv(results: Results, lang: str | None = None) -> bytes:
    """The KPI table of ``results`` as CSV: a header row, then one row per KPI of every
    department, in the order of results.json. UTF-8 with a byte order mark (without it, Excel
    on a Danish Windows reads the file as Windows-1252 and garbles æ, ø, å), ``\\r\\n`` line
    ends, quoted only where needed. Headers, status and direction words are in ``lang``
    (default: the results' language). Numbers are written as Python writes floats (dot decimal,
    no thousands separator, full precision; percentages as fractions, as in results.json),
    empty when there is none; dates as ``YYYY-MM-DD``. Every text cell goes through
    :func:`neutralize`."""
    locale = get_locale(lang or results.language)
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow([neutralize(locale.gettext(header)) for _key, header in COLUMNS])
    for row in _rows(results, locale):
        writer.writerow([neutralize(v) if isinstance(v, str) else v for v in row])
    return buffer.getvalue().encode("utf-8-sig")


def _rows(results: Results, locale: Locale) -> Iterator[list[Cell]]:
    for dept in results.departments:
        for kpi in dept.kpis:
            row = _row(dept, kpi, locale)
            yield [row[key] for key, _label in COLUMNS]


def _row(dept: DepartmentResult, kpi: KpiResult, locale: Locale) -> dict[str, Cell]:
    # The first benchmark, as in the KPI's chart; results.json has them all.
    benchmark = kpi.benchmarks[0] if kpi.benchmarks else None
    change = kpi.previous_period_change
    plan = kpi.plan.current if kpi.plan else None
    ytd = kpi.plan.year_to_date if kpi.plan else None
    return {
        "department": dept.name,
        "kpi_id": kpi.id,
        "name": kpi.name,
        "unit": kpi.unit,
        "direction": labels.direction(kpi.direction, locale),
        "current_period": kpi.current_period,
        "current": _number(kpi.current),
        "target": _number(kpi.target),
        "deadline": kpi.deadline.isoformat(),
        "progress": _number(kpi.progress),
        "expected_progress": _number(kpi.expected_progress),
        "status": labels.status(kpi.status, locale),
        "forecast": _number(kpi.forecast.value if kpi.forecast else None),
        "previous_difference": _number(change.difference if change else None),
        "previous_relative": _number(change.relative if change else None),
        "benchmark": benchmark.source if benchmark else None,
        "benchmark_difference": _number(benchmark.difference if benchmark else None),
        "benchmark_relative": _number(benchmark.relative if benchmark else None),
        "goal": labels.goal(kpi.goal, locale),
        "plan": _number(plan.planned if plan else None),
        "plan_variance": _number(plan.variance if plan else None),
        "plan_relative": _number(plan.relative if plan else None),
        "ytd_actual": _number(ytd.actual if ytd else None),
        "ytd_plan": _number(ytd.planned if ytd else None),
        "margin": _number(kpi.keep.margin if kpi.keep else None),
    }


def _number(value: float | None) -> float | None:
    """A float as the csv module writes it (repr: dot decimal, round-trips exactly); an empty
    cell for none, infinity or not-a-number (which no spreadsheet reads as a number)."""
    if value is None or not math.isfinite(value):
        return None
    return float(value)


def results_xlsx(results: Results) -> bytes:
    """results.xlsx: a sheet ``KPIs`` with one row per KPI and a sheet ``Series`` with one row
    per KPI and period, the columns of :mod:`kpireport.frames` (``results.to_frame()`` and
    ``results.series_frame()``). Every text is stored as text, never as a formula: openpyxl
    stores a string that starts with ``=`` as a formula, so a KPI named ``=HYPERLINK(...)``
    would become a live link; here it stays the text typed, with no quote in front (unlike CSV,
    a workbook can say which cells are text). Dates are Excel dates, numbers numbers."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    from kpireport.frames import KPI_COLUMNS, SERIES_COLUMNS, kpi_rows, series_rows

    book = Workbook(write_only=True)  # rows streamed: a daily workbook has 100,000s of periods
    bold = Font(bold=True)
    for title, columns, rows in (
        ("KPIs", KPI_COLUMNS, kpi_rows(results)),
        ("Series", SERIES_COLUMNS, series_rows(results)),
    ):
        sheet = book.create_sheet(title)
        sheet.freeze_panes = "A2"
        header = []
        for name in columns:
            cell = WriteOnlyCell(sheet, value=name)
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        for row in rows:
            sheet.append([_xlsx_cell(WriteOnlyCell, sheet, value) for value in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _xlsx_cell(cell_type: Any, sheet: Any, value: object) -> object:
    """``value`` as a cell of ``sheet``; ``cell_type``: openpyxl's WriteOnlyCell, imported by
    results_xlsx only (openpyxl takes 0.2 s to import, and most builds make no results.xlsx)."""
    if isinstance(value, str):
        cell = cell_type(sheet, value=value)
        cell.data_type = "s"  # text, whatever it starts with
        return cell
    if isinstance(value, dt.date):
        cell = cell_type(sheet, value=value)
        cell.number_format = "yyyy-mm-dd"
        return cell
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


__all__ = ["COLUMNS", "FORMULA_STARTS", "neutralize", "results_csv", "results_xlsx"]
