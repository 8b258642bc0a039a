"""Issue 16, point 5: colour is never the only sign of good or bad. In every HTML page of the
three shared builds, each element coloured as better or worse (a comparison, a move since the
last report, a status) carries, in itself, the word or the shape that says so: a deuteranope
sees "▲ +0,5 pp" in green and "▲ +0,2 pp" in red as the same, and a word in grey beside it,
outside the colour, is easily read as belonging to the next line."""

from __future__ import annotations

from xml.etree.ElementTree import Element

import tinyhtml5

from kpireport import labels
from kpireport.i18n import get_locale
from tests.presentation.conftest import Presented

XHTML = "{http://www.w3.org/1999/xhtml}"
SVG = "{http://www.w3.org/2000/svg}"
# the classes that colour good or bad (style.css), and the sign each must carry besides
VERDICTS = {"up": 1.0, "down": -1.0}
MOVES = {"m-improved": "improved", "m-worsened": "worsened"}
STATUSES = ("achieved", "on_track", "at_risk", "off_track", "missed")


def _text(element: Element) -> str:
    return "".join(element.itertext())


def unsigned(page: Element, lang: str) -> list[str]:
    """The coloured elements of ``page`` that carry no sign but their colour."""
    locale = get_locale(lang)
    found = []
    for element in page.iter():
        classes = (element.get("class") or "").split()
        for name in classes:
            if name in VERDICTS:
                sign = labels.verdict(VERDICTS[name], locale)
                ok = sign in _text(element)
            elif name in MOVES:
                ok = labels.move(MOVES[name], locale) in _text(element)
            elif name.removeprefix("s-").removeprefix("h-") in STATUSES and name[:2] in (
                "s-",
                "h-",
            ):
                # a status: its icon, whose shape differs by status (charts.status_icon)
                ok = element.find(f".//{SVG}svg") is not None
            else:
                continue
            if not ok:
                found.append(f"{name}: {_text(element).strip()!r}")
    return found


def test_every_colour_of_good_or_bad_comes_with_a_word_or_a_shape(presented: Presented) -> None:
    problems = {}
    coloured = 0
    for path in presented.html():
        page = tinyhtml5.parse(path.read_text(encoding="utf-8"))
        lang = page.get("lang") or "en"
        coloured += sum(
            1 for e in page.iter() if {"up", "down"} & set((e.get("class") or "").split())
        )
        if found := unsigned(page, lang):
            problems[path.relative_to(presented.root).as_posix()] = found
    assert coloured > 100  # the check sees the comparisons it is about
    assert not problems, "\n".join(f"{page}: {found[:4]}" for page, found in problems.items())
