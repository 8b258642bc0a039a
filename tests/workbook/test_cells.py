"""read_sheet on real workbooks: calamine's values, and the facts read from the worksheet XML
(percent-formatted cells, formulas without a stored result, error values), by the fast scan and
by the openpyxl fallback for cells without references.

openpyxl writes formulas without results; a result as Excel or LibreOffice stores it is put into
the worksheet XML afterwards (``with_sheet_xml``), so each case is a file a real writer makes.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from kpireport.errors import UnsafeWorkbookError
from kpireport.workbook.cells import RawSheet, percent_styles, read_sheet
from kpireport.workbook.container import open_container
from kpireport.workbook.extent import MAX_ROWS
from tests.conftest import FIXTURES, Fmt, write_workbook

SAVED = FIXTURES / "libreoffice-saved.xlsx"
ERROR_VALUES = ["#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!"]


def read(path: Path, name: str = "S") -> RawSheet:
    """One sheet as the reader reads it."""
    container = open_container(path)
    calamine = CalamineWorkbook.from_filelike(io.BytesIO(container.data))
    return read_sheet(container, name, calamine, percent_styles(container))


def with_part(path: Path, part: str, edit: Callable[[bytes], bytes]) -> Path:
    """Rewrite one part of the workbook ``path`` in place; the edit must change something."""
    with zipfile.ZipFile(path) as zf:
        parts = [(info.filename, zf.read(info)) for info in zf.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts:
            if name == part:
                new = edit(data)
                assert new != data, f"the edit of {part} changed nothing"
                data = new
            zf.writestr(name, data)
    return path


def with_sheet_xml(path: Path, edit: Callable[[bytes], bytes], name: str = "S") -> Path:
    return with_part(path, open_container(path).sheet_parts[name], edit)


def replace(old: bytes, new: bytes) -> Callable[[bytes], bytes]:
    def edit(data: bytes) -> bytes:
        assert data.count(old) == 1, old
        return data.replace(old, new)

    return edit


def without_full_calc(path: Path) -> Path:
    return with_part(path, "xl/workbook.xml", replace(b' fullCalcOnLoad="1"', b""))


def sheet(tmp_path: Path, rows: list[list[Any]], name: str = "book.xlsx") -> Path:
    return write_workbook(tmp_path / name, {"S": rows})


# -- values --------------------------------------------------------------------------------------


def test_values_as_a_grid_from_a1(tmp_path: Path) -> None:
    path = sheet(
        tmp_path,
        [
            [None, "text", 3, 2.5],
            [],
            ["æøå – “quoted”", True, None, -0.0001],
        ],
    )
    raw = read(path)
    assert raw.name == "S"
    assert raw.rows == [
        ["", "text", 3.0, 2.5],
        ["", "", "", ""],
        ["æøå – “quoted”", True, "", -0.0001],
    ]
    assert raw.width == 4
    assert (raw.percent, raw.formula_missing, raw.errors) == (set(), {}, {})
    assert (raw.formula_count, raw.first_formula) == (0, None)


def test_value_outside_the_grid_is_empty() -> None:
    raw = RawSheet("S", [[1.0, 2.0], [3.0]])
    assert raw.value(0, 1) == 2.0
    assert raw.value(1, 1) == ""  # a short row
    assert raw.value(2, 0) == ""  # below the grid
    assert raw.value(0, 5) == ""
    assert raw.width == 2
    assert RawSheet("S", []).width == 0


def test_an_empty_sheet(tmp_path: Path) -> None:
    raw = read(sheet(tmp_path, []))
    assert raw.rows in ([], [[]])
    assert raw.value(0, 0) == ""
    assert raw.width == 0


def test_dates_and_times(tmp_path: Path) -> None:
    """Excel stores a date as a number; its format makes it a date, whatever the pattern."""
    path = sheet(
        tmp_path,
        [
            [
                dt.date(2026, 3, 1),
                dt.datetime(2026, 3, 1, 12, 30),
                Fmt(46082, "dd.mm.yyyy"),
                Fmt(46082, "d/m/yy"),
                Fmt(46082, "0"),
                dt.date(1900, 3, 1),
            ]
        ],
    )
    assert read(path).rows == [
        [
            dt.date(2026, 3, 1),
            dt.datetime(2026, 3, 1, 12, 30),
            dt.date(2026, 3, 1),
            dt.date(2026, 3, 1),
            46082.0,  # a plain number format: a number
            dt.date(1900, 3, 1),
        ]
    ]


def test_merged_cells_hold_their_value_in_the_first_cell(tmp_path: Path) -> None:
    path = tmp_path / "merged.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "S"
    ws["A1"] = "Sales"
    ws.merge_cells("A1:C2")
    ws["D1"] = 1
    ws["A3"] = 0.5
    ws["A3"].number_format = "0%"
    ws.merge_cells("A3:B3")
    wb.save(path)
    raw = read(path)
    assert raw.rows == [["Sales", "", "", 1.0], ["", "", "", ""], [0.5, "", "", ""]]
    assert (2, 0) in raw.percent


def test_blank_but_formatted_cells_are_empty(tmp_path: Path) -> None:
    """A cell with a style and no value (a percent column formatted ahead of use) is read as
    empty, and does not stretch the grid."""
    path = tmp_path / "blank.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "S"
    ws["A1"] = 1
    ws["C5"].number_format = "0%"
    wb.save(path)
    raw = read(path)
    assert raw.rows == [[1.0]]
    assert raw.value(4, 2) == ""


# -- the percent rule ----------------------------------------------------------------------------

PERCENT_FORMATS = {
    "0%": True,  # built-in 9
    "0.00%": True,  # built-in 10
    "0.0%": True,
    "#,##0.0%;[Red]-#,##0.0%": True,
    '0.0" pct"%': True,
    '0" %"': False,  # the sign is quoted text
    "0\\%": False,  # the sign is escaped
    "[%]0": False,  # inside brackets
    "0.00": False,
    "General": False,
    "0;-0%": False,  # only the first section counts
}


def test_percent_cells_are_those_with_a_percent_format(tmp_path: Path) -> None:
    formats = list(PERCENT_FORMATS)
    path = sheet(tmp_path, [[Fmt(0.25, code) for code in formats], ["plain", 0.25]])
    raw = read(path)
    assert raw.percent == {(0, c) for c, code in enumerate(formats) if PERCENT_FORMATS[code]}
    assert raw.rows[0] == [0.25] * len(formats)  # the value is the fraction, unscaled


def test_percent_styles_are_cell_styles_with_a_percent_format(tmp_path: Path) -> None:
    path = sheet(tmp_path, [[Fmt(1, "0.00"), Fmt(1, "0%"), Fmt(1, "0.0%"), Fmt(1, '0" %"')]])
    container = open_container(path)
    styles = percent_styles(container)
    xml = container.read_part(container.sheet_parts["S"])
    style_of = {
        m.group(1).decode(): int(m.group(2))
        for m in re.finditer(rb'<c r="([A-Z]+1)" s="(\d+)"', xml)
    }
    assert styles == {style_of["B1"], style_of["C1"]}
    assert style_of["A1"] not in styles and style_of["D1"] not in styles


def test_percent_styles_without_a_styles_part(tmp_path: Path) -> None:
    path = with_part(
        sheet(tmp_path, [[1]]),
        "xl/_rels/workbook.xml.rels",
        lambda d: re.sub(rb"<Relationship [^>]*/styles\"[^>]*/>", b"", d),
    )
    container = open_container(path)
    assert container.styles_part is None
    assert percent_styles(container) == frozenset()


def test_a_percent_row_style_does_not_mark_the_row_cells(tmp_path: Path) -> None:
    """``s`` on a ``<row>`` is the style of the row's empty cells, not of the cells written."""
    path = sheet(tmp_path, [[1], [Fmt(0.5, "0%"), 2], [3, 4]])
    xml = zipfile.ZipFile(path).read(open_container(path).sheet_parts["S"])
    style = re.search(rb'<c r="A2" s="(\d+)"', xml)
    assert style is not None
    path = with_sheet_xml(
        path, replace(b'<row r="3">', b'<row r="3" s="' + style.group(1) + b'" customFormat="1">')
    )
    assert read(path).percent == {(1, 0)}


