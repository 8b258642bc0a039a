"""Computing the results: each KPI's series, progress, status, forecast, changes and warnings as
of the report date, then the departments and the company."""

from __future__ import annotations

import datetime as dt

from kpireport import __version__
from kpireport.engine.formulas import (
    comparison_scale,
    difference,
    expected_progress,
    forecast,
    progress,
    reached,
    relative_difference,
    required_pace,
    status_of,
)
from kpireport.engine.keep import keep_status
from kpireport.engine.plan import plan_line, plan_result, value_on
from kpireport.engine.results import (
    BenchmarkGap,
    Change,
    Forecast,
    KpiComment,
    KpiResult,
    KpiWarning,
    PartialPeriod,
    Point,
    Results,
)
from kpireport.engine.summary import company_summary, department_results
from kpireport.i18n import Locale, get_locale
from kpireport.issues import Issue, ValidationReport
from kpireport.labels import default_title
from kpireport.model import KPI, Benchmark, Comment, Measurement, PlanRow, Workbook
from kpireport.periods import period_end, period_label, period_start, periods_between
from kpireport.series import aggregate, group_periods


def compute(
    workbook: Workbook,
    report: ValidationReport | None = None,
    report_date: dt.date | None = None,
    lang: str | None = None,
    later: Results | None = None,
) -> Results:
    """Results for a workbook that validated without errors. ``later``: its results as of a
    later date (the report's, when this is the previous report: kpireport/previous.py), whose
    series are taken as they are up to the periods still running on ``report_date``."""
    as_of = report_date or workbook.report_date
    if as_of is None:
        as_of = dt.date.today()
    locale = get_locale(lang or workbook.language)
    lang = locale.code
    settings = workbook.settings
    warnings, general_warnings = _warnings_by_kpi(workbook, report, locale)
    by_kpi: dict[str, list[Measurement]] = {}
    for m in workbook.measurements:
        by_kpi.setdefault(m.kpi_id, []).append(m)
    benchmarks: dict[str, list[Benchmark]] = {}
    for b in workbook.benchmarks:
        benchmarks.setdefault(b.kpi_id, []).append(b)
    plans: dict[str, list[PlanRow]] = {}
    for row in workbook.plan:
        plans.setdefault(row.kpi_id, []).append(row)
    comments = _comments_by_kpi(workbook, as_of)
    series = {k.id: k.series for d in later.departments for k in d.kpis} if later else {}
    results = [
        compute_kpi(
            kpi,
            by_kpi.get(kpi.id, []),
            benchmarks.get(kpi.id, []),
            as_of,
            on_track=settings.on_track,
            at_risk=settings.at_risk,
            warnings=warnings.get(kpi.id, []),
            plan=plans.get(kpi.id),
            fiscal_year_start=settings.fiscal_year_start,
            comments=comments.get(kpi.id),
            later=series.get(kpi.id),
        )
        for kpi in workbook.kpis
    ]
    departments = department_results(workbook, results)
    title = settings.title or default_title(locale)
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
        summary=company_summary(departments),
        departments=departments,
        warnings=general_warnings,
        page_size=settings.page_size,
    )


