"""Issue 16, point 1: no text in any PDF is smaller than 7 pt, checked over every run of glyphs
of every PDF of the three shared builds: charts, tiles, tables, the running header and footer, the
contents page.

The size is exact, not estimated from word boxes: each text-showing operator's font size
(``Tf``) through its text matrix (``Tm``, ``Td``) and the current transformation matrix, down
through the form XObjects that hold the charts and the running header and footer (their
``/Matrix``). A glyph squeezed in one direction counts at its smaller scale."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pikepdf

from tests.presentation.conftest import Presented

SMALLEST = 7.0  # pt
# PDF numbers are written to a few decimals: 7 pt may be drawn as 6.9999
TOLERANCE = 0.005

Matrix = tuple[float, float, float, float, float, float]
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
SHOW = {"Tj", "TJ", "'", '"'}


def _times(m: Matrix, n: Matrix) -> Matrix:
    """The matrix product m × n (m applied first), as PDF's operators compose them."""
    a, b, c, d, e, f = m
    p, q, r, s, t, u = n
    return (
        a * p + b * r,
        a * q + b * s,
        c * p + d * r,
        c * q + d * s,
        e * p + f * r + t,
        e * q + f * s + u,
    )


def _matrix(operands: list[object]) -> Matrix:
    a, b, c, d, e, f = (float(x) for x in operands)  # type: ignore[arg-type]
    return (a, b, c, d, e, f)


def glyph_runs(
    stream: pikepdf.Object, resources: pikepdf.Object, ctm: Matrix = IDENTITY
) -> Iterator[tuple[float, float, float]]:
    """(size in pt, x, y on the page) of each run of glyphs drawn by ``stream`` and the forms it
    draws; invisible text (render mode 3) is not drawn, so not counted."""
    saved: list[Matrix] = []
    text = line = IDENTITY
    size, scale, mode = 0.0, 1.0, 0
    for instruction in pikepdf.parse_content_stream(stream):
        op, args = str(instruction.operator), list(instruction.operands)
        if op == "q":
            saved.append(ctm)
        elif op == "Q":
            ctm = saved.pop()
        elif op == "cm":
            ctm = _times(_matrix(args), ctm)
        elif op == "BT":
            text = line = IDENTITY
        elif op == "Tf":
            size = float(args[1])
        elif op == "Tz":
            scale = float(args[0]) / 100
        elif op == "Tr":
            mode = int(args[0])
        elif op == "Tm":
            text = line = _matrix(args)
        elif op in ("Td", "TD"):
            text = line = _times((1, 0, 0, 1, float(args[0]), float(args[1])), line)
        elif op in SHOW and mode != 3:
            a, b, c, d, e, f = _times(text, ctm)
            tall, wide = size * (c * c + d * d) ** 0.5, size * scale * (a * a + b * b) ** 0.5
            yield min(tall, wide), e, f
        elif op == "Do":
            form = resources.XObject[args[0]]
            if form.Subtype == "/Form":
                inner = _times(_matrix(list(form.get("/Matrix", IDENTITY))), ctm)
                yield from glyph_runs(form, form.get("/Resources", resources), inner)


def _words_at(pdf: Path, page: int, x: float, y: float, height: float) -> str:
    """The words pdftotext finds at (x, y) in PDF space, to name the text in a failure."""
    out = subprocess.run(
        ["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    top = height - y
    words = []
    for row in out.splitlines():
        if row.lstrip().startswith("<word "):
            attrs = dict(part.split("=", 1) for part in row.split(">")[0].split()[1:])
            x0, x1, y0, y1 = (float(attrs[k].strip('"')) for k in ("xMin", "xMax", "yMin", "yMax"))
            if x0 - 1 <= x <= x1 + 1 and y0 - 1 <= top <= y1 + 1:
                words.append(row.split(">")[1].split("<")[0])
    return " ".join(words) or "?"


def small_text(pdf: Path) -> list[str]:
    """Each run of glyphs under :data:`SMALLEST`, as "page n: size pt", the first few with
    their words."""
    found = []
    with pikepdf.open(pdf) as doc:
        for n, page in enumerate(doc.pages, 1):
            height = float(page.mediabox[3])
            for size, x, y in glyph_runs(page.obj, page.Resources):
                if size < SMALLEST - TOLERANCE:
                    words = _words_at(pdf, n, x, y, height) if len(found) < 3 else ""
                    found.append(f"page {n}: {size:.2f} pt {words}".rstrip())
    return found


def test_the_measure_reads_the_sizes_css_sets(presented: Presented) -> None:
    """The check itself: the masthead's 20 pt department name and 10 pt body text are found at
    their sizes, so a size it reports is the size drawn."""
    with pikepdf.open(presented.pdfs("acme-en")[1]) as doc:
        sizes = {
            round(size, 2)
            for page in doc.pages
            for size, *_ in glyph_runs(page.obj, page.Resources)
        }
    assert {20.0, 10.5, 8.5} <= sizes


def test_no_text_in_any_pdf_is_smaller_than_7_pt(presented: Presented) -> None:
    pdfs = presented.pdfs()
    assert len(pdfs) == 15
    small = {pdf.relative_to(presented.root).as_posix(): small_text(pdf) for pdf in pdfs}
    small = {name: runs for name, runs in small.items() if runs}
    assert not small, "\n".join(
        f"{name}: {len(runs)} runs, e.g. {runs[:3]}" for name, runs in small.items()
    )
