"""Issue 15, point 1, in ``kpireport build``: each report set is compared with the previous
report: the latest earlier set of the same workbook in the output folder (its results.json, same
company), else the same workbook computed as of the end of the month before the report date;
``--compare-to DATE`` and ``--compare-to none``; ``--report-date`` overrides the Settings date.
The expected moves are computed here from the engine at both dates, never typed in."""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

import pytest

from kpireport.engine import compute
from kpireport.engine.changes import move
from kpireport.engine.serialize import RESULTS_FILE
from kpireport.previous import read_snapshot
from kpireport.validate import check
from tests.build.test_incremental import cli, rewritten, run, snapshot
from tests.conftest import kpi_row, valid_sheets, write_workbook

D = dt.date
JUNE, MAY = D(2026, 6, 30), D(2026, 5, 31)


def workbook(tmp_path: Path, company: str = "Test A/S") -> Path:
    """Two KPIs whose statuses differ between 31 May and 30 June: SALES-01 (40, 42, ... in
    January to June) and SALES-02, which drops in June."""
    sheets = copy.deepcopy(valid_sheets())
    sheets["Settings"] = [r for r in sheets["Settings"] if r[0] != "company"]
    sheets["Settings"].append(["company", company])
    sheets["KPIs"].append(kpi_row(id="SALES-02", name="Orders", target=100, baseline=50))
    months = [D(2026, m, 1) for m in range(1, 7)]
    values = [60, 68, 76, 84, 92, 55]
    sheets["Measurements"] += [
        ["SALES-02", d, v, None] for d, v in zip(months, values, strict=True)
    ]
    return write_workbook(tmp_path / "kpis.xlsx", sheets)


def statuses(path: Path, as_of: dt.date) -> dict[str, tuple[str, float | None]]:
    workbook, report = check(path, report_date=as_of)
    results = compute(workbook, report, report_date=as_of)
    return {k.id: (k.status, k.current) for d in results.departments for k in d.kpis}


def results_of(out: Path, day: dt.date) -> dict[str, Any]:
    return json.loads((out / "kpis" / day.isoformat() / "results.json").read_text("utf-8"))


