"""Tests for kpireport.template: the workbook written by ``kpireport init``."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
import shutil
import subprocess
import tempfile
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import openpyxl
import pytest
from click.testing import CliRunner
from openpyxl.utils import get_column_letter
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from kpireport import template
from kpireport.cli import main
from kpireport.errors import OutputError, UsageError
from kpireport.i18n import get_locale
from kpireport.resources import template_text
from kpireport.schema import (
    AGGREGATIONS,
    BENCHMARK_KINDS,
    BENCHMARKS,
    CHOICE_LABELS,
    COMMENTS,
    DEPARTMENTS,
    DIRECTIONS,
    FREQUENCIES,
    KPIS,
    MEASUREMENTS,
    PLAN,
    SETTING_KEYS,
    SETTINGS,
    SHEETS,
    SheetSpec,
    match_choice,
    match_setting,
    parse_unit,
)
from kpireport.template import default_name, write_template
from kpireport.validate import check
from tests.workbook.test_libreoffice import SOFFICE, _fixture_script, needs_soffice

LANGS = ("en", "da")
INSTRUCTIONS = {"en": "Instructions", "da": "Vejledning"}
TABLES = (DEPARTMENTS, KPIS, MEASUREMENTS, BENCHMARKS, PLAN)
DATE_COLUMNS = {
    KPIS: ("deadline", "baseline_date"),
    MEASUREMENTS: ("date",),
    BENCHMARKS: ("date",),
}
SMART = ("description", "objective", "owner", "data_source")
# The English source of the guiding texts; the Danish workbook carries their translations.
REPORT_DATE_RULE = (
    "Empty: the date of the latest measurement. Type a date only to report as of an earlier "
    "day; measurements after it are then left out."
)
UNIT_PROMPT = (
    "Pick a unit or type your own, such as visits. For %, type targets and values as 42 % or a "
    "plain 42, never 0.42 without a percent format: that is 0.42 %."
)
UNIT_OF_YOUR_OWN = (
    "Not one of the listed units, which is fine: it is shown as typed. For a percentage pick %, "
    "for money a currency code."
)
PERCENT_NOTE = (
    "For a % KPI, type 42 % or a plain 42: both mean 42 %. A plain 0.42 in a cell without "
    "percent format means 0.42 %."
)


@pytest.fixture(scope="module", params=LANGS)
def written(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """(lang, workbook) for a template written to disk and read back."""
    lang = request.param
    path = tmp_path_factory.mktemp(lang) / default_name(lang)
    assert write_template(path, lang) == path
    return lang, openpyxl.load_workbook(path)


def header_index(sheet: Worksheet, spec: SheetSpec) -> dict[str, int]:
    """Column key -> 1-based column, found from the written headers as the reader would."""
    found = {}
    for cell in sheet[1]:
        column = spec.match_header(str(cell.value))
        assert column is not None, f"unknown header {cell.value!r}"
        found[column.key] = cell.column
    return found


def rows(sheet: Worksheet, spec: SheetSpec) -> list[dict[str, Any]]:
    """The example rows as column key -> value (absent when the cell is empty)."""
    index = header_index(sheet, spec)
    out = []
    for row in range(2, sheet.max_row + 1):
        values = {k: sheet.cell(row, c).value for k, c in index.items()}
        values = {k: v for k, v in values.items() if v not in (None, "")}
        if values:
            out.append(values)
    return out


def settings(workbook: Workbook, lang: str) -> dict[str, Any]:
    sheet = workbook[SETTINGS.title(lang)]
    out = {}
    for key_cell, value_cell in sheet.iter_rows(min_row=2, max_col=2):
        key = match_setting(str(key_cell.value))
        assert key is not None, f"unknown setting {key_cell.value!r}"
        out[key.key] = value_cell.value
    return out


def validations(sheet: Worksheet) -> dict[str, str]:
    """Cell range -> list source of every list dropdown on the sheet."""
    out = {}
    for dv in sheet.data_validations.dataValidation:
        assert dv.type == "list"
        for rng in str(dv.sqref).split():
            out[rng] = dv.formula1
    return out


def setting_row(sheet: Worksheet, key: str) -> int:
    """The row of a setting on the Settings sheet, found by its key as the reader would."""
    for row in range(2, sheet.max_row + 1):
        found = match_setting(str(sheet.cell(row, 1).value))
        if found is not None and found.key == key:
            return row
    raise AssertionError(f"no {key} on the Settings sheet")


def validation_at(sheet: Worksheet, cells: str) -> DataValidation:
    """The data validation that covers exactly the range ``cells``."""
    found = [dv for dv in sheet.data_validations.dataValidation if cells in str(dv.sqref).split()]
    assert len(found) == 1, (sheet.title, cells, found)
    return found[0]


def gettext(lang: str, message: str) -> str:
    return get_locale(lang).gettext(message)


def as_date(value: Any) -> dt.date:
    assert isinstance(value, dt.datetime | dt.date), f"{value!r} is not a date"
    return value.date() if isinstance(value, dt.datetime) else value


# --- sheets and headers -------------------------------------------------------------------------


def test_sheets_in_order_with_instructions_first(written) -> None:
    lang, wb = written
    assert wb.sheetnames == [INSTRUCTIONS[lang], *(spec.title(lang) for spec in SHEETS)]


def test_every_contract_column_header_in_the_chosen_language(written) -> None:
    lang, wb = written
    for spec in TABLES:
        headers = [cell.value for cell in wb[spec.title(lang)][1]]
        assert headers == [col.da if lang == "da" else col.en for col in spec.columns]


def test_settings_sheet_has_header_and_every_key_in_the_chosen_language(written) -> None:
    lang, wb = written
    sheet = wb[SETTINGS.title(lang)]
    # (column C holds the report date's rule, beside its value, under no header)
    assert [c.value for c in sheet[1] if c.value is not None] == (
        ["key", "value"] if lang == "en" else ["indstilling", "værdi"]
    )
    keys = [sheet.cell(row, 1).value for row in range(2, sheet.max_row + 1)]
    assert keys == [k.da if lang == "da" else k.en for k in SETTING_KEYS]


def test_settings_example_values(written) -> None:
    lang, wb = written
    values = settings(wb, lang)
    assert values["language"] == lang
    assert values["report_date"] is None  # the latest measurement decides (issue 13, point 3)
    assert values["currency"] == "DKK"
    assert 0 < values["at_risk"] < values["on_track"] <= 1
    for key in ("primary_color", "accent_color"):
        assert values[key].startswith("#") and len(values[key]) == 7


def test_headers_bold_and_frozen(written) -> None:
    lang, wb = written
    for spec in SHEETS:
        sheet = wb[spec.title(lang)]
        assert sheet.freeze_panes == "A2", spec.key
        assert all(cell.font.bold for cell in sheet[1] if cell.value is not None), spec.key


def test_columns_are_wide_enough_for_their_headers(written) -> None:
    lang, wb = written
    sheet = wb[KPIS.title(lang)]
    for cell in sheet[1]:
        width = sheet.column_dimensions[cell.column_letter].width
        assert width >= len(cell.value), cell.value


def test_report_date_rule_is_written_beside_it(written) -> None:
    lang, wb = written
    sheet = wb[SETTINGS.title(lang)]
    row = setting_row(sheet, "report_date")
    assert sheet.cell(row, 3).value == gettext(lang, REPORT_DATE_RULE)
    assert [r for r in range(1, sheet.max_row + 1) if sheet.cell(r, 3).value] == [row]
    if lang == "en":
        assert REPORT_DATE_RULE.startswith("Empty: the date of the latest measurement.")


@pytest.mark.parametrize("lang", LANGS)
def test_built_reports_take_the_report_date_from_the_latest_measurement(
    tmp_path: Path, lang: str
) -> None:
    path = write_template(tmp_path / default_name(lang), lang)
    out = tmp_path / "reports"
    result = CliRunner().invoke(
        main, ["build", str(path), "--format", "json", "-o", str(out), "--quiet"]
    )
    assert result.exit_code == 0, result.output
    (results,) = out.rglob("results.json")
    assert json.loads(results.read_text(encoding="utf-8"))["report_date"] == "2026-03-31"
    assert results.parent.name == "2026-03-31"


# --- instructions -------------------------------------------------------------------------------


def test_instructions_sheet_carries_the_shipped_text(written) -> None:
    lang, wb = written
    sheet = wb[INSTRUCTIONS[lang]]
    lines = [c.value for c in sheet["A"] if c.value]
    assert len(lines) > 20
    text = template_text(f"init/instructions.{lang}.md")
    assert lines[0] == text.splitlines()[0].lstrip("# ")
    assert sheet["A1"].font.bold
    joined = "\n".join(lines)
    assert "SMART" in joined and "2026-Q1" in joined and "42 %" in joined
    assert "#" not in joined.replace("#RRGGBB", "")  # markdown headings are rendered, not shown


# Excel's column width unit is one character of the default font, Calibri 11: 7 pixels at 96 dpi,
# plus 5 pixels of padding. DejaVu Sans, LibreOffice's fallback where Calibri and Carlito are
# missing, is wider than Calibri: text that fits its lines in DejaVu fits them in Calibri.
DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
needs_dejavu = pytest.mark.skipif(
    not (DEJAVU / "DejaVuSans.ttf").exists(),
    reason="DejaVu fonts are not installed: apt-get install fonts-dejavu-core",
)
# A4 between Excel's default margins of 0.7 in is 6.87 in wide; Letter is wider.
PRINTABLE_WIDTH_PX = (8.27 - 2 * 0.7) * 96
LINE_HEIGHT = 1.2  # of the font size: DejaVu's ascent and descent are 1.164 em, Calibri's 1.22


def column_pixels(width: float) -> float:
    return width * 7 + 5


def wrapped_lines(text: str, font: Any, width_px: float) -> int:
    """How many lines ``text`` takes in ``font`` wrapped at word boundaries into ``width_px``."""
    lines, line = 1, ""
    for word in text.split():
        candidate = f"{line} {word}" if line else word
        if line and font.getlength(candidate) > width_px:
            lines, line = lines + 1, word
        else:
            line = candidate
    return lines


def test_instructions_fit_the_width_of_a_page(written) -> None:
    lang, wb = written
    sheet = wb[INSTRUCTIONS[lang]]
    assert column_pixels(sheet.column_dimensions["A"].width) <= PRINTABLE_WIDTH_PX
    # and printed one page wide whatever the paper and margins
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert (sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight) == (1, 0)
    assert sheet.page_setup.orientation == "portrait"


@needs_dejavu
def test_every_instruction_fits_its_row(written) -> None:
    """A conservative estimate: each cell's text wrapped in DejaVu Sans at the cell's font size
    into the column's width, less the padding; the row is high enough for those lines."""
    from PIL import ImageFont

    lang, wb = written
    sheet = wb[INSTRUCTIONS[lang]]
    width_px = column_pixels(sheet.column_dimensions["A"].width) - 2 * 5
    checked = 0
    for (cell,) in sheet.iter_rows(max_col=1):
        if not cell.value:
            continue
        assert cell.alignment.wrap_text and cell.alignment.vertical == "top", cell.coordinate
        size = cell.font.sz or 11
        name = "DejaVuSans-Bold.ttf" if cell.font.b else "DejaVuSans.ttf"
        font = ImageFont.truetype(str(DEJAVU / name), size=round(size * 96 / 72))
        lines = wrapped_lines(cell.value, font, width_px)
        height = sheet.row_dimensions[cell.row].height
        assert height is not None and height >= lines * size * LINE_HEIGHT, (
            cell.coordinate,
            lines,
            height,
            cell.value,
        )
        checked += 1
    assert checked > 20


