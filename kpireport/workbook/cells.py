"""Cell values and the little we need to know about cell formats, read fast.

Values come from python-calamine (Rust; 10-20 times faster than openpyxl on large sheets).
calamine does not report number formats or formulas, so two facts come from one pass of regular
expressions over the worksheet XML: which cells are formatted as a percentage (the percent rule)
and which cells hold a formula without a stored result or an error value (never to be read as
empty). The pass only looks at cells whose style is a percent style, or at ``<f>`` and
``t="e"`` elements, so it costs a fraction of the value read. A sheet whose cells lack ``r``
references (allowed, but rare) falls back to openpyxl for those facts.
"""

from __future__ import annotations

import html
import io
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from defusedxml import ElementTree as SafeET

from kpireport.workbook.container import Container
from kpireport.workbook.extent import check_extent

if TYPE_CHECKING:
    from python_calamine import CalamineWorkbook

BUILTIN_PERCENT_FORMATS = frozenset({9, 10})
_QUOTED = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]')
_REF = re.compile(rb'\br="\$?([A-Z]{1,3})\$?([0-9]{1,7})"')
_TYPE = re.compile(rb'\bt="([a-zA-Z]+)"')


@dataclass
class RawSheet:
    """A worksheet's values as a grid from A1, with the facts calamine cannot give."""

    name: str
    rows: list[list[Any]]
    percent: set[tuple[int, int]] = field(default_factory=set)  # 0-based (row, col)
    formula_missing: dict[tuple[int, int], str] = field(default_factory=dict)  # -> formula text
    errors: dict[tuple[int, int], str] = field(default_factory=dict)  # -> "#DIV/0!" etc.
    formula_count: int = 0
    first_formula: tuple[int, int] | None = None  # a formula cell with a stored result

    def value(self, row: int, col: int) -> Any:
        if row < len(self.rows):
            cells = self.rows[row]
            if col < len(cells):
                return cells[col]
        return ""

    @property
    def width(self) -> int:
        return max((len(r) for r in self.rows), default=0)


def is_percent_format(code: str) -> bool:
    """Whether an Excel number format shows values as percentages (a bare % outside quotes)."""
    section = code.split(";", 1)[0]
    return "%" in _QUOTED.sub("", section)


def percent_styles(container: Container) -> frozenset[int]:
    """Indices of the cell styles (cellXfs) whose number format is a percentage."""
    part = container.styles_part
    if part is None:
        return frozenset()
    root = SafeET.fromstring(container.read_part(part), forbid_dtd=True)
    custom: dict[int, str] = {}
    xfs: list[int] = []
    for elem in root:
        tag = elem.tag.rsplit("}", 1)[-1]
        if tag == "numFmts":
            for fmt in elem:
                try:
                    custom[int(fmt.get("numFmtId", "-1"))] = fmt.get("formatCode", "")
                except ValueError:
                    continue
        elif tag == "cellXfs":
            for xf in elem:
                try:
                    xfs.append(int(xf.get("numFmtId", "0")))
                except ValueError:
                    xfs.append(0)
    result = set()
    for index, fmt_id in enumerate(xfs):
        if fmt_id in BUILTIN_PERCENT_FORMATS or (
            fmt_id in custom and is_percent_format(custom[fmt_id])
        ):
            result.add(index)
    return frozenset(result)


def _column_index(letters: bytes) -> int:
    """0-based column index of Excel column letters (b"A" -> 0)."""
    col = 0
    for ch in letters:
        col = col * 26 + ch - 64
    return col - 1


def _ref(attrs: bytes) -> tuple[int, int] | None:
    m = _REF.search(attrs)
    if m is None:
        return None
    return int(m.group(2)) - 1, _column_index(m.group(1))


class _NoReferences(Exception):
    """A cell without an ``r`` attribute: positions must be counted, so use openpyxl."""


def read_sheet(
    container: Container, name: str, workbook: CalamineWorkbook, percent_ids: frozenset[int]
) -> RawSheet:
    """Read one worksheet: calamine values, plus percent, formula and error facts. A sheet
    over the size limits is refused before calamine builds its grid (UnsafeWorkbookError)."""
    part = container.sheet_parts.get(name)
    xml = None if part is None else container.read_part(part)
    if xml is not None:
        check_extent(container.path, name, xml)
    rows = workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
    sheet = RawSheet(name=name, rows=rows)
    if xml is None:
        return sheet
    try:
        _scan(xml, sheet, percent_ids, container.full_calc_on_load)
    except _NoReferences:
        sheet.percent.clear()
        sheet.formula_missing.clear()
        sheet.errors.clear()
        sheet.formula_count = 0
        _scan_with_openpyxl(container, name, sheet)
    # calamine leaves out cells without a value, so a row whose only content is a formula
    # without a result may lie below its grid; extend the grid so that row is read (and reported).
    last = max((r for r, _c in sheet.formula_missing.keys() | sheet.errors.keys()), default=-1)
    while len(sheet.rows) <= last:
        sheet.rows.append([])
    return sheet


