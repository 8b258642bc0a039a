"""Logos named in a workbook (issue 7, item 4): only PNG, JPEG or GIF files (by content) inside
the workbook's folder. Anything else is refused with a ``bad-logo`` warning naming the cell, the
report is built without the logo, and not one byte of the refused file reaches any output."""

from __future__ import annotations

import base64
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from kpireport.build import BuildOptions, build
from kpireport.cli import main
from kpireport.validate import check
from tests.conftest import SAMPLES, codes, valid_sheets, write_workbook

MARKER = b"SECRET-MARKER"
PNG = b"\x89PNG\r\n\x1a\n"
GOOD_LOGO = SAMPLES / "acme-logo.png"


@pytest.fixture
def place(tmp_path: Path) -> dict[str, Path]:
    """A workbook folder, and beside it a folder with a "secret" that looks like a PNG."""
    folder = tmp_path / "inbox"
    outside = tmp_path / "private"
    folder.mkdir()
    outside.mkdir()
    (outside / "secret.png").write_bytes(PNG + MARKER * 4)
    return {"folder": folder, "outside": outside, "secret": outside / "secret.png"}


def _sheets(settings_logo: str | None = None, department_logo: str | None = None) -> Any:
    sheets = valid_sheets()
    if settings_logo is not None:
        sheets["Settings"].append(["logo", settings_logo])  # B5
    if department_logo is not None:
        sheets["Departments"][0].append("logo")
        sheets["Departments"][1].append(department_logo)  # E2
    return sheets


def _build_cli(workbook: Path, out: Path, formats: str = "html,json") -> Any:
    return CliRunner().invoke(
        main, ["build", str(workbook), "-o", str(out), "--format", formats, "-j", "1"]
    )


def _assert_nothing_leaked(out: Path) -> None:
    """No output contains the marker, as it is or inside any base64 (data: URI or not)."""
    files = [p for p in out.rglob("*") if p.is_file()]
    assert files
    for path in files:
        data = path.read_bytes()
        assert MARKER not in data, path
        if path.suffix == ".html":
            text = data.decode("utf-8")
            assert "<img" not in text, path
            assert 'src="data:' not in text, path  # quoted cell text is fine
        for chunk in re.findall(rb"[A-Za-z0-9+/]{16,}", data):
            for start in range(4):  # the run may begin anywhere in a base64 quantum
                part = chunk[start:]
                decoded = base64.b64decode(part[: len(part) - len(part) % 4])
                assert MARKER not in decoded, path


def _refused(place: dict[str, Path], case: str) -> str:
    """Set up ``case`` in the workbook folder; return what the logo cell says."""
    folder, secret = place["folder"], place["secret"]
    if case == "absolute":
        return str(secret)
    if case == "dotdot":
        return "../private/secret.png"
    if case == "dotdot-backslash":
        return "..\\private\\secret.png"
    if case == "deep-dotdot":
        return "sub/../../private/secret.png"
    if case == "file-url":
        return secret.as_uri()
    if case == "http":
        return "http://127.0.0.1:9/logo.png"
    if case == "https":
        return "https://example.com/logo.png"
    if case == "other-scheme":
        return "ftp://example.com/logo.png"
    if case == "data-uri":
        return "data:image/png;base64," + base64.b64encode(PNG).decode()
    if case == "windows-drive":
        return "C:\\Users\\me\\logo.png"
    if case == "unc":
        return "\\\\server\\share\\logo.png"
    if case == "device":
        return "/dev/zero"
    if case == "fifo":
        os.mkfifo(folder / "pipe.png")
        return "pipe.png"
    if case == "folder":
        (folder / "logos.png").mkdir()
        return "logos.png"
    if case == "the-folder-itself":
        return "."
    if case == "missing":
        return "nowhere.png"
    if case == "text-named-png":
        (folder / "logo.png").write_bytes(b"not an image " + MARKER)
        return "logo.png"
    if case == "too-large":
        (folder / "huge.png").write_bytes(PNG + MARKER + b"\0" * (2 * 1024 * 1024))
        return "huge.png"
    if case == "symlink-outside":
        (folder / "link.png").symlink_to(secret)
        return "link.png"
    if case == "symlink-dir-outside":
        (folder / "linked").symlink_to(place["outside"], target_is_directory=True)
        return "linked/secret.png"
    if case == "symlink-device":
        (folder / "zero.png").symlink_to("/dev/zero")
        return "zero.png"
    raise AssertionError(case)


CASES = [
    "absolute",
    "dotdot",
    "dotdot-backslash",
    "deep-dotdot",
    "file-url",
    "http",
    "https",
    "other-scheme",
    "data-uri",
    "windows-drive",
    "unc",
    "device",
    "fifo",
    "folder",
    "the-folder-itself",
    "missing",
    "text-named-png",
    "too-large",
    "symlink-outside",
    "symlink-dir-outside",
    "symlink-device",
]


@pytest.mark.parametrize("case", CASES)
def test_a_refused_settings_logo_warns_and_the_report_has_no_logo(
    place: dict[str, Path], tmp_path: Path, case: str
) -> None:
    workbook = write_workbook(place["folder"] / "wb.xlsx", _sheets(_refused(place, case)))
    _, report = check(workbook)
    assert codes(report) == [("bad-logo", "Settings", "B5")]
    for lang in ("en", "da"):
        assert "{" not in report.issues[0].message(lang) + report.issues[0].hint(lang)
    out = tmp_path / "out"
    result = _build_cli(workbook, out)
    assert result.exit_code == 0, result.output
    assert "Settings!B5" in result.stderr
    _assert_nothing_leaked(out)


