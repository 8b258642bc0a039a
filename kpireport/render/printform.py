"""The print form of a report's HTML: what WeasyPrint lays out for a PDF, the same pages for
less work.

The HTML file keeps its charts inline, because a reader on screen can focus each measured point
(``tabindex``) and read its period and value (its ``<title>``). On paper nobody can, and those
points are most of what WeasyPrint lays out: each element of an inline SVG goes through the HTML
parser and the CSS cascade like any paragraph (a department of 25 KPIs has about 2,300 SVG
elements against 1,900 of HTML). So, for the PDF:

- each chart and sparkline becomes an ``<img>`` of the same SVG as a ``data:`` URL, parsed by
  the XML parser and never cascaded, its text alternative the ``alt`` that a tagged PDF turns
  into the figure's ``/Alt``;
- the points of a chart, one ``<circle>`` with a ``<title>`` each, become one ``<path>`` per
  colour of zero-length round-capped strokes: the same discs, two elements instead of two per
  point.

Only markup that kpireport's own chart code writes is rewritten (``charts.kpi_chart``,
``since.sparkline``, ``home.sparkline``): every text from a workbook in it is escaped, so no
workbook can write an ``<svg class="chart"`` or a ``</svg>`` of its own.
"""

from __future__ import annotations

import base64
import re
from collections import defaultdict

# An inline chart or sparkline as the chart code writes it (class first after xmlns).
_SVG = re.compile(
    r'<svg xmlns="http://www\.w3\.org/2000/svg" class="(chart|spark)"[^>]*>.*?</svg>', re.S
)
_LABEL = re.compile(r'\baria-label="([^"]*)"')
# A measured point of a chart (charts.kpi_chart): a disc to focus, with its period and value.
_POINT = re.compile(
    r'<circle cx="([-\d.]+)" cy="([-\d.]+)" r="([\d.]+)" fill="([^"]+)" tabindex="0">'
    r"<title>[^<]*</title></circle>"
)


def _discs(svg: str) -> str:
    """``svg`` with its focusable points drawn as one path per radius and colour."""
    points: defaultdict[tuple[str, str], list[str]] = defaultdict(list)

    def take(match: re.Match[str]) -> str:
        x, y, r, fill = match.groups()
        points[r, fill].append(f"M{x} {y}h0")
        return ""

    svg = _POINT.sub(take, svg)
    if not points:
        return svg
    paths = "".join(
        f'<path d="{"".join(moves)}" fill="none" stroke="{fill}" '
        f'stroke-width="{2 * float(r):g}" stroke-linecap="round"/>'
        for (r, fill), moves in points.items()
    )
    return svg.replace("</svg>", paths + "</svg>")


def _image(match: re.Match[str]) -> str:
    svg = _discs(match.group(0))
    label = _LABEL.search(svg)
    alt = f' alt="{label.group(1)}"' if label else ' alt=""'  # already escaped as an attribute
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return f'<img class="{match.group(1)}" src="data:image/svg+xml;base64,{data}"{alt}>'


def for_print(html: str) -> str:
    """``html`` as WeasyPrint should lay it out for a PDF (see the module's docstring)."""
    return _SVG.sub(_image, html)