# -- formulas ------------------------------------------------------------------------------------


def test_formulas_without_a_result(tmp_path: Path) -> None:
    """openpyxl stores no results: each formula is reported with its text, never read as an
    empty cell, and the text is unescaped from the XML."""
    path = sheet(tmp_path, [["=1+1", 5], [None, '=IF(A1<1,"a&b","c")']])
    raw = read(path)
    assert raw.formula_missing == {(0, 0): "=1+1", (1, 1): '=IF(A1<1,"a&b","c")'}
    assert raw.value(0, 0) == "" and raw.value(1, 1) == ""
    assert raw.formula_count == 2  # openpyxl asks for recalculation on load
    assert raw.first_formula is None


def test_formulas_with_a_stored_result(tmp_path: Path) -> None:
    path = sheet(tmp_path, [["label", "=1+1"], ["=B1*3", '="a"&"b"']])
    path = with_sheet_xml(path, replace(b"<f>1+1</f><v></v>", b"<f>1+1</f><v>2</v>"))
    path = with_sheet_xml(path, replace(b"<f>B1*3</f><v></v>", b"<f>B1*3</f><v>6</v>"))
    path = with_sheet_xml(
        path,
        replace(
            b'<c r="B2"><f>"a"&amp;"b"</f><v></v>', b'<c r="B2" t="str"><f>"a"&amp;"b"</f><v>ab</v>'
        ),
    )
    raw = read(path)
    assert raw.rows == [["label", 2.0], [6.0, "ab"]]
    assert raw.formula_missing == {}
    assert raw.first_formula == (0, 1)  # the first in the file's order
    assert raw.formula_count == 3  # the file asks for recalculation: results may be stale


