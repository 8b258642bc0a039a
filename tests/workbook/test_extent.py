"""kpireport.workbook.extent: how far a sheet reaches, found in its XML before calamine reads it.

The scan must agree with python-calamine, which builds the grid the limits are about: a
property test writes random sheets (cells in and out of order, with and without ``r``, in the
unusual spellings XML allows, with and without values) and compares the scan with the grid
calamine returns. The rest checks the limits at their edges and that an ordinary sheet is
scanned by the fast search, not by walking every cell.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kpireport.errors import UnsafeWorkbookError
from kpireport.model import cell_name
from kpireport.workbook import extent as extent_module
from kpireport.workbook.extent import (
    MAX_CELLS,
    MAX_ROWS,
    _column,
    _greater_letters,
    _greater_number,
    _letters,
    check_extent,
    sheet_extent,
)
from tests.conftest import valid_sheets, write_workbook

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def sheet(cells: str, root_attrs: str = "") -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{NS}"{root_attrs}>'
        f'<dimension ref="A1"/><sheetData>{cells}</sheetData></worksheet>'
    ).encode()


def grid(xml: bytes, template: bytes) -> tuple[int, int]:
    """(rows, columns) of the grid calamine makes of the worksheet ``xml`` (0, 0 when empty),
    read from a copy of the workbook ``template`` with ``xml`` as its Measurements sheet."""
    from python_calamine import CalamineWorkbook

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(template)) as zin, zipfile.ZipFile(out, "w") as zout:
        for info in zin.infolist():
            data = xml if info.filename == "xl/worksheets/sheet4.xml" else zin.read(info)
            zout.writestr(info.filename, data)
    book = CalamineWorkbook.from_filelike(io.BytesIO(out.getvalue()))
    rows = book.get_sheet_by_name("Measurements").to_python(skip_empty_area=False)
    return len(rows), max((len(r) for r in rows), default=0)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = write_workbook(tmp_path_factory.mktemp("extent") / "t.xlsx", valid_sheets())
    with zipfile.ZipFile(path) as zf:
        assert b"Measurements" in zf.read("xl/workbook.xml")
        assert zf.read("xl/worksheets/sheet4.xml").count(b"SALES-01") == 6
    return path.read_bytes()


# -- agreeing with calamine ------------------------------------------------------------------


VALUES = {
    "number": ("", "<v>7</v>"),
    "text": (' t="inlineStr"', "<is><t>x</t></is>"),
    "empty v": ("", "<v></v>"),
    "self-closing v": ("", "<v/>"),
    "nothing": ("", ""),
}
WITH_VALUE = {"number", "text"}


def _ref(row: int, col: int, spelling: str) -> str:
    letters = _letters(col)
    return {
        "lower": f"{letters.lower()}{row}",
        "zeros": f"{letters}00{row}",
    }.get(spelling, f"{letters}{row}")


def _cell(row: int, col: int, value: str, spelling: str) -> str:
    type_attr, body = VALUES[value]
    ref = _ref(row, col, spelling)
    if spelling == "self-closing":
        return f'<c r="{ref}" s="1"/>'
    if spelling == "no ref":
        return f"<c{type_attr}>{body}</c>"
    if spelling == "prefixed":
        return f'<x:c r="{ref}"{type_attr}>{body.replace("<", "<x:").replace("<x:/", "</x:")}</x:c>'
    start = {
        "single quotes": f"<c r='{ref}'{type_attr}",
        "spaces": f'<c  r = "{ref}"{type_attr}',
        "r not first": f'<c s="0"{type_attr} r="{ref}"',
        "line break": f'<c\nr="{ref}"{type_attr}',
    }.get(spelling, f'<c r="{ref}"{type_attr}')
    return f"{start}>{body}</c>"


SPELLINGS = [
    "usual",
    "usual",
    "usual",
    "lower",
    "zeros",
    "self-closing",
    "no ref",
    "prefixed",
    "single quotes",
    "spaces",
    "r not first",
    "line break",
]

cells = st.tuples(
    st.integers(1, 40),  # column
    st.sampled_from(sorted(VALUES)),
    st.sampled_from(SPELLINGS),
    st.integers(-2, 2),  # how far the cell's r is from its row's
)
rows = st.lists(
    st.tuples(
        st.integers(1, 60),  # row number
        st.sampled_from(["r", "r", "r", "no r", "self-closing"]),
        st.lists(cells, max_size=6),
    ),
    max_size=12,
)


def _spelling(spelling: str, usual_only: bool) -> str:
    return "usual" if usual_only and spelling != "self-closing" else spelling


@settings(max_examples=150, deadline=None)
@given(rows=rows, sort=st.booleans(), usual_only=st.booleans())
def test_the_scan_agrees_with_calamine(
    rows: list[tuple[int, str, list[tuple[int, str, str, int]]]],
    sort: bool,
    usual_only: bool,
    template: bytes,
) -> None:
    if sort:
        rows = sorted(rows, key=lambda r: r[0])
    parts = []
    for number, kind, row_cells in rows:
        if kind == "self-closing":
            parts.append(f'<row r="{number}" s="1" customFormat="1"/>')
            continue
        ordered = sorted(row_cells) if sort else row_cells
        body = "".join(
            _cell(max(number + shift, 1), col, value, _spelling(spelling, usual_only))
            for col, value, spelling, shift in ordered
        )
        start = f'<row r="{number}">' if kind == "r" else "<row>"
        parts.append(f"{start}{body}</row>")
    xml = sheet("".join(parts), f' xmlns:x="{NS}"')
    expected = grid(xml, template)
    found = sheet_extent(xml)
    assert (found.rows, found.columns) == expected, xml.decode()


@pytest.mark.parametrize("spelling", sorted(set(SPELLINGS) - {"self-closing"}))
@pytest.mark.parametrize("value", sorted(VALUES))
@pytest.mark.parametrize("where", ["first", "last"])
def test_one_far_cell_in_any_spelling(
    spelling: str, value: str, where: str, template: bytes
) -> None:
    """A sorted sheet plus one cell far out, written first or last: the cell counts exactly
    when calamine counts it."""
    table = "".join(f'<row r="{r}">{_cell(r, 3, "number", "usual")}</row>' for r in range(1, 8))
    far = f'<row r="60">{_cell(60, 40, value, spelling)}</row>'
    xml = sheet(far + table if where == "first" else table + far, f' xmlns:x="{NS}"')
    expected = grid(xml, template)
    far_column = 1 if spelling == "no ref" else 40  # a cell without r: first in its row
    assert expected == ((60, max(far_column, 3)) if value in WITH_VALUE else (7, 3))
    found = sheet_extent(xml)
    assert (found.rows, found.columns) == expected


def test_a_formula_without_a_result_counts_as_a_value() -> None:
    """cells.py reports such a cell, so its row is read: it belongs to the extent."""
    found = sheet_extent(sheet('<row r="900000"><c r="B900000"><f>1+1</f></c></row>'))
    assert (found.rows, found.columns, found.last_cell) == (900_000, 2, "B900000")


# -- the limits at their edges ---------------------------------------------------------------


def _one_value(ref: str) -> bytes:
    return sheet(
        '<row r="1"><c r="A1" t="inlineStr"><is><t>kpi</t></is></c></row>'
        f'<row r="{ref.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")}"><c r="{ref}"><v>1</v></c></row>'
    )


def test_the_row_limit(tmp_path: Path) -> None:
    at_limit = check_extent(tmp_path, "Measurements", _one_value(f"A{MAX_ROWS}"))
    assert (at_limit.rows, at_limit.columns) == (MAX_ROWS, 1)
    with pytest.raises(UnsafeWorkbookError) as raised:
        check_extent(tmp_path / "kpis.xlsx", "Målinger", _one_value(f"A{MAX_ROWS + 1}"))
    assert raised.value.code == "too-many-rows"
    assert raised.value.issue.message("en") == (
        "The sheet 'Målinger' has values down to row 500,001 (cell A500001); "
        "kpireport reads at most 500,000 rows per sheet."
    )
    assert raised.value.issue.message("da") == (
        "Arket 'Målinger' har værdier ned til række 500.001 (celle A500001); "
        "kpireport læser højst 500.000 rækker pr. ark."
    )


def test_the_cell_limit(tmp_path: Path) -> None:
    rows = MAX_CELLS // 100  # 100 columns: A..CV
    at_limit = check_extent(tmp_path, "KPIs", _one_value(f"CV{rows}"))
    assert at_limit.cells == MAX_CELLS
    with pytest.raises(UnsafeWorkbookError) as raised:
        check_extent(tmp_path, "KPIs", _one_value(f"CW{rows}"))
    assert raised.value.code == "too-many-cells"
    assert raised.value.issue.message("en") == (
        "The sheet 'KPIs' has values across A1:CW50000, 50,000 rows by 101 columns "
        "(5,050,000 cells); kpireport reads at most 5,000,000 cells per sheet."
    )


# -- the fast search -------------------------------------------------------------------------


def _ordinary(n: int) -> bytes:
    return sheet(
        "".join(
            f'<row r="{r}" spans="1:4"><c r="A{r}" t="s"><v>0</v></c><c r="B{r}" s="1">'
            f'<v>{46000 + r}</v></c><c r="C{r}"><v>{r * 1.5}</v></c>'
            + (f'<c r="D{r}" t="inlineStr"><is><t>note</t></is></c>' if r % 7 == 0 else "")
            + "</row>"
            for r in range(1, n + 1)
        )
        # Excel writes rows that are only formatted after the table
        + "".join(f'<row r="{r}" s="2" customFormat="1"/>' for r in range(n + 1, n + 50))
    )


def test_an_ordinary_sheet_is_scanned_without_walking_its_cells(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def walk(xml: bytes) -> None:
        raise AssertionError("walked every cell")

    monkeypatch.setattr(extent_module, "_walk", walk)
    found = sheet_extent(_ordinary(20_000))
    assert (found.rows, found.columns, found.last_cell) == (20_000, 4, "A20000")


def test_a_cell_out_of_order_is_found() -> None:
    """Written first, the far cell is beyond the guess from the last rows: the search finds it."""
    xml = _ordinary(5_000).replace(
        b"<sheetData>", b'<sheetData><row r="9"><c r="AB700000"><v>1</v></c></row>', 1
    )
    found = sheet_extent(xml)
    assert (found.rows, found.columns, found.last_cell) == (700_000, 28, "AB700000")


@pytest.mark.parametrize("n", [0, 1, 9, 10, 99, 500_000, 1_048_575, 123_456])
def test_greater_number(n: int) -> None:
    pattern = re.compile(_greater_number(n))
    for m in {0, 1, 8, 9, 10, 11, 99, 100, 101, n - 1, n, n + 1, n * 10, 999_999_999}:
        if m >= 0:
            assert bool(pattern.fullmatch(str(m).encode())) == (m > n), (n, m)


@pytest.mark.parametrize("col", [1, 2, 25, 26, 27, 52, 702, 703, 16_384])
def test_greater_letters(col: int) -> None:
    pattern = re.compile(_greater_letters(col))
    others = {1, 2, 25, 26, 27, 28, 52, 53, 701, 702, 703, 704, 16_384, 16_385, col - 1, col + 1}
    for other in others:
        if other >= 1:
            for letters in (_letters(other), _letters(other).lower()):
                assert bool(pattern.fullmatch(letters.encode())) == (other > col), (col, letters)
                assert _column(letters.encode()) == other
    assert cell_name(1, col - 1) == _letters(col) + "1"
