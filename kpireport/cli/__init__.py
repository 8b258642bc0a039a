"""The command line: a thin click layer over the stages, one module per command. Exit codes: 0 ok,
1 invalid data or a failed step, 2 wrong usage. Nothing outside this package imports click."""

from __future__ import annotations

import click

from kpireport import __version__
from kpireport.cli.build import build_command
from kpireport.cli.common import CONTEXT, workbook_paths
from kpireport.cli.init import init_command
from kpireport.cli.preview import preview_command
from kpireport.cli.send import send_command
from kpireport.cli.validate import validate_command
from kpireport.cli.watch import watch_command


@click.group(context_settings=CONTEXT)
@click.version_option(__version__, "-V", "--version", prog_name="kpireport")
@click.option("--debug", is_flag=True, help="Show full tracebacks for unexpected errors.")
def main(debug: bool) -> None:
    """Turn a standard KPI workbook into validated, board-ready reports.

    Start with 'kpireport init' for a workbook to fill in, then 'kpireport validate' it.
    """


for command in (
    validate_command,
    build_command,
    send_command,
    init_command,
    watch_command,
    preview_command,
):
    main.add_command(command)

__all__ = ["main", "workbook_paths"]
