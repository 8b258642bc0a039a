"""One workbook's build in a child process, under a wall-clock limit and a memory limit.

The child is a plain fork of the calling process (the watcher, ``kpireport build``), which
imports what a build needs once, before the first child, so a child starts in milliseconds. The
child starts its own render workers, so they are inside its limits too. The memory limit holds
for the child and every process it starts, together:

- a memory cgroup made for each build, below the cgroup this process is in: cgroup v2 where the
  memory controller is delegated to us (systemd's ``Delegate=yes``), else cgroup v1;
- where neither can be made, ``RLIMIT_AS`` on each process, the limit shared out among the
  builder and its render workers (each gets the limit / (workers + 1)).

The parent decides which limit was hit: the time limit by its own clock; the memory limit by
the cgroup's OOM counters (its own limit reached, or a kill from a limit above it), or, under
``RLIMIT_AS``, by how the child ended (a ``MemoryError``, or an abort of a library that could not
allocate). The child ignores SIGINT and SIGTERM (a service stop lets the workbook in hand
finish), sits in a process group of its own, and dies with its parent.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import importlib
import itertools
import os
import pickle
import selectors
import signal
import struct
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar, cast

from kpireport.cgroups import Cgroup, Unavailable, find_cgroup, reason, write

T = TypeVar("T")
Send = Callable[[object], None]  # in the child: a message for the parent (progress)

DEFAULT_TIMEOUT = 900.0  # seconds
DEFAULT_MEMORY = 2048  # MB
MIN_MEMORY = 32  # MB: less cannot even start a build
# Address space one process needs under RLIMIT_AS (Python, pandas, WeasyPrint with Pango):
# render workers are left out rather than given less.
MIN_SHARE = 512  # MB
MB = 2**20
_OUT_OF_MEMORY = 99  # the child's exit code after a MemoryError
OUT_OF_MEMORY_OUTSIDE = (
    "killed by the kernel's out-of-memory killer: the machine, or the service's own memory "
    "limit (MemoryMax=), ran out before this build's limit was reached"
)
_PR_SET_PDEATHSIG = 1
_BUILD_GROUP = "kpireport-build"  # per-build cgroups: kpireport-build-<parent pid>-<n>


@dataclass(frozen=True)
class Limits:
    """How long one workbook's build may take, and how much memory it may use."""

    timeout: float = DEFAULT_TIMEOUT  # seconds, by the parent's clock
    memory: int = DEFAULT_MEMORY  # MB, the builder and its render workers together
    # False: RLIMIT_AS even where a memory cgroup could be made (to test the fallback)
    cgroups: bool = True


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """How a child ended: its value, the limit it hit, or how it died otherwise."""

    value: T | None = None
    limit: str | None = None  # "time" or "memory"
    died: str | None = None  # e.g. "killed by SIGSEGV", when no limit explains it
    error: BaseException | None = None  # raised in the child


