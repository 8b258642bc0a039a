"""kpireport/fmt.py: numbers, percentages, KPI values with their units, durations, dates and the
status summary line, in English, Danish and Swedish.

The formatting is Babel's; what is pinned here is what kpireport asks of it: the language's own
separators and symbol placement, at most the decimals asked for, no exponent however large or
small the number, the currency decimals rule, the plural of a duration, and the status order of
the summary line. The arithmetic is checked as a property: what is shown reads back as the value,
to the decimals shown, in every language.
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
from decimal import Decimal

import pytest
from babel.numbers import parse_decimal
from hypothesis import given
from hypothesis import strategies as st

from kpireport import fmt
from kpireport.engine.results import CompanySummary
from kpireport.i18n import LANGUAGES, Locale, get_locale
from kpireport.schema import Unit, parse_unit
from tests.conftest import SAMPLES

EN, DA, SV = get_locale("en"), get_locale("da"), get_locale("sv")
ALL_LOCALES = [get_locale(code) for code in LANGUAGES]
NBSP = "\xa0"

finite = st.floats(allow_nan=False, allow_infinity=False)


def read_back(text: str, locale: Locale) -> Decimal:
    """The number a reader of ``locale`` reads in ``text`` (a percent sign dropped)."""
    return parse_decimal(text.replace("%", "").strip(NBSP + " "), locale=locale.babel)


# --- number ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("locale", "shown"),
    [(EN, "1,234.5"), (DA, "1.234,5"), (SV, f"1{NBSP}234,5")],
    ids=["en", "da", "sv"],
)
def test_number_in_the_languages_notation(locale: Locale, shown: str) -> None:
    assert fmt.number(1234.5, locale) == shown
    assert fmt.number(-1234.5, locale) == "-" + shown


def test_number_shows_at_most_the_decimals_asked_for() -> None:
    assert fmt.number(1.5, EN) == "1.5"  # no trailing zeros
    assert fmt.number(2.0, EN) == "2"
    assert fmt.number(1234.5678, EN) == "1,234.57"
    assert fmt.number(1234.5678, EN, 0) == "1,235"
    assert fmt.number(1234.5678, EN, 3) == "1,234.568"
    assert fmt.number(0, EN) == fmt.number(0, DA) == "0"


def test_number_without_decimals_groups_thousands() -> None:
    assert fmt.number(1_234_567, EN, 0) == "1,234,567"
    assert fmt.number(1_234_567, DA, 0) == "1.234.567"
    assert fmt.number(1_234_567, SV, 0) == f"1{NBSP}234{NBSP}567"


@pytest.mark.parametrize("locale", ALL_LOCALES, ids=lambda loc: loc.code)
def test_very_large_numbers_are_written_out(locale: Locale) -> None:
    """Babel rounds through decimal; 1e22 with six decimals needs more than decimal's default
    28 digits, and the largest float more than 300."""
    shown = fmt.number(1e22, locale, 6)
    assert read_back(shown, locale) == Decimal(10) ** 22
    huge = fmt.number(1.7976931348623157e308, locale)
    assert read_back(huge, locale) == Decimal("1.7976931348623157e308")
    assert read_back(fmt.number(-1e308, locale), locale) == -(Decimal(10) ** 308)
    assert "E" not in huge.upper()


def test_en_large_number_exactly() -> None:
    assert fmt.number(1e22, EN, 6) == "10,000,000,000,000,000,000,000"


def test_the_callers_decimal_context_is_left_alone() -> None:
    before = decimal.getcontext().prec
    fmt.number(1e300, EN, 6)
    fmt.percent(1e300, EN)
    fmt.value(1e300, Unit("currency", "DKK", "DKK"), EN)
    assert decimal.getcontext().prec == before


@pytest.mark.parametrize("value", [1e-10, 5e-324, 0.004, 0.0049])
def test_tiny_numbers_round_to_zero(value: float) -> None:
    assert fmt.number(value, EN) == fmt.number(value, DA) == "0"


def test_tiny_numbers_with_the_decimals_to_show_them() -> None:
    assert fmt.number(0.004, EN, 3) == "0.004"
    assert fmt.number(1e-10, DA, 10) == "0,0000000001"
    assert fmt.number(0.0049, EN, 2) == "0"  # 0.0049 rounds down, not up to 0.01


@pytest.mark.parametrize("value", [-0.0, -0.001, -1e-10])
def test_a_negative_value_that_rounds_to_zero_is_zero(value: float) -> None:
    assert fmt.number(value, EN) == "0"
    assert fmt.number(value * 100, DA, 0) == "0"
    assert fmt.percent(value / 10, EN) == "0%"
    assert fmt.number(value, SV) == "0"
    assert fmt.value(value, parse_unit("DKK"), DA) == "0,00 kr."
    assert fmt.number(-0.01, SV) in ("-0,01", "\u22120,01")  # a value that shows keeps its sign


@given(finite)
def test_a_number_reads_back_to_two_decimals_in_every_language(value: float) -> None:
    exact = Decimal(repr(value))
    shown = [fmt.number(value, locale) for locale in ALL_LOCALES]
    read = [read_back(text, locale) for text, locale in zip(shown, ALL_LOCALES, strict=True)]
    assert all(r == read[0] for r in read)  # the same number in every language
    with decimal.localcontext() as ctx:
        ctx.prec = 400
        assert abs(read[0] - exact) <= Decimal("0.005")
    assert all("e" not in text.lower() for text in shown)


@given(finite, st.integers(0, 6))
def test_number_never_shows_more_decimals_than_asked(value: float, digits: int) -> None:
    for locale in (EN, DA):
        text = fmt.number(value, locale, digits)
        decimal_sign = locale.babel.number_symbols["latn"]["decimal"]
        decimals = text.split(decimal_sign)[1] if decimal_sign in text else ""
        assert len(decimals) <= digits


# --- percent --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "en", "da"),
    [
        (0.867, "86.7%", f"86,7{NBSP}%"),
        (0.12345, "12.3%", f"12,3{NBSP}%"),  # one decimal at most
        (0.5, "50%", f"50{NBSP}%"),
        (0, "0%", f"0{NBSP}%"),
        (1, "100%", f"100{NBSP}%"),
        (12.5, "1,250%", f"1.250{NBSP}%"),
        (-0.05, "-5%", f"-5{NBSP}%"),
        (1e-9, "0%", f"0{NBSP}%"),
    ],
)
def test_percent(value: float, en: str, da: str) -> None:
    assert fmt.percent(value, EN) == en
    assert fmt.percent(value, DA) == da
    assert fmt.percent(value, SV) == da.replace(".", NBSP)


@given(st.floats(min_value=-1e12, max_value=1e12, allow_nan=False))
def test_a_percent_reads_back_to_one_decimal(value: float) -> None:
    with decimal.localcontext() as ctx:
        ctx.prec = 400
        exact = Decimal(repr(value)) * 100
        for locale in (EN, SV):
            assert abs(read_back(fmt.percent(value, locale), locale) - exact) <= Decimal("0.05")


def test_percent_with_the_decimals_asked_for() -> None:
    assert fmt.percent(0.99925, EN, 3) == "99.925%"
    assert fmt.percent(0.9992, DA, 3) == f"99,92{NBSP}%"  # at most: no trailing zero
    assert fmt.percent(0.9992, SV, 0) == f"100{NBSP}%"


# --- compact --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "digits", "en", "da", "sv"),
    [
        (2_150_000.0, 0, "2.15m", f"2,15{NBSP}mio.", f"2,15{NBSP}mn"),
        (2_000_000.0, 0, "2m", f"2{NBSP}mio.", f"2{NBSP}mn"),
        (-125_000.0, 0, "-125k", f"-125{NBSP}t", f"-125{NBSP}tn"),
        (10_000.15, 2, "10.00015k", f"10,00015{NBSP}t", f"10,00015{NBSP}tn"),
        (10_000.15, 1, "10.0002k", f"10,0002{NBSP}t", f"10,0002{NBSP}tn"),  # rounded to digits
        (
            3e40,
            0,
            "30000000000000000000000000000tn",
            f"30000000000000000000000000000{NBSP}bio.",
            f"30000000000000000000000000000{NBSP}bn",
        ),  # the float's shortest form, no noise
    ],
)
def test_compact_is_exact_to_the_decimals_asked_for(
    value: float, digits: int, en: str, da: str, sv: str
) -> None:
    assert [fmt.compact(value, locale, digits) for locale in (EN, DA, SV)] == [en, da, sv]


@given(st.integers(-(10**15), 10**15), st.integers(0, 3))
def test_compact_reads_back_as_the_value(whole: int, digits: int) -> None:
    """A number with ``digits`` decimals shows exactly, whatever the power of ten its short
    figure is divided by."""
    value = whole / 10**digits
    for locale in ALL_LOCALES:
        text = fmt.compact(value, locale, digits)
        figure = re.match(r"-?[0-9]+([.,][0-9]+)?", text)
        assert figure is not None, text
        shown = parse_decimal(figure.group(), locale=locale.babel)
        assert any(shown * 10**k == Decimal(repr(value)) for k in range(15)), text


# --- value ----------------------------------------------------------------------------------

DKK = Unit("currency", "DKK", "DKK")


@pytest.mark.parametrize(
    ("value", "en", "da", "sv"),
    [
        (2_150_000, "DKK 2,150,000", "2.150.000 kr.", f"2{NBSP}150{NBSP}000 Dkr"),
        (100, "DKK 100", "100 kr.", "100 Dkr"),  # from 100 on: whole kroner
        (99.5, "DKK 99.50", "99,50 kr.", "99,50 Dkr"),  # below: always two decimals
        (1, "DKK 1.00", "1,00 kr.", "1,00 Dkr"),
        (0, "DKK 0.00", "0,00 kr.", "0,00 Dkr"),
        (-150, "-DKK 150", "-150 kr.", "-150 Dkr"),  # the size, not the sign, decides
        (-0.5, "-DKK 0.50", "-0,50 kr.", "-0,50 Dkr"),
    ],
)
def test_currency(value: float, en: str, da: str, sv: str) -> None:
    assert [fmt.value(value, DKK, loc) for loc in (EN, DA, SV)] == [en, da, sv]


# In English a symbol stands against the number (€1,500, £359,800) and a code a space from it
# (DKK 1,500): issue 16 saw "£ 359,800"; Danish puts either after the number, a space before it.
@pytest.mark.parametrize(
    ("typed", "en", "da"),
    [
        ("EUR", "€1,500", "1.500 €"),
        ("€", "€1,500", "1.500 €"),
        ("GBP", "£1,500", "1.500 £"),
        ("USD", "US$1,500", "1.500 USD"),
        ("kr.", "DKK 1,500", "1.500 kr."),
        ("sek", "SEK 1,500", "1.500 SEK"),
    ],
)
def test_the_currency_symbol_goes_where_the_language_puts_it(typed: str, en: str, da: str) -> None:
    unit = parse_unit(typed)
    assert unit.kind == "currency"
    assert fmt.value(1500, unit, EN) == en
    assert fmt.value(1500, unit, DA) == da


@pytest.mark.parametrize(
    ("value", "en", "da"),
    [
        (279.9, "£279.90", "279,90 £"),  # an average order keeps its pence (issue 16: not £280)
        (9_999.5, "£9,999.50", "9.999,50 £"),
        (280, "£280", "280 £"),  # a whole amount over 100 stays whole
        (12_345.6, "£12,346", "12.346 £"),  # from 10,000 on, whole
        (0.85, "£0.85", "0,85 £"),
    ],
)
def test_cents_where_they_tell_something(value: float, en: str, da: str) -> None:
    unit = parse_unit("GBP")
    assert (fmt.value(value, unit, EN), fmt.value(value, unit, DA)) == (en, da)


def test_percent_unit() -> None:
    unit = parse_unit("%")
    assert fmt.value(0.868, unit, EN) == "86.8%"
    assert fmt.value(0.868, unit, DA) == f"86,8{NBSP}%"


@pytest.mark.parametrize("typed", ["count", "score"])
def test_count_and_score_are_bare_numbers(typed: str) -> None:
    unit = parse_unit(typed)
    assert unit.kind == typed
    assert fmt.value(1234.5, unit, EN) == "1,234.5"
    assert fmt.value(1234.5, unit, DA) == "1.234,5"


def test_a_free_text_unit_follows_the_number() -> None:
    assert fmt.value(42, parse_unit("NPS"), EN) == "42 NPS"
    assert fmt.value(1234.5, parse_unit("tickets"), DA) == "1.234,5 tickets"
    assert fmt.value(-3, Unit("text", ""), EN) == "-3"  # no label: the bare number


@pytest.mark.parametrize(
    ("typed", "value", "en", "da", "sv"),
    [
        ("hours", 1, "1 hour", "1 time", "1 timme"),
        ("hours", 0, "0 hours", "0 timer", "0 timmar"),
        ("hours", 1.5, "1.5 hours", "1,5 timer", "1,5 timmar"),
        ("hours", 2, "2 hours", "2 timer", "2 timmar"),
        ("hours", 1234, "1,234 hours", "1.234 timer", f"1{NBSP}234 timmar"),
        ("minutes", 1, "1 min", "1 min.", "1 min"),
        ("minutes", 45, "45 min", "45 min.", "45 min"),
        ("days", 1, "1 day", "1 dag", "1 dag"),
        ("days", 0.5, "0.5 days", "0,5 dage", "0,5 dagar"),
        ("days", 30, "30 days", "30 dage", "30 dagar"),
    ],
)
def test_durations_take_the_plural_of_their_number(
    typed: str, value: float, en: str, da: str, sv: str
) -> None:
    unit = parse_unit(typed)
    assert unit.kind == "duration"
    assert [fmt.value(value, unit, loc) for loc in (EN, DA, SV)] == [en, da, sv]


def test_duration_of_a_formatted_number() -> None:
    assert fmt.duration("1", "hours", EN) == "1 hour"
    assert fmt.duration("1,5", "days", DA) == "1,5 dage"


@pytest.mark.parametrize("value", [1.001, 0.999])
def test_a_duration_shown_as_one_is_singular(value: float) -> None:
    assert fmt.value(value, parse_unit("hours"), EN) == "1 hour"
    assert fmt.value(value, parse_unit("days"), DA) == "1 dag"


# --- date -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("when", "en", "da", "sv"),
    [
        (dt.date(2026, 3, 15), "15 Mar 2026", "15. mar. 2026", "15 mars 2026"),
        (dt.date(2026, 9, 30), "30 Sept 2026", "30. sep. 2026", "30 sep. 2026"),
        (dt.date(2026, 5, 1), "1 May 2026", "1. maj 2026", "1 maj 2026"),
        (dt.date(9999, 12, 31), "31 Dec 9999", "31. dec. 9999", "31 dec. 9999"),
    ],
)
def test_date(when: dt.date, en: str, da: str, sv: str) -> None:
    assert [fmt.date(when, loc) for loc in (EN, DA, SV)] == [en, da, sv]


# --- status_summary -------------------------------------------------------------------------


def summary(kpi_count: int, score: float | None, counts: dict[str, int]) -> CompanySummary:
    return CompanySummary(kpi_count, score, counts, attention=[], departments=[])


@pytest.mark.parametrize(
    ("locale", "shown"),
    [
        (EN, "12 KPIs: 2 achieved, 4 on track, 3 at risk, 3 off track; score 50%"),
        (DA, f"12 KPI'er: 2 nået, 4 på sporet, 3 i risiko, 3 bagud; score 50{NBSP}%"),
        (SV, f"12 KPI:er: 2 uppnått, 4 i fas, 3 i riskzonen, 3 avviker; poäng 50{NBSP}%"),
    ],
    ids=["en", "da", "sv"],
)
def test_status_summary_in_the_status_order(locale: Locale, shown: str) -> None:
    # the counts in another order, and a status with none: the line follows the status order
    # and leaves the empty one out
    counts = {"off_track": 3, "missed": 0, "achieved": 2, "at_risk": 3, "on_track": 4}
    assert fmt.status_summary(summary(12, 0.5, counts), locale) == shown


def test_status_summary_of_one_kpi_and_without_a_score() -> None:
    one = summary(1, None, {"no_data": 1})
    assert fmt.status_summary(one, EN) == "1 KPI: 1 no data; score -"
    assert fmt.status_summary(one, DA) == "1 KPI: 1 ingen data; score -"
    assert fmt.status_summary(one, SV) == "1 KPI: 1 inga data; poäng -"


def test_status_summary_with_every_status() -> None:
    counts = {"no_data": 1, "missed": 1, "off_track": 1, "at_risk": 1, "on_track": 1, "achieved": 1}
    assert fmt.status_summary(summary(6, 0.867, counts), EN) == (
        "6 KPIs: 1 achieved, 1 on track, 1 at risk, 1 off track, 1 missed, 1 no data; score 86.7%"
    )


@pytest.mark.parametrize(
    ("difference", "expected"),
    [(1.0, "+1 point"), (0.9996, "+1 point"), (-1.0004, "−1 point"), (1.5, "+1.5 points")],
)
def test_a_change_in_points_is_singular_when_it_shows_as_one(
    difference: float, expected: str
) -> None:
    """The plural follows the number shown, as for hours and days: 0.9996 shows as "1" and
    said "+1 points" before."""
    import kpireport
    from kpireport.render import View

    results = kpireport.compute(kpireport.load(SAMPLES / "acme-en.xlsx"))
    (score,) = [k for d in results.departments for k in d.kpis if k.unit_kind == "score"]
    text = View(results).comparison(score, difference)
    assert text.replace("-", "−") == expected


@pytest.mark.parametrize(
    ("values", "expected"),
    [([35.0, 25.0, 36.0], 0), ([14.0, 21.0, 16.4], 1), ([8.2, 7.2, 8.04], 2), ([0.1 + 0.2], 2)],
)
def test_decimals_are_those_the_numbers_are_written_with(
    values: list[float], expected: int
) -> None:
    assert fmt.decimals(values) == expected


def test_a_forecast_is_as_precise_as_the_kpis_own_numbers() -> None:
    """The card's forecast of new customers (35 targeted, 36 now) said "42,19" customers."""
    import kpireport
    from kpireport.render import View

    results = kpireport.compute(kpireport.load(SAMPLES / "fjordsol-da.xlsx"))
    kpis = {k.id: k for d in results.departments for k in d.kpis}
    view = View(results)
    shown = {
        kpi_id: view.estimate(kpis[kpi_id], kpis[kpi_id].forecast.value)  # type: ignore[union-attr]
        for kpi_id in ("SALG-01", "HR-02", "SALG-02")
    }
    forecasts = {kpi_id: kpis[kpi_id].forecast.value for kpi_id in shown}  # type: ignore[union-attr]
    assert shown["SALG-01"] == fmt.number(round(forecasts["SALG-01"]), view.locale, 0)
    assert "," not in shown["SALG-01"]
    assert shown["HR-02"] == fmt.number(round(forecasts["HR-02"], 1), view.locale) + " dage"
    assert shown["SALG-02"] == view.value(kpis["SALG-02"], forecasts["SALG-02"])  # a percentage
