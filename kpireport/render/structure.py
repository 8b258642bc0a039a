"""One structure tree for an assembled PDF: the tagged parts' trees (WeasyPrint's, one per
rendered document) merged under the first part's document element, as assemble.py puts their
pages together.

Each part numbers its pages' ``/StructParents`` (and its link annotations' ``/StructParent``)
from 0, and names its table header cells by its own object numbers: here the keys of every part
after the first move past the keys already taken, one ``/ParentTree`` maps them all, and header
ids get the part's prefix, so that every key and id is unique in the whole. Header cells get the
``/Scope`` a screen reader announces them by (WeasyPrint links cells to headers but gives no
scope), and the ids their ``/IDTree``.
"""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kpireport.render.pdfwrite import Importer, PdfWriter


# In an object's unparsed form: what a header or data cell, or an element with an id, has.
_CELL_OR_ID = re.compile(rb"/T[HD]\b|/ID\b")


class Structure:
    """The structure tree of the whole, as assemble.py writes it part by part: each part's
    elements are written as the part is (:meth:`add`), under one document element that
    :meth:`finish` writes with the keys, /ParentTree and /IDTree of them all. Nothing happens
    when the first part is untagged."""

    def __init__(self, writer: PdfWriter) -> None:
        self.writer = writer
        self.tagged: bool | None = None  # decided by the first part
        self.root = 0  # the whole's /StructTreeRoot and document element (object numbers)
        self.document = 0
        self.root_entries = b""  # the first part's, written: those that are kept
        self.document_entries = b""
        self.kids: list[bytes] = []  # the document element's kids, written
        self.nums: list[tuple[int, bytes]] = []  # (key, value written) of the /ParentTree
        self.next_key = 0
        self.ids: dict[str, int] = {}  # a header cell's id: its object
        self.parts = 0

    def stand_ins(self, pdf: Any) -> dict[tuple[int, int], int]:
        """What stands, in the whole, for ``pdf``'s structure tree root and document
        elements (by ``objgen``): the whole's."""
        root = pdf.Root.get("/StructTreeRoot")
        if self.tagged is None:
            self.tagged = root is not None
            if self.tagged:
                self.root, self.document = self.writer.reserve(), self.writer.reserve()
        if not self.tagged or root is None:
            return {}
        documents = [d for d in _kids(root) if d.is_indirect]
        return {root.objgen: self.root} | {d.objgen: self.document for d in documents}

    def add(self, pdf: Any, part: Importer, pages: list[Any]) -> None:
        """Bring in the tree of ``pdf``, whose ``pages`` follow those already added: its keys
        move past the keys already taken, header ids get the part's prefix, and its elements
        go under the whole's document element."""
        import pikepdf

        root = pdf.Root.get("/StructTreeRoot")
        if not self.tagged or root is None:
            return
        offset = self.next_key
        for page in pages:
            if "/StructParents" in page:
                page.StructParents = int(page.StructParents) + offset
            for annotation in page.get("/Annots", []):
                if "/StructParent" in annotation:
                    annotation.StructParent = int(annotation.StructParent) + offset
        for key, value in _numbers(root.get("/ParentTree")):
            self.nums.append((key + offset, part.text(value)))
            self.next_key = max(self.next_key, key + offset + 1)
        prefix = f"p{self.parts}-" if self.parts else ""
        documents = _kids(root)
        if not self.parts:
            kept = ("/K", "/ParentTree", "/ParentTreeNextKey", "/IDTree", "/Type")
            self.root_entries = part.entries(root, skip=kept)
            self.document_entries = part.entries(documents[0], skip=("/K",))
        self.parts += 1
        # each element is tidied as it is written (not by walking the tree first: a part has
        # about 300 elements a page, and the walk was a quarter of a board pack's assembly)
        part.retouch = functools.partial(self._retouch, prefix)
        part.retouch_marks = _CELL_OR_ID
        for document in documents:
            for element in _kids(document):
                if isinstance(element, pikepdf.Dictionary) and not element.is_indirect:
                    self._tidy(element, prefix, None)
                self.kids.append(part.text(element))

    def finish(self) -> int | None:
        """Write the document element, the one /ParentTree, its next key, the /IDTree of the
        header cells and the root; the root's number (None: untagged)."""
        if not self.tagged:
            return None
        from kpireport.render.pdfwrite import pdf_string

        put, reserve = self.writer.put, self.writer.reserve
        put(self.document, b"<< %s /K [%s] >>" % (self.document_entries, b" ".join(self.kids)))
        parents = reserve()
        nums = b" ".join(b"%d %s" % entry for entry in sorted(self.nums, key=lambda e: e[0]))
        put(parents, b"<< /Nums [%s] >>" % nums)
        root = b"<< /Type /StructTreeRoot %s /K [%d 0 R] /ParentTree %d 0 R" % (
            self.root_entries,
            self.document,
            parents,
        )
        root += b" /ParentTreeNextKey %d" % self.next_key
        if self.ids:
            ids = reserve()
            names = b" ".join(
                pdf_string(name) + b" %d 0 R" % self.ids[name] for name in sorted(self.ids)
            )
            put(ids, b"<< /Names [%s] >>" % names)
            root += b" /IDTree %d 0 R" % ids
        put(self.root, root + b" >>")
        return self.root

    def _retouch(self, prefix: str, obj: Any, text: bytes, number: int) -> bool:
        """:meth:`_tidy` an object of a part as it is written (its unparsed form ``text``, in
        which :data:`_CELL_OR_ID` found something; its ``number`` in the whole); whether it
        changed."""
        import pikepdf

        if not isinstance(obj, pikepdf.Dictionary) or "/S" not in obj:
            return False
        return self._tidy(obj, prefix, number)

    def _tidy(self, top: Any, prefix: str, number: int | None) -> bool:
        """``top`` (a structure element) and the elements within it that are not objects of
        their own (those are tidied as they are written): header cells get a scope, ids and
        the cells' references to them the part's ``prefix``; every id of an element written
        as ``number`` is recorded for the /IDTree. Whether anything changed."""
        import pikepdf

        changed = False
        stack = [top]
        while stack:
            element = stack.pop()
            kind = element.get("/S")
            if kind == "/TH" or kind == "/TD":
                attributes = element.get("/A")
                if not isinstance(attributes, pikepdf.Dictionary):
                    attributes = element.A = pikepdf.Dictionary(O=pikepdf.Name.Table)
                    changed = True
                if kind == "/TH" and "/Scope" not in attributes:
                    attributes.Scope = pikepdf.Name.Column  # every <th> of the reports: scope=col
                    changed = True
                headers = attributes.get("/Headers")
                if prefix and isinstance(headers, pikepdf.Array):
                    attributes.Headers = pikepdf.Array(
                        [pikepdf.String(prefix + str(h)) for h in headers]
                    )
                    changed = True
            if "/ID" in element:
                name = prefix + str(element.ID)
                element.ID = pikepdf.String(name)
                changed = True
                if element is top and number is not None:  # a direct one cannot be referred to
                    self.ids[name] = number
            stack += [
                kid
                for kid in _kids(element)
                if isinstance(kid, pikepdf.Dictionary) and not kid.is_indirect and "/S" in kid
            ]
        return changed


def _kids(node: Any) -> list[Any]:
    """An element's /K as a list (one kid may stand alone)."""
    import pikepdf

    kids = node.get("/K")
    if kids is None:
        return []
    return list(kids) if isinstance(kids, pikepdf.Array) else [kids]


def tree_entries(tree: Any, leaves: str) -> list[tuple[Any, Any]]:
    """(key, value) of a PDF number tree (``leaves="/Nums"``) or name tree (``"/Names"``): the
    flat array of its root, and its /Kids' (WeasyPrint writes one flat array; other writers
    may split it). Walked iteratively: no recursion a deep tree could exhaust."""
    found: list[tuple[Any, Any]] = []
    stack = [tree] if tree is not None else []
    while stack:
        node = stack.pop()
        entries = node.get(leaves)
        if entries is not None:
            found += [(entries[i], entries[i + 1]) for i in range(0, len(entries) - 1, 2)]
        stack += list(node.get("/Kids", []))
    return found


def _numbers(tree: Any) -> list[tuple[int, Any]]:
    """(key, value) of a number tree (the /ParentTree)."""
    return [(int(key), value) for key, value in tree_entries(tree, "/Nums")]
