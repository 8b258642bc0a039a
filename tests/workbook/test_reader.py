"""Reader details that sit between the cell values and the issues."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

from kpireport import schema
from kpireport.model import KPI, Measurement
from kpireport.schema import parse_unit
from kpireport.validate import check
from kpireport.workbook.cells import RawSheet
from kpireport.workbook.context import ReadContext
from kpireport.workbook.headers import HEADER_SEARCH_ROWS, header_row, read_header
from kpireport.workbook.sheets.kpis import canonical_ids
from kpireport.workbook.sheets.measurements import read_measurements
from tests.conftest import codes, valid_sheets, write_workbook


def test_a_row_whose_only_content_is_a_formula_without_result_is_reported(tmp_path: Path) -> None:
    """calamine leaves such cells out of its grid; the row below the last value is still read."""
    sheets = valid_sheets()
    sheets["Measurements"].append([None, None, "=40+2", None])
    _, report = check(write_workbook(tmp_path / "wb.xlsx", sheets))
    assert ("formula-no-value", "Measurements", "C8") in codes(report)


def test_colour_spelling_of_setting_keys(tmp_path: Path) -> None:
    sheets = valid_sheets()
    sheets["Settings"].append(["primary_colour", "#112233"])
    sheets["Settings"].append(["accent colour", "#445566"])
    wb, report = check(write_workbook(tmp_path / "wb.xlsx", sheets))
    assert codes(report) == []
    assert (wb.settings.primary_color, wb.settings.accent_color) == ("#112233", "#445566")


def test_every_value_knows_its_cell(tmp_path: Path) -> None:
    """Rows keep their Excel row; sheets keep their columns, so any stage can name a cell."""
    sheets = valid_sheets()
    # move the KPIs header down and right: B3, as a user with a title above the table would
    sheets["KPIs"] = [[], ["KPI list"], *([None, *row] for row in sheets["KPIs"])]
    wb, _ = check(write_workbook(tmp_path / "wb.xlsx", sheets))
    kpi = wb.kpis[0]
    assert str(wb.loc("kpis", kpi.row, "target")) == "KPIs!H4"
    m = wb.measurements[-1]
    assert str(wb.loc("measurements", m.row, "value")) == "Measurements!C7"
    assert m.date == dt.date(2026, 6, 1)


def test_default_report_date_is_the_latest_measurement_of_a_known_kpi(tmp_path: Path) -> None:
    sheets = valid_sheets()
    del sheets["Settings"][2]  # no report_date
    sheets["Measurements"].append(["UNKNOWN-1", dt.date(2030, 1, 1), 1, None])
    wb, _ = check(write_workbook(tmp_path / "wb.xlsx", sheets))
    assert wb.report_date == dt.date(2026, 6, 1)
    wb.measurements.clear()  # as the build does, once the results are computed
    assert wb.report_date == dt.date(2026, 6, 1)  # computed once, kept


# -- the sheet readers on grids written in the test, without a file ------------------------------


def _context(key: str, rows: list[list[Any]], lang: str = "en", **facts: Any) -> ReadContext:
    """A context holding one sheet ``rows`` (from A1) whose header has been read."""
    ctx = ReadContext(raw={key: RawSheet(name=key.title(), rows=rows, **facts)}, lang=lang)
    read_header(ctx, next(s for s in schema.SHEETS if s.key == key))
    return ctx


def _issues(ctx: ReadContext) -> list[tuple[str, str | None]]:
    return [(i.code, i.cell) for i in ctx.issues]


def test_header_row_below_a_title_and_a_blank_row() -> None:
    rows: list[list[Any]] = [[], ["KPI list", None], [], [None, "id", "name", "target"]]
    assert header_row(rows, schema.KPIS) == 3
    # A first row without two column names, and none below it within reach: the first row.
    assert (
        header_row([["KPI list"], *([["x"]] * HEADER_SEARCH_ROWS), ["id", "name"]], schema.KPIS)
        == 0
    )
    assert header_row([[None, " "], []], schema.KPIS) is None


def test_number_reader_follows_the_language_and_the_percent_rule() -> None:
    header = ["kpi", "date", "value"]
    rows: list[list[Any]] = [header, ["A", "", "1.234"], ["A", "", 42.0], ["A", "", 0.42]]
    percent = parse_unit("%")
    da = _context("measurements", rows, lang="da", percent={(3, 2)})
    assert da.number("measurements", 2, "value") == 1234
    assert da.number("measurements", 3, "value", percent) == 0.42  # a plain 42: 42 %
    assert da.number("measurements", 4, "value", percent) == 0.42  # 0.42 shown as 42 %
    assert _issues(da) == [("number-as-text", "C2")]
    en = _context("measurements", rows)
    assert en.number("measurements", 2, "value") == 1.234


def test_cell_readers_report_unusable_and_empty_cells_with_their_cell() -> None:
    rows: list[list[Any]] = [["kpi", "date", "value"], ["A", "", ""], ["", "", 7.0]]
    ctx = _context(
        "measurements", rows, formula_missing={(1, 1): "=B9"}, errors={(1, 2): "#DIV/0!"}
    )
    assert ctx.date("measurements", 2, "date", required=True) is None
    assert ctx.number("measurements", 2, "value", required=True) is None
    assert ctx.text("measurements", 3, "kpi", required=True) is None
    assert ctx.text("measurements", 3, "value") == "7"
    assert _issues(ctx) == [
        ("formula-no-value", "B2"),
        ("cell-error", "C2"),
        ("missing-value", "A3"),
    ]


def test_measurement_rows_off_the_fast_path_read_as_the_same_measurement() -> None:
    """A row of typed cells takes the fast path; the same row typed as text takes the cell
    readers. Both give one measurement, under the KPIs sheet's spelling of the id."""
    rows: list[list[Any]] = [
        ["kpi", "date", "value", "note"],
        ["k-1 ", dt.datetime(2026, 3, 1), 42.0, " seen "],
        ["k-1", "2026-03-01", "42", " seen "],
        [None, None, None, None],
        ["K-1", "2026-03", 0.5, None],
    ]
    ctx = _context("measurements", rows)
    percent = parse_unit("%")
    kpi = KPI("K-1", "Sales", "Share", 2, percent, "higher", 0.9, None, "monthly")
    ctx.canonical = canonical_ids([kpi])
    fast, slow, month = read_measurements(ctx, {"K-1": percent})
    expected = Measurement("K-1", dt.date(2026, 3, 1), "day", 0.42, 2, "seen")
    assert fast == expected
    assert slow == dataclasses.replace(expected, row=3)
    assert month == Measurement("K-1", dt.date(2026, 3, 1), "month", 0.005, 5, None)
    assert _issues(ctx) == [("number-as-text", "C3")]
