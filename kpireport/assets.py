"""Files a workbook names (logos): only PNG, JPEG or GIF images inside the workbook's folder.

A workbook comes from anyone, so the name in a cell is untrusted. ``check_image`` refuses
absolute paths, URLs (``file://``, ``http(s)://``, any scheme), names that lead outside the
folder (``..`` or a symlink, judged after resolving symlinks), anything that is not a regular file
(a folder, a device, a FIFO), a missing file, a file that is not an image by its content, an
image of more than 25 megapixels and one that cannot be decoded.
The validation stage reports a refusal as a ``bad-logo`` warning naming the cell; the build stage
uses the same check, so a refused file is never opened.

An accepted image is decoded once per process (kept by the SHA-256 of its bytes) and scaled down
once to what print needs, so a logo named by 300 departments costs one decode and one small copy,
and the PDF renderer never sees more pixels than a page can show.
"""

from __future__ import annotations

import base64
import contextlib
import io
import os
import re
import stat
import threading
import warnings
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from kpireport.hashing import sha256
from kpireport.issues import Issue, Text
from kpireport.model import Workbook

if TYPE_CHECKING:
    from PIL import Image

IMAGE_TYPES = {
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
    b"GIF87a": "image/gif",
    b"GIF89a": "image/gif",
}
MAX_IMAGE_BYTES = 2 * 1024 * 1024
# Decoded, 25 megapixels take 100 MB; a 20 KB PNG can declare 169 (13,000 x 13,000 pixels).
MAX_IMAGE_PIXELS = 25_000_000
# The largest box a default template prints a logo in (the board pack's cover: 200 x 60 pt), in
# pixels at 300 dpi: a larger image is scaled down to fit it, once, before any page sees it.
PRINT_DPI = 300
LOGO_BOX = (round(200 / 72 * PRINT_DPI), round(60 / 72 * PRINT_DPI))  # 833 x 250
# Room for headers and a colour profile beyond the pixels themselves: a file that needs no
# scaling is used as it is unless it is larger than its pixels uncompressed and this.
_OVERHEAD = 64 * 1024
_PILLOW_FORMATS = {"image/png": "PNG", "image/jpeg": "JPEG", "image/gif": "GIF"}
_PREPARED_KEPT = 8  # logos kept decoded and scaled, by the SHA-256 of their file

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
    "too-many-pixels": Text("the image has more than 25 megapixels (5,000 × 5,000 pixels)"),
    "damaged": Text("the image cannot be read: the file is damaged or incomplete"),
}


@dataclass(frozen=True)
class Logo:
    """An accepted logo, ready for the pages."""

    uri: str  # a data: URI of the image, scaled down to LOGO_BOX when it was larger
    sha256: str  # of the file as named: what a build key holds of it


@dataclass(frozen=True)
class Checked:
    """The outcome of checking one name: a logo, or the reason (a key of ``REASONS``)."""

    logo: Logo | None = None
    reason: str | None = None

    @property
    def uri(self) -> str | None:
        """The logo's data: URI, or None when it is refused."""
        return self.logo.uri if self.logo else None


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
            return _prepared(data, mime)
    return Checked(reason="not-an-image")


class Logos:
    """The logos of one workbook, looked up in ``folder``: each name is checked and read once,
    however many departments name it."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._checked: dict[str, Checked] = {}

    def check(self, name: str) -> Checked:
        """:func:`check_image` of ``name``, once."""
        if name not in self._checked:
            self._checked[name] = check_image(name, self.folder)
        return self._checked[name]

    def get(self, name: str | None) -> Logo | None:
        """The logo ``name``, or None when there is none or it is refused."""
        return self.check(name).logo if name else None


# -- decoding and scaling ------------------------------------------------------------------------

_PREPARED: OrderedDict[str, Checked] = OrderedDict()
_DECODING = threading.Lock()  # one decode at a time sets Pillow's process-wide flag


def _prepared(data: bytes, mime: str) -> Checked:
    """The image ``data`` (of type ``mime`` by its magic bytes) decoded and scaled, or why it
    cannot be: done once per process for the same bytes (a build checks a logo when it
    validates the workbook, again for the build key and again for the pages)."""
    digest = sha256(data)
    if digest in _PREPARED:
        _PREPARED.move_to_end(digest)
        return _PREPARED[digest]
    checked = _decode(data, mime, digest)
    _PREPARED[digest] = checked
    while len(_PREPARED) > _PREPARED_KEPT:
        _PREPARED.popitem(last=False)
    return checked


def _decode(data: bytes, mime: str, digest: str) -> Checked:
    """:func:`_prepared`'s work: decode, check the pixels, scale and encode, once."""
    from PIL import Image

    kind = _PILLOW_FORMATS[mime]
    with _strict_decoding(), warnings.catch_warnings():
        # No warning of Pillow's reaches the terminal: a bomb is one more reason to refuse.
        warnings.simplefilter("ignore")
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data), formats=[kind]) as image:
                if image.width * image.height > MAX_IMAGE_PIXELS:
                    return Checked(reason="too-many-pixels")
                scaled = _scaled(image)
                if scaled is None and len(data) <= _raw_size(image) + _OVERHEAD:
                    return Checked(Logo(_data_uri(mime, data), digest))
                scaled = scaled or _printable(image)
                mime, encoded = _encode(scaled, kind, _profile(image, scaled))
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            return Checked(reason="too-many-pixels")
        except Exception:  # Pillow's decoders raise many kinds of error on a broken file
            return Checked(reason="damaged")
    return Checked(Logo(_data_uri(mime, encoded), digest))


