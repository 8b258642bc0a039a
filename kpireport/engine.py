"""Stage 3: the numbers. Progress, pace-based status, forecast and comparisons for every KPI,
then per department and for the company. Pure functions: a validated Workbook in, Results out.

Every formula is explained with a worked example in docs/metrics.md.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections import Counter
from dataclasses import dataclass, field, fields, is_dataclass
from itertools import combinations
from typing import Any

from kpireport import __version__
from kpireport.issues import Issue, ValidationReport
from kpireport.model import KPI, Benchmark, Department, Measurement, Workbook
from kpireport.periods import period_end, period_label, periods_between
from kpireport.schema import Unit
from kpireport.series import aggregate, group_periods
from kpireport.slug import REPORT_SET_NAMES, unique_slugs

STATUSES = ("achieved", "on_track", "at_risk", "off_track", "missed", "no_data")
# Statuses that count towards a department's score, and those that need attention.
GOOD = frozenset({"achieved", "on_track"})
ATTENTION = frozenset({"off_track", "missed", "at_risk"})

# The forecast fits a Theil-Sen line to at most this many of the latest periods...
FORECAST_PERIODS = 12
# ...and needs at least this many to say anything.
MIN_FORECAST_PERIODS = 3
# A target projected to be reached further away than this is "not reached".
MAX_FORECAST_YEARS = 10


# --- results -------------------------------------------------------------------------------


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
class Change:
    """The change from an earlier period to the current one."""

    period: str
    value: float
    change: float
    relative: float | None
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
    source: str
    kind: str | None
    value: float
    date: dt.date | None
    gap: float | None  # positive: better than the benchmark


@dataclass
class KpiWarning:
    code: str
    cell: str
    message: str
    hint: str


@dataclass
class KpiResult:
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
    weight: float
    target: float
    deadline: dt.date
    baseline: float | None
    baseline_date: dt.date | None
    current: float | None
    current_period: str | None
    current_period_end: dt.date | None
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
    warnings: list[KpiWarning]
    series: list[Point]
    excluded_after_report_date: int = 0


@dataclass
class Summary:
    """Status counts and score over a set of KPIs."""

    kpi_count: int
    score: float | None
    counts: dict[str, int]
    attention: list[dict[str, Any]]


@dataclass
class DepartmentResult:
    name: str
    slug: str
    head: str | None
    emails: list[str]
    email_cell: str | None  # where the addresses are typed, e.g. "Departments!C3"
    color: str | None
    logo: str | None
    score: float | None
    counts: dict[str, int]
    attention: list[dict[str, Any]]
    kpis: list[KpiResult]


@dataclass
class Results:
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
    summary: dict[str, Any]
    departments: list[DepartmentResult]
    warnings: list[KpiWarning] = field(default_factory=list)  # not about one KPI


# --- the pipeline ----------------------------------------------------------------------------


def compute(
    workbook: Workbook,
    report: ValidationReport | None = None,
    report_date: dt.date | None = None,
    lang: str | None = None,
) -> Results:
    """Results for a workbook that validated without errors."""
    from kpireport.validate import effective_report_date

    as_of = report_date or effective_report_date(workbook)
    if as_of is None:
        as_of = dt.date.today()
    lang = lang or workbook.language
    settings = workbook.settings
    warnings, general_warnings = _warnings_by_kpi(workbook, report, lang)
    by_kpi: dict[str, list[Measurement]] = {}
    for m in workbook.measurements:
        by_kpi.setdefault(m.kpi_id, []).append(m)
    benchmarks: dict[str, list[Benchmark]] = {}
    for b in workbook.benchmarks:
        benchmarks.setdefault(b.kpi_id, []).append(b)
    results = [
        compute_kpi(
            kpi,
            by_kpi.get(kpi.id, []),
            benchmarks.get(kpi.id, []),
            as_of,
            on_track=settings.on_track,
            at_risk=settings.at_risk,
            warnings=warnings.get(kpi.id, []),
        )
        for kpi in workbook.kpis
    ]
    departments = _departments(workbook, results)
    title = settings.title or ("KPI-rapport" if lang == "da" else "KPI report")
    return Results(
        workbook=workbook.path.name,
        sha256=workbook.sha256,
        report_date=as_of,
        language=lang,
        generated_by=f"kpireport {__version__}",
        company=settings.company or workbook.path.stem,
        title=title,
        currency=settings.currency,
        primary_color=settings.primary_color,
        accent_color=settings.accent_color,
        logo=settings.logo,
        thresholds={"on_track": settings.on_track, "at_risk": settings.at_risk},
        board_recipients=list(settings.board_recipients),
        board_recipients_cell=_setting_cell(workbook, "board_recipients"),
        summary=_company_summary(departments),
        departments=departments,
        warnings=general_warnings,
    )


def compute_kpi(
    kpi: KPI,
    measurements: list[Measurement],
    benchmarks: list[Benchmark],
    as_of: dt.date,
    on_track: float = 0.95,
    at_risk: float = 0.80,
    warnings: list[KpiWarning] | None = None,
) -> KpiResult:
    """Everything about one KPI as of ``as_of``."""
    if kpi.direction is None or kpi.frequency is None or kpi.target is None or kpi.deadline is None:
        raise ValueError(f"KPI {kpi.id} is incomplete; validate the workbook first")
    frequency = kpi.frequency
    sign = 1.0 if kpi.direction == "higher" else -1.0
    known = [m for m in measurements if m.date <= as_of]
    points = _series(kpi, known)
    values = [p.value for p in points]
    baseline = kpi.baseline if kpi.baseline is not None else (values[0] if values else None)
    baseline_date = kpi.baseline_date or min((m.date for m in known), default=None)
    current = values[-1] if values else None
    last = points[-1] if points else None
    prog = progress(current, baseline, kpi.target) if current is not None else None
    expected = expected_progress(baseline_date, kpi.deadline, as_of)
    fc = forecast(points, kpi.target, kpi.deadline, frequency, sign, as_of) if points else None
    status = status_of(
        current, kpi.target, sign, prog, expected, kpi.deadline, as_of, fc, on_track, at_risk
    )
    if status == "achieved":
        # Reached already: say since when, also when there are too few periods for a trend.
        if fc is None:
            fc = Forecast("none", len(points), None, None, None)
        fc.date_reached = _reached_since(points, kpi.target, sign)
    shortfall = None
    if current is not None and status != "achieved":
        # how far behind: from the progress expected by now (or all of it, once missed)
        shortfall = (1.0 if status == "missed" else expected) - (prog if prog is not None else 0.0)
    return KpiResult(
        id=kpi.id,
        name=kpi.name,
        department=kpi.department,
        description=kpi.description,
        objective=kpi.objective,
        owner=kpi.owner,
        data_source=kpi.data_source,
        unit=kpi.unit.label,
        unit_kind=kpi.unit.kind,
        currency=kpi.unit.currency,
        direction=kpi.direction,
        frequency=frequency,
        aggregation=kpi.aggregation,
        weight=kpi.weight,
        target=kpi.target,
        deadline=kpi.deadline,
        baseline=baseline,
        baseline_date=baseline_date,
        current=current,
        current_period=last.period if last else None,
        current_period_end=last.end if last else None,
        progress=prog,
        expected_progress=expected,
        status=status,
        shortfall=shortfall,
        forecast=fc,
        required_pace=required_pace(
            current, kpi.target, sign, last, kpi.deadline, frequency, as_of
        ),
        recent_pace=fc.slope if fc is not None else None,
        previous_period_change=_previous_change(points, sign),
        yoy_change=_year_on_year(points, frequency, sign),
        benchmarks=[
            BenchmarkGap(b.source, b.kind, b.value, b.date, benchmark_gap(current, b.value, sign))
            for b in benchmarks
        ],
        stale=last is not None and periods_between(last.start, as_of, frequency) > 1,
        warnings=list(warnings or []),
        series=points,
        excluded_after_report_date=len(measurements) - len(known),
    )


# --- formulas (docs/metrics.md) -------------------------------------------------------------


def progress(current: float, baseline: float | None, target: float) -> float | None:
    """(current - baseline) / (target - baseline): 0 at the baseline, 1 at the target, for
    either direction; negative when moving away, above 1 beyond the target."""
    if baseline is None or target == baseline:
        return None
    return (current - baseline) / (target - baseline)


def expected_progress(start: dt.date | None, deadline: dt.date, as_of: dt.date) -> float:
    """The share of the time from the baseline date to the deadline that has passed, 0 to 1."""
    if start is None:
        return 0.0
    total = (deadline - start).days
    if total <= 0:
        return 1.0 if as_of >= deadline else 0.0
    return min(max((as_of - start).days / total, 0.0), 1.0)


def reached(value: float, target: float, sign: float) -> bool:
    """Whether ``value`` has reached ``target`` in the KPI's direction."""
    return sign * (value - target) >= 0


