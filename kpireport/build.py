"""The build stage: report sets on disk. One workbook in, one folder out:
``DIR/<workbook name>/<report date>/``, so that earlier report sets are kept.

:func:`build_workbook` is the pipeline of one workbook: check it, find its build key (when the
set on disk was built with the same one, stop: kpireport/buildcache.py), compute the results,
plan the report set's documents and files (kpireport/buildplan.py), then :func:`_write_set`:
hand the PDF parts to the worker processes (kpireport/render/pdfstage.py), write the other
files meanwhile, and put the PDFs together.

Each file records the hash of everything it was made from (``.kpireport-build.json``); a
rebuild with the same inputs rewrites nothing, and a change to one department re-renders that
department and the board pack only. Every file is written to a temporary name and renamed into
place, so an interrupted build never leaves a half-written file where a good one was.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from kpireport import heap
from kpireport.buildcache import MANIFEST as MANIFEST  # re-exported: tests import it from here
from kpireport.buildcache import (
    BuildEntry,
    Manifest,
    StagedCards,
    build_key,
    owned,
    templates_digest,
)
from kpireport.buildplan import Plan, file_content, plan_set
from kpireport.engine import CompanySummary
from kpireport.engine.serialize import typed
from kpireport.errors import (
    KpiReportError,
    OutputError,
    ResultsFileError,
    UsageError,
    WorkbookError,
)
from kpireport.fsutil import (
    inside,
    locked,
    put_in_place,
    remove_temp_files,
    write_temp_pieces,
)
from kpireport.history import earlier_summaries, set_folders
from kpireport.i18n import SOURCE, language_code
from kpireport.issues import Issue, ValidationReport
from kpireport.limits import Limits
from kpireport.model import ReportDate
from kpireport.previous import Comparison, candidate, identity, previous_results
from kpireport.render.documents import (
    BOARD_PACK,
    BoardPack,
    DepartmentReport,
    OutputFile,
    department_html,
)
from kpireport.render.pdfstage import PAGES, Assembled, PdfStage, Renderer, RenderFailed
from kpireport.replaced import Replaced, restore, set_aside, settle
from kpireport.slug import folder_name

if TYPE_CHECKING:
    from kpireport.model import Workbook

FORMATS = ("pdf", "html", "json", "csv", "xlsx")
DEFAULT_FORMATS = ("pdf", "html", "json")  # csv and xlsx on request (docs/exports.md)


@dataclass
class BuildOptions:
    """How to build: which outputs, for which departments, in which language."""

    formats: tuple[str, ...] = DEFAULT_FORMATS
    departments: tuple[str, ...] = ()  # empty: all, and the board pack
    lang: str | None = None
    force: bool = False
    templates: Path | None = None
    pdf_variant: str | None = None
    jobs: int = 1
    # A PDF document (a department's pages, a part of the board pack) that takes longer than
    # this to render is stopped: its worker process is killed and the build names it.
    render_timeout: float = 600.0
    # Where files the workbook names (logos) are looked up; default: the workbook's own folder.
    # The drop-folder watcher sets its inbox, since it builds workbooks moved to processing/.
    assets: Path | None = None
    # Each workbook built in a child process under these limits (kpireport/limits.py); None:
    # in this process (the Python API's default).
    limits: Limits | None = None
    # --strict: a workbook with warnings is not built either, as validate --strict fails it
    strict: bool = False
    # --report-date: the date every number is as of, instead of the workbook's
    report_date: dt.date | None = None
    # --compare-to: the previous report the KPIs are compared with (kpireport/previous.py)
    compare: Comparison = field(default_factory=Comparison)
    # --page-size: the PDFs' paper instead of the workbook's Settings page_size (A4, Letter)
    page_size: str | None = None
    # The set's files synced to the disk before they are renamed into place, so that a crash
    # of the machine never leaves an empty one (fsutil.write_temp_pieces); the preview, whose
    # folder goes with its process, does without.
    sync: bool = True

    def assets_for(self, workbook: Workbook) -> Path:
        """Where the files ``workbook`` names are looked up."""
        return self.assets or Path(workbook.path).parent


@dataclass
class BuildResult:
    """What happened to one workbook."""

    path: Path
    report: ValidationReport
    folder: Path | None = None  # the report set, when the workbook was valid
    written: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    summary: CompanySummary | None = None
    language: str = SOURCE
    validation_page: Path | None = None  # for a workbook with errors
    replaced: Replaced | None = None  # the set of another company this build kept aside
    report_date: ReportDate | None = None  # what the set is as of, and where that came from
    # the logo files the workbook names, where the build looked for them (whether they exist
    # or not): what a watcher of the workbook watches too (kpireport preview); None when the
    # workbook could not be read
    logos: list[Path] | None = None

    @property
    def ok(self) -> bool:
        return self.folder is not None

    @property
    def board_pack(self) -> Path | None:
        for path in [*self.written, *self.unchanged]:
            if path.name == f"{BOARD_PACK}.pdf":
                return path
        return None


# Told of every file written: (its path, files done, files to write for this workbook).
Progress = Callable[[str, int, int], None]


def report_folder(out_dir: Path, workbook: Path, report_date: str) -> Path:
    """``DIR/<workbook name without extension>/<report date>``; a name unsafe as a folder
    (``..``, ``CON``, ``-rf``) is made safe by :func:`kpireport.slug.folder_name`."""
    return inside(Path(out_dir), folder_name(workbook.stem), report_date)


def build(
    paths: list[Path],
    out_dir: Path,
    options: BuildOptions | None = None,
    progress: Progress | None = None,
    on_result: Callable[[BuildResult], None] | None = None,
) -> list[BuildResult]:
    """Build every workbook in ``paths``; one failing workbook does not stop the others.

    Two workbooks with the same name (``a/x.xlsx`` and ``b/x.xlsx``) would write the same
    folder: the second is refused rather than overwriting the first one's reports.
    ``progress`` hears of every file written; ``on_result`` of every workbook done.
    """
    options = options or BuildOptions()
    out_dir = Path(out_dir)
    results = []
    seen: dict[str, Path] = {}
    with Renderer(options.jobs, options.render_timeout) as pool:
        for path in map(Path, paths):
            other = seen.setdefault(folder_name(path.stem).casefold(), path)
            if other != path:
                args = {"other": str(other), "folder": str(out_dir / folder_name(path.stem))}
                code = language_code(options.lang)
                result = _failure(path, "duplicate-workbook-name", args, code)
            elif options.limits is not None:
                from kpireport.buildchild import build_limited

                result = build_limited(path, out_dir, options, progress)
            else:
                result = build_workbook(path, out_dir, options, progress, pool)
            results.append(result)
            if on_result is not None:
                on_result(result)
    if any(r.ok for r in results):
        languages = {r.language for r in results if r.ok}
        lang = options.lang or (languages.pop() if len(languages) == 1 else None)
        with contextlib.suppress(OutputError):
            write_home(out_dir, lang, options.sync)  # a convenience; the sets are written
    return results


def build_workbook(
    path: Path,
    out_dir: Path,
    options: BuildOptions | None = None,
    progress: Progress | None = None,
    pool: Renderer | None = None,
) -> BuildResult:
    """Validate one workbook and, when it has no errors, write its report set. ``pool``: the
    PDF workers to use (by default, started for this workbook).

    Whatever goes wrong with this one workbook is its result (``build-failed`` for what nothing
    else names, a bug included), never raised, so the caller goes on with the others. Raised
    are only a usage error (a department it does not have: the command is wrong, not the
    workbook) and MemoryError, the sign of a memory limit, which whoever set it judges."""
    options = options or BuildOptions()
    try:
        return _build_workbook(path, out_dir, options, progress, pool)
    except (UsageError, MemoryError):
        raise
    except Exception as exc:
        reason = str(exc) if isinstance(exc, KpiReportError) else f"{type(exc).__name__}: {exc}"
        return _failure(path, "build-failed", {"reason": reason}, language_code(options.lang))


def _failure(path: Path, code: str, args: dict[str, str], lang: str) -> BuildResult:
    """The result of a workbook whose report set was not built, for the reason ``code`` says."""
    return BuildResult(
        path, ValidationReport(str(path), [Issue(code, None, None, args)], lang=lang)
    )


def _build_workbook(
    path: Path,
    out_dir: Path,
    options: BuildOptions,
    progress: Progress | None,
    pool: Renderer | None,
) -> BuildResult:
    """:func:`build_workbook`, raising what it does not expect."""
    from kpireport.assets import logo_files
    from kpireport.validate import check

    if pool is not None and "pdf" in options.formats:
        # The PDF workers' fork server starts up (render/warm.py) while the workbook is read
        # and checked. A workbook with errors, or one already built, started it for nothing,
        # but nothing waits for it: Renderer.start returns at once, and a pool that rendered
        # nothing is stopped without its workers ever being forked.
        pool.start()
    try:
        workbook, report = check(
            path, lang=options.lang, assets=options.assets, report_date=options.report_date
        )
    except WorkbookError as exc:
        lang = language_code(options.lang)
        return BuildResult(path, ValidationReport(str(path), [exc.issue], lang=lang))
    logos = logo_files(workbook, options.assets_for(workbook))
    result = _build_checked(path, out_dir, options, progress, pool, workbook, report)
    result.logos = logos
    return result


def _build_checked(
    path: Path,
    out_dir: Path,
    options: BuildOptions,
    progress: Progress | None,
    pool: Renderer | None,
    workbook: Workbook,
    report: ValidationReport,
) -> BuildResult:
    """:func:`_build_workbook` of a workbook read and validated."""
    from kpireport.engine import compute
    from kpireport.engine.changes import compare

    if not report.ok(options.strict):
        return _failed_validation(path, out_dir, workbook, report, options)
    # Nothing to do when this very workbook (its bytes, its logos) was built with the same
    # kpireport, templates and options, and every file is as that build left it: then the
    # numbers are not even computed.
    as_of = options.report_date or workbook.report_date
    dated = workbook.report_date_origin()
    if options.report_date is not None:
        dated = ReportDate(options.report_date, "--report-date", typed=True)
    earlier = None
    if as_of is not None:
        if options.compare.date is not None and options.compare.date >= as_of:
            raise UsageError(
                f"--compare-to {options.compare.date.isoformat()} is not before the report "
                f"date {as_of.isoformat()} of {path.name}"
            )
        earlier = candidate(out_dir, path, as_of, options.compare)
    templates = templates_digest(options.templates)
    compared = identity(earlier, as_of, options.compare) if as_of is not None else None
    key = build_key(workbook, options, templates, compared)
    if as_of is not None and not options.force:
        previous = _previous_build(path, out_dir, report, as_of.isoformat(), key)
        if previous is not None:
            return replace(previous, report_date=dated)
    results = compute(workbook, report, lang=options.lang, report_date=as_of)
    results.page_size = options.page_size or results.page_size
    before = previous_results(earlier, results, workbook, report, options.compare, options.lang)
    if before is not None:
        compare(results, *before)
        del before  # its series are not needed
    # The measurements are in the results now; the rows themselves are not needed again, and
    # for a workbook of daily KPIs they are a large part of the build's memory.
    workbook.measurements.clear()
    workers = (
        contextlib.nullcontext(pool) if pool else Renderer(options.jobs, options.render_timeout)
    )
    try:
        folder = report_folder(out_dir, path, results.report_date.isoformat())
        with locked(out_dir), workers as renderer:
            for place in (folder, folder / PAGES):  # left by a build that was killed
                remove_temp_files(place, owned)
            # the earlier sets of this workbook, for the trend on the set's index.html
            history = earlier_summaries(out_dir, path, results.report_date)
            plan = plan_set(workbook, results, report, options, templates, history)
            record = BuildEntry(
                key=key, language=results.language, summary=plan.summary, company=results.company
            )
            # a set of another company is kept, not replaced (kpireport/replaced.py)
            replaced = set_aside(folder, results.company)
            try:
                written, unchanged = _write_set(plan, folder, options, progress, renderer, record)
            except BaseException:
                if replaced is not None:
                    restore(replaced, folder)
                raise
            if replaced is not None:
                settle(replaced)
            _forget_older_pages(folder)
            # the workbook is valid now: a validation page from a failed build would mislead
            _remove_validation_page(out_dir, path)
    except RenderFailed as exc:
        args = {"document": exc.document, "reason": exc.reason}
        return _failure(path, "render-failed", args, report.lang)
    except OutputError as exc:
        return _failure(path, "write-failed", {"reason": str(exc)}, report.lang)
    return BuildResult(
        path,
        report,
        folder,
        written,
        unchanged,
        results.summary,
        language=results.language,
        replaced=replaced,
        report_date=dated,
    )


def _previous_build(
    path: Path, out_dir: Path, report: ValidationReport, as_of: str, key: str
) -> BuildResult | None:
    """The report set of ``path`` dated ``as_of``, when it was built with ``key`` and is as
    that build left it."""
    with contextlib.suppress(OutputError), locked(out_dir):
        folder = report_folder(out_dir, path, as_of)
        built = Manifest.read(folder).previous_build(key)
        if built is None:
            return None
        try:
            summary = typed(CompanySummary, built.summary)
        except ResultsFileError:
            return None  # recorded by another version of kpireport: build again
        _remove_validation_page(out_dir, path)  # of a failed build in between
        return BuildResult(path, report, folder, [], built.files, summary, built.language)
    return None


# --- writing the report set ---------------------------------------------------------------------


def _write_set(
    plan: Plan,
    folder: Path,
    options: BuildOptions,
    progress: Progress | None,
    pool: Renderer,
    record: BuildEntry,
) -> tuple[list[Path], list[Path]]:
    """Write the files of ``plan`` that are out of date into ``folder``: (written, unchanged).
    ``record`` (the build's key) goes into the manifest once every file is in place."""
    manifest = Manifest(folder, {}, None) if options.force else Manifest.read(folder)
    todo, unchanged = [], []
    for file in plan.files:
        target = inside(folder, file.name)
        if manifest.up_to_date(file.name, file.key):
            unchanged.append(target)
        else:
            todo.append(file)
    if todo:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"cannot create {folder}: {exc.strerror or exc}") from None
    departments = [f.document for f in todo if f.pdf and isinstance(f.document, DepartmentReport)]
    pack = next((f.document for f in todo if f.pdf and isinstance(f.document, BoardPack)), None)
    # the department bodies these PDFs are made of: from .pages/ when they are up to date there
    by_slug = {d.name: d for d in plan.departments}
    slugs = dict.fromkeys([*(pack.slugs if pack else ()), *(d.name for d in departments)])
    body_keys = {slug: by_slug[slug].body_key for slug in slugs}
    bodies = manifest.cached_bodies(body_keys)
    # the cards each department made once for its page and the board pack, kept by the last
    # build: only a changed department's are made again for the HTML board pack
    memo = plan.rs.view.memo
    card_keys = {d.name: d.body_key for d in plan.departments}
    if memo is not None and any(not f.pdf for f in todo):
        memo.update(manifest.cached_cards(card_keys))
    staging = _Staging(folder, progress, len(todo), options.sync)
    pdfs = PdfStage(folder, plan.rs, pool, plan.allowed, options.pdf_variant, plan.base)
    cards: list[StagedCards] = []  # the departments' cards for .pages/, once all is in place
    try:
        # the workers start on the PDFs first; the other files are written meanwhile
        pack_pdf = f"{BOARD_PACK}.pdf"
        pdfs.start(pack, manifest.cover_pages(pack_pdf), bodies, manifest.cover_numbers(pack_pdf))
        html = {}  # each department's HTML is rendered once, for its body and its HTML file
        for slug in body_keys:
            if slug not in bodies:
                html[slug] = department_html(plan.rs, by_slug[slug])
                pdfs.start_body(slug, html[slug])
        pdfs.go()
        for file in todo:
            if not file.pdf:
                staging.add(file, file_content(file, plan, html))
        if memo is not None:
            cards = manifest.stage_cards(memo, card_keys, options.sync)
            memo.clear()  # the cards, made once for the pages and the board pack
        del html
        heap.trim()  # what making the HTML freed, before the workers' long part
        files = {f.name: f for f in todo}

        def stage(pdf: Assembled) -> None:
            staging.add(files[pdf.name], pdf.pdf, pdf.cover_pages, pdf.cover_numbers)

        # a department's PDF is staged as soon as it is put together, while the workers render
        rendered = pdfs.bodies({d.name for d in departments}, stage)
        manifest.keep_bodies(rendered, body_keys)
        bodies |= rendered
        for pdf in pdfs.assemble(departments, pack, bodies):
            stage(pdf)
        if pack is not None:
            manifest.forget_bodies(set(pack.slugs))
        staging.put_in_place(manifest)
        manifest.keep_cards(cards)
        manifest.record_build(record)
    except BaseException:
        pdfs.cancel()
        staging.discard()
        for staged in cards:
            staged.temp.unlink(missing_ok=True)
        raise
    finally:
        manifest.write(options.sync)
    return staging.written, unchanged


