"""Imported only by the PDF workers' fork server (``render.pdfstage`` names it a preload), so
that the workers it forks inherit a quiet ``sys.excepthook``: a worker forked at the moment the
build stops the pool (a document over ``--render-timeout``) fails while it starts, and the fork
server would print its traceback on the user's terminal. The build names the document that ran
over itself; a worker that fails later reports its error through the pool, not this hook."""

from __future__ import annotations

import sys
import types


def _quiet(kind: type[BaseException], value: BaseException, tb: types.TracebackType | None) -> None:
    """Print nothing: the build reports what went wrong."""


sys.excepthook = _quiet
