"""The third workbook the presentation checks run on: long Danish names and very light brand
colours, made from the Danish sample so that it has every kind of KPI (plans, keep, comments)."""

from __future__ import annotations

from pathlib import Path

import openpyxl

from tests.conftest import SAMPLES

# Long names of ordinary words (none over 25 letters: a longer word may be broken, these not).
COMPANY = "Nordjyske Vedvarende Energiinstallationer og Serviceaftaler ApS"
DEPARTMENTS = {
    "Salg": ("Salgs- og forhandlerafdelingen for erhvervskunder", "#FFF4C2"),
    "Digital marketing": ("Digital markedsføring og kundekommunikation", "#E8F4FF"),
    "Kundeservice": ("Kundeserviceafdelingen og eftermarkedsservice", "#EAF7EA"),
    "HR": ("Personaleadministration, arbejdsmiljø og kompetenceudvikling", "#FDE8EC"),
}
KPI_NAMES = {
    "SALG-01": "Antal nyerhvervede erhvervskunder med underskrevet kontrakt pr. måned",
    "SALG-02": "Konverteringsprocent fra kvalificerede salgsemner til betalende kunder",
    "SALG-03": "Samlet faktureret omsætning ekskl. moms fra solcelleinstallationer pr. måned",
    "MARK-01": "Organisk besøgstrafik til hjemmesiden fra søgemaskiner og henvisninger",
    "MARK-02": "Gennemsnitlig klikrate på betalte søgeannoncer og bannerkampagner",
    "MARK-03": "Engagementsrate på virksomhedens kanaler på sociale medier",
    "KS-01": "Kundetilfredshedsscore efter afsluttet serviceopgave (CSAT)",
    "KS-02": "Gennemsnitlig svartid på skriftlige kundehenvendelser i arbejdstimer",
    "KS-03": "Antal løste kundeproblemer pr. arbejdsdag i kundeserviceafdelingen",
    "HR-01": "Fastholdelsesprocent blandt medarbejderne i montageafdelingen",
    "HR-02": "Gennemsnitlig onboardingtid for nyansatte medarbejdere i kalenderdage",
    "HR-03": "Medarbejdertilfredshed i den årlige trivselsundersøgelse",
    "HR-04": "Sygefraværsprocent for alle medarbejdere opgjort pr. måned",
}
PRIMARY, ACCENT = "#FFE9A8", "#FFF8E1"  # pale yellow: unreadable as text on white


def write_light_long(path: Path) -> Path:
    """Write the workbook to ``path`` and return it."""
    wb = openpyxl.load_workbook(SAMPLES / "fjordsol-da.xlsx")
    for row in wb["Indstillinger"].iter_rows(min_row=2):
        key = row[0].value
        if key == "virksomhed":
            row[1].value = COMPANY
        elif key == "primær farve":
            row[1].value = PRIMARY
        elif key == "accentfarve":
            row[1].value = ACCENT
    for row in wb["Afdelinger"].iter_rows(min_row=2):
        name, colour = DEPARTMENTS[row[0].value]
        row[0].value, row[3].value = name, colour
    for row in wb["KPI'er"].iter_rows(min_row=2):
        row[1].value = DEPARTMENTS[row[1].value][0]
        row[2].value = KPI_NAMES[row[0].value]
    wb.save(path)
    return path
