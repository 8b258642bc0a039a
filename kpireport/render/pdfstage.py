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
import functools
import heapq
import itertools
import threading
from collections.abc import Callable, Collection, Iterable, Iterator
from concurrent.futures import CancelledError, Future
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
_PARTS = ("furniture", "summary")  # the parts in PAGES named by what renders them
FURNITURE_CHUNK = 150  # pages of running header and footer rendered by one worker job
# The page number every contents entry shows in the cover rendered for its length: as wide as
# a pack's numbers most often are.
PROBE_NUMBER = 100
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
# What a character of the summary's HTML costs to lay out against one of a department's, for
# handing out the longest job first: a 9-page piece of 188,000 characters took 2.1 s, a
# 13-page department of 335,000 2.2 s (one warm process, the 10 x 25 bench workbook).
SUMMARY_COST = 1.8


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
    # the board pack: the pages of its cover and contents, and their page numbers, the next
    # build's first guess
    cover_pages: int | None = None
    cover_numbers: dict[str, int] | None = None


@dataclass(frozen=True)
class _Layer:
    """Running header and footer for some pages of a document: read from ``.pages/`` when a
    layer was rendered before from the same HTML, else handed to a worker (``job``)."""

    label: str  # the document and its first page, for messages
    path: Path  # in .pages/, named by the hash of its HTML
    pdf: bytes | None
    job: Future[Rendered] | None


class _Backlog:
    """Jobs handed to the workers a few at a time: no more than ``slots`` of them (one for each
    worker) are in the pool at once, in the order of their ``rank``. pebble's queue is
    first come, first served, so a job that the stage hands to the pool itself (a department's
    header and footer, wanted the moment its body is done; the cover) is then rendered next,
    not after every body already queued. The futures :meth:`add` returns stand for the jobs
    until they are handed out."""

    def __init__(self, submit: Callable[[str], Future[Rendered]], slots: int) -> None:
        self._submit = submit
        self._slots = max(1, slots)
        self._todo: list[tuple[tuple[int, int], int, str, Future[Rendered]]] = []  # a heap
        self._order = itertools.count()  # of equal costs, the first added first
        self._handed: dict[Future[Rendered], Future[Rendered]] = {}  # stand-in: the pool's
        self._lock = threading.Lock()
        self._held = False

    def hold(self) -> None:
        """Hand out nothing until :meth:`go`: the jobs added meanwhile go out in rank order."""
        self._held = True

    def go(self) -> None:
        """Hand out the jobs held back."""
        self._held = False
        self._hand_out()

    def add(self, html: str, rank: tuple[int, int]) -> Future[Rendered]:
        """A job that renders ``html``, handed out before those of a higher ``rank``."""
        future: Future[Rendered] = Future()
        with self._lock:
            heapq.heappush(self._todo, (rank, next(self._order), html, future))
        self._hand_out()
        return future

    def cancel(self) -> None:
        """Hand out nothing more, and cancel the jobs handed out."""
        with self._lock:
            todo, self._todo = self._todo, []
            handed = list(self._handed.values())
        for *_, future in todo:
            future.cancel()
        for job in handed:
            job.cancel()

    def _hand_out(self) -> None:
        while True:
            with self._lock:
                if self._held or len(self._handed) >= self._slots or not self._todo:
                    return
                *_, html, future = heapq.heappop(self._todo)
                if not future.set_running_or_notify_cancel():
                    continue
                job = self._submit(html)
                self._handed[future] = job
            job.add_done_callback(functools.partial(self._done, future))

    def _done(self, future: Future[Rendered], job: Future[Rendered]) -> None:
        with self._lock:
            del self._handed[future]
        if job.cancelled():
            future.set_exception(CancelledError())
        elif (exc := job.exception()) is not None:
            future.set_exception(exc)
        else:
            future.set_result(job.result())
        self._hand_out()


