"""Write the sample KPI workbooks in sample_workbooks/ from fixed data and a fixed random seed."""

# Run from the repository root:  .venv/bin/python scripts/make_samples.py
#
# Output (byte-identical on every run: fixed seed, fixed dates, fixed zip timestamps):
#   sample_workbooks/acme-en.xlsx          English, percents as fractions in '0.0%' cells
#   sample_workbooks/fjordsol-da.xlsx      Danish, percents typed as plain numbers, some text dates
#   sample_workbooks/invalid/broken-en.xlsx  deliberately broken, to show validation
#
# The script prints each valid sample's status table (rules of "What the numbers mean" in
# docs/workbook-format.md) and stops with an error if a status differs from the one the
# sample was designed to show.
#
# Deliberate problems in invalid/broken-en.xlsx (checked by the script when it writes the file):
#   KPIs!A3          duplicate KPI id: SALES-01 is also on row 2
#   KPIs!C4          name packs two goals: "Revenue and customer satisfaction"
#   KPIs!D4          no description (SMART warning)
#   KPIs!N4          no owner (SMART warning)
#   KPIs!F5          direction "up-ish" is not higher/lower
#   KPIs!K5          frequency "fortnightly" is not an allowed frequency
#   KPIs!B6          department "Customer service" is not on the Departments sheet
#   KPIs!H6          deadline 2025-12-31 is before the baseline date in KPIs!J6 (2026-01-01)
#   Measurements!C8  "1.234,5" is a number typed as text (Danish notation; accepted with a warning)
#   Measurements!C10 "n/a" is not a number
#   Measurements!B15 "31/02/2026" is not a date
#   Measurements!A17 SALES-99 is not a KPI id on the KPIs sheet

from __future__ import annotations

import datetime as dt
import io
import itertools
import random
import re
import sys
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

ROOT = Path(__file__).resolve().parents[1]
OUT_DIR = ROOT / "sample_workbooks"
SEED = 20260930
FIXED_TIME = dt.datetime(2026, 1, 1)
PERCENT_FORMAT = "0.0%"

# --------------------------------------------------------------------------------------------
# Workbook vocabulary per language (see kpireport/schema.py and the contract)
# --------------------------------------------------------------------------------------------

SHEET_NAMES: dict[str, dict[str, str]] = {
    "en": {
        "settings": "Settings",
        "departments": "Departments",
        "kpis": "KPIs",
        "measurements": "Measurements",
        "benchmarks": "Benchmarks",
        "plan": "Plan",
        "comments": "Comments",
    },
    "da": {
        "settings": "Indstillinger",
        "departments": "Afdelinger",
        "kpis": "KPI'er",
        "measurements": "Målinger",
        "benchmarks": "Benchmarks",
        "plan": "Plan",
        "comments": "Kommentarer",
    },
}

HEADERS: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "settings": ("setting", "value"),
        "departments": ("department", "head", "email", "color"),
        "kpis": (
            "id", "department", "name", "description", "unit", "direction", "target",
            "deadline", "baseline", "baseline_date", "frequency", "aggregation", "objective",
            "owner", "data_source", "weight", "goal",
        ),
        "measurements": ("kpi", "date", "value", "note"),
        "benchmarks": ("kpi", "source", "value", "kind", "date"),
        "plan": ("kpi", "period", "target", "note"),
        "comments": ("kpi", "report_date", "comment", "action", "owner", "due"),
    },
    "da": {
        "settings": ("indstilling", "værdi"),
        "departments": ("afdeling", "leder", "email", "farve"),
        "kpis": (
            "id", "afdeling", "navn", "beskrivelse", "enhed", "retning", "mål", "deadline",
            "udgangspunkt", "udgangsdato", "frekvens", "sammenlægning", "formål", "ansvarlig",
            "datakilde", "vægt", "måltype",
        ),
        "measurements": ("kpi", "dato", "værdi", "note"),
        "benchmarks": ("kpi", "kilde", "værdi", "type", "dato"),
        "plan": ("kpi", "periode", "mål", "note"),
        "comments": ("kpi", "rapportdato", "kommentar", "handling", "ansvarlig", "frist"),
    },
}  # fmt: skip

# Dropdown values: canonical value -> label in the workbook's language.
CHOICES: dict[str, dict[str, str]] = {
    "en": {
        "higher": "higher", "lower": "lower",
        "daily": "daily", "weekly": "weekly", "monthly": "monthly",
        "quarterly": "quarterly", "yearly": "yearly",
        "sum": "sum", "mean": "mean", "last": "last", "min": "min", "max": "max",
        "industry": "industry", "competitor": "competitor", "internal": "internal",
        "best_practice": "best practice",
        "reach": "reach", "keep": "keep",
    },
    "da": {
        "higher": "højere", "lower": "lavere",
        "daily": "daglig", "weekly": "ugentlig", "monthly": "månedlig",
        "quarterly": "kvartalsvis", "yearly": "årlig",
        "sum": "sum", "mean": "gennemsnit", "last": "seneste", "min": "min", "max": "maks",
        "industry": "branche", "competitor": "konkurrent", "internal": "intern",
        "best_practice": "bedste praksis",
        "reach": "nå", "keep": "hold",
    },
}  # fmt: skip

DATE_FORMATS = {"en": "yyyy-mm-dd", "da": "dd-mm-yyyy"}
MONTH_FORMAT = "yyyy-mm"  # a plan's period

# --------------------------------------------------------------------------------------------
# Sample content
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Note:
    """A note on the measurement in a month (``2025-11``) or on a day; ``factor`` scales it."""

    when: str
    text: str
    factor: float = 1.0


@dataclass(frozen=True)
class SampleKpi:
    """One KPI row plus how to generate its measurements. Percent values are fractions."""

    id: str
    department: str
    name: str
    description: str
    unit: str
    direction: str  # canonical: higher | lower
    target: float
    deadline: dt.date
    baseline: float
    baseline_date: dt.date
    frequency: str  # canonical
    aggregation: str  # canonical
    objective: str
    owner: str
    data_source: str
    weight: float
    intended: str  # the status the data is designed to give
    measured: str = "monthly"  # cadence of the measurements: daily | weekly | monthly | quarterly
    knots: tuple[tuple[float, float], ...] = ((0.0, 0.0), (1.0, 1.0))  # (time share, progress)
    noise: float = 0.02  # relative standard deviation of one measurement
    season: dict[int, float] = field(default_factory=dict)  # month -> factor
    decimals: int = 0
    notes: tuple[Note, ...] = ()
    goal: str = "reach"  # canonical: reach | keep (the target is a limit held to the deadline)
    start: dt.date | None = None  # the first measurement, when later than the sample's first
    # A monthly plan from this month to the deadline's: the straight line from the baseline to
    # the target, shaped by `season` and scaled so that the deadline's month plans the target.
    plan_from: dt.date | None = None
    plan_notes: tuple[Note, ...] = ()
    intended_without_plan: str | None = None  # the status the straight line gives, if different

    @property
    def percent(self) -> bool:
        return self.unit == "%"


# A row of the Comments sheet: kpi, report date (None: every report), comment, action, owner, due.
Comment = tuple[str, dt.date | None, str, str | None, str | None, dt.date | None]


