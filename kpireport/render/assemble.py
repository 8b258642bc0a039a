"""Putting finished PDFs together with qpdf (through pikepdf): the running header and footer
drawn over every page, and a board pack made of its own front pages followed by the pages of
the department reports, which are therefore laid out once for both.

WeasyPrint links by named destinations (``/Dest (kpi-SALES-01)``) and bookmarks by explicit
page references; both are rebuilt here so that every link and bookmark of every part points at
the same place in the whole document. WeasyPrint writes an image once per document, so each part
brings its own copy of the logo; identical images are made one object here, which every page
that shows one shares.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass, field
from typing import Any

from kpireport.render.structure import Structure, tree_entries

# A link from one part to an anchor in another: WeasyPrint drops a "#name" link whose target is
# not in the same document, so parts are rendered with this scheme (see cross_links) and the
# links become named destinations here.
ANCHOR_SCHEME = "kpireport-anchor:"


def cross_links(html: str) -> str:
    """``href="#x"`` -> a link that survives rendering as a part of a larger document. Text
    never holds ``href="#``: Jinja escapes every quote in cell text."""
    return html.replace('href="#', f'href="{ANCHOR_SCHEME}')


@dataclass
class _Mark:
    """A bookmark: its title, where it points (page of the whole document, x, y), children."""

    title: str
    page: int
    left: float | None
    top: float | None
    closed: bool = False
    children: list[_Mark] = field(default_factory=list)


def assemble(parts: list[bytes], furniture: list[bytes]) -> bytes:
    """One PDF: the pages of ``parts`` in order, with the pages of ``furniture`` (the running
    header and footer, one page per page) drawn over them. The first part's document data is
    kept: metadata, PDF/A output intent and embedded files."""
    import pikepdf

    sources = [pikepdf.open(io.BytesIO(part)) for part in parts]
    out = sources[0]
    names: dict[str, tuple[int, list[Any]]] = {}
    marks: list[_Mark] = []
    structure = Structure(out)
    offset = 0
    for number, source in enumerate(sources):
        index = {page.obj.objgen: n for n, page in enumerate(source.pages)}
        for name, destination in _named_destinations(source):
            page = index.get(destination[0].objgen) if len(destination) else None
            if page is not None:
                names[name] = (offset + page, list(destination[1:]))
        with source.open_outline() as outline:
            marks += [m for item in outline.root if (m := _mark(item, index, offset))]
        count = len(source.pages)
        if number:
            with warnings.catch_warnings():
                # named destinations and links are carried over below, by _set_named_destinations
                warnings.filterwarnings("ignore", category=pikepdf.PageCopyWarning)
                out.pages.extend(source.pages)
            structure.add(source, out.pages[offset : offset + count])
        offset += count
    structure.finish()
    if len(sources) > 1:
        _relink(out)
        _set_named_destinations(out, names)
        _set_outline(out, marks)
    overlays = [pikepdf.open(io.BytesIO(f)) for f in furniture]
    layers = [layer for pdf in overlays for layer in pdf.pages]
    if len(layers) != len(out.pages):
        raise ValueError(f"{len(layers)} furniture pages for {len(out.pages)} pages")
    for target, layer in zip(out.pages, layers, strict=True):
        _overlay(target, layer)
    _share_images(out)
    buffer = io.BytesIO()
    out.save(buffer, deterministic_id=True)
    return buffer.getvalue()


def _overlay(target: Any, layer: Any) -> None:
    """Draw ``layer`` (a page) over ``target``, as pikepdf's ``add_overlay`` does, under a name
    of our own: add_overlay names the form with ``Name.random``, so the same parts gave other
    bytes (and another /ID) on every run."""
    import pikepdf

    formx = layer.as_form_xobject()
    taken = set(target.resources.get(pikepdf.Name.XObject, {}).keys())
    name = next(
        pikepdf.Name(f"/KpiFurniture{n}")
        for n in range(len(taken) + 1)
        if f"/KpiFurniture{n}" not in taken
    )
    target.add_resource(formx, pikepdf.Name.XObject, name)
    placed = target.calc_form_xobject_placement(
        formx, name, pikepdf.Rectangle(target.trimbox), allow_shrink=True, allow_expand=True
    )
    target.contents_add(b"q\n", prepend=True)
    target.contents_add(b"Q\n", prepend=False)
    # the running header and footer are pagination artifacts: outside the structure tree, and
    # passed over by a screen reader, which reads the page's own tagged text
    target.contents_add(b"/Artifact <</Type /Pagination>> BDC\n" + placed + b"\nEMC\n")
    target.contents_coalesce()


