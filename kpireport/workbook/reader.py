"""Read a workbook into the KPI model, collecting every problem as an Issue on the way.

Only what needs the cell to explain is checked here (a value that is not a number, a date that is
not a date, a required cell left empty). Rules across rows and sheets, and the SMART criteria,
are in :mod:`kpireport.validate`. Each sheet has its reader in :mod:`kpireport.workbook.sheets`;
they share a :class:`~kpireport.workbook.context.ReadContext`.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING

from kpireport import schema
from kpireport.errors import WorkbookError
from kpireport.issues import Issue, Text
from kpireport.model import Workbook, cell_name
from kpireport.workbook.cells import RawSheet, percent_styles, read_sheet
from kpireport.workbook.container import Container, open_container
from kpireport.workbook.context import ReadContext
from kpireport.workbook.headers import read_headers
from kpireport.workbook.sheets.benchmarks import read_benchmarks
from kpireport.workbook.sheets.comments import read_comments
from kpireport.workbook.sheets.departments import one_spelling, read_departments
from kpireport.workbook.sheets.kpis import canonical_ids, read_kpis
from kpireport.workbook.sheets.measurements import read_measurements
from kpireport.workbook.sheets.plan import read_plan
from kpireport.workbook.sheets.settings import read_settings

if TYPE_CHECKING:
    from python_calamine import CalamineWorkbook


def read_workbook(path: Path) -> Workbook:
    """Read ``path`` into the model. Problems are in ``workbook.issues``; an unreadable file
    raises :class:`~kpireport.errors.WorkbookError`."""
    container = open_container(path)
    ctx = ReadContext()
    ctx.raw = _read_raw_sheets(container, ctx)
    # Settings first: its language decides how the other sheets' numbers are read.
    settings = read_settings(ctx)
    read_headers(ctx)
    departments = read_departments(ctx)
    kpis = read_kpis(ctx)
    one_spelling(ctx, departments, kpis)
    ctx.canonical = canonical_ids(kpis)
    units = {k.id: k.unit for k in kpis}
    measurements = read_measurements(ctx, units)
    benchmarks = read_benchmarks(ctx, units)
    plan = read_plan(ctx, units)
    comments = read_comments(ctx)
    _report_uncalculated_formulas(ctx)
    return Workbook(
        path=container.path,
        sha256=container.sha256,
        sheets=ctx.sheets,
        settings=settings,
        departments=departments,
        kpis=kpis,
        measurements=measurements,
        benchmarks=benchmarks,
        plan=plan,
        comments=comments,
        issues=ctx.issues,
    )


def _read_raw_sheets(container: Container, ctx: ReadContext) -> dict[str, RawSheet]:
    """The contract sheets' cells by sheet key; a second sheet of one kind is reported in
    ``ctx`` and left out. A file calamine cannot read raises WorkbookError."""
    calamine = _open_calamine(container)
    percent_ids = percent_styles(container)
    found: dict[str, str] = {}
    for name in calamine.sheet_names:
        spec = schema.find_sheet_spec(name)
        if spec is None:
            continue
        if spec.key in found:
            ctx.issues.append(
                Issue(
                    "duplicate-sheet",
                    name,
                    None,
                    {"first": found[spec.key], "sheet": name, "what": spec.en},
                )
            )
            continue
        found[spec.key] = name
    raw: dict[str, RawSheet] = {}
    for key, name in found.items():
        try:
            raw[key] = read_sheet(container, name, calamine, percent_ids)
        except WorkbookError:
            raise
        except BaseException as exc:
            if not _calamine_failure(exc):
                raise
            raise WorkbookError(
                container.path, "damaged", part=Text("the sheet '{name}'", name=name)
            ) from None
    return raw


def _open_calamine(container: Container) -> CalamineWorkbook:
    """calamine's workbook over the file's bytes, or WorkbookError when it cannot open it."""
    from python_calamine import CalamineWorkbook

    try:
        return CalamineWorkbook.from_filelike(io.BytesIO(container.data))
    except BaseException as exc:  # calamine's errors are several types; all mean damage here
        if not _calamine_failure(exc):
            raise
        raise WorkbookError(container.path, "damaged", part=Text("the workbook")) from None


def _calamine_failure(exc: BaseException) -> bool:
    """Whether ``exc`` is calamine failing on the file: any Exception, or the Rust panic pyo3
    raises as ``PanicException`` (a BaseException), e.g. for a date-formatted cell holding
    -1e300 (chrono's "TimeDelta::milliseconds out of bounds"). Not a MemoryError: running out
    of memory (a build's limit, kpireport/limits.py) is no fault of the file."""
    if isinstance(exc, MemoryError):
        return False
    return isinstance(exc, Exception) or type(exc).__name__ == "PanicException"


def _report_uncalculated_formulas(ctx: ReadContext) -> None:
    """Warn, once per sheet, when the file asks to recalculate its formulas on opening: their
    stored results may be stale."""
    for raw in ctx.raw.values():
        if raw.formula_count > len(raw.formula_missing) and raw.first_formula is not None:
            ctx.issues.append(
                Issue(
                    "formula-not-calculated",
                    raw.name,
                    cell_name(raw.first_formula[0] + 1, raw.first_formula[1]),
                    {"count": raw.formula_count - len(raw.formula_missing)},
                )
            )
