"""The slips people make filling in a workbook by hand (issue 13, points 2, 3, 9 and 10): each
is a warning at the cell, with what was read and what was probably meant, never a silent
wrong status."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner

from kpireport.cli import main
from kpireport.textreport import render_text
from kpireport.validate import check
from tests.conftest import kpi_row, valid_sheets, write_workbook
from tests.engine.test_percent_typing import saved_by_libreoffice

D = dt.date
Sheets = dict[str, list[list[Any]]]


def percent_sheets(target: float = 2.9, benchmark: float = 3.3) -> Sheets:
    """Churn, a lower-is-better % KPI, its measurements typed as plain numbers (3.1 for
    3.1 %), as most people type them."""
    sheets = valid_sheets()
    sheets["KPIs"][1] = kpi_row(
        id="SALES-02",
        name="Customer churn",
        unit="%",
        direction="lower",
        target=target,
        baseline=4.5,
        aggregation="last",
    )
    values = [4.2, 3.9, 3.6, 3.4, 3.1, 3.0]
    sheets["Measurements"] = [["kpi", "date", "value", "note"]] + [
        ["SALES-02", D(2026, month, 1), v, None]
        for month, v in zip(range(1, 7), values, strict=True)
    ]
    sheets["Benchmarks"][1] = ["SALES-02", "Industry average 2025", benchmark, "industry", None]
    return sheets


def issues_of(path: Path, code: str) -> list[Any]:
    _workbook, report = check(path)
    return [i for i in report.issues if i.code == code]


# --- point 2: scale-mismatch -------------------------------------------------------------------


def test_a_target_typed_as_a_fraction_is_a_scale_mismatch(tmp_path: Path) -> None:
    """Target 0.032 in a plain cell is read as 0.032 % (0.00032) against measurements around
    3 %: about 100 times smaller. Before: valid, and the KPI 'achieved' in the board pack."""
    [path] = saved_by_libreoffice(
        [write_workbook(tmp_path / "churn.xlsx", percent_sheets(target=0.032))], tmp_path / "lo"
    )
    [issue] = issues_of(path, "scale-mismatch")
    assert (issue.severity, issue.sheet, issue.cell) == ("warning", "KPIs", "G2")
    assert issue.message("en") == (
        "The target reads as 0.032%, about 100 times smaller than the KPI's measurements "
        "(around 3.5%): did you mean 3.2%?"
    )
    assert "0,032\xa0%" in issue.message("da") and "3,2\xa0%" in issue.message("da")


def test_a_benchmark_typed_in_a_percent_cell_is_a_scale_mismatch(tmp_path: Path) -> None:
    """3 typed into a %-formatted cell is 300 %, about 100 times the measurements (3.5 %)."""
    path = write_workbook(tmp_path / "churn.xlsx", percent_sheets())
    book = openpyxl.load_workbook(path)
    book["Benchmarks"]["C2"] = 3
    book["Benchmarks"]["C2"].number_format = "0.0%"
    book.save(path)
    [path] = saved_by_libreoffice([path], tmp_path / "lo")
    [issue] = issues_of(path, "scale-mismatch")
    assert (issue.sheet, issue.cell) == ("Benchmarks", "C2")
    assert "The benchmark reads as 300%" in issue.message("en")
    assert issue.message("en").endswith("did you mean 3%?")


def test_a_baseline_typed_as_a_fraction_is_a_scale_mismatch(tmp_path: Path) -> None:
    sheets = percent_sheets()
    sheets["KPIs"][1] = kpi_row(
        id="SALES-02", unit="%", direction="lower", target=2.9, baseline=0.045
    )
    [issue] = issues_of(write_workbook(tmp_path / "wb.xlsx", sheets), "scale-mismatch")
    assert (issue.sheet, issue.cell) == ("KPIs", "I2")
    assert issue.message("en").endswith("did you mean 4.5%?")


@pytest.mark.parametrize(
    ("target", "benchmark"),
    [(2.9, 3.3), (0.5, 3.3), (2.9, 12), (2.9, 0.2)],  # 6 x, 7 x, 15 x: not a slip of 100
)
def test_values_on_the_same_scale_are_no_mismatch(
    tmp_path: Path, target: float, benchmark: float
) -> None:
    path = write_workbook(tmp_path / "wb.xlsx", percent_sheets(target, benchmark))
    assert issues_of(path, "scale-mismatch") == []


def test_a_count_kpi_is_never_a_scale_mismatch(tmp_path: Path) -> None:
    """Only a % KPI has two ways of typing one value; a count may well grow a hundredfold."""
    sheets = valid_sheets()
    sheets["KPIs"][1] = kpi_row(target=5000)
    assert issues_of(write_workbook(tmp_path / "wb.xlsx", sheets), "scale-mismatch") == []


def build(path: Path, out: Path, *args: str) -> Any:
    return CliRunner().invoke(main, ["build", str(path), "-o", str(out), *args])


def test_build_strict_refuses_what_validate_strict_refuses(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "churn.xlsx", percent_sheets(target=0.032))
    strict = CliRunner().invoke(main, ["validate", "--strict", str(path)])
    assert strict.exit_code == 1
    result = build(path, tmp_path / "out", "--strict", "--format", "html,json")
    assert result.exit_code == 1, result.output
    assert "[scale-mismatch]" in result.stderr
    assert "(--strict: warnings count as failures)" in result.stderr
    assert not list((tmp_path / "out").rglob("results.json"))
    page = (tmp_path / "out" / "churn" / "validation.html").read_text()
    assert "did you mean 3.2%?" in page
    assert "--strict" in page


def test_build_shows_a_scale_mismatch_on_the_department_page_and_in_the_board_pack(
    tmp_path: Path,
) -> None:
    path = write_workbook(tmp_path / "churn.xlsx", percent_sheets(target=0.032))
    result = build(path, tmp_path / "out", "--format", "html,json")
    assert result.exit_code == 0, result.output
    folder = tmp_path / "out" / "churn" / "2026-06-30"
    data = json.loads((folder / "results.json").read_text())
    [kpi] = data["departments"][0]["kpis"]
    assert [w["code"] for w in kpi["warnings"]] == ["scale-mismatch"]
    page = (folder / "sales.html").read_text()
    top = page[: page.index('<section class="card"')]
    assert "did you mean 3.2%?" in top  # above the KPIs, not only on the card
    pack = (folder / "board-pack.html").read_text()
    attention = pack[pack.index('id="attention"') :]
    assert "Customer churn" in attention and "did you mean 3.2%?" in attention


# --- point 3: after-report-date ----------------------------------------------------------------


def forgotten_report_date() -> Sheets:
    """The report date left at 31 March while data was entered through June: 9 rows after it
    (three a month from April), the first in row 5."""
    sheets = valid_sheets()
    sheets["Settings"][2][1] = D(2026, 3, 31)
    sheets["Measurements"] = (
        [["kpi", "date", "value", "note"]]
        + [
            ["SALES-01", D(2026, month, day), 40 + month, None]
            for month in range(1, 7)
            for day in (5, 15, 25)
        ][:3]
        + [
            ["SALES-01", D(2026, month, day), 40 + month, None]
            for month in range(2, 7)
            for day in (5, 15, 25)
        ]
    )
    return sheets


def test_rows_after_the_report_date_are_a_warning_with_their_count_and_first_cell(
    tmp_path: Path,
) -> None:
    sheets = forgotten_report_date()
    after = [r for r in sheets["Measurements"][1:] if r[1] > D(2026, 3, 31)]
    first = 2 + sheets["Measurements"][1:].index(after[0])
    [path] = saved_by_libreoffice([write_workbook(tmp_path / "wb.xlsx", sheets)], tmp_path / "lo")
    [issue] = issues_of(path, "after-report-date")
    assert (issue.severity, issue.sheet, issue.cell) == ("warning", "Settings", "B3")
    assert issue.message("en") == (
        f"{len(after)} measurement rows are dated after the report date 31 Mar 2026 and are "
        f"left out of the reports (the first: Measurements!B{first})."
    )
    assert "Lad rapportdatoen være tom" in issue.hint("da") or issue.hint("da")


def test_one_row_after_the_report_date_is_singular(tmp_path: Path) -> None:
    sheets = valid_sheets()
    sheets["Settings"][2][1] = D(2026, 5, 31)
    [issue] = issues_of(write_workbook(tmp_path / "wb.xlsx", sheets), "after-report-date")
    assert issue.message("en").startswith("1 measurement row is dated after the report date")


def test_no_warning_without_a_typed_report_date(tmp_path: Path) -> None:
    sheets = forgotten_report_date()
    del sheets["Settings"][2]
    assert issues_of(write_workbook(tmp_path / "wb.xlsx", sheets), "after-report-date") == []


def test_build_prints_the_report_date_it_used(tmp_path: Path) -> None:
    typed = write_workbook(tmp_path / "typed.xlsx", valid_sheets())
    sheets = valid_sheets()
    del sheets["Settings"][2]
    latest = write_workbook(tmp_path / "latest.xlsx", sheets)
    result = build(typed, tmp_path / "out", "--format", "json")
    assert f"{typed}: report date 30 Jun 2026 (Settings!B3)" in result.stderr
    result = build(latest, tmp_path / "out", "--format", "json")
    assert f"{latest}: report date 1 Jun 2026 (the latest measurement, Measurements!B7)" in (
        result.stderr
    )
    assert sheets["Settings"][2][0] == "language"
    sheets["Settings"][2][1] = "da"
    danish = write_workbook(tmp_path / "dansk.xlsx", sheets)
    result = build(danish, tmp_path / "out", "--format", "json")
    assert f"{danish}: rapportdato 1. jun. 2026 (den seneste måling, Measurements!B7)" in (
        result.stderr
    )


# --- point 9: period-mismatch ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("frequency", "typed", "lands"),
    [("monthly", "2026-W01", "2025-12"), ("yearly", "2026-W01", "2025")],
)
def test_a_week_across_a_period_boundary_is_a_period_mismatch(
    tmp_path: Path, frequency: str, typed: str, lands: str
) -> None:
    sheets = valid_sheets()
    sheets["KPIs"][1] = kpi_row(frequency=frequency, baseline_date=D(2025, 1, 1))
    sheets["Measurements"].append(["SALES-01", typed, 50, None])
    [path] = saved_by_libreoffice([write_workbook(tmp_path / "wb.xlsx", sheets)], tmp_path / "lo")
    [issue] = issues_of(path, "period-mismatch")
    assert (issue.severity, issue.sheet, issue.cell) == ("warning", "Measurements", "B8")
    assert issue.message("en").startswith(
        f"'{typed}' is a week from 29 Dec 2025 to 4 Jan 2026, across two periods of KPI "
        f"'SALES-01'; it is counted in {lands}."
    )


def test_a_week_inside_one_month_is_no_mismatch(tmp_path: Path) -> None:
    sheets = valid_sheets()
    sheets["Measurements"].append(["SALES-01", "2026-W10", 50, None])  # 2-8 March
    assert issues_of(write_workbook(tmp_path / "wb.xlsx", sheets), "period-mismatch") == []


# --- point 10: one name per department ---------------------------------------------------------


def test_a_department_in_another_case_is_one_department_with_a_warning(tmp_path: Path) -> None:
    sheets = valid_sheets()
    sheets["KPIs"].append(kpi_row(id="SALES-02", department="sales ", name="Churn"))
    sheets["KPIs"].append(kpi_row(id="SALES-03", department="SALES", name="Orders"))
    sheets["Measurements"] += [[k, D(2026, 6, 1), 50, None] for k in ("SALES-02", "SALES-03")]
    [path] = saved_by_libreoffice([write_workbook(tmp_path / "wb.xlsx", sheets)], tmp_path / "lo")
    workbook, report = check(path)
    assert {k.department for k in workbook.kpis} == {"Sales"}
    spelled = [(i.sheet, i.cell) for i in report.issues if i.code == "department-spelling"]
    assert spelled == [("KPIs", "B3"), ("KPIs", "B4")]
    assert next(i for i in report.issues if i.cell == "B3").message("en") == (
        "The department 'sales' is spelled 'Sales' elsewhere (Departments!A2); it is counted "
        "as 'Sales'."
    )
    assert "3 KPIs in 1 department," in render_text(report, workbook)


def test_departments_only_on_the_kpis_sheet_take_the_first_spelling(tmp_path: Path) -> None:
    sheets = valid_sheets()
    sheets["Departments"] = [["department", "head", "email", "color"]]
    sheets["KPIs"].append(kpi_row(id="SALES-02", department="SALES", name="Churn"))
    workbook, report = check(write_workbook(tmp_path / "wb.xlsx", sheets))
    assert [k.department for k in workbook.kpis] == ["Sales", "Sales"]
    [issue] = [i for i in report.issues if i.code == "department-spelling"]
    assert issue.message("en").startswith(
        "The department 'SALES' is spelled 'Sales' elsewhere (KPIs!B2)"
    )


# --- validate's paces leave out a sum KPI's running period, as the engine does -----------------


def test_a_running_month_of_a_sum_kpi_is_no_unrealistic_pace(tmp_path: Path) -> None:
    """Revenue summed per month, 1.00M to 1.08M from January to May (best pace 0.02M a month),
    and June's sales so far (0.5M by the 15th). The engine judges May's 1.08M, so the pace
    needed to 1.2M by December is (1.2 - 1.08) / 6 = 0.02M a month: realistic. Before, validate
    took the half month as the current value: (1.2 - 0.5) / 6 = 0.117M a month, 5.8 times the
    best pace, and said A-unrealistic-pace."""
    sheets = valid_sheets()
    sheets["Settings"][2][1] = D(2026, 6, 15)
    sheets["KPIs"][1] = kpi_row(
        name="Revenue", unit="DKK", target=1_200_000, baseline=None, aggregation="sum"
    )
    monthly = [1_000_000, 1_020_000, 1_040_000, 1_060_000, 1_080_000]
    sheets["Measurements"] = [["kpi", "date", "value", "note"]] + [
        ["SALES-01", D(2026, month, 28), v, None]
        for month, v in zip(range(1, 6), monthly, strict=True)
    ]
    sheets["Measurements"].append(["SALES-01", D(2026, 6, 10), 500_000, None])
    sheets["Benchmarks"] = sheets["Benchmarks"][:1]
    assert issues_of(write_workbook(tmp_path / "wb.xlsx", sheets), "A-unrealistic-pace") == []


def test_validate_judges_the_pace_on_the_rows_up_to_the_report_date(tmp_path: Path) -> None:
    """New customers summed per month, 40 a month (four rows of 10) from January to June, the
    report date left at 31 March. The engine judges March's 40: (60 - 40) / 9 months = 2.22 a
    month needed. Before, validate also counted April to June and said 3.33 a month."""
    sheets = valid_sheets()
    sheets["Settings"][2][1] = D(2026, 3, 31)
    sheets["Measurements"] = [["kpi", "date", "value", "note"]] + [
        ["SALES-01", D(2026, month, day), 10, None]
        for month in range(1, 7)
        for day in (5, 12, 19, 26)
    ]
    [issue] = issues_of(write_workbook(tmp_path / "wb.xlsx", sheets), "A-no-improvement")
    assert "needs 2.22 per month" in issue.message("en")
