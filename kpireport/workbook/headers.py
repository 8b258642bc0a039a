"""Find each contract sheet's header row and its columns, wherever the user put them."""

from __future__ import annotations

from typing import Any

from kpireport import schema
from kpireport.issues import Alternative, Issue, Text, Word
from kpireport.model import SheetInfo, cell_name
from kpireport.schema import SheetSpec
from kpireport.workbook.context import ReadContext, blank

# How far down a title or a note above the table may push the header row.
HEADER_SEARCH_ROWS = 10


def read_headers(ctx: ReadContext) -> None:
    """Record the header row and columns of every table sheet (all but Settings) in
    ``ctx.sheets``; a required sheet that is missing is reported."""
    for spec in schema.SHEETS:
        if spec.key == "settings":
            continue
        if spec.key not in ctx.raw:
            if spec.required:
                ctx.issues.append(
                    Issue(
                        "missing-sheet",
                        spec.title(ctx.lang),
                        None,
                        {
                            "sheet": Word(spec.en, spec.da),
                            "other": Alternative(spec.en, spec.da),
                        },
                    )
                )
            continue
        read_header(ctx, spec)


def header_row(rows: list[list[Any]], spec: SheetSpec) -> int | None:
    """The 0-based header row: the first row with any value, as the format says; but when that
    row is a title above the table ("KPI list"), the first of the next rows in which at least two
    cells are column names of the sheet."""
    first = next((i for i, row in enumerate(rows) if any(not blank(v) for v in row)), None)
    if first is None:
        return None

    def known(row: list[Any]) -> int:
        return sum(1 for v in row if isinstance(v, str) and spec.match_header(v) is not None)

    if known(rows[first]) >= 2:
        return first
    for index in range(first + 1, min(first + HEADER_SEARCH_ROWS, len(rows))):
        if known(rows[index]) >= 2:
            return index
    return first


def read_header(ctx: ReadContext, spec: SheetSpec) -> None:
    """Record one sheet's header row and columns; unknown, repeated and missing columns are
    reported, and so is a required sheet without any row."""
    raw = ctx.raw[spec.key]
    info = SheetInfo(spec.key, raw.name, width=raw.width, height=len(raw.rows))
    ctx.sheets[spec.key] = info
    header_index = header_row(raw.rows, spec)
    if header_index is None:
        if spec.required:
            what = {
                "kpis": Text("KPI"),
                "measurements": Text("measurement"),
            }.get(spec.key, Text("row"))
            ctx.issues.append(
                Issue("empty-sheet", raw.name, "A1", {"sheet": raw.name, "what": what})
            )
        return
    info.header_row = header_index + 1
    first_cells: dict[str, str] = {}
    for col, value in enumerate(raw.rows[header_index]):
        if blank(value):
            continue
        text = str(value).strip()
        cell = cell_name(info.header_row, col)
        column = spec.match_header(text)
        if column is None:
            expected = Word(
                ", ".join(c.en for c in spec.columns), ", ".join(c.da for c in spec.columns)
            )
            ctx.issues.append(
                Issue("unknown-column", raw.name, cell, {"column": text, "expected": expected})
            )
            continue
        if column.key in info.columns:
            ctx.issues.append(
                Issue(
                    "duplicate-column",
                    raw.name,
                    cell,
                    {"column": text, "first": first_cells[column.key], "cell": cell},
                )
            )
            continue
        info.columns[column.key] = col
        first_cells[column.key] = cell
    first_header = cell_name(info.header_row, min(info.columns.values(), default=0))
    for column in spec.columns:
        if column.required and column.key not in info.columns:
            ctx.issues.append(
                Issue(
                    "missing-column",
                    raw.name,
                    first_header,
                    {
                        "sheet": raw.name,
                        "column": Word(column.en, column.da),
                        "other": Alternative(column.en, column.da),
                        "row": info.header_row,
                    },
                )
            )
