"""``kpireport preview``: the reports in the browser, rebuilt as the workbook is saved."""

from __future__ import annotations

import ipaddress
import webbrowser
from pathlib import Path

import click

from kpireport.cli.common import (
    CONTEXT,
    LANG,
    check_templates,
    handle_errors,
    templates_option,
)


@click.command("preview", context_settings=CONTEXT)
@click.argument("workbook", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to serve on; another than this machine's lets others on the network see "
    "the reports.",
)
@click.option("--no-browser", is_flag=True, help="Do not open the browser.")
@click.option(
    "--lang", type=LANG, default=None, help="Language of the reports (default: the workbook's)."
)
@templates_option
@handle_errors
def preview_command(
    workbook: Path,
    port: int,
    host: str,
    no_browser: bool,
    lang: str | None,
    templates: Path | None,
) -> None:
    """Show WORKBOOK's reports in the browser, updated each time the workbook is saved.

    While the workbook has errors the page shows them, cell by cell, until they are fixed.
    Stop with Ctrl-C.

    \b
    Example:
        kpireport preview kpis.xlsx
    """
    from kpireport.build import BuildOptions
    from kpireport.preview.session import Preview

    if templates is not None:
        check_templates(templates, "report")
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        raise click.BadParameter("an IP address, such as 127.0.0.1", param_hint="--host") from None
    if not loopback:
        click.echo(
            f"warning: serving on {host}: anyone who can reach it sees the reports", err=True
        )
    options = BuildOptions(lang=lang, templates=templates)
    session = Preview(workbook, options, host, port, log=lambda line: click.echo(line, err=True))
    click.echo(
        f"previewing {workbook.name} at {session.url} (built in {session.folder}; Ctrl-C stops)",
        err=True,
    )
    if not no_browser:
        webbrowser.open(session.url)
    try:
        session.serve()
    except KeyboardInterrupt:
        pass
    finally:
        session.close()
