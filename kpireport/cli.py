"""The command line: a thin click layer over the stages. Exit codes: 0 ok, 1 invalid data or a
failed step, 2 wrong usage."""

from __future__ import annotations

import contextlib
import functools
import json
import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import click

from kpireport import __version__
from kpireport.errors import KpiReportError, WorkbookError
from kpireport.i18n import LANGUAGES, get_locale, language_code
from kpireport.schema import WORKBOOK_LANGUAGES
from kpireport.textreport import render_text

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
# The languages of the messages and reports (kpireport.i18n), and those a new workbook can be
# written in (its sheet and column names).
LANG = click.Choice(list(LANGUAGES), case_sensitive=False)
WORKBOOK_LANG = click.Choice(list(WORKBOOK_LANGUAGES), case_sensitive=False)
# build, send and watch: report templates (*.html) and mail templates (*.txt) in one folder
_templates_option = click.option(
    "--templates",
    "templates",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="Folder of your own templates, searched before the defaults.",
)


def _color() -> bool | None:
    """Colour on a terminal, never with NO_COLOR set (https://no-color.org)."""
    return False if os.environ.get("NO_COLOR") else None


def _handle_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn kpireport's fatal errors into one clean message and exit code; tracebacks only
    with --debug."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        ctx = click.get_current_context()
        debug = (ctx.find_root().params or {}).get("debug", False)
        try:
            return func(*args, **kwargs)
        except KpiReportError as exc:
            if debug:
                raise
            locale = get_locale(kwargs.get("lang"))
            text = exc.message(locale) if isinstance(exc, WorkbookError) else str(exc)
            click.secho(f"Error: {text}", fg="red", err=True, color=_color())
            sys.exit(exc.exit_code)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise  # click's own: usage errors exit 2 with its message
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            sys.exit(130)
        except Exception as exc:  # a bug: say so plainly, keep the traceback for --debug
            if debug:
                raise
            click.secho(
                f"Error: kpireport failed unexpectedly ({type(exc).__name__}: {exc}). "
                "Run again with --debug for details, and please report it.",
                fg="red",
                err=True,
                color=_color(),
            )
            sys.exit(1)

    return wrapper


@click.group(context_settings=CONTEXT)
@click.version_option(__version__, "-V", "--version", prog_name="kpireport")
@click.option("--debug", is_flag=True, help="Show full tracebacks for unexpected errors.")
def main(debug: bool) -> None:
    """Turn a standard KPI workbook into validated, board-ready reports.

    Start with 'kpireport init' for a workbook to fill in, then 'kpireport validate' it.
    """


# -- validate ---------------------------------------------------------------------------


def workbook_paths(paths: Iterable[str]) -> list[Path]:
    """The workbooks named: files as given, folders by their .xlsx/.xlsm files (not lock files)."""
    from kpireport.workbook.container import EXTENSIONS

    out: list[Path] = []
    for text in paths:
        path = Path(text)
        if path.is_dir():
            out.extend(
                sorted(
                    p
                    for p in path.iterdir()
                    if p.suffix.lower() in EXTENSIONS
                    and not p.name.startswith(("~$", "."))
                    and p.is_file()
                )
            )
        else:
            out.append(path)
    return out


@main.command("validate", context_settings=CONTEXT)
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text: a table grouped by sheet on stdout; json: one JSON object on stdout.",
)
@click.option("--strict", is_flag=True, help="Fail (exit 1) on warnings too.")
@click.option(
    "--lang", type=LANG, default=None, help="Language of the messages (default: the workbook's)."
)
@_handle_errors
def validate_command(
    paths: tuple[str, ...], output_format: str, strict: bool, lang: str | None
) -> None:
    """Check workbooks against the format and the SMART criteria.

    PATHS are workbook files or folders of workbooks. Every problem is listed with its sheet and
    cell, how bad it is, and how to fix it. Exit code 0 when there is no error (warnings
    allowed), 1 when there is an error (or, with --strict, a warning) or a file cannot be read.

    \b
    Example:
        kpireport validate sample_workbooks/
        kpireport validate budget.xlsx --format json --lang da
    """
    from kpireport.issues import ValidationReport
    from kpireport.validate import check

    files = workbook_paths(paths)
    if not files:
        raise click.UsageError(f"no .xlsx or .xlsm workbooks in {', '.join(paths)}")
    results: list[tuple[Path, Any, ValidationReport]] = []
    failed = False
    for path in files:
        try:
            workbook, report = check(path, lang=lang)
        except WorkbookError as exc:
            report = ValidationReport(str(path), [exc.issue], lang=language_code(lang))
            workbook = None
        results.append((path, workbook, report))
        failed |= not report.ok(strict)
    if output_format == "json":
        click.echo(json.dumps(_json_result(results, strict), ensure_ascii=False, indent=2))
    else:
        for n, (_path, workbook, report) in enumerate(results):
            if n:
                click.echo()
            click.echo(render_text(report, workbook, strict, click.style), color=_color())
    sys.exit(1 if failed else 0)


