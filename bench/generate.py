"""Write a large, valid kpireport workbook for benchmarks.

    .venv/bin/python bench/generate.py OUT.xlsx [--departments 40] [--kpis 25] [--daily 0.2]
        [--years 2.5] [--seed 1]

DEPARTMENTS departments with KPIS KPIs each; a share DAILY of the KPIs is measured every
weekday, the others monthly, over YEARS years up to the report date. A quarter of the KPIs are
percent KPIs in percent-formatted cells. Written with openpyxl in write-only mode; the same
arguments and seed always give the same rows.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
from dataclasses import dataclass
from pathlib import Path

import openpyxl
from openpyxl.cell import WriteOnlyCell

REPORT_DATE = dt.date(2026, 6, 30)
KPI_HEADER = [
    "id", "department", "name", "description", "unit", "direction", "target", "deadline",
    "baseline", "baseline_date", "frequency", "aggregation", "objective", "owner", "data_source",
]  # fmt: skip


@dataclass
class Counts:
    departments: int
    kpis: int
    daily_kpis: int
    measurements: int
    benchmarks: int


def _month_ends(start: dt.date, end: dt.date) -> list[dt.date]:
    days = []
    year, month = start.year, start.month
    while True:
        nxt = dt.date(year + month // 12, month % 12 + 1, 1)
        last = nxt - dt.timedelta(days=1)
        if last > end:
            return days
        if last >= start:
            days.append(last)
        year, month = nxt.year, nxt.month


def _cell(ws: object, value: float, percent: bool) -> object:
    """``value`` as a cell: a percent KPI's target, baseline and benchmark in a percent-formatted
    cell, as its measurements are (a plain 0.9 beside measurements of 50% reads as 0.9%, and
    validation rightly asks whether 90% was meant)."""
    if not percent:
        return value
    cell = WriteOnlyCell(ws, value=value)
    cell.number_format = "0%"
    return cell


def generate(
    path: Path,
    departments: int = 40,
    kpis: int = 25,
    daily: float = 0.2,
    years: float = 2.5,
    seed: int = 1,
    changed: int | None = None,
    described: int | None = None,
) -> Counts:
    """Write the workbook to ``path`` and return how many rows each sheet got. ``changed``: the
    index of a department whose measurements are all 1% higher, every other row the same (for
    timing a rebuild after one department's rows changed); ``described``: the index of a
    department whose KPIs' descriptions are worded anew (a change the board pack's summary
    does not show)."""
    rng = random.Random(seed)
    start = REPORT_DATE - dt.timedelta(days=round(years * 365.25) - 1)
    weekdays = [
        start + dt.timedelta(days=i)
        for i in range((REPORT_DATE - start).days + 1)
        if (start + dt.timedelta(days=i)).weekday() < 5
    ]
    month_ends = _month_ends(start, REPORT_DATE)
    per_dept_daily = round(kpis * daily)

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("Settings")
    ws.append(["key", "value"])
    ws.append(["report_date", REPORT_DATE])
    ws = wb.create_sheet("Departments")
    ws.append(["department", "head", "email"])
    for d in range(departments):
        ws.append([f"Department {d:02d}", f"Head {d:02d}", f"dept{d:02d}@example.com"])

    kpi_rows = []  # (id, percent, daily, level)
    ws = wb.create_sheet("KPIs")
    ws.append(KPI_HEADER)
    for d in range(departments):
        for k in range(kpis):
            kpi_id = f"D{d:02d}-K{k:03d}"
            percent = k % 4 == 0
            is_daily = k < per_dept_daily
            level = 0.5 if percent else rng.randint(1000, 4000)
            higher = k % 3 != 2
            target = (0.9 if higher else 0.2) if percent else level * (1.5 if higher else 0.6)
            kpi_rows.append((kpi_id, percent, is_daily, level))
            ws.append([
                kpi_id, f"Department {d:02d}", f"KPI {k} of department {d}",
                "What is measured, and how" + (", as counted" if d == described else ""),
                "%" if percent else "count",
                "higher" if higher else "lower", _cell(ws, target, percent),
                dt.date(2027, 12, 31), _cell(ws, level, percent), start,
                "daily" if is_daily else "monthly", "mean",
                "Why it matters", f"Owner {d:02d}-{k:02d}", "System export",
            ])  # fmt: skip

    ws = wb.create_sheet("Measurements")
    ws.append(["kpi", "date", "value", "note"])
    rows = 0
    bumped = f"D{changed:02d}-" if changed is not None else None
    for kpi_id, percent, is_daily, level in kpi_rows:
        dates = weekdays if is_daily else month_ends
        factor = 1.01 if bumped and kpi_id.startswith(bumped) else 1.0
        for i, day in enumerate(dates):
            noise = rng.uniform(-0.1, 0.1)
            trend = i / max(len(dates), 1) * 0.2
            if percent:
                share = min(max((0.5 + trend + noise) * factor, 0), 1)
                value = WriteOnlyCell(ws, value=round(share, 4))
                value.number_format = "0.0%"
            else:
                value = WriteOnlyCell(ws, value=round(level * (1 + trend + noise) * factor, 1))
            date = WriteOnlyCell(ws, value=day)
            date.number_format = "yyyy-mm-dd"
            ws.append([kpi_id, date, value, "checked" if rows % 97 == 0 else None])
            rows += 1

    ws = wb.create_sheet("Benchmarks")
    ws.append(["kpi", "source", "value", "kind"])
    for kpi_id, percent, _, level in kpi_rows:
        benchmark = _cell(ws, 0.6 if percent else level * 1.2, percent)
        ws.append([kpi_id, "Industry average", benchmark, "industry"])
    wb.save(path)
    return Counts(departments, len(kpi_rows), per_dept_daily * departments, rows, len(kpi_rows))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--departments", type=int, default=40)
    parser.add_argument("--kpis", type=int, default=25, help="KPIs per department")
    parser.add_argument("--daily", type=float, default=0.2, help="share of daily KPIs")
    parser.add_argument("--years", type=float, default=2.5)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    c = generate(args.out, args.departments, args.kpis, args.daily, args.years, args.seed)
    print(f"{args.out}: {c.departments} departments, {c.kpis} KPIs ({c.daily_kpis} daily), "
          f"{c.measurements:,} measurements, {c.benchmarks} benchmarks")  # fmt: skip


if __name__ == "__main__":
    main()
