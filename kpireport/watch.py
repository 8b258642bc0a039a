"""The drop folder: build every workbook that lands in an inbox, and file it away afterwards.

A workbook is taken once it has stopped changing, claimed by an atomic rename into
``INBOX/processing/``, built, then moved to ``INBOX/processed/`` or, with its errors beside it, to
``INBOX/failed/``. Nothing here deletes or replaces a workbook: a name that is taken gets a
timestamp, and a workbook still in ``processing/`` after a crash is built again at the next start.
"""

from __future__ import annotations

import contextlib
import ctypes
import datetime as dt
import errno
import json
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kpireport.errors import KpiReportError
from kpireport.issues import ERROR
from kpireport.workbook.container import EXTENSIONS

if TYPE_CHECKING:
    from kpireport.build import BuildOptions, BuildResult
    from kpireport.config import SmtpConfig
    from kpireport.mail import SendOptions

PROCESSING = "processing"
PROCESSED = "processed"
FAILED = "failed"
LOCK_FILE = ".kpireport-watch.lock"
# Partial downloads and copies (browsers, rsync --partial, office suites): their final name
# appears by a rename once they are complete.
TEMP_SUFFIXES = (".tmp", ".temp", ".part", ".partial", ".crdownload", ".download", ".swp")
ERRORS_TXT = ".errors.txt"
ERRORS_JSON = ".errors.json"
CLAIM_RETRY = 60.0  # seconds before a workbook that could not be claimed is tried again
# With --once, a file still being written is waited for this many times the settling time (a
# minute by default), counted from the start of the run; then it is left for the next run. So a
# file that never stops growing, or new files dropped without end, cannot keep one pass going.
ONCE_PATIENCE = 30

Log = Callable[[str], None]


class WatchError(KpiReportError):
    """The inbox cannot be watched: it is missing, unwritable, or another watcher has it."""


@dataclass
class WatchSummary:
    """What one run of the watcher did."""

    processed: list[Path] = field(default_factory=list)  # where each good workbook went
    failed: list[Path] = field(default_factory=list)  # where each bad workbook went
    problems: int = 0  # workbooks that could not be claimed or moved, reports not (all) sent

    @property
    def ok(self) -> bool:
        return not self.failed and not self.problems


@dataclass
class _Seen:
    """A workbook in the inbox and since when it has not changed."""

    signature: tuple[int, ...]
    since: float  # time.monotonic() when the signature was last different
    order: int  # first seen: workbooks are built in the order they arrived
    growing: bool = False  # "still being written" was logged
    retry_at: float | None = None  # the claim failed: try again then, or when the file changes


def watch(
    inbox: Path,
    out_dir: Path,
    *,
    once: bool,
    send: SendOptions | None = None,
    interval: float = 2.0,
    stable_seconds: float = 2.0,
    build_options: BuildOptions | None = None,
    smtp: SmtpConfig | None = None,
    log: Log,
    stop: threading.Event | None = None,
) -> WatchSummary:
    """Build the workbooks dropped in ``inbox`` into ``out_dir`` until ``stop`` is set (or, with
    ``once``, until every workbook there has been dealt with). ``send``: how to email each
    report set once it is built (None: not at all)."""
    inbox, out_dir = Path(inbox), Path(out_dir)
    stop = stop or threading.Event()
    summary = WatchSummary()
    folders = _prepare(inbox, out_dir)
    with _watch_lock(inbox):
        job = _Job(inbox, out_dir, folders, send, build_options, smtp, log, stop, summary)
        every = "" if once else f" every {interval:g} s"
        log(f"watching {inbox}{every}; report sets go to {out_dir}")
        # Claimed by a run that was killed: complete (claims are renames), so no waiting.
        for path in sorted(_entries(folders[PROCESSING])):
            if stop.is_set():
                break
            if _reason_ignored(path) is None:
                log(f"found {path}, left by an interrupted run: building it again")
                job.process(path)
        _poll(job, once, interval, stable_seconds)
        log("stopped" if stop.is_set() else "done")
    return summary


def _prepare(inbox: Path, out_dir: Path) -> dict[str, Path]:
    if not inbox.is_dir():
        raise WatchError(f"{inbox} is not a folder: create it, or name the folder to watch")
    folders = {name: inbox / name for name in (PROCESSING, PROCESSED, FAILED)}
    try:
        for folder in [*folders.values(), out_dir]:
            folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WatchError(f"cannot create {exc.filename}: {exc.strerror or exc}") from None
    return folders


