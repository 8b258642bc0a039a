"""Files that are not workbooks, or are hostile, are refused cleanly.

Every case is built here in tmp_path (nothing binary is committed) and checked twice: through the
Python API (``check`` raises WorkbookError with the catalogue code) and through the CLI in a real
process (exit 1, one line naming the file with the catalogue sentence, no traceback; with
``--format json`` one issue with the code). The process runs with a timeout, so a hang fails the
test instead of stalling the suite, and the CLI runs before the in-process API call so that a
regression that inflates a bomb shows up in a child process first. The zip bombs also check the
child's peak memory. These limits are guards, not timing assertions.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import struct
import subprocess
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from kpireport.errors import WorkbookError
from kpireport.i18n import get_locale
from kpireport.issues import CATALOG
from kpireport.validate import check
from kpireport.workbook.container import open_container
from tests.conftest import valid_sheets, write_workbook
from tests.peak import run_measured

TIMEOUT = 60  # seconds for one CLI run: a hang guard
MAX_RSS_MB = 500  # peak memory of one CLI run on a bomb

XML_DECL = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
NS_MAIN = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def _billion_laughs() -> bytes:
    """The classic entity bomb: &lol9; expands to 10**9 'lol's (3 GB)."""
    entities = [b'<!ENTITY lol "lol">']
    previous = b"lol"
    for n in range(1, 10):
        name = b"lol%d" % n
        entities.append(b'<!ENTITY %s "%s">' % (name, b"&%s;" % previous * 10))
        previous = name
    return b"<!DOCTYPE lolz [" + b"".join(entities) + b"]>"


BILLION_LAUGHS = _billion_laughs()
XXE = b'<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'


def _passwd_markers() -> list[str]:
    """Text that would only be in the output if /etc/passwd leaked into it."""
    markers = ["root:"]
    try:
        first = Path("/etc/passwd").read_text().splitlines()[0]
    except (OSError, IndexError):
        return markers
    return [*markers, first]


# -- building files --------------------------------------------------------------------------------


def _good(tmp_path: Path, name: str = "good.xlsx") -> Path:
    return write_workbook(tmp_path / name, valid_sheets())


def _measurements_part(path: Path) -> str:
    return open_container(path).sheet_parts["Measurements"]


def _rewrite(
    src: Path,
    dst: Path,
    transforms: dict[str, Callable[[bytes], bytes]],
    extra: dict[str, bytes] | None = None,
) -> Path:
    """Copy the zip ``src`` to ``dst``, passing the named parts through their transforms."""
    done = set()
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename in transforms:
                new = transforms[info.filename](data)
                assert new != data, f"the transform of {info.filename} changed nothing"
                data = new
                done.add(info.filename)
            zout.writestr(info.filename, data)
        for name, data in (extra or {}).items():
            zout.writestr(name, data)
    assert done == set(transforms), f"parts not found: {set(transforms) - done}"
    return dst


def _prologue(prologue: bytes, cell_text: bytes | None = None) -> Callable[[bytes], bytes]:
    """A transform: replace the part's XML declaration with ``prologue``; optionally put
    ``cell_text`` into the first measurement's KPI cell."""

    def transform(data: bytes) -> bytes:
        body = re.sub(rb"^\s*<\?xml[^>]*\?>\s*", b"", data)
        if cell_text is not None:
            assert b"<t>SALES-01</t>" in body
            body = body.replace(b"<t>SALES-01</t>", b"<t>" + cell_text + b"</t>", 1)
        return prologue + body

    return transform


def _dtd_in(part: str, prologue: bytes, cell_text: bytes | None = None) -> Callable[[Path], Path]:
    """A builder: the valid workbook with ``prologue`` in ``part`` ("measurements" for the
    Measurements worksheet, wherever it is)."""

    def build(tmp_path: Path) -> Path:
        good = _good(tmp_path)
        name = _measurements_part(good) if part == "measurements" else part
        return _rewrite(good, tmp_path / "hostile.xlsx", {name: _prologue(prologue, cell_text)})

    return build


