"""``kpireport preview`` in a real browser (issue 17's acceptance): the system Chromium driven
by Playwright opens the preview; the workbook is saved as Excel saves (a temporary file renamed
over it), and the page shows the change by itself: a new KPI name, then an error at its cell,
then the report again once the cell is fixed."""

from __future__ import annotations

import io
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.utils import get_column_letter

from kpireport.build import BuildOptions
from kpireport.preview.session import Preview
from tests.conftest import valid_sheets, write_workbook
from tests.presentation.browser import Screen
from tests.preview.test_server import request

SHOWN = 5_000  # ms: how soon a save must show in the page


@pytest.fixture
def browser(screen: Screen) -> Any:
    """The session's Chromium (tests/presentation/browser.py)."""
    return screen.browser


@pytest.fixture
def preview(tmp_path: Path) -> Iterator[Preview]:
    workbook = write_workbook(tmp_path / "kpis.xlsx", valid_sheets())
    session = Preview(workbook, BuildOptions())
    thread = threading.Thread(target=session.serve, daemon=True)
    thread.start()
    yield session
    session.stop()
    thread.join(10)
    session.close()
    assert not session.folder.exists()


def save_as_excel_does(workbook: Path, change: Any) -> None:
    """Change the workbook with openpyxl, write it to a temporary file, rename it over."""
    book = openpyxl.load_workbook(workbook)
    change(book)
    temporary = workbook.with_name("~$kpis.tmp")
    book.save(temporary)
    os.replace(temporary, workbook)


def kpi_cell(book: Any, column: str) -> Any:
    sheet = book["KPIs"]
    header = [c.value for c in sheet[1]]
    return sheet.cell(row=2, column=header.index(column) + 1)


def test_the_page_follows_the_workbook_as_it_is_saved(preview: Preview, browser: Any) -> None:
    page = browser.new_page()
    page.goto(preview.url)
    name = valid_sheets()["KPIs"][1][2]
    page.get_by_text(name).first.wait_for(timeout=SHOWN)

    save_as_excel_does(
        preview.workbook, lambda b: setattr(kpi_cell(b, "name"), "value", "Fresh name")
    )
    page.get_by_text("Fresh name").first.wait_for(timeout=SHOWN)

    # an error: the target is text; the page shows the validation report, with the cell
    def bad_target(book: Any) -> None:
        kpi_cell(book, "target").value = "lots"

    save_as_excel_does(preview.workbook, bad_target)
    cell = f"{get_column_letter(valid_sheets()['KPIs'][0].index('target') + 1)}2"
    page.get_by_text(cell).first.wait_for(timeout=SHOWN)
    assert "Fresh name" not in page.inner_text("h1")

    save_as_excel_does(preview.workbook, lambda b: setattr(kpi_cell(b, "target"), "value", 60))
    page.get_by_text("Fresh name").first.wait_for(timeout=SHOWN)
    assert preview.result is not None and preview.result.ok
    page.close()


def test_a_file_that_is_not_a_workbook_is_shown_and_the_server_goes_on(
    preview: Preview, browser: Any
) -> None:
    page = browser.new_page()
    page.goto(preview.url)
    page.get_by_text(valid_sheets()["KPIs"][1][2]).first.wait_for(timeout=SHOWN)
    temporary = preview.workbook.with_name("~$kpis.tmp")
    temporary.write_bytes(b"not a workbook at all")
    os.replace(temporary, preview.workbook)
    page.wait_for_function("() => !document.body.innerText.includes('Test')", timeout=SHOWN)
    write_workbook(temporary, valid_sheets())
    os.replace(temporary, preview.workbook)
    page.get_by_text(valid_sheets()["KPIs"][1][2]).first.wait_for(timeout=SHOWN)
    page.close()


