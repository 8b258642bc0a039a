"""The Benchmarks sheet: values from outside the company to set a KPI against."""

from __future__ import annotations

from kpireport import schema
from kpireport.issues import Issue
from kpireport.model import Benchmark
from kpireport.schema import Unit
from kpireport.workbook.context import ReadContext


def read_benchmarks(ctx: ReadContext, units: dict[str, Unit]) -> list[Benchmark]:
    """The benchmarks with a KPI, a source and a value; an unknown kind is reported and kept."""
    key = "benchmarks"
    out: list[Benchmark] = []
    for row, _cells in ctx.rows(key):
        kpi_id = ctx.kpi_id(key, row)
        source = ctx.text(key, row, "source", required=True, kpi=kpi_id)
        value = ctx.number(key, row, "value", units.get(kpi_id or ""), required=True, kpi=kpi_id)
        kind_text = ctx.text(key, row, "kind")
        kind = schema.match_choice(schema.BENCHMARK_KINDS, kind_text) if kind_text else None
        if kind_text and kind is None:
            info = ctx.sheets[key]
            ctx.issues.append(
                Issue("bad-kind", info.name, info.loc(row, "kind").cell, {"value": kind_text})
            )
            kind = kind_text
        when = ctx.date(key, row, "date")
        if kpi_id is None or source is None or value is None:
            continue
        out.append(Benchmark(kpi_id, source, value, row, kind=kind, date=when[0] if when else None))
    return out
