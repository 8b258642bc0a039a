"""open_container and open_bytes on real files: what opens, and every refusal with its code and
message arguments (the arguments are what the reader sees, in their language).

The hostile files of tests/hardening go through the CLI in a child process; here each check of
the container is pinned down directly and at its boundary, fast. Files whose zip directory
must lie (sizes, flags) are real zips written by zipfile and patched in their directory.
"""

from __future__ import annotations

import errno
import hashlib
import os
import socket
import struct
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from kpireport.errors import UnsafeWorkbookError, WorkbookError
from kpireport.issues import Number, Text
from kpireport.workbook.container import (
    MAX_ENTRIES,
    MAX_FILE_BYTES,
    MAX_PART_BYTES,
    MAX_RATIO,
    MAX_UNPACKED_BYTES,
    PROLOGUE_LIMIT,
    RATIO_FLOOR,
    Container,
    open_bytes,
    open_container,
)
from tests.conftest import FIXTURES, valid_sheets, write_workbook

MiB = 2**20
SAVED = FIXTURES / "libreoffice-saved.xlsx"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


# -- building files ------------------------------------------------------------------------------


def _good(folder: Path, name: str = "good.xlsx") -> Path:
    return write_workbook(folder / name, valid_sheets())


def _copy_zip(
    src: Path,
    dst: Path,
    change: Callable[[str, bytes], tuple[str, bytes] | None] = lambda n, d: (n, d),
    extra: dict[str, bytes] | None = None,
    compression: int = zipfile.ZIP_DEFLATED,
) -> Path:
    """Copy the zip ``src`` to ``dst``; ``change(name, data)`` renames or rewrites each entry
    (None drops it), ``extra`` adds entries."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", compression) as zout:
        for info in zin.infolist():
            changed = change(info.filename, zin.read(info))
            if changed is not None:
                zout.writestr(changed[0], changed[1])
        for name, data in (extra or {}).items():
            zout.writestr(name, data)
    return dst


def _replace(part: str, old: bytes, new: bytes) -> Callable[[str, bytes], tuple[str, bytes]]:
    def change(name: str, data: bytes) -> tuple[str, bytes]:
        if name == part:
            assert old in data, (part, old)
            data = data.replace(old, new)
        return name, data

    return change


def _patch_directory(path: Path, entry: str, **fields: int) -> None:
    """Rewrite ``entry``'s record in the central directory (the sizes and flags zipfile's
    infolist reports): ``flag_bits``, ``compress_size``, ``file_size``."""
    offsets = {"flag_bits": (8, "<H"), "compress_size": (20, "<I"), "file_size": (24, "<I")}
    data = bytearray(path.read_bytes())
    end = data.rindex(b"PK\x05\x06")
    count, _size, offset = struct.unpack_from("<HII", data, end + 10)
    patched = 0
    for _ in range(count):
        assert data[offset : offset + 4] == b"PK\x01\x02"
        n_name, n_extra, n_comment = struct.unpack_from("<HHH", data, offset + 28)
        if data[offset + 46 : offset + 46 + n_name] == entry.encode():
            for field, value in fields.items():
                at, form = offsets[field]
                struct.pack_into(form, data, offset + at, value)
            patched += 1
        offset += 46 + n_name + n_extra + n_comment
    assert patched == 1
    path.write_bytes(bytes(data))
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(entry)
        assert all(getattr(info, field) == value for field, value in fields.items())


def _zeros(path: Path, entry: str, size: int) -> Path:
    """Add an entry of ``size`` zero bytes to the zip ``path``, deflated (a ratio near 1000)."""
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(entry, bytes(size))
    return path


def refused(path: Path, data: bytes | None = None) -> WorkbookError:
    """The error open_container (or open_bytes, given ``data``) raises on ``path``."""
    with pytest.raises(WorkbookError) as caught:
        if data is None:
            open_container(path)
        else:
            open_bytes(path, data)
    return caught.value


def assert_refusal(
    error: WorkbookError,
    code: str,
    args: dict[str, Any],
    english: str,
    danish: str | None = None,
    unsafe: bool = False,
) -> None:
    """``error`` has ``code`` and ``args``, the class (unsafe or not) and sentences that name
    the file and show ``english`` / ``danish``."""
    assert error.code == code
    assert error.issue.args == args
    assert isinstance(error, UnsafeWorkbookError) is unsafe
    assert error.message().startswith(f"{error.path}: ")
    assert english in error.message(), error.message()
    assert str(error) == f"{error.path}: {error.issue.message()}"
    if danish is not None:
        assert danish in error.message("da"), error.message("da")


# -- what opens ----------------------------------------------------------------------------------


def test_the_libreoffice_saved_fixture_opens() -> None:
    container = open_container(SAVED)
    data = SAVED.read_bytes()
    assert container.path == SAVED
    assert container.data == data
    assert container.sha256 == hashlib.sha256(data).hexdigest()
    assert container.full_calc_on_load is False
    assert container.styles_part == "xl/styles.xml"
    # every sheet, in the workbook's order, each pointing at a worksheet part
    assert list(container.sheet_parts) == openpyxl.load_workbook(SAVED).sheetnames
    assert list(container.sheet_parts) == [
        "Indstillinger",
        "Afdelinger",
        "KPIs",
        "Målinger",
        "Benchmarks",
    ]
    for part in container.sheet_parts.values():
        assert b"<worksheet" in container.read_part(part)[:1000]


def test_an_openpyxl_workbook_opens_and_open_bytes_agrees(tmp_path: Path) -> None:
    path = _good(tmp_path)
    container = open_container(path)
    assert container.full_calc_on_load is True  # openpyxl asks for recalculation
    assert set(container.sheet_parts) == set(valid_sheets())
    again = open_bytes(path, path.read_bytes())
    assert (again.sheet_parts, again.sha256, again.styles_part, again.full_calc_on_load) == (
        container.sheet_parts,
        container.sha256,
        container.styles_part,
        container.full_calc_on_load,
    )
    with zipfile.ZipFile(path) as zf:
        for part in container.sheet_parts.values():
            assert container.read_part(part) == zf.read(part)


@pytest.mark.parametrize("name", ["BOOK.XLSX", "macros.xlsm", "Book.Xlsm"])
def test_extensions_are_matched_in_any_case(tmp_path: Path, name: str) -> None:
    assert "KPIs" in open_container(_good(tmp_path, name)).sheet_parts


def test_the_workbook_part_is_found_through_the_package_relationships(tmp_path: Path) -> None:
    """A writer may put the workbook part anywhere; _rels/.rels says where, and the sheets'
    relationships are resolved relative to it (or from the root when absolute)."""
    good = _good(tmp_path)

    def move(name: str, data: bytes) -> tuple[str, bytes]:
        if name == "xl/workbook.xml":
            return "book/main.xml", data
        if name == "xl/_rels/workbook.xml.rels":
            # relative targets now start from book/; the other sheets' stay absolute
            for old, new in [
                (b'"/xl/worksheets/sheet1.xml"', b'"../xl/worksheets/sheet1.xml"'),
                (b'"styles.xml"', b'"../xl/styles.xml"'),
                (b'"theme/', b'"../xl/theme/'),
            ]:
                assert old in data, old
                data = data.replace(old, new)
            return "book/_rels/main.xml.rels", data
        if name == "_rels/.rels":
            return name, data.replace(b"xl/workbook.xml", b"/book/main.xml")
        return name, data

    moved = _copy_zip(good, tmp_path / "moved.xlsx", move)
    with zipfile.ZipFile(moved) as zf:
        assert "xl/workbook.xml" not in zf.namelist()
        rels = zf.read("book/_rels/main.xml.rels")
    assert b"../xl/worksheets/sheet1.xml" in rels
    container = open_container(moved)
    assert container.sheet_parts == open_container(good).sheet_parts
    assert container.full_calc_on_load is True
    assert container.styles_part == "xl/styles.xml"


def test_strict_ooxml_relationship_ids_are_read(tmp_path: Path) -> None:
    strict = b"http://purl.oclc.org/ooxml/officeDocument/relationships"
    transitional = b"http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    path = _copy_zip(
        _good(tmp_path), tmp_path / "strict.xlsx", _replace("xl/workbook.xml", transitional, strict)
    )
    assert set(open_container(path).sheet_parts) == set(valid_sheets())


def test_a_sheet_whose_part_is_missing_is_left_out(tmp_path: Path) -> None:
    good = _good(tmp_path)
    gone = open_container(good).sheet_parts["Benchmarks"]
    path = _copy_zip(good, tmp_path / "partial.xlsx", lambda n, d: None if n == gone else (n, d))
    parts = open_container(path).sheet_parts
    assert "Benchmarks" not in parts
    assert set(parts) == set(valid_sheets()) - {"Benchmarks"}


def test_no_styles_part_means_none(tmp_path: Path) -> None:
    good = _good(tmp_path)
    path = _copy_zip(
        good, tmp_path / "plain.xlsx", lambda n, d: None if n == "xl/styles.xml" else (n, d)
    )
    assert open_container(path).styles_part is None


def test_a_dtd_mentioned_in_a_comment_is_no_dtd(tmp_path: Path) -> None:
    path = _copy_zip(
        _good(tmp_path),
        tmp_path / "comment.xlsx",
        _replace("xl/workbook.xml", b"<workbook", b"<!-- no <!DOCTYPE here --><workbook"),
    )
    assert set(open_container(path).sheet_parts) == set(valid_sheets())


# -- refusals before the bytes are read --------------------------------------------------------


def test_file_not_found(tmp_path: Path) -> None:
    error = refused(tmp_path / "gone.xlsx")
    assert_refusal(error, "file-not-found", {}, "No such file.")
    assert error.path == tmp_path / "gone.xlsx"


def test_a_folder(tmp_path: Path) -> None:
    folder = tmp_path / "book.xlsx"
    folder.mkdir()
    assert_refusal(refused(folder), "is-folder", {}, "This is a folder")


@pytest.mark.parametrize("name", ["book.xls", "BOOK.XLS"])
def test_old_xls_by_its_name_even_with_xlsx_bytes(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(_good(tmp_path).read_bytes())
    assert_refusal(refused(path), "old-xls", {}, "Excel 97-2003", "Excel 97-2003")


@pytest.mark.parametrize(
    ("name", "suffix"),
    [
        ("kpis.csv", ".csv"),
        ("kpis.ods", ".ods"),
        ("kpis.XLSB", ".xlsb"),
        ("kpis", "(no extension)"),
    ],
)
def test_wrong_type_names_the_suffix(tmp_path: Path, name: str, suffix: str) -> None:
    path = tmp_path / name
    path.write_bytes(_good(tmp_path).read_bytes())  # the name alone decides
    assert_refusal(refused(path), "wrong-type", {"suffix": suffix}, f"not '{suffix}'")


def test_unreadable_gives_the_system_reason(tmp_path: Path) -> None:
    """A Unix socket exists and has a size, but cannot be opened for reading."""
    path = tmp_path / "sock.xlsx"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        server.bind(str(path))
        error = refused(path)
    finally:
        server.close()
    reason = os.strerror(errno.ENXIO)  # "No such device or address"
    assert_refusal(error, "unreadable", {"reason": reason}, f"cannot be read: {reason}.")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file")
def test_unreadable_without_permission(tmp_path: Path) -> None:
    path = _good(tmp_path)
    path.chmod(0)
    try:
        error = refused(path)
    finally:
        path.chmod(0o600)
    assert_refusal(
        error,
        "unreadable",
        {"reason": Text("permission denied")},
        "cannot be read: permission denied.",
        "adgang nægtet",
    )


def _sparse(path: Path, size: int) -> Path:
    with path.open("wb") as fh:
        fh.truncate(size)
    return path


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = _sparse(tmp_path / "huge.xlsx", 201 * MiB)
    assert_refusal(
        refused(path),
        "too-large",
        {
            "what": Text(
                "it is {size} MB and the limit is {limit} MB",
                size=Number(201.0, 0),
                limit=MAX_FILE_BYTES // MiB,
            )
        },
        "refused: it is 201 MB and the limit is 200 MB.",
        "den fylder 201 MB; grænsen er 200 MB",
        unsafe=True,
    )


def test_a_file_at_the_size_limit_is_read(tmp_path: Path) -> None:
    """Exactly the limit is allowed: the file is read (and, being zeros, is not a zip)."""
    path = _sparse(tmp_path / "limit.xlsx", MAX_FILE_BYTES)
    assert refused(path).code == "not-zip"


# -- refusals of the bytes -----------------------------------------------------------------------


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.xlsx"
    path.write_bytes(b"")
    assert_refusal(refused(path), "empty-file", {}, "(0 bytes)")
    assert refused(tmp_path / "other.xlsx", b"").code == "empty-file"  # open_bytes too


def test_old_xls_by_its_bytes(tmp_path: Path) -> None:
    path = tmp_path / "renamed.xlsx"
    path.write_bytes(OLE_MAGIC + bytes(504))  # an OLE2 compound-file header block
    assert_refusal(refused(path), "old-xls", {}, ".xls")


def test_a_workbook_encrypted_by_excel(tmp_path: Path) -> None:
    """Excel's password protection: an OLE file holding the encrypted package."""
    from msoffcrypto.format.ooxml import OOXMLFile

    path = tmp_path / "locked.xlsx"
    with _good(tmp_path).open("rb") as plain, path.open("wb") as out:
        OOXMLFile(plain).encrypt("Hemmelig123", out)
    assert path.read_bytes().startswith(OLE_MAGIC)
    assert_refusal(refused(path), "password-protected", {}, "password-protected", "adgangskode")


