"""Benchmark kpireport on a large generated workbook, next to two baselines.

    .venv/bin/python bench/run.py [--departments 40] [--kpis 25] [--daily 0.2] [--years 2.5]
        [--jobs N] [--scaling 4,40,120] [--quick]

Generates the workbook (bench/generate.py) into a temporary folder, then times once each, in
this order:

- read, validate, compute, in this process;
- ``build`` with format html only (render HTML);
- the full ``build`` (pdf, html, json; ``--jobs`` worker processes, default the number of
  cores), the figure the issue's target is about; peak memory is read after it;
- a rebuild with nothing changed, and a rebuild after one department's rows changed (every
  measurement of department 0 up 1%), naming the files it rewrote.

Then the baselines on the same input: (a) ``pandas.read_excel(path, sheet_name=None,
engine="calamine")``, (b) plain sequential WeasyPrint, ``HTML(filename=f).write_pdf(out)`` in
this process, over the HTML files the full build wrote that have a PDF counterpart (the
departments and the board pack), (c) one long-lived headless Chromium (the system's, driven by
Playwright, already started: its start-up is not counted) printing the same HTML files one after
the other with ``page.pdf()``, what a user would otherwise reach for. Prints a table and our times
as ratios to the baselines.

Then the floors under ratios 1 and 2: every PDF job the full build and the one-department
rebuild handed their workers, rendered again one after the other on one worker, plus this
process's CPU time during that build (reading, computing, HTML, assembly), divided by
``--jobs``: the least time that build's work can take on that many cores, however scheduled.

``--scaling``: department counts (x ``--kpis``) for which the full build runs again, each in a
fresh process (so its peak memory is its own), to show how time and memory grow.
``--quick``: a tiny workbook (2 departments x 3 KPIs, 6 months), to prove the harness works.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import generate


class Memory(threading.Thread):
    """Samples, every ``interval`` seconds, the memory of this process and all its descendants
    (the build's workers): the sum of their PSS (proportional set size, so pages a forked
    worker shares with this process count once), and the largest single PSS. ``ru_maxrss`` is
    no use here: a forked worker's counts the parent's pages it only shares, and a process
    started by exec inherits its parent's peak."""

    def __init__(self, interval: float = 0.2) -> None:
        super().__init__(daemon=True)
        self.interval = interval
        self.peak_total = 0.0
        self.peak_one = 0.0
        self._done = threading.Event()

    @staticmethod
    def _tree() -> list[int]:
        parents: dict[int, int] = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    stat = Path(f"/proc/{entry}/stat").read_text()
                except OSError:
                    continue
                parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
        tree, todo = [], [os.getpid()]
        while todo:
            pid = todo.pop()
            tree.append(pid)
            todo += [child for child, parent in parents.items() if parent == pid]
        return tree

    @staticmethod
    def _pss_mb(pid: int) -> float:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    return int(line.split()[1]) / 1024
        except OSError:
            pass
        return 0.0

    def sample(self) -> None:
        sizes = [self._pss_mb(pid) for pid in self._tree()]
        self.peak_total = max(self.peak_total, sum(sizes))
        self.peak_one = max(self.peak_one, max(sizes, default=0.0))

    def run(self) -> None:
        while not self._done.wait(self.interval):
            self.sample()

    def finish(self) -> tuple[float, float]:
        self._done.set()
        self.join()
        self.sample()
        return self.peak_total, self.peak_one


def _timed(fn, *args, **kwargs):  # type: ignore[no-untyped-def]
    t = time.perf_counter()
    value = fn(*args, **kwargs)
    return value, time.perf_counter() - t


def _full_build(path: Path, out: Path, jobs: int) -> tuple[list, float]:  # type: ignore[type-arg]
    from kpireport.build import BuildOptions, build

    results, seconds = _timed(build, [path], out, BuildOptions(jobs=jobs))
    if not all(r.ok for r in results):
        raise SystemExit(f"the build failed: {[i.code for r in results for i in r.report.issues]}")
    return results, seconds


def chromium_print(html_files: list[Path], out: Path) -> float:
    """Baseline c: seconds for one long-lived headless Chromium to print ``html_files`` to PDF,
    one after the other (each page loaded from its file, printed with backgrounds, A4). The
    browser's launch is not counted, in its favour."""
    import shutil

    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("baseline c needs Chromium: make test-sysdeps installs Debian's")
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            t = time.perf_counter()
            for i, f in enumerate(html_files):
                page.goto(f.as_uri(), wait_until="load")
                page.pdf(
                    path=str(out / f"{i:04d}.pdf"), print_background=True, prefer_css_page_size=True
                )
            return time.perf_counter() - t
        finally:
            browser.close()


