"""The example rows of a new workbook (``kpireport init``): one small company's KPIs, consistent
with each other and the contract, in English or Danish."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from kpireport.schema import CHOICE_LABELS

PERCENT_FORMAT = "0.0%"
SHARE_FORMAT = "0%"

# Fixed dates rather than today's: the example must stay consistent however long after it is
# written the workbook is opened (deadlines after the latest measurement, the report date).
_BASELINE_DATE = dt.date(2025, 12, 31)
_DEADLINE = dt.date(2026, 12, 31)
_MONTHS = (dt.date(2026, 1, 31), dt.date(2026, 2, 28), dt.date(2026, 3, 31))
# The new-customers KPI's plan for 2026, month by month, from its baseline of 30 to its target of
# 60 in December (so no plan-target-mismatch): a quiet July, a Black Friday November.
_PLAN = (33, 36, 40, 43, 46, 48, 42, 49, 52, 55, 64, 60)


@dataclass(frozen=True)
class PercentCell:
    """A share stored as 0.42 in a percent-formatted cell, as Excel keeps a typed 42 %."""

    value: float
    number_format: str = PERCENT_FORMAT


def examples(lang: str) -> dict[str, list[dict[str, Any]]]:
    """Example rows per sheet, column key -> value, consistent with each other and the contract."""

    def t(en: str, da: str) -> str:
        return da if lang == "da" else en

    def choice(field: str, canonical: str) -> str:
        return CHOICE_LABELS[field][lang][canonical]

    sales, service = t("Sales", "Salg"), t("Customer Service", "Kundeservice")
    customers, win_rate, response = (
        t("SALES-01", "SALG-01"),
        t("SALES-02", "SALG-02"),
        t("SERVICE-01", "KUNDE-01"),
    )
    departments = [
        {
            "department": sales,
            "head": "Anna Jensen",
            "email": "anna.jensen@example.com",
            "color": "#1F6FB2",
        },
        {
            "department": service,
            "head": "Peter Nielsen",
            "email": "peter.nielsen@example.com; service-leads@example.com",
        },
    ]
    kpis = [
        {
            "id": customers,
            "department": sales,
            "name": t("New customers", "Nye kunder"),
            "description": t(
                "Customers with a first paid order in the month; renewals not counted",
                "Kunder med en første betalt ordre i måneden; fornyelser tælles ikke med",
            ),
            "unit": t("count", "antal"),
            "direction": choice("direction", "higher"),
            "target": 60,
            "deadline": _DEADLINE,
            "baseline": 30,
            "baseline_date": _BASELINE_DATE,
            "frequency": choice("frequency", "monthly"),
            "aggregation": choice("aggregation", "sum"),
            "objective": t("Grow revenue 20 % in 2026", "Øge omsætningen 20 % i 2026"),
            "owner": "Anna Jensen",
            "data_source": t("CRM, report 'New accounts'", "CRM, rapporten 'Nye konti'"),
            "weight": 2,
            "goal": choice("goal", "reach"),
        },
        {
            "id": win_rate,
            "department": sales,
            "name": t("Win rate", "Hitrate"),
            "description": t(
                "Won offers as a share of all offers closed in the month",
                "Vundne tilbud som andel af alle tilbud afsluttet i måneden",
            ),
            "unit": "%",
            "direction": choice("direction", "higher"),
            "target": PercentCell(0.42),
            "deadline": _DEADLINE,
            "baseline": PercentCell(0.30),
            "baseline_date": _BASELINE_DATE,
            "frequency": choice("frequency", "monthly"),
            "aggregation": choice("aggregation", "mean"),
            "objective": t("Sell more with the same team", "Sælge mere med det samme team"),
            "owner": "Mikkel Holm",
            "data_source": t("CRM, offer pipeline", "CRM, tilbudspipeline"),
            "weight": 1,
            "goal": choice("goal", "reach"),
        },
        {
            "id": response,
            "department": service,
            "name": t("First response time", "Første svartid"),
            "description": t(
                "Mean hours from a ticket being opened to the first human reply",
                "Gennemsnitlige timer fra en sag oprettes til det første svar fra en medarbejder",
            ),
            "unit": t("hours", "timer"),
            "direction": choice("direction", "lower"),
            "target": 4,
            "deadline": _DEADLINE,
            "baseline": 12,
            "baseline_date": _BASELINE_DATE,
            "frequency": choice("frequency", "monthly"),
            "aggregation": choice("aggregation", "mean"),
            "objective": t("Keep customers satisfied and loyal", "Fastholde tilfredse kunder"),
            "owner": "Peter Nielsen",
            "data_source": t("Helpdesk system, ticket log", "Helpdesksystem, sagslog"),
            "weight": 1,
            "goal": choice("goal", "reach"),
        },
    ]
    series: list[tuple[str, tuple[Any, ...]]] = [
        (customers, (34, 38, 41)),
        (win_rate, (PercentCell(0.31), PercentCell(0.33), PercentCell(0.36))),
        (response, (11, 10, 9.5)),
    ]
    measurements = [
        {"kpi": kpi, "date": date, "value": value}
        for kpi, values in series
        for date, value in zip(_MONTHS, values, strict=True)
    ]
    measurements[2]["note"] = t("Spring campaign started", "Forårskampagne startet")
    benchmarks = [
        {
            "kpi": win_rate,
            "source": t("Industry average 2025", "Branchegennemsnit 2025"),
            "value": PercentCell(0.35),
            "kind": choice("kind", "industry"),
            "date": _BASELINE_DATE,
        },
        {
            "kpi": response,
            "source": t("Competitor survey 2025", "Konkurrentundersøgelse 2025"),
            "value": 6,
            "kind": choice("kind", "competitor"),
            "date": _BASELINE_DATE,
        },
        {
            "kpi": customers,
            "source": t("Best region 2025", "Bedste region 2025"),
            "value": 50,
            "kind": choice("kind", "internal"),
            "date": _BASELINE_DATE,
        },
    ]
    plan: list[dict[str, Any]] = [
        {"kpi": customers, "period": dt.date(2026, month, 1), "target": target}
        for month, target in enumerate(_PLAN, start=1)
    ]
    plan[6]["note"] = t("Summer holidays", "Sommerferie")
    plan[10]["note"] = "Black Friday"
    comments: list[dict[str, Any]] = [
        {
            "kpi": win_rate,
            "report_date": "2026-03",  # the report of any day in March
            "comment": t(
                "The win rate rose after the new offer template in February.",
                "Hitraten steg efter den nye tilbudsskabelon i februar.",
            ),
            "action": t(
                "Roll the template out to every seller", "Rul skabelonen ud til alle sælgere"
            ),
            "owner": "Mikkel Holm",
            "due": dt.date(2026, 4, 30),
        },
        {
            "kpi": response,
            "comment": t(
                "Ticket volume doubles in December; the target allows for it.",
                "Antallet af sager fordobles i december; målet tager højde for det.",
            ),
        },
    ]
    return {
        "departments": departments,
        "kpis": kpis,
        "measurements": measurements,
        "benchmarks": benchmarks,
        "plan": plan,
        "comments": comments,
    }


def settings_values(lang: str) -> dict[str, Any]:
    """The example Settings, key -> value; ``report_date`` empty, so the latest measurement
    decides (a pre-filled date would leave later rows out of the report without a word)."""
    da = lang == "da"
    return {
        "company": "Eksempel A/S" if da else "Example Ltd",
        "title": "KPI-rapport" if da else "KPI report",
        "report_date": None,
        "language": lang,
        "currency": "DKK",
        "logo": None,  # a file name here must exist next to the workbook, so none in the example
        "primary_color": "#1F3A5F",
        "accent_color": "#E07A1F",
        "on_track": PercentCell(0.95, SHARE_FORMAT),
        "at_risk": PercentCell(0.80, SHARE_FORMAT),
        "board_recipients": "bestyrelse@example.com" if da else "board@example.com",
        # January: the calendar year, as when left empty, named so the dropdown shows the choice
        "fiscal_year_start": CHOICE_LABELS["month"][lang]["1"],
        "page_size": "A4",
    }
