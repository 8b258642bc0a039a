"""Problems in a workbook as data: ``Issue`` with a stable code, and the catalogue of messages.

Every code has an English and a Danish message and hint. Messages are templates filled from the
issue's ``args`` when shown, so one issue can be rendered in either language (``--lang``).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

ERROR = "error"
WARNING = "warning"

SMART_LETTERS = ("S", "M", "A", "R", "T")


@dataclass(frozen=True)
class Message:
    """The catalogue entry of one issue code."""

    severity: str
    en: str
    en_hint: str
    da: str
    da_hint: str


# fmt: off
CATALOG: dict[str, Message] = {
    # --- files that cannot be read (fatal; raised as WorkbookError) ---------------------------
    "file-not-found": Message(
        ERROR, "No such file.", "Check the path.", "Filen findes ikke.", "Tjek stien.",
    ),
    "is-folder": Message(
        ERROR, "This is a folder, not a workbook.", "Name an .xlsx file.",
        "Dette er en mappe, ikke en projektmappe.", "Angiv en .xlsx-fil.",
    ),
    "old-xls": Message(
        ERROR, "This is an old Excel 97-2003 file (.xls).", "Open it in Excel and save it as .xlsx.",
        "Dette er en gammel Excel 97-2003-fil (.xls).", "Åbn den i Excel, og gem den som .xlsx.",
    ),
    "wrong-type": Message(
        ERROR, "This is not an Excel workbook: kpireport reads .xlsx and .xlsm files, not '{suffix}'.",
        "Save the workbook as .xlsx.",
        "Dette er ikke en Excel-projektmappe: kpireport læser .xlsx- og .xlsm-filer, ikke '{suffix}'.",
        "Gem projektmappen som .xlsx.",
    ),
    "unreadable": Message(
        ERROR, "The file cannot be read: {reason}.", "Check that the file exists and that you may read it.",
        "Filen kan ikke læses: {reason}.", "Tjek, at filen findes, og at du har adgang til den.",
    ),
    "empty-file": Message(
        ERROR, "The file is empty (0 bytes).", "Save the workbook again, or copy it again.",
        "Filen er tom (0 byte).", "Gem projektmappen igen, eller kopiér den igen.",
    ),
    "password-protected": Message(
        ERROR, "The workbook is password-protected.",
        "Remove the password in Excel (File > Info > Protect Workbook) and save it again.",
        "Projektmappen er beskyttet med adgangskode.",
        "Fjern adgangskoden i Excel (Filer > Info > Beskyt projektmappe), og gem den igen.",
    ),
    "not-zip": Message(
        ERROR, "This is not an Excel workbook (it is not a zip archive).", "Save the workbook as .xlsx.",
        "Dette er ikke en Excel-projektmappe (det er ikke et zip-arkiv).", "Gem projektmappen som .xlsx.",
    ),
    "damaged": Message(
        ERROR, "The file is damaged or incomplete ({part} cannot be unpacked).",
        "Copy the file again, or open it in Excel and save it again.",
        "Filen er beskadiget eller ufuldstændig ({part} kan ikke pakkes ud).",
        "Kopiér filen igen, eller åbn den i Excel, og gem den igen.",
    ),
    "not-workbook": Message(
        ERROR, "This is a zip archive but not an Excel workbook.", "Name an .xlsx file saved by Excel or LibreOffice.",
        "Dette er et zip-arkiv, men ikke en Excel-projektmappe.", "Angiv en .xlsx-fil gemt af Excel eller LibreOffice.",
    ),
    "too-large": Message(
        ERROR, "The file was refused: {what}.", "A KPI workbook is far smaller; check that this is the right file.",
        "Filen blev afvist: {what_da}.", "En KPI-projektmappe er langt mindre; tjek, at det er den rigtige fil.",
    ),
    "zip-bomb": Message(
        ERROR, "The file was refused: {part} unpacks {ratio} times its packed size, like a zip bomb.",
        "A real workbook does not do this; check where the file came from.",
        "Filen blev afvist: {part} fylder {ratio} gange mere udpakket, som en zip-bombe.",
        "En rigtig projektmappe gør ikke det; tjek, hvor filen kommer fra.",
    ),
    "xml-entities": Message(
        ERROR, "The file was refused: {part} declares XML entities (a DTD), which workbooks never contain and XML attacks use.",
        "Check where the file came from; save it again from Excel or LibreOffice.",
        "Filen blev afvist: {part} erklærer XML-entiteter (en DTD), som projektmapper aldrig indeholder, men XML-angreb bruger.",
        "Tjek, hvor filen kommer fra; gem den igen fra Excel eller LibreOffice.",
    ),
    "bad-xml": Message(
        ERROR, "The file is damaged: {part} is not valid XML.", "Open it in Excel or LibreOffice and save it again.",
        "Filen er beskadiget: {part} er ikke gyldig XML.", "Åbn den i Excel eller LibreOffice, og gem den igen.",
    ),
    "too-many-rows": Message(
        ERROR, "The sheet '{sheet}' has values down to row {rows} (cell {cell}); kpireport reads at most {limit} rows per sheet.",
        "Aggregate the measurements to weekly or monthly values, or split the workbook into several (for example one per year or per group of departments). If the rows below the table hold only a stray value, delete them.",
        "Arket '{sheet}' har værdier ned til række {rows} (celle {cell}); kpireport læser højst {limit} rækker pr. ark.",
        "Saml målingerne til uge- eller månedsværdier, eller del projektmappen op i flere (for eksempel én pr. år eller pr. gruppe af afdelinger). Står der kun en enkelt værdi i rækkerne under tabellen, så slet dem.",
    ),
    "too-many-cells": Message(
        ERROR, "The sheet '{sheet}' has values across A1:{corner}, {rows} rows by {columns} columns ({cells} cells); kpireport reads at most {limit} cells per sheet.",
        "Delete the columns right of the table and the rows below it if they hold stray values; otherwise split the workbook into several.",
        "Arket '{sheet}' har værdier i hele A1:{corner}, {rows} rækker gange {columns} kolonner ({cells} celler); kpireport læser højst {limit} celler pr. ark.",
        "Slet kolonnerne til højre for tabellen og rækkerne under den, hvis der står løse værdier i dem; ellers del projektmappen op i flere.",
    ),
    # --- building report sets (fatal for one workbook; the others are still built) ----------
    "duplicate-workbook-name": Message(
        ERROR, "Another workbook in this build, {other}, has the same name; both would write to {folder}.",
        "Rename one of them, or build them into different output folders.",
        "En anden projektmappe i samme kørsel, {other}, har samme navn; begge ville skrive til {folder}.",
        "Omdøb den ene, eller byg dem til hver sin mappe.",
    ),
    "write-failed": Message(
        ERROR, "The report set could not be written: {reason}.",
        "Check that the output folder exists, is writable and has free space. Every report file in place is complete: each is replaced only once its new version is fully written.",
        "Rapportsættet kunne ikke skrives: {reason}.",
        "Tjek, at outputmappen findes, er skrivbar og har ledig plads. Alle rapportfiler på plads er hele: hver erstattes først, når den nye udgave er skrevet færdig.",
    ),
    "render-failed": Message(
        ERROR, "{document} could not be rendered: {reason}.",
        "No file of the report set was replaced: the previous version of every report is still in place. A report that takes this long usually has a cell with an enormous text: shorten it, or give the renderer more time with --render-timeout SECONDS.",
        "{document} kunne ikke dannes: {reason}.",
        "Ingen fil i rapportsættet blev erstattet: den forrige udgave af hver rapport er stadig på plads. En rapport, der tager så lang tid, har som regel en celle med en enorm tekst: forkort den, eller giv mere tid med --render-timeout SEKUNDER.",
    ),
    # --- structure -------------------------------------------------------------------------
    "missing-sheet": Message(
        ERROR,
        "The workbook has no '{sheet}' sheet.",
        "Add a sheet named '{sheet}'{other}. Run 'kpireport init' for a workbook with every sheet.",
        "Projektmappen har intet ark med navnet '{sheet}'.",
        "Tilføj et ark med navnet '{sheet}'{other}. Kør 'kpireport init' for at få en projektmappe med alle ark.",
    ),
    "empty-sheet": Message(
        ERROR,
        "The '{sheet}' sheet is empty.",
        "Put the column headers in the first row and one row per {what} below them.",
        "Arket '{sheet}' er tomt.",
        "Skriv kolonneoverskrifterne i første række og én række pr. {what} nedenunder.",
    ),
    "missing-column": Message(
        ERROR,
        "The '{sheet}' sheet has no '{column}' column (headers are in row {row}).",
        "Add a column headed '{column}'{other} to row {row}.",
        "Arket '{sheet}' har ingen kolonne '{column}' (overskrifterne står i række {row}).",
        "Tilføj en kolonne med overskriften '{column}'{other} i række {row}.",
    ),
    "duplicate-column": Message(
        ERROR,
        "The column '{column}' appears twice in the header row ({first} and {cell}).",
        "Delete or rename one of them; kpireport cannot tell which one to use.",
        "Kolonnen '{column}' står to gange i overskriftsrækken ({first} og {cell}).",
        "Slet eller omdøb den ene; kpireport kan ikke vide, hvilken der skal bruges.",
    ),
    "unknown-column": Message(
        WARNING,
        "The column '{column}' is not part of the workbook format and is ignored.",
        "Rename it to one of: {expected}; or leave it if it is only a note for people.",
        "Kolonnen '{column}' er ikke en del af formatet og bliver ignoreret.",
        "Omdøb den til en af: {expected}; eller lad den stå, hvis den kun er en note til læseren.",
    ),
    "missing-value": Message(
        ERROR,
        "The required '{column}' is empty{for_kpi}.",
        "Fill in the '{column}' cell.",
        "Det påkrævede felt '{column}' er tomt{for_kpi}.",
        "Udfyld cellen '{column}'.",
    ),
    "formula-no-value": Message(
        ERROR,
        "The cell holds a formula ({formula}) but no calculated result.",
        "The file was written by a program that does not calculate. Open it in Excel or LibreOffice and save it, or type the value.",
        "Cellen indeholder en formel ({formula}), men intet beregnet resultat.",
        "Filen er skrevet af et program, der ikke regner. Åbn den i Excel eller LibreOffice og gem den, eller skriv værdien.",
    ),
    "formula-not-calculated": Message(
        WARNING,
        "{count} formula cells on this sheet hold results the writing program may not have calculated.",
        "Open the workbook in Excel or LibreOffice and save it, so the stored results are current.",
        "{count} formelceller på dette ark har resultater, som programmet, der skrev filen, måske ikke har beregnet.",
        "Åbn projektmappen i Excel eller LibreOffice og gem den, så de gemte resultater er opdaterede.",
    ),
    "cell-error": Message(
        ERROR,
        "The cell shows the error {value} instead of a value.",
        "Correct the formula or type the value.",
        "Cellen viser fejlen {value} i stedet for en værdi.",
        "Ret formlen, eller skriv værdien.",
    ),
    "duplicate-sheet": Message(
        WARNING,
        "The sheets '{first}' and '{sheet}' are both the {what} sheet; '{first}' is used.",
        "Delete or rename one of them.",
        "Arkene '{first}' og '{sheet}' er begge {what}-arket; '{first}' bruges.",
        "Slet eller omdøb det ene.",
    ),
    "duplicate-kpi-id": Message(
        ERROR,
        "The KPI id '{kpi}' is used twice (first in {first}).",
        "Give every KPI its own id, e.g. '{kpi}-2'.",
        "KPI-id'et '{kpi}' bruges to gange (første gang i {first}).",
        "Giv hver KPI sit eget id, f.eks. '{kpi}-2'.",
    ),
    "unknown-kpi": Message(
        ERROR,
        "The KPI id '{kpi}' is not on the '{kpi_sheet}' sheet.",
        "Use an id from the '{kpi_sheet}' sheet{suggestion}, or add the KPI there.",
        "KPI-id'et '{kpi}' findes ikke i arket '{kpi_sheet}'.",
        "Brug et id fra arket '{kpi_sheet}'{suggestion}, eller tilføj KPI'en der.",
    ),
    "not-a-number": Message(
        ERROR,
        "'{value}' in '{column}' is not a number.",
        "Type a number such as 1234.5 (or 1.234,5 in Danish notation); leave the row out if there is no value.",
        "'{value}' i '{column}' er ikke et tal.",
        "Skriv et tal som 1.234,5 (eller 1234.5); udelad rækken, hvis der ikke er nogen værdi.",
    ),
    "number-as-text": Message(
        WARNING,
        "The number '{value}' is typed as text; it is read as {number}.",
        "Format the cell as a number so Excel treats it as one.",
        "Tallet '{value}' er skrevet som tekst; det læses som {number}.",
        "Formatér cellen som tal, så Excel behandler det som et tal.",
    ),
    "bad-direction": Message(
        ERROR,
        "'{value}' is not a direction.",
        "Write 'higher' (higher is better) or 'lower' (lower is better).",
        "'{value}' er ikke en retning.",
        "Skriv 'højere' (højere er bedre) eller 'lavere' (lavere er bedre).",
    ),
    "bad-frequency": Message(
        ERROR,
        "'{value}' is not a frequency.",
        "Write one of: daily, weekly, monthly, quarterly, yearly.",
        "'{value}' er ikke en frekvens.",
        "Skriv en af: daglig, ugentlig, månedlig, kvartalsvis, årlig.",
    ),
    "bad-aggregation": Message(
        ERROR,
        "'{value}' is not an aggregation.",
        "Write one of: sum, mean, last, min, max.",
        "'{value}' er ikke en sammenlægning.",
        "Skriv en af: sum, gennemsnit, seneste, min, maks.",
    ),
    "bad-kind": Message(
        WARNING,
        "'{value}' is not a benchmark type; it is shown as written.",
        "Write one of: industry, competitor, internal, best practice.",
        "'{value}' er ikke en benchmarktype; den vises, som den er skrevet.",
        "Skriv en af: branche, konkurrent, intern, bedste praksis.",
    ),
    "bad-date": Message(
        ERROR,
        "'{value}' is not a date.",
        "Use an Excel date or text like 2026-03-15, 15-03-2026, 2026-03 (a month), 2026-Q1 (a quarter) or 2026-W05 (a week).",
        "'{value}' er ikke en dato.",
        "Brug en Excel-dato eller tekst som 2026-03-15, 15-03-2026, 2026-03 (en måned), 2026-K1 (et kvartal) eller 2026-U05 (en uge).",
    ),
    "date-as-number": Message(
        WARNING,
        "The date is a plain number ({value}); it is read as {date}.",
        "Format the cell as a date so the value is unambiguous.",
        "Datoen er et almindeligt tal ({value}); den læses som {date}.",
        "Formatér cellen som dato, så værdien er entydig.",
    ),
    "coarse-date": Message(
        WARNING,
        "'{value}' names a whole {granularity}, but KPI '{kpi}' is measured {frequency}.",
        "Give the date of the {frequency_unit} the value belongs to.",
        "'{value}' angiver et helt {granularity}, men KPI'en '{kpi}' måles {frequency}.",
        "Angiv datoen for den periode, værdien hører til.",
    ),
    "deadline-before-baseline": Message(
        ERROR,
        "The deadline {deadline} is before the baseline date {baseline_date}.",
        "Set a deadline after the baseline date, or correct the baseline date in {baseline_cell}.",
        "Deadline {deadline} ligger før udgangsdatoen {baseline_date}.",
        "Sæt en deadline efter udgangsdatoen, eller ret udgangsdatoen i {baseline_cell}.",
    ),
    "needs-aggregation": Message(
        ERROR,
        "KPI '{kpi}' has {count} measurements in the {frequency} period {period} ({cells}) and no aggregation.",
        "Choose how to combine them in this cell: sum, mean, last, min or max.",
        "KPI'en '{kpi}' har {count} målinger i perioden {period} ({cells}) og ingen sammenlægning.",
        "Vælg i denne celle, hvordan de lægges sammen: sum, gennemsnit, seneste, min eller maks.",
    ),
    "bad-weight": Message(
        ERROR,
        "The weight '{value}' must be a number of 0 or more.",
        "Use 1 for a normal weight, 2 for double, 0 to leave the KPI out of the score.",
        "Vægten '{value}' skal være et tal på 0 eller mere.",
        "Brug 1 for normal vægt, 2 for dobbelt, 0 for at holde KPI'en ude af scoren.",
    ),
    "target-equals-baseline": Message(
        ERROR,
        "The target {target} equals the baseline, so progress cannot be measured.",
        "Set a target that differs from the starting value {baseline}.",
        "Målet {target} er lig med udgangspunktet, så fremskridt kan ikke måles.",
        "Sæt et mål, der er forskelligt fra udgangspunktet {baseline}.",
    ),
    "duplicate-department": Message(
        WARNING,
        "The department '{department}' is listed twice (first in {first}); the first row is used.",
        "Delete the extra row.",
        "Afdelingen '{department}' står to gange (første gang i {first}); den første række bruges.",
        "Slet den ekstra række.",
    ),
    "bad-email": Message(
        ERROR,
        "'{value}' is not an email address.",
        "Write addresses like name@example.com, separated by ',' or ';'.",
        "'{value}' er ikke en e-mailadresse.",
        "Skriv adresser som navn@example.com, adskilt af ',' eller ';'.",
    ),
    "bad-color": Message(
        WARNING,
        "'{value}' is not a colour; the default colour is used.",
        "Write a colour as #RRGGBB, e.g. #1F4E79.",
        "'{value}' er ikke en farve; standardfarven bruges.",
        "Skriv en farve som #RRGGBB, f.eks. #1F4E79.",
    ),
    "unknown-setting": Message(
        WARNING,
        "The setting '{key}' is not known and is ignored.",
        "Use one of: {expected}.",
        "Indstillingen '{key}' kendes ikke og bliver ignoreret.",
        "Brug en af: {expected}.",
    ),
    "bad-setting": Message(
        WARNING,
        "'{value}' is not a valid {key}; {default} is used.",
        "{expected}",
        "'{value}' er ikke en gyldig værdi for {key}; {default} bruges.",
        "{expected}",
    ),
    "bad-thresholds": Message(
        ERROR,
        "The on-track share {on_track} must be larger than the at-risk share {at_risk}, both between 0 and 1.",
        "Use for example on_track 0.95 and at_risk 0.80.",
        "Andelen for 'på sporet' {on_track} skal være større end 'i risiko' {at_risk}, begge mellem 0 og 1.",
        "Brug for eksempel på sporet 0,95 og i risiko 0,80.",
    ),
    "no-kpis": Message(
        ERROR,
        "The '{sheet}' sheet has headers but no KPIs.",
        "Add one row per KPI below the header row.",
        "Arket '{sheet}' har overskrifter, men ingen KPI'er.",
        "Tilføj én række pr. KPI under overskriftsrækken.",
    ),
    # --- SMART -----------------------------------------------------------------------------
    "S-no-description": Message(
        WARNING,
        "Specific: KPI '{kpi}' has no description of what exactly is measured.",
        "Describe what is counted and how, e.g. 'New paying customers signed in the month'.",
        "Specifik: KPI'en '{kpi}' har ingen beskrivelse af, hvad der præcist måles.",
        "Beskriv, hvad der tælles og hvordan, f.eks. 'Nye betalende kunder i måneden'.",
    ),
    "S-no-owner": Message(
        WARNING,
        "Specific: KPI '{kpi}' has no owner.",
        "Name the person responsible for the KPI.",
        "Specifik: KPI'en '{kpi}' har ingen ansvarlig.",
        "Angiv den person, der er ansvarlig for KPI'en.",
    ),
    "S-two-goals": Message(
        WARNING,
        "Specific: the name '{name}' seems to pack two goals into one KPI.",
        "Split it into two KPIs, one goal each ('{first}' and '{second}').",
        "Specifik: navnet '{name}' ser ud til at samle to mål i én KPI.",
        "Del den op i to KPI'er med ét mål hver ('{first}' og '{second}').",
    ),
    "M-no-unit": Message(
        WARNING,
        "Measurable: KPI '{kpi}' has no unit.",
        "Write the unit: count, %, DKK, hours, days, score, or your own word.",
        "Målbar: KPI'en '{kpi}' har ingen enhed.",
        "Skriv enheden: antal, %, DKK, timer, dage, score eller et andet ord.",
    ),
    "M-no-data-source": Message(
        WARNING,
        "Measurable: KPI '{kpi}' has no data source.",
        "Say where the numbers come from, e.g. 'CRM monthly export'.",
        "Målbar: KPI'en '{kpi}' har ingen datakilde.",
        "Angiv, hvor tallene kommer fra, f.eks. 'Månedligt udtræk fra CRM'.",
    ),
    "M-few-measurements": Message(
        WARNING,
        "Measurable: KPI '{kpi}' has values for {count} {period_word}; at least 3 are needed to show a trend.",
        "Add the earlier {frequency} values on the '{sheet}' sheet.",
        "Målbar: KPI'en '{kpi}' har værdier for {count} {period_word}; der skal mindst 3 til for at vise en udvikling.",
        "Tilføj de tidligere værdier i arket '{sheet}'.",
    ),
    "A-unrealistic-pace": Message(
        WARNING,
        "Achievable: reaching {target} by {deadline} needs {required} per {period}, {factor}× the best pace in the KPI's history ({best}).",
        "Check the target or the deadline; a realistic target is one the team can reach at a pace it has shown.",
        "Opnåelig: at nå {target} inden {deadline} kræver {required} pr. {period}, {factor} gange det bedste tempo i KPI'ens historik ({best}).",
        "Tjek målet eller deadline; et realistisk mål kan nås i et tempo, teamet har vist før.",
    ),
    "A-no-improvement": Message(
        WARNING,
        "Achievable: reaching {target} by {deadline} needs {required} per {period}, but the KPI has not improved in any period so far.",
        "Check the target or the deadline, or the plan that will change the trend.",
        "Opnåelig: at nå {target} inden {deadline} kræver {required} pr. {period}, men KPI'en er ikke blevet bedre i nogen periode indtil nu.",
        "Tjek målet eller deadline, eller planen, der skal vende udviklingen.",
    ),
    "A-met-at-baseline": Message(
        WARNING,
        "Achievable: the target {target} is already met at the baseline ({baseline}).",
        "Set a target beyond the starting value, or check the direction.",
        "Opnåelig: målet {target} er allerede nået ved udgangspunktet ({baseline}).",
        "Sæt et mål ud over udgangspunktet, eller tjek retningen.",
    ),
    "R-no-objective": Message(
        WARNING,
        "Relevant: KPI '{kpi}' has no objective.",
        "Write the business goal the KPI serves, e.g. 'Grow recurring revenue'.",
        "Relevant: KPI'en '{kpi}' har intet formål.",
        "Skriv det forretningsmål, KPI'en understøtter, f.eks. 'Øge den faste omsætning'.",
    ),
    "R-unknown-department": Message(
        WARNING,
        "Relevant: the department '{department}' is not on the '{departments_sheet}' sheet.",
        "Add it there (with its head and email) or correct the spelling{suggestion}.",
        "Relevant: afdelingen '{department}' findes ikke i arket '{departments_sheet}'.",
        "Tilføj den der (med leder og e-mail), eller ret stavemåden{suggestion}.",
    ),
    "bad-logo": Message(
        WARNING,
        "The logo '{logo}' is not used: {reason}.",
        "Put a PNG, JPEG or GIF file (at most 2 MB) in the same folder as the workbook and write its file name, e.g. logo.png. The report is made without the logo.",
        "Logoet '{logo}' bruges ikke: {reason}.",
        "Læg en PNG-, JPEG- eller GIF-fil (højst 2 MB) i samme mappe som projektmappen, og skriv dens filnavn, f.eks. logo.png. Rapporten laves uden logoet.",
    ),
    "T-no-deadline": Message(
        WARNING,
        "Time-bound: KPI '{kpi}' has no deadline.",
        "Set the date by which the target is to be reached.",
        "Tidsbundet: KPI'en '{kpi}' har ingen deadline.",
        "Angiv den dato, hvor målet skal være nået.",
    ),
    "T-deadline-passed": Message(
        WARNING,
        "Time-bound: the deadline {deadline} passed before the report date {report_date}.",
        "Set a new deadline and target, or retire the KPI.",
        "Tidsbundet: deadline {deadline} var overskredet før rapportdatoen {report_date}.",
        "Sæt en ny deadline og et nyt mål, eller udfas KPI'en.",
    ),
}
# fmt: on


# --- arguments that are rendered in the message's language ----------------------------------


@dataclass(frozen=True)
class Word:
    """A word or phrase in both languages."""

    en: str
    da: str

    def render(self, lang: str) -> str:
        return self.da if lang == "da" else self.en


@dataclass(frozen=True)
class Date:
    """A date, shown as the reader's language writes dates."""

    value: dt.date

    def render(self, lang: str) -> str:
        from kpireport import fmt

        return fmt.date(self.value, lang)


