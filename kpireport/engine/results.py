"""The engine's results: what is computed for each KPI, each department and the company, as the
dataclasses that the renderer, the exports and results.json read."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from kpireport.schema import Unit

if TYPE_CHECKING:
    import pandas

# Every status a KPI can have, in the order of the status counts: too early sorts with no data.
STATUSES = ("achieved", "on_track", "at_risk", "off_track", "missed", "too_early", "no_data")


@dataclass(slots=True)
class Point:
    """One period of a KPI's series: its value after aggregation, and the notes given.
    (Slots: a workbook of daily KPIs has hundreds of thousands of them.)"""

    period: str
    start: dt.date
    end: dt.date
    value: float
    count: int
    notes: list[str] = field(default_factory=list)


@dataclass
class PartialPeriod:
    """The latest period of a ``sum`` KPI while it is still running on the report date: its
    total so far, set aside from the comparisons with the whole-period target."""

    period: str
    start: dt.date
    end: dt.date
    value: float
    count: int
    elapsed: float  # the share of the period's days up to and including the report date


@dataclass
class Change:
    """The change from an earlier period to the current one, on the KPI's own scale."""

    period: str
    value: float
    difference: float  # current - earlier, turned for "lower": positive is better
    relative: float | None  # difference / |earlier|; none for percentages and scores
    improved: bool


@dataclass
class Forecast:
    """Where the recent trend leads: the value at the deadline and when the target is reached."""

    method: str  # "theil-sen", or "none" with too few periods for a trend
    periods_used: int
    slope: float | None
    value: float | None
    date_reached: dt.date | None


@dataclass
class BenchmarkGap:
    """A benchmark of a KPI and how the current value compares with it."""

    source: str
    kind: str | None
    value: float
    date: dt.date | None
    difference: float | None  # current - benchmark, turned for "lower": positive is better
    relative: float | None = None  # difference / |benchmark|; none for percentages and scores


@dataclass
class Held:
    """A keep KPI's limit and how it has held it since the baseline date."""

    limit: float  # the current period's limit: its plan, else the target
    margin: float | None  # current - limit, turned for "lower": positive is within the limit
    periods_held: int  # periods with a value within their limit, from the baseline's period on
    periods: int  # periods with a value from the baseline's period on


@dataclass
class PlanPoint:
    """A point of a KPI's plan line: the planned value on a day."""

    date: dt.date
    value: float


@dataclass
class PlanPeriod:
    """One period's actual against its plan (for a ``sum`` KPI the period's amount, for the
    others its level at the period's end; for a ``keep`` KPI its limit)."""

    period: str
    start: dt.date
    end: dt.date
    planned: float  # the Plan sheet's value, else the plan line's value on the period's last day
    explicit: bool  # whether the Plan sheet has a row for this period
    actual: float | None  # none while the period has no value
    variance: float | None  # actual - planned, turned for "lower": positive is better
    relative: float | None  # variance / |planned|; none for percentages and scores
    note: str | None = None  # the Plan row's note


@dataclass
class YearToDate:
    """A ``sum`` KPI's complete periods of the (fiscal) year up to the current period, summed:
    actual against plan over the periods that have a value."""

    start: dt.date  # the fiscal year's first day
    end: dt.date  # the current period's last day
    periods: int  # periods counted: complete, with a value
    missing: int  # periods of the year up to the current one without a value (not counted)
    actual: float
    planned: float
    variance: float  # actual - planned, turned for "lower": positive is better
    relative: float | None  # variance / |planned|; none for percentages and scores


@dataclass
class PlanResult:
    """A KPI's plan (the Plan sheet) and how it compares with the actuals."""

    line: list[PlanPoint]  # the plan as drawn: baseline, each planned period's end, deadline
    current: PlanPeriod | None  # the current period (for ``sum`` KPIs the last complete one)
    so_far: PlanPeriod | None  # a ``sum`` KPI's running period: its amount so far vs its plan
    year_to_date: YearToDate | None  # ``sum`` KPIs only
    periods: list[PlanPeriod]  # every period the Plan sheet plans, with its actual where known


@dataclass
class KpiWarning:
    """A validation warning shown with the results, in the report's language."""

    code: str
    cell: str
    message: str
    hint: str


@dataclass
class KpiComment:
    """A comment on a KPI from the Comments sheet, shown in this report, and what is being
    done."""

    comment: str | None
    action: str | None
    owner: str | None
    due: dt.date | None
    # the report date the comment was written for (this report's), or None: for every report
    report_date: dt.date | None
    cell: str  # the row's comment cell, e.g. "Comments!C4"


@dataclass
class Previous:
    """A KPI as the previous report showed it, and how it moved since (docs/metrics.md,
    "Since the last report")."""

    report_date: dt.date
    source: str  # "earlier_set": that set's results.json; "recomputed": this workbook, as of then
    status: str
    current: float | None
    # current - previous current, turned for "lower": positive is better; None without both
    difference: float | None
    # "improved" / "worsened" along achieved > on track > at risk > off track > missed, "held",
    # or "changed" to or from no data or too early
    move: str


@dataclass
class ComparedWith:
    """The previous report a build compares with."""

    report_date: dt.date
    source: str  # "earlier_set" or "recomputed"


