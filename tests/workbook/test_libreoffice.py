"""A workbook saved by LibreOffice reads the same as the original.

LibreOffice writes another XML than openpyxl: shared strings instead of inline strings, its own
styles (a percent cell's built-in format 9 becomes a custom "0%" format), ``<f aca="false">``
formulas with their calculated results, ``t="str"`` for text formulas, and no fullCalcOnLoad.
The committed fixtures (tests/fixtures/make_libreoffice_fixture.py writes them) are an openpyxl
workbook and LibreOffice's copy of it; when soffice is installed, fresh copies are made too.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib.util
import re
import shutil
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from kpireport.issues import ERROR
from kpireport.model import Workbook
from kpireport.template import write_template
from kpireport.validate import check
from kpireport.workbook import read_workbook
from kpireport.workbook.container import open_container
from tests.conftest import FIXTURES, valid_sheets, write_workbook

SOURCE = FIXTURES / "source-openpyxl.xlsx"
SAVED = FIXTURES / "libreoffice-saved.xlsx"
SOFFICE = shutil.which("soffice")
needs_soffice = pytest.mark.skipif(
    SOFFICE is None,
    reason="LibreOffice (soffice) is not installed: apt-get install libreoffice-calc-nogui",
)

# The fixture's formula cells: (sheet, cell) -> (formula, the result LibreOffice stored, read).
FORMULAS: dict[tuple[str, str], tuple[str, Any]] = {
    ("KPIs", "G2"): ("=50+10", 60.0),
    ("KPIs", "H4"): ("=DATE(2026,12,31)", dt.date(2026, 12, 31)),
    ("Målinger", "C4"): ("=40+2", 42.0),
    ("Målinger", "C10"): ("=0.8+0.03", 0.83),
    ("Målinger", "D5"): ('="Påske i "&"april"', "Påske i april"),
}
NOTE_FORMULA = ("Målinger", "D5")


def _fixture_script() -> Any:
    path = FIXTURES / "make_libreoffice_fixture.py"
    spec = importlib.util.spec_from_file_location("make_libreoffice_fixture", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def model(workbook: Workbook) -> dict[str, Any]:
    """Everything read, field by field, without the file's path, hash and issues."""
    return {
        "settings": dataclasses.asdict(workbook.settings),
        "departments": [dataclasses.asdict(d) for d in workbook.departments],
        "kpis": [dataclasses.asdict(k) for k in workbook.kpis],
        "measurements": [dataclasses.asdict(m) for m in workbook.measurements],
        "benchmarks": [dataclasses.asdict(b) for b in workbook.benchmarks],
        "sheets": {key: dataclasses.asdict(info) for key, info in workbook.sheets.items()},
    }


def assert_same_model(expected: dict[str, Any], actual: dict[str, Any]) -> None:
    """Part by part, so a failure names the part (and pytest shows the differing fields)."""
    assert expected.keys() == actual.keys()
    for part in expected:
        assert actual[part] == expected[part], part


def without_formula_results(read: dict[str, Any]) -> dict[str, Any]:
    """``read`` as it is when the fixture's formula cells have no stored result: the target and
    deadline empty, the two measurements with a formula value dropped, the note empty."""
    out = {part: value for part, value in read.items()}
    kpis = {k["id"]: dict(k) for k in read["kpis"]}
    kpis["SALG-01"]["target"] = None  # KPIs!G2
    kpis["DRIFT-03"]["deadline"] = None  # KPIs!H4
    out["kpis"] = list(kpis.values())
    measurements = []
    for m in read["measurements"]:
        if m["row"] in (4, 10):  # Målinger!C4, Målinger!C10
            continue
        if m["row"] == 5:  # Målinger!D5
            m = {**m, "note": None}
        measurements.append(m)
    out["measurements"] = measurements
    return out


def errors(issues: list[Any]) -> list[tuple[str, str | None, str | None]]:
    return [(i.code, i.sheet, i.cell) for i in issues if i.severity == ERROR]