def test_a_zip_entry_with_the_encryption_flag(tmp_path: Path) -> None:
    path = _good(tmp_path)
    _patch_directory(path, "xl/workbook.xml", flag_bits=0x1)
    assert_refusal(refused(path), "password-protected", {}, "password-protected")


@pytest.mark.parametrize(
    "data",
    [b"Q1 sales: 42\n", b"%PDF-1.7\n", b"PK\x07\x08spanned", b"\xef\xbb\xbfid;name\n"],
    ids=["text", "pdf", "spanned-zip", "csv-with-bom"],
)
def test_not_a_zip(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "notes.xlsx"
    path.write_bytes(data)
    assert_refusal(refused(path), "not-zip", {}, "not a zip archive")


def test_a_truncated_file_is_damaged_in_its_directory(tmp_path: Path) -> None:
    data = _good(tmp_path).read_bytes()
    path = tmp_path / "half.xlsx"
    path.write_bytes(data[: len(data) // 2])
    assert_refusal(
        refused(path),
        "damaged",
        {"part": Text("the zip directory")},
        "(the zip directory cannot be unpacked)",
        "zip-indholdsfortegnelsen",
    )


def test_a_corrupted_entry_is_damaged_and_named(tmp_path: Path) -> None:
    """A flipped byte in a stored entry: its CRC no longer matches."""
    path = _copy_zip(_good(tmp_path), tmp_path / "stored.xlsx", compression=zipfile.ZIP_STORED)
    data = bytearray(path.read_bytes())
    at = data.index(b"<sheetData>", data.index(b"xl/worksheets/sheet1.xml"))
    data[at + 1] ^= 0x20  # <SheetData>
    path.write_bytes(bytes(data))
    assert_refusal(
        refused(path),
        "damaged",
        {"part": "xl/worksheets/sheet1.xml"},
        "(xl/worksheets/sheet1.xml cannot be unpacked)",
    )


def test_a_zip_that_is_not_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "photos.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("readme.txt", "holiday photos")
        zf.writestr("xl/notes.xml", "<notes/>")
    assert_refusal(refused(path), "not-workbook", {}, "zip archive but not an Excel workbook")


def test_a_package_without_a_workbook_part(tmp_path: Path) -> None:
    """[Content_Types].xml (a Word document, say) but no workbook to be found."""
    path = _copy_zip(
        _good(tmp_path),
        tmp_path / "document.xlsx",
        lambda n, d: None if n == "xl/workbook.xml" else (n, d),
    )
    assert refused(path).code == "not-workbook"


def test_a_workbook_part_that_is_not_xml(tmp_path: Path) -> None:
    path = _copy_zip(
        _good(tmp_path), tmp_path / "bad.xlsx", _replace("xl/workbook.xml", b"</workbook>", b"")
    )
    assert_refusal(
        refused(path), "bad-xml", {"part": "xl/workbook.xml"}, "xl/workbook.xml is not valid XML"
    )


def test_a_part_whose_root_is_not_within_the_prologue_limit(tmp_path: Path) -> None:
    """A part that starts with more than PROLOGUE_LIMIT bytes of comment hides what follows."""
    padding = b"<!--" + b"x" * PROLOGUE_LIMIT + b"-->"
    path = _copy_zip(
        _good(tmp_path),
        tmp_path / "padded.xlsx",
        _replace("xl/styles.xml", b"<styleSheet", padding + b"<styleSheet"),
    )
    assert_refusal(
        refused(path), "bad-xml", {"part": "xl/styles.xml"}, "xl/styles.xml", unsafe=True
    )


@pytest.mark.parametrize(
    "prologue",
    [b'<!DOCTYPE x [<!ENTITY a "b">]>', b"<!doctype x>", b'<!ENTITY a "b">'],
    ids=["dtd", "lower-case", "bare-entity"],
)
def test_a_part_declaring_entities(tmp_path: Path, prologue: bytes) -> None:
    path = _copy_zip(
        _good(tmp_path),
        tmp_path / "dtd.xlsx",
        _replace("xl/styles.xml", b"<styleSheet", prologue + b"<styleSheet"),
    )
    assert_refusal(
        refused(path),
        "xml-entities",
        {"part": "xl/styles.xml"},
        "xl/styles.xml declares XML entities",
        unsafe=True,
    )


# -- the zip limits ------------------------------------------------------------------------------


def _padded(tmp_path: Path, entries: int) -> Path:
    """The valid workbook padded with tiny entries up to ``entries`` in all."""
    path = _good(tmp_path)
    with zipfile.ZipFile(path, "a") as zf:
        for n in range(entries - len(zf.infolist())):
            zf.writestr(f"xl/media/pad{n}.bin", b"x")
    with zipfile.ZipFile(path) as zf:
        assert len(zf.infolist()) == entries
    return path


def test_too_many_entries(tmp_path: Path) -> None:
    assert_refusal(
        refused(_padded(tmp_path, MAX_ENTRIES + 1)),
        "too-large",
        {
            "what": Text(
                "it holds {count} files and the limit is {limit}",
                count=Number(MAX_ENTRIES + 1, 0),
                limit=Number(MAX_ENTRIES, 0),
            )
        },
        "it holds 2,001 files and the limit is 2,000",
        "den indeholder 2.001 filer, og grænsen er 2.000",
        unsafe=True,
    )


def test_as_many_entries_as_the_limit(tmp_path: Path) -> None:
    assert "KPIs" in open_container(_padded(tmp_path, MAX_ENTRIES)).sheet_parts


def test_a_part_over_the_part_limit(tmp_path: Path) -> None:
    """The directory's word is taken: a part declaring more than the limit is refused unread."""
    path = _zeros(_good(tmp_path), "xl/media/image1.png", 1000)
    size = MAX_PART_BYTES + MiB
    _patch_directory(path, "xl/media/image1.png", file_size=size, compress_size=size)
    assert_refusal(
        refused(path),
        "too-large",
        {
            "what": Text(
                "{part} unpacks to {size} MB and the limit is {limit} MB",
                part="xl/media/image1.png",
                size=Number(size / MiB, 0),
                limit=MAX_PART_BYTES // MiB,
            )
        },
        "xl/media/image1.png unpacks to 513 MB and the limit is 512 MB",
        unsafe=True,
    )


def test_parts_over_the_total_limit(tmp_path: Path) -> None:
    """Three parts each under the part limit, together over the unpacked limit."""
    path = _good(tmp_path)
    names = [f"xl/media/image{n}.png" for n in range(3)]
    for name in names:
        _zeros(path, name, 10)
    size = MAX_UNPACKED_BYTES // 3 + MiB
    assert size <= MAX_PART_BYTES
    for name in names:
        _patch_directory(path, name, file_size=size, compress_size=size)  # ratio 1: no bomb
    assert_refusal(
        refused(path),
        "too-large",
        {"what": Text("it unpacks to more than {limit} MB", limit=MAX_UNPACKED_BYTES // MiB)},
        "it unpacks to more than 1024 MB",
        unsafe=True,
    )


def test_a_zip_bomb_by_its_ratio(tmp_path: Path) -> None:
    size = RATIO_FLOOR + MiB
    path = _zeros(_good(tmp_path), "xl/media/image1.png", size)
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("xl/media/image1.png")
    ratio = info.file_size / info.compress_size
    assert ratio > MAX_RATIO
    error = refused(path)
    assert_refusal(
        error,
        "zip-bomb",
        {"part": "xl/media/image1.png", "ratio": Number(ratio, 0)},
        f"xl/media/image1.png unpacks {round(ratio):,} times its packed size",
        "som en zip-bombe",
        unsafe=True,
    )


def test_a_small_part_may_have_any_ratio(tmp_path: Path) -> None:
    """Below RATIO_FLOOR a high ratio is allowed: a sheet of empty styled cells compresses well."""
    path = _zeros(_good(tmp_path), "xl/media/image1.png", RATIO_FLOOR)
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("xl/media/image1.png")
    assert info.file_size / info.compress_size > MAX_RATIO
    assert "KPIs" in open_container(path).sheet_parts


def test_a_part_that_unpacks_beyond_its_declared_size_is_damaged(tmp_path: Path) -> None:
    """The directory may lie small: unpacking stops at the declared size and the CRC fails."""
    path = _zeros(_good(tmp_path), "xl/media/image1.png", 4 * MiB)
    _patch_directory(path, "xl/media/image1.png", file_size=1000)
    assert_refusal(refused(path), "damaged", {"part": "xl/media/image1.png"}, "image1.png")


@pytest.fixture
def opened(tmp_path: Path) -> Iterator[Container]:
    container = open_container(_good(tmp_path))
    yield container
    container.zf.close()


def test_read_part_reads_a_part_whole(opened: Container) -> None:
    part = opened.sheet_parts["Measurements"]
    xml = opened.read_part(part)
    assert xml.startswith(b"<") and xml.rstrip().endswith(b"</worksheet>")
    assert xml.count(b"<row ") == len(valid_sheets()["Measurements"])