@dataclass(frozen=True)
class Sample:
    """One sample workbook: settings, departments, KPIs and how to write them."""

    file: str
    lang: str
    report_date: dt.date
    first_date: dt.date
    settings: tuple[tuple[str, object], ...]
    departments: tuple[tuple[str, str, str, str], ...]
    kpis: tuple[SampleKpi, ...]
    benchmarks: tuple[tuple[str, str, float, str, dt.date], ...]
    text_dates: dict[tuple[str, dt.date], str] = field(default_factory=dict)
    # the Comments sheet: (kpi, report date or None for every report, comment, action, owner,
    # due); every KPI that is off track or missed on the report date has one for that date
    comments: tuple[Comment, ...] = ()
    extra_sheets: dict[str, tuple[str, ...]] = field(default_factory=dict)
    primary_color: str = "#1F3A5F"
    on_track: float = 0.95
    at_risk: float = 0.80


D = dt.date
RETAIL_SEASON = {1: 0.92, 2: 0.95, 6: 0.97, 7: 0.84, 8: 0.95, 11: 1.14, 12: 1.07}
WEB_SEASON = {1: 1.03, 7: 0.86, 8: 0.95, 12: 0.9}
SUPPORT_SEASON = {1: 1.06, 7: 0.86, 12: 0.92}
SLOW_SUMMER = {7: 1.18, 8: 1.06, 12: 1.08}  # response times grow in holiday months
SOLAR_SEASON = {1: 0.82, 2: 0.88, 3: 1.08, 4: 1.16, 5: 1.18, 6: 1.1, 7: 0.9, 8: 1.04, 12: 0.8}
# Revenue: service contracts renewed at the year's end, a quieter October, Black Friday offers
SOLAR_REVENUE = {**SOLAR_SEASON, 10: 0.97, 11: 1.06, 12: 1.0}
FLU_SEASON = {1: 1.04, 2: 1.2, 3: 1.04}  # sick leave peaks in February

ACME_KPIS = (
    SampleKpi(
        "SALES-01", "Sales", "New customers per month",
        "Number of new paying customers signed in the month (first invoice issued), all sales "
        "channels.",
        "count", "higher", 65, D(2026, 12, 31), 42, D(2025, 1, 1), "monthly", "sum",
        "Grow the customer base by 50 % by the end of 2026.",
        "Mette Kjær", "CRM (HubSpot), closed-won deals report", 1, "on track",
        knots=((0, 0), (1, 0.93)), noise=0.03, season=RETAIL_SEASON,
        notes=(Note("2025-07", "Summer holidays"), Note("2025-11", "Black Friday")),
    ),
    SampleKpi(
        "SALES-02", "Sales", "Lead-to-customer conversion rate",
        "Share of qualified leads created in the month that became paying customers within "
        "90 days.",
        "%", "higher", 0.16, D(2026, 12, 31), 0.12, D(2025, 1, 1), "monthly", "mean",
        "Sell more efficiently: more customers from the same marketing spend.",
        "Rasmus Lind", "CRM (HubSpot), funnel report", 1, "at risk",
        knots=((0, 0), (0.45, 0.55), (0.75, 0.72), (1, 0.76)), noise=0.01, decimals=3,
        notes=(Note("2025-05", "New lead scoring model"),),
    ),
    SampleKpi(
        "SALES-03", "Sales", "Revenue per month",
        "Net invoiced revenue in the month excluding VAT, all products and markets.",
        "DKK", "higher", 5_500_000, D(2026, 12, 31), 4_200_000, D(2025, 1, 1), "monthly", "sum",
        "Reach DKK 66 million in annual revenue from 2027.",
        "Mette Kjær", "ERP (e-conomic), monthly profit and loss", 2, "off track",
        knots=((0, 0), (0.45, 0.36), (0.75, 0.26), (1, 0.22)), noise=0.015,
        season=RETAIL_SEASON, decimals=-3,
        notes=(
            Note("2025-04", "Price increase"),
            Note("2025-11", "Black Friday"),
            Note("2026-02", "Lost key account"),
        ),
        plan_from=D(2026, 1, 1),
        plan_notes=(Note("2026-07", "Summer holidays"), Note("2026-11", "Black Friday")),
    ),
    SampleKpi(
        "MKT-01", "Digital marketing", "Organic traffic",
        "Visits to acme.example.com from unpaid search results (Google Analytics 4, channel "
        "'Organic Search').",
        "visits", "higher", 25_000, D(2026, 12, 31), 18_000, D(2025, 1, 1), "monthly", "sum",
        "Win more leads without paying for each click.",
        "Jonas Holm", "Google Analytics 4", 1, "achieved",
        knots=((0, 0), (0.4, 0.3), (0.7, 0.85), (1, 1.2)), noise=0.025, season=WEB_SEASON,
        notes=(Note("2025-07", "Summer holidays"), Note("2025-10", "SEO site relaunch")),
    ),
    SampleKpi(
        "MKT-02", "Digital marketing", "Ad click-through rate",
        "Clicks divided by impressions for all paid search and paid social ads in the month.",
        "%", "higher", 0.025, D(2027, 3, 31), 0.018, D(2025, 1, 1), "monthly", "mean",
        "Get more out of the advertising budget.",
        "Line Bak", "Google Ads and Meta Ads Manager", 1, "on track",
        knots=((0, 0), (1, 0.9)), noise=0.025, decimals=4,
        notes=(
            Note("2025-03", "Campaign launch", 1.06),
            Note("2026-02", "New ad creatives", 1.03),
        ),
    ),
    SampleKpi(
        "MKT-03", "Digital marketing", "Social media engagement",
        "Likes, comments and shares on the company's LinkedIn, Facebook and Instagram posts "
        "per week (week ending Sunday); the monthly figure is the average week.",
        "count", "higher", 3_300, D(2026, 12, 31), 2_100, D(2025, 1, 1), "monthly", "mean",
        "Build brand awareness in the target group.",
        "Line Bak", "Meta Business Suite and LinkedIn Analytics, weekly export", 1, "at risk",
        measured="weekly", knots=((0, 0), (0.5, 0.6), (0.8, 0.74), (1, 0.77)), noise=0.03,
        notes=(
            Note("2025-03-09", "Campaign launch", 1.25),
            Note("2025-11-30", "Black Friday", 1.3),
        ),
    ),
    SampleKpi(
        "CS-01", "Customer service", "Customer satisfaction (CSAT)",
        "Share of answered post-contact surveys that rate the service 4 or 5 on a 1-5 scale.",
        "%", "higher", 0.88, D(2026, 12, 31), 0.78, D(2025, 1, 1), "monthly", "mean",
        "Keep customers happy so they buy again and recommend us.",
        "Sofie Berg", "Zendesk satisfaction survey", 2, "on track",
        knots=((0, 0), (1, 0.92)), noise=0.004, decimals=3,
    ),
    SampleKpi(
        "CS-02", "Customer service", "Average response time",
        "Average time from a customer's first e-mail or chat message until the first reply "
        "from an agent, in opening hours, per week.",
        "hours", "lower", 4.0, D(2026, 12, 31), 8.0, D(2025, 1, 1), "weekly", "mean",
        "Answer customers quickly.",
        "Omar Haddad", "Zendesk, first reply time report", 1, "achieved",
        measured="weekly", knots=((0, 0), (0.3, 0.45), (0.6, 0.9), (1, 1.2)), noise=0.05,
        season=SLOW_SUMMER, decimals=1,
        notes=(
            Note("2025-05-04", "New ticket system"),
            Note("2025-07-13", "Summer holidays"),
            Note("2026-02-01", "Chatbot live"),
        ),
    ),
    SampleKpi(
        "CS-03", "Customer service", "Customer problems solved per day",
        "Support tickets closed as solved per working day; the monthly figure is the average "
        "of the working days.",
        "count", "higher", 60, D(2026, 12, 31), 45, D(2025, 1, 1), "monthly", "mean",
        "Solve more customer problems without adding staff.",
        "Omar Haddad", "Zendesk, solved tickets per day", 1, "off track",
        measured="daily", knots=((0, 0), (0.5, 0.42), (0.8, 0.26), (1, 0.2)), noise=0.09,
        season=SUPPORT_SEASON,
        notes=(
            Note("2025-10-14", "System outage", 0.55),
            Note("2026-03-02", "Two agents on long-term sick leave"),
        ),
    ),
    SampleKpi(
        "HR-01", "HR", "Employee retention rate",
        "Share of the employees employed 12 months ago who are still employed (rolling 12 "
        "months).",
        "%", "higher", 0.90, D(2027, 6, 30), 0.84, D(2025, 1, 1), "monthly", "last",
        "Keep skills in the company and reduce recruitment costs.",
        "Anders Dahl", "HR system (Danløn), headcount report", 1, "on track",
        knots=((0, 0), (1, 0.8)), noise=0.003, decimals=3,
    ),
    SampleKpi(
        "HR-02", "HR", "Onboarding time",
        "Average number of calendar days from a new hire's first day until the onboarding "
        "checklist is signed off, for hires completing onboarding in the month.",
        "days", "lower", 20, D(2026, 12, 31), 30, D(2025, 1, 1), "monthly", "mean",
        "Make new employees productive sooner.",
        "Eva Thorsen", "HR system (Danløn), onboarding checklist", 1, "at risk",
        knots=((0, 0), (0.5, 0.6), (0.8, 0.73), (1, 0.76)), noise=0.015, decimals=1,
        notes=(Note("2025-06", "New onboarding programme"),),
    ),
    SampleKpi(
        "HR-03", "HR", "Employee satisfaction",
        "Average answer to 'How satisfied are you with your job overall?' on a 1-10 scale in "
        "the quarterly pulse survey.",
        "score", "higher", 8.0, D(2026, 12, 31), 6.8, D(2025, 1, 1), "quarterly", "mean",
        "Be an attractive workplace.",
        "Anders Dahl", "Quarterly pulse survey (Peakon)", 1, "off track",
        measured="quarterly", knots=((0, 0), (0.5, 0.3), (1, 0.08)), noise=0.01, decimals=1,
        notes=(Note("2025-09", "Moved to new office"), Note("2026-09", "Reorganisation")),
    ),
    SampleKpi(
        "HR-04", "HR", "Sick leave",
        "Days of sick leave as a share of the working days of all employees in the month.",
        "%", "lower", 0.03, D(2026, 12, 31), 0.027, D(2025, 12, 1), "monthly", "mean",
        "Keep sick leave at most 3 %: a healthy workplace.",
        "Anders Dahl", "HR system (Danløn), absence report", 1, "on track",
        goal="keep", start=D(2025, 12, 1), knots=((0, 0), (1, 0)), noise=0.03,
        season=FLU_SEASON, decimals=3, notes=(Note("2026-02", "Flu season"),),
    ),
)  # fmt: skip

