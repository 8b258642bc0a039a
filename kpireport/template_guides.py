"""What guides the hand in a new workbook (``kpireport init``): dropdowns, notes on the number
columns, and the Instructions sheet laid out to read whole in Excel, LibreOffice and on paper."""

from __future__ import annotations

import math
import textwrap
from collections.abc import Iterable

from openpyxl import Workbook
from openpyxl.cell import Cell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from kpireport.i18n import N_, get_locale
from kpireport.resources import template_text
from kpireport.schema import (
    BENCHMARKS,
    CHOICE_LABELS,
    DEPARTMENTS,
    KPIS,
    MEASUREMENTS,
    PLAN,
    SHEETS,
    SheetSpec,
)

# Dropdowns cover this many rows: far more than a KPI workbook needs, few enough to stay light.
# And no more: LibreOffice (7.4) cuts a dropdown reaching further down to its first 1,002 rows
# when it saves an xlsx. A row below still takes any value; only the list is missing there.
VALIDATION_ROWS = 1000
DEPARTMENT_LIST_ROWS = 200
# The instructions' column: 72 characters of Calibri 11 are about 510 pixels, inside the 660
# that A4 leaves between Excel's default margins (Letter is wider), with room for LibreOffice,
# which draws Calibri as the wider DejaVu Sans where Calibri is not installed and does not
# shrink the sheet to the page: at 90 the right end of every long line was cut off in print.
INSTRUCTIONS_WIDTH = 72
INSTRUCTIONS_TITLE = {"en": "Instructions", "da": "Vejledning"}
NOTE_WIDTH = 60

# Sheet key -> column key -> the CHOICE_LABELS entry its dropdown lists.
_CHOICE_COLUMNS = {
    "kpis": {
        "direction": "direction",
        "frequency": "frequency",
        "aggregation": "aggregation",
        "goal": "goal",
    },
    "benchmarks": {"kind": "kind"},
}
# The number columns the percent rule applies to in a % KPI: their headers carry a note.
_PERCENT_COLUMNS = (
    (KPIS, "target"),
    (KPIS, "baseline"),
    (MEASUREMENTS, "value"),
    (BENCHMARKS, "value"),
    (PLAN, "target"),
)
_PER_KPI = tuple(spec for spec in SHEETS if any(column.key == "kpi" for column in spec.columns))

# (title, message) of the box a dropdown shows for a value not in its list; Excel allows 32 and
# 225 characters.
_NOT_IN_LIST = (N_("Not in the list"), N_("Choose a value from the dropdown list."))
_UNKNOWN_DEPARTMENT = (
    N_("Unknown department"),
    N_("Pick a department from the Departments sheet, or add it there."),
)
_UNKNOWN_KPI = (
    N_("Unknown KPI"),
    N_("Pick a KPI id from the KPIs sheet, or add the KPI there first."),
)
_UNIT_OF_YOUR_OWN = (
    N_("A unit of your own"),
    N_(
        "Not one of the listed units, which is fine: it is shown as typed. For a percentage "
        "pick %, for money a currency code."
    ),
)
# (title, message) shown when a unit cell is selected: where a KPI becomes a percentage is where
# to say how one is typed. Excel allows 32 and 255 characters.
_UNIT_PROMPT = (
    N_("Unit"),
    N_(
        "Pick a unit or type your own, such as visits. For %, type targets and values as 42 % "
        "or a plain 42, never 0.42 without a percent format: that is 0.42 %."
    ),
)
# Why a note and not a conditional format that shows a % KPI's cells as percentages: the percent
# rule reads a cell's own format, so under such a format a plain 0.42 would show 42.0 % and be
# read as 0.42 % (LibreOffice and Excel both apply it); what a cell shows must be what is read.
PERCENT_NOTE = N_(
    "For a % KPI, type 42 % or a plain 42: both mean 42 %. A plain 0.42 in a cell without percent "
    "format means 0.42 %."
)
REPORT_DATE_RULE = N_(
    "Empty: the date of the latest measurement. Type a date only to report as of an earlier day; "
    "measurements after it are then left out."
)

_NOTE_FONT = Font(name="Calibri", size=10, italic=True, color="595959")
_WRAP = Alignment(wrap_text=True, vertical="top")
# Conservative, so that no line is cut off in any common font: a line holds 80 % of the
# column's width in characters (DejaVu Sans, LibreOffice's fallback for Calibri, is about 15 %
# wider than Calibri), and is 1.3 times the font size high.
_FILL = 0.8
_LINE_HEIGHT = 1.3


def _translated(texts: tuple[str, str], lang: str) -> tuple[str, str]:
    locale = get_locale(lang)
    return locale.gettext(texts[0]), locale.gettext(texts[1])


def _quote_sheet(name: str) -> str:
    # Always quoted: valid for every name, and Danish names may hold spaces or apostrophes.
    return "'" + name.replace("'", "''") + "'"


def _column_letter(spec: SheetSpec, key: str) -> str:
    return get_column_letter(spec.columns.index(spec.column(key)) + 1)


def _column_source(spec: SheetSpec, key: str, lang: str, rows: int) -> str:
    """The cells of a sheet's column below its header, as a dropdown's list; empty rows included,
    so that what is added there appears in the list (Excel and LibreOffice leave out blanks).
    Stored without a leading "=", as Excel itself writes list sources in the file."""
    letter = _column_letter(spec, key)
    return f"{_quote_sheet(spec.title(lang))}!${letter}$2:${letter}${rows}"


def _choice_list(labels: Iterable[str]) -> str:
    # An inline list is one quoted, comma-separated string; no label holds a comma or a quote.
    return '"' + ",".join(labels) + '"'


