"""Writing files so that a reader never sees half of one (temporary name, then rename), and the
locks that keep two writers of one folder apart."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import stat
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path, PurePosixPath, PureWindowsPath

from kpireport.errors import OutputError

TEMP_SUFFIX = ".tmp"
LOCK_FILE = ".kpireport.lock"  # the lock of an output folder (see locked)


def inside(root: Path, *parts: str) -> Path:
    """``root/part/...``, checked to stay inside ``root``: a part with a NUL byte, an absolute
    part (``/etc``, ``C:\\x``, ``\\\\server\\share``), a ``..`` component (with ``/`` or ``\\``), or
    one naming no file (empty, ``.``) raises :class:`OutputError`, and so does a path that leaves
    ``root`` through a symbolic link (both are resolved to compare them).

    Returns the path as joined, not resolved, so messages and the folder printed on stdout
    show the output folder as the user typed it (``reports/kpis/2026-06-30``).
    """
    base = Path(root)
    for part in parts:
        text = os.fspath(part)
        reason = _unsafe_part(text)
        if reason:
            raise OutputError(f"refusing to write in {base}: {text!r} {reason}")
    path = base.joinpath(*parts)
    try:
        real_root, real = base.resolve(), path.resolve()
    except (OSError, RuntimeError) as exc:  # RuntimeError: a symbolic link loop (Python < 3.13)
        raise OutputError(f"cannot check {path}: {getattr(exc, 'strerror', None) or exc}") from None
    if not real.is_relative_to(real_root):
        raise OutputError(f"refusing to write {path}: it leads to {real}, outside {real_root}")
    return path


def _unsafe_part(text: str) -> str | None:
    """Why ``text`` cannot be a relative part of an output path, or None."""
    if "\x00" in text:
        return "has a NUL byte"
    # Judged as a Windows path too, so a name from a workbook is refused the same everywhere.
    posix, windows = PurePosixPath(text), PureWindowsPath(text)
    if posix.is_absolute() or windows.drive or windows.root:
        return "is an absolute path"
    if ".." in posix.parts or ".." in windows.parts:
        return "has a '..' component"
    if not posix.parts:
        return "names no file"
    return None


def write_atomic(
    path: Path, data: bytes | str, if_changed: bool = False, sync: bool = True
) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same folder and an atomic
    rename, so an interrupted write leaves the old file (or none), never a partial one.
    ``if_changed``: leave a file that already holds exactly ``data`` alone; ``sync``: see
    :func:`write_temp_pieces`."""
    path = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    if if_changed:
        try:
            if path.read_bytes() == payload:
                return path
        except OSError:
            pass
    tmp = write_temp_pieces(path, [payload], sync)[0]
    put_in_place(tmp, path)
    return path


def write_temp(path: Path, data: bytes | str) -> Path:
    """The first half of :func:`write_atomic`: ``data`` written and synced to a temporary file
    beside ``path``, whose name :func:`remove_temp_files` recognises. Returns that file; put it
    in place with :func:`put_in_place`, or delete it."""
    return write_temp_pieces(path, [data])[0]


def write_temp_pieces(
    path: Path, pieces: Iterable[bytes | str], sync: bool = True
) -> tuple[Path, str]:
    """:func:`write_temp` of the concatenation of ``pieces`` (text as UTF-8), written as they
    come, so that a large file (results.json) is never held whole; and its hex SHA-256.
    ``sync``: on the disk before it is put in place, so that a crash of the machine never
    leaves an empty file where a good one was; a folder thrown away when its process ends (the
    preview's) does without."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TEMP_SUFFIX, dir=path.parent)
    except OSError as exc:
        raise OutputError(f"cannot write in {path.parent}: {exc.strerror or exc}") from None
    digest = hashlib.sha256()
    try:
        with os.fdopen(fd, "wb") as fh:
            for piece in pieces:
                payload = piece.encode("utf-8") if isinstance(piece, str) else piece
                digest.update(payload)
                fh.write(payload)
            fh.flush()
            if sync:
                os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None
        raise
    return Path(tmp), digest.hexdigest()


def put_in_place(tmp: Path, path: Path) -> None:
    """Rename a file from :func:`write_temp` to ``path`` (atomic: the old file or the new)."""
    try:
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None


def remove_temp_files(folder: Path, owned: Callable[[str], bool]) -> int:
    """Remove the temporary files of interrupted writes of the files ``owned`` says are ours
    (a killed build's PDFs, say), leaving others' alone (``kpireport send``'s log). Call it only
    while holding the lock of those files' writer, so no write in progress loses its file."""
    removed = 0
    for tmp in Path(folder).glob(f".*{TEMP_SUFFIX}"):
        # ".<name>.<random>.tmp": the name is everything between the first dot and the random part
        name = tmp.name[1:].rsplit(".", 2)[0]
        if not owned(name):
            continue
        with contextlib.suppress(OSError):
            tmp.unlink()
            removed += 1
    return removed


class LockHeld(OutputError):
    """Another process holds a lock that was not to be waited for."""

    def __init__(self, path: Path, holder: str) -> None:
        super().__init__(f"{path} is held by " + (f"process {holder}" if holder else "another one"))
        self.path = path
        self.holder = holder  # the holder's process id as its lock file records it, or ""


@contextlib.contextmanager
def locked(
    folder: Path, name: str = LOCK_FILE, wait: bool = True, dir_fd: int | None = None
) -> Iterator[None]:
    """Hold ``folder/name`` (the folder and the file created if needed) for the block.

    ``wait``: a second build into the same output folder (or a second sender of one report set)
    waits until the first is done, so the two never interleave their files. Not waiting, a lock
    held elsewhere raises :class:`LockHeld` at once, naming the holder's process id, which the
    file records for that purpose (two watchers of one inbox are refused, not queued). The lock
    goes with the process, so a crash never leaves a stale one.

    ``dir_fd``: ``folder`` held open (the drop folder's inbox), the file opened relative to it.
    The lock file is never followed through a link: a link, a hard link to another file, a
    FIFO or anything else that is not a plain file of its own is refused, never truncated.
    """
    import fcntl

    path = Path(folder) / name
    if dir_fd is None:
        try:
            Path(folder).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"cannot create {folder}: {exc.strerror or exc}") from None
    flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    try:
        fd = os.open(name if dir_fd is not None else path, flags, 0o644, dir_fd=dir_fd)
    except OSError as exc:
        reason = _not_a_lock(path, exc)
        if reason:
            raise OutputError(f"{path} {reason}: refusing to use it as a lock; remove it") from None
        # The folder is there; "cannot create" it would send the user looking in the wrong place.
        raise OutputError(f"cannot write in {folder}: {exc.strerror or exc}") from None
    info = os.fstat(fd)
    reason = (
        "is not a regular file"
        if not stat.S_ISREG(info.st_mode)
        else "has another name (a hard link)"
        if info.st_nlink > 1
        else None
    )
    if reason:
        os.close(fd)
        raise OutputError(f"{path} {reason}: refusing to use it as a lock; remove it")
    with os.fdopen(fd, "r+b") as handle:  # closing the file releases the lock
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = handle.read(32).decode("ascii", "replace").strip()
            raise LockHeld(path, holder if holder.isdigit() else "") from None
        if not wait:
            handle.truncate()
            handle.write(f"{os.getpid()}\n".encode("ascii"))
            handle.flush()
        yield


def _not_a_lock(path: Path, exc: OSError) -> str | None:
    """Why opening the lock file ``path`` failed, when it is a link (O_NOFOLLOW)."""
    return "is a symbolic link" if exc.errno == errno.ELOOP else None
