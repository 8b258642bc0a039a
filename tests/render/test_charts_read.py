"""Issue 16, point 1: a KPI chart can be read on paper. Every KPI of both samples, in English,
Danish and Swedish: the value axis says its unit, the time axis has a label at least every
quarter, every line is labelled with words that differ at a glance, and no two texts overlap or
leave the chart, measured with the real fonts (Inter, and DejaVu Sans where Inter is missing)."""

from __future__ import annotations

import functools
import itertools
import subprocess
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from babel.dates import get_month_names
from fontTools.ttLib import TTFont

import kpireport
from kpireport.engine import KpiResult
from kpireport.i18n import get_locale
from kpireport.render.charts import HEIGHT, WIDTH, kpi_chart
from tests.conftest import SAMPLES

SVG = "{http://www.w3.org/2000/svg}"
LANGS = ("en", "da", "sv")
# The unit each value axis must say, by KPI and language, besides "%" for every percentage.
UNITS = {
    "SALES-03": {"en": "DKK", "da": "kr.", "sv": "Dkr"},
    "SALG-03": {"en": "DKK", "da": "kr.", "sv": "Dkr"},
    "CS-02": {"en": "hours", "da": "timer", "sv": "timmar"},
    "HR-02": {"en": "days", "da": "dage", "sv": "dagar"},
    "MKT-01": {"en": "visits", "da": "visits", "sv": "visits"},
    "MARK-01": {"en": "besøg", "da": "besøg", "sv": "besøg"},
}


@functools.cache
def sample_kpis() -> dict[str, KpiResult]:
    return {
        k.id: k
        for name in ("acme-en.xlsx", "fjordsol-da.xlsx")
        for d in kpireport.compute(kpireport.load(SAMPLES / name)).departments
        for k in d.kpis
    }


CASES = [(kpi, lang) for kpi in ("acme", "fjordsol") for lang in LANGS]
KPI_IDS = sorted(sample_kpis())


def chart(kpi_id: str, lang: str) -> ET.Element:
    return ET.fromstring(kpi_chart(sample_kpis()[kpi_id], get_locale(lang), "#1F4E79", "#F2A900"))


def role(root: ET.Element, name: str) -> list[ET.Element]:
    return [t for t in root.iter(f"{SVG}text") if t.get("class") == f"c-{name}"]


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("kpi_id", KPI_IDS)
def test_the_value_axis_says_its_unit(kpi_id: str, lang: str) -> None:
    kpi = sample_kpis()[kpi_id]
    root = chart(kpi_id, lang)
    if kpi.unit_kind == "percent":
        assert [t.text for t in role(root, "unit")] == ["%"]
    elif kpi_id in UNITS:
        assert [t.text for t in role(root, "unit")] == [UNITS[kpi_id][lang]]


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("kpi_id", KPI_IDS)
def test_the_time_axis_has_a_label_at_least_every_quarter(kpi_id: str, lang: str) -> None:
    """A month named at least every three months, with its year, on the charts of up to three
    years (most of both samples' span two years and more: January 2025 or November 2024 to a
    deadline in 2026 or 2027); on longer ones (HR-02, to December 2027) every six."""
    kpi = sample_kpis()[kpi_id]
    root = chart(kpi_id, lang)
    names = get_month_names("abbreviated", locale=get_locale(lang).babel)
    month = {name.rstrip(".")[:3]: n for n, name in names.items()}
    labels = [month[t.text or ""] for t in role(root, "time")]
    start = min(kpi.series[0].end, kpi.baseline_date or kpi.series[0].end)
    end = max(kpi.deadline, kpi.series[-1].end)
    months = (end.year - start.year) * 12 + end.month - start.month
    gaps = [(b - a) % 12 or 12 for a, b in itertools.pairwise(labels)]
    assert gaps and max(gaps) <= (3 if months <= 36 else 6), labels
    assert len(labels) >= months // (3 if months <= 36 else 6)
    assert role(root, "year")


def test_most_sample_charts_span_two_years_and_more() -> None:
    spans = [
        (
            max(k.deadline, k.series[-1].end)
            - min(k.series[0].end, k.baseline_date or k.series[0].end)
        ).days
        for k in sample_kpis().values()
    ]
    assert sum(days >= 700 for days in spans) >= 20


@functools.cache
def fonts() -> list[TTFont]:
    """Inter regular and semibold, and DejaVu Sans and its bold, as fontconfig finds them."""
    found = []
    for query in ("Inter", "Inter:style=Semi Bold", "DejaVu Sans", "DejaVu Sans:bold"):
        path = subprocess.run(
            ["fc-match", "-f", "%{file}", query], capture_output=True, text=True, check=True
        ).stdout
        found.append(TTFont(path))
    return found


def width(text: str, size: float, bold: bool) -> float:
    """The widest ``text`` is set in, in Inter or DejaVu Sans, at ``size``."""
    widths = []
    for font in fonts()[1::2] if bold else fonts()[::2]:
        cmap, metrics = font.getBestCmap(), font["hmtx"]
        units = sum(metrics[cmap[ord(c)]][0] for c in text)
        widths.append(units / font["head"].unitsPerEm * size)
    return max(widths)


def boxes(root: ET.Element) -> list[tuple[float, float, float, float, str]]:
    """(left, top, right, bottom, text) of every text's ink, roughly: its width in the real
    fonts, from 0.8 of its size above the baseline to a quarter below."""
    out = []
    for t in root.iter(f"{SVG}text"):
        size = float(t.get("font-size", "0"))
        text = t.text or ""
        w = width(text, size, t.get("font-weight") == "600")
        x, y = float(t.get("x", "0")), float(t.get("y", "0"))
        left = {"start": x, "middle": x - w / 2, "end": x - w}[t.get("text-anchor", "start")]
        out.append((left, y - 0.8 * size, left + w, y + 0.25 * size, text))
    return out


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("kpi_id", KPI_IDS)
def test_no_two_texts_overlap_and_all_stay_inside(kpi_id: str, lang: str) -> None:
    placed = boxes(chart(kpi_id, lang))
    for left, top, right, bottom, text in placed:
        assert left >= 0 and right <= WIDTH and top >= 0 and bottom <= HEIGHT, text
    for a, b in itertools.combinations(placed, 2):
        apart = a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]
        assert apart, (a, b)


def _distance(a: str, b: str) -> int:
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("kpi_id", KPI_IDS)
def test_every_line_is_labelled_with_words_that_differ_at_a_glance(kpi_id: str, lang: str) -> None:
    """The actual values, the target (or a keep KPI's limit and the band it allows), the plan,
    the benchmark and the forecast each have their label; no label is another's beginning or
    differs from it by fewer than three letters ("målt" beside "mål")."""
    kpi: Any = sample_kpis()[kpi_id]
    locale = get_locale(lang)
    words = [t.text or "" for t in role(chart(kpi_id, lang), "line")]
    expected = ["actual"] + (["limit", "allowed"] if kpi.goal == "keep" else ["target"])
    expected += ["plan"] if kpi.plan is not None and kpi.goal != "keep" else []
    expected += ["benchmark"] if kpi.benchmarks else []
    expected += ["forecast"] if kpi.forecast and kpi.forecast.value is not None else []
    assert sorted(words) == sorted(locale.pgettext("chart", w) for w in expected)
    for a, b in itertools.combinations(words, 2):
        assert not a.startswith(b) and not b.startswith(a), (a, b)
        assert _distance(a, b) >= 3, (a, b)
