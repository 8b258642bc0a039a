"""Turn cell values into numbers and dates the way a careful Excel user expects.

Pure functions: each returns the value and, where the reading needs saying, a note for a warning.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from dataclasses import dataclass
from decimal import Context, Decimal

EXCEL_EPOCH = dt.date(1899, 12, 30)

# What a report can show (docs/workbook-format.md, sections 7 and 9). A KPI value beyond a
# million billion is a typing error or an attack, and its sums, paces and chart ticks run past
# what a float holds exactly (or at all: 1e308); a year outside these has no calendar period
# after it (9999) or none Excel can hold (before 1900). Both are errors at the cell.
MAX_MAGNITUDE = 1e15
MIN_YEAR = 1900
MAX_YEAR = 2200

# Text that may surround a number typed as text: currency and percent signs, units.
_NUMBER_DECORATION = re.compile(
    r"^(?:(?i:dkk|kr\.?|eur|usd)|€|\$|£)\s*|\s*(?:(?i:dkk|kr\.?|eur|usd)|€|\$|£|%)$"
)
# Any other currency code, in capitals, before or after the number ("SEK 100", "100 NOK").
_CURRENCY_AROUND = re.compile(r"^([A-Z]{3})\s*(.+)$|^(.+?)\s*([A-Z]{3})$")
_NUMBER_TEXT = re.compile(r"^[+-]?(?:\d[\d.,' ]*\d|\d)(?:[eE][+-]?\d+)?$")
_SPACES = re.compile(r"[\s\u00a0\u202f']")


@dataclass(frozen=True)
class Number:
    """A number read from a cell; ``from_text`` when it was typed as text; ``percent_sign``
    when the text ended in %, so it means hundredths."""

    value: float
    from_text: bool = False
    percent_sign: bool = False


class NotANumber(ValueError):
    """The cell does not hold a number."""


# A float's shortest decimal has at most 17 significant digits: kept all, whatever precision the
# caller's own decimal context has.
_DIGITS = Context(prec=17)


def hundredths(number: float) -> float:
    """``number`` percent as a fraction, the number a percent cell showing it holds: 2.9 is
    0.029, as a cell in which 2.9 % was typed holds it."""
    # number / 100 in binary gives 0.028999999999999998 for 2.9 (a quarter of the one-decimal
    # percentages are off by one bit like that), and 0.029 > 0.028999999999999998 turns a target
    # reached exactly into one missed. repr is the shortest decimal that is this float, i.e. what
    # was typed; moving its point is exact, and float() rounds once, to the nearest.
    return float(Decimal(repr(number)).scaleb(-2, _DIGITS))


def in_range(number: float) -> bool:
    """A number a report can show: at most :data:`MAX_MAGNITUDE` either side of zero."""
    return -MAX_MAGNITUDE <= number <= MAX_MAGNITUDE


def parse_number(value: object, lang: str = "en") -> Number:
    """A cell value as a number. Text in Danish (1.234,5) or English (1,234.5) notation is accepted.

    Where the notation is ambiguous ("1.234": one thousand two hundred and thirty-four in Danish,
    one point two three four in English) the workbook's language decides.
    """
    if isinstance(value, bool):
        raise NotANumber(value)
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            raise NotANumber(value)
        return Number(float(value))
    if not isinstance(value, str):
        raise NotANumber(value)
    text = value.strip()
    percent = text.endswith("%")
    core = text
    for _ in range(2):
        core = _NUMBER_DECORATION.sub("", core).strip()
    if m := _CURRENCY_AROUND.match(core):
        from kpireport.schema import is_currency_code

        code, rest = (m[1], m[2]) if m[1] else (m[4], m[3])
        if is_currency_code(code):
            core = rest.strip()
    # a typographic minus, as pasted from reports; spaces and apostrophes group thousands
    core = _SPACES.sub("", core.replace("−", "-"))
    if not core or not _NUMBER_TEXT.match(core):
        raise NotANumber(value)
    number = _parse_separators(core, lang)
    if number is None or not math.isfinite(number):
        raise NotANumber(value)
    return Number(number, from_text=True, percent_sign=percent)


@functools.cache
def _decimal_symbol(lang: str) -> str:
    """The decimal mark of the language (``,`` in Danish and Swedish, ``.`` in English)."""
    from babel.numbers import get_decimal_symbol

    from kpireport.i18n import get_locale

    return str(get_decimal_symbol(get_locale(lang).babel))


def _parse_separators(text: str, lang: str) -> float | None:
    sign = -1.0 if text.startswith("-") else 1.0
    text = text.lstrip("+-")
    exponent = ""
    m = re.search(r"[eE][+-]?\d+$", text)
    if m:
        exponent, text = m.group(0), text[: m.start()]
    dots, commas = text.count("."), text.count(",")
    if dots and commas:
        decimal = "." if text.rfind(".") > text.rfind(",") else ","
    elif dots > 1 or commas > 1:
        decimal = "," if dots > 1 else "."  # several of one kind: they group thousands
    elif dots == 1 or commas == 1:
        sep = "." if dots else ","
        whole, _, frac = text.partition(sep)
        # 1.234 / 1,234: the language decides which one groups thousands
        decimal = _decimal_symbol(lang) if len(frac) == 3 and whole and whole != "0" else sep
    else:
        decimal = "."
    thousands = "," if decimal == "." else "."
    whole, _, frac = text.partition(decimal)
    if thousands in frac:
        return None
    groups = whole.split(thousands)
    if len(groups) > 1 and (
        not groups[0] or len(groups[0]) > 3 or any(len(g) != 3 for g in groups[1:])
    ):
        return None
    try:
        return sign * float("".join(groups) + ("." + frac if frac else "") + exponent)
    except ValueError:
        return None


# --- dates -------------------------------------------------------------------------------


@dataclass(frozen=True)
class When:
    """A date read from a cell: the first day of the period it names, and how precise it was."""

    date: dt.date
    granularity: str  # day, week, month, quarter, year
    note: str | None = None  # "date-as-number" when a plain number was read as a date


class NotADate(ValueError):
    """The cell does not hold a date."""


def year_in_range(date: dt.date) -> bool:
    """A date a report can show: in the years :data:`MIN_YEAR` to :data:`MAX_YEAR`."""
    return MIN_YEAR <= date.year <= MAX_YEAR


_ISO_DAY = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_SLASH_YMD = re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$")
_DMY = re.compile(r"^(\d{1,2})[-./](\d{1,2})[-./](\d{4})$")
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_MONTH_MY = re.compile(r"^(\d{1,2})[-/.](\d{4})$")
_QUARTER = re.compile(r"^(\d{4})\s*-?\s*[QK]([1-4])$|^[QK]([1-4])\s*-?\s*(\d{4})$", re.IGNORECASE)
_WEEK = re.compile(r"^(\d{4})\s*-?\s*[WU](\d{1,2})$", re.IGNORECASE)
_YEAR = re.compile(r"^(\d{4})$")


def parse_date(value: object) -> When:
    """A cell value as a date: an Excel date, or one of the text forms of the contract."""
    if isinstance(value, dt.datetime):
        return When(value.date(), "day")
    if isinstance(value, dt.date):
        return When(value, "day")
    if isinstance(value, bool):
        raise NotADate(value)
    if isinstance(value, int | float):
        return _date_from_number(value)
    if not isinstance(value, str):
        raise NotADate(value)
    text = value.strip()
    try:
        if m := _ISO_DAY.match(text) or _SLASH_YMD.match(text):
            return When(dt.date(int(m[1]), int(m[2]), int(m[3])), "day")
        if m := _DMY.match(text):
            return When(dt.date(int(m[3]), int(m[2]), int(m[1])), "day")
        if m := _MONTH.match(text):
            return When(dt.date(int(m[1]), int(m[2]), 1), "month")
        if m := _MONTH_MY.match(text):
            return When(dt.date(int(m[2]), int(m[1]), 1), "month")
        if m := _QUARTER.match(text):
            year, quarter = (m[1], m[2]) if m[1] else (m[4], m[3])
            return When(dt.date(int(year), 3 * int(quarter) - 2, 1), "quarter")
        if m := _WEEK.match(text):
            return When(dt.date.fromisocalendar(int(m[1]), int(m[2]), 1), "week")
        if m := _YEAR.match(text):
            return When(dt.date(int(m[1]), 1, 1), "year")
    except ValueError:
        raise NotADate(value) from None
    raise NotADate(value)


def _date_from_number(value: float) -> When:
    if not math.isfinite(value):
        raise NotADate(value)
    if float(value).is_integer() and 1900 <= value <= 2200:
        return When(dt.date(int(value), 1, 1), "year", note="date-as-number")
    # Excel serial numbers of the years 1954-2119: plausible for KPI data, unlike small numbers
    if 20_000 <= value <= 80_000:
        return When(EXCEL_EPOCH + dt.timedelta(days=int(value)), "day", note="date-as-number")
    raise NotADate(value)
