"""Benchmark kpireport on a large generated workbook, next to two baselines.

    .venv/bin/python bench/run.py [--departments 40] [--kpis 25] [--daily 0.2] [--years 2.5]
        [--jobs N] [--quick]

Generates the workbook (bench/generate.py) into a temporary folder, then times once, in this
order: read, validate, compute (in this process), ``build`` with formats html, ``build`` with
format pdf over ``--jobs`` worker processes (default: the number of cores). Then the baselines
on the same input: (a) ``pandas.read_excel(path, sheet_name=None, engine="calamine")``, (b)
plain sequential WeasyPrint, ``HTML(filename=f).write_pdf(out)`` in this process, over the HTML
files the html build wrote. Prints a table and our times as ratios to the baselines.
``--quick``: a tiny workbook (2 departments x 3 KPIs, 6 months), to prove the harness works.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import generate


def _peak_mb() -> tuple[float, float]:
    """Peak resident memory (MB) of this process and of its largest finished child."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--departments", type=int, default=40)
    parser.add_argument("--kpis", type=int, default=25, help="KPIs per department")
    parser.add_argument("--daily", type=float, default=0.2, help="share of daily KPIs")
    parser.add_argument("--years", type=float, default=2.5)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--quick", action="store_true", help="2 x 3 KPIs, 6 months (for CI)")
    args = parser.parse_args()
    if args.quick:
        args.departments, args.kpis, args.years = 2, 3, 0.5

    import pandas as pd
    from pypdf import PdfReader
    from weasyprint import HTML

    from kpireport.build import BuildOptions, build
    from kpireport.engine import compute
    from kpireport.validate import validate
    from kpireport.workbook import read_workbook

    with tempfile.TemporaryDirectory(prefix="kpireport-bench-") as tmp:
        folder = Path(tmp)
        path = folder / "large.xlsx"
        t = time.perf_counter()
        counts = generate(path, args.departments, args.kpis, args.daily, args.years)
        gen_s = time.perf_counter() - t
        print(
            f"workbook: {counts.departments} departments, {counts.kpis} KPIs "
            f"({counts.daily_kpis} daily), {counts.measurements:,} measurements, "
            f"{path.stat().st_size / 2**20:.1f} MB (generated in {gen_s:.1f} s); "
            f"{os.cpu_count()} cores, jobs={args.jobs}",
            flush=True,
        )

        times: dict[str, float] = {}
        start = time.perf_counter()
        t = time.perf_counter()
        workbook = read_workbook(path)
        times["read"] = time.perf_counter() - t
        t = time.perf_counter()
        report = validate(workbook)
        times["validate"] = time.perf_counter() - t
        if report.errors:
            print("the generated workbook does not validate", file=sys.stderr)
            return 1
        t = time.perf_counter()
        compute(workbook, report)
        times["compute"] = time.perf_counter() - t
        del workbook

        t = time.perf_counter()
        html_results = build(
            [path], folder / "html", BuildOptions(formats=("html",), jobs=args.jobs)
        )
        times["render HTML"] = time.perf_counter() - t
        t = time.perf_counter()
        pdf_results = build([path], folder / "pdf", BuildOptions(formats=("pdf",), jobs=args.jobs))
        times["render PDF"] = time.perf_counter() - t
        times["total"] = time.perf_counter() - start
        own_mb, child_mb = _peak_mb()
        if not all(r.ok for r in html_results + pdf_results):
            print("the build failed", file=sys.stderr)
            return 1

        pdfs = [p for r in pdf_results for p in r.written if p.suffix == ".pdf"]
        pages = sum(len(PdfReader(p).pages) for p in pdfs)
        # The HTML pages that have a PDF counterpart (not index.html or validation.html).
        stems = {p.stem for p in pdfs}
        html_files = [
            p for r in html_results for p in r.written if p.suffix == ".html" and p.stem in stems
        ]

        t = time.perf_counter()
        pd.read_excel(path, sheet_name=None, engine="calamine")
        base_a = time.perf_counter() - t
        out = folder / "baseline-pdf"
        out.mkdir()
        t = time.perf_counter()
        for i, f in enumerate(html_files):
            HTML(filename=str(f)).write_pdf(str(out / f"{i:04d}.pdf"))
        base_b = time.perf_counter() - t

    row = "  {:<34} {:>12}"
    print()
    print(row.format("step", "value"))
    for name in ("read", "validate", "compute", "render HTML", "render PDF", "total"):
        print(row.format(name, f"{times[name]:.2f} s"))
    print(row.format("peak memory", f"{max(own_mb, child_mb):.0f} MB"))
    print(row.format("  (this process / largest worker)", f"{own_mb:.0f} / {child_mb:.0f} MB"))
    print(row.format("pages", f"{pages} in {len(pdfs)} PDFs"))
    print(row.format("time per page", f"{times['render PDF'] / max(pages, 1) * 1000:.0f} ms"))
    print(row.format("baseline a: pandas + calamine", f"{base_a:.2f} s"))
    print(row.format(f"baseline b: WeasyPrint, {len(html_files)} HTML", f"{base_b:.2f} s"))
    print()
    validate_s = times["read"] + times["validate"]
    print(f"ratio validate / a: {validate_s / base_a:.2f}  (read + validate; target <= 1.5)")
    print(f"ratio build / b:    {times['render PDF'] / base_b:.2f}  (PDF build; target <= 0.8)")
    print("peak memory is read before the baselines run")
    return 0


if __name__ == "__main__":
    sys.exit(main())