ACME = Sample(
    file="acme-en.xlsx",
    lang="en",
    report_date=D(2026, 9, 30),
    first_date=D(2025, 1, 1),
    settings=(
        ("company", "Acme Nordic A/S"),
        ("title", "KPI report Q3 2026"),
        ("report_date", D(2026, 9, 30)),
        ("language", "en"),
        ("currency", "DKK"),
        ("primary_color", "#1F3A5F"),
        ("accent_color", "#F2A900"),
        ("logo", "acme-logo.png"),
        ("on_track", 0.95),
        ("at_risk", 0.80),
        ("board_recipients", "board@acme.example.com; chair@acme.example.com"),
    ),
    departments=(
        ("Sales", "Mette Kjær", "mette.kjaer@example.com", "#1F4E79"),
        ("Digital marketing", "Jonas Holm", "jonas.holm@example.com; line.bak@example.com",
         "#7B3F99"),
        ("Customer service", "Sofie Berg", "sofie.berg@example.com", "#2E8B57"),
        ("HR", "Anders Dahl", "anders.dahl@example.com", "#C0504D"),
    ),
    kpis=ACME_KPIS,
    benchmarks=(
        ("SALES-01", "Industry average 2025", 48, "industry", D(2025, 12, 31)),
        ("SALES-02", "Industry average 2025", 0.13, "industry", D(2025, 12, 31)),
        ("SALES-03", "Previous year", 4_150_000, "internal", D(2024, 12, 31)),
        ("SALES-03", "Competitor: Nordlys Trading A/S (annual report 2025)", 5_100_000,
         "competitor", D(2025, 12, 31)),
        ("MKT-01", "Industry average 2025", 21_000, "industry", D(2025, 12, 31)),
        ("MKT-02", "Industry average 2025", 0.021, "industry", D(2025, 12, 31)),
        ("MKT-03", "Previous year", 2_000, "internal", D(2024, 12, 31)),
        ("CS-01", "Industry average 2025", 0.85, "industry", D(2025, 12, 31)),
        ("CS-02", "Industry average 2025", 6.0, "industry", D(2025, 12, 31)),
        ("CS-03", "Previous year", 44, "internal", D(2024, 12, 31)),
        ("HR-01", "Industry average 2025", 0.87, "industry", D(2025, 12, 31)),
        ("HR-02", "Industry average 2025", 25, "industry", D(2025, 12, 31)),
        ("HR-03", "Industry average 2025", 7.4, "industry", D(2025, 12, 31)),
    ),
    comments=(
        ("SALES-03", D(2026, 9, 30), "Revenue is still below plan after we lost the Nordhavn "
         "key account in February; the pipeline refills from Q4.", "Win back two mid-size "
         "accounts with the new service offer", "Mette Kjær", D(2026, 12, 31)),
        ("CS-03", D(2026, 9, 30), "Two experienced agents left in August; the three new "
         "agents are still in training.", "Finish the new agents' onboarding", "Sofie Berg",
         D(2026, 11, 15)),
        ("HR-03", D(2026, 9, 30), "The Q3 survey names workload as the main complaint.",
         "Agree a workload plan in every team", "Anders Dahl", D(2026, 11, 30)),
        ("SALES-02", None, "Conversion is counted 90 days after the lead, so the latest "
         "months still grow.", None, None, None),
    ),
    primary_color="#1F3A5F",
)  # fmt: skip