@dataclass(frozen=True)
class Number:
    """A number in the language's notation, with an optional suffix (`` pp``)."""

    value: float
    digits: int = 2
    suffix: str = ""

    def render(self, lang: str) -> str:
        from kpireport import fmt

        digits = self.digits
        if 0 < abs(self.value) < 10**-digits:  # keep two significant digits of a tiny number
            digits = 1 - math.floor(math.log10(abs(self.value)))
        return fmt.number(self.value, lang, digits) + self.suffix


@dataclass(frozen=True)
class Percent:
    """A fraction shown as a percentage."""

    value: float

    def render(self, lang: str) -> str:
        from kpireport import fmt

        return fmt.percent(self.value, lang)


@dataclass(frozen=True)
class Value:
    """A KPI value with its unit (currency, percent, hours...)."""

    value: float
    unit: Any  # schema.Unit

    def render(self, lang: str) -> str:
        from kpireport import fmt

        return fmt.value(self.value, self.unit, lang)


def _render_args(args: Mapping[str, Any], lang: str) -> dict[str, Any]:
    return {k: (v.render(lang) if hasattr(v, "render") else v) for k, v in args.items()}


class _Blank(dict[str, Any]):
    """Format arguments where a missing key shows as nothing rather than failing."""

    def __missing__(self, key: str) -> str:
        return ""


