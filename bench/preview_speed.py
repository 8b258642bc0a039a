"""How long from saving the workbook to the updated page in the browser, with
``kpireport preview`` (issue 17, point 4): a real preview session and the system Chromium
driven by Playwright.

    .venv/bin/python bench/preview_speed.py [--departments 10 --kpis 25] [--runs 3]

Without ``--departments``: the English sample, with one department's numbers changed (every
measurement of the Sales KPIs up 1 %, and the first KPI renamed so that the page can see it).
With it: the generated bench workbook of that size, every department changed (a full rebuild of
the HTML). Each run saves as Excel does (a temporary file renamed over the workbook, which the
preview takes at the first look that sees it) and times until the new name is in the page's
DOM. The machine's other work shows in every figure: compare with back-to-back runs.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import openpyxl
from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent))
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from generate import generate  # noqa: E402

from kpireport.build import BuildOptions  # noqa: E402
from kpireport.preview.session import Preview  # noqa: E402


def change(workbook: Path, run: int, everything: bool) -> str:
    """Rename the first KPI and raise the measurements of its department (or all) by 1 %;
    save to a temporary file renamed over the workbook. The new name."""
    book = openpyxl.load_workbook(workbook)
    kpis, measurements = book.worksheets[2], book.worksheets[3]
    first = kpis.cell(row=2, column=1).value
    department = kpis.cell(row=2, column=2).value
    chosen = {
        row[0].value
        for row in kpis.iter_rows(min_row=2)
        if everything or row[1].value == department
    }
    for row in measurements.iter_rows(min_row=2):
        if row[0].value in chosen and isinstance(row[2].value, (int, float)):
            row[2].value = row[2].value * 1.01
    name = f"Renamed {run} {first}"
    kpis.cell(row=2, column=3).value = name
    temporary = workbook.with_name(f"~${workbook.stem}.tmp")
    book.save(temporary)
    os.replace(temporary, workbook)
    return name


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--departments", type=int)
    parser.add_argument("--kpis", type=int, default=25)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="kpireport-bench-preview-"))
    if args.departments:
        workbook = folder / "bench.xlsx"
        generate(workbook, departments=args.departments, kpis=args.kpis)
    else:
        workbook = folder / "acme-en.xlsx"
        shutil.copy(ROOT / "sample_workbooks" / "acme-en.xlsx", workbook)
        shutil.copy(ROOT / "sample_workbooks" / "acme-logo.png", folder / "acme-logo.png")
    session = Preview(workbook, BuildOptions())
    thread = threading.Thread(target=session.serve, daemon=True)
    thread.start()
    times = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=["--no-sandbox"])
        page = browser.new_page()
        page.goto(session.url, timeout=120_000)
        page.wait_for_selector("h1", timeout=120_000)
        for run in range(args.runs):
            saved = time.monotonic()
            name = change(workbook, run, everything=bool(args.departments))
            saved = time.monotonic()  # from the moment the file is in place
            page.get_by_text(name).first.wait_for(timeout=120_000)
            times.append(time.monotonic() - saved)
            print(f"run {run + 1}: {times[-1]:.2f} s from the save to the updated page")
        browser.close()
    session.stop()
    thread.join(30)
    session.close()
    shutil.rmtree(folder, ignore_errors=True)
    print(f"median {statistics.median(times):.2f} s over {len(times)} runs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
