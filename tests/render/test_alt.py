"""The chart's text alternative (render/alt.py) in each language: the KPI, its latest value,
its target or limit and its status in words, the numbers as the report writes them."""

from __future__ import annotations

import pytest

import kpireport
from kpireport import labels
from kpireport.render import View
from kpireport.render.alt import chart_text
from tests.conftest import SAMPLES


@pytest.mark.parametrize("sample", ["acme-en", "fjordsol-da"])
def test_every_chart_says_its_kpi_value_target_and_status(sample: str) -> None:
    results = kpireport.compute(kpireport.load(SAMPLES / f"{sample}.xlsx"))
    view = View(results)
    for kpi in (k for d in results.departments for k in d.kpis):
        said = chart_text(view, kpi)
        assert said.startswith(f"{kpi.name}: ")
        assert said.endswith(f"; {labels.status(kpi.status, view.locale)}.")
        assert view.value(kpi, kpi.current) in said
        if kpi.keep is not None:
            assert view.limit(kpi) in said
        else:
            assert view.value(kpi, kpi.target) in said and view.date(kpi.deadline) in said


def test_the_chart_carries_it_as_its_name_and_first_title() -> None:
    results = kpireport.compute(kpireport.load(SAMPLES / "fjordsol-da.xlsx"))
    view = View(results)
    dept = results.departments[0]
    svg = str(view.chart(dept.kpis[0], dept))
    said = chart_text(view, dept.kpis[0])
    assert " i 2026-10 mod et mål på " in said  # in Danish
    head = svg[: svg.index("</title>")]
    assert head.endswith(f"<title>{said}") and f'aria-label="{said}"' in head
