"""The drop folder under odd conditions: 500 workbooks dropped at once, a workbook deleted while
it is claimed, an output folder that is a link, an output folder inside the inbox."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from kpireport.build import BuildOptions
from kpireport.limits import Limits
from kpireport.watch import FAILED, PROCESSED, PROCESSING, WatchError, WatchSummary
from tests.conftest import valid_sheets, write_workbook
from tests.hardening.test_watch_inbox import run_watch as watch_once

OPTIONS = BuildOptions(formats=("json",), jobs=1, limits=Limits(timeout=120, memory=2048))


def run_watch(
    inbox: Path, out: Path, on_line: Callable[[str], None] | None = None
) -> tuple[WatchSummary, list[str]]:
    """``watch --once`` in this process, each workbook built in a child process."""
    return watch_once(inbox, out, on_line, OPTIONS)


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    (tmp_path / "inbox").mkdir()
    return tmp_path / "inbox"


@pytest.mark.slow
def test_500_workbooks_dropped_at_once(inbox: Path, tmp_path: Path) -> None:
    """Every one is dealt with, one after another in name order, none lost, in bounded time;
    the watcher's own memory does not grow with them (the builds are in child processes)."""
    good = write_workbook(tmp_path / "good.xlsx", valid_sheets()).read_bytes()
    names = [f"kpis-{n:03}.xlsx" for n in range(500)]
    for n, name in enumerate(names):
        # one in ten a real workbook, the others not even a zip
        (inbox / name).write_bytes(good if n % 10 == 0 else b"not a workbook")
    script = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from tests.hardening.test_watch_load import run_watch\n"
        "started = time.monotonic()\n"
        "summary, lines = run_watch(Path(sys.argv[1]), Path(sys.argv[2]))\n"
        "print(len(summary.processed), len(summary.failed), summary.problems,\n"
        "      round(time.monotonic() - started),\n"
        "      int(Path('/proc/self/status').read_text().split('VmHWM:')[1].split()[0]) // 1024)\n"
        "print('\\n'.join(line for line in lines if line.startswith('claimed')))\n"
    )
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run(
        [sys.executable, "-c", script, str(inbox), str(tmp_path / "reports")],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    first, *claimed = proc.stdout.splitlines()
    processed, failed, problems, seconds, peak_mb = map(int, first.split())
    assert (processed, failed, problems) == (50, 450, 0)
    assert [line.split()[1].rsplit("/", 1)[1] for line in claimed] == names  # in order
    assert sorted(os.listdir(inbox / PROCESSED)) == names[::10]
    assert len(os.listdir(inbox / FAILED)) == 450 * 3  # each with its two error files
    assert os.listdir(inbox / PROCESSING) == []
    assert len([p for p in (tmp_path / "reports").iterdir() if p.is_dir()]) == 50  # report sets
    assert seconds < 300
    # VmHWM: the watcher's own peak (ru_maxrss would count the pytest worker that started it)
    assert peak_mb < 200, (peak_mb, seconds)  # its imports, not 500 workbooks


def test_a_workbook_deleted_between_claim_and_build(inbox: Path, tmp_path: Path) -> None:
    write_workbook(inbox / "a.xlsx", valid_sheets())
    write_workbook(inbox / "b.xlsx", valid_sheets())

    def delete(line: str) -> None:
        if line.startswith("claimed ") and "/a.xlsx" in line:
            (inbox / PROCESSING / "a.xlsx").unlink()  # its owner, or anyone in the inbox group

    summary, lines = run_watch(inbox, tmp_path / "reports", delete)
    claimed = inbox / PROCESSING / "a.xlsx"
    assert f"not built: {claimed} has 1 error (first: No such file.)" in lines
    assert f"error: {claimed} is gone: it was deleted before it could be filed" in lines
    assert summary.problems == 1 and summary.failed == []
    assert summary.processed == [inbox / PROCESSED / "b.xlsx"]  # the next one is built
    assert os.listdir(inbox / PROCESSING) == []  # its count of tries went with it
    assert os.listdir(inbox / FAILED) == []


def test_an_output_folder_that_is_a_link_is_followed(inbox: Path, tmp_path: Path) -> None:
    """The operator names it (command line, kpireport.toml): a link there is the operator's."""
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "reports").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    write_workbook(inbox / "kpis.xlsx", valid_sheets())
    summary, _lines = run_watch(inbox, tmp_path / "reports")
    assert summary.ok
    assert (tmp_path / "elsewhere" / "kpis" / "2026-06-30" / "results.json").is_file()


@pytest.mark.parametrize("where", ["reports", ".", "processed/reports", "link"])
def test_an_output_folder_inside_the_inbox_is_refused(
    inbox: Path, tmp_path: Path, where: str
) -> None:
    if where == "link":  # a link outside that leads into the inbox
        (tmp_path / "link").symlink_to(inbox, target_is_directory=True)
        out = tmp_path / "link" / "reports"
    else:
        out = inbox / where
    write_workbook(inbox / "kpis.xlsx", valid_sheets())
    with pytest.raises(WatchError) as caught:
        run_watch(inbox, out)
    assert str(caught.value) == (
        f"the output folder {out} is inside the inbox {inbox}: anyone who may drop a workbook "
        "could replace the reports, or the folder itself; choose a folder outside the inbox"
    )
    assert (inbox / "kpis.xlsx").exists()
    assert not (inbox / "reports").exists()
