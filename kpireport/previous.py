"""The previous report a build compares with (issue 15, docs/metrics.md "Since the last report"):
the latest earlier report set of the same workbook name in the output folder, for the same
company (its results.json), or else the same workbook computed as of the last day of the month
before the report date's month; ``--compare-to DATE`` names the date instead.

Every earlier set is treated as possibly hostile or stale: a folder whose name is not a date, a
results.json too large, unreadable, of another major version or of another company is passed
over, never a reason to fail the build."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from kpireport.engine.changes import Before, Snapshot, snapshot
from kpireport.engine.results import STATUSES
from kpireport.engine.serialize import RESULTS_FILE, SCHEMA_VERSION
from kpireport.errors import OutputError
from kpireport.fsutil import inside
from kpireport.history import MAX_READ, open_regular, read_regular, regular_file, set_folders
from kpireport.slug import folder_name

if TYPE_CHECKING:
    from kpireport.engine import Results
    from kpireport.issues import ValidationReport
    from kpireport.model import Workbook

# An earlier results.json larger than this is passed over: the biggest a build writes (the bench
# workbook of 3,000 KPIs and 465,000 measurements) is about 60 MB.
MAX_RESULTS_BYTES = 256 * 1024 * 1024


@dataclass(frozen=True)
class Comparison:
    """What to compare with: off, the latest earlier set (or the month before), or a date."""

    enabled: bool = True
    date: dt.date | None = None  # None: the latest earlier set, else the end of the month before


def month_before(day: dt.date) -> dt.date:
    """The last day of the calendar month before ``day``'s month."""
    return day.replace(day=1) - dt.timedelta(days=1)


def earlier_sets(out_dir: Path, workbook: Path, report_date: dt.date) -> list[Path]:
    """The report-set folders of ``workbook`` in ``out_dir`` dated before ``report_date``,
    newest first (at most :data:`kpireport.history.MAX_READ`, as many as the index reads):
    folders, not links, with a build's manifest (:func:`kpireport.history.set_folders`), named
    by their date."""
    try:
        root = inside(Path(out_dir), folder_name(workbook.stem))
    except OutputError:
        return []
    dated = []
    for name in set_folders(root):
        try:
            day = dt.date.fromisoformat(name)
        except ValueError:
            continue
        if day < report_date and name == day.isoformat():
            dated.append(root / name)
    return dated[:MAX_READ]


def candidate(out_dir: Path, workbook: Path, report_date: dt.date, how: Comparison) -> Path | None:
    """The earlier set to compare with, before reading it: the newest before the report date,
    or the one of ``how.date``."""
    if not how.enabled:
        return None
    for folder in earlier_sets(out_dir, workbook, report_date):
        if (how.date is None or folder.name == how.date.isoformat()) and regular_file(
            folder / RESULTS_FILE
        ):
            return folder
    return None


def identity(folder: Path | None, report_date: dt.date, how: Comparison) -> object:
    """What the comparison depends on, for the build key: the earlier set's results.json (by
    its SHA-256), or the date the workbook is recomputed as of."""
    if not how.enabled:
        return None
    fh = open_regular(folder / RESULTS_FILE) if folder is not None else None
    if fh is not None and folder is not None:
        with fh:
            try:
                return ["earlier_set", folder.name, hashlib.file_digest(fh, "sha256").hexdigest()]
            except OSError:
                pass
    return ["recomputed", (how.date or month_before(report_date)).isoformat()]


def previous_results(
    folder: Path | None,
    results: Results,
    workbook: Workbook,
    report: ValidationReport,
    how: Comparison,
    lang: str | None,
) -> tuple[Snapshot, str] | None:
    """The previous report (as much as the comparison needs) and its source (``earlier_set`` or
    ``recomputed``), or None when comparing is off. The earlier set in ``folder`` is used when
    it reads and is of the same company; else the workbook is computed as of the date (it must
    still hold its measurements)."""
    if not how.enabled:
        return None
    if folder is not None:
        earlier = read_snapshot(folder)
        if earlier is not None and earlier.company == results.company:
            return earlier, "earlier_set"
    from kpireport.engine import compute

    as_of = how.date or month_before(results.report_date)
    later = results if as_of < results.report_date else None  # its series, up to as_of's periods
    before = compute(workbook, report, report_date=as_of, lang=lang, later=later)
    return snapshot(before), "recomputed"


def read_snapshot(folder: Path) -> Snapshot | None:
    """What the comparison needs of the report set in ``folder``, from its results.json: the
    report date, the company, and per KPI its id, name, department, status and current value.
    Only those keys are read and checked, not the series (the typed reader took 2.1 s for the
    17 MB results.json of 1,000 KPIs, this takes a fraction); None for a file that is missing,
    too large, not JSON, of another major version or not of that shape."""
    raw = read_regular(folder / RESULTS_FILE, MAX_RESULTS_BYTES + 1)
    if raw is None or len(raw) > MAX_RESULTS_BYTES:
        return None
    try:
        data = json.loads(raw)
        version = data["schema_version"]
        if not isinstance(version, str) or version.split(".")[0] != SCHEMA_VERSION.split(".")[0]:
            return None
        kpis = [
            Before(
                _text(k["id"]),
                _text(k["name"]),
                _text(k["department"]),
                _status(k["status"]),
                _number(k["current"]),
            )
            for d in data["departments"]
            for k in d["kpis"]
        ]
        return Snapshot(dt.date.fromisoformat(data["report_date"]), _text(data["company"]), kpis)
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError):
        return None


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError("not a text")
    return value


def _status(value: object) -> str:
    if value not in STATUSES:
        raise ValueError("not a status")
    return str(value)


def _number(value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise TypeError("not a number")
    return float(value)