@dataclass(frozen=True)
class _Staged:
    """A new file written beside its place under a temporary name."""

    temp: Path
    target: Path
    file: OutputFile
    sha256: str
    cover_pages: int | None
    cover_numbers: dict[str, int] | None


class _Staging:
    """Every new file is first written beside its place under a temporary name; only when all
    of them are, are they renamed into place. So a build that fails half-way (a full disk, a
    document over the time limit) leaves the previous set as it was, not half old, half new."""

    def __init__(self, folder: Path, progress: Progress | None, total: int, sync: bool) -> None:
        self.folder = folder
        self.progress = progress
        self.total = total  # files to write
        self.sync = sync
        self.staged: list[_Staged] = []
        self.written: list[Path] = []

    def add(
        self,
        file: OutputFile,
        data: str | bytes | Iterable[str] | Iterable[bytes],
        cover_pages: int | None = None,
        cover_numbers: dict[str, int] | None = None,
    ) -> None:
        """Write ``data`` (or its pieces, as they come) for ``file`` to a temporary file;
        ``cover_pages`` and ``cover_numbers``: of a board pack."""
        target = self.folder / file.name
        pieces = [data] if isinstance(data, str | bytes) else data
        temp, digest = write_temp_pieces(target, pieces, self.sync)
        staged = _Staged(temp, target, file, digest, cover_pages, cover_numbers)
        self.staged.append(staged)
        if self.progress is not None:
            self.progress(str(target), len(self.staged), self.total)

    def put_in_place(self, manifest: Manifest) -> None:
        """Rename every file into place, and record it in ``manifest``."""
        for s in self.staged:
            put_in_place(s.temp, s.target)
            manifest.record(s.file.name, s.file.key, s.sha256, s.cover_pages, s.cover_numbers)
            self.written.append(s.target)

    def discard(self) -> None:
        """Delete the temporary files not renamed into place (the build failed)."""
        for s in self.staged:
            with contextlib.suppress(OSError):
                s.temp.unlink()


