"""The print form of a report (kpireport/render/printform.py): the same charts, as images, with
their points drawn as one path per colour, and nothing else of the page touched."""

from __future__ import annotations

import base64
import datetime as dt
import re
import xml.etree.ElementTree as ET
from pathlib import Path

from kpireport.i18n import get_locale
from kpireport.render.charts import kpi_chart
from kpireport.render.printform import for_print
from tests.engine.user_workbooks import compute_sheets, only_kpi, user_sheets

SVG = "{http://www.w3.org/2000/svg}"


def _chart(tmp_path: Path, name: str = 'Sales <&> "more"') -> str:
    kpi = {"name": name, "unit": "DKK", "target": 2000, "baseline": 1000, "aggregation": "last"}
    months = [(dt.date(2026, m, 28), 1200 + 50 * m) for m in range(1, 7)]
    result = only_kpi(
        compute_sheets(tmp_path, user_sheets(kpi, months, report_date=dt.date(2026, 6, 30)))
    )
    return kpi_chart(result, get_locale("en"), "#1F4E79", "#F2A900", alt='Sales: <up> & "on"')


def _images(html: str) -> list[tuple[ET.Element, str]]:
    found = []
    for tag in re.findall(r"<img [^>]*>", html):
        src = re.search(r'src="data:image/svg\+xml;base64,([^"]+)"', tag)
        assert src, tag
        alt = re.search(r'alt="([^"]*)"', tag)
        found.append((ET.fromstring(base64.b64decode(src.group(1))), alt.group(1) if alt else None))
    return found


def test_a_chart_becomes_an_image_of_the_same_drawing_with_its_points_as_one_path(
    tmp_path: Path,
) -> None:
    chart = _chart(tmp_path)
    page = f"<main><p>before &lt;svg class=&quot;chart&quot;&gt;</p>{chart}<p>after</p></main>"
    printed = for_print(page)
    assert "<svg" not in printed
    assert printed.startswith("<main><p>before &lt;svg class=&quot;chart&quot;&gt;</p><img ")
    assert printed.endswith("<p>after</p></main>")
    [(svg, alt)] = _images(printed)
    # the text alternative is kept, escaped as it was
    assert alt == "Sales: &lt;up&gt; &amp; &quot;on&quot;"
    original = ET.fromstring(chart)
    points = [c for c in original.iter(f"{SVG}circle") if c.get("tabindex") == "0"]
    assert len(points) == 6
    assert not [c for c in svg.iter(f"{SVG}circle") if c.get("tabindex") == "0"]
    # every point is still drawn, at its place, as a zero-length round-capped stroke
    [discs] = [
        p
        for p in svg.iter(f"{SVG}path")
        if p.get("stroke-linecap") == "round" and "h0" in (p.get("d") or "")
    ]
    drawn = re.findall(r"M([-\d.]+) ([-\d.]+)h0", discs.get("d") or "")
    assert drawn == [(c.get("cx"), c.get("cy")) for c in points]
    assert float(discs.get("stroke-width") or 0) == 2 * float(points[0].get("r") or 0)
    # and nothing else of the drawing changed
    others = [ET.tostring(e) for e in original if e.tag != f"{SVG}circle"]
    assert [ET.tostring(e) for e in svg if e not in [discs]] == others


def test_markup_that_only_looks_like_a_chart_is_left_alone() -> None:
    page = (
        '<p>&lt;svg xmlns="http://www.w3.org/2000/svg" class="chart"&gt;</p><svg class="x"></svg>'
    )
    assert for_print(page) == page
