"""The validation report as a readable table for the terminal, grouped by sheet.

Every piece of it that comes from the workbook or its file name (the path, sheet names, the
messages that quote cells) goes through :func:`kpireport.printable.printable`, so that a cell
cannot clear the screen, forge a line of the table or hide text, in the terminal, in errors.txt or
in a log.
"""

from __future__ import annotations

import textwrap
from collections import Counter
from typing import TYPE_CHECKING, Protocol

from kpireport import fmt
from kpireport.i18n import N_, Locale
from kpireport.issues import ERROR, SMART_LETTERS, Issue, ValidationReport, group_by_sheet
from kpireport.printable import printable

if TYPE_CHECKING:
    from kpireport.model import Workbook

# The severities, as the table shows them.
SEVERITY = {ERROR: N_("error"), "warning": N_("warning")}

# Lines shown per sheet and code before the rest is summed up ("... and 9,840 more").
MAX_PER_CODE = 10
WIDTH = 100


class Style(Protocol):
    """Emphasis for a terminal: the subset of ``click.style`` the table uses."""

    def __call__(
        self,
        text: str,
        *,
        fg: str | None = None,
        bold: bool = False,
        underline: bool = False,
        dim: bool = False,
    ) -> str: ...


def plain(text: str, **_emphasis: object) -> str:
    """No emphasis: the text for a file (errors.txt) or a log."""
    return text


def render_text(
    report: ValidationReport,
    workbook: Workbook | None = None,
    strict: bool = False,
    style: Style = plain,
) -> str:
    """The report as text: a headline, then the issues grouped by sheet with their hints.
    ``style`` adds the emphasis (the CLI passes ``click.style``); without it the text is plain."""
    locale = report.locale
    _ = locale.gettext
    path = style(printable(report.path), bold=True)
    if workbook is None and len(report.issues) == 1 and report.issues[0].sheet is None:
        # The file could not be read at all: one sentence says why, one what to do.
        issue = report.issues[0]
        message = printable(issue.message(locale))
        return f"{path}: {style(message, fg='red')} {printable(issue.hint(locale))}"
    ok = report.ok(strict)
    status = style(_("valid") if ok else _("not valid"), fg="green" if ok else "red", bold=True)
    lines = [f"{path}: {status}"]
    if workbook is not None:
        lines.append("  " + _contents(workbook, locale))
    n_err, n_warn = len(report.errors), len(report.warnings)
    counts = "  " + _("{errors}, {warnings}").format(
        errors=locale.ngettext("{n} error", "{n} errors", n_err).format(n=n_err),
        warnings=locale.ngettext("{n} warning", "{n} warnings", n_warn).format(n=n_warn),
    )
    if strict and report.warnings:
        counts += " " + _("(--strict: warnings count as failures)")
    lines.append(counts)
    smart = Counter(i.smart for i in report.warnings if i.smart)
    if smart:
        letters = " · ".join(f"{k} {smart.get(k, 0)}" for k in SMART_LETTERS)
        lines.append("  " + _("SMART warnings") + ": " + letters)
    for sheet, issues in group_by_sheet(report.sorted_issues()).items():
        lines.append("")
        lines.append(style(printable(sheet) or _("File"), bold=True, underline=True))
        shown: Counter[str] = Counter()
        hidden: Counter[str] = Counter()
        # the cell column as wide as the sheet's longest cell (C123456 is past row 99,999)
        cell_width = max(6, *(len(printable(i.cell or "-")) for i in issues))
        for issue in issues:
            shown[issue.code] += 1
            if shown[issue.code] > MAX_PER_CODE:
                hidden[issue.code] += 1
                continue
            lines.extend(_issue_lines(issue, locale, style, cell_width))
        for code, n in hidden.items():
            more = _("... and {n} more like this (use --format json to see all)")
            lines.append(f"  {code}: " + more.format(n=fmt.number(n, locale, 0)))
    return "\n".join(lines)


def _contents(workbook: Workbook, locale: Locale) -> str:
    """``12 KPIs in 4 departments, 300 measurements, 9 benchmarks``."""
    kpis = len(workbook.kpis)
    departments = len({k.department for k in workbook.kpis if k.department})
    measurements = len(workbook.measurements)
    benchmarks = len(workbook.benchmarks)
    return locale.gettext("{kpis} in {departments}, {measurements}, {benchmarks}").format(
        kpis=locale.ngettext("{n} KPI", "{n} KPIs", kpis).format(n=kpis),
        departments=locale.ngettext("{n} department", "{n} departments", departments).format(
            n=departments
        ),
        measurements=locale.ngettext("{n} measurement", "{n} measurements", measurements).format(
            n=fmt.number(measurements, locale, 0)
        ),
        benchmarks=locale.ngettext("{n} benchmark", "{n} benchmarks", benchmarks).format(
            n=benchmarks
        ),
    )


def _issue_lines(issue: Issue, locale: Locale, style: Style, cell_width: int = 6) -> list[str]:
    severity = locale.gettext(SEVERITY[issue.severity])
    colour = "red" if issue.severity == ERROR else "yellow"
    head = f"  {printable(issue.cell or '-'):<{cell_width}} {style(f'{severity:<9}', fg=colour)}"
    indent = " " * (2 + cell_width + 1 + 9 + 1)
    width = max(WIDTH - len(indent), 40)
    message = printable(issue.message(locale))
    body = textwrap.wrap(f"{message} [{issue.code}]", width, break_on_hyphens=False)
    hint = textwrap.wrap("→ " + printable(issue.hint(locale)), width, break_on_hyphens=False)
    out = [f"{head} {body[0] if body else ''}"]
    out.extend(indent + line for line in body[1:])
    out.extend(indent + style(line, dim=True) for line in hint)
    return out
