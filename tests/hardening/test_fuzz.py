"""Fuzzing ``validate`` with hypothesis: workbooks built from the contract's sheets and columns,
filled with junk (issue 7, the property-based acceptance bullet).

Whatever is in the cells, ``check`` raises nothing but WorkbookError, ``kpireport validate
--format json`` exits 0 or 1 with valid JSON, and every issue names a sheet and, when it names a
cell, a cell inside that sheet's used range.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import tempfile
import warnings
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string

from kpireport import schema
from kpireport.cli import main
from kpireport.errors import WorkbookError
from kpireport.issues import Issue
from kpireport.validate import check
from tests.conftest import KPI_HEADER, Fmt, codes, kpi_row, valid_sheets, write_workbook

# -- junk values ------------------------------------------------------------------------------

KPI_IDS = ["SALES-01", "sales-01", "HR-02", "X", "ÆØÅ-1", "🚀"]
WORDS = [
    # dropdown values and units, so that rows get past the reader into the cross-sheet rules
    "higher", "lower", "højere", "lavere", "monthly", "weekly", "daily", "quarterly", "yearly",
    "månedligt", "sum", "average", "gennemsnit", "latest", "min", "max", "%", "DKK", "count",
    "hours", "Sales", "Salg", "en", "da", "industry", "target", "#1F4E79", "#GGG", "red",
    "a@example.com", "a@b", "a@example.com; not-an-address", "2026-03", "2026-Q2", "2026",
    "2026-W10", "31-12-2026", "31.12.2026", "1/2/2026", "N/A", "-", "0", "1,5", "1.000,50",
    "50%", "ja", "nej", "TRUE", "Growth and profit", "../../etc/passwd", "<script>x</script>",
]  # fmt: skip
FORMULAS = ["=1/0", "=A1", "=SUM(A1:A3)", "=NA()", '="text"', "=1+", "=B2*2", "=TODAY()"]
NUMBER_FORMATS = ["0%", "0.00%", "yyyy-mm-dd", "dd-mm-yyyy", "mmm yyyy", "#,##0", "@", "h:mm"]


def _clean(text: str) -> str:
    return ILLEGAL_CHARACTERS_RE.sub("", text)


texts = st.one_of(
    st.text(max_size=20).map(_clean),
    st.text(
        alphabet=st.sampled_from("aæøåÆØÅ €😀🚀\t\n\r'\"<>&;,.-_/\\=+@"), min_size=1, max_size=12
    ),
    st.text(alphabet="abcæøå 🚀", min_size=200, max_size=300),
    st.sampled_from(["", " ", "\t", "\n", "\u00a0", "\u200b"]),
)
numbers = st.one_of(
    st.integers(min_value=-(10**15), max_value=10**15),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([0, -1, 1e-300, -1e-300, 1e300, -1e308, 0.5, 1.0, 2958466, -693594]),
)
dates = st.one_of(
    st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(9999, 12, 31)),
    st.dates(min_value=dt.date(2025, 1, 1), max_value=dt.date(2027, 12, 31)),
    st.datetimes(min_value=dt.datetime(1900, 3, 1), max_value=dt.datetime(9999, 12, 31)),
    st.times(),
)
junk = st.one_of(
    st.none(),
    texts,
    numbers,
    st.booleans(),
    dates,
    st.sampled_from(FORMULAS),
    st.sampled_from(WORDS),
    st.sampled_from(KPI_IDS),
    st.builds(Fmt, st.one_of(numbers, dates), st.sampled_from(NUMBER_FORMATS)),
)

# -- workbooks from the contract --------------------------------------------------------------


@st.composite
def header_name(draw: st.DrawFn, column: schema.Column) -> str:
    name = draw(st.sampled_from(column.names()))
    return draw(st.sampled_from([name, name.upper(), f" {name}: ", name.replace("_", " ")]))


@st.composite
def table_sheet(draw: st.DrawFn, spec: schema.SheetSpec) -> list[list[Any]]:
    """A header of a random subset of ``spec``'s columns in random order (sometimes with an
    unknown, blank or repeated header), then 0-6 rows of junk, with the KPI id column often a
    real id."""
    columns = draw(st.permutations(spec.columns))
    columns = columns[: draw(st.integers(0, len(columns)))]
    header: list[Any] = [draw(header_name(c)) for c in columns]
    keys: list[str | None] = [c.key for c in columns]
    extra = draw(st.sampled_from([None, "unknown", "blank", "repeat", "junk"]))
    if extra == "unknown":
        header.append("Bemærkning 🚀")
    elif extra == "blank":
        header.insert(draw(st.integers(0, len(header))), None)
    elif extra == "repeat" and header:
        header.append(header[0])
    elif extra == "junk":
        header.append(draw(junk))
    keys += [None] * (len(header) - len(keys))
    rows: list[list[Any]] = [header]
    for _ in range(draw(st.integers(0, 6))):
        width = draw(st.integers(0, len(header) + 1))
        row = []
        for n in range(width):
            key = keys[n] if n < len(keys) else None
            if key in ("id", "kpi") and draw(st.booleans()):
                row.append(draw(st.sampled_from(KPI_IDS)))
            else:
                row.append(draw(junk))
        rows.append(row)
    blank_above = draw(st.integers(0, 2))
    return [[] for _ in range(blank_above)] + rows


@st.composite
def settings_sheet(draw: st.DrawFn) -> list[list[Any]]:
    rows: list[list[Any]] = []
    if draw(st.booleans()):
        rows.append(draw(st.sampled_from([["key", "value"], ["nøgle", "værdi"], ["setting"]])))
    for _ in range(draw(st.integers(0, 6))):
        if draw(st.integers(0, 4)):
            key: Any = draw(st.sampled_from(draw(st.sampled_from(schema.SETTING_KEYS)).names()))
        else:
            key = draw(junk)
        rows.append([key, draw(junk), *draw(st.lists(junk, max_size=2))])
    return rows


@st.composite
def workbooks(draw: st.DrawFn) -> dict[str, list[list[Any]]]:
    sheets: dict[str, list[list[Any]]] = {}
    for spec in schema.SHEETS:
        if not draw(st.integers(0, 5 if spec.required else 2)):
            continue  # leave the sheet out
        name = draw(st.sampled_from(spec.names()))
        if draw(st.integers(0, 5)) == 0:
            name = f" {name.upper()} "
        if name.strip().casefold() in (n.strip().casefold() for n in sheets):
            continue  # openpyxl refuses sheet names equal but for case
        sheets[name] = draw(settings_sheet()) if spec.key == "settings" else draw(table_sheet(spec))
    if draw(st.integers(0, 5)) == 0:
        sheets["Notes 📝"] = [[draw(junk), draw(junk)]]
    if not sheets:
        sheets["Sheet1"] = []
    return sheets


@st.composite
def mutated_workbooks(draw: st.DrawFn) -> dict[str, list[list[Any]]]:
    """A valid workbook with a few cells replaced by junk and a few junk rows added, so that
    the rules across rows and sheets (SMART, pace, aggregation) see odd values too."""
    sheets = valid_sheets()
    names = list(sheets)
    for _ in range(draw(st.integers(0, 3))):
        name = draw(st.sampled_from(names))
        width = len(sheets[name][0])
        sheets[name].append([draw(junk) for _ in range(width)])
    for _ in range(draw(st.integers(1, 6))):
        rows = sheets[draw(st.sampled_from(names))]
        row = rows[draw(st.integers(1 if len(rows) > 1 else 0, len(rows) - 1))]
        if row:
            row[draw(st.integers(0, len(row) - 1))] = draw(junk)
    return sheets


# -- the properties ---------------------------------------------------------------------------


def used_ranges(path: Path) -> dict[str, tuple[int, int]]:
    """Sheet name -> (max_row, max_column) of the workbook as written."""
    with warnings.catch_warnings():  # "marked as a date but ... outside the limits for dates"
        warnings.simplefilter("ignore", UserWarning)
        wb = openpyxl.load_workbook(path)
    return {ws.title: (ws.max_row, ws.max_column) for ws in wb.worksheets}


_CELL = re.compile(r"^[A-Z]{1,3}[1-9][0-9]*$")


def assert_issues_located(issues: list[Issue], ranges: dict[str, tuple[int, int]]) -> None:
    for issue in issues:
        assert issue.sheet, f"{issue.code} names no sheet"
        if issue.cell is None:
            continue
        assert _CELL.match(issue.cell), f"{issue.code}: bad cell {issue.cell!r}"
        assert issue.sheet in ranges, f"{issue.code}: cell {issue.cell} in missing {issue.sheet!r}"
        column_letters, row = coordinate_from_string(issue.cell)
        column = column_index_from_string(column_letters)
        max_row, max_column = ranges[issue.sheet]
        assert (row, column) == (1, 1) or (row <= max_row and column <= max_column), (
            f"{issue.code} at {issue.sheet}!{issue.cell} is outside the used range "
            f"{max_row} rows x {max_column} columns"
        )


def assert_validates_cleanly(path: Path) -> None:
    ranges = used_ranges(path)
    try:
        _workbook, report = check(path)
    except WorkbookError as exc:
        issues = [exc.issue]
        assert exc.message("en") and exc.message("da")
    else:
        issues = report.issues
        for lang in ("en", "da"):
            report.lang = lang
            json.loads(report.to_json())
        assert_issues_located(issues, ranges)

    result = CliRunner().invoke(
        main, ["--debug", "validate", str(path), "--format", "json"], catch_exceptions=False
    )
    assert result.exit_code in (0, 1), result.output
    data = json.loads(result.stdout)
    assert isinstance(data["valid"], bool) and isinstance(data["issues"], list)
    assert (result.exit_code == 0) == data["valid"]
    for item in data["issues"]:
        assert item["sheet"] or item["cell"] is None


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.one_of(workbooks(), mutated_workbooks()))
def test_validate_survives_junk_workbooks(sheets: dict[str, list[list[Any]]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = write_workbook(Path(tmp) / "fuzz.xlsx", sheets)
        assert_validates_cleanly(path)


# -- regressions: what the fuzz test found ---------------------------------------------------


def test_date_formatted_huge_negative_number_is_a_damaged_sheet(tmp_path: Path) -> None:
    # calamine panics (pyo3 PanicException, a BaseException) converting -1e300 to a date.
    sheets = valid_sheets()
    sheets["Measurements"].append(["SALES-01", Fmt(-1e300, "yyyy-mm-dd"), 1, None])
    path = write_workbook(tmp_path / "wb.xlsx", sheets)
    with pytest.raises(WorkbookError) as caught:
        check(path)
    assert caught.value.code == "damaged" and "Measurements" in caught.value.message("en")
    assert_validates_cleanly(path)


def test_no_kpis_points_inside_a_header_only_sheet(tmp_path: Path) -> None:
    # It pointed at A2, below the last row of a sheet holding only its header row.
    sheets = valid_sheets()
    sheets["KPIs"] = [[None, *KPI_HEADER]]
    path = write_workbook(tmp_path / "wb.xlsx", sheets)
    _, report = check(path)
    assert codes(report) == [("no-kpis", "KPIs", "B1")]
    assert_validates_cleanly(path)


def test_huge_weight_is_reported_not_a_crash(tmp_path: Path) -> None:
    # Babel's decimal rounding raised InvalidOperation formatting -1e22 with 6 decimals. Since
    # issue 12 (point 4) a number beyond 1e15 is out of range, so the largest negative weight
    # accepted as a number shows the formatting, and -1e22 is refused before it is formatted.
    sheets = valid_sheets()
    sheets["KPIs"][1] = kpi_row(weight=-1e15)
    path = write_workbook(tmp_path / "wb.xlsx", sheets)
    _, report = check(path)
    assert codes(report) == [("bad-weight", "KPIs", "P2")]
    assert "-1,000,000,000,000,000" in report.issues[0].message("en")
    assert "-1.000.000.000.000.000" in report.issues[0].message("da")
    assert_validates_cleanly(path)
    sheets["KPIs"][1] = kpi_row(weight=-1e22)
    path = write_workbook(tmp_path / "wb.xlsx", sheets)
    _, report = check(path)
    assert codes(report) == [("number-out-of-range", "KPIs", "P2")]
    assert_validates_cleanly(path)