def _utf16_dtd_in_measurements(tmp_path: Path) -> Path:
    """The Measurements sheet re-encoded as UTF-16, with a DTD: zero bytes between the letters
    must not hide ``<!DOCTYPE`` from the prologue check."""
    good = _good(tmp_path)

    def transform(data: bytes) -> bytes:
        body = re.sub(rb"^\s*<\?xml[^>]*\?>\s*", b"", data).decode("utf-8")
        text = '<?xml version="1.0" encoding="UTF-16"?>' + BILLION_LAUGHS.decode() + body
        return text.encode("utf-16")  # with a byte-order mark, as Windows tools write it

    return _rewrite(good, tmp_path / "hostile.xlsx", {_measurements_part(good): transform})


def _with_shared_strings(sst_prologue: bytes, text: bytes) -> Callable[[Path], Path]:
    """A builder: the valid workbook plus a real shared-strings part (content type and
    relationship included) whose only string is ``text``."""

    def build(tmp_path: Path) -> Path:
        sst = (
            sst_prologue
            + b'<sst xmlns="'
            + NS_MAIN
            + b'" count="1" uniqueCount="1"><si><t>'
            + text
            + b"</t></si></sst>"
        )
        override = (
            b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
            b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
        )
        rel = (
            b'<Relationship Id="rIdSst" Type="http://schemas.openxmlformats.org/officeDocument/'
            b'2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
        )
        return _rewrite(
            _good(tmp_path),
            tmp_path / "hostile.xlsx",
            {
                "[Content_Types].xml": lambda d: d.replace(b"</Types>", override + b"</Types>"),
                "xl/_rels/workbook.xml.rels": lambda d: d.replace(
                    b"</Relationships>", rel + b"</Relationships>"
                ),
            },
            extra={"xl/sharedStrings.xml": sst},
        )

    return build


def _zeros(
    tmp_path: Path, entries: dict[str, int], force_zip64: bool = True, name: str = "bomb.xlsx"
) -> Path:
    """The valid workbook plus entries of zeros, streamed in 1 MiB chunks (little memory)."""
    path = _good(tmp_path, name)
    chunk = bytes(1 << 20)
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as zf:
        for entry, size in entries.items():
            with zf.open(entry, "w", force_zip64=force_zip64) as fh:
                for start in range(0, size, len(chunk)):
                    fh.write(chunk[: min(len(chunk), size - start)])
    return path


