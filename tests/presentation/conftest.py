"""One build of the three presentation workbooks per test session, shared by every check of
issue 16 (print, phone, accessibility): the English and Danish samples, and a workbook with long
Danish names and very light brand colours (workbooks.py).

The build runs once, also under pytest-xdist: the first worker to need it builds while the others
wait on a lock, then every worker reads the same files. Checks read the files, never change them.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import once_per_session
from tests.presentation.workbooks import SAMPLES, write_light_long

# The workbook names (file stems), which are also the report sets' folder names.
WORKBOOKS = ("acme-en", "fjordsol-da", "lys-lang-da")


@dataclass(frozen=True)
class Presented:
    """The output folder of ``kpireport build`` over the three workbooks (PDF, HTML and JSON)."""

    root: Path

    def folder(self, workbook: str) -> Path:
        """The workbook's report set (its one report date)."""
        (folder,) = (self.root / workbook).glob("*-*-*")
        return folder

    def results(self, workbook: str) -> dict:
        return json.loads((self.folder(workbook) / "results.json").read_text(encoding="utf-8"))

    def pdfs(self, workbook: str | None = None) -> list[Path]:
        """Every PDF report (not the build's cache of laid-out parts in .pages/)."""
        names = [workbook] if workbook else WORKBOOKS
        return sorted(p for name in names for p in self.folder(name).glob("*.pdf"))

    def html(self, workbook: str | None = None) -> list[Path]:
        """Every HTML page: the reports, validation.html, each set's index and, for all three
        workbooks, the output folder's index.html."""
        names = [workbook] if workbook else WORKBOOKS
        pages = sorted(p for name in names for p in self.folder(name).glob("*.html"))
        return pages if workbook else [self.root / "index.html", *pages]


def _build(base: Path) -> str:
    """Build into base/out; an error message, or "" when the build worked."""
    source = base / "in"
    source.mkdir(exist_ok=True)
    for name in ("acme-en.xlsx", "acme-logo.png", "fjordsol-da.xlsx"):
        shutil.copy(SAMPLES / name, source / name)
    write_light_long(source / "lys-lang-da.xlsx")
    command = [sys.executable, "-m", "kpireport", "build", str(source), "-o", str(base / "out")]
    done = subprocess.run(
        [*command, "--quiet", "-j", "2", "--format", "pdf,html,json"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=600,
    )
    if done.returncode:
        output = (done.stdout + done.stderr).decode(errors="replace")[-3000:]
        return f"{' '.join(command)} exited with {done.returncode}:\n{output}"
    return ""


@pytest.fixture(scope="session")
def presented(tmp_path_factory: pytest.TempPathFactory) -> Presented:
    """The three workbooks built once for the session (see the module's docstring)."""
    return Presented(once_per_session(tmp_path_factory, "presentation", _build) / "out")
