"""``kpireport preview`` as a user runs it: a real child process serving on an ephemeral port,
stopped with Ctrl-C (SIGINT), leaving nothing behind."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

from click.testing import CliRunner

from kpireport.cli import main
from tests.conftest import valid_sheets, write_workbook


def test_preview_serves_until_ctrl_c_and_removes_its_folder(tmp_path: Path) -> None:
    workbook = write_workbook(tmp_path / "kpis.xlsx", valid_sheets())
    command = [sys.executable, "-m", "kpireport", "preview", str(workbook), "--no-browser"]
    child = subprocess.Popen(
        [*command, "--port", "0"], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True
    )
    try:
        assert child.stderr is not None
        first = child.stderr.readline()
        url = re.search(r"at (http://127\.0\.0\.1:\d+/)", first)
        assert url, first
        built = child.stderr.readline()
        assert built.startswith("built kpis.xlsx"), built
        with urllib.request.urlopen(url.group(1), timeout=10) as response:
            page = response.read().decode()
        assert "New customers per month" in page and "EventSource" in page
        folder = Path(re.findall(r"built in (\S+);", first)[0])
        assert folder.is_dir() and oct(folder.stat().st_mode & 0o777) == "0o700"
    finally:
        child.send_signal(signal.SIGINT)
        assert child.wait(timeout=20) == 0
    assert not folder.exists()


def test_another_host_than_this_machine_is_warned_of_and_a_name_refused(tmp_path: Path) -> None:
    workbook = write_workbook(tmp_path / "kpis.xlsx", valid_sheets())
    result = CliRunner().invoke(main, ["preview", str(workbook), "--host", "example.com"])
    assert result.exit_code == 2 and "--host" in result.output
