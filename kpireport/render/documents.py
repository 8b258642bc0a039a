"""The documents of a report set as typed records (what each is made from) and each file as one
form of one of them, with the named functions that render their HTML. The build plans them
(kpireport/buildplan.py); the PDF stage renders the PDF parts with the same functions
(kpireport/render/pdfstage.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, TypeAlias

import jinja2

from kpireport.engine import DepartmentResult
from kpireport.issues import ValidationReport
from kpireport.render import View, render
from kpireport.render.assemble import cross_links
from kpireport.render.home import Trend

BOARD_PACK = "board-pack"


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


def board_pack_html(rs: ReportSet) -> str:
    """The whole board pack as one HTML file."""
    return render(rs.env, "board-pack.html", rs.view, part=None, pages=None)


def board_pack_cover_html(rs: ReportSet, pages: dict[str, int]) -> str:
    """The board pack PDF's cover and contents, given the page number of each entry."""
    return cross_links(render(rs.env, "board-pack.html", rs.view, part="cover", pages=pages))


def board_pack_summary_html(rs: ReportSet) -> str:
    """The board pack PDF's summary pages."""
    return cross_links(render(rs.env, "board-pack.html", rs.view, part="summary", pages=None))


def furniture_html(rs: ReportSet, first: int, count: int, total: int, cover: bool) -> str:
    """The running header and footer of pages ``first`` to ``first + count - 1`` of a PDF of
    ``total`` pages, one empty page each; ``cover``: the first page is a cover (no header)."""
    return render(
        rs.env, "furniture.html", rs.view, first=first, count=count, total=total, cover=cover
    )


def validation_html(rs: ReportSet) -> str:
    """A report set's ``validation.html``."""
    return render(rs.env, "validation.html", rs.view, report=rs.report, failed=False)


def index_html(rs: ReportSet, doc: IndexPage) -> str:
    """A report set's ``index.html``."""
    return render(rs.env, "index.html", rs.view, files=list(doc.files), trend=doc.trend)