FJORDSOL_KPIS = (
    SampleKpi(
        "SALG-01", "Salg", "Antal nye kunder pr. måned",
        "Antal nye kunder, der har underskrevet en ordre på et solcelleanlæg i måneden.",
        "antal", "higher", 35, D(2027, 6, 30), 25, D(2024, 11, 1), "monthly", "sum",
        "Vokse kundebasen med 40 % inden sommeren 2027.",
        "Lars Mikkelsen", "CRM (Pipedrive), vundne handler", 1, "achieved",
        knots=((0, 0), (0.5, 0.6), (1, 1.3)), noise=0.025, season=SOLAR_SEASON,
        notes=(Note("2025-04", "Forårskampagne"), Note("2025-11", "Black Friday")),
    ),
    SampleKpi(
        "SALG-02", "Salg", "Konverteringsrate fra leads til kunder",
        "Andel af kvalificerede leads fra måneden, der er blevet til kunder inden for 60 dage.",
        "%", "higher", 0.25, D(2027, 6, 30), 0.18, D(2024, 11, 1), "monthly", "mean",
        "Sælge mere effektivt: flere kunder for det samme markedsføringsbudget.",
        "Maja Holst", "CRM (Pipedrive), salgstragt", 1, "on track",
        knots=((0, 0), (1, 0.84)), noise=0.012, decimals=3,
    ),
    SampleKpi(
        "SALG-03", "Salg", "Total omsætning pr. måned",
        "Faktureret omsætning i måneden ekskl. moms, alle produkter og serviceaftaler.",
        "kr.", "higher", 3_200_000, D(2026, 12, 31), 2_400_000, D(2024, 11, 1), "monthly",
        "sum",
        "Nå en årlig omsætning på 38 mio. kr. i 2027.",
        "Lars Mikkelsen", "e-conomic, resultatopgørelse pr. måned", 2, "on track",
        knots=((0, 0), (0.45, 0.48), (1, 0.97)), noise=0.012,
        season=SOLAR_REVENUE, decimals=-3,
        notes=(Note("2025-03", "Prisstigning"), Note("2025-11", "Black Friday")),
        plan_from=D(2025, 7, 1),
        plan_notes=(
            Note("2025-07", "Sommerferie"), Note("2025-11", "Black Friday"),
            Note("2026-07", "Sommerferie"), Note("2026-11", "Black Friday"),
        ),
        intended_without_plan="at risk",
    ),
    SampleKpi(
        "MARK-01", "Digital marketing", "Organisk trafik til hjemmesiden",
        "Besøg på fjordsol.example.com fra ubetalte søgeresultater (Google Analytics 4, kanalen "
        "'Organic Search').",
        "besøg", "higher", 9_000, D(2027, 6, 30), 6_000, D(2024, 11, 1), "monthly", "sum",
        "Skaffe flere leads uden at betale for hvert klik.",
        "Camilla Vestergaard", "Google Analytics 4", 1, "on track",
        knots=((0, 0), (0.5, 0.4), (1, 0.86)), noise=0.025, season=WEB_SEASON,
        notes=(Note("2025-07", "Sommerferie"), Note("2026-01", "Ny hjemmeside", 1.04)),
    ),
    SampleKpi(
        "MARK-02", "Digital marketing", "Klikrate (CTR) på annoncer",
        "Klik divideret med visninger for alle betalte søge- og sociale annoncer i måneden.",
        "%", "higher", 0.030, D(2026, 12, 31), 0.021, D(2024, 11, 1), "monthly", "mean",
        "Få mere ud af annoncebudgettet.",
        "Jakob Friis", "Google Ads og Meta Ads Manager", 1, "off track",
        knots=((0, 0), (0.5, 0.32), (1, 0.16)), noise=0.025, decimals=4,
        notes=(Note("2025-03", "Kampagnestart", 1.06),),
    ),
    SampleKpi(
        "MARK-03", "Digital marketing", "Engagement på sociale medier",
        "Likes, kommentarer og delinger på virksomhedens opslag på LinkedIn, Facebook og "
        "Instagram pr. uge (ugen slutter søndag); månedens tal er gennemsnittet af ugerne.",
        "antal", "higher", 1_050, D(2027, 6, 30), 700, D(2024, 11, 1), "monthly", "mean",
        "Gøre Fjordsol kendt i målgruppen.",
        "Jakob Friis", "Meta Business Suite og LinkedIn Analytics, ugentligt udtræk", 1,
        "on track",
        measured="weekly", knots=((0, 0), (1, 0.86)), noise=0.035,
        notes=(Note("2025-03-09", "Kampagnestart", 1.25),),
    ),
    SampleKpi(
        "KS-01", "Kundeservice", "Kundetilfredshedsscore (CSAT)",
        "Andel af besvarede tilfredshedsmålinger efter en henvendelse med karakter 4 eller 5 "
        "på en skala fra 1 til 5.",
        "%", "higher", 0.90, D(2026, 12, 31), 0.80, D(2024, 11, 1), "monthly", "mean",
        "Tilfredse kunder, der anbefaler os til naboen.",
        "Peter Søndergaard", "Zendesk, tilfredshedsmåling", 2, "at risk",
        knots=((0, 0), (0.45, 0.58), (0.75, 0.76), (1, 0.8)), noise=0.003, decimals=3,
    ),
    SampleKpi(
        "KS-02", "Kundeservice", "Gennemsnitlig svartid på kundehenvendelser",
        "Gennemsnitlig tid fra kundens første mail eller chat til første svar fra en "
        "medarbejder, i åbningstiden, pr. uge.",
        "timer", "lower", 8, D(2026, 6, 30), 24, D(2024, 11, 1), "weekly", "mean",
        "Svare kunderne hurtigt.",
        "Sara Nielsen", "Zendesk, rapport over første svartid", 1, "missed",
        measured="weekly", knots=((0, 0), (0.5, 0.55), (1, 0.75)), noise=0.05,
        season=SLOW_SUMMER, decimals=1,
        notes=(Note("2025-02-02", "Nyt ticketsystem"), Note("2025-07-13", "Sommerferie")),
    ),
    SampleKpi(
        "KS-03", "Kundeservice", "Antal løste kundeproblemer pr. dag",
        "Antal sager lukket som løst pr. arbejdsdag; månedens tal er gennemsnittet af "
        "arbejdsdagene.",
        "antal", "higher", 24, D(2026, 12, 31), 18, D(2024, 11, 1), "monthly", "mean",
        "Løse flere kundeproblemer uden at ansætte flere.",
        "Sara Nielsen", "Zendesk, løste sager pr. dag", 1, "achieved",
        measured="daily", knots=((0, 0), (0.6, 0.8), (1, 1.25)), noise=0.1,
        season=SUPPORT_SEASON,
        notes=(Note("2025-09-16", "Nedbrud i telefonsystemet", 0.5),),
    ),
    SampleKpi(
        "HR-01", "HR", "Ansattes fastholdelsesrate",
        "Andel af de ansatte for 12 måneder siden, der stadig er ansat (løbende 12 måneder).",
        "%", "higher", 0.92, D(2026, 12, 31), 0.86, D(2024, 11, 1), "monthly", "last",
        "Fastholde kompetencer og spare rekrutteringsomkostninger.",
        "Henriette Juhl", "Danløn, medarbejderoversigt", 1, "off track",
        knots=((0, 0), (0.5, 0.4), (1, 0.3)), noise=0.002, decimals=3,
        notes=(Note("2026-04", "To montører sagt op"),),
    ),
    SampleKpi(
        "HR-02", "HR", "Tid brugt på onboarding af nye medarbejdere",
        "Gennemsnitligt antal kalenderdage fra første arbejdsdag, til onboarding-tjeklisten er "
        "godkendt, for nyansatte der afslutter onboarding i måneden.",
        "dage", "lower", 14, D(2027, 12, 31), 21, D(2025, 1, 1), "monthly", "mean",
        "Gøre nye medarbejdere produktive hurtigere.",
        "Henriette Juhl", "Danløn, onboarding-tjekliste", 1, "on track",
        knots=((0, 0), (1, 0.72)), noise=0.02, decimals=1,
    ),
    SampleKpi(
        "HR-03", "HR", "Medarbejdertilfredshed",
        "Gennemsnitligt svar på 'Hvor tilfreds er du alt i alt med dit job?' på en skala fra "
        "1 til 10 i den kvartalsvise trivselsmåling.",
        "score", "higher", 8.2, D(2026, 12, 31), 7.2, D(2024, 11, 1), "quarterly", "mean",
        "Være en attraktiv arbejdsplads.",
        "Henriette Juhl", "Kvartalsvis trivselsmåling (Peakon)", 1, "at risk",
        measured="quarterly", knots=((0, 0), (0.35, 0.68), (0.7, 0.72), (1, 0.8)), noise=0.004,
        decimals=2,
        notes=(Note("2026-03", "Ny overenskomst"),),
    ),
    SampleKpi(
        "HR-04", "HR", "Sygefravær",
        "Sygedage i procent af alle medarbejderes arbejdsdage i måneden.",
        "%", "lower", 0.03, D(2026, 12, 31), 0.026, D(2026, 1, 1), "monthly", "mean",
        "Holde sygefraværet på højst 3 %: en sund arbejdsplads.",
        "Henriette Juhl", "Danløn, fraværsoversigt", 1, "on track",
        goal="keep", start=D(2026, 1, 1), knots=((0, 0), (1, 0)), noise=0.03,
        season=FLU_SEASON, decimals=3, notes=(Note("2026-02", "Influenzasæson"),),
    ),
)  # fmt: skip