@contextlib.contextmanager
def _watch_lock(inbox: Path) -> Iterator[None]:
    """Hold ``INBOX/.kpireport-watch.lock`` for the whole run: two watchers would claim the same
    workbooks and race to move them. A second watcher is refused at once, told the first one's
    process id (:func:`kpireport.fsutil.locked`, not waiting)."""
    from kpireport.errors import OutputError
    from kpireport.fsutil import LockHeld, locked

    with contextlib.ExitStack() as held:
        try:
            held.enter_context(locked(inbox, LOCK_FILE, wait=False))
        except LockHeld as exc:
            owner = f" (process {exc.holder})" if exc.holder else ""
            raise WatchError(
                f"{inbox} is already being watched by another kpireport watch{owner}; "
                "one watcher per inbox. Stop that one first, or watch another folder."
            ) from None
        except OutputError as exc:
            raise WatchError(str(exc)) from None
        yield


def _poll(job: _Job, once: bool, interval: float, stable_seconds: float) -> None:
    """Look at the inbox until stopped; with ``once``, until nothing is left to wait for."""
    pending: dict[str, _Seen] = {}
    ignored: dict[str, str] = {}
    arrivals = 0
    give_up = time.monotonic() + ONCE_PATIENCE * stable_seconds
    while not job.stop.is_set():
        now = time.monotonic()
        present = set()
        for path in sorted(_entries(job.inbox)):
            if path.name in job.folders or path.name == LOCK_FILE:
                continue
            present.add(path.name)
            reason = _reason_ignored(path)
            if reason is not None:
                if ignored.get(path.name) != reason:
                    job.log(f"ignored {path}: {reason}")
                ignored[path.name] = reason
                continue
            try:
                st = path.stat(follow_symlinks=False)
            except FileNotFoundError:
                continue
            # ctime too: it changes on every write, and no copying tool can set it back
            signature = (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
            seen = pending.get(path.name)
            if seen is None:
                arrivals += 1
                pending[path.name] = _Seen(signature, now, arrivals)
                job.log(
                    f"found {path} ({st.st_size:,} bytes); taking it once it has not changed "
                    f"for {stable_seconds:g} s"
                )
            elif seen.signature != signature:
                if not seen.growing:
                    job.log(f"waiting for {path}: still being written ({st.st_size:,} bytes)")
                seen.growing = True
                seen.signature, seen.since, seen.retry_at = signature, now, None
        for name in set(pending) - present:
            job.log(f"{job.inbox / name} is gone before it was claimed")
            del pending[name]
        for name in set(ignored) - present:
            del ignored[name]

        ready = sorted(
            (s.order, name)
            for name, s in pending.items()
            if now - s.since >= stable_seconds and now >= (s.retry_at or 0)
        )
        if ready:
            name = ready[0][1]
            if job.claim_and_process(job.inbox / name):
                del pending[name]
            else:
                pending[name].retry_at = now + CLAIM_RETRY
            # One workbook per look: the next one may have been written to while this one was
            # built, so it is looked at again before it is claimed.
            continue
        waiting = [name for name, s in pending.items() if s.retry_at is None]
        if once and (not waiting or now >= give_up):
            for name in sorted(waiting):
                job.log(f"left {job.inbox / name} for the next run: it is still being written")
            break
        # While a workbook is being written, look more often than every interval, so that it
        # is taken soon after it settles.
        _sleep(job.stop, min(interval, 0.25) if waiting else interval)


def _sleep(stop: threading.Event, seconds: float) -> None:
    """Sleep until ``stop`` is set or ``seconds`` have passed. Not stop.wait(): the CLI sets the
    event from a signal handler, which would deadlock if it interrupted wait() in this thread
    while wait() held the event's lock."""
    deadline = time.monotonic() + seconds
    while not stop.is_set():
        left = deadline - time.monotonic()
        if left <= 0:
            return
        time.sleep(min(left, 0.05))


def _entries(folder: Path) -> list[Path]:
    try:
        with os.scandir(folder) as it:
            return [Path(entry.path) for entry in it]
    except FileNotFoundError:
        raise WatchError(f"{folder} has disappeared; the watcher stops") from None
    except OSError as exc:
        raise WatchError(f"cannot read {folder}: {exc.strerror or exc}") from None


def _reason_ignored(path: Path) -> str | None:
    """Why ``path`` is not a workbook to take, or None when it is one."""
    name = path.name
    if path.is_symlink():
        return "a symbolic link"
    if path.is_dir():
        return "a folder"
    if not path.is_file():
        return "not a regular file"
    if name.startswith("~$"):
        return "an Excel lock file"
    if name.startswith("."):
        return "a hidden file"  # also LibreOffice's .~lock.NAME# and rsync's partial copies
    suffix = path.suffix.lower()
    if suffix in TEMP_SUFFIXES or name.endswith("~"):
        return "a temporary file"
    if suffix == ".xls":
        return None  # taken, so that failed/ tells its owner to save it as .xlsx
    if suffix not in EXTENSIONS:
        return "not a workbook (.xlsx or .xlsm)"
    return None


@dataclass
class _Job:
    """What every workbook is done with: where it goes, how it is built and sent."""

    inbox: Path
    out_dir: Path
    folders: dict[str, Path]
    send: SendOptions | None
    build_options: BuildOptions | None
    smtp: SmtpConfig | None
    log: Log
    stop: threading.Event
    summary: WatchSummary

    def claim_and_process(self, path: Path) -> bool:
        """Claim ``path`` and build it; False when it could not be claimed (and is left)."""
        try:
            self.folders[PROCESSING].mkdir(exist_ok=True)  # in case someone removed it
            claimed = move_unique(path, self.folders[PROCESSING])
        except FileNotFoundError:
            if not os.path.lexists(path):
                self.log(f"{path} is gone before it was claimed")
                return True
            self.log(f"error: cannot claim {path}: {self.folders[PROCESSING]} is missing")
            self.summary.problems += 1
            return False
        except OSError as exc:
            self.log(f"error: cannot claim {path}: {exc.strerror or exc}; it is left where it is")
            self.summary.problems += 1
            return False
        self.log(f"claimed {path} -> {claimed}")
        self.process(claimed)
        return True

    def process(self, claimed: Path) -> None:
        """Build a workbook in ``processing/``, send its reports, file it away."""
        from kpireport.build import BuildOptions, build

        try:
            # logos named in the workbook lie in the inbox, where it was dropped, not in processing/
            options = replace(self.build_options or BuildOptions(), assets=self.inbox)
            result = build([claimed], self.out_dir, options)[0]
        except KeyboardInterrupt:
            self.log(f"interrupted: {claimed} stays there and is built again at the next start")
            raise
        except Exception as exc:
            if self.stop.is_set():
                # most likely the build's worker processes were stopped with us
                self.log(
                    f"error: building {claimed} was interrupted ({type(exc).__name__}: {exc}); "
                    "it stays there and is built again at the next start"
                )
                self.summary.problems += 1
                return
            self.log(f"error: building {claimed} failed unexpectedly ({type(exc).__name__}: {exc})")
            self._fail(claimed, None, f"{type(exc).__name__}: {exc}")
            return
        if result.folder is None:  # not result.ok (so written, mypy knows the folder below)
            report = result.report
            # the first error in the order the report lists them: a warning may come before it
            first = next((i for i in report.sorted_issues() if i.severity == ERROR), None)
            where = f"{first.where} " if first and first.sheet and first.cell else ""
            what = f" (first: {where}{first.message()})" if first else ""
            count = len(report.errors)
            self.log(f"not built: {claimed} has {count} error{'' if count == 1 else 's'}{what}")
            if result.validation_page is not None:
                self.log(f"wrote {result.validation_page}")
            self._fail(claimed, result, None)
            return
        warnings = len(result.report.warnings)
        self.log(
            f"built {claimed} -> {result.folder} ({warnings} warning{'' if warnings == 1 else 's'})"
        )
        # Sent before the workbook leaves processing/: a crash while sending builds it again at
        # the next start (nothing new) and sends what is not in sent.json yet.
        if self.send is not None:
            self._send(result.folder, self.send)
        self._file(claimed, PROCESSED)

    def _send(self, folder: Path, options: SendOptions) -> None:
        from kpireport.mail import send_report_set

        try:
            sent = send_report_set(folder, self.smtp, options, log=self.log)
        except KpiReportError as exc:
            self.log(f"error: not sent: {exc}")
            self.summary.problems += 1
            return
        except Exception as exc:  # a watcher serving many workbooks goes on after one failure
            self.log(f"error: sending failed unexpectedly ({type(exc).__name__}: {exc})")
            self.summary.problems += 1
            return
        self.log(sent.summary())
        if not sent.ok:
            self.log(f"error: not everything in {folder} was sent; 'kpireport send' sends the rest")
            self.summary.problems += 1

    def _file(self, claimed: Path, where: str, sidecars: tuple[str, ...] = ()) -> Path | None:
        try:
            self.folders[where].mkdir(exist_ok=True)  # in case someone removed it
            dest = move_unique(claimed, self.folders[where], sidecars)
        except OSError as exc:
            self.log(
                f"error: cannot move {claimed} to {self.folders[where]}: {exc.strerror or exc}; "
                "it stays there and is built again at the next start"
            )
            self.summary.problems += 1
            return None
        self.log(f"moved {claimed} -> {dest}")
        (self.summary.processed if where == PROCESSED else self.summary.failed).append(dest)
        return dest

    def _fail(self, claimed: Path, result: BuildResult | None, crash: str | None) -> None:
        """Move to failed/ and write the readable and the JSON report beside the workbook."""
        dest = self._file(claimed, FAILED, (ERRORS_TXT, ERRORS_JSON))
        if dest is None:
            return
        text, data = _error_files(dest, self.inbox, result, crash)
        from kpireport.fsutil import write_atomic

        try:
            txt = write_atomic(dest.with_name(dest.name + ERRORS_TXT), text)
            write_atomic(dest.with_name(dest.name + ERRORS_JSON), data)
        except KpiReportError as exc:
            self.log(f"error: {exc}")
            self.summary.problems += 1
            return
        self.log(f"the errors are in {txt}")


def _error_files(
    dest: Path, inbox: Path, result: BuildResult | None, crash: str | None
) -> tuple[str, str]:
    """errors.txt (the validation report as in the terminal, in the workbook's language) and
    errors.json (ValidationReport.to_dict()), both naming the workbook where it now is."""
    from kpireport.textreport import render_text

    if result is None:
        message = f"kpireport failed unexpectedly while building this workbook ({crash})."
        hint = "Drop it in the inbox again; if it fails again, please report it."
        text = f"{dest}: {message} {hint}\n"
        data: dict[str, Any] = {
            "path": str(dest),
            "valid": False,
            "errors": 1,
            "warnings": 0,
            "issues": [
                {
                    "code": "internal-error",
                    "severity": "error",
                    "sheet": None,
                    "cell": None,
                    "message": message,
                    "hint": hint,
                }
            ],
        }
    else:
        report = replace(result.report, path=str(dest))
        again = report.locale.gettext("Fix the workbook and drop it in {inbox} again.")
        again = again.format(inbox=inbox)
        text = render_text(report) + "\n\n" + again + "\n"
        data = report.to_dict()
    return text, json.dumps(data, ensure_ascii=False, indent=2) + "\n"


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
    src: Path, folder: Path, sidecars: tuple[str, ...] = (), now: dt.datetime | None = None
) -> Path:
    """Move ``src`` into ``folder`` under the first of :func:`unique_names` that is free (with
    every ``name + sidecar`` free too); never replaces a file."""
    for name in unique_names(src.name, now):
        dest = folder / name
        if any(os.path.lexists(folder / (name + s)) for s in sidecars):
            continue
        try:
            rename_noreplace(src, dest)
        except FileExistsError:
            continue
        return dest
    raise AssertionError("unreachable: unique_names never ends")


_RENAME_NOREPLACE = 1
_AT_FDCWD = -100
try:
    _renameat2: Any = ctypes.CDLL(None, use_errno=True).renameat2
except (AttributeError, OSError):  # not Linux with glibc 2.28+
    _renameat2 = None


def rename_noreplace(src: Path, dest: Path) -> None:
    """Rename ``src`` to ``dest``; FileExistsError when ``dest`` exists. os.rename would silently
    replace it, so Linux's renameat2(RENAME_NOREPLACE) makes the check and the rename one step."""
    if _renameat2 is not None:
        rc = _renameat2(
            _AT_FDCWD, os.fsencode(src), _AT_FDCWD, os.fsencode(dest), _RENAME_NOREPLACE
        )
        if rc == 0:
            return
        err = ctypes.get_errno()
        if err not in (errno.EINVAL, errno.ENOSYS):  # EINVAL: the file system lacks the flag
            raise OSError(err, os.strerror(err), str(src), None, str(dest))
    # Check, then rename: only this watcher, holding the inbox lock, moves files here.
    if os.path.lexists(dest):
        raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(dest))
    os.rename(src, dest)
