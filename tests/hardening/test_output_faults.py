"""Output folders that fail for real: a full disk and a read-only file system (issue 7, point 8).

Each test mounts its own small tmpfs, because only a real file system says "No space left on
device" or "Read-only file system" (root, whom tests often run as, ignores chmod). Mounting needs
root; elsewhere the tests are skipped with that reason. Every mount is unmounted when the test
ends, also when it fails.

The builds run as real processes (``python -m kpireport build``, HTML and JSON, one job) on the
sample workbook; the workbook itself stays outside the small file system. What the user must
see: exit code 1, one line naming the workbook, what failed and the file or folder, no
traceback. What must not happen: a half-written file, a temporary file left behind, or a report
set that was there before changed by the failed build.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest

from kpireport.build import MANIFEST

SAMPLE = Path(__file__).resolve().parents[2] / "sample_workbooks" / "acme-en.xlsx"
DATE = "2026-09-30"  # the sample's report date: its report set is out/acme/2026-09-30
WRITE_FAILED = "The report set could not be written: "

Snapshot = dict[str, bytes]


# --- file systems -------------------------------------------------------------------------------


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(command), capture_output=True, text=True, timeout=60)


@dataclass
class Tmpfs:
    """A tmpfs mounted at ``path`` for one test."""

    path: Path

    def free(self) -> int:
        st = os.statvfs(self.path)
        return st.f_bavail * st.f_frsize

    def fill(self, leave: int = 0) -> Path:
        """Write a filler file until at most ``leave`` bytes are free."""
        filler = self.path / "filler.bin"
        chunk = bytes(4096)
        with filler.open("wb") as fh:
            while self.free() > leave:
                try:
                    fh.write(chunk)
                    fh.flush()
                except OSError as exc:
                    assert exc.errno == errno.ENOSPC, exc
                    break
        assert self.free() <= leave
        return filler

    def remount(self, options: str) -> None:
        proc = _run("mount", "-o", f"remount,{options}", str(self.path))
        assert proc.returncode == 0, proc.stderr


def _unmount(path: Path) -> None:
    if _run("umount", str(path)).returncode != 0:
        _run("umount", "-l", str(path))  # busy: detach it now, free it when the last user goes


def _require_mount() -> None:
    if os.geteuid() != 0:
        pytest.skip("mounting a small file system needs root (as in CI)")
    if not shutil.which("mount"):
        pytest.skip("no mount command")


def _mount_tmpfs(path: Path, size: str) -> None:
    _require_mount()
    path.mkdir()
    proc = _run("mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(path))
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {proc.stderr.strip() or proc.returncode}")


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Tmpfs]:
    """A 20 MB tmpfs: room for the sample's report set (about 400 KB) until it is filled."""
    path = tmp_path / "disk"
    _mount_tmpfs(path, "20m")
    try:
        yield Tmpfs(path)
    finally:
        _unmount(path)


# --- workbooks and builds -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def changed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample with every measurement 1 % higher: every report of its set changes."""
    wb = openpyxl.load_workbook(SAMPLE)
    for row in wb["Measurements"].iter_rows(min_row=2):
        if isinstance(row[2].value, int | float):
            row[2].value = round(row[2].value * 1.01, 2)
    path = tmp_path_factory.mktemp("changed") / "acme.xlsx"
    wb.save(path)
    return path


@pytest.fixture(scope="module")
def new_set(changed: Path, tmp_path_factory: pytest.TempPathFactory) -> Snapshot:
    """The report set of the changed workbook, built where there is room: what a successful
    rebuild writes."""
    out = tmp_path_factory.mktemp("new-set")
    workbook = out / "acme.xlsx"
    shutil.copy(changed, workbook)
    proc = build(workbook, out / "out")
    assert proc.returncode == 0, proc.stderr
    return snapshot(out / "out")


def build(workbook: Path, out: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "kpireport", "build", str(workbook), "-o", str(out)]
    return subprocess.run(
        [*command, "--format", "html,json", "-j", "1"],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "NO_COLOR": "1"},
        stdin=subprocess.DEVNULL,
    )


def previous_set(disk: Tmpfs, tmp_path: Path) -> tuple[Path, Path, Snapshot]:
    """The sample's report set built on ``disk``: (workbook, output folder, snapshot)."""
    workbook = tmp_path / "acme.xlsx"
    shutil.copy(SAMPLE, workbook)
    out = disk.path / "out"
    proc = build(workbook, out)
    assert proc.returncode == 0, proc.stderr
    before = snapshot(out)
    assert f"acme/{DATE}/board-pack.html" in before and f"acme/{DATE}/results.json" in before
    return workbook, out, before


