"""``DIR/index.html``: the overview of every workbook's report sets."""

from __future__ import annotations

from kpireport import __version__
from kpireport.i18n import get_locale
from kpireport.render import environment
from kpireport.replaced import REPLACED


def render_home(
    listing: dict[str, list[str]],
    kept: dict[str, list[tuple[str, str | None]]],
    lang: str | None,
) -> str:
    """``listing``: workbook name -> report dates, latest first; ``kept``: workbook name ->
    (folder in its ``.replaced/``, company) of the sets of other companies kept aside."""
    locale = get_locale(lang)
    return (
        environment()
        .get_template("home.html")
        .render(
            listing=listing,
            kept=kept,
            replaced=REPLACED,
            locale=locale,
            lang=locale.code,
            version=__version__,
        )
    )
