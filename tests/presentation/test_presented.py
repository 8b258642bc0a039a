"""The shared build itself: the three workbooks are there, and the third one is what it claims."""

from __future__ import annotations

from tests.presentation.conftest import WORKBOOKS, Presented
from tests.presentation.workbooks import DEPARTMENTS, PRIMARY


def test_every_workbook_has_its_reports(presented: Presented) -> None:
    for name in WORKBOOKS:
        results = presented.results(name)
        departments = len(results["departments"])
        pdfs = presented.pdfs(name)
        assert len(pdfs) == departments + 1, pdfs  # each department and the board pack
        assert (presented.folder(name) / "board-pack.pdf") in pdfs
        assert len(presented.html(name)) == departments + 3  # + board pack, validation, index
    assert presented.html()[0] == presented.root / "index.html"


def test_the_third_workbook_has_long_names_and_light_colours(presented: Presented) -> None:
    results = presented.results("lys-lang-da")
    assert results["language"] == "da"
    names = [d["name"] for d in results["departments"]]
    assert names == [name for name, _ in DEPARTMENTS.values()]
    assert all(len(name) >= 40 for name in names)
    assert (
        PRIMARY.lower()
        in (presented.folder("lys-lang-da") / "board-pack.html").read_text(encoding="utf-8").lower()
    )
