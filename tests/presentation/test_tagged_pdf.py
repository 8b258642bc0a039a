"""Tagged, accessible PDFs (issue 16, point 4): every PDF of the three shared builds has one
structure tree that covers its content, in the document's language, with a title shown in the
window bar, headings, tables with header cells, and a text alternative on every chart; the
running header and footer are artifacts. veraPDF cannot be installed here, so the structure is
walked with pikepdf: "Tagged: yes" from pdfinfo would not be enough."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pikepdf
import pytest

from tests.presentation.conftest import Presented

# one marked-content sequence with an MCID: "/P <</MCID 3>> BDC"
MARKED = re.compile(rb"/(\w+)\s*<<[^>]*?/MCID\s+(\d+)[^>]*>>\s*BDC")


@dataclass
class Tree:
    """What the walk from /StructTreeRoot found."""

    kinds: Counter[str] = field(default_factory=Counter)
    figures: list[str] = field(default_factory=list)  # each Figure's /Alt ("" without one)
    ids: list[str] = field(default_factory=list)
    reached: Counter[tuple[int, int]] = field(default_factory=Counter)  # (page, mcid)
    th_scopes: list[str] = field(default_factory=list)


def walk(pdf: pikepdf.Pdf) -> Tree:
    """The structure tree, element by element (iteratively: it is deep)."""
    pages = {page.obj.objgen: n for n, page in enumerate(pdf.pages)}
    tree = Tree()
    root = pdf.Root.StructTreeRoot
    stack: list[tuple[Any, int | None]] = [(kid, None) for kid in _kids(root)]
    while stack:
        node, page = stack.pop()
        if isinstance(node, int):  # a marked-content reference on the element's page
            assert page is not None
            tree.reached[(page, node)] += 1
            continue
        if not isinstance(node, pikepdf.Dictionary):
            continue
        if node.get("/Type") == "/MCR":
            tree.reached[(pages[node.Pg.objgen], int(node.MCID))] += 1
            continue
        if node.get("/Type") == "/OBJR":
            continue
        kind = str(node.get("/S", ""))
        tree.kinds[kind] += 1
        if kind == "/Figure":
            tree.figures.append(str(node.get("/Alt", "")))
        if kind == "/TH":
            attributes = node.get("/A", pikepdf.Dictionary())
            tree.th_scopes.append(str(attributes.get("/Scope", "")))
        if "/ID" in node:
            tree.ids.append(str(node.ID))
        own = pages.get(node.Pg.objgen) if "/Pg" in node else page
        stack.extend((kid, own) for kid in _kids(node))
    return tree


def _kids(node: Any) -> list[Any]:
    kids = node.get("/K")
    if kids is None:
        return []
    return list(kids) if isinstance(kids, pikepdf.Array) else [kids]


def marked(pdf: pikepdf.Pdf) -> tuple[set[tuple[int, int]], list[bytes]]:
    """Every (page, MCID) marked in the pages' own content, and the content outside any marked
    sequence that draws (text or a form) per page: what a screen reader would meet untagged."""
    found: set[tuple[int, int]] = set()
    loose: list[bytes] = []
    for n, page in enumerate(pdf.pages):
        depth = 0
        for operands, operator in pikepdf.parse_content_stream(page):
            op = bytes(operator)
            if op == b"BDC" or op == b"BMC":
                depth += 1
                if op == b"BDC" and isinstance(operands[1], pikepdf.Dictionary):
                    mcid = operands[1].get("/MCID")
                    if mcid is not None:
                        found.add((n, int(mcid)))
            elif op == b"EMC":
                depth -= 1
            elif depth == 0 and op in (b"Tj", b"TJ", b"Do"):
                loose.append(op)
    return found, loose


@pytest.fixture(scope="module")
def pdfs(presented: Presented) -> list[Path]:
    return presented.pdfs()


def test_every_pdf_is_marked_with_language_and_title(presented: Presented) -> None:
    for path in presented.pdfs():
        lang = presented.results(path.parent.parent.name)["language"]
        with pikepdf.open(path) as pdf:
            assert pdf.Root.MarkInfo.Marked is True or str(pdf.Root.MarkInfo.Marked) == "true"
            assert str(pdf.Root.Lang) == lang, path
            assert bool(pdf.Root.ViewerPreferences.DisplayDocTitle), path
            assert str(pdf.docinfo.get("/Title", "")).strip(), path


def test_the_structure_covers_every_marked_content_exactly_once(pdfs: list[Path]) -> None:
    """Every MCID on every page is reached from the tree once, through the page's
    /StructParents entry of one /ParentTree; no two pages share a /StructParents."""
    for path in pdfs:
        with pikepdf.open(path) as pdf:
            tree = walk(pdf)
            found, loose = marked(pdf)
            assert found, path
            assert set(tree.reached) == found, (path, len(set(tree.reached) ^ found))
            assert max(tree.reached.values()) == 1, path
            assert not loose, (path, Counter(loose))  # furniture included: an artifact
            keys = [int(page.obj.StructParents) for page in pdf.pages]
            assert len(set(keys)) == len(keys), path
            nums = pdf.Root.StructTreeRoot.ParentTree.Nums
            parent_keys = [int(nums[i]) for i in range(0, len(nums), 2)]
            assert set(keys) <= set(parent_keys) and len(set(parent_keys)) == len(parent_keys)
            for n, page in enumerate(pdf.pages):
                at = parent_keys.index(int(page.obj.StructParents))
                elements = nums[2 * at + 1]
                mcids = sorted(m for p, m in found if p == n)
                assert len(elements) == len(mcids) and mcids == list(range(len(mcids))), path


def test_headings_tables_and_unique_ids(pdfs: list[Path]) -> None:
    for path in pdfs:
        with pikepdf.open(path) as pdf:
            tree = walk(pdf)
        assert tree.kinds["/H1"] >= 1 and tree.kinds["/H3"] >= 1, (path, tree.kinds)
        assert tree.kinds["/Table"] >= 1 and tree.kinds["/TH"] >= 5, path
        assert set(tree.th_scopes) == {"/Column"}, path
        assert len(tree.ids) == len(set(tree.ids)), path  # header ids, unique in the whole


def test_every_chart_says_what_it_shows(presented: Presented) -> None:
    """A chart's /Alt names its KPI, its current value, target and status in words."""
    for path in presented.pdfs():
        results = presented.results(path.parent.parent.name)
        names = [k["name"] for d in results["departments"] for k in d["kpis"]]
        with pikepdf.open(path) as pdf:
            alts = [a for a in walk(pdf).figures if a]
        charts = [a for a in alts if any(a.startswith(name) for name in names)]
        assert len(charts) >= 3, (path, alts[:5])
        for alt in charts:
            assert re.search(r"\d", alt) and len(alt) > 40, alt
