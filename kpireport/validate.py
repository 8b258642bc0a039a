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
from pathlib import Path

from kpireport.issues import Date, Issue, Number, Plural, Text, ValidationReport, Value, Word
from kpireport.model import KPI, Measurement, Workbook
from kpireport.periods import (
    coarser,
    period_end,
    period_label,
    period_number,
    period_start,
    periods_between,
)
from kpireport.series import aggregate, group_periods
from kpireport.slips import after_report_date, scale_mismatch

# "Far beyond the best pace in the KPI's own history": more than this many times it.
PACE_FACTOR = 3.0
MIN_MEASUREMENTS = 3

_TWO_GOALS = re.compile(r"\s+(?:and|og|samt|&|\+|as well as|plus)\s+", re.IGNORECASE)
_PARENS = re.compile(r"\([^)]*\)|\[[^\]]*\]")
# Set phrases that name one thing although they contain "and"/"og".
_ONE_GOAL_PHRASES = re.compile(
    r"\b(?:profit (?:and|&) loss|research (?:and|&) development|mergers (?:and|&) acquisitions"
    r"|sales (?:and|&) marketing|learning (?:and|&) development|health (?:and|&) safety"
    r"|general (?:and|&) administrative|forskning og udvikling|salg og marketing"
    r"|drift og vedligehold|sundhed og sikkerhed)\b",
    re.IGNORECASE,
)

# "the monthly period", as an adverb or adjective in the messages.
FREQUENCY_WORDS = {
    "daily": Text("daily"),
    "weekly": Text("weekly"),
    "monthly": Text("monthly"),
    "quarterly": Text("quarterly"),
    "yearly": Text("yearly"),
}
GRANULARITY_WORDS = {
    "day": Text("day"),
    "week": Text("week"),
    "month": Text("month"),
    "quarter": Text("quarter"),
    "year": Text("year"),
}


def period_count(frequency: str, n: int) -> Plural:
    """``1 day``, ``3 days`` (``3 måneder``...): ``n`` periods of ``frequency``."""
    forms = {
        "daily": Plural("{n} day", "{n} days", n),
        "weekly": Plural("{n} week", "{n} weeks", n),
        "monthly": Plural("{n} month", "{n} months", n),
        "quarterly": Plural("{n} quarter", "{n} quarters", n),
        "yearly": Plural("{n} year", "{n} years", n),
    }
    return forms[frequency]


GRANULARITY_OF = {
    "daily": "day",
    "weekly": "week",
    "monthly": "month",
    "quarterly": "quarter",
    "yearly": "year",
}
FREQUENCY_OF = {v: k for k, v in GRANULARITY_OF.items()}


def check(
    path: Path | str,
    lang: str | None = None,
    report_date: dt.date | None = None,
    assets: Path | None = None,
) -> tuple[Workbook, ValidationReport]:
    """Read and validate one workbook file. Raises WorkbookError when it cannot be read.
    ``assets``: where the files it names (logos) lie; by default the workbook's folder."""
    from kpireport.workbook import read_workbook

    workbook = read_workbook(Path(path))
    return workbook, validate(workbook, lang=lang, report_date=report_date, assets=assets)


def validate(
    workbook: Workbook,
    lang: str | None = None,
    report_date: dt.date | None = None,
    assets: Path | None = None,
) -> ValidationReport:
    """Every problem in ``workbook``: those found while reading, the rules across sheets, and
    logos that cannot be used (looked up in ``assets``, by default the workbook's folder)."""
    from kpireport.assets import logo_issues

    issues = list(workbook.issues)
    issues.extend(_Validator(workbook, report_date).run())
    issues.extend(logo_issues(workbook, assets))
    order = tuple(
        info.name
        for info in sorted(workbook.sheets.values(), key=lambda i: _SHEET_ORDER.index(i.key))
    )
    return ValidationReport(
        str(workbook.path), issues, lang=lang or workbook.language, sheet_order=order
    )


_SHEET_ORDER = ["settings", "departments", "kpis", "measurements", "benchmarks", "plan", "comments"]