def _declare_size(path: Path, entry: str, size: int) -> None:
    """Make the local header and the central directory lie about ``entry``'s unpacked size."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(entry)
    assert not info.extra, "a zip64 extra field would hold the real sizes; write without it"
    local = info.header_offset
    assert data[local : local + 4] == b"PK\x03\x04"
    struct.pack_into("<I", data, local + 22, size)
    end = data.rindex(b"PK\x05\x06")
    count, _cd_size, offset = struct.unpack_from("<HII", data, end + 10)
    patched = 0
    for _ in range(count):
        assert data[offset : offset + 4] == b"PK\x01\x02"
        n_name, n_extra, n_comment = struct.unpack_from("<HHH", data, offset + 28)
        if data[offset + 46 : offset + 46 + n_name] == entry.encode():
            struct.pack_into("<I", data, offset + 24, size)
            patched += 1
        offset += 46 + n_name + n_extra + n_comment
    assert patched == 1
    path.write_bytes(bytes(data))
    with zipfile.ZipFile(path) as zf:
        assert zf.getinfo(entry).file_size == size


# -- builders, one per case ------------------------------------------------------------------------


def build_not_zip(tmp_path: Path) -> Path:
    path = tmp_path / "notes.xlsx"
    path.write_text("Q1 sales: 42\nQ2 sales: 47\n")
    return path


def build_empty(tmp_path: Path) -> Path:
    path = tmp_path / "empty.xlsx"
    path.write_bytes(b"")
    return path


def build_truncated(tmp_path: Path) -> Path:
    data = _good(tmp_path).read_bytes()
    path = tmp_path / "truncated.xlsx"
    path.write_bytes(data[: len(data) // 2])
    return path


def build_csv(tmp_path: Path) -> Path:
    path = tmp_path / "kpis.csv"
    path.write_text("kpi,date,value\nSALES-01,2026-01-01,40\n")
    return path


def build_txt(tmp_path: Path) -> Path:
    path = tmp_path / "kpis.txt"
    path.write_text("not a workbook")
    return path


def build_no_extension(tmp_path: Path) -> Path:
    path = tmp_path / "kpis"  # a real workbook's bytes: the name alone is refused
    shutil.copy(_good(tmp_path), path)
    return path


def _old_xls(name: str) -> Callable[[Path], Path]:
    def build(tmp_path: Path) -> Path:
        path = tmp_path / name
        path.write_bytes(OLE_MAGIC + bytes(504))  # an OLE2 compound-file header block
        return path

    return build


def build_missing(tmp_path: Path) -> Path:
    return tmp_path / "no-such-workbook.xlsx"


def build_encrypted(tmp_path: Path) -> Path:
    """A workbook encrypted with a password the way Excel does it (Agile encryption)."""
    from msoffcrypto.format.ooxml import OOXMLFile

    good = _good(tmp_path)
    path = tmp_path / "locked.xlsx"
    with good.open("rb") as plain, path.open("wb") as out:
        OOXMLFile(plain).encrypt("Hemmelig123", out)
    data = path.read_bytes()
    assert data.startswith(OLE_MAGIC)
    assert "EncryptedPackage".encode("utf-16-le") in data
    return path


def build_zip_not_workbook(tmp_path: Path) -> Path:
    rng = random.Random(1234)
    path = tmp_path / "archive.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("readme.txt", "holiday photos")
        zf.writestr("photos/img001.jpg", rng.randbytes(4096))
        zf.writestr("notes/todo.xml", "<todo><item>buy milk</item></todo>")
    return path


def build_bomb_600mb(tmp_path: Path) -> Path:
    path = _zeros(tmp_path, {"xl/media/image1.png": 600_000_000})
    assert path.stat().st_size < 2_000_000  # honest directory, tiny file
    return path


def build_bomb_ratio(tmp_path: Path) -> Path:
    path = _zeros(tmp_path, {"xl/media/image1.png": 50_000_000})
    assert path.stat().st_size < 200_000
    return path


def build_bomb_lying_size(tmp_path: Path) -> Path:
    """50 MB of zeros whose directory says 1,000 bytes: small enough to pass the ratio check."""
    path = _zeros(tmp_path, {"xl/media/image1.png": 50_000_000}, force_zip64=False)
    _declare_size(path, "xl/media/image1.png", 1_000)
    return path


def build_many_entries(tmp_path: Path) -> Path:
    path = _good(tmp_path, "many.xlsx")
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as zf:
        for n in range(5_000):
            zf.writestr(f"xl/media/tiny{n}.txt", b"x")
    return path


# -- running ---------------------------------------------------------------------------------------


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    peak_mb: float  # peak resident memory of the child


def run_cli(*args: str, cwd: Path) -> Run:
    """``python -m kpireport ARGS`` in a real process, with a timeout and its peak memory."""
    proc, peak = run_measured(
        [sys.executable, "-m", "kpireport", *args],
        cwd / ".peak-kb",
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        cwd=cwd,
        env={**os.environ, "NO_COLOR": "1"},
        stdin=subprocess.DEVNULL,
    )
    return Run(proc.returncode, proc.stdout, proc.stderr, peak)


def _clean(run: Run) -> None:
    for text in (run.stdout, run.stderr):
        assert "Traceback" not in text
        assert "failed unexpectedly" not in text  # the CLI's words for a bug
        for marker in _passwd_markers():
            assert marker not in text


def assert_refused(
    path: Path,
    codes: str | tuple[str, ...],
    fragment: str,
    max_rss_mb: float | None = None,
) -> WorkbookError:
    """The CLI (text and JSON) and the API refuse ``path`` with one of ``codes``; the sentence
    names the file and contains ``fragment``."""
    codes = (codes,) if isinstance(codes, str) else codes
    text = run_cli("validate", str(path), cwd=path.parent)
    _clean(text)
    assert text.returncode == 1, text.stdout + text.stderr
    lines = text.stdout.strip().splitlines()
    assert len(lines) == 1, text.stdout  # one line: the file, what is wrong, what to do
    assert lines[0].startswith(f"{path}: "), text.stdout
    assert fragment in lines[0]
    if max_rss_mb is not None:
        assert text.peak_mb < max_rss_mb, f"peak memory {text.peak_mb:.0f} MB"

    as_json = run_cli("validate", "--format", "json", str(path), cwd=path.parent)
    _clean(as_json)
    assert as_json.returncode == 1
    data = json.loads(as_json.stdout)
    assert data["valid"] is False
    assert len(data["issues"]) == 1
    issue = data["issues"][0]
    assert issue["code"] in codes
    assert issue["file"] == str(path)
    assert issue["severity"] == "error"
    assert data["files"] == [{"path": str(path), "valid": False, "errors": 1, "warnings": 0}]

    with pytest.raises(WorkbookError) as raised:
        check(path)
    exc = raised.value
    assert exc.code == issue["code"]
    message = exc.issue.message("en")
    assert message == issue["message"]
    assert fragment in message
    assert str(exc) == f"{path}: {message}"
    assert lines[0] == f"{path}: {message} {exc.issue.hint('en')}"
    for marker in _passwd_markers():
        assert marker not in exc.message()
    return exc


# -- cases -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    id: str
    build: Callable[[Path], Path]
    codes: str | tuple[str, ...]
    fragment: str
    marks: tuple[Any, ...] = ()


NOT_WORKBOOKS = [
    Case("text-renamed-xlsx", build_not_zip, "not-zip", "(it is not a zip archive)"),
    Case("empty", build_empty, "empty-file", "The file is empty (0 bytes)."),
    Case("truncated", build_truncated, "damaged", "The file is damaged or incomplete"),
    Case("csv", build_csv, "wrong-type", "not '.csv'"),
    Case("txt", build_txt, "wrong-type", "not '.txt'"),
    Case("no-extension", build_no_extension, "wrong-type", "not '(no extension)'"),
    Case("old-xls", _old_xls("legacy.xls"), "old-xls", "Excel 97-2003 file (.xls)"),
    Case("old-xls-named-xlsx", _old_xls("legacy.xlsx"), "old-xls", "Excel 97-2003 file (.xls)"),
    Case("missing", build_missing, "file-not-found", "No such file."),
    Case("password", build_encrypted, "password-protected", "is password-protected"),
    Case("zip-not-workbook", build_zip_not_workbook, "not-workbook", "a zip archive but not"),
]

ENTITY_REFUSED = "declares XML entities (a DTD)"

HOSTILE_XML = [
    Case(
        "billion-laughs-in-shared-strings",
        _with_shared_strings(XML_DECL + BILLION_LAUGHS, b"&lol9;"),
        "xml-entities",
        "xl/sharedStrings.xml " + ENTITY_REFUSED,
    ),
    Case(
        "billion-laughs-in-worksheet",
        _dtd_in("measurements", XML_DECL + BILLION_LAUGHS, b"&lol9;"),
        "xml-entities",
        ENTITY_REFUSED,
    ),
    Case(
        "xxe-in-worksheet-cell",
        _dtd_in("measurements", XML_DECL + XXE, b"&xxe;"),
        "xml-entities",
        ENTITY_REFUSED,
    ),
    Case(
        "dtd-after-comment-with-fake-tag",
        _dtd_in("measurements", XML_DECL + b"<!-- <a> -->" + BILLION_LAUGHS, b"&lol9;"),
        "xml-entities",
        ENTITY_REFUSED,
    ),
    Case(
        "dtd-in-workbook-xml",
        _dtd_in("xl/workbook.xml", XML_DECL + BILLION_LAUGHS),
        "xml-entities",
        "xl/workbook.xml " + ENTITY_REFUSED,
    ),
    Case(
        "dtd-in-content-types",
        _dtd_in("[Content_Types].xml", XML_DECL + XXE),
        "xml-entities",
        "[Content_Types].xml " + ENTITY_REFUSED,
    ),
    Case(
        "dtd-after-processing-instruction-with-fake-tag",
        _dtd_in("measurements", XML_DECL + b"<?kpi <a> ?>" + BILLION_LAUGHS),
        "xml-entities",
        ENTITY_REFUSED,
    ),
    Case(
        "dtd-in-utf16-part",
        _utf16_dtd_in_measurements,
        "xml-entities",
        ENTITY_REFUSED,
    ),
]

# Control: the same edits without the DTD read fine, so the refusals above are for the DTD.
HARMLESS_EDITS = {
    "shared-strings": _with_shared_strings(XML_DECL, b"plain text"),
    "worksheet-comment-with-fake-tag": _dtd_in("measurements", XML_DECL + b"<!-- <a> -->"),
    "worksheet-processing-instruction": _dtd_in("measurements", XML_DECL + b"<?kpi <a> ?>"),
    "workbook-xml-declaration": _dtd_in("xl/workbook.xml", XML_DECL),
    "content-types-comment": _dtd_in("[Content_Types].xml", XML_DECL + b"<!-- types -->"),
}


def _params(cases: list[Case]) -> list[Any]:
    return [pytest.param(case, id=case.id, marks=case.marks) for case in cases]


@pytest.mark.parametrize("case", _params(NOT_WORKBOOKS))
def test_not_a_workbook_is_refused_with_one_sentence(case: Case, tmp_path: Path) -> None:
    assert_refused(case.build(tmp_path), case.codes, case.fragment)


def test_folder_given_as_file_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "kpis.xlsx"
    folder.mkdir()
    for path in (folder, tmp_path):
        with pytest.raises(WorkbookError) as raised:
            check(path)
        assert raised.value.code == "is-folder"
        assert str(raised.value) == f"{path}: This is a folder, not a workbook."


@pytest.mark.parametrize("case", _params(HOSTILE_XML))
def test_xml_with_a_dtd_is_refused(case: Case, tmp_path: Path) -> None:
    assert_refused(case.build(tmp_path), case.codes, case.fragment, max_rss_mb=MAX_RSS_MB)


@pytest.mark.parametrize("build", HARMLESS_EDITS.values(), ids=HARMLESS_EDITS.keys())
def test_same_edits_without_a_dtd_read_fine(build: Callable[[Path], Path], tmp_path: Path) -> None:
    _workbook, report = check(build(tmp_path))
    assert report.valid, [i.code for i in report.issues]


def test_external_entity_never_leaks_even_past_the_prologue_check(tmp_path: Path) -> None:
    """Were a DTD ever to get past the prologue check, the external entity must still not be
    resolved into any output."""
    path = _dtd_in("measurements", XML_DECL + b"<?kpi <a> ?>" + XXE, b"&xxe;")(tmp_path)
    for args in (("validate", str(path)), ("validate", "--format", "json", str(path))):
        result = run_cli(*args, cwd=tmp_path)
        _clean(result)
        assert result.returncode == 1
        assert str(path) in result.stdout
    with pytest.raises(WorkbookError) as raised:
        check(path)
    for marker in _passwd_markers():
        assert marker not in raised.value.message()


ZIP_BOMBS = [
    Case(
        "600mb-honest",
        build_bomb_600mb,
        ("too-large", "zip-bomb"),
        "The file was refused",
        marks=(pytest.mark.slow,),
    ),
    Case("50mb-ratio", build_bomb_ratio, "zip-bomb", "image1.png unpacks 1,0"),
    Case(
        "lying-size", build_bomb_lying_size, "damaged", "(xl/media/image1.png cannot be unpacked)"
    ),
    Case("5000-entries", build_many_entries, "too-large", "it holds 5,0"),
]


@pytest.mark.parametrize("case", _params(ZIP_BOMBS))
def test_zip_bomb_is_refused_quickly_and_with_little_memory(case: Case, tmp_path: Path) -> None:
    assert_refused(case.build(tmp_path), case.codes, case.fragment, max_rss_mb=MAX_RSS_MB)


@pytest.mark.parametrize("ref", ["A1:XFD1048576", "A1:A1"])
def test_lying_dimension_is_ignored(ref: str, tmp_path: Path) -> None:
    """The <dimension> a writer records is a hint, not the truth: a sheet that claims every cell
    of the grid (or only A1) reads exactly like the same sheet with its real dimension."""
    good = _good(tmp_path)
    part = _measurements_part(good)

    def lie(data: bytes) -> bytes:
        new, n = re.subn(
            rb'<dimension ref="[^"]*"\s*/>', b'<dimension ref="%s"/>' % ref.encode(), data
        )
        assert n == 1
        return new

    patched = _rewrite(good, tmp_path / "dimension.xlsx", {part: lie})
    result = run_cli("validate", "--format", "json", str(patched), cwd=tmp_path)
    _clean(result)
    assert result.returncode == 0, result.stdout
    data = json.loads(result.stdout)
    assert data["valid"] is True and data["issues"] == []
    assert result.peak_mb < MAX_RSS_MB

    def facts(path: Path) -> tuple[list[Any], list[str]]:
        workbook, report = check(path)
        rows = [(m.kpi_id, m.date, m.value, m.note, m.row) for m in workbook.measurements]
        return rows, [i.code for i in report.issues]

    expected = facts(good)
    assert len(expected[0]) == 6
    assert facts(patched) == expected


def test_danish_message_for_a_file_that_is_not_a_zip(tmp_path: Path) -> None:
    path = build_not_zip(tmp_path)
    entry, da = CATALOG["not-zip"], get_locale("da")
    message, hint = da.gettext(str(entry.text)), da.gettext(entry.hint)
    assert message == "Dette er ikke en Excel-projektmappe (det er ikke et zip-arkiv)."
    result = run_cli("validate", "--lang", "da", str(path), cwd=tmp_path)
    _clean(result)
    assert result.returncode == 1
    assert result.stdout.strip() == f"{path}: {message} {hint}"
    assert str(entry.text) not in result.stdout
    as_json = run_cli("validate", "--lang", "da", "--format", "json", str(path), cwd=tmp_path)
    assert as_json.returncode == 1
    issue = json.loads(as_json.stdout)["issues"][0]
    assert (issue["code"], issue["message"], issue["hint"]) == ("not-zip", message, hint)


# -- sheets too large to read ----------------------------------------------------------------------

EXCEL_ROWS = 1_048_576  # the rows of an Excel sheet: a header and 1,048,575 measurements
TOO_MANY_ROWS = "kpireport reads at most 500,000 rows per sheet."


@pytest.fixture(scope="session")
def million_rows(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The valid workbook with its Measurements sheet filled to Excel's last row. The sheet's XML
    is written here row by row (openpyxl takes minutes for this): a few seconds, about 10 MB on
    disk and 150 MB unpacked. Its <dimension> still says A1:D7."""
    root = tmp_path_factory.mktemp("million-rows")
    good = _good(root)
    part = _measurements_part(good)
    path = root / "million.xlsx"
    row = (
        '<row r="{0}"><c r="A{0}" t="inlineStr"><is><t>SALES-01</t></is></c>'
        '<c r="B{0}" s="{1}" t="n"><v>{2}</v></c><c r="C{0}" t="n"><v>{3}</v></c></row>'
    )
    with (
        zipfile.ZipFile(good) as zin,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zout,
    ):
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename != part:
                zout.writestr(info.filename, data)
                continue
            head, rest = data.split(b"<sheetData>", 1)
            header = re.search(rb'<row r="1">.*?</row>', rest)
            date_style = re.search(rb'<c r="B2" s="(\d+)"', rest)
            assert header and date_style and b'<dimension ref="A1:D7"/>' in head
            style = date_style.group(1).decode()
            with zout.open(part, "w", force_zip64=True) as fh:
                fh.write(head + b"<sheetData>" + header.group(0))
                for start in range(2, EXCEL_ROWS + 1, 20_000):
                    rows = range(start, min(start + 20_000, EXCEL_ROWS + 1))
                    text = "".join(row.format(r, style, 40_000 + r % 9_000, r % 997) for r in rows)
                    fh.write(text.encode())
                fh.write(rest[rest.index(b"</sheetData>") :])
    return path


