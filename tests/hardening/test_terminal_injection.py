"""Terminal and log injection (issue 12, point 7): escape sequences and line breaks in a cell or a
file name reach no terminal, log or errors.txt raw: every piece of workbook text and every file
name is printed with its control characters made visible (``\\x1b``, ``\\n``), and bidi controls
never reach a file name."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from kpireport.cli import main
from kpireport.printable import printable, printable_json
from kpireport.textreport import render_text
from kpireport.validate import check
from tests.conftest import kpi_row, valid_sheets, write_workbook

ESC = "\x1b"
CLEAR = f"{ESC}[2J{ESC}[H"  # clear the screen, cursor home
TITLE = f"{ESC}]0;pwned\x07"  # set the window title (OSC ... BEL)
HIDDEN = f"{ESC}[8m"  # concealed text
FAKE = "\n  0 errors, 0 warnings (all checked)"  # a fake line of the report
RLO = "\u202e"  # right-to-left override
CSI8 = "\x9b"  # C1 control sequence introducer, a terminal escape on its own in some terminals

# What may never reach a terminal raw: the sequences above, any C0 control but the line breaks
# kpireport writes itself, the C1 controls, the line separators, the bidi controls.
RAW = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
# kpireport's own emphasis on a terminal (click.style): bold, colours, dim, underline, reset
STYLE = re.compile(r"\x1b\[(?:\d+(?:;\d+)*)?m")


Sheets = dict[str, list[list[Any]]]


def excel(sheets: Sheets) -> Sheets:
    """``sheets`` as a hostile file holds them: openpyxl refuses to write C0 controls into a cell,
    but the file format escapes them as ``_x001B_``, which every reader turns back into them."""

    def escape(value: Any) -> Any:
        if not isinstance(value, str):
            return value
        return re.sub("[\x00-\x1f]", lambda m: f"_x{ord(m.group()):04X}_", value)

    return {name: [[escape(v) for v in row] for row in rows] for name, rows in sheets.items()}


def write(path: Path, sheets: Sheets) -> Path:
    return write_workbook(path, excel(sheets))


def hostile_sheets() -> Sheets:
    """A workbook with a hostile text in every kind of cell validate echoes in a message."""
    sheets = valid_sheets()
    sheets["Settings"].append([f"colour{CLEAR}", "x"])  # unknown-setting: the key
    sheets["Departments"][1][3] = f"{CSI8}2J"  # bad-color
    sheets["KPIs"][1] = kpi_row(
        direction=f"up{TITLE}",  # bad-direction
        name=f"Revenue and {HIDDEN}secret{ESC}[28m satisfaction",  # S-two-goals
    )
    sheets["KPIs"][0] = [*sheets["KPIs"][0], f"notes{ESC}[5m"]  # unknown-column: the header
    sheets["Measurements"][3][2] = f"n/a{FAKE}\r"  # not-a-number
    sheets["Benchmarks"][1][3] = f"{RLO}yrtsudni"  # bad-kind
    return sheets


def visible_only(text: str) -> None:
    """``text`` as printed holds kpireport's own styling and line breaks, nothing raw."""
    plain = STYLE.sub("", text)
    assert not RAW.search(plain), [m.group() for m in RAW.finditer(plain)]
    assert not any(line.strip() == FAKE.strip() for line in plain.splitlines())


# --- the one function -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (CLEAR, "\\x1b[2J\\x1b[H"),
        (TITLE, "\\x1b]0;pwned\\x07"),
        ("a\nb\r\tc", "a\\nb\\r\\tc"),
        ("\x00\x7f\x85\x9b", "\\x00\\x7f\\x85\\x9b"),
        ("\u2028\u2029", "\\u2028\\u2029"),
        ("".join(map(chr, [*range(0x202A, 0x202F), *range(0x2066, 0x206A)])), None),
        ("bad\udcff.xlsx", "bad\\udcff.xlsx"),  # an undecodable byte of a file name
        ("Kundeservice & Økonomi – 数据 👩‍💼", "Kundeservice & Økonomi – 数据 👩‍💼"),
        ("C:\\reports\\kpi.xlsx", "C:\\reports\\kpi.xlsx"),
        (12.5, "12.5"),
    ],
)
def test_printable_makes_every_control_character_visible(text: Any, shown: str | None) -> None:
    out = printable(text)
    assert not RAW.search(out) and "\udcff" not in out
    if shown is not None:
        assert out == shown
    else:
        assert out == "".join(f"\\u{ord(c):04x}" for c in text)


def test_printable_json_keeps_the_data() -> None:
    data = {"v": f"{CSI8}{RLO}\u2066x\u2028{CLEAR}\udcff"}
    text = printable_json(json.dumps(data, ensure_ascii=False))
    assert not RAW.search(text) and "\udcff" not in text
    assert json.loads(text) == data