# -- the committed fixtures -------------------------------------------------------------------


def test_the_fixture_is_libreoffice_xml() -> None:
    with zipfile.ZipFile(SAVED) as saved, zipfile.ZipFile(SOURCE) as source:
        app = saved.read("docProps/app.xml").decode()
        assert re.search(r"<Application>LibreOffice/\d", app), app
        assert "xl/sharedStrings.xml" in saved.namelist()
        kpis = saved.read("xl/worksheets/sheet3.xml").decode()
        assert 't="s"' in kpis and "inlineStr" not in kpis
        # LibreOffice's formula cells: aca="false", the type, and the result it calculated.
        assert '<c r="G2" s="0" t="n"><f aca="false">50+10</f><v>60</v></c>' in kpis
        assert 't="str"><f aca="false">' in saved.read("xl/worksheets/sheet4.xml").decode()
        assert "fullCalcOnLoad" not in saved.read("xl/workbook.xml").decode()
        # The original: openpyxl, inline strings, formulas without results, fullCalcOnLoad.
        assert "xl/sharedStrings.xml" not in source.namelist()
        assert "inlineStr" in source.read("xl/worksheets/sheet3.xml").decode()
        assert "<f>50+10</f><v />" in source.read("xl/worksheets/sheet3.xml").decode()
    assert open_container(SAVED).full_calc_on_load is False
    assert open_container(SOURCE).full_calc_on_load is True


def test_libreoffice_copy_reads_the_same_except_formula_results() -> None:
    source, saved = read_workbook(SOURCE), read_workbook(SAVED)
    assert_same_model(model(source), without_formula_results(model(saved)))


def test_libreoffice_copy_has_the_formula_results() -> None:
    saved = read_workbook(SAVED)
    kpis = {k.id: k for k in saved.kpis}
    measurements = {m.row: m for m in saved.measurements}
    results = {
        ("KPIs", "G2"): kpis["SALG-01"].target,
        ("KPIs", "H4"): kpis["DRIFT-03"].deadline,
        ("Målinger", "C4"): measurements[4].value,
        ("Målinger", "C10"): measurements[10].value,
        ("Målinger", "D5"): measurements[5].note,
    }
    assert results == {cell: result for cell, (_formula, result) in FORMULAS.items()}
    assert (measurements[4].kpi_id, measurements[4].date) == ("SALG-01", dt.date(2026, 3, 1))
    assert (measurements[10].kpi_id, measurements[10].date) == ("KUNDE-02", dt.date(2026, 3, 1))


@pytest.mark.parametrize("path", [SOURCE, SAVED], ids=["openpyxl", "libreoffice"])
def test_percent_values_are_the_same_fractions(path: Path) -> None:
    workbook = read_workbook(path)
    kpi = workbook.kpi("KUNDE-02")
    assert kpi is not None and kpi.unit.is_percent
    assert (kpi.target, kpi.baseline) == (0.9, 0.8)  # '0%' and '0.0%' cells
    values = {m.row: m.value for m in workbook.measurements if m.kpi_id == "KUNDE-02"}
    expected = {8: 0.8, 9: 0.815, 10: 0.83, 11: 0.85, 12: 0.861, 13: 0.87}  # row 11: a plain 85
    if path == SOURCE:
        del expected[10]  # a formula without a result in the original
    assert values == expected
    assert [b.value for b in workbook.benchmarks if b.kpi_id == "KUNDE-02"] == [0.88]
    assert workbook.settings.on_track == 0.9  # a '0%' cell in the settings


def test_the_original_reports_each_formula_without_a_result() -> None:
    source = read_workbook(SOURCE)
    reported = {(i.sheet, i.cell): i.args["formula"] for i in source.issues}
    assert {i.code for i in source.issues} == {"formula-no-value"}
    assert set(errors(source.issues)) == {("formula-no-value", s, c) for s, c in reported}
    every = {cell: formula for cell, (formula, _result) in FORMULAS.items()}
    assert reported == every