def test_stored_results_of_a_file_that_needs_no_recalculation(tmp_path: Path) -> None:
    path = sheet(tmp_path, [["=1+1", "=2+2"]])
    path = with_sheet_xml(path, replace(b"<f>1+1</f><v></v>", b"<f>1+1</f><v>2</v>"))
    raw = read(without_full_calc(path))
    assert raw.formula_count == 0  # nothing to warn about
    assert raw.first_formula == (0, 0)
    assert raw.formula_missing == {(0, 1): "=2+2"}  # still reported


def test_a_text_formula_with_an_empty_result_has_a_result(tmp_path: Path) -> None:
    """``t="str"`` with an empty ``<v>``: the formula calculated to "" (Excel's IF(...,"")) ."""
    path = sheet(tmp_path, [['=IF(1>2,"x","")', '=IF(1>2,"x","")']])
    path = with_sheet_xml(
        path,
        replace(
            b'<c r="A1"><f>IF(1&gt;2,"x","")</f><v></v>',
            b'<c r="A1" t="str"><f>IF(1&gt;2,"x","")</f><v></v>',
        ),
    )
    path = with_sheet_xml(
        path,
        replace(
            b'<c r="B1"><f>IF(1&gt;2,"x","")</f><v></v>',
            b'<c r="B1" t="str"><f>IF(1&gt;2,"x","")</f><v/>',
        ),
    )
    raw = read(path)
    assert raw.formula_missing == {}
    assert raw.first_formula == (0, 0)
    assert raw.value(0, 0) == "" and raw.value(0, 1) == ""


def test_a_shared_formula_without_its_text(tmp_path: Path) -> None:
    """Excel writes a shared formula's text once; the other cells only name the group."""
    path = sheet(tmp_path, [["=1+1"], ["=1+1"]])
    path = with_sheet_xml(
        path,
        replace(b'<c r="A2"><f>1+1</f><v></v>', b'<c r="A2"><f t="shared" si="0"/><v></v>'),
    )
    assert read(path).formula_missing == {(0, 0): "=1+1", (1, 0): "shared formula"}