class PdfStage:
    """Every PDF of one report set, from parts rendered by ``pool``'s workers."""

    def __init__(
        self,
        folder: Path,
        rs: ReportSet,
        pool: Renderer,
        allowed: list[Path],
        variant: str | None,
        base: str = "",
    ) -> None:
        self.folder = folder
        # what renders a part besides its HTML (kpireport's version, the templates and the
        # rendering code, the PDF variant: buildplan's), in the names of the parts in .pages/
        self.base = base
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
        self.cover_numbers: dict[str, int] | None = None  # the page numbers of cover_job
        self._cover_probe: Future[Rendered] | None = None  # the cover rendered for its length
        # header and footer jobs of this build by their file in .pages/: the same layer (every
        # department of 13 pages has the same) is rendered once
        self._layer_jobs: dict[Path, Future[Rendered]] = {}
        self._sizes: dict[str, int] = {}  # the bodies rendered: the length of their HTML
        self._used: set[Path] = set()  # the parts in .pages/ that this build's PDFs use
        self._kept: set[Path] = set()  # those of them it wrote there
        # the summary's pieces handed to the workers: their files in .pages/
        self._new_parts: dict[Future[Rendered], Path] = {}
        self.delivered: set[str] = set()  # the department PDFs bodies() handed over, finished
        # the board pack's header and footer, handed out with the bodies' last page counts
        # for the cover's guessed length: (the pack's pages as guessed, its layers)
        self._pack_layers: tuple[int, list[_Layer]] | None = None
        # the summary and the bodies, handed to the workers as they free up, the longest first
        # (the board pack's last department last: the cover does not wait for it); a header,
        # a footer and the cover go to them at once, to be rendered next
        self._backlog = _Backlog(self._submit, pool.jobs)

    # -- the steps -------------------------------------------------------------------------------

    def start(
        self,
        pack: BoardPack | None,
        cover_guess: int,
        cached: dict[str, Rendered],
        numbers: dict[str, int] | None = None,
    ) -> None:
        """Hand the workers the board pack's summary pages, when ``pack`` is to be made.
        ``cover_guess``: the pages of the last build's cover and contents; ``cached``: the
        bodies not to be rendered again (slug: pages); ``numbers``: the page numbers in the
        last build's contents, for which the cover is rendered at once: when one
        department's numbers changed, its page count most often did not (rendered again
        once every page count is known, if one did)."""
        self.pack, self.cover_guess = pack, cover_guess
        self.pages = {f"{slug}.pdf": body.pages for slug, body in cached.items()}
        if pack is None:
            return
        if numbers is not None and set(numbers) == {"summary", *pack.slugs}:
            self.cover_job = self._cover_job(pack, numbers)
        else:
            # No last build's contents to render the cover with: its length, on which every
            # page number of the pack depends, is learnt from a first rendering with page
            # numbers made up (0.1 s), not guessed; a wrong guess (a contents of 40 departments
            # runs to a third page) rendered the pack's header and footer twice at the end.
            made_up = dict.fromkeys(["summary", *pack.slugs], PROBE_NUMBER)
            html = board_pack_cover_html(self.rs, made_up)
            self._cover_probe = self._submit(html, tags=False)
        pieces = summary_pieces(self.rs)
        self._pieces = len(pieces)
        # held back until the first body is added (or go()): the longest job goes out first
        self._backlog.hold()
        for n, piece in enumerate(pieces, start=1):
            html = board_pack_summary_html(self.rs, piece)
            path, piece_job = self._part("summary", html)
            if piece_job is None:  # not in .pages/ as this HTML renders it
                rank = (0, -round(SUMMARY_COST * len(html)))
                piece_job = self._backlog.add(html, rank)
                self._new_parts[piece_job] = path
            self.jobs[piece_job] = _summary_label(n, len(pieces))

    def start_body(self, slug: str, html: str) -> None:
        """Hand the workers the body of department ``slug`` (one not in the build's cache)."""
        last = self.pack is not None and self.pack.slugs[-1:] == (slug,)
        self.jobs[self._backlog.add(html, (1 if last else 0, -len(html)))] = f"{slug}.pdf"
        self.slugs.append(slug)
        self._sizes[f"{slug}.pdf"] = len(html)
        self._backlog.go()

    def go(self) -> None:
        """Hand out the summary's pieces now, when no body is to be rendered."""
        self._backlog.go()

    def bodies(
        self, wanted: Collection[str] = (), ready: Callable[[Assembled], None] | None = None
    ) -> dict[str, Rendered]:
        """Wait for the jobs handed out so far: the bodies, rendered (slug: pages). The header
        and footer of each department in ``wanted`` (the department PDFs to make) are handed
        to the workers the moment its body is done, so that they fill a worker that would
        wait for the last bodies, instead of all coming after them; with ``ready``, each of
        those PDFs is put together as soon as its header and footer are done, while the
        workers render on, and given to ``ready`` (:meth:`assemble` leaves it out)."""
        self._backlog.go()
        waiting: dict[str, Rendered] = {}  # department PDFs: their bodies, until their layers

        def done(label: str, body: Rendered) -> None:
            if label.removesuffix(".pdf") in wanted:  # a body's label is its PDF's name
                self.early[label] = self._furniture(label, body.pages, cover=False)
                if ready is not None:
                    waiting[label] = body
            self.pages[label] = body.pages
            if self.pack is None:
                return
            pieces = [_summary_label(n, self._pieces) for n in range(1, self._pieces + 1)]
            bodies = [f"{slug}.pdf" for slug in self.pack.slugs]
            if not all(name in self.pages for name in pieces + bodies[:-1]):
                return
            counts = [sum(self.pages[name] for name in pieces)]
            counts += [self.pages[name] for name in bodies if name in self.pages]
            self._learn_cover_length()
            numbers = _numbers(self.pack, self.cover_guess, counts)
            if numbers != self.cover_numbers:
                self.cover_job = self._cover_job(self.pack, numbers)
            # the pack's header and footer, for the cover's guessed length and, while the
            # last body is being rendered, for its guessed length: on the worker the last body
            # leaves idle (rendered again once every length is known, if a guess was wrong)
            total = self.cover_guess + sum(counts)
            if len(counts) == len(bodies):
                total += self._guess_pages(bodies[-1])
            if self._pack_layers is None or self._pack_layers[0] != total:
                if self._pack_layers is not None:
                    self._drop(self._pack_layers[1])
                layers = self._furniture(f"{self.pack.name}.pdf", total, cover=True)
                self._pack_layers = (total, layers)

        def deliver() -> None:
            assert ready is not None
            for label, body in list(waiting.items()):
                layers = self.early[label]
                if all(layer.job is None or layer.job.done() for layer in layers):
                    del waiting[label]
                    pdf = self._put_together(label, body, layers)
                    self.delivered.add(label)
                    ready(Assembled(label, pdf))

        pending = set(self.jobs)
        rendered: dict[str, Rendered] = {}
        while pending or waiting:
            layer_jobs = {
                layer.job
                for label in waiting
                for layer in self.early[label]
                if layer.job is not None and not layer.job.done()
            }
            finished = self._wait_any(pending | layer_jobs)
            for future in pending & finished:
                rendered[self.jobs[future]] = self._result(future, self.jobs[future], pending)
                done(self.jobs[future], rendered[self.jobs[future]])
            pending -= finished
            if waiting:
                deliver()
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
        from kpireport.render.assemble import assemble_pieces

        todo = [d for d in departments if f"{d.name}.pdf" not in self.delivered]
        furniture = {
            f"{d.name}.pdf": self.early.pop(f"{d.name}.pdf", [])
            or self._furniture(f"{d.name}.pdf", bodies[d.name].pages, cover=False)
            for d in todo
        }
        if pack is not None:
            assert self.summary, "bodies() waits for the summary"
            summary_pages = sum(piece.pages for piece in self.summary)
            bodies_in_order = [bodies[s] for s in pack.slugs]
            self._learn_cover_length()
            cover = self._cover(pack, self.cover_guess, summary_pages, bodies_in_order)
            total = cover.pages + summary_pages + sum(bodies[s].pages for s in pack.slugs)
            name = f"{pack.name}.pdf"
            guessed = self._pack_layers
            if guessed is not None and guessed[0] == total:
                furniture[name] = guessed[1]
            else:
                if guessed is not None:
                    self._drop(guessed[1])
                furniture[name] = self._furniture(name, total, cover=True)
        layers = [layer for document in furniture.values() for layer in document]
        self._wait({layer.job: layer.label for layer in layers if layer.job is not None})
        self.pool.release()  # every page is laid out: what is left is putting them together
        for dept in todo:
            name = f"{dept.name}.pdf"
            yield Assembled(name, self._put_together(name, bodies[dept.name], furniture[name]))
        if pack is not None:
            name = f"{pack.name}.pdf"
            self._keep_parts()
            summary = [piece.pdf for piece in self.summary]
            parts = [cover.pdf, *summary, *(bodies[s].pdf for s in pack.slugs)]
            pieces = assemble_pieces(parts, [self._layer_pdf(layer) for layer in furniture[name]])
            yield Assembled(name, pieces, cover.pages, self.cover_numbers)
            self._forget_parts({path.name for path in self._used})

    def _learn_cover_length(self) -> None:
        """The cover's length from its first rendering (start()), once that is done (until
        then the guess holds)."""
        probe = self._cover_probe
        if probe is not None and probe.done():
            self._cover_probe = None
            if not probe.cancelled() and probe.exception() is None:
                self.cover_guess = probe.result().pages

    def _guess_pages(self, label: str) -> int:
        """The pages body ``label`` will have, before it is rendered: those of the rendered
        body whose HTML is the nearest in length (departments of as many KPIs)."""
        size = self._sizes.get(label, 0)
        known = [name for name in self._sizes if name in self.pages]
        nearest = min(known, key=lambda name: abs(self._sizes[name] - size), default=None)
        return self.pages[nearest] if nearest is not None else 1

    def cancel(self) -> None:
        """Stop the jobs still running (the build failed)."""
        self._backlog.cancel()
        probe = [self._cover_probe] if self._cover_probe is not None else []
        for future in [*self.jobs, *self._layer_jobs.values(), *self.cover_job, *probe]:
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
        for attempt in range(3):
            numbers = _numbers(pack, guess, counts)
            if numbers != self.cover_numbers:
                self.cover_job = self._cover_job(pack, numbers)
            cover = next(iter(self._wait(self.cover_job).values()))
            if cover.pages == guess or attempt == 2:
                break
            guess = cover.pages
        return cover

    def _cover_job(self, pack: BoardPack, numbers: dict[str, int]) -> Jobs:
        """The cover and contents with the page numbers ``numbers``, handed to the workers
        (the job it replaces, if any, is cancelled)."""
        for job in self.cover_job:
            job.cancel()
        self.cover_numbers = numbers
        html = board_pack_cover_html(self.rs, numbers)
        return {self._submit(html, pack.attachments): f"{pack.name}.pdf (cover and contents)"}

    def _part(self, kind: str, html: str) -> tuple[Path, Future[Rendered] | None]:
        """Where in ``.pages/`` the board pack's part ``kind`` (a piece of its summary)
        rendered from ``html`` is kept, and, when the last build kept it there, a job done
        already that gives it: a change that leaves the summary as it was (a department's
        texts, the numbers of a KPI the summary does not list) lays out only that department's
        pages. (Not the cover, whose document data, the workbook's hash among it, is the
        pack's: it changes every time.)"""
        path = self._kept_at(kind, html)
        rendered = _read_part(path)
        if rendered is None:
            return path, None
        job: Future[Rendered] = Future()
        job.set_result(rendered)
        return path, job

    def _keep_parts(self) -> None:
        """Write the summary's pieces rendered by this build (done: bodies() waited for them)
        into ``.pages/`` for the next."""
        for job, path in self._new_parts.items():
            self._keep(path, job.result().pdf)

    def _kept_at(self, kind: str, html: str) -> Path:
        """The file in ``.pages/`` of a part of ``kind`` rendered from ``html``, named by the
        hash of what renders it, and in use by this build."""
        path = self.folder / PAGES / f"{kind}-{digest(self.base, html, self.variant)[:32]}.pdf"
        self._used.add(path)
        return path

    def _keep(self, path: Path, pdf: bytes) -> None:
        """Write ``pdf``, a part this build rendered, at ``path`` in ``.pages/``, once."""
        from kpireport.fsutil import write_atomic

        if path not in self._kept:
            write_atomic(path, pdf)
            self._kept.add(path)

    def _furniture(self, name: str, total: int, cover: bool) -> list[_Layer]:
        """The header and footer layers of document ``name`` (``total`` pages), in page order;
        a layer rendered before from the same HTML is taken from ``.pages/`` (a board pack's,
        when one department changed and its page count did not)."""
        layers = []
        # a board pack's last page, which carries the workbook's SHA-256, is a layer of its own,
        # so that a change to the workbook renders one page of furniture again, not a chunk
        last = total - 1 if cover and total > 1 else total
        size = FURNITURE_CHUNK
        if cover:  # the pack's comes last, when the workers have nothing else: one chunk each
            size = max(1, min(size, -(-last // self.pool.jobs)))
        chunks = [(first, min(size, last - first + 1)) for first in range(1, last + 1, size)]
        if last < total:
            chunks.append((total, 1))
        for first, count in chunks:
            html = furniture_html(self.rs, first, count, total, cover)
            label = f"{name} (header and footer, page {first})"
            path = self._kept_at("furniture", html)
            job = self._layer_jobs.get(path)
            if job is not None:  # the same layer, handed out already for another document
                layers.append(_Layer(label, path, None, job))
                continue
            try:
                layers.append(_Layer(label, path, path.read_bytes(), None))
            except OSError:
                # untagged: drawn over the pages as an artifact (assemble._overlay)
                job = self._layer_jobs[path] = self._submit(html, tags=False)
                layers.append(_Layer(label, path, None, job))
        return layers

    def _drop(self, layers: list[_Layer]) -> None:
        """Cancel the jobs of the board pack's header and footer ``layers``, rendered for a
        length it turned out not to have, that are not done yet: a worker freed for the rest
        (the pack's layers name its length on every page, so no other document shares them)."""
        for layer in layers:
            if layer.job is not None and not layer.job.done():
                layer.job.cancel()
                self._layer_jobs.pop(layer.path, None)

    def _layer_pdf(self, layer: _Layer) -> bytes:
        """The PDF of ``layer``, rendered (and kept in .pages/ for the next build) or read."""
        if layer.pdf is not None:
            return layer.pdf
        assert layer.job is not None
        pdf = self._result(layer.job, layer.label).pdf
        self._keep(layer.path, pdf)
        return pdf

    def _put_together(self, name: str, body: Rendered, layers: list[_Layer]) -> bytes:
        """Department PDF ``name``: its ``body`` with its header and footer ``layers`` over it."""
        from kpireport.render.assemble import assemble

        return assemble([body.pdf], [self._layer_pdf(layer) for layer in layers])

    def _forget_parts(self, used: set[str]) -> None:
        """Delete the header and footer layers and summary pieces in ``.pages/`` that this
        build did not use."""
        for kind in _PARTS:
            for part in (self.folder / PAGES).glob(f"{kind}-*.pdf"):
                if part.name not in used:
                    with contextlib.suppress(OSError):
                        part.unlink()

    def _wait(
        self, jobs: Jobs, done: Callable[[str, Rendered], None] | None = None
    ) -> dict[str, Rendered]:
        """The results of ``jobs`` by document, or :class:`RenderFailed` naming the first
        document that failed; the others are cancelled (their workers stopped). ``done``
        hears of each document as it is done."""
        pending = set(jobs)
        out: dict[str, Rendered] = {}
        while pending:
            finished = self._wait_any(pending)
            pending -= finished
            for future in finished:
                out[jobs[future]] = self._result(future, jobs[future], pending)
                if done is not None:
                    done(jobs[future], out[jobs[future]])
        return out

    @staticmethod
    def _wait_any(futures: set[Future[Rendered]]) -> set[Future[Rendered]]:
        """Those of ``futures`` that are done, once one is."""
        from concurrent.futures import FIRST_COMPLETED, wait

        return set(wait(futures, return_when=FIRST_COMPLETED).done) if futures else set()

    def _result(
        self, future: Future[Rendered], document: str, others: Collection[Future[Rendered]] = ()
    ) -> Rendered:
        """What ``future`` rendered, or :class:`RenderFailed` naming ``document``, the
        ``others`` cancelled (their workers stopped)."""
        try:
            return future.result()
        except BaseException as exc:
            for other in others:
                other.cancel()
            raise self._failure(document, exc) from exc

    def _failure(self, document: str, exc: BaseException) -> RenderFailed:
        from pebble import ProcessExpired

        if isinstance(exc, TimeoutError):
            limit = f"{self.pool.timeout:g}"
            return RenderFailed(document, f"rendering took longer than {limit} s and was stopped")
        if isinstance(exc, ProcessExpired):
            return RenderFailed(document, f"the renderer stopped unexpectedly ({exc})")
        return RenderFailed(document, f"{type(exc).__name__}: {exc}")


def _read_part(path: Path) -> Rendered | None:
    """The part kept at ``path`` and its pages, or None when there is none there, or what is
    there is not a PDF pikepdf can open (cut short, or changed by hand)."""
    import io

    import pikepdf  # the assembly imports it anyway

    try:
        data = path.read_bytes()
        with pikepdf.open(io.BytesIO(data)) as pdf:
            pages = len(pdf.pages)
    except Exception:  # whatever is wrong with it, the part is rendered again
        return None
    return Rendered(data, pages) if pages else None


def _summary_label(n: int, pieces: int) -> str:
    """The name of the job of piece ``n`` of the board pack's summary, of ``pieces``."""
    return f"{BOARD_PACK}.pdf (summary)" if pieces == 1 else f"{BOARD_PACK}.pdf (summary, part {n})"


def _numbers(pack: BoardPack, guess: int, counts: list[int]) -> dict[str, int]:
    """The page numbers in the contents of ``pack``, for a cover of ``guess`` pages:
    ``counts`` are the pages of the summary and of each department's body in order, of which
    the last department's is not needed (no entry comes after it)."""
    # each department's first page (and, given every body, the page after the last)
    starts = itertools.accumulate(counts[1:], initial=guess + counts[0] + 1)
    return {"summary": guess + 1, **dict(zip(pack.slugs, starts, strict=False))}
