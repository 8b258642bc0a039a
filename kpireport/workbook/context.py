"""What the sheet readers share: the raw sheets, the issues found so far, and the cell readers.

Each cell reader turns one cell into a value of the model (text, number, date, choice, colour,
addresses) or reports why it cannot, naming the sheet and the Excel cell.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from kpireport import schema
from kpireport.issues import Date, Issue, Number, Percent, Text, Word
from kpireport.model import SheetInfo, cell_name
from kpireport.periods import granularity_end
from kpireport.schema import Unit
from kpireport.workbook.addresses import email_address, split_addresses
from kpireport.workbook.cells import RawSheet
from kpireport.workbook.values import (
    MAX_MAGNITUDE,
    MAX_YEAR,
    MIN_YEAR,
    NotADate,
    NotANumber,
    hundredths,
    in_range,
    parse_date,
    parse_number,
    year_in_range,
)

_COLOR = re.compile(r"^#?([0-9A-Fa-f]{6})$")


def blank(value: Any) -> bool:
    """An empty cell, or one holding only white space."""
    return value is None or (isinstance(value, str) and not value.strip())


def blank_row(raw: RawSheet, index: int, used: list[int]) -> bool:
    """No value in any contract column; a formula without a result is not blank."""
    cells = raw.rows[index]
    if any(not blank(cells[c]) for c in used if c < len(cells)):
        return False
    return not any((index, c) in raw.formula_missing or (index, c) in raw.errors for c in used)


@dataclass
class ReadContext:
    """One read of one workbook: its sheets as found, and the issues collected on the way.

    Sheets are addressed by their contract key (``"kpis"``), rows by their 1-based Excel row and
    columns by their contract key (``"target"``), wherever the user put them. It holds cells
    already read, not the file, so a sheet reader can be tested on a grid written in the test.
    """

    raw: dict[str, RawSheet] = field(default_factory=dict)
    sheets: dict[str, SheetInfo] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)
    # Set by the Settings reader before any other number is read: it decides "1.234".
    lang: str = "en"
    canonical: dict[str, str] = field(default_factory=dict)  # casefolded KPI id -> id as on KPIs

    def rows(self, key: str) -> list[tuple[int, list[Any]]]:
        """(Excel row, cells) of each non-blank row below the header."""
        info = self.sheets.get(key)
        if info is None or not info.header_row:
            return []
        raw = self.raw[key]
        used = sorted(info.columns.values())
        return [
            (index + 1, raw.rows[index])
            for index in range(info.header_row, len(raw.rows))
            if not blank_row(raw, index, used)
        ]

    # -- cells that cannot be read, and cells left empty ---------------------------------------

    def unusable_cell(self, key: str, row: int, col: int) -> bool:
        """Report a formula without a result or an error value at (row, col); True if so."""
        raw = self.raw[key]
        pos = (row - 1, col)
        if pos in raw.formula_missing:
            formula = raw.formula_missing[pos]
            self.issues.append(
                Issue("formula-no-value", raw.name, cell_name(row, col), {"formula": formula})
            )
            return True
        if pos in raw.errors:
            self.issues.append(
                Issue("cell-error", raw.name, cell_name(row, col), {"value": raw.errors[pos]})
            )
            return True
        return False

    def cell(self, key: str, row: int, column: str) -> tuple[Any, str | None, bool]:
        """(value, cell name, unusable): unusable when the cell has a formula without a result
        or an error value, which has been reported."""
        info = self.sheets[key]
        col = info.columns.get(column)
        if col is None:
            return None, None, False
        cell = cell_name(row, col)
        if self.unusable_cell(key, row, col):
            return None, cell, True
        value = self.raw[key].value(row - 1, col)
        return (None if blank(value) else value), cell, False

    def label(self, key: str, column: str) -> Word:
        """A column's name in both languages, for a message."""
        spec = next(s for s in schema.SHEETS if s.key == key)
        col = spec.column(column)
        return Word(col.en, col.da)

    def missing(self, key: str, row: int, column: str, kpi: str | None = None) -> None:
        """Report a required cell left empty."""
        info = self.sheets[key]
        for_kpi = Text(" for KPI '{kpi}'", kpi=kpi) if kpi else ""
        self.issues.append(
            Issue(
                "missing-value",
                info.name,
                info.loc(row, column).cell,
                {"column": self.label(key, column), "for_kpi": for_kpi},
            )
        )

    def value(
        self, key: str, row: int, column: str, required: bool, kpi: str | None
    ) -> tuple[Any, str | None] | None:
        """(value, cell) of a cell with a value; None for an empty or unusable cell, after
        reporting it (an empty required cell, a formula without a result, an error value)."""
        value, cell, unusable = self.cell(key, row, column)
        if unusable:
            return None
        if value is None:
            if required and column in self.sheets[key].columns:
                self.missing(key, row, column, kpi)
            return None
        return value, cell

    # -- cell readers ----------------------------------------------------------------------------

    def kpi_id(self, key: str, row: int) -> str | None:
        """A row's KPI id (required), as the KPIs sheet spells it when it matches one there
        ignoring case."""
        kpi_id = self.text(key, row, "kpi", required=True)
        return None if kpi_id is None else self.canonical.get(kpi_id.casefold(), kpi_id)

    def text(
        self, key: str, row: int, column: str, required: bool = False, kpi: str | None = None
    ) -> str | None:
        """A cell as text: whole numbers without ".0", dates as ISO dates."""
        found = self.value(key, row, column, required, kpi)
        if found is None:
            return None
        value = found[0]
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        if isinstance(value, dt.datetime | dt.date):
            return value.isoformat()[:10]
        return str(value).strip()

    def number(
        self,
        key: str,
        row: int,
        column: str,
        unit: Unit | None = None,
        required: bool = False,
        kpi: str | None = None,
    ) -> float | None:
        """A cell as a number, in the KPI's ``unit`` (a percent KPI's 42 is 0.42)."""
        found = self.value(key, row, column, required, kpi)
        if found is None:
            return None
        return self.to_number(key, row, column, *found, unit)

    def to_number(
        self, key: str, row: int, column: str, value: Any, cell: str | None, unit: Unit | None
    ) -> float | None:
        """``value`` as a number, or None after reporting that it is not one."""
        sheet = self.sheets[key].name
        try:
            parsed = parse_number(value, self.lang)
        except NotANumber:
            shown = value.isoformat() if isinstance(value, dt.date | dt.time) else str(value)
            self.issues.append(
                Issue(
                    "not-a-number",
                    sheet,
                    cell,
                    {"value": shown, "column": self.label(key, column)},
                )
            )
            return None
        if not in_range(parsed.value):
            # as typed, or in the short form of a float: 1e+40, not forty groups of zeros
            shown = value.strip() if isinstance(value, str) else f"{parsed.value:.6g}"
            limit = Number(MAX_MAGNITUDE, 0)
            args = {"value": shown, "column": self.label(key, column), "limit": limit}
            self.issues.append(Issue("number-out-of-range", sheet, cell, args))
            return None
        result = parsed.value
        if parsed.percent_sign:
            result = hundredths(result)
        elif unit is not None and unit.is_percent:
            # The percent rule: 42 % shown from 0.42 in a percent-formatted cell, or a plain 42.
            in_percent_cell = (row - 1, self.sheets[key].columns[column]) in self.raw[key].percent
            if parsed.from_text or not in_percent_cell:
                result = hundredths(result)
        if parsed.from_text:
            read_as: Percent | Number = (
                Percent(result)
                if (parsed.percent_sign or (unit and unit.is_percent))
                else Number(result, 6)
            )
            self.issues.append(
                Issue(
                    "number-as-text", sheet, cell, {"value": str(value).strip(), "number": read_as}
                )
            )
        return result

    def date(
        self,
        key: str,
        row: int,
        column: str,
        required: bool = False,
        end: bool = False,
        kpi: str | None = None,
    ) -> tuple[dt.date, str] | None:
        """(date, granularity). ``end``: a period stands for its last day (for deadlines)."""
        found = self.value(key, row, column, required, kpi)
        if found is None:
            return None
        return self.to_date(key, *found, end)

    def to_date(
        self, key: str, value: Any, cell: str | None, end: bool = False
    ) -> tuple[dt.date, str] | None:
        """``value`` as (date, granularity), or None after reporting that it is not a date."""
        sheet = self.sheets[key].name
        try:
            when = parse_date(value)
        except NotADate:
            shown = value.isoformat() if isinstance(value, dt.time) else str(value)
            if isinstance(value, float) and value.is_integer():
                shown = str(int(value))
            self.issues.append(Issue("bad-date", sheet, cell, {"value": shown}))
            return None
        if not year_in_range(when.date):
            shown = value.strip() if isinstance(value, str) else when.date.isoformat()
            args = {"value": shown, "first": MIN_YEAR, "last": MAX_YEAR}
            self.issues.append(Issue("date-out-of-range", sheet, cell, args))
            return None
        date = granularity_end(when.date, when.granularity) if end else when.date
        if when.note:
            shown_number = str(int(value)) if float(value).is_integer() else str(value)
            self.issues.append(
                Issue("date-as-number", sheet, cell, {"value": shown_number, "date": Date(date)})
            )
        return date, when.granularity

    def choice(
        self,
        key: str,
        row: int,
        column: str,
        choices: dict[str, tuple[str, ...]],
        code: str,
        required: bool = False,
        kpi: str | None = None,
    ) -> str | None:
        """The canonical choice a cell names (in either language), or None; a cell naming none
        of ``choices`` is reported as ``code``."""
        text = self.text(key, row, column, required=required, kpi=kpi)
        if text is None:
            return None
        canonical = schema.match_choice(choices, text)
        if canonical is None:
            info = self.sheets[key]
            self.issues.append(Issue(code, info.name, info.loc(row, column).cell, {"value": text}))
        return canonical

    def color(self, key: str, row: int, column: str) -> str | None:
        """A cell as a colour ``#RRGGBB``, or None."""
        text = self.text(key, row, column)
        if text is None:
            return None
        info = self.sheets[key]
        return self.to_color(info.name, info.loc(row, column).cell, text)

    def to_color(self, sheet: str, cell: str | None, text: str) -> str | None:
        """``text`` as a colour ``#RRGGBB``, or None after reporting that it is not one."""
        m = _COLOR.match(text)
        if m is None:
            self.issues.append(Issue("bad-color", sheet, cell, {"value": text}))
            return None
        return "#" + m.group(1).upper()

    def emails(self, sheet: str, cell: str | None, text: str | None) -> list[str]:
        """The addresses in ``text``; each one that is not an address is reported."""
        if text is None:
            return []
        out = []
        for part in split_addresses(text):
            address = email_address(part)
            if address is None:
                self.issues.append(Issue("bad-email", sheet, cell, {"value": part}))
            else:
                out.append(address)
        # Line breaks inside one address are an injection attempt, not a list: refuse the cell.
        if any(ch in text for ch in "\r\0"):
            self.issues.append(
                Issue(
                    "bad-email",
                    sheet,
                    cell,
                    {"value": text.replace("\r", "\\r").replace("\n", "\\n")},
                )
            )
            return []
        return out
