"""The validation report as a readable table for the terminal, grouped by sheet."""

from __future__ import annotations

import textwrap
from collections import Counter
from typing import Any, Protocol

from kpireport.issues import ERROR, SMART_LETTERS, ValidationReport, group_by_sheet

# Lines shown per sheet and code before the rest is summed up ("... and 9,840 more").
MAX_PER_CODE = 10
WIDTH = 100

LABELS = {
    "en": {
        "valid": "valid",
        "invalid": "not valid",
        "error": "error",
        "warning": "warning",
        "errors": "errors",
        "warnings": "warnings",
        "1error": "error",
        "1warning": "warning",
        "summary": "{kpis} KPIs in {departments} departments, "
        "{measurements} measurements, {benchmarks} benchmarks",
        "file": "File",
        "more": "... and {n} more like this (use --format json to see all)",
        "smart": "SMART warnings",
        "strict": "(--strict: warnings count as failures)",
    },
    "da": {
        "valid": "gyldig",
        "invalid": "ikke gyldig",
        "error": "fejl",
        "warning": "advarsel",
        "errors": "fejl",
        "warnings": "advarsler",
        "1error": "fejl",
        "1warning": "advarsel",
        "summary": "{kpis} KPI'er i {departments} afdelinger, "
        "{measurements} målinger, {benchmarks} benchmarks",
        "file": "Fil",
        "more": "... og {n} mere af samme slags (brug --format json for at se alle)",
        "smart": "SMART-advarsler",
        "strict": "(--strict: advarsler tæller som fejl)",
    },
}


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
    report: ValidationReport, workbook: Any = None, strict: bool = False, style: Style = plain
) -> str:
    """The report as text: a headline, then the issues grouped by sheet with their hints.
    ``style`` adds the emphasis (the CLI passes ``click.style``); without it the text is plain."""
    t = LABELS.get(report.lang, LABELS["en"])
    if workbook is None and len(report.issues) == 1 and report.issues[0].sheet is None:
        # The file could not be read at all: one sentence says why, one what to do.
        issue = report.issues[0]
        return (
            f"{style(report.path, bold=True)}: "
            f"{style(issue.message(report.lang), fg='red')} {issue.hint(report.lang)}"
        )
    ok = report.ok(strict)
    status = style(t["valid"] if ok else t["invalid"], fg="green" if ok else "red", bold=True)
    lines = [f"{style(report.path, bold=True)}: {status}"]
    if workbook is not None:
        lines.append(
            "  "
            + t["summary"].format(
                kpis=len(workbook.kpis),
                departments=len({k.department for k in workbook.kpis if k.department}),
                measurements=f"{len(workbook.measurements):,}",
                benchmarks=len(workbook.benchmarks),
            )
        )
    n_err, n_warn = len(report.errors), len(report.warnings)
    counts = (
        f"  {n_err} {t['1error'] if n_err == 1 else t['errors']},"
        f" {n_warn} {t['1warning'] if n_warn == 1 else t['warnings']}"
    )
    if strict and report.warnings:
        counts += " " + t["strict"]
    lines.append(counts)
    smart = Counter(i.smart for i in report.warnings if i.smart)
    if smart:
        lines.append(
            "  " + t["smart"] + ": " + " · ".join(f"{k} {smart.get(k, 0)}" for k in SMART_LETTERS)
        )
    for sheet, issues in group_by_sheet(report.sorted_issues()).items():
        lines.append("")
        lines.append(style(sheet or t["file"], bold=True, underline=True))
        shown: Counter[str] = Counter()
        hidden: Counter[str] = Counter()
        for issue in issues:
            shown[issue.code] += 1
            if shown[issue.code] > MAX_PER_CODE:
                hidden[issue.code] += 1
                continue
            lines.extend(_issue_lines(issue, report.lang, t, style))
        for code, n in hidden.items():
            lines.append(f"  {code}: " + t["more"].format(n=f"{n:,}"))
    return "\n".join(lines)


def _issue_lines(issue: Any, lang: str, t: dict[str, str], style: Style) -> list[str]:
    severity = t[issue.severity]
    colour = "red" if issue.severity == ERROR else "yellow"
    head = f"  {issue.cell or '-':<6} {style(f'{severity:<9}', fg=colour)}"
    indent = " " * 19
    width = max(WIDTH - len(indent), 40)
    body = textwrap.wrap(f"{issue.message(lang)} [{issue.code}]", width, break_on_hyphens=False)
    hint = textwrap.wrap("→ " + issue.hint(lang), width, break_on_hyphens=False)
    out = [f"{head} {body[0] if body else ''}"]
    out.extend(indent + line for line in body[1:])
    out.extend(indent + style(line, dim=True) for line in hint)
    return out
