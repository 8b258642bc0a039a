"""Stage 4: render results as HTML (Jinja2 templates with inline CSS and SVG) and PDF
(WeasyPrint). Templates are looked up in a user folder first, then in the defaults, which a user
template can extend with ``{% extends "default:department.html" %}``. The mail stage's plain-text
templates (``templates/mail/``) are found the same way.

Every template runs in Jinja2's immutable sandbox: a template folder shared with less trusted
colleagues can show what it is given, but cannot reach Python's internals (``__class__``,
``__globals__``), run code or change the objects it is given (SECURITY.md)."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterator
from pathlib import Path
from types import CodeType
from typing import TYPE_CHECKING, Any

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup, escape

from kpireport import __version__, fmt, labels
from kpireport.engine import (
    Attention,
    Change,
    DepartmentResult,
    KpiResult,
    PlanPeriod,
    Point,
    Results,
    YearToDate,
    comparison_scale,
    unit_of,
)
from kpireport.engine.formulas import reached
from kpireport.errors import TemplateError
from kpireport.headlines import headlines
from kpireport.i18n import Locale, get_locale
from kpireport.render import alt, charts, contrast, since
from kpireport.resources import templates_dir

if TYPE_CHECKING:
    from kpireport.render.failed import Heading

DEFAULT_PRIMARY = "#1f4e79"
DEFAULT_ACCENT = "#c8553d"
TEMPLATE_NAMES = (
    "department.html",
    "board-pack.html",
    "validation.html",
    "index.html",
    "home.html",
)
# The subject and body of `kpireport send`'s messages (kpireport.mail.compose).
MAIL_TEMPLATE_NAMES = ("subject.txt", "body.txt")
DEFAULT_NAMES = {"report": TEMPLATE_NAMES, "mail": MAIL_TEMPLATE_NAMES}


def default_templates(kind: str = "report") -> Path:
    """The folder of the default templates of ``kind``: ``report`` or ``mail``."""
    return templates_dir() / kind


class _Compiled(jinja2.BytecodeCache):
    """The templates compiled in this process, by file, each with the SHA-256 of the source it
    was compiled from: an environment is made for each build, and compiling the report
    templates again took 0.09 s of each. A template whose text changed is compiled anew, so a
    user's edit shows at the next build."""

    def __init__(self) -> None:
        self.code: dict[str, tuple[str, CodeType | None]] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        checksum, code = self.code.get(bucket.key, ("", None))
        if checksum == bucket.checksum:
            bucket.code = code

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.code[bucket.key] = (bucket.checksum, bucket.code)

    def get_source_checksum(self, source: str) -> str:
        return hashlib.sha256(source.encode()).hexdigest()


