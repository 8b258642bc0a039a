"""A preview session: the workbook's HTML reports built into a private folder, served by
:class:`~kpireport.preview.server.PreviewServer`, and rebuilt whenever the workbook, a logo it
names or a template is saved, the open pages told to reload. A report page's PDF is built when
its link is followed, into the same private folder, by the same pipeline and its keys.

Why polling, not a file-watching library: the session watches a handful of files, whose
signatures (:func:`kpireport.settle.signature`) it reads twenty times a second at no measurable
cost, and polling sees a save made by renaming a temporary file over the workbook (Excel,
LibreOffice) the same way on every system and file system, network shares included. Such a
save puts another file in place, whole: it is built at the first look that sees it
(:func:`kpireport.settle.replaced`). Any other change is taken once the files have stopped
changing for a tenth of a second (:class:`kpireport.settle.Settling`, as the drop folder
waits), and so is
a file put in place that cannot be built after all (one still being written under its own
name): nothing of it is shown until then. The office suites' lock files (``~$x.xlsx``,
``.~lock.x.xlsx#``) are never looked at.
"""

from __future__ import annotations

import gc
import html
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from kpireport.build import BuildOptions, BuildResult, build
from kpireport.errors import KpiReportError
from kpireport.i18n import get_locale
from kpireport.preview.server import PreviewServer
from kpireport.render.documents import BOARD_PACK
from kpireport.settle import Settling, Signature, replaced, signature

POLL = 0.05  # seconds between looks at the watched files
SETTLE = 0.1  # seconds a change must have stood, unless a file was put in place whole
# While a session serves, the garbage collector looks at new objects after this many (Python's
# default: 700). A build makes some 300,000 objects that live until it ends, and with the
# default the collector went through every object of the process two or three times a build:
# 0.09 s of the 10 x 25 bench workbook's HTML, 0.02 s with this. Garbage is still collected.
NEW_OBJECTS = 10_000

Stamp = dict[str, Signature | None]


def stamp(paths: list[Path]) -> Stamp:
    """The signature of each file of ``paths`` (or of the files in a folder): a workbook
    mid-save, not there for a moment, is None."""
    files: list[Path] = []
    for path in paths:
        files += sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    return {str(file): signature(file, follow_symlinks=True) for file in files}


def put_in_place(before: Stamp, now: Stamp) -> bool:
    """Whether ``now`` differs from ``before``, every file that changed another file put in
    its place (:func:`kpireport.settle.replaced`)."""
    changed = [path for path in before.keys() | now.keys() if before.get(path) != now.get(path)]
    return bool(changed) and all(replaced(before.get(path), now.get(path)) for path in changed)


