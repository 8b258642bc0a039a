"""The board packs' pages as they should look, for test_same_pages.py: each page of the three
presentation workbooks' board packs (every department's pages, the summary, the cover and
contents) printed at :data:`DPI` dpi in grey, one PNG each in ``tests/presentation/pages/``.

Run it after a change meant to change how the reports look, and look at the pages it wrote
before committing them:

    make reference-pages     # .venv/bin/python -m tests.presentation.reference
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from tests.presentation.conftest import WORKBOOKS, Presented, _build

PAGES = Path(__file__).resolve().parent / "pages"
DPI = 40


def print_pages(pdf: Path, folder: Path, stem: str) -> list[Path]:
    """``pdf``'s pages as grey PNGs ``folder/stem-NN.png``, in order."""
    folder.mkdir(parents=True, exist_ok=True)
    command = ["pdftoppm", "-gray", "-png", "-r", str(DPI), str(pdf), str(folder / stem)]
    subprocess.run(command, check=True, capture_output=True)
    # pdftoppm numbers pages with as many digits as the last page needs: sort by number
    return sorted(folder.glob(f"{stem}-*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="kpireport-reference-") as tmp:
        error = _build(Path(tmp))
        if error:
            print(error, file=sys.stderr)
            return 1
        presented = Presented(Path(tmp) / "out")
        for old in PAGES.glob("*.png"):
            old.unlink()
        for workbook in WORKBOOKS:
            pages = print_pages(presented.folder(workbook) / "board-pack.pdf", PAGES, workbook)
            print(f"{workbook}: {len(pages)} pages")
    return 0


if __name__ == "__main__":
    sys.exit(main())