FJORDSOL = Sample(
    file="fjordsol-da.xlsx",
    lang="da",
    report_date=D(2026, 10, 31),
    first_date=D(2024, 11, 1),
    settings=(
        ("virksomhed", "Fjordsol ApS"),
        ("titel", "KPI-rapport oktober 2026"),
        ("rapportdato", D(2026, 10, 31)),
        ("sprog", "da"),
        ("valuta", "DKK"),
        ("primær farve", "#0B4F6C"),
        ("accentfarve", "#F6AE2D"),
        ("på sporet", 0.95),
        ("i risiko", 0.80),
        ("bestyrelse", "bestyrelse@fjordsol.example.com; formand@fjordsol.example.com"),
        ("regnskabsår start", "juli"),
    ),
    departments=(
        ("Salg", "Lars Mikkelsen", "lars.mikkelsen@example.com", "#0B4F6C"),
        ("Digital marketing", "Camilla Vestergaard", "camilla.vestergaard@example.com",
         "#8E5572"),
        ("Kundeservice", "Peter Søndergaard", "peter.soendergaard@example.com, "
         "sara.nielsen@example.com", "#3C8D5A"),
        ("HR", "Henriette Juhl", "henriette.juhl@example.com", "#D1495B"),
    ),
    kpis=FJORDSOL_KPIS,
    benchmarks=(
        ("SALG-01", "Branchegennemsnit 2025", 30, "industry", D(2025, 12, 31)),
        ("SALG-02", "Branchegennemsnit 2025", 0.21, "industry", D(2025, 12, 31)),
        ("SALG-03", "Sidste år", 2_350_000, "internal", D(2024, 12, 31)),
        ("SALG-03", "Konkurrent: SolNord A/S (årsrapport 2025)", 2_900_000, "competitor",
         D(2025, 12, 31)),
        ("MARK-01", "Branchegennemsnit 2025", 7_500, "industry", D(2025, 12, 31)),
        ("MARK-02", "Branchegennemsnit 2025", 0.026, "industry", D(2025, 12, 31)),
        ("MARK-03", "Sidste år", 650, "internal", D(2024, 12, 31)),
        ("KS-01", "Branchegennemsnit 2025", 0.86, "industry", D(2025, 12, 31)),
        ("KS-02", "Branchegennemsnit 2025", 12, "industry", D(2025, 12, 31)),
        ("KS-03", "Sidste år", 17, "internal", D(2024, 12, 31)),
        ("HR-01", "Branchegennemsnit 2025", 0.88, "industry", D(2025, 12, 31)),
        ("HR-02", "Branchegennemsnit 2025", 18, "industry", D(2025, 12, 31)),
        ("HR-03", "Branchegennemsnit 2025", 7.6, "industry", D(2025, 12, 31)),
    ),
    text_dates={
        ("SALG-01", D(2026, 3, 1)): "2026-03",
        ("HR-03", D(2026, 3, 15)): "2026-Q1",
        ("KS-03", D(2026, 10, 15)): "15-10-2026",
    },
    extra_sheets={
        "Noter": (
            "Noter til KPI-arbejdsbogen",
            "Dette ark er kun til os selv; kpireport læser det ikke.",
            "Målingerne for KS-03 eksporteres hver morgen fra Zendesk.",
            "Engagement (MARK-03) tælles pr. uge; ugen slutter søndag.",
            "Trivselsmålingen (HR-03) sendes ud midt i kvartalets sidste måned.",
            "Tal for oktober er foreløbige indtil regnskabet er lukket.",
        ),
    },
    comments=(
        ("MARK-02", D(2026, 10, 31), "Klikraten faldt, da vi skiftede til bredere målgrupper "
         "i august.", "Test nye annoncetekster på de tre største kampagner", "Jakob Friis",
         D(2026, 11, 30)),
        ("HR-01", D(2026, 10, 31), "To montører sagde op i september; begge er erstattet.",
         "Fastholdelsessamtaler med hele montageteamet", "Henriette Juhl", D(2026, 12, 15)),
        ("KS-02", D(2026, 10, 31), "Målet på 8 timer blev ikke nået inden 30. juni; svartiden "
         "er faldet siden.", "Nyt mål og ny deadline til bestyrelsesmødet i december",
         "Sara Nielsen", D(2026, 12, 10)),
        ("SALG-03", None, "Oktobertallet er foreløbigt, indtil regnskabet er lukket.", None,
         None, None),
    ),
    primary_color="#0B4F6C",
)  # fmt: skip

# --------------------------------------------------------------------------------------------
# Generating measurements
# --------------------------------------------------------------------------------------------

CLOSED_DAYS = {(12, 24), (12, 25), (12, 26), (12, 31), (1, 1)}
WEEKDAY_FACTOR = (1.1, 1.03, 1.0, 0.97, 0.9)  # Monday .. Friday


@dataclass(frozen=True)
class Point:
    """One generated measurement. Percent values are fractions."""

    date: dt.date
    value: float
    note: str | None = None


def first_of_month(d: dt.date) -> dt.date:
    """The first day of d's month."""
    return d.replace(day=1)


def add_months(d: dt.date, months: int) -> dt.date:
    """The first day of the month ``months`` after d's month."""
    years, month0 = divmod(d.month - 1 + months, 12)
    return dt.date(d.year + years, month0 + 1, 1)


def cadence_dates(cadence: str, first: dt.date, last: dt.date) -> list[dt.date]:
    """Measurement dates from first to last: workdays, Sundays, month starts or mid-quarter-end."""
    dates: list[dt.date] = []
    if cadence in ("daily", "weekly"):
        day = first
        while day <= last:
            if cadence == "daily":
                if day.weekday() < 5 and (day.month, day.day) not in CLOSED_DAYS:
                    dates.append(day)
            elif day.weekday() == 6:
                dates.append(day)
            day += dt.timedelta(days=1)
        return dates
    month = first_of_month(first)
    while month <= last:
        if cadence == "monthly":
            dates.append(month)
        elif month.month % 3 == 0 and month.replace(day=15) <= last:
            dates.append(month.replace(day=15))
        month = add_months(month, 1)
    return dates


def interpolate(knots: Sequence[tuple[float, float]], x: float) -> float:
    """Piecewise-linear interpolation through knots, held flat outside them."""
    if x <= knots[0][0]:
        return knots[0][1]
    for (x0, y0), (x1, y1) in itertools.pairwise(knots):
        if x <= x1:
            return y0 + (y1 - y0) * (x - x0) / (x1 - x0)
    return knots[-1][1]


def round_value(value: float, decimals: int) -> float:
    """Round like a person typing the number would; whole numbers become ints."""
    rounded = round(value, decimals)
    return int(rounded) if decimals <= 0 else rounded