def test_instructions_say_the_report_date_is_left_empty() -> None:
    for lang, words in (("en", "empty"), ("da", "tom")):
        text = template_text(f"init/instructions.{lang}.md")
        (line,) = [
            ln
            for ln in text.splitlines()
            if ln.startswith("- " + ("report_date" if lang == "en" else "rapportdato"))
        ]
        assert words in line, line


@pytest.mark.parametrize("lang", LANGS)
def test_instruction_files_mention_every_sheet(lang: str) -> None:
    text = template_text(f"init/instructions.{lang}.md")
    for spec in SHEETS:
        assert f"## {spec.title(lang)}" in text


def test_the_written_workbook_validates_without_an_issue(written) -> None:
    lang, wb = written
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / default_name(lang)
        wb.save(path)
        _, report = check(path)
    assert report.issues == []  # no error, and no warning either


# --- plans, keep KPIs and the fiscal year (issue 14) ---------------------------------------------

PLAN_HEADERS = {"en": ["kpi", "period", "target", "note"], "da": ["kpi", "periode", "mål", "note"]}
GOAL_LABELS = {"en": ["reach", "keep"], "da": ["nå", "hold"]}
MONTHS = {
    "en": ["January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"],
    "da": ["januar", "februar", "marts", "april", "maj", "juni", "juli", "august", "september",
           "oktober", "november", "december"],
}  # fmt: skip


