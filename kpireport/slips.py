"""Checks for the slips people make filling in a workbook by hand the evening before the board
meeting: a percentage typed on the wrong scale, a report date left from last time. Each is a
warning at the cell, with what was read and what was probably meant; ``validate`` runs them with
its other rules."""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal

from kpireport.issues import Date, Issue, Percent, Text
from kpireport.model import Benchmark, Measurement, Workbook
from kpireport.workbook.values import hundredths

# "About 100 times": a ratio within half an order of magnitude of 100 either way. A target of
# 0.5 % against measurements around 20 % (40 times) is a hard goal, not a slip; 0.2 % against
# 3 % (15 times) neither.
_LOW, _HIGH = 100 / math.sqrt(10), 100 * math.sqrt(10)


def scale_mismatch(workbook: Workbook, by_kpi: dict[str, list[Measurement]]) -> Iterator[Issue]:
    """A % KPI's target, baseline or benchmark about 100 times larger or smaller than its
    measurements: typed as a fraction in a plain cell (0.032 is 0.032 %), or as a number of
    percent in a percent-formatted cell (15 is 1,500 %)."""
    benchmarks: dict[str, list[Benchmark]] = defaultdict(list)
    for b in workbook.benchmarks:
        benchmarks[b.kpi_id].append(b)
    for kpi in workbook.kpis:
        values = [abs(m.value) for m in by_kpi.get(kpi.id, []) if m.value]
        if not kpi.unit.is_percent or not values:
            continue
        typical = statistics.median(values)
        typed = [
            (Text("The target"), kpi.target, workbook.loc("kpis", kpi.row, "target")),
            (Text("The baseline"), kpi.baseline, workbook.loc("kpis", kpi.row, "baseline")),
        ]
        typed += [
            (Text("The benchmark"), b.value, workbook.loc("benchmarks", b.row, "value"))
            for b in benchmarks[kpi.id]
        ]
        for what, value, loc in typed:
            if not value:
                continue
            ratio = abs(value) / typical
            if _LOW <= ratio <= _HIGH:
                direction, meant = Text("larger"), hundredths(value)
            elif _LOW <= 1 / ratio <= _HIGH:
                direction, meant = Text("smaller"), float(Decimal(repr(value)).scaleb(2))
            else:
                continue
            yield Issue(
                "scale-mismatch",
                loc.sheet,
                loc.cell,
                {
                    "what": what,
                    "read": Percent(value),
                    "direction": direction,
                    "typical": Percent(typical),
                    "meant": Percent(meant),
                    "kpi": kpi.id,
                },
            )


def after_report_date(workbook: Workbook) -> Iterator[Issue]:
    """Measurement rows dated after a typed report date: left out of every number, which is
    right for a report of an earlier date and a silent loss when the date is last month's."""
    report_date = workbook.settings.report_date
    row = workbook.settings.rows.get("report_date")
    if report_date is None or row is None:
        return
    known = {k.id for k in workbook.kpis}
    after = [m for m in workbook.measurements if m.kpi_id in known and m.date > report_date]
    if not after:
        return
    first = min(after, key=lambda m: m.row)
    loc = workbook.loc("settings", row, "value")
    yield Issue(
        "after-report-date",
        loc.sheet,
        loc.cell,
        {
            "count": len(after),
            "report_date": Date(report_date),
            "first": str(workbook.loc("measurements", first.row, "date")),
        },
    )
