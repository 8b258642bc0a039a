"""kpireport/render/svgtext.py: SVG text drawn a run at a time lands where WeasyPrint's own
drawing puts it, a character at a time; texts it does not handle are WeasyPrint's.

The same page is rendered by plain WeasyPrint in a child process (nothing of kpireport
imported) and by kpireport's render_pdf here, and poppler's ``pdftotext -bbox`` gives every
word's box in both."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pikepdf
import pytest
import weasyprint

from kpireport.render import svgtext
from kpireport.render.pdf import render_pdf

# One unit of the viewBox is one point of the page: positions compare in points.
PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><style>
@page {{ size: 500pt 300pt; margin: 0 }} body {{ margin: 0 }} svg {{ display: block }}
</style></head><body>
<svg xmlns="http://www.w3.org/2000/svg" width="400pt" height="200pt" viewBox="0 0 400 200">
{texts}</svg></body></html>"""
FONT = 'font-family="Inter, DejaVu Sans, sans-serif" font-size="11.2" fill="#5f6b7a"'
SIMPLE = f"""
<text x="200" y="20" {FONT}>Start</text>
<text x="200" y="50" text-anchor="end" {FONT}>1,000</text>
<text x="200" y="80" text-anchor="middle" {FONT}>Deadline 31 Dec 2027</text>
<text x="380" y="110" text-anchor="end" font-weight="700" {FONT}>Kundetilfredshed</text>
<g text-anchor="end"><text x="100" y="140" {FONT}>Inherited</text></g>
"""
# a character placed on its own (dx), a text with a child element, one right to left:
# WeasyPrint's to draw
OWN = f"""
<text x="20" y="170" dx="0 6 6 6" {FONT}>Wide</text>
<text x="300" y="190" text-anchor="end" {FONT}>Two <tspan font-weight="700">parts</tspan></text>
<text x="380" y="150" direction="rtl" {FONT}>Backwards</text>
"""


def words(pdf: Path) -> dict[str, tuple[float, float, float, float]]:
    """Each word of the PDF's one page: its box (xMin, yMin, xMax, yMax) in points."""
    html = subprocess.run(
        ["pdftotext", "-bbox", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, check=True
    ).stdout.decode()
    found = re.findall(
        r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>',
        html,
    )
    return {w: (float(a), float(b), float(c), float(d)) for a, b, c, d, w in found}


def stock(html: str, pdf: Path) -> Path:
    """``html`` rendered by WeasyPrint alone, in a process that never imported kpireport."""
    script = (
        "import sys, weasyprint; weasyprint.HTML(string=sys.stdin.read()).write_pdf(sys.argv[1])"
    )
    subprocess.run([sys.executable, "-c", script, str(pdf)], input=html.encode(), check=True)
    return pdf


def ours(html: str, pdf: Path) -> Path:
    pdf.write_bytes(render_pdf(html, [Path(__file__).parent], tags=False).pdf)
    return pdf


def test_the_installed_weasyprint_is_the_one_this_was_written_for() -> None:
    """A WeasyPrint upgrade leaves SVG text to WeasyPrint (slower, never wrong); this test then
    asks for svgtext.py to be read against the new version and VERSIONS updated."""
    assert weasyprint.__version__ in svgtext.VERSIONS
    assert svgtext.install()
    assert svgtext.install(), "installing twice is harmless"


def test_simple_texts_land_where_weasyprint_puts_them(tmp_path: Path) -> None:
    """Each word within a point of WeasyPrint's place (a run is kerned as one, as a browser
    kerns it, where WeasyPrint set each letter apart: "1,000" is 0.8 pt narrower), and each
    anchor exactly where it was."""
    html = PAGE.format(texts=SIMPLE)
    before = words(stock(html, tmp_path / "stock.pdf"))
    after = words(ours(html, tmp_path / "ours.pdf"))
    assert before.keys() == after.keys()
    assert len(before) == 8
    for word, box in before.items():
        assert after[word] == pytest.approx(box, abs=1.0), word
    # anchored at the end: "1,000" and the bold label end at their x, as the inherited anchor
    for word, end in (("1,000", 200), ("Kundetilfredshed", 380), ("Inherited", 100)):
        assert after[word][2] == pytest.approx(end, abs=0.05), word
    assert after["Start"][0] == pytest.approx(200, abs=0.05)
    # anchored in the middle: the whole label centred on x = 200, as WeasyPrint centred it
    middle = (after["Deadline"][0] + after["2027"][2]) / 2
    assert middle == pytest.approx((before["Deadline"][0] + before["2027"][2]) / 2, abs=0.05)
    assert middle == pytest.approx(200, abs=0.05)


def test_other_texts_are_drawn_by_weasyprint(tmp_path: Path) -> None:
    """A letter placed on its own (dx), a text with a child element and one right to left: as
    WeasyPrint draws them, to the hundredth of a point."""
    html = PAGE.format(texts=OWN)
    before = words(stock(html, tmp_path / "stock.pdf"))
    after = words(ours(html, tmp_path / "ours.pdf"))
    assert {"W", "i", "d", "e", "Two", "parts"} <= before.keys()
    assert len(before) >= 7
    assert before.keys() == after.keys()
    for word, box in before.items():
        assert after[word] == pytest.approx(box, abs=0.01), word


def test_a_simple_text_is_one_run_and_no_form(tmp_path: Path) -> None:
    """What makes it cheaper: WeasyPrint wrote one text matrix per character and a form
    XObject per anchored text; a simple text is one of each, and no form."""
    html = PAGE.format(texts=SIMPLE)

    def counts(pdf: Path) -> tuple[int, int]:
        """(form XObjects, text matrices) of the PDF's page and its forms."""
        with pikepdf.open(pdf) as doc:
            forms = [
                o
                for o in doc.objects
                if isinstance(o, pikepdf.Stream) and o.get("/Subtype") == "/Form"
            ]
            content = doc.pages[0].Contents
            streams = [content] if isinstance(content, pikepdf.Stream) else list(content)
            data = b"".join(s.read_bytes() for s in [*streams, *forms])
            return len(forms), len(re.findall(rb"\bTm\b", data))

    stock_forms, stock_matrices = counts(stock(html, tmp_path / "stock.pdf"))
    our_forms, our_matrices = counts(ours(html, tmp_path / "ours.pdf"))
    assert stock_forms >= 4 and our_forms == 0
    assert stock_matrices > 40  # a character each
    assert our_matrices == 5  # a text each
