"""buildcache.templates_digest: what renders the pages, so that a change to any of it makes the
pages kept in ``.pages/`` (bodies, summary pieces, header layers) and the build out of date."""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

import pytest

from kpireport.buildcache import templates_digest


def test_another_weasyprint_makes_another_digest(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pages laid out by one WeasyPrint are not kept beside those of the next: an upgrade
    renders everything again."""
    installed = templates_digest(None)
    assert templates_digest(None) == installed  # the same files, the same digest
    real = importlib.metadata.version
    monkeypatch.setattr(
        importlib.metadata,
        "version",
        lambda name: "999.0" if name == "weasyprint" else real(name),
    )
    assert templates_digest(None) != installed


def test_a_template_of_the_users_own_makes_another_digest(tmp_path: Path) -> None:
    (tmp_path / "department.html").write_text('{% extends "default:department.html" %}')
    first = templates_digest(tmp_path)
    assert first != templates_digest(None)
    (tmp_path / "department.html").write_text('{% extends "default:department.html" %}\n')
    assert templates_digest(tmp_path) != first
