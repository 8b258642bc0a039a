"""The index pages read every report set's results.json in the output folder (issue 15, point 6):
each of those files may be hostile, broken or from another kpireport. Whatever it is, the
overview is written, lists the set with its date and link and no numbers, and the other sets with
theirs; nothing hangs, nothing is read outside the output folder, and memory stays small.

Each case runs ``write_home`` in a real child process, with a timeout (a FIFO must not block it)
and its peak memory measured (tests/peak.py)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from kpireport.history import MAX_HEAD_BYTES
from tests.build.test_index_pages import (
    DATES,
    Node,
    build_dates,
    check_row,
    parse,
    results,
    sheets,
)
from tests.conftest import write_workbook
from tests.peak import run_measured

TIMEOUT = 60  # seconds for one child: a hang guard
MAX_RSS_MB = 200  # peak memory of one child writing the overview

# The set that is tampered with (31 May) and the one left alone (30 June).
BAD, GOOD = DATES[1], DATES[2]


def _json(data: object) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        path.write_text(json.dumps(data), encoding="utf-8")

    return write


def _bytes(data: bytes) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        path.write_bytes(data)

    return write


def _edit(change: Callable[[dict[str, object]], None]) -> Callable[[Path], None]:
    """The set's own results.json, changed by ``change``."""

    def write(path: Path) -> None:
        data = json.loads(path.read_text(encoding="utf-8"))
        change(data)
        path.write_text(json.dumps(data, allow_nan=True), encoding="utf-8")

    return write


def _symlink(target: str) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        path.unlink()
        path.symlink_to(target)

    return write


def _fifo(path: Path) -> None:
    path.unlink()
    os.mkfifo(path)


def _zeros(path: Path) -> None:
    """256 MB of NUL bytes, as a sparse file: no disk used, but a naive reader loads them all."""
    with path.open("wb") as fh:
        fh.truncate(256 * 1024 * 1024)


def _long_head(path: Path) -> None:
    """A key before ``departments`` longer than the head that is read."""
    data = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps({"padding": "x" * MAX_HEAD_BYTES, **data}), encoding="utf-8")


def _directory(path: Path) -> None:
    path.unlink()
    path.mkdir()


def _missing(path: Path) -> None:
    path.unlink()


def _summary(**fields: object) -> Callable[[dict[str, object]], None]:
    def change(data: dict[str, object]) -> None:
        summary = data["summary"]
        assert isinstance(summary, dict)
        summary.update(fields)

    return change


CASES: dict[str, Callable[[Path], None]] = {
    "missing": _missing,
    "not JSON": _bytes(b"{not json"),
    "not UTF-8": _bytes(b'{"schema_version": "2.3", "company": "\xff\xfe"}'),
    "empty": _bytes(b""),
    "a JSON list": _json([1, 2, 3]),
    "an older major version": _edit(lambda d: d.update(schema_version="1.0")),
    "a newer major version": _edit(lambda d: d.update(schema_version="3.0")),
    "no version": _edit(lambda d: d.pop("schema_version")),
    "a score that is text": _edit(_summary(score="50%")),
    "counts that are not numbers": _edit(_summary(counts={"achieved": "two"})),
    "no summary": _edit(lambda d: d.pop("summary")),
    "a NaN score": _edit(_summary(score=float("nan"))),
    "nested 100,000 deep": _bytes(b"[" * 100_000 + b"]" * 100_000),
    "a link to /dev/zero": _symlink("/dev/zero"),
    "a link to /etc/passwd": _symlink("/etc/passwd"),
    "a FIFO": _fifo,
    "256 MB of NUL bytes": _zeros,
    "a head over the limit": _long_head,
    "a directory": _directory,
}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("hostile-index")
    build_dates(folder, folder / "out", DATES[1:])
    return folder / "out"


