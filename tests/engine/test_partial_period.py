"""Issue 13, point 4: a half-finished period is not compared with a whole-period target.

For a ``sum`` KPI whose report date falls before the end of its latest period, status, progress
and trend use the last complete period; the unfinished one is shown "so far" with the share of it
that has gone (``partial_period`` in results.json). For ``mean``, ``last``, ``min`` and ``max``
the current value is kept and marked as from an unfinished period (``current_period_incomplete``).

The revenue workbook is made as a user makes it: daily sales rows typed as dates, the report date
left empty (the latest measurement decides: 15 June), and saved again by LibreOffice.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from kpireport.cli import main
from tests.conftest import write_workbook
from tests.engine.user_workbooks import compute_file, compute_sheets, only_kpi, user_sheets
from tests.workbook.test_libreoffice import _fixture_script, needs_soffice

D = dt.date


def revenue_sheets() -> dict[str, list[list[object]]]:
    """Monthly revenue in DKK, summed from daily sales: ten sales days (the 1st, 3rd, ..., 19th)
    a month of 100,000 in January, 102,000 in February, ..., 108,000 in May: months of
    1,000,000, 1,020,000, 1,040,000, 1,060,000 and 1,080,000. June so far: eight sales days
    (the 1st, 3rd, ..., 15th) of 61,875, 495,000. Target 1,250,000 a month by the end of 2026
    from a baseline of 800,000 on 1 January; benchmark 1,100,000. No report date."""
    rows = [
        (D(2026, month, day), 100_000 + 2_000 * (month - 1))
        for month in range(1, 6)
        for day in range(1, 20, 2)
    ]
    rows += [(D(2026, 6, day), 61_875) for day in range(1, 16, 2)]
    return user_sheets(
        {
            "name": "Revenue",
            "unit": "DKK",
            "target": 1_250_000,
            "baseline": 800_000,
            "baseline_date": D(2026, 1, 1),
            "aggregation": "sum",
        },
        rows,
        benchmarks=(("Budget peers 2025", 1_100_000),),
    )


@pytest.fixture(scope="module")
def revenue_workbook(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The revenue workbook, saved by LibreOffice when it is installed."""
    folder = tmp_path_factory.mktemp("revenue")
    source = write_workbook(folder / "revenue.xlsx", revenue_sheets())
    if shutil.which("soffice") is None:
        return source
    (saved,) = _fixture_script().convert_with_libreoffice([source], folder / "lo")
    return Path(saved)


def test_a_half_finished_month_of_a_sum_kpi_uses_the_last_complete_month(
    revenue_workbook: Path,
) -> None:
    results = compute_file(revenue_workbook)
    assert results.report_date == D(2026, 6, 15)  # the latest sale
    kpi = only_kpi(results)
    # May, the last complete month: 10 x 108,000 (before: June's 495,000 so far)
    assert (kpi.current, kpi.current_period) == (1_080_000.0, "2026-05")
    assert kpi.current_period_end == D(2026, 5, 31)
    assert kpi.current_period_incomplete is False
    assert [p.period for p in kpi.series] == ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05"]
    partial = kpi.partial_period
    assert partial is not None
    # June so far: 8 x 61,875 = 495,000; 15 of June's 30 days have gone
    assert (partial.period, partial.start, partial.end) == (
        "2026-06",
        D(2026, 6, 1),
        D(2026, 6, 30),
    )
    assert (partial.value, partial.count, partial.elapsed) == (495_000.0, 8, 0.5)
    # progress (1,080,000 - 800,000) / (1,250,000 - 800,000) = 0.6222 (before: -0.678);
    # expected 165 / 364 = 0.4533 (1 Jan -> 15 Jun -> 31 Dec), on track from 0.4306
    assert kpi.progress == pytest.approx(280 / 450)
    assert kpi.expected_progress == pytest.approx(165 / 364)
    assert kpi.status == "on_track"  # before: off track
    assert kpi.shortfall == pytest.approx(165 / 364 - 280 / 450)
    # the trend against April, not "-54 % vs May": +20,000, +20,000 / 1,060,000
    change = kpi.previous_period_change
    assert change is not None and change.period == "2026-04"
    assert (change.difference, change.relative) == (20_000.0, pytest.approx(20 / 1060))
    fc = kpi.forecast
    assert fc is not None
    # Jan..May rise 20,000 a month: 1,080,000 + 20,000 x 7 (May -> December) = 1,220,000;
    # the target is 170,000 away: 8.5 months -> the 9th month after May, February 2027
    assert (fc.periods_used, fc.slope, fc.value) == (5, 20_000.0, 1_220_000.0)
    assert fc.date_reached == D(2027, 2, 28)
    # (1,250,000 - 1,080,000) / 6 months (June -> December)
    assert kpi.required_pace == pytest.approx(170_000 / 6)
    # 1,080,000 against 1,100,000: 20,000 worse, 20,000 / 1,100,000
    (bench,) = kpi.benchmarks
    assert (bench.difference, bench.relative) == (-20_000.0, pytest.approx(-20 / 1100))
    assert kpi.stale is False


