"""``kpireport build``: the reports of each workbook, and the progress of the files written."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any

import click

from kpireport.cli.common import (
    CONTEXT,
    LANG,
    check_templates,
    color,
    formats_option,
    handle_errors,
    limit_options,
    parse_formats,
    templates_option,
    workbook_paths,
)
from kpireport.printable import printable


class Progress:
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
            name = printable(Path(path).name)
            click.echo(f"\r\x1b[K[{bar}] {done}/{total} {name}", nl=False, err=True)
            self.shown = True
        else:
            click.echo(f"wrote {printable(path)}", err=True)

    def done(self) -> None:
        if self.shown:
            click.echo("\r\x1b[K", nl=False, err=True)
        self.shown = False


@click.command("build", context_settings=CONTEXT)
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
@formats_option
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
@templates_option
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
@limit_options("")
@click.option(
    "--strict",
    is_flag=True,
    help="Build no workbook with warnings (as validate --strict fails it).",
)
@click.option(
    "--report-date",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    metavar="YYYY-MM-DD",
    help="Build as of this date instead of the workbook's report date; later measurements are "
    "left out.",
)
@click.option(
    "--compare-to",
    default=None,
    metavar="YYYY-MM-DD|none",
    help="Compare with the report of this date (an earlier report set in the output folder, "
    "else the workbook as of then); 'none' compares with nothing. Default: the latest earlier "
    "report set, else the end of the month before.",
)
@click.option(
    "--page-size",
    type=click.Choice(["A4", "Letter"], case_sensitive=False),
    default=None,
    help="Paper of the PDFs (default: the workbook's page_size setting, else A4).",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress messages.")
@handle_errors
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
    build_timeout: float | None,
    build_memory: int | None,
    strict: bool,
    report_date: dt.datetime | None,
    compare_to: str | None,
    page_size: str | None,
    quiet: bool,
) -> None:
    """Build the reports: a PDF and HTML per department, a board pack, results.json.

    PATHS are workbooks or folders of workbooks (default: ./workbooks). Each workbook gets a
    folder DIR/<workbook name>/<report date>/, so earlier report sets are kept; a rebuild with
    nothing changed rewrites nothing. A workbook with errors gets only DIR/<workbook
    name>/validation.html, its earlier report sets are left untouched, and the exit code is 1;
    the other workbooks are still built. The path of each board pack is printed on stdout.
    Each workbook is built in a child process that is stopped when it runs over
    --build-timeout or --build-memory; that workbook fails, the others are built.

    \b
    Example:
        kpireport build sample_workbooks/ -o reports
        kpireport build kpis.xlsx --format pdf --department Sales --lang da
    """
    from kpireport.build import BuildOptions, build, default_jobs
    from kpireport.limits import DEFAULT_MEMORY, DEFAULT_TIMEOUT, Limits
    from kpireport.schema import PAGE_SIZES
    from kpireport.textreport import render_text

    chosen = parse_formats(formats)
    if not paths and not Path("workbooks").is_dir():
        raise click.UsageError(
            f"no workbook named, and no folder {Path('workbooks').absolute()} to look in: name "
            "a workbook or a folder of workbooks, e.g. kpireport build kpis.xlsx"
        )
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
        limits=Limits(build_timeout or DEFAULT_TIMEOUT, build_memory or DEFAULT_MEMORY),
        strict=strict,
        report_date=report_date.date() if report_date else None,
        compare=comparison(compare_to),
        page_size=PAGE_SIZES[page_size.casefold()] if page_size else None,
    )
    if templates is not None:
        check_templates(templates, "report")
    from kpireport import reaper

    reaper.install()  # no process of the build outlives the command
    progress = Progress(quiet)
    failed = False

    def report(result: Any) -> None:
        nonlocal failed
        progress.done()
        # every file name and piece of workbook text printed goes through printable()
        workbook = printable(result.path)
        if result.ok:
            click.echo(printable(result.board_pack or result.folder))
            if result.replaced is not None:  # even with --quiet: another company's set moved
                click.echo(f"{workbook}: {printable(kept_line(result))}", err=True)
            if not quiet:
                locale = result.report.locale
                kept = len(result.unchanged)
                unchanged = locale.ngettext("{n} file unchanged", "{n} files unchanged", kept)
                extra = "; " + unchanged.format(n=kept) if kept else ""
                click.echo(f"{workbook}: {status_line(result)}{extra}", err=True)
                if result.report_date is not None:
                    said = report_date_line(result.report_date, locale)
                    click.echo(f"{workbook}: {printable(said)}", err=True)
                # a refused logo changes the reports themselves: say so (other warnings are
                # on the validation page of the report set)
                for issue in result.report.issues:
                    if issue.code == "bad-logo":
                        text = (
                            f"{issue.where}: {locale.gettext('warning')}: {issue.message(locale)}"
                        )
                        click.echo(f"{workbook}: {printable(text)}", err=True)
        else:
            failed = True
            text = render_text(result.report, strict=strict, style=click.style)
            click.echo(text, err=True, color=color())
            if result.validation_page is not None:
                click.echo(printable(result.validation_page), err=True)

    build(files, Path(out_dir), options, progress, on_result=report)
    sys.exit(1 if failed else 0)


def comparison(value: str | None) -> Any:
    """``--compare-to``: a date, ``none``, or by default the latest earlier report set."""
    from kpireport.previous import Comparison

    if value is None:
        return Comparison()
    if value.strip().casefold() == "none":
        return Comparison(enabled=False)
    try:
        return Comparison(date=dt.date.fromisoformat(value.strip()))
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is neither a date (YYYY-MM-DD) nor 'none'", param_hint="--compare-to"
        ) from None


def status_line(result: Any) -> str:
    """``12 KPIs: 2 achieved, 4 on track, 3 at risk, 3 off track; score 50%``."""
    from kpireport import fmt
    from kpireport.i18n import get_locale

    return fmt.status_summary(result.summary, get_locale(result.language))


def report_date_line(dated: Any, locale: Any) -> str:
    """``report date 30 Jun 2026 (Settings!B3)``: what the set is as of, and where that came
    from (a report date left from last time shows here, as well as in validation)."""
    from kpireport import fmt

    when = fmt.date(dated.date, locale)
    if dated.typed:
        return locale.gettext("report date {date} ({cell})").format(date=when, cell=dated.cell)
    return locale.gettext("report date {date} (the latest measurement, {cell})").format(
        date=when, cell=dated.cell
    )


def kept_line(result: Any) -> str:
    """The report set of another company this build kept aside, and where it is now."""
    locale = result.report.locale
    kept = result.replaced
    company = kept.company or locale.gettext("another company")
    return locale.gettext(
        "the report set in {folder} was made for {company}: it is kept in {place}"
    ).format(folder=result.folder, company=company, place=kept.place)
