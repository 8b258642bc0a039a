"""``DIR/index.html``: the overview of every workbook's report sets."""

from __future__ import annotations

from kpireport import __version__
from kpireport.i18n import get_locale
from kpireport.render import environment


def render_home(listing: dict[str, list[str]], lang: str | None) -> str:
    """``listing``: workbook name -> report dates, latest first."""
    locale = get_locale(lang)
    return (
        environment()
        .get_template("home.html")
        .render(listing=listing, locale=locale, lang=locale.code, version=__version__)
    )
