"""Templates are code (issue 12, point 10): a ``--templates`` folder shared with less trusted
colleagues must not be able to run anything. Report and mail templates render in Jinja2's
immutable sandbox; the default templates render exactly as they did outside it.

Each attack below ran ``touch`` (through ``os.popen``) or changed kpireport's own objects
before; now the build or the send stops with exit code 1, naming the template and what is
unsafe, and nothing runs.
"""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path
from typing import Any

import jinja2
import pytest
from click.testing import CliRunner
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup

from kpireport.build import BuildOptions
from kpireport.buildcache import templates_digest
from kpireport.buildplan import plan_set
from kpireport.cli import main
from kpireport.engine import compute
from kpireport.i18n import get_locale
from kpireport.render import environment, install_translations
from kpireport.render.documents import (
    IndexPage,
    ReportSet,
    board_pack_cover_html,
    board_pack_html,
    board_pack_summary_html,
    department_html,
    furniture_html,
    index_html,
    validation_html,
)
from kpireport.validate import check
from tests.conftest import SAMPLES, valid_sheets, write_workbook

RUN = "popen('touch {marker}').read()"
ATTACKS = {
    # the issue's: from a string's class up to every class Python has loaded, and os in one
    "mro-subclasses": "{% for c in ''.__class__.__mro__[1].__subclasses__() %}"
    "{% if c.__name__ == '_wrap_close' %}{{ c.__init__.__globals__['" + RUN[:5] + "']"
    "('touch {marker}').read() }}{% endif %}{% endfor %}",
    "lipsum-globals": "{{ lipsum.__globals__['os']." + RUN + " }}",
    "cycler-globals": "{{ cycler.__init__.__globals__.os." + RUN + " }}",
    "view-globals": "{{ v.__init__.__globals__['__builtins__']['__import__']('os')." + RUN + " }}",
    "self-globals": "{{ self.__init__.__globals__.__builtins__.__import__('os')." + RUN + " }}",
    "format-string": "{{ '{0.__init__.__globals__}'.format(v) }}{{ 'touch {marker}' }}",
    "change-the-results": "{% set _ = r.departments.clear() %}{{ 'touch {marker}' }}",
}


def _attack(name: str, marker: Path) -> str:
    return ATTACKS[name].replace("{marker}", str(marker))


@pytest.fixture
def workbook(tmp_path: Path) -> Path:
    return write_workbook(tmp_path / "wb.xlsx", valid_sheets())


@pytest.mark.parametrize("attack", ATTACKS)
def test_a_report_template_cannot_run_code(workbook: Path, tmp_path: Path, attack: str) -> None:
    marker = tmp_path / "ran"
    mine = tmp_path / "my-templates"
    mine.mkdir()
    (mine / "department.html").write_text(
        '{% extends "default:department.html" %}\n'
        "{% block footer %}" + _attack(attack, marker) + "{% endblock %}\n"
    )
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main,
        ["build", str(workbook), "-o", str(out), "--format", "html", "--templates", str(mine)],
    )
    assert not marker.exists()
    assert result.exit_code == 1, result.output
    # the workbook's build fails alone (build-failed, since issue 12 point 4), naming the template
    assert (
        f"{workbook}: The report set could not be built: template department.html cannot be used: "
        in result.output
    )
    assert "unsafe" in result.output
    assert not list(out.rglob("sales.html"))


