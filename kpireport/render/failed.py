"""The view of a workbook that did not validate: enough to show its validation report."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from kpireport.engine import CompanySummary, DepartmentResult
from kpireport.i18n import get_locale
from kpireport.issues import ValidationReport
from kpireport.labels import default_title
from kpireport.model import Workbook
from kpireport.render import View


@dataclass(frozen=True)
class Heading:
    """What a page shows of a workbook besides its numbers: the part of the results the
    validation page of a workbook with errors can have (there are no numbers; the report date
    is unknown when no date in it could be read)."""

    workbook: str
    sha256: str
    report_date: dt.date | None
    language: str
    company: str
    title: str
    primary_color: str | None
    accent_color: str | None
    departments: list[DepartmentResult] = field(default_factory=list)
    summary: CompanySummary | None = None


def failed_view(workbook: Workbook, report: ValidationReport) -> View:
    """A View without numbers: company, title and dates from the Settings, where readable."""
    settings = workbook.settings
    heading = Heading(
        workbook=workbook.path.name,
        sha256=workbook.sha256,
        report_date=workbook.report_date,
        language=report.lang,
        company=settings.company or workbook.path.stem,
        title=settings.title or default_title(get_locale(report.lang)),
        primary_color=settings.primary_color,
        accent_color=settings.accent_color,
    )
    return View(heading)
