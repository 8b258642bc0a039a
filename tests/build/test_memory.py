"""What a build gives back while it runs (issue 18, point 4): the main process returns the
heap pages making the numbers and HTML freed (kpireport/heap.py), and the PDF workers, each
holding the memory of the largest document it laid out, are stopped once every page is laid
out, before the assembly, where the main process needs the most. Real processes, read in /proc;
the figures at 3,000 KPIs are in docs/performance.md (``make bench``)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import kpireport.render.assemble as assemble_module
from kpireport.build import BuildOptions, build
from tests.conftest import SAMPLES

pytestmark = pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc (Linux)")


def descendants(pid: int) -> list[int]:
    """The live processes below ``pid``, at any depth."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if fields[0] != "Z":
                parents[int(entry.name)] = int(fields[1])
    found, frontier = [], [pid]
    while frontier:
        below = [child for child, parent in parents.items() if parent in frontier]
        found += below
        frontier = below
    return found


def test_the_workers_are_stopped_before_the_assembly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While the board pack is put together, no worker is left: below the build's process
    there is only the fork server (and multiprocessing's resource tracker), no grandchild.
    A department's PDF (one body, a few MB at most) is put together while the workers render
    on, as soon as its header and footer are done."""
    seen: list[tuple[int, int, int]] = []  # (parts, children, descendants) at each assembly
    real = assemble_module.assemble_pieces

    def watched(parts: list[bytes], furniture: list[bytes]):  # type: ignore[no-untyped-def]
        children = [p for p in descendants(os.getpid()) if _parent(p) == os.getpid()]
        seen.append((len(parts), len(children), len(descendants(os.getpid()))))
        yield from real(parts, furniture)

    monkeypatch.setattr(assemble_module, "assemble_pieces", watched)
    (result,) = build([SAMPLES / "acme-en.xlsx"], tmp_path, BuildOptions(jobs=2))
    assert (result.folder / "board-pack.pdf").stat().st_size > 0
    assert sorted(parts for parts, _, _ in seen) == [1, 1, 1, 1, 6]  # 4 departments, the pack
    (children, everything) = next((c, e) for parts, c, e in seen if parts > 1)
    assert children >= 1  # the fork server is still there, for the next document
    assert everything == children  # and has no worker below it


def _parent(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return -1


def test_trim_gives_the_freed_heap_back() -> None:
    """In a real child: 150 MB of 4 KB objects, one in fifty kept (so the heap's top stays in
    use and freeing alone cannot shrink it), the rest freed; heap.trim() gives the pages back."""
    code = textwrap.dedent(
        """
        from kpireport import heap

        def rss():
            for line in open("/proc/self/status"):
                if line.startswith("VmRSS"):
                    return int(line.split()[1]) // 1024

        chunks = [bytes(4000) for _ in range(37_500)]
        kept = chunks[::50]
        del chunks
        freed = rss()
        assert heap.trim()
        print(freed, rss(), len(kept))
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    freed, trimmed, _kept = (int(n) for n in out.stdout.split())
    assert freed - trimmed > 100, (freed, trimmed)


def test_a_worker_makes_way_for_a_fresh_one_after_its_documents(tmp_path: Path) -> None:
    """A worker's process grows with every document it lays out (WeasyPrint's caches): after
    WORKER_DOCUMENTS documents a fresh one, forked from the warm fork server, takes its place."""
    from kpireport.render.pdfstage import WORKER_DOCUMENTS, Renderer

    workers: set[int] = set()
    with Renderer(jobs=1, timeout=60) as renderer:
        for n in range(2 * WORKER_DOCUMENTS + 1):
            rendered = renderer.submit(f"<p>page {n}</p>", [tmp_path], None, []).result()
            assert rendered.pages == 1
            me = os.getpid()
            workers |= {p for p in descendants(me) if _parent(p) != me}
    assert len(workers) >= 3


def test_a_template_error_late_in_the_board_pack_leaves_the_old_files(tmp_path: Path) -> None:
    """The HTML board pack is written as it is made: a template error after megabytes of it
    names the template and leaves the report set as it was, with no partial file."""
    out = tmp_path / "out"
    (first,) = build([SAMPLES / "acme-en.xlsx"], out, BuildOptions(formats=("html",)))
    assert first.folder is not None
    before = {p.name: p.read_bytes() for p in first.folder.iterdir() if p.is_file()}
    mine = tmp_path / "templates"
    mine.mkdir()
    (mine / "board-pack.html").write_text(
        '{% extends "default:board-pack.html" %}'
        "{% block body %}{{ super() }}{{ r.departments[0].nothing.deeper }}{% endblock %}",
        encoding="utf-8",
    )
    (failed,) = build(
        [SAMPLES / "acme-en.xlsx"], out, BuildOptions(formats=("html",), templates=mine)
    )
    (issue,) = failed.report.issues
    assert issue.code == "build-failed"
    assert "template board-pack.html cannot be used" in issue.args["reason"]
    assert "'nothing'" in issue.args["reason"]
    after = {p.name: p.read_bytes() for p in first.folder.iterdir() if p.is_file()}
    assert after == before
