"""The report sets of an output folder, each summarised from its results.json, for the index
pages (``DIR/index.html`` and each set's ``index.html``): the trend across board meetings.

Every file there is treated as possibly hostile or written by another kpireport: a set whose
results.json is missing, a link, not a regular file, not JSON, of another major version or not
the shape it should be is listed without numbers, never a reason to fail. Of each results.json
only the head is read, the keys before ``departments`` (where a build writes the company and the
summary), at most :data:`MAX_HEAD_BYTES`: so a set of 150,000 measurements costs no more to list
than a small one, and only a small summary of each set is kept."""

from __future__ import annotations

import datetime as dt
import io
import json
import math
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from kpireport.buildcache import MANIFEST
from kpireport.engine.serialize import RESULTS_FILE, from_dict
from kpireport.errors import ResultsFileError
from kpireport.replaced import kept_sets
from kpireport.slug import folder_name

if TYPE_CHECKING:
    from kpireport.engine import Results

# How much of a results.json is read for its head: the summary of the bench workbook (3,000 KPIs,
# its attention list included) is about 1 MB.
MAX_HEAD_BYTES = 16 * 1024 * 1024
# Per workbook, the newest sets are read for their numbers; older ones are listed by date only,
# so that an index over years of daily sets is still quick to write.
MAX_READ = 24
BOARD_PACKS = ("board-pack.pdf", "board-pack.html")


@dataclass(frozen=True)
class Numbers:
    """What results.json says of a set that the indexes show."""

    company: str
    score: float | None
    counts: dict[str, int]
    kpi_count: int


@dataclass(frozen=True)
class SetSummary:
    """One report set: its folder (named by its report date), its numbers when its results.json
    reads, and the board pack files it has."""

    folder: str
    numbers: Numbers | None
    board_pack: tuple[str, ...]  # of BOARD_PACKS, those in the folder

    @property
    def report_date(self) -> dt.date | None:
        """The folder's name as a date (a build names it so)."""
        try:
            return dt.date.fromisoformat(self.folder)
        except ValueError:
            return None


@dataclass(frozen=True)
class WorkbookSets:
    """A workbook's report sets: ``sets`` newest first (the first :data:`MAX_READ` with their
    numbers), ``older`` the folders of the rest, and the sets of other companies kept aside
    (folder name, company; kpireport/replaced.py)."""

    name: str  # the workbook's folder name
    sets: list[SetSummary]
    older: list[str]
    kept: list[tuple[str, str | None]]


def overview(out_dir: Path) -> list[WorkbookSets]:
    """Every workbook in ``out_dir`` with its report sets, by name."""
    root = Path(out_dir)
    kept = kept_sets(root)
    names = {p.parent.parent.name for p in root.glob(f"*/*/{MANIFEST}")} | set(kept)
    workbooks = []
    for name in sorted(names):
        folders = set_folders(root / name)
        sets = [summarise(root / name / f) for f in folders[:MAX_READ]]
        workbooks.append(WorkbookSets(name, sets, folders[MAX_READ:], kept.get(name, [])))
    return workbooks


def earlier_summaries(out_dir: Path, workbook: Path, report_date: dt.date) -> list[SetSummary]:
    """The report sets of ``workbook`` in ``out_dir`` dated before ``report_date``, newest first
    (at most :data:`MAX_READ` less one: with the set itself, as many as the overview reads)."""
    root = Path(out_dir) / folder_name(workbook.stem)
    folders = [f for f in set_folders(root) if f < report_date.isoformat()]
    return [summarise(root / f) for f in folders[: MAX_READ - 1]]


def summary_of(results: Results, files: Iterable[str]) -> SetSummary:
    """The set a build is writing, from its results and the names of its ``files``."""
    names = set(files)
    summary = results.summary
    numbers = Numbers(results.company, summary.score, summary.counts, summary.kpi_count)
    packs = tuple(f for f in BOARD_PACKS if f in names)
    return SetSummary(results.report_date.isoformat(), numbers, packs)


def summarise(folder: Path) -> SetSummary:
    """The set in ``folder``: its numbers (None when its results.json does not read) and its
    board pack files."""
    packs = tuple(f for f in BOARD_PACKS if regular_file(folder / f))
    return SetSummary(folder.name, _numbers(folder / RESULTS_FILE), packs)


