"""The drop folder: build every workbook that lands in an inbox, and file it away afterwards.

A workbook is taken once it has stopped changing, claimed by an atomic rename into
``INBOX/processing/``, built, then moved to ``INBOX/processed/`` or, with its errors beside it, to
``INBOX/failed/``. Nothing here deletes or replaces a workbook: a name that is taken gets a
timestamp, and a workbook still in ``processing/`` after a crash is built again at the next start.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kpireport.errors import KpiReportError
from kpireport.inbox import (
    FAILED,
    FOLDERS,
    LOCK_FILE,
    PROCESSED,
    PROCESSING,
    Inbox,
    Refused,
    WatchError,
)
from kpireport.issues import ERROR
from kpireport.settle import Settling, signature
from kpireport.workbook.container import EXTENSIONS

if TYPE_CHECKING:
    from kpireport.build import BuildOptions, BuildResult
    from kpireport.config import SmtpConfig
    from kpireport.mail import SendOptions

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
# In processing/, beside a workbook NAME being built: how often its build was started. One found
# there at the start that was tried MAX_TRIES times already goes to failed/ without a build.
TRIES = ".{name}.tries"
MAX_TRIES = 2

Log = Callable[[str], None]


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
class _Seen(Settling):
    """A workbook in the inbox and since when it has not changed."""

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
    out_dir = Path(out_dir)
    stop = stop or threading.Event()
    summary = WatchSummary()
    with Inbox(Path(inbox)) as box, box.lock():
        box.prepare()
        _check_output(out_dir, box.path)
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise WatchError(f"cannot create {out_dir}: {exc.strerror or exc}") from None
        job = _Job(box, out_dir, send, build_options, smtp, log, stop, summary)
        every = "" if once else f" every {interval:g} s"
        log(f"watching {box.path}{every}; report sets go to {out_dir}")
        if build_options is not None and build_options.limits is not None:
            from kpireport.buildchild import CHILD_PRELOAD
            from kpireport.limits import confinement

            jail = confinement(build_options.limits, CHILD_PRELOAD)
            log(jail.describe(build_options.jobs))
        # Claimed by a run that was killed: complete (claims are renames), so no waiting.
        for name in sorted(box.names(PROCESSING)):
            if stop.is_set():
                break
            path = box.where(PROCESSING, name)
            if _reason_ignored(path) is None:
                log(f"found {path}, left by an interrupted run: building it again")
                job.process(name, again=True)
        _poll(job, once, interval, stable_seconds)
        log("stopped" if stop.is_set() else "done")
    return summary


def _check_output(out_dir: Path, inbox: Path) -> None:
    """Refuse an output folder inside the inbox (judged after resolving links): whoever may drop
    a workbook could rename it away and put a link in its place, or edit the reports."""
    if out_dir.resolve().is_relative_to(inbox.resolve()):
        raise WatchError(
            f"the output folder {out_dir} is inside the inbox {inbox}: anyone who may drop a "
            "workbook could replace the reports, or the folder itself; choose a folder outside "
            "the inbox"
        )


def _poll(job: _Job, once: bool, interval: float, stable_seconds: float) -> None:
    """Look at the inbox until stopped; with ``once``, until nothing is left to wait for."""
    pending: dict[str, _Seen] = {}
    ignored: dict[str, str] = {}
    arrivals = 0
    give_up = time.monotonic() + ONCE_PATIENCE * stable_seconds
    while not job.stop.is_set():
        now = time.monotonic()
        present = set()
        for name in sorted(job.box.names()):
            if name in FOLDERS or name == LOCK_FILE:
                continue
            path = job.box.where(None, name)
            present.add(path.name)
            reason = _reason_ignored(path)
            if reason is not None:
                if ignored.get(path.name) != reason:
                    job.log(f"ignored {path}: {reason}")
                ignored[path.name] = reason
                continue
            sign = signature(path)
            if sign is None:
                continue
            size = sign[1]
            seen = pending.get(path.name)
            if seen is None:
                arrivals += 1
                pending[path.name] = _Seen(sign, now, arrivals)
                job.log(
                    f"found {path} ({size:,} bytes); taking it once it has not changed "
                    f"for {stable_seconds:g} s"
                )
            elif seen.changed(sign, now):
                if not seen.growing:
                    job.log(f"waiting for {path}: still being written ({size:,} bytes)")
                seen.growing = True
                seen.retry_at = None
        for name in set(pending) - present:
            job.log(f"{job.box.where(None, name)} is gone before it was claimed")
            del pending[name]
        for name in set(ignored) - present:
            del ignored[name]

        ready = sorted(
            (s.order, name)
            for name, s in pending.items()
            if s.settled(now, stable_seconds) and now >= (s.retry_at or 0)
        )
        if ready:
            name = ready[0][1]
            if job.claim_and_process(name):
                del pending[name]
            else:
                pending[name].retry_at = now + CLAIM_RETRY
            # One workbook per look: the next one may have been written to while this one was
            # built, so it is looked at again before it is claimed.
            continue
        waiting = [name for name, s in pending.items() if s.retry_at is None]
        if once and (not waiting or now >= give_up):
            for name in sorted(waiting):
                job.log(
                    f"left {job.box.where(None, name)} for the next run: it is still being written"
                )
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

    box: Inbox
    out_dir: Path
    send: SendOptions | None
    build_options: BuildOptions | None
    smtp: SmtpConfig | None
    log: Log
    stop: threading.Event
    summary: WatchSummary

    def claim_and_process(self, name: str) -> bool:
        """Claim ``name`` in the inbox and build it; False when it could not be claimed (and is
        left)."""
        path = self.box.where(None, name)
        try:
            claimed = self.box.move(name, None, PROCESSING)
        except FileNotFoundError:
            self.log(f"{path} is gone before it was claimed")
            return True
        except OSError as exc:
            self.log(f"error: cannot claim {path}: {_why(exc)}; it is left where it is")
            self.summary.problems += 1
            return False
        self.log(f"claimed {path} -> {self.box.where(PROCESSING, claimed)}")
        self.process(claimed)
        return True

    def process(self, name: str, again: bool = False) -> None:
        """Build the workbook ``name`` in ``processing/``, send its reports, file it away.
        ``again``: it was found there at the start, left by a run that stopped."""
        from kpireport.build import BuildOptions, build

        claimed = self.box.where(PROCESSING, name)
        options = self.build_options or BuildOptions()
        tries = self._tries(name) if again else 0
        if tries >= MAX_TRIES:
            self.log(
                f"not built: {claimed} was tried {tries} times, and the watcher stopped each "
                "time; it is not tried again"
            )
            self._fail(name, _abandoned(claimed, options), None)
            return
        try:
            self._count_try(name, tries + 1)
        except OSError as exc:
            self.log(f"error: cannot count the tries of {claimed}: {_why(exc)}")
        try:
            # logos named in the workbook lie in the inbox, where it was dropped, not in processing/
            result = build([claimed], self.out_dir, replace(options, assets=self.box.path))[0]
        except KeyboardInterrupt:
            self.log(f"interrupted: {claimed} stays there and is built again at the next start")
            with contextlib.suppress(OSError):
                self._count_try(name, tries)  # not the workbook's fault
            raise
        except Exception as exc:
            if self.stop.is_set():
                # most likely the build's worker processes were stopped with us
                self.log(
                    f"error: building {claimed} was interrupted ({type(exc).__name__}: {exc}); "
                    "it stays there and is built again at the next start"
                )
                with contextlib.suppress(OSError):
                    self._count_try(name, tries)
                self.summary.problems += 1
                return
            self.log(f"error: building {claimed} failed unexpectedly ({type(exc).__name__}: {exc})")
            self._fail(name, None, f"{type(exc).__name__}: {exc}")
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
            self._fail(name, result, None)
            return
        warnings = len(result.report.warnings)
        self.log(
            f"built {claimed} -> {result.folder} ({warnings} warning{'' if warnings == 1 else 's'})"
        )
        # Sent before the workbook leaves processing/: a crash while sending builds it again at
        # the next start (nothing new) and sends what is not in sent.json yet.
        if self.send is not None:
            self._send(result.folder, self.send)
        self._file(name, PROCESSED)

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

    def _tries(self, name: str) -> int:
        """How often a build of ``processing/name`` was started: its tries file, written
        before each build, so a count that survives the watcher being killed."""
        data = self.box.read(PROCESSING, TRIES.format(name=name))
        text = data.decode("ascii", "replace").strip() if data else ""
        return int(text) if text.isdigit() else 0

    def _count_try(self, name: str, tries: int) -> None:
        if tries:
            self.box.write(PROCESSING, TRIES.format(name=name), f"{tries}\n".encode("ascii"))
        else:
            self.box.remove(PROCESSING, TRIES.format(name=name))

    def _forget_tries(self, name: str) -> None:
        """The workbook has left processing/: so has its count of tries."""
        with contextlib.suppress(OSError):
            self.box.remove(PROCESSING, TRIES.format(name=name))

    def _file(self, name: str, where: str, sidecars: tuple[str, ...] = ()) -> Path | None:
        """Move ``processing/name`` into ``where``; its new path, or None (logged) when it
        could not be moved."""
        claimed = self.box.where(PROCESSING, name)
        try:
            dest = self.box.where(where, self.box.move(name, PROCESSING, where, sidecars))
        except FileNotFoundError:
            self.log(f"error: {claimed} is gone: it was deleted before it could be filed")
            self._forget_tries(name)
            self.summary.problems += 1
            return None
        except OSError as exc:
            self.log(
                f"error: cannot move {claimed} to {self.box.where(where)}: {_why(exc)}; "
                "it stays there and is built again at the next start"
            )
            self.summary.problems += 1
            return None
        self._forget_tries(name)
        self.log(f"moved {claimed} -> {dest}")
        (self.summary.processed if where == PROCESSED else self.summary.failed).append(dest)
        return dest

    def _fail(self, name: str, result: BuildResult | None, crash: str | None) -> None:
        """Move to failed/ and write the readable and the JSON report beside the workbook."""
        dest = self._file(name, FAILED, (ERRORS_TXT, ERRORS_JSON))
        if dest is None:
            return
        text, data = _error_files(dest, self.box.path, result, crash)
        try:
            self.box.write(FAILED, dest.name + ERRORS_TXT, text.encode("utf-8"))
            self.box.write(FAILED, dest.name + ERRORS_JSON, data.encode("utf-8"))
        except OSError as exc:
            self.log(f"error: cannot write the errors of {dest}: {_why(exc)}")
            self.summary.problems += 1
            return
        self.log(f"the errors are in {dest.with_name(dest.name + ERRORS_TXT)}")


def _abandoned(claimed: Path, options: BuildOptions) -> BuildResult:
    """The result of a workbook not built again, after two builds that never ended."""
    from kpireport.build import BuildResult
    from kpireport.i18n import language_code
    from kpireport.issues import Issue, ValidationReport

    issue = Issue("build-abandoned", None, None)
    return BuildResult(
        claimed, ValidationReport(str(claimed), [issue], language_code(options.lang))
    )


def _why(exc: OSError) -> str:
    """What went wrong with a file operation, for the log."""
    if isinstance(exc, Refused):
        return f"{exc.filename} {exc.strerror}"
    return exc.strerror or str(exc)


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