def kpis(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {k["id"]: k for d in data["departments"] for k in d["kpis"]}


def check_compared(data: dict[str, Any], path: Path, before: dt.date, source: str) -> None:
    """Every KPI's previous status, value and move as the engine computes them on both dates."""
    assert data["compared_with"] == {"report_date": before.isoformat(), "source": source}
    then, now = statuses(path, before), statuses(path, JUNE)
    for kpi_id, kpi in kpis(data).items():
        previous = kpi["previous"]
        assert (previous["status"], previous["current"]) == then[kpi_id]
        assert previous["move"] == move(then[kpi_id][0], now[kpi_id][0])
        assert previous["source"] == source
    moved = [i for i in now if then[i][0] != now[i][0]]
    assert moved, "the workbook must move a status for this test to mean anything"
    assert sorted(c["id"] for c in data["summary"]["changes"]) == sorted(moved)


def test_a_set_is_compared_with_the_earlier_set_in_the_folder(tmp_path: Path) -> None:
    path, out = workbook(tmp_path), tmp_path / "out"
    assert cli(path, out, "--format", "json", "--report-date", "2026-04-30").exit_code == 0
    assert cli(path, out, "--format", "json", "--report-date", "2026-05-31").exit_code == 0
    assert cli(path, out, "--format", "json").exit_code == 0
    # the latest earlier set (31 May), not the older one
    check_compared(results_of(out, JUNE), path, MAY, "earlier_set")
    # SALES-02 fell from 92 to 55: a negative difference (higher is better)
    assert kpis(results_of(out, JUNE))["SALES-02"]["previous"]["difference"] == pytest.approx(-37)


def test_without_an_earlier_set_the_workbook_is_recomputed_as_of_the_month_before(
    tmp_path: Path,
) -> None:
    path, out = workbook(tmp_path), tmp_path / "out"
    assert cli(path, out, "--format", "json").exit_code == 0
    check_compared(results_of(out, JUNE), path, MAY, "recomputed")


def test_an_earlier_set_of_another_company_or_unreadable_is_passed_over(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (tmp_path / "other").mkdir()
    other = workbook(tmp_path / "other", company="Other ApS")  # the same file name
    assert cli(other, out, "--format", "json", "--report-date", "2026-05-31").exit_code == 0
    path = workbook(tmp_path)
    assert cli(path, out, "--format", "json").exit_code == 0
    check_compared(results_of(out, JUNE), path, MAY, "recomputed")
    broken = out / "kpis" / "2026-05-31" / "results.json"
    broken.write_text("{not json", "utf-8")
    (out / "kpis" / "not-a-date").mkdir()
    assert cli(path, out, "--format", "json", "--force").exit_code == 0
    check_compared(results_of(out, JUNE), path, MAY, "recomputed")
    broken.unlink()  # the suite checks every results.json it leaves against the schema


def test_compare_to_a_date_and_to_none(tmp_path: Path) -> None:
    path, out = workbook(tmp_path), tmp_path / "out"
    assert cli(path, out, "--format", "json", "--compare-to", "2026-03-31").exit_code == 0
    check_compared(results_of(out, JUNE), path, D(2026, 3, 31), "recomputed")
    assert cli(path, out, "--format", "json", "--compare-to", "none").exit_code == 0
    data = results_of(out, JUNE)
    assert data["compared_with"] is None
    assert data["summary"]["changes"] == []
    assert all(k["previous"] is None for k in kpis(data).values())


@pytest.mark.parametrize("value", ["2026-06-30", "2026-07-31", "soon"])
def test_compare_to_must_be_an_earlier_date_or_none(tmp_path: Path, value: str) -> None:
    path, out = workbook(tmp_path), tmp_path / "out"
    result = cli(path, out, "--format", "json", "--compare-to", value)
    assert result.exit_code == 2, result.output
    assert "--compare-to" in result.output
    assert "Traceback" not in result.output


def test_a_new_earlier_set_makes_the_later_set_out_of_date(tmp_path: Path) -> None:
    # A rebuild with nothing changed rewrites nothing; an earlier set built in between changes
    # what the later one is compared with, so the later one is rebuilt.
    path, out = workbook(tmp_path), tmp_path / "out"
    assert cli(path, out, "--format", "json").exit_code == 0
    first = snapshot(out / "kpis" / JUNE.isoformat())
    assert cli(path, out, "--format", "json").exit_code == 0
    assert rewritten(first, snapshot(out / "kpis" / JUNE.isoformat())) == set()
    assert cli(path, out, "--format", "json", "--report-date", "2026-04-30").exit_code == 0
    assert cli(path, out, "--format", "json").exit_code == 0
    assert "results.json" in rewritten(first, snapshot(out / "kpis" / JUNE.isoformat()))
    check_compared(results_of(out, JUNE), path, D(2026, 4, 30), "earlier_set")


def test_report_date_leaves_later_measurements_out(tmp_path: Path) -> None:
    path, out = workbook(tmp_path), tmp_path / "out"
    result = cli(path, out, "--format", "json", "--report-date", "2026-03-31")
    assert result.exit_code == 0, result.output
    data = results_of(out, D(2026, 3, 31))
    assert data["report_date"] == "2026-03-31"
    assert kpis(data)["SALES-02"]["current"] == 76  # March's value; April to June left out
    assert "(--report-date)" in result.output


@pytest.mark.parametrize(
    "text",
    [
        '{"schema_version": "1.0"}',
        "[1, 2]",
        '{"schema_version": "2.3", "report_date": "2026-05-31", "company": "Test A/S", '
        '"departments": [{"kpis": [{"id": "SALES-01", "name": "x", "department": "Sales", '
        '"status": "on_track", "current": NaN}]}]}',
        '{"schema_version": "2.3", "report_date": "2026-05-31", "company": "Test A/S", '
        '"departments": [{"kpis": [{"id": 1, "name": "x", "department": "Sales", '
        '"status": "on_track", "current": 1}]}]}',
        '{"schema_version": "2.3", "report_date": "2026-05-31", "company": "Test A/S", '
        '"departments": [{"kpis": [{"id": "S", "name": "x", "department": "Sales", '
        '"status": "great", "current": 1}]}]}',
        "[" * 100_000,
    ],
    ids=["old-major", "not-an-object", "nan", "id-not-text", "unknown-status", "deep"],
)
def test_an_earlier_results_json_not_of_the_shape_is_passed_over(tmp_path: Path, text: str) -> None:
    (tmp_path / RESULTS_FILE).write_text(text, "utf-8")
    assert read_snapshot(tmp_path) is None
    (tmp_path / RESULTS_FILE).unlink()  # the suite checks the results.json files it leaves


def test_a_results_json_that_is_a_link_is_passed_over(tmp_path: Path) -> None:
    # a link to a good results.json, e.g. planted by someone who can write the output folder
    path, out = workbook(tmp_path), tmp_path / "out"
    assert cli(path, out, "--format", "json", "--report-date", "2026-04-30").exit_code == 0
    may = out / "kpis" / "2026-05-31"
    may.mkdir()
    (may / RESULTS_FILE).symlink_to(out / "kpis" / "2026-04-30" / RESULTS_FILE)
    assert read_snapshot(may) is None
    assert cli(path, out, "--format", "json").exit_code == 0
    # the link is passed over: the set before it (30 April) is the one compared with
    check_compared(results_of(out, JUNE), path, D(2026, 4, 30), "earlier_set")


def test_an_earlier_results_json_that_is_a_fifo_does_not_hang_the_build(tmp_path: Path) -> None:
    # someone who can write the output folder puts a FIFO where May's results.json was: the
    # build must neither wait for a writer (a plain open would, for ever) nor fail
    path, out = workbook(tmp_path), tmp_path / "out"
    assert cli(path, out, "--format", "json", "--report-date", "2026-05-31").exit_code == 0
    may = out / "kpis" / "2026-05-31" / RESULTS_FILE
    may.unlink()
    os.mkfifo(may)
    done = run(path, out, "--format", "json")  # a real process, with a timeout
    assert done.returncode == 0, done.stderr
    check_compared(results_of(out, JUNE), path, MAY, "recomputed")
    assert read_snapshot(may.parent) is None
    may.unlink()