def set_folders(root: Path) -> list[str]:
    """The names of the report-set folders in a workbook's folder, newest first: folders (not
    links) with a build's manifest."""
    try:
        entries = list(os.scandir(root)) if not root.is_symlink() else []
    except OSError:
        return []
    names = [
        e.name
        for e in entries
        if e.is_dir(follow_symlinks=False) and regular_file(Path(e.path) / MANIFEST)
    ]
    return sorted(names, reverse=True)


def regular_file(path: Path) -> bool:
    """Whether ``path`` is a regular file, not a link to one."""
    try:
        return stat.S_ISREG(path.lstat().st_mode)
    except OSError:
        return False


def _numbers(path: Path) -> Numbers | None:
    """The company and summary of the results.json at ``path``, or None when it does not read."""
    head = _head(path)
    if head is None:
        return None
    try:
        # Typed by the engine's own reader (which checks the major version), without the
        # departments and warnings, which the index does not show.
        results = from_dict({**head, "departments": [], "warnings": []})
    except (ResultsFileError, RecursionError):
        return None
    summary = results.summary
    score = summary.score if summary.score is None or math.isfinite(summary.score) else None
    return Numbers(results.company, score, summary.counts, summary.kpi_count)


def _head(path: Path) -> dict[str, object] | None:
    """The keys of the JSON object in the regular file at ``path`` (not a link, a FIFO or a
    device) up to ``departments``, from its first :data:`MAX_HEAD_BYTES`; None when they do
    not read."""
    data = read_regular(path, MAX_HEAD_BYTES)
    if data is None:
        return None
    try:
        return _object_head(_text(data, whole=len(data) < MAX_HEAD_BYTES))
    except (ValueError, RecursionError):  # JSONDecodeError and UnicodeDecodeError among them
        return None


def read_regular(path: Path, limit: int) -> bytes | None:
    """At most ``limit`` bytes of the regular file at ``path``; None for a link, a FIFO, a
    device, a folder or a file that does not open (:func:`open_regular`)."""
    fh = open_regular(path)
    if fh is None:
        return None
    try:
        with fh:
            return fh.read(limit)
    except OSError:
        return None


def open_regular(path: Path) -> io.BufferedReader | None:
    """The regular file at ``path`` opened for reading; None for a link, a FIFO, a device, a
    folder or a file that does not open. Never blocks: a FIFO is opened non-blocking and
    refused."""
    try:
        # O_NONBLOCK: opening a FIFO returns at once instead of waiting for a writer
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        if stat.S_ISREG(os.fstat(fd).st_mode):
            return os.fdopen(fd, "rb")
    except OSError:
        pass
    os.close(fd)
    return None


def _text(data: bytes, whole: bool) -> str:
    """``data`` as UTF-8; when it is not the ``whole`` file, a character cut at its end is left
    out."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if whole or exc.start < len(data) - 3:
            raise
        return data[: exc.start].decode("utf-8")


def _refuse(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


_DECODER = json.JSONDecoder(parse_constant=_refuse)
_SPACE = " \t\n\r"


def _object_head(text: str) -> dict[str, object]:
    """The keys and values of the JSON object ``text`` starts, up to the key ``departments``
    (or the object's end). NaN and Infinity are refused: they are not JSON, and kpireport writes
    null for them. ValueError when it is not such an object."""
    at = _skip(text, 0)
    if text[at : at + 1] != "{":
        raise ValueError("not a JSON object")
    head: dict[str, object] = {}
    at = _skip(text, at + 1)
    while text[at : at + 1] != "}":
        key, at = _DECODER.raw_decode(text, at)
        at = _skip(text, at)
        if not isinstance(key, str) or text[at : at + 1] != ":":
            raise ValueError("not a JSON object")
        if key == "departments":
            return head
        head[key], at = _DECODER.raw_decode(text, _skip(text, at + 1))
        at = _skip(text, at)
        if text[at : at + 1] == ",":
            at = _skip(text, at + 1)
        elif text[at : at + 1] != "}":
            raise ValueError("not a JSON object")
    return head


def _skip(text: str, at: int) -> int:
    while at < len(text) and text[at] in _SPACE:
        at += 1
    return at
