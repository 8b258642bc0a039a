"""The order in which the PDF stage (kpireport/render/pdfstage.py) hands out its jobs, with a
pool that renders nothing: each job is a future the test completes itself, so what is handed
out before what does not depend on how fast anything renders.

The English sample's board pack has four departments; its cover and contents give each one's
first page, which the last department's body cannot change (no entry comes after it)."""

from __future__ import annotations

import threading
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest

from kpireport.render.documents import BoardPack
from kpireport.render.pdf import Rendered
from kpireport.render.pdfstage import PdfStage
from tests.conftest import SAMPLES

WAIT = 30  # seconds before a job that is never handed out fails the test


class Pool:
    """Takes every job and remembers it; a job is done when the test says so."""

    def __init__(self) -> None:
        self.jobs: list[tuple[str, Future[Rendered]]] = []
        self.handed = threading.Condition()

    def submit(self, html: str, *args: Any, **kwargs: Any) -> Future[Rendered]:
        future: Future[Rendered] = Future()
        with self.handed:
            self.jobs.append((html, future))
            self.handed.notify_all()
        return future

    def wait_for(self, text: str) -> Future[Rendered]:
        """The job whose HTML holds ``text``, once it has been handed out."""
        with self.handed:
            found = self.handed.wait_for(lambda: self._find(text), timeout=WAIT)
        assert found is not None, f"no job with {text!r} was handed out"
        return found

    def _find(self, text: str) -> Future[Rendered] | None:
        return next((future for html, future in self.jobs if text in html), None)


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
    import kpireport.render.pdfstage as pdfstage

    numbers: list[dict[str, int]] = []

    def cover_html(rs: Any, pages: dict[str, int]) -> str:
        numbers.append(pages)
        return "<p>cover and contents</p>"

    monkeypatch.setattr(pdfstage, "board_pack_cover_html", cover_html)
    pack = next(f.document for f in plan.files if isinstance(f.document, BoardPack))
    *first, last = pack.slugs
    pool = Pool()
    stage = PdfStage(tmp_path, plan.rs, pool, plan.allowed, None)  # type: ignore[arg-type]
    stage.start(pack, 2, {})
    for slug in pack.slugs:
        stage.start_body(slug, f"<p>body of {slug}</p>")
    waiting = threading.Thread(target=stage.bodies)
    waiting.start()
    try:
        pool.jobs[0][1].set_result(Rendered(b"", 3))  # the summary
        for n, slug in enumerate(first):
            pool.wait_for(f"body of {slug}").set_result(Rendered(b"", 4 + n))
        # the last body is still being rendered: the cover can be, meanwhile
        cover = pool.wait_for("cover and contents")
    finally:
        pool.wait_for(f"body of {last}").set_result(Rendered(b"", 9))
        waiting.join(WAIT)
    # its page numbers: the cover's 2 pages, the summary's 3, then the bodies' 4, 5 and 6
    assert numbers == [{"summary": 3, first[0]: 6, first[1]: 10, first[2]: 15, last: 21}]
    assert stage.summary == [Rendered(b"", 3)]  # the summary of the sample: one piece
    # assemble() takes that job, and renders the cover again only when its length was wrong
    cover.set_result(Rendered(b"cover", 2))
    assert stage._cover(pack, 2, 3, [Rendered(b"", p) for p in (4, 5, 6, 9)]).pdf == b"cover"
    assert len(numbers) == 1


def test_a_cover_of_another_length_than_guessed_is_rendered_again(
    plan: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import kpireport.render.pdfstage as pdfstage

    numbers: list[dict[str, int]] = []

    def cover_html(rs: Any, pages: dict[str, int]) -> str:
        numbers.append(pages)
        return f"<p>cover and contents {len(numbers)}</p>"

    monkeypatch.setattr(pdfstage, "board_pack_cover_html", cover_html)
    pack = next(f.document for f in plan.files if isinstance(f.document, BoardPack))
    pool = Pool()
    stage = PdfStage(tmp_path, plan.rs, pool, plan.allowed, None)  # type: ignore[arg-type]
    stage.start(pack, 2, {})
    pool.jobs[0][1].set_result(Rendered(b"", 3))
    stage.bodies()
    bodies = [Rendered(b"", 1) for _ in pack.slugs]
    done = threading.Thread(target=lambda: numbers.append(stage._cover(pack, 2, 3, bodies)))
    done.start()
    pool.wait_for("cover and contents 1").set_result(Rendered(b"first", 3))  # not 2 pages
    pool.wait_for("cover and contents 2").set_result(Rendered(b"second", 3))
    done.join(WAIT)
    *pages, cover = numbers
    assert cover == Rendered(b"second", 3)
    assert [p["summary"] for p in pages] == [3, 4]
    assert [p[pack.slugs[-1]] for p in pages] == [2 + 3 + 3 + 1, 3 + 3 + 3 + 1]
