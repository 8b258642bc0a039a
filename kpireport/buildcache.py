"""The rebuild cache of a report set: each file's key (the hash of everything it is made from)
and the SHA-256 of the bytes it was written with, in the set's manifest
(``.kpireport-build.json``), with the key of the whole build and the department bodies kept in
``.pages/`` for the next build's board pack.

A file is rewritten only when its key changed or it is no longer as the build left it; a
workbook whose whole build key is unchanged, with every file intact, is not even computed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NotRequired, TypedDict

from kpireport import __version__
from kpireport.hashing import digest, file_sha256, sha256
from kpireport.model import Workbook
from kpireport.render.pdf import Rendered
from kpireport.render.pdfstage import COVER_PAGES, PAGES

if TYPE_CHECKING:
    from markupsafe import Markup

    from kpireport.build import BuildOptions

MANIFEST = ".kpireport-build.json"
RESULTS_FILES = ("results.json", "results.csv", "results.xlsx")
CARDS = ".cards.json"  # in .pages/, after a department's slug: its cards (Manifest.keep_cards)
BUILD = "build"  # the manifest's record of the whole build: key, summary, language


class FileEntry(TypedDict):
    """What the manifest records of one file of the report set."""

    key: str  # the hash of everything the file is made from
    sha256: str  # of the bytes written
    pages: NotRequired[int]  # a department body in .pages/: its page count
    cover_pages: NotRequired[int]  # the board pack: the pages of its cover and contents
    cover_numbers: NotRequired[dict[str, int]]  # and the page numbers in its contents


class BuildEntry(TypedDict):
    """What the manifest records of the whole build, for a rebuild that has nothing to do."""

    key: str  # see build_key
    language: str
    summary: dict[str, object]  # the company summary of results.json
    # whose reports these are (results.json's company): a build for another company keeps
    # the set aside rather than replace it (kpireport.build); not recorded before issue 12
    company: NotRequired[str]


@dataclass(frozen=True)
class PreviousBuild:
    """A report set left exactly as a build with the same key wrote it."""

    files: list[Path]
    summary: dict[str, object]
    language: str


def build_key(
    workbook: Workbook, options: BuildOptions, templates: str, compared: object = None
) -> str:
    """Everything a report set is made from, when the workbook is the same file.
    ``templates``: :func:`templates_digest` of the templates in use; ``compared``: what the
    comparison with the previous report depends on (:func:`kpireport.previous.identity`). The
    logos are in it by the SHA-256 of their files (None for a refused one), each file read once
    however many departments name it: never their bytes, which 1,000 departments naming one 2 MB
    logo made 2 GB of JSON."""
    from kpireport.assets import Logos

    logos = Logos(options.assets_for(workbook))
    names = [workbook.settings.logo, *(d.logo for d in workbook.departments)]
    return digest(
        __version__,
        templates,
        workbook.sha256,
        [logo.sha256 if (logo := logos.get(name)) else None for name in names],
        options.formats,
        options.departments,
        options.lang,
        options.pdf_variant,
        options.report_date.isoformat() if options.report_date else None,
        options.page_size,
        compared,
    )


def templates_digest(user_dir: Path | None) -> str:
    """The templates and the rendering code, WeasyPrint's version among it: a change to any
    makes pages out of date (a page kept in ``.pages/`` is never put beside pages another
    WeasyPrint laid out)."""
    import hashlib
    from importlib.metadata import version

    from kpireport import render
    from kpireport.render import default_templates

    h = hashlib.sha256(f"weasyprint {version('weasyprint')}".encode())
    code = Path(render.__file__).parent
    for root in [default_templates(), code, *([user_dir] if user_dir else [])]:
        for file in sorted(p for p in Path(root).rglob("*") if p.is_file() and p.suffix != ".pyc"):
            h.update(str(file.relative_to(root)).encode())
            h.update(file.read_bytes())
    return h.hexdigest()


def owned(name: str) -> bool:
    """The files a build writes into a report set (not, say, sent.json of `kpireport send`)."""
    return name.endswith((".pdf", ".html")) or name in (*RESULTS_FILES, MANIFEST)


def intact(path: Path, entry: FileEntry) -> bool:
    """``path`` is a file with the bytes its manifest ``entry`` says were written."""
    return path.is_file() and entry["sha256"] == file_sha256(path)


class Manifest:
    """A report set's manifest, read at the start of a build and written at its end when
    anything in it changed (a rebuild with nothing to do writes nothing)."""

    def __init__(self, folder: Path, files: dict[str, FileEntry], build: BuildEntry | None) -> None:
        self.folder = folder
        self.files = files  # file name in the folder: its entry
        self.build = build
        self.changed = False
        self._cards_taken: set[str] = set()  # the departments whose cards came from .pages/

    @classmethod
    def read(cls, folder: Path) -> Manifest:
        """The manifest in ``folder``; entries that are not what a build writes are left out,
        and a missing or unreadable manifest is empty."""
        try:
            data = json.loads((folder / MANIFEST).read_text())
        except (OSError, ValueError):
            data = None
        if not isinstance(data, dict):
            return cls(folder, {}, None)
        files = {name: e for name, v in data.items() if name != BUILD and (e := _file_entry(v))}
        return cls(folder, files, _build_entry(data.get(BUILD)))

    def previous_build(self, key: str) -> PreviousBuild | None:
        """The report set, when it was built with ``key`` and every file that build recorded
        is there with the bytes it wrote."""
        if self.build is None or self.build["key"] != key:
            return None
        names = [name for name in self.files if not name.startswith(f"{PAGES}/")]
        if not all(intact(self.folder / name, self.files[name]) for name in names):
            return None
        paths = [self.folder / name for name in names]
        return PreviousBuild(paths, self.build["summary"], self.build["language"])

    def up_to_date(self, name: str, key: str) -> bool:
        """File ``name`` was made from ``key`` and is as the build left it."""
        entry = self.files.get(name)
        return entry is not None and entry["key"] == key and intact(self.folder / name, entry)

    def cover_pages(self, name: str) -> int:
        """The pages of the cover and contents of board pack ``name`` when it was last built."""
        entry = self.files.get(name)
        return entry.get("cover_pages", COVER_PAGES) if entry else COVER_PAGES

    def cover_numbers(self, name: str) -> dict[str, int] | None:
        """The page numbers in the contents of board pack ``name`` when it was last built."""
        entry = self.files.get(name)
        return entry.get("cover_numbers") if entry else None

    def record(
        self,
        name: str,
        key: str,
        sha256: str,
        cover_pages: int | None = None,
        cover_numbers: dict[str, int] | None = None,
    ) -> None:
        """File ``name``, made from ``key``, was written with bytes of hash ``sha256``."""
        entry = FileEntry(key=key, sha256=sha256)
        if cover_pages is not None:
            entry["cover_pages"] = cover_pages
        if cover_numbers is not None:
            entry["cover_numbers"] = cover_numbers
        self.files[name] = entry
        self.changed = True

    def record_build(self, build: BuildEntry) -> None:
        """The whole build is done: the record a rebuild with nothing to do compares with."""
        self.changed |= self.build != build
        self.build = build

    def write(self, sync: bool = True) -> None:
        """Write the manifest when it changed (or there is none yet); ``sync``: see
        :func:`kpireport.fsutil.write_temp_pieces`."""
        from kpireport.fsutil import write_atomic

        if self.changed or not (self.folder / MANIFEST).exists():
            data: dict[str, FileEntry | BuildEntry] = {**self.files}
            if self.build is not None:
                data[BUILD] = self.build
            text = json.dumps(data, indent=2, sort_keys=True) + "\n"
            write_atomic(self.folder / MANIFEST, text, sync=sync)

    # -- the department bodies in .pages/ ----------------------------------------------------

    def cached_bodies(self, keys: dict[str, str]) -> dict[str, Rendered]:
        """The bodies in ``.pages/`` of the departments ``keys`` names (slug: body key) that
        were made from that key and are as they were written."""
        found = {}
        for slug, key in keys.items():
            name = f"{PAGES}/{slug}.pdf"
            data = self._kept(name, key)
            if data is not None:
                found[slug] = Rendered(data, self.files[name].get("pages", 0))
        return found

    def _kept(self, name: str, key: str) -> bytes | None:
        """The bytes of file ``name`` of ``.pages/`` when a build of ``key`` wrote them, as it
        wrote them; else None."""
        entry = self.files.get(name)
        if entry is None or entry["key"] != key or not (self.folder / name).is_file():
            return None
        data = (self.folder / name).read_bytes()
        return data if sha256(data) == entry["sha256"] else None

    def keep_bodies(self, bodies: dict[str, Rendered], keys: dict[str, str]) -> None:
        """Write ``bodies`` (slug: pages) into ``.pages/`` for the next build, each under its
        body key in ``keys``."""
        from kpireport.fsutil import write_atomic

        for slug, body in bodies.items():
            name = f"{PAGES}/{slug}.pdf"
            write_atomic(self.folder / name, body.pdf)
            entry = FileEntry(key=keys[slug], sha256=sha256(body.pdf), pages=body.pages)
            self.files[name] = entry
            self.changed = True

    def forget_bodies(self, keep: set[str]) -> None:
        """Delete the bodies and cards of departments not in ``keep`` (the workbook no longer
        has them)."""
        import contextlib

        for name in [n for n in self.files if n.startswith(f"{PAGES}/")]:
            slug = name.removeprefix(f"{PAGES}/").removesuffix(CARDS).removesuffix(".pdf")
            if slug not in keep:
                del self.files[name]
                self.changed = True
                with contextlib.suppress(OSError):
                    (self.folder / name).unlink()

    # -- the departments' cards in .pages/ ----------------------------------------------------

    def cached_cards(self, keys: dict[str, str]) -> dict[tuple[object, ...], Markup]:
        """What the departments ``keys`` names (slug: body key) made once for their page and
        the board pack (``View.once``: each KPI's card with its chart, the KPI table), kept in
        ``.pages/`` by a build of that key and as it was written: a rebuild after one
        department changed makes only that department's cards for the HTML board pack (the
        rest took 1.7 s at 40 x 25, in the process whose cores the PDF workers need)."""
        from markupsafe import Markup

        found: dict[tuple[object, ...], Markup] = {}
        for slug, key in keys.items():
            data = self._kept(f"{PAGES}/{slug}{CARDS}", key)
            if data is None:
                continue
            self._cards_taken.add(slug)
            found |= {tuple(memo_key): Markup(html) for memo_key, html in json.loads(data)}
        return found

    def stage_cards(
        self, memo: dict[tuple[object, ...], Markup], keys: dict[str, str], sync: bool = True
    ) -> list[StagedCards]:
        """What ``memo`` holds of each department ``keys`` names (slug: body key), written
        beside its place in ``.pages/`` under a temporary name, unless :meth:`cached_cards`
        took it from there (a file deleted or damaged is written again):
        :meth:`keep_cards` puts it in place once the build has succeeded (a failed build
        leaves ``.pages/`` as it was). ``sync``: as ``write_temp_pieces``'s."""
        from kpireport.fsutil import write_temp_pieces

        made: dict[object, list[list[object]]] = {}  # by department: its entries, one pass
        for memo_key, html in memo.items():
            if len(memo_key) > 1 and all(isinstance(part, str) for part in memo_key):
                made.setdefault(memo_key[1], []).append([list(memo_key), str(html)])
        staged = []
        for slug, key in keys.items():
            if slug in self._cards_taken or slug not in made:
                continue  # taken from .pages/, or not made in this build (all up to date)
            name = f"{PAGES}/{slug}{CARDS}"
            data = json.dumps(made[slug], ensure_ascii=False, separators=(",", ":"))
            temp, sha = write_temp_pieces(self.folder / name, [data], sync)
            staged.append(StagedCards(temp, name, key, sha))
        return staged

    def keep_cards(self, staged: list[StagedCards]) -> None:
        """Put the cards of :meth:`stage_cards` in place, for the next build."""
        from kpireport.fsutil import put_in_place

        for cards in staged:
            put_in_place(cards.temp, self.folder / cards.name)
            self.files[cards.name] = FileEntry(key=cards.key, sha256=cards.sha256)
            self.changed = True


