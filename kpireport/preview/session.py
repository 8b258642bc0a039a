"""A preview session: the workbook's HTML reports built into a private folder, served by
:class:`~kpireport.preview.server.PreviewServer`, and rebuilt whenever the workbook (or a logo
next to it, or a template) is saved, the open pages told to reload.

Why polling, not a file-watching library: the session watches a handful of files, whose size
and modification time it reads ten times a second at no measurable cost, and polling sees a
save made by renaming a temporary file over the workbook (Excel, LibreOffice) the same way on
every system and file system, network shares included. A save is taken once the file has stopped
changing for one poll; the office suites' lock files (``~$x.xlsx``, ``.~lock.x.xlsx#``) are
never looked at.
"""

from __future__ import annotations

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
from kpireport.preview.server import PreviewServer
from kpireport.settle import Settling, Signature, signature

POLL = 0.1  # seconds between looks at the watched files

Stamp = dict[str, Signature | None]


def stamp(paths: list[Path]) -> Stamp:
    """The signature of each file of ``paths`` (or of the files in a folder): a workbook
    mid-save, not there for a moment, is None."""
    files: list[Path] = []
    for path in paths:
        files += sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    return {str(file): signature(file, follow_symlinks=True) for file in files}


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
        self.options = replace(options or BuildOptions(), formats=("html",))
        self.folder = Path(tempfile.mkdtemp(prefix="kpireport-preview-"))  # mode 0700
        self.server = PreviewServer(self.folder, host, port)
        self.log = log
        self.result: BuildResult | None = None
        self.logos: list[Path] = []  # the files the workbook's logos are read from
        self._stop = threading.Event()

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

    def _find_logos(self) -> None:
        """Read which logos the workbook names now; kept as they were when it cannot be read
        (mid-save: the next save reads it again)."""
        from kpireport.assets import logo_files
        from kpireport.workbook.reader import read_workbook

        try:
            workbook = read_workbook(self.workbook)
        except KpiReportError:
            return
        self.logos = logo_files(workbook, self.options.assets_for(workbook))

    def rebuild(self) -> None:
        """Build the HTML reports, point the server at them (or at the validation report while
        the workbook has errors), and have the open pages reload."""
        try:
            [result] = build([self.workbook], self.folder / "out", self.options)
        except KpiReportError as exc:
            self._show_problem(str(exc))
        else:
            self.result = result
            if result.ok and result.folder is not None:
                # the board pack: every department on one page (the set's index links the rest)
                pack = result.folder / "board-pack.html"
                self.server.home = pack if pack.is_file() else result.folder / "index.html"
                self.server.override = None
                self.log(f"built {self.workbook.name}: {self.url}")
            elif result.validation_page is not None:
                self.server.home = self.server.override = result.validation_page
                errors = len(result.report.errors)
                self.log(f"{self.workbook.name} has {errors} error(s): shown in the page")
            else:
                self._show_problem(f"{self.workbook.name} could not be built")
        self.server.reloads.announce()
        # after the pages are told: the names are read again, which the page need not wait for
        self._find_logos()

    def _show_problem(self, message: str) -> None:
        page = self.folder / "problem.html"
        page.write_text(
            "<!DOCTYPE html><html><head><meta charset='utf-8'><title>kpireport preview</title>"
            f"</head><body><main><h1>kpireport preview</h1><p>{html.escape(message)}</p>"
            "<p>The page updates when the workbook is saved again.</p></main></body></html>",
            encoding="utf-8",
        )
        self.server.home = self.server.override = page
        self.log(message)

    def watch(self) -> None:
        """Rebuild after every save until :meth:`stop`; a save counts once the files have not
        changed for one poll."""
        last = stamp(self.watched())
        saving: Settling | None = None
        while not self._stop.wait(POLL):
            now, at = stamp(self.watched()), time.monotonic()
            if saving is None:
                if now != last:
                    saving = Settling(now, at)
                continue
            if saving.changed(now, at) or not saving.settled(at, POLL):
                continue
            saving, named = None, set(self.logos)
            self.rebuild()
            # A logo the workbook names from now on is watched from its state now; every other
            # file from its state before the build, so that a save during the build is seen.
            added = {str(p) for p in self.logos if p not in named}
            fresh = stamp(self.watched())
            last = {path: sig if path in added else now.get(path) for path, sig in fresh.items()}

    def serve(self) -> None:
        """Build once, then serve and watch until :meth:`stop` (or Ctrl-C)."""
        self.rebuild()
        server = threading.Thread(target=self.server.serve_forever, args=(0.1,), daemon=True)
        server.start()
        try:
            self.watch()
        finally:
            self.server.shutdown()

    def stop(self) -> None:
        self._stop.set()

    def close(self) -> None:
        """Stop, and remove the private folder."""
        self.stop()
        self.server.server_close()
        shutil.rmtree(self.folder, ignore_errors=True)
