"""Message arguments shown in the reader's language: a phrase to translate (``Text``), a word whose
form follows a count (``Plural``), a workbook-contract name (``Word``), dates and numbers in the
language's notation. ``fill`` puts them into a message."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from kpireport.i18n import Locale

if TYPE_CHECKING:
    from kpireport.schema import Unit


class Arg(Protocol):
    """A message argument shown in the reader's language."""

    def render(self, locale: Locale) -> str: ...


class Text:
    """A phrase to translate (an extraction keyword, like ``gettext``), filled from its own
    arguments: ``Text("the sheet '{sheet}'", sheet=name)``."""

    __slots__ = ("args", "message")

    def __init__(self, message: str, **args: object) -> None:
        self.message = message
        self.args = args

    def render(self, locale: Locale) -> str:
        return fill(locale.gettext(self.message), self.args, locale)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Text) and (self.message, self.args) == (other.message, other.args)

    def __hash__(self) -> int:
        return hash(self.message)

    def __repr__(self) -> str:
        return f"Text({self.message!r}, **{self.args!r})"


@dataclass(frozen=True)
class Plural:
    """A word or phrase whose form follows a count (an extraction keyword, like ``ngettext``):
    ``Plural("month", "months", 3)``; ``{n}`` in it is the count."""

    singular: str
    plural: str
    n: int

    def render(self, locale: Locale) -> str:
        return fill(locale.ngettext(self.singular, self.plural, self.n), {"n": self.n}, locale)


@dataclass(frozen=True)
class Word:
    """A name from the workbook contract (a sheet, column or setting) in the workbook languages:
    shown as a Danish workbook spells it to a Danish reader, else the English name, which every
    workbook accepts too."""

    en: str
    da: str

    def render(self, locale: Locale) -> str:
        return self.da if locale.code == "da" else self.en


@dataclass(frozen=True)
class Alternative:
    """`` (or 'kpi_id')``: after a contract name, its spelling in the other workbook language
    (the Danish one to a reader of another language, the English one to a Danish reader)."""

    en: str
    da: str

    def render(self, locale: Locale) -> str:
        if self.en == self.da:
            return ""
        other = self.en if locale.code == "da" else self.da
        return locale.gettext(" (or '{name}')").format(name=other)


class LanguageList:
    """The output languages as the reader's language names them:
    ``en (English), da (Danish) or sv (Swedish)``."""

    def render(self, locale: Locale) -> str:
        import babel
        from babel.lists import format_list

        from kpireport.i18n import LANGUAGES

        items = [
            f"{code} ({babel.Locale.parse(language.babel_locale).get_language_name(locale.babel)})"
            for code, language in LANGUAGES.items()
        ]
        return format_list(items, style="or", locale=locale.babel)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LanguageList)

    def __hash__(self) -> int:
        return hash(LanguageList)


@dataclass(frozen=True)
class Date:
    """A date, shown as the reader's language writes dates."""

    value: dt.date

    def render(self, locale: Locale) -> str:
        from kpireport import fmt

        return fmt.date(self.value, locale)


def _digits(shown: float, digits: int) -> int:
    """``digits`` decimals, or more for a number too tiny to show in them: two significant
    digits (0.00032 with 2 decimals shows as 0.00032, not 0)."""
    if 0 < abs(shown) < 10**-digits:
        return 1 - math.floor(math.log10(abs(shown)))
    return digits


@dataclass(frozen=True)
class Number:
    """A number in the language's notation, with an optional suffix (`` pp``)."""

    value: float
    digits: int = 2
    suffix: str = ""

    def render(self, locale: Locale) -> str:
        from kpireport import fmt

        return fmt.number(self.value, locale, _digits(self.value, self.digits)) + self.suffix


@dataclass(frozen=True)
class Percent:
    """A fraction shown as a percentage, with two significant digits of a tiny one (0.032 %)."""

    value: float

    def render(self, locale: Locale) -> str:
        from kpireport import fmt

        return fmt.percent(self.value, locale, _digits(self.value * 100, 1))


@dataclass(frozen=True)
class Value:
    """A KPI value with its unit (currency, percent, hours...)."""

    value: float
    unit: Unit

    def render(self, locale: Locale) -> str:
        from kpireport import fmt

        return fmt.value(self.value, self.unit, locale)


class _Blank(dict[str, object]):
    """Format arguments where a missing key shows as nothing rather than failing."""

    def __missing__(self, key: str) -> str:
        return ""


def fill(template: str, args: Mapping[str, object], locale: Locale) -> str:
    """``template`` with its ``{name}`` fields filled, each argument in ``locale``."""
    rendered = _Blank(
        {k: (v.render(locale) if hasattr(v, "render") else v) for k, v in args.items()}
    )
    return template.format_map(rendered)