class _Sandbox(ImmutableSandboxedEnvironment):
    """Jinja2's immutable sandbox, which asks of every attribute a template reads whether it is
    safe: whether its name starts with an underscore, names a function's, method's, frame's or
    generator's internals, or a method that changes a list, dict, set or deque. The answer
    depends on the object's type and the attribute's name only, so it is kept per type and name
    for the environment's life (one build): asking each of 85,000 times took 0.1 s of the HTML
    of the 10 x 25 bench workbook."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._verdicts: dict[tuple[type, str], bool] = {}

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        key = (type(obj), attr)
        verdict = self._verdicts.get(key)
        if verdict is None:
            verdict = self._verdicts[key] = super().is_safe_attribute(obj, attr, value)
        return verdict


# One cache per kind of environment: the code compiled from a template depends on the
# environment's settings (the mails' templates are not escaped).
_COMPILED: dict[str, _Compiled] = {}


def environment(user_dir: Path | None = None, kind: str = "report") -> jinja2.Environment:
    """The Jinja2 environment: ``user_dir`` (if any) before the defaults of ``kind``;
    ``default:`` names a default template even when a user template of the same name exists.
    Report templates are HTML-escaped, mail templates not; both run in the sandbox."""
    default = str(default_templates(kind))
    search = [str(user_dir), default] if user_dir else [default]
    env = _Sandbox(
        bytecode_cache=_COMPILED.setdefault(kind, _Compiled()),
        loader=jinja2.ChoiceLoader(
            [
                jinja2.FileSystemLoader(search),
                jinja2.PrefixLoader({"default": jinja2.FileSystemLoader(default)}, delimiter=":"),
            ]
        ),
        # the mails are plain text; every report template is escaped, also a .txt one it includes
        autoescape=kind != "mail",
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    install_translations(env)
    env.filters.update(
        {
            "date": _date,
            "pct": _percent,
            "signed_pct": _signed_percent,
        }
    )
    return env


def install_translations(env: jinja2.Environment) -> None:
    """``_()``, ``ngettext()`` and ``{% trans %}`` in ``env``'s templates, translated into the
    language of the template's ``locale`` variable (every template is rendered with one): so one
    environment serves every language."""
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=_gettext,
        ngettext=_ngettext,
        pgettext=_pgettext,
        npgettext=_npgettext,
        newstyle=True,
    )


def locale_of(context: jinja2.runtime.Context) -> Locale:
    """The locale a template is rendered in."""
    locale = context.get("locale")
    return locale if isinstance(locale, Locale) else get_locale(None)


def _safe(context: jinja2.runtime.Context, text: str) -> str:
    # A translation is text, not markup: in an HTML template its characters are escaped like
    # any other text's (Jinja marks what gettext returns as safe).
    return escape(text) if context.eval_ctx.autoescape else text


@jinja2.pass_context
def _gettext(context: jinja2.runtime.Context, message: str) -> str:
    return _safe(context, locale_of(context).gettext(message))


@jinja2.pass_context
def _ngettext(context: jinja2.runtime.Context, singular: str, plural: str, n: int) -> str:
    return _safe(context, locale_of(context).ngettext(singular, plural, n))


@jinja2.pass_context
def _pgettext(context: jinja2.runtime.Context, ctx: str, message: str) -> str:
    return _safe(context, locale_of(context).pgettext(ctx, message))


@jinja2.pass_context
def _npgettext(
    context: jinja2.runtime.Context, ctx: str, singular: str, plural: str, n: int
) -> str:
    return _safe(context, locale_of(context).npgettext(ctx, singular, plural, n))


class View:
    """What templates need to show one report set: labels, formatting and branding."""

    def __init__(
        self,
        results: Results | Heading,
        logo: str | None = None,
        memo: dict[tuple[object, ...], Markup] | None = None,
    ) -> None:
        self.r = results
        self.locale = get_locale(results.language)
        self.lang = self.locale.code
        self.primary = results.primary_color or DEFAULT_PRIMARY
        self.accent = results.accent_color or DEFAULT_ACCENT
        self.logo = logo  # a data: URI, checked by the caller
        self.version = __version__
        # the PDFs' paper, as CSS names it (A4, letter); a page of no report set is A4
        self.page_size = getattr(results, "page_size", "A4")
        self._kpis: dict[str, KpiResult] | None = None
        # markup made once for every page of the report set that shows it (see once()); the
        # views of one set share it, and the build lets it go once the HTML is written
        self.memo = memo

    def once(self, *key: object, caller: Callable[[], str]) -> Markup:
        """What the block of ``{% call v.once(...) %}`` makes, made once per report set for
        ``key``: a KPI's card, with its chart, is the same on its department's page and in the
        board pack, and making it took half of the HTML's time. Without a shared memo
        (a page rendered on its own), made every time."""
        if self.memo is None:
            return Markup(caller())
        made = self.memo.get(key)
        if made is None:
            made = self.memo[key] = Markup(caller())
        return made

    # -- formatting ---------------------------------------------------------------------------

    def value(self, kpi: KpiResult, value: float | None) -> str:
        return labels.NONE if value is None else fmt.value(value, unit_of(kpi), self.locale)

    def estimate(self, kpi: KpiResult, value: float | None) -> str:
        """A forecast, as precise as the KPI's target, baseline and current value are written:
        ``42`` new customers, not ``42.19``, when 35, 25 and 36 are whole."""
        if value is None or kpi.unit_kind == "percent":  # a percentage has its own precision
            return self.value(kpi, value)
        digits = fmt.decimals([kpi.target, kpi.baseline, kpi.current])
        return self.value(kpi, round(value, digits))

    def comparison(
        self, kpi: KpiResult, difference: float | None, relative: float | None = None
    ) -> str:
        """A comparison on the KPI's own scale, signed the way the value moved: ``−1.2 pp``
        for a percent KPI, ``+3 points`` for a score or index, ``−0.2 hours (−3.4%)``
        otherwise. ``difference`` and ``relative`` as in the results: positive is better."""
        if difference is None:
            return labels.NONE
        text = self._amount(kpi, _sign(kpi) * difference)
        if relative is not None:
            text += f" ({signed_percent(_sign(kpi) * relative, self.locale)})"
        return text

    def short_comparison(
        self, kpi: KpiResult, difference: float | None, relative: float | None = None
    ) -> str:
        """For the KPI table: the relative change (``+5.1%``) where the unit has one, else
        the amount on the KPI's scale (``−0.4 pp``, ``+3 points``)."""
        if difference is None or relative is None:
            return self.comparison(kpi, difference)
        return signed_percent(_sign(kpi) * relative, self.locale)

    def _amount(self, kpi: KpiResult, moved: float) -> str:
        """``moved`` (current minus the other value) with its sign, on the KPI's scale."""
        scale = comparison_scale(kpi.unit_kind, kpi.unit)
        if scale == "percentage_points":
            return f"{_mark(moved)}{fmt.number(abs(moved) * 100, self.locale, 1)} pp"
        if scale == "points":
            n = fmt.number(abs(moved), self.locale)
            points = self.locale.ngettext("{n} point", "{n} points", fmt.plural_n(n))
            return _mark(moved) + points.format(n=n)
        return _mark(moved) + fmt.value(abs(moved), unit_of(kpi), self.locale)

    def change(self, kpi: KpiResult, change: Change | None) -> str:
        """The change from an earlier period (:meth:`comparison`)."""
        if change is None:
            return labels.NONE
        return self.comparison(kpi, change.difference, change.relative)

    def short_change(self, kpi: KpiResult, change: Change | None) -> str:
        """The change from an earlier period, for the table (:meth:`short_comparison`)."""
        if change is None:
            return labels.NONE
        return self.short_comparison(kpi, change.difference, change.relative)

    def arrow(self, kpi: KpiResult, difference: float | None) -> str:
        """``▲`` when the value went up, ``▼`` when it went down, else nothing."""
        moved = 0.0 if difference is None else _sign(kpi) * difference
        return "▲" if moved > 0 else "▼" if moved < 0 else ""

    def verdict(self, difference: float | None) -> str:
        """``better``, ``worse`` or ``unchanged``: what a difference means, in words."""
        return labels.NONE if difference is None else labels.verdict(difference, self.locale)

    def so_far(self, kpi: KpiResult) -> str:
        """``2026-06 so far: DKK 495,000 (50% of the period)``: a sum KPI's running period."""
        partial = kpi.partial_period
        if partial is None:
            return ""
        return self.locale.gettext("{period} so far: {value} ({share} of the period)").format(
            period=partial.period,
            value=self.value(kpi, partial.value),
            share=fmt.percent(partial.elapsed, self.locale),
        )

    def kpi(self, kpi_id: str) -> KpiResult | None:
        """The KPI of an attention entry, by its id."""
        if self._kpis is None:
            departments = getattr(self.r, "departments", [])
            self._kpis = {k.id: k for d in departments for k in d.kpis}
        return self._kpis.get(kpi_id)

    def any_plan(self, entries: list[Attention]) -> bool:
        """Whether a KPI of these attention entries has a plan (the list's "vs plan" column)."""
        return any((k := self.kpi(a.id)) is not None and k.plan is not None for a in entries)

    # -- since the last report (issue 15) ------------------------------------------------------

    def headlines(self, dept: DepartmentResult | None = None) -> list[str]:
        """The headline sentences of the company, or of ``dept``."""
        results = self.r
        if not isinstance(results, Results):
            return []
        if dept is None:
            kpis = [k for d in results.departments for k in d.kpis]
            return headlines(
                kpis,
                results.summary.changes,
                results.summary.attention,
                results.compared_with,
                self.locale,
            )
        return headlines(
            dept.kpis, dept.changes, dept.attention, results.compared_with, self.locale
        )

    def since(self) -> str:
        """``Since the last report (31 May 2026)``; empty without a comparison."""
        compared = getattr(self.r, "compared_with", None)
        if compared is None:
            return ""
        return self.locale.gettext("Since the last report ({date})").format(
            date=self.date(compared.report_date)
        )

    def move(self, code: str) -> Markup:
        """A move's sign and word: ``▼ worsened``."""
        return Markup('<span class="move m-{0}">{1} {2}</span>').format(
            code, since.MOVE_SIGN[code], labels.move(code, self.locale)
        )

    def spark(self, kpi: KpiResult | None, dept: DepartmentResult | None = None) -> Markup:
        """The KPI's sparkline of its latest periods (:func:`since.sparkline`)."""
        if kpi is None:
            return Markup("")
        return Markup(since.sparkline(kpi, self.ink(dept)))  # a line: the readable colour

    # -- keep KPIs and plans ------------------------------------------------------------------

    def limit(self, kpi: KpiResult, value: float | None = None) -> str:
        """A keep KPI's limit in words: ``at most 3.0%`` (lower is better), ``at least 99.5%``;
        ``value``: the limit to show, by default the target."""
        amount = self.value(kpi, kpi.target if value is None else value)
        if kpi.direction == "lower":
            return self.locale.gettext("at most {value}").format(value=amount)
        return self.locale.gettext("at least {value}").format(value=amount)

    def held(self, kpi: KpiResult) -> str:
        """``held 9 of 10 months``; empty for a reach KPI."""
        if kpi.keep is None:
            return ""
        held = kpi.keep
        return labels.held(kpi.frequency, held.periods_held, held.periods, self.locale)

    def margin(self, kpi: KpiResult) -> str:
        """``0.4 pp within the limit`` or ``0.2 pp beyond the limit``: a keep KPI's current value
        against its limit."""
        if kpi.keep is None or kpi.keep.margin is None:
            return labels.NONE
        margin = kpi.keep.margin
        amount = self._amount(kpi, abs(margin)).lstrip("+")
        if margin >= 0:
            return self.locale.gettext("{amount} within the limit").format(amount=amount)
        return self.locale.gettext("{amount} beyond the limit").format(amount=amount)

    def keep_outlook(self, kpi: KpiResult) -> str:
        """Where a keep KPI's trend leads: ``stays within the limit`` or ``crosses the limit``
        by the deadline: its forecast against the target, by the rule that makes it at risk
        (docs/metrics.md, "Keep KPIs")."""
        if kpi.keep is None or kpi.forecast is None or kpi.forecast.value is None:
            return ""
        if reached(kpi.forecast.value, kpi.target, _sign(kpi)):
            return self.locale.gettext("stays within the limit")
        return self.locale.gettext("crosses the limit")

    def vs_plan(self, kpi: KpiResult, period: PlanPeriod | YearToDate | None) -> str:
        """A period's (or the year to date's) actual against its plan, for the table: ``+3.3%``
        where the unit has a relative change, else on the KPI's scale."""
        if period is None or period.variance is None:
            return labels.NONE
        return self.short_comparison(kpi, period.variance, period.relative)

    def against_plan(self, kpi: KpiResult, actual: float | None, planned: float) -> str:
        """``DKK 360,000 against a plan of DKK 370,000``."""
        return self.locale.gettext("{actual} against a plan of {planned}").format(
            actual=self.value(kpi, actual), planned=self.value(kpi, planned)
        )

    def plan_so_far(self, kpi: KpiResult) -> str:
        """``2026-11 so far: DKK 20,000 of a plan of DKK 170,000``: a sum KPI's running period
        against the whole period's plan."""
        so_far = kpi.plan.so_far if kpi.plan else None
        if so_far is None:
            return ""
        return self.locale.gettext("{period} so far: {actual} of a plan of {planned}").format(
            period=so_far.period,
            actual=self.value(kpi, so_far.actual),
            planned=self.value(kpi, so_far.planned),
        )

    def ytd_span(self, ytd: YearToDate) -> str:
        """``1 Jul 2026 – 31 Oct 2026``, with how many periods had no value and are left out."""
        text = f"{self.date(ytd.start)} – {self.date(ytd.end)}"
        if ytd.missing:
            left_out = self.locale.gettext("not counted: {count} without a value")
            text += " · " + left_out.format(count=fmt.number(ytd.missing, self.locale, 0))
        return text

    def pace(self, kpi: KpiResult, pace: float | None) -> str:
        if pace is None:
            return labels.NONE
        if kpi.unit_kind == "percent":
            amount = f"{fmt.number(abs(pace) * 100, self.locale, 2)} pp"
        else:
            amount = fmt.value(abs(pace), unit_of(kpi), self.locale)
        period = labels.period(kpi.frequency, self.locale)
        return self.locale.gettext("{amount} per {period}").format(
            amount=_mark(pace) + amount, period=period
        )

    def pct(self, value: float | None) -> str:
        return labels.NONE if value is None else fmt.percent(value, self.locale)

    def date(self, value: dt.date | None) -> str:
        return labels.NONE if value is None else fmt.date(value, self.locale)

    def status(self, status: str) -> str:
        return labels.status(status, self.locale)

    def icon(self, status: str) -> Markup:
        return Markup(charts.status_icon(status))

    def noted(self, kpi: KpiResult) -> list[Point]:
        """The periods of the KPI's series with notes (the card shows the last four): as
        ``k.series | selectattr("notes")`` gives them, without the sandbox's checks on each
        period of a daily KPI's series."""
        return [p for p in kpi.series if p.notes]

    def chart(self, kpi: KpiResult, dept: DepartmentResult) -> Markup:
        # the lines are labelled in their colours, on white: colours that read as text there
        color, accent = self.ink(dept), contrast.readable(self.accent)
        said = alt.chart_text(self, kpi)
        return Markup(charts.kpi_chart(kpi, self.locale, color, accent, said))

    def color(self, dept: DepartmentResult | None = None) -> str:
        return (dept.color if dept and dept.color else None) or self.primary

    def ink(self, dept: DepartmentResult | None = None, dark: bool = False) -> str:
        """The department's (or the brand's) colour for text: itself where it reads at 4.5:1 on
        the page, else its hue darkened (``dark``: lightened, for a dark screen) until it does;
        the colour as given stays for fills (:func:`contrast.readable`)."""
        page = contrast.DARK if dark else contrast.WHITE
        return contrast.readable(self.color(dept), page)

    def bar(self, kpi: KpiResult) -> dict[str, float]:
        """Widths in percent for the progress bar: progress (0-100) and the expected marker."""
        progress = 0.0 if kpi.progress is None else max(0.0, min(kpi.progress, 1.0))
        return {
            "progress": round(progress * 100, 1),
            "expected": round(kpi.expected_progress * 100, 1),
        }