def test_a_sheet_with_a_million_rows_is_refused_with_the_limit(
    million_rows: Path, tmp_path: Path
) -> None:
    """Read and validated, a million rows take about 15 s; built, more than 2.5 GB
    (docs/performance.md). Refused instead, before calamine reads a value: in about a second,
    with the limit and what to do."""
    exc = assert_refused(
        million_rows,
        "too-many-rows",
        "The sheet 'Measurements' has values down to row 1,048,576 (cell A1048576); "
        + TOO_MANY_ROWS,
        max_rss_mb=MAX_RSS_MB,
    )
    assert exc.issue.hint("en").startswith(
        "Aggregate the measurements to weekly or monthly values, or split the workbook"
    )
    out = tmp_path / "reports"
    build = run_cli("build", str(million_rows), "-o", str(out), "-j", "1", cwd=tmp_path)
    _clean(build)
    assert build.returncode == 1
    assert build.stdout == ""
    assert f"{million_rows}: The sheet 'Measurements' has values down to row 1,048,576" in (
        build.stderr
    )
    assert not out.exists() or not any(out.rglob("*.html"))
    assert build.peak_mb < MAX_RSS_MB


def _far(cells: bytes, first: bool = False, prefix: bool = False) -> Callable[[Path], Path]:
    """A builder: the valid workbook with ``cells`` (rows) added to the end of the Measurements
    sheet's data, or to its start; ``prefix`` declares the namespace prefix ``x``."""

    def build(tmp_path: Path) -> Path:
        good = _good(tmp_path)

        def transform(data: bytes) -> bytes:
            if prefix:
                data = data.replace(b"<worksheet ", b'<worksheet xmlns:x="' + NS_MAIN + b'" ', 1)
            if first:
                return data.replace(b"<sheetData>", b"<sheetData>" + cells, 1)
            return data.replace(b"</sheetData>", cells + b"</sheetData>", 1)

        return _rewrite(good, tmp_path / "far.xlsx", {_measurements_part(good): transform})

    return build


