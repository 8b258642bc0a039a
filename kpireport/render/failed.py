"""The view of a workbook that did not validate: enough to show its validation report."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from kpireport.i18n import get_locale
from kpireport.issues import ValidationReport
from kpireport.labels import default_title
from kpireport.render import View


def failed_view(workbook: Any, report: ValidationReport) -> View:
    """A View without numbers: company, title and dates from the Settings, where readable."""
    from kpireport.validate import effective_report_date

    settings = workbook.settings
    lang = report.lang
    results = SimpleNamespace(
        language=lang,
        company=settings.company or workbook.path.stem,
        title=settings.title or default_title(get_locale(lang)),
        report_date=effective_report_date(workbook),
        primary_color=settings.primary_color,
        accent_color=settings.accent_color,
        sha256=workbook.sha256,
        workbook=workbook.path.name,
        departments=[],
        summary={},
    )
    return View(results)  # type: ignore[arg-type]
