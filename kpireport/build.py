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
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kpireport import __version__
from kpireport.errors import OutputError, UsageError, WorkbookError
from kpireport.fsutil import locked, remove_temp_files
from kpireport.issues import Issue, ValidationReport

FORMATS = ("pdf", "html", "json")
MANIFEST = ".kpireport-build.json"
BOARD_PACK = "board-pack"


@dataclass
class BuildOptions:
    """How to build: which outputs, for which departments, in which language."""

    formats: tuple[str, ...] = FORMATS
    departments: tuple[str, ...] = ()  # empty: all, and the board pack
    lang: str | None = None
    force: bool = False
    templates: Path | None = None
    pdf_variant: str | None = None
    jobs: int = 1
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
    summary: dict[str, Any] | None = None
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
    """``DIR/<workbook name without extension>/<report date>``."""
    return Path(out_dir) / workbook.stem / report_date


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
    with _pool(options.jobs) as pool:
        for path in map(Path, paths):
            other = seen.setdefault(path.stem.casefold(), path)
            if other != path:
                issue = Issue(
                    "duplicate-workbook-name",
                    None,
                    None,
                    {"other": str(other), "folder": str(out_dir / path.stem)},
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


class _Inline:
    """A stand-in for a process pool when building with one job."""

    def map(self, fn: Callable[..., Any], *iterables: Any) -> Iterator[Any]:
        return map(fn, *iterables)

    def __enter__(self) -> _Inline:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


def _pool(jobs: int) -> Any:
    return ProcessPoolExecutor(max_workers=jobs) if jobs > 1 else _Inline()


def build_workbook(
    path: Path,
    out_dir: Path,
    options: BuildOptions | None = None,
    progress: Progress | None = None,
    pool: Any = None,
) -> BuildResult:
    """Validate one workbook and, when it has no errors, write its report set."""
    from kpireport.engine import compute
    from kpireport.validate import check

    options = options or BuildOptions()
    say = progress or (lambda _path, _done, _total: None)
    try:
        workbook, report = check(path, lang=options.lang, assets=options.assets)
    except WorkbookError as exc:
        return BuildResult(
            path, ValidationReport(str(path), [exc.issue], lang=options.lang or "en")
        )
    home = Path(out_dir) / path.stem  # the workbook's folder: its report sets
    if not report.valid:
        result = BuildResult(path, report, language=report.lang)
        with contextlib.suppress(OutputError), locked(out_dir):  # messages are printed anyway
            result.validation_page = _write_failed_validation(
                path, out_dir, workbook, report, options
            )
        return result
    results = compute(workbook, report, lang=options.lang)
    folder = report_folder(out_dir, path, results.report_date.isoformat())
    try:
        with locked(out_dir):
            remove_temp_files(folder, _owned)  # left by a build that was killed
            written, unchanged = _write_set(
                workbook, results, report, folder, options, say, pool or _Inline()
            )
            # the workbook is valid now: a validation page from a failed build would mislead
            with contextlib.suppress(FileNotFoundError):
                (home / "validation.html").unlink()
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


# --- the report set ---------------------------------------------------------------------------


@dataclass
class _Output:
    name: str  # file name in the folder
    key: str  # hash of everything the file is made from
    make: Callable[[], str]  # the file's text; for a PDF, the HTML a worker turns into PDF
    attachments: list[tuple[str, bytes]] = field(default_factory=list)

    @property
    def pdf(self) -> bool:
        return self.name.endswith(".pdf")


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
    return name.endswith((".pdf", ".html")) or name in ("results.json", MANIFEST)


def _write_set(
    workbook: Any,
    results: Any,
    report: ValidationReport,
    folder: Path,
    options: BuildOptions,
    say: Progress,
    pool: Any,
) -> tuple[list[Path], list[Path]]:
    from kpireport.assets import image_data_uri
    from kpireport.engine import to_dict
    from kpireport.render import View, environment, render

    data = to_dict(results)
    env = environment(options.templates)
    base = _digest(__version__, _templates_digest(options.templates), options.pdf_variant)
    assets = options.assets or Path(workbook.path).parent
    # the same check as validation's bad-logo warning: a refused file is never opened
    logo = image_data_uri(results.logo, assets)
    view = View(results, logo=logo)
    # What every page shows besides its own numbers: the settings and the report date. Not the
    # workbook's hash: a department page must not change when another department's rows do
    # (the board pack, which shows the hash, depends on everything anyway).
    page = {k: data[k] for k in data if k not in ("departments", "summary", "warnings", "sha256")}
    logo_key = logo or ""
    results_json = json.dumps(data, ensure_ascii=False, indent=2) + "\n"

    outputs: list[_Output] = []
    wanted = {d.casefold() for d in options.departments}
    chosen = [d for d in results.departments if not wanted or d.name.casefold() in wanted]
    unknown = wanted - {d.name.casefold() for d in results.departments}
    if unknown:
        available = ", ".join(d.name for d in results.departments)
        missing = ", ".join(n for n in options.departments if n.casefold() in unknown)
        raise UsageError(f"{workbook.path.name} has no department {missing}; it has: {available}")
    department_data = {d["slug"]: d for d in data["departments"]}
    for dept in chosen:
        dept_logo = image_data_uri(dept.logo, assets)
        key = _digest(base, page, department_data[dept.slug], dept_logo or logo_key)
        # rendered only when one of its files is out of date, and then once for both
        html = functools.cache(
            functools.partial(
                render, env, "department.html", View(results, dept_logo or logo), dept=dept
            )
        )
        outputs.append(_Output(f"{dept.slug}.html", _digest(key, "html"), html))
        outputs.append(_Output(f"{dept.slug}.pdf", _digest(key, "pdf"), html))
    if not wanted:
        key = _digest(base, data, logo_key)
        board = functools.cache(functools.partial(render, env, "board-pack.html", view))
        attachments = [("results.json", results_json.encode())] if options.pdf_variant else []
        outputs.append(_Output(f"{BOARD_PACK}.html", _digest(key, "html"), board))
        outputs.append(_Output(f"{BOARD_PACK}.pdf", _digest(key, "pdf"), board, attachments))
        outputs.append(_Output("results.json", _digest(data), lambda: results_json))
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
    return _write_outputs(folder, outputs, options, say, pool, allowed=[assets])


def _write_outputs(
    folder: Path,
    outputs: list[_Output],
    options: BuildOptions,
    say: Progress,
    pool: Any,
    allowed: list[Path],
) -> tuple[list[Path], list[Path]]:
    from kpireport.fsutil import write_atomic
    from kpireport.render import default_templates

    manifest = {} if options.force else _read_manifest(folder)
    todo, unchanged = [], []
    for out in outputs:
        target = folder / out.name
        recorded = manifest.get(out.name, {})
        if (
            recorded.get("key") == out.key
            and target.is_file()
            and recorded.get("sha256") == _file_sha256(target)
        ):
            unchanged.append(target)
        else:
            todo.append(out)
    if todo:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"cannot create {folder}: {exc.strerror or exc}") from None
    written: list[Path] = []
    pdfs = [o for o in todo if o.pdf]
    others = [o for o in todo if not o.pdf]
    roots = [default_templates(), *([options.templates] if options.templates else []), *allowed]
    for out in others:
        written.append(_record(manifest, folder, out, write_atomic(folder / out.name, out.make())))
        say(str(folder / out.name), len(written), len(todo))
    for out, pdf in zip(
        pdfs,
        pool.map(
            _render_pdf, [(o.make(), roots, options.pdf_variant, o.attachments) for o in pdfs]
        ),
        strict=True,
    ):
        written.append(_record(manifest, folder, out, write_atomic(folder / out.name, pdf)))
        say(str(folder / out.name), len(written), len(todo))
    if written or not (folder / MANIFEST).exists():
        write_atomic(folder / MANIFEST, json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return written, unchanged


def _render_pdf(job: tuple[str, list[Path], str | None, list[tuple[str, bytes]]]) -> bytes:
    """In a worker process: one PDF."""
    from kpireport.render.pdf import html_to_pdf

    html, roots, variant, attachments = job
    return html_to_pdf(html, roots, variant, attachments)


def _record(manifest: dict[str, Any], folder: Path, out: _Output, path: Path) -> Path:
    manifest[out.name] = {"key": out.key, "sha256": _file_sha256(path)}
    return path


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
    return write_atomic(Path(out_dir) / path.stem / "validation.html", html)


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
