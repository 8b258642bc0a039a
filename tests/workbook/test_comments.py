"""Issue 15, point 2: the optional Comments sheet (commentary and actions per KPI), in English
and Danish, read as a user types it, and the same after LibreOffice saved it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from kpireport.model import Workbook
from kpireport.validate import check
from kpireport.workbook import read_workbook
from tests.conftest import valid_sheets, write_workbook
from tests.workbook.test_libreoffice import _fixture_script, needs_soffice

D = dt.date
HEADER = ["kpi", "report_date", "comment", "action", "owner", "due"]
HEADER_DA = ["kpi", "rapportdato", "kommentar", "handling", "ansvarlig", "frist"]


def comment_sheets(name: str = "Comments", header: list[str] | None = None) -> dict[str, Any]:
    sheets = valid_sheets()
    sheets[name] = [
        header or HEADER,
        [
            "SALES-01",
            D(2026, 6, 30),
            "Two deals slipped",
            "Call both",
            "Mette",
            D(2026, 7, 15),
        ],
        ["sales-01", None, "Seasonal: summer is slow", None, None, None],
        ["SALES-01", "2026-05", None, "Hire a second account manager", "Mette Hansen", "2026-09"],
    ]
    return sheets


def rows(workbook: Workbook) -> list[tuple[Any, ...]]:
    return [
        (c.kpi_id, c.report_date, c.granularity, c.comment, c.action, c.owner, c.due, c.row)
        for c in workbook.comments
    ]


EXPECTED = [
    ("SALES-01", D(2026, 6, 30), "day", "Two deals slipped", "Call both", "Mette",
     D(2026, 7, 15), 2),
    # the id is matched ignoring case; no report date: for every report
    ("SALES-01", None, None, "Seasonal: summer is slow", None, None, None, 3),
    # a month as the report date; a due month means its last day
    ("SALES-01", D(2026, 5, 1), "month", None, "Hire a second account manager", "Mette Hansen",
     D(2026, 9, 30), 4),
]  # fmt: skip


def test_the_comments_sheet_is_read_into_the_model(tmp_path: Path) -> None:
    workbook = read_workbook(write_workbook(tmp_path / "wb.xlsx", comment_sheets()))
    assert workbook.issues == []
    assert rows(workbook) == EXPECTED
    assert workbook.sheets["comments"].name == "Comments"


def test_the_danish_comments_sheet(tmp_path: Path) -> None:
    sheets = comment_sheets("Kommentarer", HEADER_DA)
    workbook = read_workbook(write_workbook(tmp_path / "wb.xlsx", sheets))
    assert workbook.issues == []
    assert rows(workbook) == EXPECTED
    assert workbook.sheets["comments"].name == "Kommentarer"


def test_a_comments_sheet_does_not_make_a_valid_workbook_invalid(tmp_path: Path) -> None:
    _workbook, report = check(write_workbook(tmp_path / "wb.xlsx", comment_sheets()))
    assert report.valid, [(i.code, i.cell) for i in report.issues]


@pytest.mark.parametrize(
    ("name", "header", "comment_word"),
    [("Comments", HEADER, "comment"), ("Kommentarer", HEADER_DA, "kommentar")],
)
def test_bad_dates_and_empty_comments_are_reported_at_their_cells(
    tmp_path: Path, name: str, header: list[str], comment_word: str
) -> None:
    sheets = comment_sheets(name, header)
    sheets["Settings"][3][1] = "da" if name == "Kommentarer" else "en"
    sheets[name] += [
        ["SALES-01", "next board", "Text", None, None, None],  # row 5: not a date
        ["SALES-01", None, "Text", "Act", None, "soon"],  # row 6: not a date
        ["SALES-01", D(2026, 6, 30), None, None, "Mette", None],  # row 7: nothing said
        [None, None, "A comment without a KPI", None, None, None],  # row 8
    ]
    workbook = read_workbook(write_workbook(tmp_path / "wb.xlsx", sheets))
    assert [(i.code, i.sheet, i.cell) for i in workbook.issues] == [
        ("bad-date", name, "B5"),
        ("bad-date", name, "F6"),
        ("missing-value", name, "C7"),
        ("missing-value", name, "A8"),
    ]
    lang = workbook.language
    assert f"'{comment_word}'" in workbook.issues[2].message(lang)
    assert "SALES-01" in workbook.issues[2].message(lang)
    # rows that cannot be placed are left out; a bad due date leaves the comment without one
    kept = [(c.row, c.due) for c in workbook.comments]
    assert kept == [(2, D(2026, 7, 15)), (3, None), (4, D(2026, 9, 30)), (6, None)]


def test_no_comments_sheet_means_no_comments(tmp_path: Path) -> None:
    workbook, report = check(write_workbook(tmp_path / "wb.xlsx", valid_sheets()))
    assert workbook.comments == [] and report.valid and report.issues == []


@needs_soffice
def test_the_comments_sheet_survives_libreoffice(tmp_path: Path) -> None:
    original = write_workbook(tmp_path / "comments.xlsx", comment_sheets("Kommentarer", HEADER_DA))
    (copy,) = _fixture_script().convert_with_libreoffice([original], tmp_path / "lo")
    after = read_workbook(Path(copy))
    assert after.issues == []
    assert rows(after) == EXPECTED
