"""kpireport/issues/: ``Issue`` and ``ValidationReport``, the message arguments (args.py) and the
catalogue of codes (catalogue.py).

The catalogue is checked for what every caller relies on: each code has a severity, a message and
a hint, every placeholder can be filled (in every language) and is filled by the issues real
workbooks produce, and docs/workbook-format.md lists each code with its severity and a message the
catalogue can produce. The report's order (sheet order, whole-sheet problems first, row before
column, errors before warnings) and its JSON form are pinned on plain inputs.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import string
import zipfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl.utils import get_column_letter

from kpireport.errors import WorkbookError
from kpireport.i18n import LANGUAGES, Locale, get_locale
from kpireport.issues import (
    CATALOG,
    ERROR,
    SMART_LETTERS,
    WARNING,
    Alternative,
    Date,
    Issue,
    LanguageList,
    Number,
    Percent,
    Plural,
    Text,
    ValidationReport,
    Value,
    Word,
    group_by_sheet,
)
from kpireport.issues.args import fill
from kpireport.schema import Unit
from kpireport.validate import check
from tests.conftest import ROOT, SAMPLES

EN, DA, SV = get_locale("en"), get_locale("da"), get_locale("sv")
ALL_LOCALES = [get_locale(code) for code in LANGUAGES]


def templates(code: str) -> list[str]:
    """The English message (both forms of a plural one) and hint of ``code``."""
    entry = CATALOG[code]
    texts = list(entry.text) if isinstance(entry.text, tuple) else [entry.text]
    return [*texts, entry.hint]


def translated(code: str, locale: Locale) -> list[str]:
    """The message forms and hint of ``code`` as ``locale`` has them."""
    entry = CATALOG[code]
    if isinstance(entry.text, tuple):
        texts = [locale.ngettext(*entry.text, n) for n in (1, 2, 5)]
    else:
        texts = [locale.gettext(entry.text)]
    return [*texts, locale.gettext(entry.hint)]


def fields(template: str) -> list[tuple[str, str | None, str | None]]:
    """(name, conversion, format spec) of every ``{field}`` in ``template``."""
    return [
        (name, conversion, spec)
        for _literal, name, spec, conversion in string.Formatter().parse(template)
        if name is not None
    ]


def names(template: str) -> set[str]:
    return {name for name, _conversion, _spec in fields(template)}


# --- Issue ----------------------------------------------------------------------------------


def test_an_unknown_code_is_refused() -> None:
    with pytest.raises(KeyError, match="no-such-code"):
        Issue("no-such-code", "KPIs", "A1")


def test_severity_comes_from_the_code() -> None:
    assert Issue("bad-date", "KPIs", "H2").severity == ERROR
    assert Issue("bad-color", "Departments", "D2").severity == WARNING
    assert Issue("T-no-deadline", "KPIs", "H2").severity == WARNING


@pytest.mark.parametrize(
    ("code", "letter"),
    [
        ("S-no-owner", "S"),
        ("M-few-measurements", "M"),
        ("A-unrealistic-pace", "A"),
        ("R-unknown-department", "R"),
        ("T-deadline-passed", "T"),
        ("bad-date", None),
        ("missing-sheet", None),  # the letter must be the whole first part, in capitals
    ],
)
def test_smart_letter(code: str, letter: str | None) -> None:
    assert Issue(code, "KPIs", "A2").smart == letter


@pytest.mark.parametrize(
    ("sheet", "cell", "where"),
    [("KPIs", "C4", "KPIs!C4"), ("KPIs", None, "KPIs"), (None, None, ""), (None, "C4", "")],
)
def test_where(sheet: str | None, cell: str | None, where: str) -> None:
    assert Issue("bad-date", sheet, cell).where == where


def test_message_and_hint_in_every_language() -> None:
    issue = Issue("bad-direction", "KPIs", "F5", {"value": "up-ish"})
    assert issue.message() == "'up-ish' is not a direction."
    assert issue.hint() == "Write 'higher' (higher is better) or 'lower' (lower is better)."
    assert issue.message("da") == "'up-ish' er ikke en retning."
    assert issue.hint(DA) == "Skriv 'højere' (højere er bedre) eller 'lavere' (lavere er bedre)."
    # a Swede writes the workbook in English or Danish: the values to type stay English
    assert issue.hint("sv") == "Skriv 'higher' (högre är bättre) eller 'lower' (lägre är bättre)."
    # any spelling of a language; one kpireport does not have is English
    assert issue.message("Danish") == issue.message("da-DK") == issue.message(DA)
    assert issue.message("fr") == issue.message("en")


@pytest.mark.parametrize(
    ("count", "en", "da"),
    [
        (1, "1 formula cell on this sheet holds a result", "1 formelcelle på dette ark har et"),
        (2, "2 formula cells on this sheet hold results", "2 formelceller på dette ark har"),
        (12, "12 formula cells on this sheet hold results", "12 formelceller på dette ark"),
    ],
)
def test_a_message_with_a_count_takes_its_plural_form(count: int, en: str, da: str) -> None:
    issue = Issue("formula-not-calculated", "KPIs", "B2", {"count": count})
    assert issue.message().startswith(en)
    assert issue.message("da").startswith(da)
    assert issue.message("sv").startswith(f"{count} formelcell")


def test_message_arguments_are_shown_in_the_readers_language() -> None:
    issue = Issue(
        "T-deadline-passed",
        "KPIs",
        "H6",
        {"deadline": Date(dt.date(2025, 12, 31)), "report_date": Date(dt.date(2026, 9, 30))},
    )
    assert issue.message() == (
        "Time-bound: the deadline 31 Dec 2025 passed before the report date 30 Sept 2026."
    )
    assert "31. dec. 2025" in issue.message("da") and "30. sep. 2026" in issue.message("da")
    assert "31 dec. 2025" in issue.message("sv")


def test_a_contract_name_follows_the_reader() -> None:
    issue = Issue(
        "missing-column",
        "KPIs",
        "A1",
        {
            "sheet": "KPIs",  # the workbook's own sheet name: shown as written
            "column": Word("target", "mål"),
            "other": Alternative("target", "mål"),
            "row": 1,
        },
    )
    assert issue.message() == "The 'KPIs' sheet has no 'target' column (headers are in row 1)."
    assert issue.hint() == "Add a column headed 'target' (or 'mål') to row 1."
    assert issue.message("da") == (
        "Arket 'KPIs' har ingen kolonne 'mål' (overskrifterne står i række 1)."
    )
    assert (
        issue.hint("da") == "Tilføj en kolonne med overskriften 'mål' (eller 'target') i række 1."
    )
    assert "'target' (eller 'mål')" in issue.hint("sv")


def test_a_missing_argument_shows_as_nothing() -> None:
    # fill's promise: a message is never lost to a KeyError; the tests below check that real
    # issues never rely on it
    assert Issue("bad-date", "KPIs", "H2").message() == "'' is not a date."


def test_to_dict() -> None:
    issue = Issue("bad-direction", "KPIs", "F5", {"value": "up-ish"})
    assert issue.to_dict("da") == {
        "code": "bad-direction",
        "severity": "error",
        "sheet": "KPIs",
        "cell": "F5",
        "message": "'up-ish' er ikke en retning.",
        "hint": "Skriv 'højere' (højere er bedre) eller 'lavere' (lavere er bedre).",
    }
    assert issue.to_dict()["message"] == "'up-ish' is not a direction."


def test_an_issue_is_a_frozen_value() -> None:
    issue = Issue("bad-date", "KPIs", "H2", {"value": "x"})
    assert issue == Issue("bad-date", "KPIs", "H2", {"value": "x"})
    assert issue != Issue("bad-date", "KPIs", "H3", {"value": "x"})
    with pytest.raises(dataclasses.FrozenInstanceError):
        issue.cell = "H3"  # type: ignore[misc]


# --- the message arguments ------------------------------------------------------------------


def test_text_is_translated_and_filled_from_its_own_arguments() -> None:
    assert Text("the zip directory").render(EN) == "the zip directory"
    assert Text("the zip directory").render(DA) != "the zip directory"
    phrase = Text(" (did you mean '{name}'?)", name="SALES-02")
    assert phrase.render(EN) == " (did you mean 'SALES-02'?)"
    assert "'SALES-02'" in phrase.render(DA) and phrase.render(DA) != phrase.render(EN)


def test_text_arguments_are_rendered_too() -> None:
    nested = Text(" (did you mean '{name}'?)", name=Word("measurements", "målinger"))
    assert nested.render(EN) == " (did you mean 'measurements'?)"
    assert "'målinger'" in nested.render(DA)


def test_text_equality_hash_and_repr() -> None:
    a = Text("the sheet '{sheet}'", sheet="KPIs")
    assert a == Text("the sheet '{sheet}'", sheet="KPIs")
    assert hash(a) == hash(Text("the sheet '{sheet}'", sheet="KPIs"))
    assert a != Text("the sheet '{sheet}'", sheet="Measurements")
    assert a != Text("the sheet '{name}'", sheet="KPIs")
    assert a != "the sheet '{sheet}'"
    assert repr(a) == "Text(\"the sheet '{sheet}'\", **{'sheet': 'KPIs'})"


@pytest.mark.parametrize(
    ("locale", "one", "three", "zero"),
    [
        (EN, "1 month", "3 months", "0 months"),
        (DA, "1 måned", "3 måneder", "0 måneder"),
        (SV, "1 månad", "3 månader", "0 månader"),
    ],
)
def test_plural_follows_the_count(locale: Locale, one: str, three: str, zero: str) -> None:
    assert Plural("{n} month", "{n} months", 1).render(locale) == one
    assert Plural("{n} month", "{n} months", 3).render(locale) == three
    assert Plural("{n} month", "{n} months", 0).render(locale) == zero


def test_word_is_the_danish_name_only_to_a_danish_reader() -> None:
    word = Word("measurements", "målinger")
    assert word.render(DA) == "målinger"
    assert word.render(EN) == word.render(SV) == "measurements"


def test_alternative_names_the_other_workbook_language() -> None:
    alt = Alternative("measurements", "målinger")
    assert alt.render(EN) == " (or 'målinger')"
    assert alt.render(DA) == " (eller 'measurements')"
    assert alt.render(SV) == " (eller 'målinger')"  # Swedish readers write Danish or English
    # a name spelled the same in both languages has no alternative
    assert Alternative("kpi", "kpi").render(EN) == Alternative("id", "id").render(DA) == ""


def test_language_list_names_every_language_in_the_readers_language() -> None:
    assert LanguageList().render(EN) == "en (English), da (Danish) or sv (Swedish)"
    assert LanguageList().render(DA) == "en (engelsk), da (dansk) eller sv (svensk)"
    assert LanguageList().render(SV) == "en (engelska), da (danska) eller sv (svenska)"
    for locale in ALL_LOCALES:
        shown = LanguageList().render(locale)
        assert all(f"{code} (" in shown for code in LANGUAGES)
    assert LanguageList() == LanguageList() and hash(LanguageList()) == hash(LanguageList())
    assert LanguageList() != "en, da or sv"


def test_date_number_percent_and_value_follow_the_language() -> None:
    when = Date(dt.date(2026, 3, 15))
    assert [when.render(loc) for loc in (EN, DA, SV)] == [
        "15 Mar 2026",
        "15. mar. 2026",
        "15 mars 2026",
    ]
    assert [Number(1234.567).render(loc) for loc in (EN, DA)] == ["1,234.57", "1.234,57"]
    assert Number(3.14159, 0, " pp").render(DA) == "3 pp"
    assert Number(2.5, 1, " pp").render(EN) == "2.5 pp"
    assert [Percent(0.95).render(loc) for loc in (EN, DA)] == ["95%", "95\xa0%"]
    dkk = Unit("currency", "DKK", "DKK")
    assert Value(2_150_000, dkk).render(EN) == "DKK 2,150,000"
    assert Value(2_150_000, dkk).render(DA) == "2.150.000 kr."


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (0.000123, "0.00012"),
        (-0.000123, "-0.00012"),
        (0.001234, "0.0012"),
        (0.0099, "0.0099"),
        (1e-10, "0.0000000001"),
        (0.01, "0.01"),  # not tiny: the two decimals show it
        (0, "0"),
    ],
)
def test_a_tiny_number_keeps_two_significant_digits(value: float, shown: str) -> None:
    assert Number(value).render(EN) == shown


@given(
    st.floats(min_value=1e-300, max_value=0.0099, allow_nan=False, allow_infinity=False),
    st.sampled_from([1, -1]),
)
def test_a_tiny_number_is_never_shown_as_zero(magnitude: float, sign: int) -> None:
    """Two significant digits: the number shown is within 5% of the value, in any language."""
    from babel.numbers import parse_decimal

    value = sign * magnitude
    for locale in (EN, DA):
        shown = Number(value).render(locale)
        back = float(parse_decimal(shown, locale=locale.babel))
        assert back != 0 and (back > 0) == (value > 0)
        assert abs(back - value) <= 0.05 * abs(value)


def test_fill() -> None:
    args = {"name": "x", "count": 3, "when": Date(dt.date(2026, 1, 2))}
    assert fill("{name} {count} {when}", args, DA) == "x 3 2. jan. 2026"
    assert fill("{name}{missing}!", args, EN) == "x!"
    assert fill("{{literal}} {name}", args, EN) == "{literal} x"


# --- the catalogue --------------------------------------------------------------------------

CODES = sorted(CATALOG)
_CODE = re.compile(r"^(?:[SMART]-)?[a-z]+(?:-[a-z]+)*$")


@pytest.mark.parametrize("code", CODES)
def test_every_code_has_a_severity_a_message_and_a_hint(code: str) -> None:
    entry = CATALOG[code]
    assert _CODE.match(code), f"{code!r} is not a lower-case code"
    assert entry.severity in (ERROR, WARNING)
    texts = entry.text if isinstance(entry.text, tuple) else (entry.text,)
    assert len(texts) in (1, 2) and all(t.strip() for t in texts)
    assert entry.hint.strip()
    if isinstance(entry.text, tuple):
        # a count picks the form: both forms show it and take the same arguments
        assert all("{count}" in t for t in texts) and names(texts[0]) == names(texts[1])


def test_smart_codes_are_warnings_and_each_letter_has_one() -> None:
    smart = {code: Issue(code, "KPIs", "A2").smart for code in CATALOG}
    assert {letter for letter in smart.values() if letter} == set(SMART_LETTERS)
    # issue 14 made A-met-at-baseline an error (a level to hold is a keep KPI); the rest warn
    assert all(
        CATALOG[code].severity == WARNING
        for code, letter in smart.items()
        if letter and code != "A-met-at-baseline"
    )
    assert CATALOG["A-met-at-baseline"].severity == ERROR


@pytest.mark.parametrize("locale", ALL_LOCALES, ids=lambda loc: loc.code)
def test_every_placeholder_is_a_plain_name(locale: Locale) -> None:
    """``fill`` passes rendered text: a positional ``{}``, a conversion or a format spec (which
    would fail on text, or format the English way) must not reach a template."""
    for code in CODES:
        for template in translated(code, locale):
            for name, conversion, spec in fields(template):
                assert name.isidentifier(), f"{code}: {{{name}}} in {template!r}"
                assert not conversion and not spec, f"{code}: {template!r}"


@pytest.mark.parametrize("locale", ALL_LOCALES, ids=lambda loc: loc.code)
def test_every_code_renders_with_its_arguments_in_every_language(locale: Locale) -> None:
    for code in CODES:
        args: dict[str, object] = {name: f"<{name}>" for t in templates(code) for name in names(t)}
        args["count"] = 7
        issue = Issue(code, "KPIs", "B2", args)
        message, hint = issue.message(locale), issue.hint(locale)
        assert message.strip() and hint.strip()
        assert "{" not in message + hint and "}" not in message + hint, code
        if locale.code == "en":
            for name in set(args) - {"count"}:
                assert f"<{name}>" in message + hint, f"{code}: {name} not shown"


def _unreadable_files(folder: Path) -> list[Path]:
    """One file for each way a file can fail to be a workbook that is quick to make."""
    (folder / "empty.xlsx").write_bytes(b"")
    (folder / "text.xlsx").write_text("a,b\n1,2\n")
    (folder / "data.csv").write_text("a,b\n")
    (folder / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0" + bytes(100))
    (folder / "folder.xlsx").mkdir()
    with zipfile.ZipFile(folder / "plain.xlsx", "w") as zf:
        zf.writestr("hello.txt", "hi")
    sample = (SAMPLES / "acme-en.xlsx").read_bytes()
    (folder / "truncated.xlsx").write_bytes(sample[: len(sample) // 2])
    with (
        zipfile.ZipFile(SAMPLES / "acme-en.xlsx") as src,
        zipfile.ZipFile(folder / "bad-xml.xlsx", "w") as dst,
    ):
        for info in src.infolist():
            data = src.read(info.filename)
            dst.writestr(
                info, data[: len(data) // 2] if info.filename == "xl/workbook.xml" else data
            )
    return [folder / "missing.xlsx", *sorted(p for p in folder.iterdir())]


def test_real_issues_fill_every_placeholder(tmp_path: Path) -> None:
    """The issues the samples and unreadable files produce carry an argument for every
    placeholder of their message and hint, in every language: nothing shows as blank."""
    issues = []
    for path in sorted(SAMPLES.rglob("*.xlsx")):
        issues.extend(check(path)[1].issues)
    fatal = set()
    for path in _unreadable_files(tmp_path):
        with pytest.raises(WorkbookError) as caught:
            check(path)
        issues.append(caught.value.issue)
        fatal.add(caught.value.code)
    assert fatal >= {"file-not-found", "empty-file", "not-zip", "wrong-type", "old-xls"}
    assert fatal >= {"is-folder", "not-workbook", "damaged", "bad-xml"}
    assert len({i.code for i in issues}) >= 20
    for issue in issues:
        for locale in ALL_LOCALES:
            for template in translated(issue.code, locale):
                missing = names(template) - set(issue.args)
                assert not missing, f"{issue.code} at {issue.where}: no {missing} ({locale.code})"


# --- the catalogue and docs/workbook-format.md ----------------------------------------------

_DOC_ROW = re.compile(r"^\| `([A-Za-z-]+)` \| ([^|]+) \| .+? \| (.+?) \| .+? \|$")


def _documented() -> dict[str, tuple[str, str]]:
    """code -> (severity column, example 'message → hint') of docs/workbook-format.md § 12."""
    text = (ROOT / "docs" / "workbook-format.md").read_text(encoding="utf-8")
    section = text.split("## 12. Every issue code", 1)[1].split("\n## 13.", 1)[0]
    rows = {}
    for line in section.splitlines():
        match = _DOC_ROW.match(line)
        if match:
            rows[match.group(1)] = (match.group(2).strip(), match.group(3))
    return rows


DOCUMENTED = _documented()


def test_the_docs_list_every_code_with_its_severity() -> None:
    assert set(DOCUMENTED) == set(CATALOG)
    for code, (column, _example) in DOCUMENTED.items():
        # the SMART table has the cell in that column: SMART issues are warnings, except
        # A-met-at-baseline since issue 14 (its row says "**error**")
        severity = WARNING if Issue(code, None, None).smart else column
        if code == "A-met-at-baseline":
            severity = ERROR
        assert severity == CATALOG[code].severity, code


def _pattern(template: str) -> str:
    """A regular expression for the texts ``template`` gives, whatever its arguments."""
    out = ""
    for literal, name, _spec, _conversion in string.Formatter().parse(template):
        out += re.escape(literal) + ("(.*?)" if name is not None else "")
    return out


@pytest.mark.parametrize(
    "code",
    CODES,
)
def test_the_docs_example_is_a_message_and_hint_of_the_code(code: str) -> None:
    """The example in the docs is what the catalogue says, with workbook values filled in (the
    hint may go on with other forms, or be cut short with '…')."""
    message, _, hint = DOCUMENTED[code][1].partition(" → ")
    entry = CATALOG[code]
    texts = entry.text if isinstance(entry.text, tuple) else (entry.text,)
    assert any(re.fullmatch(_pattern(t), message) for t in texts), message
    if hint.endswith(" …"):
        assert entry.hint.startswith(hint.removesuffix(" …")), hint
    else:
        assert re.match(_pattern(entry.hint), hint), hint


# --- ValidationReport -----------------------------------------------------------------------


def test_errors_warnings_valid_and_strict() -> None:
    error = Issue("bad-date", "KPIs", "H2", {"value": "x"})
    warning = Issue("S-no-owner", "KPIs", "N2", {"kpi": "SALES-01"})
    clean = ValidationReport("wb.xlsx", [])
    assert clean.valid and clean.ok() and clean.ok(strict=True)
    warned = ValidationReport("wb.xlsx", [warning])
    assert warned.valid and warned.ok() and not warned.ok(strict=True)
    assert (warned.errors, warned.warnings) == ([], [warning])
    failed = ValidationReport("wb.xlsx", [warning, error])
    assert not failed.valid and not failed.ok() and not failed.ok(strict=True)
    assert (failed.errors, failed.warnings) == ([error], [warning])


def test_sorted_issues_follow_the_sheet_order() -> None:
    issues = [
        Issue("bad-date", "Measurements", "B3"),
        Issue("bad-weight", "KPIs", "P2"),
        Issue("bad-color", "Settings", "B5"),
        Issue("bad-kind", "Benchmarks", "D2"),
        Issue("unknown-column", "Extra", "A1"),  # a sheet not in the order: after the others
        Issue("bad-email", "Departments", "C2"),
    ]
    order = ("Settings", "Departments", "KPIs", "Measurements", "Benchmarks")
    report = ValidationReport("wb.xlsx", issues, sheet_order=order)
    assert [i.sheet for i in report.sorted_issues()] == [*order, "Extra"]
    assert report.issues == issues  # sorting does not reorder the report itself


def test_whole_sheet_and_file_problems_come_first() -> None:
    """docs § 13: first problems with a whole sheet (missing-sheet, duplicate-sheet), then the
    sheets in their order."""
    issues = [
        Issue("bad-weight", "KPIs", "P2"),
        Issue("missing-sheet", "Measurements", None, {"sheet": "Measurements"}),
        Issue("duplicate-sheet", "KPI'er", None),
        Issue("bad-color", "Settings", "B5"),
    ]
    report = ValidationReport("wb.xlsx", issues, sheet_order=("Settings", "KPIs"))
    assert [(i.sheet, i.cell) for i in report.sorted_issues()] == [
        ("KPI'er", None),
        ("Measurements", None),
        ("Settings", "B5"),
        ("KPIs", "P2"),
    ]


def test_within_a_sheet_row_then_column_then_errors_first() -> None:
    cells = ["A10", "B2", "AA2", "A2", "Z2", "AB1"]
    issues = [Issue("bad-date", "KPIs", cell) for cell in cells] + [
        Issue("S-no-owner", "KPIs", "B2"),  # a warning in the same cell as an error
        Issue("bad-direction", "KPIs", "B2"),  # two errors in one cell: by code
    ]
    report = ValidationReport("wb.xlsx", issues, sheet_order=("KPIs",))
    assert [(i.cell, i.code) for i in report.sorted_issues()] == [
        ("AB1", "bad-date"),
        ("A2", "bad-date"),
        ("B2", "bad-date"),
        ("B2", "bad-direction"),
        ("B2", "S-no-owner"),
        ("Z2", "bad-date"),
        ("AA2", "bad-date"),
        ("A10", "bad-date"),
    ]


@given(
    st.lists(st.tuples(st.integers(1, 1_048_576), st.integers(1, 16_384)), min_size=1, max_size=30)
)
def test_cells_sort_by_row_then_column(positions: list[tuple[int, int]]) -> None:
    issues = [Issue("bad-date", "KPIs", f"{get_column_letter(c)}{r}") for r, c in positions]
    report = ValidationReport("wb.xlsx", issues, sheet_order=("KPIs",))
    expected = [f"{get_column_letter(c)}{r}" for r, c in sorted(positions)]
    assert [i.cell for i in report.sorted_issues()] == expected


def test_to_dict_and_json_in_the_reports_language() -> None:
    issues = [
        Issue("S-no-owner", "KPIs", "N2", {"kpi": "SALES-01"}),
        Issue("bad-direction", "KPIs", "F2", {"value": "op"}),
    ]
    report = ValidationReport("målinger.xlsx", issues, lang="da", sheet_order=("KPIs",))
    data = report.to_dict()
    assert {k: v for k, v in data.items() if k != "issues"} == {
        "path": "målinger.xlsx",
        "valid": False,
        "errors": 1,
        "warnings": 1,
    }
    assert [i["cell"] for i in data["issues"]] == ["F2", "N2"]  # sorted
    assert data["issues"][0]["message"] == "'op' er ikke en retning."
    text = report.to_json()
    assert json.loads(text) == data
    assert "målinger.xlsx" in text and "\\u" not in text  # Danish letters as they are
    assert text.startswith('{\n  "path"')


def test_an_empty_report_as_json() -> None:
    data = json.loads(ValidationReport("wb.xlsx", []).to_json())
    assert data == {"path": "wb.xlsx", "valid": True, "errors": 0, "warnings": 0, "issues": []}


def test_group_by_sheet_keeps_the_order() -> None:
    a = Issue("bad-date", "Measurements", "B3")
    b = Issue("bad-weight", "KPIs", "P2")
    c = Issue("bad-date", "Measurements", "B2")
    d = Issue("file-not-found", None, None)
    groups = group_by_sheet([a, b, c, d])
    assert list(groups) == ["Measurements", "KPIs", ""]
    assert groups == {"Measurements": [a, c], "KPIs": [b], "": [d]}
    assert group_by_sheet([]) == {}
