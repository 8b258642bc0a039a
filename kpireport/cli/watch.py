"""``kpireport watch``: the drop folder."""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from typing import Any

import click

from kpireport.cli.common import (
    CONTEXT,
    check_templates,
    formats_option,
    handle_errors,
    limit_options,
    parse_formats,
    templates_option,
)
from kpireport.printable import printable


@click.command("watch", context_settings=CONTEXT)
@click.argument("inbox", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for the report sets [default: output in kpireport.toml, else reports].",
)
@click.option("--once", is_flag=True, help="Deal with the workbooks there now, then exit.")
@click.option("--send", is_flag=True, help="Email each report set after it is built.")
@click.option(
    "--dry-run",
    is_flag=True,
    help="With --send: write the messages as .eml files into each report folder's outbox/ "
    "instead of sending them.",
)
@click.option(
    "--interval",
    type=click.FloatRange(min=0.1),
    default=2.0,
    show_default=True,
    metavar="SECONDS",
    help="How often to look in INBOX.",
)
@formats_option
@templates_option
@limit_options("{key} in kpireport.toml, else ")
# How long a file must stay unchanged before it is taken; the tests shorten it.
@click.option("--stable-seconds", type=click.FloatRange(min=0), default=2.0, hidden=True)
@handle_errors
def watch_command(
    inbox: Path | None,
    out_dir: Path | None,
    once: bool,
    send: bool,
    dry_run: bool,
    interval: float,
    formats: str,
    templates: Path | None,
    build_timeout: float | None,
    build_memory: int | None,
    stable_seconds: float,
) -> None:
    """Build every workbook dropped in a folder: a drop folder for the board reports.

    A workbook (.xlsx, .xlsm) in INBOX is taken once it has not changed for two seconds, moved
    to INBOX/processing/, built into DIR, then moved to INBOX/processed/, or to INBOX/failed/
    with NAME.errors.txt and NAME.errors.json beside it. Excel lock files, hidden and temporary
    files and folders are left alone; a name already taken gets a timestamp, so no workbook is
    ever replaced. INBOX and DIR default to inbox and output in kpireport.toml. Each workbook
    is built in a child process, stopped when it runs over --build-timeout or --build-memory
    (the workbook then goes to INBOX/failed/). Stop the watcher with Ctrl-C or SIGTERM: it
    finishes the workbook in hand and exits 0. One watcher per INBOX: a second one exits 1.
    With --once, exit 1 when a workbook failed or a report was not sent.

    \b
    Example:
        kpireport watch inbox -o reports
        kpireport watch inbox --once --send
    """
    import signal
    import threading
    import time

    from kpireport.build import BuildOptions
    from kpireport.config import load_config
    from kpireport.errors import UsageError
    from kpireport.limits import DEFAULT_MEMORY, DEFAULT_TIMEOUT, Limits
    from kpireport.mail import NO_SMTP, SendOptions
    from kpireport.watch import watch

    chosen = parse_formats(formats)
    config = load_config()
    inbox = inbox or config.inbox  # the command line wins over kpireport.toml
    if inbox is None:
        raise click.UsageError("name the INBOX folder, or set inbox in kpireport.toml")
    if not inbox.is_dir():
        raise click.UsageError(f"{inbox} is not a folder: create it, or name the folder to watch")
    if dry_run and not send:
        raise click.UsageError("--dry-run goes with --send")
    if send and not {"pdf", "json"} <= set(chosen):
        raise click.UsageError("--send mails the PDFs as results.json lists them: keep pdf,json")
    if send and not dry_run and config.smtp is None:
        raise UsageError(NO_SMTP)
    if templates is not None:
        check_templates(templates, "report", *(["mail"] if send else []))

    def log(line: str) -> None:
        # a line names files and quotes workbook text: their control characters made visible
        click.echo(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {printable(line)}", err=True)

    stop = threading.Event()

    def on_signal(signum: int, _frame: Any) -> None:
        if stop.is_set():
            raise KeyboardInterrupt  # asked twice: stop now; the workbook in hand is redone
        stop.set()
        # os.write, not click.echo: the signal may have interrupted a write to stderr
        with contextlib.suppress(OSError):
            os.write(
                sys.stderr.fileno(),
                f"{signal.Signals(signum).name}: stopping after the workbook in hand\n".encode(),
            )

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        summary = watch(
            inbox,
            out_dir or config.output or Path("reports"),
            once=once,
            send=SendOptions(dry_run=dry_run, templates=templates) if send else None,
            interval=interval,
            stable_seconds=stable_seconds,
            # One PDF worker: a watcher serves a shared inbox unattended, one workbook at a
            # time; the memory limit is the build's and its worker's together.
            build_options=BuildOptions(
                formats=chosen,
                jobs=1,
                templates=templates,
                limits=Limits(
                    build_timeout or config.watch.build_timeout or DEFAULT_TIMEOUT,
                    build_memory or config.watch.build_memory or DEFAULT_MEMORY,
                ),
            ),
            smtp=config.smtp,
            log=log,
            stop=stop,
        )
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    sys.exit(0 if summary.ok or not once else 1)
