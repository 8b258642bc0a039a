"""SVG text laid out and drawn a run at a time, not a character at a time.

WeasyPrint 70 draws an SVG ``<text>`` one character after the other: it lays out the whole text
once for its width, then every character again on its own (a Pango layout each), and draws
each character with its own text matrix (Kozea/WeasyPrint#2249, where its authors suggest
drawing the whole text when no character is placed on its own). A text anchored at its end or
middle (every axis label of a chart) is also drawn into a form XObject of its own, to be moved
by its width once drawn. A department's charts hold about 560 such labels: a fifth of the time
to lay out and write its pages.

A *simple* text (no child elements, one ``x`` and one ``y`` at most, no ``dx``, ``dy``,
``rotate``, ``textLength`` or ``letter-spacing``, left to right), which is every text kpireport
draws, is laid out once, moved by its anchor at once and drawn as one run, kerned as a browser
kerns it; any other text is drawn as WeasyPrint draws it. What is drawn is otherwise WeasyPrint's
own code: its text style, vertical alignment, bounding box, fill and stroke.

:func:`install` replaces WeasyPrint's SVG text function in the process (the PDF workers) for the
WeasyPrint versions in :data:`VERSIONS`, whose internals this was written against, and leaves any
other version as it is: a newer WeasyPrint is only slower, never wrong.
"""

from __future__ import annotations

from math import inf
from typing import Any

# The WeasyPrint versions whose SVG text drawing (weasyprint/svg/text.py, and the text anchor in
# SVG.draw_node) this module replaces; tests/render/test_svgtext.py checks the installed one is.
VERSIONS = frozenset({"70.0"})
# What places or spaces the characters of a text one by one: such a text is WeasyPrint's.
_PER_CHARACTER = ("dx", "dy", "rotate", "textLength", "letter-spacing")
_ANCHOR = "kpireport-anchor"  # the text anchor of a simple text, hidden from draw_node


def install() -> bool:
    """Draw simple SVG texts as one run in this process, once; whether it is (see the module)."""
    import weasyprint
    import weasyprint.svg as package

    if weasyprint.__version__ not in VERSIONS:
        return False
    stock_text = package.TAGS["text"]
    if getattr(stock_text, "kpireport", False):
        return True
    stock_draw_node = package.SVG.draw_node

    def text(svg: Any, node: Any, font_size: float) -> None:
        """WeasyPrint's ``text``, for a simple text drawn as one run."""
        anchor = node.attrib.pop(_ANCHOR, None)
        if anchor is None and not _simple(node):
            stock_text(svg, node, font_size)
        else:
            _draw_run(svg, node, font_size, anchor)

    def draw_node(
        self: Any, node: Any, font_size: float, fill_stroke: bool = True, context: Any = None
    ) -> None:
        """WeasyPrint's ``draw_node``: a simple text anchored at its end or middle is moved
        by ``text`` once laid out, not drawn into a form to be moved afterwards."""
        anchor = node.get("text-anchor")
        if anchor in ("end", "middle") and _simple(node):
            del node.attrib["text-anchor"]
            node.attrib[_ANCHOR] = anchor
            try:
                stock_draw_node(self, node, font_size, fill_stroke, context)
            finally:
                node.attrib.pop(_ANCHOR, None)
                node.attrib["text-anchor"] = anchor
        else:
            stock_draw_node(self, node, font_size, fill_stroke, context)

    text.kpireport = True  # type: ignore[attr-defined]
    for tag, function in list(package.TAGS.items()):
        if function is stock_text:
            package.TAGS[tag] = text
    # draw_node tells texts by ``TAGS.get(tag) == text``, ``text`` being this module global
    package.text = text  # type: ignore[attr-defined]
    package.SVG.draw_node = draw_node
    return True


