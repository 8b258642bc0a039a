"""kpireport/fsutil.py: paths kept inside the output folder, writes a reader never sees half of
(a temporary file, then a rename), the clean-up of a killed build's temporary files, and the
folder locks, held against real other processes."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from kpireport.errors import OutputError
from kpireport.fsutil import (
    LOCK_FILE,
    TEMP_SUFFIX,
    LockHeld,
    inside,
    locked,
    put_in_place,
    remove_temp_files,
    write_atomic,
    write_temp,
)

# --- inside() ------------------------------------------------------------------------------------


@pytest.mark.parametrize("position", [0, 1, 2])
@pytest.mark.parametrize(
    ("part", "reason"),
    [
        ("a/b/../../..", "has a '..' component"),
        ("a\\..\\..", "has a '..' component"),
        ("C:", "is an absolute path"),  # drive-relative on Windows
        ("c:/x", "is an absolute path"),
        ("//server/share", "is an absolute path"),
        ("\\\\?\\C:\\x", "is an absolute path"),
        ("/", "is an absolute path"),
        ("./", "names no file"),
        ("./.", "names no file"),
        ("x\x00", "has a NUL byte"),
    ],
)
def test_inside_refuses_an_unsafe_part_wherever_it_stands(
    part: str, reason: str, position: int, tmp_path: Path
) -> None:
    parts = ["kpis", "2026-06-30", "sales.pdf"]
    parts[position] = part
    with pytest.raises(OutputError) as caught:
        inside(tmp_path, *parts)
    assert str(caught.value) == f"refusing to write in {tmp_path}: {part!r} {reason}"


@pytest.mark.parametrize(
    "part", ["...", "..foo", "foo..", "a..b", ".hidden", "~", "$HOME", "Økonomi 2026", "a/./b"]
)
def test_inside_accepts_names_that_only_look_odd(part: str, tmp_path: Path) -> None:
    assert inside(tmp_path, part, "x.html") == tmp_path / part / "x.html"


def test_inside_refuses_a_dangling_link_that_points_outside(tmp_path: Path) -> None:
    # writing through it would create the file outside the output folder
    root = tmp_path / "root"
    root.mkdir()
    (root / "index.html").symlink_to(tmp_path / "elsewhere" / "index.html")
    with pytest.raises(OutputError, match="outside"):
        inside(root, "index.html")
    assert not (tmp_path / "elsewhere").exists()


def test_inside_refuses_a_link_to_a_file_outside(tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("secret")
    (tmp_path / "root").mkdir()
    (tmp_path / "root" / "sales.pdf").symlink_to(tmp_path / "secret.txt")
    with pytest.raises(OutputError) as caught:
        inside(tmp_path / "root", "sales.pdf")
    real_root, real_file = (tmp_path / "root").resolve(), (tmp_path / "secret.txt").resolve()
    assert str(caught.value).endswith(f"it leads to {real_file}, outside {real_root}")


def test_an_output_folder_that_is_itself_a_link_is_fine(tmp_path: Path) -> None:
    (tmp_path / "big-disk").mkdir()
    (tmp_path / "reports").symlink_to(tmp_path / "big-disk")
    assert inside(tmp_path / "reports", "kpis", "sales.pdf") == tmp_path / "reports/kpis/sales.pdf"
    # and one that does not exist yet
    assert inside(tmp_path / "new", "kpis") == tmp_path / "new" / "kpis"


def test_a_link_loop_is_an_output_error_or_a_path_inside(tmp_path: Path) -> None:
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    try:
        path = inside(tmp_path, "loop", "x.html")
    except OutputError as exc:  # Python < 3.13: resolve() raises on a loop
        assert str(exc).startswith(f"cannot check {tmp_path / 'loop' / 'x.html'}: ")
    else:
        assert path == tmp_path / "loop" / "x.html"


# --- write_atomic --------------------------------------------------------------------------------


def temp_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob(f".*{TEMP_SUFFIX}"))


def test_write_atomic_writes_text_as_utf8_and_bytes_as_they_are(tmp_path: Path) -> None:
    text = tmp_path / "out" / "deep" / "index.html"  # the folders are made
    assert write_atomic(text, "Økonomi – 2026 ✓\n") == text
    assert text.read_bytes() == "Økonomi – 2026 ✓\n".encode()
    data = tmp_path / "sales.pdf"
    write_atomic(data, b"%PDF-1.7\r\n\x00\xff")
    assert data.read_bytes() == b"%PDF-1.7\r\n\x00\xff"
    # readable by others (a web server), not the 0600 of a temporary file
    assert text.stat().st_mode & 0o777 == data.stat().st_mode & 0o777 == 0o644
    assert temp_files(tmp_path) == temp_files(text.parent) == []


def test_a_file_is_synced_to_the_disk_unless_told_not_to(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[int] = []
    monkeypatch.setattr(os, "fsync", synced.append)
    write_atomic(tmp_path / "a.html", "a")
    assert len(synced) == 1
    write_atomic(tmp_path / "b.html", "b", sync=False)
    assert len(synced) == 1 and (tmp_path / "b.html").read_text() == "b"


def test_a_reader_of_the_old_file_reads_it_whole(tmp_path: Path) -> None:
    path = tmp_path / "results.csv"
    write_atomic(path, "old " * 1000)
    with path.open("rb") as reader:
        write_atomic(path, "new")
        assert reader.read() == b"old " * 1000  # replaced, not rewritten in place
    assert path.read_text() == "new"


def test_if_changed_leaves_a_file_with_the_same_bytes_alone(tmp_path: Path) -> None:
    path = tmp_path / "index.html"
    write_atomic(path, "Økonomi")
    os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    before = path.stat()
    write_atomic(path, "Økonomi".encode(), if_changed=True)  # the same bytes, given as bytes
    after = path.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, 1_000_000_000)

    write_atomic(path, "Økonomi", if_changed=False)  # without it, always written
    assert path.stat().st_mtime_ns != 1_000_000_000

    write_atomic(path, "Økonomi 2026", if_changed=True)
    assert path.read_text() == "Økonomi 2026"
    write_atomic(tmp_path / "new.html", "x", if_changed=True)  # no file yet
    assert (tmp_path / "new.html").read_text() == "x"
    assert temp_files(tmp_path) == []


@pytest.mark.parametrize("if_changed", [False, True])
def test_a_folder_where_the_file_should_be_is_an_output_error(
    if_changed: bool, tmp_path: Path
) -> None:
    path = tmp_path / "sales.pdf"
    (path / "inner").mkdir(parents=True)
    with pytest.raises(OutputError) as caught:
        write_atomic(path, b"%PDF", if_changed=if_changed)
    assert str(caught.value).startswith(f"cannot write {path}: ")
    assert temp_files(tmp_path) == []  # the temporary file went too
    assert [p.name for p in path.iterdir()] == ["inner"]


def test_a_file_where_the_folder_should_be_is_an_output_error(tmp_path: Path) -> None:
    (tmp_path / "kpis").write_text("a file")
    with pytest.raises(OutputError) as caught:
        write_atomic(tmp_path / "kpis" / "2026-06-30" / "index.html", "x")
    assert str(caught.value).startswith(f"cannot write in {tmp_path / 'kpis' / '2026-06-30'}: ")
    assert (tmp_path / "kpis").read_text() == "a file"


# --- write_temp and put_in_place -----------------------------------------------------------------


def test_a_write_not_put_in_place_leaves_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / "board-pack.pdf"
    path.write_bytes(b"old")
    tmp = write_temp(path, "new")
    assert tmp.parent == tmp_path  # the same folder: the rename cannot cross file systems
    assert tmp.name.startswith(".board-pack.pdf.") and tmp.name.endswith(TEMP_SUFFIX)
    assert (tmp.read_bytes(), path.read_bytes()) == (b"new", b"old")
    assert write_temp(path, "other") != tmp  # two writers of one file never share one
    put_in_place(tmp, path)
    assert path.read_bytes() == b"new"
    assert not tmp.exists()


def test_put_in_place_that_fails_removes_the_temporary_file(tmp_path: Path) -> None:
    path = tmp_path / "index.html"
    (path / "inner").mkdir(parents=True)
    tmp = write_temp(path, "x")
    with pytest.raises(OutputError) as caught:
        put_in_place(tmp, path)
    assert str(caught.value).startswith(f"cannot write {path}: ")
    assert not tmp.exists()


# --- remove_temp_files ---------------------------------------------------------------------------


def test_only_the_temporary_files_of_owned_names_are_removed(tmp_path: Path) -> None:
    ours = [write_temp(tmp_path / n, "x") for n in ("sales.pdf", "a.b.c.html", ".odd.html")]
    theirs = write_temp(tmp_path / "sent.json", "x")  # `kpireport send`'s log
    (tmp_path / "sales.pdf").write_text("the real file")
    (tmp_path / "notes.tmp").write_text("a user's file")
    (tmp_path / ".notes.tmp").write_text("a user's hidden file")
    (tmp_path / f".x.pdf.abcdefgh{TEMP_SUFFIX}").mkdir()  # a folder is never removed
    (tmp_path / "pages").mkdir()
    deeper = write_temp(tmp_path / "pages" / "sales.pdf", "x")  # each folder is asked for
    asked: list[str] = []

    def owned(name: str) -> bool:
        asked.append(name)
        return name.endswith((".pdf", ".html"))

    assert remove_temp_files(tmp_path, owned) == 3
    # each temporary file is judged by the name of the file it was to become
    assert sorted(asked) == sorted(
        [".odd.html", "a.b.c.html", "notes", "sales.pdf", "sent.json", "x.pdf"]
    )
    assert not any(p.exists() for p in ours)
    assert theirs.exists() and deeper.exists()
    assert (tmp_path / "sales.pdf").read_text() == "the real file"
    assert (tmp_path / "notes.tmp").exists() and (tmp_path / ".notes.tmp").exists()
    assert (tmp_path / f".x.pdf.abcdefgh{TEMP_SUFFIX}").is_dir()


def test_no_folder_no_temporary_files(tmp_path: Path) -> None:
    assert remove_temp_files(tmp_path / "missing", lambda name: True) == 0


# --- locked() ------------------------------------------------------------------------------------

# Another process that takes a lock, says so on stdout, and holds it until a line (or the end)
# on its stdin; with a third argument it writes that file inside the block before leaving it.
HOLDER = """
import sys
from pathlib import Path
from kpireport.fsutil import locked