def _rows_refused(cell: str) -> str:
    return f"The sheet 'Measurements' has values down to row 1,048,576 (cell {cell}); "


LAST = b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'

# One value far out makes calamine build the whole grid up to it: XFD1048576 is 17 billion
# cells, and calamine aborted the process (SIGABRT, a Rust backtrace) before this check.
FAR_VALUES = [
    Case("value-in-XFD1048576", _far(LAST), "too-many-rows", _rows_refused("XFD1048576")),
    Case("value-in-XFD1048576-written-first", _far(LAST, first=True), "too-many-rows",
         _rows_refused("XFD1048576")),
    Case("stray-value-in-A1048576", _far(b'<row r="1048576"><c r="A1048576" t="inlineStr">'
         b"<is><t>x</t></is></c></row>"), "too-many-rows", _rows_refused("A1048576")),
    Case("formula-without-result-in-A1048576",
         _far(b'<row r="1048576"><c r="A1048576"><f>1+1</f></c></row>'), "too-many-rows",
         _rows_refused("A1048576")),
    Case("lower-case-ref", _far(b'<row r="1048576"><c r="xfd1048576"><v>1</v></c></row>'),
         "too-many-rows", _rows_refused("XFD1048576")),
    Case("ref-with-leading-zeros",
         _far(b'<row r="1048576"><c r="XFD0001048576"><v>1</v></c></row>'), "too-many-rows",
         _rows_refused("XFD1048576")),
    Case("ref-in-single-quotes", _far(b"<row r='1048576'><c r='XFD1048576'><v>1</v></c></row>"),
         "too-many-rows", _rows_refused("XFD1048576")),
    Case("cell-without-ref", _far(b'<row r="1048576"><c><v>1</v></c></row>'), "too-many-rows",
         _rows_refused("A1048576")),
    Case("cell-below-its-row", _far(b'<row r="8"><c r="XFD1048576"><v>1</v></c></row>'),
         "too-many-rows", _rows_refused("XFD1048576")),
    Case("prefixed-cell",
         _far(b'<x:row r="1048576"><x:c r="XFD1048576"><x:v>1</x:v></x:c></x:row>', prefix=True),
         "too-many-rows", _rows_refused("XFD1048576")),
    Case("value-in-XFD2000", _far(b'<row r="2000"><c r="XFD2000"><v>1</v></c></row>'),
         "too-many-cells", "The sheet 'Measurements' has values across A1:XFD2000, 2,000 rows by "
         "16,384 columns (32,768,000 cells); kpireport reads at most 5,000,000 cells per sheet."),
]  # fmt: skip