class _Validator:
    def __init__(self, workbook: Workbook, report_date: dt.date | None) -> None:
        self.wb = workbook
        self.explicit_date = report_date
        self.report_date = report_date or workbook.report_date
        self._periods: dict[str, dict[dt.date, list[Measurement]]] = {}
        self._values: dict[str, list[tuple[dt.date, float]]] = {}
        self.by_kpi: dict[str, list[Measurement]] = defaultdict(list)
        for m in workbook.measurements:
            self.by_kpi[m.kpi_id].append(m)
        # Cells that already have a problem (an unreadable date, a formula without a result):
        # a SMART "missing" warning on them would only repeat it.
        self.flagged = {(i.sheet, i.cell) for i in workbook.issues}

    def run(self) -> Iterator[Issue]:
        yield from self.duplicate_ids()
        yield from self.unknown_ids()
        yield from scale_mismatch(self.wb, self.by_kpi)
        if self.explicit_date is None:  # a date given to validate is meant, not forgotten
            yield from after_report_date(self.wb)
        for kpi in self.wb.kpis:
            yield from self.kpi_rules(kpi)
            yield from self.smart(kpi)
        from kpireport.planchecks import plan_issues  # it uses this module's words

        yield from plan_issues(self.wb, self.baseline_date)
        from kpireport.commentchecks import comment_issues

        yield from comment_issues(self.wb, self.report_date, self.by_kpi)

    def at(self, sheet: str, row: int, column: str) -> tuple[str, str | None]:
        loc = self.wb.loc(sheet, row, column)
        return loc.sheet, loc.cell

    def empty(self, kpi: KPI, column: str, value: object) -> bool:
        """The KPI's cell in ``column`` is empty (and not a cell already reported otherwise)."""
        return not value and self.at("kpis", kpi.row, column) not in self.flagged

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
        if not self.wb.kpis:
            return  # the KPIs sheet is missing or empty, and that is reported already
        known = {k.id for k in self.wb.kpis}  # the reader already matched ids ignoring case
        kpi_sheet = self.wb.loc("kpis", 1).sheet
        rows: list[tuple[str, str, int]] = [
            ("measurements", m.kpi_id, m.row) for m in self.wb.measurements if m.kpi_id not in known
        ]
        rows += [
            ("benchmarks", b.kpi_id, b.row) for b in self.wb.benchmarks if b.kpi_id not in known
        ]
        rows += [("plan", p.kpi_id, p.row) for p in self.wb.plan if p.kpi_id not in known]
        rows += [("comments", c.kpi_id, c.row) for c in self.wb.comments if c.kpi_id not in known]
        for sheet, kpi_id, row in rows:
            close = difflib.get_close_matches(kpi_id, known, n=1, cutoff=0.6)
            suggestion: Text | str = ""
            if close:
                suggestion = Text(" (did you mean '{name}'?)", name=close[0])
            yield Issue(
                "unknown-kpi",
                *self.at(sheet, row, "kpi"),
                {"kpi": kpi_id, "kpi_sheet": kpi_sheet, "suggestion": suggestion},
            )

    def periods(self, kpi: KPI) -> dict[dt.date, list[Measurement]]:
        if kpi.id not in self._periods:
            self._periods[kpi.id] = group_periods(kpi, self.by_kpi.get(kpi.id, []))
        return self._periods[kpi.id]

    def values(self, kpi: KPI) -> list[tuple[dt.date, float]]:
        """Each period's value, of every measurement of the KPI."""
        if kpi.id not in self._values:
            self._values[kpi.id] = _period_values(kpi, self.periods(kpi))
        return self._values[kpi.id]

    def baseline_date(self, kpi: KPI) -> dt.date | None:
        if kpi.baseline_date is not None:
            return kpi.baseline_date
        return min((m.date for m in self.by_kpi.get(kpi.id, [])), default=None)

    def kpi_rules(self, kpi: KPI) -> Iterator[Issue]:
        start = self.baseline_date(kpi)
        if kpi.deadline is not None and start is not None and kpi.deadline < start:
            if kpi.baseline_date:
                baseline_cell = str(self.wb.loc("kpis", kpi.row, "baseline_date"))
            else:
                first = min(self.by_kpi[kpi.id], key=lambda m: m.date)
                baseline_cell = str(self.wb.loc("measurements", first.row, "date"))
            yield Issue(
                "deadline-before-baseline",
                *self.at("kpis", kpi.row, "deadline"),
                {
                    "deadline": Date(kpi.deadline),
                    "baseline_date": Date(start),
                    "baseline_cell": baseline_cell,
                },
            )
        if kpi.frequency is None:
            return
        periods = self.periods(kpi)
        if kpi.aggregation is None:
            crowded = [(p, ms) for p, ms in periods.items() if len(ms) > 1]
            if crowded:
                yield self.needs_aggregation(kpi, *crowded[0])
        for m in self.by_kpi.get(kpi.id, []):
            mismatch = self.period_mismatch(kpi, m)
            if mismatch is not None:
                yield mismatch
            if m.granularity != "day" and coarser(m.granularity, kpi.frequency):
                yield Issue(
                    "coarse-date",
                    *self.at("measurements", m.row, "date"),
                    {
                        "value": period_label(m.date, FREQUENCY_OF[m.granularity]),
                        "granularity": GRANULARITY_WORDS[m.granularity],
                        "kpi": kpi.id,
                        "frequency": FREQUENCY_WORDS[kpi.frequency],
                        "frequency_unit": GRANULARITY_WORDS[GRANULARITY_OF[kpi.frequency]],
                    },
                )

    def period_mismatch(self, kpi: KPI, m: Measurement) -> Issue | None:
        """A measurement typed as a period finer than the KPI's (a week for a monthly KPI)
        that crosses one of its period boundaries: it counts in the period where it starts,
        which may be in the year before (2026-W01 starts on 29 December 2025). A coarser
        period is ``coarse-date``'s."""
        assert kpi.frequency is not None
        if m.granularity == "day" or coarser(m.granularity, kpi.frequency):
            return None
        end = m.last_day
        if period_start(end, kpi.frequency) == period_start(m.date, kpi.frequency):
            return None
        return Issue(
            "period-mismatch",
            *self.at("measurements", m.row, "date"),
            {
                "value": period_label(m.date, FREQUENCY_OF[m.granularity]),
                "granularity": GRANULARITY_WORDS[m.granularity],
                "start": Date(m.date),
                "end": Date(end),
                "kpi": kpi.id,
                "period": period_label(period_start(m.date, kpi.frequency), kpi.frequency),
                "frequency": FREQUENCY_WORDS[kpi.frequency],
            },
        )

    def needs_aggregation(self, kpi: KPI, period: dt.date, ms: list[Measurement]) -> Issue:
        from kpireport.model import column_letter

        assert kpi.frequency is not None
        date_col = self.wb.sheets["measurements"].columns.get("date", 0)
        cells = ", ".join(f"{column_letter(date_col)}{m.row}" for m in ms[:4])
        if len(ms) > 4:
            cells += " …"
        column = "aggregation" if "aggregation" in self.wb.sheets["kpis"].columns else "frequency"
        return Issue(
            "needs-aggregation",
            *self.at("kpis", kpi.row, column),
            {
                "kpi": kpi.id,
                "count": len(ms),
                "frequency": FREQUENCY_WORDS[kpi.frequency],
                "period": period_label(period, kpi.frequency),
                "cells": f"{self.wb.loc('measurements', 1).sheet}!{cells}",
            },
        )

    # -- SMART ------------------------------------------------------------------------------

    def smart(self, kpi: KPI) -> Iterator[Issue]:
        row, args = kpi.row, {"kpi": kpi.id}
        if self.empty(kpi, "description", kpi.description):
            yield Issue("S-no-description", *self.at("kpis", row, "description"), args)
        if self.empty(kpi, "owner", kpi.owner):
            yield Issue("S-no-owner", *self.at("kpis", row, "owner"), args)
        parts = _two_goals(kpi.name)
        if parts:
            yield Issue(
                "S-two-goals",
                *self.at("kpis", row, "name"),
                {"name": kpi.name, "first": parts[0], "second": parts[1]},
            )
        if self.empty(kpi, "unit", kpi.unit.label):
            yield Issue("M-no-unit", *self.at("kpis", row, "unit"), args)
        if self.empty(kpi, "data_source", kpi.data_source):
            yield Issue("M-no-data-source", *self.at("kpis", row, "data_source"), args)
        values = self.values(kpi)
        if len(values) < MIN_MEASUREMENTS and kpi.frequency is not None:
            yield Issue(
                "M-few-measurements",
                *self.at("kpis", row, "id"),
                {
                    "kpi": kpi.id,
                    "count": len(values),
                    "periods": period_count(kpi.frequency, len(values)),
                    "frequency": FREQUENCY_WORDS[kpi.frequency],
                    "sheet": self.wb.loc("measurements", 1).sheet,
                },
            )
        yield from self.achievable(kpi, self.judged(kpi) if kpi.frequency else values)
        if self.empty(kpi, "objective", kpi.objective):
            yield Issue("R-no-objective", *self.at("kpis", row, "objective"), args)
        yield from self.relevant_department(kpi)
        if kpi.deadline is None:
            if self.empty(kpi, "deadline", kpi.deadline):
                yield Issue("T-no-deadline", *self.at("kpis", row, "deadline"), args)
        elif self.report_date is not None and kpi.deadline < self.report_date:
            yield Issue(
                "T-deadline-passed",
                *self.at("kpis", row, "deadline"),
                {"deadline": Date(kpi.deadline), "report_date": Date(self.report_date)},
            )

    def judged(self, kpi: KPI) -> list[tuple[dt.date, float]]:
        """The period values the engine judges the KPI on: its measurements up to the report
        date, without a sum KPI's period still running then (its total so far is not a pace:
        docs/metrics.md, section 3)."""
        assert kpi.frequency is not None
        measured = self.by_kpi.get(kpi.id, [])
        if self.report_date is None or all(m.date <= self.report_date for m in measured):
            values = self.values(kpi)  # none after it: made already
        else:
            known = [m for m in measured if m.date <= self.report_date]
            values = _period_values(kpi, group_periods(kpi, known))
        if (
            kpi.aggregation == "sum"
            and values
            and self.report_date is not None
            and self.report_date < period_end(values[-1][0], kpi.frequency)
        ):
            return values[:-1]
        return values

    def relevant_department(self, kpi: KPI) -> Iterator[Issue]:
        # An empty Departments sheet counts as none: departments then come from the KPIs sheet.
        if not self.wb.departments or not kpi.department:
            return
        departments = {d.name.casefold(): d.name for d in self.wb.departments}
        if kpi.department.casefold() in departments:
            return
        close = difflib.get_close_matches(
            kpi.department, list(departments.values()), n=1, cutoff=0.6
        )
        suggestion: Text | str = ""
        if close:
            suggestion = Text(" (did you mean '{name}'?)", name=close[0])
        yield Issue(
            "R-unknown-department",
            *self.at("kpis", kpi.row, "department"),
            {
                "department": kpi.department,
                "departments_sheet": self.wb.sheets["departments"].name,
                "suggestion": suggestion,
            },
        )

    def achievable(self, kpi: KPI, values: list[tuple[dt.date, float]]) -> Iterator[Issue]:
        if kpi.target is None or kpi.direction is None or kpi.goal == "keep":
            return  # a keep KPI's target is a limit, met from the start by design
        baseline = kpi.baseline if kpi.baseline is not None else (values[0][1] if values else None)
        if baseline is None:
            return
        sign = 1.0 if kpi.direction == "higher" else -1.0
        if baseline == kpi.target and kpi.baseline is not None:
            yield Issue(
                "target-equals-baseline",
                *self.at("kpis", kpi.row, "target"),
                {"target": Value(kpi.target, kpi.unit), "baseline": Value(baseline, kpi.unit)},
            )
            return
        if sign * (baseline - kpi.target) >= 0:
            yield Issue(
                "A-met-at-baseline",
                *self.at("kpis", kpi.row, "target"),
                {
                    "target": Value(kpi.target, kpi.unit),
                    "baseline": Value(baseline, kpi.unit),
                    "keep": Word("keep", "hold"),
                    "goal": Word("goal", "måltype"),
                },
            )
            return
        if len(values) < MIN_MEASUREMENTS or kpi.deadline is None or kpi.frequency is None:
            return
        last_period, current = values[-1]
        # Periods left from now: the later of the latest value's and the report date's period.
        start = max(last_period, self.report_date) if self.report_date else last_period
        remaining = periods_between(start, kpi.deadline, kpi.frequency)
        if remaining <= 0:
            return
        required = sign * (kpi.target - current) / remaining
        if required <= 0:
            return
        numbers = list(map(period_number(kpi.frequency), [period for period, _ in values]))
        amounts = [amount for _, amount in values]
        best = max(
            sign * (b - a) / max(nb - na, 1)
            for na, nb, a, b in zip(numbers, numbers[1:], amounts, amounts[1:], strict=False)
        )
        # A change of a percentage is in percentage points.
        scale, suffix = (100.0, " pp") if kpi.unit.is_percent else (1.0, "")
        args = {
            "target": Value(kpi.target, kpi.unit),
            "deadline": Date(kpi.deadline),
            "required": Number(required * scale, 2, suffix),
            "period": GRANULARITY_WORDS[GRANULARITY_OF[kpi.frequency]],
        }
        if best <= 0:
            yield Issue("A-no-improvement", *self.at("kpis", kpi.row, "target"), args)
        elif required > PACE_FACTOR * best:
            yield Issue(
                "A-unrealistic-pace",
                *self.at("kpis", kpi.row, "target"),
                {
                    **args,
                    "factor": Number(required / best, 1),
                    "best": Number(best * scale, 2, suffix),
                },
            )


def _period_values(
    kpi: KPI, periods: dict[dt.date, list[Measurement]]
) -> list[tuple[dt.date, float]]:
    """Each period's value: its measurements aggregated as the KPI says."""
    return [(p, aggregate([m.value for m in ms], kpi.aggregation)) for p, ms in periods.items()]


def _two_goals(name: str) -> tuple[str, str] | None:
    """The two goals in a name like 'Revenue and customer satisfaction', or None."""
    # A set phrase is kept whole: its spaces become NUL (never typed) and come back after.
    plain = _ONE_GOAL_PHRASES.sub(lambda m: m.group(0).replace(" ", "\0"), _PARENS.sub(" ", name))
    parts = [p.strip(" ,;").replace("\0", " ") for p in _TWO_GOALS.split(plain)]
    if len(parts) >= 2 and all(len(p) >= 3 for p in parts):
        return parts[0], " / ".join(parts[1:])
    return None