@dataclass(frozen=True)
class Issue:
    """One problem in a workbook: where it is, how bad it is, and how to fix it."""

    code: str
    sheet: str | None
    cell: str | None
    args: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.code not in CATALOG:
            raise KeyError(f"unknown issue code {self.code!r}")

    @property
    def severity(self) -> str:
        return CATALOG[self.code].severity

    @property
    def smart(self) -> str | None:
        """The SMART letter of a SMART warning, or None."""
        head = self.code.split("-", 1)[0]
        return head if head in SMART_LETTERS else None

    @property
    def where(self) -> str:
        if self.sheet and self.cell:
            return f"{self.sheet}!{self.cell}"
        return self.sheet or ""

    def message(self, lang: str = "en") -> str:
        entry = CATALOG[self.code]
        return (entry.da if lang == "da" else entry.en).format_map(
            _Blank(_render_args(self.args, lang))
        )

    def hint(self, lang: str = "en") -> str:
        entry = CATALOG[self.code]
        return (entry.da_hint if lang == "da" else entry.en_hint).format_map(
            _Blank(_render_args(self.args, lang))
        )

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity,
            "sheet": self.sheet,
            "cell": self.cell,
            "message": self.message(lang),
            "hint": self.hint(lang),
        }


_SEVERITY_ORDER = {ERROR: 0, WARNING: 1}