def snapshot(root: Path) -> Snapshot:
    """Every file under ``root`` (relative path -> bytes)."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def failure_line(proc: subprocess.CompletedProcess[str], workbook: Path) -> str:
    """The one line that explains the failure; no traceback anywhere."""
    assert proc.returncode == 1, proc.stdout + proc.stderr
    for text in (proc.stdout, proc.stderr):
        assert "Traceback" not in text and "unexpectedly" not in text, text
    assert proc.stdout == ""  # no report folder to print
    lines = [line for line in proc.stderr.splitlines() if not line.startswith("wrote ")]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith(f"{workbook}: {WRITE_FAILED}"), lines[0]
    return lines[0]


def assert_complete(root: Path) -> None:
    """No temporary file anywhere, and every report whole: HTML up to </html>, JSON parses."""
    temporary = [p for p in root.rglob("*") if p.name.endswith(".tmp")]
    assert temporary == []
    for path in root.rglob("*"):
        if path.suffix == ".html":
            assert path.read_bytes().rstrip().endswith(b"</html>"), f"{path} is cut short"
        elif path.suffix == ".json":
            json.loads(path.read_bytes())


# --- a full disk --------------------------------------------------------------------------------


def test_a_full_disk_is_one_clear_error_and_the_previous_set_survives(
    disk: Tmpfs, changed: Path, tmp_path: Path
) -> None:
    workbook, out, before = previous_set(disk, tmp_path)
    shutil.copy(changed, workbook)
    filler = disk.fill()
    proc = build(workbook, out)
    line = failure_line(proc, workbook)
    assert "No space left on device" in line
    assert f"{out}/acme/{DATE}/" in line  # the file that could not be written
    filler.unlink()
    assert snapshot(out) == before  # byte for byte, the manifest included
    assert_complete(out)
    # with room again, the same command builds the new set
    again = build(workbook, out)
    assert again.returncode == 0, again.stderr
    assert_complete(out)
    assert snapshot(out)[f"acme/{DATE}/board-pack.html"] != before[f"acme/{DATE}/board-pack.html"]


def test_a_disk_that_fills_up_during_the_build_leaves_only_whole_files(
    disk: Tmpfs, changed: Path, new_set: Snapshot, tmp_path: Path
) -> None:
    """Room for a department page, not for the board pack: the build stops when the disk is
    full, and every file in the set is its old version or its new one, whole; the manifest
    says which, so the next build redoes the rest."""
    workbook, out, before = previous_set(disk, tmp_path)
    shutil.copy(changed, workbook)
    folder = f"acme/{DATE}"
    board = len(new_set[f"{folder}/board-pack.html"])
    room = max(len(new_set[f"{folder}/sales.html"]), len(before[f"{folder}/sales.html"])) + 16_384
    assert board > room + 4096, "the sample's board pack no longer outgrows a department page"
    filler = disk.fill(leave=room)
    proc = build(workbook, out)
    line = failure_line(proc, workbook)
    assert "No space left on device" in line
    assert f"{out}/{folder}/" in line
    filler.unlink()
    after = snapshot(out)
    assert_complete(out)
    assert after.keys() == before.keys()
    manifest = json.loads(after[f"{folder}/{MANIFEST}"])
    for name, data in after.items():
        if name.endswith(MANIFEST):
            continue
        assert data in (before[name], new_set.get(name)), f"{name} is neither old nor new"
        if name.startswith(f"{folder}/"):
            recorded = manifest[name.removeprefix(f"{folder}/")]["sha256"]
            assert recorded == hashlib.sha256(data).hexdigest(), name


def test_a_disk_that_fills_up_during_the_build_keeps_the_previous_set_whole(
    disk: Tmpfs, changed: Path, new_set: Snapshot, tmp_path: Path
) -> None:
    workbook, out, before = previous_set(disk, tmp_path)
    shutil.copy(changed, workbook)
    folder = f"acme/{DATE}"
    room = len(new_set[f"{folder}/sales.html"]) + 16_384
    assert len(new_set[f"{folder}/board-pack.html"]) > room + 4096
    filler = disk.fill(leave=room)
    proc = build(workbook, out)
    assert "No space left on device" in failure_line(proc, workbook)
    filler.unlink()
    assert snapshot(out) == before


# --- a read-only output folder ------------------------------------------------------------------


@pytest.fixture
def bind_mount(tmp_path: Path) -> Iterator[Path]:
    """A read-only bind mount of a folder, the way a share is often mounted read-only."""
    source = tmp_path / "source"
    target = tmp_path / "read-only"
    _require_mount()
    source.mkdir()
    target.mkdir()
    proc = _run("mount", "--bind", str(source), str(target))
    if proc.returncode != 0:
        pytest.skip(f"cannot bind-mount here: {proc.stderr.strip()}")
    try:
        proc = _run("mount", "-o", "remount,bind,ro", str(target))
        assert proc.returncode == 0, proc.stderr
        yield target
    finally:
        _unmount(target)


def test_a_read_only_output_folder_is_one_clear_error_and_nothing_is_lost(
    disk: Tmpfs, changed: Path, tmp_path: Path
) -> None:
    workbook, out, before = previous_set(disk, tmp_path)
    shutil.copy(changed, workbook)
    disk.remount("ro")
    proc = build(workbook, out)
    line = failure_line(proc, workbook)
    assert line.startswith(f"{workbook}: {WRITE_FAILED}cannot write in {out}: ")
    assert "Read-only file system" in line
    disk.remount("rw")
    assert snapshot(out) == before
    assert_complete(out)


def test_a_new_output_folder_on_a_read_only_file_system(disk: Tmpfs, tmp_path: Path) -> None:
    workbook = tmp_path / "acme.xlsx"
    shutil.copy(SAMPLE, workbook)
    disk.remount("ro")
    out = disk.path / "reports"
    line = failure_line(build(workbook, out), workbook)
    assert line.startswith(f"{workbook}: {WRITE_FAILED}cannot create {out}: Read-only file system")
    assert not out.exists()


def test_a_read_only_bind_mount_as_output_folder(bind_mount: Path, tmp_path: Path) -> None:
    workbook = tmp_path / "acme.xlsx"
    shutil.copy(SAMPLE, workbook)
    line = failure_line(build(workbook, bind_mount), workbook)
    assert line.startswith(
        f"{workbook}: {WRITE_FAILED}cannot write in {bind_mount}: Read-only file system"
    )
    assert list(bind_mount.iterdir()) == []
