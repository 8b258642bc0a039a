"""Workbooks that made rendering hang, exhaust memory or amplify (issue 12, points 2, 5 and 9).

Each build runs as a real child process (``python -m kpireport``) under an address-space limit
(``RLIMIT_AS``) and a wall-clock limit; its peak memory is the ``ru_maxrss`` that ``wait4``
reports for it. What must hold: a chart of any numbers is drawn in bounded time; the build key
holds a logo's hash, not its bytes, so a logo named by 1,000 departments costs what one does; a
logo is decoded once per build, under 25 megapixels, scaled down once to what print needs, and
embedded once per PDF (the board pack included); no library's warning reaches the terminal; a
word too long for its line is broken, and only such a word.
"""

from __future__ import annotations

import copy
import datetime as dt
import os
import random
import resource
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from PIL import Image

from kpireport import assets
from kpireport.build import BuildOptions, build
from tests.conftest import kpi_row, valid_sheets, write_workbook

ROOT = Path(__file__).resolve().parents[2]
MB = 1024 * 1024


# --- child processes ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Child:
    """How a child process ended: exit code (negative: the signal that killed it), output, wall
    time and peak resident memory."""

    code: int
    stdout: str
    stderr: str
    seconds: float
    peak_mb: float
    timed_out: bool


def run_child(args: list[str], cwd: Path, timeout: float = 120, memory_mb: int = 2048) -> Child:
    """``python args`` in ``cwd`` under ``memory_mb`` of address space (each process: the
    builder and its PDF workers); killed with its workers after ``timeout`` seconds."""

    def limit() -> None:
        size = memory_mb * MB
        resource.setrlimit(resource.RLIMIT_AS, (size, size))

    out, err = cwd / "child.out", cwd / "child.err"
    start = time.monotonic()
    with out.open("wb") as stdout, err.open("wb") as stderr:
        proc = subprocess.Popen(
            [sys.executable, *args],
            cwd=cwd,
            stdout=stdout,
            stderr=stderr,
            stdin=subprocess.DEVNULL,
            preexec_fn=limit,
            start_new_session=True,  # its workers too are killed on a timeout
            env={**os.environ, "NO_COLOR": "1", "PYTHONPATH": str(ROOT)},
        )
        timed_out = False
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() - start > timeout:
                timed_out = True
                os.killpg(proc.pid, signal.SIGKILL)
            time.sleep(0.05)
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    return Child(
        proc.returncode,
        out.read_text(errors="replace"),
        err.read_text(errors="replace"),
        time.monotonic() - start,
        usage.ru_maxrss / 1024,
        timed_out,
    )


def kpireport(cwd: Path, *args: str, timeout: float = 120, memory_mb: int = 2048) -> Child:
    """The kpireport command line in a child process."""
    return run_child(["-m", "kpireport", *args], cwd, timeout, memory_mb)


# --- workbooks ----------------------------------------------------------------------------------


def departments(
    folder: Path, count: int, logo: str | None = None, settings_logo: str | None = None
) -> Path:
    """A valid workbook of ``count`` departments of one KPI each, every department naming
    ``logo``; the company's logo is ``settings_logo``."""
    sheets = copy.deepcopy(valid_sheets())
    sheets["Departments"] = [["department", "head", "email", "color", "logo"]]
    sheets["KPIs"] = sheets["KPIs"][:1]
    sheets["Measurements"] = sheets["Measurements"][:1]
    sheets["Benchmarks"] = sheets["Benchmarks"][:1]
    for n in range(count):
        name, kpi = f"Department {n:04d}", f"D{n:04d}"
        sheets["Departments"].append([name, "Head", None, None, logo])
        sheets["KPIs"].append(kpi_row(id=kpi, department=name))
        sheets["Measurements"] += [[kpi, dt.date(2026, m, 1), 40 + m, None] for m in (1, 2, 3)]
    if settings_logo:
        sheets["Settings"].append(["logo", settings_logo])
    return write_workbook(folder / "wb.xlsx", sheets)


def noise_png(path: Path, side: int, seed: int = 0) -> Path:
    """A PNG of random pixels (the same for the same ``seed``): it does not compress, so its file
    is as large as its pixels."""
    Image.frombytes("RGB", (side, side), random.Random(seed).randbytes(side * side * 3)).save(path)
    return path


def plain_png(path: Path, width: int, height: int) -> Path:
    """A one-bit PNG: thousands of pixels a side in a few kilobytes."""
    Image.new("1", (width, height), 1).save(path, optimize=True)
    return path