def test_the_original_reports_a_note_formula_without_a_result() -> None:
    """An optional cell (the note) with a formula and no result is reported, not read as empty."""
    source = read_workbook(SOURCE)
    assert ("formula-no-value", *NOTE_FORMULA) in errors(source.issues)


def test_libreoffice_copy_validates_clean() -> None:
    """LibreOffice calculated every formula and sets no fullCalcOnLoad: nothing to warn about."""
    _workbook, report = check(SAVED)
    codes = [(i.code, i.sheet, i.cell) for i in report.issues]
    assert errors(report.issues) == []
    assert "formula-not-calculated" not in {i.code for i in report.issues}
    assert codes == []  # the fixture is a complete, SMART workbook


def test_committed_source_matches_the_script(tmp_path: Path) -> None:
    """The committed openpyxl fixture is what the script writes now (rerun it after a change)."""
    script = _fixture_script()
    fresh = write_workbook(tmp_path / "source.xlsx", script.sheets())
    assert_same_model(model(read_workbook(SOURCE)), model(read_workbook(fresh)))


# -- fresh LibreOffice copies -----------------------------------------------------------------


@pytest.fixture(scope="module")
def fresh_copies(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    """name -> (original, LibreOffice's copy), made by one LibreOffice run: a workbook from
    conftest's valid_sheets() and the ``kpireport init`` template in both languages."""
    folder = tmp_path_factory.mktemp("libreoffice")
    originals = {
        "valid": write_workbook(folder / "valid.xlsx", valid_sheets()),
        "template-en": write_template(folder / "template-en.xlsx", "en"),
        "template-da": write_template(folder / "template-da.xlsx", "da"),
    }
    copies = _fixture_script().convert_with_libreoffice(list(originals.values()), folder / "lo")
    return {name: (originals[name], copy) for name, copy in zip(originals, copies, strict=True)}


@pytest.mark.slow
@needs_soffice
def test_fresh_libreoffice_copy_reads_the_same(fresh_copies: dict[str, tuple[Path, Path]]) -> None:
    original, copy = fresh_copies["valid"]
    with zipfile.ZipFile(copy) as saved:
        assert "LibreOffice" in saved.read("docProps/app.xml").decode()
    source_wb, source_report = check(original)
    copy_wb, copy_report = check(copy)
    assert_same_model(model(source_wb), model(copy_wb))
    assert source_report.issues == []
    assert copy_report.issues == []


def _validations(path: Path) -> dict[str, set[tuple[Any, ...]]]:
    """Each sheet's data validations; a sheet name quoted or not in a list source is the same."""
    out: dict[str, set[tuple[Any, ...]]] = {}
    workbook = openpyxl.load_workbook(path)
    for sheet in workbook.worksheets:
        found = set()
        for dv in sheet.data_validations.dataValidation:
            source = re.sub(
                r"^'((?:[^']|'')+)'!",
                lambda m: m.group(1).replace("''", "'") + "!",
                dv.formula1 or "",
            )
            found.add(
                (
                    dv.type,
                    source,
                    str(dv.sqref),
                    dv.errorStyle,
                    bool(dv.allow_blank),
                    bool(dv.showErrorMessage),
                    dv.errorTitle,
                    dv.error,
                )
            )
        out[sheet.title] = found
    return out


@pytest.mark.slow
@needs_soffice
@pytest.mark.parametrize("lang", ["en", "da"])
def test_template_survives_libreoffice(
    fresh_copies: dict[str, tuple[Path, Path]], lang: str
) -> None:
    original, copy = fresh_copies[f"template-{lang}"]
    copy_wb, copy_report = check(copy)
    assert errors(copy_report.issues) == []
    source_wb, source_report = check(original)
    assert [i.code for i in copy_report.issues] == [i.code for i in source_report.issues]
    assert_same_model(model(source_wb), model(copy_wb))
    validations = _validations(original)
    assert sum(len(v) for v in validations.values()) >= 6  # the dropdowns are there to survive
    assert _validations(copy) == validations
