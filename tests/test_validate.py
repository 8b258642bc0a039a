"""kpireport.validate.check against the workbook contract (docs/workbook-format.md).

Every issue code of the catalogue, except the fatal file-level ones (test_hostile_files.py), is
produced here from the valid fixture workbook with one deliberate change, and the test asserts the
exact (code, sheet, cell) list, so a stray extra issue fails it. Then the reading rules that must
produce no issue at all. Grouped like the contract: structure, values, choices, cross-sheet,
settings, SMART, reading rules, languages; a meta-test last.

Where a rule once had a bug, its test says what should happen (they were strict xfails until fixed).
"""

from __future__ import annotations

import ast
import copy
import dataclasses
import datetime as dt
import json
import shutil
import string
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string

from kpireport.cli import main
from kpireport.i18n import LANGUAGES, get_locale
from kpireport.issues import CATALOG, ERROR, WARNING, ValidationReport
from kpireport.model import Workbook
from kpireport.validate import check
from tests.conftest import KPI_HEADER, SAMPLES, Fmt, codes, kpi_row

Sheets = dict[str, list[list[Any]]]
Check = Callable[..., tuple[Workbook, ValidationReport]]

FATAL = frozenset(
    {
        "file-not-found",
        "is-folder",
        "old-xls",
        "wrong-type",
        "unreadable",
        "empty-file",
        "password-protected",
        "not-zip",
        "damaged",
        "not-workbook",
        "too-large",
        "zip-bomb",
        "xml-entities",
        "bad-xml",
        "too-many-rows",
        "too-many-cells",
        # build-level, tested in tests/build/test_build.py
        "duplicate-workbook-name",
        "write-failed",
        "render-failed",
        # tested in tests/hardening/test_extreme_values.py
        "build-failed",
        # a build's limits (kpireport/limits.py), tested in tests/hardening/test_build_limits.py
        "build-timeout",
        "build-memory",
        "build-crashed",
        "build-abandoned",
    }
)


# -- helpers ---------------------------------------------------------------------------------


@pytest.fixture
def run(make_workbook: Callable[..., Path]) -> Check:
    """``run(sheets, name=None, **check_kwargs)``: write the workbook and check it."""

    def run(sheets: Sheets, name: str | None = None, **kwargs: Any):
        return check(make_workbook(sheets, name), **kwargs)

    return run


def set_cell(sheets: Sheets, sheet: str, ref: str, value: Any) -> None:
    """Put ``value`` into the cell ``ref`` (e.g. ``"C4"``) of ``sheet``, growing the rows."""
    letters, row = coordinate_from_string(ref)
    col = column_index_from_string(letters)
    rows = sheets[sheet]
    while len(rows) < row:
        rows.append([])
    cells = rows[row - 1]
    while len(cells) < col:
        cells.append(None)
    cells[col - 1] = value


def drop_column(rows: list[list[Any]], header: str) -> None:
    """Delete the column headed ``header`` from every row."""
    index = rows[0].index(header)
    for row in rows:
        if index < len(row):
            del row[index]


def set_error(path: Path, sheet: str, ref: str, value: str) -> Path:
    """Give the cell an Excel error value such as ``#DIV/0!`` (as a calculated formula would)."""
    wb = openpyxl.load_workbook(path)
    cell = wb[sheet][ref]
    cell.value = value
    cell.data_type = "e"
    wb.save(path)
    return path


def patch_part(path: Path, part: str, old: str, new: str) -> Path:
    """Replace ``old`` by ``new`` in one XML part of the workbook's zip (exactly once)."""
    with zipfile.ZipFile(path) as zf:
        items = [(info, zf.read(info.filename)) for info in zf.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in items:
            if info.filename == part:
                text = data.decode("utf-8")
                assert text.count(old) == 1, f"{old!r} not once in {part}"
                data = text.replace(old, new).encode("utf-8")
            zf.writestr(info, data)
    return path


def assert_issue(
    report: ValidationReport,
    severity: str,
    shows: tuple[str | tuple[str, str], ...] = (),
    index: int = 0,
) -> None:
    """The issue's severity; a message and hint in English and Danish, every placeholder filled,
    and the offending values in the message in both languages: text typed by the user as it is,
    or an (English, Danish) pair for what each language writes its own way (dates, names)."""
    issue = report.issues[index]
    assert issue.severity == severity == CATALOG[issue.code].severity
    entry = CATALOG[issue.code]
    for lang in LANGUAGES:
        locale = get_locale(lang)
        texts = entry.text if isinstance(entry.text, tuple) else (entry.text,)
        templates = [locale.gettext(t) for t in texts] + [locale.gettext(entry.hint)]
        for template in templates:
            fields = {name for _, name, _, _ in string.Formatter().parse(template) if name}
            missing = fields - set(issue.args)
            assert not missing, f"{issue.code}: no argument for {missing} in {lang}"
        message, hint = issue.message(locale), issue.hint(locale)
        assert message.strip() and hint.strip()
        assert "{" not in message + hint
        if lang not in ("en", "da"):
            continue
        for shown in shows:
            text = shown if isinstance(shown, str) else shown[lang == "da"]
            assert text in message, f"{text!r} not in {lang} message {message!r}"


# -- structure -------------------------------------------------------------------------------


def test_the_fixture_workbook_has_no_issue(run: Check, sheets: Sheets) -> None:
    wb, report = run(sheets)
    assert codes(report) == []
    assert report.ok(strict=True)
    assert [m.value for m in wb.measurements] == [40, 42, 44, 46, 48, 50]


def test_missing_sheet(run: Check, sheets: Sheets) -> None:
    del sheets["Measurements"]
    _, report = run(sheets)
    # the KPI then has no measurement at all, which the SMART check says
    assert codes(report) == [
        ("missing-sheet", "Measurements", None),
        ("M-few-measurements", "KPIs", "A2"),
    ]
    assert_issue(report, ERROR, shows=(("Measurements", "Målinger"),))
    assert "Målinger" in report.issues[0].hint("en")
    assert "Measurements" in report.issues[0].hint("da")


def test_missing_kpis_sheet_is_one_issue(run: Check, sheets: Sheets) -> None:
    del sheets["KPIs"]
    _, report = run(sheets)
    assert codes(report) == [("missing-sheet", "KPIs", None)]


def test_missing_column(run: Check, sheets: Sheets) -> None:
    drop_column(sheets["KPIs"], "target")
    _, report = run(sheets)
    assert codes(report) == [("missing-column", "KPIs", "A1")]
    assert_issue(report, ERROR)
    assert "'target'" in report.issues[0].message("en")
    assert "'mål'" in report.issues[0].hint("en")


def test_duplicate_column(run: Check, sheets: Sheets) -> None:
    sheets["KPIs"][0].append("ID")
    sheets["KPIs"][1].append("OTHER-01")
    wb, report = run(sheets)
    assert codes(report) == [("duplicate-column", "KPIs", "Q1")]
    assert_issue(report, ERROR, shows=("'ID'", "A1", "Q1"))
    assert wb.kpis[0].id == "SALES-01"  # the first one is read


def test_unknown_column_is_reported_once(run: Check, sheets: Sheets) -> None:
    sheets["Measurements"][0].append("Checked by")
    for row in sheets["Measurements"][1:]:
        row.append("Mette")
    wb, report = run(sheets)
    assert codes(report) == [("unknown-column", "Measurements", "E1")]
    assert_issue(report, WARNING, shows=("Checked by",))
    assert len(wb.measurements) == 6


def test_empty_sheet(run: Check, sheets: Sheets) -> None:
    sheets["Measurements"] = []
    _, report = run(sheets)
    assert codes(report) == [
        ("empty-sheet", "Measurements", "A1"),
        ("M-few-measurements", "KPIs", "A2"),
    ]
    assert_issue(report, ERROR, shows=("Measurements",))


def test_empty_kpis_sheet_is_one_issue(run: Check, sheets: Sheets) -> None:
    sheets["KPIs"] = []
    _, report = run(sheets)
    assert codes(report) == [("empty-sheet", "KPIs", "A1")]


@pytest.mark.parametrize(
    "sheet",
    [
        "Benchmarks",
        "Departments",
    ],
)
def test_empty_optional_sheet_is_no_issue(run: Check, sheets: Sheets, sheet: str) -> None:
    sheets[sheet] = []
    _, report = run(sheets)
    assert codes(report) == []


def test_no_kpis(run: Check, sheets: Sheets) -> None:
    # a workbook with every header and no rows yet, as a new one
    for name in ("KPIs", "Measurements", "Benchmarks"):
        del sheets[name][1:]
    _, report = run(sheets)
    assert codes(report) == [("no-kpis", "KPIs", "A1")]
    assert_issue(report, ERROR, shows=("KPIs",))


def test_no_kpis_with_measurements_is_one_issue(run: Check, sheets: Sheets) -> None:
    del sheets["KPIs"][1:]
    _, report = run(sheets)
    assert codes(report) == [("no-kpis", "KPIs", "A1")]


def test_duplicate_sheet(run: Check, sheets: Sheets) -> None:
    sheets["KPI'er"] = copy.deepcopy(sheets["KPIs"])
    sheets["KPI'er"][1] = kpi_row(direction="sideways")  # never read, so never reported
    wb, report = run(sheets)
    assert codes(report) == [("duplicate-sheet", "KPI'er", None)]
    assert_issue(report, WARNING, shows=("'KPIs'", "'KPI'er'"))
    assert wb.kpis[0].direction == "higher"


# -- values ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sheet", "cell", "value"),
    [
        ("KPIs", "G2", "lots"),
        ("KPIs", "I2", "forty"),
        ("KPIs", "P2", "heavy"),
        ("Measurements", "C4", "n/a"),
        ("Measurements", "C4", "12 pcs"),
        ("Benchmarks", "C2", "about 50"),
    ],
)
def test_not_a_number(run: Check, sheets: Sheets, sheet: str, cell: str, value: str) -> None:
    set_cell(sheets, sheet, cell, value)
    _, report = run(sheets)
    assert codes(report) == [("not-a-number", sheet, cell)]
    assert_issue(report, ERROR, shows=(f"'{value}'",))