def images(pdf: Path) -> list[Any]:
    """Every image object the PDF file holds (soft masks too)."""
    with pikepdf.open(pdf) as doc:
        return [
            (int(o.Width), int(o.Height))
            for o in doc.objects
            if isinstance(o, pikepdf.Stream) and o.get("/Subtype") == "/Image"
        ]


# --- point 2: bounded loops, and a build key that hashes files ---------------------------------


@pytest.mark.slow
def test_a_chart_of_values_at_the_limit_of_float_precision_is_drawn(tmp_path: Path) -> None:
    """9e14 and a target 0.125 above it: 1/8 is one unit in the last place there, and the tick
    loop stepped by less than that (9e14 + 0.05 == 9e14) for ever, growing 140 MB/s."""
    sheets = copy.deepcopy(valid_sheets())
    sheets["KPIs"][1] = kpi_row(target=9e14 + 0.125, baseline=None, baseline_date=None)
    sheets["Measurements"][1:] = [["SALES-01", dt.date(2026, m, 1), 9e14, None] for m in (1, 2, 3)]
    sheets["Benchmarks"] = sheets["Benchmarks"][:1]  # a benchmark of 50 would widen the axis
    write_workbook(tmp_path / "wb.xlsx", sheets)
    child = kpireport(tmp_path, "build", "wb.xlsx", "-o", "out", "--format", "pdf,html", "-j", "1")
    assert not child.timed_out and child.code == 0, child.stderr[-2000:]
    assert child.seconds < 60 and child.peak_mb < 600, child
    page = (tmp_path / "out" / "wb" / "2026-06-30" / "sales.html").read_text()
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="chart"' in page


def test_the_build_key_holds_a_logos_hash_not_its_bytes(tmp_path: Path) -> None:
    """1,000 departments naming one 2 MB logo: the key took 2 GB of JSON (MemoryError)."""
    noise_png(tmp_path / "logo.png", 800)
    assert 1.5 * MB < (tmp_path / "logo.png").stat().st_size <= assets.MAX_IMAGE_BYTES
    departments(tmp_path, 1000, logo="logo.png")
    code = (
        "from pathlib import Path\n"
        "from kpireport.build import BuildOptions\n"
        "from kpireport.buildcache import build_key\n"
        "from kpireport.validate import check\n"
        "workbook, report = check(Path('wb.xlsx'))\n"
        "assert report.valid, report.issues\n"
        "print(build_key(workbook, BuildOptions(), 'templates'))\n"
    )
    child = run_child(["-c", code], tmp_path, timeout=120, memory_mb=1024)
    assert child.code == 0, child.stderr[-2000:]
    assert child.peak_mb < 300 and child.seconds < 30, child
    key = child.stdout.strip()
    # the same file: the same key; other bytes: another key
    assert run_child(["-c", code], tmp_path).stdout.strip() == key
    noise_png(tmp_path / "logo.png", 700)
    assert run_child(["-c", code], tmp_path).stdout.strip() not in ("", key)


@pytest.mark.slow
def test_a_logo_named_by_300_departments_is_read_and_encoded_once(tmp_path: Path) -> None:
    """The build's memory follows the pages it writes, not the times a logo is named (300
    rows naming one 2 MB logo took 2.35 GB)."""
    noise_png(tmp_path / "logo.png", 800)
    departments(tmp_path, 300, logo="logo.png")
    child = kpireport(
        tmp_path, "build", "wb.xlsx", "-o", "out", "--format", "html,json", "-j", "1",
        timeout=180, memory_mb=1536,
    )  # fmt: skip
    assert child.code == 0, child.stderr[-2000:]
    assert child.peak_mb < 500, child
    page = (tmp_path / "out" / "wb" / "2026-06-30" / "department-0299.html").read_text()
    assert page.count('<img src="data:image/png;base64,') == 1
    assert len(page) < 600_000  # the logo scaled to print size, not the 2 MB file


# --- point 5: logos decoded once, under a pixel limit, scaled, embedded once --------------------


