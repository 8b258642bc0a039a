"""The drop folder: real files written while the watcher looks, real watcher processes that are
stopped, killed and started again; no workbook is ever lost or replaced."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from kpireport.build import BuildOptions
from kpireport.cli import main
from kpireport.inbox import move_unique, rename_noreplace, unique_names
from kpireport.mail import SendOptions
from kpireport.watch import (
    FAILED,
    PROCESSED,
    PROCESSING,
    WatchError,
    WatchSummary,
    watch,
)
from tests.conftest import kpi_row, valid_sheets, write_workbook

FAST = BuildOptions(formats=("html", "json"))
STAMPED = re.compile(r"^kpis\.\d{4}-\d\d-\d\dT\d{6}(-\d+)?\.xlsx$")


def run_watch(inbox: Path, out: Path, **kwargs: Any) -> tuple[WatchSummary, list[str]]:
    """``watch --once`` in this process, with what it logged."""
    lines: list[str] = []
    options = {"once": True, "send": None, "interval": 0.05, "stable_seconds": 0.2}
    options.update(kwargs)
    summary = watch(inbox, out, build_options=FAST, log=lines.append, **options)
    return summary, lines


def results(folder: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((folder / "results.json").read_text())
    return data


def wait_for(condition: Callable[[], Any], timeout: float = 30, every: float = 0.01) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout} s waiting for {condition}")


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    (tmp_path / "inbox").mkdir()
    return tmp_path / "inbox"


# --- in this process ---------------------------------------------------------------------------


@pytest.mark.slow
def test_slow_copy_is_taken_only_once_it_stops_growing(inbox: Path, tmp_path: Path) -> None:
    source = write_workbook(tmp_path / "source.xlsx", valid_sheets())
    data = source.read_bytes()
    target = inbox / "kpis.xlsx"
    chunk = 400
    done_at: list[float] = []

    def copy_slowly(fh: Any) -> None:
        # like a copy over a slow network share: small pieces, pauses shorter than the wait
        for start in range(chunk, len(data), chunk):
            time.sleep(0.12)
            fh.write(data[start : start + chunk])
            fh.flush()
        fh.close()
        done_at.append(time.monotonic())

    fh = open(target, "wb")  # noqa: SIM115 - closed by the copying thread
    fh.write(data[:chunk])
    fh.flush()
    copier = threading.Thread(target=copy_slowly, args=(fh,))
    copier.start()
    lines: list[tuple[float, str]] = []
    summary = watch(
        inbox,
        tmp_path / "reports",
        once=True,
        send=None,
        interval=0.05,
        stable_seconds=1.0,
        build_options=FAST,
        log=lambda line: lines.append((time.monotonic(), line)),
    )
    copier.join()
    assert len(data) // chunk >= 15  # the copy took longer than the wait for stability
    claimed_at = next(t for t, line in lines if line.startswith("claimed"))
    assert claimed_at >= done_at[0] + 0.9
    assert any(line.startswith(f"waiting for {target}: still being written") for _t, line in lines)
    assert summary.ok and summary.processed == [inbox / PROCESSED / "kpis.xlsx"]
    assert (inbox / PROCESSED / "kpis.xlsx").read_bytes() == data
    built = results(tmp_path / "reports" / "kpis" / "2026-06-30")
    assert built["company"] == "Test A/S"
    assert [k["id"] for d in built["departments"] for k in d["kpis"]] == ["SALES-01"]
    assert sorted(os.listdir(inbox)) == [".kpireport-watch.lock", FAILED, PROCESSED, PROCESSING]


def test_once_finishes_its_pass_while_a_file_keeps_growing(inbox: Path, tmp_path: Path) -> None:
    write_workbook(inbox / "kpis.xlsx", valid_sheets())
    growing = inbox / "endless.xlsx"
    done = threading.Event()

    def grow() -> None:
        with open(growing, "wb") as fh:
            while not done.is_set():
                fh.write(b"x" * 100)
                fh.flush()
                time.sleep(0.02)

    writer = threading.Thread(target=grow)
    writer.start()
    stop = threading.Event()
    lines: list[str] = []
    outcome: list[WatchSummary] = []
    kwargs = {"once": True, "send": None, "interval": 0.05, "stable_seconds": 0.1}
    run = threading.Thread(
        target=lambda: outcome.append(
            watch(
                inbox,
                tmp_path / "reports",
                build_options=FAST,
                log=lines.append,
                stop=stop,
                **kwargs,
            )
        )
    )
    started = time.monotonic()
    run.start()
    try:
        run.join(20)
        took = time.monotonic() - started
        assert not run.is_alive(), "watch --once did not finish while a file kept growing"
    finally:
        stop.set()
        run.join()
        done.set()
        writer.join()
    # waited for it 30 times the settling time, then left it for the next run
    assert 3 <= took < 10
    [summary] = outcome
    assert summary.processed == [inbox / PROCESSED / "kpis.xlsx"]
    assert f"left {growing} for the next run: it is still being written" in lines
    assert lines[-1] == "done"
    assert growing.exists() and not (inbox / PROCESSING / growing.name).exists()


def test_bad_workbook_goes_to_failed_with_its_errors_in_its_language(
    inbox: Path, tmp_path: Path
) -> None:
    sheets = valid_sheets()
    sheets["Settings"][3] = ["language", "da"]
    sheets["KPIs"][1] = kpi_row(direction="sideways")
    write_workbook(inbox / "budget.xlsx", sheets)
    (inbox / "broken.xlsx").write_bytes(b"not a zip at all")
    summary, lines = run_watch(inbox, tmp_path / "reports")

    failed = inbox / FAILED
    assert summary.failed == [failed / "broken.xlsx", failed / "budget.xlsx"]
    assert not summary.ok and not summary.processed
    text = (failed / "budget.xlsx.errors.txt").read_text()
    assert text.startswith(f"{failed / 'budget.xlsx'}: ikke gyldig\n")
    assert re.search(r"^  F2 +fejl +'sideways' er ikke en retning\. \[bad-direction\]$", text, re.M)
    assert "Skriv 'højere'" in text and f"læg den i {inbox} igen" in text
    assert "\x1b[" not in text  # no colour codes in a file
    data = json.loads((failed / "budget.xlsx.errors.json").read_text())
    assert data["path"] == str(failed / "budget.xlsx") and data["errors"] == 1
    assert [(i["code"], i["sheet"], i["cell"]) for i in data["issues"]] == [
        ("bad-direction", "KPIs", "F2")
    ]
    broken = (failed / "broken.xlsx.errors.txt").read_text()
    assert "is not an Excel workbook (it is not a zip archive)" in broken
    assert json.loads((failed / "broken.xlsx.errors.json").read_text())["issues"][0]["code"] == (
        "not-zip"
    )
    assert (failed / "broken.xlsx").read_bytes() == b"not a zip at all"
    assert f"the errors are in {failed / 'budget.xlsx.errors.txt'}" in lines
    assert not (tmp_path / "reports" / "budget" / "2026-06-30").exists()


def test_the_log_names_the_first_error_not_a_warning_before_it(inbox: Path, tmp_path: Path) -> None:
    sheets = valid_sheets()
    sheets["Settings"].append(["logo", "missing.png"])  # a warning, in the sheet listed first
    sheets["KPIs"][1] = kpi_row(direction="sideways")
    write_workbook(inbox / "one.xlsx", sheets)
    sheets["KPIs"].append(kpi_row(id="SALES-02", direction="upwards"))
    write_workbook(inbox / "two.xlsx", sheets)
    _summary, lines = run_watch(inbox, tmp_path / "reports")
    processing = inbox / PROCESSING
    assert (
        f"not built: {processing / 'one.xlsx'} has 1 error "
        "(first: KPIs!F2 'sideways' is not a direction.)"
    ) in lines
    assert (
        f"not built: {processing / 'two.xlsx'} has 2 errors "
        "(first: KPIs!F2 'sideways' is not a direction.)"
    ) in lines


def test_same_name_twice_keeps_both_workbooks_and_both_report_sets(
    inbox: Path, tmp_path: Path
) -> None:
    out = tmp_path / "reports"
    first = write_workbook(inbox / "kpis.xlsx", valid_sheets()).read_bytes()
    assert run_watch(inbox, out)[0].ok
    june = out / "kpis" / "2026-06-30"
    june_files = {str(p.relative_to(june)): p.read_bytes() for p in june.rglob("*") if p.is_file()}

    sheets = valid_sheets()
    sheets["Settings"][2] = ["report_date", dt.date(2026, 7, 31)]
    second = write_workbook(inbox / "kpis.xlsx", sheets).read_bytes()
    assert first != second
    summary, _lines = run_watch(inbox, out)

    assert summary.ok and len(summary.processed) == 1
    assert STAMPED.match(summary.processed[0].name), summary.processed[0].name
    kept = {p.name: p.read_bytes() for p in (inbox / PROCESSED).iterdir()}
    assert kept == {"kpis.xlsx": first, summary.processed[0].name: second}
    again = {str(p.relative_to(june)): p.read_bytes() for p in june.rglob("*") if p.is_file()}
    # no report rewritten; its cache of pages is only for a rebuild of June, deleted by July's
    assert again == {k: v for k, v in june_files.items() if not k.startswith(".pages/")}
    assert results(out / "kpis" / "2026-07-31")["report_date"] == "2026-07-31"


def test_a_failed_name_clash_keeps_both_with_their_own_errors(inbox: Path, tmp_path: Path) -> None:
    for content in (b"first", b"second"):
        (inbox / "kpis.xlsx").write_bytes(content)
        run_watch(inbox, tmp_path / "reports")
    names = sorted(os.listdir(inbox / FAILED))
    stamped = next(n for n in names if STAMPED.match(n))
    assert names == sorted(
        f"{name}{extra}"
        for name in ("kpis.xlsx", stamped)
        for extra in ("", ".errors.json", ".errors.txt")
    )
    assert (inbox / FAILED / "kpis.xlsx").read_bytes() == b"first"
    assert (inbox / FAILED / stamped).read_bytes() == b"second"


def test_unique_names_add_a_timestamp_then_a_counter(tmp_path: Path) -> None:
    now = dt.datetime(2026, 11, 26, 22, 15, 30)
    names = unique_names("kpis.xlsx", now)
    assert [next(names) for _ in range(4)] == [
        "kpis.xlsx",
        "kpis.2026-11-26T221530.xlsx",
        "kpis.2026-11-26T221530-2.xlsx",
        "kpis.2026-11-26T221530-3.xlsx",
    ]
    folder = tmp_path / "processed"
    folder.mkdir()
    (folder / "kpis.xlsx").write_text("one")
    (folder / "kpis.2026-11-26T221530.xlsx").write_text("two")
    (folder / "kpis.2026-11-26T221530-2.xlsx.errors.txt").write_text("a report without its file")
    src = tmp_path / "kpis.xlsx"
    src.write_text("three")
    # the watcher moves between folders it holds open (kpireport/inbox.py)
    src_dir, dest_dir = os.open(tmp_path, os.O_RDONLY), os.open(folder, os.O_RDONLY)
    try:
        dest = folder / move_unique(src_dir, src.name, dest_dir, (".errors.txt",), now=now)
    finally:
        os.close(src_dir)
        os.close(dest_dir)
    assert dest.name == "kpis.2026-11-26T221530-3.xlsx" and dest.read_text() == "three"
    assert (folder / "kpis.xlsx").read_text() == "one"
    assert (folder / "kpis.2026-11-26T221530.xlsx").read_text() == "two"
    assert not src.exists()


def test_rename_noreplace_refuses_to_replace(tmp_path: Path) -> None:
    (tmp_path / "a").write_text("a")
    (tmp_path / "b").write_text("b")
    here = os.open(tmp_path, os.O_RDONLY)  # names relative to a folder held open
    try:
        with pytest.raises(FileExistsError):
            rename_noreplace(here, "a", here, "b")
        assert (tmp_path / "a").read_text() == "a" and (tmp_path / "b").read_text() == "b"
        rename_noreplace(here, "a", here, "c")
    finally:
        os.close(here)
    assert (tmp_path / "c").read_text() == "a" and not (tmp_path / "a").exists()


def test_lock_files_hidden_and_temporary_files_and_folders_are_left_alone(
    inbox: Path, tmp_path: Path
) -> None:
    others = {
        "~$kpis.xlsx": "an Excel lock file",
        ".hidden.xlsx": "a hidden file",
        ".~lock.kpis.xlsx#": "a hidden file",
        "kpis.tmp": "a temporary file",
        "kpis.xlsx.part": "a temporary file",
        "kpis.xlsx.crdownload": "a temporary file",
        "notes.txt": "not a workbook (.xlsx or .xlsm)",
    }
    for name in others:
        (inbox / name).write_bytes(b"someone else's " + name.encode())
    (inbox / "sub").mkdir()
    write_workbook(inbox / "sub" / "inner.xlsx", valid_sheets())
    write_workbook(inbox / "kpis.xlsx", valid_sheets())
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in inbox.rglob("*") if p.is_file()}
    del before[inbox / "kpis.xlsx"]

    summary, lines = run_watch(inbox, tmp_path / "reports")

    assert summary.ok and summary.processed == [inbox / PROCESSED / "kpis.xlsx"]
    after = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in before}
    assert after == before
    for name, reason in others.items():
        assert lines.count(f"ignored {inbox / name}: {reason}") == 1
    assert f"ignored {inbox / 'sub'}: a folder" in lines


def test_a_second_watcher_is_refused_while_the_first_runs_until_stopped(
    inbox: Path, tmp_path: Path
) -> None:
    stop = threading.Event()
    lines: list[str] = []
    first = threading.Thread(
        target=watch,
        args=(inbox, tmp_path / "reports"),
        kwargs={"once": False, "send": None, "interval": 0.05, "log": lines.append, "stop": stop},
    )
    first.start()
    try:
        wait_for(lambda: lines)
        with pytest.raises(WatchError, match=f"already being watched .*process {os.getpid()}"):
            run_watch(inbox, tmp_path / "reports")
    finally:
        stop.set()
        first.join(10)
    assert not first.is_alive() and lines[-1] == "stopped"
    assert run_watch(inbox, tmp_path / "reports")[0].ok  # the lock went with its holder


@pytest.mark.slow
def test_send_dry_run_writes_the_messages_instead(inbox: Path, tmp_path: Path) -> None:
    write_workbook(inbox / "kpis.xlsx", valid_sheets())
    lines: list[str] = []
    options = BuildOptions(formats=("pdf", "json"))
    summary = watch(
        inbox,
        tmp_path / "reports",
        once=True,
        send=SendOptions(dry_run=True),
        stable_seconds=0,
        build_options=options,
        log=lines.append,
    )
    assert summary.ok
    folder = tmp_path / "reports" / "kpis" / "2026-06-30"
    [eml] = (folder / "outbox").iterdir()
    message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    assert eml.suffix == ".eml" and message["To"] == "mette@example.com"
    assert f"{folder}: 1 written to the outbox" in lines
    assert not (folder / "sent.json").exists()


def test_cli_templates_go_to_the_build_and_the_mail(no_smtp: Path) -> None:
    (no_smtp / "in").mkdir()
    write_workbook(no_smtp / "in" / "kpis.xlsx", valid_sheets())
    mine = no_smtp / "my-templates"
    mine.mkdir()
    (mine / "department.html").write_text(
        '{% extends "default:department.html" %}\n'
        "{% block summary %}{{ super() }}<p>Figures are unaudited.</p>{% endblock %}\n"
    )
    (mine / "body.txt").write_text("Figures are unaudited: {{ report }}.\n")
    args = ("in", "--once", "--send", "--dry-run", "--format", "pdf,html,json")
    result = invoke(*args, "--templates", str(mine), "--stable-seconds", "0")
    assert result.exit_code == 0, result.output
    folder = no_smtp / "reports" / "kpis" / "2026-06-30"
    assert "<p>Figures are unaudited.</p>" in (folder / "sales.html").read_text()
    [eml] = (folder / "outbox").iterdir()
    message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    body = message.get_body(("plain",))
    assert body is not None and body.get_content() == "Figures are unaudited: Sales.\r\n"

    (mine / "body.txt").write_text("{% if %}\n")  # checked before the inbox is touched
    write_workbook(no_smtp / "in" / "other.xlsx", valid_sheets())
    result = invoke(*args, "--templates", str(mine))
    assert result.exit_code == 2
    assert f"template {mine / 'body.txt'} cannot be used: Expected an expression" in result.stderr
    assert (no_smtp / "in" / "other.xlsx").exists()


def test_missing_inbox_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(WatchError, match="is not a folder"):
        run_watch(tmp_path / "nope", tmp_path / "reports")


# --- the command ------------------------------------------------------------------------------


def invoke(*args: str) -> Any:
    return CliRunner().invoke(main, ["watch", *args], catch_exceptions=False)


@pytest.fixture
def no_smtp(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A working folder without kpireport.toml and an environment without a mail server."""
    for name in list(os.environ):
        if name.startswith("KPIREPORT_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_cli_folders_from_kpireport_toml_and_the_command_line_wins(no_smtp: Path) -> None:
    (no_smtp / "kpireport.toml").write_text('inbox = "drop"\noutput = "out"\n')
    (no_smtp / "drop").mkdir()
    write_workbook(no_smtp / "drop" / "kpis.xlsx", valid_sheets())
    result = invoke("--once", "--format", "html,json", "--stable-seconds", "0")
    assert result.exit_code == 0, result.output
    assert (no_smtp / "out" / "kpis" / "2026-06-30" / "results.json").is_file()
    drop = no_smtp / "drop"  # kpireport.toml's folders are relative to the file
    assert f"moved {drop}/processing/kpis.xlsx -> {drop}/processed/kpis.xlsx" in result.stderr
    assert result.stdout == ""

    write_workbook(no_smtp / "drop" / "other.xlsx", valid_sheets())
    result = invoke("--once", "-o", "elsewhere", "--format", "json", "--stable-seconds", "0")
    assert result.exit_code == 0, result.output
    assert (no_smtp / "elsewhere" / "other" / "2026-06-30" / "results.json").is_file()


def test_cli_build_limits_from_kpireport_toml_and_the_command_line_wins(no_smtp: Path) -> None:
    # 600 MB: the build is a fork of this test process, whose pages count against the limit
    # as soon as they are touched (100 MB failed once a worker had read the presentation PDFs)
    (no_smtp / "kpireport.toml").write_text(
        'inbox = "in"\n[watch]\nbuild_timeout = 30\nbuild_memory = 600\n'
    )
    (no_smtp / "in").mkdir()
    write_workbook(no_smtp / "in" / "kpis.xlsx", valid_sheets())
    result = invoke("--once", "--format", "json", "--stable-seconds", "0")
    assert result.exit_code == 0, result.output
    assert "each workbook is built in a child process, under 30 s and 600 MB: " in result.stderr
    result = invoke("--once", "--build-memory", "800", "--build-timeout", "0.5")
    assert result.exit_code == 0, result.output
    assert "under 0.5 s and 800 MB: " in result.stderr
    (no_smtp / "kpireport.toml").unlink()
    result = invoke("in", "--once")
    assert "under 900 s and 2,048 MB: " in result.stderr  # the defaults


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("build_timeout = 0", "build_timeout must be seconds above 0, not 0"),
        ("build_timeout = true", "build_timeout must be seconds above 0, not True"),
        ("build_memory = 10", "build_memory must be a whole number of MB, at least 32, not 10"),
        ('build_memory = "2G"', "build_memory must be a whole number of MB, at least 32, not '2G'"),
        (
            "speed = 1",
            "unknown [watch] setting speed; the settings are build_memory, build_timeout",
        ),
    ],
)
def test_cli_a_wrong_watch_table_is_an_error(no_smtp: Path, table: str, message: str) -> None:
    (no_smtp / "kpireport.toml").write_text(f"[watch]\n{table}\n")
    (no_smtp / "in").mkdir()
    result = invoke("in", "--once")
    assert result.exit_code == 1
    assert result.stderr == f"Error: {no_smtp / 'kpireport.toml'}: {message}\n"