class JobRecorder:
    """The PDF jobs builds hand their workers, recorded as they are submitted (within ``with``),
    to be rendered again one at a time by :func:`rendering_floor`, and the CPU time of this
    process meanwhile (reading, computing, HTML, assembly: the build's work but the workers')."""

    def __init__(self) -> None:
        self.jobs: list[tuple[tuple, dict]] = []  # type: ignore[type-arg]
        self.cpu = 0.0  # seconds of this process's CPU within ``with``: all but the rendering

    def __enter__(self) -> JobRecorder:
        from kpireport.render.pdfstage import Renderer

        self.cpu = time.process_time()

        self._submit = submit = Renderer.submit
        jobs = self.jobs

        def recorded(renderer, *args, **kwargs):  # type: ignore[no-untyped-def]
            jobs.append((args, kwargs))
            return submit(renderer, *args, **kwargs)

        Renderer.submit = recorded  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: object) -> None:
        from kpireport.render.pdfstage import Renderer

        Renderer.submit = self._submit  # type: ignore[method-assign]
        self.cpu = time.process_time() - self.cpu


def rendering_floor(jobs: list[tuple[tuple, dict]]) -> float:  # type: ignore[type-arg]
    """Seconds of one worker to render ``jobs`` (a build's PDF jobs, recorded by
    :class:`JobRecorder`), each once, one after the other, in a worker as the build's are (forked
    from the warm fork server; its first job not counted): the part of a build that no
    scheduling can make cheaper. Divided by the number of workers, it is the least time a build's
    PDF stage can take, before reading, HTML and assembly."""
    from kpireport.render.pdfstage import Renderer

    with Renderer(1, timeout=3600) as worker:
        if jobs:
            worker.submit(*jobs[0][0], **jobs[0][1]).result()  # forks the worker
        t = time.perf_counter()
        for args, kwargs in jobs:
            worker.submit(*args, **kwargs).result()
        return time.perf_counter() - t


SMALL = Path(__file__).resolve().parent.parent / "sample_workbooks" / "acme-en.xlsx"

PLAIN_WEASYPRINT = """
import sys
from weasyprint import HTML
for i, f in enumerate(sys.argv[2:]):
    HTML(filename=f).write_pdf(f"{sys.argv[1]}/{i:04d}.pdf")
"""


def small_cold(folder: Path, workbook: Path = SMALL) -> tuple[float, float, int]:
    """Ratio 3's two timings, each a fresh Python process, import included: ``kpireport build``
    of ``workbook`` (the English sample) into an empty folder, then plain sequential WeasyPrint
    over the HTML files of that build that have a PDF counterpart. Returns both times and the
    number of pages."""
    out = folder / "small"
    t = time.perf_counter()
    cmd = [sys.executable, "-m", "kpireport", "build", str(workbook), "-o", str(out), "-q"]
    subprocess.run(cmd, check=True, capture_output=True)
    ours = time.perf_counter() - t
    pdfs = sorted(out.rglob("*.pdf"))
    html_files = [str(p.with_suffix(".html")) for p in pdfs if p.with_suffix(".html").is_file()]
    plain_out = folder / "small-plain"
    plain_out.mkdir()
    t = time.perf_counter()
    cmd = [sys.executable, "-c", PLAIN_WEASYPRINT, str(plain_out), *html_files]
    subprocess.run(cmd, check=True, capture_output=True)
    plain = time.perf_counter() - t
    return ours, plain, _pages(pdfs)


def _pages(pdfs: list[Path]) -> int:
    from pypdf import PdfReader

    return sum(len(PdfReader(p).pages) for p in pdfs)


