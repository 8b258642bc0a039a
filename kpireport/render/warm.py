"""Imported only by the PDF workers' fork server (``render.pdfstage`` names it a preload): lays
out and writes one small document there, so that every worker forked from it starts warm.

WeasyPrint does much of its setting up on its first document, not on import: fontconfig reads
its configuration and the fonts, Pango builds its font map and shapes its first glyphs, cffi
parses the C types of each library call, the SVG and PDF writers compile their tables. In a
fresh process that first document took 1.6 s longer than the next (a 16-page department of the
bench workbook, 6.4 s against 4.8 s); done once in the fork server, it is paid once per build
instead of once per worker, and while the main process still reads the workbook, computes the
numbers and writes the HTML.

The document uses what the reports use: Inter in the weights and styles of the stylesheet,
tabular figures, a table, an SVG image with text and a tagged PDF.
"""

from __future__ import annotations

import base64
import contextlib
from pathlib import Path

from kpireport.render.libraries import import_weasyprint
from kpireport.render.pdf import render_pdf

_CHART = base64.b64encode(
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 400 200">'
    b'<polyline points="10,150 200,60 390,90" fill="none" stroke="#1f4e79" stroke-width="2.2"/>'
    b'<path d="M10 150h0M200 60h0" stroke="#1f4e79" stroke-width="4.8" stroke-linecap="round"/>'
    b'<text x="10" y="190" font-family="Inter, DejaVu Sans, sans-serif" font-size="11.2" '
    b'fill="#5f6b7a">Jan 2026</text><text x="390" y="20" text-anchor="end" '
    b'font-family="Inter, DejaVu Sans, sans-serif" font-size="11.2" font-weight="600">'
    b"target</text></svg>"
).decode("ascii")

DOCUMENT = f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>warm</title>
<style>
@page {{ size: A4; margin: 16mm 14mm }}
html {{ font-family: Inter, "DejaVu Sans", sans-serif; font-size: 10pt;
        font-variant-numeric: tabular-nums; hyphens: auto }}
table {{ border-collapse: collapse; width: 100%; table-layout: fixed }}
td, th {{ border-bottom: 1pt solid #d9dee3; padding: 3pt }}
.chip {{ display: inline-block; border-radius: 8pt; padding: 1pt 6pt; background: #e3f1e7 }}
</style></head><body>
<h1>Sales – Salg – Försäljning</h1><h2>Overview</h2>
<p>Total <b>revenue</b> and <i>margin</i>, 1.234.567,89 kr. · £359,800 · 42 % · ▲ ▼ → ±0 pp</p>
<table><thead><tr><th scope="col">KPI</th><th scope="col">Current</th></tr></thead>
<tbody><tr><td>Kundetilfredshedsscore</td><td><span class="chip">on track</span></td></tr></tbody>
</table>
<img src="data:image/svg+xml;base64,{_CHART}" alt="A chart" style="width: 100%">
</body></html>"""


def warm() -> None:
    """Import WeasyPrint without its library look-up (render/libraries.py), then lay out and
    write :data:`DOCUMENT` once, as a report would be (see the docstring). Never fails: it only
    saves time, and the fork server must start whatever happens here."""
    with contextlib.suppress(Exception):
        import_weasyprint()
        render_pdf(DOCUMENT, allowed=[Path(__file__).resolve().parent])


warm()  # on import: the fork server's preload