def status_of(
    current: float | None,
    target: float,
    sign: float,
    prog: float | None,
    expected: float,
    deadline: dt.date,
    as_of: dt.date,
    fc: Forecast | None,
    on_track: float,
    at_risk: float,
) -> str:
    """The first that holds: achieved, missed, no data, on track, at risk; else off track."""
    if current is not None and reached(current, target, sign):
        return "achieved"
    if deadline < as_of:
        return "missed"
    if current is None:
        return "no_data"
    if prog is not None and prog >= expected * on_track:
        return "on_track"
    if fc is not None and fc.value is not None and reached(fc.value, target, sign):
        return "on_track"
    if prog is None:  # started at the target (baseline = target) and has moved away from it
        return "off_track"
    if prog >= expected * at_risk:
        return "at_risk"
    return "off_track"


def theil_sen(xs: list[float], ys: list[float]) -> tuple[float, float]:
    """Slope and intercept of the Theil-Sen line: the median of the slopes between every pair
    of points, and the median of y - slope * x. From five points on, one outlier cannot swing
    it (it touches only n - 1 of the n(n - 1) / 2 slopes)."""
    slopes = [
        (yb - ya) / (xb - xa)
        for (xa, ya), (xb, yb) in combinations(zip(xs, ys, strict=True), 2)
        if xb != xa
    ]
    slope = statistics.median(slopes) if slopes else 0.0
    intercept = statistics.median(y - slope * x for x, y in zip(xs, ys, strict=True))
    return slope, intercept