def test_a_row_holding_only_a_formula_without_result_is_kept(tmp_path: Path) -> None:
    """calamine's grid ends at the last value; the rows below it with a formula are added so the
    formula is read (and reported) rather than lost."""
    raw = read(sheet(tmp_path, [["a", 1], [], [], [None, "=SUM(B1:B3)"]]))
    assert raw.formula_missing == {(3, 1): "=SUM(B1:B3)"}
    assert len(raw.rows) == 4
    assert raw.value(3, 1) == ""


# -- error values --------------------------------------------------------------------------------


def test_error_values_are_reported_not_read_as_empty(tmp_path: Path) -> None:
    raw = read(sheet(tmp_path, [ERROR_VALUES, [1]]))
    assert raw.errors == {(0, c): value for c, value in enumerate(ERROR_VALUES)}
    assert all(raw.value(0, c) in ("", value) for c, value in enumerate(ERROR_VALUES))
    assert raw.formula_missing == {}


def test_a_formula_whose_result_is_an_error(tmp_path: Path) -> None:
    path = sheet(tmp_path, [["=1/0", 2]])
    path = with_sheet_xml(
        path, replace(b'<c r="A1"><f>1/0</f><v></v>', b'<c r="A1" t="e"><f>1/0</f><v>#DIV/0!</v>')
    )
    raw = read(path)
    assert raw.errors == {(0, 0): "#DIV/0!"}
    assert raw.formula_missing == {}  # it has a result: the error


def test_an_error_cell_without_its_value(tmp_path: Path) -> None:
    path = sheet(tmp_path, [["#N/A", 2]])
    path = with_sheet_xml(
        path, replace(b'<c r="A1" t="e"><v>#N/A</v></c>', b'<c r="A1" t="e"></c>')
    )
    assert read(path).errors == {(0, 0): "#ERROR"}


# -- other spellings of the worksheet XML ----------------------------------------------------------


def _strip_references(data: bytes) -> bytes:
    """Cells (and rows) without ``r``: positions are then counted, so only dense sheets."""
    return re.sub(rb'(<(?:c|row)) r="[A-Z]*[0-9]+"', rb"\1", data)


def _prefixed(data: bytes) -> bytes:
    """The worksheet in a namespace prefix (``<x:c>``), as some writers do."""
    data = data.replace(b'<worksheet xmlns="', b'<x:worksheet xmlns:x="')
    return re.sub(rb"<(/?)(?!x:)([A-Za-z])", rb"<\1x:\2", data)


def _facts(raw: RawSheet) -> tuple[Any, ...]:
    return (
        [[raw.value(r, c) for c in range(raw.width)] for r in range(len(raw.rows))],
        raw.percent,
        raw.formula_missing,
        raw.errors,
        raw.formula_count,
        raw.first_formula,
    )


DENSE: list[list[Any]] = [
    ["kpi", "value", "share", "note"],
    ["A", 1.5, Fmt(0.25, "0%"), "=1+1"],
    ["B", "#N/A", Fmt(0.5, "0.0%"), 'x<y & "z"'],
    ["C", "=A1&A2", Fmt(2, "0.00"), dt.date(2026, 1, 1)],
]


@pytest.mark.parametrize("spelling", [_strip_references, _prefixed], ids=["no-refs", "prefixed"])
def test_other_spellings_read_the_same(tmp_path: Path, spelling: Callable[[bytes], bytes]) -> None:
    plain = sheet(tmp_path, DENSE, "plain.xlsx")
    other = with_sheet_xml(sheet(tmp_path, DENSE, "other.xlsx"), spelling)
    expected = _facts(read(plain))
    assert expected[1] == {(1, 2), (2, 2)}
    assert expected[2] == {(1, 3): "=1+1", (3, 1): "=A1&A2"}
    assert expected[3] == {(2, 1): "#N/A"}
    assert _facts(read(other)) == expected


