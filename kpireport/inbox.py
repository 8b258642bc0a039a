"""The drop folder's own folders and files, reached only through a descriptor of the inbox folder
and never through a symbolic link.

Anyone who may drop a workbook may also rename, delete or replace what is in the inbox: put a
link where the watcher's lock file or ``processed/`` was, say, to make it truncate or move files
elsewhere. So every folder of the watcher's own is opened relative to the inbox's descriptor with
``O_NOFOLLOW`` each time it is used, every file it creates is created with ``O_EXCL`` or
``O_NOFOLLOW`` relative to its folder's descriptor, and every move is a ``renameat2`` between two
such descriptors that never replaces a file. A link, or a file where a folder should be, is
refused with an error naming it; nothing outside the inbox is ever created, truncated, moved or
deleted.
"""

from __future__ import annotations

import contextlib
import ctypes
import datetime as dt
import errno
import os
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from kpireport.errors import KpiReportError

PROCESSING = "processing"
PROCESSED = "processed"
FAILED = "failed"
FOLDERS = (PROCESSING, PROCESSED, FAILED)
LOCK_FILE = ".kpireport-watch.lock"

_FOLDER_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


class WatchError(KpiReportError):
    """The inbox cannot be watched: it is missing, unwritable, or another watcher has it."""


class Refused(OSError):
    """A folder or file of the watcher's own is a link, or not what it should be."""


class Inbox:
    """The inbox folder, held open: its subfolders and files are reached relative to it."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        try:
            # The inbox itself as the operator names it (it may be a link the operator made).
            self.fd = os.open(self.path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        except (FileNotFoundError, NotADirectoryError):
            raise WatchError(
                f"{self.path} is not a folder: create it, or name the folder to watch"
            ) from None
        except OSError as exc:
            raise WatchError(f"cannot read {self.path}: {exc.strerror or exc}") from None

    def close(self) -> None:
        """Let go of the inbox folder."""
        os.close(self.fd)

    def __enter__(self) -> Inbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def where(self, folder: str | None, name: str = "") -> Path:
        """``INBOX/folder/name``, for messages and for reading a workbook."""
        path = self.path / folder if folder else self.path
        return path / name if name else path

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold ``INBOX/.kpireport-watch.lock`` (see :func:`kpireport.fsutil.locked`)."""
        from kpireport.errors import OutputError
        from kpireport.fsutil import LockHeld, locked

        with contextlib.ExitStack() as held:
            try:
                held.enter_context(locked(self.path, LOCK_FILE, wait=False, dir_fd=self.fd))
            except LockHeld as exc:
                owner = f" (process {exc.holder})" if exc.holder else ""
                raise WatchError(
                    f"{self.path} is already being watched by another kpireport watch{owner}; "
                    "one watcher per inbox. Stop that one first, or watch another folder."
                ) from None
            except OutputError as exc:
                raise WatchError(str(exc)) from None
            yield

    def prepare(self) -> None:
        """Make ``processing/``, ``processed/`` and ``failed/`` where they are missing, and
        refuse to start, making none, when one of them is a link or not a folder."""
        for name in FOLDERS:
            refused = self._refusal(name)
            if refused is not None:
                raise WatchError(
                    f"{refused.filename} {refused.strerror}. Remove it; the watcher makes the "
                    "folder itself."
                )
        for name in FOLDERS:
            try:
                os.close(self.folder(name))
            except OSError as exc:
                what = exc.strerror or exc
                raise WatchError(f"cannot create {self.where(name)}: {what}") from None

    def folder(self, name: str) -> int:
        """A descriptor of ``INBOX/name``, made if missing (someone may have removed it), for
        the caller to close; :class:`Refused` when it is a link or not a folder."""
        with contextlib.suppress(FileExistsError):
            os.mkdir(name, 0o777, dir_fd=self.fd)
        try:
            return os.open(name, _FOLDER_FLAGS, dir_fd=self.fd)
        except OSError as exc:
            raise self._refusal(name) or exc from None

    def _refusal(self, name: str) -> Refused | None:
        """Why ``INBOX/name`` cannot be a folder of ours, or None (it is one, or is missing)."""
        try:
            mode = os.stat(name, dir_fd=self.fd, follow_symlinks=False).st_mode
        except FileNotFoundError:
            return None
        if stat.S_ISLNK(mode):
            reason = "is a symbolic link: the watcher never follows a link for a folder of its own"
            return Refused(errno.ELOOP, reason, str(self.where(name)))
        if not stat.S_ISDIR(mode):
            return Refused(errno.ENOTDIR, "is not a folder", str(self.where(name)))
        return None

    def names(self, folder: str | None = None) -> list[str]:
        """The names in the inbox, or in one of its folders."""
        if folder is None:
            return _listdir(self.fd, self.path)
        fd = self._open(folder)
        try:
            return _listdir(fd, self.where(folder))
        finally:
            os.close(fd)

    def move(self, name: str, src: str | None, dest: str, sidecars: tuple[str, ...] = ()) -> str:
        """Move ``name`` from ``src`` (None: the inbox itself) into ``dest`` under the first of
        :func:`unique_names` that is free, with every ``name + sidecar`` free too; never
        replaces a file. Returns the name it got."""
        src_fd = self.fd if src is None else self._open(src)
        try:
            dest_fd = self.folder(dest)
            try:
                return move_unique(src_fd, name, dest_fd, sidecars)
            finally:
                os.close(dest_fd)
        finally:
            if src is not None:
                os.close(src_fd)

    def write(self, folder: str, name: str, data: bytes) -> None:
        """Write ``folder/name`` atomically (a temporary file, then a rename): a link at
        ``name`` is replaced, never followed, and the temporary file is created new."""
        fd = self._open(folder)
        try:
            write_at(fd, name, data)
        finally:
            os.close(fd)

    def read(self, folder: str, name: str, limit: int = 4096) -> bytes | None:
        """At most ``limit`` bytes of ``folder/name``, or None when it is missing, a link or
        not a regular file."""
        dir_fd = self._open(folder)
        try:
            fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=dir_fd)
        except OSError:
            return None
        finally:
            os.close(dir_fd)
        with os.fdopen(fd, "rb") as fh:
            if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                return None
            return fh.read(limit)

    def remove(self, folder: str, name: str) -> None:
        """Delete ``folder/name`` (the link itself, were it one); no error when it is gone."""
        fd = self._open(folder)
        try:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(name, dir_fd=fd)
        finally:
            os.close(fd)

    def _open(self, folder: str) -> int:
        """A descriptor of an existing folder of ours (not made when missing)."""
        try:
            return os.open(folder, _FOLDER_FLAGS, dir_fd=self.fd)
        except OSError as exc:
            raise self._refusal(folder) or exc from None