def test_plan_sheet_comes_last_with_headers_in_the_chosen_language(written) -> None:
    lang, wb = written
    # the Plan sheet, then the Comments sheet (issue 15), last
    assert wb.sheetnames[-2:] == ["Plan", COMMENTS.title(lang)]
    assert [cell.value for cell in wb["Plan"][1]] == PLAN_HEADERS[lang]


def test_plan_example_is_a_seasonal_monthly_plan_for_one_kpi_ending_at_its_target(written) -> None:
    lang, wb = written
    plan = rows(wb["Plan"], PLAN)
    kpis = {k["id"]: k for k in rows(wb[KPIS.title(lang)], KPIS)}
    (kpi_id,) = {row["kpi"] for row in plan}
    kpi = kpis[kpi_id]
    assert match_choice(AGGREGATIONS, kpi["aggregation"]) == "sum"
    assert match_choice(FREQUENCIES, kpi["frequency"]) == "monthly"
    months = [as_date(row["period"]) for row in plan]
    assert months == [dt.date(2026, month, 1) for month in range(1, 13)]
    assert {wb["Plan"].cell(r, 2).number_format for r in range(2, len(plan) + 2)} == {"yyyy-mm"}
    planned = [row["target"] for row in plan]
    assert planned[-1] == kpi["target"]  # December's plan is the target: no mismatch
    assert planned[6] < min(planned[5], planned[7])  # a quiet July
    assert planned[10] > max(planned[9], planned[11])  # a Black Friday November
    assert sum(1 for row in plan if row.get("note")) == 2


def test_plan_sheet_kpi_and_target_guides(written) -> None:
    lang, wb = written
    sheet = wb["Plan"]
    assert validation_at(sheet, "A2:A1000").formula1.startswith(quoted(KPIS.title(lang)))
    assert sheet["C1"].comment is not None
    assert sheet.column_dimensions["B"].number_format == "yyyy-mm"


@pytest.mark.parametrize("lang", LANGS)
def test_the_example_kpi_computes_with_its_plan(tmp_path: Path, lang: str) -> None:
    import kpireport

    path = write_template(tmp_path / default_name(lang), lang)
    results = kpireport.compute(kpireport.load(path))
    kpis = {k.id: k for d in results.departments for k in d.kpis}
    planned = {k for k, result in kpis.items() if result.plan is not None}
    assert planned == {"SALES-01" if lang == "en" else "SALG-01"}
    result = kpis[planned.pop()]
    assert result.plan is not None and result.plan.current is not None
    assert len(result.plan.periods) == 12
    assert result.plan.current.period == "2026-03" and result.plan.current.explicit
    assert result.plan.year_to_date is not None
    assert result.status == "on_track"


def test_goal_column_is_filled_from_its_dropdown(written) -> None:
    lang, wb = written
    sheet = wb[KPIS.title(lang)]
    letter = get_column_letter(header_index(sheet, KPIS)["goal"])
    source = validations(sheet)[f"{letter}2:{letter}1000"]
    assert source == '"' + ",".join(GOAL_LABELS[lang]) + '"'
    assert {row["goal"] for row in rows(sheet, KPIS)} == {GOAL_LABELS[lang][0]}


