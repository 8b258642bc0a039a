"""kpireport/series.py: a KPI's measurements grouped into the periods of its frequency and
combined by its aggregation (docs/metrics.md, section 3; docs/workbook-format.md, section 6)."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from fractions import Fraction
from random import Random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kpireport.model import KPI, Measurement
from kpireport.periods import FREQUENCIES, period_start
from kpireport.schema import parse_unit
from kpireport.series import aggregate, group_periods

D = dt.date
AGGREGATIONS = ("sum", "mean", "last", "min", "max", None)
values = st.floats(min_value=-1e12, max_value=1e12, allow_nan=False)


def make_kpi(frequency: str | None, aggregation: str | None = "sum") -> KPI:
    """A count KPI of ``frequency``, with only the fields grouping and aggregation read."""
    return KPI(
        id="K-1",
        department="Sales",
        name="Test KPI",
        row=2,
        unit=parse_unit("count"),
        direction="higher",
        target=100.0,
        deadline=D(2027, 12, 31),
        frequency=frequency,
        aggregation=aggregation,
    )


def measured(date: dt.date, value: float, row: int, granularity: str = "day") -> Measurement:
    return Measurement("K-1", date, granularity, value, row)


# --- aggregate -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("how", "value"),
    [("sum", 6.0), ("mean", 2.0), ("min", 1.0), ("max", 3.0), ("last", 2.0), (None, 2.0)],
)
def test_each_aggregation_combines_a_period(how: str | None, value: float) -> None:
    assert aggregate([3.0, 1.0, 2.0], how) == value


def test_no_aggregation_takes_the_last_value() -> None:
    # only valid with one measurement a period (otherwise needs-aggregation), but never an error
    assert aggregate([5.0], None) == 5.0
    assert aggregate([5.0, 7.0], None) == 7.0


def test_aggregations_of_negative_numbers_and_zeros() -> None:
    numbers = [-4.0, 0.0, -1.0, 2.0]
    assert aggregate(numbers, "sum") == -3.0
    assert aggregate(numbers, "mean") == -0.75
    assert aggregate(numbers, "min") == -4.0
    assert aggregate(numbers, "max") == 2.0
    assert aggregate(numbers, "last") == 2.0


@given(values, st.sampled_from(AGGREGATIONS))
def test_one_measurement_is_the_periods_value_whatever_the_aggregation(
    value: float, how: str | None
) -> None:
    assert aggregate([value], how) == value


@given(st.lists(values, min_size=1, max_size=30))
def test_the_aggregations_agree_with_their_definitions(numbers: list[float]) -> None:
    total = aggregate(numbers, "sum")
    mean = aggregate(numbers, "mean")
    low, high = aggregate(numbers, "min"), aggregate(numbers, "max")
    assert low in numbers and high in numbers
    assert all(low <= n <= high for n in numbers)
    assert aggregate(numbers, "last") == aggregate(numbers, None) == numbers[-1]
    # floating point: up to rounding, which the next test pins down where it shows
    scale = max(abs(n) for n in numbers) * len(numbers)
    assert math.isclose(total, math.fsum(numbers), rel_tol=1e-9, abs_tol=1e-9 * scale)
    assert math.isclose(mean * len(numbers), total, rel_tol=1e-9, abs_tol=1e-9 * scale)
    assert low - 1e-9 * scale <= mean <= high + 1e-9 * scale


@pytest.mark.parametrize("value", [0.7, 0.1])
def test_the_mean_of_equal_measurements_is_that_measurement(value: float) -> None:
    # In floating point, sum / count: three measurements of 70 % averaged 69.99999999999998 %
    # (below their minimum; 0.1 gave 0.10000000000000002, above their maximum), so a KPI with a
    # target of 70 % that measured exactly 70 % three times in its last period was not 'achieved'
    # (results.json current 0.6999999999999998).
    assert aggregate([value, value, value], "mean") == value


@pytest.mark.parametrize(
    ("typed", "how", "expected"),
    [
        (["0.1", "0.2"], "sum", 0.3),  # 0.30000000000000004 in floating point
        (["0.7", "0.1"], "sum", 0.8),  # 0.7999999999999999
        (["100.1", "200.2", "300.3"], "sum", 600.6),  # 600.5999999999999
        (["0.029", "0.029", "0.031"], "mean", 0.029666666666666668),  # 0.029666666666666664
        (["0.1", "0.2", "0.4"], "mean", 0.23333333333333334),  # 0.23333333333333336
        (["-0.3", "0.1", "0.2"], "sum", 0.0),  # 2.7755575615628914e-17
    ],
)
def test_sums_and_means_are_those_of_the_numbers_as_typed(
    typed: list[str], how: str, expected: float
) -> None:
    assert aggregate([float(t) for t in typed], how) == expected


# Numbers as typed: up to 12 digits, with up to 4 decimals (amounts, percentages, rates).
typed_numbers = st.builds(
    lambda digits, places: Decimal(digits).scaleb(-places),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.integers(min_value=0, max_value=4),
)


@given(st.lists(typed_numbers, min_size=1, max_size=40))
def test_sums_and_means_are_exact_for_numbers_as_typed(typed: list[Decimal]) -> None:
    """The exact sum and mean of the decimals as typed, rounded once to the nearest float
    (a Fraction is exact, and float() of one rounds correctly)."""
    numbers = [float(t) for t in typed]
    total = sum(Fraction(t) for t in typed)
    assert aggregate(numbers, "sum") == float(total)
    assert aggregate(numbers, "mean") == float(total / len(typed))
    if len(set(typed)) == 1:
        assert aggregate(numbers, "mean") == numbers[0]


# --- group_periods -------------------------------------------------------------------------------


def test_a_kpi_without_a_frequency_has_no_periods() -> None:
    assert group_periods(make_kpi(None), [measured(D(2026, 3, 1), 1.0, 2)]) == {}


def test_no_measurements_no_periods() -> None:
    assert group_periods(make_kpi("monthly"), []) == {}


def test_periods_come_oldest_first_each_in_date_then_row_order() -> None:
    ms = [
        a := measured(D(2026, 3, 20), 1.0, 2),
        b := measured(D(2026, 1, 5), 2.0, 3),
        c := measured(D(2026, 3, 2), 3.0, 4),
        d := measured(D(2026, 3, 20), 4.0, 5),
        e := measured(D(2026, 1, 31), 5.0, 6),
    ]
    given_order = list(ms)
    groups = group_periods(make_kpi("monthly"), ms)
    assert list(groups) == [D(2026, 1, 1), D(2026, 3, 1)]  # an empty month is simply missing
    assert groups[D(2026, 1, 1)] == [b, e]
    assert groups[D(2026, 3, 1)] == [c, a, d]
    assert ms == given_order  # the caller's list is left as it was


def test_two_on_the_same_day_are_in_row_order_whatever_the_order_given() -> None:
    lower, upper = measured(D(2026, 3, 2), 1.0, 9), measured(D(2026, 3, 2), 2.0, 4)
    assert group_periods(make_kpi("monthly"), [lower, upper]) == {D(2026, 3, 1): [upper, lower]}


def test_last_is_the_latest_by_date_then_the_one_lower_down_on_the_sheet() -> None:
    kpi = make_kpi("monthly", "last")
    ms = [
        measured(D(2026, 6, 10), 1.0, 5),
        measured(D(2026, 6, 30), 2.0, 3),  # the latest date, two rows
        measured(D(2026, 6, 30), 3.0, 7),  # lower down: this one
        measured(D(2026, 6, 2), 4.0, 9),  # furthest down, but earlier
    ]
    [(start, period)] = group_periods(kpi, ms).items()
    assert start == D(2026, 6, 1)
    assert aggregate([m.value for m in period], kpi.aggregation) == 3.0


@pytest.mark.parametrize(
    ("frequency", "starts"),
    [
        ("daily", [D(2026, 12, 28), D(2026, 12, 31), D(2027, 1, 1), D(2027, 1, 3), D(2027, 1, 4)]),
        ("weekly", [D(2026, 12, 28), D(2027, 1, 4)]),  # 28 Dec to 3 Jan is 2026-W53
        ("monthly", [D(2026, 12, 1), D(2027, 1, 1)]),
        ("quarterly", [D(2026, 10, 1), D(2027, 1, 1)]),
        ("yearly", [D(2026, 1, 1), D(2027, 1, 1)]),
    ],
)
def test_periods_across_a_year_end(frequency: str, starts: list[dt.date]) -> None:
    dates = [D(2026, 12, 28), D(2026, 12, 31), D(2027, 1, 1), D(2027, 1, 3), D(2027, 1, 4)]
    ms = [measured(date, 1.0, row) for row, date in enumerate(dates, start=2)]
    groups = group_periods(make_kpi(frequency), ms)
    assert list(groups) == starts
    assert sum(len(g) for g in groups.values()) == len(dates)


def test_a_date_given_as_a_longer_period_goes_into_its_first_period() -> None:
    # '2026-Q1' for a monthly KPI: the coarse-date warning, and the value counts in January
    quarter = measured(D(2026, 1, 1), 9.0, 2, granularity="quarter")
    february = measured(D(2026, 2, 14), 1.0, 3)
    groups = group_periods(make_kpi("monthly"), [february, quarter])
    assert groups == {D(2026, 1, 1): [quarter], D(2026, 2, 1): [february]}


def test_the_daily_sales_of_a_month_sum_up_to_its_value() -> None:
    kpi = make_kpi("monthly", "sum")
    days = [D(2026, 2, 1) + dt.timedelta(days=i) for i in range(35)]  # February, then March
    ms = [measured(day, float(day.day), row) for row, day in enumerate(days, start=2)]
    totals = {
        start: aggregate([m.value for m in period], kpi.aggregation)
        for start, period in group_periods(kpi, ms).items()
    }
    assert totals == {D(2026, 2, 1): sum(range(1, 29)), D(2026, 3, 1): sum(range(1, 8))}


measurement_lists = st.lists(
    st.tuples(st.dates(min_value=D(2020, 1, 1), max_value=D(2030, 12, 31)), values),
    max_size=40,
).map(lambda pairs: [measured(date, value, row) for row, (date, value) in enumerate(pairs, 2)])


@given(measurement_lists, st.sampled_from(FREQUENCIES), st.randoms(use_true_random=False))
def test_every_measurement_is_in_exactly_its_own_period(
    ms: list[Measurement], frequency: str, random: Random
) -> None:
    shuffled = list(ms)
    random.shuffle(shuffled)
    groups = group_periods(make_kpi(frequency), shuffled)
    assert list(groups) == sorted(groups)
    assert sorted(m.row for g in groups.values() for m in g) == [m.row for m in ms]
    for start, period in groups.items():
        assert period  # a period exists only with a measurement in it
        assert all(period_start(m.date, frequency) == start for m in period)
        keys = [(m.date, m.row) for m in period]
        assert keys == sorted(keys)
    # the order given does not matter: rows say where each one stands
    assert group_periods(make_kpi(frequency), ms) == groups
