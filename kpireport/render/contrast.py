"""Colour contrast as WCAG 2 measures it, and a workbook's brand colour made readable as text:
a pale brand colour (#FFE9A8) stays for fills, and text in that colour is drawn in the same hue
darkened (or, on a dark page, lightened) until it reads."""

from __future__ import annotations

import colorsys
import functools

# Text of ordinary size needs 4.5:1 against its background (WCAG 2, 1.4.3, level AA).
TEXT = 4.5
WHITE = "#ffffff"
# The page's background in dark mode (style.css, prefers-color-scheme: dark).
DARK = "#15191e"


def rgb(color: str) -> tuple[float, float, float]:
    """``#rrggbb`` (the ``#`` optional) as three channels from 0 to 1."""
    digits = color.strip().lstrip("#")
    if len(digits) != 6:
        raise ValueError(f"not a #rrggbb colour: {color!r}")
    return tuple(int(digits[i : i + 2], 16) / 255 for i in (0, 2, 4))  # type: ignore[return-value]


def hex_color(channels: tuple[float, float, float]) -> str:
    """Three channels from 0 to 1 as ``#rrggbb``."""
    return "#" + "".join(f"{round(min(max(c, 0.0), 1.0) * 255):02x}" for c in channels)


def luminance(color: str) -> float:
    """The colour's relative luminance, from 0 (black) to 1 (white)."""

    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in rgb(color))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def ratio(first: str, second: str) -> float:
    """The contrast ratio of two colours, from 1 (the same) to 21 (black and white)."""
    high, low = sorted((luminance(first), luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@functools.lru_cache(maxsize=256)  # asked for every chart, of a workbook's few colours
def readable(color: str, background: str = WHITE, minimum: float = TEXT) -> str:
    """``color`` when text in it reads on ``background`` (``minimum``:1 or more), else the same
    hue and saturation, darker on a light background or lighter on a dark one, just as far as
    it takes: the lightest (or darkest) such colour."""
    if ratio(color, background) >= minimum:
        return hex_color(rgb(color))
    hue, lightness, saturation = colorsys.rgb_to_hls(*rgb(color))
    darker = luminance(background) > 0.18  # towards black on a light background, else white
    # A step is a 256th of the lightness scale: the ratio grows with each step, and black
    # (or white) reads on any background that needs it.
    for step in range(1, 257):
        moved = lightness - step / 256 if darker else lightness + step / 256
        candidate = hex_color(colorsys.hls_to_rgb(hue, min(max(moved, 0.0), 1.0), saturation))
        if ratio(candidate, background) >= minimum:
            return candidate
    return "#000000" if darker else WHITE