def test_cli_once_exits_1_when_a_workbook_failed(no_smtp: Path) -> None:
    (no_smtp / "in").mkdir()
    (no_smtp / "in" / "kpis.xlsx").write_bytes(b"")
    result = invoke("in", "--once", "--format", "json", "--stable-seconds", "0")
    assert result.exit_code == 1
    assert "moved in/processing/kpis.xlsx -> in/failed/kpis.xlsx" in result.stderr
    assert "The file is empty" in (no_smtp / "in" / FAILED / "kpis.xlsx.errors.txt").read_text()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "name the INBOX folder, or set inbox in kpireport.toml"),
        (("nope",), "nope is not a folder"),
        (("in", "--dry-run"), "--dry-run goes with --send"),
        (("in", "--send", "--format", "pdf,html"), "keep pdf,json"),
        (("in", "--send"), "no mail server is set"),
        (("in", "--format", "docx"), "'docx' is not a format"),
        (("in", "--build-memory", "16"), "16 is not in the range x>=32"),
        (("in", "--build-timeout", "0"), "0 is not in the range x>0"),
    ],
)
def test_cli_wrong_usage_exits_2(no_smtp: Path, args: tuple[str, ...], message: str) -> None:
    (no_smtp / "in").mkdir()
    result = invoke(*args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert not (no_smtp / "in" / PROCESSING).exists()  # refused before touching the inbox


# --- real watcher processes --------------------------------------------------------------------


class Watcher:
    """``python -m kpireport watch`` in its own process, its messages in a file."""

    count = 0

    def __init__(self, cwd: Path, *args: str, env: dict[str, str] | None = None) -> None:
        Watcher.count += 1
        self.log = cwd / f"watch-{Watcher.count}.log"
        environ = {k: v for k, v in os.environ.items() if not k.startswith("KPIREPORT_")}
        environ.update(NO_COLOR="1", **(env or {}))
        with open(self.log, "w") as err:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "kpireport", "watch", *args],
                cwd=cwd,
                env=environ,
                stdout=subprocess.DEVNULL,
                stderr=err,
            )

    @property
    def output(self) -> str:
        return self.log.read_text()

    def wait_for_line(self, text: str, timeout: float = 30) -> None:
        wait_for(lambda: text in self.output or self.proc.poll() is not None, timeout)
        assert text in self.output, self.output

    def wait(self, timeout: float = 60) -> int:
        try:
            return self.proc.wait(timeout)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture
def watchers() -> Any:
    """Started watchers, killed at the end of the test if still running."""
    started: list[Watcher] = []
    yield started
    for w in started:
        if w.proc.poll() is None:
            w.proc.kill()
            w.proc.wait()


LOOP = ("--interval", "0.1", "--stable-seconds", "0.2")


@pytest.mark.slow
def test_a_second_watcher_exits_1_with_a_clear_message(
    tmp_path: Path, inbox: Path, watchers: list[Watcher]
) -> None:
    first = Watcher(tmp_path, "inbox", *LOOP)
    watchers.append(first)
    first.wait_for_line("watching inbox every 0.1 s")
    second = Watcher(tmp_path, "inbox", "--once")
    watchers.append(second)
    assert second.wait() == 1
    assert second.output == (
        f"Error: inbox is already being watched by another kpireport watch (process "
        f"{first.proc.pid}); one watcher per inbox. Stop that one first, or watch another "
        "folder.\n"
    )
    assert first.proc.poll() is None  # the first one goes on
    first.proc.send_signal(signal.SIGTERM)
    assert first.wait() == 0
    assert first.output.endswith(" stopped\n")


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_the_loop_after_the_workbook_in_hand(
    tmp_path: Path, inbox: Path, watchers: list[Watcher], signum: int
) -> None:
    data = write_workbook(tmp_path / "kpis.xlsx", valid_sheets()).read_bytes()
    watcher = Watcher(tmp_path, "inbox", *LOOP, "--format", "pdf,json")
    watchers.append(watcher)
    watcher.wait_for_line("watching inbox")
    (tmp_path / "kpis.xlsx").rename(inbox / "kpis.xlsx")
    wait_for(lambda: (inbox / PROCESSING / "kpis.xlsx").exists(), every=0.002)
    watcher.proc.send_signal(signum)
    assert watcher.wait() == 0, watcher.output
    name = signal.Signals(signum).name
    assert f"{name}: stopping after the workbook in hand" in watcher.output
    assert (inbox / PROCESSED / "kpis.xlsx").read_bytes() == data
    folder = tmp_path / "reports" / "kpis" / "2026-06-30"
    assert {"board-pack.pdf", "sales.pdf", "results.json"} <= set(os.listdir(folder))
    assert os.listdir(inbox / PROCESSING) == []


