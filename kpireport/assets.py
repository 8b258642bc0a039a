"""Files a workbook names (logos): only PNG, JPEG or GIF images inside the workbook's folder.

A workbook comes from anyone, so the name in a cell is untrusted. ``check_image`` refuses
absolute paths, URLs (``file://``, ``http(s)://``, any scheme), names that lead outside the
folder (``..`` or a symlink, judged after resolving symlinks), anything that is not a regular file
(a folder, a device, a FIFO), a missing file, and a file that is not an image by its content.
The validation stage reports a refusal as a ``bad-logo`` warning naming the cell; the build stage
uses the same check, so a refused file is never opened.
"""

from __future__ import annotations

import base64
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from kpireport.issues import Issue, Text
from kpireport.model import Workbook

IMAGE_TYPES = {
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
    b"GIF87a": "image/gif",
    b"GIF89a": "image/gif",
}
MAX_IMAGE_BYTES = 2 * 1024 * 1024

# ``http:``, ``file:``, ``data:``...: two letters or more, so that ``C:`` is a drive, not a scheme
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]+:")
_DRIVE = re.compile(r"^[A-Za-z]:")

REASONS = {
    "url": Text("it is a web address or URL; only files in the workbook's folder are used"),
    "absolute": Text("it is an absolute path; only files in the workbook's folder are used"),
    "outside": Text("it leads outside the workbook's folder"),
    "missing": Text("there is no such file in the workbook's folder"),
    "not-a-file": Text("it is not an ordinary file"),
    "too-large": Text("the file is larger than 2 MB"),
    "not-an-image": Text("the file is not a PNG, JPEG or GIF image"),
}


@dataclass(frozen=True)
class Checked:
    """The outcome of checking one name: a data: URI, or the reason (a key of ``REASONS``)."""

    uri: str | None = None
    reason: str | None = None


def _locate(name: str, folder: Path) -> tuple[Path | None, str | None]:
    """The resolved file ``name`` stands for inside ``folder``, or why it is refused."""
    text = name.strip()
    if not text or "\x00" in text:
        return None, "not-a-file"
    if _SCHEME.match(text):
        return None, "url"
    relative = text.replace("\\", "/")  # written on Windows: images\logo.png
    if _DRIVE.match(relative) or relative.startswith("/"):
        return None, "absolute"
    if PurePosixPath(relative).is_absolute():
        return None, "absolute"
    try:
        root = Path(folder).resolve()
        target = (root / relative).resolve()
    except (OSError, RuntimeError, ValueError):  # a symlink loop, an impossible name
        return None, "not-a-file"
    if target == root or not target.is_relative_to(root):
        return None, "outside"
    return target, None


def check_image(name: str, folder: Path) -> Checked:
    """Check the file ``name`` (as written in a cell) against ``folder`` and read it when it is
    an acceptable image: never opens anything outside the folder, nor a device, FIFO or folder."""
    target, reason = _locate(name, folder)
    if target is None:
        return Checked(reason=reason)
    try:
        info = os.stat(target, follow_symlinks=False)  # resolved: no symlink left
    except FileNotFoundError:
        return Checked(reason="missing")
    except OSError:
        return Checked(reason="not-a-file")
    if not stat.S_ISREG(info.st_mode):
        return Checked(reason="not-a-file")
    if info.st_size > MAX_IMAGE_BYTES:
        return Checked(reason="too-large")
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(target, flags | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return Checked(reason="not-a-file")
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):  # replaced since the check
            return Checked(reason="not-a-file")
        with os.fdopen(fd, "rb", closefd=False) as file:
            data = file.read(MAX_IMAGE_BYTES + 1)
    except OSError:
        return Checked(reason="not-a-file")
    finally:
        os.close(fd)
    if len(data) > MAX_IMAGE_BYTES:
        return Checked(reason="too-large")
    for magic, mime in IMAGE_TYPES.items():
        if data.startswith(magic):
            return Checked(uri=f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}")
    return Checked(reason="not-an-image")


def image_data_uri(name: str | None, folder: Path) -> str | None:
    """The image ``name`` as a data: URI, or None when there is none or it is refused."""
    return check_image(name, folder).uri if name else None


def logo_issues(workbook: Workbook, folder: Path | None = None) -> Iterator[Issue]:
    """A ``bad-logo`` warning for every logo (Settings and Departments) that is refused;
    ``folder`` is where logos are looked up, by default the workbook's own folder."""
    where = Path(folder) if folder is not None else Path(workbook.path).parent
    named: list[tuple[str, int, str]] = []
    if workbook.settings.logo:
        named.append(("settings", workbook.settings.rows.get("logo", 0), workbook.settings.logo))
    named += [("departments", d.row, d.logo) for d in workbook.departments if d.logo and d.row]
    for sheet_key, row, name in named:
        checked = check_image(name, where)
        if checked.reason is None:
            continue
        column = "value" if sheet_key == "settings" else "logo"
        loc = workbook.loc(sheet_key, row, column)
        shown = name if len(name) <= 200 else name[:200] + "…"
        yield Issue(
            "bad-logo", loc.sheet, loc.cell, {"logo": shown, "reason": REASONS[checked.reason]}
        )
