"""Acceptance tests for the PDFs: what a board member (and an archive) gets.

The sample workbooks are built once per test session, also under pytest-xdist: the first worker
to need them builds them while the others wait on a lock, then every worker reads the same files.
Three builds run side by side: the samples (PDF, HTML, JSON), one sample as PDF/A-3b, and a small
workbook whose KPI name is HTML markup. The PDFs are checked with qpdf and poppler-utils
(``pdftotext``, ``pdffonts``, ``pdftoppm``; Makefile TEST_SYSDEPS) and with pypdf.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import itertools
import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from PIL import Image
from pypdf import PdfReader

from kpireport import __version__, fmt
from kpireport.i18n import get_locale
from kpireport.schema import Unit
from tests.conftest import (
    SAMPLES,
    once_per_session,
    results_files_problems,
    schema_problems,
    valid_sheets,
    write_workbook,
)

pytestmark = pytest.mark.slow

PDFA_SAMPLE = "fjordsol-da"
# markup, and PDF syntax the board pack's assembly must copy as text (a reference, an unbalanced
# parenthesis, a backslash)
HOSTILE_KPI = '<script>alert("x")</script> & <b>Co</b> leads (see 12 0 R) \\ ('
HOSTILE_COMPANY = "Smith & <i>Sons</i> A/S"


@dataclass(frozen=True)
class Expect:
    """What the reader of one sample should see: its language's footer and number formats."""

    lang: str
    footer: str  # "Page {n} of {total}"
    currency: str  # the shape of a currency amount of a million or more
    percent: str  # the shape of a percentage with one decimal


EXPECT = {
    "acme-en": Expect("en", "Page {n} of {total}", r"DKK \d{1,3}(,\d{3})+", r"\d+\.\d%"),
    "fjordsol-da": Expect("da", "Side {n} af {total}", r"\d{1,3}(\.\d{3})+ kr\.", r"\d+,\d %"),
}
SAMPLE_NAMES = sorted(EXPECT)


# --- building once per session -------------------------------------------------------------------


@dataclass(frozen=True)
class Built:
    normal: Path  # kpireport build sample_workbooks/ -o normal
    pdfa: Path  # the PDF/A-3b build of PDFA_SAMPLE
    hostile: Path  # a workbook with markup in a KPI name and the company

    def folder(self, sample: str, root: Path | None = None) -> Path:
        (folder,) = ((root or self.normal) / sample).glob("*-*-*")  # the one report date
        return folder

    def results(self, sample: str) -> dict[str, Any]:
        return json.loads((self.folder(sample) / "results.json").read_text(encoding="utf-8"))

    def all_pdfs(self) -> list[Path]:
        """The reports: not the build's cache of laid-out pages (.pages/), which are parts."""
        return sorted(
            p
            for root in (self.normal, self.pdfa, self.hostile)
            for p in root.rglob("*.pdf")
            if p.parent.name != ".pages"
        )


def _run_builds(root: Path) -> dict[str, str]:
    """Start the three builds side by side and wait for all; {name: error} for those that fail."""
    hostile_sheets = valid_sheets()
    hostile_sheets["Settings"][1][1] = HOSTILE_COMPANY
    hostile_sheets["KPIs"][1][2] = HOSTILE_KPI
    (root / "src").mkdir(exist_ok=True)
    hostile = write_workbook(root / "src" / "hostile.xlsx", hostile_sheets)

    def kpireport_build(workbook: Path, out: str, options: str) -> list[str]:
        command = [sys.executable, "-m", "kpireport", "build", str(workbook), "-o", str(root / out)]
        return [*command, "--quiet", *options.split()]

    commands = {
        "normal": kpireport_build(SAMPLES, "normal", "-j 2"),
        "pdfa": kpireport_build(
            SAMPLES / f"{PDFA_SAMPLE}.xlsx", "pdfa", "-j 2 --pdf-variant pdf/a-3b --format pdf"
        ),
        "hostile": kpireport_build(hostile, "hostile", "-j 1 --format pdf"),
    }
    errors = {}
    with contextlib.ExitStack() as stack:
        procs = {}
        for name, command in commands.items():
            log = stack.enter_context(open(root / f"{name}.log", "wb"))
            procs[name] = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
            )
            stack.callback(procs[name].kill)  # a no-op once it has exited
        for name, proc in procs.items():
            rc = proc.wait(timeout=600)
            if rc != 0:
                output = (root / f"{name}.log").read_text(errors="replace")[-3000:]
                errors[name] = f"{' '.join(commands[name])} exited with {rc}:\n{output}"
    return errors


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    root = once_per_session(
        tmp_path_factory, "render-pdf", lambda root: "\n".join(_run_builds(root).values())
    )
    return Built(root / "normal", root / "pdfa", root / "hostile")


