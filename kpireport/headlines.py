"""The headline sentences of a board pack or a department page (issue 15): two to four sentences
generated from the numbers, in the report's language, that say how many KPIs are achieved or on
track, what worsened since the last report, what improved, and which KPI is furthest behind."""

from __future__ import annotations

from collections.abc import Sequence

from babel.lists import format_list

from kpireport import fmt, labels
from kpireport.engine import Attention, ComparedWith, KpiResult, StatusChange, unit_of
from kpireport.engine.summary import GOOD
from kpireport.i18n import Locale


def headlines(
    kpis: Sequence[KpiResult],
    changes: Sequence[StatusChange],
    attention: Sequence[Attention],
    compared_with: ComparedWith | None,
    locale: Locale,
) -> list[str]:
    """The sentences for these KPIs (a department's, or the company's), their ``changes`` since
    the report ``compared_with`` and their ``attention`` list (furthest behind first)."""
    if not kpis:
        return []
    by_id = {k.id: k for k in kpis}
    good = sum(1 for k in kpis if k.status in GOOD)
    count = locale.ngettext("{n} KPI", "{n} KPIs", len(kpis))
    sentence = locale.ngettext(
        "{good} of {kpis} is achieved or on track.",
        "{good} of {kpis} are achieved or on track.",
        good,
    )
    out = [sentence.format(good=_n(good, locale), kpis=count.format(n=_n(len(kpis), locale)))]
    mentioned: set[str] = set()
    if compared_with is not None:
        since = fmt.date(compared_with.report_date, locale)
        worse = [c for c in changes if c.move == "worsened" and c.id in by_id]
        if worse:
            first = by_id[worse[0].id]
            mentioned.add(first.id)
            said = locale.ngettext(
                "{count} KPI has worsened since {date}: {detail}.",
                "{count} KPIs have worsened since {date}: {detail}.",
                len(worse),
            )
            detail = _now(first, locale)
            out.append(said.format(count=_n(len(worse), locale), date=since, detail=detail))
        else:
            out.append(locale.gettext("No KPI has worsened since {date}.").format(date=since))
        better = [by_id[c.id].name for c in changes if c.move == "improved" and c.id in by_id]
        if better:
            said = locale.ngettext(
                "{count} KPI has improved: {names}.",
                "{count} KPIs have improved: {names}.",
                len(better),
            )
            out.append(said.format(count=_n(len(better), locale), names=_names(better, locale)))
    behind = next((by_id[a.id] for a in attention if a.id in by_id), None)
    if behind is not None and behind.id not in mentioned:
        out.append(locale.gettext("Furthest behind: {detail}.").format(detail=_now(behind, locale)))
    return out


def _now(kpi: KpiResult, locale: Locale) -> str:
    """``Revenue, off track at DKK 2,150,000 against a plan of DKK 2,400,000``: against its
    plan where it has one, a keep KPI against its limit, else against its target."""
    status = labels.status(kpi.status, locale)
    if kpi.current is None:
        return locale.gettext("{name}, {status}").format(name=kpi.name, status=status)
    plan = kpi.plan.current if kpi.plan else None
    if kpi.keep is not None:
        text, other = (
            locale.gettext("{name}, {status} at {value} against a limit of {other}"),
            kpi.keep.limit,
        )
    elif plan is not None:
        text, other = (
            locale.gettext("{name}, {status} at {value} against a plan of {other}"),
            plan.planned,
        )
    else:
        text, other = (
            locale.gettext("{name}, {status} at {value} against a target of {other}"),
            kpi.target,
        )
    unit = unit_of(kpi)
    return text.format(
        name=kpi.name,
        status=status,
        value=fmt.value(kpi.current, unit, locale),
        other=fmt.value(other, unit, locale),
    )


def _names(names: list[str], locale: Locale) -> str:
    """``A, B and C`` (``A, B og C``); more than three as the first three and how many more."""
    if len(names) > 3:
        rest = locale.ngettext("{count} other", "{count} others", len(names) - 3)
        names = [*names[:3], rest.format(count=_n(len(names) - 3, locale))]
    return format_list(names, locale=locale.babel)


def _n(count: int, locale: Locale) -> str:
    return fmt.number(count, locale, 0)
