"""The build stage: report sets on disk. One workbook in, one folder out:
``DIR/<workbook name>/<report date>/``, so that earlier report sets are kept.

Each output records the hash of everything it was made from (``.kpireport-build.json``); a
rebuild with the same inputs rewrites nothing, and a change to one department re-renders that
department and the board pack only. Every file is written to a temporary name and renamed into
place, so an interrupted build never leaves a half-written file where a good one was.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kpireport import __version__
from kpireport.errors import OutputError, UsageError, WorkbookError

if TYPE_CHECKING:
    from kpireport.engine import CompanySummary
from kpireport.fsutil import inside, locked, remove_temp_files
from kpireport.issues import Issue, ValidationReport
from kpireport.slug import folder_name

FORMATS = ("pdf", "html", "json", "csv")
DEFAULT_FORMATS = ("pdf", "html", "json")  # csv on request (docs/exports.md)
MANIFEST = ".kpireport-build.json"
BUILD = "build"  # the manifest's record of the whole build: key, summary, language
BOARD_PACK = "board-pack"


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


@dataclass
class BuildResult:
    """What happened to one workbook."""

    path: Path
    report: ValidationReport
    folder: Path | None = None  # the report set, when the workbook was valid
    written: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    summary: CompanySummary | None = None
    language: str = "en"
    validation_page: Path | None = None  # for a workbook with errors

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
    with _Renderer(options.jobs, options.render_timeout) as pool:
        for path in map(Path, paths):
            other = seen.setdefault(folder_name(path.stem).casefold(), path)
            if other != path:
                issue = Issue(
                    "duplicate-workbook-name",
                    None,
                    None,
                    {"other": str(other), "folder": str(out_dir / folder_name(path.stem))},
                )
                report = ValidationReport(str(path), [issue], lang=options.lang or "en")
                result = BuildResult(path, report)
            else:
                result = build_workbook(path, out_dir, options, progress, pool)
            results.append(result)
            if on_result is not None:
                on_result(result)
    if any(r.ok for r in results):
        languages = {r.language for r in results if r.ok}
        lang = options.lang or (languages.pop() if len(languages) == 1 else "en")
        with contextlib.suppress(OutputError):
            write_home(out_dir, lang)  # a convenience; the report sets are written
    return results


class _Renderer:
    """The worker processes that turn HTML into PDF, started when the first PDF is wanted and
    reused for every document of every workbook (WeasyPrint's start-up and font configuration
    are paid once per worker). Each document runs under ``timeout`` seconds; one that runs
    over has its worker killed (pebble replaces it) and fails with :class:`RenderFailed`."""

    def __init__(self, jobs: int, timeout: float) -> None:
        self.jobs = max(1, jobs)
        self.timeout = timeout
        self._pool: Any = None

    def submit(self, fn: Callable[..., Any], *args: Any) -> Any:
        if self._pool is None:
            import multiprocessing

            from pebble import ProcessPool

            # Workers come from a fork server that has imported WeasyPrint and nothing of this
            # process: they hold none of its open files (the output folder's lock, the drop
            # folder's lock), so a killed build never leaves a lock held, and none of its memory.
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["kpireport.render.pdf", "weasyprint"])
            self._pool = ProcessPool(
                max_workers=self.jobs, initializer=_worker_start, context=context
            )
        return self._pool.schedule(fn, args=args, timeout=self.timeout)

    def __enter__(self) -> _Renderer:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            if exc[0] is None:
                self._pool.close()
            else:
                self._pool.stop()
            self._pool.join()


def _worker_start() -> None:
    """In each worker: die with the process that started it (Linux), so a build killed with
    SIGKILL leaves no worker rendering on."""
    import ctypes
    import signal
    import sys

    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL("libc.so.6", use_errno=True)
            libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


class RenderFailed(OutputError):
    """A document could not be rendered (ran over the time limit, or its worker died)."""

    def __init__(self, document: str, reason: str) -> None:
        super().__init__(f"{document}: {reason}")
        self.document = document
        self.reason = reason


def build_workbook(
    path: Path,
    out_dir: Path,
    options: BuildOptions | None = None,
    progress: Progress | None = None,
    pool: _Renderer | None = None,
) -> BuildResult:
    """Validate one workbook and, when it has no errors, write its report set."""
    from kpireport.engine import compute
    from kpireport.validate import check, effective_report_date

    options = options or BuildOptions()
    say = progress or (lambda _path, _done, _total: None)
    try:
        workbook, report = check(path, lang=options.lang, assets=options.assets)
    except WorkbookError as exc:
        return BuildResult(
            path, ValidationReport(str(path), [exc.issue], lang=options.lang or "en")
        )
    home = Path(out_dir) / folder_name(path.stem)  # the workbook's folder: its report sets
    if not report.valid:
        result = BuildResult(path, report, language=report.lang)
        with contextlib.suppress(OutputError), locked(out_dir):  # messages are printed anyway
            result.validation_page = _write_failed_validation(
                path, out_dir, workbook, report, options
            )
        return result
    # Nothing to do when this very workbook (its bytes, its logos) was built with the same
    # kpireport, templates and options, and every file is as that build left it: then the
    # numbers are not even computed.
    as_of = effective_report_date(workbook)
    templates = _templates_digest(options.templates)
    key = _build_key(workbook, options, templates)
    if as_of is not None and not options.force:
        with contextlib.suppress(OutputError), locked(out_dir):
            done = _built_already(report_folder(out_dir, path, as_of.isoformat()), key)
            if done is not None:
                with contextlib.suppress(FileNotFoundError):
                    (home / "validation.html").unlink()  # of a failed build in between
                return BuildResult(path, report, *done)
    results = compute(workbook, report, lang=options.lang, report_date=as_of)
    # The measurements are in the results now; the rows themselves are not needed again, and
    # for a workbook of daily KPIs they are a large part of the build's memory.
    workbook.measurements.clear()
    own = None if pool else _Renderer(options.jobs, options.render_timeout)
    try:
        folder = report_folder(out_dir, path, results.report_date.isoformat())
        with locked(out_dir), own or contextlib.nullcontext():
            pool = pool or own
            assert pool is not None
            for place in (folder, folder / PAGES):  # left by a build that was killed
                remove_temp_files(place, _owned)
            record = {"key": key, "language": results.language}
            written, unchanged = _write_set(
                workbook, results, report, folder, options, say, pool, record, templates
            )
            # the workbook is valid now: a validation page from a failed build would mislead
            with contextlib.suppress(FileNotFoundError):
                (home / "validation.html").unlink()
    except RenderFailed as exc:
        args = {"document": exc.document, "reason": exc.reason}
        issue = Issue("render-failed", None, None, args)
        return BuildResult(path, ValidationReport(str(path), [issue], lang=report.lang))
    except OutputError as exc:
        issue = Issue("write-failed", None, None, {"reason": str(exc)})
        return BuildResult(path, ValidationReport(str(path), [issue], lang=report.lang))
    return BuildResult(
        path,
        report,
        folder,
        written,
        unchanged,
        summary=results.summary,
        language=results.language,
    )


def _build_key(workbook: Any, options: BuildOptions, templates: str) -> str:
    """Everything a report set is made from, when the workbook is the same file.
    ``templates``: :func:`_templates_digest` of the templates in use."""
    from kpireport.assets import image_data_uri

    assets = options.assets or Path(workbook.path).parent
    logos = [workbook.settings.logo, *(d.logo for d in workbook.departments)]
    return _digest(
        __version__,
        templates,
        workbook.sha256,
        [image_data_uri(logo, assets) for logo in logos],
        options.formats,
        options.departments,
        options.lang,
        options.pdf_variant,
    )


def _built_already(folder: Path, key: str) -> tuple[Path, list[Path], list[Path], Any, str] | None:
    """(folder, written, unchanged, summary, language) when ``folder`` was built with ``key``
    and every file the build recorded is there with the bytes it wrote; else None."""
    manifest = _read_manifest(folder)
    build = manifest.get(BUILD, {})
    if not isinstance(build, dict) or build.get("key") != key:
        return None
    files = [name for name in manifest if name != BUILD and not name.startswith(f"{PAGES}/")]
    if not all(_intact(folder / name, manifest[name]) for name in files):
        return None
    from kpireport.engine import CompanySummary
    from kpireport.engine.serialize import typed
    from kpireport.errors import ResultsFileError

    try:
        summary = typed(CompanySummary, build["summary"])
    except ResultsFileError:
        return None  # written by another version: build again
    return folder, [], [folder / name for name in files], summary, build["language"]


# --- the report set ---------------------------------------------------------------------------


@dataclass
class _Output:
    name: str  # file name in the folder
    key: str  # hash of everything the file is made from
    make: Callable[[], str | bytes]  # the file's content; for a PDF, the HTML it is made from
    attachments: list[tuple[str, bytes]] = field(default_factory=list)
    body: str | None = None  # a department PDF: the slug of the pages it is made of
    pack: _Pack | None = None  # the board pack PDF: how it is put together
    extra: dict[str, Any] = field(default_factory=dict)  # more to record in the manifest

    @property
    def pdf(self) -> bool:
        return self.name.endswith(".pdf")


@dataclass
class _Body:
    """A department's PDF pages without running header and footer: laid out once, used by the
    department's PDF and by the board pack, and kept in ``.pages/`` for the next build."""

    slug: str
    key: str
    make: Callable[[], str]


