"""Shared fixtures: build workbooks in tests with openpyxl, from plain lists of rows."""

from __future__ import annotations

import copy
import datetime as dt
import fcntl
import functools
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import settings

# One browser per test process for every test that drives one (Playwright allows one sync
# session per process): the presentation checks and the live preview.
from tests.presentation.browser import screen_fixture  # noqa: F401

# No per-example deadline: the suite runs on two busy cores (pytest -n 2), where an example that
# takes 200 ms instead of 20 ms says nothing about the code. The examples' counts stay as set.
settings.register_profile("kpireport", deadline=None)
settings.load_profile("kpireport")

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_workbooks"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@dataclass(frozen=True)
class Fmt:
    """A cell value with an Excel number format, e.g. ``Fmt(0.42, "0%")``."""

    value: Any
    number_format: str


def write_workbook(path: Path, sheets: dict[str, list[list[Any]]]) -> Path:
    """Write ``sheets`` (sheet name -> rows, top to bottom from A1) to ``path``."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                if value is None:
                    continue
                if isinstance(value, Fmt):
                    cell = ws.cell(row=r, column=c, value=value.value)
                    cell.number_format = value.number_format
                else:
                    ws.cell(row=r, column=c, value=value)
    wb.save(path)
    return path


KPI_HEADER = [
    "id",
    "department",
    "name",
    "description",
    "unit",
    "direction",
    "target",
    "deadline",
    "baseline",
    "baseline_date",
    "frequency",
    "aggregation",
    "objective",
    "owner",
    "data_source",
    "weight",
]


def kpi_row(**overrides: Any) -> list[Any]:
    """A complete, SMART KPI row; keyword arguments replace columns by header name."""
    values = {
        "id": "SALES-01",
        "department": "Sales",
        "name": "New customers per month",
        "description": "Customers who signed a first paid order in the month",
        "unit": "count",
        "direction": "higher",
        "target": 60,
        "deadline": dt.date(2026, 12, 31),
        "baseline": 40,
        "baseline_date": dt.date(2026, 1, 1),
        "frequency": "monthly",
        "aggregation": "sum",
        "objective": "Grow the customer base",
        "owner": "Mette Hansen",
        "data_source": "CRM monthly export",
        "weight": 1,
    }
    values.update(overrides)
    return [values[h] for h in KPI_HEADER]


def valid_sheets() -> dict[str, list[list[Any]]]:
    """A small workbook that validates with no issue at all: edit a copy to make one."""
    months = [dt.date(2026, m, 1) for m in range(1, 7)]
    return {
        "Settings": [
            ["key", "value"],
            ["company", "Test A/S"],
            ["report_date", dt.date(2026, 6, 30)],
            ["language", "en"],
        ],
        "Departments": [
            ["department", "head", "email", "color"],
            ["Sales", "Mette Hansen", "mette@example.com", "#1F4E79"],
        ],
        "KPIs": [KPI_HEADER, kpi_row()],
        "Measurements": [["kpi", "date", "value", "note"]]
        + [["SALES-01", d, 40 + 2 * i, None] for i, d in enumerate(months)],
        "Benchmarks": [
            ["kpi", "source", "value", "kind", "date"],
            ["SALES-01", "Industry average 2025", 50, "industry", dt.date(2025, 12, 31)],
        ],
    }


@pytest.fixture
def sheets() -> dict[str, list[list[Any]]]:
    """A fresh copy of :func:`valid_sheets` to edit."""
    return copy.deepcopy(valid_sheets())


@pytest.fixture
def make_workbook(tmp_path: Path) -> Callable[..., Path]:
    """``make_workbook(sheets, name="wb.xlsx")`` writes a workbook into tmp_path."""
    counter = iter(range(1_000_000))

    def make(sheets: dict[str, list[list[Any]]], name: str | None = None) -> Path:
        return write_workbook(tmp_path / (name or f"wb{next(counter)}.xlsx"), sheets)

    return make


def codes(report: Any) -> list[tuple[str, str | None, str | None]]:
    """(code, sheet, cell) of every issue, for compact assertions."""
    return [(i.code, i.sheet, i.cell) for i in report.issues]


# --- every results.json a test writes follows docs/results.schema.json -----------------------

RESULTS_SCHEMA = ROOT / "docs" / "results.schema.json"


@functools.cache
def _results_validator() -> Any:
    import jsonschema

    schema = json.loads(RESULTS_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def schema_problems(data: Any) -> list[str]:
    """Where ``data`` (a parsed results.json) breaks docs/results.schema.json."""
    return [
        f"{'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}"
        for e in _results_validator().iter_errors(data)
    ]


def results_files_problems(root: Path) -> list[str]:
    """Every results.json below ``root`` checked against the schema."""
    problems = []
    for path in sorted(root.rglob("results.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        problems += [f"{path}: {p}" for p in schema_problems(data)[:5]]
    return problems


@pytest.fixture(autouse=True)
def _results_json_follow_the_schema(request: pytest.FixtureRequest) -> Any:
    """After each test that used tmp_path: every results.json in it follows the schema (a test
    that writes a broken one on purpose is marked ``tampered_results``)."""
    yield
    tmp = request.node.funcargs.get("tmp_path") if hasattr(request.node, "funcargs") else None
    if tmp is None or request.node.get_closest_marker("tampered_results"):
        return
    problems = results_files_problems(Path(tmp))
    assert not problems, "results.json breaks docs/results.schema.json:\n" + "\n".join(problems)


def once_per_session(
    factory: pytest.TempPathFactory, name: str, make: Callable[[Path], str]
) -> Path:
    """The folder ``name`` that ``make`` fills once per test session, also under pytest-xdist:
    the first worker to need it runs ``make`` (which returns an error message, or "") while the
    others wait on a lock, then every worker reads the same files. A failure is recorded, so
    that the other workers fail with it instead of trying again."""
    base = factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # shared by the workers of this session (and only this one)
    root = base / name
    root.mkdir(exist_ok=True)
    status = root / "status.json"
    with open(root / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not status.exists():
            try:
                error = make(root)
            except Exception as exc:
                error = repr(exc)
            status.write_text(json.dumps(error))
    error = json.loads(status.read_text())
    if error:
        pytest.fail(f"{name}: building the reports failed:\n{error}")
    return root
