"""kpireport: turn a standard KPI workbook into validated, board-ready reports."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
