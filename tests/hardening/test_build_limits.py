"""Each workbook's build in a child process under a time limit and a memory limit, with real
processes, a real memory cgroup (where one can be made here), real RLIMIT_AS, real signals. A
workbook that runs over, or whose builder dies, fails alone; the others are built, in the order
they were dropped. The poison is a real workbook: 130,000 measurement rows, valid, needing far
more memory and time than an ordinary one."""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from kpireport.build import BuildOptions
from kpireport.cgroups import Cgroup, Unavailable, find_cgroup
from kpireport.cli import main
from kpireport.limits import Limits, confinement
from kpireport.watch import FAILED, PROCESSED, PROCESSING, watch
from tests.conftest import ROOT, valid_sheets, write_workbook

FAST = ("html", "json")


def cgroup_or_skip() -> Cgroup:
    """This process's memory cgroup, when per-build cgroups can be made in it."""
    try:
        return find_cgroup()
    except Exception as exc:
        pytest.skip(f"no memory cgroup can be made here: {exc}")


@pytest.fixture(scope="session")
def poison(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A valid workbook of 130,000 measurements (5 departments x 25 daily KPIs x 4 years):
    ~2.5 s and ~200 MB more than an ordinary one to build, ~120 MB of address space."""
    name = "bench_generate"
    spec = importlib.util.spec_from_file_location(name, ROOT / "bench" / "generate.py")
    assert spec is not None and spec.loader is not None
    module = sys.modules.setdefault(name, importlib.util.module_from_spec(spec))
    spec.loader.exec_module(module)
    path = tmp_path_factory.mktemp("poison") / "big.xlsx"
    module.generate(path, departments=5, kpis=25, daily=1.0, years=4)
    return path


@pytest.fixture
def inbox(tmp_path: Path, poison: Path) -> Path:
    """The poison (big.xlsx) and an ordinary workbook (kpis.xlsx), found at once: the poison is
    built first (files found in the same look are taken in name order)."""
    box = tmp_path / "inbox"
    box.mkdir()
    os.link(poison, box / "big.xlsx")
    write_workbook(box / "kpis.xlsx", valid_sheets())
    return box


def run_watch(inbox: Path, out: Path, limits: Limits) -> tuple[Any, list[str]]:
    lines: list[str] = []
    options = BuildOptions(formats=FAST, jobs=1, limits=limits)
    summary = watch(
        inbox,
        out,
        once=True,
        stable_seconds=0,
        interval=0.05,
        build_options=options,
        log=lines.append,
    )
    return summary, lines


def assert_failed_then_built(inbox: Path, out: Path, code: str, message: str) -> None:
    """The poison in failed/ with ``code`` and ``message``; the ordinary workbook built."""
    failed = inbox / FAILED / "big.xlsx"
    assert failed.exists() and not (inbox / "big.xlsx").exists()
    text = (inbox / FAILED / "big.xlsx.errors.txt").read_text()
    assert message in text, text
    data = json.loads((inbox / FAILED / "big.xlsx.errors.json").read_text())
    assert [i["code"] for i in data["issues"]] == [code]
    assert not (out / "big").exists()  # nothing written for it
    assert (inbox / PROCESSED / "kpis.xlsx").exists()
    assert json.loads((out / "kpis" / "2026-06-30" / "results.json").read_text())["company"] == (
        "Test A/S"
    )
    assert [p for p in os.listdir(inbox / PROCESSING)] == []  # and no count of tries left


def test_over_the_memory_limit_in_a_cgroup(inbox: Path, tmp_path: Path) -> None:
    cgroup_or_skip()
    out = tmp_path / "reports"
    summary, lines = run_watch(inbox, out, Limits(timeout=120, memory=64))
    assert_failed_then_built(
        inbox, out, "build-memory", "The build needed more than 64 MB of memory and was stopped."
    )
    assert re.search(r"under 120 s and 64 MB: a memory cgroup v[12] per build, below /", lines[1])
    claimed = [line for line in lines if line.startswith("claimed ")]
    assert [Path(line.split()[1]).name for line in claimed] == ["big.xlsx", "kpis.xlsx"]
    assert len(summary.failed) == 1 and len(summary.processed) == 1


SCRIPT = """
import sys
from pathlib import Path
from kpireport.build import BuildOptions
from kpireport.limits import Limits, confinement
from kpireport.watch import watch

if __name__ == "__main__":
    options = BuildOptions(formats=("html", "json"), jobs=1, limits=Limits({limits}))
    summary = watch(Path("inbox"), Path("reports"), once=True, stable_seconds=0, interval=0.05,
                    build_options=options, log=lambda line: print(line, file=sys.stderr))
    sys.exit(0 if summary.ok else 1)
"""


def run_script(cwd: Path, limits: str) -> subprocess.CompletedProcess[str]:
    """The watcher in a process of its own (a predictable address space for RLIMIT_AS)."""
    code = textwrap.dedent(SCRIPT.format(limits=limits))
    return subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, timeout=300
    )


def test_over_the_memory_limit_under_rlimit_as(inbox: Path, tmp_path: Path) -> None:
    # forced: RLIMIT_AS even where a cgroup could be made (the fallback, tested everywhere);
    # 170 MB for the builder and its one render worker: 85 MB of address space each, ~37 MB
    # more than an ordinary build maps, ~37 MB less than the poison's (an ordinary build
    # passes from 96 MB, the poison from 250 MB; the builder no longer maps openpyxl and the
    # numpy it imports, 140 MB of address space, which needed 500 MB here)
    proc = run_script(tmp_path, "timeout=120, memory=170, cgroups=False")
    assert proc.returncode == 1, proc.stderr
    assert (
        "under 120 s and 170 MB: RLIMIT_AS of 85 MB for the builder and for each of its 1 render "
        "worker, as no memory cgroup could be made (not asked for)"
    ) in proc.stderr
    assert_failed_then_built(
        inbox,
        tmp_path / "reports",
        "build-memory",
        "The build needed more than 170 MB of memory and was stopped.",
    )


def test_over_the_time_limit(inbox: Path, tmp_path: Path) -> None:
    out = tmp_path / "reports"
    started = time.monotonic()
    summary, _lines = run_watch(inbox, out, Limits(timeout=1, memory=2048))
    assert time.monotonic() - started < 30
    assert_failed_then_built(
        inbox, out, "build-timeout", "The build took longer than 1 s and was stopped."
    )
    assert "--build-timeout SECONDS" in (inbox / FAILED / "big.xlsx.errors.txt").read_text()
    assert not summary.ok


class Watcher:
    """``kpireport watch`` in a process of its own, its log in a file."""

    def __init__(self, cwd: Path, *args: str, wrap: tuple[str, ...] = ()) -> None:
        self.log = cwd / f"watch-{time.monotonic_ns()}.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith("KPIREPORT_")}
        command = [sys.executable, "-m", "kpireport", "watch", "inbox", "--stable-seconds", "0"]
        with open(self.log, "w") as err:
            self.proc = subprocess.Popen(
                [*wrap, *command, "--format", "html,json", *args],
                cwd=cwd,
                env=env,
                stderr=err,
                stdout=subprocess.DEVNULL,
            )

    @property
    def output(self) -> str:
        return self.log.read_text()

    def wait_for(self, text: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.output and time.monotonic() < deadline:
            assert self.proc.poll() is None, self.output
            time.sleep(0.01)
        assert text in self.output, self.output

    def builder(self) -> int:
        """The child process building a workbook (a fork: the same command line)."""
        own = Path(f"/proc/{self.proc.pid}/cmdline").read_bytes()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            for pid in children(self.proc.pid):  # a thread may end while it is read
                with contextlib.suppress(OSError):
                    if Path(f"/proc/{pid}/cmdline").read_bytes() == own:
                        return pid
            time.sleep(0.01)
        raise AssertionError("no builder process")

    def stop(self) -> int:
        try:
            return self.proc.wait(120)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()


@pytest.mark.slow
def test_a_builder_that_dies_fails_its_workbook_alone(inbox: Path, tmp_path: Path) -> None:
    watcher = Watcher(tmp_path, "--once")
    try:
        watcher.wait_for("claimed inbox/big.xlsx")
        os.kill(watcher.builder(), signal.SIGSEGV)  # as a crash in a C library would
        assert watcher.stop() == 1, watcher.output
    finally:
        watcher.stop()
    assert_failed_then_built(
        inbox,
        tmp_path / "reports",
        "build-crashed",
        "The build stopped unexpectedly (killed by SIGSEGV).",
    )


@pytest.mark.slow
def test_a_workbook_that_stopped_the_watcher_twice_is_not_built_a_third_time(
    inbox: Path, tmp_path: Path
) -> None:
    # as under a memory limit that kills the whole service (the old watcher's fate): killed
    # while building the poison, twice
    for attempt in (1, 2):
        watcher = Watcher(tmp_path, "--once")
        try:
            expected = "claimed inbox/big.xlsx" if attempt == 1 else "left by an interrupted"
            watcher.wait_for(expected)
            watcher.builder()  # the build has started
            watcher.proc.kill()
        finally:
            watcher.stop()
        tries = (inbox / PROCESSING / ".big.xlsx.tries").read_text()
        assert tries == f"{attempt}\n"
        assert (inbox / PROCESSING / "big.xlsx").exists()
    watcher = Watcher(tmp_path, "--once")
    assert watcher.stop() == 1, watcher.output
    assert (
        "not built: inbox/processing/big.xlsx was tried 2 times, and the watcher stopped each "
        "time; it is not tried again"
    ) in watcher.output
    assert_failed_then_built(
        inbox,
        tmp_path / "reports",
        "build-abandoned",
        "kpireport stopped twice while building this workbook, so it was not tried again.",
    )


@pytest.mark.parametrize(("tries", "built"), [("1\n", True), ("2\n", False), ("link", True)])
def test_the_count_of_tries_found_at_start(tmp_path: Path, tries: str, built: bool) -> None:
    inbox = tmp_path / "inbox"
    (inbox / PROCESSING).mkdir(parents=True)
    write_workbook(inbox / PROCESSING / "kpis.xlsx", valid_sheets())
    outside = tmp_path / "outside.txt"
    outside.write_text("9\n")
    count = inbox / PROCESSING / ".kpis.xlsx.tries"
    if tries == "link":  # never followed: neither read nor written through
        count.symlink_to(outside)
    else:
        count.write_text(tries)
    out = tmp_path / "reports"
    summary, _lines = run_watch(inbox, out, Limits(timeout=120, memory=2048))
    assert summary.ok is built
    assert (out / "kpis" / "2026-06-30").exists() is built
    assert (inbox / (PROCESSED if built else FAILED) / "kpis.xlsx").exists()
    assert os.listdir(inbox / PROCESSING) == []
    assert outside.read_text() == "9\n"


@pytest.mark.slow
def test_under_a_memory_limit_of_the_whole_service_the_watcher_survives(
    inbox: Path, tmp_path: Path
) -> None:
    """As systemd's MemoryMax= does: the watcher and everything it starts in one memory cgroup,
    too small for the poison. The old watcher built in its own process and was killed at every
    start by the workbook in processing/; later drops were never built."""
    cgroup = cgroup_or_skip()
    # the watcher and an ordinary build fit in 72 MB; the poison needs more than 120 MB (it fits
    # in 128 MB since issue 18's memory and import work), so 96 MB is between them
    service = cgroup.make(f"test-service-{os.getpid()}-{time.monotonic_ns()}", 96 * 2**20)
    try:
        (inbox / PROCESSING).mkdir()
        (inbox / "big.xlsx").rename(inbox / PROCESSING / "big.xlsx")
        join = ("sh", "-c", f'echo $$ > {service}/cgroup.procs && exec "$@"', "sh")
        watcher = Watcher(tmp_path, "--once", wrap=join)  # --build-memory: 2048, the default
        assert watcher.stop() == 1, watcher.output
    finally:
        cgroup.remove(service)  # what is left: the watcher's resource tracker
    assert "found inbox/processing/big.xlsx, left by an interrupted run" in watcher.output
    assert_failed_then_built(
        inbox,
        tmp_path / "reports",
        "build-crashed",
        "The build stopped unexpectedly (killed by the kernel's out-of-memory killer: the "
        "machine, or the service's own memory limit (MemoryMax=), ran out before this build's "
        "limit was reached).",
    )


@pytest.mark.slow
def test_build_fails_the_workbook_over_a_limit_and_builds_the_others(
    poison: Path, tmp_path: Path
) -> None:
    small = write_workbook(tmp_path / "kpis.xlsx", valid_sheets())
    out = tmp_path / "reports"
    args = ["build", str(poison), str(small), "-o", str(out), "--format", "html,json"]
    result = CliRunner().invoke(main, [*args, "--build-timeout", "1"])
    assert result.exit_code == 1, result.output
    assert result.stdout == f"{out / 'kpis' / '2026-06-30'}\n"
    assert f"{poison}: The build took longer than 1 s and was stopped." in result.stderr
    assert f"wrote {out / 'kpis' / '2026-06-30' / 'results.json'}" in result.stderr  # progress
    assert not (out / "poison").exists()


@pytest.mark.slow
def test_the_render_workers_live_inside_the_builders_limits(tmp_path: Path) -> None:
    """The builder starts its own PDF workers: in its process group and its memory cgroup, so
    they are killed with it and their memory counts against its limit."""
    cgroup_or_skip()
    sheets = valid_sheets()
    header = sheets["KPIs"][0]
    sheets["KPIs"][1][header.index("description")] = " ".join(["receivables"] * 6_000)
    workbook = write_workbook(tmp_path / "kpis.xlsx", sheets)
    command = [sys.executable, "-m", "kpireport", "build", str(workbook), "-o", str(tmp_path)]
    build = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # what /proc/PID/cmdline says once the child has run exec (reading it at once can race exec)
    own = "".join(f"{arg}\0" for arg in command).encode()
    seen: dict[int, tuple[int, bytes, int, str]] = {}  # parent, command line, group, cgroup
    try:
        while build.poll() is None:
            for pid in descendants(build.pid):
                with contextlib.suppress(OSError):
                    line = Path(f"/proc/{pid}/cmdline").read_bytes()
                    parent = int(Path(f"/proc/{pid}/stat").read_text().split()[3])
                    group = memory_cgroup(pid)
                    if line and group != "/":  # not a process on its way out
                        # the parent it was started by: once the builder has exited, what it
                        # left is adopted by the command (kpireport/reaper.py) until reaped
                        parent = seen[pid][0] if pid in seen else parent
                        seen[pid] = (parent, line, os.getpgid(pid), group)
            time.sleep(0.005)
    finally:
        build.wait(120)
    assert build.returncode == 0
    # the builder: a fork of the command (same command line) in a build's cgroup (not the
    # cgroup ...-probe, where a first child checks that a process can be moved at all)
    [builder] = [
        pid
        for pid, (parent, line, _pgid, group) in seen.items()
        if parent == build.pid
        and line == own
        and re.search(f"/kpireport-build-{build.pid}-[0-9]+$", group)
    ]
    group = seen[builder][3]
    below = {pid: seen[pid] for pid in descendants_seen(seen, builder)}
    python = [
        pid for pid, (_p, line, _g, _c) in below.items() if line.startswith(sys.executable.encode())
    ]
    assert len(python) >= 2, seen  # its fork server and a render worker at least
    assert {(pgid, cgroup) for _p, _l, pgid, cgroup in below.values()} == {(builder, group)}


def descendants_seen(seen: dict[int, tuple[int, bytes, int, str]], pid: int) -> list[int]:
    """The processes below ``pid`` among those ``seen`` (parent first in each entry)."""
    below = [child for child, entry in seen.items() if entry[0] == pid]
    return below + [grandchild for child in below for grandchild in descendants_seen(seen, child)]


def children(pid: int) -> list[int]:
    """The processes ``pid`` started."""
    with contextlib.suppress(OSError):
        return [
            int(child)
            for task in Path(f"/proc/{pid}/task").iterdir()
            for child in (task / "children").read_text().split()
        ]
    return []


def descendants(pid: int) -> list[int]:
    """Every process below ``pid``."""
    found, todo = [], [pid]
    while todo:
        below = children(todo.pop())
        found += below
        todo += below
    return found


def memory_cgroup(pid: int) -> str:
    """The memory cgroup of ``pid`` (v1's memory line, or v2's)."""
    lines = Path(f"/proc/{pid}/cgroup").read_text().splitlines()
    return next(
        line.split(":", 2)[2] for line in lines if ":memory:" in line or line.startswith("0::")
    )


# --- finding the cgroup: cgroup v2 cannot be had on every machine the tests run on -------------


def fake_proc(tmp_path: Path, cgroup: str, mounts: list[str]) -> Path:
    """A /proc/self with ``cgroup`` and a mountinfo of ``mounts`` (fstype, root, mountpoint,
    super options)."""
    proc = tmp_path / "proc"
    proc.mkdir(parents=True)
    (proc / "cgroup").write_text(cgroup)
    lines = [
        f"{30 + n} 25 0:{n} {root} {point} rw,nosuid - {fstype} cgroup rw,{options}"
        for n, (fstype, root, point, options) in enumerate(m.split() for m in mounts)
    ]
    (proc / "mountinfo").write_text("\n".join(lines) + "\n")
    return proc


def test_cgroup_v2_with_the_memory_controller_delegated(tmp_path: Path) -> None:
    """systemd's Delegate=yes: the service's cgroup offers memory, its children have none yet;
    the watcher moves into a leaf of its own, then switches memory on for the children."""
    unit = tmp_path / "cg" / "system.slice" / "kpireport-watch.service"
    unit.mkdir(parents=True)
    (unit / "cgroup.controllers").write_text("cpu io memory pids\n")
    (unit / "cgroup.subtree_control").write_text("\n")
    proc = fake_proc(
        tmp_path,
        "0::/system.slice/kpireport-watch.service\n",
        [f"cgroup2 / {tmp_path / 'cg'} nsdelegate"],
    )
    cgroup = find_cgroup(proc)
    assert cgroup == Cgroup(2, unit)
    assert (unit / "kpireport-watch" / "cgroup.procs").read_text() == str(os.getpid())
    assert (unit / "cgroup.subtree_control").read_text() == "+memory"


def test_cgroup_v2_without_memory_falls_back_to_v1_then_to_nothing(tmp_path: Path) -> None:
    """A hybrid machine: cgroup v2 mounted without the memory controller, memory on v1."""
    own = tmp_path / "v2" / "user.slice"
    own.mkdir(parents=True)
    (own / "cgroup.controllers").write_text("cpu\n")
    v1 = tmp_path / "memory" / "user.slice"
    v1.mkdir(parents=True)
    v2_mount = f"cgroup2 / {tmp_path / 'v2'} nsdelegate"
    both = [v2_mount, f"cgroup / {tmp_path / 'memory'} memory"]
    assert find_cgroup(fake_proc(tmp_path, "4:memory:/user.slice\n0::/user.slice\n", both)) == (
        Cgroup(1, v1)
    )
    only_v2 = fake_proc(tmp_path / "b", "0::/user.slice\n", [v2_mount])
    with pytest.raises(Unavailable) as caught:
        find_cgroup(only_v2)
    assert str(caught.value) == f"cgroup v2 at {own}: the memory controller is not delegated to it"
    with pytest.raises(Unavailable, match=r"^no cgroup memory controller$"):
        find_cgroup(fake_proc(tmp_path / "c", "1:cpu:/\n", ["cgroup / /sys/fs/cgroup/cpu cpu"]))


def test_the_builder_prints_no_native_backtrace(monkeypatch: pytest.MonkeyPatch) -> None:
    """Under RLIMIT_AS, python-calamine's Rust code panicked out of memory and, with
    RUST_BACKTRACE=1 in the environment, hung while printing the backtrace (its allocation-error
    hook waits for the lock the printing holds): test_over_the_memory_limit_under_rlimit_as ran
    into its 120 s time limit about one run in ten. The builder turns native backtraces off."""
    monkeypatch.setenv("RUST_BACKTRACE", "1")
    jail = confinement(Limits(timeout=60, memory=2048))
    outcome = jail.run(lambda _send: os.environ.get("RUST_BACKTRACE"))
    assert outcome.value == "0"
    assert os.environ["RUST_BACKTRACE"] == "1"  # the watcher's own is left as it is
