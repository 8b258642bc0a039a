"""Read a workbook into the KPI model, collecting every problem as an Issue on the way.

Only what needs the cell to explain is checked here (a value that is not a number, a date that is
not a date, a required cell left empty). Rules across rows and sheets, and the SMART criteria,
are in :mod:`kpireport.validate`.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any, cast

from kpireport import schema
from kpireport.errors import WorkbookError
from kpireport.issues import Date, Issue, Number, Percent, Word
from kpireport.model import (
    KPI,
    Benchmark,
    Department,
    Measurement,
    Settings,
    SheetInfo,
    Workbook,
    cell_name,
)
from kpireport.periods import granularity_end
from kpireport.schema import SheetSpec, Unit
from kpireport.workbook.cells import RawSheet, percent_styles, read_sheet
from kpireport.workbook.container import Container, open_container
from kpireport.workbook.values import NotADate, NotANumber, parse_date, parse_number

_COLOR = re.compile(r"^#?([0-9A-Fa-f]{6})$")
_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$"
)
_NAMED_ADDRESS = re.compile(r"^[^<>]*<([^<>]+)>$")


def read_workbook(path: Any) -> Workbook:
    """Read ``path`` into the model. Problems are in ``workbook.issues``; an unreadable file
    raises :class:`~kpireport.errors.WorkbookError`."""
    container = open_container(path)
    return _Reader(container).read()


def split_addresses(text: str) -> list[str]:
    """Addresses separated by ``,`` or ``;`` (line breaks too, as people paste lists)."""
    return [part.strip() for part in re.split(r"[,;\n]", text) if part.strip()]


def email_address(text: str) -> str | None:
    """The bare address of ``a@b.dk`` or ``Name <a@b.dk>``, or None when it is not one."""
    if any(ch in text for ch in "\r\n\0"):
        return None
    m = _NAMED_ADDRESS.match(text)
    address = (m.group(1) if m else text).strip()
    return address if _EMAIL.match(address) and len(address) <= 254 else None


# How far down a title or a note above the table may push the header row.
HEADER_SEARCH_ROWS = 10


def _header_row(rows: list[list[Any]], spec: SheetSpec) -> int | None:
    """The 0-based header row: the first row with any value, as the format says; but when that
    row is a title above the table ("KPI list"), the first of the next rows in which at least two
    cells are column names of the sheet."""
    first = next((i for i, row in enumerate(rows) if any(not _blank(v) for v in row)), None)
    if first is None:
        return None

    def known(row: list[Any]) -> int:
        return sum(1 for v in row if isinstance(v, str) and spec.match_header(v) is not None)

    if known(rows[first]) >= 2:
        return first
    for index in range(first + 1, min(first + HEADER_SEARCH_ROWS, len(rows))):
        if known(rows[index]) >= 2:
            return index
    return first


def _alternative(en: str, da: str) -> Word:
    """ " (or 'kpi_id')" after a name that has another spelling in the other language."""
    if en == da:
        return Word("", "")
    return Word(f" (or '{da}')", f" (eller '{en}')")


def _calamine_failure(exc: BaseException) -> bool:
    """Whether ``exc`` is calamine failing on the file: any Exception, or the Rust panic pyo3
    raises as ``PanicException`` (a BaseException), e.g. for a date-formatted cell holding
    -1e300 (chrono's "TimeDelta::milliseconds out of bounds")."""
    return isinstance(exc, Exception) or type(exc).__name__ == "PanicException"


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


class _Reader:
    """One read of one workbook; collects issues as it goes."""

    def __init__(self, container: Container) -> None:
        self.c = container
        self.issues: list[Issue] = []
        self.lang = "en"
        self.sheets: dict[str, SheetInfo] = {}
        self.raw: dict[str, RawSheet] = {}
        self.canonical: dict[str, str] = {}  # casefolded KPI id -> id as on the KPIs sheet

    # -- top level -----------------------------------------------------------------------

    def read(self) -> Workbook:
        from python_calamine import CalamineWorkbook

        try:
            calamine = CalamineWorkbook.from_filelike(io.BytesIO(self.c.data))
        except BaseException as exc:  # calamine's errors are several types; all mean damage here
            if not _calamine_failure(exc):
                raise
            raise WorkbookError(
                self.c.path, "damaged", part=Word("the workbook", "projektmappen")
            ) from None
        percent_ids = percent_styles(self.c)
        found: dict[str, str] = {}
        for name in calamine.sheet_names:
            spec = schema.find_sheet_spec(name)
            if spec is None:
                continue
            if spec.key in found:
                self.issues.append(
                    Issue(
                        "duplicate-sheet",
                        name,
                        None,
                        {"first": found[spec.key], "sheet": name, "what": spec.en},
                    )
                )
                continue
            found[spec.key] = name
        for key, name in found.items():
            try:
                self.raw[key] = read_sheet(self.c, name, calamine, percent_ids)
            except WorkbookError:
                raise
            except BaseException as exc:
                if not _calamine_failure(exc):
                    raise
                raise WorkbookError(
                    self.c.path, "damaged", part=Word(f"the sheet '{name}'", f"arket '{name}'")
                ) from None
        settings = self._settings()
        self.lang = settings.language
        for spec in schema.SHEETS:
            if spec.key == "settings":
                continue
            if spec.key not in self.raw:
                if spec.required:
                    self.issues.append(
                        Issue(
                            "missing-sheet",
                            spec.title(self.lang),
                            None,
                            {
                                "sheet": Word(spec.en, spec.da),
                                "other": _alternative(spec.en, spec.da),
                            },
                        )
                    )
                continue
            self._header(spec)
        departments = self._departments()
        kpis = self._kpis()
        units = {k.id: k.unit for k in kpis}
        # Ids match ignoring case, as Excel's own lookups do; the KPIs sheet's spelling wins.
        for k in reversed(kpis):
            self.canonical[k.id.casefold()] = k.id
        measurements = self._measurements(units)
        benchmarks = self._benchmarks(units)
        for raw in self.raw.values():
            if raw.formula_count > len(raw.formula_missing) and raw.first_formula is not None:
                self.issues.append(
                    Issue(
                        "formula-not-calculated",
                        raw.name,
                        cell_name(raw.first_formula[0] + 1, raw.first_formula[1]),
                        {"count": raw.formula_count - len(raw.formula_missing)},
                    )
                )
        return Workbook(
            path=self.c.path,
            sha256=self.c.sha256,
            sheets=self.sheets,
            settings=settings,
            departments=departments,
            kpis=kpis,
            measurements=measurements,
            benchmarks=benchmarks,
            issues=self.issues,
        )

    # -- headers ------------------------------------------------------------------------------

    def _header(self, spec: SheetSpec) -> None:
        raw = self.raw[spec.key]
        info = SheetInfo(spec.key, raw.name, width=raw.width, height=len(raw.rows))
        self.sheets[spec.key] = info
        header_index = _header_row(raw.rows, spec)
        if header_index is None:
            if spec.required:
                what = {
                    "kpis": Word("KPI", "KPI"),
                    "measurements": Word("measurement", "måling"),
                }.get(spec.key, Word("row", "række"))
                self.issues.append(
                    Issue("empty-sheet", raw.name, "A1", {"sheet": raw.name, "what": what})
                )
            return
        info.header_row = header_index + 1
        first_cells: dict[str, str] = {}
        for col, value in enumerate(raw.rows[header_index]):
            if _blank(value):
                continue
            text = str(value).strip()
            cell = cell_name(info.header_row, col)
            column = spec.match_header(text)
            if column is None:
                expected = Word(
                    ", ".join(c.en for c in spec.columns), ", ".join(c.da for c in spec.columns)
                )
                self.issues.append(
                    Issue("unknown-column", raw.name, cell, {"column": text, "expected": expected})
                )
                continue
            if column.key in info.columns:
                self.issues.append(
                    Issue(
                        "duplicate-column",
                        raw.name,
                        cell,
                        {"column": text, "first": first_cells[column.key], "cell": cell},
                    )
                )
                continue
            info.columns[column.key] = col
            first_cells[column.key] = cell
        first_header = cell_name(info.header_row, min(info.columns.values(), default=0))
        for column in spec.columns:
            if column.required and column.key not in info.columns:
                self.issues.append(
                    Issue(
                        "missing-column",
                        raw.name,
                        first_header,
                        {
                            "sheet": raw.name,
                            "column": Word(column.en, column.da),
                            "other": _alternative(column.en, column.da),
                            "row": info.header_row,
                        },
                    )
                )

    def _rows(self, key: str) -> list[tuple[int, list[Any]]]:
        """(Excel row, cells) of each non-blank row below the header."""
        info = self.sheets.get(key)
        if info is None or not info.header_row:
            return []
        raw = self.raw[key]
        used = sorted(info.columns.values())
        return [
            (index + 1, raw.rows[index])
            for index in range(info.header_row, len(raw.rows))
            if not self._blank_row(raw, index, used)
        ]

    @staticmethod
    def _blank_row(raw: RawSheet, index: int, used: list[int]) -> bool:
        """No value in any contract column; a formula without a result is not blank."""
        cells = raw.rows[index]
        if any(not _blank(cells[c]) for c in used if c < len(cells)):
            return False
        return not any((index, c) in raw.formula_missing or (index, c) in raw.errors for c in used)

    # -- cell readers -----------------------------------------------------------------------

    def _unusable_cell(self, key: str, row: int, col: int) -> bool:
        """Report a formula without a result or an error value at (row, col); True if so."""
        raw = self.raw[key]
        pos = (row - 1, col)
        if pos in raw.formula_missing:
            formula = raw.formula_missing[pos]
            self.issues.append(
                Issue("formula-no-value", raw.name, cell_name(row, col), {"formula": formula})
            )
            return True
        if pos in raw.errors:
            self.issues.append(
                Issue("cell-error", raw.name, cell_name(row, col), {"value": raw.errors[pos]})
            )
            return True
        return False

    def _cell(self, key: str, row: int, column: str) -> tuple[Any, str | None, bool]:
        """(value, cell name, unusable): unusable when the cell has a formula without a result
        or an error value, which has been reported."""
        info = self.sheets[key]
        col = info.columns.get(column)
        if col is None:
            return None, None, False
        cell = cell_name(row, col)
        if self._unusable_cell(key, row, col):
            return None, cell, True
        value = self.raw[key].value(row - 1, col)
        return (None if _blank(value) else value), cell, False

    def _label(self, key: str, column: str) -> Word:
        spec = next(s for s in schema.SHEETS if s.key == key)
        col = spec.column(column)
        return Word(col.en, col.da)

    def _missing(self, key: str, row: int, column: str, kpi: str | None = None) -> None:
        info = self.sheets[key]
        for_kpi = Word(f" for KPI '{kpi}'", f" for KPI'en '{kpi}'") if kpi else ""
        self.issues.append(
            Issue(
                "missing-value",
                info.name,
                info.loc(row, column).cell,
                {"column": self._label(key, column), "for_kpi": for_kpi},
            )
        )

    def _value(
        self, key: str, row: int, column: str, required: bool, kpi: str | None
    ) -> tuple[Any, str | None] | None:
        """(value, cell) of a cell with a value; None for an empty or unusable cell, after
        reporting it (an empty required cell, a formula without a result, an error value)."""
        value, cell, unusable = self._cell(key, row, column)
        if unusable:
            return None
        if value is None:
            if required and column in self.sheets[key].columns:
                self._missing(key, row, column, kpi)
            return None
        return value, cell

    def text(
        self, key: str, row: int, column: str, required: bool = False, kpi: str | None = None
    ) -> str | None:
        found = self._value(key, row, column, required, kpi)
        if found is None:
            return None
        value = found[0]
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        if isinstance(value, dt.datetime | dt.date):
            return value.isoformat()[:10]
        return str(value).strip()

    def number(
        self,
        key: str,
        row: int,
        column: str,
        unit: Unit | None = None,
        required: bool = False,
        kpi: str | None = None,
    ) -> float | None:
        found = self._value(key, row, column, required, kpi)
        if found is None:
            return None
        return self._to_number(key, row, column, *found, unit)

    def _to_number(
        self, key: str, row: int, column: str, value: Any, cell: str | None, unit: Unit | None
    ) -> float | None:
        sheet = self.sheets[key].name
        try:
            parsed = parse_number(value, self.lang)
        except NotANumber:
            shown = value.isoformat() if isinstance(value, dt.date | dt.time) else str(value)
            self.issues.append(
                Issue(
                    "not-a-number",
                    sheet,
                    cell,
                    {"value": shown, "column": self._label(key, column)},
                )
            )
            return None
        result = parsed.value
        if parsed.percent_sign:
            result /= 100
        elif unit is not None and unit.is_percent:
            # The percent rule: 42 % shown from 0.42 in a percent-formatted cell, or a plain 42.
            in_percent_cell = (row - 1, self.sheets[key].columns[column]) in self.raw[key].percent
            if parsed.from_text or not in_percent_cell:
                result /= 100
        if parsed.from_text:
            read_as: Percent | Number = (
                Percent(result)
                if (parsed.percent_sign or (unit and unit.is_percent))
                else Number(result, 6)
            )
            self.issues.append(
                Issue(
                    "number-as-text", sheet, cell, {"value": str(value).strip(), "number": read_as}
                )
            )
        return result

    def date(
        self,
        key: str,
        row: int,
        column: str,
        required: bool = False,
        end: bool = False,
        kpi: str | None = None,
    ) -> tuple[dt.date, str] | None:
        """(date, granularity). ``end``: a period stands for its last day (for deadlines)."""
        found = self._value(key, row, column, required, kpi)
        if found is None:
            return None
        return self._to_date(key, *found, end)

    def _to_date(
        self, key: str, value: Any, cell: str | None, end: bool = False
    ) -> tuple[dt.date, str] | None:
        sheet = self.sheets[key].name
        try:
            when = parse_date(value)
        except NotADate:
            shown = value.isoformat() if isinstance(value, dt.time) else str(value)
            if isinstance(value, float) and value.is_integer():
                shown = str(int(value))
            self.issues.append(Issue("bad-date", sheet, cell, {"value": shown}))
            return None
        date = granularity_end(when.date, when.granularity) if end else when.date
        if when.note:
            shown_number = str(int(value)) if float(value).is_integer() else str(value)
            self.issues.append(
                Issue("date-as-number", sheet, cell, {"value": shown_number, "date": Date(date)})
            )
        return date, when.granularity

    def choice(
        self,
        key: str,
        row: int,
        column: str,
        choices: dict[str, tuple[str, ...]],
        code: str,
        required: bool = False,
        kpi: str | None = None,
    ) -> str | None:
        text = self.text(key, row, column, required=required, kpi=kpi)
        if text is None:
            return None
        canonical = schema.match_choice(choices, text)
        if canonical is None:
            info = self.sheets[key]
            self.issues.append(Issue(code, info.name, info.loc(row, column).cell, {"value": text}))
        return canonical

    def color(
        self, key: str, row: int, column: str, cell: str | None = None, value: Any = None
    ) -> str | None:
        text = (
            self.text(key, row, column)
            if cell is None
            else (None if _blank(value) else str(value).strip())
        )
        if text is None:
            return None
        m = _COLOR.match(text)
        if m is None:
            info = self.sheets[key]
            self.issues.append(
                Issue("bad-color", info.name, cell or info.loc(row, column).cell, {"value": text})
            )
            return None
        return "#" + m.group(1).upper()

    def emails(self, sheet: str, cell: str | None, text: str | None) -> list[str]:
        if text is None:
            return []
        out = []
        for part in split_addresses(text):
            address = email_address(part)
            if address is None:
                self.issues.append(Issue("bad-email", sheet, cell, {"value": part}))
            else:
                out.append(address)
        # Line breaks inside one address are an injection attempt, not a list: refuse the cell.
        if any(ch in text for ch in "\r\0"):
            self.issues.append(
                Issue(
                    "bad-email",
                    sheet,
                    cell,
                    {"value": text.replace("\r", "\\r").replace("\n", "\\n")},
                )
            )
            return []
        return out

    # -- sheets ---------------------------------------------------------------------------

    def _settings(self) -> Settings:
        settings = Settings()
        raw = self.raw.get("settings")
        if raw is None:
            return settings
        info = SheetInfo("settings", raw.name, width=raw.width, height=len(raw.rows))
        self.sheets["settings"] = info
        key_col = min(
            (c for row in raw.rows for c, v in enumerate(row) if not _blank(v)), default=None
        )
        if key_col is None:
            return settings
        info.columns = {"key": key_col, "value": key_col + 1}
        entries: list[tuple[int, str, Any]] = []
        for index, cells in enumerate(raw.rows):
            key = cells[key_col] if key_col < len(cells) else ""
            value = cells[key_col + 1] if key_col + 1 < len(cells) else ""
            unusable_key = (index, key_col) in raw.errors or (index, key_col) in raw.formula_missing
            if _blank(key) and _blank(value) and not unusable_key:
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
            if spec is not None and spec.key == "language" and not _blank(value):
                lang = schema.match_choice(schema.LANGUAGES, str(value))
                if lang is not None:
                    settings.language = lang
                    self.lang = lang
        expected = Word(
            ", ".join(k.en for k in schema.SETTING_KEYS),
            ", ".join(k.da for k in schema.SETTING_KEYS),
        )
        for row, key, value in entries:
            cell = cell_name(row, key_col + 1)
            if self._unusable_cell("settings", row, key_col):
                continue
            spec = schema.match_setting(key)
            if spec is None:
                self.issues.append(
                    Issue(
                        "unknown-setting",
                        raw.name,
                        cell_name(row, key_col),
                        {"key": key, "expected": expected},
                    )
                )
                continue
            settings.rows[spec.key] = row
            self._setting(settings, spec.key, row, cell, value)
        if not 0 < settings.at_risk < settings.on_track <= 1:
            row = settings.rows.get("at_risk") or settings.rows.get("on_track") or 1
            self.issues.append(
                Issue(
                    "bad-thresholds",
                    raw.name,
                    cell_name(row, key_col + 1),
                    {"on_track": Percent(settings.on_track), "at_risk": Percent(settings.at_risk)},
                )
            )
        return settings

    def _setting(self, settings: Settings, key: str, row: int, cell: str, value: Any) -> None:
        sheet = self.raw["settings"].name
        if self._unusable_cell("settings", row, self.sheets["settings"].columns["value"]):
            return
        if _blank(value):
            return
        text = str(value).strip()
        spec = next(k for k in schema.SETTING_KEYS if k.key == key)

        def bad(default: Any, expected_en: str, expected_da: str) -> None:
            self.issues.append(
                Issue(
                    "bad-setting",
                    sheet,
                    cell,
                    {
                        "value": text,
                        "key": Word(spec.en, spec.da),
                        "default": default,
                        "expected": Word(expected_en, expected_da),
                    },
                )
            )

        if key in ("company", "title", "logo"):
            setattr(settings, key, text)
        elif key == "language":
            if schema.match_choice(schema.LANGUAGES, text) is None:
                bad(
                    "en",
                    "Write en (English) or da (Danish).",
                    "Skriv en (engelsk) eller da (dansk).",
                )
        elif key == "report_date":
            parsed = self._to_date("settings", value, cell, end=True)
            if parsed is not None:
                settings.report_date = parsed[0]
        elif key == "currency":
            unit = schema.parse_unit(text)
            if unit.kind == "currency" and unit.currency:
                settings.currency = unit.currency
            else:
                bad(
                    "DKK",
                    "Write a currency code such as DKK or EUR.",
                    "Skriv en valutakode som DKK eller EUR.",
                )
        elif key in ("primary_color", "accent_color"):
            setattr(settings, key, self.color("settings", row, "value", cell=cell, value=value))
        elif key in ("on_track", "at_risk"):
            try:
                number = parse_number(value, settings.language)
            except NotANumber:
                bad(
                    Number(getattr(settings, key)),
                    "Write a share such as 0.95 or 95%.",
                    "Skriv en andel som 0,95 eller 95 %.",
                )
                return
            share = (
                number.value / 100 if (number.percent_sign or number.value > 1) else number.value
            )
            setattr(settings, key, share)
        elif key == "board_recipients":
            settings.board_recipients = self.emails(sheet, cell, text)

    def _departments(self) -> list[Department]:
        out: list[Department] = []
        seen: dict[str, str] = {}
        key = "departments"
        for row, _cells in self._rows(key):
            name = self.text(key, row, "department", required=True)
            head = self.text(key, row, "head")
            info = self.sheets[key]
            emails = self.emails(
                info.name, info.loc(row, "email").cell, self.text(key, row, "email")
            )
            color = self.color(key, row, "color")
            logo = self.text(key, row, "logo")
            if name is None:
                continue
            folded = name.casefold()
            if folded in seen:
                self.issues.append(
                    Issue(
                        "duplicate-department",
                        info.name,
                        info.loc(row, "department").cell,
                        {"department": name, "first": seen[folded]},
                    )
                )
                continue
            seen[folded] = f"{info.name}!{info.loc(row, 'department').cell}"
            out.append(
                Department(name=name, head=head, emails=emails, color=color, logo=logo, row=row)
            )
        return out

    def _kpis(self) -> list[KPI]:
        key = "kpis"
        out: list[KPI] = []
        for row, _cells in self._rows(key):
            kpi_id = self.text(key, row, "id", required=True)
            label = kpi_id
            department = self.text(key, row, "department", required=True, kpi=label)
            name = self.text(key, row, "name", required=True, kpi=label)
            unit_text = self.text(key, row, "unit")
            unit = schema.parse_unit(unit_text) if unit_text else Unit("text", "")
            direction = self.choice(
                key, row, "direction", schema.DIRECTIONS, "bad-direction", required=True, kpi=label
            )
            target = self.number(key, row, "target", unit, required=True, kpi=label)
            deadline = self.date(key, row, "deadline", end=True)
            baseline = self.number(key, row, "baseline", unit)
            baseline_date = self.date(key, row, "baseline_date")
            frequency = self.choice(
                key, row, "frequency", schema.FREQUENCIES, "bad-frequency", required=True, kpi=label
            )
            aggregation = self.choice(
                key, row, "aggregation", schema.AGGREGATIONS, "bad-aggregation"
            )
            weight = self._weight(row)
            if kpi_id is None:
                continue
            out.append(
                KPI(
                    id=kpi_id,
                    department=department or "",
                    name=name or kpi_id,
                    row=row,
                    unit=unit,
                    direction=direction,
                    target=target,
                    deadline=deadline[0] if deadline else None,
                    frequency=frequency,
                    description=self.text(key, row, "description"),
                    baseline=baseline,
                    baseline_date=baseline_date[0] if baseline_date else None,
                    aggregation=aggregation,
                    objective=self.text(key, row, "objective"),
                    owner=self.text(key, row, "owner"),
                    data_source=self.text(key, row, "data_source"),
                    weight=weight,
                )
            )
        if (
            "kpis" in self.sheets
            and self.sheets["kpis"].header_row
            and not out
            and not any(
                i.sheet == self.sheets["kpis"].name and i.severity == "error" for i in self.issues
            )
        ):
            info = self.sheets["kpis"]
            # The header row's first cell: the row below it may lie outside the sheet.
            first = cell_name(info.header_row, min(info.columns.values(), default=0))
            self.issues.append(Issue("no-kpis", info.name, first, {"sheet": info.name}))
        return out

    def _weight(self, row: int) -> float:
        weight = self.number("kpis", row, "weight")
        if weight is None:
            return 1.0
        if weight < 0:
            info = self.sheets["kpis"]
            self.issues.append(
                Issue(
                    "bad-weight",
                    info.name,
                    info.loc(row, "weight").cell,
                    {"value": Number(weight, 6)},
                )
            )
            return 1.0
        return weight

    def _measurements(self, units: dict[str, Unit]) -> list[Measurement]:
        key = "measurements"
        info = self.sheets.get(key)
        if info is None or not info.header_row:
            return []
        raw = self.raw[key]
        cols = info.columns
        if not {"kpi", "date", "value"} <= cols.keys():
            return []
        kpi_col, date_col, value_col = cols["kpi"], cols["date"], cols["value"]
        note_col = cols.get("note")
        percent_cells = raw.percent
        out: list[Measurement] = []
        append = out.append
        no_unit = Unit("text", "")
        date_type, datetime_type = dt.date, dt.datetime
        used = sorted(cols.values())
        rows = raw.rows
        # Cells calamine shows as empty that must not be read as empty (formula, error value).
        unusable = raw.formula_missing.keys() | raw.errors.keys()
        for index in range(info.header_row, len(rows)):
            cells = rows[index]
            n = len(cells)
            kpi_raw = cells[kpi_col] if kpi_col < n else ""
            date_raw = cells[date_col] if date_col < n else ""
            value_raw = cells[value_col] if value_col < n else ""
            # Fast path: the common row (a text id, a real date, a plain number) costs no calls.
            if (
                type(kpi_raw) is str
                and kpi_raw
                and type(value_raw) is float
                and type(date_raw) in (date_type, datetime_type)
            ):
                kpi_id = kpi_raw.strip()
                unit = units.get(kpi_id)
                if unit is None:
                    kpi_id = self.canonical.get(kpi_id.casefold(), kpi_id)
                    unit = units.get(kpi_id, no_unit)
                value = value_raw
                if unit.kind == "percent" and (index, value_col) not in percent_cells:
                    value = value / 100
                date = cast(
                    dt.date, date_raw.date() if type(date_raw) is datetime_type else date_raw
                )
                granularity = "day"
            else:
                if self._blank_row(raw, index, used):
                    continue
                parsed = self._measurement_slow(index + 1, units)
                if parsed is None:
                    continue
                kpi_id, date, granularity, value = parsed
            note = None
            if note_col is not None and note_col < n:
                note_value = cells[note_col]
                if note_value != "" and note_value is not None:
                    note = str(note_value).strip() or None
                elif unusable and ((index, note_col) in unusable):
                    self._cell(key, index + 1, "note")  # reports the formula or error cell
            append(Measurement(kpi_id, date, granularity, value, index + 1, note))
        return out

    def _measurement_slow(
        self, row: int, units: dict[str, Unit]
    ) -> tuple[str, dt.date, str, float] | None:
        key = "measurements"
        kpi_id = self.text(key, row, "kpi", required=True)
        if kpi_id is not None:
            kpi_id = self.canonical.get(kpi_id.casefold(), kpi_id)
        when = self.date(key, row, "date", required=True, kpi=kpi_id)
        unit = units.get(kpi_id or "")
        value = self.number(key, row, "value", unit, required=True, kpi=kpi_id)
        if kpi_id is None or when is None or value is None:
            self._cell(key, row, "note")  # names a note formula without a result, if any
            return None
        return kpi_id, when[0], when[1], value

    def _benchmarks(self, units: dict[str, Unit]) -> list[Benchmark]:
        key = "benchmarks"
        out: list[Benchmark] = []
        for row, _cells in self._rows(key):
            kpi_id = self.text(key, row, "kpi", required=True)
            if kpi_id is not None:
                kpi_id = self.canonical.get(kpi_id.casefold(), kpi_id)
            source = self.text(key, row, "source", required=True, kpi=kpi_id)
            value = self.number(
                key, row, "value", units.get(kpi_id or ""), required=True, kpi=kpi_id
            )
            kind_text = self.text(key, row, "kind")
            kind = schema.match_choice(schema.BENCHMARK_KINDS, kind_text) if kind_text else None
            if kind_text and kind is None:
                info = self.sheets[key]
                self.issues.append(
                    Issue("bad-kind", info.name, info.loc(row, "kind").cell, {"value": kind_text})
                )
                kind = kind_text
            when = self.date(key, row, "date")
            if kpi_id is None or source is None or value is None:
                continue
            out.append(
                Benchmark(kpi_id, source, value, row, kind=kind, date=when[0] if when else None)
            )
        return out