def _list_validation(
    formula: str, messages: tuple[str, str], style: str = "warning"
) -> DataValidation:
    # A warning, not a stop: the reader accepts more spellings than a dropdown can show
    # ("higher is better", "up"), so a typed variant should be questioned, not blocked.
    title, message = messages
    return DataValidation(
        type="list",
        formula1=formula,
        allow_blank=True,
        showErrorMessage=True,
        errorStyle=style,
        errorTitle=title,
        error=message,
    )


def _add(workbook: Workbook, spec: SheetSpec, key: str, lang: str, dv: DataValidation) -> None:
    letter = _column_letter(spec, key)
    dv.add(f"{letter}2:{letter}{VALIDATION_ROWS}")
    workbook[spec.title(lang)].add_data_validation(dv)


def add_dropdowns(workbook: Workbook, lang: str) -> None:
    """Every dropdown: the fixed choices, the unit, the department and, on every per-KPI sheet,
    the KPI id, each list drawn from the sheet that defines its values."""
    not_in_list = _translated(_NOT_IN_LIST, lang)
    for spec in (KPIS, BENCHMARKS):
        for key, field in _CHOICE_COLUMNS[spec.key].items():
            labels = _choice_list(CHOICE_LABELS[field][lang].values())
            _add(workbook, spec, key, lang, _list_validation(labels, not_in_list))

    # "information": a unit of one's own (visits, NPS) is as good as a listed one.
    unit = _list_validation(
        _choice_list(CHOICE_LABELS["unit"][lang].values()),
        _translated(_UNIT_OF_YOUR_OWN, lang),
        style="information",
    )
    unit.showInputMessage = True
    unit.promptTitle, unit.prompt = _translated(_UNIT_PROMPT, lang)
    _add(workbook, KPIS, "unit", lang, unit)

    departments = _column_source(DEPARTMENTS, "department", lang, DEPARTMENT_LIST_ROWS)
    _add(
        workbook,
        KPIS,
        "department",
        lang,
        _list_validation(departments, _translated(_UNKNOWN_DEPARTMENT, lang)),
    )
    ids = _column_source(KPIS, "id", lang, VALIDATION_ROWS)
    for spec in _PER_KPI:
        _add(workbook, spec, "kpi", lang, _list_validation(ids, _translated(_UNKNOWN_KPI, lang)))


def add_setting_dropdown(sheet: Worksheet, cell: str, labels: Iterable[str], lang: str) -> None:
    """A dropdown on one setting's value cell, such as the language or the fiscal year's first
    month."""
    dropdown = _list_validation(_choice_list(labels), _translated(_NOT_IN_LIST, lang))
    dropdown.add(cell)
    sheet.add_data_validation(dropdown)


def add_percent_notes(workbook: Workbook, lang: str) -> None:
    """A note on the header of every number column a % KPI uses, saying how to type one."""
    text = get_locale(lang).gettext(PERCENT_NOTE)
    for spec, key in _PERCENT_COLUMNS:
        header = workbook[spec.title(lang)][f"{_column_letter(spec, key)}1"]
        header.comment = Comment(text, "kpireport", height=90, width=240)


def lines_needed(text: str, width: float, size: float) -> int:
    """How many lines ``text`` in a ``size`` point font takes, wrapped into a column ``width``
    characters of Calibri 11 wide, by a conservative estimate."""
    per_line = max(1, int(width * _FILL * 11 / size))
    return max(1, len(textwrap.wrap(text, per_line)))


def fit_row(sheet: Worksheet, cell: Cell, width: float) -> None:
    """Wrap ``cell`` and make its row high enough for all its lines. Both programs would size
    the row themselves only on editing: without a height, a second line is cut off."""
    cell.alignment = _WRAP
    size = float(cell.font.sz or 11)
    height = lines_needed(str(cell.value), width, size) * size * _LINE_HEIGHT
    current = sheet.row_dimensions[cell.row].height or 0
    sheet.row_dimensions[cell.row].height = max(current, math.ceil(height))


def write_rule(sheet: Worksheet, row: int, column: int, text: str) -> None:
    """A rule written beside a setting, in a quiet wrapped note."""
    cell = sheet.cell(row=row, column=column, value=text)
    cell.font = _NOTE_FONT
    sheet.column_dimensions[get_column_letter(column)].width = NOTE_WIDTH
    fit_row(sheet, cell, NOTE_WIDTH)


def write_instructions(sheet: Worksheet, lang: str) -> None:
    """The Instructions sheet, from templates/init/instructions.<lang>.md: a heading or a
    paragraph per cell, every row as high as its wrapped text, one page wide in print."""
    sheet.title = INSTRUCTIONS_TITLE[lang]
    text = template_text(f"init/instructions.{lang}.md")
    for row, line in enumerate(text.splitlines(), start=1):
        line = line.rstrip()
        if not line:
            continue
        cell = sheet.cell(row=row, column=1)
        if line.startswith("#"):
            level = len(line) - len(line.lstrip("#"))
            cell.value = line.lstrip("#").strip()
            cell.font = Font(name="Calibri", bold=True, size=16 if level == 1 else 12)
        else:
            cell.value = "• " + line[2:] if line.startswith("- ") else line
            cell.font = Font(name="Calibri", size=11)
        fit_row(sheet, cell, INSTRUCTIONS_WIDTH)
    sheet.column_dimensions["A"].width = INSTRUCTIONS_WIDTH
    sheet.sheet_view.showGridLines = False
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    sheet.page_setup.orientation = "portrait"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0  # as many pages down as the text needs


__all__ = [
    "INSTRUCTIONS_TITLE",
    "PERCENT_NOTE",
    "REPORT_DATE_RULE",
    "VALIDATION_ROWS",
    "add_dropdowns",
    "add_percent_notes",
    "add_setting_dropdown",
    "lines_needed",
    "write_instructions",
    "write_rule",
]
