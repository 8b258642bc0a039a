"""The build stage: report sets on disk, kept per report date, never half-written."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from kpireport.build import build
from kpireport.cli import main
from tests.conftest import valid_sheets, write_workbook


def test_workbooks_with_the_same_name_do_not_overwrite_each_other(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = write_workbook(tmp_path / "a" / "kpis.xlsx", valid_sheets())
    second = tmp_path / "b" / "kpis.xlsx"
    shutil.copy(first, second)
    results = build([first, second], tmp_path / "out")
    assert [r.ok for r in results] == [True, False]
    issue = results[1].report.issues[0]
    assert issue.code == "duplicate-workbook-name"
    assert str(first) in issue.message("en")
    assert [
        p.relative_to(tmp_path / "out").as_posix() for p in (tmp_path / "out").rglob("results.json")
    ] == ["kpis/2026-06-30/results.json"]


def test_an_unwritable_output_fails_that_workbook_only(tmp_path: Path) -> None:
    good = write_workbook(tmp_path / "good.xlsx", valid_sheets())
    blocked = write_workbook(tmp_path / "blocked.xlsx", valid_sheets())
    out = tmp_path / "out"
    out.mkdir()
    (out / "blocked").write_text("a file where the report folder should be")
    results = build([blocked, good], out)
    assert [r.ok for r in results] == [False, True]
    issue = results[0].report.issues[0]
    assert issue.code == "write-failed"
    assert "No file of the report set was replaced" in issue.hint("en")
    assert (out / "good" / "2026-06-30" / "results.json").exists()
    assert not list(out.rglob("*.tmp"))


def test_cli_build_reports_each_workbook_and_exits_1_if_any_failed(tmp_path: Path) -> None:
    good = write_workbook(tmp_path / "good.xlsx", valid_sheets())
    broken_sheets = valid_sheets()
    broken_sheets["KPIs"][1][5] = "sideways"  # direction
    broken = write_workbook(tmp_path / "broken.xlsx", broken_sheets)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main, ["build", str(good), str(broken), "-o", str(out), "--format", "json", "-j", "1"]
    )
    assert result.exit_code == 1
    written = out / "good" / "2026-06-30" / "results.json"
    assert result.stdout.strip() == str(written.parent)  # no board pack with json only
    assert "'sideways' is not a direction." in result.stderr
    assert "1 KPI: 1 on track; score 100%" in result.stderr
    # only the validation page, beside (never inside) the dated report sets
    assert [p.name for p in (out / "broken").iterdir()] == ["validation.html"]
    assert "sideways" in (out / "broken" / "validation.html").read_text()
    data = json.loads(written.read_text())
    assert data["summary"]["kpi_count"] == 1


def test_unknown_format_is_a_usage_error(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "w.xlsx", valid_sheets())
    result = CliRunner().invoke(main, ["build", str(path), "--format", "docx"])
    assert result.exit_code == 2
    assert "'docx' is not a format" in result.output


def test_a_workbook_with_errors_and_no_date_at_all_still_gets_its_validation_page(
    tmp_path: Path, sheets: dict[str, list[list[Any]]]
) -> None:
    """No report date in Settings and no measurement with a readable date: the page for the
    errors is written all the same (the template used to fail on the missing date)."""
    del sheets["Settings"][2]  # no report_date
    for row in sheets["Measurements"][1:]:
        row[1] = "someday"
    path = write_workbook(tmp_path / "kpis.xlsx", sheets)
    result = CliRunner().invoke(main, ["build", str(path), "-o", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "template" not in result.stderr and "bad-date" in result.stderr
    page = tmp_path / "out" / "kpis" / "validation.html"
    assert "someday" in page.read_text(encoding="utf-8")


def test_a_build_syncs_every_file_it_writes_unless_told_not_to(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The preview's throwaway folder (sync=False) is written without a single fsync, with the
    same files."""
    import os

    from kpireport.build import BuildOptions

    workbook = write_workbook(tmp_path / "kpis.xlsx", valid_sheets())
    synced: list[int] = []
    monkeypatch.setattr(os, "fsync", synced.append)
    html = BuildOptions(formats=("html", "json"))
    [synced_build] = build([workbook], tmp_path / "synced", html)
    assert len(synced) >= len(synced_build.written) + 2  # the manifest, the home page
    del synced[:]
    [unsynced] = build(
        [workbook], tmp_path / "unsynced", BuildOptions(formats=html.formats, sync=False)
    )
    assert synced == []
    assert [p.name for p in unsynced.written] == [p.name for p in synced_build.written]
    for a, b in zip(synced_build.written, unsynced.written, strict=True):
        assert a.read_bytes() == b.read_bytes()