folder, name, wait = Path(sys.argv[1]), sys.argv[2], sys.argv[3] == "wait"
with locked(folder, name, wait=wait):
    print("held", flush=True)
    sys.stdin.readline()
    if len(sys.argv) > 4:
        Path(sys.argv[4]).write_text("the holder's last words")
"""


@contextlib.contextmanager
def other_process(
    folder: Path, name: str = LOCK_FILE, wait: bool = True, last_words: Path | None = None
) -> Iterator[subprocess.Popen[str]]:
    """A process holding ``folder/name`` for the block (or until the test ends it)."""
    args = [sys.executable, "-c", HOLDER, str(folder), name, "wait" if wait else "nowait"]
    proc = subprocess.Popen(
        [*args, *([str(last_words)] if last_words else [])],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdin and proc.stdout
    try:
        assert proc.stdout.readline() == "held\n", proc.communicate(timeout=10)[1]
        yield proc
    finally:
        if proc.poll() is None:
            proc.communicate(timeout=10)  # closes its stdin: it lets go and ends
        assert proc.returncode in (0, -signal.SIGKILL)


def release(proc: subprocess.Popen[str]) -> None:
    """Tell the holder to finish its block, and wait for it to end."""
    proc.communicate("go\n", timeout=10)


def test_not_waiting_another_processs_lock_is_lock_held(tmp_path: Path) -> None:
    # a build's lock records no process id: the message says "another one"
    with other_process(tmp_path), pytest.raises(LockHeld) as caught, locked(tmp_path, wait=False):
        pass
    assert isinstance(caught.value, OutputError)  # callers that catch OutputError catch it
    assert caught.value.holder == ""
    assert caught.value.path == tmp_path / LOCK_FILE
    assert str(caught.value) == f"{tmp_path / LOCK_FILE} is held by another one"
    with locked(tmp_path, wait=False):  # and once that process is done, it is free
        pass


def test_a_holder_that_did_not_wait_is_named_by_its_process_id(tmp_path: Path) -> None:
    with other_process(tmp_path, "watch.lock", wait=False) as proc:
        assert (tmp_path / "watch.lock").read_text() == f"{proc.pid}\n"
        with pytest.raises(LockHeld) as caught, locked(tmp_path, "watch.lock", wait=False):
            pass
    assert caught.value.holder == str(proc.pid)
    assert str(caught.value) == f"{tmp_path / 'watch.lock'} is held by process {proc.pid}"


def test_what_is_no_process_id_in_the_lock_file_is_not_shown(tmp_path: Path) -> None:
    (tmp_path / LOCK_FILE).write_text("rm -rf /\n")
    with other_process(tmp_path), pytest.raises(LockHeld) as caught, locked(tmp_path, wait=False):
        pass
    assert caught.value.holder == ""


def test_waiting_waits_until_the_other_process_is_done(tmp_path: Path) -> None:
    last_words = tmp_path / "last-words.txt"
    acquired = threading.Event()
    seen: list[bool] = []

    def wait_for_it() -> None:
        with locked(tmp_path):
            seen.append(last_words.exists())
            acquired.set()

    with other_process(tmp_path, last_words=last_words) as proc:
        waiter = threading.Thread(target=wait_for_it)
        waiter.start()
        assert not acquired.wait(0.3)
        release(proc)
        assert acquired.wait(10)
        waiter.join(10)
    assert seen == [True]  # the other one's block had ended: the two never interleave


def test_a_killed_holder_leaves_no_stale_lock(tmp_path: Path) -> None:
    with other_process(tmp_path, "watch.lock", wait=False) as proc:
        proc.kill()
        proc.wait(10)
        with locked(tmp_path, "watch.lock", wait=False):
            # the dead process's id is replaced, not added to
            assert (tmp_path / "watch.lock").read_text() == f"{os.getpid()}\n"


def test_the_lock_goes_when_the_block_fails(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), locked(tmp_path, wait=False):
        raise RuntimeError("the build failed")
    with other_process(tmp_path, wait=False) as proc:  # it could take it at once
        release(proc)


def test_locks_of_different_names_in_one_folder_are_apart(tmp_path: Path) -> None:
    with other_process(tmp_path), locked(tmp_path, "watch.lock", wait=False):
        pass


def test_locked_makes_the_folder_and_only_the_lock_file(tmp_path: Path) -> None:
    folder = tmp_path / "reports" / "kpis"
    with locked(folder):
        assert [p.name for p in folder.iterdir()] == [LOCK_FILE]
    assert (folder / LOCK_FILE).read_bytes() == b""


def test_a_folder_that_cannot_be_made_is_an_output_error(tmp_path: Path) -> None:
    (tmp_path / "reports").write_text("a file")
    with pytest.raises(OutputError) as caught, locked(tmp_path / "reports" / "kpis"):
        pass
    assert str(caught.value).startswith(f"cannot create {tmp_path / 'reports' / 'kpis'}: ")
