"""``kpireport init``: a ready-to-fill workbook."""

from __future__ import annotations

from pathlib import Path

import click

from kpireport.cli.common import CONTEXT, WORKBOOK_LANG, handle_errors
from kpireport.i18n import get_locale


@click.command("init", context_settings=CONTEXT)
@click.argument("path", required=False, type=click.Path())
@click.option(
    "--lang",
    type=WORKBOOK_LANG,
    default="en",
    show_default=True,
    help="Language of the sheets, headers and examples.",
)
@click.option("--force", is_flag=True, help="Overwrite PATH if it exists.")
@handle_errors
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
