"""kpireport/periods.py: the calendar periods of the five frequencies (docs/metrics.md, section
3): where a date falls, where its period ends, how many periods lie between two dates, the labels
of results.json, across year ends, ISO weeks 52 and 53 and leap years."""

from __future__ import annotations

import calendar
import datetime as dt
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kpireport.periods import (
    FREQUENCIES,
    GRANULARITY,
    coarser,
    granularity_end,
    next_period,
    period_end,
    period_label,
    period_number,
    period_start,
    periods_between,
)

D = dt.date
DAY = dt.timedelta(days=1)

# Four-digit years (the labels' form), with room for 60 years more: the last period a date can
# hold has a test of its own below.
dates = st.dates(min_value=D(1000, 1, 1), max_value=D(9899, 12, 31))
frequencies = st.sampled_from(FREQUENCIES)


# The labels of results.json, and the first day of the period each names.
LABELS = {
    "daily": (r"(\d{4})-(\d{2})-(\d{2})", lambda y, m, d: D(y, m, d)),
    "weekly": (r"(\d{4})-W(\d{2})", lambda y, w: D.fromisocalendar(y, w, 1)),
    "monthly": (r"(\d{4})-(\d{2})", lambda y, m: D(y, m, 1)),
    "quarterly": (r"(\d{4})-Q([1-4])", lambda y, q: D(y, 3 * q - 2, 1)),
    "yearly": (r"(\d{4})", lambda y: D(y, 1, 1)),
}


def parse_label(label: str, frequency: str) -> dt.date:
    """The first day of the period a label names (docs/metrics.md, section 3)."""
    pattern, first_day = LABELS[frequency]
    match = re.fullmatch(pattern, label)
    assert match, label
    return first_day(*map(int, match.groups()))


# --- one date, every frequency -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("frequency", "start", "end", "label"),
    [
        # the docs' examples; 15 March 2026 is a Sunday, the last day of its ISO week
        ("daily", D(2026, 3, 15), D(2026, 3, 15), "2026-03-15"),
        ("weekly", D(2026, 3, 9), D(2026, 3, 15), "2026-W11"),
        ("monthly", D(2026, 3, 1), D(2026, 3, 31), "2026-03"),
        ("quarterly", D(2026, 1, 1), D(2026, 3, 31), "2026-Q1"),
        ("yearly", D(2026, 1, 1), D(2026, 12, 31), "2026"),
    ],
)
def test_the_period_of_a_date(frequency: str, start: dt.date, end: dt.date, label: str) -> None:
    date = D(2026, 3, 15)
    assert period_start(date, frequency) == start
    assert period_end(date, frequency) == end
    assert period_label(start, frequency) == label


@pytest.mark.parametrize(
    ("date", "quarter", "end"),
    [
        (D(2026, 1, 1), "2026-Q1", D(2026, 3, 31)),
        (D(2026, 3, 31), "2026-Q1", D(2026, 3, 31)),
        (D(2026, 4, 1), "2026-Q2", D(2026, 6, 30)),
        (D(2026, 7, 1), "2026-Q3", D(2026, 9, 30)),
        (D(2026, 9, 30), "2026-Q3", D(2026, 9, 30)),
        (D(2026, 10, 1), "2026-Q4", D(2026, 12, 31)),
        (D(2026, 11, 15), "2026-Q4", D(2026, 12, 31)),
    ],
)
def test_quarters_are_january_to_march_and_so_on(date: dt.date, quarter: str, end: dt.date) -> None:
    assert period_label(period_start(date, "quarterly"), "quarterly") == quarter
    assert period_end(date, "quarterly") == end