class Preview:
    """The reports of ``workbook`` in a private folder, served on ``host``:``port``."""

    def __init__(
        self,
        workbook: Path,
        options: BuildOptions | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        log: Callable[[str], None] = lambda line: None,
    ) -> None:
        self.workbook = workbook.resolve()
        # its folder goes with the session: its files need not be synced to the disk
        self.options = replace(options or BuildOptions(), formats=("html",), sync=False)
        self.folder = Path(tempfile.mkdtemp(prefix="kpireport-preview-"))  # mode 0700
        self.server = PreviewServer(self.folder, host, port)
        self.log = log
        self.result: BuildResult | None = None
        self.logos: list[Path] = []  # the files the workbook's logos are read from
        # the PDFs the pages link to (NAME.pdf: the departments it is built with), one at a time
        self._documents: dict[str, tuple[str, ...]] = {}
        self._pdf_lock = threading.Lock()
        self.server.pdf = self.pdf
        self._stop = threading.Event()
        self._last: Stamp | None = None  # the watched files as of the last build
        self._saving: Settling | None = None  # a change seen since, until it has settled

    @property
    def url(self) -> str:
        host = str(self.server.server_address[0])
        return f"http://{'[' + host + ']' if ':' in host else host}:{self.server.port}/"

    def watched(self) -> list[Path]:
        """The workbook, the logos it names (as of the last build) and the user's templates."""
        paths = [self.workbook, *self.logos]
        if self.options.templates is not None:
            paths.append(self.options.templates)
        return paths

    def rebuild(self, whole: bool = False) -> bool:
        """Build the HTML reports, point the server at them (or at the validation report while
        the workbook has errors), and have the open pages reload. ``whole``: the files were
        taken the moment they were put in place; when they cannot be built even so (the
        workbook cannot be read, a template fails), nothing is shown and False returned."""
        try:
            [result] = build([self.workbook], self.folder / "out", self.options)
        except KpiReportError as exc:
            self._show_problem([str(exc)])
        else:
            if whole and result.logos is None:  # the workbook was not even read
                return False
            self.result = result
            if result.logos is not None:  # as the build found them (kept while unreadable)
                self.logos = result.logos
            self._offer_pdfs(result)
            if result.ok and result.folder is not None:
                # the board pack: every department on one page (the set's index links the rest)
                pack = result.folder / f"{BOARD_PACK}.html"
                self.server.home = pack if pack.is_file() else result.folder / "index.html"
                self.server.override = None
                self.log(f"built {self.workbook.name}: {self.url}")
            elif result.validation_page is not None:
                self.server.home = self.server.override = result.validation_page
                errors = len(result.report.errors)
                self.log(f"{self.workbook.name} has {errors} error(s): shown in the page")
            else:
                lang = result.report.lang
                issues = [f"{i.message(lang)} {i.hint(lang)}" for i in result.report.errors]
                self._show_problem(issues)
        self.server.reloads.announce()
        return True

    def _offer_pdfs(self, result: BuildResult) -> None:
        """Link each report page of ``result`` to its PDF: a department's, the board pack's.
        None while the workbook has errors."""
        documents: dict[str, tuple[str, ...]] = {}
        links: dict[Path, str] = {}
        if result.folder is not None and result.summary is not None:
            pages = [(d.slug, (d.name,)) for d in result.summary.departments]
            for slug, departments in [*pages, (BOARD_PACK, ())]:  # () : all, and the pack
                page = (result.folder / f"{slug}.html").resolve()
                if page.is_file():
                    documents[f"{slug}.pdf"] = departments
                    links[page] = f"{slug}.pdf"
        self._documents = documents
        self.server.pdf_links = links
        self.server.pdf_label = get_locale(result.language).gettext("Download this report as PDF")

    def pdf(self, name: str) -> Path | None:
        """The PDF ``name`` of a report page, rendered now through the build pipeline into the
        preview's own folder, or as it is when the workbook is unchanged since (the build's
        keys); None when the workbook has no such report now. One at a time: a second request
        waits for the first, then finds its PDF done."""
        with self._pdf_lock:
            departments = self._documents.get(name)
            if departments is None:
                return None
            options = replace(self.options, formats=("pdf",), departments=departments)
            try:
                [result] = build([self.workbook], self.folder / "pdf", options)
            except KpiReportError as exc:  # the department is gone from the workbook since
                self.log(f"no {name}: {exc}")
                return None
            if result.folder is None or not (result.folder / name).is_file():
                self.log(f"no {name}: {self.workbook.name} cannot be built now")
                return None
            self.log(f"PDF: {result.folder / name}")
            return result.folder / name

    def _show_problem(self, details: list[str]) -> None:
        """A page saying the reports cannot be shown, why (``details``), and that it updates
        when the workbook is saved again, in the language asked for (the workbook's own is
        not known: it could not be read)."""
        locale = get_locale(self.options.lang)
        title = locale.gettext("The reports of {workbook} cannot be shown").format(
            workbook=self.workbook.name
        )
        then = locale.gettext("The page updates by itself when the workbook is saved again.")
        paragraphs = "".join(f"<p>{html.escape(line)}</p>" for line in [*details, then])
        page = self.folder / "problem.html"
        page.write_text(
            f"<!DOCTYPE html><html lang='{locale.code}'><head><meta charset='utf-8'>"
            f"<title>{html.escape(title)}</title></head><body><main>"
            f"<h1>{html.escape(title)}</h1>{paragraphs}</main></body></html>",
            encoding="utf-8",
        )
        self.server.home = self.server.override = page
        self._documents, self.server.pdf_links = {}, {}
        self.log(f"{self.workbook.name} could not be built: {' '.join(details)}")

    def watch(self) -> None:
        """Rebuild after every save until :meth:`stop`: a look twenty times a second."""
        self.look(time.monotonic())
        while not self._stop.wait(POLL):
            self.look(time.monotonic())

    def look(self, at: float) -> None:
        """Look at the watched files at ``at`` (time.monotonic()), and rebuild when they were
        saved: at once when each file that changed is another file put in its place (Excel,
        LibreOffice and most editors save so: it is whole), else once they have not changed
        for :data:`SETTLE` seconds. The first look only notes them."""
        now, saving = stamp(self.watched()), self._saving
        if self._last is None:
            self._last = now
        if saving is None and now == self._last:
            return
        named = set(self.logos)
        if saving is not None and not saving.changed(now, at):  # as at the last look
            if not saving.settled(at, SETTLE):
                return
            self.rebuild()
        else:  # changed since the last look
            if saving is None:
                self._saving = Settling(now, at)
            if not (put_in_place(self._last, now) and self.rebuild(whole=True)):
                return
        self._saving = None
        # A logo the workbook names from now on is watched from its state now; every other
        # file from its state before the build, so that a save during the build is seen.
        added = {str(p) for p in self.logos if p not in named}
        fresh = stamp(self.watched())
        self._last = {path: sig if path in added else now.get(path) for path, sig in fresh.items()}

    def serve(self) -> None:
        """Build once, then serve and watch until :meth:`stop` (or Ctrl-C)."""
        thresholds = gc.get_threshold()
        gc.set_threshold(NEW_OBJECTS, *thresholds[1:])
        try:
            self.rebuild()
            server = threading.Thread(target=self.server.serve_forever, args=(0.1,), daemon=True)
            server.start()
            try:
                self.watch()
            finally:
                self.server.shutdown()
        finally:
            gc.set_threshold(*thresholds)

    def stop(self) -> None:
        self._stop.set()

    def close(self) -> None:
        """Stop, and remove the private folder."""
        self.stop()
        self.server.server_close()
        shutil.rmtree(self.folder, ignore_errors=True)
