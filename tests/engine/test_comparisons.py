"""Issue 13, point 8: benchmark gaps and period changes in the KPI's own unit.

A percent KPI compares in percentage points, a score or index in points, and only counts,
amounts, durations and free-text units get a relative change as well. results.json carries
``difference`` (on the scale of ``current``) and ``relative`` (null where the unit has no relative
change), both signed so that positive is better, in place of schema 1's ``change`` and ``gap``.
Every expected number is worked out by hand in a comment.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from kpireport.cli import main
from kpireport.engine import SCHEMA_VERSION, comparison_scale, difference, relative_difference
from kpireport.schema import parse_unit
from tests.conftest import Fmt, write_workbook
from tests.engine.user_workbooks import compute_sheets, only_kpi, user_sheets

D = dt.date
MONTHS = [D(2026, m, 28) for m in range(1, 7)]  # month ends as a user types them


def margin_sheets() -> dict[str, list[list[object]]]:
    """Gross margin in %, higher is better, typed in percent-formatted cells as Excel stores
    them (34.8 % is the number 0.348 with the format 0.0%); benchmark 36 %."""
    values = [0.34, 0.342, 0.345, 0.349, 0.351, 0.348]
    return user_sheets(
        kpi={
            "name": "Gross margin",
            "unit": "%",
            "target": Fmt(0.38, "0%"),
            "baseline": Fmt(0.34, "0%"),
            "aggregation": "last",
        },
        measurements=[(d, Fmt(v, "0.0%")) for d, v in zip(MONTHS, values, strict=True)],
        benchmarks=(("Industry average 2025", Fmt(0.36, "0%")),),
        report_date=D(2026, 6, 30),
    )


def test_a_percent_kpi_compares_in_percentage_points(tmp_path: Path) -> None:
    kpi = only_kpi(compute_sheets(tmp_path, margin_sheets()))
    assert kpi.current == pytest.approx(0.348)
    (bench,) = kpi.benchmarks
    # 34.8 % against 36 %: 0.348 - 0.36 = -0.012, -1.2 percentage points (higher is better, so
    # negative = worse); no relative change for a percentage (it was -3.3 % before)
    assert bench.difference == pytest.approx(-0.012)
    assert bench.relative is None
    change = kpi.previous_period_change
    assert change is not None
    # May 35.1 % -> June 34.8 %: -0.003, -0.3 pp, worse
    assert (change.period, change.value) == ("2026-05", 0.351)
    assert change.difference == pytest.approx(-0.003)
    assert change.relative is None and change.improved is False
    assert kpi.yoy_change is None  # no June 2025


def nps_sheets(unit: str) -> dict[str, list[list[object]]]:
    """An NPS of 38, 41, 44, 47 (three points a quarter), benchmark 50."""
    quarters = [D(2025, 9, 30), D(2025, 12, 31), D(2026, 3, 31), D(2026, 6, 30)]
    return user_sheets(
        kpi={
            "name": "Net promoter score",
            "unit": unit,
            "target": 55,
            "baseline": 38,
            "baseline_date": D(2025, 7, 1),
            "frequency": "quarterly",
            "aggregation": "mean",
        },
        measurements=list(zip(quarters, [38, 41, 44, 47], strict=True)),
        benchmarks=(("Industry average 2025", 50),),
        report_date=D(2026, 6, 30),
    )


@pytest.mark.parametrize("unit", ["NPS", "score", "points", "index"])
def test_a_score_compares_in_points(tmp_path: Path, unit: str) -> None:
    kpi = only_kpi(compute_sheets(tmp_path, nps_sheets(unit)))
    change = kpi.previous_period_change
    assert change is not None
    # 44 -> 47: +3 points, better; no relative change (it was +6.8 % before: 3 / 44)
    assert (change.period, change.difference, change.relative) == ("2026-Q1", 3.0, None)
    assert change.improved is True
    (bench,) = kpi.benchmarks
    assert (bench.difference, bench.relative) == (-3.0, None)  # 47 - 50


def hours_sheets() -> dict[str, list[list[object]]]:
    """Average response time in hours, lower is better: June 2025 8.0, ..., May 5.8, June 5.6;
    benchmark 6.0."""
    dates = [D(2025, 6, 30), D(2026, 4, 30), D(2026, 5, 29), D(2026, 6, 30)]
    return user_sheets(
        kpi={
            "name": "Average response time",
            "unit": "hours",
            "direction": "lower",
            "target": 4,
            "baseline": 8,
            "baseline_date": D(2025, 6, 30),
            "aggregation": "mean",
        },
        measurements=list(zip(dates, [8.0, 6.4, 5.8, 5.6], strict=True)),
        benchmarks=(("Industry average 2025", 6.0),),
        report_date=D(2026, 6, 30),
    )


def test_a_duration_gets_a_difference_and_a_relative_change_positive_when_better(
    tmp_path: Path,
) -> None:
    kpi = only_kpi(compute_sheets(tmp_path, hours_sheets()))
    change = kpi.previous_period_change
    assert change is not None
    # 5.8 -> 5.6 hours: down 0.2, which is better for "lower": difference +0.2, relative
    # +0.2 / 5.8 = +0.0345
    assert change.difference == pytest.approx(0.2)
    assert change.relative == pytest.approx(0.2 / 5.8)
    assert change.improved is True
    yoy = kpi.yoy_change
    assert yoy is not None
    # June 2025 8.0 -> 5.6: down 2.4, better: +2.4, +2.4 / 8 = +0.3
    assert (yoy.period, yoy.difference) == ("2025-06", pytest.approx(2.4))
    assert yoy.relative == pytest.approx(0.3)
    (bench,) = kpi.benchmarks
    # 5.6 against 6.0: 0.4 hours better, 0.4 / 6 = 0.0667 better
    assert bench.difference == pytest.approx(0.4)
    assert bench.relative == pytest.approx(0.4 / 6)


@pytest.mark.parametrize(
    ("unit", "scale"),
    [
        ("%", "percentage_points"),
        ("procent", "percentage_points"),
        ("score", "points"),
        ("NPS", "points"),
        ("NPS points", "points"),
        ("point", "points"),  # Danish and English
        ("Point", "points"),
        ("pointtal", "points"),
        ("indeks", "points"),
        ("Index (2020 = 100)", "points"),
        ("poäng", "points"),
        ("count", "relative"),
        ("antal", "relative"),
        ("DKK", "relative"),
        ("kr.", "relative"),
        ("hours", "relative"),
        ("timer", "relative"),
        ("visits", "relative"),
        ("besøg", "relative"),
        ("appointments", "relative"),  # "point" inside a word is not a point
        ("", "relative"),
    ],
)
def test_the_unit_decides_the_scale_of_a_comparison(unit: str, scale: str) -> None:
    parsed = parse_unit(unit)
    assert comparison_scale(parsed.kind, parsed.label) == scale


@pytest.mark.parametrize(
    ("current", "other", "sign", "diff", "rel"),
    [
        (60.0, 50.0, 1.0, 10.0, 0.2),  # higher: 10 better, 10 / 50
        (60.0, 75.0, 1.0, -15.0, -0.2),  # -15 / 75: worse
        (60.0, 50.0, -1.0, -10.0, -0.2),  # lower is better: up 10 is worse
        (60.0, 75.0, -1.0, 15.0, 0.2),
        (-5.0, -10.0, 1.0, 5.0, 0.5),  # 5 / |-10|
        (5.0, 0.0, 1.0, 5.0, None),  # no relative change from 0
    ],
)
def test_difference_and_relative_are_positive_when_better(
    current: float, other: float, sign: float, diff: float, rel: float | None
) -> None:
    assert difference(current, other, sign) == diff
    assert relative_difference(current, other, sign) == rel


def test_results_json_has_schema_version_2_with_difference_and_relative(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "margin.xlsx", margin_sheets())
    result = CliRunner().invoke(
        main, ["build", str(path), "-o", str(tmp_path / "out"), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    (written,) = (tmp_path / "out").rglob("results.json")
    data = json.loads(written.read_text(encoding="utf-8"))
    # 2.0 brought difference/relative; 2.1 (attention checks) and 2.2 (plans) keep them
    assert data["schema_version"] == SCHEMA_VERSION == "2.3"
    kpi = data["departments"][0]["kpis"][0]
    assert list(kpi["previous_period_change"]) == [
        "period",
        "value",
        "difference",
        "relative",
        "improved",
    ]
    assert list(kpi["benchmarks"][0]) == [
        "source",
        "kind",
        "value",
        "date",
        "difference",
        "relative",
    ]
    assert kpi["benchmarks"][0]["difference"] == pytest.approx(-0.012)


def _text(html: str) -> str:
    """The page's text, one space between words."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.mark.parametrize(
    ("lang", "margin_gap", "nps_change", "worse", "better"),
    [
        ("en", "−1.2 pp", "+3 points", "worse", "better"),
        ("da", "−1,2 pp", "+3 point", "dårligere", "bedre"),
        ("sv", "−1,2 pp", "+3 poäng", "sämre", "bättre"),
    ],
)
def test_the_report_shows_points_and_says_better_or_worse(
    tmp_path: Path, lang: str, margin_gap: str, nps_change: str, worse: str, better: str
) -> None:
    pages = {}
    for name, sheets in (("margin", margin_sheets()), ("nps", nps_sheets("NPS"))):
        path = write_workbook(tmp_path / f"{name}.xlsx", sheets)
        out = tmp_path / name
        args = ["build", str(path), "-o", str(out), "--format", "html", "--lang", lang]
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, result.output
        (page,) = (p for p in out.rglob("sales.html"))
        pages[name] = _text(page.read_text(encoding="utf-8"))
    # the benchmark: 34.8 % against 36 % is 1.2 percentage points worse, not "-3.3 %"
    assert f"{margin_gap} {worse}" in pages["margin"]
    assert "3,3" not in pages["margin"] and "3.3" not in pages["margin"]
    # the NPS: up 3 points on the quarter, better; not "+6.8 %"
    assert f"{nps_change} {better}" in pages["nps"]
    assert "6,8" not in pages["nps"] and "6.8" not in pages["nps"]
