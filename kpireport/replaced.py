"""Report sets of another company, kept rather than replaced.

Report sets are found by the workbook's file name and the report date, so a second company's
workbook called ``kpis.xlsx`` with the same report date would replace the first one's set. When a
build is about to write into a set made for another company (Settings ``company``, as results.json
and the manifest record it), the old set is moved whole to
``DIR/<workbook>/.replaced/<report date>-<UTC time>/`` first, and moved back if the new build
fails. A corrected workbook of the same company replaces its set in place. The folder's name
starts with a dot, so ``kpireport send`` never mails a kept set as if it were current; the index
of the output folder links it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from kpireport.buildcache import MANIFEST, Manifest
from kpireport.errors import OutputError
from kpireport.fsutil import inside
from kpireport.render.pdfstage import PAGES

REPLACED = ".replaced"


@dataclass(frozen=True)
class Replaced:
    """A report set of another company that a build moved aside: where it is now, and whose."""

    place: Path
    company: str | None  # None: an older kpireport recorded no company and wrote no results.json


def set_aside(folder: Path, company: str) -> Replaced | None:
    """Move the report set in ``folder`` aside when it was made for another company than
    ``company``: where it went, or None (no finished set there, or the same company's). Call it
    holding the output folder's lock."""
    if Manifest.read(folder).build is None:
        return None  # nothing was built here (or only a failed first build's leftovers)
    previous = set_company(folder)
    if previous is not None and _same(previous, company):
        return None
    name = f"{folder.name}-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%SZ}"
    try:
        parent = inside(folder.parent, REPLACED)
        parent.mkdir(exist_ok=True)
        place, n = inside(parent, name), 1
        while os.path.lexists(place):  # two sets kept in one second
            n += 1
            place = inside(parent, f"{name}-{n}")
        # one rename: the set is in one place or the other, never half in each
        os.rename(folder, place)
    except OSError as exc:
        raise OutputError(f"cannot keep {folder} aside: {exc.strerror or exc}") from None
    return Replaced(place, previous)


def restore(replaced: Replaced, folder: Path) -> None:
    """Put a set moved aside back in ``folder`` (the new build failed): what that build left
    there (temporary files, its manifest) is deleted first."""
    if folder.is_dir() and not folder.is_symlink():
        shutil.rmtree(folder)
    os.rename(replaced.place, folder)
    with contextlib.suppress(OSError):
        replaced.place.parent.rmdir()  # when it was the only one


def settle(replaced: Replaced) -> None:
    """The new set is in place: the kept set no longer needs its cache of department pages."""
    shutil.rmtree(replaced.place / PAGES, ignore_errors=True)


def set_company(folder: Path) -> str | None:
    """Whose report set ``folder`` holds: the company its manifest records, or (a set built
    before the manifest recorded it) its results.json's; None if neither says."""
    built = Manifest.read(folder).build
    if built is not None and "company" in built:
        return built["company"]
    try:
        company = json.loads((folder / "results.json").read_text(encoding="utf-8"))["company"]
    except (OSError, ValueError, TypeError, KeyError):
        return None
    return company if isinstance(company, str) else None


def kept_sets(out_dir: Path) -> dict[str, list[tuple[str, str | None]]]:
    """Workbook folder name -> (kept set's folder name, its company), oldest first."""
    kept: dict[str, list[tuple[str, str | None]]] = {}
    for manifest in sorted(Path(out_dir).glob(f"*/{REPLACED}/*/{MANIFEST}")):
        folder = manifest.parent
        kept.setdefault(folder.parent.parent.name, []).append((folder.name, set_company(folder)))
    return kept


def _same(a: str, b: str) -> bool:
    """The same company, however its name is spaced or capitalised."""
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()