@pytest.mark.parametrize("case", _params(FAR_VALUES))
def test_a_value_far_out_is_refused_before_the_grid_is_built(case: Case, tmp_path: Path) -> None:
    assert_refused(case.build(tmp_path), case.codes, case.fragment, max_rss_mb=MAX_RSS_MB)


# Controls: far out but no value (calamine skips such cells), or far right in a short sheet.
FAR_WITHOUT_VALUES = {
    "formatted-cell-in-XFD1048576": _far(b'<row r="1048576"><c r="XFD1048576" s="1"/></row>'),
    "formatted-row-1048576": _far(b'<row r="1048576" s="1" customFormat="1"/>'),
    "empty-value-in-XFD1048576": _far(b'<row r="1048576"><c r="XFD1048576"><v></v></c></row>'),
    "note-in-XFD8": _far(
        b'<row r="8"><c r="XFD8" t="inlineStr"><is><t>checked by Anna</t></is></c></row>'
    ),
}


@pytest.mark.parametrize("build", FAR_WITHOUT_VALUES.values(), ids=FAR_WITHOUT_VALUES.keys())
def test_far_cells_without_values_read_fine(build: Callable[[Path], Path], tmp_path: Path) -> None:
    path = build(tmp_path)
    result = run_cli("validate", "--format", "json", str(path), cwd=tmp_path)
    _clean(result)
    assert result.returncode == 0, result.stdout
    assert json.loads(result.stdout)["issues"] == []
    assert result.peak_mb < MAX_RSS_MB
    _workbook, report = check(path)
    assert report.valid and report.issues == []


def test_danish_message_for_a_sheet_over_the_row_limit(tmp_path: Path) -> None:
    path = _far(LAST)(tmp_path)
    entry = CATALOG["too-many-rows"]
    result = run_cli("validate", "--lang", "da", str(path), cwd=tmp_path)
    _clean(result)
    assert result.returncode == 1
    assert result.stdout.strip() == (
        f"{path}: Arket 'Measurements' har værdier ned til række 1.048.576 (celle XFD1048576); "
        f"kpireport læser højst 500.000 rækker pr. ark. {get_locale('da').gettext(entry.hint)}"
    )
