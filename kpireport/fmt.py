"""Numbers, percentages, currencies and dates in the reader's language, formatted by Babel."""

from __future__ import annotations

import datetime as dt
import decimal
import functools
from collections.abc import Callable
from functools import cache
from typing import Any, ParamSpec, TypeVar

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal, format_percent

from kpireport.schema import Unit

P = ParamSpec("P")
R = TypeVar("R")

LOCALES = {"en": "en_GB", "da": "da_DK"}
# Babel rounds through decimal, whose default 28 digits cannot hold 1e22 with 6 decimals
# (InvalidOperation); any float up to 1e308 with its decimals fits in 400.
_PRECISION = 400


def _wide(func: Callable[P, R]) -> Callable[P, R]:
    """Run a formatter with enough decimal precision for any float a workbook can hold."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with decimal.localcontext() as ctx:
            ctx.prec = _PRECISION
            return func(*args, **kwargs)

    return wrapper


UNIT_LABELS = {
    "en": {"hours": "hours", "minutes": "min", "days": "days"},
    "da": {"hours": "timer", "minutes": "min.", "days": "dage"},
}


def locale(lang: str) -> str:
    return LOCALES.get(lang, "en_GB")


@cache
def _percent_pattern(lang: str) -> str:
    # The locale's own pattern ("#,##0 %" in Danish, "#,##0%" in English) with one decimal.
    pattern = Locale.parse(locale(lang)).percent_formats[None].pattern
    return pattern.replace("0", "0.#", 1) if "0.#" not in pattern else pattern


@_wide
def number(value: float, lang: str, digits: int = 2) -> str:
    """``1,234.5`` in English, ``1.234,5`` in Danish; at most ``digits`` decimals."""
    pattern = "#,##0" + ("." + "#" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=locale(lang))


@_wide
def percent(value: float, lang: str) -> str:
    """A fraction as a percentage: ``86.7%`` in English, ``86,7 %`` in Danish."""
    return format_percent(value, format=_percent_pattern(lang), locale=locale(lang))


@_wide
def value(value: float, unit: Unit, lang: str) -> str:
    """A KPI value with its unit: ``86.7%`` / ``86,7 %``, ``DKK 2,150,000`` / ``2.150.000 kr.``."""
    if unit.kind == "percent":
        return percent(value, lang)
    if unit.kind == "currency" and unit.currency:
        digits = 0 if abs(value) >= 100 else 2
        decimals = "." + "0" * digits if digits else ""
        pattern = f"#,##0{decimals} ¤" if lang == "da" else f"¤ #,##0{decimals}"
        return format_currency(
            value, unit.currency, format=pattern, locale=locale(lang), currency_digits=False
        )
    text = number(value, lang)
    if unit.kind == "duration":
        return f"{text} {UNIT_LABELS.get(lang, UNIT_LABELS['en'])[unit.label]}"
    if unit.kind == "text" and unit.label:
        return f"{text} {unit.label}"
    return text


def date(when: dt.date, lang: str) -> str:
    """A date as a board member reads it: ``15 Mar 2026`` / ``15. mar. 2026``."""
    return format_date(when, format="medium", locale=locale(lang))


def status_summary(summary: dict[str, Any], lang: str) -> str:
    """``12 KPIs: 2 achieved, 4 on track, 3 at risk, 3 off track; score 50%`` from the counts,
    KPI count and score of a results.json summary (company or department)."""
    from kpireport import labels

    counts = ", ".join(
        f"{n} {labels.status(code, lang)}" for code, n in summary["counts"].items() if n
    )
    score = percent(summary["score"], lang) if summary.get("score") is not None else "-"
    kpi_count = summary["kpi_count"]
    kpis = "KPI" if kpi_count == 1 else ("KPI'er" if lang == "da" else "KPIs")
    return f"{kpi_count} {kpis}: {counts}; score {score}"