def signed_percent(value: float, locale: Locale) -> str:
    """``+4.1%``, ``−0.5%``, ``±0%``."""
    return _mark(value) + fmt.percent(abs(value), locale)


def _mark(value: float) -> str:
    """The sign a report writes before a number: ``+``, a true minus ``−``, or ``±`` for 0."""
    return "+" if value > 0 else "−" if value < 0 else "±"


def _sign(kpi: KpiResult) -> float:
    """1 for a "higher is better" KPI, -1 for "lower": turns a difference (positive is better)
    back into the way the value moved."""
    return 1.0 if kpi.direction == "higher" else -1.0


# Filters: in the template's language, or in the language named (``{{ d | date("da") }}``).
@jinja2.pass_context
def _date(context: jinja2.runtime.Context, value: dt.date | None, lang: str | None = None) -> str:
    locale = get_locale(lang) if lang else locale_of(context)
    return "" if value is None else fmt.date(value, locale)


@jinja2.pass_context
def _percent(context: jinja2.runtime.Context, value: float | None, lang: str | None = None) -> str:
    locale = get_locale(lang) if lang else locale_of(context)
    return "" if value is None else fmt.percent(value, locale)


@jinja2.pass_context
def _signed_percent(
    context: jinja2.runtime.Context, value: float | None, lang: str | None = None
) -> str:
    locale = get_locale(lang) if lang else locale_of(context)
    return "" if value is None else signed_percent(value, locale)


