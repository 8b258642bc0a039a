"""What the commands share: options, the folders of workbooks named, error handling."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import click

from kpireport.errors import KpiReportError, WorkbookError
from kpireport.i18n import LANGUAGES, get_locale
from kpireport.printable import printable
from kpireport.schema import WORKBOOK_LANGUAGES

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
# The languages of the messages and reports (kpireport.i18n), and those a new workbook can be
# written in (its sheet and column names).
LANG = click.Choice(list(LANGUAGES), case_sensitive=False)
WORKBOOK_LANG = click.Choice(list(WORKBOOK_LANGUAGES), case_sensitive=False)
# build, send and watch: report templates (*.html) and mail templates (*.txt) in one folder
# build and watch: which files a report set gets
formats_option = click.option(
    "--format",
    "formats",
    default="pdf,html,json",
    show_default=True,
    help="Comma-separated outputs: pdf, html, json, csv (results.csv), xlsx (results.xlsx).",
)
templates_option = click.option(
    "--templates",
    "templates",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="Folder of your own templates, searched before the defaults.",
)


def limit_options(where: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--build-timeout`` and ``--build-memory`` of build and watch; ``where``: what gives the
    default before kpireport's own (``build_timeout in kpireport.toml, else ``)."""
    from kpireport.limits import DEFAULT_MEMORY, DEFAULT_TIMEOUT, MIN_MEMORY

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        memory = click.option(
            "--build-memory",
            type=click.IntRange(min=MIN_MEMORY),
            default=None,
            metavar="MB",
            help="Stop a workbook's build that needs more memory than this, its PDF workers "
            f"included [default: {where.format(key='build_memory')}{DEFAULT_MEMORY}].",
        )
        timeout = click.option(
            "--build-timeout",
            type=click.FloatRange(min=0, min_open=True),
            default=None,
            metavar="SECONDS",
            help="Stop a workbook's build that takes longer than this "
            f"[default: {where.format(key='build_timeout')}{DEFAULT_TIMEOUT:g}].",
        )
        return timeout(memory(func))

    return decorate


def color() -> bool | None:
    """Colour on a terminal, never with NO_COLOR set (https://no-color.org)."""
    return False if os.environ.get("NO_COLOR") else None


def handle_errors(func: Callable[..., Any]) -> Callable[..., Any]:
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
            # it may quote a file name or a cell (the departments a workbook has)
            click.secho(f"Error: {printable(text)}", fg="red", err=True, color=color())
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
                f"Error: kpireport failed unexpectedly ({type(exc).__name__}: {printable(exc)}). "
                "Run again with --debug for details, and please report it.",
                fg="red",
                err=True,
                color=color(),
            )
            sys.exit(1)

    return wrapper


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


def parse_formats(value: str) -> tuple[str, ...]:
    """``--format pdf,json``: the outputs named, each known, in order, once."""
    from kpireport.build import FORMATS

    chosen = tuple(dict.fromkeys(part.strip().lower() for part in value.split(",") if part.strip()))
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown or not chosen:
        raise click.BadParameter(
            f"{', '.join(unknown) or value!r} is not a format; available: {', '.join(FORMATS)}"
        )
    return chosen


def check_templates(folder: Path, *kinds: str) -> None:
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
