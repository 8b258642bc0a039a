"""The Python API (kpireport.load, kpireport.compute, results.to_frame, results.series_frame),
its worked example in docs/python-api.md, and results.xlsx."""

from __future__ import annotations

import doctest
import html
import io
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import openpyxl
import pytest

import kpireport
from kpireport.engine import Results, to_dict
from kpireport.errors import WorkbookError
from kpireport.export import results_xlsx
from kpireport.frames import KPI_COLUMNS, SERIES_COLUMNS, expected_value
from tests.conftest import ROOT, SAMPLES
from tests.test_export import CMD, HYPERLINK, SOFFICE, needs_soffice, write_hostile_workbook


@pytest.fixture(scope="module")
def acme() -> Results:
    return kpireport.compute(kpireport.load(SAMPLES / "acme-en.xlsx"))


def test_the_worked_example_in_the_docs_runs_as_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    flags = doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS
    result = doctest.testfile(
        str(ROOT / "docs" / "python-api.md"), module_relative=False, optionflags=flags
    )
    assert result.attempted >= 15
    assert result.failed == 0


def test_load_and_compute_give_what_build_writes(acme: Results) -> None:
    from kpireport.engine import compute
    from kpireport.validate import check

    workbook, report = check(SAMPLES / "acme-en.xlsx")
    assert to_dict(acme) == to_dict(compute(workbook, report))


def test_load_refuses_a_workbook_with_errors_and_carries_every_issue() -> None:
    with pytest.raises(kpireport.InvalidWorkbookError) as caught:
        kpireport.load(SAMPLES / "invalid" / "broken-en.xlsx", lang="da")
    error = caught.value
    assert len(error.report.errors) == 7 and error.issues == error.report.issues
    assert "broken-en.xlsx has 7 errors: KPIs!A3" in str(error)
    assert "bruges to gange" in str(error)  # the first error, in the language asked for


