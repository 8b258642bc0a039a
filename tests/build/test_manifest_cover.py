"""The manifest keeps the page numbers of the board pack's contents, with which the next build
renders its cover at once (kpireport/render/pdfstage.py); what a hand edit or another version
left there that is not a map of names to page numbers is left out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kpireport.buildcache import MANIFEST, Manifest


def test_the_page_numbers_of_the_contents_are_kept(tmp_path: Path) -> None:
    manifest = Manifest(tmp_path, {}, None)
    numbers = {"summary": 3, "sales": 5, "hr": 19}
    manifest.record("board-pack.pdf", "key", "sha", 2, numbers)
    manifest.write(sync=False)
    again = Manifest.read(tmp_path)
    assert again.cover_numbers("board-pack.pdf") == numbers
    assert again.cover_pages("board-pack.pdf") == 2
    assert again.cover_numbers("sales.pdf") is None


@pytest.mark.parametrize(
    "numbers", [["summary", 3], {"summary": "3"}, {"summary": 3.0}, {"summary": True}, "x"]
)
def test_page_numbers_that_are_not_are_left_out(tmp_path: Path, numbers: object) -> None:
    entry = {"key": "key", "sha256": "sha", "cover_numbers": numbers}
    (tmp_path / MANIFEST).write_text(json.dumps({"board-pack.pdf": entry}))
    manifest = Manifest.read(tmp_path)
    assert "board-pack.pdf" in manifest.files
    assert manifest.cover_numbers("board-pack.pdf") is None
