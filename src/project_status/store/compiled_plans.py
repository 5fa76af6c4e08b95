"""Hot statements compiled once per shape for a driver's own connection: what `store.prepared`
(asyncpg) and `store.inline_plans` (sqlite3) share.

A plan is the statement's SQL text for one shape of its parameters (an `IN` list expands to a
placeholder per value), where each positional parameter comes from, and how to make rows that
read as SQLAlchemy's (the same names, order and result processing). How the SQL text and the
bind processors are chosen is each driver's own (`PlanCache`'s `build`).
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Dialect
from sqlalchemy.sql import Executable

Processor = Callable[[Any], Any] | None
Source = tuple[str, int | None, Any, Processor]
"""Where one positional parameter comes from: (name, index in an expanded list or None, the
value compiled into the statement when the caller gives none, its bind processor)."""
Shape = tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class Plan:
    """One statement compiled for a driver, for one shape of its expanded parameters."""

    sql: str
    sources: tuple[Source, ...]
    make_row: Callable[[Any], Any]

    def arguments(self, params: Mapping[str, Any]) -> list[Any]:
        values = []
        for name, index, compiled, process in self.sources:
            if index is not None and name in params:
                value = params[name][index]
            else:
                value = params.get(name, compiled)
            values.append(value if process is None else process(value))
        return values


def row_maker(statement: Any, dialect: Dialect) -> Callable[[Any], Any]:
    """Rows as named tuples of the statement's column names, each value as SQLAlchemy's result
    processing of the column's type would give it."""
    columns = list(statement.selected_columns)
    Row = namedtuple("Row", [str(column.key) for column in columns], rename=True)  # type: ignore[misc]
    processors = [column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns]
    if not any(processors):
        return Row._make

    def make(record: Any) -> Any:
        values = zip(record, processors, strict=True)
        return Row._make([value if process is None else process(value) for value, process in values])

    return make


def expanded_names(state: Any) -> dict[str, tuple[str, int]]:
    """Each placeholder an expanded `IN` list became, with its list's name and its index there."""
    return {
        expanded: (name, index)
        for name, names in state.parameter_expansion.items()
        for index, expanded in enumerate(names)
    }


def shape(params: Mapping[str, Any]) -> Shape:
    """The parameters given, with the length of each list (an `IN` list expands to a placeholder
    per value; -1 for a single value)."""
    return tuple(
        (name, len(value) if isinstance(value, list | tuple) else -1) for name, value in params.items()
    )


Build = Callable[[Any, Dialect, Mapping[str, Any]], Plan]


class PlanCache:
    """The plans of one database's hot statements, built by `build` at first use of each shape."""

    def __init__(self, dialect: Dialect, build: Build) -> None:
        self.dialect = dialect
        self._build = build
        self._plans: dict[tuple[int, Shape], tuple[Executable, Plan]] = {}

    def plan(self, statement: Executable, params: Mapping[str, Any]) -> Plan:
        key = (id(statement), shape(params))
        found = self._plans.get(key)
        if found is None or found[0] is not statement:
            # A hot statement lives as long as its module: the entry keeps it, so its id is not reused.
            found = (statement, self._build(statement, self.dialect, params))
            self._plans[key] = found
        return found[1]
