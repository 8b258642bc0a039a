"""Issue 15, point 2 end to end: ``kpireport build --strict`` requires a comment for every red
KPI of a workbook with a Comments sheet, and the built results.json carries the comments."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from kpireport.cli import main
from tests.conftest import KPI_HEADER, kpi_row, valid_sheets, write_workbook


def red_workbook(path: Path, *comments: list[Any]) -> Path:
    """The conftest workbook (report date 30 June 2026, SALES-01 on track) with OPS-01 off
    track, and a Comments sheet of ``comments``."""
    sheets = copy.deepcopy(valid_sheets())
    ops = kpi_row(
        id="OPS-01", name="Late orders", unit="%", direction="lower", target=2, baseline=8
    )
    ops[KPI_HEADER.index("aggregation")] = "mean"
    sheets["KPIs"].append(ops)
    for month, late in enumerate([8, 7, 6, 7, 8, 8], start=1):
        sheets["Measurements"].append(["OPS-01", dt.date(2026, month, 1), late, None])
    sheets["Comments"] = [["kpi", "report_date", "comment", "action", "owner", "due"], *comments]
    return write_workbook(path, sheets)


def build(path: Path, out: Path) -> Any:
    args = ["build", str(path), "-o", str(out), "--format", "json", "--strict", "-q"]
    return CliRunner().invoke(main, args, catch_exceptions=False)


def test_build_strict_requires_a_comment_on_a_red_kpi(tmp_path: Path) -> None:
    general = ["OPS-01", None, "Our carrier is slow", None, None, None]
    path = red_workbook(tmp_path / "kpis.xlsx", general)
    refused = build(path, tmp_path / "out")
    assert refused.exit_code == 1
    page = (tmp_path / "out" / "kpis" / "validation.html").read_text(encoding="utf-8")
    assert "comment-missing" in page and "A3" in page
    assert not list((tmp_path / "out").rglob("results.json"))

    dated = ["OPS-01", dt.date(2026, 6, 30), "A carrier went bankrupt", "New carrier", "Ole", None]
    path = red_workbook(tmp_path / "kpis.xlsx", general, dated)
    built = build(path, tmp_path / "out")
    assert built.exit_code == 0, built.output
    data = json.loads((tmp_path / "out" / "kpis" / "2026-06-30" / "results.json").read_text())
    kpis = {k["id"]: k for d in data["departments"] for k in d["kpis"]}
    assert kpis["OPS-01"]["status"] == "off_track"
    assert [(c["comment"], c["report_date"], c["cell"]) for c in kpis["OPS-01"]["comments"]] == [
        ("A carrier went bankrupt", "2026-06-30", "Comments!C3"),
        ("Our carrier is slow", None, "Comments!C2"),
    ]
    assert kpis["SALES-01"]["comments"] == []
