"""Tests for kpireport.template: the workbook written by ``kpireport init``."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.utils import get_column_letter
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from kpireport import template
from kpireport.errors import OutputError, UsageError
from kpireport.resources import template_text
from kpireport.schema import (
    AGGREGATIONS,
    BENCHMARK_KINDS,
    BENCHMARKS,
    CHOICE_LABELS,
    DEPARTMENTS,
    DIRECTIONS,
    FREQUENCIES,
    KPIS,
    MEASUREMENTS,
    SETTING_KEYS,
    SETTINGS,
    SHEETS,
    SheetSpec,
    match_choice,
    match_setting,
    parse_unit,
)
from kpireport.template import default_name, write_template

LANGS = ("en", "da")
INSTRUCTIONS = {"en": "Instructions", "da": "Vejledning"}
TABLES = (DEPARTMENTS, KPIS, MEASUREMENTS, BENCHMARKS)
DATE_COLUMNS = {
    KPIS: ("deadline", "baseline_date"),
    MEASUREMENTS: ("date",),
    BENCHMARKS: ("date",),
}
SMART = ("description", "objective", "owner", "data_source")


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
    assert [c.value for c in sheet[1]] == (
        ["key", "value"] if lang == "en" else ["indstilling", "værdi"]
    )
    keys = [sheet.cell(row, 1).value for row in range(2, sheet.max_row + 1)]
    assert keys == [k.da if lang == "da" else k.en for k in SETTING_KEYS]


def test_settings_example_values(written) -> None:
    lang, wb = written
    values = settings(wb, lang)
    assert values["language"] == lang
    assert as_date(values["report_date"]) == dt.date(2026, 3, 31)
    assert values["currency"] == "DKK"
    assert 0 < values["at_risk"] < values["on_track"] <= 1
    for key in ("primary_color", "accent_color"):
        assert values[key].startswith("#") and len(values[key]) == 7


def test_headers_bold_and_frozen(written) -> None:
    lang, wb = written
    for spec in SHEETS:
        sheet = wb[spec.title(lang)]
        assert sheet.freeze_panes == "A2", spec.key
        assert all(cell.font.bold for cell in sheet[1]), spec.key


def test_columns_are_wide_enough_for_their_headers(written) -> None:
    lang, wb = written
    sheet = wb[KPIS.title(lang)]
    for cell in sheet[1]:
        width = sheet.column_dimensions[cell.column_letter].width
        assert width >= len(cell.value), cell.value


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


@pytest.mark.parametrize("lang", LANGS)
def test_instruction_files_mention_every_sheet(lang: str) -> None:
    text = template_text(f"init/instructions.{lang}.md")
    for spec in SHEETS:
        assert f"## {spec.title(lang)}" in text


# --- dropdowns ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "key", "field"),
    [
        (KPIS, "direction", "direction"),
        (KPIS, "frequency", "frequency"),
        (KPIS, "aggregation", "aggregation"),
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
    expected = {"department", "direction", "frequency", "aggregation"}
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
        (BENCHMARKS, "kind", "kind"),
    ):
        allowed = set(CHOICE_LABELS[field][lang].values())
        for row in rows(wb[spec.title(lang)], spec):
            assert row[key] in allowed, (spec.key, row)


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


def test_report_date_setting_is_a_formatted_date(written) -> None:
    lang, wb = written
    sheet = wb[SETTINGS.title(lang)]
    name = "rapportdato" if lang == "da" else "report_date"
    row = next(r for r in range(2, sheet.max_row + 1) if sheet.cell(r, 1).value == name)
    assert sheet.cell(row, 2).number_format == "yyyy-mm-dd"
    as_date(sheet.cell(row, 2).value)


def test_percent_kpi_cells_are_shares_in_percent_format(written) -> None:
    lang, wb = written
    kpi_sheet = wb[KPIS.title(lang)]
    index = header_index(kpi_sheet, KPIS)
    percent_ids, other_ids = set(), set()
    for r in range(2, kpi_sheet.max_row + 1):
        unit = kpi_sheet.cell(r, index["unit"]).value
        kpi_id = kpi_sheet.cell(r, index["id"]).value
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


# --- example data consistent with the contract --------------------------------------------------


def test_example_data_is_consistent(written) -> None:
    lang, wb = written
    report_date = as_date(settings(wb, lang)["report_date"])
    departments = rows(wb[DEPARTMENTS.title(lang)], DEPARTMENTS)
    kpis = rows(wb[KPIS.title(lang)], KPIS)
    measurements = rows(wb[MEASUREMENTS.title(lang)], MEASUREMENTS)
    benchmarks = rows(wb[BENCHMARKS.title(lang)], BENCHMARKS)

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
