"""Peak memory of a child process, not inflated by the size of the process that starts it.

Linux keeps a process's peak resident memory across exec (``signal->maxrss``), so a command
started straight from a pytest worker of 500 MB reports at least 500 MB, whatever it used
itself. A small Python in between forks the command: a fork starts a new count, and the
small process's own peak (~10 MB) is the floor.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

# argv: PEAK_FILE COMMAND...; writes the command's peak in kB to PEAK_FILE, exits as it did.
# The command dies with the wrapper (PR_SET_PDEATHSIG), so a timeout that kills the wrapper
# kills it too.
_WRAPPER = """\
import ctypes, os, signal, sys
pid = os.fork()
if pid == 0:
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    os.execvp(sys.argv[2], sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as out:
    out.write(str(usage.ru_maxrss))
code = os.waitstatus_to_exitcode(status)
sys.exit(128 - code if code < 0 else code)
"""


def measured(command: list[str], peak_file: Path) -> list[str]:
    """``command`` wrapped so that its peak memory (kB) is written to ``peak_file``."""
    return [sys.executable, "-c", _WRAPPER, str(peak_file), *command]


def peak_mb(peak_file: Path) -> float:
    """The peak the wrapper wrote, in MB."""
    return int(peak_file.read_text()) / 1024


def run_measured(
    command: list[str], peak_file: Path, **kwargs: Any
) -> tuple[subprocess.CompletedProcess[str], float]:
    """``subprocess.run(command, **kwargs)`` and the command's own peak memory in MB."""
    proc = subprocess.run(measured(command, peak_file), **kwargs)
    return proc, peak_mb(peak_file)