@contextlib.contextmanager
def _strict_decoding() -> Iterator[None]:
    """Pillow refusing a file cut short, whatever the process set before: importing WeasyPrint
    sets ``ImageFile.LOAD_TRUNCATED_IMAGES`` for the whole process, and a logo cut in half was
    then decoded with its missing half grey, or refused, by what had been imported first."""
    from PIL import ImageFile

    with _DECODING:
        before = ImageFile.LOAD_TRUNCATED_IMAGES
        ImageFile.LOAD_TRUNCATED_IMAGES = False
        try:
            yield
        finally:
            ImageFile.LOAD_TRUNCATED_IMAGES = before


def _printable(image: Image.Image) -> Image.Image:
    """``image`` decoded in a mode that scales smoothly and saves as PNG or JPEG."""
    image.load()
    if image.mode in ("RGB", "RGBA", "L", "LA"):
        return image
    if image.has_transparency_data:
        return image.convert("RGBA")
    return image.convert("L" if image.mode in ("1", "I", "I;16", "F") else "RGB")


def _scaled(image: Image.Image) -> Image.Image | None:
    """``image`` scaled down to fit LOGO_BOX, or None when it fits already."""
    from PIL import Image

    if image.width <= LOGO_BOX[0] and image.height <= LOGO_BOX[1]:
        image.load()  # decoded all the same: a file that cannot be is refused here, not later
        return None
    if image.format == "JPEG":
        image.draft(image.mode, LOGO_BOX)  # decode at 1/2, 1/4 or 1/8 of the size when it can
    smaller = _printable(image)
    smaller.thumbnail(LOGO_BOX, Image.Resampling.LANCZOS)
    return smaller


def _profile(image: Image.Image, printable: Image.Image) -> bytes | None:
    """``image``'s colour profile, when ``printable`` (made of it) has the same colours: a CMYK
    JPEG made RGB must not keep its CMYK profile, which no reader could apply to RGB pixels."""
    profile = image.info.get("icc_profile")
    bands = {"RGB": "RGB", "RGBA": "RGB", "P": "RGB", "PA": "RGB", "L": "L", "LA": "L", "1": "L"}
    return (
        profile if profile and bands.get(image.mode, image.mode) == bands[printable.mode] else None
    )


def _raw_size(image: Image.Image) -> int:
    """The bytes of ``image``'s pixels uncompressed, at four bytes a pixel at most."""
    return image.width * image.height * 4


def _encode(image: Image.Image, kind: str, icc_profile: bytes | None) -> tuple[str, bytes]:
    """(type, bytes) of ``image`` as a JPEG when it was one (a photograph stays small) and has
    no transparency, else as a PNG."""
    out = io.BytesIO()
    extra = {"icc_profile": icc_profile} if icc_profile else {}
    if kind == "JPEG" and image.mode in ("RGB", "L"):
        image.save(out, "JPEG", quality=90, **extra)
        return "image/jpeg", out.getvalue()
    image.save(out, "PNG", **extra)
    return "image/png", out.getvalue()


def _data_uri(mime: str, data: bytes) -> str:
    """``data`` of type ``mime`` as a data: URI, for a page that must stay one file."""
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def _named(workbook: Workbook) -> list[tuple[str, int, str]]:
    """Every logo the workbook names: (sheet key, row, name as written), Settings first."""
    named: list[tuple[str, int, str]] = []
    if workbook.settings.logo:
        named.append(("settings", workbook.settings.rows.get("logo", 0), workbook.settings.logo))
    named += [("departments", d.row, d.logo) for d in workbook.departments if d.logo and d.row]
    return named


def logo_files(workbook: Workbook, folder: Path) -> list[Path]:
    """The files the logos ``workbook`` names would be read from, looked up in ``folder``,
    whether they exist yet or not; a name refused for where it leads (outside ``folder``, a
    URL, an absolute path) is left out, never followed."""
    found = (_locate(name, folder)[0] for _sheet, _row, name in _named(workbook))
    return list(dict.fromkeys(path for path in found if path is not None))


def logo_issues(workbook: Workbook, folder: Path | None = None) -> Iterator[Issue]:
    """A ``bad-logo`` warning for every logo (Settings and Departments) that is refused;
    ``folder`` is where logos are looked up, by default the workbook's own folder."""
    where = Path(folder) if folder is not None else Path(workbook.path).parent
    logos = Logos(where)
    for sheet_key, row, name in _named(workbook):
        checked = logos.check(name)
        if checked.reason is None:
            continue
        column = "value" if sheet_key == "settings" else "logo"
        loc = workbook.loc(sheet_key, row, column)
        shown = name if len(name) <= 200 else name[:200] + "…"
        yield Issue(
            "bad-logo", loc.sheet, loc.cell, {"logo": shown, "reason": REASONS[checked.reason]}
        )