def compute_kpi(
    kpi: KPI,
    measurements: list[Measurement],
    benchmarks: list[Benchmark],
    as_of: dt.date,
    on_track: float = 0.95,
    at_risk: float = 0.80,
    warnings: list[KpiWarning] | None = None,
    plan: list[PlanRow] | None = None,
    fiscal_year_start: int = 1,
    comments: list[KpiComment] | None = None,
    later: list[Point] | None = None,
) -> KpiResult:
    """Everything about one KPI as of ``as_of``; ``plan``: its rows of the Plan sheet;
    ``fiscal_year_start``: the month its year to date starts; ``comments``: those the report
    shows (:func:`_comments_by_kpi`); ``later``: its series as of a later date, of the same
    measurements (see :func:`_series_from`)."""
    if kpi.direction is None or kpi.frequency is None or kpi.target is None or kpi.deadline is None:
        raise ValueError(f"KPI {kpi.id} is incomplete; validate the workbook first")
    frequency = kpi.frequency
    sign = 1.0 if kpi.direction == "higher" else -1.0
    known = [m for m in measurements if m.date <= as_of]
    points = _series(kpi, known) if later is None else _series_from(kpi, later, known, as_of)
    latest = points[-1] if points else None  # the latest period with a value, finished or not
    partial = None
    if latest is not None and as_of < latest.end and kpi.aggregation == "sum":
        # A total so far cannot be held against a whole period's target: set it aside.
        partial = _partial(points.pop(), as_of)
    values = [p.value for p in points]
    baseline = kpi.baseline if kpi.baseline is not None else (values[0] if values else None)
    baseline_date = kpi.baseline_date or min((m.date for m in known), default=None)
    current = values[-1] if values else None
    last = points[-1] if points else None
    prog = progress(current, baseline, kpi.target) if current is not None else None
    expected = expected_progress(baseline_date, kpi.deadline, as_of)
    if plan and kpi.goal == "reach" and baseline is not None and kpi.target != baseline:
        # the plan's value on the report date instead of the straight line's
        planned = value_on(plan_line(kpi, plan, baseline, baseline_date), as_of)
        expected = (planned - baseline) / (kpi.target - baseline)
    fc = forecast(points, kpi.target, kpi.deadline, frequency, sign, as_of) if points else None
    stale = latest is not None and periods_between(latest.start, as_of, frequency) > 1
    early = _too_early(points, baseline_date, kpi.deadline, as_of, frequency)
    status = status_of(
        current,
        kpi.target,
        sign,
        prog,
        expected,
        kpi.deadline,
        as_of,
        fc,
        on_track,
        at_risk,
        early=early,
        stale=stale,
    )
    held = None
    if kpi.goal == "keep":
        # a limit to hold, not a target to reach: no progress, pace or shortfall
        status, held = keep_status(
            kpi,
            points,
            plan or [],
            baseline_date,
            as_of,
            fc.value if fc else None,
            early=early,
            stale=stale,
        )
        prog = None
        if fc is not None:
            fc.date_reached = None
    if status == "achieved" and held is None:
        # Reached already: say since when, also when there are too few periods for a trend.
        if fc is None:
            fc = Forecast("none", len(points), None, None, None)
        fc.date_reached = _reached_since(points, kpi.target, sign)
    shortfall = None
    if current is not None and held is None and status not in ("achieved", "too_early"):
        # how far behind: from the progress expected by now (or all of it, once missed)
        shortfall = (1.0 if status == "missed" else expected) - (prog if prog is not None else 0.0)
    relative = comparison_scale(kpi.unit.kind, kpi.unit.label) == "relative"
    plan_vs = None
    if plan:
        plan_vs = plan_result(
            kpi, plan, points, partial, baseline, baseline_date, fiscal_year_start, relative
        )
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
        current_period_incomplete=last is not None and as_of < last.end,
        partial_period=partial,
        progress=prog,
        expected_progress=expected,
        status=status,
        shortfall=shortfall,
        forecast=fc,
        required_pace=None
        if held
        else required_pace(current, kpi.target, sign, last, kpi.deadline, frequency, as_of),
        recent_pace=fc.slope if fc is not None else None,
        comments=list(comments or []),
        previous_period_change=_previous_change(points, sign, relative),
        yoy_change=_year_on_year(points, frequency, sign, relative),
        benchmarks=[_benchmark(b, current, sign, relative) for b in benchmarks],
        stale=stale,
        keep=held,
        plan=plan_vs,
        goal=kpi.goal,
        warnings=list(warnings or []),
        series=points,
        excluded_after_report_date=len(measurements) - len(known),
    )


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


def _series_from(
    kpi: KPI, later: list[Point], known: list[Measurement], as_of: dt.date
) -> list[Point]:
    """:func:`_series` of ``known``, the measurements until ``as_of``, from ``later``, the
    series of the same measurements as of a later date. A period before the one ``as_of`` falls
    in was over by then, with every measurement of it known at both dates: its point is the
    same in both. Only ``as_of``'s own period is made again, of its measurements until then.
    (The previous report's series took a fifth of a build of the HTML.)"""
    assert kpi.frequency is not None
    start = period_start(as_of, kpi.frequency)
    ended = [p for p in later if p.start < start]
    return ended + _series(kpi, [m for m in known if m.date >= start])


