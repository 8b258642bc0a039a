"""Write a ready-to-fill KPI workbook that follows the contract (``kpireport init``)."""

from __future__ import annotations

import datetime as dt
import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from kpireport.errors import OutputError, UsageError
from kpireport.i18n import N_, get_locale
from kpireport.resources import template_text
from kpireport.schema import (
    BENCHMARKS,
    CHOICE_LABELS,
    DEPARTMENTS,
    KPIS,
    LANGUAGES,
    SETTING_KEYS,
    SETTINGS,
    SHEETS,
    WORKBOOK_LANGUAGES,
    Column,
    SheetSpec,
    match_choice,
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
PERCENT_FORMAT = "0.0%"
SHARE_FORMAT = "0%"
# Dropdowns cover this many rows: far more than a KPI workbook needs, few enough to stay light.
VALIDATION_ROWS = 1000
DEPARTMENT_LIST_ROWS = 200

_DEFAULT_NAMES = {"en": "kpi-workbook.xlsx", "da": "kpi-projektmappe.xlsx"}
_INSTRUCTIONS_TITLE = {"en": "Instructions", "da": "Vejledning"}
_SETTINGS_HEADER = {"en": ("key", "value"), "da": ("indstilling", "værdi")}
_DATE_COLUMNS = {
    "kpis": ("deadline", "baseline_date"),
    "measurements": ("date",),
    "benchmarks": ("date",),
}
# Sheet key -> column key -> the CHOICE_LABELS entry its dropdown lists.
_CHOICE_COLUMNS = {
    "kpis": {"direction": "direction", "frequency": "frequency", "aggregation": "aggregation"},
    "benchmarks": {"kind": "kind"},
}
# (title, message) of the error a dropdown shows for a value not in its list
_NOT_IN_LIST = (N_("Not in the list"), N_("Choose a value from the dropdown list."))
_UNKNOWN_DEPARTMENT = (
    N_("Unknown department"),
    N_("Pick a department from the Departments sheet, or add it there."),
)

# Fixed dates rather than today's: the example must stay consistent however long after it is
# written the workbook is opened (deadlines after the report date, measurements before it).
REPORT_DATE = dt.date(2026, 3, 31)
_BASELINE_DATE = dt.date(2025, 12, 31)
_DEADLINE = dt.date(2026, 12, 31)
_MONTHS = (dt.date(2026, 1, 31), dt.date(2026, 2, 28), dt.date(2026, 3, 31))

_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDE3EA")
_MIN_WIDTH, _MAX_WIDTH = 8, 48


@dataclass(frozen=True)
class _Percent:
    """A share stored as 0.42 in a percent-formatted cell, as Excel keeps a typed 42 %."""

    value: float
    number_format: str = PERCENT_FORMAT


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
    _write_instructions(workbook.active, lang)
    examples = _examples(lang)
    for spec in SHEETS:
        sheet = workbook.create_sheet(spec.title(lang))
        if spec is SETTINGS:
            _write_settings(sheet, lang)
        else:
            _write_table(sheet, spec, lang, examples[spec.key])
    _add_dropdowns(workbook, lang)
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


def _examples(lang: str) -> dict[str, list[dict[str, Any]]]:
    """Example rows per sheet, column key -> value, consistent with each other and the contract."""

    def t(en: str, da: str) -> str:
        return da if lang == "da" else en

    def choice(field: str, canonical: str) -> str:
        return CHOICE_LABELS[field][lang][canonical]

    sales, service = t("Sales", "Salg"), t("Customer Service", "Kundeservice")
    customers, win_rate, response = (
        t("SALES-01", "SALG-01"),
        t("SALES-02", "SALG-02"),
        t("SERVICE-01", "KUNDE-01"),
    )
    departments = [
        {
            "department": sales,
            "head": "Anna Jensen",
            "email": "anna.jensen@example.com",
            "color": "#1F6FB2",
        },
        {
            "department": service,
            "head": "Peter Nielsen",
            "email": "peter.nielsen@example.com; service-leads@example.com",
        },
    ]
    kpis = [
        {
            "id": customers,
            "department": sales,
            "name": t("New customers", "Nye kunder"),
            "description": t(
                "Customers with a first paid order in the month; renewals not counted",
                "Kunder med en første betalt ordre i måneden; fornyelser tælles ikke med",
            ),
            "unit": t("count", "antal"),
            "direction": choice("direction", "higher"),
            "target": 60,
            "deadline": _DEADLINE,
            "baseline": 30,
            "baseline_date": _BASELINE_DATE,
            "frequency": choice("frequency", "monthly"),
            "aggregation": choice("aggregation", "sum"),
            "objective": t("Grow revenue 20 % in 2026", "Øge omsætningen 20 % i 2026"),
            "owner": "Anna Jensen",
            "data_source": t("CRM, report 'New accounts'", "CRM, rapporten 'Nye konti'"),
            "weight": 2,
        },
        {
            "id": win_rate,
            "department": sales,
            "name": t("Win rate", "Hitrate"),
            "description": t(
                "Won offers as a share of all offers closed in the month",
                "Vundne tilbud som andel af alle tilbud afsluttet i måneden",
            ),
            "unit": "%",
            "direction": choice("direction", "higher"),
            "target": _Percent(0.42),
            "deadline": _DEADLINE,
            "baseline": _Percent(0.30),
            "baseline_date": _BASELINE_DATE,
            "frequency": choice("frequency", "monthly"),
            "aggregation": choice("aggregation", "mean"),
            "objective": t("Sell more with the same team", "Sælge mere med det samme team"),
            "owner": "Mikkel Holm",
            "data_source": t("CRM, offer pipeline", "CRM, tilbudspipeline"),
            "weight": 1,
        },
        {
            "id": response,
            "department": service,
            "name": t("First response time", "Første svartid"),
            "description": t(
                "Mean hours from a ticket being opened to the first human reply",
                "Gennemsnitlige timer fra en sag oprettes til det første svar fra en medarbejder",
            ),
            "unit": t("hours", "timer"),
            "direction": choice("direction", "lower"),
            "target": 4,
            "deadline": _DEADLINE,
            "baseline": 12,
            "baseline_date": _BASELINE_DATE,
            "frequency": choice("frequency", "monthly"),
            "aggregation": choice("aggregation", "mean"),
            "objective": t("Keep customers satisfied and loyal", "Fastholde tilfredse kunder"),
            "owner": "Peter Nielsen",
            "data_source": t("Helpdesk system, ticket log", "Helpdesksystem, sagslog"),
            "weight": 1,
        },
    ]
    series: list[tuple[str, tuple[Any, ...]]] = [
        (customers, (34, 38, 41)),
        (win_rate, (_Percent(0.31), _Percent(0.33), _Percent(0.36))),
        (response, (11, 10, 9.5)),
    ]
    measurements = [
        {"kpi": kpi, "date": date, "value": value}
        for kpi, values in series
        for date, value in zip(_MONTHS, values, strict=True)
    ]
    measurements[2]["note"] = t("Spring campaign started", "Forårskampagne startet")
    benchmarks = [
        {
            "kpi": win_rate,
            "source": t("Industry average 2025", "Branchegennemsnit 2025"),
            "value": _Percent(0.35),
            "kind": choice("kind", "industry"),
            "date": _BASELINE_DATE,
        },
        {
            "kpi": response,
            "source": t("Competitor survey 2025", "Konkurrentundersøgelse 2025"),
            "value": 6,
            "kind": choice("kind", "competitor"),
            "date": _BASELINE_DATE,
        },
        {
            "kpi": customers,
            "source": t("Best region 2025", "Bedste region 2025"),
            "value": 50,
            "kind": choice("kind", "internal"),
            "date": _BASELINE_DATE,
        },
    ]
    return {
        "departments": departments,
        "kpis": kpis,
        "measurements": measurements,
        "benchmarks": benchmarks,
    }


def _settings_values(lang: str) -> dict[str, Any]:
    da = lang == "da"
    return {
        "company": "Eksempel A/S" if da else "Example Ltd",
        "title": "KPI-rapport" if da else "KPI report",
        "report_date": REPORT_DATE,
        "language": lang,
        "currency": "DKK",
        "logo": None,  # a file name here must exist next to the workbook, so none in the example
        "primary_color": "#1F3A5F",
        "accent_color": "#E07A1F",
        "on_track": _Percent(0.95, SHARE_FORMAT),
        "at_risk": _Percent(0.80, SHARE_FORMAT),
        "board_recipients": "bestyrelse@example.com" if da else "board@example.com",
    }


def _header(column: Column, lang: str) -> str:
    return column.da if lang == "da" else column.en


def _style_header(sheet: Worksheet) -> None:
    for cell in sheet[1]:
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
    sheet.freeze_panes = "A2"


def _put(sheet: Worksheet, row: int, col: int, value: Any) -> int:
    """Write one value with the number format its type calls for; return its display width."""
    if value is None:
        return 0
    cell = sheet.cell(row=row, column=col)
    if isinstance(value, _Percent):
        cell.value = value.value
        cell.number_format = value.number_format
        return 7
    cell.value = value
    if isinstance(value, dt.date):
        cell.number_format = DATE_FORMAT
        return len(DATE_FORMAT)
    return len(str(value))


def _fit_width(sheet: Worksheet, col: int, width: int) -> None:
    sheet.column_dimensions[get_column_letter(col)].width = max(
        _MIN_WIDTH, min(_MAX_WIDTH, width + 2)
    )


def _write_table(sheet: Worksheet, spec: SheetSpec, lang: str, rows: list[dict[str, Any]]) -> None:
    date_columns = _DATE_COLUMNS.get(spec.key, ())
    for col, column in enumerate(spec.columns, start=1):
        header = _header(column, lang)
        sheet.cell(row=1, column=col, value=header)
        width = len(header)
        for row, values in enumerate(rows, start=2):
            width = max(width, _put(sheet, row, col, values.get(column.key)))
        _fit_width(sheet, col, width)
        if column.key in date_columns:
            # A column style, so dates typed in new rows show the same way without pre-made cells.
            sheet.column_dimensions[get_column_letter(col)].number_format = DATE_FORMAT
    _style_header(sheet)


def _write_settings(sheet: Worksheet, lang: str) -> None:
    key_header, value_header = _SETTINGS_HEADER[lang]
    sheet.append([key_header, value_header])
    values = _settings_values(lang)
    key_width, value_width = len(key_header), len(value_header)
    for row, key in enumerate(SETTING_KEYS, start=2):
        name = key.da if lang == "da" else key.en
        sheet.cell(row=row, column=1, value=name)
        key_width = max(key_width, len(name))
        value_width = max(value_width, _put(sheet, row, 2, values[key.key]))
    _fit_width(sheet, 1, key_width)
    _fit_width(sheet, 2, value_width)
    _style_header(sheet)


def _write_instructions(sheet: Worksheet, lang: str) -> None:
    sheet.title = _INSTRUCTIONS_TITLE[lang]
    text = template_text(f"init/instructions.{lang}.md")
    wrap = Alignment(wrap_text=True, vertical="top")
    for row, line in enumerate(text.splitlines(), start=1):
        line = line.rstrip()
        if not line:
            continue
        cell = sheet.cell(row=row, column=1)
        if line.startswith("#"):
            level = len(line) - len(line.lstrip("#"))
            cell.value = line.lstrip("#").strip()
            cell.font = Font(bold=True, size=16 if level == 1 else 12)
        elif line.startswith("- "):
            cell.value = "• " + line[2:]
        else:
            cell.value = line
        cell.alignment = wrap
    sheet.column_dimensions["A"].width = 110


def _quote_sheet(name: str) -> str:
    # Always quoted: valid for every name, and Danish names may hold spaces or apostrophes.
    return "'" + name.replace("'", "''") + "'"


def _list_validation(formula: str, messages: tuple[str, str]) -> DataValidation:
    # A warning, not a stop: the reader accepts more spellings than a dropdown can show
    # ("higher is better", "up"), so a typed variant should be questioned, not blocked.
    title, message = messages
    return DataValidation(
        type="list",
        formula1=formula,
        allow_blank=True,
        showErrorMessage=True,
        errorStyle="warning",
        errorTitle=title,
        error=message,
    )


def _column_letter(spec: SheetSpec, key: str) -> str:
    return get_column_letter(spec.columns.index(spec.column(key)) + 1)


def _choice_list(labels: Iterable[str]) -> str:
    # An inline list is one quoted, comma-separated string; no label holds a comma or a quote.
    return '"' + ",".join(labels) + '"'


def _add_dropdowns(workbook: Workbook, lang: str) -> None:
    for spec in (KPIS, BENCHMARKS):
        sheet = workbook[spec.title(lang)]
        for key, field in _CHOICE_COLUMNS[spec.key].items():
            validation = _list_validation(
                _choice_list(CHOICE_LABELS[field][lang].values()), _translated(_NOT_IN_LIST, lang)
            )
            letter = _column_letter(spec, key)
            validation.add(f"{letter}2:{letter}{VALIDATION_ROWS}")
            sheet.add_data_validation(validation)

    # The department list is the Departments sheet itself, so a department added there shows up.
    # Stored without a leading "=", as Excel itself writes list sources in the file.
    source = _column_letter(DEPARTMENTS, "department")
    validation = _list_validation(
        f"{_quote_sheet(DEPARTMENTS.title(lang))}!${source}$2:${source}${DEPARTMENT_LIST_ROWS}",
        _translated(_UNKNOWN_DEPARTMENT, lang),
    )
    letter = _column_letter(KPIS, "department")
    validation.add(f"{letter}2:{letter}{VALIDATION_ROWS}")
    workbook[KPIS.title(lang)].add_data_validation(validation)

    language = _list_validation(_choice_list(LANGUAGES), _translated(_NOT_IN_LIST, lang))
    language.add(f"B{_setting_row('language')}")
    workbook[SETTINGS.title(lang)].add_data_validation(language)


def _translated(texts: tuple[str, str], lang: str) -> tuple[str, str]:
    locale = get_locale(lang)
    return locale.gettext(texts[0]), locale.gettext(texts[1])


def _setting_row(key: str) -> int:
    """The Excel row of a setting's value: below the header, in SETTING_KEYS order."""
    return 2 + [k.key for k in SETTING_KEYS].index(key)