@dataclass(frozen=True)
class StagedCards:
    """A department's cards written under a temporary name beside their file in ``.pages/``."""

    temp: Path
    name: str  # in the report set: .pages/<slug>.cards.json
    key: str  # the department's body key
    sha256: str


def _file_entry(value: object) -> FileEntry | None:
    if not isinstance(value, dict):
        return None
    key, sha, pages, cover = (value.get(k) for k in ("key", "sha256", "pages", "cover_pages"))
    if not isinstance(key, str) or not isinstance(sha, str):
        return None
    entry = FileEntry(key=key, sha256=sha)
    if isinstance(pages, int):
        entry["pages"] = pages
    if isinstance(cover, int):
        entry["cover_pages"] = cover
    numbers = value.get("cover_numbers")
    if isinstance(numbers, dict) and all(
        isinstance(k, str) and type(n) is int for k, n in numbers.items()
    ):
        entry["cover_numbers"] = numbers
    return entry


def _build_entry(value: object) -> BuildEntry | None:
    if not isinstance(value, dict):
        return None
    key, language, summary = value.get("key"), value.get("language"), value.get("summary")
    if not isinstance(key, str) or not isinstance(language, str) or not isinstance(summary, dict):
        return None
    entry = BuildEntry(key=key, language=language, summary=summary)
    if isinstance(company := value.get("company"), str):
        entry["company"] = company
    return entry
