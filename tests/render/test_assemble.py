"""assemble() on PDFs rendered by WeasyPrint (through render_pdf, as builds render them): the
pages of the parts in order with the running header and footer over every page, the named
destinations, links and bookmarks of every part pointing at the same place in the whole, and the
first part's document data (metadata, PDF/A output intent, embedded files) kept.

The parts are small documents shaped like a board pack's: a cover and a summary rendered with
cross_links (their links reach into other parts), a department body with links of its own.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import jinja2
import pikepdf
import pytest
from pypdf import PdfReader

from kpireport.render.assemble import ANCHOR_SCHEME, assemble, cross_links
from kpireport.render.pdf import render_pdf

CSS = (
    "<style>@page { size: A6; margin: 1.5cm 1cm } .page { break-before: page }"
    " .closed { bookmark-state: closed }</style>"
)
COVER = cross_links(
    "<title>Board pack 2026</title>"
    + CSS
    + '<h1>Contents</h1><p>cover-1</p><p><a href="#summary">Summary</a></p>'
    '<p><a href="#dept-sales">Sales</a> <a href="https://example.com/kpi">Web</a></p>'
    '<div class="page"><p>cover-2</p><p><a href="#kpi-SALES-02">Orders</a></p></div>'
)
SUMMARY = cross_links(
    CSS + '<h1 id="summary">Executive summary</h1><p>summary-1</p>'
    '<h2>Attention</h2><p><a href="#kpi-SALES-01">New customers</a></p>'
)
BODY = (  # a department body is rendered on its own: its links are ordinary ones
    CSS + '<h1 id="dept-sales" class="closed">Sales</h1><p>sales-1</p>'
    '<p><a href="#kpi-SALES-02">Orders</a></p>'
    '<h2 class="page" id="kpi-SALES-01">New customers</h2><p>sales-2</p>'
    '<h2 class="page" id="kpi-SALES-02">Orders</h2><p>sales-3</p>'
)
PAGE_TEXT = ["cover-1", "cover-2", "summary-1", "sales-1", "sales-2", "sales-3"]
# name -> page of the whole (0-based)
DESTINATIONS = {"summary": 2, "dept-sales": 3, "kpi-SALES-01": 4, "kpi-SALES-02": 5}


def furniture_html(first: int, count: int, total: int) -> str:
    """One empty page per page, with only its running footer, as furniture.html makes them."""
    pages = "".join(
        f'<div class="page"><p>Page {n} of {total}</p></div>' for n in range(first, first + count)
    )
    return CSS.replace(".page {", ".page + .page {") + pages


@dataclass
class Parts:
    cover: bytes
    summary: bytes
    body: bytes
    furniture: bytes  # the six pages of cover + summary + body
    body_furniture: bytes  # the three pages of the body alone
    furniture_1_2: bytes  # pages 1-2 of six
    furniture_3_6: bytes  # pages 3-6 of six
    pack: bytes  # assemble([cover, summary, body], [furniture])


@pytest.fixture(scope="module")
def parts(tmp_path_factory: pytest.TempPathFactory) -> Parts:
    folder = tmp_path_factory.mktemp("assemble")

    def render(html: str, **options: Any) -> bytes:
        return render_pdf(html, [folder], **options).pdf

    cover = render_pdf(
        COVER, [folder], variant="pdf/a-3b", attachments=[("results.json", b'{"kpis": 2}')]
    )
    summary, body = render_pdf(SUMMARY, [folder]), render_pdf(BODY, [folder])
    assert (cover.pages, summary.pages, body.pages) == (2, 1, 3)
    furniture = render(furniture_html(1, 6, 6))
    return Parts(
        cover=cover.pdf,
        summary=summary.pdf,
        body=body.pdf,
        furniture=furniture,
        body_furniture=render(furniture_html(1, 3, 3)),
        furniture_1_2=render(furniture_html(1, 2, 6)),
        furniture_3_6=render(furniture_html(3, 4, 6)),
        pack=assemble([cover.pdf, summary.pdf, body.pdf], [furniture]),
    )


def open_pdf(data: bytes) -> pikepdf.Pdf:
    return pikepdf.open(io.BytesIO(data))


def page_texts(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def page_index(pdf: pikepdf.Pdf) -> dict[Any, int]:
    return {page.obj.objgen: n for n, page in enumerate(pdf.pages)}


def named_destinations(pdf: pikepdf.Pdf) -> dict[str, tuple[int, list[Any]]]:
    """name -> (page, the rest of the destination) from the document's flat /Dests names."""
    index = page_index(pdf)
    names = pdf.Root.Names.Dests.Names
    out = {}
    for i in range(0, len(names), 2):
        dest = names[i + 1]
        out[str(names[i])] = (index[dest[0].objgen], [str(d) for d in dest[1:]])
    return out