PIECE = 1 << 20  # characters of text in one piece given by render_pieces


def render(env: jinja2.Environment, template: str, view: View, **context: Any) -> str:
    """A template rendered to a string (written to disk by the build stage)."""
    try:
        return env.get_template(template).render(**_variables(env, view), **context)
    except jinja2.TemplateError as exc:
        raise TemplateError(describe_template_error(exc, template)) from None


def render_pieces(
    env: jinja2.Environment, template: str, view: View, **context: Any
) -> Iterator[str]:
    """:func:`render`, its text given in pieces of about :data:`PIECE` characters as the
    template makes it: the HTML board pack of a 3,000-KPI workbook is 40 MB of text, which the
    build writes to its file as it comes instead of holding it whole, twice (text and bytes)."""
    try:
        pieces = env.get_template(template).generate(**_variables(env, view), **context)
        batch: list[str] = []
        size = 0
        for piece in pieces:
            batch.append(piece)
            size += len(piece)
            if size >= PIECE:
                yield "".join(batch)
                batch, size = [], 0
        yield "".join(batch)
    except jinja2.TemplateError as exc:
        raise TemplateError(describe_template_error(exc, template)) from None


def _variables(env: jinja2.Environment, view: View) -> dict[str, Any]:
    """What every template is rendered with: the view, the results, the locale, the CSS."""
    common = {"v": view, "view": view, "r": view.r, "locale": view.locale}
    return common | {"css": Markup(env.get_template("style.css").render(**common))}


def describe_template_error(exc: jinja2.TemplateError, template: str, kind: str = "report") -> str:
    """One sentence: which template, which line, what is wrong, and what templates of ``kind``
    exist."""
    where = getattr(exc, "filename", None) or getattr(exc, "name", None) or template
    line = getattr(exc, "lineno", None)
    at = f" (line {line})" if line else ""
    message = (exc.message or type(exc).__name__).rstrip(".")
    return (
        f"template {where} cannot be used: {message}{at}. "
        f"The default templates are: {', '.join(DEFAULT_NAMES[kind])}."
    )


# Logos are checked, read and scaled by kpireport.assets.Logos (path, content and pixels).
