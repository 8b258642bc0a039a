"""results.json as a contract: schema_version, the JSON Schema in docs/, and the typed loader that
reads it back (kpireport.engine.serialize)."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import json
import math
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from kpireport.engine import (
    SCHEMA_VERSION,
    Attention,
    BenchmarkGap,
    Change,
    CompanySummary,
    DepartmentLine,
    DepartmentResult,
    Forecast,
    Held,
    KpiComment,
    KpiResult,
    KpiWarning,
    PartialPeriod,
    Point,
    Results,
    compute,
    from_dict,
    load_results,
    to_dict,
)
from kpireport.engine.serialize import department_key
from kpireport.errors import ResultsFileError
from kpireport.validate import check
from tests.conftest import RESULTS_SCHEMA, ROOT, SAMPLES, schema_problems

# The schema's object definitions and the dataclasses they describe.
DEFINITIONS = {
    "attention": Attention,
    "change": Change,
    "forecast": Forecast,
    "held": Held,
    "benchmark": BenchmarkGap,
    "point": Point,
    "partial_period": PartialPeriod,
    "warning": KpiWarning,
    "comment": KpiComment,
    "kpi": KpiResult,
    "department": DepartmentResult,
    "department_line": DepartmentLine,
}


@pytest.fixture(scope="module", params=["acme-en", "fjordsol-da"])
def data(request: pytest.FixtureRequest) -> dict[str, Any]:
    workbook, report = check(SAMPLES / f"{request.param}.xlsx")
    return json.loads(json.dumps(to_dict(compute(workbook, report))))


def schema() -> dict[str, Any]:
    return json.loads(RESULTS_SCHEMA.read_text(encoding="utf-8"))


def test_schema_version_comes_first(data: dict[str, Any]) -> None:
    assert next(iter(data)) == "schema_version"
    assert data["schema_version"] == SCHEMA_VERSION
    major, minor = SCHEMA_VERSION.split(".")
    assert major.isdigit() and minor.isdigit()


def test_the_samples_follow_the_schema(data: dict[str, Any]) -> None:
    assert schema_problems(data) == []


def test_the_schema_lists_exactly_the_keys_of_the_results() -> None:
    """Every object of the schema requires every field of its dataclass and allows no other:
    a key added to the results without the schema (and docs) fails here."""
    defs = schema()["$defs"]
    for name, kind in DEFINITIONS.items():
        names = [f.name for f in dataclasses.fields(kind)]
        assert defs[name]["required"] == names, name
        assert defs[name]["additionalProperties"] is False, name
    top = schema()
    assert top["required"] == ["schema_version", *(f.name for f in dataclasses.fields(Results))]
    summary = top["properties"]["summary"]
    assert summary["required"] == [f.name for f in dataclasses.fields(CompanySummary)]


def test_the_schema_catches_a_wrong_value(data: dict[str, Any]) -> None:
    broken = copy.deepcopy(data)
    broken["departments"][0]["kpis"][0]["status"] = "fine"
    broken["summary"]["counts"]["achieved"] = -1
    del broken["departments"][0]["kpis"][0]["deadline"]
    problems = schema_problems(broken)
    assert any("'fine' is not one of" in p for p in problems)
    assert any("-1 is less than the minimum" in p for p in problems)
    assert any("'deadline' is a required property" in p for p in problems)


def test_from_dict_gives_back_the_same_results(data: dict[str, Any]) -> None:
    results = from_dict(data)
    assert isinstance(results, Results)
    assert isinstance(results.summary, CompanySummary)
    kpi = results.departments[0].kpis[0]
    assert isinstance(kpi, KpiResult) and isinstance(kpi.deadline, type(results.report_date))
    assert all(isinstance(p, Point) for p in kpi.series)
    assert to_dict(results) == data


def test_from_dict_reads_a_later_minor_version_and_ignores_keys_it_does_not_know(
    data: dict[str, Any],
) -> None:
    later = copy.deepcopy(data)
    later["schema_version"] = "2.99"
    later["new_top_level_key"] = {"anything": 1}
    later["departments"][0]["kpis"][0]["new_kpi_key"] = [1, 2]
    assert to_dict(from_dict(later)) == data


@pytest.mark.parametrize(
    ("change", "message"),
    [
        # schema 1 named the comparisons' keys change and gap: refused, to be built again
        (lambda d: d.update(schema_version="1.0"), "its schema_version is '1.0'"),
        (lambda d: d.pop("schema_version"), "its schema_version is None"),
        (lambda d: d.pop("company"), "Results.company is missing"),
        (
            lambda d: d["departments"][0]["kpis"][1].update(target="lots"),
            "Results.departments[0].kpis[1].target should be a number, not str",
        ),
        (
            lambda d: d["departments"][0]["kpis"][0].update(deadline="31/12/2026"),
            "Results.departments[0].kpis[0].deadline should be a date (YYYY-MM-DD), not str",
        ),
        (
            lambda d: d["summary"]["counts"].update(achieved=True),
            "Results.summary.counts.achieved should be a whole number, not bool",
        ),
        (lambda d: d.update(departments={}), "Results.departments should be a list, not dict"),
    ],
)
def test_from_dict_names_what_does_not_fit(data: dict[str, Any], change: Any, message: str) -> None:
    broken = copy.deepcopy(data)
    change(broken)
    with pytest.raises(ResultsFileError) as caught:
        from_dict(broken)
    assert message in str(caught.value)


@pytest.mark.tampered_results
def test_load_results_says_what_is_wrong_with_the_file(tmp_path: Path) -> None:
    with pytest.raises(ResultsFileError, match=r"has no results\.json: build it"):
        load_results(tmp_path)
    (tmp_path / "results.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ResultsFileError, match=r"results\.json cannot be read"):
        load_results(tmp_path)
    (tmp_path / "results.json").write_text("[]", encoding="utf-8")
    with pytest.raises(ResultsFileError, match=r"not a kpireport results\.json: it is not a JSON"):
        load_results(tmp_path)


def test_docs_describe_the_version_and_point_to_the_schema() -> None:
    text = (ROOT / "docs" / "results-json.md").read_text(encoding="utf-8")
    assert "`schema_version`" in text
    assert "results.schema.json" in text
    assert f'"schema_version": "{SCHEMA_VERSION}"' in text  # the example is current


@pytest.mark.parametrize("sample", ["acme-en", "fjordsol-da"])
def test_results_json_written_a_department_at_a_time_is_the_whole_data_dumped(sample: str) -> None:
    """Issue 18, point 4: results.json is written in pieces, never held whole, and is exactly
    the compact dump of to_dict (so its SHA-256 and every reader stay the same)."""
    from kpireport.engine.serialize import results_json

    workbook, report = check(SAMPLES / f"{sample}.xlsx")
    results = compute(workbook, report)
    pieces = list(results_json(results))
    whole = json.dumps(to_dict(results), ensure_ascii=False, separators=(",", ":")) + "\n"
    assert "".join(pieces) == whole
    # one piece per department, none holding two
    assert len(pieces) > len(results.departments) + 2
    assert max(len(p) for p in pieces) < len(whole) / 2


def _leaves(value: Any) -> Iterator[tuple[Callable[[Any], None], Any]]:
    """Every plain value inside ``value`` (its dataclasses, lists and dicts), each with a
    function that puts another value in its place."""
    if dataclasses.is_dataclass(value):
        places: Iterable[tuple[Any, Any]] = (
            (f.name, getattr(value, f.name)) for f in dataclasses.fields(value)
        )

        def setter(name: Any) -> Callable[[Any], None]:
            return lambda new: setattr(value, name, new)
    elif isinstance(value, list | dict):
        places = list(enumerate(value) if isinstance(value, list) else value.items())

        def setter(name: Any) -> Callable[[Any], None]:
            return lambda new: value.__setitem__(name, new)
    else:
        return
    for name, item in places:
        if dataclasses.is_dataclass(item) or isinstance(item, list | dict):
            yield from _leaves(item)
        else:
            yield setter(name), item


def _other(value: Any) -> Any:
    """A value that differs from ``value``, as little as its type allows."""
    if value is None:
        return 0
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, float):
        return math.nextafter(value, math.inf) if math.isfinite(value) else 0.0
    if isinstance(value, dt.date):
        return value + dt.timedelta(days=1)
    assert isinstance(value, str), type(value)
    return value + "·"


@pytest.mark.parametrize("sample", ["acme-en", "fjordsol-da"])
def test_a_department_key_changes_with_every_value_and_list_in_it(sample: str) -> None:
    """The build's key of a department's pages is made of department_key: each value in the
    department's results, changed by the least it can be (a float by one unit in the last
    place, a text by one character, None to 0), and each list one item longer, changes it; put
    back, the key is the one before."""
    workbook, report = check(SAMPLES / f"{sample}.xlsx")
    for dept in compute(workbook, report).departments:
        key = department_key(dept)
        checked = 0
        for put, value in list(_leaves(dept)):
            put(_other(value))
            assert department_key(dept) != key, value
            put(value)
            checked += 1
        lists = [v for v in _containers(dept) if isinstance(v, list) and v]
        for items in lists:
            items.append(items[-1])
            assert department_key(dept) != key
            items.pop()
        assert department_key(dept) == key
        assert checked > 100 and lists


def _containers(value: Any) -> Iterator[Any]:
    """``value`` and every dataclass, list and dict inside it."""
    yield value
    if dataclasses.is_dataclass(value):
        children: Iterable[Any] = (getattr(value, f.name) for f in dataclasses.fields(value))
    elif isinstance(value, list | dict):
        children = value if isinstance(value, list) else value.values()
    else:
        return
    for child in children:
        if dataclasses.is_dataclass(child) or isinstance(child, list | dict):
            yield from _containers(child)


def test_a_department_key_is_of_the_values_only() -> None:
    """Computed twice, or copied, a department has the same key: how its objects share each
    other (every point without notes shares one empty list) does not count. A number that is
    not a number is not a missing one."""
    workbook, report = check(SAMPLES / "acme-en.xlsx")
    first, second = compute(workbook, report), compute(workbook, report)
    dept = first.departments[0]
    assert [department_key(d) for d in first.departments] == [
        department_key(d) for d in second.departments
    ]
    copied = copy.deepcopy(dept)
    for kpi in copied.kpis:
        for point in kpi.series:
            point.notes = list(point.notes)
    assert department_key(copied) == department_key(dept)
    kpi = copied.kpis[0]
    kpi.current = None
    missing = department_key(copied)
    kpi.current = math.nan
    assert department_key(copied) != missing
