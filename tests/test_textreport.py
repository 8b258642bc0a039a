"""kpireport/textreport.py: the validation report as a table for the terminal.

Pinned on plain reports built from issues: the headline, counts and SMART line, the grouping by
sheet, the cut-off after MAX_PER_CODE issues of one code on one sheet, the wrapping at WIDTH, the
one line of a file that cannot be read, the --strict note, the three languages, and where a style
function puts its emphasis. Real workbooks give the line of what was read, and the examples of
docs/workbook-format.md are checked against what the module prints.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import pytest

from kpireport.errors import WorkbookError
from kpireport.issues import Issue, ValidationReport
from kpireport.textreport import MAX_PER_CODE, WIDTH, plain, render_text
from kpireport.validate import check
from tests.conftest import ROOT, SAMPLES, kpi_row

ORDER = ("Settings", "Departments", "KPIs", "Measurements", "Benchmarks")
INDENT = " " * 19  # where the message column starts


def owner(row: int = 2) -> Issue:
    return Issue("S-no-owner", "KPIs", f"N{row}", {"kpi": f"K-{row}"})


def bad_date(row: int, sheet: str = "Measurements", value: str = "31/02/2026") -> Issue:
    return Issue("bad-date", sheet, f"B{row}", {"value": value})


def report(*issues: Issue, lang: str = "en", path: str = "wb.xlsx") -> ValidationReport:
    return ValidationReport(path, list(issues), lang=lang, sheet_order=ORDER)


def tag(
    text: str,
    *,
    fg: str | None = None,
    bold: bool = False,
    underline: bool = False,
    dim: bool = False,
) -> str:
    """A style that writes its emphasis out: ``<red,bold>text</>``."""
    marks = [
        m for m, on in ((fg, fg), ("bold", bold), ("underline", underline), ("dim", dim)) if on
    ]
    return f"<{','.join(str(m) for m in marks)}>{text}</>"


# --- the table ------------------------------------------------------------------------------


def test_a_report_with_an_error_and_a_warning() -> None:
    text = render_text(report(bad_date(3), owner()))
    assert text == (
        "wb.xlsx: not valid\n"
        "  1 error, 1 warning\n"
        "  SMART warnings: S 1 · M 0 · A 0 · R 0 · T 0\n"
        "\n"
        "KPIs\n"
        "  N2     warning   Specific: KPI 'K-2' has no owner. [S-no-owner]\n"
        f"{INDENT}→ Name the person responsible for the KPI.\n"
        "\n"
        "Measurements\n"
        "  B3     error     '31/02/2026' is not a date. [bad-date]\n"
        f"{INDENT}→ Use an Excel date or text like 2026-03-15, 15-03-2026, 2026-03 (a month),\n"
        f"{INDENT}2026-Q1 (a quarter) or 2026-W05 (a week)."
    )


def test_a_valid_report() -> None:
    assert render_text(report()) == "wb.xlsx: valid\n  0 errors, 0 warnings"
    # warnings alone leave a workbook valid; errors only: no SMART line
    assert render_text(report(owner())).startswith("wb.xlsx: valid\n  0 errors, 1 warning\n")
    assert "SMART" not in render_text(report(bad_date(2), bad_date(3)))


def test_smart_line_counts_each_letter_in_order() -> None:
    issues = [
        owner(2),
        owner(3),
        Issue("T-no-deadline", "KPIs", "H2", {"kpi": "K-2"}),
        Issue("M-no-unit", "KPIs", "E2", {"kpi": "K-2"}),
        bad_date(5),  # an error: not counted
    ]
    assert "\n  SMART warnings: S 2 · M 1 · A 0 · R 0 · T 1\n" in render_text(report(*issues))


def test_issues_are_grouped_by_sheet_in_the_sheet_order() -> None:
    issues = [
        bad_date(4),
        Issue("bad-kind", "Benchmarks", "D2", {"value": "peer"}),
        owner(3),
        bad_date(2),
        Issue("bad-color", "Settings", "B5", {"value": "#fff"}),
        owner(2),
        Issue("missing-sheet", "Departments", None, {"sheet": "Departments", "other": ""}),
    ]
    # a missing sheet is not in the workbook's order of sheets
    present = tuple(sheet for sheet in ORDER if sheet != "Departments")
    lines = render_text(ValidationReport("wb.xlsx", issues, sheet_order=present)).splitlines()
    headings = [line for line in lines if line and not line.startswith(" ") and ": " not in line]
    # the whole-sheet problem first, then the sheets in their order, each once
    assert headings == ["Departments", "Settings", "KPIs", "Measurements", "Benchmarks"]
    cells = [line.split()[0] for line in lines if re.match(r"  \S+ +(error|warning) ", line)]
    assert cells == ["-", "B5", "N2", "N3", "B2", "B4", "D2"]  # rows in order within a sheet


def test_problems_without_a_sheet_are_under_file() -> None:
    issues = [
        Issue("write-failed", None, None, {"reason": "disk full"}),
        Issue("render-failed", None, None, {"document": "sales.pdf", "reason": "timeout"}),
        owner(),
    ]
    text = render_text(report(*issues))
    lines = text.splitlines()
    assert lines[4] == "File"
    assert lines.index("KPIs") > lines.index("File")
    assert "\n  -      error     The report set could not be written: disk full. [" in text
    assert "\n  -      error     sales.pdf could not be rendered: timeout. [" in text
    assert "\nFil\n" in render_text(report(*issues, lang="da"))


# --- MAX_PER_CODE ---------------------------------------------------------------------------


def shown_cells(text: str) -> list[str]:
    return re.findall(r"^  (\S+) +(?:error|warning|fejl|advarsel) ", text, re.MULTILINE)


def test_up_to_max_per_code_issues_of_a_code_are_all_shown() -> None:
    text = render_text(report(*(bad_date(r) for r in range(2, 2 + MAX_PER_CODE))))
    assert len(shown_cells(text)) == MAX_PER_CODE
    assert "more like this" not in text


def test_the_rest_is_one_line_with_its_count() -> None:
    issues = [bad_date(r) for r in range(2 + MAX_PER_CODE, 1, -1)]  # MAX_PER_CODE + 1, reversed
    text = render_text(report(*issues))
    # the first ones in the sheet are shown, the last summed up
    assert shown_cells(text) == [f"B{r}" for r in range(2, 2 + MAX_PER_CODE)]
    assert text.endswith("\n  bad-date: ... and 1 more like this (use --format json to see all)")
    assert f"  {MAX_PER_CODE + 1} errors, 0 warnings" in text  # the counts count them all


def test_the_cut_off_is_per_code_and_per_sheet() -> None:
    many = [bad_date(r) for r in range(2, 2 + MAX_PER_CODE + 3)]
    many_kpis = [bad_date(r, sheet="KPIs") for r in range(2, 2 + MAX_PER_CODE + 2)]
    numbers = [
        Issue("not-a-number", "Measurements", f"C{r}", {"value": "n/a", "column": "value"})
        for r in range(2, 5)
    ]
    text = render_text(report(*many, *many_kpis, *numbers))
    kpis, measurements = text.split("\nKPIs\n")[1].split("\nMeasurements\n")
    assert kpis.endswith("  bad-date: ... and 2 more like this (use --format json to see all)\n")
    assert measurements.endswith(
        "  bad-date: ... and 3 more like this (use --format json to see all)"
    )
    assert measurements.count("[not-a-number]") == 3  # a code below the limit: all of it
    assert measurements.count("[bad-date]") == MAX_PER_CODE


@pytest.mark.parametrize(
    ("lang", "line"),
    [
        ("en", "  bad-date: ... and 12,345 more like this (use --format json to see all)"),
        ("da", "  bad-date: ... og 12.345 mere af samme slags (brug --format json for at se alle)"),
        (
            "sv",
            "  bad-date: ... och 12\xa0345 till av samma slag"
            " (använd --format json för att se alla)",
        ),
    ],
)
def test_the_count_of_the_rest_is_in_the_languages_notation(lang: str, line: str) -> None:
    issues = [bad_date(r) for r in range(2, 2 + MAX_PER_CODE + 12_345)]
    text = render_text(report(*issues, lang=lang))
    assert text.endswith("\n" + line)
    assert len(text.splitlines()) < 50


# --- wrapping -------------------------------------------------------------------------------


def issue_lines(text: str) -> list[str]:
    """The lines of the issues: after the first sheet heading, without headings and blanks."""
    body = text.split("\n\n", 1)[1].splitlines()
    return [line for line in body if line.startswith("  ")]


@pytest.mark.parametrize(
    "value",
    [
        "word " * 60,
        "x" * 250,  # one long word is broken too
        "Ærø-Købing Ø " * 20,
    ],
)
def test_long_messages_wrap_within_the_width_under_the_message_column(value: str) -> None:
    text = render_text(report(bad_date(2, value=value)))
    lines = issue_lines(text)
    assert len(lines) > 3
    assert all(len(line) <= WIDTH for line in text.splitlines())
    assert lines[0].startswith("  B2     error     '")
    assert all(line.startswith(INDENT) and line[19] != " " for line in lines[1:])
    hints = [line for line in lines if line.startswith(INDENT + "→ ")]
    assert len(hints) == 1 and lines.index(hints[0]) < len(lines) - 1  # the hint wraps too


@pytest.mark.parametrize("padding", range(0, 100, 3))
def test_a_code_is_never_split_at_its_hyphens(padding: int) -> None:
    issue = Issue(
        "deadline-before-baseline",
        "KPIs",
        "H6",
        {"deadline": "x" * padding, "baseline_date": "1 Jan 2026", "baseline_cell": "KPIs!J6"},
    )
    lines = issue_lines(render_text(report(issue)))
    assert any("[deadline-before-baseline]" in line for line in lines), lines


def test_line_breaks_and_tabs_in_a_value_do_not_break_the_table() -> None:
    # Since issue 12 (point 7) they are shown as escapes, where they used to become spaces: a
    # reader sees what the cell holds, and no control character reaches the terminal.
    text = render_text(report(bad_date(2, value="line one\nline two\r\n\tend")))
    first = issue_lines(text)[0]
    assert first == "  B2     error     'line one\\nline two\\r\\n\\tend' is not a date. [bad-date]"
    assert all(line.startswith("  ") for line in issue_lines(text))


def test_a_long_cell_reference_keeps_the_columns() -> None:
    """A cell past row 99,999 (the reader accepts 500,000 rows) widens its sheet's cell column:
    every line stays within WIDTH and the severities and continuation lines stay in line."""
    long_one = Issue("bad-date", "Measurements", "C123456", {"value": "word " * 40})
    short_one = Issue("bad-date", "Measurements", "C2", {"value": "word " * 40})
    lines = issue_lines(render_text(report(short_one, long_one)))
    assert all(len(line) <= WIDTH for line in lines)
    firsts = [line for line in lines if line[2] != " "]
    assert [line[: 2 + 7] for line in firsts] == ["  C2     ", "  C123456"]
    assert {line.index("error") for line in firsts} == {2 + 7 + 1}
    message_column = 2 + 7 + 1 + 9 + 1
    assert all(line[:message_column].isspace() for line in lines if line not in firsts)
    assert all(line[message_column] != " " for line in lines)


# --- a file that cannot be read -------------------------------------------------------------


def test_an_unreadable_file_is_one_line() -> None:
    issue = Issue("file-not-found", None, None)
    assert render_text(report(issue, path="x.xlsx")) == "x.xlsx: No such file. Check the path."
    assert render_text(report(issue, path="x.xlsx", lang="da")) == (
        "x.xlsx: Filen findes ikke. Tjek stien."
    )
    assert render_text(report(issue, path="x.xlsx"), style=tag) == (
        "<bold>x.xlsx</>: <red>No such file.</> Check the path."
    )


def test_one_line_only_for_a_lone_problem_without_a_sheet_and_no_workbook(
    make_workbook: Callable[..., Path], sheets: dict[str, list[list[Any]]]
) -> None:
    lone = Issue("write-failed", None, None, {"reason": "disk full"})
    workbook, _ = check(make_workbook(sheets))
    # the workbook was read: the table, with its contents line
    assert render_text(report(lone), workbook).startswith("wb.xlsx: not valid\n  1 KPI in ")
    # two problems, or one on a sheet: the table
    assert render_text(report(lone, lone)).startswith("wb.xlsx: not valid\n")
    assert render_text(report(bad_date(2))).startswith("wb.xlsx: not valid\n")


def test_the_docs_example_of_an_unreadable_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """docs/workbook-format.md § 12.1 shows the line for budget.csv."""
    docs = (ROOT / "docs" / "workbook-format.md").read_text(encoding="utf-8")
    expected = re.search(r"```text\n(budget\.csv: .*)\n```", docs)
    assert expected
    monkeypatch.chdir(tmp_path)
    Path("budget.csv").write_text("a;b\n1;2\n", encoding="utf-8")
    with pytest.raises(WorkbookError) as caught:
        check("budget.csv")
    assert render_text(ValidationReport("budget.csv", [caught.value.issue])) == expected[1]


# --- --strict -------------------------------------------------------------------------------


def test_strict_makes_warnings_failures_and_says_so() -> None:
    warned = report(owner())
    assert render_text(warned, strict=True).splitlines()[:2] == [
        "wb.xlsx: not valid",
        "  0 errors, 1 warning (--strict: warnings count as failures)",
    ]
    assert "--strict" not in render_text(warned)
    assert render_text(warned).startswith("wb.xlsx: valid\n")
    # without warnings there is nothing to note
    assert render_text(report(), strict=True) == "wb.xlsx: valid\n  0 errors, 0 warnings"
    assert "--strict" not in render_text(report(bad_date(2)), strict=True)
    assert "(--strict: advarsler tæller som fejl)" in render_text(
        report(owner(), lang="da"), strict=True
    )


# --- languages ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("en", ("valid", "not valid", "SMART warnings", "error", "warning")),
        ("da", ("gyldig", "ikke gyldig", "SMART-advarsler", "fejl", "advarsel")),
        ("sv", ("giltig", "inte giltig", "SMART-varningar", "fel", "varning")),
    ],
)
@pytest.mark.parametrize(
    ("errors", "warnings", "counts"),
    [
        (
            1,
            2,
            {"en": "1 error, 2 warnings", "da": "1 fejl, 2 advarsler", "sv": "1 fel, 2 varningar"},
        ),
        (2, 1, {"en": "2 errors, 1 warning", "da": "2 fejl, 1 advarsel", "sv": "2 fel, 1 varning"}),
    ],
)
def test_languages(
    lang: str, words: tuple[str, ...], errors: int, warnings: int, counts: dict[str, str]
) -> None:
    valid, not_valid, smart, error, warning = words
    issues = [bad_date(r) for r in range(2, 2 + errors)] + [
        owner(r) for r in range(2, 2 + warnings)
    ]
    lines = render_text(report(*issues, lang=lang)).splitlines()
    assert lines[:3] == [
        f"wb.xlsx: {not_valid}",
        f"  {counts[lang]}",
        f"  {smart}: S {warnings} · M 0 · A 0 · R 0 · T 0",
    ]
    assert lines[5].startswith(f"  N2     {warning:<9} ")
    assert any(line.startswith(f"  B2     {error:<9} ") for line in lines)
    assert render_text(report(lang=lang)).splitlines()[0] == f"wb.xlsx: {valid}"


@pytest.mark.parametrize(
    ("lang", "line"),
    [
        ("en", "  1 KPI in 1 department, 1,234 measurements, 1 benchmark"),
        ("da", "  1 KPI i 1 afdeling, 1.234 målinger, 1 benchmark"),
        ("sv", "  1 KPI i 1 avdelning, 1\xa0234 mätningar, 1 jämförelsevärde"),
    ],
)
def test_the_contents_of_the_workbook(
    make_workbook: Callable[..., Path],
    sheets: dict[str, list[list[Any]]],
    lang: str,
    line: str,
) -> None:
    first = dt.date(2020, 1, 1)
    sheets["Measurements"] += [
        ["SALES-01", first + dt.timedelta(days=n), 1, None] for n in range(1234 - 6)
    ]
    workbook, checked = check(make_workbook(sheets), lang=lang)
    assert render_text(checked, workbook).splitlines()[1] == line


def test_the_contents_counts_in_the_plural(
    make_workbook: Callable[..., Path], sheets: dict[str, list[list[Any]]]
) -> None:
    sheets["KPIs"].append(kpi_row(id="HR-01", department="HR"))
    sheets["Benchmarks"] = sheets["Benchmarks"][:1]
    workbook, checked = check(make_workbook(sheets))
    assert render_text(checked, workbook).splitlines()[1] == (
        "  2 KPIs in 2 departments, 6 measurements, 0 benchmarks"
    )


def test_the_docs_example_of_the_broken_sample(monkeypatch: pytest.MonkeyPatch) -> None:
    """docs/workbook-format.md § 13 shows the whole table of the broken sample."""
    docs = (ROOT / "docs" / "workbook-format.md").read_text(encoding="utf-8")
    command = "$ kpireport validate sample_workbooks/invalid/broken-en.xlsx\n"
    expected = docs.split("```text\n" + command, 1)[1].split("\n```", 1)[0]
    monkeypatch.chdir(ROOT)
    workbook, checked = check(Path(SAMPLES.relative_to(ROOT), "invalid", "broken-en.xlsx"))
    assert render_text(checked, workbook) == expected


# --- style ----------------------------------------------------------------------------------


def test_where_the_style_puts_emphasis() -> None:
    lines = render_text(report(bad_date(2), owner()), style=tag).splitlines()
    assert lines[0] == "<bold>wb.xlsx</>: <red,bold>not valid</>"
    assert lines[4] == "<bold,underline>KPIs</>"
    assert (
        lines[5] == "  N2     <yellow>warning  </> Specific: KPI 'K-2' has no owner. [S-no-owner]"
    )
    assert lines[6] == f"{INDENT}<dim>→ Name the person responsible for the KPI.</>"
    assert lines[9].startswith("  B2     <red>error    </> '31/02/2026'")
    # every hint line dimmed, the counts and messages not styled
    assert lines[10].startswith(f"{INDENT}<dim>→ ") and lines[11].startswith(f"{INDENT}<dim>")
    assert lines[1] == "  1 error, 1 warning"
    valid = render_text(report(), style=tag).splitlines()[0]
    assert valid == "<bold>wb.xlsx</>: <green,bold>valid</>"


@pytest.mark.parametrize("lang", ["en", "da", "sv"])
@pytest.mark.parametrize("strict", [False, True])
def test_click_style_only_adds_emphasis(lang: str, strict: bool) -> None:
    """The text with click's styling, unstyled, is the plain text: styling never moves the
    columns or the wrapping."""
    for issues in ([bad_date(2, value="word " * 30), owner()], [Issue("empty-file", None, None)]):
        rep = report(*issues, lang=lang)
        styled = render_text(rep, strict=strict, style=click.style)
        assert "\x1b[" in styled
        assert click.unstyle(styled) == render_text(rep, strict=strict)


def test_plain_returns_the_text_unchanged() -> None:
    assert plain("x", fg="red", bold=True, underline=True, dim=True) == "x"
    assert render_text(report(owner()), style=plain) == render_text(report(owner()))