# --- validation page of a failed build, and the overview of every report set -------------------


def _failed_validation(
    path: Path, out_dir: Path, workbook: Workbook, report: ValidationReport, options: BuildOptions
) -> BuildResult:
    """The result of a workbook with errors, with ``DIR/<workbook>/validation.html`` written
    beside its dated report sets, never inside one (the messages are printed anyway)."""
    from kpireport.fsutil import write_atomic
    from kpireport.render import environment, render
    from kpireport.render.failed import failed_view

    result = BuildResult(path, report, language=report.lang)
    with contextlib.suppress(OutputError), locked(out_dir):
        env = environment(options.templates)
        html = render(
            env,
            "validation.html",
            failed_view(workbook, report),
            report=report,
            failed=True,
            strict=options.strict,
        )
        page = inside(Path(out_dir), folder_name(path.stem), "validation.html")
        result.validation_page = write_atomic(page, html, sync=options.sync)
    return result


def _forget_older_pages(folder: Path) -> None:
    """Delete ``.pages/`` from the sets of the same workbook dated before ``folder``'s, which
    was just built. It serves the next build of its own set only (a 1,000-KPI set's is 23 MB,
    a quarter of the set), and a workbook gets a set each report date; a newer set keeps its
    own, so a corrected earlier workbook does not make the next month's rebuild start cold."""
    for name in set_folders(folder.parent):
        pages = folder.parent / name / PAGES
        if name < folder.name and pages.is_dir() and not pages.is_symlink():
            shutil.rmtree(pages, ignore_errors=True)


def _remove_validation_page(out_dir: Path, path: Path) -> None:
    """Remove the validation page a failed build of ``path`` left (see _failed_validation)."""
    with contextlib.suppress(FileNotFoundError):
        (Path(out_dir) / folder_name(path.stem) / "validation.html").unlink()


def write_home(out_dir: Path, lang: str | None = None, sync: bool = True) -> Path:
    """``DIR/index.html``: every workbook with its latest report and its trend across report
    dates, and the sets of other companies kept aside (kpireport/replaced.py). ``sync``: see
    :func:`kpireport.fsutil.write_temp_pieces`."""
    from kpireport.fsutil import write_atomic
    from kpireport.history import overview
    from kpireport.render.home import render_home

    html = render_home(overview(out_dir), lang)
    return write_atomic(Path(out_dir) / "index.html", html, if_changed=True, sync=sync)


def default_jobs() -> int:
    """One worker per core."""
    return max(
        1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    )