# --- year ends and ISO weeks ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("date", "monday", "sunday", "label"),
    [
        (D(2024, 12, 30), D(2024, 12, 30), D(2025, 1, 5), "2025-W01"),  # the docs' examples
        (D(2026, 12, 28), D(2026, 12, 28), D(2027, 1, 3), "2026-W53"),
        (D(2027, 1, 3), D(2026, 12, 28), D(2027, 1, 3), "2026-W53"),
        (D(2021, 1, 1), D(2020, 12, 28), D(2021, 1, 3), "2020-W53"),  # a Friday: last year's week
        (D(2023, 1, 1), D(2022, 12, 26), D(2023, 1, 1), "2022-W52"),  # a Sunday
        (D(2023, 1, 2), D(2023, 1, 2), D(2023, 1, 8), "2023-W01"),
        (D(2025, 12, 31), D(2025, 12, 29), D(2026, 1, 4), "2026-W01"),
        (D(2015, 12, 31), D(2015, 12, 28), D(2016, 1, 3), "2015-W53"),
    ],
)
def test_a_week_runs_monday_to_sunday_and_belongs_to_its_iso_year(
    date: dt.date, monday: dt.date, sunday: dt.date, label: str
) -> None:
    assert period_start(date, "weekly") == monday
    assert period_end(date, "weekly") == sunday
    assert period_label(monday, "weekly") == label


@pytest.mark.parametrize("year", range(2000, 2041))
def test_an_iso_year_has_53_weeks_when_it_starts_on_a_thursday_or_is_a_leap_year_from_wednesday(
    year: int,
) -> None:
    first = D(year, 1, 1).weekday()
    weeks = 53 if first == 3 or (calendar.isleap(year) and first == 2) else 52
    # 4 January is always in week 1
    assert periods_between(D(year, 1, 4), D(year + 1, 1, 4), "weekly") == weeks
    last_week = period_label(period_start(D(year + 1, 1, 4), "weekly") - 7 * DAY, "weekly")
    assert last_week == f"{year}-W{weeks}"


@pytest.mark.parametrize(
    ("frequency", "end"),
    [
        ("daily", D(2026, 12, 31)),
        ("weekly", D(2027, 1, 3)),
        ("monthly", D(2026, 12, 31)),
        ("quarterly", D(2026, 12, 31)),
        ("yearly", D(2026, 12, 31)),
    ],
)
def test_the_last_period_of_a_year_ends_where_it_should(frequency: str, end: dt.date) -> None:
    assert period_end(D(2026, 12, 31), frequency) == end
    # and the next one starts the day after, in the new year
    assert next_period(period_start(D(2026, 12, 31), frequency), frequency) == end + DAY


@pytest.mark.parametrize(
    ("frequency", "between"),
    [("daily", 1), ("weekly", 0), ("monthly", 1), ("quarterly", 1), ("yearly", 1)],
)
def test_new_years_eve_to_new_years_day(frequency: str, between: int) -> None:
    # 31 Dec 2026 and 1 Jan 2027 are a Thursday and a Friday of the same ISO week, 2026-W53
    assert periods_between(D(2026, 12, 31), D(2027, 1, 1), frequency) == between


# --- leap years ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("year", "last_of_february"),
    [(2024, 29), (2023, 28), (2000, 29), (1900, 28), (2100, 28)],
)
def test_february_ends_on_the_29th_in_leap_years(year: int, last_of_february: int) -> None:
    assert period_end(D(year, 2, 10), "monthly") == D(year, 2, last_of_february)
    assert granularity_end(D(year, 2, 1), "month") == D(year, 2, last_of_february)
    assert period_end(D(year, 2, 28), "daily") == D(year, 2, 28)
    assert period_end(D(year, 2, 10), "quarterly") == D(year, 3, 31)
    days = 366 if last_of_february == 29 else 365
    assert periods_between(D(year, 1, 1), D(year + 1, 1, 1), "daily") == days
    assert periods_between(D(year, 2, 1), D(year, 3, 1), "daily") == last_of_february


def test_the_29th_of_february_is_a_day_of_its_own() -> None:
    leap_day = D(2024, 2, 29)
    assert period_start(leap_day, "daily") == period_end(leap_day, "daily") == leap_day
    assert period_label(leap_day, "daily") == "2024-02-29"
    assert period_start(leap_day, "monthly") == D(2024, 2, 1)
    assert periods_between(D(2024, 2, 28), D(2024, 3, 1), "daily") == 2
    assert periods_between(leap_day, D(2025, 2, 28), "yearly") == 1