def _scan_percent(xml: bytes, prefix: bytes, sheet: RawSheet, percent_ids: frozenset[int]) -> None:
    """Cells whose style is a percent style. bytes.find on ``s="N"`` (memchr speed) visits only
    those cells, where a regular expression would step through every cell of the sheet."""
    cell_open = b"<" + (prefix + b":" if prefix else b"") + b"c"
    columns: dict[bytes, int] = {}
    for style in percent_ids:
        needle = b' s="%d"' % style
        pos = xml.find(needle)
        while pos >= 0:
            start = xml.rfind(b"<", 0, pos)
            tag = xml[start : xml.find(b">", pos) + 1]
            # The attribute may belong to a <row> (a row style) rather than a cell.
            if tag.startswith(cell_open) and tag[len(cell_open) : len(cell_open) + 1].isspace():
                m = _REF.search(tag)
                if m is None:
                    raise _NoReferences
                letters = m.group(1)
                if letters not in columns:
                    columns[letters] = _column_index(letters)
                sheet.percent.add((int(m.group(2)) - 1, columns[letters]))
            pos = xml.find(needle, pos + len(needle))


def _scan(xml: bytes, sheet: RawSheet, percent_ids: frozenset[int], full_calc: bool) -> None:
    root = re.search(rb"<(?:([A-Za-z_][\w.\-]*):)?worksheet\b", xml)
    prefix = re.escape(root.group(1) + b":") if root and root.group(1) else b""
    if percent_ids:
        _scan_percent(xml, root.group(1) if root and root.group(1) else b"", sheet, percent_ids)
    if xml.find(b't="e"') >= 0:  # bytes.find is many times faster than a regex scan
        pattern = re.compile(
            rb"<" + prefix + rb"c\s(?=[^>]*\bt=\"e\")([^>]*)>(.*?)</" + prefix + rb"c>", re.S
        )
        for m in pattern.finditer(xml):
            ref = _ref(m.group(1))
            if ref is None:
                raise _NoReferences
            value = re.search(rb"<" + prefix + rb"v>([^<]*)</", m.group(2))
            sheet.errors[ref] = html.unescape(value.group(1).decode()) if value else "#ERROR"
    f_tag = re.compile(rb"<" + prefix + rb"f[\s>/]")
    first = xml.find(b"<" + (root.group(1) + b":" if root and root.group(1) else b"") + b"f")
    if first < 0 or not f_tag.search(xml, first):
        return
    cell_open = b"<" + (root.group(1) + b":" if root and root.group(1) else b"") + b"c"
    cell_close = b"</" + cell_open[1:] + b">"
    formula_text = re.compile(rb"<" + prefix + rb"f\b[^>]*?(?:/>|>(.*?)</" + prefix + rb"f>)", re.S)
    value_text = re.compile(
        rb"<" + prefix + rb"v\s*>(.*?)</" + prefix + rb"v>|<" + prefix + rb"v\s*/>", re.S
    )
    pos = 0
    while (found := f_tag.search(xml, pos)) is not None:
        start = xml.rfind(cell_open, 0, found.start())
        while start >= 0 and xml[start + len(cell_open) : start + len(cell_open) + 1] not in (
            b" ",
            b"\t",
            b"\n",
            b"\r",
            b">",
        ):
            start = xml.rfind(cell_open, 0, start)
        end = xml.find(cell_close, found.end())
        if start < 0 or end < 0:
            break
        tag_end = xml.find(b">", start)
        attrs = xml[start + len(cell_open) : tag_end]
        body = xml[tag_end + 1 : end]
        pos = end
        ref = _ref(attrs)
        if ref is None:
            raise _NoReferences
        sheet.formula_count += 1
        type_match = _TYPE.search(attrs)
        cell_type = type_match.group(1) if type_match else b"n"
        value = value_text.search(body)
        has_result = value is not None and (bool(value.group(1)) or cell_type == b"str")
        if has_result and sheet.first_formula is None:
            sheet.first_formula = ref
        if not has_result:
            fm = formula_text.search(body)
            text = (
                html.unescape(fm.group(1).decode("utf-8", "replace")) if fm and fm.group(1) else ""
            )
            sheet.formula_missing[ref] = f"={text}" if text else "shared formula"
    if not full_calc:
        sheet.formula_count = 0  # results were calculated by the writer; nothing to warn about


def _scan_with_openpyxl(container: Container, name: str, sheet: RawSheet) -> None:
    import openpyxl  # slow but counts positions right when cells carry no references

    formulas = openpyxl.load_workbook(io.BytesIO(container.data), read_only=True, data_only=False)
    values = openpyxl.load_workbook(io.BytesIO(container.data), read_only=True, data_only=True)
    try:
        for frow, vrow in zip(formulas[name].iter_rows(), values[name].iter_rows(), strict=False):
            for fcell, vcell in zip(frow, vrow, strict=False):
                if not hasattr(fcell, "column"):
                    continue
                pos = (fcell.row - 1, fcell.column - 1)
                if fcell.number_format and is_percent_format(fcell.number_format):
                    sheet.percent.add(pos)
                if fcell.data_type == "e":
                    sheet.errors[pos] = str(fcell.value)
                if fcell.data_type == "f":
                    sheet.formula_count += 1
                    if vcell.value is None:
                        sheet.formula_missing[pos] = str(fcell.value)
                    elif sheet.first_formula is None:
                        sheet.first_formula = pos
    finally:
        formulas.close()
        values.close()
    if not container.full_calc_on_load:
        sheet.formula_count = 0