@pytest.mark.parametrize("side", [13_000, 30_000])
def test_a_logo_of_more_than_25_megapixels_is_refused_with_a_reason(
    tmp_path: Path, side: int
) -> None:
    """A 20 KB PNG of 13,000 x 13,000 pixels was decoded for every PDF; one of 30,000 x 30,000
    (over Pillow's bomb limit) was dropped without a word."""
    plain_png(tmp_path / "logo.png", side, side)
    assert (tmp_path / "logo.png").stat().st_size < 200_000
    sheets = valid_sheets()
    sheets["Settings"].append(["logo", "logo.png"])  # B5
    write_workbook(tmp_path / "wb.xlsx", sheets)
    child = kpireport(tmp_path, "validate", "wb.xlsx", timeout=60, memory_mb=1024)
    assert child.code == 0, child.stderr
    text = " ".join(child.stdout.split())  # as wrapped for the terminal
    assert "B5 warning The logo 'logo.png' is not used: the image has more than 25 megapixels" in (
        text
    )
    assert "[bad-logo]" in text
    assert "Warning" not in child.stderr and child.peak_mb < 300, child


@pytest.mark.slow
def test_a_bomb_logo_prints_nothing_under_quiet_and_costs_nothing(tmp_path: Path) -> None:
    """Pillow's DecompressionBombWarning reached the terminal from every PDF worker despite -q,
    and each department took seconds and hundreds of MB to decode and re-compress it."""
    plain_png(tmp_path / "logo.png", 13_000, 13_000)
    departments(tmp_path, 2, settings_logo="logo.png")
    child = kpireport(tmp_path, "build", "wb.xlsx", "-o", "out", "-q", "-j", "1", timeout=300)
    assert child.code == 0, child.stderr[-2000:]
    assert child.stderr == ""
    assert child.seconds < 45 and child.peak_mb < 600, child
    assert images(tmp_path / "out" / "wb" / "2026-06-30" / "board-pack.pdf") == []
    child = kpireport(tmp_path, "build", "wb.xlsx", "-o", "out", "--force", "-j", "1")
    assert "Settings!B5: warning: The logo 'logo.png' is not used: the image has more than 25" in (
        child.stderr
    )


@pytest.mark.slow
def test_a_large_logo_is_scaled_once_and_shared_by_every_page_of_the_board_pack(
    tmp_path: Path,
) -> None:
    """A 4,000 x 1,200 logo is printed at most 200 x 60 pt: 833 x 250 pixels at 300 dpi are all
    a page needs. The board pack held one copy per part (cover, and each department's pages)."""
    plain_png(tmp_path / "logo.png", 4_000, 1_200)
    departments(tmp_path, 3, settings_logo="logo.png")
    child = kpireport(tmp_path, "build", "wb.xlsx", "-o", "out", "-j", "2", timeout=300)
    assert child.code == 0, child.stderr[-2000:]
    folder = tmp_path / "out" / "wb" / "2026-06-30"
    for pdf in sorted(folder.glob("*.pdf")):
        assert images(pdf) == [(833, 250)], pdf.name
    with pikepdf.open(folder / "board-pack.pdf") as pack:
        drawn = {
            image.objgen
            for page in pack.pages
            for image in page.get_images().values()  # the logo, where a page shows it
        }
        pages = sum(1 for page in pack.pages if page.get_images())
    assert len(drawn) == 1 and pages >= 4  # the cover and three departments


