"""Issue 16, point 8: each measured point of a chart tells its period and value on hover, with
no script (an SVG <title>), in the report's language and the KPI's unit."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from kpireport.i18n import get_locale
from kpireport.render.charts import kpi_chart
from tests.engine.user_workbooks import compute_sheets, only_kpi, user_sheets

SVG = "{http://www.w3.org/2000/svg}"


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", ["2026-01: DKK 1,200", "2026-02: DKK 1,250.50", "2026-03: DKK 1,310"]),
        ("da", ["2026-01: 1.200 kr.", "2026-02: 1.250,50 kr.", "2026-03: 1.310 kr."]),
    ],
)
def test_every_point_has_a_title_with_its_period_and_value(
    tmp_path: Path, lang: str, expected: list[str]
) -> None:
    kpi = {"unit": "DKK", "target": 2000, "baseline": 1000, "aggregation": "last"}
    months = [(dt.date(2026, 1, 31), 1200), (dt.date(2026, 2, 28), 1250.5)]
    months.append((dt.date(2026, 3, 31), 1310))
    result = only_kpi(
        compute_sheets(tmp_path, user_sheets(kpi, months, report_date=dt.date(2026, 3, 31)))
    )
    svg = ET.fromstring(kpi_chart(result, get_locale(lang), "#1F4E79", "#F2A900"))
    circles = svg.findall(f"{SVG}circle")
    assert [c.findtext(f"{SVG}title") for c in circles] == expected
