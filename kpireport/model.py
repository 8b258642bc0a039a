"""The KPI model read from a workbook: plain data, every value traceable to its sheet and cell.

Rows keep their Excel row number; each sheet keeps where its columns are. So any later stage can
say ``KPIs!F7`` without carrying a cell reference on every value.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from pathlib import Path

from kpireport.issues import Issue, ValidationReport
from kpireport.periods import granularity_end
from kpireport.schema import Unit


def column_letter(index: int) -> str:
    """Excel column letters for a 0-based column index (0 -> A, 26 -> AA)."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def cell_name(row: int, col: int) -> str:
    """``B7`` for 1-based row 7 and 0-based column 1."""
    return f"{column_letter(col)}{row}"


@dataclass(frozen=True)
class Loc:
    """Where a value came from: the sheet as named in the workbook, and the Excel cell."""

    sheet: str
    cell: str | None = None

    def __str__(self) -> str:
        return f"{self.sheet}!{self.cell}" if self.cell else self.sheet


@dataclass
class SheetInfo:
    """A contract sheet as found in the workbook."""

    key: str
    name: str  # as spelled in the workbook
    header_row: int = 0  # 1-based; 0 when the sheet has no header
    columns: dict[str, int] = field(default_factory=dict)  # column key -> 0-based index
    width: int = 0
    height: int = 0

    def loc(self, row: int, column: str | None = None) -> Loc:
        col = self.columns.get(column, 0) if column is not None else 0
        return Loc(self.name, cell_name(row, col))


@dataclass
class Settings:
    """The Settings sheet, with defaults filled in."""

    company: str | None = None
    title: str | None = None
    report_date: dt.date | None = None
    language: str = "en"
    currency: str = "DKK"
    logo: str | None = None
    primary_color: str | None = None
    accent_color: str | None = None
    on_track: float = 0.95
    at_risk: float = 0.80
    board_recipients: list[str] = field(default_factory=list)
    fiscal_year_start: int = 1  # the fiscal year's first month, 1 = January
    page_size: str = "A4"  # the PDFs' paper: "A4" or "Letter" (schema.PAGE_SIZES)
    rows: dict[str, int] = field(default_factory=dict)  # key -> Excel row of its value


@dataclass
class Department:
    """One row of the Departments sheet (or a department only named on the KPIs sheet)."""

    name: str
    head: str | None = None
    emails: list[str] = field(default_factory=list)
    color: str | None = None
    logo: str | None = None
    row: int = 0  # 0: not on the Departments sheet


@dataclass
class KPI:
    """One row of the KPIs sheet. Percent values are fractions (42 % is 0.42)."""

    id: str
    department: str
    name: str
    row: int
    unit: Unit
    direction: str | None  # "higher" | "lower"; None when invalid or missing
    target: float | None
    deadline: dt.date | None
    frequency: str | None
    description: str | None = None
    baseline: float | None = None
    baseline_date: dt.date | None = None
    aggregation: str | None = None
    objective: str | None = None
    owner: str | None = None
    data_source: str | None = None
    weight: float = 1.0
    goal: str = "reach"  # "reach" a target, or "keep" it as a limit held to the deadline


@dataclass(slots=True)
class Measurement:
    """One row of the Measurements sheet.

    ``date`` is the first day of the period the value was given for; ``granularity`` says how
    precisely it was given ("day" for a date, "month" for ``2026-03``, and so on).
    """

    kpi_id: str
    date: dt.date
    granularity: str
    value: float
    row: int
    note: str | None = None

    @property
    def last_day(self) -> dt.date:
        """The last day the value stands for: its date, or the end of the period it names
        (2026-09 stands for up to 30 September)."""
        if self.granularity == "day":
            return self.date
        return granularity_end(self.date, self.granularity)


@dataclass
class Benchmark:
    """One row of the Benchmarks sheet."""

    kpi_id: str
    source: str
    value: float
    row: int
    kind: str | None = None
    date: dt.date | None = None


