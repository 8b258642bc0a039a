"""Safe, stable, unique file-name slugs for departments and other names from a workbook."""

from __future__ import annotations

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


def slugify(name: str, fallback: str = "department") -> str:
    """``Kundeservice & Support`` -> ``kundeservice-support``: lower-case ASCII letters, digits and
    hyphens only, so it is safe in a file name on any system and in a URL."""
    text = unicodedata.normalize("NFKD", name.translate(_FOLD))
    text = text.encode("ascii", "ignore").decode("ascii").lower()
    slug = _UNSAFE.sub("-", text).strip("-")[:MAX_LENGTH].strip("-")
    if not slug or slug in _RESERVED:
        slug = f"{fallback}-{slug}" if slug else fallback
    return slug


def unique_slugs(names: Iterable[str], fallback: str = "department") -> dict[str, str]:
    """A slug for each name, made unique in order of appearance (``sales``, ``sales-2``)."""
    out: dict[str, str] = {}
    used: set[str] = set()
    for name in names:
        if name in out:
            continue
        base = slugify(name, fallback)
        slug, n = base, 2
        while slug in used:
            slug = f"{base}-{n}"
            n += 1
        used.add(slug)
        out[name] = slug
    return out
