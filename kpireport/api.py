"""The Python API: a workbook in, results out, for notebooks and scripts (docs/python-api.md).

import kpireport
workbook = kpireport.load("kpis.xlsx")        # read and validated; InvalidWorkbookError if not
results = kpireport.compute(workbook)          # every KPI, department and the company
results.to_frame()                             # pandas: one row per KPI
results.series_frame()                         # pandas: one row per KPI and period
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from kpireport.engine import Results
from kpireport.errors import KpiReportError
from kpireport.issues import Issue, ValidationReport
from kpireport.model import Workbook


class InvalidWorkbookError(KpiReportError):
    """A workbook has errors, so no results can be computed; ``report`` has every issue."""

    def __init__(self, report: ValidationReport) -> None:
        self.report = report
        first = report.sorted_issues()[0] if report.errors else None
        detail = f": {first.where} {first.message(report.locale)}" if first else ""
        count = len(report.errors)
        super().__init__(
            f"{report.path} has {count} error{'' if count == 1 else 's'}{detail} "
            "(the report's issues list them all)"
        )

    @property
    def issues(self) -> list[Issue]:
        return self.report.issues


def load(path: str | Path, *, lang: str | None = None) -> Workbook:
    """Read and validate the workbook at ``path``. Returns it when it has no errors (its
    warnings are in ``workbook.validation``); raises :class:`InvalidWorkbookError` (with the
    validation report) when it has, and :class:`~kpireport.errors.WorkbookError` when the file
    cannot be read as a workbook at all. ``lang``: the language of the messages."""
    from kpireport.validate import check

    workbook, report = check(Path(path), lang=lang)
    if not report.valid:
        raise InvalidWorkbookError(report)
    workbook.validation = report
    return workbook


def compute(
    workbook: Workbook, *, lang: str | None = None, report_date: dt.date | None = None
) -> Results:
    """The results of a workbook from :func:`load`, as of its report date (or ``report_date``),
    in its language (or ``lang``, for the texts in the results: titles, warnings)."""
    from kpireport.engine import compute as compute_results

    report = workbook.validation
    if report is None:  # a Workbook made without load(): validate it now
        from kpireport.validate import validate

        report = validate(workbook, lang=lang)
        if not report.valid:
            raise InvalidWorkbookError(report)
    return compute_results(workbook, report, report_date=report_date, lang=lang)


__all__ = ["InvalidWorkbookError", "compute", "load"]