@dataclass(frozen=True)
class ReportDate:
    """The date a report set is as of, and the cell it came from: the Settings report date, or
    else the date of the latest measurement (``typed`` False)."""

    date: dt.date
    cell: str
    typed: bool


@dataclass
class PlanRow:
    """One row of the Plan sheet: a KPI's planned value for a period (for a ``sum`` KPI the
    period's own amount, for the others the level at the period's end; for a ``keep`` KPI the
    period's limit). ``date`` and ``granularity`` as in :class:`Measurement`."""

    kpi_id: str
    date: dt.date
    granularity: str
    target: float
    row: int
    note: str | None = None


@dataclass
class Comment:
    """One row of the Comments sheet: what the people responsible say about a KPI, and what is
    being done. ``report_date`` and ``granularity`` as in :class:`Measurement`, None for a
    comment on every report; ``due`` is the last day of the period typed."""

    kpi_id: str
    report_date: dt.date | None
    granularity: str | None
    comment: str | None
    action: str | None
    owner: str | None
    due: dt.date | None
    row: int

    def written_for(self, as_of: dt.date) -> bool:
        """Whether the comment was written for the report as of ``as_of``: its report date is
        that day, or a period (``2026-06``) that holds it."""
        if self.report_date is None or self.granularity is None:
            return False
        return self.report_date <= as_of <= granularity_end(self.report_date, self.granularity)

    def applies(self, as_of: dt.date) -> bool:
        """Whether the report as of ``as_of`` shows the comment: written for it, or for every
        report."""
        return self.report_date is None or self.written_for(as_of)


@dataclass
class Workbook:
    """Everything read from one workbook file."""

    path: Path
    sha256: str
    sheets: dict[str, SheetInfo]  # contract key -> sheet as found
    settings: Settings
    departments: list[Department]
    kpis: list[KPI]
    measurements: list[Measurement]
    benchmarks: list[Benchmark]
    plan: list[PlanRow] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)  # problems found while reading
    # every problem, once the workbook is validated (kpireport.load does)
    validation: ValidationReport | None = field(default=None, repr=False)

    @property
    def language(self) -> str:
        return self.settings.language

    @functools.cached_property
    def report_date(self) -> dt.date | None:
        """The "as of" date of every number: the Settings report date, or else the date of the
        latest measurement of a known KPI (the last day of its period when it names a period:
        2026-09 means up to 30 September). Computed once, when first asked for (validation
        does), so it stays the same after the build lets the measurement rows go."""
        if self.settings.report_date is not None:
            return self.settings.report_date
        known = {k.id for k in self.kpis}
        return max(
            (m.last_day for m in self.measurements if m.kpi_id in known),
            default=None,
        )

    def report_date_origin(self) -> ReportDate | None:
        """:attr:`report_date` and the cell it comes from (asked before the build lets the
        measurement rows go)."""
        as_of = self.report_date
        if as_of is None:
            return None
        row = self.settings.rows.get("report_date")
        if self.settings.report_date is not None and row is not None:
            return ReportDate(as_of, str(self.loc("settings", row, "value")), typed=True)
        known = {k.id for k in self.kpis}
        rows = [m.row for m in self.measurements if m.kpi_id in known and m.last_day == as_of]
        cell = str(self.loc("measurements", min(rows), "date")) if rows else ""
        return ReportDate(as_of, cell, typed=False)

    def loc(self, sheet_key: str, row: int, column: str | None = None) -> Loc:
        """The cell of ``column`` in Excel row ``row`` of the contract sheet ``sheet_key``."""
        from kpireport.schema import SHEETS

        info = self.sheets.get(sheet_key)
        if info is None:
            spec = next(s for s in SHEETS if s.key == sheet_key)
            return Loc(spec.title(self.language))
        return info.loc(row, column)

    def kpi(self, kpi_id: str) -> KPI | None:
        for kpi in self.kpis:
            if kpi.id == kpi_id:
                return kpi
        return None