def _reached_since(points: list[Point], target: float, sign: float) -> dt.date | None:
    """The end of the first period of the latest run of periods at or beyond the target."""
    since = None
    for p in reversed(points):
        if not reached(p.value, target, sign):
            break
        since = p.end
    return since


def _partial(point: Point, as_of: dt.date) -> PartialPeriod:
    """``point``, a period still running on ``as_of``, with the share of its days gone."""
    days = (point.end - point.start).days + 1
    elapsed = ((as_of - point.start).days + 1) / days
    return PartialPeriod(point.period, point.start, point.end, point.value, point.count, elapsed)


def _too_early(
    points: list[Point],
    baseline_date: dt.date | None,
    deadline: dt.date,
    as_of: dt.date,
    frequency: str,
) -> bool:
    """Whether it is too early to judge the pace: fewer than two periods after the baseline
    period have a value, and the deadline is more than a period away."""
    if baseline_date is None:
        return False
    # the periods are in order: two after the baseline period means the last two are
    two_after = len(points) >= 2 and points[-2].start > period_start(baseline_date, frequency)
    return not two_after and periods_between(as_of, deadline, frequency) > 1


def _change(earlier: Point, current: Point, sign: float, relative: bool) -> Change:
    diff = difference(current.value, earlier.value, sign)
    rel = relative_difference(current.value, earlier.value, sign) if relative else None
    return Change(earlier.period, earlier.value, diff, rel, diff > 0)


def _benchmark(b: Benchmark, current: float | None, sign: float, relative: bool) -> BenchmarkGap:
    if current is None:
        return BenchmarkGap(b.source, b.kind, b.value, b.date, None, None)
    rel = relative_difference(current, b.value, sign) if relative else None
    return BenchmarkGap(b.source, b.kind, b.value, b.date, difference(current, b.value, sign), rel)


def _previous_change(points: list[Point], sign: float, relative: bool) -> Change | None:
    """Against the latest earlier period with a value."""
    if len(points) < 2:
        return None
    return _change(points[-2], points[-1], sign, relative)


def _year_on_year(
    points: list[Point], frequency: str, sign: float, relative: bool
) -> Change | None:
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
    return _change(match, points[-1], sign, relative) if match else None


def _comments_by_kpi(workbook: Workbook, as_of: dt.date) -> dict[str, list[KpiComment]]:
    """Each KPI's comments that the report as of ``as_of`` shows: those written for it, then
    those for every report, each in the order of the sheet."""
    shown = [c for c in workbook.comments if c.applies(as_of)]
    by_kpi: dict[str, list[KpiComment]] = {}
    for comment in sorted(shown, key=lambda c: not c.written_for(as_of)):  # stable: row order
        by_kpi.setdefault(comment.kpi_id, []).append(_comment(workbook, comment, as_of))
    return by_kpi


def _comment(workbook: Workbook, comment: Comment, as_of: dt.date) -> KpiComment:
    return KpiComment(
        comment=comment.comment,
        action=comment.action,
        owner=comment.owner,
        due=comment.due,
        report_date=as_of if comment.written_for(as_of) else None,
        cell=str(workbook.loc("comments", comment.row, "comment")),
    )


def _warnings_by_kpi(
    workbook: Workbook, report: ValidationReport | None, locale: Locale
) -> tuple[dict[str, list[KpiWarning]], list[KpiWarning]]:
    """The validation warnings about each KPI (on its KPIs row, its measurement, benchmark or
    plan rows), and the rest (settings, departments, columns...)."""
    if report is None:
        return {}, []
    rows: dict[str, dict[int, str]] = {"kpis": {k.row: k.id for k in workbook.kpis}}
    rows["measurements"] = {m.row: m.kpi_id for m in workbook.measurements}
    rows["benchmarks"] = {b.row: b.kpi_id for b in workbook.benchmarks}
    rows["plan"] = {p.row: p.kpi_id for p in workbook.plan}
    rows["comments"] = {c.row: c.kpi_id for c in workbook.comments}
    sheet_keys = {info.name: key for key, info in workbook.sheets.items()}
    by_kpi: dict[str, list[KpiWarning]] = {}
    general: list[KpiWarning] = []
    for issue in report.sorted_issues():
        if issue.severity != "warning":
            continue
        warning = KpiWarning(issue.code, issue.where, issue.message(locale), issue.hint(locale))
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
