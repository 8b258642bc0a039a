"""``kpireport send``: email each department's PDF and the board pack."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from kpireport.cli.common import CONTEXT, check_templates, handle_errors, templates_option


@click.command("send", context_settings=CONTEXT)
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
@templates_option
@handle_errors
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
        check_templates(templates, "mail")
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