def forecast(
    points: list[Point],
    target: float,
    deadline: dt.date,
    frequency: str,
    sign: float,
    as_of: dt.date | None = None,
) -> Forecast | None:
    """The Theil-Sen trend of the latest periods, projected to the deadline's period."""
    recent = points[-FORECAST_PERIODS:]
    if len(recent) < MIN_FORECAST_PERIODS:
        return None
    as_of = as_of or recent[-1].end
    origin = recent[0].start
    xs = [float(periods_between(origin, p.start, frequency)) for p in recent]
    slope, intercept = theil_sen(xs, [p.value for p in recent])
    x_deadline = periods_between(origin, deadline, frequency)
    value = intercept + slope * x_deadline if x_deadline >= xs[-1] else None
    date_reached = None
    if sign * slope > 0:
        x_target = (target - intercept) / slope
        index = max(math.ceil(x_target - 1e-9), int(xs[-1]) + 1)
        start = _shift(origin, index, frequency)
        if start is not None and start.year - as_of.year <= MAX_FORECAST_YEARS:
            date_reached = period_end(start, frequency)
    return Forecast("theil-sen", len(recent), slope, value, date_reached)


def required_pace(
    current: float | None,
    target: float,
    sign: float,
    last: Point | None,
    deadline: dt.date,
    frequency: str,
    as_of: dt.date,
) -> float | None:
    """The change per period now needed to reach the target by the deadline (0 once reached;
    none when the deadline has passed or falls in the current period)."""
    if current is None or last is None:
        return None
    if reached(current, target, sign):
        return 0.0
    if deadline < as_of:
        return None
    # From now: the later of the latest value's period and the report date's period.
    remaining = periods_between(max(last.start, as_of), deadline, frequency)
    if remaining < 1:
        return None
    return (target - current) / remaining


