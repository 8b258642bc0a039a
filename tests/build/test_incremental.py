"""Incremental builds on real files: what a rebuild rewrites and what it leaves alone, earlier
report sets, interrupted and concurrent builds, unwritable outputs, and the PDF renderer's
URL fetcher.

Most tests build HTML and JSON only (fast); the ones about PDFs share one two-department report
set per module (``pdf_set``), copied into each test's own folder. "Rewritten" means a new inode
(every write is a temporary file renamed into place); "untouched" means the same inode, mtime
and bytes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import select
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from kpireport.build import MANIFEST
from kpireport.cli import main
from tests.conftest import kpi_row, valid_sheets, write_workbook

DATE = "2026-06-30"
# Sales (department "A") and Finance (department "B"), as slugs.
A, B = "sales", "finance"
REPORTS = {
    f"{A}.html",
    f"{A}.pdf",
    f"{B}.html",
    f"{B}.pdf",
    "board-pack.html",
    "board-pack.pdf",
    "results.json",
    "validation.html",
    "index.html",
}
HTML_JSON = {n for n in REPORTS if not n.endswith(".pdf")}
# each department's pages, laid out once for its PDF and the board pack, kept for the next build
PAGES = {f".pages/{A}.pdf", f".pages/{B}.pdf"}
# and the cards each department made for its page and the board pack (Manifest.keep_cards)
CARDS = {f".pages/{A}.cards.json", f".pages/{B}.cards.json"}
TEMP = re.compile(r"\.[^/]+\.[A-Za-z0-9_]+\.tmp")  # write_atomic's temporary names

Snapshot = dict[str, tuple[int, int, bytes]]


# --- workbooks --------------------------------------------------------------------------------


def two_departments(
    finance_june: float = 40, report_date: dt.date = dt.date(2026, 6, 30), july: bool = False
) -> dict[str, list[list[Any]]]:
    """:func:`valid_sheets` with a second department, Finance, and its KPI FIN-01."""
    sheets = valid_sheets()
    sheets["Settings"][2] = ["report_date", report_date]
    sheets["Departments"].append(["Finance", "Jens Jensen", "jens@example.com", "#2E7D32"])
    sheets["KPIs"].append(
        kpi_row(
            id="FIN-01",
            department="Finance",
            name="Days sales outstanding",
            description="Average days from invoice to payment",
            unit="days",
            direction="lower",
            target=30,
            baseline=45,
            owner="Jens Jensen",
            data_source="ERP receivables report",
        )
    )
    values = [45, 44, 43, 42, 41, finance_june]
    sheets["Measurements"] += [
        ["FIN-01", dt.date(2026, m, 1), v, None] for m, v in enumerate(values, start=1)
    ]
    if july:
        sheets["Measurements"] += [
            ["SALES-01", dt.date(2026, 7, 1), 52, None],
            ["FIN-01", dt.date(2026, 7, 1), finance_june - 1, None],
        ]
    return sheets


# --- running builds ---------------------------------------------------------------------------


def cli(workbook: Path, out: Path, *args: str) -> Any:
    """``kpireport build`` in this process, one job (HTML/JSON builds: no PDF workers)."""
    return CliRunner().invoke(main, ["build", str(workbook), "-o", str(out), "-j", "1", *args])


def command(workbook: Path, out: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "kpireport", "build", str(workbook), "-o", str(out), *args]


def run(workbook: Path, out: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``kpireport build`` as a real process (PDF builds: worker processes, real signals)."""
    return subprocess.run(
        command(workbook, out, *args), capture_output=True, text=True, timeout=300
    )


def wrote(stderr: str) -> set[str]:
    """Names of the files the build said it wrote."""
    return {
        Path(line[len("wrote ") :]).name
        for line in stderr.splitlines()
        if line.startswith("wrote ")
    }


# --- looking at the files ---------------------------------------------------------------------


def snapshot(root: Path) -> Snapshot:
    """Every file under ``root`` (relative path -> inode, mtime_ns, bytes)."""
    out = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        st = path.stat()
        out[path.relative_to(root).as_posix()] = (st.st_ino, st.st_mtime_ns, path.read_bytes())
    return out


def rewritten(before: Snapshot, after: Snapshot) -> set[str]:
    """Files present in both whose inode or mtime changed."""
    return {n for n in before.keys() & after.keys() if before[n][:2] != after[n][:2]}


def temp_files(folder: Path) -> set[str]:
    return {n for n in os.listdir(folder) if n.startswith(".") and n.endswith(".tmp")}


def check_output(path: Path) -> None:
    """A complete report file: a PDF qpdf accepts, HTML up to </html>, JSON that parses."""
    data = path.read_bytes()
    assert data, f"{path.name} is empty"
    if path.suffix == ".pdf":
        assert data.startswith(b"%PDF-"), path.name
        assert data.rstrip().endswith(b"%%EOF"), f"{path.name} is cut short"
        if shutil.which("qpdf"):
            proc = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True)
            assert proc.returncode == 0, f"{path.name}: {proc.stdout}{proc.stderr}"
    elif path.suffix == ".html":
        assert data.rstrip().endswith(b"</html>"), f"{path.name} is cut short"
    elif path.suffix == ".json":
        json.loads(data)