def links(pdf: pikepdf.Pdf) -> list[tuple[int, str, str]]:
    """(page, "dest" or "uri", target) of every link annotation."""
    out = []
    for n, page in enumerate(pdf.pages):
        for annotation in page.obj.get("/Annots", []):
            if "/Dest" in annotation:
                out.append((n, "dest", str(annotation.Dest)))
            elif "/A" in annotation:
                out.append((n, "uri", str(annotation.A.URI)))
    return out


def outline(pdf: pikepdf.Pdf) -> list[tuple[Any, ...]]:
    """(title, page, top, closed, children) of every bookmark, recursively."""
    index = page_index(pdf)

    def walk(items: Any) -> list[tuple[Any, ...]]:
        return [
            (
                str(item.title),
                index[item.destination[0].objgen],
                Decimal(str(item.destination[3])).quantize(Decimal("0.01")),
                item.is_closed,
                walk(item.children),
            )
            for item in items
        ]

    with pdf.open_outline() as tree:
        return walk(tree.root)


# -- pages and furniture -------------------------------------------------------------------------


def test_pages_of_the_parts_in_order(parts: Parts) -> None:
    texts = page_texts(parts.pack)
    assert len(texts) == 6
    for text, marker in zip(texts, PAGE_TEXT, strict=True):
        assert marker in text, (marker, text)
    assert open_pdf(parts.pack).check_pdf_syntax() == []  # qpdf finds nothing wrong


def test_the_furniture_is_drawn_over_every_page(parts: Parts) -> None:
    texts = page_texts(parts.pack)
    for n, text in enumerate(texts, start=1):
        assert text.rstrip().endswith(f"Page {n} of 6"), text  # drawn last: over the page
        assert text.count(" of 6") == 1
    pdf = open_pdf(parts.pack)
    for page in pdf.pages:
        operators = [str(op) for _operands, op in pikepdf.parse_content_stream(page)]
        # the overlay, a form XObject, comes last, marked as a pagination artifact (issue 16)
        assert operators[-6:] == ["BDC", "q", "cm", "Do", "Q", "EMC"]


def test_furniture_may_come_in_several_pdfs(parts: Parts) -> None:
    split = assemble(
        [parts.cover, parts.summary, parts.body], [parts.furniture_1_2, parts.furniture_3_6]
    )
    assert page_texts(split) == page_texts(parts.pack)


@pytest.mark.parametrize("furniture", ["body_furniture", "none"])
def test_furniture_must_have_a_page_for_each_page(parts: Parts, furniture: str) -> None:
    layers = [] if furniture == "none" else [parts.body_furniture]
    count = 0 if furniture == "none" else 3
    with pytest.raises(ValueError, match=f"^{count} furniture pages for 6 pages$"):
        assemble([parts.cover, parts.summary, parts.body], layers)