@pytest.mark.slow
def test_a_mail_template_cannot_run_code(workbook: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    built = CliRunner().invoke(main, ["build", str(workbook), "-o", str(out), "-j", "1"])
    assert built.exit_code == 0, built.output
    marker = tmp_path / "ran"
    mine = tmp_path / "my-templates"
    mine.mkdir()
    (mine / "body.txt").write_text(_attack("lipsum-globals", marker))
    box = tmp_path / "box"
    result = CliRunner().invoke(
        main, ["send", str(out), "--dry-run", "--outbox", str(box), "--templates", str(mine)]
    )
    assert not marker.exists()
    assert result.exit_code == 1, result.output
    assert "template body.txt cannot be used: " in result.output and "unsafe" in result.output
    assert not list(box.glob("*.eml")) if box.exists() else True


# --- the default templates are unchanged by the sandbox --------------------------------------


def _unsandboxed(env: jinja2.Environment) -> jinja2.Environment:
    """``env`` as it was before the sandbox: a plain Environment with the same settings."""
    twin = jinja2.Environment(
        loader=env.loader,
        autoescape=env.autoescape,
        undefined=env.undefined,
        trim_blocks=env.trim_blocks,
        lstrip_blocks=env.lstrip_blocks,
        extensions=["jinja2.ext.i18n"],
    )
    install_translations(twin)
    twin.filters.update(env.filters)
    return twin


def _documents(rs: ReportSet, plan: Any) -> dict[str, str]:
    names = tuple(f.name for f in plan.files)
    pages = {"summary": 3, **{d.name: 4 + n for n, d in enumerate(plan.departments)}}
    out = {f"{d.name}.html": department_html(rs, d) for d in plan.departments}
    out |= {
        "board-pack.html": "".join(board_pack_html(rs)),
        "cover": board_pack_cover_html(rs, pages),
        "summary": board_pack_summary_html(rs),
        "furniture": furniture_html(rs, 1, 3, 12, True),
        "validation.html": validation_html(rs),
        "index.html": index_html(rs, IndexPage(names)),
    }
    return out


@pytest.mark.parametrize("sample", ["acme-en", "fjordsol-da"])
def test_the_default_templates_render_exactly_as_without_the_sandbox(
    sample: str, tmp_path: Path
) -> None:
    """Every document of the samples (English and Danish: the i18n callables, the View's
    methods and the filters all run in the sandbox) is the same text as before it."""
    shutil.copytree(SAMPLES, tmp_path / "samples")
    workbook, report = check(tmp_path / "samples" / f"{sample}.xlsx")
    results = compute(workbook, report)
    plan = plan_set(workbook, results, report, BuildOptions(), templates_digest(None))
    assert isinstance(plan.rs.env, ImmutableSandboxedEnvironment)
    sandboxed = _documents(plan.rs, plan)
    plain = _documents(dataclasses.replace(plan.rs, env=_unsandboxed(plan.rs.env)), plan)
    assert sandboxed.keys() == plain.keys()
    for name in sandboxed:
        assert sandboxed[name] == plain[name], name


def test_the_mail_templates_render_exactly_as_without_the_sandbox() -> None:
    env = environment(None, "mail")
    context = {
        "lang": "da",
        "title": "KPI-rapport",
        "company": "Smith & Søn",
        "workbook": "kpi.xlsx",
        "date": "30. jun. 2026",
        "report": "Salg",
        "department": "Salg",
        "status": "2 KPI'er",
        "behind": [
            {"id": "S-1", "name": "Ny", "status": "bagud", "stale": True, "department": "Salg"}
        ],
        "headlines": ["1 af 2 KPI'er er nået eller på sporet."],
        "since": "31. maj 2026",
        "worsened": [
            {"id": "S-1", "name": "Ny", "before": "på sporet", "after": "bagud", "department": None}
        ],
    }
    context["locale"] = get_locale("da")
    for name in ("subject.txt", "body.txt"):
        mine = env.get_template(name).render(**context)
        assert mine == _unsandboxed(env).get_template(name).render(**context)
        assert mine.strip()


def test_the_sandbox_keeps_jinjas_verdict_on_every_attribute(workbook: Path) -> None:
    """kpireport's sandbox keeps each verdict per type and attribute name: for objects of every
    kind a template meets (kpireport's, containers, functions, methods, classes, generators,
    code, frames) it is Jinja2's own, asked first or again."""
    import collections
    import sys

    workbook_, report = check(workbook)
    results = compute(workbook_, report)
    plan = plan_set(workbook_, results, report, BuildOptions(), templates_digest(None))
    env, jinja = plan.rs.env, ImmutableSandboxedEnvironment()

    def generator() -> Any:
        yield 1

    objects: list[Any] = [
        results,
        results.departments,
        results.departments[0],
        results.departments[0].kpis[0],
        plan.rs.view,
        plan.rs.view.locale,
        results.thresholds,
        set(),
        collections.deque(),
        collections.OrderedDict(),
        "text",
        Markup("<b>"),
        3.5,
        _attack,
        plan.rs.view.value,
        [].append,
        dict,
        type(results),
        generator(),
        _attack.__code__,
        sys._getframe(),
    ]
    names = [
        "append", "clear", "pop", "update", "add", "insert", "keys", "items", "index",
        "departments", "kpis", "status", "name", "value", "format", "upper", "mro",
        "__class__", "__globals__", "__init__", "_private", "func_code", "gi_frame",
        "gi_code", "f_globals", "co_code", "im_func", "__self__", "__func__",
    ]  # fmt: skip
    for _ in range(2):
        for obj in objects:
            for name in names:
                value = getattr(obj, name, None)
                verdict = env.is_safe_attribute(obj, name, value)
                assert verdict == jinja.is_safe_attribute(obj, name, value), (obj, name)
