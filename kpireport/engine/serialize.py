"""Results as JSON-ready data, the content of results.json, and back.

``to_dict`` writes the contract described in docs/results-json.md (its JSON Schema:
docs/results.schema.json); ``from_dict`` and ``load_results`` read it back into the same typed
:class:`~kpireport.engine.results.Results`, checking every value's type on the way, so that the
mailer, the watcher and the index pages read results one way, not with ``dict.get``.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import math
import types
from collections.abc import Callable, Iterator, Mapping
from dataclasses import MISSING, fields, is_dataclass
from operator import attrgetter
from pathlib import Path
from typing import Any, TypeVar, Union, cast, get_args, get_origin, get_type_hints

from kpireport.engine.results import DepartmentResult, Results
from kpireport.errors import ResultsFileError

# results.json's format version, "MAJOR.MINOR": a key added is a minor version, a key renamed or
# removed a major one (docs/results-json.md, "Versions"). A reader reads every minor version of
# its own major version; keys it does not know it ignores.
SCHEMA_VERSION = "2.3"
RESULTS_FILE = "results.json"

T = TypeVar("T")


def to_dict(results: Results) -> dict[str, Any]:
    """Results as JSON-ready data: ``schema_version`` first, dates as ISO strings, non-finite
    numbers as null. (In one pass over the dataclasses: ``dataclasses.asdict`` deep-copies every
    value first, which took most of a no-change rebuild's time on a workbook with 150,000
    measurements.)"""
    plain = _plain(results)
    assert isinstance(plain, dict)
    return {"schema_version": SCHEMA_VERSION, **plain}


def without_departments(results: Results) -> dict[str, Any]:
    """:func:`to_dict` of everything but the departments (``"departments"`` holds ``[]``, in
    its place among the keys): what every page shows, the summary, the warnings."""
    plain = {
        name: [] if name == "departments" else _plain(getattr(results, name))
        for name in _field_names(type(results))
    }
    return {"schema_version": SCHEMA_VERSION, **plain}


def department_dict(dept: Any) -> dict[str, Any]:
    """One department of :func:`to_dict`'s ``departments``, made on its own."""
    plain = _plain(dept)
    assert isinstance(plain, dict)
    return plain


def department_key(dept: DepartmentResult) -> str:
    """The hex SHA-256 of one department's results, for the build's keys (kpireport/buildplan.py):
    every value in them, so that any change to a number, a date or a text changes it. Written
    by json's C encoder in one pass: a dataclass as the list of its fields' values in their
    order, a date in ISO form, a float exactly (NaN and the infinities by name, where
    results.json has null as for a missing value). The dicts of :func:`department_dict`,
    written again with their keys sorted, took 0.16 s for the 10 x 25 bench workbook, this
    0.06 s."""
    return hashlib.sha256(_encode_for_key(dept).encode()).hexdigest()


def _key_part(value: Any) -> Any:
    """What :func:`department_key` writes for a value JSON has no form of."""
    kind = type(value)
    values = _FIELD_VALUES.get(kind)
    if values is None:
        names = _field_names(kind)
        if names:
            get = attrgetter(*names)
            values = _FIELD_VALUES[kind] = get if len(names) > 1 else lambda v: (get(v),)
    if values is not None:
        return values(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"no key for a {kind.__name__}")  # a type the results must not hold


_FIELD_VALUES: dict[type, Callable[[Any], tuple[Any, ...]]] = {}  # a dataclass's fields' values
_encode_for_key = json.JSONEncoder(
    separators=(",", ":"), check_circular=False, default=_key_part
).encode


def results_json(results: Results) -> Iterator[str]:
    """The text of results.json in pieces, one department at a time: exactly
    ``json.dumps(to_dict(results), ensure_ascii=False, separators=(",", ":")) + "\n"``, without
    ever holding the data of every series at once (for 3,000 KPIs, hundreds of MB of dicts
    and a string of 75 MB). Compact, because only then does json use its C encoder: the
    indented form took 180 MB more and 2 s longer."""
    encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    head = without_departments(results)
    yield "{"
    for n, (key, value) in enumerate(head.items()):
        yield ("," if n else "") + encode(key) + ":"
        if key != "departments":
            yield encode(value)
            continue
        yield "["
        for i, dept in enumerate(results.departments):
            yield ("," if i else "") + encode(department_dict(dept))
        yield "]"
    yield "}\n"


