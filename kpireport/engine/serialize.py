"""Results as JSON-ready data, the content of results.json."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import fields, is_dataclass
from typing import Any

from kpireport.engine.results import Results


def to_dict(results: Results) -> dict[str, Any]:
    """Results as JSON-ready data: dates as ISO strings, non-finite numbers as null. (In one
    pass over the dataclasses: ``dataclasses.asdict`` deep-copies every value first, which took
    most of a no-change rebuild's time on a workbook with 150,000 measurements.)"""
    plain = _plain(results)
    assert isinstance(plain, dict)
    return plain


_FIELDS: dict[type, tuple[str, ...]] = {}  # a dataclass's field names; () for other types


def _plain(value: Any) -> Any:
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return value
    if kind is float:
        return value if math.isfinite(value) else None
    names = _FIELDS.get(kind)
    if names is None:
        names = _FIELDS[kind] = tuple(f.name for f in fields(kind)) if is_dataclass(kind) else ()
    if names:
        return {name: _plain(getattr(value, name)) for name in names}
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    return value