def _cell_order(cell: str | None) -> tuple[int, int]:
    """Sort key for an Excel cell: row first, then column."""
    if not cell:
        return (0, 0)
    letters = "".join(ch for ch in cell if ch.isalpha())
    digits = "".join(ch for ch in cell if ch.isdigit())
    col = 0
    for ch in letters:
        col = col * 26 + ord(ch.upper()) - 64
    return (int(digits or 0), col)


@dataclass
class ValidationReport:
    """All issues found in one workbook, and how to show them."""

    path: str
    issues: list[Issue]
    lang: str = "en"
    sheet_order: tuple[str, ...] = ()

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == ERROR]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == WARNING]

    @property
    def valid(self) -> bool:
        return not self.errors

    def ok(self, strict: bool = False) -> bool:
        return self.valid and not (strict and self.warnings)

    def sorted_issues(self) -> list[Issue]:
        order = {name: n for n, name in enumerate(self.sheet_order)}
        return sorted(
            self.issues,
            key=lambda i: (
                order.get(i.sheet or "", -1 if i.cell is None else len(order)),
                i.sheet or "",
                _cell_order(i.cell),
                _SEVERITY_ORDER[i.severity],
                i.code,
            ),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "valid": self.valid,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "issues": [i.to_dict(self.lang) for i in self.sorted_issues()],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2)


def group_by_sheet(issues: Iterable[Issue]) -> dict[str, list[Issue]]:
    """Issues grouped by sheet name, keeping their order."""
    groups: dict[str, list[Issue]] = {}
    for issue in issues:
        groups.setdefault(issue.sheet or "", []).append(issue)
    return groups
