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

from typing import Any


class Structure:
    """The structure tree of ``out`` (the first part, into which the others' pages go), grown
    by :meth:`add` and written by :meth:`finish`; nothing happens for an untagged PDF."""

    def __init__(self, out: Any) -> None:
        self.out = out
        root = out.Root.get("/StructTreeRoot")
        self.root = root
        self.nums: list[tuple[int, Any]] = []
        self.ids: dict[str, Any] = {}
        self.parts = 0
        if root is None:
            return
        self.document = _kids(root)[0]
        self.nums = _numbers(root.get("/ParentTree"))
        self._tidy(self.document, "")
        self.parts = 1

    @property
    def next_key(self) -> int:
        return max((key for key, _ in self.nums), default=-1) + 1

    def add(self, source: Any, pages: list[Any]) -> None:
        """Bring in the tree of ``source``, whose pages are ``pages`` of ``out`` (copied)."""
        import pikepdf

        theirs = source.Root.get("/StructTreeRoot")
        if self.root is None or theirs is None:
            return
        # Copied from the same source as its pages, so its /Pg and /Obj references are to the
        # pages and annotations already copied into ``out``, not new copies of them.
        root = self.out.copy_foreign(theirs)
        offset = self.next_key
        for page in pages:
            if "/StructParents" in page.obj:
                page.obj.StructParents = int(page.obj.StructParents) + offset
            for annotation in page.obj.get("/Annots", []):
                if "/StructParent" in annotation:
                    annotation.StructParent = int(annotation.StructParent) + offset
        self.nums += [(key + offset, value) for key, value in _numbers(root.get("/ParentTree"))]
        prefix = f"p{self.parts}-"
        self.parts += 1
        kids = self.document.get("/K")
        if not isinstance(kids, pikepdf.Array):
            kids = self.document.K = pikepdf.Array([] if kids is None else [kids])
        for document in _kids(root):
            for element in _kids(document):
                if isinstance(element, pikepdf.Dictionary):
                    element.P = self.document
                    self._tidy(element, prefix)
                kids.append(element)

    def finish(self) -> None:
        """Write the one /ParentTree, its next key, and the /IDTree of the header cells."""
        import pikepdf

        if self.root is None:
            return
        flat = pikepdf.Array()
        for key, value in sorted(self.nums, key=lambda entry: entry[0]):
            flat.append(key)
            flat.append(value)
        self.root.ParentTree = self.out.make_indirect(pikepdf.Dictionary(Nums=flat))
        self.root.ParentTreeNextKey = self.next_key
        if self.ids:
            names = pikepdf.Array()
            for name in sorted(self.ids):
                names.append(pikepdf.String(name))
                names.append(self.ids[name])
            self.root.IDTree = self.out.make_indirect(pikepdf.Dictionary(Names=names))

    def _tidy(self, top: Any, prefix: str) -> None:
        """Under ``top``: header cells get a scope, ids and the cells' references to them the
        part's ``prefix``; every id is recorded for the /IDTree."""
        import pikepdf

        stack = [top]
        while stack:
            element = stack.pop()
            kind = element.get("/S")
            if kind == "/TH" or kind == "/TD":
                attributes = element.get("/A")
                if not isinstance(attributes, pikepdf.Dictionary):
                    attributes = element.A = pikepdf.Dictionary(O=pikepdf.Name.Table)
                if kind == "/TH" and "/Scope" not in attributes:
                    attributes.Scope = pikepdf.Name.Column  # every <th> of the reports: scope=col
                headers = attributes.get("/Headers")
                if prefix and isinstance(headers, pikepdf.Array):
                    attributes.Headers = pikepdf.Array(
                        [pikepdf.String(prefix + str(h)) for h in headers]
                    )
            if "/ID" in element:
                name = prefix + str(element.ID)
                element.ID = pikepdf.String(name)
                self.ids[name] = element
            stack += [
                kid for kid in _kids(element) if isinstance(kid, pikepdf.Dictionary) and "/S" in kid
            ]


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
