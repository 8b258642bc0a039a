"""No process of a command outlives it: ``kpireport build`` starts helper processes (the build
child under its limits, the PDF workers' fork servers and workers, the resource tracker that
removes their semaphores after a killed build), and each stops by itself once it notices its
parent gone, which can take a moment: a fork server in the middle of its preload notices only
after it. :func:`install` makes this process the one that inherits every orphaned descendant
(Linux's child subreaper), and at exit stops the fork server and resource tracker this process
started and waits for every descendant to end, killing what is still running after
:data:`GRACE` seconds.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import os
import signal
import sys
import time

GRACE = 10.0  # seconds the descendants have to stop by themselves at exit
PR_SET_CHILD_SUBREAPER = 36


def install() -> None:
    """Adopt orphaned descendants and reap them all at exit (Linux; elsewhere nothing)."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0:
            atexit.register(reap)


def stop_helpers() -> None:
    """Stop this process's fork server (terminated: it holds nothing worth a clean stop) and
    its resource tracker, and wait for both. ``_stop`` is the standard library's own way (its
    tests use it; kpireport/limits.py also reaches into this private state, for want of a
    public way); where it is missing, they stop by themselves."""
    from multiprocessing import forkserver, resource_tracker

    server = getattr(forkserver, "_forkserver", None)
    pid = getattr(server, "_forkserver_pid", None)
    if pid is not None:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGTERM)
    # the resource tracker stops once no process holds its pipe: this one's end is the last
    tracker = getattr(resource_tracker, "_resource_tracker", None)
    for helper in (server, tracker):
        stop = getattr(helper, "_stop", None)
        if stop is not None:
            with contextlib.suppress(OSError, ChildProcessError):
                stop()


def reap(grace: float = GRACE) -> None:
    """Stop the helpers, then wait for every child (adopted ones included) to end; after
    ``grace`` seconds, kill what is left, and give up waiting ``grace`` seconds later (a
    process stuck in the kernel cannot be killed, and the command must still end)."""
    stop_helpers()
    deadline = time.monotonic() + grace
    killed = False
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return  # no child left
        if pid:
            continue
        if time.monotonic() > deadline:
            if killed:
                return
            _kill_children()
            killed = True
            deadline = time.monotonic() + grace
        time.sleep(0.01)


def _kill_children() -> None:
    """SIGKILL every live child of this process."""
    me = str(os.getpid())
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as stat:
                parent = stat.read().rsplit(")", 1)[1].split()[1]
        except (OSError, IndexError):
            continue
        if parent == me:
            with contextlib.suppress(OSError):
                os.kill(int(entry), signal.SIGKILL)
