"""Hostile names (issue 7, point 3): department names, KPI ids and workbook file names with
``../``, ``/``, ``\\``, NUL, Windows device names or 300 characters become safe, unique, stable
file names, and nothing is written outside the output folder."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from kpireport.build import BOARD_PACK, BuildOptions, build
from kpireport.cli import main
from kpireport.errors import OutputError
from kpireport.fsutil import inside
from kpireport.slug import (
    MAX_LENGTH,
    REPORT_SET_NAMES,
    folder_name,
    slugify,
    unique_slugs,
)
from tests.conftest import kpi_row, valid_sheets, write_workbook

LONG = "x" * 300
SAFE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

# --- slugs ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("../../escape", "escape"),
        ("a/b", "a-b"),
        ("a\\b", "a-b"),
        ("..\\..\\Windows\\win.ini", "windows-win-ini"),
        ("/etc/passwd", "etc-passwd"),
        ("evil\x00/../../x", "evil-x"),
        ("\x00", "department"),
        ("CON", "department-con"),
        ("con.txt", "con-txt"),  # no dot left, so not the device CON with an extension
        ("nul", "department-nul"),
        ("nul.txt", "nul-txt"),
        ("LPT1", "department-lpt1"),
        ("COM9", "department-com9"),
        ("COM¹", "department-com1"),  # Windows reserves the superscript digits too
        ("ＣＯＮ", "department-con"),  # full-width letters fold to ASCII first
        (LONG, "x" * MAX_LENGTH),
        ("..", "department"),
        (".", "department"),
        ("", "department"),
        ("数据", "department"),
        ("-rf", "rf"),
        ("Kundeservice & Support", "kundeservice-support"),
        ("Økonomi", "oekonomi"),
    ],
)
def test_hostile_names_slugify_to_safe_file_names(name: str, slug: str) -> None:
    assert slugify(name) == slug
    assert SAFE.match(slug) and len(slug) <= MAX_LENGTH + len("department-")


def test_slugs_are_unique_even_when_a_name_slugs_like_a_numbered_duplicate() -> None:
    names = [
        "Sales 2",
        "Sales",
        "Sales!",  # slugs like "Sales", whose -2 "Sales 2" already took
        "a/b",
        "a\\b",
        "..",
        "数据",
        "Department",
        LONG,
        "x" * 299 + "y",  # the same first 60 characters
        "Index",
        "Board Pack",
        "Validation",
    ]
    slugs = unique_slugs(names, reserved=REPORT_SET_NAMES)
    assert list(slugs.values()) == [
        "sales-2",
        "sales",
        "sales-3",
        "a-b",
        "a-b-2",
        "department",
        "department-2",
        "department-3",
        "x" * MAX_LENGTH,
        "x" * MAX_LENGTH + "-2",
        "department-index",
        "department-board-pack",
        "department-validation",
    ]
    # and the other order: a name that slugs like a numbered duplicate gets its own number
    assert list(unique_slugs(["Sales", "Sales!", "Sales 2"]).values()) == [
        "sales",
        "sales-2",
        "sales-2-2",
    ]


def test_slugs_are_the_same_in_every_run() -> None:
    names = ["Sales 2", "Sales", "Sales!", "..", "数据", "CON", "Index", LONG]
    code = (
        "import json, sys; from kpireport.slug import REPORT_SET_NAMES, unique_slugs; "
        "print(json.dumps(unique_slugs(json.loads(sys.argv[1]), reserved=REPORT_SET_NAMES)))"
    )
    runs = [
        subprocess.run(
            [sys.executable, "-c", code, json.dumps(names)],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2")
    ]
    assert (
        json.loads(runs[0]) == json.loads(runs[1]) == unique_slugs(names, reserved=REPORT_SET_NAMES)
    )


@pytest.mark.parametrize(
    ("stem", "folder"),
    [
        ("kpis", "kpis"),  # a safe name is kept, so existing report sets keep their folders
        ("KPI 2026 Q2", "KPI 2026 Q2"),
        ("Økonomi", "Økonomi"),
        ("kpis.backup", "kpis.backup"),
        (".", r"workbook-[0-9a-f]{8}"),
        ("..", r"workbook-[0-9a-f]{8}"),
        (" ", r"workbook-[0-9a-f]{8}"),
        ("-rf", r"rf-[0-9a-f]{8}"),
        (".hidden", r"hidden-[0-9a-f]{8}"),
        ("report.", r"report-[0-9a-f]{8}"),  # Windows drops the dot
        ("CON", r"workbook-con-[0-9a-f]{8}"),
        ("con.backup", r"con-backup-[0-9a-f]{8}"),  # still the device CON on Windows
        ("COM¹", r"workbook-com1-[0-9a-f]{8}"),
        ("a\\..\\..\\b", r"a-b-[0-9a-f]{8}"),
        ("a:b", r"a-b-[0-9a-f]{8}"),
        ("evil\x00x", r"evil-x-[0-9a-f]{8}"),
        ("report\u202exslx", r"reportxslx-[0-9a-f]{8}"),  # a bidi override hides the real name
        ("bad\udcff", r"bad-[0-9a-f]{8}"),  # an undecodable byte in a Linux file name
        ("y" * 245, "y" * MAX_LENGTH + r"-[0-9a-f]{8}"),
    ],
)
def test_a_workbook_name_gives_a_safe_stable_folder_name(
    stem: str, folder: str, tmp_path: Path
) -> None:
    name = folder_name(stem)
    assert re.fullmatch(folder, name), name
    assert folder_name(stem) == name
    inside(tmp_path, name)  # never refused


def test_workbook_names_with_the_same_slug_get_different_folders() -> None:
    names = ["rf", "-rf", "--rf", " rf", "rf ", ".rf"]
    assert len({folder_name(n) for n in names}) == len(names)


# --- inside() ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("part", "reason"),
    [
        ("..", "has a '..' component"),
        ("../x", "has a '..' component"),
        ("a/../../x", "has a '..' component"),
        ("a/..", "has a '..' component"),
        ("..\\x", "has a '..' component"),
        ("/etc/passwd", "is an absolute path"),
        ("C:\\Windows", "is an absolute path"),
        ("C:x", "is an absolute path"),
        ("\\\\server\\share", "is an absolute path"),
        ("\\x", "is an absolute path"),
        ("a\x00b", "has a NUL byte"),
        ("", "names no file"),
        (".", "names no file"),
    ],
)
def test_inside_refuses_a_part_that_could_leave_the_root(
    part: str, reason: str, tmp_path: Path
) -> None:
    with pytest.raises(OutputError) as caught:
        inside(tmp_path, "ok", part)
    assert str(caught.value) == f"refusing to write in {tmp_path}: {part!r} {reason}"


def test_inside_refuses_a_path_that_leaves_the_root_through_a_link(tmp_path: Path) -> None:
    (tmp_path / "root").mkdir()
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "root" / "link").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(OutputError) as caught:
        inside(tmp_path / "root", "link", "x.html")
    assert str(caught.value) == (
        f"refusing to write {tmp_path / 'root' / 'link' / 'x.html'}: it leads to "
        f"{(tmp_path / 'elsewhere' / 'x.html').resolve()}, outside {(tmp_path / 'root').resolve()}"
    )


def test_inside_returns_the_joined_path_as_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert inside(Path("reports"), "kpis", "2026-06-30") == Path("reports/kpis/2026-06-30")
    assert inside(tmp_path, "a/./b", "c.html") == tmp_path / "a" / "b" / "c.html"
    (tmp_path / "root").mkdir()
    (tmp_path / "root" / "inner").symlink_to(tmp_path / "root")  # a link that stays inside
    assert inside(tmp_path / "root", "inner", "x") == tmp_path / "root" / "inner" / "x"


# --- a build of a workbook with hostile department names and KPI ids ------------------------------

# (as typed in the cell, as read, slug). "_x0000_" is how a NUL is stored in a workbook's XML;
# the reader (calamine) turns it into a real NUL, as Excel does.
DEPARTMENTS = [
    ("Sales", "Sales", "sales"),
    ("Sales 2", "Sales 2", "sales-2"),
    ("Sales!", "Sales!", "sales-3"),
    ("../../escape", "../../escape", "escape"),
    ("a/b", "a/b", "a-b"),
    ("a\\b", "a\\b", "a-b-2"),
    ("evil_x0000_/../../x", "evil\x00/../../x", "evil-x"),
    ("CON", "CON", "department-con"),
    ("nul.txt", "nul.txt", "nul-txt"),
    ("LPT1", "LPT1", "department-lpt1"),
    ("COM9", "COM9", "department-com9"),
    (LONG, LONG, "x" * MAX_LENGTH),
    ("..", "..", "department"),
    ("数据", "数据", "department-2"),
    ("Index", "Index", "department-index"),
    ("Board Pack", "Board Pack", "department-board-pack"),
    ("Validation", "Validation", "department-validation"),
]
# KPI ids never become file names (only escaped anchors), but are as hostile as the names.
KPI_IDS = [
    "SALES-01",
    "../../etc/passwd",
    "..\\..\\boot.ini",
    "/abs",
    "a/b",
    "nul_x0000_id",
    "CON",
    "nul.txt",
    "LPT1",
    "COM9",
    "K" * 300,
    "..",
    "数据",
    "index.html",
    "board-pack",
    "validation.html",
    ".kpireport-build.json",
]
REPORT_DATE = "2026-06-30"


def _hostile_sheets() -> dict[str, list[list[Any]]]:
    sheets = valid_sheets()
    months = [row[1] for row in sheets["Measurements"][1:]]
    sheets["Departments"] = [sheets["Departments"][0]] + [
        [typed, "Mette Hansen", "mette@example.com", None] for typed, _, _ in DEPARTMENTS
    ]
    sheets["KPIs"] = [sheets["KPIs"][0]] + [
        kpi_row(id=kpi, department=typed)
        for kpi, (typed, _, _) in zip(KPI_IDS, DEPARTMENTS, strict=True)
    ]
    sheets["Measurements"] = [sheets["Measurements"][0]] + [
        [kpi, month, 40 + 2 * i, None] for kpi in KPI_IDS for i, month in enumerate(months)
    ]
    sheets["Benchmarks"] = [sheets["Benchmarks"][0]]
    return sheets


def _files(root: Path) -> set[str]:
    return {
        os.path.relpath(os.path.join(folder, name), root)
        for folder, dirs, names in os.walk(root)
        for name in [*names, *dirs]
    }


def _build(workbook: Path, out: Path) -> Any:
    return CliRunner().invoke(
        main, ["build", str(workbook), "-o", str(out), "--format", "html,json", "-j", "1"]
    )


def test_hostile_department_names_and_kpi_ids_stay_inside_the_output_folder(
    tmp_path: Path,
) -> None:
    (tmp_path / "in").mkdir()
    workbook = write_workbook(tmp_path / "in" / "kpis.xlsx", _hostile_sheets())
    out = tmp_path / "deep" / "er" / "out"
    # everything this test may write outside `out` would land somewhere below here
    watched = tmp_path.parent
    before = _files(watched)

    result = _build(workbook, out)

    assert result.exit_code == 0, result.output
    folder = out / "kpis" / REPORT_DATE
    assert result.stdout.strip() == str(folder)  # the report set, as with any workbook
    # nothing new anywhere but in the output folder
    new = _files(watched) - before
    outside = {p for p in new if not (watched / p).resolve().is_relative_to(out.resolve())}
    assert outside == {f"{tmp_path.name}/deep", f"{tmp_path.name}/deep/er"}  # out's parents
    # every file under the output folder is a real file or folder there, not a link out
    for name in _files(out):
        path = out / name
        assert not path.is_symlink(), name
        assert path.resolve().is_relative_to(out.resolve()), name

    data = json.loads((folder / "results.json").read_text())
    assert [(d["name"], d["slug"]) for d in data["departments"]] == [
        (read, slug) for _, read, slug in DEPARTMENTS
    ]
    assert [k["id"] for d in data["departments"] for k in d["kpis"]] == [
        kpi.replace("_x0000_", "\x00") for kpi in KPI_IDS
    ]
    slugs = [slug for _, _, slug in DEPARTMENTS]
    assert len(set(slugs)) == len(slugs)
    report_set = (
        {f"{slug}.html" for slug in slugs}
        | {
            "board-pack.html",
            "index.html",
            "validation.html",
            "results.json",
            ".kpireport-build.json",
            ".pages",
        }
        | {f".pages/{slug}.cards.json" for slug in slugs}
    )  # each department's cards, kept
    expected = {".kpireport.lock", "index.html", "kpis", f"kpis/{REPORT_DATE}"} | {
        f"kpis/{REPORT_DATE}/{name}" for name in report_set
    }
    assert _files(out) == expected
    # each department kept its own page: none was overwritten by the index or the board pack
    index = (folder / "index.html").read_text()
    for _, _, slug in DEPARTMENTS:
        assert f'id="dept-{slug}"' in (folder / f"{slug}.html").read_text(), slug
        assert f'href="{slug}.html"' in index, slug
    # the names the report set keeps for itself (with board-pack.pdf) are the ones slugs avoid
    assert {BOARD_PACK, "index", "validation"} == REPORT_SET_NAMES

    # rebuilding, in place or into a new folder, gives the same names
    again = _build(workbook, out)
    assert again.exit_code == 0, again.output
    assert _files(out) == expected
    fresh = tmp_path / "fresh"
    assert _build(workbook, fresh).exit_code == 0
    assert _files(fresh) == _files(out)


# --- workbook file names as output folders (kpireport/build.py) -----------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "kpis.xlsx",
        "KPI 2026 Q2.xlsx",
        pytest.param("..xlsx"),  # stem ".": the report set lands in DIR itself
        pytest.param("...xlsx"),  # stem "..": written beside DIR, outside it
        pytest.param(" .xlsx"),
        pytest.param("-rf.xlsx"),
        pytest.param("CON.xlsx"),
        pytest.param("a\\..\\..\\b.xlsx"),
        pytest.param("y" * 245 + ".xlsx", id="y*245.xlsx"),
    ],
)
def test_a_workbook_file_name_never_leaves_the_output_folder(name: str, tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    workbook = write_workbook(tmp_path / "in" / name, valid_sheets())
    out = tmp_path / "deep" / "out"
    before = _files(tmp_path)
    [result] = build([workbook], out, BuildOptions(formats=("json",)))
    assert result.ok
    new = _files(tmp_path) - before
    assert all((tmp_path / p).resolve().is_relative_to(out.resolve()) for p in new - {"deep"})
    assert result.folder == out / folder_name(Path(name).stem) / REPORT_DATE


@pytest.mark.parametrize(
    "name",
    [
        "kpis.xlsx",
        # stem "..": DIR/../validation.html, which a later good build even deletes
        pytest.param("...xlsx"),
    ],
)
def test_a_failed_workbooks_validation_page_stays_inside_the_output_folder(
    name: str, tmp_path: Path
) -> None:
    sheets = valid_sheets()
    sheets["KPIs"][1][5] = "sideways"  # direction: an error, so only the validation page
    (tmp_path / "in").mkdir()
    workbook = write_workbook(tmp_path / "in" / name, sheets)
    out = tmp_path / "deep" / "out"
    [result] = build([workbook], out)
    assert not result.ok
    assert result.validation_page == out / folder_name(Path(name).stem) / "validation.html"
    assert not (tmp_path / "deep" / "validation.html").exists()