def test_one_part_keeps_its_links_and_bookmarks(parts: Parts) -> None:
    """A department's PDF: one part, its own furniture, nothing to rebuild."""
    alone = assemble([parts.body], [parts.body_furniture])
    texts = page_texts(alone)
    assert [t.rstrip().splitlines()[-1] for t in texts] == [f"Page {n} of 3" for n in (1, 2, 3)]
    source, pdf = open_pdf(parts.body), open_pdf(alone)
    assert named_destinations(pdf) == named_destinations(source)
    assert links(pdf) == links(source) == [(0, "dest", "kpi-SALES-02")]
    assert outline(pdf) == outline(source)


# -- links, destinations and bookmarks of the whole ----------------------------------------------


def test_every_named_destination_points_at_its_page_of_the_whole(parts: Parts) -> None:
    pdf = open_pdf(parts.pack)
    names = named_destinations(pdf)
    assert {name: page for name, (page, _rest) in names.items()} == DESTINATIONS
    # the same place on the page as in the part
    for source, offset in ((parts.summary, 2), (parts.body, 3)):
        for name, (page, rest) in named_destinations(open_pdf(source)).items():
            assert names[name] == (page + offset, rest)


def test_links_across_parts_become_links_to_named_destinations(parts: Parts) -> None:
    pdf = open_pdf(parts.pack)
    found = links(pdf)
    assert not any(target.startswith(ANCHOR_SCHEME) for _page, _kind, target in found)
    assert found == [
        (0, "dest", "summary"),
        (0, "dest", "dept-sales"),
        (0, "uri", "https://example.com/kpi"),  # an external link stays one
        (1, "dest", "kpi-SALES-02"),
        (2, "dest", "kpi-SALES-01"),
        (3, "dest", "kpi-SALES-02"),  # the body's own link
    ]
    names = named_destinations(pdf)
    for _page, kind, target in found:
        assert kind == "uri" or target in names  # no link leads nowhere


def test_the_cross_links_were_uris_in_the_parts(parts: Parts) -> None:
    """What assemble has to undo: WeasyPrint keeps a link to another part as a URI."""
    assert links(open_pdf(parts.cover))[:2] == [
        (0, "uri", f"{ANCHOR_SCHEME}summary"),
        (0, "uri", f"{ANCHOR_SCHEME}dept-sales"),
    ]


def test_bookmarks_of_every_part_point_into_the_whole(parts: Parts) -> None:
    pdf = open_pdf(parts.pack)
    tree = outline(pdf)
    assert [(t[0], t[1], t[3]) for t in tree] == [
        ("Contents", 0, False),
        ("Executive summary", 2, False),
        ("Sales", 3, True),  # bookmark-state: closed survives
    ]
    assert [(t[0], t[1]) for t in tree[1][4]] == [("Attention", 2)]
    assert [(t[0], t[1]) for t in tree[2][4]] == [("New customers", 4), ("Orders", 5)]
    # each at the height it had in its part
    assert tree[1:2] == [
        (t[0], t[1] + 2, *t[2:4], [(c[0], c[1] + 2, *c[2:]) for c in t[4]])
        for t in outline(open_pdf(parts.summary))
    ]


# -- the document ----------------------------------------------------------------------------------


def test_the_first_parts_document_data_is_kept(parts: Parts) -> None:
    pdf = open_pdf(parts.pack)
    assert str(pdf.docinfo["/Title"]) == "Board pack 2026"
    assert "/OutputIntents" in pdf.Root  # PDF/A
    with pdf.open_metadata() as meta:
        assert meta.get("dc:title") == "Board pack 2026"
    assert list(pdf.attachments) == ["results.json"]
    assert pdf.attachments["results.json"].get_file().read_bytes() == b'{"kpis": 2}'


def test_assembling_is_deterministic(parts: Parts) -> None:
    """The same parts give the same PDF."""
    again = assemble([parts.cover, parts.summary, parts.body], [parts.furniture])
    assert again == parts.pack