def test_partial_period_in_results_json(tmp_path: Path, revenue_workbook: Path) -> None:
    out = tmp_path / "out"
    args = ["build", str(revenue_workbook), "-o", str(out), "--format", "json,html"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    data = json.loads(next(out.rglob("results.json")).read_text(encoding="utf-8"))
    kpi = data["departments"][0]["kpis"][0]
    assert kpi["current"] == 1_080_000.0
    assert kpi["current_period_incomplete"] is False
    assert kpi["partial_period"] == {
        "period": "2026-06",
        "start": "2026-06-01",
        "end": "2026-06-30",
        "value": 495_000.0,
        "count": 8,
        "elapsed": 0.5,
    }
    page = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", next(out.rglob("sales.html")).read_text()))
    # shown as "so far", with the share of the month gone
    assert "2026-06 so far: DKK 495,000 (50% of the period)" in page


def response_sheets(report_date: dt.date | None) -> dict[str, list[list[object]]]:
    """Average response time (mean of the month), 8 hours in January to 4 by December:
    January 8.0, ..., May 5.8, and on 3 and 10 June 5.0 and 5.4."""
    rows: list[tuple[dt.date, Any]] = [
        (D(2026, 1, 30), 8.0),
        (D(2026, 2, 27), 7.0),
        (D(2026, 3, 31), 6.4),
        (D(2026, 4, 30), 6.0),
        (D(2026, 5, 29), 5.8),
        (D(2026, 6, 3), 5.0),
        (D(2026, 6, 10), 5.4),
    ]
    return user_sheets(
        {
            "name": "Average response time",
            "unit": "hours",
            "direction": "lower",
            "target": 4,
            "baseline": 8,
            "aggregation": "mean",
        },
        rows,
        report_date=report_date,
    )


@pytest.mark.parametrize(
    ("report_date", "incomplete"),
    [
        (None, True),  # the latest measurement, 10 June: June has 20 days to go
        (D(2026, 6, 30), False),  # June is over
    ],
)
def test_a_mean_kpi_keeps_its_current_value_marked_unfinished(
    tmp_path: Path, report_date: dt.date | None, incomplete: bool
) -> None:
    kpi = only_kpi(compute_sheets(tmp_path, response_sheets(report_date)))
    # the mean of June so far, (5.0 + 5.4) / 2 = 5.2: an average is an average
    assert (kpi.current, kpi.current_period) == (pytest.approx(5.2), "2026-06")
    assert kpi.current_period_incomplete is incomplete
    assert kpi.partial_period is None


def test_the_report_marks_an_unfinished_period(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "response.xlsx", response_sheets(None))
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["build", str(path), "-o", str(out), "--format", "html"])
    assert result.exit_code == 0, result.output
    page = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", next(out.rglob("sales.html")).read_text()))
    assert "2026-06, period not finished" in page


@needs_soffice
def test_the_revenue_workbook_was_saved_by_libreoffice(revenue_workbook: Path) -> None:
    import zipfile

    with zipfile.ZipFile(revenue_workbook) as saved:
        assert "LibreOffice" in saved.read("docProps/app.xml").decode()