def png(colour: str) -> bytes:
    """A small PNG image of one colour."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), colour).save(buffer, "PNG")
    return buffer.getvalue()


def with_logos(settings_logo: str, department_logo: str | None = None) -> dict[str, Any]:
    sheets = valid_sheets()
    sheets["Settings"].append(["logo", settings_logo])
    if department_logo is not None:
        sheets["Departments"][0].append("logo")
        sheets["Departments"][1].append(department_logo)
    return sheets


def test_the_logos_the_workbook_names_are_watched_and_nothing_outside_its_folder(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "books"
    folder.mkdir()
    (folder / "logo.png").write_bytes(png("red"))
    (tmp_path / "outside.png").write_bytes(png("blue"))
    workbook = write_workbook(folder / "kpis.xlsx", with_logos("logo.png", "../outside.png"))
    session = Preview(workbook, BuildOptions())
    try:
        session.rebuild()
        assert (folder / "logo.png").resolve() in session.watched()
        assert not any(p.is_relative_to(tmp_path) and p.parent != folder for p in session.watched())
        # a new name in the workbook is watched from the next build on, even before it exists
        write_workbook(workbook, with_logos("logo.png", "sales.png"))
        session.rebuild()
        assert (folder / "sales.png").resolve() in session.watched()
    finally:
        session.close()


def test_a_saved_logo_reloads_the_page(tmp_path: Path, browser: Any) -> None:
    (tmp_path / "logo.png").write_bytes(png("red"))
    workbook = write_workbook(tmp_path / "kpis.xlsx", with_logos("logo.png"))
    session = Preview(workbook, BuildOptions())
    thread = threading.Thread(target=session.serve, daemon=True)
    thread.start()
    try:
        page = browser.new_page()
        page.goto(session.url)
        logo = page.locator("img[src^='data:image/png']").first
        logo.wait_for(timeout=SHOWN)
        before = logo.get_attribute("src")
        temporary = tmp_path / "logo.tmp"
        temporary.write_bytes(png("green"))
        os.replace(temporary, tmp_path / "logo.png")  # the workbook is not touched
        page.wait_for_function(
            "(before) => { const i = document.querySelector(\"img[src^='data:image/png']\");"
            " return i !== null && i.getAttribute('src') !== before; }",
            arg=before,
            timeout=SHOWN,
        )
        page.close()
    finally:
        session.stop()
        thread.join(10)
        session.close()


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("da", ["Dette er ikke en Excel-projektmappe", "når projektmappen gemmes igen"]),
        ("sv", ["när arbetsboken sparas igen"]),
        (None, ["This is not an Excel workbook", "when the workbook is saved again"]),
    ],
)
def test_the_problem_page_is_in_the_users_language(
    tmp_path: Path, lang: str | None, words: list[str]
) -> None:
    """A file that cannot be read at all: what is wrong and what happens next, in --lang."""
    workbook = tmp_path / "kpis.xlsx"
    workbook.write_bytes(b"not a workbook at all")
    session = Preview(workbook, BuildOptions(lang=lang))
    thread = threading.Thread(target=session.server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        session.rebuild()
        status, _headers, body = request(session.server, "/")
        page = body.decode()
        assert status == 200 and f"<html lang='{lang or 'en'}'>" in page
        assert all(word in page for word in words), page
        assert "kpis.xlsx" in page
    finally:
        session.server.shutdown()
        session.close()


def test_a_reload_keeps_the_scroll_position(preview: Preview, browser: Any) -> None:
    """Issue 17, point 2: the page reloads by itself after a save, where the reader was."""
    page = browser.new_page(viewport={"width": 1280, "height": 600})
    page.goto(preview.url)
    name = valid_sheets()["KPIs"][1][2]
    page.get_by_text(name).first.wait_for(timeout=SHOWN)
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height > 1500, "the page must be long enough to scroll"
    page.evaluate("window.scrollTo(0, 900)")
    page.wait_for_function("window.scrollY > 850")
    save_as_excel_does(
        preview.workbook, lambda b: setattr(kpi_cell(b, "name"), "value", "Scrolled name")
    )
    page.get_by_text("Scrolled name").first.wait_for(timeout=SHOWN)
    page.wait_for_function("window.scrollY > 850", timeout=SHOWN)
    assert abs(page.evaluate("window.scrollY") - 900) < 50