def test_named_destinations_of_other_writers(parts: Parts, tmp_path: Path) -> None:
    """A part whose /Dests is a name tree with /Kids and dictionary destinations (/D)."""
    other = pikepdf.new()
    for _ in range(2):
        other.add_blank_page(page_size=(298, 420))
    second = other.pages[1].obj
    leaf = other.make_indirect(
        pikepdf.Dictionary(
            Limits=pikepdf.Array([pikepdf.String("appendix"), pikepdf.String("appendix")]),
            Names=pikepdf.Array(
                [
                    pikepdf.String("appendix"),
                    pikepdf.Dictionary(D=pikepdf.Array([second, pikepdf.Name.XYZ, 0, 400, 0])),
                ]
            ),
        )
    )
    other.Root.Names = pikepdf.Dictionary(Dests=pikepdf.Dictionary(Kids=pikepdf.Array([leaf])))
    buffer = io.BytesIO()
    other.save(buffer)
    whole = assemble([parts.body, buffer.getvalue()], [parts.body_furniture, parts.furniture_1_2])
    names = named_destinations(open_pdf(whole))
    assert names["appendix"] == (4, ["/XYZ", "0", "400", "0"])
    assert names["kpi-SALES-02"][0] == 2


# -- cross_links ---------------------------------------------------------------------------------


def test_cross_links_change_only_links_to_anchors() -> None:
    html = '<a href="#kpi-A">a</a> <a href="https://example.com/#top">b</a> <p id="x">#x</p>'
    assert cross_links(html) == (
        f'<a href="{ANCHOR_SCHEME}kpi-A">a</a> <a href="https://example.com/#top">b</a> '
        '<p id="x">#x</p>'
    )


def test_workbook_text_never_becomes_a_link() -> None:
    """Cell text reaches the HTML through Jinja, which escapes the quote cross_links looks for."""
    env = jinja2.Environment(autoescape=True)
    html = env.from_string("<td>{{ text }}</td>").render(text='see href="#kpi-A" here')
    assert cross_links(html) == html


