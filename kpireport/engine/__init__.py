"""Stage 3: the numbers. Progress, pace-based status, forecast and comparisons for every KPI,
then per department and for the company. Pure functions: a validated Workbook in, Results out.

Every formula is explained with a worked example in docs/metrics.md. The modules: ``results``
(the dataclasses), ``formulas`` (the formulas of docs/metrics.md), ``computation`` (each KPI, then
the departments and the company through ``summary``) and ``serialize`` (results.json).
"""

from kpireport.engine.computation import compute, compute_kpi
from kpireport.engine.formulas import (
    comparison_scale,
    difference,
    expected_progress,
    forecast,
    progress,
    reached,
    relative_difference,
    required_pace,
    status_of,
    theil_sen,
)
from kpireport.engine.results import (
    STATUSES,
    Attention,
    BenchmarkGap,
    Change,
    CompanySummary,
    DepartmentLine,
    DepartmentResult,
    Forecast,
    Held,
    KpiResult,
    KpiWarning,
    PartialPeriod,
    PlanPeriod,
    PlanPoint,
    PlanResult,
    Point,
    Results,
    Summary,
    YearToDate,
    unit_of,
)
from kpireport.engine.serialize import SCHEMA_VERSION, from_dict, load_results, to_dict

__all__ = [
    "SCHEMA_VERSION",
    "STATUSES",
    "Attention",
    "BenchmarkGap",
    "Change",
    "CompanySummary",
    "DepartmentLine",
    "DepartmentResult",
    "Forecast",
    "Held",
    "KpiResult",
    "KpiWarning",
    "PartialPeriod",
    "PlanPeriod",
    "PlanPoint",
    "PlanResult",
    "Point",
    "Results",
    "Summary",
    "YearToDate",
    "comparison_scale",
    "compute",
    "compute_kpi",
    "difference",
    "expected_progress",
    "forecast",
    "from_dict",
    "load_results",
    "progress",
    "reached",
    "relative_difference",
    "required_pace",
    "status_of",
    "theil_sen",
    "to_dict",
    "unit_of",
]
