"""Issue 14, points 1 and 2: the KPIs sheet's optional goal column, the optional Plan sheet and
the Settings' fiscal_year_start, in English and Danish, read as a user types them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from kpireport.validate import check
from kpireport.workbook import read_workbook
from tests.conftest import KPI_HEADER, Fmt, codes, kpi_row, valid_sheets, write_workbook
from tests.workbook.test_libreoffice import _fixture_script, needs_soffice

D = dt.date


def with_goal(goal: Any, header: str = "goal") -> dict[str, list[list[Any]]]:
    sheets = valid_sheets()
    sheets["KPIs"] = [[*KPI_HEADER, header], [*kpi_row(), goal]]
    return sheets


def test_goal_defaults_to_reach(tmp_path: Path) -> None:
    workbook = read_workbook(write_workbook(tmp_path / "wb.xlsx", valid_sheets()))
    assert workbook.kpis[0].goal == "reach"


def test_goal_column_in_english_and_danish(tmp_path: Path) -> None:
    for n, (header, typed, goal) in enumerate(
        [
            ("goal", "keep", "keep"),
            ("goal", "Reach", "reach"),
            ("måltype", "hold", "keep"),
            ("Maaltype", "nå", "reach"),
            ("goal", None, "reach"),
        ]
    ):
        path = write_workbook(tmp_path / f"wb{n}.xlsx", with_goal(typed, header))
        workbook, report = check(path)
        assert workbook.kpis[0].goal == goal, (header, typed)
        assert report.valid, codes(report)


def test_a_goal_that_is_neither_is_an_error_at_its_cell(tmp_path: Path) -> None:
    workbook, report = check(write_workbook(tmp_path / "wb.xlsx", with_goal("hold it")))
    assert ("bad-goal", "KPIs", "Q2") in codes(report)
    assert workbook.kpis[0].goal == "reach"
    issue = next(i for i in report.issues if i.code == "bad-goal")
    assert issue.message("en") == "'hold it' is not a goal."
    assert issue.hint("en") == "Write reach (a target to reach) or keep (a limit to hold)."
    assert (
        issue.hint("da")
        == "Skriv nå (et mål, der skal nås) eller hold (en grænse, der skal holdes)."
    )


def plan_sheets(name: str = "Plan", header: list[str] | None = None) -> dict[str, Any]:
    sheets = valid_sheets()
    sheets["KPIs"].append(kpi_row(id="HR-01", unit="%", direction="lower", target=3))
    sheets[name] = [
        header or ["kpi", "period", "target", "note"],
        ["SALES-01", "2026-07", 45, "Quiet July"],
        ["sales-01", D(2026, 11, 1), 70.5, None],
        ["HR-01", "2026-01", 3.5, None],  # plain cell of a % KPI: 3.5 %
        ["HR-01", "2026-02", Fmt(0.032, "0.0%"), "Winter"],  # percent cell: 3.2 %
    ]
    return sheets


def test_the_plan_sheet_is_read_into_the_model(tmp_path: Path) -> None:
    workbook = read_workbook(write_workbook(tmp_path / "wb.xlsx", plan_sheets()))
    assert workbook.issues == []
    plan = [(p.kpi_id, p.date, p.granularity, p.target, p.row, p.note) for p in workbook.plan]
    assert plan[0] == ("SALES-01", D(2026, 7, 1), "month", 45.0, 2, "Quiet July")
    # the id is matched ignoring case, as on the other sheets; a date is a day
    assert plan[1] == ("SALES-01", D(2026, 11, 1), "day", 70.5, 3, None)
    assert plan[2][:4] == ("HR-01", D(2026, 1, 1), "month", 0.035)
    assert plan[3][3] == 0.032 and plan[3][5] == "Winter"
    assert workbook.sheets["plan"].name == "Plan"


def test_the_danish_plan_sheet(tmp_path: Path) -> None:
    sheets = plan_sheets("plan", ["kpi", "periode", "mål", "note"])
    workbook = read_workbook(write_workbook(tmp_path / "wb.xlsx", sheets))
    assert workbook.issues == []
    assert [p.target for p in workbook.plan] == [45.0, 70.5, 0.035, 0.032]


def test_a_plan_row_without_a_target_or_period_is_reported_and_left_out(tmp_path: Path) -> None:
    sheets = plan_sheets()
    sheets["Plan"] += [["SALES-01", "2026-08", None, None], ["SALES-01", "Aug", 50, None]]
    sheets["Plan"] += [["SALES-01", "2026-09", "lots", None]]
    workbook = read_workbook(write_workbook(tmp_path / "wb.xlsx", sheets))
    assert [(i.code, i.sheet, i.cell) for i in workbook.issues] == [
        ("missing-value", "Plan", "C6"),
        ("bad-date", "Plan", "B7"),
        ("not-a-number", "Plan", "C8"),
    ]
    assert len(workbook.plan) == 4


def test_no_plan_sheet_means_no_plan(tmp_path: Path) -> None:
    workbook, report = check(write_workbook(tmp_path / "wb.xlsx", valid_sheets()))
    assert workbook.plan == [] and report.valid and report.issues == []


def with_setting(key: str, value: Any) -> dict[str, list[list[Any]]]:
    sheets = valid_sheets()
    sheets["Settings"].append([key, value])
    return sheets


def test_fiscal_year_start(tmp_path: Path) -> None:
    workbook = read_workbook(write_workbook(tmp_path / "a.xlsx", valid_sheets()))
    assert workbook.settings.fiscal_year_start == 1
    for n, (key, value) in enumerate(
        [
            ("fiscal_year_start", 7),
            ("Fiscal year start", "July"),
            ("regnskabsår start", "juli"),
            ("regnskabsaar start", "7"),
            ("fiscal_year_start", D(2026, 7, 1)),
        ]
    ):
        path = write_workbook(tmp_path / f"wb{n}.xlsx", with_setting(key, value))
        workbook = read_workbook(path)
        assert workbook.issues == [], (key, value)
        assert workbook.settings.fiscal_year_start == 7, (key, value)


def test_a_fiscal_year_start_that_is_no_month_is_a_warning(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "wb.xlsx", with_setting("fiscal_year_start", 13))
    workbook, report = check(path)
    assert codes(report) == [("bad-setting", "Settings", "B5")]
    assert workbook.settings.fiscal_year_start == 1
    assert (
        report.issues[0].hint("en")
        == "Write the first month of the fiscal year: 1 to 12, or its name (July)."
    )


@needs_soffice
def test_the_plan_sheet_survives_libreoffice(tmp_path: Path) -> None:
    original = write_workbook(tmp_path / "plan.xlsx", plan_sheets())
    (copy,) = _fixture_script().convert_with_libreoffice([original], tmp_path / "lo")
    before, after = read_workbook(original), read_workbook(Path(copy))
    assert after.issues == []
    assert [(p.kpi_id, p.date, p.granularity, p.target, p.note) for p in after.plan] == [
        (p.kpi_id, p.date, p.granularity, p.target, p.note) for p in before.plan
    ]
