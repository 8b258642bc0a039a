"""Reader details that sit between the cell values and the issues."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from kpireport.validate import check
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
    from kpireport.validate import effective_report_date

    sheets = valid_sheets()
    del sheets["Settings"][2]  # no report_date
    sheets["Measurements"].append(["UNKNOWN-1", dt.date(2030, 1, 1), 1, None])
    wb, _ = check(write_workbook(tmp_path / "wb.xlsx", sheets))
    assert effective_report_date(wb) == dt.date(2026, 6, 1)
