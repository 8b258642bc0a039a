"""Problems in a workbook as data: ``Issue`` with a stable code, and the report of them all.

Every code has a message and a hint (kpireport/issues/catalogue.py), in English there and
translated in the language catalogues (:mod:`kpireport.i18n`). Messages are templates filled from
the issue's ``args`` (kpireport/issues/args.py) when shown, so one issue can be shown in any
language (``--lang``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from kpireport.i18n import SOURCE, Locale, get_locale
from kpireport.issues.args import (
    Alternative,
    Arg,
    Date,
    LanguageList,
    Number,
    Percent,
    Plural,
    Text,
    Value,
    Word,
    fill,
)
from kpireport.issues.catalogue import CATALOG, ERROR, SMART_LETTERS, WARNING, Message


@dataclass(frozen=True)
class Issue:
    """One problem in a workbook: where it is, how bad it is, and how to fix it."""

    code: str
    sheet: str | None
    cell: str | None
    args: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.code not in CATALOG:
            raise KeyError(f"unknown issue code {self.code!r}")

    @property
    def severity(self) -> str:
        return CATALOG[self.code].severity

    @property
    def smart(self) -> str | None:
        """The SMART letter of a SMART warning, or None."""
        head = self.code.split("-", 1)[0]
        return head if head in SMART_LETTERS else None

    @property
    def where(self) -> str:
        if self.sheet and self.cell:
            return f"{self.sheet}!{self.cell}"
        return self.sheet or ""

    def message(self, locale: Locale | str = SOURCE) -> str:
        """What is wrong, in ``locale`` (a :class:`~kpireport.i18n.Locale`, or a language code)."""
        loc = _locale(locale)
        text = CATALOG[self.code].text
        if isinstance(text, tuple):
            template = loc.ngettext(*text, int(self.args.get("count", 0)))
        else:
            template = loc.gettext(text)
        return fill(template, self.args, loc)

    def hint(self, locale: Locale | str = SOURCE) -> str:
        """How to fix it, in ``locale``."""
        loc = _locale(locale)
        return fill(loc.gettext(CATALOG[self.code].hint), self.args, loc)

    def to_dict(self, locale: Locale | str = SOURCE) -> dict[str, Any]:
        loc = _locale(locale)
        return {
            "code": self.code,
            "severity": self.severity,
            "sheet": self.sheet,
            "cell": self.cell,
            "message": self.message(loc),
            "hint": self.hint(loc),
        }


def _locale(locale: Locale | str) -> Locale:
    return locale if isinstance(locale, Locale) else get_locale(locale)


_SEVERITY_ORDER = {ERROR: 0, WARNING: 1}


def _cell_order(cell: str | None) -> tuple[int, int]:
    """Sort key for an Excel cell: row first, then column."""
    if not cell:
        return (0, 0)
    letters = "".join(ch for ch in cell if ch.isalpha())
    digits = "".join(ch for ch in cell if ch.isdigit())
    col = 0
    for ch in letters:
        col = col * 26 + ord(ch.upper()) - 64
    return (int(digits or 0), col)


@dataclass
class ValidationReport:
    """All issues found in one workbook, and how to show them."""

    path: str
    issues: list[Issue]
    lang: str = SOURCE
    sheet_order: tuple[str, ...] = ()

    @property
    def locale(self) -> Locale:
        return get_locale(self.lang)

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == ERROR]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == WARNING]

    @property
    def valid(self) -> bool:
        return not self.errors

    def ok(self, strict: bool = False) -> bool:
        return self.valid and not (strict and self.warnings)

    def sorted_issues(self) -> list[Issue]:
        order = {name: n for n, name in enumerate(self.sheet_order)}
        return sorted(
            self.issues,
            key=lambda i: (
                order.get(i.sheet or "", -1 if i.cell is None else len(order)),
                i.sheet or "",
                _cell_order(i.cell),
                _SEVERITY_ORDER[i.severity],
                i.code,
            ),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "valid": self.valid,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "issues": [i.to_dict(self.locale) for i in self.sorted_issues()],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2)


def group_by_sheet(issues: Iterable[Issue]) -> dict[str, list[Issue]]:
    """Issues grouped by sheet name, keeping their order."""
    groups: dict[str, list[Issue]] = {}
    for issue in issues:
        groups.setdefault(issue.sheet or "", []).append(issue)
    return groups


__all__ = [
    "CATALOG",
    "ERROR",
    "SMART_LETTERS",
    "WARNING",
    "Alternative",
    "Arg",
    "Date",
    "Issue",
    "LanguageList",
    "Message",
    "Number",
    "Percent",
    "Plural",
    "Text",
    "ValidationReport",
    "Value",
    "Word",
    "group_by_sheet",
]