def _png_uri(color: str, mode: str = "RGB") -> str:
    """A small PNG of one ``color`` as a data: URI (RGBA: with a soft mask in the PDF)."""
    import base64

    from PIL import Image

    out = io.BytesIO()
    Image.new(mode, (40, 20), color).save(out, "PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode("ascii")


def test_identical_images_of_the_parts_become_one_object_and_others_stay(tmp_path: Path) -> None:
    """WeasyPrint writes an image once per document, so a board pack held one logo per part
    (issue 12, point 5): identical images, soft mask included, are one object in the whole,
    shared by every page; a different image, or the same pixels with another mask, stays."""
    red, blue = _png_uri("red"), _png_uri("blue")
    clear = _png_uri((255, 0, 0, 128), "RGBA")

    def page(*uris: str) -> str:
        return "<p>" + " ".join(f'<img src="{uri}">' for uri in uris) + "</p>"

    part_a = CSS + page(red, clear) + '<div class="page">' + page(red, red) + "</div>"
    part_b = CSS + page(red, blue)
    pdfs = [render_pdf(html, [tmp_path]).pdf for html in (part_a, part_b)]
    furniture = render_pdf(furniture_html(1, 3, 3), [tmp_path]).pdf
    with open_pdf(assemble(pdfs, [furniture])) as pack:
        drawn = [{image.objgen for image in page.get_images().values()} for page in pack.pages]
        streams = [o for o in pack.objects if isinstance(o, pikepdf.Stream)]
        images = [o for o in streams if o.get("/Subtype") == "/Image"]
    assert len(drawn[0] | drawn[1] | drawn[2]) == 3  # red, red with a mask, blue
    assert len(drawn[2]) == 2 and len(drawn[0] & drawn[2]) == 1  # the red of both parts
    assert len(images) == 4  # those three and the mask; red was written once per part


def test_the_parts_are_opened_one_at_a_time(parts: Parts, monkeypatch: pytest.MonkeyPatch) -> None:
    """A board pack of thousands of pages is put together holding one part (and one furniture
    PDF) at a time: qpdf took about 0.8 MB a tagged page for every part until the whole was
    saved, 3 GB at 3,000 KPIs."""
    real_open, real_close = pikepdf.open, pikepdf.Pdf.close
    open_now: set[int] = set()
    most = 0

    def opened(*args: Any, **kwargs: Any) -> pikepdf.Pdf:
        nonlocal most
        pdf = real_open(*args, **kwargs)
        open_now.add(id(pdf))
        most = max(most, len(open_now))
        return pdf

    def close(self: pikepdf.Pdf) -> None:
        open_now.discard(id(self))
        real_close(self)

    monkeypatch.setattr(pikepdf, "open", opened)
    monkeypatch.setattr(pikepdf.Pdf, "close", close)
    whole = assemble([parts.cover, parts.summary, parts.body] * 3, [parts.furniture] * 3)
    monkeypatch.undo()
    assert most == 2  # a part, and the furniture PDF drawn over its pages
    assert not open_now
    assert len(page_texts(whole)) == 18


# -- the structure tree --------------------------------------------------------------------------

TABLE = (
    CSS + '<html lang="en"><h1>TITLE</h1><table><thead><tr><th>KPI</th><th>Value</th></tr>'
    "</thead><tbody><tr><td>Orders</td><td>42</td></tr></tbody></table></html>"
)


def _direct_header_cells(pdf_bytes: bytes) -> bytes:
    """The part with its header cells made direct objects inside their rows, as another
    writer may leave them (WeasyPrint makes every element an object of its own)."""
    with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
        for row in [o for o in pdf.objects if isinstance(o, pikepdf.Dictionary)]:
            if row.get("/S") != "/TR":
                continue
            kids = row.K if isinstance(row.K, pikepdf.Array) else pikepdf.Array([row.K])
            row.K = pikepdf.Array(
                [
                    pikepdf.Dictionary({k: v for k, v in kid.items()})
                    if isinstance(kid, pikepdf.Dictionary) and kid.get("/S") == "/TH"
                    else kid
                    for kid in kids
                ]
            )
        out = io.BytesIO()
        pdf.save(out)
        return out.getvalue()


@pytest.mark.parametrize("direct", [False, True])
def test_every_header_cell_of_every_part_gets_a_scope_and_an_id_of_its_own(
    parts: Parts, direct: bool
) -> None:
    """Header cells get /Scope, their ids the part's prefix (each part numbers its own from
    the same start), the data cells' /Headers follow, and the /IDTree finds each one: whether
    a cell is an object of its own or written inside its row."""
    allowed = [Path(__file__).parent]
    first, second = (render_pdf(TABLE.replace("TITLE", t), allowed).pdf for t in ("One", "Two"))
    if direct:
        second = _direct_header_cells(second)
    with open_pdf(assemble([first, second], [parts.furniture_1_2])) as whole:
        tree = whole.Root.StructTreeRoot
        names = tree.IDTree.Names
        ids = {str(names[i]): names[i + 1] for i in range(0, len(names), 2)}
        cells = [o for o in _elements(tree) if o.get("/S") in ("/TH", "/TD")]
        headers = [c for c in cells if c.S == "/TH"]
        assert len(headers) == 4 and all(c.A.Scope == "/Column" for c in headers)
        own = [str(c.ID) for c in headers]
        assert len(set(own)) == 4  # the two parts' ids, made unique
        indirect = {str(c.ID) for c in headers if c.is_indirect}
        assert len(indirect) == (2 if direct else 4)
        assert indirect <= set(ids)  # (a direct cell cannot be referred to)
        assert all(str(ids[name].ID) == name for name in ids)
        referred = {str(h) for c in cells if c.S == "/TD" for h in c.A.get("/Headers", [])}
        assert referred and referred <= set(own)


def _elements(tree: Any) -> list[Any]:
    """Every structure element under ``tree``, direct or not."""
    found, stack = [], [tree]
    while stack:
        node = stack.pop()
        kids = node.get("/K")
        kids = list(kids) if isinstance(kids, pikepdf.Array) else [kids] if kids is not None else []
        for kid in kids:
            if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
                found.append(kid)
                stack.append(kid)
    return found
