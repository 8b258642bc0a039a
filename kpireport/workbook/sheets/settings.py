"""The Settings sheet: key-value rows, read first because its language decides how numbers are
read everywhere else."""

from __future__ import annotations

import datetime as dt
from typing import Any

from kpireport import schema
from kpireport.issues import Issue, LanguageList, Number, Percent, Text, Word
from kpireport.model import Settings, SheetInfo, cell_name
from kpireport.workbook.context import ReadContext, blank
from kpireport.workbook.values import NotANumber, hundredths, parse_number


def read_settings(ctx: ReadContext) -> Settings:
    """The settings, with defaults for keys left out; sets ``ctx.lang`` before a number is read."""
    settings = Settings()
    raw = ctx.raw.get("settings")
    if raw is None:
        return settings
    info = SheetInfo("settings", raw.name, width=raw.width, height=len(raw.rows))
    ctx.sheets["settings"] = info
    key_col = min((c for row in raw.rows for c, v in enumerate(row) if not blank(v)), default=None)
    if key_col is None:
        return settings
    info.columns = {"key": key_col, "value": key_col + 1}
    entries: list[tuple[int, str, Any]] = []
    for index, cells in enumerate(raw.rows):
        key = cells[key_col] if key_col < len(cells) else ""
        value = cells[key_col + 1] if key_col + 1 < len(cells) else ""
        unusable_key = (index, key_col) in raw.errors or (index, key_col) in raw.formula_missing
        if blank(key) and blank(value) and not unusable_key:
            continue
        if (
            not entries
            and not info.header_row
            and schema.normalize(str(key)) in schema.SETTINGS_HEADERS
        ):
            info.header_row = index + 1
            continue
        entries.append((index + 1, str(key).strip(), value))
    # Language first: it decides how ambiguous numbers in the other settings are read.
    for _row, key, value in entries:
        spec = schema.match_setting(key)
        if spec is not None and spec.key == "language" and not blank(value):
            lang = schema.match_choice(schema.LANGUAGES, str(value))
            if lang is not None:
                settings.language = lang
                ctx.lang = lang
    expected = Word(
        ", ".join(k.en for k in schema.SETTING_KEYS),
        ", ".join(k.da for k in schema.SETTING_KEYS),
    )
    for row, key, value in entries:
        cell = cell_name(row, key_col + 1)
        if ctx.unusable_cell("settings", row, key_col):
            continue
        spec = schema.match_setting(key)
        if spec is None:
            ctx.issues.append(
                Issue(
                    "unknown-setting",
                    raw.name,
                    cell_name(row, key_col),
                    {"key": key, "expected": expected},
                )
            )
            continue
        settings.rows[spec.key] = row
        _setting(ctx, settings, spec.key, row, cell, value)
    if not 0 < settings.at_risk < settings.on_track <= 1:
        row = settings.rows.get("at_risk") or settings.rows.get("on_track") or 1
        ctx.issues.append(
            Issue(
                "bad-thresholds",
                raw.name,
                cell_name(row, key_col + 1),
                {"on_track": Percent(settings.on_track), "at_risk": Percent(settings.at_risk)},
            )
        )
    return settings


def _setting(
    ctx: ReadContext, settings: Settings, key: str, row: int, cell: str, value: Any
) -> None:
    """Read one setting's value into ``settings``; a value that does not fit is reported."""
    sheet = ctx.raw["settings"].name
    if ctx.unusable_cell("settings", row, ctx.sheets["settings"].columns["value"]):
        return
    if blank(value):
        return
    text = str(value).strip()
    spec = next(k for k in schema.SETTING_KEYS if k.key == key)

    def bad(default: Any, expected: Text) -> None:
        ctx.issues.append(
            Issue(
                "bad-setting",
                sheet,
                cell,
                {
                    "value": text,
                    "key": Word(spec.en, spec.da),
                    "default": default,
                    "expected": expected,
                },
            )
        )

    if key in ("company", "title", "logo"):
        setattr(settings, key, text)
    elif key == "language":
        if schema.match_choice(schema.LANGUAGES, text) is None:
            bad("en", Text("Write {languages}.", languages=LanguageList()))
    elif key == "report_date":
        parsed = ctx.to_date("settings", value, cell, end=True)
        if parsed is not None:
            settings.report_date = parsed[0]
    elif key == "currency":
        unit = schema.parse_unit(text)
        if unit.kind == "currency" and unit.currency:
            settings.currency = unit.currency
        else:
            bad("DKK", Text("Write a currency code such as DKK or EUR."))
    elif key in ("primary_color", "accent_color"):
        setattr(settings, key, ctx.to_color(sheet, cell, text))
    elif key in ("on_track", "at_risk"):
        try:
            number = parse_number(value, settings.language)
        except NotANumber:
            bad(Number(getattr(settings, key)), Text("Write a share such as 0.95 or 95%."))
            return
        percent = number.percent_sign or number.value > 1
        share = hundredths(number.value) if percent else number.value
        setattr(settings, key, share)
    elif key == "board_recipients":
        settings.board_recipients = ctx.emails(sheet, cell, text)
    elif key == "page_size":
        size = schema.PAGE_SIZES.get(text.strip().casefold().removeprefix("us "))
        if size is None:
            bad("A4", Text("Write A4 or Letter."))
        else:
            settings.page_size = size
    elif key == "fiscal_year_start":
        month = _month(value)
        if month is None:
            bad(1, Text("Write the first month of the fiscal year: 1 to 12, or its name (July)."))
        else:
            settings.fiscal_year_start = month


def _month(value: Any) -> int | None:
    """A month 1 to 12 from a number, a date (its month) or a month's name, or None."""
    if isinstance(value, dt.date):
        return value.month
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    month = schema.match_choice(schema.MONTHS, str(value))
    return int(month) if month is not None else None