@pytest.mark.parametrize("case", ["text-named-png", "symlink-outside", "dotdot", "fifo"])
def test_a_refused_department_logo_warns_at_its_cell(
    place: dict[str, Path], tmp_path: Path, case: str
) -> None:
    workbook = write_workbook(place["folder"] / "wb.xlsx", _sheets(None, _refused(place, case)))
    _, report = check(workbook)
    assert codes(report) == [("bad-logo", "Departments", "E2")]
    out = tmp_path / "out"
    result = _build_cli(workbook, out)
    assert result.exit_code == 0, result.output
    assert "Departments!E2" in result.stderr
    _assert_nothing_leaked(out)


def test_nothing_of_a_refused_file_reaches_the_pdf(place: dict[str, Path], tmp_path: Path) -> None:
    name = _refused(place, "text-named-png")
    workbook = write_workbook(place["folder"] / "wb.xlsx", _sheets(name, "../private/secret.png"))
    out = tmp_path / "out"
    result = _build_cli(workbook, out, "pdf,html,json")
    assert result.exit_code == 0, result.output
    assert list(out.rglob("*.pdf"))
    _assert_nothing_leaked(out)


def test_a_good_logo_next_to_the_workbook_is_a_data_uri(
    place: dict[str, Path], tmp_path: Path
) -> None:
    shutil.copy(GOOD_LOGO, place["folder"] / "logo.png")
    (place["folder"] / "img").mkdir()
    shutil.copy(GOOD_LOGO, place["folder"] / "img" / "dept.png")
    workbook = write_workbook(place["folder"] / "wb.xlsx", _sheets("logo.png", "img\\dept.png"))
    _, report = check(workbook)
    assert codes(report) == []
    out = tmp_path / "out"
    result = _build_cli(workbook, out)
    assert result.exit_code == 0, result.output
    uri = "data:image/png;base64," + base64.b64encode(GOOD_LOGO.read_bytes()).decode()
    pages = {p.name: p.read_text() for p in out.rglob("*.html")}
    assert f'<img src="{uri}"' in pages["board-pack.html"]
    assert f'<img src="{uri}"' in pages["sales.html"]


def test_a_symlink_inside_the_folder_to_a_file_inside_is_fine(place: dict[str, Path]) -> None:
    shutil.copy(GOOD_LOGO, place["folder"] / "real.png")
    (place["folder"] / "logo.png").symlink_to("real.png")
    workbook = write_workbook(place["folder"] / "wb.xlsx", _sheets("logo.png"))
    _, report = check(workbook)
    assert codes(report) == []


def test_logos_are_looked_up_in_the_assets_folder_the_watcher_gives(
    place: dict[str, Path], tmp_path: Path
) -> None:
    """The drop-folder watcher builds a workbook moved to processing/ with assets=its inbox."""
    shutil.copy(GOOD_LOGO, place["folder"] / "logo.png")
    processing = tmp_path / "processing"
    processing.mkdir()
    workbook = write_workbook(processing / "wb.xlsx", _sheets("logo.png"))
    _, report = check(workbook)
    assert codes(report) == [("bad-logo", "Settings", "B5")]  # not next to the workbook
    _, report = check(workbook, assets=place["folder"])
    assert codes(report) == []
    out = tmp_path / "out"
    options = BuildOptions(formats=("html", "json"), assets=place["folder"])
    [result] = build([workbook], out, options)
    assert result.ok and codes(result.report) == []
    assert "data:image/png;base64," in (result.folder / "board-pack.html").read_text()
    # the inbox is where logos lie; a name leading out of it is still refused
    escaping = write_workbook(processing / "wb2.xlsx", _sheets("../private/secret.png"))
    [result] = build([escaping], out, options)
    assert result.ok and codes(result.report) == [("bad-logo", "Settings", "B5")]
    _assert_nothing_leaked(out / "wb2")


def test_reading_a_logo_never_opens_what_it_refuses(
    place: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check refuses by path first: a refused name is never passed to open()."""
    from kpireport import assets

    opened: list[str] = []
    real_open: Callable[..., int] = os.open

    def spy(path: Any, *args: Any, **kwargs: Any) -> int:
        opened.append(str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(assets.os, "open", spy)
    for case in ["absolute", "dotdot", "device", "fifo", "symlink-outside", "symlink-device"]:
        name = _refused(place, case)
        assert assets.check_image(name, place["folder"]).uri is None
    assert opened == []


def test_a_cmyk_jpeg_scaled_to_rgb_keeps_no_cmyk_profile(tmp_path: Path) -> None:
    """A large CMYK JPEG is scaled down and made RGB: its CMYK colour profile, which cannot
    apply to RGB pixels, is dropped; an RGB image's profile is kept."""
    import io

    from PIL import Image

    from kpireport import assets

    profile = b"\x00\x00\x02\x00fake CMYK profile" + bytes(500)
    Image.new("CMYK", (2000, 1000), (0, 80, 160, 0)).save(
        tmp_path / "cmyk.jpg", icc_profile=profile
    )
    Image.new("RGB", (2000, 1000), "teal").save(tmp_path / "rgb.jpg", icc_profile=profile)
    for name, kept in (("cmyk.jpg", None), ("rgb.jpg", profile)):
        uri = assets.check_image(name, tmp_path).uri
        assert uri is not None and uri.startswith("data:image/jpeg;base64,")
        with Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))) as image:
            assert (image.mode, image.size) == ("RGB", (500, 250))
            assert image.info.get("icc_profile") == kept, name
