"""Issue 13, points 5, 6 and 7: statuses a controller can trust.

- 5: too early to tell is not off track: the status ``too_early`` while fewer than two periods
  after the baseline period have a value and the deadline is more than a period away.
- 6: stale is not on track: a stale KPI is at best ``at_risk`` (until its deadline), and a
  projected date is never before the end of the report date's period.
- 7: the forecast starts from where the KPI is now (current + slope x periods to the
  deadline), and a KPI below the at-risk line is never on track by forecast.

Each case is a workbook as a user fills it in; every expected number is worked out by hand.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from kpireport.cli import main
from kpireport.engine import STATUSES
from tests.conftest import write_workbook
from tests.engine.user_workbooks import compute_sheets, only_kpi, user_sheets

D = dt.date

# --- point 5: too early ----------------------------------------------------------------------


def count_kpi(**overrides: Any) -> dict[str, Any]:
    """New customers per month, 0 -> 100 by the end of 2026, no baseline typed."""
    return {
        "target": 100,
        "baseline": None,
        "baseline_date": None,
        "deadline": D(2026, 12, 31),
        **overrides,
    }


def test_the_first_measurement_alone_is_too_early_not_off_track(tmp_path: Path) -> None:
    # One measurement, 30 on 15 June, report date 30 June. The baseline is the first period's
    # value, 30, so progress is (30 - 30) / (100 - 30) = 0, while 15 of the 199 days from
    # 15 June to 31 December have passed: expected 0.075, at risk from 0.06. Before issue 13:
    # off track "from the next day". No period after the baseline period has a value yet and
    # the deadline is six months away: too early.
    sheets = user_sheets(count_kpi(), [(D(2026, 6, 15), 30)], report_date=D(2026, 6, 30))
    results = compute_sheets(tmp_path, sheets)
    kpi = only_kpi(results)
    assert (kpi.baseline, kpi.current, kpi.progress) == (30.0, 30.0, 0.0)
    assert kpi.expected_progress == pytest.approx(15 / 199)
    assert kpi.status == "too_early"
    assert kpi.shortfall is None  # too early to say how far behind
    # counted just before no_data, scored like it (in the denominator only), not on the list
    assert tuple(results.summary.counts) == STATUSES  # (test_too_early_is_a_status)
    assert results.summary.counts["too_early"] == 1
    assert results.summary.score == 0.0
    assert results.summary.attention == []


@pytest.mark.parametrize(
    ("kpi", "measurements", "status"),
    [
        # No baseline typed: May 31 (30) is the baseline period, June the only one after it.
        # Progress (32 - 30) / 70 = 0.029; expected 30 / 214 = 0.14 (May 31 -> Jun 30 ->
        # Dec 31), at risk from 0.112: off track before issue 13, too early now.
        (count_kpi(), [(D(2026, 5, 31), 30), (D(2026, 6, 30), 32)], "too_early"),
        # A typed baseline (30 on 1 May): June is the only period after May with a value.
        (
            count_kpi(baseline=30, baseline_date=D(2026, 5, 1)),
            [(D(2026, 6, 30), 32)],
            "too_early",
        ),
        # Baseline in April: May and June are two periods after it, so the pace rules apply:
        # progress 2 / 70 = 0.029 < 0.8 x 90 / 274 (Apr 1 -> Jun 30 -> Dec 31): off track.
        (
            count_kpi(baseline=30, baseline_date=D(2026, 4, 1)),
            [(D(2026, 5, 31), 31), (D(2026, 6, 30), 32)],
            "off_track",
        ),
        # Only June after the baseline period, but the deadline (31 July) is the next period:
        # not more than a period away, so the pace rules apply. Expected 30 / 61: off track.
        (
            count_kpi(deadline=D(2026, 7, 31)),
            [(D(2026, 5, 31), 30), (D(2026, 6, 30), 32)],
            "off_track",
        ),
        # Reached already: achieved comes first.
        (count_kpi(), [(D(2026, 5, 31), 30), (D(2026, 6, 30), 100)], "achieved"),
    ],
)
def test_too_early_while_fewer_than_two_periods_follow_the_baseline_period(
    tmp_path: Path, kpi: dict[str, Any], measurements: list[tuple[dt.date, int]], status: str
) -> None:
    sheets = user_sheets(kpi, measurements, report_date=D(2026, 6, 30))
    assert only_kpi(compute_sheets(tmp_path, sheets)).status == status


@pytest.mark.parametrize(
    ("lang", "word"), [("en", "too early"), ("da", "for tidligt"), ("sv", "för tidigt")]
)
def test_too_early_has_its_chip_tile_and_words(tmp_path: Path, lang: str, word: str) -> None:
    sheets = user_sheets(count_kpi(), [(D(2026, 6, 15), 30)], report_date=D(2026, 6, 30))
    path = write_workbook(tmp_path / "early.xlsx", sheets)
    out = tmp_path / "out"
    args = ["build", str(path), "-o", str(out), "--format", "html,json", "--lang", lang]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    # the status summary line on stderr names it in the report's language
    assert f"1 {word}" in result.stderr
    page = next(out.rglob("sales.html")).read_text(encoding="utf-8")
    chip = re.search(r'<span class="chip s-too_early"><svg[^>]*>.*?</svg>([^<]*)</span>', page)
    assert chip is not None and chip.group(1) == word  # an icon and the word, not colour alone
    assert 'class="tile s-too_early"' in page
    data = json.loads(next(out.rglob("results.json")).read_text(encoding="utf-8"))
    assert data["summary"]["counts"]["too_early"] == 1


def test_too_early_is_a_status() -> None:
    assert STATUSES == (
        "achieved",
        "on_track",
        "at_risk",
        "off_track",
        "missed",
        "too_early",
        "no_data",
    )


# --- point 6: stale ----------------------------------------------------------------------------

WEEKLY_START = D(2025, 9, 1)  # a Monday


def weekly_stale_sheets() -> dict[str, list[list[object]]]:
    """A weekly KPI, 0 -> 100 from 1 Sep 2025 to 31 Dec 2026, measured 5, 10, ..., 60 on the
    Mondays from 1 Sep to 17 Nov 2025 and then no more: report date 30 June 2026."""
    mondays = [WEEKLY_START + dt.timedelta(weeks=i) for i in range(12)]
    return user_sheets(
        {
            "frequency": "weekly",
            "aggregation": "last",
            "target": 100,
            "baseline": 0,
            "baseline_date": WEEKLY_START,
            "deadline": D(2026, 12, 31),
        },
        [(day, 5 * (i + 1)) for i, day in enumerate(mondays)],
        report_date=D(2026, 6, 30),
    )


def test_a_stale_kpi_is_at_best_at_risk_and_projects_no_date_in_the_past(tmp_path: Path) -> None:
    kpi = only_kpi(compute_sheets(tmp_path, weekly_stale_sheets()))
    # progress 60 / 100 = 0.6; expected 302 / 486 = 0.6214 (1 Sep 2025 -> 30 Jun 2026 ->
    # 31 Dec 2026), on track from 0.95 x 0.6214 = 0.5903: on track by pace, but the latest
    # value is from week 2025-W47, 32 weeks before the report date: stale, so at risk.
    assert kpi.progress == 0.6
    assert kpi.expected_progress == pytest.approx(302 / 486)
    assert kpi.stale is True
    assert kpi.status == "at_risk"
    fc = kpi.forecast
    assert fc is not None and fc.slope == 5.0
    # Before: reached in week 19 after 1 Sep 2025 (5 + 5 x 19 = 100), ending Sun 18 Jan 2026,
    # before the report date. Now never before the end of the report date's week (Mon 29 Jun
    # to Sun 5 Jul 2026): 60 + 5 x 8 = 100 in week 19, but the report date's week is week 43.
    assert fc.date_reached == D(2026, 7, 5)
    # from the current 60 (week 11) to the deadline's week (Mon 28 Dec 2026, week 69):
    # 60 + 5 x 58 = 350
    assert fc.value == 350.0


@pytest.mark.parametrize(
    ("deadline", "status"),
    [
        # reached in February, nothing since, deadline ahead: it may have fallen back
        (D(2026, 12, 31), "at_risk"),
        # the deadline has passed with the target reached: the result stands
        (D(2026, 3, 31), "achieved"),
    ],
)
def test_a_stale_achieved_kpi(tmp_path: Path, deadline: dt.date, status: str) -> None:
    sheets = user_sheets(
        {"target": 100, "baseline": 0, "baseline_date": D(2026, 1, 1), "deadline": deadline},
        [(D(2026, 1, 31), 50), (D(2026, 2, 28), 100)],
        report_date=D(2026, 6, 30),
    )
    results = compute_sheets(tmp_path, sheets)
    kpi = only_kpi(results)
    assert kpi.stale is True  # February is four months before June
    assert kpi.status == status
    assert [a.id for a in results.summary.attention] == ["SALES-01"]  # stale: always listed


# --- point 7: the forecast starts from the current value --------------------------------------


def fall_sheets() -> dict[str, list[list[object]]]:
    """The example of docs/metrics.md: a KPI that rose steadily from 100 (July 2025) by 10 a
    month to 170 in February 2026, target 200 by the end of 2026, and fell to 80 in March."""
    months = [D(2025, 7 + i, 28) if i < 6 else D(2026, i - 5, 28) for i in range(9)]
    values = [100, 110, 120, 130, 140, 150, 160, 170, 80]
    return user_sheets(
        {
            "target": 200,
            "baseline": 100,
            "baseline_date": D(2025, 7, 1),
            "deadline": D(2026, 12, 31),
            "aggregation": "last",
        },
        list(zip(months, values, strict=True)),
        report_date=D(2026, 3, 31),
    )


def test_a_fall_this_month_is_not_on_track_by_forecast(tmp_path: Path) -> None:
    kpi = only_kpi(compute_sheets(tmp_path, fall_sheets()))
    # progress (80 - 100) / (200 - 100) = -0.2; expected 273 / 548 = 0.498 (1 Jul 2025 ->
    # 31 Mar 2026 -> 31 Dec 2026)
    assert kpi.progress == pytest.approx(-0.2)
    assert kpi.expected_progress == pytest.approx(273 / 548)
    fc = kpi.forecast
    assert fc is not None
    # 36 pair slopes: the 28 among Jul..Feb are 10, the 8 with March negative -> median 10
    assert fc.slope == 10.0 and fc.periods_used == 9
    # Before: the line 100 + 10x gave 100 + 10 x 17 = 270 in December 2026: "on track by
    # forecast". Now from the current value: 80 + 10 x 9 (March -> December) = 170 < 200.
    assert fc.value == 170.0
    # 80 + 10n = 200 at n = 12: March 2027
    assert fc.date_reached == D(2027, 3, 31)
    assert kpi.status == "off_track"


@pytest.mark.parametrize(
    ("values", "progress", "forecast", "status"),
    [
        # Monthly, 40 -> 60 from 1 Jan to 31 Dec 2026, report 30 June: expected 180 / 364 =
        # 0.4945, on track from 0.4698, at risk from 0.3956. April..June 40, 43, 46: progress
        # (46 - 40) / 20 = 0.3, below the at-risk line. The trend (+3 a month) from 46 reaches
        # 46 + 3 x 6 = 64 by December, but a KPI this far behind is not on track: off track
        # (before issue 13: on track by forecast).
        ([40, 43, 46], 0.3, 64.0, "off_track"),
        # 43, 45.5, 48: progress 8 / 20 = 0.4, at risk by pace (0.3956 <= 0.4 < 0.4698); the
        # trend +2.5 a month from 48 gives 48 + 2.5 x 6 = 63 >= 60: lifted to on track.
        ([43, 45.5, 48], 0.4, 63.0, "on_track"),
    ],
)
def test_the_forecast_lifts_an_at_risk_kpi_never_one_below_the_at_risk_line(
    tmp_path: Path, values: list[float], progress: float, forecast: float, status: str
) -> None:
    months = [D(2026, 4, 30), D(2026, 5, 29), D(2026, 6, 30)]
    sheets = user_sheets(
        {"target": 60, "baseline": 40, "aggregation": "last"},
        list(zip(months, values, strict=True)),
        report_date=D(2026, 6, 30),
    )
    kpi = only_kpi(compute_sheets(tmp_path, sheets))
    assert kpi.progress == pytest.approx(progress)
    assert kpi.forecast is not None and kpi.forecast.value == pytest.approx(forecast)
    assert kpi.status == status
