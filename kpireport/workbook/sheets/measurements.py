"""The Measurements sheet: one row per KPI, date and value, up to hundreds of thousands of rows.

Most rows are a text id, a real date and a plain number, and those are read inline without a
call (the fast path); any other row goes through the cell readers, which explain what is wrong.
"""

from __future__ import annotations

import datetime as dt
from typing import cast

from kpireport.model import Measurement
from kpireport.schema import Unit
from kpireport.workbook.context import ReadContext, blank_row
from kpireport.workbook.values import MAX_MAGNITUDE, MAX_YEAR, MIN_YEAR, hundredths


def read_measurements(ctx: ReadContext, units: dict[str, Unit]) -> list[Measurement]:
    """The measurements in sheet order, values in their KPI's unit; ``units`` by KPI id."""
    key = "measurements"
    info = ctx.sheets.get(key)
    if info is None or not info.header_row:
        return []
    raw = ctx.raw[key]
    cols = info.columns
    if not {"kpi", "date", "value"} <= cols.keys():
        return []
    kpi_col, date_col, value_col = cols["kpi"], cols["date"], cols["value"]
    note_col = cols.get("note")
    percent_cells = raw.percent
    canonical = ctx.canonical
    out: list[Measurement] = []
    append = out.append
    no_unit = Unit("text", "")
    date_type, datetime_type = dt.date, dt.datetime
    used = sorted(cols.values())
    rows = raw.rows
    # Cells calamine shows as empty that must not be read as empty (formula, error value).
    unusable = raw.formula_missing.keys() | raw.errors.keys()
    for index in range(info.header_row, len(rows)):
        cells = rows[index]
        n = len(cells)
        kpi_raw = cells[kpi_col] if kpi_col < n else ""
        date_raw = cells[date_col] if date_col < n else ""
        value_raw = cells[value_col] if value_col < n else ""
        # Fast path: the common row (a text id, a real date, a plain number, both in the range
        # a report can show) costs no calls; the cell readers report anything else.
        if (
            type(kpi_raw) is str
            and kpi_raw
            and type(value_raw) is float
            and -MAX_MAGNITUDE <= value_raw <= MAX_MAGNITUDE
            and isinstance(date_raw, date_type)  # a datetime is one too
            and MIN_YEAR <= date_raw.year <= MAX_YEAR
        ):
            kpi_id = kpi_raw.strip()
            unit = units.get(kpi_id)
            if unit is None:
                kpi_id = canonical.get(kpi_id.casefold(), kpi_id)
                unit = units.get(kpi_id, no_unit)
            value = value_raw
            if unit.kind == "percent" and (index, value_col) not in percent_cells:
                value = hundredths(value)
            date = cast(dt.date, date_raw.date() if type(date_raw) is datetime_type else date_raw)
            granularity = "day"
        else:
            if blank_row(raw, index, used):
                continue
            parsed = _read_row(ctx, index + 1, units)
            if parsed is None:
                continue
            kpi_id, date, granularity, value = parsed
        note = None
        if note_col is not None and note_col < n:
            note_value = cells[note_col]
            if note_value != "" and note_value is not None:
                note = str(note_value).strip() or None
            elif unusable and ((index, note_col) in unusable):
                ctx.cell(key, index + 1, "note")  # reports the formula or error cell
        append(Measurement(kpi_id, date, granularity, value, index + 1, note))
    return out


def _read_row(
    ctx: ReadContext, row: int, units: dict[str, Unit]
) -> tuple[str, dt.date, str, float] | None:
    """(KPI id, date, granularity, value) of a row off the fast path, through the cell readers;
    None when a required cell is empty or unreadable (reported)."""
    key = "measurements"
    kpi_id = ctx.kpi_id(key, row)
    when = ctx.date(key, row, "date", required=True, kpi=kpi_id)
    unit = units.get(kpi_id or "")
    value = ctx.number(key, row, "value", unit, required=True, kpi=kpi_id)
    if kpi_id is None or when is None or value is None:
        ctx.cell(key, row, "note")  # names a note formula without a result, if any
        return None
    return kpi_id, when[0], when[1], value