@dataclass
class _Pack:
    """The board pack PDF: cover and contents (``cover(pages=...)``, given each entry's page
    number), summary pages, then the department bodies in order."""

    cover: Callable[..., str]
    summary: Callable[[], str]
    slugs: list[str]


def _digest(*parts: Any) -> str:
    h = hashlib.sha256()
    for part in parts:
        data = (
            part
            if isinstance(part, bytes)
            else json.dumps(part, sort_keys=True, default=str).encode()
        )
        h.update(hashlib.sha256(data).digest())
    return h.hexdigest()


def _templates_digest(user_dir: Path | None) -> str:
    """The templates and the rendering code: a change to either makes pages out of date."""
    from kpireport import render
    from kpireport.render import default_templates

    h = hashlib.sha256()
    code = Path(render.__file__).parent
    for root in [default_templates(), code, *([user_dir] if user_dir else [])]:
        for file in sorted(p for p in Path(root).rglob("*") if p.is_file() and p.suffix != ".pyc"):
            h.update(str(file.relative_to(root)).encode())
            h.update(file.read_bytes())
    return h.hexdigest()


def _owned(name: str) -> bool:
    """The files a build writes into a report set (not, say, sent.json of `kpireport send`)."""
    return name.endswith((".pdf", ".html")) or name in ("results.json", "results.csv", MANIFEST)


