"""The language catalogues: extract every string to translate, update each language's .po file,
and check them.

    .venv/bin/python scripts/messages.py            # extract, then update every catalogue
    .venv/bin/python scripts/messages.py --check    # list what a catalogue lacks; exit 1 if any

Strings are found in the Python code (``gettext``, ``ngettext``, ``pgettext``, ``npgettext``,
``N_``, ``Nn_``, and the message arguments ``Text`` and ``Plural`` of kpireport.issues) and in the
templates (``_()``, ``ngettext()``, ``{% trans %}``). ``make messages`` runs the first form; after
it, translate the new entries of ``kpireport/locale/<code>/LC_MESSAGES/kpireport.po`` (and remove
their ``fuzzy`` flag). ``tests/test_i18n.py`` runs the check.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
LOCALE_DIR = ROOT / "kpireport" / "locale"
DOMAIN = "kpireport"
TEMPLATE = LOCALE_DIR / f"{DOMAIN}.pot"

KEYWORDS: dict[str, object] = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "pgettext": ((1, "c"), 2),
    "npgettext": ((1, "c"), 2, 3),
    "N_": None,
    "Nn_": (1, 2),
    "Text": None,
    "Plural": (1, 2),
}
JINJA = {"extensions": "jinja2.ext.i18n", "trim_blocks": "true", "lstrip_blocks": "true"}
METHODS = [
    ("kpireport/**.py", "python"),
    ("templates/**.html", "jinja2"),
    ("templates/**.txt", "jinja2"),
]
# {name} in Python strings, %(name)s in templates: a translation can only use the msgid's.
_PLACEHOLDER = re.compile(r"\{[a-z_]+\}|%\([a-z_]+\)s")


def extract() -> Catalog:
    """Every string to translate, with where it is used."""
    catalog = Catalog(domain=DOMAIN, project="kpireport", fuzzy=False)
    options = {"templates/**.html": JINJA, "templates/**.txt": JINJA}
    found = extract_from_dir(
        str(ROOT),
        method_map=[(pattern, method) for pattern, method in METHODS],
        options_map=options,
        keywords=KEYWORDS,
        comment_tags=("TRANSLATORS:",),
        strip_comment_tags=True,
    )
    for filename, lineno, message, comments, context in found:
        if filename.startswith((".venv", "build", "tests")):
            continue
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def languages() -> list[str]:
    """The languages with a catalogue."""
    return sorted(p.name for p in LOCALE_DIR.iterdir() if (p / "LC_MESSAGES").is_dir())


def catalogue_file(code: str) -> Path:
    return LOCALE_DIR / code / "LC_MESSAGES" / f"{DOMAIN}.po"


def read(code: str) -> Catalog:
    with catalogue_file(code).open("rb") as fh:
        return read_po(fh, locale=code, domain=DOMAIN)


def update() -> None:
    """Write the template and bring every catalogue in line with it (new strings are added
    untranslated, changed ones marked fuzzy, gone ones dropped)."""
    template = extract()
    with TEMPLATE.open("wb") as fh:
        write_po(fh, template, width=100, omit_header=False, sort_by_file=True)
    for code in languages():
        catalog = read(code)
        catalog.update(template, no_fuzzy_matching=False)
        with catalogue_file(code).open("wb") as fh:
            write_po(fh, catalog, width=100, ignore_obsolete=True, sort_by_file=True)


def problems(code: str, template: Catalog | None = None) -> list[str]:
    """What the catalogue of ``code`` lacks: strings missing, untranslated or fuzzy, and
    translations with a placeholder the English string does not have."""
    template = template or extract()
    catalog = read(code)
    out = []
    for message in template:
        if not message.id:
            continue
        key = message.id if message.context is None else (message.id, message.context)
        entry = catalog.get(message.id, message.context)
        label = repr(key)
        if entry is None:
            out.append(f"{code}: missing {label}")
            continue
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        if entry.fuzzy:
            out.append(f"{code}: fuzzy {label}")
        if not all(strings):
            out.append(f"{code}: untranslated {label}")
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        known = set(_PLACEHOLDER.findall(" ".join(ids)))
        for string in strings:
            # A translation may leave a detail out; one it adds would show as nothing.
            unknown = set(_PLACEHOLDER.findall(string)) - known
            if unknown:
                out.append(f"{code}: unknown {', '.join(sorted(unknown))} in {label}: {string!r}")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--check", action="store_true", help="only check the catalogues")
    args = parser.parse_args()
    if not args.check:
        update()
    template = extract()
    found = [p for code in languages() for p in problems(code, template)]
    for line in found:
        print(line)
    print(f"{len(template)} strings; {', '.join(languages())}: {len(found)} problems")
    return 1 if found and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
