"""Putting finished PDFs together: the running header and footer drawn over every page, and a
board pack made of its own front pages followed by the pages of the department reports, which
are therefore laid out once for both.

The whole is written as it is made (:mod:`kpireport.render.pdfwrite`): each part is opened
with pikepdf, its pages, structure tree and what they refer to are copied into the output under
new numbers, and it is let go before the next part is opened. Memory therefore grows with the
largest part and the whole's few indexes (page numbers, structure keys, names), not with the
whole: a tagged page is about 400 objects, and qpdf held every object of every part until a
board pack of thousands of pages was saved.

WeasyPrint links by named destinations (``/Dest (kpi-SALES-01)``) and bookmarks by explicit
page references; both are rebuilt here so that every link and bookmark of every part points at
the same place in the whole document. WeasyPrint writes an image once per document, so each part
brings its own copy of the logo; identical images are written once here, and every page that
shows one refers to that object.
"""

from __future__ import annotations

import hashlib
import io
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from kpireport.render.pdfwrite import Importer, PdfWriter, pdf_string
from kpireport.render.structure import Structure, tree_entries

# A link from one part to an anchor in another: WeasyPrint drops a "#name" link whose target is
# not in the same document, so parts are rendered with this scheme (see cross_links) and the
# links become named destinations here.
ANCHOR_SCHEME = "kpireport-anchor:"
# What a page takes from its page tree when it does not say it itself.
_INHERITED = ("/Resources", "/MediaBox", "/CropBox", "/Rotate")
# The catalog entries made anew for the whole; the first part's others are kept.
_REMADE = ("/Type", "/Pages", "/StructTreeRoot", "/Outlines", "/Names")


def cross_links(html: str) -> str:
    """``href="#x"`` -> a link that survives rendering as a part of a larger document. Text
    never holds ``href="#``: Jinja escapes every quote in cell text."""
    return html.replace('href="#', f'href="{ANCHOR_SCHEME}')


@dataclass
class _Mark:
    """A bookmark: its title (written), the page of the whole it points at (0 first), how it
    shows the page (``/XYZ left top zoom``, written), whether it is closed, its children."""

    title: bytes
    page: int
    rest: bytes
    closed: bool = False
    children: list[_Mark] = field(default_factory=list)


def assemble(parts: list[bytes], furniture: list[bytes]) -> bytes:
    """One PDF: the pages of ``parts`` in order, with the pages of ``furniture`` (the running
    header and footer, one page per page) drawn over them. The first part's document data is
    kept: metadata, PDF/A output intent and embedded files."""
    return b"".join(assemble_pieces(parts, furniture))


def assemble_pieces(parts: list[bytes], furniture: list[bytes]) -> Iterator[bytes]:
    """:func:`assemble`, its bytes given as they are written, a part at a time (the board pack
    of 3,000 KPIs is about 110 MB: the build writes it to its file as it comes)."""
    import pikepdf

    buffer = io.BytesIO()
    with pikepdf.open(io.BytesIO(parts[0])) as first:
        version = max(first.pdf_version, "1.5")  # object streams
    whole = _Whole(PdfWriter(buffer, version), furniture)
    for number, part in enumerate(parts):
        with pikepdf.open(io.BytesIO(part)) as pdf:
            whole.add(pdf, first=number == 0)
        yield _drain(buffer)
    whole.finish()
    yield _drain(buffer)


def _drain(buffer: io.BytesIO) -> bytes:
    """What ``buffer`` holds, which it lets go."""
    data = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return data