def benchmark_gap(current: float | None, benchmark: float, sign: float) -> float | None:
    """(current - benchmark) / |benchmark|, signed so that positive means better."""
    if current is None or benchmark == 0:
        return None
    return sign * (current - benchmark) / abs(benchmark)


# --- helpers ---------------------------------------------------------------------------------


_NO_NOTES: list[str] = []  # shared by every point without notes; never changed


def _series(kpi: KPI, measurements: list[Measurement]) -> list[Point]:
    assert kpi.frequency is not None
    points = []
    for start, ms in group_periods(kpi, measurements).items():
        points.append(
            Point(
                period=period_label(start, kpi.frequency),
                start=start,
                end=period_end(start, kpi.frequency),
                value=aggregate([m.value for m in ms], kpi.aggregation),
                count=len(ms),
                notes=[m.note for m in ms if m.note] if any(m.note for m in ms) else _NO_NOTES,
            )
        )
    return points


def _shift(start: dt.date, periods: int, frequency: str) -> dt.date | None:
    """The start of the period ``periods`` after the one starting on ``start``; None past the
    calendar's end (a trend so slow it never gets there)."""
    try:
        if frequency == "daily":
            return start + dt.timedelta(days=periods)
        if frequency == "weekly":
            return start + dt.timedelta(weeks=periods)
    except OverflowError:
        return None
    months = periods * {"monthly": 1, "quarterly": 3, "yearly": 12}[frequency]
    index = start.year * 12 + start.month - 1 + months
    if index // 12 > dt.MAXYEAR:
        return None
    return dt.date(index // 12, index % 12 + 1, 1)


def _reached_since(points: list[Point], target: float, sign: float) -> dt.date | None:
    """The end of the first period of the latest run of periods at or beyond the target."""
    since = None
    for p in reversed(points):
        if not reached(p.value, target, sign):
            break
        since = p.end
    return since


def _change(earlier: Point, current: Point, sign: float) -> Change:
    change = current.value - earlier.value
    relative = change / abs(earlier.value) if earlier.value else None
    return Change(earlier.period, earlier.value, change, relative, sign * change > 0)


def _previous_change(points: list[Point], sign: float) -> Change | None:
    """Against the latest earlier period with a value."""
    if len(points) < 2:
        return None
    return _change(points[-2], points[-1], sign)


def _year_on_year(points: list[Point], frequency: str, sign: float) -> Change | None:
    """Against the same period one year earlier, when it has a value."""
    if not points:
        return None
    start = points[-1].start
    try:
        if frequency == "weekly":
            year, week, _ = start.isocalendar()
            earlier = dt.date.fromisocalendar(year - 1, week, 1)
        elif frequency == "daily" and (start.month, start.day) == (2, 29):
            earlier = dt.date(start.year - 1, 2, 28)
        else:
            earlier = start.replace(year=start.year - 1)
    except ValueError:  # ISO week 53 in a year without one
        return None
    match = next((p for p in points if p.start == earlier), None)
    return _change(match, points[-1], sign) if match else None


def _warnings_by_kpi(
    workbook: Workbook, report: ValidationReport | None, lang: str
) -> tuple[dict[str, list[KpiWarning]], list[KpiWarning]]:
    """The validation warnings about each KPI (on its KPIs row, its measurement rows or its
    benchmark rows), and the rest (settings, departments, columns...)."""
    if report is None:
        return {}, []
    rows: dict[str, dict[int, str]] = {"kpis": {k.row: k.id for k in workbook.kpis}}
    rows["measurements"] = {m.row: m.kpi_id for m in workbook.measurements}
    rows["benchmarks"] = {b.row: b.kpi_id for b in workbook.benchmarks}
    sheet_keys = {info.name: key for key, info in workbook.sheets.items()}
    by_kpi: dict[str, list[KpiWarning]] = {}
    general: list[KpiWarning] = []
    for issue in report.sorted_issues():
        if issue.severity != "warning":
            continue
        warning = KpiWarning(issue.code, issue.where, issue.message(lang), issue.hint(lang))
        kpi_id = rows.get(sheet_keys.get(issue.sheet or "", ""), {}).get(_row_of(issue))
        if kpi_id is not None:
            by_kpi.setdefault(kpi_id, []).append(warning)
        else:
            general.append(warning)
    return by_kpi, general


def _setting_cell(workbook: Workbook, key: str) -> str | None:
    """The Settings cell that holds ``key``'s value, e.g. ``Settings!B12``."""
    row = workbook.settings.rows.get(key)
    info = workbook.sheets.get("settings")
    if row is None or info is None:
        return None
    return str(info.loc(row, "value"))


def _row_of(issue: Issue) -> int:
    digits = "".join(ch for ch in issue.cell or "" if ch.isdigit())
    return int(digits) if digits else 0


def _summary(kpis: list[KpiResult]) -> Summary:
    counts = Counter(k.status for k in kpis)
    total = sum(k.weight for k in kpis)
    good = sum(k.weight for k in kpis if k.status in GOOD)
    attention = [k for k in kpis if k.status in ATTENTION or k.stale]
    attention.sort(key=lambda k: (-(k.shortfall if k.shortfall is not None else math.inf), k.id))
    return Summary(
        kpi_count=len(kpis),
        score=good / total if total else None,
        counts={s: counts.get(s, 0) for s in STATUSES},
        attention=[
            {
                "id": k.id,
                "name": k.name,
                "department": k.department,
                "status": k.status,
                "stale": k.stale,
                "progress": k.progress,
                "shortfall": k.shortfall,
            }
            for k in attention
        ],
    )


def _departments(workbook: Workbook, results: list[KpiResult]) -> list[DepartmentResult]:
    """Departments in the order of the Departments sheet, then any named only on KPIs."""
    listed: dict[str, Department] = {d.name.casefold(): d for d in workbook.departments}
    names: list[str] = [d.name for d in workbook.departments]
    for k in results:
        if k.department.casefold() not in {n.casefold() for n in names}:
            names.append(k.department)
    slugs = unique_slugs(names, reserved=REPORT_SET_NAMES)
    out = []
    for name in names:
        dept = listed.get(name.casefold())
        kpis = [k for k in results if k.department.casefold() == name.casefold()]
        if not kpis:
            continue
        summary = _summary(kpis)
        out.append(
            DepartmentResult(
                name=name,
                slug=slugs[name],
                head=dept.head if dept else None,
                emails=dept.emails if dept else [],
                email_cell=str(workbook.loc("departments", dept.row, "email")) if dept else None,
                color=dept.color if dept else None,
                logo=dept.logo if dept else None,
                score=summary.score,
                counts=summary.counts,
                attention=summary.attention,
                kpis=kpis,
            )
        )
    return out


def _company_summary(departments: list[DepartmentResult]) -> dict[str, Any]:
    everything = _summary([k for d in departments for k in d.kpis])
    return {
        "kpi_count": everything.kpi_count,
        "score": everything.score,
        "counts": everything.counts,
        "attention": everything.attention,
        "departments": [
            {
                "name": d.name,
                "slug": d.slug,
                "score": d.score,
                "counts": d.counts,
                "kpi_count": len(d.kpis),
            }
            for d in departments
        ],
    }


def unit_of(result: KpiResult) -> Unit:
    """The schema Unit of a result, for formatting its values."""
    return Unit(result.unit_kind, result.unit, result.currency)


__all__ = ["STATUSES", "Results", "compute", "compute_kpi", "to_dict"]


def to_dict(results: Results) -> dict[str, Any]:
    """Results as JSON-ready data: dates as ISO strings, non-finite numbers as null. (In one
    pass over the dataclasses: ``dataclasses.asdict`` deep-copies every value first, which took
    most of a no-change rebuild's time on a workbook with 150,000 measurements.)"""
    plain = _plain(results)
    assert isinstance(plain, dict)
    return plain


_FIELDS: dict[type, tuple[str, ...]] = {}  # a dataclass's field names; () for other types


def _plain(value: Any) -> Any:
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return value
    if kind is float:
        return value if math.isfinite(value) else None
    names = _FIELDS.get(kind)
    if names is None:
        names = _FIELDS[kind] = tuple(f.name for f in fields(kind)) if is_dataclass(kind) else ()
    if names:
        return {name: _plain(getattr(value, name)) for name in names}
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    return value
