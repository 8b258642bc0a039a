"""Where the files shipped with kpireport live, in a source checkout and in an installed wheel."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def templates_dir() -> Path:
    """The folder of the default templates (``templates/`` in the source tree)."""
    return Path(str(resources.files("kpireport.templates")))


def template_text(name: str) -> str:
    """The text of one shipped template file."""
    return (resources.files("kpireport.templates") / name).read_text(encoding="utf-8")
