"""``DIR/index.html``: the overview of every workbook's report sets."""

from __future__ import annotations

from kpireport import __version__, labels
from kpireport.render import environment


def render_home(listing: dict[str, list[str]], lang: str) -> str:
    """``listing``: workbook name -> report dates, latest first."""
    env = environment()
    return env.get_template("home.html").render(
        listing=listing, t=labels.text(lang), lang=lang, version=__version__
    )
