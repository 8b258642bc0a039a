"""A PDF worker that fails while it starts, because the build stopped the pool at that moment
(a document over --render-timeout), printed the fork server's traceback on the user's terminal
(seen once in CI, in test_a_document_over_the_time_limit_is_stopped_named_and_loses_nothing).
The fork server imports kpireport.render.forkquiet first, whose quiet excepthook its children
inherit."""

from __future__ import annotations

import subprocess
import sys


def test_a_process_that_imported_forkquiet_prints_no_traceback() -> None:
    code = "import kpireport.render.forkquiet\nraise RuntimeError('a worker that could not start')"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert done.stderr == ""
    # without it, the same failure prints a traceback
    plain = subprocess.run(
        [sys.executable, "-c", code.split("\n", 1)[1]], capture_output=True, text=True, timeout=60
    )
    assert "Traceback" in plain.stderr


def test_the_fork_server_imports_it_first() -> None:
    from kpireport.render.pdfstage import PRELOAD

    assert PRELOAD[0] == "kpireport.render.forkquiet"
    # and the workers start warm: a first document laid out in the fork server, last
    assert PRELOAD[-1] == "kpireport.render.warm"
