"""One workbook's build in a child process under a time and a memory limit
(kpireport/limits.py), with its own PDF workers inside those limits."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import cast

from kpireport.build import BuildOptions, BuildResult, Progress, build_workbook
from kpireport.i18n import language_code
from kpireport.issues import Issue, Number, ValidationReport
from kpireport.limits import Send, confinement
from kpireport.render.pdfstage import Renderer

# What a build imports as it goes: imported once, before the first child process is forked,
# so that no child pays for it.
CHILD_PRELOAD = (
    "kpireport.validate",
    "kpireport.export",
    "kpireport.render.assemble",
    "kpireport.render.failed",
    "kpireport.render.home",
    "pebble",
)


def build_limited(
    path: Path, out_dir: Path, options: BuildOptions, progress: Progress | None = None
) -> BuildResult:
    """:func:`build_workbook` in a child process under ``options.limits``, which starts its own
    PDF workers; a build that runs over a limit, or whose process dies, fails with the issue
    saying which (the parent decides: kpireport/limits.py)."""
    assert options.limits is not None
    jail = confinement(options.limits, CHILD_PRELOAD)
    child = replace(options, limits=None, jobs=jail.workers(options.jobs))

    def in_child(send: Send) -> BuildResult:
        tell = None if progress is None else lambda path, done, total: send((path, done, total))
        # The PDF workers are the child's own, inside its limits. Held here, as build() holds
        # them, so that a document that fails does not stop them mid-start; and not closed
        # when the workbook is done: the child exits then, and the parent kills its process
        # group, fork server and workers included (kpireport/limits.py). Closing them waited
        # for pebble's threads, which look at the pool every 0.1 s.
        return build_workbook(
            path, out_dir, child, tell, Renderer(child.jobs, child.render_timeout)
        )

    def told(message: object) -> None:
        if progress is not None:
            progress(*cast(tuple[str, int, int], message))

    outcome = jail.run(in_child, options.jobs, told)
    if outcome.error is not None:
        raise outcome.error
    if outcome.value is not None and (outcome.value.ok or outcome.limit is None):
        return outcome.value
    if outcome.limit == "time":
        seconds = options.limits.timeout
        number = Number(seconds, 0 if float(seconds).is_integer() else 1)
        issue = Issue("build-timeout", None, None, {"seconds": number})
    elif outcome.limit == "memory":
        issue = Issue("build-memory", None, None, {"megabytes": Number(options.limits.memory, 0)})
    else:
        issue = Issue("build-crashed", None, None, {"reason": outcome.died})
    lang = language_code(options.lang)
    return BuildResult(path, ValidationReport(str(path), [issue], lang=lang))