def _field_names(kind: type) -> tuple[str, ...]:
    names = _FIELDS.get(kind)
    if names is None:
        names = _FIELDS[kind] = tuple(f.name for f in fields(kind)) if is_dataclass(kind) else ()
    return names


_FIELDS: dict[type, tuple[str, ...]] = {}  # a dataclass's field names; () for other types


def _plain(value: Any) -> Any:
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return value
    if kind is float:
        return value if math.isfinite(value) else None
    names = _field_names(kind)
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


# --- reading -----------------------------------------------------------------------------------


def load_results(folder: Path) -> Results:
    """The ``results.json`` of the report set in ``folder``, typed; :class:`ResultsFileError`
    when it is missing, not JSON, of another major version, or not the shape it should be."""
    path = Path(folder) / RESULTS_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ResultsFileError(
            f"{folder} has no {RESULTS_FILE}: build it with kpireport build (the json format)"
        ) from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ResultsFileError(f"{path} cannot be read: {exc}") from None
    try:
        return from_dict(data)
    except ResultsFileError as exc:
        raise ResultsFileError(f"{path} is not a kpireport {RESULTS_FILE}: {exc}") from None


def from_dict(data: object) -> Results:
    """:class:`Results` from the data of a results.json (as ``json.loads`` gives it)."""
    if not isinstance(data, dict):
        raise ResultsFileError("it is not a JSON object")
    version = data.get("schema_version")
    if not isinstance(version, str) or version.split(".")[0] != SCHEMA_VERSION.split(".")[0]:
        raise ResultsFileError(
            f"its schema_version is {version!r}; this kpireport reads version "
            f"{SCHEMA_VERSION.split('.')[0]}.x (build the report set again)"
        )
    return typed(Results, data)


def typed(kind: type[T], value: object, where: str = "") -> T:
    """``value`` (JSON data) as ``kind``: a dataclass of the results, a list or dict of them, a
    date, a number or text; :class:`ResultsFileError` naming the key where it does not fit."""
    return cast(T, _typed(kind, value, where or kind.__name__))


def _typed(kind: Any, value: object, where: str) -> object:
    origin = get_origin(kind)
    if origin is Union or origin is types.UnionType:
        options = get_args(kind)
        if value is None and type(None) in options:
            return None
        errors = []
        for option in (o for o in options if o is not type(None)):
            try:
                return _typed(option, value, where)
            except ResultsFileError as exc:
                errors.append(str(exc))
        raise ResultsFileError(errors[0] if errors else f"{where} is missing")
    if origin is list:
        if not isinstance(value, list):
            raise _wrong(where, "a list", value)
        (item,) = get_args(kind)
        return [_typed(item, v, f"{where}[{i}]") for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise _wrong(where, "an object", value)
        _key, item = get_args(kind)
        return {str(k): _typed(item, v, f"{where}.{k}") for k, v in value.items()}
    if isinstance(kind, type) and is_dataclass(kind):
        if not isinstance(value, Mapping):
            raise _wrong(where, "an object", value)
        args = {}
        for name, (hint, required) in _hints(kind).items():
            if name in value:
                args[name] = _typed(hint, value[name], f"{where}.{name}")
            elif required:
                raise ResultsFileError(f"{where}.{name} is missing")
        return kind(**args)
    return _scalar(kind, value, where)


def _scalar(kind: Any, value: object, where: str) -> object:
    if kind is dt.date:
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                pass
        raise _wrong(where, "a date (YYYY-MM-DD)", value)
    if kind is float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        raise _wrong(where, "a number", value)
    if kind is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise _wrong(where, "a whole number", value)
    if kind in (str, bool):
        if isinstance(value, kind):
            return value
        raise _wrong(where, "text" if kind is str else "true or false", value)
    raise TypeError(f"{where}: no rule for {kind!r}")  # a field type this module must learn


def _wrong(where: str, expected: str, value: object) -> ResultsFileError:
    shown = "null" if value is None else type(value).__name__
    return ResultsFileError(f"{where} should be {expected}, not {shown}")


@functools.cache
def _hints(kind: type) -> dict[str, tuple[Any, bool]]:
    """A dataclass's fields: name -> (type, required)."""
    hints = get_type_hints(kind)
    return {
        f.name: (hints[f.name], f.default is MISSING and f.default_factory is MISSING)
        for f in fields(kind)
    }
