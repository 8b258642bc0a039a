"""The language catalogues: every string kpireport shows is translated into every language, with
its plural forms; a language is resolved once into a Locale; no module picks words by language
code any more."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from kpireport import fmt
from kpireport.i18n import LANGUAGES, SOURCE, Locale, get_locale, language_code, match_language
from kpireport.schema import Unit
from tests.conftest import ROOT


def _messages() -> ModuleType:
    spec = importlib.util.spec_from_file_location("messages", ROOT / "scripts" / "messages.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


messages = _messages()


@pytest.fixture(scope="module")
def template():  # type: ignore[no-untyped-def]
    return messages.extract()


def test_every_language_but_the_source_has_a_catalogue() -> None:
    assert set(messages.languages()) == set(LANGUAGES) - {SOURCE}


def test_extraction_finds_the_strings_of_code_and_templates(template) -> None:  # type: ignore[no-untyped-def]
    ids = {m.id if isinstance(m.id, str) else m.id[0] for m in template if m.id}
    # one of each kind: an issue message, a template label, a plural in a template, a chart
    # label with its context, a Text argument
    assert "'{value}' is not a direction." in ids
    assert "Executive summary" in ids
    assert "%(count)s KPI" in ids
    assert ("actual", "chart") in {(m.id, m.context) for m in template if m.context}
    assert "the zip directory" in ids
    assert len(template) > 250


@pytest.mark.parametrize("code", sorted(set(LANGUAGES) - {SOURCE}))
def test_every_string_is_translated_and_none_is_fuzzy(template, code: str) -> None:  # type: ignore[no-untyped-def]
    """Fails on a string the catalogue lacks, leaves empty or marks fuzzy, and on a translation
    with a placeholder the English string does not have. Fix: `make messages`, then translate
    the new entries of kpireport/locale/<code>/LC_MESSAGES/kpireport.po."""
    problems = messages.problems(code, template)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("code", sorted(set(LANGUAGES) - {SOURCE}))
def test_the_check_catches_a_fuzzy_or_missing_translation(
    code: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from babel.messages.pofile import read_po, write_po

    catalog = messages.read(code)
    entry = catalog.get("Executive summary")
    entry.flags.add("fuzzy")
    catalog.delete("Board pack")
    copy = tmp_path / code / "LC_MESSAGES" / "kpireport.po"
    copy.parent.mkdir(parents=True)
    with copy.open("wb") as fh:
        write_po(fh, catalog)
    with copy.open("rb") as fh:
        assert read_po(fh).get("Board pack") is None
    monkeypatch.setattr(messages, "LOCALE_DIR", tmp_path)
    problems = messages.problems(code)
    assert f"{code}: fuzzy 'Executive summary'" in problems
    assert f"{code}: missing 'Board pack'" in problems


def test_a_language_is_resolved_once_into_one_locale() -> None:
    da = get_locale("da")
    assert isinstance(da, Locale) and da.code == "da"
    assert get_locale("Danish") is da and get_locale("da-DK") is da and get_locale("dansk") is da
    assert get_locale(None).code == SOURCE and get_locale("fr").code == SOURCE
    assert language_code("Svenska") == "sv" and match_language("klingon") is None
    assert str(da.babel) == "da_DK"


@pytest.mark.parametrize(
    ("code", "forms"),
    [
        ("en", ("0 KPIs", "1 KPI", "2 KPIs")),
        ("da", ("0 KPI'er", "1 KPI", "2 KPI'er")),
        ("sv", ("0 KPI:er", "1 KPI", "2 KPI:er")),
    ],
)
def test_plural_forms(code: str, forms: tuple[str, str, str]) -> None:
    locale = get_locale(code)
    shown = tuple(
        locale.ngettext("%(count)s KPI", "%(count)s KPIs", n) % {"count": n} for n in (0, 1, 2)
    )
    assert shown == forms


@pytest.mark.parametrize(
    ("code", "currency", "percent", "date", "hours"),
    [
        ("en", "DKK 2,150,000", "86.8%", "30 Sept 2026", "1 hour"),
        ("da", "2.150.000 kr.", "86,8\xa0%", "30. sep. 2026", "1 time"),
        (
            "sv",
            "2\xa0150\xa0000 Dkr",  # Danish kroner, as Swedes write them
            "86,8\xa0%",
            "30 sep. 2026",
            "1 timme",
        ),
    ],
)
def test_numbers_dates_and_currencies_go_through_babel(
    code: str, currency: str, percent: str, date: str, hours: str
) -> None:
    import datetime as dt

    locale = get_locale(code)
    assert fmt.value(2_150_000, Unit("currency", "DKK", "DKK"), locale) == currency
    assert fmt.value(0.868, Unit("percent", "%"), locale) == percent
    assert fmt.date(dt.date(2026, 9, 30), locale) == date
    assert fmt.value(1, Unit("duration", "hours"), locale) == hours


# Modules that may name a language by its code: the registry, and the workbook contract, whose
# sheet and column names are in English and Danish (not translations: the names a workbook is
# written with).
CONTRACT_MODULES = {
    "kpireport/i18n.py",
    "kpireport/schema.py",
    "kpireport/template.py",
    # template.py's example rows and the Instructions sheet's name, split out of it
    "kpireport/template_examples.py",
    "kpireport/template_guides.py",
    "kpireport/issues/args.py",  # Word and Alternative: the contract's names in both languages
}


def test_no_module_picks_its_words_by_language_code() -> None:
    """The class of problem the catalogues replace: ``"x" if lang == "da" else "y"``, tables
    keyed by "en"/"da", arguments like what_da=. Words come from the catalogues instead."""
    found = []
    for path in sorted((ROOT / "kpireport").rglob("*.py")):
        if path.relative_to(ROOT).as_posix() in CONTRACT_MODULES:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and node.value in ("da", "sv"):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value!r}")
            if isinstance(node, ast.keyword) and node.arg and node.arg.endswith("_da"):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.arg}=")
    assert not found, "\n".join(found)