# --- validate ---------------------------------------------------------------------------------


def test_validate_prints_hostile_cells_visibly(tmp_path: Path) -> None:
    path = write(tmp_path / "hostile.xlsx", hostile_sheets())
    result = CliRunner().invoke(main, ["validate", str(path)], color=True)
    assert result.exit_code == 1
    visible_only(result.output)
    for shown in ("\\x1b[2J\\x1b[H", "\\x1b]0;pwned\\x07", "\\x1b[8msecret", "\\x9b2J", "\\u202e"):
        assert shown in result.output
    assert "n/a\\n  0 errors, 0 warnings (all checked)\\r" in result.output


def test_a_file_name_cannot_write_fake_lines(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / f"kpis{FAKE}{CLEAR}.xlsx", valid_sheets())
    result = CliRunner().invoke(main, ["validate", str(tmp_path)], color=True)
    assert result.exit_code == 0
    visible_only(result.output)
    assert printable(path) + ": " in STYLE.sub("", result.output)


def test_validate_json_is_safe_to_print_and_keeps_the_text(tmp_path: Path) -> None:
    path = write(tmp_path / "hostile.xlsx", hostile_sheets())
    result = CliRunner().invoke(main, ["validate", str(path), "--format", "json"])
    assert result.exit_code == 1
    visible_only(result.output)
    messages = " ".join(i["message"] for i in json.loads(result.output)["issues"])
    for text in (CLEAR, TITLE, f"{CSI8}2J", RLO):
        assert text in messages  # the data itself is unchanged


def test_errors_txt_holds_no_control_character(tmp_path: Path) -> None:
    """What the drop folder writes into NAME.errors.txt (and the watch log quotes)."""
    path = write(tmp_path / f"x{FAKE}.xlsx", hostile_sheets())
    workbook, report = check(path)
    text = render_text(report, workbook)
    visible_only(text)


# --- build ----------------------------------------------------------------------------------


def test_build_prints_hostile_names_visibly_and_writes_no_bidi_name(tmp_path: Path) -> None:
    inbox = tmp_path / "in"
    inbox.mkdir()
    good = valid_sheets()
    good["Settings"].append(["logo", f"{CLEAR}logo.png"])  # bad-logo, printed by build
    good["Departments"][1][0] = f"Sales{RLO}selas"
    good["KPIs"][1] = kpi_row(department=f"Sales{RLO}selas")
    write(inbox / f"a{RLO}xslx.xlsx", good)
    write(inbox / f"b{FAKE}{TITLE}.xlsx", hostile_sheets())
    out = tmp_path / "out"
    args = ["build", str(inbox), "-o", str(out), "--format", "html,json"]
    result = CliRunner().invoke(main, args, color=True)
    assert result.exit_code == 1
    visible_only(result.stdout)
    visible_only(result.stderr)
    assert "\\x1b[2J\\x1b[Hlogo.png" in result.stderr
    assert "\\x1b]0;pwned\\x07" in result.stderr
    written = [str(p.relative_to(out)) for p in out.rglob("*")]
    assert written and not any(RAW.search(name) for name in written)


def test_a_usage_error_naming_workbook_text_is_printed_visibly(tmp_path: Path) -> None:
    sheets = valid_sheets()
    sheets["Departments"][1][0] = f"Sales{CLEAR}"
    sheets["KPIs"][1] = kpi_row(department=f"Sales{CLEAR}")
    path = write(tmp_path / "wb.xlsx", sheets)
    args = ["build", str(path), "-o", str(tmp_path / "out"), "--department", "Nope"]
    result = CliRunner().invoke(main, args, color=True)
    assert result.exit_code == 2
    visible_only(result.stderr)
    assert "Sales\\x1b[2J\\x1b[H" in result.stderr


# --- watch ----------------------------------------------------------------------------------


def test_the_watch_log_prints_hostile_file_names_visibly(tmp_path: Path) -> None:
    """A dropped file whose name holds a line break and a terminal sequence writes no fake line
    into the watch log: every log line is printed as the one function prints text."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    write(inbox / f"b{FAKE}{TITLE}.xlsx", hostile_sheets())
    write(inbox / f"a{RLO}xslx.xlsx", valid_sheets())
    out = tmp_path / "out"
    args = ["watch", str(inbox), "-o", str(out), "--once", "--format", "json"]
    result = CliRunner().invoke(main, args, color=True)
    visible_only(result.stderr)
    assert "\\n  0 errors, 0 warnings (all checked)\\x1b]0;pwned\\x07.xlsx" in result.stderr
    assert "a\\u202exslx.xlsx" in result.stderr
