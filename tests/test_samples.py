"""The sample workbooks show issue 14's plans and keep KPIs, through the real pipeline: a
seasonal revenue plan and a keep KPI in each, a fiscal year in the Danish one
(sample_workbooks/README.md)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import openpyxl
import pytest

import kpireport
from kpireport.engine import KpiResult, Results
from kpireport.model import Workbook
from kpireport.validate import check
from tests.conftest import SAMPLES

D = dt.date
# sample -> (its revenue KPI with a plan, its keep KPI, the Plan sheet's headers)
SAMPLE_KPIS = {
    "acme-en.xlsx": ("SALES-03", "HR-04", ["kpi", "period", "target", "note"]),
    "fjordsol-da.xlsx": ("SALG-03", "HR-04", ["kpi", "periode", "mål", "note"]),
}
# The warnings each sample had before the plans and keep KPIs came: they gain none.
WARNINGS = {
    "acme-en.xlsx": [("A-unrealistic-pace", "KPIs!G13")],
    "fjordsol-da.xlsx": [("T-deadline-passed", "KPI'er!H9")],
}


@pytest.fixture(scope="module", params=sorted(SAMPLE_KPIS))
def sample(request: pytest.FixtureRequest) -> tuple[str, Workbook, Results]:
    """(file name, the workbook as loaded, its results)."""
    workbook = kpireport.load(SAMPLES / request.param)
    return request.param, workbook, kpireport.compute(workbook)


def kpi(results: Results, kpi_id: str) -> KpiResult:
    (found,) = [k for d in results.departments for k in d.kpis if k.id == kpi_id]
    return found


def without_plan(workbook: Workbook) -> Results:
    """The same workbook's results with its Plan sheet left out: validated and computed again."""
    return kpireport.compute(dataclasses.replace(workbook, plan=[], validation=None))


def test_samples_validate_without_new_warnings(sample) -> None:
    name, _workbook, _results = sample
    _, report = check(SAMPLES / name)
    assert report.errors == []
    assert [(i.code, i.where) for i in report.warnings] == WARNINGS[name]


def test_plan_sheet_in_the_workbooks_language(sample) -> None:
    name, _workbook, _results = sample
    revenue, _keep, headers = SAMPLE_KPIS[name]
    sheet = openpyxl.load_workbook(SAMPLES / name, read_only=True)["Plan"]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == headers
    assert {row[0] for row in rows[1:]} == {revenue}


def test_revenue_kpi_has_a_seasonal_plan_ending_at_its_target(sample) -> None:
    name, workbook, results = sample
    revenue = kpi(results, SAMPLE_KPIS[name][0])
    assert (revenue.aggregation, revenue.frequency, revenue.goal) == ("sum", "monthly", "reach")
    assert revenue.plan is not None
    planned = {p.start.month: p.planned for p in revenue.plan.periods if p.start.year == 2026}
    assert len(planned) == 12
    # seasonal: a quiet July and a Black Friday November around the months beside them
    assert planned[7] < min(planned[6], planned[8])
    assert planned[11] > max(planned[10], planned[12])
    assert planned[12] == revenue.target  # so no plan-target-mismatch
    notes = {p.note for p in revenue.plan.periods if p.note}
    assert "Black Friday" in notes
    assert revenue.plan.current is not None and revenue.plan.current.explicit
    assert revenue.plan.year_to_date is not None
    # only the revenue KPI has a plan
    assert [k.id for d in results.departments for k in d.kpis if k.plan] == [revenue.id]
    assert {row.kpi_id for row in workbook.plan} == {revenue.id}


def test_the_plan_changes_the_revenue_kpis_expected_progress(sample) -> None:
    name, workbook, results = sample
    revenue_id = SAMPLE_KPIS[name][0]
    with_plan, straight = kpi(results, revenue_id), kpi(without_plan(workbook), revenue_id)
    assert straight.plan is None
    assert with_plan.progress == straight.progress
    # the report month's plan lies below the straight line: a seasonal budget expects less
    assert with_plan.expected_progress < straight.expected_progress - 0.1


def test_fjordsol_revenue_is_at_risk_by_the_straight_line_and_on_track_by_its_plan() -> None:
    workbook = kpireport.load(SAMPLES / "fjordsol-da.xlsx")
    with_plan = kpi(kpireport.compute(workbook), "SALG-03")
    straight = kpi(without_plan(workbook), "SALG-03")
    assert straight.status == "at_risk"
    assert with_plan.status == "on_track"
    # October's actual against October's plan: ahead of it
    assert with_plan.plan is not None and with_plan.plan.current is not None
    assert with_plan.plan.current.period == "2026-10"
    assert with_plan.plan.current.variance is not None and with_plan.plan.current.variance > 0


def test_acme_revenue_is_off_track_with_or_without_its_plan() -> None:
    """Acme lost a key account: its revenue is behind the plan as well as the straight line."""
    workbook = kpireport.load(SAMPLES / "acme-en.xlsx")
    with_plan = kpi(kpireport.compute(workbook), "SALES-03")
    assert with_plan.status == kpi(without_plan(workbook), "SALES-03").status == "off_track"
    assert with_plan.plan is not None and with_plan.plan.year_to_date is not None
    assert with_plan.plan.year_to_date.variance < 0


def test_fiscal_year_starts_in_july_in_the_danish_sample_only(sample) -> None:
    name, workbook, results = sample
    revenue = kpi(results, SAMPLE_KPIS[name][0])
    assert revenue.plan is not None and revenue.plan.year_to_date is not None
    ytd = revenue.plan.year_to_date
    if name == "fjordsol-da.xlsx":
        assert workbook.settings.fiscal_year_start == 7
        assert (ytd.start, ytd.end, ytd.periods, ytd.missing) == (
            D(2026, 7, 1),
            D(2026, 10, 31),
            4,
            0,
        )
    else:
        assert workbook.settings.fiscal_year_start == 1
        assert (ytd.start, ytd.end, ytd.periods, ytd.missing) == (
            D(2026, 1, 1),
            D(2026, 9, 30),
            9,
            0,
        )


def test_keep_kpi_sick_leave_is_within_its_limit_and_held_all_but_one_month(sample) -> None:
    name, _workbook, results = sample
    keep = kpi(results, SAMPLE_KPIS[name][1])
    assert (keep.goal, keep.direction, keep.unit_kind) == ("keep", "lower", "percent")
    assert keep.target == pytest.approx(0.03)
    assert keep.status == "on_track"
    assert keep.progress is None
    assert keep.keep is not None
    assert keep.keep.limit == pytest.approx(0.03)
    assert keep.keep.margin is not None and keep.keep.margin > 0
    assert (keep.keep.periods_held, keep.keep.periods) == (9, 10)