def _listdir(fd: int, where: Path) -> list[str]:
    try:
        return os.listdir(fd)
    except FileNotFoundError:
        raise WatchError(f"{where} has disappeared; the watcher stops") from None
    except OSError as exc:
        raise WatchError(f"cannot read {where}: {exc.strerror or exc}") from None


def write_at(dir_fd: int, name: str, data: bytes) -> None:
    """Write ``name`` in the folder ``dir_fd`` through a new temporary file and a rename."""
    import secrets

    tmp = f".{name}.{secrets.token_hex(4)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644, dir_fd=dir_fd)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.rename(tmp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp, dir_fd=dir_fd)
        raise


# --- moving without replacing ------------------------------------------------------------------


def unique_names(name: str, now: dt.datetime | None = None) -> Iterable[str]:
    """``kpis.xlsx``, then ``kpis.2026-11-26T221530.xlsx``, then ``...T221530-2.xlsx`` and on."""
    path = Path(name)
    stamp = (now or dt.datetime.now()).strftime("%Y-%m-%dT%H%M%S")  # no ':' (Windows shares)
    yield name
    yield f"{path.stem}.{stamp}{path.suffix}"
    n = 2
    while True:
        yield f"{path.stem}.{stamp}-{n}{path.suffix}"
        n += 1


def move_unique(
    src_dir: int,
    name: str,
    dest_dir: int,
    sidecars: tuple[str, ...] = (),
    now: dt.datetime | None = None,
) -> str:
    """Move ``name`` from the folder ``src_dir`` into the folder ``dest_dir`` under the first of
    :func:`unique_names` that is free (with every ``name + sidecar`` free too); never replaces
    a file. Returns the name it got."""
    for candidate in unique_names(name, now):
        if any(_exists(dest_dir, candidate + s) for s in sidecars):
            continue
        try:
            rename_noreplace(src_dir, name, dest_dir, candidate)
        except FileExistsError:
            continue
        return candidate
    raise AssertionError("unreachable: unique_names never ends")


def _exists(dir_fd: int, name: str) -> bool:
    try:
        os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return False
    return True


_RENAME_NOREPLACE = 1
try:
    _renameat2: Any = ctypes.CDLL(None, use_errno=True).renameat2
except (AttributeError, OSError):  # not Linux with glibc 2.28+
    _renameat2 = None


def rename_noreplace(src_dir: int, src: str, dest_dir: int, dest: str) -> None:
    """Rename ``src`` in the folder ``src_dir`` to ``dest`` in ``dest_dir``; FileExistsError
    when ``dest`` exists. os.rename would silently replace it, so Linux's
    renameat2(RENAME_NOREPLACE) makes the check and the rename one step."""
    if _renameat2 is not None:
        rc = _renameat2(src_dir, os.fsencode(src), dest_dir, os.fsencode(dest), _RENAME_NOREPLACE)
        if rc == 0:
            return
        err = ctypes.get_errno()
        if err not in (errno.EINVAL, errno.ENOSYS):  # EINVAL: the file system lacks the flag
            raise OSError(err, os.strerror(err), src, None, dest)
    # Check, then rename: only this watcher, holding the inbox lock, moves files here.
    if _exists(dest_dir, dest):
        raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), dest)
    os.rename(src, dest, src_dir_fd=src_dir, dst_dir_fd=dest_dir)
