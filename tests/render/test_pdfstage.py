"""The order in which the PDF stage (kpireport/render/pdfstage.py) hands out its jobs, with a
pool that renders nothing: each job is a future the test completes itself, so what is handed
out before what does not depend on how fast anything renders.

The English sample's board pack has four departments; its cover and contents give each one's
first page, which the last department's body cannot change (no entry comes after it)."""

from __future__ import annotations

import io
import re
import threading
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest

from kpireport.render.documents import BoardPack
from kpireport.render.pdf import Rendered
from kpireport.render.pdfstage import PROBE_NUMBER, PdfStage
from tests.conftest import SAMPLES

WAIT = 30  # seconds before a job that is never handed out fails the test
SUMMARY = 'id="summary-title"'  # in the HTML of the summary's (first) piece, not the cover's


class Pool:
    """Takes every job and remembers it; a job is done when the test says so."""

    jobs = 8  # workers: every job is handed out at once

    def __init__(self) -> None:
        self.handed_out: list[tuple[str, Future[Rendered]]] = []
        self.handed = threading.Condition()

    def submit(self, html: str, *args: Any, **kwargs: Any) -> Future[Rendered]:
        future: Future[Rendered] = Future()
        with self.handed:
            self.handed_out.append((html, future))
            self.handed.notify_all()
        return future

    def release(self) -> None:
        """Nothing to stop."""

    def wait_for(self, text: str) -> Future[Rendered]:
        """The job whose HTML holds ``text``, once it has been handed out."""
        with self.handed:
            found = self.handed.wait_for(lambda: self._find(text), timeout=WAIT)
        assert found is not None, f"no job with {text!r} was handed out"
        return found

    def _find(self, text: str) -> Future[Rendered] | None:
        return next((future for html, future in self.handed_out if text in html), None)


def _every_body_handed_out(plan: Any, tmp_path: Path) -> tuple[Any, Pool, PdfStage, Any]:
    """The English sample's board pack and every body handed to a :class:`Pool`, and a thread
    waiting for them (:meth:`PdfStage.bodies`)."""
    pack = next(f.document for f in plan.files if isinstance(f.document, BoardPack))
    pool = Pool()
    stage = PdfStage(tmp_path, plan.rs, pool, plan.allowed, None)  # type: ignore[arg-type]
    stage.start(pack, 2, {})
    for slug in pack.slugs:
        stage.start_body(slug, f"<p>body of {slug}</p>")
    waiting = threading.Thread(target=stage.bodies)
    waiting.start()
    return pack, pool, stage, waiting


def _counted_covers(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, int]]:
    """Each cover handed out is "<p>cover and contents N</p>" for the Nth, its page numbers
    the Nth item of the list returned."""
    import kpireport.render.pdfstage as pdfstage

    numbers: list[dict[str, int]] = []

    def cover_html(rs: Any, pages: dict[str, int]) -> str:
        numbers.append(pages)
        return f"<p>cover and contents {len(numbers)}</p>"

    monkeypatch.setattr(pdfstage, "board_pack_cover_html", cover_html)
    return numbers


