"""The PDF stage: every PDF of a report set, rendered in worker processes and put together from
parts.

Each department's pages are laid out once (its *body*, with no running header or footer; the
build keeps it in ``.pages/``). A department PDF is its body with the header and footer drawn
over it; the board pack is its cover and contents, its summary pages and every body, with the
whole pack's header and footer ("Page 37 of 412") drawn over them. So the pages of a board pack
are never laid out twice, a changed department re-renders only its own pages, and no worker
ever holds more than one department in memory.

:class:`PdfStage` runs in steps, so that the build does other work in between:
:meth:`~PdfStage.start` and :meth:`~PdfStage.start_body` hand out the board pack's summary and
the bodies, :meth:`~PdfStage.bodies` waits for them, :meth:`~PdfStage.assemble` draws the
headers and footers and yields each finished PDF.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable, Collection, Iterable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

from kpireport.errors import OutputError
from kpireport.hashing import digest
from kpireport.render.documents import (
    BOARD_PACK,
    BoardPack,
    DepartmentReport,
    ReportSet,
    board_pack_cover_html,
    board_pack_summary_html,
    furniture_html,
    summary_pieces,
)
from kpireport.render.pdf import Rendered

if TYPE_CHECKING:
    from pebble import ProcessPool

PAGES = ".pages"  # in a report set: the department bodies, and header and footer layers
FURNITURE_CHUNK = 150  # pages of running header and footer rendered by one worker job
COVER_PAGES = 2  # the first guess at a board pack's cover and contents, without a last build's
# What the workers' fork server imports, in order: the quiet excepthook first (forkquiet.py),
# last a first document laid out (warm.py), so that every worker starts warm.
PRELOAD = ("kpireport.render.forkquiet", "kpireport.render.pdf", "kpireport.render.warm")

# Documents a worker lays out before a fresh one, forked warm, takes its place: WeasyPrint's
# process grows by about 1 MB a document (caches), which in a 3,000-KPI build of 170 documents
# was 100 MB a worker; the fork costs about 0.05 s.
WORKER_DOCUMENTS = 10

# A job handed to the workers, and the document it renders (named when it fails).
Jobs: TypeAlias = dict[Future[Rendered], str]


class RenderFailed(OutputError):
    """A document could not be rendered (ran over the time limit, or its worker died)."""

    def __init__(self, document: str, reason: str) -> None:
        super().__init__(f"{document}: {reason}")
        self.document = document
        self.reason = reason


class Renderer:
    """The worker processes that turn HTML into PDF, started when the first PDF is wanted and
    reused for every document of every workbook (WeasyPrint's start-up and font configuration
    are paid once per worker). Each document runs under ``timeout`` seconds; one that runs
    over has its worker killed (pebble replaces it) and fails with :class:`RenderFailed`."""

    def __init__(self, jobs: int, timeout: float) -> None:
        self.jobs = max(1, jobs)
        self.timeout = timeout
        self._pool: ProcessPool | None = None
        self._used = False

    def start(self) -> None:
        """Start the workers' fork server now (idempotent) and return at once, so that its
        start-up, importing WeasyPrint and laying out a first document (render/warm.py), runs
        while the build reads the workbook, computes the numbers and writes the HTML rather
        than after (the build calls it before it reads the workbook). The workers are forked
        from it when the first document is submitted."""
        if self._pool is not None:
            return
        import multiprocessing
        from multiprocessing import forkserver

        from pebble import ProcessPool

        # Workers come from a fork server that has imported WeasyPrint and nothing of this
        # process: they hold none of its open files (the output folder's lock, the drop
        # folder's lock), so a killed build never leaves a lock held, and none of its memory.
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(list(PRELOAD))
        # pebble forks its workers on the first submit, and that waits for the preload to end
        forkserver.ensure_running()
        self._pool = ProcessPool(
            max_workers=self.jobs,
            max_tasks=WORKER_DOCUMENTS,
            initializer=_worker_start,
            context=context,
        )

    def submit(
        self,
        html: str,
        allowed: list[Path],
        variant: str | None,
        attachments: list[tuple[str, bytes]],
        tags: bool = True,
    ) -> Future[Rendered]:
        """The PDF of ``html``, rendered by a worker (:func:`kpireport.render.pdf.render_pdf`)."""
        from kpireport.render.pdf import render_pdf

        self.start()
        assert self._pool is not None
        self._used = True
        args = (html, allowed, variant, attachments, tags)
        return self._pool.schedule(render_pdf, args=args, timeout=self.timeout)

    def release(self) -> None:
        """Stop the workers until the next document: each holds the memory of the largest
        document it laid out, which the build does not need while it assembles the PDFs. The
        next :meth:`submit` starts new ones, forked from the warm fork server."""
        if self._pool is not None and self._used:
            self._pool.close()
            self._pool.join()
            self._pool = None
            self._used = False

    def __enter__(self) -> Renderer:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            # workers started early for a build that needed none (a workbook with errors) are
            # stopped, not waited for while they start up
            if exc[0] is None and self._used:
                self._pool.close()
            else:
                self._pool.stop()
            self._pool.join()


def _worker_start() -> None:
    """In each worker: die with the process that started it (Linux), so a build killed with
    SIGKILL leaves no worker rendering on; and print no library's warning (Pillow's
    DecompressionBombWarning reached the terminal despite ``-q``): what matters to the reader
    of a report is a warning of kpireport's own, such as ``bad-logo``."""
    import ctypes
    import signal
    import sys
    import warnings

    warnings.simplefilter("ignore")

    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL("libc.so.6", use_errno=True)
            libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


