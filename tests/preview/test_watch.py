"""When the preview takes a save (kpireport/preview/session.py): a workbook renamed over the old
one, as Excel saves, at the first look that sees it; one written in place, or put in place but
not readable (still being written), once it has not changed for a tenth of a second. Each look
is made by the test, at a time it chooses: nothing here waits for a clock."""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest

from kpireport.build import BuildOptions
from kpireport.preview.session import NEW_OBJECTS, SETTLE, Preview
from kpireport.settle import replaced, signature
from tests.conftest import valid_sheets, write_workbook


@pytest.fixture
def session(tmp_path: Path) -> Iterator[Preview]:
    workbook = write_workbook(tmp_path / "kpis.xlsx", valid_sheets())
    preview = Preview(workbook, BuildOptions())
    preview.rebuild()
    preview.look(0.0)  # notes the files as they are
    yield preview
    preview.close()


def builds(session: Preview) -> int:
    """How many times the open pages were told to reload."""
    return session.server.reloads.generation


def renamed(book: Path) -> bytes:
    """The workbook with its first KPI renamed, as bytes."""
    wb = openpyxl.load_workbook(book)
    wb["KPIs"].cell(row=2, column=3).value = "Fresh name"
    temporary = book.with_name("fresh.xlsx")
    wb.save(temporary)
    data = temporary.read_bytes()
    temporary.unlink()
    return data


def test_a_workbook_renamed_over_the_old_one_is_built_at_the_first_look(session: Preview) -> None:
    before = builds(session)
    temporary = session.workbook.with_name("~$kpis.tmp")
    temporary.write_bytes(renamed(session.workbook))
    os.replace(temporary, session.workbook)
    session.look(0.01)
    assert builds(session) == before + 1
    assert session.result is not None and session.result.ok
    session.look(0.02)
    session.look(1.0)
    assert builds(session) == before + 1  # once


def test_a_workbook_written_in_place_is_built_once_it_has_not_changed_for_a_while(
    session: Preview,
) -> None:
    before = builds(session)
    data = renamed(session.workbook)
    with session.workbook.open("r+b") as file:  # the same file: its inode is kept
        file.write(data)
        file.truncate()
    session.look(0.01)
    assert builds(session) == before
    session.look(0.01 + SETTLE / 2)
    assert builds(session) == before
    session.look(0.01 + SETTLE)
    assert builds(session) == before + 1


def test_a_file_put_in_place_that_cannot_be_read_is_shown_only_once_settled(
    session: Preview,
) -> None:
    """A workbook deleted and written anew under its own name has another inode while it is
    still half written: the page goes on showing the last reports until it has settled."""
    before, page = builds(session), session.server.home
    data = renamed(session.workbook)
    session.workbook.unlink()
    session.workbook.write_bytes(data[: len(data) // 2])
    session.look(0.01)
    assert builds(session) == before and session.server.home == page
    with session.workbook.open("ab") as file:
        file.write(data[len(data) // 2 :])
    session.look(0.05)  # changed again: the wait starts over
    assert builds(session) == before
    session.look(0.05 + SETTLE)
    assert builds(session) == before + 1
    assert session.result is not None and session.result.ok


def test_a_file_renamed_in_that_is_not_a_workbook_is_shown_once_settled(session: Preview) -> None:
    before = builds(session)
    temporary = session.workbook.with_name("~$kpis.tmp")
    temporary.write_bytes(b"not a workbook at all")
    os.replace(temporary, session.workbook)
    session.look(0.01)
    assert builds(session) == before
    session.look(0.01 + SETTLE)
    assert builds(session) == before + 1
    assert session.server.override is not None  # the problem page


def test_a_workbook_gone_for_a_moment_is_built_when_it_is_back(session: Preview) -> None:
    """Excel on Windows renames the old workbook away, then the new one in."""
    before = builds(session)
    aside = session.workbook.with_name("kpis-old.xlsx")
    os.replace(session.workbook, aside)
    session.look(0.01)
    assert builds(session) == before
    temporary = session.workbook.with_name("~$kpis.tmp")
    temporary.write_bytes(renamed(aside))
    os.replace(temporary, session.workbook)
    session.look(0.02)
    assert builds(session) == before + 1


def test_replaced_is_another_file_there(tmp_path: Path) -> None:
    path = tmp_path / "kpis.xlsx"
    path.write_bytes(b"old")
    old = signature(path)
    with path.open("ab") as file:
        file.write(b" and more")
    assert not replaced(old, signature(path))  # written in place
    temporary = tmp_path / "~$kpis.tmp"
    temporary.write_bytes(b"new")
    os.replace(temporary, path)
    assert replaced(old, signature(path)) and replaced(None, signature(path))
    path.unlink()
    assert not replaced(old, signature(path))


def test_while_serving_the_collector_looks_at_new_objects_less_often(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workbook = write_workbook(tmp_path / "kpis.xlsx", valid_sheets())
    session = Preview(workbook, BuildOptions())
    before, seen = gc.get_threshold(), []
    monkeypatch.setattr(session, "watch", lambda: seen.append(gc.get_threshold()))
    try:
        session.serve()
    finally:
        session.close()
    assert seen == [(NEW_OBJECTS, *before[1:])]
    assert gc.get_threshold() == before


def test_the_preview_does_not_sync_its_throwaway_files(session: Preview) -> None:
    assert session.options.sync is False
