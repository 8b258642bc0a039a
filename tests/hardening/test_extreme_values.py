"""Extreme numbers and dates (issue 12, point 4): a number or date a report cannot show is a
validation error at its cell (magnitudes up to 1e15, years 1900 to 2200), never an internal
error; and one workbook that fails in any way never stops the others of the same run."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from kpireport.cli import main
from kpireport.validate import check
from kpireport.workbook.values import MAX_MAGNITUDE, MAX_YEAR, MIN_YEAR
from tests.conftest import kpi_row, valid_sheets, write_workbook

Sheets = dict[str, list[list[Any]]]


def edited(**cells: Any) -> Sheets:
    """The valid workbook with cells replaced: ``sheet__row__col=value`` (0-based row of the
    sheet's rows, header included; col as index)."""
    sheets = valid_sheets()
    for key, value in cells.items():
        sheet, row, col = key.split("__")
        sheets[sheet][int(row)][int(col)] = value
    return sheets


def kpi(**overrides: Any) -> Sheets:
    sheets = valid_sheets()
    sheets["KPIs"][1] = kpi_row(**overrides)
    return sheets


D = dt.date
OUT_OF_RANGE = [
    # (what, workbook, code, sheet, cell)
    ("a measurement of 1e40", edited(Measurements__3__2=1e40), "number-out-of-range", "C4"),
    ("a measurement typed as text", edited(Measurements__2__2="1e40"), "number-out-of-range", "C3"),
    ("a negative measurement", edited(Measurements__4__2=-2e15), "number-out-of-range", "C5"),
    ("a target of 1e308", kpi(target=1e308), "number-out-of-range", "G2"),
    ("a baseline of -1e16", kpi(baseline=-1e16), "number-out-of-range", "I2"),
    ("a weight of 1e300", kpi(weight=1e300), "number-out-of-range", "P2"),
    ("a benchmark of 1e40", edited(Benchmarks__1__2=1e40), "number-out-of-range", "C2"),
    ("a deadline of 9999-12-31", kpi(deadline=D(9999, 12, 31)), "date-out-of-range", "H2"),
    ("a deadline typed 9999-12-31", kpi(deadline="9999-12-31"), "date-out-of-range", "H2"),
    ("a deadline typed 9999-12", kpi(deadline="9999-12"), "date-out-of-range", "H2"),
    ("a deadline typed 9999-Q4", kpi(deadline="9999-Q4"), "date-out-of-range", "H2"),
    ("a deadline typed 9999", kpi(deadline="9999"), "date-out-of-range", "H2"),
    ("a deadline in 2201", kpi(deadline=D(2201, 1, 1)), "date-out-of-range", "H2"),
    ("a baseline date in 1899", kpi(baseline_date="1899-12-31"), "date-out-of-range", "J2"),
    (
        "a report date of 9999-12-31",
        edited(Settings__2__1=D(9999, 12, 31)),
        "date-out-of-range",
        "B3",
    ),
    (
        "a measurement dated 0001-01-01",
        edited(Measurements__1__1="0001-01-01"),
        "date-out-of-range",
        "B2",
    ),
    (
        "a measurement dated 9999-W52",
        edited(Measurements__6__1="9999-W52"),
        "date-out-of-range",
        "B7",
    ),
    (
        "a benchmark dated 9999-12-31",
        edited(Benchmarks__1__4=D(9999, 12, 31)),
        "date-out-of-range",
        "E2",
    ),
]


@pytest.mark.parametrize(
    ("sheets", "code", "cell"),
    [case[1:] for case in OUT_OF_RANGE],
    ids=[case[0] for case in OUT_OF_RANGE],
)
def test_a_number_or_date_a_report_cannot_show_is_an_error_at_its_cell(
    tmp_path: Path, sheets: Sheets, code: str, cell: str
) -> None:
    _workbook, report = check(write_workbook(tmp_path / "wb.xlsx", sheets))
    found = [(i.code, i.cell) for i in report.errors]
    assert (code, cell) in found
    issue = next(i for i in report.errors if i.code == code)
    message = issue.message("en")
    # the message says what range is accepted
    if code == "number-out-of-range":
        assert "1,000,000,000,000,000" in message
    else:
        assert "1900" in message and "2200" in message


def test_the_limits_themselves_are_accepted_and_built(tmp_path: Path) -> None:
    """The largest magnitudes and the first and last day accepted make a report like any other:
    validation has no error and every file, the PDFs included, is written."""
    sheets = valid_sheets()
    sheets["KPIs"][1] = kpi_row(
        target=MAX_MAGNITUDE,
        baseline=-MAX_MAGNITUDE,
        baseline_date=D(MIN_YEAR, 1, 1),
        deadline=D(MAX_YEAR, 12, 31),
    )
    for n, row in enumerate(sheets["Measurements"][1:]):
        row[2] = -MAX_MAGNITUDE + n * 1e14
    sheets["Benchmarks"][1][2] = MAX_MAGNITUDE
    path = write_workbook(tmp_path / "limits.xlsx", sheets)
    _workbook, report = check(path)
    assert report.valid, [(i.code, i.cell) for i in report.errors]
    result = CliRunner().invoke(main, ["build", str(path), "-o", str(tmp_path / "out"), "-q"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "limits" / "2026-06-30" / "board-pack.pdf").is_file()


def test_the_smallest_numbers_are_accepted_and_built(tmp_path: Path) -> None:
    """Tiny numbers (down to the smallest float, 5e-324) inside the accepted range: a slope of
    1e-323 a period would reach a target of 1e15 after 1e338 periods, which used to end the
    build in the forecast with "OverflowError: cannot convert float infinity to integer"."""
    sheets = valid_sheets()
    sheets["KPIs"][1] = kpi_row(target=MAX_MAGNITUDE, baseline=0)
    for n, row in enumerate(sheets["Measurements"][1:]):
        row[2] = n * 5e-324
    path = write_workbook(tmp_path / "tiny.xlsx", sheets)
    result = CliRunner().invoke(
        main, ["build", str(path), "-o", str(tmp_path / "out"), "--format", "html,json"]
    )
    assert result.exit_code == 0, result.output
    results = json.loads((tmp_path / "out" / "tiny" / "2026-06-30" / "results.json").read_text())
    [kpi] = [k for d in results["departments"] for k in d["kpis"] if k["target"] == MAX_MAGNITUDE]
    assert kpi["forecast"]["date_reached"] is None  # not within the years a forecast looks ahead


# --- one failing workbook never stops the others ----------------------------------------------


def test_build_reports_every_extreme_workbook_and_builds_the_others(tmp_path: Path) -> None:
    """The three workbooks of the issue (1e40, 1e308, 9999-12-31) used to end the whole run with
    an internal error at the first of them; now each is named with its cell, the good ones
    between them are built, and the exit code is 1."""
    inbox = tmp_path / "in"
    inbox.mkdir()
    write_workbook(inbox / "a-good.xlsx", valid_sheets())
    write_workbook(inbox / "b-measurement.xlsx", edited(Measurements__3__2=1e40))
    write_workbook(inbox / "c-target.xlsx", kpi(target=1e308))
    write_workbook(inbox / "d-deadline.xlsx", kpi(deadline=D(9999, 12, 31)))
    write_workbook(inbox / "e-good.xlsx", valid_sheets())
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main, ["build", str(inbox), "-o", str(out), "-q", "--format", "html,json"]
    )
    assert result.exit_code == 1
    assert "unexpectedly" not in result.output
    for name in ("a-good", "e-good"):
        assert (out / name / "2026-06-30" / "index.html").is_file()
        assert str(out / name / "2026-06-30") in result.stdout
    blocks = re.split(r"^(?=\S.*: not valid$)", result.stderr, flags=re.M)
    for name, cell in (("b-measurement", "C4"), ("c-target", "G2"), ("d-deadline", "H2")):
        block = next(b for b in blocks if b.startswith(f"{inbox / name}.xlsx: not valid"))
        assert re.search(rf"^  {cell} +error ", block, re.M), block
        assert not (out / name / "2026-06-30").exists()
    assert result.stderr.count("[number-out-of-range]") == 2
    assert result.stderr.count("[date-out-of-range]") == 1


def test_validate_reports_every_extreme_workbook(tmp_path: Path) -> None:
    for name, sheets in (
        ("a.xlsx", edited(Measurements__3__2=1e40)),
        ("b.xlsx", kpi(deadline="9999-12-31")),
        ("c.xlsx", valid_sheets()),
    ):
        write_workbook(tmp_path / name, sheets)
    result = CliRunner().invoke(main, ["validate", str(tmp_path)])
    assert result.exit_code == 1
    assert "unexpectedly" not in result.output
    assert f"{tmp_path / 'c.xlsx'}: valid" in result.output
    assert "[number-out-of-range]" in result.output and "[date-out-of-range]" in result.output


BOOM_TEMPLATE = """{% extends "default:department.html" %}
{% block body %}{% if r.company == "Boom A/S" %}{{ 1 // 0 }}{% endif %}{{ super() }}{% endblock %}
"""


def test_an_unexpected_failure_of_one_workbook_is_its_own_and_the_others_are_built(
    tmp_path: Path,
) -> None:
    """Any exception while one workbook is built (here: a template that divides by zero for one
    company only, so no mock is involved) fails that workbook, named, and the run goes on."""
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "department.html").write_text(BOOM_TEMPLATE, encoding="utf-8")
    inbox = tmp_path / "in"
    inbox.mkdir()
    boom = valid_sheets()
    boom["Settings"][1][1] = "Boom A/S"
    write_workbook(inbox / "a-boom.xlsx", boom)
    write_workbook(inbox / "b-good.xlsx", valid_sheets())
    out = tmp_path / "out"
    args = ["build", str(inbox), "-o", str(out), "-q", "--format", "html,json"]
    result = CliRunner().invoke(main, [*args, "--templates", str(templates)])
    assert result.exit_code == 1
    assert (out / "b-good" / "2026-06-30" / "index.html").is_file()
    assert str(out / "b-good" / "2026-06-30") in result.stdout
    assert f"{inbox / 'a-boom.xlsx'}: " in result.stderr
    assert "ZeroDivisionError" in result.stderr
    assert "--debug" not in result.stderr  # the CLI's words for a run ended by a bug
    assert not (out / "a-boom" / "2026-06-30" / "index.html").exists()
