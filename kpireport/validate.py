"""Stage 2: check a read workbook across rows and sheets, and against the SMART criteria.

Each check is a generator of issues, so one run reports every problem. ``check`` reads and
validates a file in one call.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections import defaultdict
from collections.abc import Iterator
from itertools import pairwise
from operator import attrgetter
from pathlib import Path

from kpireport import fmt
from kpireport.issues import Issue, ValidationReport
from kpireport.model import KPI, Measurement, Workbook
from kpireport.periods import coarser, period_label, period_start, periods_between

# "Far beyond the best pace in the KPI's own history": more than this many times it.
PACE_FACTOR = 3.0
MIN_MEASUREMENTS = 3

_TWO_GOALS = re.compile(r"\s+(?:and|og|samt|&|\+|as well as|plus)\s+", re.IGNORECASE)
_PARENS = re.compile(r"\([^)]*\)|\[[^\]]*\]")


def check(
    path: Path | str, lang: str | None = None, report_date: dt.date | None = None
) -> tuple[Workbook, ValidationReport]:
    """Read and validate one workbook file. Raises WorkbookError when it cannot be read."""
    from kpireport.workbook import read_workbook

    workbook = read_workbook(Path(path))
    return workbook, validate(workbook, lang=lang, report_date=report_date)


def validate(
    workbook: Workbook, lang: str | None = None, report_date: dt.date | None = None
) -> ValidationReport:
    """Every problem in ``workbook``: those found while reading, and the rules across sheets."""
    issues = list(workbook.issues)
    issues.extend(_Validator(workbook, report_date).run())
    order = tuple(
        info.name
        for info in sorted(workbook.sheets.values(), key=lambda i: _SHEET_ORDER.index(i.key))
    )
    return ValidationReport(
        str(workbook.path), issues, lang=lang or workbook.language, sheet_order=order
    )


_SHEET_ORDER = ["settings", "departments", "kpis", "measurements", "benchmarks"]


def effective_report_date(workbook: Workbook) -> dt.date | None:
    """The Settings report date, or else the date of the latest measurement."""
    if workbook.settings.report_date is not None:
        return workbook.settings.report_date
    return max((m.date for m in workbook.measurements), default=None)


def aggregate(values: list[float], how: str | None) -> float:
    """Combine the values of one period (in the order measured) as the KPI says."""
    if how == "sum":
        return sum(values)
    if how == "mean":
        return sum(values) / len(values)
    if how == "min":
        return min(values)
    if how == "max":
        return max(values)
    return values[-1]


def group_periods(kpi: KPI, measurements: list[Measurement]) -> dict[dt.date, list[Measurement]]:
    """The KPI's measurements by period of its frequency, oldest period first, each period's
    measurements in date order (then row order, for several on one day)."""
    if kpi.frequency is None:
        return {}
    frequency = kpi.frequency
    starts: dict[dt.date, dt.date] = {}  # dates repeat: compute each one's period once
    groups: dict[dt.date, list[Measurement]] = defaultdict(list)
    for m in measurements:
        start = starts.get(m.date)
        if start is None:
            start = starts[m.date] = period_start(m.date, frequency)
        groups[start].append(m)
    for ms in groups.values():
        if len(ms) > 1:
            ms.sort(key=_by_date_and_row)
    return dict(sorted(groups.items()))


_by_date_and_row = attrgetter("date", "row")


def series(kpi: KPI, measurements: list[Measurement]) -> list[tuple[dt.date, float]]:
    """The KPI's values per period of its frequency, oldest first."""
    return [
        (p, aggregate([m.value for m in ms], kpi.aggregation))
        for p, ms in group_periods(kpi, measurements).items()
    ]


