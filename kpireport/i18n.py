"""Output languages: every word kpireport shows, in English, Danish or Swedish.

English is the source language: the strings in the code and templates are the English text,
marked for extraction (``gettext``, ``ngettext``, ``pgettext``, ``N_``; ``_()`` and
``{% trans %}`` in templates). Each other language has a catalogue,
``kpireport/locale/<code>/LC_MESSAGES/kpireport.po``. The catalogue is compiled in this process
when a language is first used (Babel's ``read_po`` and ``write_mo``, about 5 ms) and kept for
the life of the process, so there is no build step and no compiled file to keep in step with
its source. ``make messages`` extracts the strings and updates the catalogues;
``tests/test_i18n.py`` fails on a string that a catalogue lacks or marks fuzzy.

A language is resolved once, by :func:`get_locale`, into a :class:`Locale` that is passed down:
it translates (``gettext``, ``ngettext``) and carries the Babel locale that formats numbers,
currencies and dates (:mod:`kpireport.fmt`).

Adding a language is registering it in :data:`LANGUAGES` and adding its ``.po`` file.
"""

from __future__ import annotations

import functools
import gettext as _gettext
import io
from dataclasses import dataclass, field
from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported when a language is first used: `kpireport --help` needs none
    import babel

DOMAIN = "kpireport"
SOURCE = "en"  # the language of the strings in the code: it needs no catalogue


@dataclass(frozen=True)
class Language:
    """An output language: its code, the Babel locale that formats for it, and the other names
    a workbook's Settings ``language`` may give it."""

    code: str
    babel_locale: str
    names: tuple[str, ...]


# The output languages. The workbook itself (sheet and column names, dropdown values) is written
# in English or Danish (kpireport.schema); its reports can be in any of these.
LANGUAGES: dict[str, Language] = {
    "en": Language("en", "en_GB", ("english", "engelsk", "engelska", "en-gb", "en-us")),
    "da": Language("da", "da_DK", ("danish", "dansk", "danska", "da-dk", "dk")),
    "sv": Language("sv", "sv_SE", ("swedish", "svensk", "svenska", "sv-se", "se")),
}


def N_(message: str) -> str:
    """Mark ``message`` for extraction; it is translated later, where it is shown."""
    return message


def Nn_(singular: str, plural: str) -> tuple[str, str]:
    """Mark a singular and plural pair for extraction; :meth:`Locale.ngettext` picks the form."""
    return singular, plural


@dataclass(frozen=True, eq=False)
class Locale:
    """One output language, resolved: translations and Babel formats."""

    code: str
    babel: babel.Locale = field(repr=False)
    translations: _gettext.NullTranslations = field(repr=False)

    def gettext(self, message: str) -> str:
        return self.translations.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.translations.ngettext(singular, plural, n)

    def pgettext(self, context: str, message: str) -> str:
        return self.translations.pgettext(context, message)

    def npgettext(self, context: str, singular: str, plural: str, n: int) -> str:
        return self.translations.npgettext(context, singular, plural, n)


def language_code(value: str | None) -> str:
    """The code of a language as given (``da``, ``Danish``, ``sv-SE``); the source language for
    None or a language kpireport does not have."""
    return (match_language(value) or SOURCE) if value else SOURCE


def match_language(value: str) -> str | None:
    """The code of a language name or code as a person types it, or None."""
    folded = value.strip().lower().replace("_", "-")
    for code, language in LANGUAGES.items():
        if folded == code or folded in language.names:
            return code
    return None


def get_locale(code: str | None = None) -> Locale:
    """The :class:`Locale` of ``code`` (any spelling :func:`match_language` knows); English for
    None or an unknown language. One object per language, compiled once per process."""
    return _locale(language_code(code))


@functools.cache
def _locale(code: str) -> Locale:
    import babel

    language = LANGUAGES[code]
    translations = _gettext.NullTranslations() if code == SOURCE else _compile(code)
    return Locale(code, babel.Locale.parse(language.babel_locale), translations)


def catalogue_path(code: str) -> resources.abc.Traversable:
    """The ``.po`` file of language ``code`` (shipped inside the package)."""
    return resources.files("kpireport") / "locale" / code / "LC_MESSAGES" / f"{DOMAIN}.po"


def _compile(code: str) -> _gettext.GNUTranslations:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with catalogue_path(code).open("rb") as fh:
        catalog = read_po(fh, locale=code, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)  # a fuzzy translation is a guess: English instead
    buffer.seek(0)
    return _gettext.GNUTranslations(buffer)


__all__ = ["LANGUAGES", "N_", "Language", "Locale", "Nn_", "get_locale", "language_code"]
