"""Issue 16, point 6: the PDFs' paper, A4 or Letter, from the Settings page_size (Danish
papirstørrelse) or build --page-size; every page of every PDF, the header and footer layers
included, on that paper."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from pypdf import PdfReader

from kpireport.validate import check
from tests.build.test_incremental import cli
from tests.conftest import valid_sheets, write_workbook

A4 = (595.3, 841.9)  # 210 x 297 mm in points
LETTER = (612.0, 792.0)  # 8.5 x 11 in


def workbook(tmp_path: Path, value: object = None, key: str = "page_size") -> Path:
    sheets = copy.deepcopy(valid_sheets())
    if value is not None:
        sheets["Settings"].append([key, value])
    return write_workbook(tmp_path / "kpis.xlsx", sheets)


def sizes(folder: Path) -> set[tuple[float, float]]:
    """The page sizes of every PDF in ``folder``, rounded to a tenth of a point."""
    out = set()
    for pdf in folder.glob("*.pdf"):
        for page in PdfReader(pdf).pages:
            box = page.mediabox
            out.add((round(float(box.width), 1), round(float(box.height), 1)))
    return out


@pytest.mark.parametrize(
    ("value", "option", "paper"),
    [
        (None, (), A4),
        ("Letter", (), LETTER),
        ("letter", ("--page-size", "A4"), A4),
        (None, ("--page-size", "letter"), LETTER),
    ],
    ids=["default", "setting", "option-over-setting", "option"],
)
def test_every_page_is_on_the_paper_asked_for(
    tmp_path: Path, value: object, option: tuple[str, ...], paper: tuple[float, float]
) -> None:
    out = tmp_path / "out"
    result = cli(workbook(tmp_path, value), out, "--format", "pdf", *option)
    assert result.exit_code == 0, result.output
    (folder,) = out.glob("kpis/*")
    assert sizes(folder) == {paper}  # the board pack's cover, summary and department pages


def test_the_danish_key_and_a_paper_that_is_not_known(tmp_path: Path) -> None:
    _, report = check(workbook(tmp_path, "Letter", key="papirstørrelse"))
    assert report.issues == []
    (tmp_path / "kpis.xlsx").unlink()
    workbook_, report = check(workbook(tmp_path, "A5"))
    assert [(i.code, i.cell) for i in report.issues] == [("bad-setting", "B5")]
    assert workbook_.settings.page_size == "A4"
