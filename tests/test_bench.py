"""The benchmark harness runs end to end on a tiny workbook. No timings are asserted."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_bench_quick_prints_the_table_and_ratios() -> None:
    run = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert run.returncode == 0, run.stderr
    rows = {line.split("  ")[1].strip() for line in run.stdout.splitlines() if line[:2] == "  "}
    for name in ("read", "validate", "compute", "render HTML", "build"):
        assert name in rows, run.stdout
    for name in (
        "rebuild, nothing changed",
        "rebuild, one department changed",
        "rebuild, one department's texts",
    ):
        assert name in rows, run.stdout
    for name in ("peak memory, all processes (PSS)", "pages", "time per page"):
        assert name in rows, run.stdout
    assert "ratio validate / a:" in run.stdout
    assert "ratio build / b:" in run.stdout
    assert "ratio rebuild / build:" in run.stdout
    # issue 18's: the headless Chromium baseline, ratios 1-3 and the memory of the largest size
    assert "baseline c: Chromium" in run.stdout
    for ratio in ("ratio 1, build / c:", "ratio 2, one department changed / build:"):
        assert ratio in run.stdout
    assert "ratio 3, small cold build / plain WeasyPrint:" in run.stdout
    assert "memory 4:" in run.stdout
    # the floors: the PDF jobs of the full build (its bodies, summary, cover, headers and
    # footers) and of the rebuild (fewer: the other department is taken from .pages/)
    floors = {}
    for ratio in (1, 2):
        (line,) = [ln for ln in run.stdout.splitlines() if f"floor of ratio {ratio}:" in ln]
        floors[ratio] = int(line.split(": ")[1].split(" PDF jobs")[0])
    assert floors[1] >= 4 and 1 <= floors[2] < floors[1], run.stdout
    # a rebuild with nothing changed writes nothing; one changed department rewrites its own
    # files, the board pack and the summaries, not the other department's
    assert "files rewritten with nothing changed: 0" in run.stdout
    (changed,) = [ln for ln in run.stdout.splitlines() if "after one department changed" in ln]
    assert "department-00.pdf" in changed and "board-pack.pdf" in changed
    assert "department-01" not in changed
    # then department 01's texts: its own files and the board pack's
    (texts,) = [ln for ln in run.stdout.splitlines() if "after its texts changed" in ln]
    assert "department-01.pdf" in texts and "board-pack.pdf" in texts
    assert "department-00" not in texts
    assert "one department's texts changed / build:" in run.stdout
    # the scaling table has a row per size
    assert "scaling:" in run.stdout
    table = run.stdout.split("scaling:")[1].split("memory 4:")[0].splitlines()[2:]
    assert [ln.split()[:2] for ln in table if ln.strip()] == [["1", "3"], ["2", "6"]]