def check_set(folder: Path, names: set[str] = REPORTS) -> dict[str, Any]:
    """Every report in ``names`` is there and complete; anything else in the folder is the
    manifest or a temporary file. Returns the manifest."""
    present = set(os.listdir(folder))
    assert names <= present, f"missing: {sorted(names - present)}"
    for name in sorted(present):
        if name == MANIFEST:
            continue
        if name == ".pages":
            for page in os.listdir(folder / name):
                if not TEMP.fullmatch(page):
                    assert page.endswith((".pdf", ".cards.json")), f"unexpected file .pages/{page}"
                    check_output(folder / name / page)
            continue
        if name.startswith("."):
            assert TEMP.fullmatch(name), f"unexpected file {name}"
            continue
        check_output(folder / name)
    manifest = json.loads((folder / MANIFEST).read_text())
    assert isinstance(manifest, dict)
    return manifest


def finance_june(folder: Path) -> Any:
    data = json.loads((folder / "results.json").read_text())
    (dept,) = [d for d in data["departments"] if d["slug"] == B]
    (kpi,) = dept["kpis"]
    return kpi["current"]


# --- a two-department report set with PDFs, built once per module ------------------------------


@pytest.fixture(scope="module")
def pdf_set(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``kpis.xlsx`` and ``out/kpis/2026-06-30/`` with every format, built by a real process."""
    root = tmp_path_factory.mktemp("pdf-set")
    workbook = write_workbook(root / "kpis.xlsx", two_departments())
    proc = run(workbook, root / "out", "-j", "2")
    assert proc.returncode == 0, proc.stderr
    check_set(root / "out" / "kpis" / DATE)
    return root


def copy_set(source: Path, dest: Path) -> tuple[Path, Path, Path]:
    """The workbook, the output folder and the report set, copied to ``dest``."""
    shutil.copy2(source / "kpis.xlsx", dest / "kpis.xlsx")
    shutil.copytree(source / "out", dest / "out")
    return dest / "kpis.xlsx", dest / "out", dest / "out" / "kpis" / DATE


# --- a rebuild with nothing changed -----------------------------------------------------------


@pytest.mark.slow
def test_rebuild_with_nothing_changed_rewrites_no_report(pdf_set: Path, tmp_path: Path) -> None:
    workbook, out, folder = copy_set(pdf_set, tmp_path)
    before = snapshot(folder)
    layers = {n for n in before if n.startswith(".pages/furniture-")}  # headers and footers
    summary = {n for n in before if n.startswith(".pages/summary-")}  # the board pack's
    assert layers and summary
    assert set(before) == REPORTS | PAGES | CARDS | layers | summary | {MANIFEST}
    proc = run(workbook, out, "-j", "2")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [str(folder / "board-pack.pdf")]
    assert "wrote" not in proc.stderr
    assert f"; {len(REPORTS)} files unchanged" in proc.stderr
    assert snapshot(folder) == before  # same inode, mtime and bytes, manifest included


def test_rebuild_html_json_is_a_no_op_and_force_rewrites_all(tmp_path: Path) -> None:
    workbook = write_workbook(tmp_path / "kpis.xlsx", two_departments())
    out = tmp_path / "out"
    folder = out / "kpis" / DATE
    first = cli(workbook, out, "--format", "html,json")
    assert first.exit_code == 0, first.output
    assert wrote(first.stderr) == HTML_JSON
    before = snapshot(folder)

    again = cli(workbook, out, "--format", "html,json")
    assert again.exit_code == 0, again.output
    assert again.stdout.splitlines() == [str(folder)]  # no board pack without PDFs
    assert f"; {len(HTML_JSON)} files unchanged" in again.stderr
    assert wrote(again.stderr) == set()
    assert snapshot(folder) == before

    forced = cli(workbook, out, "--format", "html,json", "--force")
    assert forced.exit_code == 0, forced.output
    assert wrote(forced.stderr) == HTML_JSON
    assert "unchanged" not in forced.stderr
    after = snapshot(folder)
    assert rewritten(before, after) == HTML_JSON | CARDS | {MANIFEST}  # the cards made again
    assert {n: v[2] for n, v in after.items()} == {n: v[2] for n, v in before.items()}


def test_a_report_changed_on_disk_is_rebuilt(tmp_path: Path) -> None:
    """The manifest's sha256 catches a damaged or hand-edited output."""
    workbook = write_workbook(tmp_path / "kpis.xlsx", two_departments())
    out = tmp_path / "out"
    folder = out / "kpis" / DATE
    assert cli(workbook, out, "--format", "html,json").exit_code == 0
    good = (folder / f"{A}.html").read_bytes()
    (folder / f"{A}.html").write_bytes(good[: len(good) // 2])
    result = cli(workbook, out, "--format", "html,json")
    assert result.exit_code == 0, result.output
    assert wrote(result.stderr) == {f"{A}.html"}
    assert (folder / f"{A}.html").read_bytes() == good


def test_manifest_entries_of_the_wrong_shape_are_not_trusted(tmp_path: Path) -> None:
    """A hand-edited manifest: what it says of a file in a shape no build writes counts as
    nothing, so that file is written again (and the build does not stop on it)."""
    workbook = write_workbook(tmp_path / "kpis.xlsx", two_departments())
    out = tmp_path / "out"
    folder = out / "kpis" / DATE
    assert cli(workbook, out, "--format", "html,json").exit_code == 0
    manifest = json.loads((folder / MANIFEST).read_text())
    manifest["index.html"] = "not an entry"
    manifest[f"{A}.html"] = {"key": 1, "sha256": None}
    manifest["build"] = ["not", "a", "record"]
    (folder / MANIFEST).write_text(json.dumps(manifest))
    result = cli(workbook, out, "--format", "html,json")
    assert result.exit_code == 0, result.output
    assert wrote(result.stderr) == {"index.html", f"{A}.html"}
    again = json.loads((folder / MANIFEST).read_text())
    assert set(again) == HTML_JSON | CARDS | {"build"}
    assert all(isinstance(again[name]["key"], str) for name in again)


def test_a_rebuild_makes_only_the_changed_departments_cards(tmp_path: Path) -> None:
    """Each department's cards (its KPI table and its KPIs' cards with their charts, made once
    for its page and the board pack) are kept in ``.pages/``: after one department's numbers
    changed, the rebuild makes that department's again and takes the other's from there, and
    writes the files a build from scratch writes."""
    workbook = write_workbook(tmp_path / "kpis.xlsx", two_departments())
    out = tmp_path / "out"
    folder = out / "kpis" / DATE
    assert cli(workbook, out, "--format", "html,json").exit_code == 0
    before = snapshot(folder)
    assert set(before) >= CARDS
    write_workbook(workbook, two_departments(finance_june=36))
    assert cli(workbook, out, "--format", "html,json").exit_code == 0
    after = snapshot(folder)
    assert CARDS & rewritten(before, after) == {f".pages/{B}.cards.json"}
    scratch = tmp_path / "scratch"
    assert cli(workbook, scratch, "--format", "html,json").exit_code == 0
    for name in sorted(HTML_JSON | CARDS):
        assert (folder / name).read_bytes() == (scratch / "kpis" / DATE / name).read_bytes(), name


def test_cards_deleted_from_pages_are_written_again(tmp_path: Path) -> None:
    """Deleting ``.pages/`` only makes the next build slower: cards it no longer finds there
    are made and kept again, though the manifest still names them under the same key."""
    workbook = write_workbook(tmp_path / "kpis.xlsx", two_departments())
    out = tmp_path / "out"
    folder = out / "kpis" / DATE
    assert cli(workbook, out, "--format", "html,json").exit_code == 0
    kept = (folder / ".pages" / f"{A}.cards.json").read_bytes()
    shutil.rmtree(folder / ".pages")
    write_workbook(workbook, two_departments(finance_june=36))  # the board pack is made again
    assert cli(workbook, out, "--format", "html,json").exit_code == 0
    assert (folder / ".pages" / f"{A}.cards.json").read_bytes() == kept
    check_set(folder, HTML_JSON)


@pytest.mark.parametrize("trusted", [True, False])
def test_kept_cards_are_used_only_as_they_were_written(tmp_path: Path, trusted: bool) -> None:
    """The board pack takes an unchanged department's cards from ``.pages/``; a cards file
    that is not as the manifest says it was written (edited, damaged) is not used."""
    workbook = write_workbook(tmp_path / "kpis.xlsx", two_departments())
    out = tmp_path / "out"
    folder = out / "kpis" / DATE
    assert cli(workbook, out, "--format", "html,json").exit_code == 0
    cards = folder / ".pages" / f"{A}.cards.json"
    edited = cards.read_text().replace("Same period last year", "Edited in .pages")
    assert edited != cards.read_text()
    cards.write_text(edited)
    if trusted:  # as a build would have written it: the manifest says so
        manifest = json.loads((folder / MANIFEST).read_text())
        manifest[f".pages/{A}.cards.json"]["sha256"] = hashlib.sha256(edited.encode()).hexdigest()
        (folder / MANIFEST).write_text(json.dumps(manifest))
    write_workbook(workbook, two_departments(finance_june=36))  # the board pack is made again
    assert cli(workbook, out, "--format", "html,json").exit_code == 0
    pack = (folder / "board-pack.html").read_text()
    assert ("Edited in .pages" in pack) == trusted
    assert "Same period last year" in pack  # Finance's cards, made anew


def test_rebuild_with_nothing_changed_leaves_the_home_page_alone(tmp_path: Path) -> None:
    workbook = write_workbook(tmp_path / "kpis.xlsx", two_departments())
    out = tmp_path / "out"
    assert cli(workbook, out, "--format", "html,json").exit_code == 0
    before = snapshot(out)
    assert cli(workbook, out, "--format", "html,json").exit_code == 0
    assert rewritten(before, snapshot(out)) == set()


# --- one department's numbers change -----------------------------------------------------------


@dataclass
class Rebuild:
    before: Snapshot
    after: Snapshot
    proc: subprocess.CompletedProcess[str]
    folder: Path


@pytest.fixture(scope="module")
def finance_changed(pdf_set: Path, tmp_path_factory: pytest.TempPathFactory) -> Rebuild:
    """The PDF set rebuilt after Finance's June measurement went from 40 to 36."""
    workbook, out, folder = copy_set(pdf_set, tmp_path_factory.mktemp("finance-changed"))
    before = snapshot(folder)
    write_workbook(workbook, two_departments(finance_june=36))
    proc = run(workbook, out, "-j", "2")
    assert proc.returncode == 0, proc.stderr
    return Rebuild(before, snapshot(folder), proc, folder)


@pytest.mark.slow
def test_a_changed_department_rerenders_it_the_board_pack_and_the_summary(
    finance_changed: Rebuild,
) -> None:
    changed = {
        f"{B}.html",
        f"{B}.pdf",
        "board-pack.html",
        "board-pack.pdf",
        "results.json",
        "index.html",
    }
    assert changed <= rewritten(finance_changed.before, finance_changed.after)
    assert changed <= wrote(finance_changed.proc.stderr)
    assert finance_changed.proc.stdout.splitlines() == [
        str(finance_changed.folder / "board-pack.pdf")
    ]
    check_set(finance_changed.folder)
    assert finance_june(finance_changed.folder) == 36
    for name in changed:
        assert finance_changed.after[name][2] != finance_changed.before[name][2], name


@pytest.mark.slow
def test_a_changed_department_leaves_the_other_departments_untouched(
    finance_changed: Rebuild,
) -> None:
    untouched = {f"{A}.html", f"{A}.pdf", f".pages/{A}.pdf"}  # its pages are not laid out again
    # the page counts did not change: the header and footer layers are used again as they are,
    # but for the board pack's last page, whose colophon has the workbook's SHA-256 (one page)
    layers = {n for n in finance_changed.before if n.startswith(".pages/furniture-")}
    after = {n for n in finance_changed.after if n.startswith(".pages/furniture-")}
    assert layers and len(layers - after) == 1 and len(after - layers) == 1
    layers &= after
    assert not untouched & wrote(finance_changed.proc.stderr)
    for name in untouched | layers:
        assert finance_changed.after[name] == finance_changed.before[name], name


def described_anew(workbook: Path, out: Path) -> None:
    """Rebuild after FIN-01's description changed, a text its department's pages show and the
    board pack's summary does not."""
    sheets = two_departments()
    (row,) = [r for r in sheets["KPIs"] if r[0] == "FIN-01"]
    row[3] = "Average days from invoice to payment, from the ledger"
    write_workbook(workbook, sheets)
    proc = run(workbook, out, "-j", "2")
    assert proc.returncode == 0, proc.stderr


@pytest.mark.slow
def test_a_change_that_leaves_the_summary_as_it_was_renders_only_its_department(
    pdf_set: Path, tmp_path: Path
) -> None:
    """A KPI's description is on its department's pages only: the rebuild lays out those
    pages, and takes the board pack's summary from ``.pages/``, where the last build kept it
    under the hash of what renders it; the board pack has the new text."""
    workbook, out, folder = copy_set(pdf_set, tmp_path)
    before = snapshot(folder)
    parts = {n for n in before if n.startswith(".pages/summary-")}
    assert parts
    described_anew(workbook, out)
    after = snapshot(folder)
    assert {f"{B}.pdf", f".pages/{B}.pdf", "board-pack.pdf"} <= rewritten(before, after)
    for name in parts:  # not rendered again: not even written again
        assert after[name] == before[name], name
    assert {n for n in after if n.startswith(".pages/summary-")} == parts
    assert "from the ledger" in " ".join(_pdf_text(folder / "board-pack.pdf").split())
    check_set(folder)


@pytest.mark.slow
def test_a_summary_piece_damaged_in_pages_is_rendered_again(pdf_set: Path, tmp_path: Path) -> None:
    """A piece cut short in ``.pages/`` (by hand, a full disk) is not used: it is rendered
    again and the board pack is whole."""
    workbook, out, folder = copy_set(pdf_set, tmp_path)
    (part,) = (folder / ".pages").glob("summary-*.pdf")
    part.write_bytes(part.read_bytes()[:500])
    described_anew(workbook, out)
    assert len(part.read_bytes()) > 500
    check_set(folder)  # every PDF, the pieces in .pages/ too, passes qpdf --check


@pytest.mark.slow
def test_a_summary_that_changed_is_rendered_again_and_the_old_one_removed(
    pdf_set: Path, tmp_path: Path
) -> None:
    """Sales's June measurement far below its plan puts it on the attention list: the summary
    is rendered again, its old piece deleted, and the board pack shows the new one."""
    workbook, out, folder = copy_set(pdf_set, tmp_path)
    before = {n for n in snapshot(folder) if n.startswith(".pages/summary-")}
    sheets = two_departments()
    for row in sheets["Measurements"]:
        if row[0] == "SALES-01" and row[1] == dt.date(2026, 6, 1):
            row[2] = 1
    write_workbook(workbook, sheets)
    proc = run(workbook, out, "-j", "2")
    assert proc.returncode == 0, proc.stderr
    after = {n for n in snapshot(folder) if n.startswith(".pages/summary-")}
    assert before and after and not before & after
    check_set(folder)


# --- templates and language -------------------------------------------------------------------


FOOTER = (
    '{{% extends "default:department.html" %}}\n'
    '{{% block footer %}}<p class="house-footer">{text}</p>{{% endblock %}}\n'
)


def test_a_user_template_block_appears_in_every_department_page(tmp_path: Path) -> None:
    workbook = write_workbook(tmp_path / "kpis.xlsx", two_departments())
    out = tmp_path / "out"
    folder = out / "kpis" / DATE
    templates = tmp_path / "templates"
    templates.mkdir()
    assert cli(workbook, out, "--format", "html,json").exit_code == 0
    plain = snapshot(folder)

    (templates / "department.html").write_text(FOOTER.format(text="Board use only (v1)"))
    custom = cli(workbook, out, "--format", "html,json", "--templates", str(templates))
    assert custom.exit_code == 0, custom.output
    first = snapshot(folder)
    assert {f"{A}.html", f"{B}.html"} <= rewritten(plain, first)
    kpis = {A: ("Sales", "SALES-01", "New customers per month"), B: ("Finance", "FIN-01", "Days")}
    for slug, words in kpis.items():
        page = (folder / f"{slug}.html").read_text()
        assert "Board use only (v1)" in page
        # the rest of the default page is still there: masthead, tiles, table, cards
        for marker in (*words, 'class="masthead"', 'class="tiles"', 'class="kpis"', "Test A/S"):
            assert marker in page, (slug, marker)
        assert 'class="colophon"' not in page  # the block it replaced
        assert page.rstrip().endswith("</html>")
    board = (folder / "board-pack.html").read_text()
    assert "Board use only" not in board and 'class="colophon"' in board

    again = cli(workbook, out, "--format", "html,json", "--templates", str(templates))
    assert wrote(again.stderr) == set()
    assert snapshot(folder) == first

    (templates / "department.html").write_text(FOOTER.format(text="Board use only (v2)"))
    edited = cli(workbook, out, "--format", "html,json", "--templates", str(templates))
    assert edited.exit_code == 0, edited.output
    assert {f"{A}.html", f"{B}.html"} <= rewritten(first, snapshot(folder))
    for slug in (A, B):
        page = (folder / f"{slug}.html").read_text()
        assert "Board use only (v2)" in page and "(v1)" not in page


def test_changing_the_language_rerenders_everything_once(tmp_path: Path) -> None:
    workbook = write_workbook(tmp_path / "kpis.xlsx", two_departments())
    out = tmp_path / "out"
    folder = out / "kpis" / DATE
    assert cli(workbook, out, "--format", "html,json").exit_code == 0
    english = snapshot(folder)
    assert '<html lang="en">' in (folder / f"{A}.html").read_text()

    danish = cli(workbook, out, "--format", "html,json", "--lang", "da")
    assert danish.exit_code == 0, danish.output
    first = snapshot(folder)
    assert rewritten(english, first) == HTML_JSON | CARDS | {MANIFEST}
    for name in HTML_JSON - {"results.json"}:
        assert '<html lang="da">' in (folder / name).read_text(), name
    assert json.loads((folder / "results.json").read_text())["language"] == "da"

    again = cli(workbook, out, "--format", "html,json", "--lang", "da")
    assert wrote(again.stderr) == set() and "filer uændret" in again.stderr  # in Danish
    assert snapshot(folder) == first

    back = cli(workbook, out, "--format", "html,json")  # the workbook's language again
    assert rewritten(first, snapshot(folder)) == HTML_JSON | CARDS | {MANIFEST}
    assert back.exit_code == 0 and '<html lang="en">' in (folder / f"{A}.html").read_text()


# --- earlier report sets are kept -------------------------------------------------------------


@pytest.mark.slow
def test_a_new_report_date_gets_a_new_folder_and_keeps_the_old_one(
    pdf_set: Path, tmp_path: Path
) -> None:
    workbook, out, folder = copy_set(pdf_set, tmp_path)
    before = snapshot(folder)
    write_workbook(workbook, two_departments(report_date=dt.date(2026, 7, 31), july=True))
    result = cli(workbook, out, "--format", "html,json")
    assert result.exit_code == 0, result.output
    july = out / "kpis" / "2026-07-31"
    assert result.stdout.splitlines() == [str(july)]
    check_set(july, HTML_JSON)
    assert json.loads((july / "results.json").read_text())["report_date"] == "2026-07-31"
    # the reports byte-identical, not even touched; only the cache of pages is gone (below)
    assert snapshot(folder) == {n: v for n, v in before.items() if not n.startswith(".pages/")}
    assert sorted(p.name for p in (out / "kpis").iterdir()) == [DATE, "2026-07-31"]
    home = (out / "index.html").read_text()
    assert "kpis/2026-07-31/index.html" in home and f"kpis/{DATE}/index.html" in home


@pytest.mark.slow
def test_only_the_newest_set_and_the_set_just_built_keep_their_pages(
    pdf_set: Path, tmp_path: Path
) -> None:
    """``.pages/`` serves the next build of the same set only (a 1,000-KPI set's is 23 MB), so
    a build deletes it from the sets of the same workbook dated before its own; a newer set keeps
    its own, and a set of another workbook is not touched."""
    workbook, out, june = copy_set(pdf_set, tmp_path)
    other = out / "other" / DATE
    shutil.copytree(june, other)  # another workbook's set of the same date
    assert (june / ".pages").is_dir()
    write_workbook(workbook, two_departments(report_date=dt.date(2026, 7, 31), july=True))
    assert cli(workbook, out, "--format", "html,json").exit_code == 0
    july = out / "kpis" / "2026-07-31"
    assert not (june / ".pages").exists()
    assert (july / ".pages").is_dir() and (other / ".pages").is_dir()

    # June again (its workbook corrected): June's set gets pages of its own, July keeps its own
    write_workbook(workbook, two_departments(finance_june=39))
    assert cli(workbook, out, "--format", "html,json").exit_code == 0
    assert (june / ".pages").is_dir() and (july / ".pages").is_dir()
    # a failed build deletes nothing
    broken = two_departments(report_date=dt.date(2026, 8, 31), july=True)
    broken["KPIs"][2][5] = "sideways"
    write_workbook(workbook, broken)
    assert cli(workbook, out, "--format", "html,json").exit_code == 1
    assert (june / ".pages").is_dir() and (july / ".pages").is_dir()


def test_pages_of_earlier_sets_are_deleted_through_no_link(tmp_path: Path) -> None:
    """An earlier set's ``.pages`` that is a link, or an earlier set that is a link itself, is
    left alone: what they point at is not kpireport's to delete."""
    workbook, out = tmp_path / "kpis.xlsx", tmp_path / "out"
    write_workbook(workbook, two_departments())
    assert cli(workbook, out, "--format", "html,json").exit_code == 0
    june = out / "kpis" / DATE
    outside = tmp_path / "outside"
    (outside / "set" / ".pages").mkdir(parents=True)
    for place in (outside, outside / "set" / ".pages"):
        (place / "keep.txt").write_text("not kpireport's")
    shutil.copy2(june / MANIFEST, outside / "set" / MANIFEST)
    shutil.rmtree(june / ".pages")
    (june / ".pages").symlink_to(outside, target_is_directory=True)
    (out / "kpis" / "2026-05-31").symlink_to(outside / "set", target_is_directory=True)

    write_workbook(workbook, two_departments(report_date=dt.date(2026, 7, 31), july=True))
    assert cli(workbook, out, "--format", "html,json").exit_code == 0
    assert (out / "kpis" / "2026-07-31" / ".pages").is_dir()
    assert (june / ".pages").is_symlink()
    assert (outside / "keep.txt").read_text() == "not kpireport's"
    assert (outside / "set" / ".pages" / "keep.txt").read_text() == "not kpireport's"


@pytest.mark.slow
def test_a_workbook_that_gets_an_error_keeps_its_earlier_sets(
    pdf_set: Path, tmp_path: Path
) -> None:
    workbook, out, _folder = copy_set(pdf_set, tmp_path)
    write_workbook(workbook, two_departments(report_date=dt.date(2026, 7, 31), july=True))
    assert cli(workbook, out, "--format", "html,json").exit_code == 0  # a second earlier set
    before = snapshot(out / "kpis")

    broken = two_departments(report_date=dt.date(2026, 8, 31), july=True)
    broken["KPIs"][2][5] = "sideways"  # FIN-01's direction: KPIs!F3
    write_workbook(workbook, broken)
    proc = run(workbook, out, "-j", "2")
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert "Traceback" not in proc.stderr
    assert "F3" in proc.stderr and "'sideways' is not a direction." in proc.stderr
    page = out / "kpis" / "validation.html"
    assert str(page) in proc.stderr
    text = page.read_text()
    assert "F3" in text and "sideways" in text and text.rstrip().endswith("</html>")

    after = snapshot(out / "kpis")
    assert after.pop("validation.html")
    assert after == before  # every earlier report set byte-identical, untouched
    assert not (out / "kpis" / "2026-08-31").exists()


# --- interrupted builds -----------------------------------------------------------------------


def _run_and_kill(cmd: list[str], folder: Path, moment: str | float, log: Path) -> int | None:
    """Start ``cmd``; SIGKILL it after ``moment`` seconds, or as soon as a new temporary file
    ("temp") or a new temporary PDF ("pdf temp") shows up in ``folder``."""
    old = temp_files(folder)
    with open(log, "ab") as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err)
        try:
            start = time.monotonic()
            limit = moment if isinstance(moment, float) else 8.0
            while proc.poll() is None and time.monotonic() - start < limit:
                new = temp_files(folder) - old
                if (moment == "temp" and new) or (
                    moment == "pdf temp" and any(".pdf." in n for n in new)
                ):
                    break
                time.sleep(0.0005)
            proc.kill()  # SIGKILL; this one process only
        finally:
            proc.wait(timeout=60)
    return proc.returncode


@pytest.mark.slow
def test_an_interrupted_build_never_leaves_a_half_written_report(
    pdf_set: Path, tmp_path: Path
) -> None:
    workbook, out, folder = copy_set(pdf_set, tmp_path)
    cmd = command(workbook, out, "--format", "pdf,html,json", "-j", "1")
    # How long this build takes on this machine, measured on a copy: the timed kills land at a
    # share of it, so that a fast machine does not finish before the kill.
    (tmp_path / "timing").mkdir()
    timing_workbook, timing_out, _ = copy_set(pdf_set, tmp_path / "timing")
    write_workbook(timing_workbook, two_departments(finance_june=35))
    started = time.monotonic()
    reference = run(timing_workbook, timing_out, "--format", "pdf,html,json", "-j", "1")
    duration = time.monotonic() - started
    assert reference.returncode == 0, reference.stderr
    killed = 0
    moments: list[str | float] = ["temp", 0.25 * duration, 0.5 * duration, "pdf temp"]
    moments.append(0.8 * duration)
    # each attempt changes Finance's numbers, so that its pages are never already made
    for june, moment in enumerate(moments, start=30):
        write_workbook(workbook, two_departments(finance_june=june))
        code = _run_and_kill(cmd, folder, moment, tmp_path / "killed.log")
        killed += code == -9
        check_set(folder)  # old or new, but every report whole and in its place
    assert killed >= 3, (tmp_path / "killed.log").read_text()

    write_workbook(workbook, two_departments(finance_june=36))
    proc = run(workbook, out, "-j", "2")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [str(folder / "board-pack.pdf")]
    manifest = check_set(folder)
    assert finance_june(folder) == 36
    assert set(manifest) == REPORTS | PAGES | CARDS | {"build"}
    # leftover temporary files are ignored, never taken for reports; and the set is consistent
    again = run(workbook, out, "-j", "2")
    assert again.returncode == 0 and wrote(again.stderr) == set()
    assert f"; {len(REPORTS)} files unchanged" in again.stderr


def test_the_next_build_removes_temporary_files_left_by_a_killed_one(tmp_path: Path) -> None:
    workbook = write_workbook(tmp_path / "kpis.xlsx", two_departments())
    out = tmp_path / "out"
    folder = out / "kpis" / DATE
    assert cli(workbook, out, "--format", "html,json").exit_code == 0
    # what a SIGKILL between mkstemp and os.replace leaves behind
    (folder / f".{B}.html.k3j9x_q2.tmp").write_text("<!DOCTYPE html><html><body><p>half")
    (folder / ".results.json.a81hz0wm.tmp").write_text('{"workbook": "kp')
    write_workbook(workbook, two_departments(finance_june=36))
    result = cli(workbook, out, "--format", "html,json")
    assert result.exit_code == 0, result.output
    check_set(folder, HTML_JSON)
    assert temp_files(folder) == set()


# --- outputs that cannot be written -----------------------------------------------------------


@pytest.mark.parametrize("blocker", ["workbook folder", "report folder"])
def test_an_output_path_that_is_a_file_fails_that_workbook_only(
    tmp_path: Path, blocker: str
) -> None:
    blocked = write_workbook(tmp_path / "blocked.xlsx", valid_sheets())
    good = write_workbook(tmp_path / "good.xlsx", valid_sheets())
    out = tmp_path / "out"
    in_the_way = out / "blocked" if blocker == "workbook folder" else out / "blocked" / DATE
    in_the_way.parent.mkdir(parents=True)
    in_the_way.write_text("a file where a folder should be")
    result = CliRunner().invoke(
        main,
        ["build", str(blocked), str(good), "-o", str(out), "-j", "1", "--format", "html,json"],
    )
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.stderr and "unexpectedly" not in result.stderr
    others = ("wrote ", f"{good}: ")
    (line,) = [x for x in result.stderr.splitlines() if not x.startswith(others)]
    assert line.startswith(f"{blocked}: The report set could not be written: ")
    assert str(in_the_way) in line or str(out / "blocked" / DATE) in line
    assert in_the_way.read_text() == "a file where a folder should be"
    # the other workbook in the same run was built
    assert result.stdout.splitlines() == [str(out / "good" / DATE)]
    check_set(out / "good" / DATE, {f"{A}.html", "board-pack.html", "results.json"})
    assert not list(out.rglob("*.tmp"))


def test_an_output_folder_inside_a_file_is_one_clear_message(tmp_path: Path) -> None:
    workbook = write_workbook(tmp_path / "kpis.xlsx", valid_sheets())
    a_file = tmp_path / "notes.txt"
    a_file.write_text("not a folder")
    proc = run(workbook, a_file / "reports", "--format", "html,json", "-j", "1")
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert "Traceback" not in proc.stderr
    (line,) = proc.stderr.splitlines()
    assert line.startswith(f"{workbook}: The report set could not be written: cannot create ")
    assert str(a_file) in line


def test_an_output_folder_that_is_a_file_is_a_usage_error(tmp_path: Path) -> None:
    """``-o FILE``: refused by click (exit 2, "wrong usage"), before anything is read."""
    workbook = write_workbook(tmp_path / "kpis.xlsx", valid_sheets())
    a_file = tmp_path / "notes.txt"
    a_file.write_text("not a folder")
    proc = run(workbook, a_file, "--format", "html,json", "-j", "1")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert f"Directory '{a_file}' is a file." in proc.stderr
    assert a_file.read_text() == "not a folder"


# --- the PDF renderer's URL fetcher -----------------------------------------------------------


SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="300" height="30">'
    '<text x="0" y="20">{}</text></svg>'
)


def _pdf_text(pdf: Path) -> str:
    return subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout


def _pdf_images(pdf: Path) -> int:
    listing = subprocess.run(
        ["pdfimages", "-list", str(pdf)], capture_output=True, text=True, check=True
    ).stdout
    return len(listing.splitlines()) - 2  # two header lines


@pytest.mark.skipif(
    not (shutil.which("pdftotext") and shutil.which("pdfimages")), reason="needs poppler-utils"
)
def test_the_pdf_renderer_fetches_nothing_outside_its_folders(tmp_path: Path) -> None:
    from PIL import Image

    from kpireport.render.pdf import render_pdf

    outside = tmp_path / "site"
    allowed = outside / "a" / "b"
    allowed.mkdir(parents=True)
    Image.new("RGB", (4, 4), "red").save(outside / "secret.png")
    (outside / "secret.svg").write_text(SVG.format("OUTSIDESVGLEAK"))
    (outside / "secret.css").write_text('body::before { content: "OUTSIDECSSLEAK"; }')
    (allowed / "link.svg").symlink_to(outside / "secret.svg")
    # controls: files inside the allowed folder are fetched, so a leak would show
    Image.new("RGB", (4, 4), "blue").save(allowed / "ok.png")
    (allowed / "ok.svg").write_text(SVG.format("ALLOWEDSVG"))
    (allowed / "ok.css").write_text('body::after { content: "ALLOWEDCSS"; }')

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        port = listener.getsockname()[1]
        html = f"""<!DOCTYPE html><html><head>
<link rel=stylesheet href="http://127.0.0.1:{port}/x.css">
<link rel=stylesheet href="file://{outside}/secret.css">
<link rel=stylesheet href="../../secret.css">
<link rel=stylesheet href="ok.css">
<style>@import url("http://127.0.0.1:{port}/import.css");</style>
</head><body><p>Visible body text</p>
<img src="file:///etc/passwd"><img src="/etc/hostname"><img src="/etc/passwd">
<img src="../../secret.png"><img src="../../secret.svg"><img src="link.svg">
<img src="http://127.0.0.1:{port}/logo.png"><img src="https://127.0.0.1:{port}/logo.png">
<img src="ok.png"><img src="ok.svg">
</body></html>"""
        pdf, _pages = render_pdf(html, [allowed])
        # a connection attempt would sit in the listen backlog: readable
        readable, _, _ = select.select([listener], [], [], 0.5)
        assert readable == [], "the renderer connected to 127.0.0.1"
    finally:
        listener.close()

    assert pdf.startswith(b"%PDF-")
    (tmp_path / "out.pdf").write_bytes(pdf)
    text = _pdf_text(tmp_path / "out.pdf")
    assert "Visible body text" in text
    assert "ALLOWEDSVG" in text and "ALLOWEDCSS" in text  # the controls
    assert "OUTSIDESVGLEAK" not in text and "OUTSIDECSSLEAK" not in text
    assert "root:" not in text
    hostname = Path("/etc/hostname")
    if hostname.is_file() and hostname.read_text().strip():
        assert hostname.read_text().strip() not in text
    assert _pdf_images(tmp_path / "out.pdf") == 1  # ok.png only, not secret.png


@pytest.mark.slow
def test_a_renamed_department_gets_new_pages_and_the_old_ones_are_removed(
    pdf_set: Path, tmp_path: Path
) -> None:
    """The cached pages of a department the workbook no longer has are deleted; the other
    department's cached pages are used as they are."""
    workbook, out, folder = copy_set(pdf_set, tmp_path)
    sheets = two_departments()
    for name in ("Departments", "KPIs"):
        sheets[name] = [["Treasury" if c == "Finance" else c for c in row] for row in sheets[name]]
    write_workbook(workbook, sheets)
    before = snapshot(folder)
    proc = run(workbook, out, "-j", "2")
    assert proc.returncode == 0, proc.stderr
    after = snapshot(folder)
    manifest = check_set(folder, (REPORTS - {f"{B}.html", f"{B}.pdf"}) | {"treasury.pdf"})
    assert f".pages/{B}.pdf" not in after and f".pages/{B}.pdf" not in manifest
    assert ".pages/treasury.pdf" in after and ".pages/treasury.pdf" in manifest
    assert after[f".pages/{A}.pdf"] == before[f".pages/{A}.pdf"]  # not laid out again
    assert "Treasury" in _pdf_text(folder / "board-pack.pdf")


# --- a document that renders too long ------------------------------------------------------------


@pytest.mark.slow
def test_a_document_over_the_time_limit_is_stopped_named_and_loses_nothing(
    pdf_set: Path, tmp_path: Path
) -> None:
    """Every PDF renders in a worker under --render-timeout; one that runs over has its worker
    killed, the build names it and exits 1, and the previous report set stays as it was."""
    workbook, out, folder = copy_set(pdf_set, tmp_path)
    sheets = two_departments(finance_june=36)  # Finance's pages must be redone
    # ...and take seconds to lay out, however fast the machine: a description of 20,000 words
    header = sheets["KPIs"][0]
    sheets["KPIs"][-1][header.index("description")] = " ".join(["receivables"] * 20_000)
    write_workbook(workbook, sheets)
    before = snapshot(folder)
    started = time.monotonic()
    proc = run(workbook, out, "-j", "2", "--render-timeout", "0.2")
    elapsed = time.monotonic() - started
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    stopped = re.search(
        r"(\S+\.pdf)(?: \([^)]*\))? could not be rendered: rendering took longer than 0.2 s",
        proc.stderr,
    )
    assert stopped, proc.stderr  # names the document: finance.pdf, board-pack.pdf (summary) ...
    assert stopped.group(1) in (f"{B}.pdf", "board-pack.pdf")
    assert "--render-timeout" in proc.stderr  # the hint says what to do
    assert elapsed < 60, f"the build took {elapsed:.0f} s: the worker was not stopped"
    # the set is replaced as a whole or not at all: every report is as it was
    after = snapshot(folder)
    assert after == before
    check_set(folder)
    # no worker outlives the build
    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    assert str(out) not in ps
    # with an ordinary description, the same build succeeds and brings everything up to date
    write_workbook(workbook, two_departments(finance_june=36))
    proc = run(workbook, out, "-j", "2")
    assert proc.returncode == 0, proc.stderr
    assert finance_june(folder) == 36
    check_set(folder)


# --- two builds at once -----------------------------------------------------------------------


@pytest.mark.slow
def test_two_builds_into_the_same_folder_at_once(tmp_path: Path) -> None:
    workbook = write_workbook(tmp_path / "kpis.xlsx", valid_sheets())
    out = tmp_path / "out"
    folder = out / "kpis" / DATE
    cmd = command(workbook, out, "-j", "1")
    procs = [
        subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    results = [(p, *p.communicate(timeout=300)) for p in procs]
    for proc, stdout, stderr in results:
        assert proc.returncode in (0, 1), stderr
        assert "Traceback" not in stderr and "unexpectedly" not in stderr
        if proc.returncode == 0:
            assert stdout.splitlines() == [str(folder / "board-pack.pdf")]
        else:
            assert stderr.strip(), "a failed build must say why"
    assert any(proc.returncode == 0 for proc, _, _ in results)

    names = {f"{A}.html", f"{A}.pdf", "board-pack.html", "board-pack.pdf"}
    names |= {"results.json", "validation.html", "index.html"}
    manifest = check_set(folder, names)
    assert set(manifest) == names | {f".pages/{A}.pdf", f".pages/{A}.cards.json", "build"}
    check_output(out / "index.html")
    # the manifest describes the files on disk: the next build has nothing to do
    again = cli(workbook, out)
    assert again.exit_code == 0, again.output
    assert wrote(again.stderr) == set()
    assert f"; {len(names)} files unchanged" in again.stderr