# --- periods_between -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "frequency", "between"),
    [
        (D(2026, 1, 1), D(2026, 1, 31), "monthly", 0),  # 30 days, one period
        (D(2026, 1, 31), D(2026, 2, 1), "monthly", 1),  # one day, the next period
        (D(2026, 1, 15), D(2026, 12, 15), "monthly", 11),
        (D(2026, 3, 31), D(2026, 4, 1), "quarterly", 1),
        (D(2026, 1, 1), D(2026, 12, 31), "quarterly", 3),
        (D(2025, 6, 30), D(2027, 1, 1), "quarterly", 7),  # 2025-Q2 to 2027-Q1
        (D(2026, 3, 15), D(2026, 3, 16), "weekly", 1),  # Sunday to Monday
        (D(2026, 3, 9), D(2026, 3, 15), "weekly", 0),
        (D(2020, 7, 1), D(2026, 6, 30), "yearly", 6),
        (D(2026, 12, 31), D(2026, 1, 1), "monthly", -11),  # backwards
        (D(2026, 5, 1), D(2026, 5, 1), "daily", 0),
    ],
)
def test_periods_between_counts_periods_not_elapsed_time(
    a: dt.date, b: dt.date, frequency: str, between: int
) -> None:
    assert periods_between(a, b, frequency) == between


# --- granularity_end and coarser -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "granularity", "end"),
    [
        (D(2026, 3, 15), "day", D(2026, 3, 15)),
        (D(2026, 12, 28), "week", D(2027, 1, 3)),  # 2026-W53, as a deadline: its Sunday
        (D(2026, 9, 1), "month", D(2026, 9, 30)),  # 2026-09: up to 30 September
        (D(2026, 4, 1), "quarter", D(2026, 6, 30)),
        (D(2026, 1, 1), "year", D(2026, 12, 31)),
    ],
)
def test_a_date_given_as_a_period_ends_on_its_last_day(
    start: dt.date, granularity: str, end: dt.date
) -> None:
    assert granularity_end(start, granularity) == end


# (granularity, frequency) pairs where a date is less precise than the KPI's periods: a month for
# a weekly KPI cannot say which week. Every other pair is precise enough.
COARSER = {
    ("week", "daily"),
    ("month", "daily"),
    ("quarter", "daily"),
    ("year", "daily"),
    ("month", "weekly"),
    ("quarter", "weekly"),
    ("year", "weekly"),
    ("quarter", "monthly"),
    ("year", "monthly"),
    ("year", "quarterly"),
}


@pytest.mark.parametrize("frequency", FREQUENCIES)
@pytest.mark.parametrize("granularity", ["day", "week", "month", "quarter", "year"])
def test_coarser_when_the_date_cannot_say_which_period(granularity: str, frequency: str) -> None:
    assert coarser(granularity, frequency) == ((granularity, frequency) in COARSER)


def test_every_frequency_has_its_granularity() -> None:
    assert set(GRANULARITY) == set(FREQUENCIES)
    for frequency, granularity in GRANULARITY.items():
        assert not coarser(granularity, frequency)
        assert granularity_end(D(2026, 5, 20), granularity) == period_end(D(2026, 5, 20), frequency)


# --- wrong input ---------------------------------------------------------------------------------


@pytest.mark.parametrize("frequency", ["fortnightly", "Monthly", "", "month"])
def test_an_unknown_frequency_is_refused(frequency: str) -> None:
    with pytest.raises(ValueError, match=re.escape(f"unknown frequency {frequency!r}")):
        period_start(D(2026, 3, 15), frequency)
    with pytest.raises(ValueError):
        period_end(D(2026, 3, 15), frequency)
    with pytest.raises(ValueError):
        periods_between(D(2026, 3, 15), D(2026, 4, 15), frequency)


@pytest.mark.parametrize("frequency", ["fortnightly", "Monthly"])
def test_an_unknown_frequency_gets_no_label(frequency: str) -> None:
    with pytest.raises(ValueError):
        period_label(D(2026, 3, 1), frequency)