@pytest.mark.parametrize(
    ("sheet", "cell", "value", "shown"),
    [
        ("KPIs", "G2", 1e308, "1e+308"),
        ("KPIs", "I2", -1.000001e15, "-1e+15"),
        ("KPIs", "P2", 2e15, "2e+15"),
        ("Measurements", "C4", 1e40, "1e+40"),
        ("Measurements", "C4", "1e40", "1e40"),  # as typed
        ("Benchmarks", "C2", "-2.000.000.000.000.000", "-2.000.000.000.000.000"),
    ],
)
def test_number_out_of_range(
    run: Check, sheets: Sheets, sheet: str, cell: str, value: Any, shown: str
) -> None:
    set_cell(sheets, sheet, cell, value)
    _, report = run(sheets)
    assert codes(report) == [("number-out-of-range", sheet, cell)]
    assert_issue(report, ERROR, shows=(shown, ("1,000,000,000,000,000", "1.000.000.000.000.000")))


@pytest.mark.parametrize("value", [1e15, -1e15, 999_999_999_999_999.9, 1e-300])
def test_numbers_up_to_1e15_are_accepted(run: Check, sheets: Sheets, value: float) -> None:
    set_cell(sheets, "Benchmarks", "C2", value)
    wb, report = run(sheets)
    assert codes(report) == []
    assert wb.benchmarks[0].value == value


@pytest.mark.parametrize(
    ("sheet", "cell", "value", "shown"),
    [
        ("KPIs", "H2", dt.date(9999, 12, 31), "9999-12-31"),
        ("KPIs", "H2", "9999-12-31", "9999-12-31"),
        ("KPIs", "H2", "9999", "9999"),
        ("KPIs", "H2", "2201-W02", "2201-W02"),
        ("KPIs", "J2", "1899-12-31", "1899-12-31"),
        ("Measurements", "B4", dt.datetime(2201, 1, 1, 12, 0), "2201-01-01"),
        ("Measurements", "B4", "0001-01-01", "0001-01-01"),
        ("Benchmarks", "E2", "Q1 1066", "Q1 1066"),
        ("Settings", "B3", dt.date(9999, 12, 31), "9999-12-31"),
    ],
)
def test_date_out_of_range(
    run: Check, sheets: Sheets, sheet: str, cell: str, value: Any, shown: str
) -> None:
    set_cell(sheets, sheet, cell, value)
    _, report = run(sheets)
    assert codes(report) == [("date-out-of-range", sheet, cell)]
    assert_issue(report, ERROR, shows=(f"'{shown}'", "1900", "2200"))


@pytest.mark.parametrize(
    ("cell", "value"),
    [("H2", dt.date(2200, 12, 31)), ("H2", "2200"), ("J2", dt.date(1900, 1, 1))],
)
def test_dates_from_1900_to_2200_are_accepted(
    run: Check, sheets: Sheets, cell: str, value: Any
) -> None:
    set_cell(sheets, "KPIs", cell, value)
    _, report = run(sheets)
    assert codes(report) == []


@pytest.mark.parametrize(
    ("text", "number", "shown"),
    [("1.234,5", 1234.5, "1,234.5"), ("1,234.5", 1234.5, "1,234.5"), ("44", 44.0, "44")],
)
def test_number_as_text(run: Check, sheets: Sheets, text: str, number: float, shown: str) -> None:
    set_cell(sheets, "Measurements", "C4", text)
    wb, report = run(sheets)
    assert codes(report) == [("number-as-text", "Measurements", "C4")]
    assert_issue(report, WARNING, shows=(f"'{text}'",))
    assert f"read as {shown}." in report.issues[0].message("en")
    assert wb.measurements[2].value == number


@pytest.mark.parametrize(("language", "number"), [("en", 1.234), ("da", 1234.0)])
def test_number_as_text_ambiguous_notation_follows_the_language(
    run: Check, sheets: Sheets, language: str, number: float
) -> None:
    set_cell(sheets, "Settings", "B4", language)
    set_cell(sheets, "Measurements", "C4", "1.234")
    wb, report = run(sheets)
    assert codes(report) == [("number-as-text", "Measurements", "C4")]
    assert wb.measurements[2].value == number


@pytest.mark.parametrize(
    ("sheet", "cell", "value", "shown"),
    [
        ("Measurements", "B4", "next spring", "next spring"),
        ("Measurements", "B4", "2026-13-01", "2026-13-01"),  # no month 13
        ("Measurements", "B4", "31-02-2026", "31-02-2026"),  # no 31 February
        ("Measurements", "B4", "2026-02-30", "2026-02-30"),
        ("Measurements", "B4", "2026-Q5", "2026-Q5"),
        ("Measurements", "B4", "2026-W54", "2026-W54"),
        ("Measurements", "B4", "15/03", "15/03"),  # no year
        ("Measurements", "B4", 12345, "12345"),  # too small for an Excel date serial
        ("Measurements", "B4", dt.time(10, 30), "10:30"),  # a time, not a date
        ("KPIs", "J2", "start of year", "start of year"),
        ("Benchmarks", "E2", "last year", "last year"),
        ("Settings", "B3", "end of June", "end of June"),
    ],
)
def test_bad_date(
    run: Check, sheets: Sheets, sheet: str, cell: str, value: Any, shown: str
) -> None:
    set_cell(sheets, sheet, cell, value)
    _, report = run(sheets)
    assert codes(report) == [("bad-date", sheet, cell)]
    assert_issue(report, ERROR, shows=(shown,))


def test_bad_deadline_is_one_issue(run: Check, sheets: Sheets) -> None:
    sheets["KPIs"][1] = kpi_row(deadline="end of year")
    _, report = run(sheets)
    assert codes(report) == [("bad-date", "KPIs", "H2")]


@pytest.mark.parametrize(
    ("sheet", "cell", "value", "date", "shown"),
    [
        ("Measurements", "B4", 46082, dt.date(2026, 3, 1), "1 Mar 2026"),  # an Excel serial
        ("Benchmarks", "E2", 2025, dt.date(2025, 1, 1), "1 Jan 2025"),  # a year
    ],
)
def test_date_as_number(
    run: Check, sheets: Sheets, sheet: str, cell: str, value: int, date: dt.date, shown: str
) -> None:
    set_cell(sheets, sheet, cell, value)
    wb, report = run(sheets)
    assert codes(report) == [("date-as-number", sheet, cell)]
    assert_issue(report, WARNING, shows=(str(value),))
    assert shown in report.issues[0].message("en")
    read = wb.measurements[2].date if sheet == "Measurements" else wb.benchmarks[0].date
    assert read == date


def test_date_as_number_deadline_names_the_date_used(run: Check, sheets: Sheets) -> None:
    sheets["KPIs"][1] = kpi_row(deadline=2026)
    wb, report = run(sheets)
    assert codes(report) == [("date-as-number", "KPIs", "H2")]
    assert wb.kpis[0].deadline == dt.date(2026, 12, 31)
    assert "31 Dec 2026" in report.issues[0].message("en")


@pytest.mark.parametrize(("text", "granularity"), [("2026-Q1", "quarter"), ("2026", "year")])
def test_coarse_date(run: Check, sheets: Sheets, text: str, granularity: str) -> None:
    set_cell(sheets, "Measurements", "B4", text)  # the KPI is measured monthly
    _, report = run(sheets)
    assert codes(report) == [("coarse-date", "Measurements", "B4")]
    assert_issue(report, WARNING, shows=(text, "SALES-01"))
    assert f"whole {granularity}" in report.issues[0].message("en")


def test_period_mismatch(run: Check, sheets: Sheets) -> None:
    """2026-W01 (29 Dec 2025 - 4 Jan 2026) for a monthly KPI: counted in December 2025."""
    set_cell(sheets, "Measurements", "B4", "2026-W01")
    _, report = run(sheets)
    assert codes(report) == [("period-mismatch", "Measurements", "B4")]
    assert_issue(report, WARNING, shows=("2026-W01", "SALES-01", "2025-12"))


def test_after_report_date(run: Check, sheets: Sheets) -> None:
    set_cell(sheets, "Settings", "B3", dt.date(2026, 4, 30))  # rows for May and June follow
    _, report = run(sheets)
    assert codes(report) == [("after-report-date", "Settings", "B3")]
    assert_issue(report, WARNING, shows=("Measurements!B6",))
    assert report.issues[0].message("en").startswith("2 measurement rows are dated after")


def test_scale_mismatch(run: Check, sheets: Sheets) -> None:
    """A % KPI measured 40-50 % (plain numbers) with a target typed 0.6: read as 0.6 %."""
    set_cell(sheets, "KPIs", "E2", "%")
    set_cell(sheets, "KPIs", "G2", 0.6)
    set_cell(sheets, "KPIs", "I2", 40)
    sheets["Benchmarks"] = sheets["Benchmarks"][:1]
    _, report = run(sheets)
    # 0.6 % is below the baseline of 40 % too: the SMART check says so as well
    assert codes(report) == [
        ("scale-mismatch", "KPIs", "G2"),
        ("A-met-at-baseline", "KPIs", "G2"),
    ]
    assert_issue(report, WARNING, shows=(("0.6%", "0,6\xa0%"), ("60%", "60\xa0%")))