def test_a_logo_is_decoded_once_per_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Validation, the build key and the pages all check the logo: decoded the first time only,
    the same file named by the company and five departments."""
    plain_png(tmp_path / "logo.png", 2_000, 600)
    departments(tmp_path, 5, logo="logo.png", settings_logo="logo.png")
    decoded: list[str] = []
    real = assets._decode

    def counted(data: bytes, mime: str, digest: str) -> assets.Checked:
        decoded.append(digest)
        return real(data, mime, digest)

    monkeypatch.setattr(assets, "_decode", counted)
    monkeypatch.setattr(assets, "_PREPARED", type(assets._PREPARED)())
    [result] = build([tmp_path / "wb.xlsx"], tmp_path / "out", BuildOptions(formats=("html",)))
    assert result.ok and result.report.issues == []
    assert len(decoded) == 1


def _damaged_images(folder: Path) -> list[str]:
    """A PNG cut short, and one with junk after its header, in ``folder``: both pass the magic
    bytes check."""
    noise = noise_png(folder / "noise.png", 200).read_bytes()
    (folder / "cut.png").write_bytes(noise[: len(noise) // 2])
    (folder / "junk.png").write_bytes(noise[:33] + random.Random(1).randbytes(5000))
    return ["cut.png", "junk.png"]


def test_a_damaged_image_is_refused_at_validation(tmp_path: Path) -> None:
    """A damaged PNG is refused when decoded, at validation, not dropped by the renderer later
    without a word."""
    for name in _damaged_images(tmp_path):
        assert assets.check_image(name, tmp_path).reason == "damaged", name
    assert assets.check_image("noise.png", tmp_path).uri is not None


def test_a_damaged_image_is_refused_after_weasyprint_is_imported(tmp_path: Path) -> None:
    """WeasyPrint sets Pillow's LOAD_TRUNCATED_IMAGES for the whole process when it is imported,
    and a PNG cut short then decoded with its missing half grey: the check does not depend on
    what else the process imported (the test passed or failed by the tests run before it)."""
    import weasyprint.images  # noqa: F401  (what sets the flag)
    from PIL import ImageFile

    assert ImageFile.LOAD_TRUNCATED_IMAGES
    for name in _damaged_images(tmp_path):
        assets._PREPARED.clear()  # decoded anew, not taken from an earlier test's check
        assert assets.check_image(name, tmp_path).reason == "damaged", name
    assert ImageFile.LOAD_TRUNCATED_IMAGES, "WeasyPrint's setting is left as it was"


# --- point 9: a word too long for its line ---------------------------------------------------

LONG = "x" * 1000  # wider than any line of a page (the issue's was 5,000 characters)
ORDINARY = "Customers who signed a first paid order in the month"


@pytest.fixture(scope="module")
def long_words(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The HTML of the PDF documents of a workbook with a 1,000-character word in every text a
    page shows: company, title, department, head, KPI name and its texts, note, benchmark."""
    from kpireport.buildcache import templates_digest
    from kpireport.buildplan import plan_set
    from kpireport.engine import compute
    from kpireport.render.documents import (
        board_pack_cover_html,
        board_pack_summary_html,
        department_html,
    )
    from kpireport.validate import check

    sheets = copy.deepcopy(valid_sheets())
    department = "Sales" + LONG
    sheets["Settings"][1][1] = "C" + LONG
    sheets["Settings"].append(["title", "T" + LONG])
    sheets["Departments"][1][:2] = [department, "H" + LONG]
    long_kpi = {f: f[0].upper() + LONG for f in ("objective", "owner", "data_source")}
    sheets["KPIs"][1] = kpi_row(department=department, name="N" + LONG, **long_kpi)
    sheets["KPIs"].append(kpi_row(id="SALES-02", department=department, name=ORDINARY))
    sheets["Measurements"][2][3] = "M" + LONG
    sheets["Measurements"].append(["SALES-02", dt.date(2026, 6, 1), 3, None])
    sheets["Benchmarks"][1][1] = "B" + LONG
    path = write_workbook(tmp_path_factory.mktemp("long") / "wb.xlsx", sheets)
    workbook, report = check(path)
    results = compute(workbook, report)
    plan = plan_set(workbook, results, report, BuildOptions(), templates_digest(None))
    [dept] = plan.departments
    return {
        "department": department_html(plan.rs, dept),
        "cover": board_pack_cover_html(plan.rs, {"summary": 3, dept.name: 4}),
        "summary": board_pack_summary_html(plan.rs),
    }


def _text_boxes(box: Any, ancestors: tuple[Any, ...] = ()) -> Any:
    """(text box, the boxes it is inside) for every piece of text laid out."""
    from weasyprint.formatting_structure import boxes

    if isinstance(box, boxes.TextBox):
        yield box, ancestors
    for child in getattr(box, "children", ()):
        yield from _text_boxes(child, (*ancestors, box))


@pytest.mark.slow
@pytest.mark.parametrize("document", ["department", "cover", "summary"])
def test_a_word_too_long_for_its_line_is_broken_and_only_such_a_word(
    long_words: dict[str, str], document: str
) -> None:
    """The 1,000-character word stays inside the page, a KPI name inside its table cell (it
    printed over the row's numbers), and an ordinary name's words are never split."""
    import weasyprint

    start = time.monotonic()
    rendered = weasyprint.HTML(string=long_words[document]).render()
    assert time.monotonic() - start < 60  # "overflow-wrap: anywhere" took minutes
    ordinary_words = set(ORDINARY.split())
    for page in rendered.pages:
        box = page._page_box
        right = box.content_box_x() + box.width
        for text, ancestors in _text_boxes(box):
            if "xxxxxxxx" in text.text:
                assert text.position_x + text.width <= right + 0.5, text.text[:20]
            cell = next((a for a in reversed(ancestors) if a.element_tag == "td"), None)
            if cell is not None and "xxxxxxxx" in text.text:
                assert text.position_x + text.width <= cell.position_x + cell.width + 0.5
            if any(a.element is not None and a.element.text == ORDINARY for a in ancestors):
                assert set(text.text.split()) <= ordinary_words, text.text
