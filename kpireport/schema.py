"""The workbook contract as data: sheets, columns, settings keys and their English and Danish names.

Everything that matches a name typed by a person (sheet names, headers, setting keys, dropdown
values) goes through :func:`normalize`, so the rules live in one place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from kpireport import i18n

_FOLD = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "’": "'", "‘": "'"})
_DROP = re.compile(r"[\s_\-]+")


def normalize(text: str) -> str:
    """Fold a header, key or dropdown value for matching.

    Case-insensitive; spaces, underscores, hyphens and a trailing colon are ignored; Danish letters
    also match their two-letter spellings (``værdi`` = ``vaerdi``), as people type them on a
    keyboard without them.
    """
    text = text.strip().lower().rstrip(":").strip()
    return _DROP.sub("", text.translate(_FOLD))


def normalize_sheet(name: str) -> str:
    """Fold a sheet name: case-insensitive, surrounding spaces ignored."""
    return name.strip().lower().translate(_FOLD)


@dataclass(frozen=True)
class Column:
    """One column of a sheet: its key, the names it may have, and whether it must be there."""

    key: str
    en: str
    da: str
    aliases: tuple[str, ...] = ()
    required: bool = False

    def names(self) -> tuple[str, ...]:
        return (self.key, self.en, self.da, *self.aliases)


@dataclass(frozen=True)
class SheetSpec:
    """One sheet of the contract."""

    key: str
    en: str
    da: str
    aliases: tuple[str, ...] = ()
    required: bool = False
    columns: tuple[Column, ...] = field(default_factory=tuple)

    def names(self) -> tuple[str, ...]:
        return (self.en, self.da, *self.aliases)

    def title(self, lang: str) -> str:
        return self.da if lang == "da" else self.en

    def column(self, key: str) -> Column:
        for col in self.columns:
            if col.key == key:
                return col
        raise KeyError(key)

    def match_header(self, header: str) -> Column | None:
        wanted = normalize(header)
        for col in self.columns:
            if any(normalize(n) == wanted for n in col.names()):
                return col
        return None


SETTINGS = SheetSpec("settings", "Settings", "Indstillinger")

DEPARTMENTS = SheetSpec(
    "departments",
    "Departments",
    "Afdelinger",
    columns=(
        Column("department", "department", "afdeling", required=True),
        Column("head", "head", "leder"),
        Column("email", "email", "e-mail"),
        Column("color", "color", "farve", aliases=("colour",)),
        Column("logo", "logo", "logo"),
    ),
)

KPIS = SheetSpec(
    "kpis",
    "KPIs",
    "KPI'er",
    aliases=("KPIer", "KPI’er"),
    required=True,
    columns=(
        Column("id", "id", "id", aliases=("kpi id", "kpi_id"), required=True),
        Column("department", "department", "afdeling", required=True),
        Column("name", "name", "navn", required=True),
        Column("description", "description", "beskrivelse"),
        Column("unit", "unit", "enhed", required=True),
        Column("direction", "direction", "retning", required=True),
        Column("target", "target", "mål", required=True),
        Column("deadline", "deadline", "deadline", aliases=("frist",), required=True),
        Column("baseline", "baseline", "udgangspunkt"),
        Column("baseline_date", "baseline_date", "udgangsdato"),
        Column("frequency", "frequency", "frekvens", required=True),
        Column("aggregation", "aggregation", "sammenlægning"),
        Column("objective", "objective", "formål"),
        Column("owner", "owner", "ansvarlig"),
        Column("data_source", "data_source", "datakilde"),
        Column("weight", "weight", "vægt"),
        Column("goal", "goal", "måltype"),
    ),
)

MEASUREMENTS = SheetSpec(
    "measurements",
    "Measurements",
    "Målinger",
    aliases=("Maalinger",),
    required=True,
    columns=(
        Column("kpi", "kpi", "kpi", aliases=("kpi_id",), required=True),
        Column("date", "date", "dato", required=True),
        Column("value", "value", "værdi", required=True),
        Column("note", "note", "note", aliases=("kommentar", "comment")),
    ),
)

BENCHMARKS = SheetSpec(
    "benchmarks",
    "Benchmarks",
    "Benchmarks",
    aliases=("Sammenligninger",),
    columns=(
        Column("kpi", "kpi", "kpi", aliases=("kpi_id",), required=True),
        Column("source", "source", "kilde", required=True),
        Column("value", "value", "værdi", required=True),
        Column("kind", "kind", "type"),
        Column("date", "date", "dato"),
    ),
)

PLAN = SheetSpec(
    "plan",
    "Plan",
    "Plan",
    columns=(
        Column("kpi", "kpi", "kpi", aliases=("kpi_id",), required=True),
        Column("period", "period", "periode", required=True),
        Column("target", "target", "mål", required=True),
        Column("note", "note", "note", aliases=("kommentar", "comment")),
    ),
)

COMMENTS = SheetSpec(
    "comments",
    "Comments",
    "Kommentarer",
    columns=(
        Column("kpi", "kpi", "kpi", aliases=("kpi_id",), required=True),
        Column("report_date", "report_date", "rapportdato"),
        Column("comment", "comment", "kommentar", required=True),
        Column("action", "action", "handling"),
        Column("owner", "owner", "ansvarlig"),
        Column("due", "due", "frist", aliases=("due_date",)),
    ),
)

# Every sheet kpireport reads, in the order `kpireport init` writes them.
SHEETS: tuple[SheetSpec, ...] = (
    SETTINGS,
    DEPARTMENTS,
    KPIS,
    MEASUREMENTS,
    BENCHMARKS,
    PLAN,
    COMMENTS,
)


def find_sheet_spec(name: str) -> SheetSpec | None:
    """The contract sheet a workbook sheet name stands for, or None for any other sheet."""
    wanted = normalize_sheet(name)
    for spec in SHEETS:
        if any(normalize_sheet(n) == wanted for n in spec.names()):
            return spec
    return None


@dataclass(frozen=True)
class SettingKey:
    """One key of the Settings sheet."""

    key: str
    en: str
    da: str
    aliases: tuple[str, ...] = ()

    def names(self) -> tuple[str, ...]:
        return (self.key, self.en, self.da, *self.aliases)


SETTING_KEYS: tuple[SettingKey, ...] = (
    SettingKey("company", "company", "virksomhed"),
    SettingKey("title", "title", "titel"),
    SettingKey("report_date", "report_date", "rapportdato"),
    SettingKey("language", "language", "sprog"),
    SettingKey("currency", "currency", "valuta"),
    SettingKey("logo", "logo", "logo"),
    SettingKey("primary_color", "primary_color", "primær farve", aliases=("primary_colour",)),
    SettingKey("accent_color", "accent_color", "accentfarve", aliases=("accent_colour",)),
    SettingKey("on_track", "on_track", "på sporet"),
    SettingKey("at_risk", "at_risk", "i risiko"),
    SettingKey("board_recipients", "board_recipients", "bestyrelse"),
    SettingKey("fiscal_year_start", "fiscal_year_start", "regnskabsår start"),
    SettingKey("page_size", "page_size", "papirstørrelse", aliases=("paper_size", "papir")),
)

# The paper sizes the PDFs are laid out on, by the name the Settings and --page-size take.
PAGE_SIZES = {"a4": "A4", "letter": "Letter"}

# Header rows people put above the key/value pairs; skipped when they are the first row.
SETTINGS_HEADERS = frozenset(
    normalize(n) for n in ("key", "value", "setting", "indstilling", "værdi", "nøgle")
)


def match_setting(text: str) -> SettingKey | None:
    wanted = normalize(text)
    for key in SETTING_KEYS:
        if any(normalize(n) == wanted for n in key.names()):
            return key
    return None


# Dropdown values: canonical value -> accepted spellings (English, Danish, common variants).
DIRECTIONS: dict[str, tuple[str, ...]] = {
    "higher": ("higher", "højere", "higher is better", "up", "op", "højere er bedre"),
    "lower": ("lower", "lavere", "lower is better", "down", "ned", "lavere er bedre"),
}
FREQUENCIES: dict[str, tuple[str, ...]] = {
    "daily": ("daily", "daglig", "dagligt", "day", "dag"),
    "weekly": ("weekly", "ugentlig", "ugentligt", "week", "uge"),
    "monthly": ("monthly", "månedlig", "månedligt", "month", "måned"),
    "quarterly": ("quarterly", "kvartalsvis", "kvartalsvist", "quarter", "kvartal"),
    "yearly": ("yearly", "årlig", "årligt", "annual", "annually", "year", "år"),
}
AGGREGATIONS: dict[str, tuple[str, ...]] = {
    "sum": ("sum", "total", "i alt"),
    "mean": ("mean", "gennemsnit", "average", "avg"),
    "last": ("last", "seneste", "latest", "sidste"),
    "min": ("min", "minimum"),
    "max": ("max", "maks", "maximum", "maksimum"),
}
GOALS: dict[str, tuple[str, ...]] = {
    "reach": ("reach", "nå"),
    "keep": ("keep", "hold"),
}
# The months, for the fiscal year's first month (English and Danish names and short forms).
MONTHS: dict[str, tuple[str, ...]] = {
    str(n): (str(n), en, en[:3], da, da[:3])
    for n, (en, da) in enumerate(
        [
            ("January", "januar"),
            ("February", "februar"),
            ("March", "marts"),
            ("April", "april"),
            ("May", "maj"),
            ("June", "juni"),
            ("July", "juli"),
            ("August", "august"),
            ("September", "september"),
            ("October", "oktober"),
            ("November", "november"),
            ("December", "december"),
        ],
        start=1,
    )
}
BENCHMARK_KINDS: dict[str, tuple[str, ...]] = {
    "industry": ("industry", "branche", "industry average", "branchegennemsnit"),
    "competitor": ("competitor", "konkurrent"),
    "internal": ("internal", "intern"),
    "best_practice": ("best practice", "best_practice", "bedste praksis"),
}
# The languages a workbook's Settings may name for its reports (kpireport.i18n registers them)...
LANGUAGES: dict[str, tuple[str, ...]] = {
    code: (code, *language.names) for code, language in i18n.LANGUAGES.items()
}
# ...and the languages a workbook itself is written in: its sheet and column names, and the
# dropdown values above, in English or Danish.
WORKBOOK_LANGUAGES = ("en", "da")

# The units a new workbook's dropdown lists: those parse_unit knows, with the common currencies
# (any other unit may still be typed), and their Danish labels where they differ.
_LISTED_UNITS = (
    "count",
    "%",
    "DKK",
    "EUR",
    "SEK",
    "NOK",
    "USD",
    "GBP",
    "hours",
    "minutes",
    "days",
    "score",
)
_UNITS_DA = {"count": "antal", "hours": "timer", "minutes": "minutter", "days": "dage"}

# Labels for the dropdown values as written into a new workbook (kpireport init).
CHOICE_LABELS: dict[str, dict[str, dict[str, str]]] = {
    "direction": {
        "en": {"higher": "higher", "lower": "lower"},
        "da": {"higher": "højere", "lower": "lavere"},
    },
    "frequency": {
        "en": {k: k for k in FREQUENCIES},
        "da": {
            "daily": "daglig",
            "weekly": "ugentlig",
            "monthly": "månedlig",
            "quarterly": "kvartalsvis",
            "yearly": "årlig",
        },
    },
    "aggregation": {
        "en": {k: k for k in AGGREGATIONS},
        "da": {"sum": "sum", "mean": "gennemsnit", "last": "seneste", "min": "min", "max": "maks"},
    },
    "unit": {
        "en": {unit: unit for unit in _LISTED_UNITS},
        "da": {unit: _UNITS_DA.get(unit, unit) for unit in _LISTED_UNITS},
    },
    "goal": {
        "en": {"reach": "reach", "keep": "keep"},
        "da": {"reach": "nå", "keep": "hold"},
    },
    # The fiscal year's first month, by its number ("1" to "12"), as MONTHS spells it.
    "month": {
        "en": {number: names[1] for number, names in MONTHS.items()},
        "da": {number: names[3] for number, names in MONTHS.items()},
    },
    "kind": {
        "en": {
            "industry": "industry",
            "competitor": "competitor",
            "internal": "internal",
            "best_practice": "best practice",
        },
        "da": {
            "industry": "branche",
            "competitor": "konkurrent",
            "internal": "intern",
            "best_practice": "bedste praksis",
        },
    },
}


def match_choice(choices: dict[str, tuple[str, ...]], text: str) -> str | None:
    """The canonical value for a typed dropdown value, or None when it is not one of them."""
    wanted = normalize(text)
    for canonical, spellings in choices.items():
        if any(normalize(s) == wanted for s in spellings):
            return canonical
    return None


# Units. Anything else is free text (a unit of its own, e.g. "visits" or "NPS points").
UNIT_ALIASES: dict[str, tuple[str, ...]] = {
    "count": ("count", "antal", "number", "stk", "stk."),
    "%": ("%", "percent", "procent", "pct", "pct."),
    "hours": ("hours", "timer", "hour", "time", "h"),
    "minutes": ("minutes", "minutter", "minute", "minut", "min"),
    "days": ("days", "dage", "day", "dag"),
    "score": ("score",),
}
CURRENCY_ALIASES: dict[str, str] = {
    "kr": "DKK",
    "kr.": "DKK",
    "dkr": "DKK",
    "dkr.": "DKK",
    "€": "EUR",
    "$": "USD",
    "£": "GBP",
}
_CURRENCY_CODE = re.compile(r"^[A-Z]{3}$")
_COMMON_CURRENCIES = frozenset({"DKK", "EUR", "USD", "GBP", "SEK", "NOK", "CHF"})


@dataclass(frozen=True)
class Unit:
    """A KPI's unit: its kind (count, percent, currency, duration, score, text) and label."""

    kind: str
    label: str
    currency: str | None = None

    @property
    def is_percent(self) -> bool:
        return self.kind == "percent"


