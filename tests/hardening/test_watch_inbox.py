"""The drop folder against a hostile inbox user: links and impostors in place of the watcher's
own lock file and folders, set before the start and swapped in while it runs. Nothing outside the
inbox and the output folder may be created, truncated, moved or deleted."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from kpireport.build import BuildOptions
from kpireport.cli import main
from kpireport.watch import FAILED, PROCESSED, PROCESSING, WatchError, WatchSummary, watch
from tests.conftest import valid_sheets, write_workbook

FAST = BuildOptions(formats=("html", "json"))
LOCK = ".kpireport-watch.lock"


def run_watch(
    inbox: Path,
    out: Path,
    on_line: Callable[[str], None] | None = None,
    options: BuildOptions = FAST,
) -> tuple[WatchSummary, list[str]]:
    """``watch --once`` in this process; ``on_line`` hears each log line as it is written."""
    lines: list[str] = []

    def log(line: str) -> None:
        lines.append(line)
        if on_line is not None:
            on_line(line)

    summary = watch(
        inbox,
        out,
        once=True,
        send=None,
        interval=0.05,
        stable_seconds=0,
        build_options=options,
        log=log,
    )
    return summary, lines


def snapshot(root: Path) -> dict[str, Any]:
    """Every file and link below ``root``: its bytes, or where the link points."""
    found: dict[str, Any] = {}
    for path in sorted(root.rglob("*")):
        key = str(path.relative_to(root))
        if path.is_symlink():
            found[key] = ("link", os.readlink(path))
        elif path.is_file():
            found[key] = path.read_bytes()
        elif path.is_dir():
            found[key] = "folder"
    return found


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """Files of the machine that the inbox's users must not reach: a configuration file, a
    finished board pack, an empty folder."""
    place = tmp_path / "outside"
    place.mkdir()
    (place / "kpireport.toml").write_text('inbox = "inbox"\noutput = "reports"\n')
    (place / "board-pack.pdf").write_bytes(b"%PDF-1.7 a finished board pack" + b"." * 5000)
    (place / "empty").mkdir()
    return place


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    (tmp_path / "inbox").mkdir()
    write_workbook(tmp_path / "inbox" / "kpis.xlsx", valid_sheets())
    return tmp_path / "inbox"


# --- before the start ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda lock, target: lock.symlink_to(target), "{lock} is a symbolic link"),
        (lambda lock, target: os.link(target, lock), "{lock} has another name (a hard link)"),
        (lambda lock, target: os.mkfifo(lock), "{lock} is not a regular file"),
        (lambda lock, target: lock.mkdir(), "cannot write in {inbox}: Is a directory"),
    ],
    ids=["symlink", "hardlink", "fifo", "folder"],
)
def test_an_impostor_lock_file_is_refused_and_nothing_is_touched(
    inbox: Path, outside: Path, tmp_path: Path, make: Callable[[Path, Path], None], reason: str
) -> None:
    make(inbox / LOCK, outside / "board-pack.pdf")
    before, inbox_before = snapshot(outside), snapshot(inbox)
    with pytest.raises(WatchError) as caught:
        run_watch(inbox, tmp_path / "reports")
    assert str(caught.value).startswith(reason.format(lock=inbox / LOCK, inbox=inbox))
    assert snapshot(outside) == before
    assert snapshot(inbox) == inbox_before  # not even processing/ was made
    assert not (tmp_path / "reports").exists()


@pytest.mark.parametrize("folder", [PROCESSING, PROCESSED, FAILED])
@pytest.mark.parametrize("kind", ["symlink", "dangling", "file"])
def test_a_link_or_a_file_in_place_of_a_folder_is_refused_at_start(
    inbox: Path, outside: Path, tmp_path: Path, folder: str, kind: str
) -> None:
    place = inbox / folder
    if kind == "symlink":
        place.symlink_to(outside / "empty", target_is_directory=True)
    elif kind == "dangling":
        place.symlink_to(outside / "nowhere")
    else:
        place.write_bytes(b"someone's file")
    before, inbox_before = snapshot(outside), snapshot(inbox)
    with pytest.raises(WatchError) as caught:
        run_watch(inbox, tmp_path / "reports")
    what = "is a symbolic link" if kind != "file" else "is not a folder"
    assert f"{place} {what}" in str(caught.value)
    assert snapshot(outside) == before and not (outside / "nowhere").exists()
    after = snapshot(inbox)
    del after[LOCK]  # taken first, so that two watchers never race to make the folders
    assert after == inbox_before  # the workbook was not claimed


def test_the_cli_exits_1_with_one_clear_line(
    inbox: Path, outside: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(inbox.parent)
    (inbox / PROCESSED).symlink_to(outside / "empty", target_is_directory=True)
    result = CliRunner().invoke(main, ["watch", "inbox", "--once", "--format", "json"])
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: inbox/processed is a symbolic link: the watcher never follows a link for a "
        "folder of its own. Remove it; the watcher makes the folder itself.\n"
    )
    assert (inbox / "kpis.xlsx").exists() and os.listdir(outside / "empty") == []


# --- while it runs ------------------------------------------------------------------------------


@pytest.mark.parametrize("folder", [PROCESSED, FAILED])
def test_a_folder_swapped_for_a_link_while_building_is_not_moved_into(
    inbox: Path, outside: Path, tmp_path: Path, folder: str
) -> None:
    if folder == FAILED:
        (inbox / "kpis.xlsx").write_bytes(b"not a workbook")

    def swap(line: str) -> None:
        # once the workbook is claimed, and the folders were checked: as a hostile inbox user
        # with write access to the inbox would, between the check and the move
        if line.startswith("claimed "):
            (inbox / folder).rename(inbox / f"{folder}.old")
            (inbox / folder).symlink_to(outside / "empty", target_is_directory=True)

    before = snapshot(outside)
    summary, lines = run_watch(inbox, tmp_path / "reports", swap)
    assert snapshot(outside) == before
    # built again at the next start, its first try counted
    assert sorted(os.listdir(inbox / PROCESSING)) == [".kpis.xlsx.tries", "kpis.xlsx"]
    assert not summary.ok and summary.problems == 1
    assert any(
        line.startswith(f"error: cannot move {inbox / PROCESSING / 'kpis.xlsx'} to ")
        and "is a symbolic link" in line
        for line in lines
    ), lines


def test_error_files_are_never_written_through_a_link(
    inbox: Path, outside: Path, tmp_path: Path
) -> None:
    (inbox / "kpis.xlsx").write_bytes(b"not a workbook")
    (inbox / FAILED).mkdir()
    # names the watcher would write next: planted as links to files outside
    (inbox / FAILED / "kpis.xlsx.errors.txt").symlink_to(outside / "kpireport.toml")
    (inbox / FAILED / "kpis.xlsx.errors.json").symlink_to(outside / "board-pack.pdf")
    before = snapshot(outside)
    summary, _lines = run_watch(inbox, tmp_path / "reports")
    assert snapshot(outside) == before
    [dest] = summary.failed
    assert dest.name != "kpis.xlsx" and dest.parent == inbox / FAILED  # a free name
    errors = dest.with_name(dest.name + ".errors.txt")
    assert not errors.is_symlink() and "not a zip archive" in errors.read_text()
