"""Open a workbook file safely: file type, zip limits and XML prologues, before any parser runs.

A workbook is a zip of XML parts. Everything here looks only at the zip's directory and at the
first bytes of each XML part, so a hostile file (a zip bomb, thousands of entries, an XML entity
bomb, an external entity) is refused in milliseconds and with little memory, and the parsers that
run afterwards only ever see parts that passed these checks.
"""

from __future__ import annotations

import hashlib
import io
import posixpath
import re
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from defusedxml import ElementTree as SafeET

from kpireport.errors import UnsafeWorkbookError, WorkbookError
from kpireport.issues import Number, Text

EXTENSIONS = (".xlsx", ".xlsm")

# Limits. A 100,000-row measurement sheet unpacks to about 17 MB and a million rows to about
# 170 MB, so these leave room for real workbooks while refusing bombs long before they hurt.
MAX_FILE_BYTES = 200 * 1024 * 1024
MAX_ENTRIES = 2_000
MAX_UNPACKED_BYTES = 1024 * 1024 * 1024
MAX_PART_BYTES = 512 * 1024 * 1024
# Real XML compresses 5-30x; zip bombs compress thousands of times.
MAX_RATIO = 200
RATIO_FLOOR = 16 * 1024 * 1024  # below this size an entry may have any ratio
PROLOGUE_LIMIT = 256 * 1024  # how far into a part we look for the root element

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_ROOT_START = re.compile(rb"<(?![?!])")
# Comments and processing instructions may hold anything, including text that looks like a tag.
_COMMENT = re.compile(rb"<!--.*?(?:-->|$)|<\?.*?(?:\?>|$)", re.S)

NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_STRICT_REL = "http://purl.oclc.org/ooxml/officeDocument/relationships"


@dataclass
class Container:
    """A workbook file that passed the safety checks: its bytes, hash and parts."""

    path: Path
    data: bytes
    sha256: str
    zf: zipfile.ZipFile
    sheet_parts: dict[str, str]  # sheet name -> part path inside the zip
    full_calc_on_load: bool
    styles_part: str | None = None

    def read_part(self, name: str) -> bytes:
        """A part's bytes. Sizes were checked against the limits when the file was opened."""
        with self.zf.open(name) as fh:
            return fh.read(MAX_PART_BYTES + 1)[:MAX_PART_BYTES]


def open_container(path: Path) -> Container:
    """Check ``path`` and open it as a workbook, or raise WorkbookError with one clear sentence."""
    path = Path(path)
    if not path.exists():
        raise WorkbookError(path, "file-not-found")
    if path.is_dir():
        raise WorkbookError(path, "is-folder")
    suffix = path.suffix.lower()
    if suffix == ".xls":
        raise WorkbookError(path, "old-xls")
    if suffix not in EXTENSIONS:
        raise WorkbookError(path, "wrong-type", suffix=suffix or "(no extension)")
    try:
        size = path.stat().st_size
        limit = MAX_FILE_BYTES // 2**20
        if size > MAX_FILE_BYTES:
            raise UnsafeWorkbookError(
                path,
                "too-large",
                what=Text(
                    "it is {size} MB and the limit is {limit} MB",
                    size=Number(size / 2**20, 0),
                    limit=limit,
                ),
            )
        data = path.read_bytes()
    except PermissionError:
        raise WorkbookError(path, "unreadable", reason=Text("permission denied")) from None
    except OSError as exc:
        raise WorkbookError(path, "unreadable", reason=exc.strerror or str(exc)) from None
    return open_bytes(path, data)


def open_bytes(path: Path, data: bytes) -> Container:
    """The checks of :func:`open_container` on bytes already read (one read: no race)."""
    if not data:
        raise WorkbookError(path, "empty-file")
    if data.startswith(_OLE_MAGIC):
        if b"E\x00n\x00c\x00r\x00y\x00p\x00t\x00e\x00d\x00P\x00a\x00c\x00k\x00a\x00g\x00e" in data:
            raise WorkbookError(path, "password-protected")
        raise WorkbookError(path, "old-xls")
    if not data.startswith(_ZIP_MAGIC):
        raise WorkbookError(path, "not-zip")
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, EOFError, ValueError, OSError):
        raise WorkbookError(path, "damaged", part=Text("the zip directory")) from None
    _check_entries(path, infos)
    names = {i.filename for i in infos}
    if "xl/workbook.xml" not in names and "[Content_Types].xml" not in names:
        raise WorkbookError(path, "not-workbook")
    for info in infos:
        _verify_entry(path, zf, info)
    workbook_part = _workbook_part(path, zf, names)
    sheet_parts, full_calc, styles = _read_workbook_part(path, zf, workbook_part, names)
    return Container(
        path=path,
        data=data,
        sha256=hashlib.sha256(data).hexdigest(),
        zf=zf,
        sheet_parts=sheet_parts,
        full_calc_on_load=full_calc,
        styles_part=styles,
    )


