"""The templates' environment (kpireport.render.environment): one is made for each build, and
the templates it compiles are kept for the process, by their text."""

from __future__ import annotations

import os
from pathlib import Path

import jinja2
import pytest

from kpireport.i18n import get_locale
from kpireport.render import environment


def _render(env: jinja2.Environment, template: str, **context: object) -> str:
    return env.get_template(template).render(locale=get_locale("en"), **context)


def test_a_template_is_compiled_once_per_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "page.html").write_text("<p>{{ name }}</p>")
    assert _render(environment(tmp_path), "page.html", name="A") == "<p>A</p>"

    def compile_again(*args: object, **kwargs: object) -> object:
        raise AssertionError("compiled again")

    env = environment(tmp_path)
    monkeypatch.setattr(env, "compile", compile_again)
    assert _render(env, "page.html", name="B") == "<p>B</p>"


def test_a_template_edited_between_builds_is_compiled_anew(tmp_path: Path) -> None:
    """Even when the edit keeps the file's size and time (a copy that keeps times does)."""
    page = tmp_path / "page.html"
    page.write_text("<p>{{ name }}</p>")
    assert _render(environment(tmp_path), "page.html", name="A") == "<p>A</p>"
    times = page.stat().st_atime_ns, page.stat().st_mtime_ns
    page.write_text("<b>{{ name }}</b>")
    os.utime(page, ns=times)
    assert _render(environment(tmp_path), "page.html", name="A") == "<b>A</b>"


def test_a_report_and_a_mail_compile_the_same_template_each_their_way(tmp_path: Path) -> None:
    """The report environment escapes, the mail environment does not: the same file compiled
    for one is never the other's."""
    (tmp_path / "note.txt").write_text("{{ text }}")
    assert _render(environment(tmp_path), "note.txt", text="<b>") == "&lt;b&gt;"
    assert _render(environment(tmp_path, "mail"), "note.txt", text="<b>") == "<b>"
    assert _render(environment(tmp_path), "note.txt", text="<b>") == "&lt;b&gt;"
