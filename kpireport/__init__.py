"""kpireport: turn a standard KPI workbook into validated, board-ready reports.

The Python API (docs/python-api.md): ``kpireport.load(path)``, ``kpireport.compute(workbook)``,
``results.to_frame()`` and ``results.series_frame()``. They are imported when first used, so the
command line starts as fast as before.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

__version__ = "0.1.0"

__all__ = ["InvalidWorkbookError", "__version__", "compute", "load"]

if TYPE_CHECKING:
    from kpireport.api import InvalidWorkbookError, compute, load


def __getattr__(name: str) -> object:
    if name in ("load", "compute", "InvalidWorkbookError"):
        from kpireport import api

        return getattr(api, name)
    raise AttributeError(f"module 'kpireport' has no attribute {name!r}")