def scaling_point(args: argparse.Namespace) -> int:
    """One full build in this fresh process; prints one JSON line."""
    with tempfile.TemporaryDirectory(prefix="kpireport-bench-") as tmp:
        path = Path(tmp) / "large.xlsx"
        counts = generate(path, args.departments, args.kpis, args.daily, args.years)
        memory = Memory()
        memory.start()
        results, seconds = _full_build(path, Path(tmp) / "out", args.jobs)
        total, one = memory.finish()
        pdfs = [p for r in results for p in r.written if p.suffix == ".pdf"]
        point = {
            "departments": counts.departments,
            "kpis": counts.kpis,
            "measurements": counts.measurements,
            "build_s": round(seconds, 2),
            "pages": _pages(pdfs),
            "peak_mb": round(total),
            "largest_process_mb": round(one),
        }
    print(json.dumps(point), flush=True)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--departments", type=int, default=40)
    parser.add_argument("--kpis", type=int, default=25, help="KPIs per department")
    parser.add_argument("--daily", type=float, default=0.2, help="share of daily KPIs")
    parser.add_argument("--years", type=float, default=2.5)
    parser.add_argument("--jobs", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument(
        "--scaling",
        default="4,40,120",
        help="department counts for the scaling runs ('' for none)",
    )
    parser.add_argument("--quick", action="store_true", help="2 x 3 KPIs, 6 months (for CI)")
    parser.add_argument("--point", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.quick:
        args.departments, args.kpis, args.years, args.scaling = 2, 3, 0.5, "1,2"
    if args.point:
        return scaling_point(args)

    import pandas as pd
    from weasyprint import HTML

    from kpireport.build import BuildOptions, build
    from kpireport.engine import compute
    from kpireport.validate import validate
    from kpireport.workbook import read_workbook

    with tempfile.TemporaryDirectory(prefix="kpireport-bench-") as tmp:
        folder = Path(tmp)
        path = folder / "large.xlsx"
        counts, gen_s = _timed(generate, path, args.departments, args.kpis, args.daily, args.years)
        print(
            f"workbook: {counts.departments} departments, {counts.kpis} KPIs "
            f"({counts.daily_kpis} daily), {counts.measurements:,} measurements, "
            f"{path.stat().st_size / 2**20:.1f} MB (generated in {gen_s:.1f} s); "
            f"{os.cpu_count()} cores, jobs={args.jobs}",
            flush=True,
        )

        times: dict[str, float] = {}
        memory = Memory()
        memory.start()
        workbook, times["read"] = _timed(read_workbook, path)
        report, times["validate"] = _timed(validate, workbook)
        if report.errors:
            print("the generated workbook does not validate", file=sys.stderr)
            return 1
        _, times["compute"] = _timed(compute, workbook, report)
        del workbook

        _, times["render HTML"] = _timed(
            build, [path], folder / "html", BuildOptions(formats=("html",), jobs=args.jobs)
        )
        out = folder / "out"
        with JobRecorder() as full_jobs:
            results, times["build"] = _full_build(path, out, args.jobs)
        total_mb, one_mb = memory.finish()
        print(f"full build: {times['build']:.1f} s", flush=True)
        written = [p for r in results for p in r.written]
        pdfs = [p for p in written if p.suffix == ".pdf"]
        pages = _pages(pdfs)

        again, times["rebuild, nothing changed"] = _full_build(path, out, args.jobs)
        rewritten_none = [p.name for r in again for p in r.written]
        generate(path, args.departments, args.kpis, args.daily, args.years, changed=0)
        with JobRecorder() as one_jobs:
            again, times["rebuild, one department changed"] = _full_build(path, out, args.jobs)
        rewritten_one = sorted(p.name for r in again for p in r.written)
        # then department 01's texts (the summary as it was: only its pages are laid out)
        generate(path, args.departments, args.kpis, args.daily, args.years, changed=0, described=1)
        again, times["rebuild, one department's texts"] = _full_build(path, out, args.jobs)
        rewritten_texts = sorted(p.name for r in again for p in r.written)

        # The HTML pages that have a PDF counterpart (not index.html or validation.html).
        stems = {p.stem for p in pdfs}
        html_files = [p for p in written if p.suffix == ".html" and p.stem in stems]
        _, base_a = _timed(pd.read_excel, path, sheet_name=None, engine="calamine")
        print(f"baseline a: {base_a:.2f} s; baseline b over {len(html_files)} files...", flush=True)
        baseline = folder / "baseline-pdf"
        baseline.mkdir()
        t = time.perf_counter()
        for i, f in enumerate(html_files):
            HTML(filename=str(f)).write_pdf(str(baseline / f"{i:04d}.pdf"))
        base_b = time.perf_counter() - t
        print(f"baseline b: {base_b:.2f} s; baseline c...", flush=True)
        base_c = chromium_print(html_files, folder / "baseline-chromium")
        small_ours, small_plain, small_pages = small_cold(folder)
        print("the floors: each PDF job of the full build and the rebuild again, alone", flush=True)
        floor_full = rendering_floor(full_jobs.jobs)
        floor_one = rendering_floor(one_jobs.jobs)

    row = "  {:<36} {:>14}"
    print()
    print(row.format("step", "value"))
    for name in ("read", "validate", "compute", "render HTML", "build"):
        print(row.format(name, f"{times[name]:.2f} s"))
    print(row.format("peak memory, all processes (PSS)", f"{total_mb:.0f} MB"))
    print(row.format("  largest single process (PSS)", f"{one_mb:.0f} MB"))
    print(row.format("pages", f"{pages} in {len(pdfs)} PDFs"))
    print(row.format("time per page", f"{times['build'] / max(pages, 1) * 1000:.0f} ms"))
    for name in (
        "rebuild, nothing changed",
        "rebuild, one department changed",
        "rebuild, one department's texts",
    ):
        print(row.format(name, f"{times[name]:.2f} s"))
    print(row.format("baseline a: pandas + calamine", f"{base_a:.2f} s"))
    print(row.format(f"baseline b: WeasyPrint, {len(html_files)} HTML", f"{base_b:.2f} s"))
    print(row.format(f"baseline c: Chromium, {len(html_files)} HTML", f"{base_c:.2f} s"))
    print(row.format(f"small cold build ({small_pages} pages)", f"{small_ours:.2f} s"))
    print(row.format("  plain WeasyPrint, same HTML", f"{small_plain:.2f} s"))
    print()
    validate_s = times["read"] + times["validate"]
    print(f"ratio validate / a: {validate_s / base_a:.2f}  (read + validate; target <= 1.5)")
    print(f"ratio build / b:    {times['build'] / base_b:.2f}  (full build; target <= 0.8)")
    print(f"ratio 1, build / c: {times['build'] / base_c:.2f}  (full build; target <= 0.67)")
    one = times["rebuild, one department changed"] / times["build"]
    print(f"ratio 2, one department changed / build: {one:.2f}  (target <= 0.25)")
    texts = times["rebuild, one department's texts"] / times["build"]
    print(f"  one department's texts changed / build: {texts:.2f}  (the summary kept)")
    print(
        f"ratio 3, small cold build / plain WeasyPrint: {small_ours / small_plain:.2f}"
        "  (English sample, fresh processes, import included; target <= 0.6)"
    )
    # The work a build does, on the build's cores at best: its PDF jobs rendered alone, and this
    # process's CPU time during it. The floor under ratios 1 and 2 that no scheduling or overlap
    # can go below; only less work can.
    cores = max(args.jobs, 1)
    for ratio, recorded, rendering, over, name in (
        (1, full_jobs, floor_full, base_c, "c"),
        (2, one_jobs, floor_one, times["build"], "build"),
    ):
        work = rendering + recorded.cpu
        print(
            f"  floor of ratio {ratio}: {len(recorded.jobs)} PDF jobs, {rendering:.2f} s of one "
            f"worker alone, + {recorded.cpu:.2f} s of CPU in this process = {work:.2f} s; "
            f"on {cores} cores at best {work / cores:.2f} s; / {name} = {work / cores / over:.2f}"
        )
    nothing = times["rebuild, nothing changed"] / times["build"]
    print(f"ratio rebuild / build: {nothing:.3f}  (nothing changed; target <= 0.05)")
    print(f"  files rewritten with nothing changed: {len(rewritten_none)}")
    print(f"  files rewritten after one department changed: {', '.join(rewritten_one)}")
    print(f"  files rewritten after its texts changed: {', '.join(rewritten_texts)}")
    print("peak memory: sampled every 0.2 s from the start of read to the end of the full build")

    sizes = [int(n) for n in args.scaling.split(",") if n.strip()]
    if sizes:
        print()
        print("scaling: the full build in a fresh process per size")
        line = "  {:>6} {:>6} {:>13} {:>10} {:>7} {:>11} {:>10}"
        head = ("depts", "KPIs", "measurements", "build", "pages", "s per KPI", "peak MB")
        print(line.format(*head))
        for departments in sizes:
            cmd = [sys.executable, __file__, "--point", "--departments", str(departments)]
            cmd += ["--kpis", str(args.kpis), "--daily", str(args.daily)]
            cmd += ["--years", str(args.years), "--jobs", str(args.jobs)]
            proc = subprocess.run(cmd, capture_output=True, text=True, check=True)
            p = json.loads(proc.stdout.strip().splitlines()[-1])
            print(
                line.format(
                    p["departments"],
                    p["kpis"],
                    f"{p['measurements']:,}",
                    f"{p['build_s']:.1f} s",
                    p["pages"],
                    f"{p['build_s'] / p['kpis']:.3f}",
                    p["peak_mb"],
                ),
                flush=True,
            )
            largest = p
        kpis = largest["kpis"]
        print(
            f"memory 4: {largest['peak_mb']} MB at {kpis:,} KPIs, all processes"
            + ("  (target <= 800 MB at 3,000 KPIs)" if kpis == 3000 else "")
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