def test_fiscal_year_start_setting_with_a_month_dropdown(written) -> None:
    lang, wb = written
    sheet = wb[SETTINGS.title(lang)]
    row = setting_row(sheet, "fiscal_year_start")
    assert sheet.cell(row, 1).value == (
        "fiscal_year_start" if lang == "en" else "regnskabsår start"
    )
    assert sheet.cell(row, 2).value == MONTHS[lang][0]
    assert validations(sheet)[f"B{row}"] == '"' + ",".join(MONTHS[lang]) + '"'


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("en", ("## Plan", "goal", "keep", "reach", "fiscal_year_start", "year to date")),
        ("da", ("## Plan", "måltype", "hold", "nå", "regnskabsår start", "år til dato")),
    ],
)
def test_instructions_explain_plans_keep_goals_and_the_fiscal_year(
    lang: str, words: tuple[str, ...]
) -> None:
    text = template_text(f"init/instructions.{lang}.md")
    for word in words:
        assert word in text, word
    plan = text.split("## Plan", 1)[1].split("\n## ", 1)[0]
    # what a plan is, that it wins for expected values and the target for achieved
    assert len([ln for ln in plan.splitlines() if ln.startswith("- ")]) >= 4
    for lines_about in ("expected", "achieved") if lang == "en" else ("forventede", "nået"):
        assert lines_about in plan, lines_about


# --- dropdowns ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "key", "field"),
    [
        (KPIS, "direction", "direction"),
        (KPIS, "frequency", "frequency"),
        (KPIS, "aggregation", "aggregation"),
        (KPIS, "goal", "goal"),
        (BENCHMARKS, "kind", "kind"),
    ],
)
def test_choice_dropdowns(written, spec: SheetSpec, key: str, field: str) -> None:
    lang, wb = written
    sheet = wb[spec.title(lang)]
    letter = get_column_letter(header_index(sheet, spec)[key])
    source = validations(sheet)[f"{letter}2:{letter}1000"]
    assert source.startswith('"') and source.endswith('"')
    assert source[1:-1].split(",") == list(CHOICE_LABELS[field][lang].values())


def test_department_dropdown_refers_to_the_departments_sheet(written) -> None:
    lang, wb = written
    sheet = wb[KPIS.title(lang)]
    letter = get_column_letter(header_index(sheet, KPIS)["department"])
    source = validations(sheet)[f"{letter}2:{letter}1000"]
    dep_sheet = wb[DEPARTMENTS.title(lang)]
    dep_letter = get_column_letter(header_index(dep_sheet, DEPARTMENTS)["department"])
    assert source == f"'{DEPARTMENTS.title(lang)}'!${dep_letter}$2:${dep_letter}$200"


def test_no_dropdowns_on_free_text_columns(written) -> None:
    lang, wb = written
    sheet = wb[KPIS.title(lang)]
    index = header_index(sheet, KPIS)
    dropdown_letters = {rng[0] for rng in validations(sheet)}
    expected = {"department", "unit", "direction", "frequency", "aggregation", "goal"}
    assert dropdown_letters == {get_column_letter(index[k]) for k in expected}


def test_language_setting_has_a_dropdown(written) -> None:
    lang, wb = written
    sheet = wb[SETTINGS.title(lang)]
    row = next(r for r in range(2, sheet.max_row + 1) if sheet.cell(r, 2).value == lang)
    assert validations(sheet)[f"B{row}"] == '"en,da,sv"'  # every output language


def test_example_values_are_in_their_dropdowns(written) -> None:
    lang, wb = written
    for spec, key, field in (
        (KPIS, "direction", "direction"),
        (KPIS, "frequency", "frequency"),
        (KPIS, "aggregation", "aggregation"),
        (KPIS, "goal", "goal"),
        (BENCHMARKS, "kind", "kind"),
    ):
        allowed = set(CHOICE_LABELS[field][lang].values())
        for row in rows(wb[spec.title(lang)], spec):
            assert row[key] in allowed, (spec.key, row)


PER_KPI = tuple(spec for spec in SHEETS if any(column.key == "kpi" for column in spec.columns))
_LIST_RANGE = re.compile(r"^'((?:[^']|'')+)'!\$([A-Z]+)\$(\d+):\$([A-Z]+)\$(\d+)$")


