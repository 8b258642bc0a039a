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
    for name in ("read", "validate", "compute", "render HTML", "render PDF", "total"):
        assert name in rows, run.stdout
    for name in ("peak memory", "pages", "time per page"):
        assert name in rows, run.stdout
    assert "ratio validate / a:" in run.stdout
    assert "ratio build / b:" in run.stdout