def _share_images(pdf: Any) -> None:
    """Images with the same data and dictionary become one object, which every page, form and
    pattern that draws one refers to (the copies, no longer referred to, are not written)."""
    import pikepdf

    shared: dict[bytes, Any] = {}
    # each image's fingerprint, by its object: a page drawing the logo again costs no hashing
    fingerprints: dict[tuple[int, int], bytes] = {}
    seen: set[tuple[int, int]] = set()
    stack = [page.obj.get("/Resources") for page in pdf.pages]
    while stack:
        resources = stack.pop()
        if not isinstance(resources, pikepdf.Dictionary):
            continue
        if resources.is_indirect:  # the pages of one part share their resources
            if resources.objgen in seen:
                continue
            seen.add(resources.objgen)
        xobjects = resources.get("/XObject")
        if not isinstance(xobjects, pikepdf.Dictionary):
            xobjects = pikepdf.Dictionary()
        for name in list(xobjects.keys()):
            xobject = xobjects[name]
            if not isinstance(xobject, pikepdf.Stream):
                continue
            if xobject.get("/Subtype") == "/Image":
                if xobject.objgen not in fingerprints:
                    fingerprints[xobject.objgen] = _fingerprint(xobject)
                xobjects[name] = shared.setdefault(fingerprints[xobject.objgen], xobject)
            else:  # a form: the page header and footer drawn over a page, or a part's own
                stack.append(xobject.get("/Resources"))
        patterns = resources.get("/Pattern")
        if isinstance(patterns, pikepdf.Dictionary):
            stack += [p.get("/Resources") for p in patterns.values() if hasattr(p, "get")]


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
        found.append((str(name), dest))
    return found


def _relink(out: Any) -> None:
    """Links made by :func:`cross_links` become links to named destinations."""
    import pikepdf

    for page in out.pages:
        for annotation in page.obj.get("/Annots", []):
            action = annotation.get("/A")
            uri = str(action.get("/URI", "")) if action is not None else ""
            if uri.startswith(ANCHOR_SCHEME):
                del annotation["/A"]
                annotation.Dest = pikepdf.String(uri[len(ANCHOR_SCHEME) :])


def _set_named_destinations(out: Any, names: dict[str, tuple[int, list[Any]]]) -> None:
    import pikepdf

    flat = pikepdf.Array()
    for name in sorted(names):
        page, rest = names[name]
        flat.append(pikepdf.String(name))
        flat.append(pikepdf.Array([out.pages[page].obj, *rest]))
    if "/Names" not in out.Root:
        out.Root.Names = pikepdf.Dictionary()
    out.Root.Names.Dests = out.make_indirect(pikepdf.Dictionary(Names=flat))


def _mark(item: Any, index: dict[Any, int], offset: int) -> _Mark | None:
    destination = item.destination
    if destination is None or not len(destination):
        return None
    page = index.get(destination[0].objgen)
    if page is None:
        return None
    left = float(destination[2]) if len(destination) > 2 else None
    top = float(destination[3]) if len(destination) > 3 else None
    children = [_mark(child, index, offset) for child in item.children]
    return _Mark(
        str(item.title),
        offset + page,
        left,
        top,
        item.is_closed,
        [c for c in children if c is not None],
    )


def _set_outline(out: Any, marks: list[_Mark]) -> None:
    import pikepdf

    def build(mark: _Mark) -> Any:
        item = pikepdf.OutlineItem(
            mark.title,
            mark.page,
            pikepdf.PageLocation.XYZ,
            left=mark.left,
            top=mark.top,
            zoom=0,
        )
        item.is_closed = mark.closed
        item.children.extend(build(child) for child in mark.children)
        return item

    with out.open_outline() as outline:
        outline.root.clear()
        outline.root.extend(build(mark) for mark in marks)