def test_department_spelling(run: Check, sheets: Sheets) -> None:
    set_cell(sheets, "KPIs", "B2", "sales")
    _, report = run(sheets)
    assert codes(report) == [("department-spelling", "KPIs", "B2")]
    assert_issue(report, WARNING, shows=("sales", "Sales", "Departments!A2"))


@pytest.mark.parametrize(
    ("sheet", "cell", "formula"),
    [
        ("Measurements", "C4", "=1+1"),
        ("KPIs", "G2", "=50+10"),
        ("Departments", "C2", '="mette"&"@example.com"'),
        ("Settings", "B2", "=A1"),
    ],
)
def test_formula_no_value(run: Check, sheets: Sheets, sheet: str, cell: str, formula: str) -> None:
    set_cell(sheets, sheet, cell, formula)  # openpyxl writes the formula without a result
    wb, report = run(sheets)
    assert codes(report) == [("formula-no-value", sheet, cell)]
    assert_issue(report, ERROR, shows=(formula,))
    if sheet == "Measurements":
        assert len(wb.measurements) == 5  # the row is left out, not read as empty


@pytest.mark.parametrize(
    ("sheet", "cell", "error"),
    [
        ("Measurements", "C4", "#DIV/0!"),
        ("Measurements", "B4", "#VALUE!"),
        ("Measurements", "A4", "#N/A"),
        ("KPIs", "G2", "#N/A"),
        ("KPIs", "P2", "#REF!"),
        ("Departments", "C2", "#NAME?"),
    ],
)
def test_cell_error(
    make_workbook: Callable[..., Path], sheets: Sheets, sheet: str, cell: str, error: str
) -> None:
    path = set_error(make_workbook(sheets), sheet, cell, error)
    _, report = check(path)
    assert codes(report) == [("cell-error", sheet, cell)]
    assert_issue(report, ERROR, shows=(error,))


def test_cell_error_in_settings_value(make_workbook: Callable[..., Path], sheets: Sheets) -> None:
    path = set_error(make_workbook(sheets), "Settings", "B3", "#DIV/0!")
    _, report = check(path)
    assert codes(report) == [("cell-error", "Settings", "B3")]


def test_cell_error_in_settings_key(make_workbook: Callable[..., Path], sheets: Sheets) -> None:
    path = set_error(make_workbook(sheets), "Settings", "A2", "#N/A")
    _, report = check(path)
    assert codes(report) == [("cell-error", "Settings", "A2")]


def test_formula_no_value_in_description_is_one_issue(run: Check, sheets: Sheets) -> None:
    set_cell(sheets, "KPIs", "D2", '="Customers"&" signed"')
    _, report = run(sheets)
    assert codes(report) == [("formula-no-value", "KPIs", "D2")]


@pytest.mark.parametrize(
    ("sheet", "cell", "column"),
    [
        ("KPIs", "B2", "department"),
        ("KPIs", "C2", "name"),
        ("KPIs", "F2", "direction"),
        ("KPIs", "G2", "target"),
        ("KPIs", "K2", "frequency"),
        ("Measurements", "B4", "date"),
        ("Measurements", "C4", "value"),
        ("Benchmarks", "B2", "source"),
        ("Benchmarks", "C2", "value"),
    ],
)
def test_missing_value(run: Check, sheets: Sheets, sheet: str, cell: str, column: str) -> None:
    set_cell(sheets, sheet, cell, None)
    _, report = run(sheets)
    assert codes(report) == [("missing-value", sheet, cell)]
    assert_issue(report, ERROR, shows=("SALES-01",))
    assert f"'{column}'" in report.issues[0].message("en")


@pytest.mark.parametrize(
    ("sheet", "row", "cell"),
    [
        # an id missing on a second KPI (the first one's measurements stay known)
        ("KPIs", kpi_row(id=None, name="Returning customers"), "A3"),
        ("Measurements", [None, dt.date(2026, 6, 15), 12], "A8"),
        ("Benchmarks", [None, "Competitor X", 55], "A3"),
        ("Departments", [None, "Ole Jensen", "ole@example.com"], "A3"),
    ],
)
def test_missing_value_key(run: Check, sheets: Sheets, sheet: str, row: list, cell: str) -> None:
    sheets[sheet].append(row)
    _, report = run(sheets)
    assert codes(report) == [("missing-value", sheet, cell)]
    assert_issue(report, ERROR)


def test_bad_weight(run: Check, sheets: Sheets) -> None:
    sheets["KPIs"][1] = kpi_row(weight=-2)
    wb, report = run(sheets)
    assert codes(report) == [("bad-weight", "KPIs", "P2")]
    assert_issue(report, ERROR, shows=("-2",))
    assert wb.kpis[0].weight == 1.0


def test_bad_weight_shows_the_value_as_typed(run: Check, sheets: Sheets) -> None:
    sheets["KPIs"][1] = kpi_row(weight=-2)
    _, report = run(sheets)
    assert codes(report) == [("bad-weight", "KPIs", "P2")]
    assert "'-2'" in report.issues[0].message("en")


def test_weight_zero_is_valid(run: Check, sheets: Sheets) -> None:
    sheets["KPIs"][1] = kpi_row(weight=0)
    wb, report = run(sheets)
    assert codes(report) == []
    assert wb.kpis[0].weight == 0


# -- choices ---------------------------------------------------------------------------------


def test_bad_direction(run: Check, sheets: Sheets) -> None:
    sheets["KPIs"][1] = kpi_row(direction="sideways")
    _, report = run(sheets)
    assert codes(report) == [("bad-direction", "KPIs", "F2")]
    assert_issue(report, ERROR, shows=("'sideways'",))


def test_bad_frequency(run: Check, sheets: Sheets) -> None:
    sheets["KPIs"][1] = kpi_row(frequency="fortnightly")
    _, report = run(sheets)
    assert codes(report) == [("bad-frequency", "KPIs", "K2")]
    assert_issue(report, ERROR, shows=("'fortnightly'",))


def test_bad_aggregation(run: Check, sheets: Sheets) -> None:
    sheets["KPIs"][1] = kpi_row(aggregation="median")
    _, report = run(sheets)
    assert codes(report) == [("bad-aggregation", "KPIs", "L2")]
    assert_issue(report, ERROR, shows=("'median'",))


def test_bad_goal(run: Check, sheets: Sheets) -> None:
    sheets["KPIs"] = [[*KPI_HEADER, "goal"], [*kpi_row(), "hold it"]]
    wb, report = run(sheets)
    assert codes(report) == [("bad-goal", "KPIs", "Q2")]
    assert_issue(report, ERROR, shows=("'hold it'",))
    assert wb.kpis[0].goal == "reach"


def test_bad_kind(run: Check, sheets: Sheets) -> None:
    set_cell(sheets, "Benchmarks", "D2", "rumour")
    wb, report = run(sheets)
    assert codes(report) == [("bad-kind", "Benchmarks", "D2")]
    assert_issue(report, WARNING, shows=("'rumour'",))
    assert wb.benchmarks[0].kind == "rumour"  # shown as written


@pytest.mark.parametrize(
    ("column", "text", "canonical"),
    [
        ("direction", "Higher is better", "higher"),
        ("direction", "højere", "higher"),
        ("frequency", "Månedlig", "monthly"),
        ("frequency", "month", "monthly"),
        ("aggregation", "gennemsnit", "mean"),
        ("aggregation", "Seneste", "last"),
        ("aggregation", "i alt", "sum"),
        ("aggregation", "maks", "max"),
    ],
)
def test_choices_in_english_and_danish(
    run: Check, sheets: Sheets, column: str, text: str, canonical: str
) -> None:
    sheets["KPIs"][1] = kpi_row(**{column: text})
    wb, report = run(sheets)
    assert codes(report) == []
    assert getattr(wb.kpis[0], column) == canonical


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("branche", "industry"),
        ("Konkurrent", "competitor"),
        ("intern", "internal"),
        ("Best practice", "best_practice"),
        ("bedste praksis", "best_practice"),
    ],
)
def test_benchmark_kinds_in_english_and_danish(
    run: Check, sheets: Sheets, text: str, kind: str
) -> None:
    set_cell(sheets, "Benchmarks", "D2", text)
    wb, report = run(sheets)
    assert codes(report) == []
    assert wb.benchmarks[0].kind == kind


# -- cross-sheet -----------------------------------------------------------------------------


def test_duplicate_kpi_id(run: Check, sheets: Sheets) -> None:
    sheets["KPIs"].append(kpi_row(name="Returning customers"))
    _, report = run(sheets)
    assert codes(report) == [("duplicate-kpi-id", "KPIs", "A3")]
    assert_issue(report, ERROR, shows=("'SALES-01'", "KPIs!A2"))


def test_unknown_kpi_in_measurements_suggests_the_close_id(run: Check, sheets: Sheets) -> None:
    set_cell(sheets, "Measurements", "A4", "SALES-1")
    _, report = run(sheets)
    assert codes(report) == [("unknown-kpi", "Measurements", "A4")]
    assert_issue(report, ERROR, shows=("'SALES-1'", "'KPIs'"))
    assert "did you mean 'SALES-01'?" in report.issues[0].hint("en")