def _write_set(
    workbook: Any,
    results: Any,
    report: ValidationReport,
    folder: Path,
    options: BuildOptions,
    say: Progress,
    pool: Any,
    record: dict[str, Any],
    templates: str,
) -> tuple[list[Path], list[Path]]:
    """Write the report set; ``record`` (the build's key) goes into the manifest with the
    summary once every file is in place. ``templates``: the templates' digest."""
    from kpireport.assets import image_data_uri
    from kpireport.engine import to_dict
    from kpireport.export import results_csv
    from kpireport.render import View, environment, render

    # results.json's data: held here only until the files other than PDFs are written, so that
    # the long PDF stage does not keep it (hundreds of MB for a large workbook)
    held = {"data": to_dict(results)}
    data = held["data"]
    env = environment(options.templates)
    base = _digest(__version__, templates, options.pdf_variant)
    assets = options.assets or Path(workbook.path).parent
    # the same check as validation's bad-logo warning: a refused file is never opened
    logo = image_data_uri(results.logo, assets)
    view = View(results, logo=logo)
    # What every page shows besides its own numbers: the settings and the report date. Not the
    # workbook's hash: a department page must not change when another department's rows do
    # (the board pack, which shows the hash, depends on everything anyway).
    page = {k: data[k] for k in data if k not in ("departments", "summary", "warnings", "sha256")}
    logo_key = logo or ""

    # made when written, and not kept: 25 MB for 150,000 measurements. Compact, because only
    # then does json use its C encoder: the indented form took 180 MB more and 2 s longer.
    def results_json() -> str:
        return json.dumps(held["data"], ensure_ascii=False, separators=(",", ":")) + "\n"

    outputs: list[_Output] = []
    wanted = {d.casefold() for d in options.departments}
    chosen = [d for d in results.departments if not wanted or d.name.casefold() in wanted]
    unknown = wanted - {d.name.casefold() for d in results.departments}
    if unknown:
        available = ", ".join(d.name for d in results.departments)
        missing = ", ".join(n for n in options.departments if n.casefold() in unknown)
        raise UsageError(f"{workbook.path.name} has no department {missing}; it has: {available}")
    # Each department's numbers are hashed once; everything else's hash is made of those.
    department_keys = {d["slug"]: _digest(d) for d in data["departments"]}
    everything = _digest({k: data[k] for k in data if k != "departments"}, department_keys)
    bodies: dict[str, _Body] = {}
    for dept in chosen:
        dept_logo = image_data_uri(dept.logo, assets)
        key = _digest(base, page, department_keys[dept.slug], dept_logo or logo_key)
        # rendered only when one of its files is out of date, and then once for both
        html = functools.cache(
            functools.partial(
                render, env, "department.html", View(results, dept_logo or logo), dept=dept
            )
        )
        outputs.append(_Output(f"{dept.slug}.html", _digest(key, "html"), html))
        outputs.append(_Output(f"{dept.slug}.pdf", _digest(key, "pdf"), html, body=dept.slug))
        bodies[dept.slug] = _Body(dept.slug, _digest(key, "body"), html)
    if not wanted:
        key = _digest(base, everything, logo_key)
        pack = functools.partial(render, env, "board-pack.html", view)
        board = functools.partial(pack, part=None, pages=None)  # the HTML file; PDF: parts
        attachments = [("results.json", results_json().encode())] if options.pdf_variant else []
        parts = _Pack(
            functools.partial(pack, part="cover"),
            functools.partial(pack, part="summary", pages=None),
            [d.slug for d in chosen],
        )
        outputs.append(_Output(f"{BOARD_PACK}.html", _digest(key, "html"), board))
        outputs.append(
            _Output(f"{BOARD_PACK}.pdf", _digest(key, "pdf"), board, attachments, pack=parts)
        )
        outputs.append(_Output("results.json", _digest(everything, "json"), results_json))
        outputs.append(
            _Output("results.csv", _digest(everything, "csv"), lambda: results_csv(results))
        )
    validation_key = _digest(base, page, [i.to_dict(results.language) for i in report.issues])
    outputs.append(
        _Output(
            "validation.html",
            validation_key,
            functools.partial(render, env, "validation.html", view, report=report, failed=False),
        )
    )
    formats = set(options.formats)
    outputs = [
        o for o in outputs if o.name.rsplit(".", 1)[1] in formats or o.name == "validation.html"
    ]
    index_key = _digest(base, page, [o.name for o in outputs], data["summary"])
    names = [o.name for o in outputs]
    outputs.append(
        _Output(
            "index.html", index_key, functools.partial(render, env, "index.html", view, files=names)
        )
    )
    furniture = functools.partial(render, env, "furniture.html", view)
    pdfs = _PdfStage(folder, bodies, furniture, options, pool, allowed=[assets])
    record["summary"] = data["summary"]
    del data
    return _write_outputs(folder, outputs, options, say, pdfs, record, release=held.clear)