def _check_entries(path: Path, infos: list[zipfile.ZipInfo]) -> None:
    if len(infos) > MAX_ENTRIES:
        raise UnsafeWorkbookError(
            path,
            "too-large",
            what=Text(
                "it holds {count} files and the limit is {limit}",
                count=Number(len(infos), 0),
                limit=Number(MAX_ENTRIES, 0),
            ),
        )
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise WorkbookError(path, "password-protected")
        if info.file_size > MAX_PART_BYTES:
            raise UnsafeWorkbookError(
                path,
                "too-large",
                what=Text(
                    "{part} unpacks to {size} MB and the limit is {limit} MB",
                    part=info.filename,
                    size=Number(info.file_size / 2**20, 0),
                    limit=MAX_PART_BYTES // 2**20,
                ),
            )
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > RATIO_FLOOR and ratio > MAX_RATIO:
            raise UnsafeWorkbookError(path, "zip-bomb", part=info.filename, ratio=Number(ratio, 0))
        total += info.file_size
        if total > MAX_UNPACKED_BYTES:
            raise UnsafeWorkbookError(
                path,
                "too-large",
                what=Text("it unpacks to more than {limit} MB", limit=MAX_UNPACKED_BYTES // 2**20),
            )


def _verify_entry(path: Path, zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """Unpack one entry in chunks, checking its size and CRC, and its XML prologue.

    The zip directory can lie about sizes; zipfile stops at the declared size and checks the CRC,
    so an entry that inflates beyond what it declares fails here, before any parser sees it.
    """
    head = b""
    try:
        with zf.open(info) as fh:
            head = fh.read(PROLOGUE_LIMIT)
            while fh.read(1 << 20):
                pass
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError):
        raise WorkbookError(path, "damaged", part=info.filename) from None
    except RuntimeError:  # zipfile's word for an encrypted entry
        raise WorkbookError(path, "password-protected") from None
    if info.filename.endswith((".xml", ".rels", ".vml")):
        _check_prologue(path, info, head)


def _check_prologue(path: Path, info: zipfile.ZipInfo, head: bytes) -> None:
    """Refuse a part that declares a DTD: workbooks never need one, entity attacks always do."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or head[:2] in (b"<\x00", b"\x00<"):
        # UTF-16: look at the text, not at bytes where every other one is a zero.
        head = head.decode("utf-16", errors="replace").encode("utf-8")
    uncommented = _COMMENT.sub(b"", head)
    root = _ROOT_START.search(uncommented)
    prologue = uncommented if root is None else uncommented[: root.start()]
    if b"<!DOCTYPE" in prologue.upper() or b"<!ENTITY" in prologue.upper():
        raise UnsafeWorkbookError(path, "xml-entities", part=info.filename)
    if root is None and len(head) >= PROLOGUE_LIMIT:
        raise UnsafeWorkbookError(path, "bad-xml", part=info.filename)


def _parse_xml(path: Path, zf: zipfile.ZipFile, name: str):  # type: ignore[no-untyped-def]
    try:
        return SafeET.fromstring(zf.read(name), forbid_dtd=True)
    except MemoryError:
        raise  # no fault of the file: a build's memory limit (kpireport/limits.py)
    except Exception as exc:  # defusedxml raises several types; all mean the same to the user
        if type(exc).__name__ in (
            "DTDForbidden",
            "EntitiesForbidden",
            "ExternalReferenceForbidden",
        ):
            raise UnsafeWorkbookError(path, "xml-entities", part=name) from None
        raise WorkbookError(path, "bad-xml", part=name) from None


def _workbook_part(path: Path, zf: zipfile.ZipFile, names: set[str]) -> str:
    """The workbook part, found through the package relationships as the standard says."""
    if "_rels/.rels" in names:
        root = _parse_xml(path, zf, "_rels/.rels")
        for rel in root:
            if rel.get("Type", "").endswith("/officeDocument"):
                target = rel.get("Target", "").lstrip("/")
                if target in names:
                    return target
    if "xl/workbook.xml" in names:
        return "xl/workbook.xml"
    raise WorkbookError(path, "not-workbook")


def _read_workbook_part(
    path: Path, zf: zipfile.ZipFile, part: str, names: set[str]
) -> tuple[dict[str, str], bool, str | None]:
    """Sheet name -> worksheet part; whether the writer asked for recalculation; the styles part."""
    root = _parse_xml(path, zf, part)
    base = posixpath.dirname(part)
    rels_name = posixpath.join(base, "_rels", posixpath.basename(part) + ".rels")
    targets: dict[str, str] = {}
    styles: str | None = None
    if rels_name in names:
        for rel in _parse_xml(path, zf, rels_name):
            target = rel.get("Target", "")
            resolved = (
                target.lstrip("/")
                if target.startswith("/")
                else posixpath.normpath(posixpath.join(base, target))
            )
            targets[rel.get("Id", "")] = resolved
            if rel.get("Type", "").endswith("/styles") and resolved in names:
                styles = resolved
    sheets: dict[str, str] = {}
    full_calc = False
    for elem in root.iter():
        tag = elem.tag.rsplit("}", 1)[-1]
        if tag == "sheet":
            rid = elem.get(f"{{{NS_REL}}}id") or elem.get(f"{{{NS_STRICT_REL}}}id") or ""
            name = elem.get("name", "")
            if rid in targets and targets[rid] in names:
                sheets[name] = targets[rid]
        elif tag == "calcPr":
            full_calc = elem.get("fullCalcOnLoad") in ("1", "true")
    return sheets, full_calc, styles