@dataclass
class StatusChange:
    """A KPI whose status moved since the previous report, or that is new or gone."""

    id: str
    name: str
    department: str
    move: str  # "improved", "worsened", "changed", "new" or "gone"
    before: str | None  # the previous status; None for a new KPI
    after: str | None  # the status now; None for a KPI gone


@dataclass
class KpiResult:
    """Everything computed about one KPI as of the report date."""

    id: str
    name: str
    department: str
    description: str | None
    objective: str | None
    owner: str | None
    data_source: str | None
    unit: str
    unit_kind: str
    currency: str | None
    direction: str
    frequency: str
    aggregation: str | None
    goal: str = field(default="reach", kw_only=True)  # "reach", or "keep" a limit
    weight: float
    target: float
    deadline: dt.date
    baseline: float | None
    baseline_date: dt.date | None
    current: float | None
    current_period: str | None
    current_period_end: dt.date | None
    # The current value is from a period still running on the report date (not for a sum KPI,
    # whose running period is set aside as the partial period). Keyword-only, so that it can
    # stand here, next to the current value, in results.json.
    current_period_incomplete: bool = field(default=False, kw_only=True)
    partial_period: PartialPeriod | None = field(default=None, kw_only=True)
    progress: float | None
    expected_progress: float
    status: str
    shortfall: float | None  # expected progress minus progress: how far behind
    forecast: Forecast | None
    required_pace: float | None
    recent_pace: float | None
    previous_period_change: Change | None
    yoy_change: Change | None
    benchmarks: list[BenchmarkGap]
    stale: bool
    keep: Held | None = field(default=None, kw_only=True)  # for a keep KPI
    plan: PlanResult | None = field(default=None, kw_only=True)  # for a KPI with a plan
    previous: Previous | None = field(default=None, kw_only=True)  # in the previous report
    # the Comments sheet's rows written for this report, then those for every report
    comments: list[KpiComment] = field(default_factory=list, kw_only=True)
    warnings: list[KpiWarning]
    series: list[Point]
    excluded_after_report_date: int = 0


@dataclass
class Attention:
    """A KPI that needs attention (at risk, off track, missed, or stale, or whose workbook cells
    are probably wrong), in a summary's list."""

    id: str
    name: str
    department: str
    status: str
    stale: bool
    progress: float | None
    shortfall: float | None
    # "Settings!B3: ..." for each warning that says the workbook is probably wrong at a cell
    # (a percentage typed on the wrong scale): the status itself may be false
    checks: list[str] = field(default_factory=list)


@dataclass
class Summary:
    """Status counts and score over a set of KPIs."""

    kpi_count: int
    score: float | None
    counts: dict[str, int]
    attention: list[Attention]


@dataclass
class DepartmentLine:
    """A department's line in the company summary."""

    name: str
    slug: str
    score: float | None
    counts: dict[str, int]
    kpi_count: int


@dataclass
class CompanySummary:
    """The whole company: every department's KPIs together, and a line per department."""

    kpi_count: int
    score: float | None
    counts: dict[str, int]
    attention: list[Attention]
    departments: list[DepartmentLine]
    changes: list[StatusChange] = field(default_factory=list, kw_only=True)


@dataclass
class DepartmentResult:
    """A department: its details, score, status counts, KPIs needing attention and KPIs."""

    name: str
    slug: str
    head: str | None
    emails: list[str]
    email_cell: str | None  # where the addresses are typed, e.g. "Departments!C3"
    color: str | None
    logo: str | None
    score: float | None
    counts: dict[str, int]
    attention: list[Attention]
    kpis: list[KpiResult]
    # the KPIs whose status moved since the previous report, and those new or gone
    changes: list[StatusChange] = field(default_factory=list, kw_only=True)

    @property
    def kpi_count(self) -> int:
        return len(self.kpis)


@dataclass
class Results:
    """A workbook's results: what the reports show of its settings, the company summary and
    every department."""

    workbook: str
    sha256: str
    report_date: dt.date
    language: str
    generated_by: str
    company: str
    title: str
    currency: str
    primary_color: str | None
    accent_color: str | None
    logo: str | None
    thresholds: dict[str, float]
    board_recipients: list[str]
    board_recipients_cell: str | None  # e.g. "Settings!B12"
    summary: CompanySummary
    departments: list[DepartmentResult]
    warnings: list[KpiWarning] = field(default_factory=list)  # not about one KPI
    # the report the KPIs are compared with (their ``previous``); None: no comparison
    compared_with: ComparedWith | None = None
    page_size: str = "A4"  # the PDFs' paper: Settings page_size, or build --page-size

    def to_frame(self) -> pandas.DataFrame:
        """One row per KPI, as a pandas DataFrame (columns: docs/python-api.md)."""
        from kpireport.frames import kpi_frame

        return kpi_frame(self)

    def series_frame(self) -> pandas.DataFrame:
        """One row per KPI and period with a value (long format), as a pandas DataFrame."""
        from kpireport.frames import series_frame

        return series_frame(self)


def unit_of(result: KpiResult) -> Unit:
    """The schema Unit of a result, for formatting its values."""
    return Unit(result.unit_kind, result.unit, result.currency)
