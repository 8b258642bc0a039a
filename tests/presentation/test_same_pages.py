"""The pages look as they did (issue 18): work done to make the PDFs cheaper to lay out must
not change what is printed. Every page of the three board packs (so every department's pages,
the summary, the cover and contents) is compared, pixel by pixel, with its picture in
``tests/presentation/pages/`` (reference.py; ``make reference-pages`` after a change meant to
change the look).

A page matches when at most :data:`CHANGED` of its pixels differ by more than :data:`LEVELS`
grey levels: anti-aliasing may differ at an edge, a moved line, a new word or a lost chart
point may not (one line of 9 pt text is about 0.5 % of a page at 40 dpi).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageChops

from tests.presentation.conftest import WORKBOOKS, Presented
from tests.presentation.reference import PAGES, print_pages

pytestmark = pytest.mark.slow

LEVELS = 48
CHANGED = 0.001


def changed_share(page: Path, reference: Path) -> float:
    """The share of pixels of ``page`` more than :data:`LEVELS` grey levels from
    ``reference``'s (1.0 when the sizes differ)."""
    a, b = Image.open(page).convert("L"), Image.open(reference).convert("L")
    if a.size != b.size:
        return 1.0
    histogram = ImageChops.difference(a, b).histogram()
    return sum(histogram[LEVELS + 1 :]) / sum(histogram)


@pytest.mark.parametrize("workbook", WORKBOOKS)
def test_every_board_pack_page_looks_as_it_did(
    presented: Presented, workbook: str, tmp_path: Path
) -> None:
    references = sorted(PAGES.glob(f"{workbook}-*.png"))
    assert references, f"no reference pages: run make reference-pages ({PAGES})"
    pages = print_pages(presented.folder(workbook) / "board-pack.pdf", tmp_path, workbook)
    assert len(pages) == len(references), "the board pack has another number of pages"
    differ = {
        page.name: round(share, 4)
        for page, reference in zip(pages, references, strict=True)
        if (share := changed_share(page, reference)) > CHANGED
    }
    assert not differ, f"pages that look different (share of changed pixels): {differ}; {tmp_path}"


def test_the_comparison_sees_a_changed_line(presented: Presented, tmp_path: Path) -> None:
    """The rule above catches a real change: one line of text blanked out of a page."""
    (page,) = print_pages(presented.folder("acme-en") / "board-pack.pdf", tmp_path, "p")[:1]
    image = Image.open(page).convert("L")
    width, height = image.size
    # a band of one text line's height across the middle of the cover page
    image.paste(255, (0, height // 2, width, height // 2 + 6))
    changed = tmp_path / "changed.png"
    image.save(changed)
    assert changed_share(page, PAGES / "acme-en-01.png") <= CHANGED
    assert changed_share(changed, PAGES / "acme-en-01.png") > CHANGED