class _Validator:
    def __init__(self, workbook: Workbook, report_date: dt.date | None) -> None:
        self.wb = workbook
        self.lang = workbook.language
        self.report_date = report_date or effective_report_date(workbook)
        self._periods: dict[str, dict[dt.date, list[Measurement]]] = {}
        self.by_kpi: dict[str, list[Measurement]] = defaultdict(list)
        for m in workbook.measurements:
            self.by_kpi[m.kpi_id].append(m)

    def run(self) -> Iterator[Issue]:
        yield from self.duplicate_ids()
        yield from self.unknown_ids()
        for kpi in self.wb.kpis:
            yield from self.kpi_rules(kpi)
            yield from self.smart(kpi)

    def at(self, sheet: str, row: int, column: str) -> tuple[str, str | None]:
        loc = self.wb.loc(sheet, row, column)
        return loc.sheet, loc.cell

    def duplicate_ids(self) -> Iterator[Issue]:
        first: dict[str, KPI] = {}
        for kpi in self.wb.kpis:
            folded = kpi.id.casefold()
            if folded in first:
                yield Issue(
                    "duplicate-kpi-id",
                    *self.at("kpis", kpi.row, "id"),
                    {"kpi": kpi.id, "first": str(self.wb.loc("kpis", first[folded].row, "id"))},
                )
            else:
                first[folded] = kpi

    def unknown_ids(self) -> Iterator[Issue]:
        known = {k.id for k in self.wb.kpis}
        folded = {k.casefold(): k for k in known}
        kpi_sheet = self.wb.loc("kpis", 1).sheet
        rows: list[tuple[str, str, int]] = [
            ("measurements", m.kpi_id, m.row) for m in self.wb.measurements
        ]
        rows += [("benchmarks", b.kpi_id, b.row) for b in self.wb.benchmarks]
        for sheet, kpi_id, row in rows:
            if kpi_id in known:
                continue
            close = [folded[kpi_id.casefold()]] if kpi_id.casefold() in folded else []
            close = close or difflib.get_close_matches(kpi_id, known, n=1, cutoff=0.6)
            suggestion = ""
            if close:
                suggestion = (
                    f" (did you mean '{close[0]}'?)"
                    if self.lang != "da"
                    else f" (mente du '{close[0]}'?)"
                )
            yield Issue(
                "unknown-kpi",
                *self.at(sheet, row, "kpi"),
                {"kpi": kpi_id, "kpi_sheet": kpi_sheet, "suggestion": suggestion},
            )

    def periods(self, kpi: KPI) -> dict[dt.date, list[Measurement]]:
        if kpi.id not in self._periods:
            self._periods[kpi.id] = group_periods(kpi, self.by_kpi.get(kpi.id, []))
        return self._periods[kpi.id]

    def baseline_date(self, kpi: KPI) -> dt.date | None:
        if kpi.baseline_date is not None:
            return kpi.baseline_date
        return min((m.date for m in self.by_kpi.get(kpi.id, [])), default=None)

    def kpi_rules(self, kpi: KPI) -> Iterator[Issue]:
        start = self.baseline_date(kpi)
        if kpi.deadline is not None and start is not None and kpi.deadline < start:
            baseline_cell = (
                str(self.wb.loc("kpis", kpi.row, "baseline_date"))
                if kpi.baseline_date
                else str(
                    self.wb.loc(
                        "measurements", min(self.by_kpi[kpi.id], key=lambda m: m.date).row, "date"
                    )
                )
            )
            yield Issue(
                "deadline-before-baseline",
                *self.at("kpis", kpi.row, "deadline"),
                {
                    "deadline": fmt.date(kpi.deadline, self.lang),
                    "baseline_date": fmt.date(start, self.lang),
                    "baseline_cell": baseline_cell,
                },
            )
        if kpi.frequency is None:
            return
        periods = self.periods(kpi)
        if kpi.aggregation is None:
            crowded = sorted((p, ms) for p, ms in periods.items() if len(ms) > 1)
            if crowded:
                period, ms = crowded[0]
                date_col = self.wb.sheets["measurements"].columns.get("date", 0)
                from kpireport.model import column_letter

                cells = ", ".join(f"{column_letter(date_col)}{m.row}" for m in ms[:4]) + (
                    " …" if len(ms) > 4 else ""
                )
                sheet, cell = self.at("kpis", kpi.row, "aggregation")
                if "aggregation" not in self.wb.sheets["kpis"].columns:
                    sheet, cell = self.at("kpis", kpi.row, "frequency")
                yield Issue(
                    "needs-aggregation",
                    sheet,
                    cell,
                    {
                        "kpi": kpi.id,
                        "count": len(ms),
                        "frequency": _frequency_word(kpi.frequency, self.lang),
                        "period": period_label(period, kpi.frequency),
                        "cells": f"{self.wb.loc('measurements', 1).sheet}!{cells}",
                    },
                )
        for m in self.by_kpi.get(kpi.id, []):
            if m.granularity != "day" and coarser(m.granularity, kpi.frequency):
                yield Issue(
                    "coarse-date",
                    *self.at("measurements", m.row, "date"),
                    {
                        "value": period_label(
                            m.date,
                            {
                                "week": "weekly",
                                "month": "monthly",
                                "quarter": "quarterly",
                                "year": "yearly",
                                "day": "daily",
                            }[m.granularity],
                        ),
                        "granularity": _granularity_word(m.granularity, self.lang),
                        "kpi": kpi.id,
                        "frequency": _frequency_word(kpi.frequency, self.lang),
                        "frequency_unit": _granularity_word(
                            {
                                "daily": "day",
                                "weekly": "week",
                                "monthly": "month",
                                "quarterly": "quarter",
                                "yearly": "year",
                            }[kpi.frequency],
                            self.lang,
                        ),
                    },
                )

    # -- SMART ------------------------------------------------------------------------------

    def smart(self, kpi: KPI) -> Iterator[Issue]:
        row, args = kpi.row, {"kpi": kpi.id}
        if not kpi.description:
            yield Issue("S-no-description", *self.at("kpis", row, "description"), args)
        if not kpi.owner:
            yield Issue("S-no-owner", *self.at("kpis", row, "owner"), args)
        parts = _two_goals(kpi.name)
        if parts:
            yield Issue(
                "S-two-goals",
                *self.at("kpis", row, "name"),
                {"name": kpi.name, "first": parts[0], "second": parts[1]},
            )
        if not kpi.unit.label:
            yield Issue("M-no-unit", *self.at("kpis", row, "unit"), args)
        if not kpi.data_source:
            yield Issue("M-no-data-source", *self.at("kpis", row, "data_source"), args)
        values = [
            (p, aggregate([m.value for m in ms], kpi.aggregation))
            for p, ms in self.periods(kpi).items()
        ]
        if len(values) < MIN_MEASUREMENTS and kpi.frequency is not None:
            yield Issue(
                "M-few-measurements",
                *self.at("kpis", row, "id"),
                {
                    "kpi": kpi.id,
                    "count": len(values),
                    "frequency": _frequency_word(kpi.frequency, self.lang),
                    "sheet": self.wb.loc("measurements", 1).sheet,
                },
            )
        yield from self.achievable(kpi, values)
        if not kpi.objective:
            yield Issue("R-no-objective", *self.at("kpis", row, "objective"), args)
        departments = {d.name.casefold(): d.name for d in self.wb.departments}
        if (
            "departments" in self.wb.sheets
            and kpi.department
            and kpi.department.casefold() not in departments
        ):
            close = difflib.get_close_matches(
                kpi.department, list(departments.values()), n=1, cutoff=0.6
            )
            suggestion = ""
            if close:
                suggestion = (
                    f" (did you mean '{close[0]}'?)"
                    if self.lang != "da"
                    else f" (mente du '{close[0]}'?)"
                )
            yield Issue(
                "R-unknown-department",
                *self.at("kpis", row, "department"),
                {
                    "department": kpi.department,
                    "departments_sheet": self.wb.sheets["departments"].name,
                    "suggestion": suggestion,
                },
            )
        if kpi.deadline is None:
            yield Issue("T-no-deadline", *self.at("kpis", row, "deadline"), args)
        elif self.report_date is not None and kpi.deadline < self.report_date:
            yield Issue(
                "T-deadline-passed",
                *self.at("kpis", row, "deadline"),
                {
                    "deadline": fmt.date(kpi.deadline, self.lang),
                    "report_date": fmt.date(self.report_date, self.lang),
                },
            )

    def achievable(self, kpi: KPI, values: list[tuple[dt.date, float]]) -> Iterator[Issue]:
        if kpi.target is None or kpi.direction is None or not values:
            return
        sign = 1.0 if kpi.direction == "higher" else -1.0
        baseline = kpi.baseline if kpi.baseline is not None else values[0][1]
        show = lambda v: fmt.value(v, kpi.unit, self.lang)  # noqa: E731
        if sign * (baseline - kpi.target) >= 0:
            yield Issue(
                "A-met-at-baseline",
                *self.at("kpis", kpi.row, "target"),
                {"target": show(kpi.target), "baseline": show(baseline)},
            )
            return
        if len(values) < MIN_MEASUREMENTS or kpi.deadline is None or kpi.frequency is None:
            return
        last_period, current = values[-1]
        remaining = periods_between(last_period, kpi.deadline, kpi.frequency)
        if remaining <= 0:
            return
        required = sign * (kpi.target - current) / remaining
        if required <= 0:
            return
        best = max(
            sign * (b - a) / max(periods_between(pa, pb, kpi.frequency), 1)
            for (pa, a), (pb, b) in pairwise(values)
        )
        period = _granularity_word(
            {
                "daily": "day",
                "weekly": "week",
                "monthly": "month",
                "quarterly": "quarter",
                "yearly": "year",
            }[kpi.frequency],
            self.lang,
        )
        if kpi.unit.is_percent:  # a change of a percentage is in percentage points

            def change(v: float) -> str:
                return fmt.number(v * 100, self.lang, 1) + " pp"
        else:

            def change(v: float) -> str:
                return fmt.number(v, self.lang)

        args = {
            "target": show(kpi.target),
            "deadline": fmt.date(kpi.deadline, self.lang),
            "required": change(required),
            "period": period,
        }
        if best <= 0:
            yield Issue("A-no-improvement", *self.at("kpis", kpi.row, "target"), args)
        elif required > PACE_FACTOR * best:
            yield Issue(
                "A-unrealistic-pace",
                *self.at("kpis", kpi.row, "target"),
                {**args, "factor": fmt.number(required / best, self.lang, 1), "best": change(best)},
            )