def test_unknown_kpi_in_benchmarks_suggests_the_close_id(run: Check, sheets: Sheets) -> None:
    set_cell(sheets, "Benchmarks", "A2", "SALE-01")
    _, report = run(sheets)
    assert codes(report) == [("unknown-kpi", "Benchmarks", "A2")]
    assert_issue(report, ERROR, shows=("'SALE-01'",))
    assert "did you mean 'SALES-01'?" in report.issues[0].hint("en")


def test_unknown_kpi_without_a_close_id_suggests_nothing(run: Check, sheets: Sheets) -> None:
    set_cell(sheets, "Benchmarks", "A2", "HR-99")
    _, report = run(sheets)
    assert codes(report) == [("unknown-kpi", "Benchmarks", "A2")]
    assert "did you mean" not in report.issues[0].hint("en")


def test_kpi_ids_match_ignoring_case(run: Check, sheets: Sheets) -> None:
    set_cell(sheets, "Measurements", "A4", "sales-01")
    wb, report = run(sheets)
    assert codes(report) == []
    assert len(wb.measurements) == 6


def test_deadline_before_baseline(run: Check, sheets: Sheets) -> None:
    sheets["KPIs"][1] = kpi_row(baseline_date=dt.date(2027, 1, 1))
    _, report = run(sheets)
    assert codes(report) == [("deadline-before-baseline", "KPIs", "H2")]
    assert_issue(report, ERROR, shows=(("31 Dec 2026", "31. dec. 2026"),))
    assert "1 Jan 2027" in report.issues[0].message("en")
    assert "KPIs!J2" in report.issues[0].hint("en")


def test_deadline_before_first_measurement(run: Check, sheets: Sheets) -> None:
    # no baseline date: the first measurement's date is the baseline date
    sheets["KPIs"][1] = kpi_row(baseline_date=None, deadline=dt.date(2025, 12, 31))
    _, report = run(sheets)
    assert codes(report) == [
        ("deadline-before-baseline", "KPIs", "H2"),
        ("T-deadline-passed", "KPIs", "H2"),
    ]
    assert "Measurements!B2" in report.issues[0].hint("en")


def test_needs_aggregation(run: Check, sheets: Sheets) -> None:
    sheets["KPIs"][1] = kpi_row(aggregation=None)
    sheets["Measurements"].append(["SALES-01", dt.date(2026, 3, 15), 5, "late order"])
    _, report = run(sheets)
    assert codes(report) == [("needs-aggregation", "KPIs", "L2")]
    assert_issue(report, ERROR, shows=("'SALES-01'", "2026-03", "Measurements!B4, B8"))


def test_needs_aggregation_without_aggregation_column(run: Check, sheets: Sheets) -> None:
    drop_column(sheets["KPIs"], "aggregation")
    sheets["Measurements"].append(["SALES-01", dt.date(2026, 3, 15), 5, None])
    _, report = run(sheets)
    assert codes(report) == [("needs-aggregation", "KPIs", "K2")]  # the frequency cell


def test_several_measurements_in_a_period_with_aggregation(run: Check, sheets: Sheets) -> None:
    sheets["Measurements"].append(["SALES-01", dt.date(2026, 3, 15), 5, None])
    _, report = run(sheets)
    assert codes(report) == []


# -- settings and departments ------------------------------------------------------------------


def test_unknown_setting(run: Check, sheets: Sheets) -> None:
    sheets["Settings"].append(["colour_scheme", "blue"])
    _, report = run(sheets)
    assert codes(report) == [("unknown-setting", "Settings", "A5")]
    assert_issue(report, WARNING, shows=("'colour_scheme'",))


@pytest.mark.parametrize(
    ("key", "value", "attribute", "default"),
    [
        ("language", "fr", "language", "en"),
        ("currency", "money", "currency", "DKK"),
        ("on_track", "most", "on_track", 0.95),
        ("at_risk", "some", "at_risk", 0.80),
    ],
)
def test_bad_setting(
    run: Check, sheets: Sheets, key: str, value: str, attribute: str, default: Any
) -> None:
    if key == "language":
        set_cell(sheets, "Settings", "B4", value)
        cell = "B4"
    else:
        sheets["Settings"].append([key, value])
        cell = "B5"
    wb, report = run(sheets)
    assert codes(report) == [("bad-setting", "Settings", cell)]
    assert_issue(report, WARNING, shows=(f"'{value}'",))
    assert getattr(wb.settings, attribute) == default


@pytest.mark.parametrize(
    ("key", "value", "shown"),
    [("on_track", 0.7, ("70%", "80%")), ("at_risk", 0.99, ("95%", "99%"))],
)
def test_bad_thresholds(
    run: Check, sheets: Sheets, key: str, value: float, shown: tuple[str, str]
) -> None:
    sheets["Settings"].append([key, value])
    _, report = run(sheets)
    assert codes(report) == [("bad-thresholds", "Settings", "B5")]
    assert_issue(report, ERROR)
    assert all(text in report.issues[0].message("en") for text in shown)


@pytest.mark.parametrize(
    ("sheet", "cell", "value"),
    [("Settings", "B5", "blue"), ("Departments", "D2", "#12345"), ("Departments", "D2", "red")],
)
def test_bad_color(run: Check, sheets: Sheets, sheet: str, cell: str, value: str) -> None:
    if sheet == "Settings":
        sheets["Settings"].append(["primary_color", value])
    else:
        set_cell(sheets, sheet, cell, value)
    wb, report = run(sheets)
    assert codes(report) == [("bad-color", sheet, cell)]
    assert_issue(report, WARNING, shows=(f"'{value}'",))
    read = wb.settings.primary_color if sheet == "Settings" else wb.departments[0].color
    assert read is None  # the default colour is used


@pytest.mark.parametrize(
    ("sheet", "cell", "text", "bad", "kept"),
    [
        ("Departments", "C2", "mette@example", "mette@example", []),
        ("Departments", "C2", "a@example.com; not an address", "not an address", ["a@example.com"]),
        (
            "Settings",
            "B5",
            "board@example.com, chair(at)example.com",
            "chair(at)example.com",
            ["board@example.com"],
        ),
    ],
)
def test_bad_email(
    run: Check, sheets: Sheets, sheet: str, cell: str, text: str, bad: str, kept: list[str]
) -> None:
    if sheet == "Settings":
        sheets["Settings"].append(["board_recipients", text])
    else:
        set_cell(sheets, sheet, cell, text)
    wb, report = run(sheets)
    assert codes(report) == [("bad-email", sheet, cell)]
    assert_issue(report, ERROR, shows=(f"'{bad}'",))
    read = wb.settings.board_recipients if sheet == "Settings" else wb.departments[0].emails
    assert read == kept


def test_email_lists_and_named_addresses(run: Check, sheets: Sheets) -> None:
    set_cell(sheets, "Departments", "C2", "Mette <mette@example.com>, ole@example.com; kim@x.dk")
    wb, report = run(sheets)
    assert codes(report) == []
    assert wb.departments[0].emails == ["mette@example.com", "ole@example.com", "kim@x.dk"]


def test_duplicate_department(run: Check, sheets: Sheets) -> None:
    sheets["Departments"].append(["sales", "Ole Jensen", "ole@example.com", None])
    wb, report = run(sheets)
    assert codes(report) == [("duplicate-department", "Departments", "A3")]
    assert_issue(report, WARNING, shows=("'sales'", "Departments!A2"))
    assert [d.head for d in wb.departments] == ["Mette Hansen"]  # the first row is used


def _with_cached_formula(make_workbook: Callable[..., Path], sheets: Sheets) -> Path:
    """Measurements!C4 holds =40+4 with the stored result 44, as a calculating program writes
    it; openpyxl keeps fullCalcOnLoad="1" in xl/workbook.xml."""
    set_cell(sheets, "Measurements", "C4", "=40+4")
    path = make_workbook(sheets)
    with zipfile.ZipFile(path) as zf:
        part = next(
            n
            for n in zf.namelist()
            if n.startswith("xl/worksheets/") and "<f>40+4</f>" in zf.read(n).decode()
        )
        assert 'fullCalcOnLoad="1"' in zf.read("xl/workbook.xml").decode()
        # openpyxl writes the empty result as <v /> with its own XML writer, <v></v> with lxml
        empty = "<v />" if "<f>40+4</f><v />" in zf.read(part).decode() else "<v></v>"
    old, new = f'<c r="C4"><f>40+4</f>{empty}</c>', '<c r="C4"><f>40+4</f><v>44</v></c>'
    return patch_part(path, part, old, new)


def test_formula_not_calculated(make_workbook: Callable[..., Path], sheets: Sheets) -> None:
    path = _with_cached_formula(make_workbook, sheets)
    wb, report = check(path)
    assert codes(report) == [("formula-not-calculated", "Measurements", "C4")]
    assert_issue(report, WARNING, shows=("1",))
    assert wb.measurements[2].value == 44


def test_formula_results_of_a_calculating_program_are_no_issue(
    make_workbook: Callable[..., Path], sheets: Sheets
) -> None:
    path = _with_cached_formula(make_workbook, sheets)
    patch_part(path, "xl/workbook.xml", ' fullCalcOnLoad="1"', "")
    wb, report = check(path)
    assert codes(report) == []
    assert wb.measurements[2].value == 44


# -- SMART -----------------------------------------------------------------------------------


def test_S_no_description(run: Check, sheets: Sheets) -> None:
    sheets["KPIs"][1] = kpi_row(description=None)
    _, report = run(sheets)
    assert codes(report) == [("S-no-description", "KPIs", "D2")]
    assert_issue(report, WARNING, shows=("'SALES-01'",))
    assert report.issues[0].smart == "S"