def _json_result(results: list[tuple[Path, Any, Any]], strict: bool) -> dict[str, Any]:
    issues = []
    files = []
    for path, _workbook, report in results:
        data = report.to_dict()
        files.append({k: data[k] for k in ("path", "errors", "warnings")})
        files[-1]["valid"] = report.ok(strict)  # --strict: warnings fail here too
        for issue in data["issues"]:
            issues.append({**issue, "file": str(path)})
    return {"valid": all(r.ok(strict) for _p, _w, r in results), "issues": issues, "files": files}


# -- build ----------------------------------------------------------------------------------


def _formats(value: str) -> tuple[str, ...]:
    from kpireport.build import FORMATS

    chosen = tuple(dict.fromkeys(part.strip().lower() for part in value.split(",") if part.strip()))
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown or not chosen:
        raise click.BadParameter(
            f"{', '.join(unknown) or value!r} is not a format; available: {', '.join(FORMATS)}"
        )
    return chosen


class _Progress:
    """Progress on stderr: a bar on a terminal, a line per file otherwise, or nothing."""

    WIDTH = 24

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.tty = sys.stderr.isatty()
        self.shown = False

    def __call__(self, path: str, done: int, total: int) -> None:
        if self.quiet:
            return
        if self.tty:
            filled = self.WIDTH * done // max(total, 1)
            bar = "#" * filled + "-" * (self.WIDTH - filled)
            click.echo(f"\r\x1b[K[{bar}] {done}/{total} {Path(path).name}", nl=False, err=True)
            self.shown = True
        else:
            click.echo(f"wrote {path}", err=True)

    def done(self) -> None:
        if self.shown:
            click.echo("\r\x1b[K", nl=False, err=True)
        self.shown = False