def test_load_of_a_file_that_is_not_a_workbook(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(WorkbookError, match="not an Excel workbook"):
        kpireport.load(tmp_path / "notes.txt")


def test_compute_validates_a_workbook_not_from_load() -> None:
    from kpireport.workbook import read_workbook

    workbook = read_workbook(SAMPLES / "invalid" / "broken-en.xlsx")
    with pytest.raises(kpireport.InvalidWorkbookError):
        kpireport.compute(workbook)


def test_to_frame_has_a_row_per_kpi_with_the_results_values(acme: Results) -> None:
    frame = acme.to_frame()
    assert list(frame.columns) == list(KPI_COLUMNS)
    kpis = [(d, k) for d in acme.departments for k in d.kpis]
    assert len(frame) == len(kpis) == acme.summary.kpi_count
    for (_, row), (dept, kpi) in zip(frame.iterrows(), kpis, strict=True):
        assert (row["department"], row["kpi"], row["status"]) == (dept.name, kpi.id, kpi.status)
        assert row["target"] == kpi.target
        assert row["deadline"].date() == kpi.deadline
    assert frame["progress"].dtype.kind == "f"
    assert frame["deadline"].dtype.kind == "M"  # dates are timestamps, ready for pandas


def test_series_frame_is_long_with_every_period(acme: Results) -> None:
    series = acme.series_frame()
    assert list(series.columns) == list(SERIES_COLUMNS)
    assert len(series) == sum(len(k.series) for d in acme.departments for k in d.kpis)
    kpi = acme.departments[0].kpis[2]
    rows = series[series.kpi == kpi.id]
    assert list(rows["period"]) == [p.period for p in kpi.series]
    assert list(rows["value"]) == [p.value for p in kpi.series]
    assert set(rows["target"]) == {kpi.target}


def test_expected_is_the_straight_path_from_baseline_to_target_without_a_plan(
    acme: Results,
) -> None:
    kpi = acme.departments[0].kpis[0]
    assert kpi.plan is None
    assert kpi.baseline is not None and kpi.baseline_date is not None
    assert expected_value(kpi, kpi.baseline_date) == kpi.baseline
    assert expected_value(kpi, kpi.deadline) == kpi.target
    middle = kpi.baseline_date + (kpi.deadline - kpi.baseline_date) / 2
    assert expected_value(kpi, middle) == pytest.approx((kpi.baseline + kpi.target) / 2, rel=1e-2)


def test_the_command_line_does_not_import_pandas() -> None:
    """pandas is for the API: importing kpireport and its command line leaves it out (it costs
    about 0.3 s of start-up)."""
    code = (
        "import sys, kpireport, kpireport.cli, kpireport.validate, kpireport.engine;"
        "print('pandas' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# --- results.xlsx ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Results:
    path = write_hostile_workbook(tmp_path_factory.mktemp("xlsx") / "hostile.xlsx")
    return kpireport.compute(kpireport.load(path))


def sheets_of(data: bytes) -> dict[str, list[list[object]]]:
    book = openpyxl.load_workbook(io.BytesIO(data))
    return {ws.title: [[c.value for c in row] for row in ws.iter_rows()] for ws in book}


def test_xlsx_holds_the_two_frames(acme: Results) -> None:
    sheets = sheets_of(results_xlsx(acme))
    assert list(sheets) == ["KPIs", "Series"]
    assert sheets["KPIs"][0] == list(KPI_COLUMNS)
    assert sheets["Series"][0] == list(SERIES_COLUMNS)
    frame, series = acme.to_frame(), acme.series_frame()
    assert len(sheets["KPIs"]) - 1 == len(frame) and len(sheets["Series"]) - 1 == len(series)
    first = dict(zip(KPI_COLUMNS, sheets["KPIs"][1], strict=True))
    assert first["kpi"] == frame["kpi"][0] and first["progress"] == frame["progress"][0]


def test_xlsx_keeps_formula_text_as_text(hostile: Results) -> None:
    book = openpyxl.load_workbook(io.BytesIO(results_xlsx(hostile)))
    cells = [c for ws in book for row in ws.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    texts = {c.value for c in cells if c.data_type == "s"}
    assert CMD in texts and HYPERLINK in texts and "+1" in texts  # as typed, no quote added
    assert -5 in {c.value for c in cells if c.data_type == "n"}  # numbers stay numbers


@pytest.mark.slow
@needs_soffice
def test_libreoffice_finds_no_formula_in_results_xlsx(hostile: Results, tmp_path: Path) -> None:
    safe = tmp_path / "safe.xlsx"
    safe.write_bytes(results_xlsx(hostile))
    # The control: the same rows written the usual way, where openpyxl makes "=..." a formula.
    naive = tmp_path / "naive.xlsx"
    book = openpyxl.Workbook()
    for title, rows in sheets_of(safe.read_bytes()).items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    del book["Sheet"]
    book.save(naive)
    out = tmp_path / "lo"
    with tempfile.TemporaryDirectory(prefix="lo-profile-") as profile:
        subprocess.run(
            [
                *(str(SOFFICE), f"-env:UserInstallation={Path(profile).as_uri()}"),
                *("--headless", "--norestore", "--convert-to", "fods", "--outdir", str(out)),
                *(str(safe), str(naive)),
            ],
            capture_output=True,
            timeout=120,
            check=True,
            env={"HOME": profile, "PATH": "/usr/bin:/bin"},
        )
    safe_xml = (out / "safe.fods").read_text(encoding="utf-8")
    naive_xml = (out / "naive.fods").read_text(encoding="utf-8")
    assert formulas(naive_xml)  # LibreOffice does read formulas from such a file...
    assert formulas(safe_xml) == []  # ...and finds none in results.xlsx
    assert "=cmd|" in html.unescape(safe_xml)  # the text itself is there


def formulas(fods: str) -> list[str]:
    """The formulas of a flat ODF spreadsheet; not the booleans, which LibreOffice stores as
    the formulas TRUE() and FALSE()."""
    found = re.findall(r'table:formula="([^"]*)"', fods)
    return [f for f in found if f not in ("of:=TRUE()", "of:=FALSE()")]


def test_build_writes_results_xlsx_on_request_and_keeps_it_on_a_rebuild(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from kpireport.cli import main

    out = tmp_path / "out"
    workbook = SAMPLES / "acme-en.xlsx"
    args = ["build", str(workbook), "-o", str(out), "-q", "--format", "json,xlsx"]
    run = CliRunner().invoke(main, args)
    assert run.exit_code == 0, run.output
    (folder,) = (out / "acme-en").iterdir()
    written = sheets_of((folder / "results.xlsx").read_bytes())
    expected = sheets_of(results_xlsx(kpireport.compute(kpireport.load(workbook))))
    assert written == expected
    assert 'href="results.xlsx"' in (folder / "index.html").read_text(encoding="utf-8")
    before = (folder / "results.xlsx").stat().st_mtime_ns
    again = CliRunner().invoke(
        main, ["build", str(workbook), "-o", str(out), "--format", "json,xlsx"]
    )
    assert again.exit_code == 0 and "wrote" not in again.stderr
    assert (folder / "results.xlsx").stat().st_mtime_ns == before
    without = CliRunner().invoke(main, ["build", str(workbook), "-o", str(tmp_path / "o2"), "-q"])
    assert without.exit_code == 0 and not list((tmp_path / "o2").rglob("results.xlsx"))
