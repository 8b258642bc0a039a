"""Fatal conditions: a small hierarchy, turned into one clean message and exit code by the CLI."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kpireport.i18n import Locale


class KpiReportError(Exception):
    """Base class: something kpireport cannot go on from; the message is for the user."""

    exit_code = 1


class WorkbookError(KpiReportError):
    """A file cannot be read as a KPI workbook (missing, wrong type, damaged, hostile)."""

    def __init__(self, path: object, code: str, **args: object) -> None:
        from kpireport.issues import Issue

        self.path = path
        self.issue = Issue(code, None, None, args)
        super().__init__(f"{path}: {self.issue.message()}")

    @property
    def code(self) -> str:
        return self.issue.code

    def message(self, locale: Locale | str | None = None) -> str:
        """One sentence naming the file and the problem, and one saying what to do, in
        ``locale`` (a Locale or a language code; English by default)."""
        from kpireport.i18n import Locale, get_locale

        loc = locale if isinstance(locale, Locale) else get_locale(locale)
        return f"{self.path}: {self.issue.message(loc)} {self.issue.hint(loc)}"


class UnsafeWorkbookError(WorkbookError):
    """A workbook was refused because reading it could exhaust memory or reach outside the file."""


class OutputError(KpiReportError):
    """An output file or folder cannot be written."""


class UsageError(KpiReportError):
    """The command was called wrongly in a way click cannot see (e.g. a bad option combination)."""

    exit_code = 2


class ResultsFileError(KpiReportError):
    """A report set's results.json cannot be read: missing, not JSON, or not of this format."""


class TemplateError(KpiReportError):
    """A report template cannot be read or rendered."""