@pytest.mark.slow
def test_a_workbook_left_in_processing_by_a_crash_is_built_at_the_next_start(
    tmp_path: Path, inbox: Path, watchers: list[Watcher]
) -> None:
    data = write_workbook(inbox / "kpis.xlsx", valid_sheets()).read_bytes()
    # PDFs make the build long enough to be killed in the middle of it
    crashing = Watcher(tmp_path, "inbox", *LOOP, "--format", "pdf,html,json")
    watchers.append(crashing)
    folder = tmp_path / "reports" / "kpis" / "2026-06-30"
    # killed once the HTML is written (under temporary names, renamed into place only when the
    # PDFs are done too) and while the PDFs are rendered
    wait_for(lambda: folder.is_dir() and any(folder.glob(".results.json.*.tmp")), every=0.002)
    assert (inbox / PROCESSING / "kpis.xlsx").exists() and not (folder / "sales.pdf").exists()
    crashing.proc.kill()
    assert crashing.wait() == -signal.SIGKILL
    # beside it, how often its build was started (issue 12: a workbook that stopped the watcher
    # twice is not built a third time)
    assert sorted(os.listdir(inbox / PROCESSING)) == [".kpis.xlsx.tries", "kpis.xlsx"]
    assert (inbox / PROCESSING / ".kpis.xlsx.tries").read_text() == "1\n"
    assert os.listdir(inbox / PROCESSED) == [] and not (inbox / "kpis.xlsx").exists()

    again = Watcher(tmp_path, "inbox", "--once", "--format", "html,json")
    watchers.append(again)
    assert again.wait() == 0, again.output
    assert "found inbox/processing/kpis.xlsx, left by an interrupted run" in again.output
    assert (inbox / PROCESSED / "kpis.xlsx").read_bytes() == data
    assert os.listdir(inbox / PROCESSING) == []
    assert {"index.html", "sales.html", "board-pack.html", "results.json"} <= set(
        os.listdir(folder)
    )
    assert not [p for p in os.listdir(folder) if p.endswith(".tmp")]
    assert results(folder)["company"] == "Test A/S"


