"""Write a ready-to-fill KPI workbook that follows the contract (``kpireport init``)."""

from __future__ import annotations

import datetime as dt
import os
import secrets
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from kpireport.errors import OutputError, UsageError
from kpireport.i18n import get_locale
from kpireport.schema import (
    CHOICE_LABELS,
    LANGUAGES,
    PAGE_SIZES,
    SETTING_KEYS,
    SETTINGS,
    SHEETS,
    WORKBOOK_LANGUAGES,
    Column,
    SheetSpec,
    match_choice,
)
from kpireport.template_examples import PERCENT_FORMAT, PercentCell, examples, settings_values
from kpireport.template_guides import (
    REPORT_DATE_RULE,
    VALIDATION_ROWS,
    add_dropdowns,
    add_percent_notes,
    add_setting_dropdown,
    write_instructions,
    write_rule,
)

__all__ = [
    "DATE_FORMAT",
    "PERCENT_FORMAT",
    "VALIDATION_ROWS",
    "build_workbook",
    "default_name",
    "write_template",
]

DATE_FORMAT = "yyyy-mm-dd"
# A plan's period is a month: shown as one, whatever day of it is typed.
MONTH_FORMAT = "yyyy-mm"

_DEFAULT_NAMES = {"en": "kpi-workbook.xlsx", "da": "kpi-projektmappe.xlsx"}
_SETTINGS_HEADER = {"en": ("key", "value"), "da": ("indstilling", "værdi")}
# Sheet key -> column key -> the number format of its dates.
_DATE_COLUMNS = {
    "kpis": {"deadline": DATE_FORMAT, "baseline_date": DATE_FORMAT},
    "measurements": {"date": DATE_FORMAT},
    "benchmarks": {"date": DATE_FORMAT},
    "plan": {"period": MONTH_FORMAT},
    "comments": {"due": DATE_FORMAT},
}
_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDE3EA")
_MIN_WIDTH, _MAX_WIDTH = 8, 48


def _lang(lang: str) -> str:
    """A workbook language: the sheets, headers and examples of a new workbook are in one."""
    canonical = match_choice(LANGUAGES, lang)
    if canonical not in WORKBOOK_LANGUAGES:
        raise UsageError(f"unknown language {lang!r}; use {' or '.join(WORKBOOK_LANGUAGES)}")
    return canonical


def default_name(lang: str) -> str:
    """The file name ``kpireport init`` uses when no path is given."""
    return _DEFAULT_NAMES[_lang(lang)]


def write_template(path: Path, lang: str = "en", *, force: bool = False) -> Path:
    """Write a ready-to-fill workbook with example rows to ``path`` and return the path.

    Refuses to replace an existing file unless ``force``; the file appears whole or not at all.
    """
    lang = _lang(lang)
    path = Path(path)
    _check_target(path, force)
    workbook = build_workbook(lang)
    _save_atomically(workbook, path, force)
    return path


def build_workbook(lang: str) -> Workbook:
    """The template workbook in memory: instructions first, then the contract sheets."""
    lang = _lang(lang)
    workbook = Workbook()
    write_instructions(workbook.active, lang)
    rows = examples(lang)
    for spec in SHEETS:
        sheet = workbook.create_sheet(spec.title(lang))
        if spec is SETTINGS:
            _write_settings(sheet, lang)
        else:
            _write_table(sheet, spec, lang, rows[spec.key])
    add_dropdowns(workbook, lang)
    add_percent_notes(workbook, lang)
    workbook.properties.creator = "kpireport"
    return workbook


def _check_target(path: Path, force: bool) -> None:
    if path.is_dir():
        raise OutputError(f"{path} is a folder; give a file name ending in .xlsx")
    # openpyxl cannot write a valid .xlsm without a macro part to carry over, so only .xlsx.
    if path.suffix.lower() != ".xlsx":
        raise OutputError(f"{path}: a new workbook must be an .xlsx file")
    if path.exists() and not force:
        raise OutputError(f"{path} already exists; use --force to overwrite it")
    if not path.parent.is_dir():
        raise OutputError(f"cannot write {path}: the folder {path.parent} does not exist")