@dataclass(frozen=True)
class Assembled:
    """A finished PDF of the report set."""

    name: str  # its file name
    pdf: bytes | Iterable[bytes]  # the board pack's: its pieces as they are written
    # the board pack: the pages of its cover and contents, the next build's first guess
    cover_pages: int | None = None


@dataclass(frozen=True)
class _Layer:
    """Running header and footer for some pages of a document: read from ``.pages/`` when a
    layer was rendered before from the same HTML, else handed to a worker (``job``)."""

    label: str  # the document and its first page, for messages
    path: Path  # in .pages/, named by the hash of its HTML
    pdf: bytes | None
    job: Future[Rendered] | None


class PdfStage:
    """Every PDF of one report set, from parts rendered by ``pool``'s workers."""

    def __init__(
        self,
        folder: Path,
        rs: ReportSet,
        pool: Renderer,
        allowed: list[Path],
        variant: str | None,
    ) -> None:
        self.folder = folder
        self.rs = rs
        self.pool = pool
        self.allowed = allowed  # folders the documents may read files from (templates, logos)
        self.variant = variant
        self.jobs: Jobs = {}  # the jobs start() and start_body() handed out
        self.slugs: list[str] = []  # the departments whose bodies they render
        self.summary: list[Rendered] = []  # the board pack's summary pages, in pieces
        self._pieces = 0
        # header and footer layers handed out as soon as their department's body was done
        self.early: dict[str, list[_Layer]] = {}
        # the board pack (start()), and its cover and contents once handed out (bodies())
        self.pack: BoardPack | None = None
        self.cover_guess = COVER_PAGES
        self.pages: dict[str, int] = {}  # by job label: the pages of the parts known so far
        self.cover_job: Jobs = {}

    # -- the steps -------------------------------------------------------------------------------

    def start(self, pack: BoardPack | None, cover_guess: int, cached: dict[str, Rendered]) -> None:
        """Hand the workers the board pack's summary pages, when ``pack`` is to be made.
        ``cover_guess``: the pages of the last build's cover and contents; ``cached``: the
        bodies not to be rendered again (slug: pages)."""
        self.pack, self.cover_guess = pack, cover_guess
        self.pages = {f"{slug}.pdf": body.pages for slug, body in cached.items()}
        if pack is None:
            return
        pieces = summary_pieces(self.rs)
        self._pieces = len(pieces)
        for n, piece in enumerate(pieces, start=1):
            self.jobs[self._submit(board_pack_summary_html(self.rs, piece))] = _summary_label(
                n, len(pieces)
            )

    def start_body(self, slug: str, html: str) -> None:
        """Hand the workers the body of department ``slug`` (one not in the build's cache)."""
        self.jobs[self._submit(html)] = f"{slug}.pdf"
        self.slugs.append(slug)

    def bodies(self, wanted: Collection[str] = ()) -> dict[str, Rendered]:
        """Wait for the jobs handed out so far: the bodies, rendered (slug: pages). The header
        and footer of each department in ``wanted`` (the department PDFs to make) are handed
        to the workers the moment its body is done, so that they fill a worker that would
        wait for the last bodies, instead of all coming after them."""

        def done(label: str, body: Rendered) -> None:
            if label.removesuffix(".pdf") in wanted:  # a body's label is its PDF's name
                self.early[label] = self._furniture(label, body.pages, cover=False)
            self.pages[label] = body.pages
            if self.pack is not None and not self.cover_job:
                pieces = [_summary_label(n, self._pieces) for n in range(1, self._pieces + 1)]
                bodies = [f"{slug}.pdf" for slug in self.pack.slugs[:-1]]
                if all(name in self.pages for name in pieces + bodies):
                    summary = sum(self.pages[name] for name in pieces)
                    counts = [summary, *(self.pages[name] for name in bodies)]
                    self.cover_job = self._cover_job(self.pack, self.cover_guess, counts)

        rendered = self._wait(self.jobs, done)
        labels = [_summary_label(n, self._pieces) for n in range(1, self._pieces + 1)]
        self.summary = [rendered[label] for label in labels]
        return {slug: rendered[f"{slug}.pdf"] for slug in self.slugs}

    def assemble(
        self,
        departments: list[DepartmentReport],
        pack: BoardPack | None,
        bodies: dict[str, Rendered],
    ) -> Iterator[Assembled]:
        """The PDFs of ``departments``, then the board pack's (``pack``): headers and footers
        drawn over ``bodies`` (slug: pages) and the front pages."""
        from kpireport.fsutil import write_atomic
        from kpireport.render.assemble import assemble, assemble_pieces

        furniture = {
            f"{d.name}.pdf": self.early.pop(f"{d.name}.pdf", [])
            or self._furniture(f"{d.name}.pdf", bodies[d.name].pages, cover=False)
            for d in departments
        }
        if pack is not None:
            assert self.summary, "bodies() waits for the summary"
            summary_pages = sum(piece.pages for piece in self.summary)
            bodies_in_order = [bodies[s] for s in pack.slugs]
            cover = self._cover(pack, self.cover_guess, summary_pages, bodies_in_order)
            total = cover.pages + summary_pages + sum(bodies[s].pages for s in pack.slugs)
            furniture[f"{pack.name}.pdf"] = self._furniture(f"{pack.name}.pdf", total, cover=True)
        layers = [layer for document in furniture.values() for layer in document]
        rendered = self._wait({layer.job: layer.label for layer in layers if layer.job})
        for layer in layers:
            if layer.job is not None:
                write_atomic(layer.path, rendered[layer.label].pdf)
        self.pool.release()  # every page is laid out: what is left is putting them together
        for dept in departments:
            name = f"{dept.name}.pdf"
            pdf = assemble([bodies[dept.name].pdf], _pdfs(furniture[name], rendered))
            yield Assembled(name, pdf)
        if pack is not None:
            name = f"{pack.name}.pdf"
            summary = [piece.pdf for piece in self.summary]
            parts = [cover.pdf, *summary, *(bodies[s].pdf for s in pack.slugs)]
            pieces = assemble_pieces(parts, _pdfs(furniture[name], rendered))
            yield Assembled(name, pieces, cover.pages)
            self._forget_layers({layer.path.name for layer in layers})

    def cancel(self) -> None:
        """Stop the jobs still running (the build failed)."""
        for future in self.jobs:
            future.cancel()

    # -- parts -----------------------------------------------------------------------------------

    def _submit(
        self, html: str, attachments: tuple[tuple[str, bytes], ...] = (), tags: bool = True
    ) -> Future[Rendered]:
        return self.pool.submit(html, self.allowed, self.variant, list(attachments), tags)

    def _cover(
        self, pack: BoardPack, guess: int, summary_pages: int, bodies: list[Rendered]
    ) -> Rendered:
        """The cover and contents, whose page numbers depend on their own length: rendered
        with the length of the last build's (``guess``; by bodies(), when it handed it out),
        again if that was wrong."""
        counts = [summary_pages, *(body.pages for body in bodies)]
        job = self.cover_job or self._cover_job(pack, guess, counts)
        for attempt in range(3):
            cover = next(iter(self._wait(job).values()))
            if cover.pages == guess or attempt == 2:
                break
            guess = cover.pages
            job = self._cover_job(pack, guess, counts)
        return cover

    def _cover_job(self, pack: BoardPack, guess: int, counts: list[int]) -> Jobs:
        """The cover and contents handed to the workers, for a cover of ``guess`` pages;
        ``counts``: the pages of the summary and of each department's body in order, of which
        the last department's is not needed (no entry comes after it)."""
        # each department's first page (and, given every body, the page after the last)
        starts = itertools.accumulate(counts[1:], initial=guess + counts[0] + 1)
        numbers = {"summary": guess + 1, **dict(zip(pack.slugs, starts, strict=False))}
        html = board_pack_cover_html(self.rs, numbers)
        return {self._submit(html, pack.attachments): f"{pack.name}.pdf (cover and contents)"}

    def _furniture(self, name: str, total: int, cover: bool) -> list[_Layer]:
        """The header and footer layers of document ``name`` (``total`` pages), in page order;
        a layer rendered before from the same HTML is taken from ``.pages/`` (a board pack's,
        when one department changed and its page count did not)."""
        layers = []
        # a board pack's last page, which carries the workbook's SHA-256, is a layer of its own,
        # so that a change to the workbook renders one page of furniture again, not a chunk
        last = total - 1 if cover and total > 1 else total
        chunks = [
            (first, min(FURNITURE_CHUNK, last - first + 1))
            for first in range(1, last + 1, FURNITURE_CHUNK)
        ]
        if last < total:
            chunks.append((total, 1))
        for first, count in chunks:
            html = furniture_html(self.rs, first, count, total, cover)
            label = f"{name} (header and footer, page {first})"
            path = self.folder / PAGES / f"furniture-{digest(html, self.variant)[:32]}.pdf"
            try:
                layers.append(_Layer(label, path, path.read_bytes(), None))
            except OSError:
                # untagged: drawn over the pages as an artifact (assemble._overlay)
                layers.append(_Layer(label, path, None, self._submit(html, tags=False)))
        return layers

    def _forget_layers(self, used: set[str]) -> None:
        """Delete the header and footer layers in ``.pages/`` that this build did not use."""
        for layer in (self.folder / PAGES).glob("furniture-*.pdf"):
            if layer.name not in used:
                with contextlib.suppress(OSError):
                    layer.unlink()

    def _wait(
        self, jobs: Jobs, done: Callable[[str, Rendered], None] | None = None
    ) -> dict[str, Rendered]:
        """The results of ``jobs`` by document, or :class:`RenderFailed` naming the first
        document that failed; the others are cancelled (their workers stopped). ``done``
        hears of each document as it is done."""
        from concurrent.futures import FIRST_COMPLETED, wait

        pending = set(jobs)
        out: dict[str, Rendered] = {}
        while pending:
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                try:
                    out[jobs[future]] = future.result()
                except BaseException as exc:
                    for other in pending:
                        other.cancel()
                    raise self._failure(jobs[future], exc) from exc
                if done is not None:
                    done(jobs[future], out[jobs[future]])
        return out

    def _failure(self, document: str, exc: BaseException) -> RenderFailed:
        from pebble import ProcessExpired

        if isinstance(exc, TimeoutError):
            limit = f"{self.pool.timeout:g}"
            return RenderFailed(document, f"rendering took longer than {limit} s and was stopped")
        if isinstance(exc, ProcessExpired):
            return RenderFailed(document, f"the renderer stopped unexpectedly ({exc})")
        return RenderFailed(document, f"{type(exc).__name__}: {exc}")


def _summary_label(n: int, pieces: int) -> str:
    """The name of the job of piece ``n`` of the board pack's summary, of ``pieces``."""
    return f"{BOARD_PACK}.pdf (summary)" if pieces == 1 else f"{BOARD_PACK}.pdf (summary, part {n})"


def _pdfs(layers: list[_Layer], rendered: dict[str, Rendered]) -> list[bytes]:
    """The PDFs of ``layers``: read from ``.pages/``, or as the workers ``rendered`` them."""
    return [layer.pdf if layer.pdf is not None else rendered[layer.label].pdf for layer in layers]