@pytest.fixture(scope="module")
def plan(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from kpireport.build import BuildOptions
    from kpireport.buildcache import templates_digest
    from kpireport.buildplan import plan_set
    from kpireport.engine import compute
    from kpireport.validate import check

    workbook, report = check(SAMPLES / "acme-en.xlsx")
    results = compute(workbook, report)
    return plan_set(workbook, results, report, BuildOptions(), templates_digest(None))


def test_the_cover_is_handed_out_before_the_last_body_is_done(
    plan: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    numbers = _counted_covers(monkeypatch)
    pack, pool, stage, waiting = _every_body_handed_out(plan, tmp_path)
    *first, last = pack.slugs
    try:
        pool.wait_for("cover and contents 1").set_result(Rendered(b"", 2))  # for its length
        pool.wait_for(SUMMARY).set_result(Rendered(b"", 3))
        for n, slug in enumerate(first):
            pool.wait_for(f"body of {slug}").set_result(Rendered(b"", 4 + n))
        # the last body is still being rendered: the cover can be, meanwhile
        cover = pool.wait_for("cover and contents 2")
    finally:
        pool.wait_for(f"body of {last}").set_result(Rendered(b"", 9))
        waiting.join(WAIT)
    # its page numbers: the cover's 2 pages, the summary's 3, then the bodies' 4, 5 and 6
    made_up = dict.fromkeys(["summary", *pack.slugs], PROBE_NUMBER)
    real = {"summary": 3, first[0]: 6, first[1]: 10, first[2]: 15, last: 21}
    assert numbers == [made_up, real]
    assert stage.summary == [Rendered(b"", 3)]  # the summary of the sample: one piece
    # assemble() takes that job, and renders the cover again only when its length was wrong
    cover.set_result(Rendered(b"cover", 2))
    assert stage._cover(pack, 2, 3, [Rendered(b"", p) for p in (4, 5, 6, 9)]).pdf == b"cover"
    assert len(numbers) == 2


@pytest.mark.parametrize("probed", [2, 3])
def test_a_first_build_learns_the_covers_length_before_numbering_the_pack(
    plan: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, probed: int
) -> None:
    """With no last build's contents, the cover is first rendered with made-up page numbers
    for its length, handed out before anything else; the contents' numbers and the pack's
    header and footer then count that many cover pages, and neither is rendered twice. (A
    40-department contents runs to a third page: the guess of two rendered both again.)"""
    numbers = _counted_covers(monkeypatch)
    pack, pool, stage, waiting = _every_body_handed_out(plan, tmp_path)
    assert pool.handed_out[0][0] == "<p>cover and contents 1</p>"
    *first, last = pack.slugs
    try:
        pool.wait_for("cover and contents 1").set_result(Rendered(b"", probed))
        pool.wait_for(SUMMARY).set_result(Rendered(b"", 2))
        for slug in first:
            pool.wait_for(f"body of {slug}").set_result(Rendered(b"", 3))
        pool.wait_for("cover and contents 2").set_result(Rendered(b"cover", probed))
    finally:
        pool.wait_for(f"body of {last}").set_result(Rendered(b"", 3))
        waiting.join(WAIT)
    assert numbers[1]["summary"] == probed + 1
    assert stage._cover(pack, stage.cover_guess, 2, [Rendered(b"", 3)] * len(pack.slugs)).pdf
    assert len(numbers) == 2  # the cover rendered for its length, then once with its numbers
    totals = {
        int(total)
        for html, _ in pool.handed_out
        if "string-set: pageno" in html
        for total in re.findall(r"Page \d+ of (\d+)", html)
    }
    assert totals == {probed + 2 + 3 * len(pack.slugs)}


def test_a_cover_of_another_length_than_guessed_is_rendered_again(
    plan: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    numbers = _counted_covers(monkeypatch)
    pack = next(f.document for f in plan.files if isinstance(f.document, BoardPack))
    pool = Pool()
    stage = PdfStage(tmp_path, plan.rs, pool, plan.allowed, None)  # type: ignore[arg-type]
    stage.start(pack, 2, {})
    stage.go()
    pool.wait_for(SUMMARY).set_result(Rendered(b"", 3))
    stage.bodies()
    bodies = [Rendered(b"", 1) for _ in pack.slugs]
    done = threading.Thread(target=lambda: numbers.append(stage._cover(pack, 2, 3, bodies)))
    done.start()
    pool.wait_for("cover and contents 2").set_result(Rendered(b"first", 3))  # not 2 pages
    pool.wait_for("cover and contents 3").set_result(Rendered(b"second", 3))
    done.join(WAIT)
    *pages, cover = numbers[1:]  # after the cover rendered for its length, not waited for
    assert cover == Rendered(b"second", 3)
    assert [p["summary"] for p in pages] == [3, 4]
    assert [p[pack.slugs[-1]] for p in pages] == [2 + 3 + 3 + 1, 3 + 3 + 3 + 1]


def test_a_header_and_footer_are_rendered_once_for_departments_of_the_same_length(
    plan: Any, tmp_path: Path
) -> None:
    """Four departments of 3 pages have the same running header and footer: one job."""
    pool = Pool()
    stage = PdfStage(tmp_path, plan.rs, pool, plan.allowed, None)  # type: ignore[arg-type]
    stage.start(None, 2, {})
    slugs = [d.name for d in plan.departments]
    for slug in slugs:
        stage.start_body(slug, f"<p>body of {slug}</p>")
    waiting = threading.Thread(target=stage.bodies, args=(set(slugs),))
    waiting.start()
    for slug in slugs:
        pool.wait_for(f"body of {slug}").set_result(Rendered(b"", 3))
    waiting.join(WAIT)
    furniture = [html for html, _ in pool.handed_out if "body of" not in html]
    assert len(slugs) == 4 and len(furniture) == 1


def test_the_bodies_are_handed_out_as_the_workers_free_up(plan: Any, tmp_path: Path) -> None:
    """No more bodies are in the pool than it has workers, so that a header and footer handed
    out when a body is done are rendered next, not after every body: pebble's queue is first
    come, first served."""
    pool = Pool()
    pool.jobs = 1
    stage = PdfStage(tmp_path, plan.rs, pool, plan.allowed, None)  # type: ignore[arg-type]
    stage.start(None, 2, {})
    first, second, *_ = slugs = [d.name for d in plan.departments]
    for slug in slugs:
        stage.start_body(slug, f"<p>body of {slug}</p>" + "x" * (100 if slug == second else 0))
    waiting = threading.Thread(target=stage.bodies, args=({first},))
    waiting.start()
    try:
        # the first body was handed out at once; the others wait for the worker
        assert [html for html, _ in pool.handed_out] == [f"<p>body of {first}</p>"]
        pool.wait_for(f"body of {first}").set_result(Rendered(b"", 3))
        # then its header and footer, and the longest body left
        pool.wait_for("string-set: pageno")
        bodies = [html for html, _ in pool.handed_out if "body of" in html]
        assert bodies[1:] == [f"<p>body of {second}</p>" + "x" * 100]
    finally:
        for slug in slugs:
            job = pool.wait_for(f"body of {slug}")
            if not job.done():
                job.set_result(Rendered(b"", 3))
        waiting.join(WAIT)


def test_a_department_pdf_is_put_together_while_other_bodies_render(
    plan: Any, tmp_path: Path
) -> None:
    """bodies(ready=...) hands over a department's finished PDF as soon as its header and
    footer are done, while the workers render the other bodies; assemble() leaves it out."""
    from kpireport.render.pdf import render_pdf

    page = render_pdf('<html lang="en"><p>a page</p></html>', plan.allowed)
    pool = Pool()
    stage = PdfStage(tmp_path, plan.rs, pool, plan.allowed, None)  # type: ignore[arg-type]
    stage.start(None, 2, {})
    first, *others = slugs = [d.name for d in plan.departments]
    for slug in slugs:
        stage.start_body(slug, f"<p>body of {slug}</p>")
    ready: list[Any] = []
    bodies: dict[str, Rendered] = {}
    waiting = threading.Thread(target=lambda: bodies.update(stage.bodies({first}, ready.append)))
    waiting.start()
    try:
        pool.wait_for(f"body of {first}").set_result(page)
        pool.wait_for("string-set: pageno").set_result(page)
        for _ in range(WAIT * 10):
            if ready:
                break
            threading.Event().wait(0.1)
        # the others are still being rendered
        assert [pdf.name for pdf in ready] == [f"{first}.pdf"]
        assert not any(pool.wait_for(f"body of {slug}").done() for slug in others)
    finally:
        for slug in others:
            pool.wait_for(f"body of {slug}").set_result(page)
        waiting.join(WAIT)
    import pikepdf

    with pikepdf.open(io.BytesIO(ready[0].pdf)) as pdf:
        assert len(pdf.pages) == 1
    departments = [d for d in plan.departments if d.name == first]
    assert list(stage.assemble(departments, None, bodies)) == []


def test_the_cover_of_a_rebuild_is_rendered_at_once_with_the_last_page_numbers(
    plan: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Given the page numbers of the last build's contents, the cover is handed out before
    anything else; once every page count is known it is kept when they are the same, and
    rendered again when a department's length changed."""
    import kpireport.render.pdfstage as pdfstage

    monkeypatch.setattr(pdfstage, "board_pack_cover_html", lambda rs, n: f"<p>cover {n}</p>")
    pack = next(f.document for f in plan.files if isinstance(f.document, BoardPack))
    first, *rest = pack.slugs
    cached = {slug: Rendered(b"", 4) for slug in rest}  # only the first department changed
    last = _numbers_for(pack, [1, 4, *([4] * len(rest))])  # a 1-page summary, 4-page bodies
    for pages, again in ((4, False), (5, True)):
        pool = Pool()
        stage = PdfStage(tmp_path, plan.rs, pool, plan.allowed, None)  # type: ignore[arg-type]
        stage.start(pack, 2, cached, last)
        assert pool.handed_out[0][0] == f"<p>cover {last}</p>"
        stage.start_body(first, f"<p>body of {first}</p>")
        waiting = threading.Thread(target=stage.bodies)
        waiting.start()
        pool.wait_for(SUMMARY).set_result(Rendered(b"", 1))
        pool.wait_for(f"body of {first}").set_result(Rendered(b"", pages))
        waiting.join(WAIT)
        covers = [html for html, _ in pool.handed_out if html.startswith("<p>cover")]
        assert len(covers) == (2 if again else 1)
        assert covers[-1] == f"<p>cover {_numbers_for(pack, [1, pages, *([4] * len(rest))])}</p>"


def _numbers_for(pack: BoardPack, counts: list[int]) -> dict[str, int]:
    """The contents' page numbers after a cover of 2 pages, the summary and the bodies."""
    numbers, page = {"summary": 3}, 3 + counts[0]
    for slug, pages in zip(pack.slugs, counts[1:], strict=True):
        numbers[slug] = page
        page += pages
    return numbers


@pytest.mark.parametrize("last_pages", [3, 7])
def test_the_pack_header_and_footer_are_handed_out_before_the_last_body_is_done(
    plan: Any, tmp_path: Path, last_pages: int
) -> None:
    """While the last body is rendered, the other worker renders the board pack's header and
    footer for its guessed length (that of the body of the nearest length of HTML); again
    once it is done only when the guess was wrong."""
    pack, pool, _stage, waiting = _every_body_handed_out(plan, tmp_path)
    *first, last = pack.slugs
    try:
        pool.wait_for(SUMMARY).set_result(Rendered(b"", 2))
        for slug in first:
            pool.wait_for(f"body of {slug}").set_result(Rendered(b"", 3))
        pool.wait_for("string-set: pageno")
        assert not pool.wait_for(f"body of {last}").done()
    finally:
        pool.wait_for(f"body of {last}").set_result(Rendered(b"", last_pages))
        waiting.join(WAIT)
    totals = {
        int(total)
        for html, _ in pool.handed_out
        if "string-set: pageno" in html  # a header and footer
        for total in re.findall(r"Page \d+ of (\d+)", html)
    }
    guessed = 2 + 2 + 3 * len(pack.slugs)  # the cover, the summary, bodies of 3 pages
    assert totals == ({guessed} if last_pages == 3 else {guessed, guessed - 3 + last_pages})
    # a header and footer for a wrong length, not done yet, is stopped: its worker is free
    for html, job in pool.handed_out:
        if "string-set: pageno" in html:
            wrong = f" of {guessed}<" in html and last_pages != 3
            assert job.cancelled() == wrong, html[-200:]
