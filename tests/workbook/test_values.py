"""Reading numbers and dates the way a careful Excel user expects."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kpireport import schema
from kpireport.periods import (
    coarser,
    granularity_end,
    next_period,
    period_end,
    period_label,
    period_start,
    periods_between,
)
from kpireport.workbook.cells import is_percent_format
from kpireport.workbook.values import NotADate, NotANumber, parse_date, parse_number


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        ("1.234,5", "en", 1234.5),  # both separators: the last one is the decimal mark
        ("1,234.5", "da", 1234.5),
        ("1.234.567", "en", 1234567),  # several dots can only group thousands
        ("1,234,567", "da", 1234567),
        ("1,5", "en", 1.5),  # not three digits after: a decimal mark in any language
        ("0.125", "da", 0.125),  # a leading 0 is never a thousands group
        ("1.234", "da", 1234),  # ambiguous: the workbook's language decides
        ("1.234", "en", 1.234),
        ("1,234", "en", 1234),
        ("1,234", "da", 1.234),
        ("1 234,5", "da", 1234.5),
        ("1\u00a0234,5", "da", 1234.5),
        ("-12,5", "da", -12.5),
        ("−12.5", "en", -12.5),
        ("kr. 1.500", "da", 1500),
        ("1.500 kr.", "da", 1500),
        ("DKK 2,150,000", "en", 2150000),
        ("SEK 100", "en", 100),  # any currency code in capitals
        ("100 NOK", "da", 100),
        ("42", "en", 42),
        ("1e3", "en", 1000),
    ],
)
def test_number_text_in_danish_and_english_notation(text: str, lang: str, expected: float) -> None:
    number = parse_number(text, lang)
    assert number.value == pytest.approx(expected)
    assert number.from_text


def test_percent_sign_marks_hundredths() -> None:
    number = parse_number("42,5 %", "da")
    assert number.value == 42.5 and number.percent_sign


@pytest.mark.parametrize(
    "value",
    [
        "n/a",
        "",
        "abc",
        "1.2.3,4,5",
        "12,34,5",
        "1,23.4",
        True,
        None,
        float("nan"),
        float("inf"),
        "--5",
    ],
)
def test_not_numbers(value: object) -> None:
    with pytest.raises(NotANumber):
        parse_number(value, "en")


def test_real_numbers_pass_through_untouched() -> None:
    assert parse_number(2.5).value == 2.5
    assert not parse_number(2.5).from_text
    assert parse_number(7).value == 7.0


@given(
    st.decimals(
        min_value=-(10**9), max_value=10**9, places=2, allow_nan=False, allow_infinity=False
    )
)
def test_formatted_numbers_read_back_in_both_notations(value) -> None:  # type: ignore[no-untyped-def]
    """What Babel prints in either language reads back as the same number in that language."""
    from babel.numbers import format_decimal

    for lang, loc in (("en", "en_GB"), ("da", "da_DK")):
        text = format_decimal(value, format="#,##0.00", locale=loc)
        assert parse_number(text, lang).value == pytest.approx(float(value), abs=1e-9)


@pytest.mark.parametrize(
    ("value", "expected", "granularity"),
    [
        (dt.date(2026, 3, 15), dt.date(2026, 3, 15), "day"),
        (dt.datetime(2026, 3, 15, 13, 30), dt.date(2026, 3, 15), "day"),
        ("2026-03-15", dt.date(2026, 3, 15), "day"),
        ("2026-03-15 10:00", dt.date(2026, 3, 15), "day"),
        ("15-03-2026", dt.date(2026, 3, 15), "day"),
        ("15.03.2026", dt.date(2026, 3, 15), "day"),
        ("15/03/2026", dt.date(2026, 3, 15), "day"),
        ("2026/03/15", dt.date(2026, 3, 15), "day"),
        ("2026-03", dt.date(2026, 3, 1), "month"),
        ("03-2026", dt.date(2026, 3, 1), "month"),
        ("2026-Q1", dt.date(2026, 1, 1), "quarter"),
        ("2026-q4", dt.date(2026, 10, 1), "quarter"),
        ("2026-K2", dt.date(2026, 4, 1), "quarter"),
        ("Q3 2026", dt.date(2026, 7, 1), "quarter"),
        ("2026-W05", dt.date(2026, 1, 26), "week"),
        ("2026-U05", dt.date(2026, 1, 26), "week"),
        ("2026W1", dt.date(2025, 12, 29), "week"),  # ISO week 1 of 2026 starts in 2025
        ("2026", dt.date(2026, 1, 1), "year"),
        ("2024-02-29", dt.date(2024, 2, 29), "day"),
    ],
)
def test_date_forms(value: object, expected: dt.date, granularity: str) -> None:
    when = parse_date(value)
    assert (when.date, when.granularity) == (expected, granularity)
    assert when.note is None


@pytest.mark.parametrize(
    "value",
    [
        "31/02/2026",
        "2025-02-29",
        "2026-13",
        "2026-Q5",
        "2026-W54",
        "soon",
        "",
        True,
        5.0,
        dt.time(10, 0),
    ],
)
def test_not_dates(value: object) -> None:
    with pytest.raises(NotADate):
        parse_date(value)


def test_plain_numbers_in_a_date_column_are_read_with_a_note() -> None:
    assert parse_date(2026).date == dt.date(2026, 1, 1)
    assert parse_date(2026).note == "date-as-number"
    serial = parse_date(46082.0)  # Excel's serial number of 2026-03-01
    assert serial.date == dt.date(2026, 3, 1) and serial.note == "date-as-number"


@pytest.mark.parametrize(
    ("code", "percent"),
    [
        ("0%", True),
        ("0.0%", True),
        ("0.00 %", True),
        ('#,##0" %"', False),
        (r"0\%", False),
        ("[Red]0%", True),
        ("0.0;[Red]-0.0%", False),
        ("General", False),
        ("yyyy-mm-dd", False),
    ],
)
def test_percent_number_formats(code: str, percent: bool) -> None:
    assert is_percent_format(code) is percent


@given(
    st.dates(min_value=dt.date(1950, 1, 1), max_value=dt.date(2150, 12, 31)),
    st.sampled_from(["daily", "weekly", "monthly", "quarterly", "yearly"]),
)
def test_periods_tile_the_calendar(date: dt.date, frequency: str) -> None:
    start = period_start(date, frequency)
    end = period_end(date, frequency)
    assert start <= date <= end
    assert next_period(start, frequency) == end + dt.timedelta(days=1)
    assert period_start(end, frequency) == start
    assert periods_between(start, next_period(start, frequency), frequency) == 1


def test_period_labels_and_leap_year() -> None:
    assert period_label(dt.date(2026, 3, 1), "monthly") == "2026-03"
    assert period_label(dt.date(2026, 1, 26), "weekly") == "2026-W05"
    assert period_label(dt.date(2026, 4, 1), "quarterly") == "2026-Q2"
    assert period_end(dt.date(2024, 2, 10), "monthly") == dt.date(2024, 2, 29)
    assert granularity_end(dt.date(2026, 10, 1), "quarter") == dt.date(2026, 12, 31)
    assert coarser("quarter", "monthly") and not coarser("day", "monthly")


def test_names_match_case_space_and_danish_letters() -> None:
    spec = schema.KPIS
    assert spec.match_header(" Data-Source: ").key == "data_source"  # type: ignore[union-attr]
    assert spec.match_header("SAMMENLÆGNING").key == "aggregation"  # type: ignore[union-attr]
    assert spec.match_header("sammenlaegning").key == "aggregation"  # type: ignore[union-attr]
    assert spec.match_header("maal").key == "target"  # type: ignore[union-attr]
    assert spec.match_header("colour") is None
    assert schema.find_sheet_spec("  kpi'er ") is schema.KPIS
    assert schema.find_sheet_spec("Maalinger") is schema.MEASUREMENTS
    assert schema.find_sheet_spec("Sammenligninger") is schema.BENCHMARKS
    assert schema.find_sheet_spec("Notes") is None


@pytest.mark.parametrize(
    ("text", "kind", "currency"),
    [
        ("count", "count", None),
        ("antal", "count", None),
        ("%", "percent", None),
        ("procent", "percent", None),
        ("DKK", "currency", "DKK"),
        ("kr.", "currency", "DKK"),
        ("eur", "currency", "EUR"),
        ("timer", "duration", None),
        ("minutes", "duration", None),
        ("dage", "duration", None),
        ("score", "score", None),
        ("visits", "text", None),
        ("ABC", "text", None),
        ("SEK", "currency", "SEK"),
        ("sek", "currency", "SEK"),
        ("cup", "text", None),  # a word, though CUP is also a currency code
        ("all", "text", None),
    ],
)
def test_units(text: str, kind: str, currency: str | None) -> None:
    unit = schema.parse_unit(text)
    assert (unit.kind, unit.currency) == (kind, currency)


def test_choices_in_both_languages() -> None:
    assert schema.match_choice(schema.DIRECTIONS, "Højere") == "higher"
    assert schema.match_choice(schema.DIRECTIONS, "lavere") == "lower"
    assert schema.match_choice(schema.FREQUENCIES, "Månedlig") == "monthly"
    assert schema.match_choice(schema.FREQUENCIES, "kvartalsvis") == "quarterly"
    assert schema.match_choice(schema.AGGREGATIONS, "gennemsnit") == "mean"
    assert schema.match_choice(schema.AGGREGATIONS, "seneste") == "last"
    assert schema.match_choice(schema.AGGREGATIONS, "maks") == "max"
    assert schema.match_choice(schema.BENCHMARK_KINDS, "branche") == "industry"
    assert schema.match_choice(schema.DIRECTIONS, "up-ish") is None


@pytest.mark.parametrize(
    ("name", "goals"),
    [
        ("Revenue and customer satisfaction", ("Revenue", "customer satisfaction")),
        ("Omsætning og kundetilfredshed", ("Omsætning", "kundetilfredshed")),
        ("Revenue, margin and NPS", ("Revenue, margin", "NPS")),
        ("Research and development spend and NPS", ("Research and development spend", "NPS")),
        ("Profit and loss", None),
        ("Learning and development hours per employee", None),
        ("Engagement on social media (likes, comments and shares)", None),
        ("Tid brugt på onboarding af nye medarbejdere", None),
    ],
)
def test_two_goals_in_one_name(name: str, goals: tuple[str, str] | None) -> None:
    from kpireport.validate import _two_goals

    assert _two_goals(name) == goals