# --- reading the PDFs ---------------------------------------------------------------------------


@functools.cache
def page_texts(pdf: Path) -> list[str]:
    """The text of each page (pdftotext, reading order)."""
    out = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, check=True
    ).stdout.decode("utf-8")
    pages = out.split("\f")
    return pages[:-1] if pages and not pages[-1].strip() else pages


def norm(text: str) -> str:
    """Every run of white space (no-break and narrow spaces too) as one plain space."""
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ").replace("\u202f", " ")).strip()


def squash(text: str) -> str:
    """Without any white space: for names and hashes, which the layout may break anywhere."""
    return re.sub(r"\s+", "", text)


def text_of(pdf: Path) -> str:
    return norm(" ".join(page_texts(pdf)))


def outline(reader: PdfReader) -> list[tuple[int, str, int | None]]:
    """The bookmarks, flattened: (depth, title, 0-based page)."""
    flat: list[tuple[int, str, int | None]] = []

    def walk(items: list[Any], depth: int) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
            else:
                flat.append((depth, str(item.title), reader.get_destination_page_number(item)))

    walk(reader.outline, 0)
    return flat


RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
XMP_NAMESPACES = {
    "dc": "http://purl.org/dc/elements/1.1/",
    "pdf": "http://ns.adobe.com/pdf/1.3/",
    "pdfaid": "http://www.aiim.org/pdfa/ns/id/",
    "xmp": "http://ns.adobe.com/xap/1.0/",
}


def xmp_properties(reader: PdfReader) -> dict[str, str]:
    """The XMP properties as {"prefix:name": text}, whether written as attributes of
    rdf:Description or as elements; a list (rdf:Alt, rdf:Seq, rdf:Bag) as its items joined by
    "; "."""
    metadata = reader.trailer["/Root"].get("/Metadata")
    if metadata is None:
        return {}
    prefixes = {"{" + uri + "}": prefix for prefix, uri in XMP_NAMESPACES.items()}

    def name(tag: str) -> str | None:
        for ns, prefix in prefixes.items():
            if tag.startswith(ns):
                return f"{prefix}:{tag[len(ns) :]}"
        return None

    found: dict[str, str] = {}
    for description in ET.fromstring(metadata.get_object().get_data()).iter(RDF + "Description"):
        for key, value in description.attrib.items():
            if (prop := name(key)) is not None:
                found[prop] = value
        for child in description:
            if (prop := name(child.tag)) is not None:
                items = [li.text or "" for li in child.iter(RDF + "li")]
                found[prop] = "; ".join(items) if items else (child.text or "").strip()
    return found


def pdfa_identification(reader: PdfReader) -> dict[str, str]:
    """pdfaid:part and pdfaid:conformance from the XMP."""
    xmp = xmp_properties(reader)
    return {key: xmp[f"pdfaid:{key}"] for key in ("part", "conformance") if f"pdfaid:{key}" in xmp}


def department_pdfs(folder: Path, data: dict[str, Any]) -> list[tuple[dict[str, Any], Path]]:
    return [(d, folder / f"{d['slug']}.pdf") for d in data["departments"]]


def unit(kpi: dict[str, Any]) -> Unit:
    return Unit(kpi["unit_kind"], kpi["unit"], kpi["currency"])