class Confinement:
    """Runs functions in child processes under ``limits``; one per process and limits (see
    :func:`confinement`), since finding the cgroup and importing the build's modules is paid
    once."""

    def __init__(self, limits: Limits, preload: Iterable[str] = ()) -> None:
        self.limits = limits
        self.cgroup: Cgroup | None = None
        self.why_not = "not asked for" if not limits.cgroups else ""
        if limits.cgroups:
            try:
                self.cgroup = find_cgroup()
                self._probe(self.cgroup)
            except (Unavailable, OSError) as exc:
                self.cgroup, self.why_not = None, reason(exc)
        # the child resets the fork server it inherits (_own_fork_server): no import there
        for module in ("multiprocessing.forkserver", *preload):
            importlib.import_module(module)
        # The render workers' semaphores are registered with a resource tracker, which
        # removes them when a build is killed before it could: this process's, inherited by
        # every child, outside their limits and the process groups that are killed.
        # It removes them when this process exits, and would warn of "leaked semaphore objects"
        # then: expected of a killed build, so that warning is turned off in the tracker only.
        import sys
        from multiprocessing import resource_tracker

        quiet = "ignore:resource_tracker:UserWarning"
        sys.warnoptions.append(quiet)
        try:
            resource_tracker.ensure_running()
        finally:
            sys.warnoptions.remove(quiet)
        self._names = itertools.count(1)

    def workers(self, jobs: int) -> int:
        """The render workers a build may start: under RLIMIT_AS, only as many as leave each
        process :data:`MIN_SHARE` of the limit."""
        if self.cgroup is not None:
            return jobs
        return max(1, min(jobs, self.limits.memory // MIN_SHARE - 1))

    def describe(self, jobs: int) -> str:
        """Which limits apply, and how, for the log."""
        limits = f"{self.limits.timeout:g} s and {self.limits.memory:,} MB"
        if self.cgroup is not None:
            how = f"a memory cgroup v{self.cgroup.version} per build, below {self.cgroup.base}"
        else:
            workers = self.workers(jobs)
            share = self.limits.memory // (workers + 1)
            how = (
                f"RLIMIT_AS of {share:,} MB for the builder and for each of its {workers} render "
                f"worker{'s' if workers != 1 else ''}, as no memory cgroup could be made "
                f"({self.why_not})"
            )
            mapped = _mapped_mb()
            if share < mapped:
                how += f"; warning: this process alone maps {mapped:,} MB, every build will fail"
        return f"each workbook is built in a child process, under {limits}: {how}"

    def run(
        self,
        func: Callable[[Send], T],
        jobs: int = 1,
        on_message: Callable[[object], None] | None = None,
    ) -> Outcome[T]:
        """``func(send)`` in a child process under the limits, with ``jobs`` render workers in
        mind; what the child passes to ``send`` (progress) reaches ``on_message`` here."""
        group = None
        if self.cgroup is not None:
            name = f"{_BUILD_GROUP}-{os.getpid()}-{next(self._names)}"
            # should the cgroup have gone since the start: RLIMIT_AS for this build
            with contextlib.suppress(OSError):
                group = self.cgroup.make(name, self.limits.memory * MB)
        share = self.limits.memory * MB // (self.workers(jobs) + 1)
        read_end, write_end = os.pipe()
        parent = os.getpid()
        started = time.monotonic()
        pid = _fork(lambda: _serve(func, write_end, parent, group, share, read_end))
        os.close(write_end)
        with contextlib.suppress(OSError):
            os.setpgid(pid, pid)  # as the child does: whichever runs first
        reaped = False
        try:
            last, status = self._wait(pid, read_end, started, on_message or (lambda m: None))
            reaped = True
            return self._outcome(last, status, group)
        finally:
            os.close(read_end)
            if not reaped:  # interrupted (a second Ctrl-C): the build goes too
                _kill_tree(pid)
                os.waitpid(pid, 0)
            if group is not None and self.cgroup is not None:
                self.cgroup.remove(group)

    def _wait(
        self, pid: int, pipe: int, started: float, on_message: Callable[[object], None]
    ) -> tuple[tuple[str, object] | None, int | None]:
        """The child's last frame (its value, or what it raised), and its wait status (None:
        stopped at the time limit); its messages go to ``on_message`` as they come."""
        frames = _Frames()
        last: tuple[str, object] | None = None

        def take(data: bytes) -> None:
            nonlocal last
            for kind, obj in frames.feed(data):
                if kind == "message":
                    on_message(obj)
                else:
                    last = (kind, obj)

        with _Exit(pid) as exited, selectors.DefaultSelector() as sel:
            sel.register(pipe, selectors.EVENT_READ)
            exited.register(sel)
            while not exited.done():
                left = started + self.limits.timeout - time.monotonic()
                if left <= 0:
                    _kill_tree(pid)
                    os.waitpid(pid, 0)
                    return None, None
                ready = {key.fd for key, _events in sel.select(min(left, exited.tick))}
                if pipe in ready:
                    data = os.read(pipe, 1 << 20)
                    take(data)
                    if not data:
                        sel.unregister(pipe)
        os.set_blocking(pipe, False)
        with contextlib.suppress(BlockingIOError):
            while data := os.read(pipe, 1 << 20):
                take(data)
        # exited: swept of what it left (a fork server) before its pid can be reused
        _kill_tree(pid)
        return last, os.waitpid(pid, 0)[1]

    def _outcome(
        self, last: tuple[str, object] | None, status: int | None, group: Path | None
    ) -> Outcome[T]:
        """The parent's verdict on how the child ended."""
        if status is None:
            return Outcome(limit="time")
        if last is not None and last[0] == "raised":
            assert isinstance(last[1], BaseException)
            return Outcome(error=last[1])
        value = cast(T, last[1]) if last is not None else None
        oom = self.cgroup.oom(group) if group is not None and self.cgroup is not None else None
        if oom == "limit":
            return Outcome(value, limit="memory")
        if value is not None:
            return Outcome(value)
        if os.WIFEXITED(status) and os.WEXITSTATUS(status) == _OUT_OF_MEMORY:
            return Outcome(limit="memory")  # RLIMIT_AS
        if os.WIFSIGNALED(status):
            sig = os.WTERMSIG(status)
            if sig == signal.SIGABRT and group is None:
                # RLIMIT_AS: how Rust (calamine) and C++ libraries end when an allocation fails
                return Outcome(limit="memory")
            if oom == "outside" or (sig == signal.SIGKILL and group is None):
                # not this build's limit (RLIMIT_AS never kills): the kernel's OOM killer
                return Outcome(died=OUT_OF_MEMORY_OUTSIDE)
            return Outcome(died=f"killed by {signal.Signals(sig).name}")
        return Outcome(died=f"exit code {os.WEXITSTATUS(status)}")

    def _probe(self, cgroup: Cgroup) -> None:
        """Make a cgroup and put a child in it, as every build will: OSError when it fails."""
        group = cgroup.make(f"{_BUILD_GROUP}-{os.getpid()}-probe", 64 * MB)

        def join() -> None:
            write(group / "cgroup.procs", str(os.getpid()))
            os._exit(0)

        try:
            if os.waitpid(_fork(join), 0)[1] != 0:
                raise Unavailable(f"a process cannot be moved into {group}")
        finally:
            cgroup.remove(group)


class _Exit:
    """Tells when a child has exited, without reaping it (so its process group cannot be
    reused before it is swept): a pidfd where the kernel has them (Linux 5.3), else a look
    every ``tick`` seconds."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.fd: int | None = None
        with contextlib.suppress(AttributeError, OSError):
            self.fd = os.pidfd_open(pid)
        self.tick = 3600.0 if self.fd is not None else 0.05

    def register(self, sel: selectors.BaseSelector) -> None:
        """Have ``sel`` wake up when the child exits (with a pidfd)."""
        if self.fd is not None:
            sel.register(self.fd, selectors.EVENT_READ)

    def done(self) -> bool:
        """Whether the child has exited (it is not reaped)."""
        info = os.waitid(os.P_PID, self.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        return info is not None

    def __enter__(self) -> _Exit:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.fd is not None:
            os.close(self.fd)


def _fork(child: Callable[[], object]) -> int:
    """Fork; the child runs ``child``, which must end it with os._exit. Whatever happens in
    it, the child never returns into the parent's code."""
    pid = os.fork()
    if pid == 0:
        try:
            child()
        finally:
            os._exit(70)
    return pid


def _enter(parent: int, group: Path | None, share: int, close: int) -> None:
    """The child's first steps: into its limits, out of reach of the signals meant for its
    parent, bound to die with it."""
    # First, before anything allocates: the limit.
    if group is not None:
        write(group / "cgroup.procs", str(os.getpid()))
    else:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (share, share))
    # Ctrl-C and a service stop are for the parent: it lets the build finish, or kills it. A
    # handler that does nothing, not SIG_IGN: that would pass on through exec to the render
    # workers, and a worker the pool stops while it starts would then not stop.
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, _ignore)
    with contextlib.suppress(OSError):
        os.setpgid(0, 0)  # the parent kills the build's processes as one group
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before that
        os._exit(70)
    # Under a memory limit of the whole service (systemd's MemoryMax=), the kernel's OOM killer
    # takes the build, not the watcher.
    with contextlib.suppress(OSError):
        write(Path("/proc/self/oom_score_adj"), "1000")
    # A native library's panic (python-calamine's Rust, out of memory under RLIMIT_AS) prints a
    # backtrace when RUST_BACKTRACE is set; symbolizing it allocates, fails, and Rust's
    # allocation-error hook then waits for the backtrace lock it holds: the build hung until
    # the time limit (about one run in ten). Without a backtrace the panic ends the build.
    os.environ["RUST_BACKTRACE"] = "0"
    os.close(close)  # the parent's end of the pipe: EOF must mean this child is done
    _own_fork_server()