def quoted(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"


def list_values(wb: Workbook, source: str) -> list[Any]:
    """What a dropdown whose list is the range ``source`` offers: the range's filled cells."""
    match = _LIST_RANGE.match(source)
    assert match, source
    title, first_col, first_row, last_col, last_row = match.groups()
    sheet = wb[title.replace("''", "'")]
    cells = sheet[f"{first_col}{first_row}:{last_col}{last_row}"]
    return [cell.value for row in cells for cell in row if cell.value not in (None, "")]


def test_every_per_kpi_sheet_has_a_kpi_dropdown_from_the_kpis_sheet(written) -> None:
    lang, wb = written
    assert {spec.key for spec in PER_KPI} == {"measurements", "benchmarks", "plan", "comments"}
    kpis = wb[KPIS.title(lang)]
    id_letter = get_column_letter(header_index(kpis, KPIS)["id"])
    example_ids = [row["id"] for row in rows(kpis, KPIS)]
    for spec in PER_KPI:
        sheet = wb[spec.title(lang)]
        letter = get_column_letter(header_index(sheet, spec)["kpi"])
        dv = validation_at(sheet, f"{letter}2:{letter}1000")
        # The KPIs sheet's id column down to row 1000: empty rows included, so a KPI added
        # below the examples is in the list at once (Excel and LibreOffice skip the blanks).
        assert dv.formula1 == f"{quoted(KPIS.title(lang))}!${id_letter}$2:${id_letter}$1000"
        assert list_values(wb, dv.formula1) == example_ids
        assert (dv.errorStyle, dv.allow_blank, dv.showErrorMessage) == ("warning", True, True)
        assert (dv.errorTitle, dv.error) == (
            gettext(lang, "Unknown KPI"),
            gettext(lang, "Pick a KPI id from the KPIs sheet, or add the KPI there first."),
        )
        for row in rows(sheet, spec):
            assert row["kpi"] in example_ids, (spec.key, row)


@pytest.mark.parametrize("lang", LANGS)
def test_kpi_dropdown_takes_in_a_kpi_added_below_the_examples(tmp_path: Path, lang: str) -> None:
    """As a user fills in the workbook: a new KPI row under the examples, then a measurement,
    a benchmark and a plan row for it, each in the first empty row of its sheet."""
    path = write_template(tmp_path / default_name(lang), lang)
    wb = openpyxl.load_workbook(path)
    kpis = wb[KPIS.title(lang)]
    new = kpis.max_row + 1
    for col in range(1, kpis.max_column + 1):  # a copy of the first example, under a new id
        kpis.cell(new, col).value = kpis.cell(2, col).value
        kpis.cell(new, col).number_format = kpis.cell(2, col).number_format
    kpis.cell(new, header_index(kpis, KPIS)["id"]).value = "NEW-01"
    entered = {}
    for spec, values in (
        (MEASUREMENTS, {"kpi": "NEW-01", "date": dt.date(2026, 3, 31), "value": 12}),
        (BENCHMARKS, {"kpi": "NEW-01", "source": "Board target", "value": 20}),
        (PLAN, {"kpi": "NEW-01", "period": dt.date(2026, 12, 1), "target": 60}),
        (COMMENTS, {"kpi": "NEW-01", "comment": "A new KPI from April"}),
    ):
        sheet = wb[spec.title(lang)]
        row, index = sheet.max_row + 1, header_index(sheet, spec)
        for key, value in values.items():
            sheet.cell(row, index[key]).value = value
        entered[spec.key] = f"{get_column_letter(index['kpi'])}{row}"
    wb.save(path)

    wb = openpyxl.load_workbook(path)
    for spec in PER_KPI:
        sheet = wb[spec.title(lang)]
        (dv,) = [v for v in sheet.data_validations.dataValidation if entered[spec.key] in v.sqref]
        assert "NEW-01" in list_values(wb, dv.formula1)
    _, report = check(path)
    assert report.valid, report.issues
    assert "unknown-kpi" not in {issue.code for issue in report.issues}


def test_unit_dropdown_offers_the_known_units_and_takes_others(written) -> None:
    lang, wb = written
    sheet = wb[KPIS.title(lang)]
    letter = get_column_letter(header_index(sheet, KPIS)["unit"])
    dv = validation_at(sheet, f"{letter}2:{letter}1000")
    labels = dv.formula1[1:-1].split(",")
    assert labels == list(CHOICE_LABELS["unit"][lang].values())
    for canonical, label in CHOICE_LABELS["unit"][lang].items():
        assert parse_unit(label).label == canonical, label
    assert {parse_unit(label).kind for label in labels} == {
        "count",
        "percent",
        "currency",
        "duration",
        "score",
    }
    assert {row["unit"] for row in rows(sheet, KPIS)} <= set(labels)
    # "information": Excel and LibreOffice tell, and keep, a unit of one's own (visits, NPS).
    assert (dv.errorStyle, dv.allow_blank, dv.showErrorMessage) == ("information", True, True)
    assert (dv.errorTitle, dv.error) == (
        gettext(lang, "A unit of your own"),
        gettext(lang, UNIT_OF_YOUR_OWN),
    )
    # The moment a unit is picked is the moment to say how a percentage is typed.
    assert dv.showInputMessage
    assert (dv.promptTitle, dv.prompt) == (gettext(lang, "Unit"), gettext(lang, UNIT_PROMPT))


def test_dropdown_texts_fit_excel_limits(written) -> None:
    """Excel refuses to open a file (or cuts the text) beyond these lengths."""
    _lang, wb = written
    seen = 0
    for sheet in wb.worksheets:
        for dv in sheet.data_validations.dataValidation:
            seen += 1
            assert len(dv.errorTitle or "") <= 32 and len(dv.promptTitle or "") <= 32
            assert len(dv.error or "") <= 225 and len(dv.prompt or "") <= 255
            if dv.formula1.startswith('"'):
                assert len(dv.formula1) - 2 <= 255
    assert seen >= 9


# --- number formats -----------------------------------------------------------------------------


def test_date_columns_hold_dates_formatted_yyyy_mm_dd(written) -> None:
    lang, wb = written
    for spec, keys in DATE_COLUMNS.items():
        sheet = wb[spec.title(lang)]
        index = header_index(sheet, spec)
        for key in keys:
            letter = get_column_letter(index[key])
            # The column style makes dates typed into new rows look the same.
            assert sheet.column_dimensions[letter].number_format == "yyyy-mm-dd", (spec.key, key)
            cells = [sheet.cell(r, index[key]) for r in range(2, sheet.max_row + 1)]
            filled = [c for c in cells if c.value is not None]
            assert filled, (spec.key, key)
            for cell in filled:
                as_date(cell.value)
                assert cell.number_format == "yyyy-mm-dd", cell.coordinate


def test_report_date_setting_is_empty_and_date_formatted(written) -> None:
    """Empty, so the latest measurement decides; formatted, so a date typed there shows the way
    the other dates do."""
    lang, wb = written
    sheet = wb[SETTINGS.title(lang)]
    row = setting_row(sheet, "report_date")
    assert sheet.cell(row, 2).value is None
    assert sheet.cell(row, 2).number_format == "yyyy-mm-dd"


def test_percent_kpi_cells_are_shares_in_percent_format(written) -> None:
    lang, wb = written
    kpi_sheet = wb[KPIS.title(lang)]
    index = header_index(kpi_sheet, KPIS)
    percent_ids, other_ids = set(), set()
    for r in range(2, kpi_sheet.max_row + 1):
        unit = kpi_sheet.cell(r, index["unit"]).value
        kpi_id = kpi_sheet.cell(r, index["id"]).value
        if kpi_id is None:  # a row another test's look below the examples made
            continue
        for key in ("target", "baseline"):
            cell = kpi_sheet.cell(r, index[key])
            if parse_unit(unit).is_percent:
                assert cell.number_format.endswith("%"), cell.coordinate
                assert 0 < cell.value < 1, cell.coordinate
            else:
                assert "%" not in cell.number_format, cell.coordinate
        (percent_ids if parse_unit(unit).is_percent else other_ids).add(kpi_id)
    assert len(percent_ids) == 1

    for spec in (MEASUREMENTS, BENCHMARKS):
        sheet = wb[spec.title(lang)]
        idx = header_index(sheet, spec)
        seen = 0
        for r in range(2, sheet.max_row + 1):
            value_cell = sheet.cell(r, idx["value"])
            if sheet.cell(r, idx["kpi"]).value in percent_ids:
                seen += 1
                assert value_cell.number_format.endswith("%"), value_cell.coordinate
                assert 0 < value_cell.value < 1
            else:
                assert "%" not in value_cell.number_format, value_cell.coordinate
        assert seen, spec.key


PERCENT_COLUMNS = (
    (KPIS, "target"),
    (KPIS, "baseline"),
    (MEASUREMENTS, "value"),
    (BENCHMARKS, "value"),
    (PLAN, "target"),
)


def test_percent_rule_noted_on_every_number_column_a_percent_kpi_uses(written) -> None:
    lang, wb = written
    for spec, key in PERCENT_COLUMNS:
        sheet = wb[spec.title(lang)]
        header = sheet.cell(1, header_index(sheet, spec)[key])
        assert header.comment is not None, (spec.key, key)
        assert header.comment.text == gettext(lang, PERCENT_NOTE)


def test_no_conditional_formats(written) -> None:
    """A conditional percent format (tried: LibreOffice shows it) would show 0.42 typed into a
    plain cell of a % KPI as 42.0 % while kpireport's percent rule, which reads the cell's own
    format, takes it as 0.42 %; and a typed 42 as 4200.0 % while it is read as 42 %. So the
    percent rule is told in notes instead, and what the cell shows is what is read."""
    _lang, wb = written
    for sheet in wb.worksheets:
        assert not list(sheet.conditional_formatting), sheet.title


# --- example data consistent with the contract --------------------------------------------------


def test_example_data_is_consistent(written) -> None:
    lang, wb = written
    departments = rows(wb[DEPARTMENTS.title(lang)], DEPARTMENTS)
    kpis = rows(wb[KPIS.title(lang)], KPIS)
    measurements = rows(wb[MEASUREMENTS.title(lang)], MEASUREMENTS)
    benchmarks = rows(wb[BENCHMARKS.title(lang)], BENCHMARKS)
    # No report_date in Settings: the latest measurement's date is the report date.
    report_date = max(as_date(m["date"]) for m in measurements)

    dep_names = [d["department"] for d in departments]
    assert len(dep_names) == len(set(dep_names)) >= 2
    for dep in departments:
        for address in dep.get("email", "").replace(";", ",").split(","):
            assert "@" in address
        if "color" in dep:
            assert dep["color"].startswith("#") and len(dep["color"]) == 7

    ids = [k["id"] for k in kpis]
    assert len(ids) == len(set(ids)) == 3
    required = [c.key for c in KPIS.columns if c.required]
    for kpi in kpis:
        missing = [k for k in (*required, *SMART, "aggregation") if k not in kpi]
        assert not missing, (kpi["id"], missing)
        assert kpi["department"] in dep_names
        assert match_choice(DIRECTIONS, kpi["direction"]) is not None
        assert match_choice(FREQUENCIES, kpi["frequency"]) is not None
        assert match_choice(AGGREGATIONS, kpi["aggregation"]) is not None
        assert parse_unit(kpi["unit"]).kind != "text", kpi["unit"]
        assert as_date(kpi["deadline"]) > report_date
        assert as_date(kpi["baseline_date"]) < report_date

    counts = Counter(m["kpi"] for m in measurements)
    assert set(counts) == set(ids)
    assert min(counts.values()) >= 3
    first = {}
    for m in measurements:
        when = as_date(m["date"])
        assert when <= report_date
        assert isinstance(m["value"], int | float)
        first[m["kpi"]] = min(first.get(m["kpi"], when), when)
    for kpi in kpis:
        assert as_date(kpi["baseline_date"]) <= first[kpi["id"]]

    assert 2 <= len(benchmarks) <= 3
    for b in benchmarks:
        assert b["kpi"] in ids
        assert b["source"]
        assert isinstance(b["value"], int | float)
        assert match_choice(BENCHMARK_KINDS, b["kind"]) is not None


# --- LibreOffice --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def libreoffice_copies(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    """lang -> (the written template, LibreOffice's xlsx copy of it)."""
    folder = tmp_path_factory.mktemp("libreoffice")
    originals = {lang: write_template(folder / f"template-{lang}.xlsx", lang) for lang in LANGS}
    copies = _fixture_script().convert_with_libreoffice(list(originals.values()), folder / "lo")
    return {lang: (originals[lang], copy) for lang, copy in zip(originals, copies, strict=True)}


def unquoted(source: str) -> str:
    """A list source with its sheet name unquoted, as LibreOffice writes it when it can."""
    return re.sub(r"^'((?:[^']|'')+)'!", lambda m: m.group(1).replace("''", "'") + "!", source)


def guides(path: Path) -> dict[str, Any]:
    """Every dropdown with its texts, and every note, by sheet and cell."""
    wb = openpyxl.load_workbook(path)
    found: dict[str, Any] = {}
    for sheet in wb.worksheets:
        for dv in sheet.data_validations.dataValidation:
            found[f"{sheet.title}!{dv.sqref}"] = (
                unquoted(dv.formula1),
                dv.errorStyle,
                (dv.errorTitle, dv.error),
                bool(dv.showInputMessage) and (dv.promptTitle, dv.prompt),
            )
        for row in sheet.iter_rows():
            for cell in row:
                if cell.comment is not None:
                    found[f"{sheet.title}!{cell.coordinate}"] = cell.comment.text.strip()
    return found


@pytest.mark.slow
@needs_soffice
@pytest.mark.parametrize("lang", LANGS)
def test_libreoffice_copy_validates_and_keeps_every_guide(
    libreoffice_copies: dict[str, tuple[Path, Path]], lang: str
) -> None:
    original, copy = libreoffice_copies[lang]
    with zipfile.ZipFile(copy) as saved:
        assert "LibreOffice" in saved.read("docProps/app.xml").decode()
    _, report = check(copy)
    assert report.issues == []  # no error, and no warning either
    expected = guides(original)
    assert len(expected) >= 17  # 12 dropdowns, 5 notes
    assert guides(copy) == expected
    sheet = openpyxl.load_workbook(copy)[SETTINGS.title(lang)]
    row = setting_row(sheet, "report_date")
    assert sheet.cell(row, 2).value is None
    assert sheet.cell(row, 3).value == gettext(lang, REPORT_DATE_RULE)


def pdf_lines(pdf: Path) -> list[list[tuple[float, float, float, float, str]]]:
    """Per page, the text lines pdftotext finds: (x_min, y_min, x_max, y_max, text)."""
    out = subprocess.run(
        ["pdftotext", "-bbox-layout", str(pdf), "-"],
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout
    ns = {"x": "http://www.w3.org/1999/xhtml"}
    pages = []
    for page in ET.fromstring(out).iter(f"{{{ns['x']}}}page"):
        lines = []
        for line in page.iter(f"{{{ns['x']}}}line"):
            words = " ".join(w.text or "" for w in line.iter(f"{{{ns['x']}}}word"))
            box = [float(line.get(k, 0)) for k in ("xMin", "yMin", "xMax", "yMax")]
            lines.append((box[0], box[1], box[2], box[3], words))
        pages.append(lines)
    return pages


def print_one_sheet(tmp_path: Path, lang: str, title: str) -> tuple[Workbook, Path]:
    """A new workbook with only its sheet ``title`` left, and that sheet printed to PDF by
    LibreOffice."""
    path = write_template(tmp_path / "kpis.xlsx", lang)
    wb = openpyxl.load_workbook(path)
    for other in wb.sheetnames:
        if other != title:
            del wb[other]
    wb.save(path)
    with tempfile.TemporaryDirectory(prefix="lo-profile-") as profile:
        subprocess.run(
            [
                str(SOFFICE),
                f"-env:UserInstallation={Path(profile).as_uri()}",
                "--headless",
                "--norestore",
                "--nolockcheck",
                "--convert-to",
                "pdf",
                "--outdir",
                str(tmp_path),
                str(path),
            ],
            capture_output=True,
            timeout=120,
            check=True,
        )
    return wb, tmp_path / "kpis.pdf"


needs_pdftotext = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="poppler-utils is not installed"
)


@pytest.mark.slow
@needs_soffice
@needs_pdftotext
@pytest.mark.parametrize("lang", LANGS)
def test_instructions_print_whole_and_unclipped_from_libreoffice(tmp_path: Path, lang: str) -> None:
    """The Instructions sheet alone, printed to PDF by LibreOffice: every instruction is there in
    full (no text cut off at the page's edge) and no line is drawn over another (no row too low
    for its wrapped text)."""
    wb, pdf = print_one_sheet(tmp_path, lang, INSTRUCTIONS[lang])
    pages = pdf_lines(pdf)
    printed = " ".join(text for lines in pages for *_, text in lines)
    for (cell,) in wb[INSTRUCTIONS[lang]].iter_rows(max_col=1):
        if cell.value:
            assert " ".join(cell.value.split()) in printed, cell.value
    for lines in pages:
        for a, b in itertools.combinations(lines, 2):
            overlap_x = min(a[2], b[2]) - max(a[0], b[0])
            overlap_y = min(a[3], b[3]) - max(a[1], b[1])
            # The boxes of two lines of one paragraph touch by about a tenth of their height
            # (a glyph box is taller than the line spacing); a row too low for its text puts
            # one line over another by far more.
            tolerance = 0.25 * min(a[3] - a[1], b[3] - b[1])
            assert overlap_x <= 0 or overlap_y <= tolerance, (a, b)


@pytest.mark.slow
@needs_soffice
@needs_pdftotext
@pytest.mark.parametrize("lang", LANGS)
def test_plan_sheet_prints_a_row_per_month_from_libreoffice(tmp_path: Path, lang: str) -> None:
    """The Plan sheet as LibreOffice prints it: one line per planned month, the period shown as
    the month (2026-07), not a day or a date serial, beside its KPI, its value and its note."""
    wb, pdf = print_one_sheet(tmp_path, lang, "Plan")
    layout = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True, timeout=60
    ).stdout.decode()
    printed = [" ".join(line.split()) for line in layout.splitlines() if line.strip()]
    assert printed[0] == " ".join(PLAN_HEADERS[lang])
    wanted = [
        " ".join(str(v) for v in (row["kpi"], f"{as_date(row['period']):%Y-%m}", row["target"]))
        + (f" {row['note']}" if row.get("note") else "")
        for row in rows(wb["Plan"], PLAN)
    ]
    assert printed[1:] == wanted


