"""The text alternative of a KPI's chart: what a screen reader says for it in the HTML
(``aria-label`` and ``<title>``) and in a tagged PDF (the figure's ``/Alt``), since the picture
itself cannot be read: the KPI, its latest value, its target or limit, and its status in words."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kpireport import labels

if TYPE_CHECKING:
    from kpireport.engine import KpiResult
    from kpireport.render import View


def chart_text(view: View, kpi: KpiResult) -> str:
    """``Revenue per month: DKK 4,464,000 in 2026-09, against a target of DKK 5,500,000 by
    31 Dec 2026; on track.``"""
    gettext = view.locale.gettext
    status = labels.status(kpi.status, view.locale)
    if kpi.current is None or kpi.current_period is None:
        said = gettext("{name}: no values yet; {status}.")
        return said.format(name=kpi.name, status=status)
    current = view.value(kpi, kpi.current)
    if kpi.keep is not None:
        said = gettext("{name}: {current} in {period}, to stay {limit}; {status}.")
        return said.format(
            name=kpi.name,
            current=current,
            period=kpi.current_period,
            limit=view.limit(kpi),
            status=status,
        )
    said = gettext(
        "{name}: {current} in {period}, against a target of {target} by {deadline}; {status}."
    )
    return said.format(
        name=kpi.name,
        current=current,
        period=kpi.current_period,
        target=view.value(kpi, kpi.target),
        deadline=view.date(kpi.deadline),
        status=status,
    )
