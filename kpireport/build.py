"""The build stage: report sets on disk. One workbook in, one folder out:
``DIR/<workbook name>/<report date>/``, so that earlier report sets are kept.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kpireport.errors import OutputError, WorkbookError
from kpireport.issues import Issue, ValidationReport

FORMATS = ("json",)


@dataclass
class BuildResult:
    """What happened to one workbook."""

    path: Path
    report: ValidationReport
    folder: Path | None = None  # the report set written, when the workbook was valid
    written: tuple[Path, ...] = ()
    summary: dict[str, Any] | None = None  # the company summary of the results
    language: str = "en"

    @property
    def ok(self) -> bool:
        return self.folder is not None


def report_folder(out_dir: Path, workbook: Path, report_date: str) -> Path:
    """``DIR/<workbook name without extension>/<report date>``."""
    return Path(out_dir) / workbook.stem / report_date


def build_workbook(
    path: Path, out_dir: Path, formats: tuple[str, ...] = FORMATS, lang: str | None = None
) -> BuildResult:
    """Validate one workbook and, when it has no errors, write its report set."""
    from kpireport.engine import compute, to_dict
    from kpireport.fsutil import write_atomic
    from kpireport.validate import check

    try:
        workbook, report = check(path, lang=lang)
    except WorkbookError as exc:
        return BuildResult(path, ValidationReport(str(path), [exc.issue], lang=lang or "en"))
    if not report.valid:
        return BuildResult(path, report)
    results = compute(workbook, report, lang=lang)
    folder = report_folder(out_dir, path, results.report_date.isoformat())
    written = []
    try:
        if "json" in formats:
            data = json.dumps(to_dict(results), ensure_ascii=False, indent=2) + "\n"
            written.append(write_atomic(folder / "results.json", data))
    except OutputError as exc:
        issue = Issue("write-failed", None, None, {"reason": str(exc)})
        return BuildResult(path, ValidationReport(str(path), [issue], lang=report.lang))
    return BuildResult(path, report, folder, tuple(written), results.summary, results.language)


def build(
    paths: list[Path], out_dir: Path, formats: tuple[str, ...] = FORMATS, lang: str | None = None
) -> list[BuildResult]:
    """Build every workbook in ``paths``; one failing workbook does not stop the others.

    Two workbooks with the same name (``a/x.xlsx`` and ``b/x.xlsx``) would write the same
    folder: the second is refused rather than overwriting the first one's reports.
    """
    results = []
    seen: dict[str, Path] = {}
    for path in map(Path, paths):
        other = seen.setdefault(path.stem.casefold(), path)
        if other != path:
            issue = Issue(
                "duplicate-workbook-name",
                None,
                None,
                {"other": str(other), "folder": str(Path(out_dir) / path.stem)},
            )
            results.append(
                BuildResult(path, ValidationReport(str(path), [issue], lang=lang or "en"))
            )
            continue
        results.append(build_workbook(path, Path(out_dir), formats, lang))
    return results
