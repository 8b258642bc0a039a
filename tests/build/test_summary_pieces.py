"""The board pack's summary rendered in pieces (documents.summary_pieces): a large workbook's
attention list was one document of 250 pages, rendered by one worker holding 800 MB while the
other waited. Here the English sample is built with a piece of two rows, and its board pack
must say what the one-piece pack says: every attention row once, the same bookmarks, contents
numbers that find their pages, and one structure tree covering every page. A template of the
user's own that does not know of pieces gets the whole summary in one piece."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pikepdf
import pytest
from pypdf import PdfReader

import kpireport.render.documents as documents
from kpireport.build import BuildOptions, build
from tests.presentation.test_tagged_pdf import marked, walk

SAMPLE = Path(__file__).resolve().parents[2] / "sample_workbooks" / "acme-en.xlsx"
ROWS = 2


def _build(out: Path, rows: int | None, templates: Path | None = None) -> Path:
    with pytest.MonkeyPatch.context() as patch:
        if rows is not None:
            patch.setattr(documents, "SUMMARY_ROWS", rows)
        (result,) = build(
            [SAMPLE], out, BuildOptions(formats=("pdf", "json"), jobs=2, templates=templates)
        )
    assert result.folder is not None
    return result.folder


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The report set built with the summary in one piece, and in pieces of two rows."""
    root = tmp_path_factory.mktemp("pieces")
    return _build(root / "whole", None), _build(root / "pieces", ROWS)


def _texts(pdf: Path) -> list[str]:
    return [re.sub(r"\s+", " ", page.extract_text()) for page in PdfReader(pdf).pages]


def _outline(pdf: pikepdf.Pdf) -> list[tuple[str, int]]:
    index = {page.obj.objgen: n for n, page in enumerate(pdf.pages)}
    found: list[tuple[str, int]] = []
    with pdf.open_outline() as tree:
        stack = list(reversed(tree.root))
        while stack:
            item = stack.pop()
            found.append((str(item.title), index[item.destination[0].objgen]))
            stack += list(reversed(item.children))
    return found


def test_the_attention_list_is_in_pieces_with_every_row_once(folders: tuple[Path, Path]) -> None:
    whole, pieces = folders
    results = json.loads((whole / "results.json").read_text())
    attention, changes = results["summary"]["attention"], results["summary"]["changes"]
    assert len(attention) > 2 * ROWS and changes  # a table in several pieces, and two tables
    one, split = _texts(whole / "board-pack.pdf"), _texts(pieces / "board-pack.pdf")
    with pikepdf.open(pieces / "board-pack.pdf") as pdf:
        pages = dict(_outline(pdf))
    summary_pages = pages["Sales"] - pages["Executive summary"]  # Sales: the first department
    assert summary_pages == -(-(len(attention) + len(changes)) // ROWS)  # a page each piece
    assert len(split) > len(one)
    for entry in attention + changes:
        row = f"{entry['id']} · {entry['department']}"
        assert sum(t.count(row) for t in split) == sum(t.count(row) for t in one) >= 1, row
    for heading in ("Executive summary", "Needs attention", "Since the last report"):
        assert sum(t.count(heading) for t in split[2:]) == 1, heading  # not on the contents


def test_bookmarks_and_contents_numbers_find_their_pages(folders: tuple[Path, Path]) -> None:
    whole, pieces = folders
    with (
        pikepdf.open(whole / "board-pack.pdf") as one,
        pikepdf.open(pieces / "board-pack.pdf") as split,
    ):
        before, after = _outline(one), _outline(split)
    assert [title for title, _page in after] == [title for title, _page in before]
    texts = _texts(pieces / "board-pack.pdf")
    for title, page in after:
        assert title[:15] in texts[page], (title, page)
    # the contents: "3 8 10 12 14 Contents Executive summary Sales ...", a number per entry
    numbers = [int(n) for n in re.findall(r"\d+", texts[1].split("Contents")[0])]
    entries = [page + 1 for title, page in after if title == "Executive summary"]
    entries += [page + 1 for title, page in after if title in texts[1] and page > entries[0]]
    assert numbers == [n for n in dict.fromkeys(entries) if n in numbers] and len(numbers) == 5


def test_one_structure_tree_covers_the_pieces(folders: tuple[Path, Path]) -> None:
    _whole, pieces = folders
    with pikepdf.open(pieces / "board-pack.pdf") as pdf:
        tree = walk(pdf)
        found, loose = marked(pdf)
    assert set(tree.reached) == found and max(tree.reached.values()) == 1
    assert not loose
    assert len(tree.ids) == len(set(tree.ids))


def test_a_template_that_does_not_know_pieces_gets_one(tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "board-pack.html").write_text(
        '{% extends "base.html" %}{% block body %}'
        '{% if part in (none, "summary") %}<h1 id="summary">Our own summary:'
        " {{ r.summary.attention | length }} to look at</h1>{% endif %}"
        '{% if part in (none, "cover") %}<h1>Cover</h1>{% endif %}{% endblock %}',
        encoding="utf-8",
    )
    folder = _build(tmp_path / "out", ROWS, templates)
    text = " ".join(_texts(folder / "board-pack.pdf"))
    assert text.count("Our own summary:") == 1
