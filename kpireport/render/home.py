"""The index pages: ``DIR/index.html``, the overview of every workbook's report sets, and the
trend across board meetings that it and each set's ``index.html`` show (a row per report date,
newest first, and the score as a line)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from markupsafe import Markup, escape

from kpireport import __version__, fmt
from kpireport.i18n import Locale, get_locale
from kpireport.render import DEFAULT_PRIMARY, _mark, environment
from kpireport.render.charts import status_icon
from kpireport.render.since import spark_points

if TYPE_CHECKING:
    from kpireport.history import SetSummary, WorkbookSets

# The sparkline's box, in CSS pixels. Its height spans the scores' range, but never less than
# MIN_SPAN (20 points), so that a move of one point does not look like a fall off a cliff.
SPARK_WIDTH, SPARK_HEIGHT, SPARK_PAD = 160, 36, 4
MIN_SPAN = 0.2


@dataclass(frozen=True)
class Row:
    """One report date of a trend: the set, the relative path of its folder from the page
    (``kpis/2026-06-30/``, ``../2026-05-31/``, or empty for the page's own set), and the change
    in its score since the next older set with a score."""

    set: SetSummary
    base: str
    change: float | None

    def points(self, locale: Locale) -> str:
        """The change, as :func:`points` writes it; empty when there is none."""
        return "" if self.change is None else points(self.change, locale)


@dataclass(frozen=True)
class Trend:
    """A workbook's report sets as the index pages show them, newest first."""

    rows: tuple[Row, ...]

    @property
    def latest(self) -> SetSummary:
        return self.rows[0].set

    @property
    def company(self) -> str | None:
        """The company of the newest set that says."""
        return next((r.set.numbers.company for r in self.rows if r.set.numbers), None)

    @property
    def scores(self) -> list[float]:
        """The scores there are, oldest first."""
        sets = (r.set for r in reversed(self.rows))
        return [s.numbers.score for s in sets if s.numbers and s.numbers.score is not None]

    def sparkline(self, locale: Locale, color: str = DEFAULT_PRIMARY) -> Markup:
        """The scores as a line in ``color``, labelled in ``locale``'s language."""
        scores = self.scores
        label = locale.ngettext(
            "Score over the last {count} report", "Score over the last {count} reports", len(scores)
        ).format(count=len(scores))
        return sparkline(scores, label, color)


def trend(sets: Sequence[SetSummary], base: str, own: str | None = None) -> Trend:
    """The trend of ``sets`` (newest first); each set's folder is ``base`` + its name, the page's
    ``own`` set's folder the page's."""
    rows = []
    for n, summary in enumerate(sets):
        older = (s.numbers.score for s in sets[n + 1 :] if s.numbers)
        before = next((score for score in older if score is not None), None)
        now = summary.numbers.score if summary.numbers else None
        change = None if now is None or before is None else now - before
        folder = "" if summary.folder == own else f"{base}{summary.folder}/"
        rows.append(Row(summary, folder, change))
    return Trend(tuple(rows))


def points(change: float, locale: Locale) -> str:
    """A change in the score, in percentage points: ``+3.2 pp``, ``−0.5 pp``, ``±0 pp``."""
    return f"{_mark(change)}{fmt.number(abs(change) * 100, locale, 1)}\xa0pp"


def sparkline(scores: list[float], label: str, color: str) -> Markup:
    """The scores (oldest first) as a small line in ``color``, a dot per report, with ``label``
    for screen readers; empty for fewer than two scores."""
    if len(scores) < 2:
        return Markup("")
    shown = [min(max(s, 0.0), 1.0) for s in scores]
    low, high = _span(min(shown), max(shown))
    xy = spark_points(shown, low, high, SPARK_WIDTH, SPARK_HEIGHT, SPARK_PAD)
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in xy)
    dots = "".join(
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{3 if i == len(xy) - 1 else 1.8}"/>'
        for i, (x, y) in enumerate(xy)
    )
    return Markup(
        f'<svg class="sparkline" role="img" aria-label="{escape(label)}" width="{SPARK_WIDTH}" '
        f'height="{SPARK_HEIGHT}" viewBox="0 0 {SPARK_WIDTH} {SPARK_HEIGHT}">'
        f"<title>{escape(label)}</title>"
        f'<polyline points="{line}" fill="none" stroke="{escape(color)}" stroke-width="2" '
        f'stroke-linejoin="round"/><g fill="{escape(color)}">{dots}</g></svg>'
    )


def _span(low: float, high: float) -> tuple[float, float]:
    """The range the sparkline's height spans: ``low`` to ``high`` widened to at least
    :data:`MIN_SPAN` around their middle, kept within 0 to 100%."""
    if high - low >= MIN_SPAN:
        return low, high
    middle = min(max((low + high) / 2, MIN_SPAN / 2), 1 - MIN_SPAN / 2)
    return middle - MIN_SPAN / 2, middle + MIN_SPAN / 2


def render_home(workbooks: list[WorkbookSets], lang: str | None) -> str:
    """``DIR/index.html`` for ``workbooks``: per workbook its company, latest report, score and
    status counts, the latest board pack, and its trend."""
    from kpireport import labels
    from kpireport.replaced import REPLACED

    locale = get_locale(lang)
    trends = [(w, trend(w.sets, f"{w.name}/")) for w in workbooks]
    return (
        environment()
        .get_template("home.html")
        .render(
            workbooks=trends,
            statuses={code: labels.status(code, locale) for code in labels.STATUS},
            icons={code: Markup(status_icon(code)) for code in labels.STATUS},
            replaced=REPLACED,
            locale=locale,
            lang=locale.code,
            version=__version__,
        )
    )
