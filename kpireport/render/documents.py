"""The documents of a report set as typed records (what each is made from) and each file as one
form of one of them, with the named functions that render their HTML. The build plans them
(kpireport/buildplan.py); the PDF stage renders the PDF parts with the same functions
(kpireport/render/pdfstage.py)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar, TypeAlias

import jinja2
from jinja2 import meta

from kpireport.engine import DepartmentResult, Results
from kpireport.issues import ValidationReport
from kpireport.render import View, render, render_pieces
from kpireport.render.assemble import cross_links
from kpireport.render.home import Trend

BOARD_PACK = "board-pack"
# Rows of the summary's tables (status changes, attention list) in one of the PDF parts it is
# rendered in: about nine pages.
SUMMARY_ROWS = 120


@dataclass(frozen=True)
class ReportSet:
    """What every document of one report set is rendered with."""

    env: jinja2.Environment
    view: View  # the results, with the workbook's logo
    report: ValidationReport


@dataclass(frozen=True)
class DepartmentReport:
    """One department's report: its HTML file, and its PDF, which is its *body* (its pages
    without running header and footer, kept in ``.pages/`` under ``body_key`` for the board
    pack and the next build) with the header and footer drawn over it."""

    dept: DepartmentResult
    view: View  # the department's logo, or else the workbook's
    body_key: str

    @property
    def name(self) -> str:
        """The file name without extension."""
        return self.dept.slug


@dataclass(frozen=True)
class BoardPack:
    """The board pack: its HTML file, and its PDF, which is its cover and contents, its summary
    pages and every department's body, with the whole pack's header and footer drawn over
    them."""

    name: ClassVar[str] = BOARD_PACK
    slugs: tuple[str, ...]  # the departments, in order
    attachments: tuple[tuple[str, bytes], ...]  # (name, data) embedded in the PDF (PDF/A-3)


@dataclass(frozen=True)
class ValidationPage:
    """``validation.html`` of a report set: the warnings of the workbook it was built from."""


@dataclass(frozen=True)
class IndexPage:
    """``index.html`` of a report set: its scores, a link to each of its ``files``, and the
    trend of its workbook's sets up to it."""

    files: tuple[str, ...]
    trend: Trend | None = None


@dataclass(frozen=True)
class ResultsJson:
    """``results.json``: every number of the report set (docs/results-json.md)."""


@dataclass(frozen=True)
class ResultsCsv:
    """``results.csv``: the KPI table (docs/exports.md)."""


@dataclass(frozen=True)
class ResultsXlsx:
    """``results.xlsx``: the KPI table and every KPI's series (docs/exports.md)."""


Document: TypeAlias = (
    DepartmentReport
    | BoardPack
    | ResultsJson
    | ResultsCsv
    | ResultsXlsx
    | ValidationPage
    | IndexPage
)


@dataclass(frozen=True)
class OutputFile:
    """One file of a report set: one form (HTML, PDF, ...) of one of its documents."""

    name: str  # in the report set's folder
    key: str  # the hash of everything the file is made from
    document: Document

    @property
    def pdf(self) -> bool:
        return self.name.endswith(".pdf")


def department_html(rs: ReportSet, doc: DepartmentReport) -> str:
    """A department's report: the HTML file, and the body of its PDF."""
    return render(rs.env, "department.html", doc.view, dept=doc.dept)


def board_pack_html(rs: ReportSet) -> Iterator[str]:
    """The whole board pack as one HTML file, in pieces as it is made."""
    return render_pieces(rs.env, "board-pack.html", rs.view, part=None, pages=None)


def board_pack_cover_html(rs: ReportSet, pages: dict[str, int]) -> str:
    """The board pack PDF's cover and contents, given the page number of each entry."""
    return cross_links(render(rs.env, "board-pack.html", rs.view, part="cover", pages=pages))


def board_pack_summary_html(rs: ReportSet, piece: SummaryPiece | None = None) -> str:
    """The board pack PDF's summary pages: all of them, or those of ``piece``."""
    return cross_links(
        render(rs.env, "board-pack.html", rs.view, part="summary", pages=None, piece=piece)
    )


@dataclass(frozen=True)
class SummaryPiece:
    """One of the PDF parts the board pack's summary is rendered in: ``first``, the summary's
    head (headline, tiles, the departments' table), and the rows it holds of the table of
    status changes and of the attention list ((start, stop); None: not in this piece)."""

    first: bool
    changes: tuple[int, int] | None = None
    attention: tuple[int, int] | None = None


def summary_pieces(rs: ReportSet, rows: int | None = None) -> list[SummaryPiece]:
    """The summary in pieces of at most ``rows`` (:data:`SUMMARY_ROWS`) table rows, each
    rendered on its own (in parallel, and each in the memory of a department's pages, where
    the attention list of a 3,000-KPI workbook was one document of 250 pages), each starting
    a page. One piece when the summary is short, or when a template of the user's own makes
    ``board-pack.html`` without knowing of pieces (it would show the whole summary in each)."""
    results = rs.view.r
    assert isinstance(results, Results), "a board pack is made of results"
    summary = results.summary
    tables = [("changes", len(summary.changes))] if results.compared_with else []
    tables.append(("attention", len(summary.attention)))
    if rows is None:
        rows = SUMMARY_ROWS
    if not _knows_pieces(rs.env):
        rows = sum(count for _name, count in tables)
    rows = max(rows, 1)
    pieces: list[dict[str, tuple[int, int]]] = [{}]
    room = rows
    for name, count in tables:
        start = 0
        while True:
            if room == 0 and start < count:  # this piece is full: the next one
                pieces.append({})
                room = rows
            take = min(count - start, room)
            pieces[-1][name] = (start, start + take)
            start, room = start + take, room - take
            if start >= count:
                break
    return [SummaryPiece(n == 0, **piece) for n, piece in enumerate(pieces)]


def furniture_html(rs: ReportSet, first: int, count: int, total: int, cover: bool) -> str:
    """The running header and footer of pages ``first`` to ``first + count - 1`` of a PDF of
    ``total`` pages, one empty page each; ``cover``: the first page is a cover (no header)."""
    return render(
        rs.env, "furniture.html", rs.view, first=first, count=count, total=total, cover=cover
    )


def _knows_pieces(env: jinja2.Environment, name: str = "board-pack.html", depth: int = 0) -> bool:
    """Whether template ``name``, or one it extends or includes, uses ``piece``."""
    source = env.loader.get_source(env, name)[0] if env.loader is not None else ""
    ast = env.parse(source)
    if "piece" in meta.find_undeclared_variables(ast):
        return True
    names = [n for n in meta.find_referenced_templates(ast) if n and n != name]
    return depth < 4 and any(_knows_pieces(env, n, depth + 1) for n in names)


def validation_html(rs: ReportSet) -> str:
    """A report set's ``validation.html``."""
    return render(rs.env, "validation.html", rs.view, report=rs.report, failed=False)


def index_html(rs: ReportSet, doc: IndexPage) -> str:
    """A report set's ``index.html``."""
    return render(rs.env, "index.html", rs.view, files=list(doc.files), trend=doc.trend)