def test_S_no_owner(run: Check, sheets: Sheets) -> None:
    sheets["KPIs"][1] = kpi_row(owner=None)
    _, report = run(sheets)
    assert codes(report) == [("S-no-owner", "KPIs", "N2")]
    assert_issue(report, WARNING, shows=("'SALES-01'",))
    assert report.issues[0].smart == "S"


@pytest.mark.parametrize(
    ("name", "first", "second"),
    [
        ("Revenue and customer satisfaction", "Revenue", "customer satisfaction"),
        ("Omsætning og kundetilfredshed", "Omsætning", "kundetilfredshed"),
    ],
)
def test_S_two_goals(run: Check, sheets: Sheets, name: str, first: str, second: str) -> None:
    sheets["KPIs"][1] = kpi_row(name=name)
    _, report = run(sheets)
    assert codes(report) == [("S-two-goals", "KPIs", "C2")]
    assert_issue(report, WARNING, shows=(f"'{name}'",))
    assert f"'{first}' and '{second}'" in report.issues[0].hint("en")
    assert report.issues[0].smart == "S"


def test_S_two_goals_not_for_a_list_in_parentheses(run: Check, sheets: Sheets) -> None:
    sheets["KPIs"][1] = kpi_row(name="Engagement on social media (likes, comments and shares)")
    _, report = run(sheets)
    assert codes(report) == []


def test_M_no_unit(run: Check, sheets: Sheets) -> None:
    sheets["KPIs"][1] = kpi_row(unit=None)
    _, report = run(sheets)
    assert codes(report) == [("M-no-unit", "KPIs", "E2")]
    assert_issue(report, WARNING, shows=("'SALES-01'",))
    assert report.issues[0].smart == "M"


def test_M_no_data_source(run: Check, sheets: Sheets) -> None:
    sheets["KPIs"][1] = kpi_row(data_source=None)
    _, report = run(sheets)
    assert codes(report) == [("M-no-data-source", "KPIs", "O2")]
    assert_issue(report, WARNING, shows=("'SALES-01'",))
    assert report.issues[0].smart == "M"


def test_M_few_measurements(run: Check, sheets: Sheets) -> None:
    del sheets["Measurements"][3:]  # January and February only
    _, report = run(sheets)
    assert codes(report) == [("M-few-measurements", "KPIs", "A2")]
    assert_issue(report, WARNING, shows=("'SALES-01'", " 2 "))
    assert report.issues[0].smart == "M"


def test_A_unrealistic_pace(run: Check, sheets: Sheets) -> None:
    # +2 a month so far; 200 by December needs 25 a month
    sheets["KPIs"][1] = kpi_row(target=200)
    _, report = run(sheets)
    assert codes(report) == [("A-unrealistic-pace", "KPIs", "G2")]
    assert_issue(report, WARNING, shows=("200", "25"))
    assert report.issues[0].smart == "A"


def test_A_no_improvement(run: Check, sheets: Sheets) -> None:
    for n, row in enumerate(sheets["Measurements"][1:]):
        row[2] = 40 - n  # 40, 39, ... 35: never better
    _, report = run(sheets)
    assert codes(report) == [("A-no-improvement", "KPIs", "G2")]
    assert_issue(report, WARNING, shows=("60",))
    assert report.issues[0].smart == "A"


@pytest.mark.parametrize(("direction", "target"), [("higher", 30), ("lower", 60)])
def test_A_met_at_baseline(run: Check, sheets: Sheets, direction: str, target: int) -> None:
    sheets["KPIs"][1] = kpi_row(direction=direction, target=target)  # the baseline is 40
    _, report = run(sheets)
    assert codes(report) == [("A-met-at-baseline", "KPIs", "G2")]
    # an error since issue 14, whose hint suggests a KPI that keeps a level
    assert_issue(report, ERROR, shows=(str(target), "40"))
    assert report.issues[0].smart == "A"
    assert "keep" in report.issues[0].hint("en") and "hold" in report.issues[0].hint("da")


@pytest.mark.parametrize(("direction", "target"), [("higher", 30), ("lower", 60)])
def test_a_keep_kpi_met_at_baseline_is_fine(
    run: Check, sheets: Sheets, direction: str, target: int
) -> None:
    # sick leave at most 60 from 40, uptime at least 30 from 40: held from the start, the point
    sheets["KPIs"] = [[*KPI_HEADER, "goal"], [*kpi_row(direction=direction, target=target), "keep"]]
    _, report = run(sheets)
    assert codes(report) == []


def plan_sheets(sheets: Sheets, *rows: list[Any]) -> Sheets:
    """``sheets`` (SALES-01: monthly, baseline 1 Jan 2026, deadline 31 Dec 2026, target 60) with
    a Plan sheet of ``rows`` (kpi, period, target) from row 2."""
    sheets["Plan"] = [["kpi", "period", "target", "note"], *rows]
    return sheets


def test_a_plan_validates_clean(run: Check, sheets: Sheets) -> None:
    plan = [["SALES-01", f"2026-{m:02d}", 40 + m * 5 / 3, None] for m in range(1, 13)]
    plan[-1][2] = 60
    _, report = run(plan_sheets(sheets, *plan))
    assert codes(report) == []


def test_plan_unknown_kpi(run: Check, sheets: Sheets) -> None:
    _, report = run(plan_sheets(sheets, ["SALES-01", "2026-07", 50], ["SALES-99", "2026-07", 5]))
    assert codes(report) == [("unknown-kpi", "Plan", "A3")]


@pytest.mark.parametrize("period", ["2026-Q3", "2026-W27", "2026"])
def test_plan_wrong_period(run: Check, sheets: Sheets, period: str) -> None:
    _, report = run(plan_sheets(sheets, ["SALES-01", "2026-06", 50], ["SALES-01", period, 55]))
    assert codes(report) == [("plan-wrong-period", "Plan", "B3")]
    assert_issue(report, ERROR, shows=(f"'{period}'", "SALES-01"))


def test_a_plan_dated_by_a_day_is_in_its_period(run: Check, sheets: Sheets) -> None:
    _, report = run(plan_sheets(sheets, ["SALES-01", dt.date(2026, 7, 31), 50]))
    assert codes(report) == []


def test_duplicate_plan_period(run: Check, sheets: Sheets) -> None:
    rows = [
        ["SALES-01", "2026-06", 50],
        ["SALES-01", "2026-07", 52],
        ["sales-01", dt.date(2026, 6, 15), 51],
    ]
    _, report = run(plan_sheets(sheets, *rows))
    # both cells, each naming the other
    assert codes(report) == [
        ("duplicate-plan-period", "Plan", "B2"),
        ("duplicate-plan-period", "Plan", "B4"),
    ]
    assert_issue(report, ERROR, shows=("SALES-01", "2026-06", "Plan!B4"))
    assert_issue(report, ERROR, shows=("Plan!B2",), index=1)


def test_plan_before_baseline_and_after_deadline(run: Check, sheets: Sheets) -> None:
    rows = [["SALES-01", "2025-12", 39], ["SALES-01", "2026-01", 41], ["SALES-01", "2027-01", 61]]
    _, report = run(plan_sheets(sheets, *rows))
    assert codes(report) == [
        ("plan-before-baseline", "Plan", "B2"),
        ("plan-after-deadline", "Plan", "B4"),
    ]
    assert_issue(report, WARNING, shows=("2025-12", ("1 Jan 2026", "1. jan. 2026")))
    assert_issue(report, WARNING, shows=("2027-01", ("31 Dec 2026", "31. dec. 2026")), index=1)


def test_plan_target_mismatch(run: Check, sheets: Sheets) -> None:
    _, report = run(plan_sheets(sheets, ["SALES-01", "2026-06", 50], ["SALES-01", "2026-12", 58]))
    assert codes(report) == [("plan-target-mismatch", "Plan", "C3")]
    assert_issue(report, WARNING, shows=("58", "60", "2026-12"))


def test_target_equals_baseline(run: Check, sheets: Sheets) -> None:
    sheets["KPIs"][1] = kpi_row(target=40)  # the baseline is 40
    _, report = run(sheets)
    assert codes(report) == [("target-equals-baseline", "KPIs", "G2")]
    assert_issue(report, ERROR, shows=("40",))


def test_target_equal_to_the_first_value_is_met_at_baseline(run: Check, sheets: Sheets) -> None:
    """Without a baseline cell the first value is the baseline: reaching the target there is a
    KPI met from the start (a warning), not a broken definition."""
    sheets["KPIs"][1] = kpi_row(target=40, baseline=None)  # the first measurement is 40
    _, report = run(sheets)
    assert codes(report) == [("A-met-at-baseline", "KPIs", "G2")]


def test_R_no_objective(run: Check, sheets: Sheets) -> None:
    sheets["KPIs"][1] = kpi_row(objective=None)
    _, report = run(sheets)
    assert codes(report) == [("R-no-objective", "KPIs", "M2")]
    assert_issue(report, WARNING, shows=("'SALES-01'",))
    assert report.issues[0].smart == "R"


@pytest.mark.parametrize(("department", "suggestion"), [("Sale", "Sales"), ("Marketing", None)])
def test_R_unknown_department(
    run: Check, sheets: Sheets, department: str, suggestion: str | None
) -> None:
    sheets["KPIs"][1] = kpi_row(department=department)
    _, report = run(sheets)
    assert codes(report) == [("R-unknown-department", "KPIs", "B2")]
    assert_issue(report, WARNING, shows=(f"'{department}'", "'Departments'"))
    hint = report.issues[0].hint("en")
    assert (f"did you mean '{suggestion}'?" in hint) if suggestion else ("did you mean" not in hint)
    assert report.issues[0].smart == "R"