def _write_outputs(
    folder: Path,
    outputs: list[_Output],
    options: BuildOptions,
    say: Progress,
    pdfs: _PdfStage,
    record: dict[str, Any],
    release: Callable[[], None] = lambda: None,
) -> tuple[list[Path], list[Path]]:
    from kpireport.fsutil import put_in_place, write_atomic, write_temp

    manifest = {} if options.force else _read_manifest(folder)
    todo, unchanged = [], []
    for out in outputs:
        target = inside(folder, out.name)
        recorded = manifest.get(out.name, {})
        if recorded.get("key") == out.key and _intact(target, recorded):
            unchanged.append(target)
        else:
            todo.append(out)
    if todo:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"cannot create {folder}: {exc.strerror or exc}") from None
    written: list[Path] = []
    changed = False
    # Every new file is first written beside its place under a temporary name; only when all
    # of them are, are they renamed into place. So a build that fails half-way (a full disk, a
    # document over the time limit) leaves the previous set as it was, not half old, half new.
    staged: list[tuple[Path, Path, _Output, str]] = []

    def done(out: _Output, data: bytes | str) -> None:
        payload = data.encode("utf-8") if isinstance(data, str) else data
        target = folder / out.name
        staged.append(
            (write_temp(target, payload), target, out, hashlib.sha256(payload).hexdigest())
        )
        say(str(target), len(staged), len(todo))

    try:
        # the workers start on the PDFs first; the other files are written meanwhile
        pdfs.start([o for o in todo if o.pdf], manifest)
        for out in todo:
            if not out.pdf:
                done(out, out.make())
        release()  # what only those files needed
        pdfs.finish(manifest, done)
        for tmp, target, out, sha256 in staged:
            put_in_place(tmp, target)
            manifest[out.name] = {"key": out.key, "sha256": sha256, **out.extra}
            written.append(target)
        changed = manifest.get(BUILD) != record
        manifest[BUILD] = record
    except BaseException:
        pdfs.cancel()
        for tmp, *_ in staged:
            with contextlib.suppress(OSError):
                tmp.unlink()
        raise
    finally:
        if written or changed or pdfs.cached or not (folder / MANIFEST).exists():
            write_atomic(folder / MANIFEST, json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return written, unchanged


PAGES = ".pages"  # in a report set: the department bodies, for the next build's board pack
FURNITURE_CHUNK = 150  # pages of running header and footer rendered by one worker job


class _PdfStage:
    """Every PDF of a report set, rendered in the worker processes.

    Each department's pages are laid out once (its *body*, with no running header or footer)
    and cached in ``.pages/``. A department PDF is its body with the header and footer drawn
    over it; the board pack is its cover and contents, its summary pages and every body, with
    the whole pack's header and footer ("Page 37 of 412") drawn over them. So the pages of a
    board pack are never laid out twice, a changed department re-renders only its own pages,
    and no worker ever holds more than one department in memory.
    """

    def __init__(
        self,
        folder: Path,
        bodies: dict[str, _Body],
        furniture: Callable[..., str],
        options: BuildOptions,
        pool: _Renderer,
        allowed: list[Path],
    ) -> None:
        from kpireport.render import default_templates

        self.folder = folder
        self.bodies = bodies
        self.furniture = furniture
        self.variant = options.pdf_variant
        self.pool = pool
        self.roots = [
            default_templates(),
            *([options.templates] if options.templates else []),
            *allowed,
        ]
        self.cached: list[str] = []  # bodies written to .pages/ in this build
        self.layers: dict[str, tuple[bytes, int]] = {}  # header and footer layers from .pages/
        self.new_layers: dict[str, Path] = {}  # layers rendered now, to keep in .pages/
        self.layers_used: set[str] = set()
        self.layer_labels: dict[str, list[str]] = {}  # document: its layers' labels, in order
        self.todo: list[_Output] = []

    # -- running jobs ----------------------------------------------------------------------------

    def _submit(self, html: str, attachments: list[tuple[str, bytes]] = ()) -> Any:  # type: ignore[assignment]
        from kpireport.render.pdf import render_pdf

        return self.pool.submit(render_pdf, html, self.roots, self.variant, list(attachments))

    def _wait(self, futures: dict[Any, str]) -> dict[str, tuple[bytes, int]]:
        """The results of ``futures`` (future: document name), or :class:`RenderFailed` naming
        the first document that failed; the others are cancelled (their workers stopped)."""
        from concurrent.futures import FIRST_EXCEPTION, wait

        pending = set(futures)
        out: dict[str, tuple[bytes, int]] = {}
        while pending:
            finished, pending = wait(pending, return_when=FIRST_EXCEPTION)
            for future in finished:
                try:
                    out[futures[future]] = future.result()
                except BaseException as exc:
                    for other in pending:
                        other.cancel()
                    raise self._failure(futures[future], exc) from exc
        return out

    def _failure(self, document: str, exc: BaseException) -> RenderFailed:
        from pebble import ProcessExpired

        if isinstance(exc, TimeoutError):
            limit = f"{self.pool.timeout:g}"
            return RenderFailed(document, f"rendering took longer than {limit} s and was stopped")
        if isinstance(exc, ProcessExpired):
            return RenderFailed(document, f"the renderer stopped unexpectedly ({exc})")
        return RenderFailed(document, f"{type(exc).__name__}: {exc}")

    def _furniture(self, name: str, total: int, cover: bool) -> dict[Any, str]:
        """Jobs for the header and footer layers of document ``name``; a layer rendered before
        from the same HTML is taken from ``.pages/`` (a board pack's, when one department
        changed and its page count did not)."""
        jobs = {}
        self.layer_labels[name] = []
        for first in range(1, total + 1, FURNITURE_CHUNK):
            count = min(FURNITURE_CHUNK, total - first + 1)
            html = self.furniture(first=first, count=count, total=total, cover=cover)
            label = f"{name} (header and footer, page {first})"
            self.layer_labels[name].append(label)
            key = _digest(html, self.variant)[:32]
            path = self.folder / PAGES / f"furniture-{key}.pdf"
            self.layers_used.add(path.name)
            try:
                self.layers[label] = (path.read_bytes(), count)
            except OSError:
                jobs[self._submit(html)] = label
                self.new_layers[label] = path
        return jobs

    # -- the report set's PDFs -------------------------------------------------------------------

    def start(self, todo: list[_Output], manifest: dict[str, Any]) -> None:
        """Hand the workers every department's pages that are out of date, and the board
        pack's summary pages."""
        from kpireport.render.assemble import cross_links

        self.todo = todo
        pack = next((o for o in todo if o.pack), None)
        slugs = list(pack.pack.slugs) if pack and pack.pack else []
        slugs += [o.body for o in todo if o.body and o.body not in slugs]
        self.slugs = slugs
        self.ready: dict[str, tuple[bytes, int]] = {}
        self.jobs: dict[Any, str] = {}
        if pack and pack.pack:
            front = cross_links(pack.pack.summary())
            self.jobs[self._submit(front)] = f"{BOARD_PACK}.pdf (summary)"
        for slug in slugs:
            cached = self._cached_body(manifest, self.bodies[slug])
            if cached:
                self.ready[slug] = cached
            else:
                self.jobs[self._submit(self.bodies[slug].make())] = f"{slug}.pdf"

    def cancel(self) -> None:
        for future in getattr(self, "jobs", {}):
            future.cancel()

    def finish(self, manifest: dict[str, Any], done: Callable[[_Output, bytes], None]) -> None:
        """Wait for the pages, then draw the headers and footers and put the PDFs together."""
        from kpireport.fsutil import write_atomic
        from kpireport.render.assemble import assemble

        todo, slugs, bodies = self.todo, self.slugs, self.ready
        if not todo:
            return
        pack = next((o for o in todo if o.pack), None)
        rendered = self._wait(self.jobs)
        for slug in slugs:
            if slug not in bodies:
                bodies[slug] = rendered[f"{slug}.pdf"]
                self._cache_body(manifest, self.bodies[slug], *bodies[slug])
        departments = [o for o in todo if o.body]
        furniture: dict[Any, str] = {}
        for out in departments:
            assert out.body
            furniture |= self._furniture(out.name, bodies[out.body][1], cover=False)
        if pack and pack.pack:
            summary = rendered[f"{BOARD_PACK}.pdf (summary)"]
            cover = self._cover(pack, manifest, summary[1], [bodies[s] for s in pack.pack.slugs])
            total = cover[1] + summary[1] + sum(bodies[s][1] for s in pack.pack.slugs)
            furniture |= self._furniture(pack.name, total, cover=True)
        layers = self.layers | self._wait(furniture)
        for label, path in self.new_layers.items():
            write_atomic(path, layers[label][0])
        for out in departments:
            assert out.body
            done(out, assemble([bodies[out.body][0]], self._layers_of(out.name, layers)))
        if pack and pack.pack:
            parts = [cover[0], summary[0], *(bodies[s][0] for s in pack.pack.slugs)]
            pack.extra["cover_pages"] = cover[1]
            done(pack, assemble(parts, self._layers_of(pack.name, layers)))
            self._prune(manifest, set(pack.pack.slugs))

    def _layers_of(self, name: str, layers: dict[str, tuple[bytes, int]]) -> list[bytes]:
        """The header and footer PDFs of document ``name``, in page order."""
        return [layers[label][0] for label in self.layer_labels[name]]

    def _prune(self, manifest: dict[str, Any], slugs: set[str]) -> None:
        """Forget the cached pages of departments the workbook no longer has, and header and
        footer layers this build did not use."""
        keep = {f"{PAGES}/{slug}.pdf" for slug in slugs}
        for name in [n for n in manifest if n.startswith(f"{PAGES}/") and n not in keep]:
            del manifest[name]
            with contextlib.suppress(OSError):
                (self.folder / name).unlink()
        for layer in (self.folder / PAGES).glob("furniture-*.pdf"):
            if layer.name not in self.layers_used:
                with contextlib.suppress(OSError):
                    layer.unlink()

    def _cover(
        self,
        pack: _Output,
        manifest: dict[str, Any],
        summary_pages: int,
        bodies: list[tuple[bytes, int]],
    ) -> tuple[bytes, int]:
        """The cover and contents, whose page numbers depend on their own length: rendered
        with the length of the last build's (or 2), again if that was wrong."""
        from kpireport.render.assemble import cross_links

        assert pack.pack
        guess = manifest.get(pack.name, {}).get("cover_pages", 2)
        for _attempt in range(3):
            numbers = {"summary": guess + 1}
            page = guess + summary_pages + 1
            for slug, (_pdf, count) in zip(pack.pack.slugs, bodies, strict=True):
                numbers[slug] = page
                page += count
            html = cross_links(pack.pack.cover(pages=numbers))
            job = {self._submit(html, pack.attachments): f"{pack.name} (cover and contents)"}
            cover = next(iter(self._wait(job).values()))
            if cover[1] == guess:
                break
            guess = cover[1]
        return cover

    # -- the cache of department bodies ----------------------------------------------------------

    def _cached_body(self, manifest: dict[str, Any], body: _Body) -> tuple[bytes, int] | None:
        name = f"{PAGES}/{body.slug}.pdf"
        recorded = manifest.get(name, {})
        path = self.folder / name
        if recorded.get("key") != body.key or not path.is_file():
            return None
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() != recorded.get("sha256"):
            return None
        return data, int(recorded.get("pages", 0))

    def _cache_body(self, manifest: dict[str, Any], body: _Body, pdf: bytes, pages: int) -> None:
        from kpireport.fsutil import write_atomic

        name = f"{PAGES}/{body.slug}.pdf"
        write_atomic(self.folder / name, pdf)
        sha256 = hashlib.sha256(pdf).hexdigest()
        manifest[name] = {"key": body.key, "sha256": sha256, "pages": pages}
        self.cached.append(name)


def _intact(path: Path, recorded: dict[str, Any]) -> bool:
    """``path`` is a file with the bytes its manifest entry ``recorded`` says were written."""
    return path.is_file() and recorded.get("sha256") == _file_sha256(path)


def _read_manifest(folder: Path) -> dict[str, Any]:
    try:
        data = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# --- validation page of a failed build, and the overview of every report set -------------------


def _write_failed_validation(
    path: Path, out_dir: Path, workbook: Any, report: ValidationReport, options: BuildOptions
) -> Path:
    """``DIR/<workbook>/validation.html``: beside the dated report sets, never inside one."""
    from kpireport.fsutil import write_atomic
    from kpireport.render import environment, render
    from kpireport.render.failed import failed_view

    env = environment(options.templates)
    view = failed_view(workbook, report)
    html = render(env, "validation.html", view, report=report, failed=True)
    return write_atomic(inside(Path(out_dir), folder_name(path.stem), "validation.html"), html)


def write_home(out_dir: Path, lang: str | None = None) -> Path:
    """``DIR/index.html``: every workbook and its report sets, latest first."""
    from kpireport.fsutil import write_atomic
    from kpireport.render.home import render_home

    sets: dict[str, list[str]] = {}
    for manifest in sorted(Path(out_dir).glob(f"*/*/{MANIFEST}")):
        workbook, date = manifest.parent.parent.name, manifest.parent.name
        sets.setdefault(workbook, []).append(date)
    listing = {name: sorted(dates, reverse=True) for name, dates in sorted(sets.items())}
    html = render_home(listing, lang or "en")
    return write_atomic(Path(out_dir) / "index.html", html, if_changed=True)


def default_jobs() -> int:
    """One worker per core."""
    return max(
        1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    )