class _Whole:
    """The document being written: what :meth:`add` took from the parts so far, and what
    :meth:`finish` writes once they are all in (the page tree, the outline, the names, the
    structure tree, the catalog)."""

    def __init__(self, writer: PdfWriter, furniture: list[bytes]) -> None:
        self.writer = writer
        self.pages = writer.reserve()  # the page tree: one node, every page its kid
        self.outlines = writer.reserve()
        self.page_numbers: list[int] = []
        self.names: dict[str, bytes] = {}  # named destination: its array, written
        self.marks: list[_Mark] = []
        self.shared: dict[bytes, int] = {}  # an image's fingerprint: its object
        self.structure = Structure(writer)
        self.layers = _Layers(furniture, writer, self.shared)
        self.catalog = b""  # the first part's catalog entries that are kept, written
        self.names_entries = b""  # and those of its /Names, but /Dests
        self.info: int | None = None

    def add(self, pdf: Any, first: bool) -> None:
        """The pages of ``pdf`` (an open part), after those already added."""
        import pikepdf

        pages = [page.obj for page in pdf.pages]
        stand_ins = {node.objgen: self.pages for node in _page_tree_nodes(pages)}
        stand_ins |= self.structure.stand_ins(pdf)
        part = Importer(self.writer, pdf, stand_ins, _image_fingerprint, self.shared)
        for page in pages:
            _push_inherited(page)
        _relink(pages)
        self.structure.add(pdf, part, pages)
        for page in pdf.pages:
            self.layers.draw_over(page, part)
        offset = len(self.page_numbers)
        self.page_numbers += [part.number(page) for page in pages]
        index = {page.objgen: offset + n for n, page in enumerate(pages)}
        for name, destination in _named_destinations(pdf):
            page_number = index.get(destination[0].objgen) if len(destination) else None
            if page_number is not None:
                self.names[name] = _destination(self.page_numbers[page_number], destination, part)
        outlines = pdf.Root.get("/Outlines")
        if isinstance(outlines, pikepdf.Dictionary):
            self.marks += _marks(outlines, index, part)
        if first:
            self.catalog = part.entries(pdf.Root, skip=_REMADE)
            names = pdf.Root.get("/Names")
            if isinstance(names, pikepdf.Dictionary):
                self.names_entries = part.entries(names, skip=("/Dests",))
            info = pdf.trailer.get("/Info")
            self.info = part.number(info) if info is not None and info.is_indirect else None
        part.flush()

    def finish(self) -> None:
        """Write the whole's own objects and close it; ValueError when the furniture did not
        have one page for each page."""
        layers = self.layers.close()
        if layers != len(self.page_numbers):
            raise ValueError(f"{layers} furniture pages for {len(self.page_numbers)} pages")
        put = self.writer.put
        kids = b" ".join(b"%d 0 R" % n for n in self.page_numbers)
        put(self.pages, b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, len(self.page_numbers)))
        dests = self.writer.reserve()
        flat = b" ".join(pdf_string(name) + b" " + self.names[name] for name in sorted(self.names))
        put(dests, b"<< /Names [%s] >>" % flat)
        self._write_outline()
        catalog = b"<< /Type /Catalog /Pages %d 0 R /Outlines %d 0 R" % (self.pages, self.outlines)
        catalog += b" /Names << %s /Dests %d 0 R >> %s" % (self.names_entries, dests, self.catalog)
        root = self.structure.finish()
        if root is not None:
            catalog += b" /StructTreeRoot %d 0 R" % root
        number = self.writer.reserve()
        put(number, catalog + b" >>")
        self.writer.close(number, self.info)

    def _write_outline(self) -> None:
        """The bookmarks: /Outlines and an item for each mark, linked as the PDF asks."""
        put = self.writer.put

        def write(marks: list[_Mark], parent: int) -> tuple[int, int, int]:
            """The items of ``marks`` under ``parent``: (first, last, visible items)."""
            numbers = [self.writer.reserve() for _ in marks]
            visible = len(marks)
            for n, (mark, number) in enumerate(zip(marks, numbers, strict=True)):
                item = b"<< /Title %s /Parent %d 0 R /Dest [%d 0 R %s]" % (
                    mark.title,
                    parent,
                    self.page_numbers[mark.page],
                    mark.rest,
                )
                if n:
                    item += b" /Prev %d 0 R" % numbers[n - 1]
                if n + 1 < len(numbers):
                    item += b" /Next %d 0 R" % numbers[n + 1]
                if mark.children:
                    first, last, below = write(mark.children, number)
                    count = -below if mark.closed else below
                    item += b" /First %d 0 R /Last %d 0 R /Count %d" % (first, last, count)
                    visible += 0 if mark.closed else below
                put(number, item + b" >>")
            return (numbers[0], numbers[-1], visible) if numbers else (0, 0, 0)

        first, last, visible = write(self.marks, self.outlines)
        outline = b"<< /Type /Outlines /Count %d" % visible
        if first:
            outline += b" /First %d 0 R /Last %d 0 R" % (first, last)
        put(self.outlines, outline + b" >>")