def test_departments_come_from_the_kpis_without_a_departments_sheet(
    run: Check, sheets: Sheets
) -> None:
    del sheets["Departments"]
    sheets["KPIs"][1] = kpi_row(department="Marketing")
    _, report = run(sheets)
    assert codes(report) == []


def test_T_no_deadline(run: Check, sheets: Sheets) -> None:
    sheets["KPIs"][1] = kpi_row(deadline=None)
    _, report = run(sheets)
    assert codes(report) == [("T-no-deadline", "KPIs", "H2")]
    assert_issue(report, WARNING, shows=("'SALES-01'",))
    assert report.issues[0].smart == "T"


def test_T_deadline_passed(run: Check, sheets: Sheets) -> None:
    sheets["KPIs"][1] = kpi_row(deadline=dt.date(2026, 5, 31))  # the report date is 30 June
    _, report = run(sheets)
    assert codes(report) == [("T-deadline-passed", "KPIs", "H2")]
    assert_issue(report, WARNING)
    assert "31 May 2026" in report.issues[0].message("en")
    assert "30 Jun 2026" in report.issues[0].message("en")
    assert report.issues[0].smart == "T"


# -- the Comments sheet (issue 15, point 2) -----------------------------------------------------

COMMENT_HEADERS = {
    "en": ("Comments", ["kpi", "report_date", "comment", "action", "owner", "due"]),
    "da": ("Kommentarer", ["kpi", "rapportdato", "kommentar", "handling", "ansvarlig", "frist"]),
}


def red_sheets(sheets: Sheets, lang: str, *comments: list[Any]) -> Sheets:
    """``sheets`` (report date 30 Jun 2026; SALES-01 on track) with OPS-01 off track (KPIs row
    3), OPS-02 missed (row 4, its deadline 31 May 2026), and a Comments sheet of ``comments``
    from row 2, in the workbook language ``lang``."""
    set_cell(sheets, "Settings", "B4", lang)
    sheets["KPIs"].append(
        kpi_row(id="OPS-01", name="Late orders", unit="%", direction="lower", target=2, baseline=8)
    )
    sheets["KPIs"][-1][KPI_HEADER.index("aggregation")] = "mean"
    sheets["KPIs"].append(
        kpi_row(id="OPS-02", name="Returns", direction="lower", target=10, baseline=30)
    )
    sheets["KPIs"][-1][KPI_HEADER.index("deadline")] = dt.date(2026, 5, 31)
    for m, (late, returns) in enumerate(zip([8, 7, 6, 7, 8, 8], [30] * 6, strict=True), start=1):
        sheets["Measurements"].append(["OPS-01", dt.date(2026, m, 1), late, None])
        sheets["Measurements"].append(["OPS-02", dt.date(2026, m, 1), returns, None])
    name, header = COMMENT_HEADERS[lang]
    sheets[name] = [header, *comments]
    return sheets


def test_red_kpis_with_a_comment_for_the_report_validate_clean(run: Check, sheets: Sheets) -> None:
    wb, report = run(
        red_sheets(
            sheets,
            "en",
            ["OPS-01", dt.date(2026, 6, 30), "A carrier went bankrupt", None, None, None],
            ["OPS-02", "2026-06", None, "Stop the returns at the source", "Ole", "2026-09"],
        )
    )
    assert codes(report) == [("T-deadline-passed", "KPIs", "H4")]
    from kpireport.engine import compute

    statuses = {k.id: k.status for d in compute(wb, report).departments for k in d.kpis}
    assert statuses == {"SALES-01": "on_track", "OPS-01": "off_track", "OPS-02": "missed"}


@pytest.mark.parametrize("lang", ["en", "da"])
def test_comment_checks_at_their_cells(run: Check, sheets: Sheets, lang: str) -> None:
    _, report = run(
        red_sheets(
            sheets,
            lang,
            # row 2: for this report, its action due before the report date
            [
                "SALES-01",
                dt.date(2026, 6, 30),
                "Slow June",
                "Call the leads",
                "Mette",
                "2026-06-15",
            ],
            # row 3: an id not on the KPIs sheet
            ["SALES-99", None, "A KPI we dropped", None, None, None],
            # row 4: a comment on every report is no comment for this one's red KPI
            ["OPS-01", None, "Our carrier is slow", None, None, None],
            # row 5: for an earlier report: not shown, so its overdue action is not reported
            ["SALES-01", dt.date(2026, 5, 31), "Slow May", "Call", "Mette", dt.date(2026, 5, 20)],
            # row 6: the missed KPI's comment for this report (a month that holds the date)
            ["OPS-02", "2026-06", "Returns from one customer", None, None, None],
        )
    )
    sheet = COMMENT_HEADERS[lang][0]
    assert codes(report) == [
        ("unknown-kpi", sheet, "A3"),
        ("T-deadline-passed", "KPIs", "H4"),
        ("action-overdue", sheet, "F2"),
        ("comment-missing", "KPIs", "A3"),
    ]
    by_code = {i.code: n for n, i in enumerate(report.issues)}
    date = ("30 Jun 2026", "30. jun. 2026")
    assert_issue(report, WARNING, ("OPS-01", date), by_code["comment-missing"])
    due = ("15 Jun 2026", "15. jun. 2026")
    assert_issue(report, WARNING, ("SALES-01", due, date), by_code["action-overdue"])
    assert_issue(report, ERROR, ("SALES-99",), by_code["unknown-kpi"])
    missing = report.issues[by_code["comment-missing"]]
    assert ("off track" if lang == "en" else "bagud") in missing.message(lang)


def test_without_a_comments_sheet_red_kpis_need_no_comment(run: Check, sheets: Sheets) -> None:
    red = red_sheets(sheets, "en")
    del red["Comments"]
    _, report = run(red)
    assert codes(report) == [("T-deadline-passed", "KPIs", "H4")]


def test_the_report_date_given_to_validate_decides_which_comments_count(
    run: Check, sheets: Sheets
) -> None:
    red = red_sheets(
        sheets,
        "en",
        ["OPS-01", dt.date(2026, 6, 30), "A carrier went bankrupt", None, None, None],
        ["OPS-02", dt.date(2026, 6, 30), "One customer", "Talk to them", "Ole", "2026-06-20"],
    )
    _, report = run(red, report_date=dt.date(2026, 7, 31))
    # as of 31 July the June comments are not for this report: no overdue action shown either
    assert [c for c in codes(report) if c[0] != "T-deadline-passed"] == [
        ("comment-missing", "KPIs", "A3"),
        ("comment-missing", "KPIs", "A4"),
    ]


# -- reading rules that produce no issue -------------------------------------------------------

DA_HEADERS = {
    "id": "id",
    "department": "afdeling",
    "name": "navn",
    "description": "beskrivelse",
    "unit": "enhed",
    "direction": "retning",
    "target": "mål",
    "deadline": "frist",
    "baseline": "udgangspunkt",
    "baseline_date": "udgangsdato",
    "frequency": "frekvens",
    "aggregation": "sammenlægning",
    "objective": "formål",
    "owner": "ansvarlig",
    "data_source": "datakilde",
    "weight": "vægt",
}


def danish(
    sheets: Sheets,
    kpis: str = "KPI'er",
    measurements: str = "Målinger",
    benchmarks: str = "Sammenligninger",
) -> Sheets:
    """The fixture workbook with Danish sheet names, headers, settings keys and choices."""
    return {
        "Indstillinger": [
            ["indstilling", "værdi"],
            ["virksomhed", "Test A/S"],
            ["rapportdato", dt.date(2026, 6, 30)],
            ["sprog", "da"],
        ],
        "Afdelinger": [["afdeling", "leder", "e-mail", "farve"], sheets["Departments"][1]],
        kpis: [
            [DA_HEADERS[h] for h in KPI_HEADER],
            kpi_row(
                unit="antal", direction="højere", frequency="månedlig", aggregation="gennemsnit"
            ),
        ],
        measurements: [["kpi", "dato", "værdi", "kommentar"], *sheets["Measurements"][1:]],
        benchmarks: [
            ["kpi", "kilde", "værdi", "type", "dato"],
            ["SALES-01", "Branchegennemsnit 2025", 50, "branche", dt.date(2025, 12, 31)],
        ],
    }


def same_data(a: Workbook, b: Workbook) -> bool:
    """The same KPIs, measurements, benchmarks and departments (rows may differ)."""

    def plain(wb: Workbook) -> tuple:
        return (
            [dataclasses.replace(k, row=0) for k in wb.kpis],
            [(m.kpi_id, m.date, m.granularity, m.value, m.note) for m in wb.measurements],
            [(b.kpi_id, b.value, b.kind, b.date) for b in wb.benchmarks],
            [dataclasses.replace(d, row=0) for d in wb.departments],
        )

    return plain(a) == plain(b)


