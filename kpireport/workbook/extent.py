"""How far a worksheet reaches, found in its XML before any value is read: the sheet size limits.

python-calamine turns a sheet into one grid from A1 to its last value, every cell in between
included, and kpireport reads that grid into Python lists. So one value far out costs as much as a
full sheet: a value in ``XFD1048576`` means 17 billion cells and aborts the process, one in
``XFD2000`` takes 1.3 GB. And a sheet of a million honest rows validates in about 15 s but builds
in more than 2.5 GB (docs/performance.md). A sheet whose values reach beyond :data:`MAX_ROWS`
rows or :data:`MAX_CELLS` cells (rows times columns, counted from A1) is refused before calamine
runs. The extent comes from the cells themselves, never from ``<dimension>``, which is a hint
that any writer may get wrong.

Finding the extent exactly means looking at the ``r`` of every cell, and a regular expression that
stops at each cell costs nearly as much as calamine's own read. So the scan first takes the extent
of the last rows (and the width of the first ones), where every writer puts the extremes since
rows are written in order; then one search looks for a cell *beyond* that: the pattern is built
to match only a row number or a column greater than the ones known, so in an ordinary sheet it
matches nothing and runs close to the speed of a byte search (0.17 s for a sheet of 250,000
rows, about 4 % of validating it). A cell it finds raises the extent and the search goes on.
Cells written in an unusual way (without ``r``, with a namespace prefix, ``r`` not first or not
in double quotes), or many cells out of order, make the scan walk every row and cell the way
calamine does: slower, but exact. Cells without a value (``<c r="B9" s="1"/>``, formatting only)
do not count; calamine skips them.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

from kpireport.errors import UnsafeWorkbookError
from kpireport.issues import Number
from kpireport.model import cell_name

# About 220 MB of grid for a sheet at either limit; see docs/performance.md for the figures.
MAX_ROWS = 500_000
MAX_CELLS = 5_000_000

SEED_BYTES = 64 * 1024  # how much of the start and of the end gives the first guess
MAX_RAISES = 64  # a guess raised more often than this: cells out of order; walk them all

_NAME = rb"[A-Za-z_][\w.\-]*"
# A ref as written by Excel, LibreOffice, openpyxl and every common writer: the first attribute.
_STANDARD_REF = re.compile(rb'<c r="([A-Za-z]*)0*([0-9]+)"')
_REF_VALUE = re.compile(rb"\s*([A-Za-z]*)0*([0-9]+)\s*")
# A prefixed cell (``<x:c``): calamine ignores the prefix, so the fast search cannot rely on "<c".
_PREFIXED_CELL = re.compile(rb":c[\s/>]")
# The rest of a start tag, with attribute values that may hold ">".
_TAG_REST = re.compile(rb"""(?:[^>"']|"[^"]*"|'[^']*')*>""")
_CELL_END = re.compile(rb"</(?:" + _NAME + rb":)?c\s*>")
# A formula (cells.py reports one without a result), or a <v> or <is> that is not empty.
_VALUE = re.compile(rb"<(?:" + _NAME + rb":)?(?:f[\s/>]|(?:v|is)(?=[\s/>])[^>]*(?<!/)>(?!</))")
_TAG = re.compile(rb"<(/?)(?:" + _NAME + rb":)?(row|c)(?=[\s/>])((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>")
_R_ATTR = re.compile(rb"""\sr\s*=\s*(?:"([^"]*)"|'([^']*)')""")


@dataclass
class Extent:
    """The grid a sheet makes from A1: its last row and column with a value (1-based), and a
    cell in that last row (for messages)."""

    rows: int = 0
    columns: int = 0
    last_cell: str = ""

    @property
    def cells(self) -> int:
        return self.rows * self.columns

    @property
    def corner(self) -> str:
        return cell_name(self.rows, self.columns - 1)

    def over(self) -> bool:
        return self.rows > MAX_ROWS or self.cells > MAX_CELLS

    def add(self, row: int, col: int) -> bool:
        """Take the cell (1-based row and column) into account; True if the extent grew."""
        grew = False
        if row > self.rows:
            self.rows, self.last_cell, grew = row, cell_name(row, col - 1), True
        if col > self.columns:
            self.columns, grew = col, True
        return grew


def check_extent(path: Path, sheet: str, xml: bytes) -> Extent:
    """The extent of the worksheet part ``xml`` of ``sheet``, or UnsafeWorkbookError when it is
    over a limit (``too-many-rows``, ``too-many-cells``)."""
    extent = sheet_extent(xml)
    if extent.rows > MAX_ROWS:
        raise UnsafeWorkbookError(
            path,
            "too-many-rows",
            sheet=sheet,
            rows=Number(extent.rows, 0),
            cell=extent.last_cell,
            limit=Number(MAX_ROWS, 0),
        )
    if extent.cells > MAX_CELLS:
        raise UnsafeWorkbookError(
            path,
            "too-many-cells",
            sheet=sheet,
            corner=extent.corner,
            rows=Number(extent.rows, 0),
            columns=Number(extent.columns, 0),
            cells=Number(extent.cells, 0),
            limit=Number(MAX_CELLS, 0),
        )
    return extent


def sheet_extent(xml: bytes) -> Extent:
    """The extent of a worksheet part: exact, or at least over a limit when it is over one
    (the scan stops as soon as it knows)."""
    extent = Extent()
    if _PREFIXED_CELL.search(xml):
        return _walk(xml)
    _seed(xml, extent)
    if extent.over():
        return extent
    raises, pos = 0, 0
    pattern = _beyond(extent.columns, extent.rows)
    while (m := pattern.search(xml, pos)) is not None:
        pos = m.end()
        if not xml.startswith(b'<c r="', m.start()):
            return _walk(xml)  # a cell not written the usual way
        ref = _STANDARD_REF.match(xml, m.start())
        if ref is None or not _has_value(xml, m.start() + 2):
            continue  # calamine refuses a malformed ref; a cell without a value is skipped
        if extent.add(int(ref.group(2)), _column(ref.group(1))):
            if extent.over():
                return extent
            raises += 1
            if raises > MAX_RAISES:
                return _walk(xml)
            pattern = _beyond(extent.columns, extent.rows)
    return extent


def _seed(xml: bytes, extent: Extent) -> None:
    """The extent of the first and the last cells with a value: a guess, never too large."""
    start = max(xml.find(b"<sheetData"), 0)
    regions = [(start, start + SEED_BYTES)]
    end = len(xml)
    # Back from the end to the last cells with a value, past a few trailing formatted-only rows.
    for _ in range(16):
        if end <= start:
            break
        begin = max(start, end - SEED_BYTES)
        regions.append((begin, end))
        if any(_has_value(xml, m.start() + 2) for m in _STANDARD_REF.finditer(xml, begin, end)):
            break
        end = begin
    for begin, stop in regions:
        for m in _STANDARD_REF.finditer(xml, begin, stop):
            if _has_value(xml, m.start() + 2):
                extent.add(int(m.group(2)), _column(m.group(1)))


def _has_value(xml: bytes, pos: int) -> bool:
    """Whether the cell whose start tag continues at ``pos`` (after ``<c``) holds a value or a
    formula: not self-closing, and a ``<f>``, or a ``<v>`` or ``<is>`` that is not empty."""
    tag = _TAG_REST.match(xml, pos)
    if tag is None:
        return True  # a broken tag: calamine will say so; count it to be safe
    if xml[tag.end() - 2 : tag.end()] == b"/>":
        return False
    end = _CELL_END.search(xml, tag.end())
    return _VALUE.search(xml, tag.end(), end.start() if end else len(xml)) is not None


def _walk(xml: bytes) -> Extent:
    """Every row and cell in order, placed the way calamine places them: a cell without ``r``
    goes right of the previous cell (with or without a value), a row without ``r`` below the
    previous row (also an empty one, ``<row r="9"/>``)."""
    extent = Extent()
    row_index, col_index = 0, 0  # 0-based, as calamine counts
    for m in _TAG.finditer(xml):
        closing, name, attrs = m.group(1), m.group(2), m.group(3)
        if closing:
            if name == b"row":
                row_index, col_index = row_index + 1, 0
            continue
        empty = attrs.endswith(b"/")  # calamine reads <x/> as <x></x>
        ref = _R_ATTR.search(attrs)
        value = None if ref is None else _REF_VALUE.fullmatch(ref.group(1) or ref.group(2) or b"")
        if name == b"row":
            if value is not None and value.group(2) and not value.group(1):
                row_index = int(value.group(2)) - 1
            if empty:
                row_index, col_index = row_index + 1, 0
            continue
        if value is not None:
            row_index_of_cell, col_index = int(value.group(2)) - 1, _column(value.group(1)) - 1
        else:
            row_index_of_cell = row_index
        end = None if empty else _CELL_END.search(xml, m.end())
        if not empty and _VALUE.search(xml, m.end(), end.start() if end else len(xml)):
            extent.add(row_index_of_cell + 1, col_index + 1)
            if extent.over():
                return extent
        col_index += 1
    return extent


def _column(letters: bytes) -> int:
    """1-based column of letters in either case (b"A" -> 1); no letters counts as column A."""
    col = 0
    for ch in letters.upper():
        col = col * 26 + ch - 64
    return max(col, 1)


def _letters(col: int) -> str:
    return cell_name(1, col - 1)[:-1]


def _greater_number(n: int) -> bytes:
    """A pattern for a decimal number (without leading zeros) greater than ``n``."""
    digits = str(n)
    alternatives = [b"[1-9][0-9]{%d,}" % len(digits)]
    for i, ch in enumerate(digits):
        if ch != "9":
            rest = len(digits) - i - 1
            alternatives.append(
                digits[:i].encode()
                + b"[%d-9]" % (int(ch) + 1)
                + (b"[0-9]{%d}" % rest if rest else b"")
            )
    return b"(?:" + b"|".join(alternatives) + b")"


def _greater_letters(col: int) -> bytes:
    """A pattern for column letters, in either case, of a column greater than ``col``."""
    if col < 1:
        return b"[A-Za-z]"
    letters = _letters(col)
    alternatives = [b"[A-Za-z]{%d,}" % (len(letters) + 1)]
    for i, ch in enumerate(letters):
        if ch != "Z":
            nxt = chr(ord(ch) + 1)
            rest = len(letters) - i - 1
            alternatives.append(
                b"".join(b"[%s%s]" % (c.encode(), c.lower().encode()) for c in letters[:i])
                + b"[%s-Z%s-z]" % (nxt.encode(), nxt.lower().encode())
                + (b"[A-Za-z]{%d}" % rest if rest else b"")
            )
    return b"(?:" + b"|".join(alternatives) + b")"


@functools.lru_cache(maxsize=128)
def _beyond(columns: int, rows: int) -> re.Pattern[bytes]:
    """A cell tag that is not written the usual way, or whose ref lies right of ``columns`` or
    below ``rows``. Possessive repeats keep the search from backtracking over letters and zeros."""
    return re.compile(
        rb'<c(?:(?! r=")[\s>/]| r="(?:'
        + _greater_letters(columns)
        + rb"[0-9]|[A-Za-z]*+0*+"
        + _greater_number(rows)
        + rb'"))'
    )