def generate(kpi: SampleKpi, first: dt.date, report_date: dt.date) -> list[Point]:
    """Measurements for one KPI: trend from baseline towards target, seasonality and noise."""
    rng = random.Random(f"{SEED}:{kpi.id}:{report_date.isoformat()}")
    dates = cadence_dates(kpi.measured, max(first, kpi.start or first), report_date)
    span = (report_date - kpi.baseline_date).days
    notes: dict[dt.date, Note] = {}
    for note in kpi.notes:
        if len(note.when) == 10:
            notes[dt.date.fromisoformat(note.when)] = note
        else:
            month = dt.date.fromisoformat(note.when + "-01")
            notes[next(d for d in dates if first_of_month(d) == month)] = note
    points = []
    for day in dates:
        progress = interpolate(kpi.knots, (day - kpi.baseline_date).days / span)
        level = kpi.baseline + (kpi.target - kpi.baseline) * progress
        level *= kpi.season.get(day.month, 1.0)
        if kpi.measured == "daily":
            level *= WEEKDAY_FACTOR[day.weekday()]
        marked = notes.get(day)
        if marked is not None:
            level *= marked.factor
        value = level * (1 + rng.gauss(0, kpi.noise))
        text = marked.text if marked else None
        points.append(Point(day, round_value(value, kpi.decimals), text))
    return points


def month_end(month: dt.date) -> dt.date:
    """The last day of month's month."""
    return add_months(month, 1) - dt.timedelta(days=1)


def straight_line(kpi: SampleKpi, day: dt.date) -> float:
    """The straight line from the baseline on the baseline date to the target on the deadline."""
    share = (day - kpi.baseline_date).days / (kpi.deadline - kpi.baseline_date).days
    return kpi.baseline + (kpi.target - kpi.baseline) * share


def plan_rows(kpi: SampleKpi) -> list[Point]:
    """The KPI's monthly plan, from `plan_from` to the deadline's month: the straight line on each
    month's last day times the month's season, over the deadline month's season, so that the
    deadline's month plans exactly the target (no plan-target-mismatch). Dated the first of the
    month."""
    if kpi.plan_from is None:
        return []
    notes = {n.when: n.text for n in kpi.plan_notes}
    last_season = kpi.season.get(kpi.deadline.month, 1.0)
    rows, month = [], kpi.plan_from
    while month <= kpi.deadline:
        end = min(month_end(month), kpi.deadline)
        value = straight_line(kpi, end) * kpi.season.get(month.month, 1.0) / last_season
        rows.append(Point(month, round_value(value, -4), notes.get(month.isoformat()[:7])))
        month = add_months(month, 1)
    return rows


def expected_value(kpi: SampleKpi, day: dt.date) -> float:
    """The plan line on day: the baseline on the baseline date, each planned month's value on its
    last day, straight in between (the workbook contract's "Expected progress from a plan")."""
    points = [(kpi.baseline_date, kpi.baseline)]
    points += [(min(month_end(p.date), kpi.deadline), p.value) for p in plan_rows(kpi)]
    if day <= points[0][0]:
        return points[0][1]
    for (d0, v0), (d1, v1) in itertools.pairwise(points):
        if day <= d1:
            return v0 + (v1 - v0) * (day - d0).days / (d1 - d0).days
    return points[-1][1]


# --------------------------------------------------------------------------------------------
# Status, by the contract's "What the numbers mean"
# --------------------------------------------------------------------------------------------

AGGREGATE: dict[str, Callable[[list[float]], float]] = {
    "sum": sum,
    "mean": lambda values: sum(values) / len(values),
    "last": lambda values: values[-1],
    "min": min,
    "max": max,
}


@dataclass(frozen=True)
class StatusRow:
    """A KPI's status as of the report date."""

    kpi_id: str
    current: float | None
    target: float
    progress: float | None
    expected: float
    forecast: float | None
    status: str


def period_start(day: dt.date, frequency: str) -> dt.date:
    """The first day of the frequency period (ISO week, month, quarter, year) holding day."""
    if frequency == "daily":
        return day
    if frequency == "weekly":
        return day - dt.timedelta(days=day.weekday())
    if frequency == "monthly":
        return day.replace(day=1)
    if frequency == "quarterly":
        return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    return dt.date(day.year, 1, 1)


def linear_forecast(periods: Sequence[tuple[dt.date, float]], when: dt.date) -> float | None:
    """Least-squares line through the periods, evaluated at when; None for fewer than 3."""
    if len(periods) < 3:
        return None
    xs = [p.toordinal() for p, _ in periods]
    ys = [v for _, v in periods]
    mean_x = sum(xs) / len(xs)
    mean_y = sum(ys) / len(ys)
    sxx = sum((x - mean_x) ** 2 for x in xs)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / sxx
    return mean_y + slope * (when.toordinal() - mean_x)


def kpi_status(
    kpi: SampleKpi,
    points: Sequence[Point],
    report_date: dt.date,
    on_track: float = 0.95,
    at_risk: float = 0.80,
    recent: int = 6,
    with_plan: bool = True,
) -> StatusRow:
    """Current value, progress, expected progress and status of one KPI as of report_date (with
    its plan, unless ``with_plan`` is False: then by the straight line)."""
    grouped: dict[dt.date, list[float]] = {}
    for point in sorted(points, key=lambda p: p.date):
        if point.date <= report_date:
            grouped.setdefault(period_start(point.date, kpi.frequency), []).append(point.value)
    periods = [(start, AGGREGATE[kpi.aggregation](vals)) for start, vals in grouped.items()]
    periods.sort()
    baseline_date = kpi.baseline_date or (periods[0][0] if periods else report_date)
    total = (kpi.deadline - baseline_date).days
    elapsed = (report_date - baseline_date).days
    expected = min(1.0, max(0.0, elapsed / total)) if total > 0 else 1.0
    if not periods:
        return StatusRow(kpi.id, None, kpi.target, None, expected, None, "no data")
    current = periods[-1][1]
    forecast = linear_forecast(periods[-recent:], kpi.deadline)
    sign = 1 if kpi.direction == "higher" else -1
    if kpi.goal == "keep":  # the target is a limit: within it at or beyond for "higher"
        within = sign * (current - kpi.target) >= 0
        if report_date >= kpi.deadline:
            status = "achieved" if within else "missed"
        elif not within:
            status = "off track"
        elif forecast is not None and sign * (forecast - kpi.target) < 0:
            status = "at risk"
        else:
            status = "on track"
        return StatusRow(kpi.id, current, kpi.target, None, expected, forecast, status)
    baseline = kpi.baseline if kpi.baseline is not None else periods[0][1]
    progress = (current - baseline) / (kpi.target - baseline)
    on_track_bar, at_risk_bar = expected * on_track, expected * at_risk
    if with_plan and kpi.plan_from is not None:
        expected = (expected_value(kpi, report_date) - baseline) / (kpi.target - baseline)
        # below zero the bars are measured outwards, so that progress as planned is on track
        factors = (on_track, at_risk) if expected >= 0 else (2 - on_track, 2 - at_risk)
        on_track_bar, at_risk_bar = expected * factors[0], expected * factors[1]
    if sign * (current - kpi.target) >= 0:
        status = "achieved"
    elif report_date > kpi.deadline:
        status = "missed"
    elif progress >= on_track_bar or (forecast is not None and sign * (forecast - kpi.target) >= 0):
        status = "on track"
    elif progress >= at_risk_bar:
        status = "at risk"
    else:
        status = "off track"
    return StatusRow(kpi.id, current, kpi.target, progress, expected, forecast, status)


def format_number(value: float | None, percent: bool) -> str:
    """A value for the printed table."""
    if value is None:
        return "-"
    if percent:
        return f"{value:.2%}"
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:,.2f}"