@pytest.mark.parametrize(
    ("kpis", "measurements", "benchmarks"),
    [("KPI'er", "Målinger", "Sammenligninger"), ("KPIer", "Maalinger", "Benchmarks")],
)
def test_danish_workbook(
    run: Check, sheets: Sheets, kpis: str, measurements: str, benchmarks: str
) -> None:
    english, _ = run(sheets)
    wb, report = run(danish(sheets, kpis, measurements, benchmarks))
    assert codes(report) == []
    assert wb.language == "da" and report.lang == "da"
    assert wb.settings.company == "Test A/S"
    assert wb.settings.report_date == dt.date(2026, 6, 30)
    assert wb.kpis == [dataclasses.replace(english.kpis[0], aggregation="mean")]
    assert [(m.date, m.value) for m in wb.measurements] == [
        (m.date, m.value) for m in english.measurements
    ]
    read = [(b.value, b.kind, b.date) for b in wb.benchmarks]
    assert read == [(50, "industry", dt.date(2025, 12, 31))]
    assert wb.departments == english.departments


def test_danish_workbook_issues_name_the_danish_sheet(run: Check, sheets: Sheets) -> None:
    da = danish(sheets)
    del da["Målinger"]
    _, report = run(da)
    assert codes(report) == [
        ("missing-sheet", "Målinger", None),
        ("M-few-measurements", "KPI'er", "A2"),
    ]
    assert report.lang == "da"
    assert report.to_dict()["issues"][0]["message"] == (
        "Projektmappen har intet ark med navnet 'Målinger'."
    )


def test_sheet_names_ignore_case_and_surrounding_spaces(run: Check, sheets: Sheets) -> None:
    english, _ = run(sheets)
    renamed = {
        "settings": sheets["Settings"],
        "DEPARTMENTS": sheets["Departments"],
        " kpis ": sheets["KPIs"],
        "Measurements ": sheets["Measurements"],
        "benchmarks": sheets["Benchmarks"],
    }
    wb, report = run(renamed)
    assert codes(report) == []
    assert same_data(wb, english)


def test_header_spelling_variations(run: Check, sheets: Sheets) -> None:
    english, _ = run(sheets)
    sheets["KPIs"][0] = [
        " ID ",
        "Department:",
        "NAME",
        "Description",
        "unit",
        "Direction",
        "Target",
        "DeadLine",
        "base line",
        "Baseline-Date",
        "frequency:",
        "AGGREGATION",
        "Objective ",
        "Owner",
        " Data-Source: ",
        "weight",
    ]
    sheets["Measurements"][0] = ["KPI_ID", "Date:", " value", "Comment"]
    sheets["Departments"][0] = ["Department", "Head", "E-mail", "Colour"]
    wb, report = run(sheets)
    assert codes(report) == []
    assert same_data(wb, english)


def test_free_column_order(run: Check, sheets: Sheets) -> None:
    english, _ = run(sheets)
    for name in ("Departments", "KPIs", "Measurements", "Benchmarks"):
        width = len(sheets[name][0])
        sheets[name] = [list(reversed(row + [None] * (width - len(row)))) for row in sheets[name]]
    wb, report = run(sheets)
    assert codes(report) == []
    assert same_data(wb, english)
    # and issues name the moved cells: direction is now column K (16 columns reversed)
    sheets["KPIs"][1] = list(reversed(kpi_row(direction="sideways")))
    _, report = run(sheets)
    assert codes(report) == [("bad-direction", "KPIs", "K2")]


def test_blank_rows_are_skipped(run: Check, sheets: Sheets) -> None:
    m = sheets["Measurements"]
    sheets["Measurements"] = [m[0], [], m[1], m[2], [None, None, None], [], m[3], m[4], m[5], m[6]]
    sheets["KPIs"] = [sheets["KPIs"][0], [], sheets["KPIs"][1], []]
    wb, report = run(sheets)
    assert codes(report) == []
    assert [r.row for r in wb.measurements] == [3, 4, 7, 8, 9, 10]
    assert [k.row for k in wb.kpis] == [3]


def _offset(sheets: Sheets) -> Sheets:
    """Headers in row 3 from column B (two blank rows above, one blank column left)."""
    for name in ("Departments", "KPIs", "Measurements", "Benchmarks"):
        sheets[name] = [[], [], *([None, *row] for row in sheets[name])]
    return sheets


def test_header_below_and_right_of_a1(run: Check, sheets: Sheets) -> None:
    english, _ = run(sheets)
    wb, report = run(_offset(sheets))
    assert codes(report) == []
    assert same_data(wb, english)
    assert [m.row for m in wb.measurements] == [4, 5, 6, 7, 8, 9]


def test_header_below_and_right_of_a1_cells_are_reported_right(run: Check, sheets: Sheets) -> None:
    _offset(sheets)
    set_cell(sheets, "KPIs", "G4", "sideways")  # direction of the first KPI
    set_cell(sheets, "Measurements", "D6", "n/a")  # value of the March measurement
    set_cell(sheets, "Benchmarks", "B4", "SALE-01")
    _, report = run(sheets)
    assert codes(report) == [
        ("bad-direction", "KPIs", "G4"),
        ("not-a-number", "Measurements", "D6"),
        ("unknown-kpi", "Benchmarks", "B4"),
    ]


def test_header_below_and_right_of_a1_missing_column(run: Check, sheets: Sheets) -> None:
    drop_column(sheets["KPIs"], "target")
    _offset(sheets)
    _, report = run(sheets)
    assert codes(report) == [("missing-column", "KPIs", "B3")]
    assert "row 3" in report.issues[0].message("en")


def test_header_below_and_right_of_a1_needs_aggregation(run: Check, sheets: Sheets) -> None:
    sheets["KPIs"][1] = kpi_row(aggregation=None)
    sheets["Measurements"].append(["SALES-01", dt.date(2026, 3, 15), 5, None])
    _offset(sheets)
    _, report = run(sheets)
    assert codes(report) == [("needs-aggregation", "KPIs", "M4")]
    assert "Measurements!C6, C10" in report.issues[0].message("en")


def test_other_sheets_are_ignored(run: Check, sheets: Sheets) -> None:
    english, _ = run(sheets)
    sheets = {
        "Instructions": [["How to fill in this workbook"], ["id", "value", "lots"]],
        **sheets,
        "Scratch": [["kpi", "date", "value"], ["NOPE", "soon", "n/a"]],
    }
    wb, report = run(sheets)
    assert codes(report) == []
    assert same_data(wb, english)


def _percent_kpi(sheets: Sheets, target: Any = 42) -> None:
    """A % KPI from 30 % to 40 % so far (plain numbers), aiming at ``target``."""
    sheets["KPIs"][1] = kpi_row(unit="%", target=target, baseline=30)
    for n, row in enumerate(sheets["Measurements"][1:]):
        row[2] = 30 + 2 * n


@pytest.mark.parametrize("target", [Fmt(0.42, "0%"), Fmt(0.42, "0.0%"), 42, 42.0])
def test_percent_rule_target(run: Check, sheets: Sheets, target: Any) -> None:
    _percent_kpi(sheets, target)
    wb, report = run(sheets)
    assert codes(report) == []
    assert wb.kpis[0].target == pytest.approx(0.42)
    assert wb.kpis[0].baseline == pytest.approx(0.30)


@pytest.mark.parametrize("target", ["42 %", "42%", "42"])
def test_percent_rule_target_as_text(run: Check, sheets: Sheets, target: str) -> None:
    _percent_kpi(sheets, target)
    wb, report = run(sheets)
    assert codes(report) == [("number-as-text", "KPIs", "G2")]
    assert wb.kpis[0].target == pytest.approx(0.42)
    assert "read as 42%" in report.issues[0].message("en")


@pytest.mark.parametrize(
    ("value", "expected"),
    [(Fmt(0.34, "0%"), []), (34, []), ("34 %", [("number-as-text", "Measurements", "C4")])],
)
def test_percent_rule_measurements(
    run: Check, sheets: Sheets, value: Any, expected: list[tuple[str, str, str]]
) -> None:
    _percent_kpi(sheets)
    set_cell(sheets, "Measurements", "C4", value)
    wb, report = run(sheets)
    assert codes(report) == expected
    assert [m.value for m in wb.measurements] == pytest.approx([0.30, 0.32, 0.34, 0.36, 0.38, 0.40])


@pytest.mark.parametrize("value", [Fmt(0.5, "0%"), 50])
def test_percent_rule_benchmarks(run: Check, sheets: Sheets, value: Any) -> None:
    _percent_kpi(sheets)
    set_cell(sheets, "Benchmarks", "C2", value)
    wb, report = run(sheets)
    assert codes(report) == []
    assert wb.benchmarks[0].value == pytest.approx(0.5)


def test_a_non_percent_kpi_is_never_divided(run: Check, sheets: Sheets) -> None:
    sheets["KPIs"][1] = kpi_row(target=Fmt(60, "0%"), baseline=Fmt(40, "0%"))
    set_cell(sheets, "Measurements", "C4", Fmt(44, "0%"))
    wb, report = run(sheets)
    assert codes(report) == []
    assert (wb.kpis[0].target, wb.kpis[0].baseline) == (60, 40)
    assert [m.value for m in wb.measurements] == [40, 42, 44, 46, 48, 50]