class _Layers:
    """The pages of the furniture PDFs, handed out in order, one per page of the whole, each
    as a form drawn over its page; a furniture PDF is open while its pages are handed out."""

    def __init__(self, pdfs: list[bytes], writer: PdfWriter, shared: dict[bytes, int]) -> None:
        self._next: Iterator[bytes] = iter(pdfs)
        self._writer = writer
        self._shared = shared
        self._pdf: Any = None
        self._import: Importer | None = None
        self._left: list[Any] = []
        self.count = 0  # pages handed out (or, at the end, counted)

    def draw_over(self, page: Any, part: Importer) -> None:
        """Draw the next layer over ``page`` (a pikepdf.Page of ``part``'s PDF), as pikepdf's
        ``add_overlay`` does, under a name of our own: add_overlay names the form with
        ``Name.random``, so the same parts would give other bytes on every run."""
        import pikepdf

        layer = self._take()
        if layer is None:
            return
        formx = layer.as_form_xobject()
        # its content, the layer page's, made one stream: stored compressed, as the page's was
        formx.write(zlib.compress(formx.read_bytes()), filter=pikepdf.Name.FlateDecode)
        assert self._import is not None
        # a stand-in in the part, written as the form of the furniture's PDF
        stand_in = part.pdf.make_indirect(pikepdf.Dictionary())
        part.numbers[stand_in.objgen] = self._import.number(formx)
        taken = set(page.resources.get(pikepdf.Name.XObject, {}).keys())
        name = next(
            pikepdf.Name(f"/KpiFurniture{n}")
            for n in range(len(taken) + 1)
            if f"/KpiFurniture{n}" not in taken
        )
        page.add_resource(stand_in, pikepdf.Name.XObject, name)
        placed = page.calc_form_xobject_placement(
            formx, name, pikepdf.Rectangle(page.trimbox), allow_shrink=True, allow_expand=True
        )
        # the running header and footer are pagination artifacts: outside the structure tree,
        # and passed over by a screen reader, which reads the page's own tagged text
        page.contents_add(b"q\n", prepend=True)
        page.contents_add(b"Q\n/Artifact <</Type /Pagination>> BDC\n" + placed + b"\nEMC\n")

    def close(self) -> int:
        """Write what the layers handed out refer to; the number of furniture pages."""
        self._let_go()
        for pdf in self._next:  # more furniture than pages: counted, for the error
            import pikepdf

            with pikepdf.open(io.BytesIO(pdf)) as extra:
                self.count += len(extra.pages)
        return self.count

    def _take(self) -> Any:
        import pikepdf

        while not self._left:
            self._let_go()
            data = next(self._next, None)
            if data is None:
                return None
            self._pdf = pikepdf.open(io.BytesIO(data))
            self._import = Importer(self._writer, self._pdf, {}, _image_fingerprint, self._shared)
            self._left = list(self._pdf.pages)[::-1]
        self.count += 1
        return self._left.pop()

    def _let_go(self) -> None:
        if self._pdf is not None:
            assert self._import is not None
            self._import.flush()
            self._pdf.close()
            self._pdf = self._import = None
        self.count += len(self._left)
        self._left = []


def _page_tree_nodes(pages: list[Any]) -> list[Any]:
    """The page tree's nodes above ``pages`` (the whole has a page tree of its own)."""
    nodes: dict[tuple[int, int], Any] = {}
    for page in pages:
        node = page.get("/Parent")
        while node is not None and node.is_indirect and node.objgen not in nodes:
            nodes[node.objgen] = node
            node = node.get("/Parent")
    return list(nodes.values())


def _push_inherited(page: Any) -> None:
    """What ``page`` takes from its page tree, put in the page itself."""
    for key in _INHERITED:
        node, depth = page.get("/Parent"), 0
        while key not in page and node is not None and depth < 64:
            if key in node:
                page[key] = node[key]
            node, depth = node.get("/Parent"), depth + 1


