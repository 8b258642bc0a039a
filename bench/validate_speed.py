"""How long `kpireport validate` takes on a large workbook, next to pandas + calamine.

    .venv/bin/python bench/validate_speed.py [--rows 100000] [--kpis 100]

Writes a workbook with ROWS measurement rows over KPIS KPIs (a quarter of them percent KPIs in
percent-formatted cells, a fifth measured daily) into a temporary folder, then times, best of
three: ``pandas.read_excel(path, sheet_name=None, engine="calamine")`` (reading every sheet into
data frames, nothing checked) and kpireport's read + validate.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import resource
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import openpyxl
from openpyxl.cell import WriteOnlyCell

KPI_HEADER = [
    "id", "department", "name", "description", "unit", "direction", "target", "deadline",
    "baseline", "baseline_date", "frequency", "aggregation", "objective", "owner", "data_source",
]  # fmt: skip


def write_large_workbook(path: Path, rows: int, kpis: int, seed: int = 1) -> Path:
    """A valid workbook with ``rows`` measurements spread over ``kpis`` KPIs."""
    rng = random.Random(seed)
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("Settings")
    ws.append(["key", "value"])
    ws.append(["report_date", dt.date(2026, 9, 30)])
    ws = wb.create_sheet("Departments")
    ws.append(["department", "head", "email"])
    for d in range(10):
        ws.append([f"Dept {d}", f"Head {d}", f"dept{d}@example.com"])
    ws = wb.create_sheet("KPIs")
    ws.append(KPI_HEADER)
    for k in range(kpis):
        percent = k % 4 == 0
        ws.append([
            f"K-{k:04d}", f"Dept {k % 10}", f"KPI number {k}", "What is measured",
            "%" if percent else "count", "higher", 90 if percent else 5000,  # 90 means 90 %
            dt.date(2027, 12, 31), None, None, "daily" if k % 5 == 0 else "monthly", "mean",
            "Why it matters", "Owner", "System export",
        ])  # fmt: skip
    ws = wb.create_sheet("Measurements")
    ws.append(["kpi", "date", "value", "note"])
    start = dt.date(2024, 1, 1)
    per_day = max(kpis, 1)
    for r in range(rows):
        k = r % kpis
        value = WriteOnlyCell(ws, value=rng.random() if k % 4 == 0 else rng.randint(1000, 4000))
        if k % 4 == 0:
            value.number_format = "0.0%"
        date = WriteOnlyCell(ws, value=start + dt.timedelta(days=r // per_day))
        date.number_format = "yyyy-mm-dd"
        ws.append([f"K-{k:04d}", date, value, "note" if r % 50 == 0 else None])
    ws = wb.create_sheet("Benchmarks")
    ws.append(["kpi", "source", "value", "kind"])
    for k in range(kpis):
        ws.append([f"K-{k:04d}", "Industry average", 50 if k % 4 == 0 else 3000, "industry"])
    wb.save(path)
    return path


def best_of(fn: Callable[[], object], n: int = 3) -> float:
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--kpis", type=int, default=100)
    args = parser.parse_args()

    import pandas as pd

    from kpireport.validate import check

    with tempfile.TemporaryDirectory() as folder:
        path = write_large_workbook(Path(folder) / "large.xlsx", args.rows, args.kpis)
        size = path.stat().st_size
        baseline = best_of(lambda: pd.read_excel(path, sheet_name=None, engine="calamine"))
        ours = best_of(lambda: check(path))
        _, report = check(path)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"workbook: {args.rows:,} measurement rows, {args.kpis} KPIs, {size / 2**20:.1f} MB")
    print(f"pandas.read_excel(engine='calamine'), all sheets: {baseline:6.2f} s")
    print(f"kpireport read + validate:                        {ours:6.2f} s")
    print(f"ratio: {ours / baseline:.2f}   issues: {len(report.issues)}   peak RSS: {peak:.0f} MB")


if __name__ == "__main__":
    main()