def _save_atomically(workbook: Workbook, path: Path, force: bool) -> None:
    # The temporary file sits beside the target so os.replace is a rename on one file system.
    # os.open with 0o666 (not mkstemp's 0o600) lets the umask decide the workbook's permissions.
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        workbook.save(tmp)
        # Checked again: another program may have created the file while this one was saving.
        if path.exists() and not force:
            raise OutputError(f"{path} already exists; use --force to overwrite it")
        os.replace(tmp, path)
    except PermissionError as exc:
        raise OutputError(
            f"cannot write {path}: permission denied; close it if it is open in Excel"
        ) from exc
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from exc
    finally:
        tmp.unlink(missing_ok=True)


def _header(column: Column, lang: str) -> str:
    return column.da if lang == "da" else column.en


def _style_header(sheet: Worksheet) -> None:
    for cell in sheet[1]:
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
    sheet.freeze_panes = "A2"


def _put(sheet: Worksheet, row: int, col: int, value: Any, date_format: str = DATE_FORMAT) -> int:
    """Write one value with the number format its type calls for; return its display width."""
    if value is None:
        return 0
    cell = sheet.cell(row=row, column=col)
    if isinstance(value, PercentCell):
        cell.value = value.value
        cell.number_format = value.number_format
        return 7
    cell.value = value
    if isinstance(value, dt.date):
        cell.number_format = date_format
        return len(date_format)
    return len(str(value))


def _fit_width(sheet: Worksheet, col: int, width: int) -> None:
    sheet.column_dimensions[get_column_letter(col)].width = max(
        _MIN_WIDTH, min(_MAX_WIDTH, width + 2)
    )


def _write_table(sheet: Worksheet, spec: SheetSpec, lang: str, rows: list[dict[str, Any]]) -> None:
    date_formats = _DATE_COLUMNS.get(spec.key, {})
    for col, column in enumerate(spec.columns, start=1):
        header = _header(column, lang)
        sheet.cell(row=1, column=col, value=header)
        width = len(header)
        date_format = date_formats.get(column.key, DATE_FORMAT)
        for row, values in enumerate(rows, start=2):
            width = max(width, _put(sheet, row, col, values.get(column.key), date_format))
        _fit_width(sheet, col, width)
        if column.key in date_formats:
            # A column style, so dates typed in new rows show the same way without pre-made cells.
            sheet.column_dimensions[get_column_letter(col)].number_format = date_format
    _style_header(sheet)


def _write_settings(sheet: Worksheet, lang: str) -> None:
    key_header, value_header = _SETTINGS_HEADER[lang]
    sheet.append([key_header, value_header])
    values = settings_values(lang)
    key_width, value_width = len(key_header), len(DATE_FORMAT)
    for row, key in enumerate(SETTING_KEYS, start=2):
        name = key.da if lang == "da" else key.en
        sheet.cell(row=row, column=1, value=name)
        key_width = max(key_width, len(name))
        value_width = max(value_width, _put(sheet, row, 2, values[key.key]))
    _fit_width(sheet, 1, key_width)
    _fit_width(sheet, 2, value_width)
    _style_header(sheet)
    # The report date is left empty, the value cell formatted for a date typed there later,
    # and the rule written beside it: a date left from an earlier report would leave every
    # later measurement out without a word (issue 13, point 3).
    row = _setting_row("report_date")
    sheet.cell(row=row, column=2).number_format = DATE_FORMAT
    write_rule(sheet, row, 3, get_locale(lang).gettext(REPORT_DATE_RULE))
    add_setting_dropdown(sheet, f"B{_setting_row('language')}", LANGUAGES, lang)
    months = CHOICE_LABELS["month"][lang].values()
    add_setting_dropdown(sheet, f"B{_setting_row('fiscal_year_start')}", months, lang)
    add_setting_dropdown(sheet, f"B{_setting_row('page_size')}", PAGE_SIZES.values(), lang)


def _setting_row(key: str) -> int:
    """The Excel row of a setting's value: below the header, in SETTING_KEYS order."""
    return 2 + [k.key for k in SETTING_KEYS].index(key)