def _image_fingerprint(obj: Any) -> bytes | None:
    """The fingerprint of an image (a stream with /Subtype /Image), None for anything else."""
    import pikepdf

    if isinstance(obj, pikepdf.Stream) and obj.get("/Subtype") == "/Image":
        return _fingerprint(obj)
    return None


def _fingerprint(obj: Any, depth: int = 0) -> bytes:
    """The content of ``obj`` (an image, with its soft mask and colour space), whatever object
    numbers it and what it refers to have in their part."""
    import pikepdf

    if depth > 8:  # an image's dictionary is shallow; anything deeper is left unshared
        return hashlib.sha256(repr(obj.objgen).encode()).digest()
    h = hashlib.sha256()
    if isinstance(obj, pikepdf.Stream):
        h.update(b"stream" + hashlib.sha256(obj.read_raw_bytes()).digest())
    if isinstance(obj, (pikepdf.Dictionary, pikepdf.Stream)):
        for key in sorted(set(obj.keys()) - {"/Length"}):  # its stream's, as written
            h.update(key.encode() + _fingerprint(obj[key], depth + 1))
    elif isinstance(obj, pikepdf.Array):
        for item in obj:
            h.update(b"[" + _fingerprint(item, depth + 1))
    elif isinstance(obj, pikepdf.Object):
        h.update(obj.unparse())  # a name or a string
    else:
        h.update(repr(obj).encode())  # pikepdf gives numbers and booleans as Python's
    return h.digest()


def _named_destinations(pdf: Any) -> list[tuple[str, Any]]:
    """(name, destination array) of the document's /Dests name tree (WeasyPrint writes one flat
    /Names array; /Kids are followed for other writers)."""
    import pikepdf

    found: list[tuple[str, Any]] = []
    for name, dest in tree_entries(pdf.Root.get("/Names", {}).get("/Dests"), "/Names"):
        if isinstance(dest, pikepdf.Dictionary) and "/D" in dest:
            dest = dest["/D"]
        if isinstance(dest, pikepdf.Array):
            found.append((str(name), dest))
    return found


def _destination(page: int, destination: Any, part: Importer) -> bytes:
    """``destination`` (an array: page, then how to show it) of the whole's page ``page``."""
    return b"[%d 0 R %s]" % (page, _how(destination, part))


def _how(destination: Any, part: Importer) -> bytes:
    """How ``destination`` shows its page (``/XYZ left top zoom``), written."""
    return b" ".join(part.text(item) for item in list(destination)[1:])


def _relink(pages: list[Any]) -> None:
    """Links made by :func:`cross_links` become links to named destinations."""
    import pikepdf

    for page in pages:
        for annotation in page.get("/Annots", []):
            action = annotation.get("/A")
            uri = str(action.get("/URI", "")) if action is not None else ""
            if uri.startswith(ANCHOR_SCHEME):
                del annotation["/A"]
                annotation.Dest = pikepdf.String(uri[len(ANCHOR_SCHEME) :])


def _marks(outlines: Any, index: dict[Any, int], part: Importer) -> list[_Mark]:
    """The bookmarks of a part's ``outlines`` that point at one of its pages (``index``: page
    object to page of the whole), its items walked iteratively along /First and /Next."""
    import pikepdf

    top: list[_Mark] = []
    stack: list[tuple[Any, list[_Mark], int]] = [(outlines.get("/First"), top, 0)]
    seen: set[tuple[int, int]] = set()
    while stack:
        item, siblings, depth = stack.pop()
        if not isinstance(item, pikepdf.Dictionary) or item.objgen in seen or depth > 32:
            continue
        seen.add(item.objgen)
        stack.append((item.get("/Next"), siblings, depth))
        destination = item.get("/Dest")
        action = item.get("/A")
        if destination is None and isinstance(action, pikepdf.Dictionary):
            destination = action.get("/D")
        if not isinstance(destination, pikepdf.Array) or not len(destination):
            continue
        page = index.get(destination[0].objgen)
        if page is None:
            continue
        count = item.get("/Count")
        closed = count is not None and int(count) < 0
        mark = _Mark(part.text(item.Title), page, _how(destination, part), closed)
        siblings.append(mark)
        # the children come before the next sibling (popped first), so the order is kept
        stack.append((item.get("/First"), mark.children, depth + 1))
    return top