def _ignore(signum: int, frame: object) -> None:
    """A signal the builder does not act on (see :func:`_enter`)."""


def _mapped_mb() -> int:
    """The address space this process maps (what RLIMIT_AS limits), in MB."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmSize:"):
                return int(line.split()[1]) // 1024
    return 0


def _own_fork_server() -> None:
    """The build's render workers must come from a fork server the child starts, inside its
    limits. One the parent started (a process that rendered in-process before) is not the
    child's: forgotten, so the child starts its own."""
    from multiprocessing import forkserver

    server = getattr(forkserver, "_forkserver")  # noqa: B009 - private, no public way to reset
    if server._forkserver_pid is not None:
        with contextlib.suppress(OSError):
            os.close(server._forkserver_alive_fd)
        server._forkserver_address = None
        server._forkserver_alive_fd = None
        server._forkserver_pid = None


def _serve(
    func: Callable[[Send], T],
    pipe: int,
    parent: int,
    group: Path | None,
    share: int,
    close: int,
) -> None:
    """In the child: enter the limits, run ``func`` and send the parent its value, or the
    exception it raised; exit."""
    import sys
    import traceback

    def send(kind: str, obj: object) -> None:
        try:
            payload = pickle.dumps((kind, obj))
        except Exception:  # an exception that cannot be pickled: its text
            payload = pickle.dumps((kind, RuntimeError(f"{type(obj).__name__}: {obj}")))
        view = memoryview(_HEADER.pack(len(payload)) + payload)
        while view:
            view = view[os.write(pipe, view) :]

    try:
        _enter(parent, group, share, close)
        try:
            send("value", func(lambda message: send("message", message)))
        except MemoryError:
            raise
        except Exception as exc:
            send("raised", exc)
    except MemoryError:
        os._exit(_OUT_OF_MEMORY)
    except BaseException:
        traceback.print_exc()  # a bug in kpireport: left for the log
        os._exit(70)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(0)


_HEADER = struct.Struct(">Q")  # the length of each frame's pickle


class _Frames:
    """The frames the child writes: a length, then a pickled ``(kind, object)``."""

    def __init__(self) -> None:
        self.buffer = bytearray()

    def feed(self, data: bytes) -> list[tuple[str, object]]:
        """The frames ``data`` completes."""
        self.buffer += data
        out = []
        while len(self.buffer) >= _HEADER.size:
            (size,) = _HEADER.unpack_from(self.buffer)
            end = _HEADER.size + size
            if len(self.buffer) < end:
                break
            out.append(pickle.loads(self.buffer[_HEADER.size : end]))
            del self.buffer[:end]
        return out


def _kill_tree(pid: int) -> None:
    """SIGKILL to the child and its process group: the builder, its fork server and workers."""
    for kill in (os.killpg, os.kill):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            kill(pid, signal.SIGKILL)


@functools.cache
def confinement(limits: Limits, preload: tuple[str, ...] = ()) -> Confinement:
    """The :class:`Confinement` of ``limits`` in this process, made once."""
    return Confinement(limits, preload)
