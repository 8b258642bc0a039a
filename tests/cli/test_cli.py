"""The command line: exit codes, output streams and messages (CliRunner, one real process)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from kpireport import __version__
from kpireport.cli import main
from tests.conftest import SAMPLES, kpi_row, valid_sheets


def run(*args: str, **kwargs: Any) -> Any:
    return CliRunner().invoke(main, list(args), catch_exceptions=False, **kwargs)


def test_version_and_help() -> None:
    result = run("--version")
    assert result.exit_code == 0 and __version__ in result.output
    assert run("-h").exit_code == 0


@pytest.mark.parametrize("command", sorted(main.commands))
def test_every_command_has_help_with_an_example(command: str) -> None:
    result = run(command, "--help")
    assert result.exit_code == 0
    assert "Example:" in result.output
    assert main.commands[command].help


def test_valid_workbook_exits_0(make_workbook, sheets) -> None:  # type: ignore[no-untyped-def]
    path = make_workbook(sheets)
    result = run("validate", str(path))
    assert result.exit_code == 0
    assert f"{path}: valid" in result.stdout
    assert "0 errors, 0 warnings" in result.stdout


def test_errors_exit_1_with_table_grouped_by_sheet(make_workbook, sheets) -> None:  # type: ignore[no-untyped-def]
    sheets["KPIs"][1] = kpi_row(direction="sideways")
    sheets["Measurements"].append(["NOPE-1", "2026-06-15", 3, None])
    result = run("validate", str(make_workbook(sheets)))
    assert result.exit_code == 1
    out = result.stdout
    assert "not valid" in out and "2 errors" in out
    # grouped by sheet, in the workbook's sheet order
    assert out.index("\nKPIs\n") < out.index("\nMeasurements\n")
    assert "F2" in out and "'sideways' is not a direction." in out
    assert "A8" in out and "'NOPE-1'" in out


def test_warnings_pass_unless_strict(make_workbook, sheets) -> None:  # type: ignore[no-untyped-def]
    sheets["KPIs"][1] = kpi_row(owner=None)
    path = str(make_workbook(sheets))
    assert run("validate", path).exit_code == 0
    strict = run("validate", "--strict", path)
    assert strict.exit_code == 1
    assert "S-no-owner" in strict.stdout
    data = json.loads(run("validate", "--strict", "--format", "json", path).stdout)
    assert data["valid"] is False and data["files"][0]["valid"] is False


def test_json_output_on_stdout(make_workbook, sheets) -> None:  # type: ignore[no-untyped-def]
    sheets["KPIs"][1] = kpi_row(frequency="fortnightly")
    path = make_workbook(sheets)
    result = run("validate", "--format", "json", str(path))
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["valid"] is False
    assert data["issues"] == [
        {
            "code": "bad-frequency",
            "severity": "error",
            "sheet": "KPIs",
            "cell": "K2",
            "message": "'fortnightly' is not a frequency.",
            "hint": "Write one of: daily, weekly, monthly, quarterly, yearly.",
            "file": str(path),
        }
    ]
    assert data["files"] == [{"path": str(path), "valid": False, "errors": 1, "warnings": 0}]


def test_lang_overrides_the_workbook_language(make_workbook, sheets) -> None:  # type: ignore[no-untyped-def]
    sheets["KPIs"][1] = kpi_row(direction="sideways")
    path = str(make_workbook(sheets))
    data = json.loads(run("validate", "--format", "json", "--lang", "da", path).stdout)
    assert data["issues"][0]["message"] == "'sideways' er ikke en retning."
    text = run("validate", "--lang", "da", path).stdout
    assert "ikke gyldig" in text and "1 fejl" in text


def test_danish_workbook_speaks_danish(make_workbook, sheets) -> None:  # type: ignore[no-untyped-def]
    sheets["Settings"][3] = ["language", "da"]
    sheets["KPIs"][1] = kpi_row(direction="sideways")
    result = run("validate", str(make_workbook(sheets)))
    assert "'sideways' er ikke en retning." in result.stdout


def test_unreadable_file_exits_1_with_one_sentence(tmp_path: Path) -> None:
    bad = tmp_path / "notes.xlsx"
    bad.write_text("just text")
    result = run("validate", str(bad))
    assert result.exit_code == 1
    assert "This is not an Excel workbook (it is not a zip archive)." in result.stdout
    data = json.loads(run("validate", "--format", "json", str(bad)).stdout)
    assert [i["code"] for i in data["issues"]] == ["not-zip"]


def test_several_files_and_folders(make_workbook, sheets, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    good = make_workbook(sheets, "good.xlsx")
    (tmp_path / "~$good.xlsx").write_bytes(b"lock file")  # Excel's lock file: never a workbook
    (tmp_path / ".hidden.xlsx").write_bytes(b"")
    data = json.loads(run("validate", "--format", "json", str(tmp_path)).stdout)
    assert [f["path"] for f in data["files"]] == [str(good)]
    sheets["KPIs"][1] = kpi_row(target="lots")
    bad = make_workbook(sheets, "bad.xlsx")
    result = run("validate", "--format", "json", str(good), str(bad))
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert [(f["path"], f["valid"]) for f in data["files"]] == [
        (str(good), True),
        (str(bad), False),
    ]


def test_wrong_usage_exits_2(tmp_path: Path) -> None:
    assert run("validate").exit_code == 2
    assert run("validate", "--format", "xml", "x.xlsx").exit_code == 2
    assert run("validate", str(tmp_path)).exit_code == 2  # a folder with no workbooks
    assert run("init", "--lang", "de").exit_code == 2


def test_init_writes_a_workbook_that_validates_clean(tmp_path: Path) -> None:
    for lang in ("en", "da"):
        target = tmp_path / f"kpis-{lang}.xlsx"
        result = run("init", str(target), "--lang", lang)
        assert result.exit_code == 0, result.output
        assert target.exists()
        check = run("validate", "--strict", "--format", "json", str(target))
        assert json.loads(check.stdout)["issues"] == []
        assert check.exit_code == 0


def test_init_default_name_and_never_overwrites(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert run("init").exit_code == 0
    target = tmp_path / "kpi-workbook.xlsx"
    before = target.read_bytes()
    again = CliRunner().invoke(main, ["init"])
    assert again.exit_code == 1
    assert "already exists; use --force to overwrite it" in again.output
    assert target.read_bytes() == before
    assert run("init", "--force").exit_code == 0
    assert run("init", "--lang", "da").exit_code == 0
    assert (tmp_path / "kpi-projektmappe.xlsx").exists()


def test_samples_validate() -> None:
    good = sorted(SAMPLES.glob("*.xlsx"))
    assert len(good) >= 2
    result = run("validate", *map(str, good))
    assert result.exit_code == 0, result.stdout
    broken = run("validate", str(SAMPLES / "invalid" / "broken-en.xlsx"))
    assert broken.exit_code == 1


def test_real_process_keeps_stdout_clean_and_no_traceback(tmp_path: Path) -> None:
    """JSON on stdout only; messages on stderr; NO_COLOR respected."""
    bad = tmp_path / "empty.xlsx"
    bad.write_bytes(b"")
    proc = subprocess.run(
        [sys.executable, "-m", "kpireport", "validate", "--format", "json", str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
        env={"NO_COLOR": "1", "PATH": "/usr/bin:/bin"},
    )
    assert proc.returncode == 1
    assert json.loads(proc.stdout)["issues"][0]["code"] == "empty-file"
    assert "Traceback" not in proc.stderr
    text = subprocess.run(
        [sys.executable, "-m", "kpireport", "validate", str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
        env={"NO_COLOR": "1", "PATH": "/usr/bin:/bin"},
    )
    assert "\x1b[" not in text.stdout
    assert "The file is empty (0 bytes)." in text.stdout


def test_colour_on_a_terminal(make_workbook, sheets, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """On a terminal (CliRunner's color=True) the table is styled, byte for byte as here."""
    sheets["KPIs"][1] = kpi_row(direction="sideways", owner=None)
    path = make_workbook(sheets)
    result = CliRunner().invoke(main, ["validate", str(path)], color=True)
    assert result.exit_code == 1
    assert result.stdout == (
        f"\x1b[1m{path}\x1b[0m: \x1b[31m\x1b[1mnot valid\x1b[0m\n"
        "  1 KPI in 1 department, 6 measurements, 1 benchmark\n"
        "  1 error, 1 warning\n"
        "  SMART warnings: S 1 · M 0 · A 0 · R 0 · T 0\n"
        "\n"
        "\x1b[1m\x1b[4mKPIs\x1b[0m\n"
        "  F2     \x1b[31merror    \x1b[0m 'sideways' is not a direction. [bad-direction]\n"
        "                   \x1b[2m→ Write 'higher' (higher is better) or 'lower' (lower is"
        " better).\x1b[0m\n"
        "  N2     \x1b[33mwarning  \x1b[0m Specific: KPI 'SALES-01' has no owner. [S-no-owner]\n"
        "                   \x1b[2m→ Name the person responsible for the KPI.\x1b[0m\n"
    )
    good = make_workbook(valid_sheets())
    result = CliRunner().invoke(main, ["validate", str(good)], color=True)
    assert result.stdout.startswith(f"\x1b[1m{good}\x1b[0m: \x1b[32m\x1b[1mvalid\x1b[0m\n")
    bad = tmp_path / "notes.xlsx"
    bad.write_text("just text")
    result = CliRunner().invoke(main, ["validate", str(bad)], color=True)
    assert result.stdout == (
        f"\x1b[1m{bad}\x1b[0m: \x1b[31mThis is not an Excel workbook (it is not a zip"
        " archive).\x1b[0m Save the workbook as .xlsx.\n"
    )
    # NO_COLOR: the same text without the styling
    plain = CliRunner().invoke(main, ["validate", str(path)], color=True, env={"NO_COLOR": "1"})
    assert plain.stdout == click.unstyle(
        CliRunner().invoke(main, ["validate", str(path)], color=True).stdout
    )
    assert "\x1b[" not in plain.stdout


def test_only_the_cli_imports_click() -> None:
    """Core code never imports click: every module of kpireport but the CLI, imported in a fresh
    interpreter, leaves click unloaded."""
    probe = (
        "import importlib, os, pkgutil, sys, kpireport\n"
        "def walk(path, prefix):\n"  # pkgutil.walk_packages would import kpireport.cli
        "    for m in pkgutil.iter_modules(path, prefix):\n"
        "        if m.name in ('kpireport.cli', 'kpireport.__main__'):\n"
        "            continue\n"
        "        yield m.name\n"
        "        if m.ispkg:\n"
        "            sub = os.path.join(path[0], m.name.rsplit('.', 1)[1])\n"
        "            yield from walk([sub], m.name + '.')\n"
        "core = list(walk(kpireport.__path__, 'kpireport.'))\n"
        "for name in core:\n"
        "    importlib.import_module(name)\n"
        "print(len(core), 'click' in sys.modules)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )
    count, loaded = proc.stdout.split()
    assert int(count) > 30 and loaded == "False", proc.stdout


def test_the_command_line_starts_without_the_build_machinery() -> None:
    """``kpireport --help`` (and every command's parsing) imports the commands' modules only:
    the build, its templates and the engine come with the command that runs them
    (docs/performance.md, Start-up)."""
    code = (
        "import sys, kpireport.cli\n"
        "heavy = ('kpireport.build', 'kpireport.engine', 'kpireport.render', 'jinja2')\n"
        "print(*[name for name in heavy if name in sys.modules])"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert proc.stdout.split() == []


def test_build_without_a_workbook_says_where_it_looked(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # issue 16, point 7: "workbooks: No such file" said neither where it looked nor what to do
    monkeypatch.chdir(tmp_path)
    result = run("build")
    assert result.exit_code == 2
    assert str(tmp_path / "workbooks") in result.output
    assert "kpireport build kpis.xlsx" in result.output
    (tmp_path / "workbooks").mkdir()  # with the folder, its workbooks (none here) are looked for
    assert "no .xlsx or .xlsm workbooks in workbooks" in run("build").output
