"""``kpireport validate``: check workbooks against the format and the SMART criteria."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from kpireport.cli.common import CONTEXT, LANG, color, handle_errors, workbook_paths
from kpireport.errors import WorkbookError
from kpireport.i18n import language_code
from kpireport.printable import printable_json


@click.command("validate", context_settings=CONTEXT)
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
@handle_errors
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
    from kpireport.textreport import render_text
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
        text = json.dumps(_json_result(results, strict), ensure_ascii=False, indent=2)
        click.echo(printable_json(text))
    else:
        for n, (_path, workbook, report) in enumerate(results):
            if n:
                click.echo()
            click.echo(render_text(report, workbook, strict, click.style), color=color())
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
