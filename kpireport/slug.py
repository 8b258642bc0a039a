"""Safe, stable, unique file-name slugs for departments and other names from a workbook."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable

_FOLD = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "Æ": "ae", "Ø": "oe", "Å": "aa", "ß": "ss"})
_UNSAFE = re.compile(r"[^a-z0-9]+")
# Names Windows reserves for devices, whatever the extension: never a file name of ours.
_RESERVED = frozenset(
    ["con", "prn", "aux", "nul"] + [f"com{i}" for i in range(10)] + [f"lpt{i}" for i in range(10)]
)
MAX_LENGTH = 60
# The files a report set holds besides the department pages (kpireport/buildplan.py): a department
# called "Index" or "Board Pack" must not overwrite index.html or board-pack.pdf, which would lose
# its page, or mail the whole board pack to that department as its own report.
REPORT_SET_NAMES = frozenset({"index", "board-pack", "validation"})

# A workbook's own name is kept as its output folder's name when it is at most this long and
# safe on any system; Windows paths stop at 260 characters, and the folder holds more below it.
MAX_FOLDER_LENGTH = 100
_NOT_IN_FOLDER_NAMES = frozenset('<>:"/\\|?*')


def slugify(name: str, fallback: str = "department", reserved: Iterable[str] = ()) -> str:
    """``Kundeservice & Support`` -> ``kundeservice-support``: lower-case ASCII letters, digits and
    hyphens only, so it is safe in a file name on any system and in a URL. A name with nothing
    left (``..``, ``数据``) becomes ``fallback``; a Windows device name or one of ``reserved``
    gets it as a prefix (``CON`` -> ``department-con``)."""
    text = unicodedata.normalize("NFKD", name.translate(_FOLD))
    text = text.encode("ascii", "ignore").decode("ascii").lower()
    slug = _UNSAFE.sub("-", text).strip("-")[:MAX_LENGTH].strip("-")
    if not slug:
        return fallback
    if slug in _RESERVED or slug in reserved:
        return f"{fallback}-{slug}"
    return slug


def unique_slugs(
    names: Iterable[str], fallback: str = "department", reserved: Iterable[str] = ()
) -> dict[str, str]:
    """A slug for each name, made unique in order of appearance (``sales``, ``sales-2``), none of
    them one of ``reserved``. The same names in the same order give the same slugs."""
    reserved = frozenset(reserved)
    out: dict[str, str] = {}
    used: set[str] = set(reserved)
    for name in names:
        if name in out:
            continue
        base = slugify(name, fallback, reserved)
        slug, n = base, 2
        # also skips a suffixed slug a name took itself: "Sales 2", "Sales", "Sales!" give
        # sales-2, sales, sales-3
        while slug in used:
            slug = f"{base}-{n}"
            n += 1
        used.add(slug)
        out[name] = slug
    return out


def folder_name(stem: str) -> str:
    """The output folder of a workbook called ``stem`` (its file name without extension).

    A name that is safe as a folder name on any system is kept as it is (``KPI 2026 Q2``), so
    existing report sets keep their folders. Any other (``..``, ``.``, `` ``, ``-rf``, ``CON``,
    a name with ``/``, ``\\``, control characters or over :data:`MAX_FOLDER_LENGTH` characters)
    becomes its slug plus a short hash of the whole name: workbooks are built one run at a time
    (the drop folder builds each on its own), so a ``-2`` counter could not be stable, and the
    hash keeps two names with the same slug (``-rf`` and ``rf``) apart."""
    if _safe_folder_name(stem):
        return stem
    digest = hashlib.sha256(stem.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"{slugify(stem, 'workbook')}-{digest}"


def _safe_folder_name(name: str) -> bool:
    if not name or len(name) > MAX_FOLDER_LENGTH or name != name.strip():
        return False
    # hidden (and skipped by `kpireport send`), an option to any command, or trimmed by Windows
    if name[0] in ".-" or name[-1] == ".":
        return False
    for char in name:
        if char in _NOT_IN_FOLDER_NAMES or unicodedata.category(char)[0] == "C":
            return False  # control, format (bidi overrides), surrogate, private, unassigned
        if unicodedata.category(char) in ("Zl", "Zp"):
            return False
    device = unicodedata.normalize("NFKC", name.split(".", 1)[0]).rstrip().casefold()
    return device not in _RESERVED