def write_home_in_child(out: Path, tmp_path: Path) -> float:
    """``write_home(out)`` in a child process: its peak memory in MB."""
    code = "import sys; from kpireport.build import write_home; write_home(sys.argv[1])"
    done, peak = run_measured(
        [sys.executable, "-c", code, str(out)],
        tmp_path / "peak",
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert done.returncode == 0, done.stderr
    return peak


def rows(out: Path) -> list[Node]:
    [section] = parse(out / "index.html").all("workbook", "section")
    return section.all("set", "tr")


@pytest.mark.tampered_results
@pytest.mark.parametrize("case", list(CASES))
def test_a_hostile_results_json_is_listed_without_numbers(
    built: Path, tmp_path: Path, case: str
) -> None:
    out = tmp_path / "out"
    shutil.copytree(built, out, symlinks=True)
    good = results(out, GOOD)
    CASES[case](out / "kpis" / BAD.isoformat() / "results.json")
    peak = write_home_in_child(out, tmp_path)
    assert peak < MAX_RSS_MB, f"{case}: {peak:.0f} MB"
    newest, tampered = rows(out)
    check_row(newest, GOOD, good, f"kpis/{GOOD.isoformat()}/index.html", "en")
    check_row(tampered, BAD, None, f"kpis/{BAD.isoformat()}/index.html", "en")


@pytest.mark.tampered_results  # (the schema has no "padding")
def test_a_large_results_json_is_read_by_its_head(built: Path, tmp_path: Path) -> None:
    """A set of a large workbook (results.json of 100 MB, the departments padded): listed with
    its numbers, and only the head before ``departments`` is read."""
    out = tmp_path / "out"
    shutil.copytree(built, out, symlinks=True)
    path = out / "kpis" / BAD.isoformat() / "results.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    [dept] = data["departments"]
    dept["padding"] = "x" * (100 * 1024 * 1024)
    path.write_text(json.dumps(data), encoding="utf-8")
    del dept, data
    peak = write_home_in_child(out, tmp_path)
    assert peak < MAX_RSS_MB, f"{peak:.0f} MB"
    tampered = rows(out)[1]
    check_row(tampered, BAD, results(out, BAD), f"kpis/{BAD.isoformat()}/index.html", "en")


@pytest.mark.tampered_results
def test_a_set_folder_that_links_elsewhere_is_not_listed(built: Path, tmp_path: Path) -> None:
    """A set folder that is a symbolic link (to a set of another output folder, say) is not
    followed: its results.json is outside this output folder."""
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    shutil.copytree(built, out, symlinks=True)
    shutil.copytree(out / "kpis" / BAD.isoformat(), elsewhere)
    shutil.rmtree(out / "kpis" / BAD.isoformat())
    (out / "kpis" / "2026-01-31").symlink_to(elsewhere, target_is_directory=True)
    write_home_in_child(out, tmp_path)
    assert [r.one("date").one(tag="time").attrs["datetime"] for r in rows(out)] == [
        GOOD.isoformat()
    ]


@pytest.mark.tampered_results
def test_hostile_text_and_numbers_in_results_json(built: Path, tmp_path: Path) -> None:
    """A company name holding markup, and a score far outside 0 to 100%: the overview shows the
    name as text and draws the trend within its box."""
    out = tmp_path / "out"
    shutil.copytree(built, out, symlinks=True)
    evil = '<script>alert(1)</script>" onmouseover="x'
    _edit(lambda d: d.update(company=evil))(out / "kpis" / GOOD.isoformat() / "results.json")
    _edit(_summary(score=1e300))(out / "kpis" / BAD.isoformat() / "results.json")
    write_home_in_child(out, tmp_path)
    raw = (out / "index.html").read_text(encoding="utf-8")
    assert "<script>" not in raw and "&lt;script&gt;" in raw
    [section] = parse(out / "index.html").all("workbook", "section")
    assert section.one(tag="h2").text == evil
    spark = section.one("sparkline", "svg")
    height = float(spark.attrs["height"])
    points = spark.one(tag="polyline").attrs["points"].split()
    assert len(points) == 2
    assert all(0 <= float(p.split(",")[1]) <= height for p in points)


@pytest.mark.tampered_results  # (the schema check of every results.json would open the FIFO)
def test_a_build_after_a_hostile_earlier_set_lists_it_without_numbers(
    built: Path, tmp_path: Path
) -> None:
    """The new set's own index.html reads the earlier sets too: through a real build, with a
    FIFO for one earlier results.json (a blocking read would hang the build)."""
    out = tmp_path / "out"
    shutil.copytree(built, out, symlinks=True)
    _fifo(out / "kpis" / BAD.isoformat() / "results.json")
    folder = tmp_path / "wb"
    folder.mkdir()
    path = folder / "kpis.xlsx"
    day = DATES[2].replace(month=7, day=31)
    write_workbook(path, sheets(day))
    command = [sys.executable, "-m", "kpireport", "build", str(path), "-o", str(out)]
    done = subprocess.run(
        [*command, "--format", "html,json", "-j", "1"],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert done.returncode == 0, done.stderr
    page = parse(out / "kpis" / day.isoformat() / "index.html")
    shown = page.all("set", "tr")
    assert len(shown) == 3
    check_row(shown[1], GOOD, results(out, GOOD), f"../{GOOD.isoformat()}/index.html", "en")
    check_row(shown[2], BAD, None, f"../{BAD.isoformat()}/index.html", "en")
