"""Waiting for a file to be complete (kpireport/settle.py), shared by the drop folder and the
preview: real files, written, renamed over and removed."""

from __future__ import annotations

import os
from pathlib import Path

from kpireport.settle import Settling, signature


def test_a_file_settles_once_it_has_not_changed_for_the_time_given(tmp_path: Path) -> None:
    path = tmp_path / "kpis.xlsx"
    path.write_bytes(b"half")
    seen = Settling(signature(path), since=10.0)
    assert not seen.settled(10.5, 1.0) and seen.settled(11.0, 1.0)
    with path.open("ab") as file:  # still being written
        file.write(b" and the rest")
    assert seen.changed(signature(path), 10.9)
    assert not seen.settled(11.0, 1.0) and seen.settled(11.9, 1.0)
    assert not seen.changed(signature(path), 12.0) and seen.since == 10.9


def test_a_rename_over_the_file_and_its_removal_are_changes(tmp_path: Path) -> None:
    """Excel saves to a temporary file and renames it over: same size, maybe the same time."""
    path = tmp_path / "kpis.xlsx"
    path.write_bytes(b"same")
    first = signature(path)
    temporary = tmp_path / "~$kpis.tmp"
    temporary.write_bytes(b"same")
    os.utime(temporary, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns))
    os.replace(temporary, path)
    assert first is not None and signature(path) not in (None, first)
    path.unlink()
    assert signature(path) is None


def test_a_link_is_judged_by_itself_unless_followed(tmp_path: Path) -> None:
    target = tmp_path / "logo.png"
    target.write_bytes(b"png")
    link = tmp_path / "link.png"
    link.symlink_to(target)
    assert signature(link) != signature(target) == signature(link, follow_symlinks=True)