@pytest.mark.parametrize("frequency", ["daily", "monthly", "quarterly", "yearly"])
def test_the_last_period_a_date_can_hold_ends_on_31_december_9999(frequency: str) -> None:
    assert period_end(D(9999, 12, 31), frequency) == D(9999, 12, 31)
    assert granularity_end(period_start(D(9999, 12, 31), frequency), GRANULARITY[frequency]) == D(
        9999, 12, 31
    )


def test_the_first_period_a_date_can_hold() -> None:
    first = D(1, 1, 1)  # a Monday
    for frequency in FREQUENCIES:
        assert period_start(first, frequency) == first
        assert period_start(period_end(first, frequency), frequency) == first


# --- properties ----------------------------------------------------------------------------------


@given(dates, frequencies)
def test_a_date_lies_in_its_period_and_the_next_starts_the_day_after(
    date: dt.date, frequency: str
) -> None:
    start, end = period_start(date, frequency), period_end(date, frequency)
    assert start <= date <= end
    assert period_start(start, frequency) == period_start(end, frequency) == start
    assert period_start(end + DAY, frequency) == end + DAY == next_period(start, frequency)
    assert period_start(start - DAY, frequency) < start
    if frequency == "weekly":
        assert (start.weekday(), end.weekday()) == (0, 6)
    if frequency in ("monthly", "quarterly", "yearly"):
        assert start.day == 1 and (end + DAY).day == 1
    if frequency == "quarterly":
        assert start.month in (1, 4, 7, 10)
    if frequency == "yearly":
        assert (start.month, end.month, end.day) == (1, 12, 31)


@given(dates, frequencies)
def test_a_label_names_exactly_one_period(date: dt.date, frequency: str) -> None:
    start = period_start(date, frequency)
    label = period_label(start, frequency)
    assert parse_label(label, frequency) == start
    if frequency == "weekly":
        # ISO 8601: a week belongs to the year of its Thursday
        assert label.startswith(f"{(start + 3 * DAY).year}-W")


@given(dates, dates, frequencies)
def test_labels_sort_like_their_periods(a: dt.date, b: dt.date, frequency: str) -> None:
    start_a, start_b = period_start(a, frequency), period_start(b, frequency)
    label_a, label_b = period_label(start_a, frequency), period_label(start_b, frequency)
    assert (start_a < start_b) == (label_a < label_b)
    assert (start_a == start_b) == (label_a == label_b)


@given(dates, dates, dates, frequencies)
def test_periods_between_adds_up_and_turns_round(
    a: dt.date, b: dt.date, c: dt.date, frequency: str
) -> None:
    assert periods_between(a, b, frequency) + periods_between(b, c, frequency) == periods_between(
        a, c, frequency
    )
    assert periods_between(a, b, frequency) == -periods_between(b, a, frequency)
    same = period_start(a, frequency) == period_start(b, frequency)
    assert (periods_between(a, b, frequency) == 0) == same


@given(dates, dates, frequencies)
def test_period_numbers_differ_by_the_periods_between(
    a: dt.date, b: dt.date, frequency: str
) -> None:
    """period_number, which validation uses for the pace of thousands of periods at once, agrees
    with periods_between for any two dates, not only period starts."""
    number = period_number(frequency)
    assert number(b) - number(a) == periods_between(a, b, frequency)


def test_period_number_of_an_unknown_frequency_is_an_error() -> None:
    with pytest.raises(ValueError, match="fortnightly"):
        period_number("fortnightly")


@given(dates, st.integers(0, 60), frequencies)
def test_periods_between_counts_the_steps_from_one_period_to_the_other(
    date: dt.date, steps: int, frequency: str
) -> None:
    start = later = period_start(date, frequency)
    for _ in range(steps):
        later = next_period(later, frequency)
    assert periods_between(date, later, frequency) == steps
    # the day before a period starts is still in the one before
    assert periods_between(start, later - DAY, frequency) == steps - 1
