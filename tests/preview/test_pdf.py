"""The preview's PDF link (issue 17, point 2): every report page, as served, links to its PDF,
rendered through the build pipeline on request and cached by the build's own keys. A real
preview on an ephemeral port, real HTTP, the system Chromium for what the page shows."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from kpireport.build import BuildOptions
from kpireport.preview.session import Preview
from tests.conftest import valid_sheets, write_workbook
from tests.presentation.browser import Screen
from tests.preview.test_server import request

LABEL = "Download this report as PDF"


def serve(workbook: Path, options: BuildOptions | None = None) -> Iterator[Preview]:
    session = Preview(workbook, options)
    session.rebuild()
    thread = threading.Thread(target=session.server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield session
    session.server.shutdown()
    session.close()


@pytest.fixture(scope="module")
def preview(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Preview]:
    folder = tmp_path_factory.mktemp("pdf")
    yield from serve(write_workbook(folder / "kpis.xlsx", valid_sheets()))


def files(folder: Path) -> dict[Path, tuple[int, int]]:
    """Every file under ``folder`` with its inode and modification time: what a build wrote."""
    return {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in folder.rglob("*") if p.is_file()}


def page_path(preview: Preview, name: str) -> str:
    assert preview.result is not None and preview.result.folder is not None
    return "/" + str((preview.result.folder / name).relative_to(preview.folder))


def test_each_report_page_links_to_its_pdf_as_served_only(preview: Preview) -> None:
    for page, pdf in [("sales.html", "sales.pdf"), ("board-pack.html", "board-pack.pdf")]:
        status, _headers, body = request(preview.server, page_path(preview, page))
        assert status == 200 and f'href="/pdf/{pdf}"'.encode() in body
        assert f'title="{LABEL}"'.encode() in body
    assert preview.result is not None and preview.result.folder is not None
    for html in preview.result.folder.glob("*.html"):
        assert b"/pdf/" not in html.read_bytes()  # the files on disk stay link-free
    status, _headers, body = request(preview.server, "/")  # the board pack
    assert status == 200 and b'href="/pdf/board-pack.pdf"' in body
    status, _headers, body = request(preview.server, page_path(preview, "index.html"))
    assert status == 200 and b"/pdf/" not in body  # not a report: no PDF of its own


def test_the_link_shows_in_the_browser(preview: Preview, screen: Screen) -> None:
    page = screen.browser.new_page()
    page.goto(preview.url.rstrip("/") + page_path(preview, "sales.html"))
    link = page.get_by_role("link", name=LABEL)
    link.wait_for(timeout=5_000)
    assert link.is_visible() and link.inner_text() == "PDF"
    assert link.get_attribute("href") == "/pdf/sales.pdf"
    page.close()


def test_a_pdf_is_rendered_on_request_then_served_from_the_cache(preview: Preview) -> None:
    status, headers, first = request(preview.server, "/pdf/sales.pdf")
    assert status == 200 and headers["Content-Type"] == "application/pdf"
    assert first.startswith(b"%PDF-")
    written = files(preview.folder / "pdf")
    assert any(p.name == "sales.pdf" for p in written)
    status, _headers, second = request(preview.server, "/pdf/sales.pdf")
    assert (status, second) == (200, first)
    assert files(preview.folder / "pdf") == written  # the second request wrote nothing


def test_the_board_pack_pdf(preview: Preview) -> None:
    status, headers, body = request(preview.server, "/pdf/board-pack.pdf")
    assert (status, headers["Content-Type"]) == (200, "application/pdf")
    assert body.startswith(b"%PDF-")


def test_pdfs_asked_for_at_once_are_rendered_one_after_the_other(preview: Preview) -> None:
    """Two pages' links followed at the same moment: both PDFs, whole (the lock makes the
    second wait for the first's build to be in place)."""
    got: dict[str, tuple[int, dict[str, str], bytes]] = {}
    threads = [
        threading.Thread(target=lambda n=name: got.setdefault(n, request(preview.server, n)))
        for name in ("/pdf/sales.pdf", "/pdf/board-pack.pdf", "/pdf/sales.pdf")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    for status, _headers, body in got.values():
        assert status == 200 and body.startswith(b"%PDF-") and body.rstrip().endswith(b"%%EOF")


@pytest.mark.parametrize(
    "path",
    [
        "/pdf/nosuch.pdf",
        "/pdf/sales.html",
        "/pdf/index.pdf",
        "/pdf/validation.pdf",
        "/pdf/../pdf/sales.pdf",
        "/pdf/%2e%2e/kpis.xlsx",
        "/pdf/..%2f..%2fsales.pdf",
        "/pdf/sales.pdf%00",
        "/pdf/",
        "/pdf",
        "/pdf/kpis/2026-06-30/sales.pdf",
    ],
)
def test_only_the_pdfs_of_the_reports_are_served(preview: Preview, path: str) -> None:
    status, _headers, body = request(preview.server, path)
    assert status == 404 and not body.startswith(b"%PDF")


@pytest.mark.parametrize("host", ["evil.example:{port}", "localhost:1", ""])
def test_the_host_check_holds_for_pdfs(preview: Preview, host: str) -> None:
    before = files(preview.folder)
    status, _headers, _body = request(
        preview.server, "/pdf/sales.pdf", host=host.format(port=preview.server.port)
    )
    assert status == 421 and files(preview.folder) == before


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_pdfs_are_get_only(preview: Preview, method: str) -> None:
    assert request(preview.server, "/pdf/sales.pdf", method=method)[0] == 405


def test_no_pdf_while_the_workbook_has_errors(tmp_path: Path) -> None:
    sheets = valid_sheets()
    sheets["KPIs"][1][sheets["KPIs"][0].index("target")] = "lots"
    for preview in serve(write_workbook(tmp_path / "kpis.xlsx", sheets)):
        assert preview.result is not None and not preview.result.ok
        status, _headers, body = request(preview.server, "/")
        assert status == 200 and b"/pdf/" not in body
        assert request(preview.server, "/pdf/sales.pdf")[0] == 404
        assert request(preview.server, "/pdf/board-pack.pdf")[0] == 404
        assert not (preview.folder / "pdf").exists()


def test_the_link_in_danish(tmp_path: Path) -> None:
    workbook = write_workbook(tmp_path / "kpis.xlsx", valid_sheets())
    for preview in serve(workbook, BuildOptions(lang="da")):
        body = request(preview.server, page_path(preview, "sales.html"))[2].decode()
        assert 'title="Hent denne rapport som PDF"' in body and ">PDF</a>" in body