def print_status_table(sample: Sample, rows: Sequence[StatusRow]) -> None:
    """Print id, current, target, progress, expected, forecast and status, and the status mix."""
    kpis = {k.id: k for k in sample.kpis}
    print(f"\n{sample.file}  (report date {sample.report_date.isoformat()})")
    header = f"{'id':<9}{'current':>12}{'target':>12}{'progress':>10}{'expected':>10}"
    print(f"{header}{'forecast':>12}  status")
    for row in rows:
        pct = kpis[row.kpi_id].percent
        progress = "-" if row.progress is None else f"{row.progress:.0%}"
        print(
            f"{row.kpi_id:<9}{format_number(row.current, pct):>12}"
            f"{format_number(row.target, pct):>12}{progress:>10}{row.expected:>10.0%}"
            f"{format_number(row.forecast, pct):>12}  {row.status}"
        )
    mix: dict[str, int] = {}
    for row in rows:
        mix[row.status] = mix.get(row.status, 0) + 1
    print("mix: " + ", ".join(f"{status} {count}" for status, count in mix.items()))


# --------------------------------------------------------------------------------------------
# Writing workbooks
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fmt:
    """A cell value with its number format."""

    value: object
    number_format: str


def write_table(
    ws: Worksheet,
    headers: Sequence[str],
    rows: Sequence[Sequence[object]],
    date_format: str,
    header_color: str,
    freeze: str = "A2",
) -> None:
    """Write a header row and data rows; style the header, freeze panes and size the columns."""
    widths = [len(h) + 2 for h in headers]
    ws.append(list(headers))
    fill = PatternFill("solid", fgColor=header_color.lstrip("#"))
    for cell in ws[1]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = fill
    for r, row in enumerate(rows, start=2):
        for c, item in enumerate(row, start=1):
            value, number_format = (
                (item.value, item.number_format) if isinstance(item, Fmt) else (item, None)
            )
            cell = ws.cell(row=r, column=c, value=value)
            if number_format is not None:
                cell.number_format = number_format
            elif isinstance(value, dt.date):
                cell.number_format = date_format
            widths[c - 1] = max(widths[c - 1], display_width(value))
    for c, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(c)].width = min(max(width, 8), 60)
    ws.freeze_panes = freeze


def display_width(value: object) -> int:
    """Roughly how many characters a value needs on screen."""
    if value is None:
        return 0
    if isinstance(value, dt.date):
        return 12
    if isinstance(value, int | float):
        return len(f"{value:,}") + 2
    return len(str(value)) + 2


def add_list_validation(ws: Worksheet, column: int, options: Sequence[str], rows: int) -> None:
    """A dropdown of options on a column's data rows, as a template would have."""
    validation = DataValidation(
        type="list", formula1='"' + ",".join(options) + '"', allow_blank=True
    )
    letter = get_column_letter(column)
    validation.add(f"{letter}2:{letter}{max(rows, 2) + 200}")
    ws.add_data_validation(validation)


def number_format_for(kpi: SampleKpi, lang: str) -> str | None:
    """The number format for a KPI's values, targets and benchmarks."""
    if kpi.percent:
        return PERCENT_FORMAT if lang == "en" else None
    if kpi.decimals <= 0:
        return "#,##0"
    return "0." + "0" * kpi.decimals


def typed(kpi: SampleKpi, value: float, lang: str) -> object:
    """A canonical value as typed into the workbook (Danish percents as plain numbers)."""
    if kpi.percent and lang == "da":
        value = round_value(value * 100, kpi.decimals - 2)
    number_format = number_format_for(kpi, lang)
    return value if number_format is None else Fmt(value, number_format)


def save_deterministic(wb: Workbook, path: Path) -> None:
    """Save with fixed document and zip timestamps, so reruns give identical bytes."""
    wb.properties.creator = "kpireport scripts/make_samples.py"
    wb.properties.created = FIXED_TIME
    buffer = io.BytesIO()
    wb.save(buffer)
    path.parent.mkdir(parents=True, exist_ok=True)
    with (
        zipfile.ZipFile(buffer) as source,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + stamp, data)
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            target.writestr(entry, data, compress_type=zipfile.ZIP_DEFLATED)


def write_sample(sample: Sample, points: dict[str, list[Point]]) -> Path:
    """Write one valid sample workbook."""
    lang = sample.lang
    names, headers, choices = SHEET_NAMES[lang], HEADERS[lang], CHOICES[lang]
    date_format, color = DATE_FORMATS[lang], sample.primary_color
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = names["settings"]
    write_table(ws, headers["settings"], sample.settings, date_format, color)

    ws = wb.create_sheet(names["departments"])
    write_table(ws, headers["departments"], sample.departments, date_format, color)

    ws = wb.create_sheet(names["kpis"])
    kpi_rows = []
    for k in sample.kpis:
        kpi_rows.append(
            [
                k.id, k.department, k.name, k.description, k.unit, choices[k.direction],
                typed(k, k.target, lang), k.deadline, typed(k, k.baseline, lang),
                k.baseline_date, choices[k.frequency], choices[k.aggregation], k.objective,
                k.owner, k.data_source, k.weight, choices[k.goal],
            ]
        )  # fmt: skip
    write_table(ws, headers["kpis"], kpi_rows, date_format, color, freeze="B2")
    for column, options in (
        (6, ("higher", "lower")),
        (11, ("daily", "weekly", "monthly", "quarterly", "yearly")),
        (12, ("sum", "mean", "last", "min", "max")),
        (17, ("reach", "keep")),
    ):
        add_list_validation(ws, column, [choices[o] for o in options], len(kpi_rows))

    ws = wb.create_sheet(names["measurements"])
    rows = []
    for k in sample.kpis:
        for p in points[k.id]:
            date: object = sample.text_dates.get((k.id, p.date), p.date)
            rows.append([k.id, date, typed(k, p.value, lang), p.note])
    write_table(ws, headers["measurements"], rows, date_format, color)

    ws = wb.create_sheet(names["benchmarks"])
    kpis = {k.id: k for k in sample.kpis}
    rows = [
        [kpi_id, source, typed(kpis[kpi_id], value, lang), choices[kind], when]
        for kpi_id, source, value, kind, when in sample.benchmarks
    ]
    write_table(ws, headers["benchmarks"], rows, date_format, color)
    kinds = ("industry", "competitor", "internal", "best_practice")
    add_list_validation(ws, 4, [choices[o] for o in kinds], len(rows))

    ws = wb.create_sheet(names["plan"])
    rows = [
        [k.id, Fmt(p.date, MONTH_FORMAT), typed(k, p.value, lang), p.note]
        for k in sample.kpis
        for p in plan_rows(k)
    ]
    write_table(ws, headers["plan"], rows, date_format, color)

    ws = wb.create_sheet(names["comments"])
    write_table(ws, headers["comments"], [list(c) for c in sample.comments], date_format, color)

    for title, lines in sample.extra_sheets.items():
        ws = wb.create_sheet(title)
        for line in lines:
            ws.append([line])
        ws["A1"].font = Font(bold=True, size=14)
        ws.column_dimensions["A"].width = 80

    path = OUT_DIR / sample.file
    save_deterministic(wb, path)
    return path


# --------------------------------------------------------------------------------------------
# The broken workbook (its problems are listed at the top of this file)
# --------------------------------------------------------------------------------------------

