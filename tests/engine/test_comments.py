"""Issue 15, point 2 in the results: each KPI's comments for this report (those written for its
report date first, then those for every report), with the cell of each, in results.json."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from kpireport.engine import KpiComment, KpiResult, Results, compute, from_dict, to_dict
from kpireport.validate import check
from tests.conftest import schema_problems, valid_sheets, write_workbook

D = dt.date
HEADERS = {
    "en": ("Comments", ["kpi", "report_date", "comment", "action", "owner", "due"]),
    "da": ("Kommentarer", ["kpi", "rapportdato", "kommentar", "handling", "ansvarlig", "frist"]),
}


def commented(tmp_path: Path, lang: str = "en", report_date: D | None = None) -> Results:
    """The conftest workbook (report date 30 June 2026) with a Comments sheet."""
    sheets = copy.deepcopy(valid_sheets())
    name, header = HEADERS[lang]
    sheets[name] = [
        header,
        ["SALES-01", None, "Summer is slow every year", None, None, None],  # 2: every report
        ["SALES-01", D(2026, 5, 31), "Written for May", "Old action", "Ole", D(2026, 5, 15)],
        ["SALES-01", D(2026, 6, 30), "Two deals slipped", "Call both", "Mette", D(2026, 7, 15)],
        ["SALES-01", "2026-06", None, "Hire an account manager", "Mette", "2026-09"],  # 5
        ["SALES-01", "2026-07", "Written for July", None, None, None],  # 6
    ]
    workbook, report = check(write_workbook(tmp_path / f"wb-{lang}.xlsx", sheets))
    assert report.valid, [(i.code, i.cell) for i in report.errors]
    return compute(workbook, report, report_date=report_date)


def sales(results: Results) -> KpiResult:
    return next(k for d in results.departments for k in d.kpis if k.id == "SALES-01")


@pytest.mark.parametrize("lang", ["en", "da"])
def test_a_kpi_has_the_comments_of_this_report_dated_first(tmp_path: Path, lang: str) -> None:
    sheet = HEADERS[lang][0]
    assert sales(commented(tmp_path, lang)).comments == [
        KpiComment(
            comment="Two deals slipped",
            action="Call both",
            owner="Mette",
            due=D(2026, 7, 15),
            report_date=D(2026, 6, 30),
            cell=f"{sheet}!C4",
        ),
        # a month that holds the report date: written for this report
        KpiComment(
            None, "Hire an account manager", "Mette", D(2026, 9, 30), D(2026, 6, 30), f"{sheet}!C5"
        ),
        KpiComment("Summer is slow every year", None, None, None, None, f"{sheet}!C2"),
    ]


def test_another_report_date_shows_its_own_comments(tmp_path: Path) -> None:
    comments = sales(commented(tmp_path, report_date=D(2026, 7, 31))).comments
    assert [(c.comment, c.report_date, c.cell) for c in comments] == [
        ("Written for July", D(2026, 7, 31), "Comments!C6"),
        ("Summer is slow every year", None, "Comments!C2"),
    ]


def test_without_a_comments_sheet_no_kpi_has_comments(tmp_path: Path) -> None:
    workbook, report = check(write_workbook(tmp_path / "wb.xlsx", valid_sheets()))
    assert sales(compute(workbook, report)).comments == []


def test_the_comments_are_in_results_json_and_read_back(tmp_path: Path) -> None:
    results = commented(tmp_path)
    data: dict[str, Any] = json.loads(json.dumps(to_dict(results)))
    assert schema_problems(data) == []
    assert data["departments"][0]["kpis"][0]["comments"][0] == {
        "comment": "Two deals slipped",
        "action": "Call both",
        "owner": "Mette",
        "due": "2026-07-15",
        "report_date": "2026-06-30",
        "cell": "Comments!C4",
    }
    assert to_dict(from_dict(data)) == data
    # a results.json of 2.3 written before the comments reads as a KPI without comments
    for kpi in data["departments"][0]["kpis"]:
        del kpi["comments"]
    assert sales(from_dict(data)).comments == []


def test_an_overdue_action_is_a_warning_of_its_kpi(tmp_path: Path) -> None:
    sheets = copy.deepcopy(valid_sheets())
    sheets["Comments"] = [HEADERS["en"][1], ["SALES-01", None, "Slow", "Call", "Ole", "2026-05"]]
    workbook, report = check(write_workbook(tmp_path / "wb.xlsx", sheets))
    warnings = sales(compute(workbook, report)).warnings
    assert [(w.code, w.cell) for w in warnings] == [("action-overdue", "Comments!F2")]