# --- writing safely -----------------------------------------------------------------------------


def test_default_names() -> None:
    assert default_name("en") == "kpi-workbook.xlsx"
    assert default_name("da") == "kpi-projektmappe.xlsx"


def test_unknown_language_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="unknown language"):
        write_template(tmp_path / "x.xlsx", "de")
    assert list(tmp_path.iterdir()) == []


def test_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    path = tmp_path / "kpi.xlsx"
    path.write_bytes(b"precious")
    with pytest.raises(OutputError, match=r"already exists; use --force to overwrite it"):
        write_template(path)
    assert path.read_bytes() == b"precious"
    assert [p.name for p in tmp_path.iterdir()] == ["kpi.xlsx"]


def test_force_overwrites(tmp_path: Path) -> None:
    path = tmp_path / "kpi.xlsx"
    path.write_bytes(b"old")
    write_template(path, "da", force=True)
    assert openpyxl.load_workbook(path).sheetnames[0] == "Vejledning"
    assert [p.name for p in tmp_path.iterdir()] == ["kpi.xlsx"]


@pytest.mark.parametrize("name", ["kpi.xls", "kpi.xlsm", "kpi.csv", "kpi", "kpi.xlsx.txt"])
def test_refuses_other_suffixes(tmp_path: Path, name: str) -> None:
    with pytest.raises(OutputError, match=r"\.xlsx"):
        write_template(tmp_path / name)
    assert list(tmp_path.iterdir()) == []


