"""Issue 13, point 1: a percentage typed as a plain number in a % KPI is the number a percent cell
showing the same percentage holds.

Typing ``2.9 %`` in Excel or LibreOffice stores the double nearest to 0.029; a plain ``2.9`` in a
% KPI was divided by 100 in floating point, 0.028999999999999998, for about a quarter of the
one-decimal percentages. Every value of a % KPI (target, baseline, benchmark, measurement, on
the measurements' fast path and off it) must be the percent cell's number. What a percent cell
holds is checked against LibreOffice itself: it parses typed percentages from a CSV file.
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from kpireport.model import Workbook
from kpireport.workbook import read_workbook
from tests.conftest import KPI_HEADER, Fmt, kpi_row, valid_sheets, write_workbook
from tests.workbook.test_libreoffice import needs_soffice

# Every one-decimal percentage from 0 to 100, and the two-decimal ones from 0 to 1 % and around
# 50 %: as typed.
TYPED = (
    [f"{i / 10:.1f}" for i in range(1001)]
    + [f"{i / 100:.2f}" for i in range(101)]
    + [f"{i / 100:.2f}" for i in range(4900, 5101)]
)
# the ones plain division gets wrong (most of the rest it gets right by luck)
SLIPS = [t for t in TYPED if float(t) / 100 != float(t + "e-2")]
MONTH = dt.date(2026, 3, 31)


def held(typed: str) -> float:
    """What a cell holds after ``typed`` % is typed into it: the double nearest to typed / 100
    (Python's float() of a decimal string rounds correctly, as the office suites do; the
    LibreOffice test below checks it)."""
    return float(typed + "e-2")


def test_the_typed_values_include_the_slips() -> None:
    assert "2.9" in SLIPS and len(SLIPS) > len(TYPED) // 5


def percent_kpi(kpi_id: str, **overrides: Any) -> list[Any]:
    """A % KPI row with the id ``kpi_id``."""
    return kpi_row(**{"id": kpi_id, "unit": "%", "target": 90, "baseline": 80, **overrides})


def read_sheets(tmp_path: Path, sheets: dict[str, list[list[Any]]]) -> Workbook:
    workbook = read_workbook(write_workbook(tmp_path / "percent.xlsx", sheets))
    assert [i.code for i in workbook.issues if i.severity == "error"] == []
    return workbook


def test_measurements_typed_plain_are_what_percent_cells_hold(tmp_path: Path) -> None:
    """The fast path: a text id, a real date and a number; one KPI typed plain (2.9), one in
    percent cells (2.9 %), row for row the same percentages."""
    sheets = valid_sheets()
    sheets["KPIs"] = [KPI_HEADER, percent_kpi("PLAIN"), percent_kpi("CELLS")]
    sheets["Measurements"] = [["kpi", "date", "value", "note"]]
    for typed in TYPED:
        sheets["Measurements"].append(["PLAIN", MONTH, float(typed), None])
        sheets["Measurements"].append(["CELLS", MONTH, Fmt(held(typed), "0.0%"), None])
    sheets["Benchmarks"] = sheets["Benchmarks"][:1]
    workbook = read_sheets(tmp_path, sheets)
    plain = [m.value for m in workbook.measurements if m.kpi_id == "PLAIN"]
    cells = [m.value for m in workbook.measurements if m.kpi_id == "CELLS"]
    assert plain == cells == [held(t) for t in TYPED]


def test_measurements_off_the_fast_path_too(tmp_path: Path) -> None:
    """Rows the cell readers read (a date typed as text, a number typed as text), with the
    percent sign (``2.9 %``) or without (``2.9``)."""
    sheets = valid_sheets()
    sheets["KPIs"] = [KPI_HEADER, percent_kpi("PCT")]
    rows: list[list[Any]] = [["kpi", "date", "value", "note"]]
    expected = []
    for typed in SLIPS:
        rows.append(["PCT", MONTH.isoformat(), float(typed), None])  # a date as text
        rows.append(["PCT", MONTH, f"{typed} %", None])  # text with a percent sign
        rows.append(["PCT", MONTH, typed, None])  # a number as text
        expected += [held(typed)] * 3
    sheets["Measurements"] = rows
    sheets["Benchmarks"] = sheets["Benchmarks"][:1]
    workbook = read_sheets(tmp_path, sheets)
    assert [m.value for m in workbook.measurements] == expected


def test_danish_text_numbers(tmp_path: Path) -> None:
    sheets = valid_sheets()
    settings = sheets["Settings"]
    sheets["Settings"] = [r if r[0] != "language" else ["language", "da"] for r in settings]
    sheets["KPIs"] = [KPI_HEADER, percent_kpi("PCT")]
    sheets["Measurements"] = [["kpi", "date", "value", "note"]] + [
        ["PCT", MONTH, typed.replace(".", ","), None] for typed in SLIPS
    ]
    sheets["Benchmarks"] = sheets["Benchmarks"][:1]
    workbook = read_sheets(tmp_path, sheets)
    assert [m.value for m in workbook.measurements] == [held(t) for t in SLIPS]


def test_targets_baselines_and_benchmarks_typed_plain(tmp_path: Path) -> None:
    """One % KPI per percentage: the target typed plain, the baseline in a percent cell, a
    benchmark typed plain and one in a percent cell: all four the same number."""
    sheets = valid_sheets()
    sheets["KPIs"] = [KPI_HEADER]
    sheets["Measurements"] = [["kpi", "date", "value", "note"]]
    sheets["Benchmarks"] = [["kpi", "source", "value", "kind", "date"]]
    for n, typed in enumerate(SLIPS):
        kpi_id = f"PCT-{n}"
        value = float(typed)
        sheets["KPIs"].append(percent_kpi(kpi_id, target=value, baseline=Fmt(held(typed), "0.0%")))
        sheets["Measurements"].append([kpi_id, MONTH, value, None])
        for source, typed_as in (("plain", value), ("cell", Fmt(held(typed), "0.00%"))):
            sheets["Benchmarks"].append([kpi_id, source, typed_as, "industry", MONTH])
    workbook = read_sheets(tmp_path, sheets)
    benchmarks: dict[str, list[float]] = {}
    for b in workbook.benchmarks:
        benchmarks.setdefault(b.kpi_id, []).append(b.value)
    read = [(k.target, k.baseline, *benchmarks[k.id]) for k in workbook.kpis]
    assert read == [(held(t),) * 4 for t in SLIPS]


@pytest.mark.slow
@needs_soffice
def test_a_percent_typed_into_libreoffice_is_held_as_the_nearest_double(tmp_path: Path) -> None:
    """LibreOffice reads ``2.9%`` from a CSV file (with "detect special numbers") as a percent
    cell holding 0.029, as if typed: the number kpireport makes of a plain 2.9 in a % KPI."""
    csv = tmp_path / "typed.csv"
    csv.write_text("".join(f"{t}%\n" for t in TYPED), encoding="utf-8")
    soffice = shutil.which("soffice")
    assert soffice is not None
    with tempfile.TemporaryDirectory(prefix="lo-profile-") as profile:
        subprocess.run(
            [
                soffice,
                f"-env:UserInstallation={Path(profile).as_uri()}",
                "--headless",
                "--norestore",
                # comma, quote, UTF-8, line 1, default columns, English (US), detect numbers
                "--infilter=CSV:44,34,76,1,,1033,false,true",
                "--convert-to",
                "xlsx",
                "--outdir",
                str(tmp_path / "lo"),
                str(csv),
            ],
            capture_output=True,
            timeout=180,
            check=True,
        )
    sheet = openpyxl.load_workbook(tmp_path / "lo" / "typed.xlsx").active
    assert sheet is not None
    cells = [row[0] for row in sheet.iter_rows(max_col=1)]
    assert all(c.number_format.endswith("%") for c in cells)
    assert [c.value for c in cells] == [held(t) for t in TYPED]


@pytest.mark.parametrize("key", ["on_track", "at_risk"])
def test_status_thresholds_typed_plain(tmp_path: Path, key: str) -> None:
    """The Settings' thresholds are percentages too: 87.3 is the 87.3 % of a percent cell."""
    sheets = valid_sheets()
    typed = [t for t in SLIPS if 50 < float(t) < 100][::8]
    read = []
    for n, typed_as in enumerate((float, lambda t: Fmt(held(t), "0.0%"))):
        for t in typed:
            sheets["Settings"] = [*valid_sheets()["Settings"], [key, typed_as(t)]]
            path = write_workbook(tmp_path / f"{n}-{t}.xlsx", sheets)
            read.append(getattr(read_workbook(path).settings, key))
    assert read == [held(t) for t in typed] * 2
