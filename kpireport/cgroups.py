"""Memory cgroups for builds: where one can be made below the cgroup this process is in (cgroup
v2 with the memory controller delegated, else a writable cgroup v1 memory hierarchy), how to make
one with a limit, whether the kernel stopped a process in it for lack of memory, and how to empty
and remove it. Used by kpireport/limits.py."""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path


class Unavailable(Exception):
    """No memory cgroup can be made here."""


@dataclass(frozen=True)
class Cgroup:
    """Where per-build memory cgroups are made: ``base``, a cgroup of ``version`` 1 or 2."""

    version: int
    base: Path

    def make(self, name: str, limit: int) -> Path:
        """A new cgroup ``name`` whose processes together may use ``limit`` bytes."""
        group = self.base / name
        group.mkdir()
        try:
            if self.version == 2:
                write(group / "memory.max", str(limit))
                # optional: no swapping instead of being stopped; the whole build goes at once
                with contextlib.suppress(OSError):
                    write(group / "memory.swap.max", "0")
                with contextlib.suppress(OSError):
                    write(group / "memory.oom.group", "1")
            else:
                write(group / "memory.limit_in_bytes", str(limit))
                with contextlib.suppress(OSError):  # only with swap accounting
                    write(group / "memory.memsw.limit_in_bytes", str(limit))
        except BaseException:
            self.remove(group)
            raise
        return group

    def oom(self, group: Path) -> str | None:
        """Whether the kernel killed a process of ``group`` for lack of memory: ``"limit"``
        when the group had reached its own limit, ``"outside"`` when a limit above it (the
        service's MemoryMax=) or the machine ran out; None when it killed none."""
        if self.version == 2:
            events = _counters(group / "memory.events")
            killed, reached = events.get("oom_kill", 0), events.get("oom", 0)
        else:
            killed = _counters(group / "memory.oom_control").get("oom_kill", 0)
            # the peak touched the limit (memory.failcnt is not always counted); with swap
            # accounting, the limit may be the memory+swap one
            reached = any(
                0
                < _counters(group / f"{kind}.limit_in_bytes").get("", 0)
                <= _counters(group / f"{kind}.max_usage_in_bytes").get("", 0)
                for kind in ("memory", "memory.memsw")
            )
        if not killed:
            return None
        return "limit" if reached else "outside"

    def kill(self, group: Path) -> None:
        """Kill every process in ``group``, and wait until it is empty."""
        with contextlib.suppress(OSError):
            write(group / "cgroup.kill", "1")  # cgroup v2, Linux 5.14
        for _attempt in range(500):
            try:
                pids = [int(p) for p in (group / "cgroup.procs").read_text().split()]
            except FileNotFoundError:
                return
            if not pids:
                return
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.01)

    def remove(self, group: Path) -> None:
        """Kill what is left in ``group`` and remove it."""
        self.kill(group)
        for _attempt in range(100):
            try:
                group.rmdir()
                return
            except FileNotFoundError:
                return
            except OSError as exc:
                if exc.errno != errno.EBUSY:
                    return
                time.sleep(0.01)  # the last process is still leaving


def _counters(path: Path) -> dict[str, int]:
    """The ``name value`` lines of a cgroup file (a file of one number: under "")."""
    found = {}
    with contextlib.suppress(OSError, ValueError):
        for line in path.read_text().splitlines():
            key, _, value = line.rpartition(" ")
            found[key] = int(value)
    return found


def write(path: Path, text: str) -> None:
    """Write ``text`` to a cgroup file (one write, as the kernel wants)."""
    with open(path, "w") as fh:
        fh.write(text)


def find_cgroup(proc: Path = Path("/proc/self")) -> Cgroup:
    """The cgroup this process is in, as a place to make per-build memory cgroups:
    :class:`Unavailable` (with the reason) when there is none."""
    mounts = _cgroup_mounts(proc / "mountinfo")
    memberships = {}
    for line in (proc / "cgroup").read_text().splitlines():
        _id, controllers, path = line.split(":", 2)
        memberships[controllers] = path
    reasons = []
    if "" in memberships and "cgroup2" in mounts:  # v2, when memory is not bound to v1
        root, mountpoint = mounts["cgroup2"]
        own = mountpoint / os.path.relpath(memberships[""], root)
        try:
            return Cgroup(2, _delegated(own))
        except (Unavailable, OSError) as exc:
            reasons.append(f"cgroup v2 at {own}: {reason(exc)}")
    v1 = next((path for c, path in memberships.items() if "memory" in c.split(",")), None)
    if v1 is not None and "memory" in mounts:
        root, mountpoint = mounts["memory"]
        own = mountpoint / os.path.relpath(v1, root)
        if os.access(own, os.W_OK):
            return Cgroup(1, own)
        reasons.append(f"cgroup v1 at {own}: not writable")
    raise Unavailable("; ".join(reasons) or "no cgroup memory controller")


def _cgroup_mounts(mountinfo: Path) -> dict[str, tuple[str, Path]]:
    """``cgroup2`` and ``memory`` (v1): the part of the hierarchy mounted, and where."""
    found = {}
    for line in mountinfo.read_text().splitlines():
        fields = line.split()
        sep = fields.index("-")
        fstype, options = fields[sep + 1], fields[sep + 3].split(",")
        root, mountpoint = fields[3], Path(fields[4])
        if fstype == "cgroup2" and "cgroup2" not in found:
            found["cgroup2"] = (root, mountpoint)
        elif fstype == "cgroup" and "memory" in options:
            found["memory"] = (root, mountpoint)
    return found


def _delegated(own: Path) -> Path:
    """``own``, a cgroup v2, made ready for children with a memory limit: the memory controller
    must be offered to it, and is switched on for its children."""
    if "memory" not in (own / "cgroup.controllers").read_text().split():
        raise Unavailable("the memory controller is not delegated to it")
    if "memory" not in (own / "cgroup.subtree_control").read_text().split():
        # A v2 cgroup that holds processes cannot switch controllers on for its children ("no
        # internal processes"): this process moves into a leaf of its own first, as systemd's
        # Delegate= expects of a service.
        leaf = own / "kpireport-watch"
        leaf.mkdir(exist_ok=True)
        write(leaf / "cgroup.procs", str(os.getpid()))
        write(own / "cgroup.subtree_control", "+memory")
    return own


def reason(exc: BaseException) -> str:
    """The words of an error, for a log line."""
    return (exc.strerror or str(exc)) if isinstance(exc, OSError) else str(exc)