def test_upper_case_suffix_is_accepted(tmp_path: Path) -> None:
    path = write_template(tmp_path / "KPI.XLSX")
    assert openpyxl.load_workbook(path).sheetnames[0] == "Instructions"


def test_refuses_a_folder_and_a_missing_folder(tmp_path: Path) -> None:
    folder = tmp_path / "reports.xlsx"
    folder.mkdir()
    with pytest.raises(OutputError, match="is a folder"):
        write_template(folder, force=True)
    with pytest.raises(OutputError, match="does not exist"):
        write_template(tmp_path / "missing" / "kpi.xlsx")
    assert [p.name for p in tmp_path.iterdir()] == ["reports.xlsx"]


def test_no_temporary_files_left_after_writing(tmp_path: Path) -> None:
    write_template(tmp_path / "a.xlsx", "en")
    write_template(tmp_path / "a.xlsx", "da", force=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.xlsx"]


def test_failed_save_leaves_the_old_file_and_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "kpi.xlsx"
    path.write_bytes(b"precious")

    def broken_save(self: Workbook, filename: str) -> None:
        Path(filename).write_bytes(b"half a workbook")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(template.Workbook, "save", broken_save)
    with pytest.raises(OutputError, match="No space left on device"):
        write_template(path, force=True)
    assert path.read_bytes() == b"precious"
    assert [p.name for p in tmp_path.iterdir()] == ["kpi.xlsx"]


@pytest.mark.parametrize("lang", LANGS)
def test_the_comments_sheet_has_a_dated_and_a_general_example(tmp_path: Path, lang: str) -> None:
    """Issue 15: the Comments sheet's headers in the workbook's language, one comment written for
    the report of March (its report date is the latest measurement, 31 March 2026) with an
    action due after it, and one for every report; both reach the KPIs they name."""
    path = write_template(tmp_path / default_name(lang), lang)
    wb = openpyxl.load_workbook(path)
    sheet = wb[COMMENTS.title(lang)]
    assert [c.value for c in sheet[1]] == [c.da if lang == "da" else c.en for c in COMMENTS.columns]
    from kpireport import api

    results = api.compute(api.load(path))
    comments = {k.id: k.comments for d in results.departments for k in d.kpis}
    dated = [c for cs in comments.values() for c in cs if c.report_date is not None]
    general = [c for cs in comments.values() for c in cs if c.report_date is None]
    assert len(dated) == 1 and len(general) == 1
    assert dated[0].report_date == results.report_date == dt.date(2026, 3, 31)
    assert dated[0].action and dated[0].owner and dated[0].due > results.report_date