def _simple(node: Any) -> bool:
    """Whether ``node`` is a text drawn as one run: text only, placed as a whole."""
    attrib = node.attrib
    return (
        node.tag == "text"
        and node.get("direction", "ltr") == "ltr"
        and bool(node.text)
        and not any(key in attrib for key in _PER_CHARACTER)
        and all(len(str(attrib.get(key, "")).replace(",", " ").split()) <= 1 for key in "xy")
        and next(iter(node), None) is None
    )


def _draw_run(svg: Any, node: Any, font_size: float, anchor: str | None) -> None:
    """Lay out and draw the simple text ``node`` as one run, moved left by its width (``end``)
    or half of it (``middle``). Every other step is WeasyPrint 70's ``svg.text.text``."""
    from weasyprint.css.properties import INITIAL_VALUES
    from weasyprint.draw.text import draw_emojis, draw_first_line
    from weasyprint.matrix import Matrix
    from weasyprint.svg.bounding_box import extend_bounding_box
    from weasyprint.svg.text import Style, TextBox
    from weasyprint.svg.utils import normalize, size
    from weasyprint.text.line_break import split_first_line

    style = Style()
    style.update(INITIAL_VALUES)
    style.font_config = svg.font_config
    style["font_family"] = [
        f.strip("\"'") for f in node.get("font-family", "sans-serif").split(",")
    ]
    style["font_style"] = node.get("font-style", "normal")
    style["font_size"] = font_size
    if node.get("direction") in ("ltr", "rtl"):
        style["direction"] = node.get("direction")
    weight = node.get("font-weight", 400)
    if weight == "normal":
        weight = 400
    elif weight == "bold":
        weight = 700
    else:
        try:
            weight = int(weight)
        except ValueError:
            weight = 400
    style["font_weight"] = weight

    layout, _, _, width, height, baseline = split_first_line(node.text, style, svg.context, inf, 0)
    x = y = None
    if "x" in node.attrib:
        x = size(normalize(node.attrib["x"]).strip(), font_size, svg.inner_width)
    if "y" in node.attrib:
        y = size(normalize(node.attrib["y"]).strip(), font_size, svg.inner_height)

    ascent, descent = font_size * 0.8, font_size * 0.2  # as WeasyPrint's
    y_align = 0.0
    display_anchor = node.get("display-anchor")
    alignment_baseline = node.get("dominant-baseline", node.get("alignment-baseline"))
    if display_anchor == "middle":
        y_align = -height / 2
    elif display_anchor == "top":
        pass
    elif display_anchor == "bottom":
        y_align = -height
    elif alignment_baseline in ("central", "middle"):
        y_align = (ascent + descent) / 2 - descent
    elif alignment_baseline in ("text-before-edge", "before_edge", "top", "hanging", "text-top"):
        y_align = ascent
    elif alignment_baseline in ("text-after-edge", "after_edge", "bottom", "text-bottom"):
        y_align = -descent

    if x is not None:
        svg.cursor_d_position[0] = 0
    if y is not None:
        svg.cursor_d_position[1] = 0
    x = svg.cursor_position[0] if x is None else x
    y = svg.cursor_position[1] if y is None else y
    svg.cursor_position = x + width, y
    shift = width if anchor == "end" else width / 2 if anchor == "middle" else 0
    x_position = x + svg.cursor_d_position[0] - shift
    y_position = y + svg.cursor_d_position[1] + y_align
    points = (
        (x_position, y_position - baseline),
        (x_position + width, y_position - baseline + height),
    )
    node.text_bounding_box = extend_bounding_box(node.text_bounding_box, points)

    svg.stream.push_state()
    fill, stroke = svg.set_graphical_state(node, font_size)
    svg.stream.begin_text()
    layout.reactivate(style)
    svg.fill_stroke(fill, stroke, text=True)
    box = TextBox(layout, style)
    box.baseline = baseline
    matrix = Matrix(a=1, d=-1, e=x_position, f=y_position)
    emojis = draw_first_line(svg.stream, box, "none", "none", matrix)
    svg.stream.end_text()
    svg.stream.pop_state()
    draw_emojis(svg.stream, style, x - shift, y, emojis)
