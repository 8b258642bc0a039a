"""Numbers, percentages, currencies and dates in the reader's language, formatted by Babel."""

from __future__ import annotations

import datetime as dt
import decimal
import functools
import math
import re
from collections.abc import Callable, Iterable, Mapping
from typing import ParamSpec, Protocol, TypeVar

from babel.dates import format_date
from babel.numbers import (
    NumberPattern,
    format_compact_decimal,
    format_currency,
    format_decimal,
    format_percent,
    get_currency_symbol,
    parse_pattern,
)

from kpireport.i18n import Locale
from kpireport.schema import Unit

P = ParamSpec("P")
R = TypeVar("R")

# Babel rounds through decimal, whose default 28 digits cannot hold 1e22 with 6 decimals
# (InvalidOperation); any float up to 1e308 with its decimals fits in 400.
_PRECISION = 400
_NONZERO_DIGIT = re.compile(r"[1-9]")
_MINUS = re.compile("[-\u2212]")  # the hyphen-minus, or the minus sign (Swedish)


def _wide(func: Callable[P, R]) -> Callable[P, R]:
    """Run a formatter with enough decimal precision for any float a workbook can hold."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with decimal.localcontext() as ctx:
            ctx.prec = _PRECISION
            return func(*args, **kwargs)

    return wrapper


@functools.cache
def _parsed(pattern: str) -> NumberPattern:
    """``pattern`` parsed once: Babel parses a pattern given as text on every call, which was
    half the time of formatting a number (a report formats thousands)."""
    return parse_pattern(pattern)


def _no_negative_zero(text: str) -> str:
    """``text`` without its minus sign when every digit shown is 0: -0.001 shows as ``0``, not
    ``-0`` (Babel keeps the sign of a value that rounds to zero)."""
    if _NONZERO_DIGIT.search(text):
        return text
    return _MINUS.sub("", text, count=1)


@functools.cache
def _percent_pattern(locale: Locale, digits: int) -> str:
    # The locale's own pattern ("#,##0 %" in Danish, "#,##0%" in English) with at most
    # ``digits`` decimals.
    pattern = locale.babel.percent_formats[None].pattern
    if not digits or "0.#" in pattern:
        return pattern
    return pattern.replace("0", "0." + "#" * digits, 1)


@functools.cache
def _currency_pattern(locale: Locale, digits: int, spaced: bool) -> str:
    # The symbol where the locale puts it: before the number in English, parted from it by a
    # space only when it ends in a letter (DKK 2,150,000, but £359,800 and $1,250); after it in
    # Danish and Swedish, always with a space (2.150.000 kr., 359.800 £).
    decimals = "." + "0" * digits if digits else ""
    standard = locale.babel.currency_formats["standard"].pattern
    if standard.lstrip().startswith("¤"):
        return f"¤ #,##0{decimals}" if spaced else f"¤#,##0{decimals}"
    return f"#,##0{decimals} ¤"


def _currency_digits(value: float) -> int:
    """Cents where they tell something: always under 100 (DKK 1.00, DKK 0.85), and under 10,000
    when the amount has them (an average order of £279.90, not £280); larger amounts whole."""
    small = abs(value)
    return 2 if small < 100 or (small < 10_000 and round(value, 2) != round(value)) else 0


@_wide
def number(value: float, locale: Locale, digits: int = 2) -> str:
    """``1,234.5`` in English, ``1.234,5`` in Danish; at most ``digits`` decimals."""
    pattern = "#,##0" + ("." + "#" * digits if digits else "")
    return _no_negative_zero(format_decimal(value, format=_parsed(pattern), locale=locale.babel))


@functools.cache
def _most_shortened(locale: Locale) -> int:
    # The exponent of the largest number the locale shortens (14 for "100 trillion"): a short
    # figure is the number divided by at most that power of ten.
    formats = locale.babel.compact_decimal_formats["short"]["other"]
    return max(len(magnitude) for magnitude in formats) - 1


@_wide
def compact(value: float, locale: Locale, digits: int = 0) -> str:
    """A number shortened, exact to ``digits`` decimals: ``2.15m`` in English, ``2,15 mio.`` in
    Danish for 2,150,000."""
    # From the float's shortest form, as Babel reads floats: 3e40, not 30000000000000002120...
    exact = round(decimal.Decimal(repr(value)), digits)
    # Decimals enough for the short figure's largest divisor; Babel drops the zeros not needed.
    shortened = digits + min(max(exact.adjusted(), 0), _most_shortened(locale))
    return format_compact_decimal(exact, locale=locale.babel, fraction_digits=shortened)


@_wide
def percent(value: float, locale: Locale, digits: int = 1) -> str:
    """A fraction as a percentage: ``86.7%`` in English, ``86,7 %`` in Danish; at most
    ``digits`` decimals."""
    return _no_negative_zero(
        format_percent(value, format=_parsed(_percent_pattern(locale, digits)), locale=locale.babel)
    )


@_wide
def value(value: float, unit: Unit, locale: Locale) -> str:
    """A KPI value with its unit: ``86.7%`` / ``86,7 %``, ``DKK 2,150,000`` / ``2.150.000 kr.``."""
    if unit.kind == "percent":
        return percent(value, locale)
    if unit.kind == "currency" and unit.currency:
        symbol = get_currency_symbol(unit.currency, locale=locale.babel)
        pattern = _currency_pattern(locale, _currency_digits(value), symbol[-1:].isalpha())
        return _no_negative_zero(
            format_currency(
                value,
                unit.currency,
                format=_parsed(pattern),
                locale=locale.babel,
                currency_digits=False,
            )
        )
    text = number(value, locale)
    if unit.kind == "duration":
        return duration(text, unit.label, locale)
    if unit.kind == "text" and unit.label:
        return f"{text} {unit.label}"
    return text


def unit_word(unit: Unit, locale: Locale) -> str:
    """What a KPI's numbers are counted in, as a value axis says it: ``%``, the currency's symbol
    in the locale (``kr.``, ``DKK``, ``£``), the duration's word (``timer``) or the unit typed
    (``visits``); "" for a count or a score, which are written bare."""
    if unit.kind == "percent":
        return str(locale.babel.number_symbols["latn"]["percentSign"])
    if unit.kind == "currency" and unit.currency:
        return get_currency_symbol(unit.currency, locale=locale.babel)
    if unit.kind == "duration":
        return duration("", unit.label, locale).strip()  # the plural's word, without a number
    return unit.label if unit.kind == "text" else ""


def decimals(values: Iterable[float | None], most: int = 2) -> int:
    """The decimals the numbers are written with, at most ``most``: 0 for 35 and 25, 1 for
    16.4 (from the float's shortest form, as typed)."""
    digits = 0
    for value in values:
        if value is not None and math.isfinite(value):
            exponent = decimal.Decimal(repr(value)).normalize().as_tuple().exponent
            digits = max(digits, -exponent if isinstance(exponent, int) else 0)
    return min(digits, most)


def plural_n(text: str) -> int:
    """The count to choose a plural form by for the formatted number ``text``: 1 when it shows
    as one ("1 hour" for 1, −1, or 0.999 shown as "1"), else 2 ("1.5 hours")."""
    return 1 if _MINUS.sub("", text, count=1) == "1" else 2


def duration(text: str, unit: str, locale: Locale) -> str:
    """``text`` (a formatted number) with its unit, ``hours``, ``minutes`` or ``days``."""
    n = plural_n(text)
    if unit == "hours":
        return locale.ngettext("{n} hour", "{n} hours", n).format(n=text)
    if unit == "minutes":
        return locale.ngettext("{n} min", "{n} min", n).format(n=text)
    return locale.ngettext("{n} day", "{n} days", n).format(n=text)


def date(when: dt.date, locale: Locale) -> str:
    """A date as a board member reads it: ``15 Mar 2026`` / ``15. mar. 2026``."""
    return format_date(when, format="medium", locale=locale.babel)


class Tally(Protocol):
    """KPIs counted by status, and their score: the company's summary or a department."""

    @property
    def counts(self) -> Mapping[str, int]: ...
    @property
    def score(self) -> float | None: ...
    @property
    def kpi_count(self) -> int: ...


def status_summary(tally: Tally, locale: Locale) -> str:
    """``12 KPIs: 2 achieved, 4 on track, 3 at risk, 3 off track; score 50%``: the status counts
    (in the status order), KPI count and score of the company or a department."""
    from kpireport import labels

    counts = ", ".join(
        f"{tally.counts[code]} {labels.status(code, locale)}"
        for code in labels.STATUS
        if tally.counts.get(code)
    )
    score = percent(tally.score, locale) if tally.score is not None else "-"
    kpi_count = tally.kpi_count
    template = locale.ngettext(
        "{count} KPI: {counts}; score {score}", "{count} KPIs: {counts}; score {score}", kpi_count
    )
    return template.format(count=kpi_count, counts=counts, score=score)
