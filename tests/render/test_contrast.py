"""Issue 16, point 4 (the HTML part): text reads at a contrast of at least 4.5:1, in the palette
of style.css and the index page, light and dark, and in a workbook's own brand colours, which
are darkened (or lightened) for text when they are too pale to carry it."""

from __future__ import annotations

import colorsys
import re

import pytest

from kpireport.render import View
from kpireport.render.contrast import DARK, WHITE, luminance, ratio, readable, rgb
from kpireport.resources import template_text

STATUSES = ("achieved", "on_track", "at_risk", "off_track", "missed", "no_data", "too_early")
# Pale brand colours a workbook may hold (the light workbook of tests/presentation's), and the
# samples' own.
PALE = ("#FFE9A8", "#FFF8E1", "#FFF4C2", "#E8F4FF", "#EAF7EA", "#FDE8EC", "#F2A900", "#F6AE2D")
DEEP = ("#1F4E79", "#C0504D", "#2E8B57", "#3C8D5A", "#D1495B", "#000000")


def palette(css: str) -> dict[str, str]:
    """The colour variables of a block of CSS: ``{"--ink": "#1f2933", ...}``."""
    return dict(re.findall(r"(--[\w-]+):\s*(#[0-9a-fA-F]{6})\s*;", css))


def blocks(css: str, opening: str) -> str:
    """The text of the block that ``opening`` starts (up to its matching brace); empty when
    there is no such block."""
    if opening not in css:
        return ""
    start = css.index(opening) + len(opening)
    depth, at = 1, start
    while depth:
        depth += {"{": 1, "}": -1}.get(css[at], 0)
        at += 1
    return css[start : at - 1]


STYLE = template_text("report/style.css")
LIGHT = palette(blocks(STYLE, ":root {"))
DARK_MODE = blocks(STYLE, "@media screen and (prefers-color-scheme: dark) {")
NIGHT = {**LIGHT, **palette(DARK_MODE)}


def test_ratio_is_wcags() -> None:
    assert ratio("#000000", WHITE) == pytest.approx(21)
    assert ratio("#777777", WHITE) == pytest.approx(4.48, abs=0.01)
    assert ratio(WHITE, "#777777") == ratio("#777777", WHITE)


@pytest.mark.parametrize("name", ["ink", "muted", *STATUSES])
def test_text_colours_read_on_the_page_and_the_tiles(name: str) -> None:
    for background in (WHITE, LIGHT["--soft"]):
        assert ratio(LIGHT[f"--{name}"], background) >= 4.5, (name, background)


@pytest.mark.parametrize("name", ["ink", "muted", *STATUSES])
def test_text_colours_read_in_dark_mode(name: str) -> None:
    for background in (NIGHT["--page"], NIGHT["--soft"]):
        assert ratio(NIGHT[f"--{name}"], background) >= 4.5, (name, background)


def test_the_heat_maps_text_reads_on_its_tint() -> None:
    rules = re.findall(
        r"\.heat td\.h-\w+[^{]*\{\s*background: var\((--[\w-]+)\); color: var\((--[\w-]+)\);", STYLE
    )
    assert len(rules) == 4
    for colours in (LIGHT, NIGHT):
        for tint, ink in rules:
            assert ratio(colours[ink], colours[tint]) >= 4.5, (tint, ink, colours[tint])


def test_the_index_pages_colours_read() -> None:
    home = template_text("report/home.html")
    light, _, dark = home.partition("@media (prefers-color-scheme: dark) {")
    dark = dark[: dark.find("\n}\n")]
    for part, grounds in ((light, (WHITE, "#f3f5f7")), (dark, ("#15191e",))):
        colours = set(re.findall(r"(?<![-\w])color:\s*(#[0-9a-fA-F]{6})", part)) - set(grounds)
        assert len(colours) >= 8
        for color in colours:
            for background in grounds:
                assert ratio(color, background) >= 4.5, (color, background)


@pytest.mark.parametrize("color", PALE + DEEP)
@pytest.mark.parametrize("background", [WHITE, DARK])
def test_a_brand_colour_is_made_readable_keeping_its_hue(color: str, background: str) -> None:
    text = readable(color, background)
    assert ratio(text, background) >= 4.5
    if ratio(color, background) >= 4.5:
        assert text == color.lower()  # a colour that reads stays as the workbook gives it
        return
    hue, _, saturation = colorsys.rgb_to_hls(*rgb(color))
    new_hue = colorsys.rgb_to_hls(*rgb(text))[0]
    if saturation > 0.05 and 0.02 < luminance(text) < 0.98:
        assert min(abs(hue - new_hue), 1 - abs(hue - new_hue)) < 0.03, (color, text)
    assert ratio(text, background) < 5.0, (color, text)  # no further than it takes


def test_the_view_gives_text_a_readable_brand_colour() -> None:
    class Heading:  # what View reads of a report set
        language, primary_color, accent_color = "da", "#FFE9A8", "#FFF8E1"

    view = View(Heading())  # type: ignore[arg-type]
    assert view.primary == "#FFE9A8"  # the fills keep the workbook's colour
    assert ratio(view.ink(), WHITE) >= 4.5
    assert ratio(view.ink(dark=True), DARK) >= 4.5


def test_the_charts_text_colours_read_on_white() -> None:
    """A chart keeps a white background in every mode; its labels are drawn in these colours
    (the keep band's "allowed" was the old on-track green, 4.32:1), which follow the palette."""
    from kpireport.render import guides

    for colour in (guides.INK, guides.MUTED, guides.PLAN, guides.BAND):
        assert ratio(colour, WHITE) >= 4.5, colour
    assert LIGHT["--on_track"] == guides.BAND and LIGHT["--ink"] == guides.INK