@main.command("build", context_settings=CONTEXT)
@click.argument("paths", nargs=-1, type=click.Path())
@click.option(
    "-o",
    "--output",
    "out_dir",
    type=click.Path(file_okay=False),
    default="reports",
    show_default=True,
    help="Folder for the report sets.",
)
@click.option(
    "--format",
    "formats",
    default="pdf,html,json",
    show_default=True,
    help="Comma-separated outputs: pdf, html, json, csv (results.csv), xlsx (results.xlsx).",
)
@click.option(
    "--department",
    "departments",
    multiple=True,
    metavar="NAME",
    help="Only this department's report (repeat for several); no board pack then.",
)
@click.option(
    "--lang", type=LANG, default=None, help="Language of the reports (default: the workbook's)."
)
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="PDFs rendered in parallel (default: the number of cores).",
)
@click.option("--force", is_flag=True, help="Rebuild every file, even when nothing changed.")
@_templates_option
@click.option(
    "--pdf-variant",
    type=click.Choice(["pdf/a-3b"]),
    default=None,
    help="pdf/a-3b: archival PDFs, results.json attached to the board pack.",
)
@click.option(
    "--render-timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=600.0,
    show_default=True,
    metavar="SECONDS",
    help="Stop rendering a PDF that takes longer than this, and say which one.",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress messages.")
@_handle_errors
def build_command(
    paths: tuple[str, ...],
    out_dir: str,
    formats: str,
    departments: tuple[str, ...],
    lang: str | None,
    jobs: int | None,
    force: bool,
    templates: Path | None,
    pdf_variant: str | None,
    render_timeout: float,
    quiet: bool,
) -> None:
    """Build the reports: a PDF and HTML per department, a board pack, results.json.

    PATHS are workbooks or folders of workbooks (default: ./workbooks). Each workbook gets a
    folder DIR/<workbook name>/<report date>/, so earlier report sets are kept; a rebuild with
    nothing changed rewrites nothing. A workbook with errors gets only DIR/<workbook
    name>/validation.html, its earlier report sets are left untouched, and the exit code is 1;
    the other workbooks are still built. The path of each board pack is printed on stdout.

    \b
    Example:
        kpireport build sample_workbooks/ -o reports
        kpireport build kpis.xlsx --format pdf --department Sales --lang da
    """
    from kpireport.build import BuildOptions, build, default_jobs

    chosen = _formats(formats)
    files = workbook_paths(paths or ("workbooks",))
    if not files:
        raise click.UsageError(
            f"no .xlsx or .xlsm workbooks in {', '.join(paths or ('workbooks',))}"
        )
    options = BuildOptions(
        formats=chosen,
        departments=departments,
        lang=lang,
        force=force,
        templates=templates,
        pdf_variant=pdf_variant,
        jobs=jobs or default_jobs(),
        render_timeout=render_timeout,
    )
    if templates is not None:
        _check_templates(templates, "report")
    progress = _Progress(quiet)
    failed = False

    def report(result: Any) -> None:
        nonlocal failed
        progress.done()
        if result.ok:
            click.echo(str(result.board_pack or result.folder))
            if not quiet:
                locale = result.report.locale
                kept = len(result.unchanged)
                unchanged = locale.ngettext("{n} file unchanged", "{n} files unchanged", kept)
                extra = "; " + unchanged.format(n=kept) if kept else ""
                click.echo(f"{result.path}: {_status_line(result)}{extra}", err=True)
                # a refused logo changes the reports themselves: say so (other warnings are
                # on the validation page of the report set)
                for issue in result.report.issues:
                    if issue.code == "bad-logo":
                        click.echo(
                            f"{result.path}: {issue.where}: {locale.gettext('warning')}: "
                            f"{issue.message(locale)}",
                            err=True,
                        )
        else:
            failed = True
            click.echo(render_text(result.report, style=click.style), err=True, color=_color())
            if result.validation_page is not None:
                click.echo(str(result.validation_page), err=True)

    build(files, Path(out_dir), options, progress, on_result=report)
    sys.exit(1 if failed else 0)


def _check_templates(folder: Path, *kinds: str) -> None:
    """Every template of ``kinds`` (``report``: *.html, ``mail``: *.txt) in a --templates folder
    must at least parse: say which one does not."""
    import jinja2

    from kpireport.render import DEFAULT_NAMES, describe_template_error, environment

    for kind in kinds:
        env = environment(folder, kind)
        suffixes = {Path(name).suffix for name in DEFAULT_NAMES[kind]}
        for name in sorted(p.name for p in folder.iterdir() if p.suffix in suffixes):
            try:
                env.get_template(name)
            except jinja2.TemplateError as exc:
                where = str(folder / name)
                raise click.UsageError(describe_template_error(exc, where, kind)) from None


def _status_line(result: Any) -> str:
    """``12 KPIs: 2 achieved, 4 on track, 3 at risk, 3 off track; score 50%``."""
    from kpireport import fmt
    from kpireport.i18n import get_locale

    return fmt.status_summary(result.summary, get_locale(result.language))


# -- send -----------------------------------------------------------------------------------


@main.command("send", context_settings=CONTEXT)
@click.argument(
    "out_dir", metavar="DIR", type=click.Path(exists=True, file_okay=False, path_type=Path)
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Write each message as an .eml file into the outbox instead of sending it.",
)
@click.option(
    "--outbox",
    metavar="FOLDER",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for the --dry-run messages [default: outbox/ in each report set].",
)
@click.option("--resend", is_flag=True, help="Send again what sent.json says was sent.")
@click.option(
    "--only",
    "only",
    multiple=True,
    metavar="DEPARTMENT",
    help="Only this department's report (repeat for several); no board pack then.",
)
@_templates_option
@_handle_errors
def send_command(
    out_dir: Path,
    dry_run: bool,
    outbox: Path | None,
    resend: bool,
    only: tuple[str, ...],
    templates: Path | None,
) -> None:
    """Email the reports: each department's PDF to its addresses, the board pack to the board.

    DIR is a build output folder: each workbook's latest report set in it is sent (DIR may also
    be one report set). Addresses come from the workbook (Departments email, Settings
    board_recipients), the mail server from KPIREPORT_SMTP_* or kpireport.toml. Subject and body
    are in the workbook's language, from the templates subject.txt and body.txt (yours with
    --templates). sent.json in the report set records what went, so running send again sends
    only what has not gone yet (--resend: everything again). A line per message on stderr; exit
    code 1 when a message was not sent or an address was refused, 2 when no mail server is set.

    \b
    Example:
        kpireport send reports --dry-run
        kpireport send reports
        kpireport send reports/acme/2026-09-30 --only Sales --resend
    """
    from kpireport.config import load_config
    from kpireport.mail import SendOptions, send

    if templates is not None:
        _check_templates(templates, "mail")
    config = load_config()
    options = SendOptions(
        dry_run=dry_run, outbox=outbox, resend=resend, only=only, templates=templates
    )
    reports = send(out_dir, config.smtp, options, log=lambda line: click.echo(line, err=True))
    for report in reports:
        for delivery in report.outbox:
            click.echo(str(delivery.eml))  # the files written: machine output
        click.echo(report.summary(), err=True)
    sys.exit(0 if all(r.ok for r in reports) else 1)


# -- init -----------------------------------------------------------------------------------


@main.command("init", context_settings=CONTEXT)
@click.argument("path", required=False, type=click.Path())
@click.option(
    "--lang",
    type=WORKBOOK_LANG,
    default="en",
    show_default=True,
    help="Language of the sheets, headers and examples.",
)
@click.option("--force", is_flag=True, help="Overwrite PATH if it exists.")
@_handle_errors
def init_command(path: str | None, lang: str, force: bool) -> None:
    """Write a ready-to-fill KPI workbook.

    It has every sheet and column of the format, a few example rows, dropdowns for the fixed
    choices, and an Instructions sheet. Without PATH it is written to kpi-workbook.xlsx
    (kpi-projektmappe.xlsx in Danish) in the current folder. An existing file is never
    overwritten without --force.

    \b
    Example:
        kpireport init
        kpireport init board/kpis-2027.xlsx --lang da
    """
    from kpireport.template import default_name, write_template

    target = Path(path) if path else Path(default_name(lang))
    written = write_template(target, lang, force=force)
    click.echo(str(written))
    next_step = get_locale(lang).gettext("Fill it in, then run: {command}")
    click.echo(next_step.format(command=f"kpireport validate {written}"), err=True)


# -- watch ----------------------------------------------------------------------------------


@main.command("watch", context_settings=CONTEXT)
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
@click.option(
    "--format",
    "formats",
    default="pdf,html,json",
    show_default=True,
    help="Comma-separated outputs: pdf, html, json, csv (results.csv), xlsx (results.xlsx).",
)
@_templates_option
# How long a file must stay unchanged before it is taken; the tests shorten it.
@click.option("--stable-seconds", type=click.FloatRange(min=0), default=2.0, hidden=True)
@_handle_errors
def watch_command(
    inbox: Path | None,
    out_dir: Path | None,
    once: bool,
    send: bool,
    dry_run: bool,
    interval: float,
    formats: str,
    templates: Path | None,
    stable_seconds: float,
) -> None:
    """Build every workbook dropped in a folder: a drop folder for the board reports.

    A workbook (.xlsx, .xlsm) in INBOX is taken once it has not changed for two seconds, moved
    to INBOX/processing/, built into DIR, then moved to INBOX/processed/, or to INBOX/failed/
    with NAME.errors.txt and NAME.errors.json beside it. Excel lock files, hidden and temporary
    files and folders are left alone; a name already taken gets a timestamp, so no workbook is
    ever replaced. INBOX and DIR default to inbox and output in kpireport.toml. Stop it with
    Ctrl-C or SIGTERM: it finishes the workbook in hand and exits 0. One watcher per INBOX: a
    second one exits 1. With --once, exit 1 when a workbook failed or a report was not sent.

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
    from kpireport.mail import NO_SMTP, SendOptions
    from kpireport.watch import watch

    chosen = _formats(formats)
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
        _check_templates(templates, "report", *(["mail"] if send else []))

    def log(line: str) -> None:
        click.echo(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {line}", err=True)

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
            # One job: PDFs are rendered in this process. Worker processes would get the Ctrl-C
            # or the SIGTERM of a service stop too and die mid-build, when the point of catching
            # the signal is to finish the workbook in hand.
            build_options=BuildOptions(formats=chosen, jobs=1, templates=templates),
            smtp=config.smtp,
            log=log,
            stop=stop,
        )
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    sys.exit(0 if summary.ok or not once else 1)