BROKEN_PROBLEMS: tuple[tuple[str, str, object], ...] = (
    ("KPIs!A3", "duplicate KPI id (also on row 2)", "SALES-01"),
    ("KPIs!C4", "name packs two goals", "Revenue and customer satisfaction"),
    ("KPIs!D4", "no description (SMART warning)", None),
    ("KPIs!N4", "no owner (SMART warning)", None),
    ("KPIs!F5", "direction is not higher/lower", "up-ish"),
    ("KPIs!K5", "frequency is not allowed", "fortnightly"),
    ("KPIs!B6", "department not on the Departments sheet", "Customer service"),
    ("KPIs!H6", "deadline before the baseline date in KPIs!J6", D(2025, 12, 31)),
    ("Measurements!C8", "number typed as text (accepted with a warning)", "1.234,5"),
    ("Measurements!C10", "value is not a number", "n/a"),
    ("Measurements!B15", "date that is not a date", "31/02/2026"),
    ("Measurements!A17", "measurement for an unknown KPI id", "SALES-99"),
)


def write_broken() -> Path:
    """Write invalid/broken-en.xlsx and check each deliberate problem sits in its cell."""
    names, headers, color, date_format = SHEET_NAMES["en"], HEADERS["en"], "#7F7F7F", "yyyy-mm-dd"
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = names["settings"]
    settings = (
        ("company", "Acme Nordic A/S"),
        ("title", "KPI report (broken sample)"),
        ("report_date", D(2026, 9, 30)),
        ("language", "en"),
        ("currency", "DKK"),
    )
    write_table(ws, headers["settings"], settings, date_format, color)

    ws = wb.create_sheet(names["departments"])
    departments = (
        ("Sales", "Mette Kjær", "mette.kjaer@example.com", "#1F4E79"),
        ("Digital marketing", "Jonas Holm", "jonas.holm@example.com", "#7B3F99"),
    )
    write_table(ws, headers["departments"], departments, date_format, color)

    ws = wb.create_sheet(names["kpis"])
    kpis: list[list[object]] = [
        ["SALES-01", "Sales", "New customers per month",
         "New paying customers signed in the month.", "count", "higher", 60, D(2026, 12, 31),
         45, D(2026, 1, 1), "monthly", "sum", "Grow the customer base.", "Mette Kjær",
         "CRM (HubSpot)", 1],
        ["SALES-01", "Sales", "Repeat customers per month",
         "Existing customers placing a new order in the month.", "count", "higher", 60,
         D(2026, 12, 31), 45, D(2026, 1, 1), "monthly", "sum", "Keep customers coming back.",
         "Mette Kjær", "CRM (HubSpot)", 1],
        ["SALES-02", "Sales", "Revenue and customer satisfaction", None, "kDKK", "higher",
         1_400, D(2026, 12, 31), 1_100, D(2026, 1, 1), "monthly", "sum", "Grow.", None,
         "ERP (e-conomic)", 1],
        ["MKT-01", "Digital marketing", "Organic traffic",
         "Visits from unpaid search results.", "visits", "up-ish", 25_000, D(2026, 12, 31),
         19_000, D(2026, 1, 1), "fortnightly", "sum", "Win more leads without paying per click.",
         "Jonas Holm", "Google Analytics 4", 1],
        ["CS-01", "Customer service", "Average response time",
         "Hours until the first reply to a customer.", "hours", "lower", 4,
         D(2025, 12, 31), 7, D(2026, 1, 1), "monthly", "mean", "Answer customers quickly.",
         "Sofie Berg", "Zendesk", 1],
    ]  # fmt: skip
    write_table(ws, headers["kpis"], kpis, date_format, color, freeze="B2")

    ws = wb.create_sheet(names["measurements"])
    measurements: list[list[object]] = [
        ["SALES-01", D(2026, 6, 1), 48, None],
        ["SALES-01", D(2026, 7, 1), 51, "Summer campaign"],
        ["SALES-01", D(2026, 8, 1), 50, None],
        ["SALES-01", D(2026, 9, 1), 53, None],
        ["SALES-02", D(2026, 7, 1), 1_180, None],
        ["SALES-02", D(2026, 8, 1), 1_210.5, None],
        ["SALES-02", D(2026, 9, 1), "1.234,5", "Typed by hand"],
        ["MKT-01", D(2026, 6, 1), 20_100, None],
        ["MKT-01", D(2026, 7, 1), "n/a", "Tracking broken"],
        ["MKT-01", D(2026, 8, 1), 20_950, None],
        ["MKT-01", D(2026, 9, 1), 21_400, None],
        ["CS-01", D(2026, 6, 1), 6.5, None],
        ["CS-01", D(2026, 7, 1), 6.1, None],
        ["CS-01", "31/02/2026", 5.8, None],
        ["CS-01", D(2026, 9, 1), 5.4, None],
        ["SALES-99", D(2026, 9, 1), 12, None],
    ]
    write_table(ws, headers["measurements"], measurements, date_format, color)

    for ref, _problem, expected in BROKEN_PROBLEMS:
        sheet, cell = ref.split("!")
        actual = wb[sheet][cell].value
        if isinstance(actual, dt.datetime):
            actual = actual.date()
        if actual != expected:
            raise SystemExit(f"broken sample: {ref} is {actual!r}, expected {expected!r}")
    path = OUT_DIR / "invalid" / "broken-en.xlsx"
    save_deterministic(wb, path)
    return path


# --------------------------------------------------------------------------------------------


def write_logo(path: Path) -> Path:
    """Acme's logo: rising bars and a dot, drawn with shapes only (no font needed), as a PNG
    next to the workbook, where the Settings sheet's `logo` names it."""
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (240, 80), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    for n, height in enumerate((26, 40, 54, 68)):
        left = 8 + n * 30
        draw.rounded_rectangle((left, 76 - height, left + 20, 76), radius=4, fill="#1F3A5F")
    draw.ellipse((132, 6, 156, 30), fill="#F2A900")
    draw.rounded_rectangle((170, 40, 232, 52), radius=6, fill="#1F3A5F")
    draw.rounded_rectangle((170, 60, 214, 72), radius=6, fill="#8AA1BA")
    image.save(path, format="PNG", optimize=True)
    return path


def main() -> int:
    """Generate, check and write all sample workbooks."""
    written = [write_logo(ROOT / "sample_workbooks" / "acme-logo.png")]
    failures = []
    for sample in (ACME, FJORDSOL):
        points = {k.id: generate(k, sample.first_date, sample.report_date) for k in sample.kpis}
        rows = [
            kpi_status(k, points[k.id], sample.report_date, sample.on_track, sample.at_risk)
            for k in sample.kpis
        ]
        print_status_table(sample, rows)
        for kpi, row in zip(sample.kpis, rows, strict=True):
            if row.status != kpi.intended:
                failures.append(f"{sample.file} {kpi.id}: {row.status}, meant {kpi.intended}")
            if kpi.plan_from is None:
                continue
            straight = kpi_status(
                kpi, points[kpi.id], sample.report_date, sample.on_track, sample.at_risk,
                with_plan=False,
            )  # fmt: skip
            print(
                f"{kpi.id} by the straight line instead of its plan: expected "
                f"{straight.expected:.0%}, {straight.status}"
            )
            meant = kpi.intended_without_plan or kpi.intended
            if straight.status != meant:
                failures.append(f"{sample.file} {kpi.id} without its plan: {straight.status}")
        written.append(write_sample(sample, points))
    written.append(write_broken())
    print("\nbroken-en.xlsx deliberate problems:")
    for ref, problem, value in BROKEN_PROBLEMS:
        print(f"  {ref:<18} {problem}: {value!r}")
    print("\nwritten:")
    for path in written:
        print(f"  {path.relative_to(ROOT)}")
    if failures:
        print("\nstatus differs from the design:\n  " + "\n  ".join(failures), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