def parse_unit(text: str) -> Unit:
    """Classify a unit as typed in the KPIs sheet."""
    raw = text.strip()
    folded = raw.lower()
    if folded in CURRENCY_ALIASES:
        return Unit("currency", raw, CURRENCY_ALIASES[folded])
    # A currency code in capitals (DKK, SEK); in lower case only the common ones, so that a
    # unit such as "cup" or "all" stays a word.
    if (
        _CURRENCY_CODE.match(raw) or raw.upper() in _COMMON_CURRENCIES
    ) and raw.upper() in _known_currencies():
        return Unit("currency", raw.upper(), raw.upper())
    canonical = match_choice(UNIT_ALIASES, raw)
    if canonical == "%":
        return Unit("percent", "%")
    if canonical in ("hours", "minutes", "days"):
        return Unit("duration", canonical)
    if canonical is not None:
        return Unit(canonical, canonical)
    return Unit("text", raw)


_CURRENCIES: frozenset[str] | None = None


def is_currency_code(code: str) -> bool:
    """Whether ``code`` is an ISO 4217 currency code (DKK, SEK, ...)."""
    return code in _known_currencies()


def _known_currencies() -> frozenset[str]:
    global _CURRENCIES
    if _CURRENCIES is None:
        from babel.core import get_global

        _CURRENCIES = frozenset(get_global("all_currencies"))
    return _CURRENCIES
