"""Words several parts of kpireport show: the statuses and the periods. English source strings,
translated through the language catalogues (:mod:`kpireport.i18n`)."""

from __future__ import annotations

from kpireport.i18n import N_, Locale, Nn_

STATUS = {
    "achieved": N_("achieved"),
    "on_track": N_("on track"),
    "at_risk": N_("at risk"),
    "off_track": N_("off track"),
    "missed": N_("missed"),
    "too_early": N_("too early"),
    "no_data": N_("no data"),
}

# The period of a frequency, as in "+2 per month".
PERIOD = {
    "daily": N_("day"),
    "weekly": N_("week"),
    "monthly": N_("month"),
    "quarterly": N_("quarter"),
    "yearly": N_("year"),
}

# How many periods a keep KPI held its limit, as in "held 9 of 10 months".
HELD = {
    "daily": Nn_("held {held} of {count} day", "held {held} of {count} days"),
    "weekly": Nn_("held {held} of {count} week", "held {held} of {count} weeks"),
    "monthly": Nn_("held {held} of {count} month", "held {held} of {count} months"),
    "quarterly": Nn_("held {held} of {count} quarter", "held {held} of {count} quarters"),
    "yearly": Nn_("held {held} of {count} year", "held {held} of {count} years"),
}

GOAL = {"reach": N_("reach"), "keep": N_("keep")}

# A KPI's move since the previous report (docs/metrics.md, "Since the last report").
MOVE = {
    "worsened": N_("worsened"),
    "improved": N_("improved"),
    "changed": N_("changed"),
    "new": N_("new"),
    "gone": N_("gone"),
    "held": N_("held"),
}

DIRECTION = {"higher": N_("higher is better"), "lower": N_("lower is better")}

# What a comparison with an earlier period or a benchmark means, in words: colour is never the
# only sign of good or bad.
VERDICT = {1: N_("better"), -1: N_("worse"), 0: N_("unchanged")}

# Shown where a value is missing.
NONE = "—"


def status(code: str, locale: Locale) -> str:
    """The status word for ``code`` (``on_track`` -> ``on track`` / ``på sporet``)."""
    return locale.gettext(STATUS[code])


def direction(code: str, locale: Locale) -> str:
    """``higher is better`` or ``lower is better``."""
    return locale.gettext(DIRECTION[code])


def goal(code: str, locale: Locale) -> str:
    """``reach`` or ``keep`` (``nå`` / ``hold``): the KPIs sheet's goal column."""
    return locale.gettext(GOAL[code])


def move(code: str, locale: Locale) -> str:
    """``worsened``, ``improved``, ``changed``, ``new``, ``gone`` or ``held``."""
    return locale.gettext(MOVE[code])


def verdict(difference: float, locale: Locale) -> str:
    """``better``, ``worse`` or ``unchanged`` for a difference signed so that positive is
    better."""
    return locale.gettext(VERDICT[(difference > 0) - (difference < 0)])


def period(frequency: str, locale: Locale) -> str:
    """The period of ``frequency`` (``monthly`` -> ``month`` / ``måned``)."""
    return locale.gettext(PERIOD[frequency])


def held(frequency: str, held: int, count: int, locale: Locale) -> str:
    """``held 9 of 10 months``: the periods a keep KPI held its limit, of those with a value."""
    singular, plural = HELD[frequency]
    return locale.ngettext(singular, plural, count).format(held=held, count=count)


def default_title(locale: Locale) -> str:
    """The reports' title when the Settings sheet gives none."""
    return locale.gettext("KPI report")
