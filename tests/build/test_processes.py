"""No process of a build outlives it (issue 18, point 5): ``kpireport build`` starts a fork
server and PDF workers, early, before it reads the workbook; once the command has exited, none
of them is left, whether the build rendered PDFs, failed validation before any was asked for,
or had nothing to do.

The build runs as a real child process in a session of its own; every process of that session
is looked for in /proc the moment the command has exited (a process that leaves the session on
purpose would escape, but nothing in kpireport calls setsid).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import SAMPLES

pytestmark = pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc (Linux)")


def session_members(sid: int) -> list[str]:
    """The command lines of the live processes of session ``sid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            fields = stat.rsplit(")", 1)[1].split()
            state, session = fields[0], int(fields[3])
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, ValueError, IndexError):
            continue  # gone meanwhile
        if session == sid and state != "Z":
            found.append(f"{entry.name}: {command}")
    return found


def build_alone(*args: str) -> tuple[int, list[str]]:
    """Run ``kpireport build ARGS`` in a session of its own; its exit code and the processes
    of its session still alive right after it exited."""
    child = subprocess.Popen(
        [sys.executable, "-m", "kpireport", "build", *args, "--quiet"],
        start_new_session=True,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        code = child.wait(timeout=300)
    finally:
        child.kill()
    left = session_members(child.pid)
    # leave nothing behind for the other tests either way
    for line in left:
        with_pid = int(line.split(":", 1)[0])
        with contextlib.suppress(ProcessLookupError):
            os.kill(with_pid, 9)
    return code, left


@pytest.mark.slow
def test_no_process_of_a_build_is_left_after_it_exits(tmp_path: Path) -> None:
    workbook = tmp_path / "acme-en.xlsx"
    shutil.copy(SAMPLES / "acme-en.xlsx", workbook)
    shutil.copy(SAMPLES / "acme-logo.png", tmp_path / "acme-logo.png")
    out = tmp_path / "out"
    # PDFs rendered by two workers
    code, left = build_alone(str(workbook), "-o", str(out), "-j", "2", "--format", "pdf")
    assert code == 0
    assert left == []
    # nothing to do: the same build again
    code, left = build_alone(str(workbook), "-o", str(out), "-j", "2", "--format", "pdf")
    assert code == 0
    assert left == []


def test_no_process_is_left_when_validation_fails_before_any_pdf(tmp_path: Path) -> None:
    """The workers start before the workbook is read; a workbook with errors needs none."""
    broken = SAMPLES / "invalid" / "broken-en.xlsx"
    code, left = build_alone(str(broken), "-o", str(tmp_path / "out"), "-j", "2")
    assert code != 0
    assert left == []


def test_the_fork_server_starts_before_the_workbook_is_read(tmp_path: Path) -> None:
    """The PDF workers' fork server starts up (importing WeasyPrint, render/warm.py) while the
    workbook is read, checked and computed, not after: it is running when the check begins."""
    broken = SAMPLES / "invalid" / "broken-en.xlsx"
    code = (
        "from multiprocessing import forkserver\n"
        "import kpireport.validate\n"
        "from kpireport import reaper\n"
        "from kpireport.build import BuildOptions, build\n"
        "seen = []\n"
        "check = kpireport.validate.check\n"
        "def spy(*args, **kwargs):\n"
        "    seen.append(forkserver._forkserver._forkserver_pid is not None)\n"
        "    return check(*args, **kwargs)\n"
        "kpireport.validate.check = spy\n"
        f"build([{str(broken)!r}], {str(tmp_path / 'out')!r}, BuildOptions(jobs=1))\n"
        "reaper.stop_helpers()\n"
        "print(seen)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["[True]"]


def test_the_build_child_does_not_wait_for_its_workers_to_stop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The build child ends the moment its workbook is done, without stopping its PDF workers
    first: the parent kills its process group, fork server and workers included. Here their
    pool would never finish stopping; the build still ends, well within its time limit."""
    import pebble

    from kpireport.build import BuildOptions
    from kpireport.buildchild import build_limited
    from kpireport.limits import Limits

    monkeypatch.setattr(pebble.ProcessPool, "join", lambda self, timeout=None: time.sleep(3600))
    broken = SAMPLES / "invalid" / "broken-en.xlsx"  # the fork server starts, then it fails
    options = BuildOptions(jobs=1, limits=Limits(timeout=30))
    result = build_limited(broken, tmp_path / "out", options)
    codes = {issue.code for issue in result.report.issues}
    assert "build-timeout" not in codes
    assert result.report.errors


def test_reap_kills_a_child_that_will_not_stop_and_returns() -> None:
    """A descendant that ignores SIGTERM and never ends is killed after the grace period;
    the command still ends (run in a child: reap() waits for every child of its process)."""
    code = (
        "import os, subprocess, sys, time\n"
        "from kpireport import reaper\n"
        "stubborn = subprocess.Popen([sys.executable, '-c', 'import signal, time; "
        "signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(120)'])\n"
        "time.sleep(0.3)\n"
        "started = time.monotonic()\n"
        "reaper.reap(grace=0.5)\n"
        "print(round(time.monotonic() - started, 2), os.path.exists(f'/proc/{stubborn.pid}'))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    seconds, alive = done.stdout.split()
    assert alive == "False"  # killed and reaped
    assert 0.4 < float(seconds) < 5