def _two_goals(name: str) -> tuple[str, str] | None:
    """The two goals in a name like 'Revenue and customer satisfaction', or None."""
    plain = _PARENS.sub(" ", name)
    parts = [p.strip(" ,;") for p in _TWO_GOALS.split(plain)]
    if len(parts) == 2 and all(len(p) >= 3 for p in parts):
        return parts[0], parts[1]
    return None


_FREQUENCY_WORDS = {
    "en": {
        "daily": "daily",
        "weekly": "weekly",
        "monthly": "monthly",
        "quarterly": "quarterly",
        "yearly": "yearly",
    },
    "da": {
        "daily": "dagligt",
        "weekly": "ugentligt",
        "monthly": "månedligt",
        "quarterly": "kvartalsvis",
        "yearly": "årligt",
    },
}
_GRANULARITY_WORDS = {
    "en": {"day": "day", "week": "week", "month": "month", "quarter": "quarter", "year": "year"},
    "da": {"day": "dag", "week": "uge", "month": "måned", "quarter": "kvartal", "year": "år"},
}


def _frequency_word(frequency: str, lang: str) -> str:
    return _FREQUENCY_WORDS.get(lang, _FREQUENCY_WORDS["en"])[frequency]


def _granularity_word(granularity: str, lang: str) -> str:
    return _GRANULARITY_WORDS.get(lang, _GRANULARITY_WORDS["en"])[granularity]