def test_cells_without_references_with_a_stored_result_and_no_recalculation(
    tmp_path: Path,
) -> None:
    """The openpyxl fallback agrees with the scan on stored results and fullCalcOnLoad."""
    rows: list[list[Any]] = [["=1+1", "=2+2"], [Fmt(0.1, "0%"), 1]]
    plain = without_full_calc(sheet(tmp_path, rows, "plain.xlsx"))
    other = without_full_calc(sheet(tmp_path, rows, "other.xlsx"))
    result = replace(b"<f>1+1</f><v></v>", b"<f>1+1</f><v>2</v>")
    with_sheet_xml(plain, result)
    with_sheet_xml(other, lambda d: _strip_references(result(d)))
    expected = _facts(read(plain))
    assert expected[2:] == ({(0, 1): "=2+2"}, {}, 0, (0, 0))
    assert _facts(read(other)) == expected


cells = st.one_of(
    st.integers(-(10**6), 10**6),
    st.floats(-1e6, 1e6, allow_nan=False).map(lambda f: round(f, 6)),
    st.text(alphabet="abcæøå <>&\"' ", min_size=1, max_size=6).filter(lambda s: s.strip()),
    st.sampled_from(ERROR_VALUES),
    st.sampled_from(["=1+1", "=A1*2"]),
    st.builds(
        Fmt, st.floats(0, 2).map(lambda f: round(f, 4)), st.sampled_from(list(PERCENT_FORMATS))
    ),
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.integers(1, 4).flatmap(
        lambda w: st.lists(st.lists(cells, min_size=w, max_size=w), min_size=1, max_size=4)
    )
)
def test_any_dense_sheet_reads_the_same_with_and_without_references(
    tmp_path: Path, rows: list[list[Any]]
) -> None:
    """What was written is what is read: values, percent cells, formulas, errors; and the
    openpyxl fallback for cells without references finds the same facts."""
    plain = sheet(tmp_path, rows, "plain.xlsx")
    other = with_sheet_xml(sheet(tmp_path, rows, "other.xlsx"), _strip_references)
    raw = read(plain)
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            cell = (r, c)
            if isinstance(value, Fmt):
                assert raw.value(r, c) == pytest.approx(value.value)
                assert (cell in raw.percent) is PERCENT_FORMATS[value.number_format]
            elif isinstance(value, str) and value.startswith("="):
                assert raw.formula_missing[cell] == value
                assert raw.value(r, c) == ""
            elif value in ERROR_VALUES:
                assert raw.errors[cell] == value
            elif isinstance(value, str):
                assert raw.value(r, c) == value
            else:
                assert raw.value(r, c) == pytest.approx(value)
    formulas = sum(isinstance(v, str) and v.startswith("=") for row in rows for v in row)
    assert len(raw.formula_missing) == raw.formula_count == formulas
    assert _facts(read(other)) == _facts(raw)


# -- the committed LibreOffice fixture and the size limits -----------------------------------------


def test_libreoffice_formulas_have_results_and_percent_cells_are_found() -> None:
    raw = read(SAVED, "Målinger")
    assert raw.formula_missing == {} and raw.errors == {}
    assert raw.formula_count == 0  # LibreOffice calculated them and asks for nothing
    assert raw.first_formula == (3, 2)  # C4: =40+2
    assert raw.value(3, 2) == 42.0
    assert raw.value(4, 3) == "Påske i april"  # a text formula's result
    # KUNDE-02's values are percent cells, but for row 11 (a plain 85)
    kunde = [r for r in range(len(raw.rows)) if raw.value(r, 0) == "KUNDE-02"]
    assert {cell for cell in raw.percent} == {(r, 2) for r in kunde if r != 10}
    assert raw.value(10, 2) == 85.0


def test_a_sheet_over_the_row_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "long.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "S"
    ws["A1"] = "kpi"
    ws.cell(row=MAX_ROWS + 1, column=2, value=1)
    wb.save(path)
    with pytest.raises(UnsafeWorkbookError) as caught:
        read(path)
    assert caught.value.code == "too-many-rows"
    assert caught.value.issue.args["sheet"] == "S"