@dataclass
class Mailbox:
    """An SMTP server's handler (aiosmtpd calls handle_DATA) that keeps every message."""

    received: list[tuple[list[str], EmailMessage]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.received.append((list(envelope.rcpt_tos), message))
        return "250 2.0.0 Queued"


@pytest.mark.slow
def test_send_mails_each_report_set_once_after_it_is_built(
    tmp_path: Path, inbox: Path, watchers: list[Watcher]
) -> None:
    from aiosmtpd.controller import Controller

    mailbox = Mailbox()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    smtp = {
        "KPIREPORT_SMTP_HOST": "127.0.0.1",
        "KPIREPORT_SMTP_PORT": str(port),
        "KPIREPORT_SMTP_TLS": "none",
        "KPIREPORT_SMTP_FROM": "reports@example.com",
    }
    try:
        for _drop in range(2):  # the same workbook twice: the second time, nothing new to send
            write_workbook(inbox / "kpis.xlsx", valid_sheets())
            args = ("--once", "--send", "--format", "pdf,json", "--stable-seconds", "0")
            watcher = Watcher(tmp_path, "inbox", *args, env=smtp)
            watchers.append(watcher)
            assert watcher.wait() == 0, watcher.output
    finally:
        controller.stop()
    [(recipients, message)] = mailbox.received
    assert recipients == ["mette@example.com"]
    [attachment] = message.iter_attachments()
    assert attachment.get_filename() == "Test A-S - Sales - 2026-06-30.pdf"  # company, report, date
    assert attachment.get_content().startswith(b"%PDF-")
    assert "reports/kpis/2026-06-30: 1 sent\n" in watchers[0].output
    assert "reports/kpis/2026-06-30: 1 already sent\n" in watchers[1].output
    assert (tmp_path / "reports" / "kpis" / "2026-06-30" / "sent.json").is_file()
    assert watchers[0].output.index("sent") < watchers[0].output.index("moved")
    assert len(os.listdir(inbox / PROCESSED)) == 2