@pytest.mark.parametrize(
    ("frequency", "dates", "text", "date", "granularity"),
    [
        ("daily", ["2026-03-12", "2026-03-13", "2026-03-14"], "2026-03-15", "2026-03-15", "day"),
        ("daily", ["2026-03-12", "2026-03-13", "2026-03-14"], "15-03-2026", "2026-03-15", "day"),
        ("weekly", ["2026-01-05", "2026-01-12", "2026-01-19"], "2026-W05", "2026-01-26", "week"),
        ("monthly", ["2025-12-01", "2026-01-01", "2026-02-01"], "2026-03", "2026-03-01", "month"),
        (
            "quarterly",
            ["2025-04-01", "2025-07-01", "2025-10-01"],
            "2026-Q1",
            "2026-01-01",
            "quarter",
        ),
        ("yearly", ["2023-01-01", "2024-01-01", "2025-01-01"], "2026", "2026-01-01", "year"),
    ],
)
def test_text_dates(
    run: Check,
    sheets: Sheets,
    frequency: str,
    dates: list[str],
    text: str,
    date: str,
    granularity: str,
) -> None:
    sheets["KPIs"][1] = kpi_row(frequency=frequency, target=50, baseline_date=None)
    days = [dt.date.fromisoformat(d) for d in dates]
    sheets["Measurements"][1:] = [
        ["SALES-01", when, 40 + 2 * n, None] for n, when in enumerate([*days, text])
    ]
    wb, report = run(sheets)
    assert codes(report) == []
    last = wb.measurements[-1]
    assert (last.row, last.date, last.granularity) == (5, dt.date.fromisoformat(date), granularity)


@pytest.mark.parametrize(
    "header", [["key", "value"], ["Setting", "Value"], ["indstilling", "værdi"], None]
)
def test_settings_optional_header_row(run: Check, sheets: Sheets, header: list | None) -> None:
    if header is None:
        del sheets["Settings"][0]
    else:
        sheets["Settings"][0] = header
    wb, report = run(sheets)
    assert codes(report) == []
    assert wb.settings.company == "Test A/S"
    assert wb.settings.report_date == dt.date(2026, 6, 30)


def test_settings_keys_in_danish(run: Check, sheets: Sheets, tmp_path: Path) -> None:
    # the logo, next to the workbook: a whole PNG (a logo that cannot be decoded is a bad-logo)
    shutil.copy(SAMPLES / "acme-logo.png", tmp_path / "logo.png")
    sheets["Settings"] = [
        ["nøgle", "værdi"],
        ["virksomhed", "Test A/S"],
        ["titel", "Rapport"],
        ["rapportdato", dt.date(2026, 6, 30)],
        ["sprog", "en"],
        ["valuta", "EUR"],
        ["logo", "logo.png"],
        ["primær farve", "#112233"],
        ["Accentfarve:", "445566"],
        ["på sporet", 0.9],
        ["i risiko", "70%"],
        ["bestyrelse", "a@example.com; b@example.com"],
    ]
    wb, report = run(sheets)
    assert codes(report) == []
    s = wb.settings
    assert (s.company, s.title, s.report_date, s.language, s.currency, s.logo) == (
        "Test A/S",
        "Rapport",
        dt.date(2026, 6, 30),
        "en",
        "EUR",
        "logo.png",
    )
    assert (s.primary_color, s.accent_color) == ("#112233", "#445566")
    assert (s.on_track, s.at_risk) == (pytest.approx(0.9), pytest.approx(0.7))
    assert s.board_recipients == ["a@example.com", "b@example.com"]


def test_xlsm_reads_without_running_anything(
    make_workbook: Callable[..., Path], sheets: Sheets
) -> None:
    english, _ = check(make_workbook(copy.deepcopy(sheets)))
    path = make_workbook(sheets, "macros.xlsm")
    # make it a real macro-enabled workbook: content type, a VBA project and its relationship
    patch_part(
        path,
        "[Content_Types].xml",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    )
    patch_part(
        path,
        "xl/_rels/workbook.xml.rels",
        "</Relationships>",
        '<Relationship Id="rIdVba" Target="vbaProject.bin" Type="http://schemas.microsoft.com/'
        'office/2006/relationships/vbaProject" /></Relationships>',
    )
    with zipfile.ZipFile(path, "a") as zf:
        zf.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    wb, report = check(path)
    assert codes(report) == []
    assert same_data(wb, english)


# -- message language --------------------------------------------------------------------------


def test_lang_renders_an_english_workbook_in_danish(run: Check, sheets: Sheets) -> None:
    sheets["KPIs"][1] = kpi_row(direction="sideways")
    _, report = run(sheets, lang="da")
    assert codes(report) == [("bad-direction", "KPIs", "F2")]
    assert report.lang == "da"
    issue = report.to_dict()["issues"][0]
    assert issue["message"] == "'sideways' er ikke en retning."
    assert issue["hint"] == get_locale("da").gettext(CATALOG["bad-direction"].hint)
    assert issue["hint"] == "Skriv 'højere' (højere er bedre) eller 'lavere' (lavere er bedre)."


def test_lang_renders_a_danish_workbook_in_english(run: Check, sheets: Sheets) -> None:
    da = danish(sheets)
    da["KPI'er"][1] = kpi_row(direction="op og ned")
    _, default = run(copy.deepcopy(da))
    assert default.to_dict()["issues"][0]["message"] == "'op og ned' er ikke en retning."
    _, report = run(da, lang="en")
    assert codes(report) == [("bad-direction", "KPI'er", "F2")]
    assert report.to_dict()["issues"][0]["message"] == "'op og ned' is not a direction."


def test_cli_lang_option(make_workbook: Callable[..., Path], sheets: Sheets) -> None:
    set_cell(sheets, "Benchmarks", "D2", "rumour")
    path = make_workbook(sheets)
    result = CliRunner().invoke(
        main, ["validate", "--format", "json", "--lang", "da", str(path)], catch_exceptions=False
    )
    assert result.exit_code == 0  # a warning only
    [issue] = json.loads(result.stdout)["issues"]
    assert (issue["code"], issue["sheet"], issue["cell"]) == ("bad-kind", "Benchmarks", "D2")
    assert issue["message"] == "'rumour' er ikke en benchmarktype; den vises, som den er skrevet."


def _unknown_benchmark_kpi(sheets: Sheets) -> Sheets:
    set_cell(sheets, "Benchmarks", "A2", "SALE-01")
    return sheets


def _deadline_passed(sheets: Sheets) -> Sheets:
    sheets["KPIs"][1] = kpi_row(deadline=dt.date(2026, 5, 31))
    return sheets


def _missing_measurement_value(sheets: Sheets) -> Sheets:
    set_cell(sheets, "Measurements", "C4", None)
    return sheets


def _danish_unknown_benchmark_kpi(sheets: Sheets) -> Sheets:
    set_cell(sheets, "Settings", "B4", "da")
    return _unknown_benchmark_kpi(sheets)


@pytest.mark.parametrize(
    ("change", "lang", "expected", "where"),
    [
        (_unknown_benchmark_kpi, "da", "(mente du 'SALES-01'?)", "hint"),
        (_deadline_passed, "da", "31. maj 2026", "message"),
        (_missing_measurement_value, "da", "'værdi' er tomt for KPI'en 'SALES-01'", "message"),
        (_danish_unknown_benchmark_kpi, "en", "(did you mean 'SALES-01'?)", "hint"),
    ],
)
def test_lang_override_renders_the_arguments_too(
    run: Check,
    sheets: Sheets,
    change: Callable[[Sheets], Sheets],
    lang: str,
    expected: str,
    where: str,
) -> None:
    _, report = run(change(sheets), lang=lang)
    assert len(report.issues) == 1
    assert expected in report.to_dict()["issues"][0][where]


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        (
            "på sporet",
            0.7,
            "Andelen for 'på sporet' 70\u00a0% skal være større end 'i risiko' 80\u00a0%",
        ),
        (
            "på sporet",
            "det meste",
            "'det meste' er ikke en gyldig værdi for på sporet; 0,95 bruges",
        ),
    ],
)
def test_settings_issues_in_a_danish_workbook_are_danish(
    run: Check, sheets: Sheets, key: str, value: Any, expected: str
) -> None:
    set_cell(sheets, "Settings", "B4", "da")
    sheets["Settings"].append([key, value])
    _, report = run(sheets)
    assert len(report.issues) == 1
    assert expected in report.issues[0].message("da")


def test_a_logo_outside_the_workbook_folder_or_not_an_image_is_a_warning(
    run: Check, sheets: Sheets, tmp_path: Path
) -> None:
    (tmp_path / "notes.png").write_text("not an image")
    sheets["Settings"].append(["logo", "../secret.png"])  # B5
    sheets["Departments"][0].append("logo")
    sheets["Departments"][1].append("notes.png")  # E2
    _, report = run(sheets)
    assert codes(report) == [("bad-logo", "Settings", "B5"), ("bad-logo", "Departments", "E2")]
    assert_issue(report, WARNING, shows=("../secret.png",))
    assert_issue(report, WARNING, shows=("notes.png",), index=1)
    assert "outside" in report.issues[0].message("en")
    assert "PNG" in report.issues[1].message("en")


# -- meta --------------------------------------------------------------------------------------


def _codes_asserted_in_this_file() -> set[str]:
    """Every string inside the right-hand side of an ``assert codes(...) == ...`` here."""
    tree = ast.parse(Path(__file__).read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Compare) and isinstance(node.left, ast.Call)):
            continue
        func = node.left.func
        if not (isinstance(func, ast.Name) and func.id == "codes"):
            continue
        if not all(isinstance(op, ast.Eq) for op in node.ops):
            continue
        for comparator in node.comparators:
            for sub in ast.walk(comparator):
                if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
                    found.add(sub.value)
    return found


def test_every_issue_code_has_an_exact_test() -> None:
    assert CATALOG.keys() >= FATAL, "a fatal code was renamed; update FATAL"
    untested = sorted(set(CATALOG) - FATAL - _codes_asserted_in_this_file())
    assert untested == [], f"no 'assert codes(report) == [...]' test for {untested}"