def kpis(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [k for d in data["departments"] for k in d["kpis"]]


# --- the tests ----------------------------------------------------------------------------------


def test_qpdf_check_passes_on_every_pdf(built: Built) -> None:
    pdfs = built.all_pdfs()
    # 2 samples x (4 departments + board pack), the PDF/A sample again, the markup workbook
    assert len(pdfs) >= 2 * 5 + 5 + 2
    problems = []
    for pdf in pdfs:
        check = subprocess.run(["qpdf", "--check", str(pdf)], capture_output=True, text=True)
        if check.returncode != 0:  # 2: errors, 3: warnings
            problems.append(f"{pdf} (exit {check.returncode}):\n{check.stdout}{check.stderr}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("sample", SAMPLE_NAMES)
def test_page_counts_and_page_x_of_y_footers(built: Built, sample: str) -> None:
    folder, data, expect = built.folder(sample), built.results(sample), EXPECT[sample]
    problems = []
    pdfs = [p for _d, p in department_pdfs(folder, data)] + [folder / "board-pack.pdf"]
    for pdf in pdfs:
        total = len(PdfReader(pdf).pages)
        texts = page_texts(pdf)
        assert len(texts) == total, pdf
        minimum = len(data["departments"]) + 2 if pdf.stem == "board-pack" else 1
        if total < minimum:
            problems.append(f"{pdf.name}: {total} pages, expected at least {minimum}")
        for n, text in enumerate(texts, start=1):
            footer = expect.footer.format(n=n, total=total)
            if footer not in norm(text):
                problems.append(f"{pdf.name} page {n}: no {footer!r} in {norm(text)[-200:]!r}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("sample", SAMPLE_NAMES)
def test_board_pack_contents_page_numbers_lead_to_the_departments(
    built: Built, sample: str
) -> None:
    folder, data = built.folder(sample), built.results(sample)
    pdf = folder / "board-pack.pdf"
    bookmarks = {title: page for _depth, title, page in outline(PdfReader(pdf))}
    texts = page_texts(pdf)
    contents = subprocess.run(
        ["pdftotext", "-layout", "-f", "2", "-l", "2", str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert get_locale(data["language"]).gettext("Contents") in contents
    for dept in data["departments"]:
        name = dept["name"]
        listed = re.search(rf"^\s*{re.escape(name)}[\s.]+(\d+)\s*$", contents, re.MULTILINE)
        assert listed, f"{name} is not in the contents:\n{contents}"
        page = int(listed.group(1))
        assert bookmarks.get(name) == page - 1, f"{name}: contents say page {page}"
        assert name in norm(texts[page - 1]), f"{name} is not on page {page}"


@pytest.mark.parametrize("sample", SAMPLE_NAMES)
def test_every_link_leads_where_it_says(built: Built, sample: str) -> None:
    """The board pack is put together from separately rendered parts: every internal link, also
    from the contents and the summary table to a department and from a department's KPI table to
    its card, must reach a named destination on the page that shows its target."""
    folder, data = built.folder(sample), built.results(sample)
    names = {d["name"]: d["slug"] for d in data["departments"]}
    kpis = {k["id"]: k["name"] for d in data["departments"] for k in d["kpis"]}
    for pdf in [
        folder / "board-pack.pdf",
        *(folder / f"{d['slug']}.pdf" for d in data["departments"]),
    ]:
        reader = PdfReader(pdf)
        texts = [norm(t) for t in page_texts(pdf)]
        destinations = reader.named_destinations
        links = 0
        for number, page in enumerate(reader.pages):
            for annotation in page.get("/Annots") or []:
                annotation = annotation.get_object()
                if annotation.get("/Subtype") != "/Link":
                    continue
                action = annotation.get("/A") or {}
                assert "kpireport-anchor" not in str(action.get("/URI", "")), pdf.name
                name = str(annotation.get("/Dest", ""))
                assert name, f"{pdf.name} page {number + 1}: a link without a destination"
                assert name in destinations, f"{pdf.name}: link to {name!r}, which is nowhere"
                target = reader.get_destination_page_number(destinations[name])
                if name.startswith("dept-"):
                    (dept,) = [n for n, slug in names.items() if f"dept-{slug}" == name]
                    assert norm(dept) in texts[target], f"{pdf.name}: {name} -> page {target + 1}"
                elif name.startswith("kpi-"):
                    kpi = kpis[unquote(name[len("kpi-") :])]
                    assert norm(kpi) in texts[target], f"{pdf.name}: {name} -> page {target + 1}"
                links += 1
        # the department's KPI table links to each card; the board pack also has the contents
        # and the summary table linking to each department
        expected = len(kpis) + 2 * len(names) if pdf.name == "board-pack.pdf" else 1
        assert links >= expected, f"{pdf.name}: only {links} links"


@pytest.mark.parametrize("sample", SAMPLE_NAMES)
def test_text_has_every_kpi_and_locale_formatted_numbers(built: Built, sample: str) -> None:
    folder, data, expect = built.folder(sample), built.results(sample), EXPECT[sample]
    lang = data["language"]
    assert lang == expect.lang
    loc = get_locale(lang)
    report_date = fmt.date(dt.date.fromisoformat(data["report_date"]), loc)
    board = text_of(folder / "board-pack.pdf")
    problems = []

    def want(where: str, text: str, expected: str, *, squashed: bool = False) -> None:
        found = squash(expected) in squash(text) if squashed else norm(expected) in text
        if not found:
            problems.append(f"{where}: {expected!r} not found")

    want("board pack", board, report_date)
    want("board pack", board, fmt.percent(data["summary"]["score"], loc))
    for dept, pdf in department_pdfs(folder, data):
        text = text_of(pdf)
        want(pdf.name, text, dept["name"])
        want(pdf.name, text, report_date)
        want(pdf.name, text, fmt.percent(dept["score"], loc))
        want("board pack", board, fmt.percent(dept["score"], loc))
        for kpi in dept["kpis"]:
            want(pdf.name, text, kpi["name"], squashed=True)
            want("board pack", board, kpi["name"], squashed=True)
            want(pdf.name, text, fmt.date(dt.date.fromisoformat(kpi["deadline"]), loc))
            for key in ("current", "target", "baseline"):
                if kpi[key] is not None:
                    want(pdf.name, text, fmt.value(kpi[key], unit(kpi), loc))
                    want("board pack", board, fmt.value(kpi[key], unit(kpi), loc))
    assert not problems, "\n".join(problems)

    # The reader's conventions, spelled out: a large amount with its thousands separators and
    # a percentage with a decimal, in this language and not in the other one.
    other = "da" if lang == "en" else "en"
    money = next(
        k for k in kpis(data) if k["unit_kind"] == "currency" and k["current"] >= 1_000_000
    )
    percent = next(  # one with a decimal: 87.9 %, not 88 %
        k for k in kpis(data) if k["unit_kind"] == "percent" and round(k["current"] * 1000) % 10
    )
    for kpi, shape in ((money, expect.currency), (percent, expect.percent)):
        shown = norm(fmt.value(kpi["current"], unit(kpi), loc))
        assert re.fullmatch(shape, shown), f"{kpi['id']}: {shown!r} is not {shape}"
        assert shown in board
        assert shown in text_of(folder / f"{_slug_of(data, kpi)}.pdf")
        foreign = norm(fmt.value(kpi["current"], unit(kpi), get_locale(other)))
        assert foreign not in board, f"{kpi['id']}: {foreign!r} ({other}) in a {lang} report"


def _slug_of(data: dict[str, Any], kpi: dict[str, Any]) -> str:
    return next(d["slug"] for d in data["departments"] if kpi in d["kpis"])


def test_locale_spot_checks(built: Built) -> None:
    """The examples from the brief, literally: what a Danish and an English reader see."""
    da = text_of(built.folder("fjordsol-da") / "board-pack.pdf")
    en = text_of(built.folder("acme-en") / "board-pack.pdf")
    for shown in ("87,9 %", "3.051.000 kr.", "31. okt. 2026"):  # SALG-03's October
        assert shown in da
    for shown in ("DKK 4,464,000", "86.8%", "30 Sept 2026"):
        assert shown in en


@pytest.mark.parametrize("sample", SAMPLE_NAMES)
def test_bookmarks(built: Built, sample: str) -> None:
    folder, data = built.folder(sample), built.results(sample)
    loc = get_locale(data["language"])
    board = outline(PdfReader(folder / "board-pack.pdf"))
    top = [title for depth, title, _page in board if depth == 0]
    headings = (loc.gettext("Contents"), loc.gettext("Executive summary"))
    for wanted in (*headings, *(d["name"] for d in data["departments"])):
        assert wanted in top, f"board pack: no bookmark {wanted!r} in {top}"
    titles = [title for _depth, title, _page in board]
    for kpi in kpis(data):
        assert kpi["name"] in titles
    for dept, pdf in department_pdfs(folder, data):
        marks = outline(PdfReader(pdf))
        assert (0, dept["name"], 0) in marks, f"{pdf.name}: {marks}"
        titles = [title for _depth, title, _page in marks]
        for kpi in dept["kpis"]:
            assert kpi["name"] in titles, f"{pdf.name}: no bookmark {kpi['name']!r}"


@pytest.mark.parametrize("sample", SAMPLE_NAMES)
def test_metadata_and_colophon(built: Built, sample: str) -> None:
    folder, data = built.folder(sample), built.results(sample)
    loc = get_locale(data["language"])
    # results.json names the workbook the reports were made from, by its hash
    assert data["sha256"] == hashlib.sha256((SAMPLES / f"{sample}.xlsx").read_bytes()).hexdigest()
    pdfs = [(d, p) for d, p in department_pdfs(folder, data)] + [(None, folder / "board-pack.pdf")]
    for dept, pdf in pdfs:
        reader = PdfReader(pdf)
        info = reader.metadata
        assert info is not None, pdf.name
        assert info.get("/Author") == data["company"], pdf.name
        assert data["title"] in info.get("/Title", ""), pdf.name
        assert data["company"] in info.get("/Subject", ""), pdf.name
        keywords = info.get("/Keywords", "")
        if dept is None:
            assert loc.gettext("Board pack") in info["/Title"]
            names = [d["name"] for d in data["departments"]]
        else:
            assert dept["name"] in info["/Title"], pdf.name
            names = [dept["name"]] + [k["name"] for k in dept["kpis"]]
        for name in names:
            assert name in keywords, f"{pdf.name}: {name!r} not in /Keywords {keywords!r}"
        assert reader.trailer["/Root"].get("/Lang") == data["language"], pdf.name
        # which kpireport made it, from which workbook: in the metadata and in the colophon at
        # the end, for whoever holds it printed
        blob = " ".join(str(v) for v in info.values())
        last = squash(page_texts(pdf)[-1])
        assert f"kpireport {__version__}" in blob, f"{pdf.name}: no version in {dict(info)}"
        assert squash(f"kpireport {__version__}") in last, f"{pdf.name}: no version at the end"
        assert data["workbook"] in last, f"{pdf.name}: no workbook name at the end"
        if dept is None:
            # The workbook's SHA-256 only in the board pack, which is rebuilt whenever the
            # workbook changes; a department's PDF stays as it is when another one's data
            # changes (commit 01b4137), so it cannot carry the hash.
            assert data["sha256"] in blob, f"{pdf.name}: no source SHA-256 in {dict(info)}"
            # printed in the footer of the last page (issue 15: no build details on the
            # summary the board reads first), not on the summary page
            assert data["sha256"] in last, f"{pdf.name}: no source SHA-256 on the last page"
            assert data["sha256"] not in squash(page_texts(pdf)[2]), "a hash on the summary"


def pdffonts(pdf: Path) -> list[dict[str, str]]:
    """``pdffonts`` as rows {name, type, encoding, emb, sub, uni, ...}, cut at the dashes."""
    lines = subprocess.run(
        ["pdffonts", str(pdf)], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    header, dashes, *rows = lines
    spans = [m.span() for m in re.finditer(r"-+", dashes)]
    keys = [header[a:b].strip() for a, b in spans]
    keys[-1] = "object"
    return [{k: row[a:b].strip() for k, (a, b) in zip(keys, spans, strict=True)} for row in rows]


def test_every_font_is_embedded_and_inter_is_used(built: Built) -> None:
    problems = []
    for pdf in built.all_pdfs():
        fonts = pdffonts(pdf)
        if not fonts:
            problems.append(f"{pdf}: no fonts")
        problems += [f"{pdf}: {f['name']} not embedded" for f in fonts if f["emb"] != "yes"]
        if not any("Inter" in f["name"] for f in fonts):
            problems.append(f"{pdf}: Inter not used ({[f['name'] for f in fonts]})")
    assert not problems, "\n".join(problems)


def test_pdfa_board_pack_carries_results_json_and_pdfa_identification(built: Built) -> None:
    folder = built.folder(PDFA_SAMPLE, built.pdfa)
    reader = PdfReader(folder / "board-pack.pdf")
    attachments = reader.attachments
    assert "results.json" in attachments, list(attachments)
    (attached,) = attachments["results.json"]
    assert json.loads(attached) == built.results(PDFA_SAMPLE)
    # PDF/A-3 wants each attachment's relationship to the document and its MIME type
    root = reader.trailer["/Root"]
    assert "/AF" in root, "no /AF (associated files) in the catalogue"
    # (WeasyPrint 70 lists the one file specification twice in /AF)
    specs = {s.idnum: s.get_object() for s in root["/AF"]}
    assert [spec["/F"] for spec in specs.values()] == ["results.json"]
    (spec,) = specs.values()
    assert spec["/AFRelationship"] in (
        "/Source",
        "/Data",
        "/Alternative",
        "/Supplement",
        "/Unspecified",
    )
    assert spec["/EF"]["/F"].get_object()["/Subtype"] == "/application/json"
    assert "/OutputIntents" in root
    pdfs = sorted(folder.glob("*.pdf"))
    assert len(pdfs) == len(built.results(PDFA_SAMPLE)["departments"]) + 1
    for pdf in pdfs:
        assert pdfa_identification(PdfReader(pdf)) == {"part": "3", "conformance": "B"}, pdf.name


# The document information entries and the XMP properties PDF/A wants to say the same
# (ISO 19005-2/-3, 6.6.2.3.1); veraPDF would check this, but it is not packaged for Debian.
INFO_TO_XMP = {
    "/Title": "dc:title",
    "/Author": "dc:creator",
    "/Subject": "dc:description",
    "/Keywords": "pdf:Keywords",
    "/Creator": "xmp:CreatorTool",
    "/Producer": "pdf:Producer",
}


def test_pdfa_document_info_matches_the_xmp(built: Built) -> None:
    for pdf in sorted(built.folder(PDFA_SAMPLE, built.pdfa).glob("*.pdf")):
        reader = PdfReader(pdf)
        info, xmp = reader.metadata or {}, xmp_properties(reader)
        for key, prop in INFO_TO_XMP.items():
            if key in info:
                assert xmp.get(prop) == info[key], f"{pdf.name}: {key} {info[key]!r} vs {prop}"


def test_normal_pdfs_are_not_labelled_pdfa(built: Built) -> None:
    board = PdfReader(built.folder(PDFA_SAMPLE) / "board-pack.pdf")
    assert pdfa_identification(board) == {}
    assert "results.json" not in board.attachments


LINETO = re.compile(rb"(?:^|\s)-?[\d.]+\s+-?[\d.]+\s+l(?=\s)")


def _drawn(page: Any) -> list[bytes]:
    """What a page draws: its content stream and those of the form XObjects it uses, decoded."""
    streams = [page.get_contents().get_data()]
    for xobject in page["/Resources"].get("/XObject", {}).values():
        xobject = xobject.get_object()
        if xobject["/Subtype"] == "/Form":
            streams.append(xobject.get_data())
    return streams


def _line_segments(page: Any) -> int:
    """``x y l`` (line to) operators on a page and in the form XObjects it draws; a regular
    expression over the decoded streams, many times faster than parsing them with pypdf."""
    return sum(len(LINETO.findall(data)) for data in _drawn(page))


# The most a page of these samples may draw, decoded: their fullest pages draw about 80 KB.
# The contents page drew 770 KB when its dotted rules were a border (WeasyPrint draws a border
# dotted on one side a path a dot, and took 0.8 s to lay out a 40-department contents).
MOST_DRAWN = 200_000


def test_no_page_draws_far_more_than_it_shows(built: Built) -> None:
    heavy = []
    for pdf in built.all_pdfs():
        for n, page in enumerate(PdfReader(pdf).pages, start=1):
            size = sum(map(len, _drawn(page)))
            if size > MOST_DRAWN:
                heavy.append(f"{pdf.name} page {n}: {size:,} bytes drawn")
    assert not heavy, "\n".join(heavy)


@pytest.mark.parametrize("sample", SAMPLE_NAMES)
def test_charts_are_vector_paths_not_images(built: Built, sample: str) -> None:
    folder, data = built.folder(sample), built.results(sample)
    logos = [data["logo"], *(d["logo"] for d in data["departments"])]
    logo_sizes = set()
    for name in filter(None, logos):
        with Image.open(SAMPLES / name) as logo:
            logo_sizes.add(logo.size)
    for dept, pdf in [*department_pdfs(folder, data), (None, folder / "board-pack.pdf")]:
        reader = PdfReader(pdf)
        lines = 0
        for n, page in enumerate(reader.pages, start=1):
            for image in page.images:
                # the only pictures are the logos: a chart is never a bitmap
                assert image.image is not None
                assert image.image.size in logo_sizes, f"{pdf.name} page {n}: {image.name}"
            lines += _line_segments(page)
        # each chart's line through its measured values is a path: a segment per step
        chart_kpis = dept["kpis"] if dept else kpis(data)
        steps = sum(max(len(k["series"]) - 1, 0) for k in chart_kpis)
        assert lines >= steps, f"{pdf.name}: {lines} line segments for {steps} steps"


def test_sample_without_logo_has_no_images_at_all(built: Built) -> None:
    data = built.results("fjordsol-da")
    assert data["logo"] is None and not any(d["logo"] for d in data["departments"])
    for pdf in sorted(built.folder("fjordsol-da").glob("*.pdf")):
        reader = PdfReader(pdf)
        assert [len(page.images) for page in reader.pages] == [0] * len(reader.pages), pdf.name


def test_first_page_is_not_blank(built: Built, tmp_path: Path) -> None:
    problems = []
    for i, pdf in enumerate(built.all_pdfs()):
        prefix = tmp_path / f"page{i}"
        options = ["-png", "-r", "50", "-f", "1", "-l", "1", "-singlefile"]
        subprocess.run(["pdftoppm", *options, str(pdf), str(prefix)], check=True)
        with Image.open(prefix.with_suffix(".png")) as image:
            grey = image.convert("L")
            low, high = grey.getextrema()
            inked = sum(grey.histogram()[:200]) / (grey.width * grey.height)
        if low == high:
            problems.append(f"{pdf}: page 1 is a single colour ({low})")
        elif inked < 0.005:
            problems.append(f"{pdf}: page 1 is almost blank ({inked:.2%} inked)")
    assert not problems, "\n".join(problems)


def test_markup_in_a_kpi_name_is_literal_text(built: Built) -> None:
    folder = built.folder("hostile", built.hostile)
    for pdf in (folder / "sales.pdf", folder / "board-pack.pdf"):
        text = text_of(pdf)
        assert squash(HOSTILE_KPI) in squash(text), pdf.name
        assert HOSTILE_COMPANY in text, pdf.name
        assert "&amp;" not in text and "&lt;" not in text, pdf.name
        reader = PdfReader(pdf)
        assert reader.metadata is not None
        assert reader.metadata["/Author"] == HOSTILE_COMPANY
        assert HOSTILE_KPI in [title for _d, title, _p in outline(reader)], pdf.name
    keywords = PdfReader(folder / "sales.pdf").metadata["/Keywords"]
    assert HOSTILE_KPI in keywords


def test_every_results_json_follows_the_schema(built: Built) -> None:
    """The results.json files of the sample builds, and the one attached to the PDF/A board pack,
    against docs/results.schema.json."""
    assert len(list(built.normal.rglob("results.json"))) == 2
    problems = results_files_problems(built.normal)
    pack = PdfReader(built.folder(PDFA_SAMPLE, built.pdfa) / "board-pack.pdf")
    (attached,) = pack.attachments["results.json"]
    problems += schema_problems(json.loads(attached))
    assert not problems, "\n".join(problems)


# --- no text drawn over other text -------------------------------------------------------------


def _word_boxes(pdf: Path) -> list[list[tuple[float, float, float, float, str]]]:
    """Per page, each word's box (x min, y min, x max, y max) and text, from pdftotext -bbox."""
    out = subprocess.run(
        ["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    word = re.compile(
        r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>'
    )
    return [
        [(float(a), float(b), float(c), float(d), t) for a, b, c, d, t in word.findall(page)]
        for page in out.split("<page ")[1:]
    ]


def test_no_word_is_drawn_over_another(built: Built) -> None:
    """What the eye catches first in a table: a value that runs into the next column. Seen:
    a score KPI's trend "−0.3 points" over its benchmark "−0.6 points" (the table's nowrap),
    in both samples. Two words overlap when their boxes share more than half a point across
    and a third of a line's height down."""
    found = []
    for pdf in built.all_pdfs():
        for number, words in enumerate(_word_boxes(pdf), start=1):
            for a, b in itertools.combinations(words, 2):
                across = min(a[2], b[2]) - max(a[0], b[0])
                down = min(a[3], b[3]) - max(a[1], b[1])
                if across > 0.5 and down > 0.3 * min(a[3] - a[1], b[3] - b[1]):
                    found.append(f"{pdf.name} page {number}: {a[4]!r} over {b[4]!r}")
    assert not found, "\n".join(found)
