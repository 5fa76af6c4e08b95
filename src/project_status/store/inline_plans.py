"""SQLite hot reads run on the inline connection's own sqlite3 cursor (`InlineSqliteReader`).

The SQLite counterpart of `store.prepared`. Through SQLAlchemy's Core a read pays about a hundred
and fifty Python calls (compiled cache lookup, execution context, result machinery) on top of
SQLite's few microseconds for a point read. A statement the store marks `hot` (built once, run
often) is compiled here once per shape to its SQL text, the order of its parameters with their
bind processors, and the result processors of its columns; then it runs directly on the sqlite3
connection under the inline SQLAlchemy connection. Its rows are plain named tuples with the
same names, order and values as SQLAlchemy's rows. The statement is still the one the store
wrote, compiled by SQLAlchemy for SQLite: only the execution is shorter.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Dialect
from sqlalchemy.sql import Executable

_Processor = Callable[[Any], Any] | None
_Source = tuple[str, int | None, Any, _Processor]
"""Where one positional parameter comes from: (name, index in an expanded list or None, the
value compiled into the statement when the caller gives none, its bind processor)."""


@dataclass(frozen=True)
class InlinePlan:
    """One statement compiled for sqlite3, for one shape of its expanded parameters."""

    sql: str
    sources: tuple[_Source, ...]
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

    def run(self, connection: Any, params: Mapping[str, Any]) -> list[Any]:
        """The rows of the statement on `connection` (a sqlite3 connection)."""
        cursor = connection.execute(self.sql, self.arguments(params))
        try:
            return [self.make_row(record) for record in cursor.fetchall()]
        finally:
            cursor.close()


def _row_maker(statement: Any, dialect: Dialect) -> Callable[[Any], Any]:
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


def _plan(statement: Any, dialect: Dialect, params: Mapping[str, Any]) -> InlinePlan:
    compiled: Any = statement.compile(dialect=dialect)
    state = compiled.construct_expanded_state(dict(params))
    expanded_from = {
        expanded: (name, index)
        for name, names in state.parameter_expansion.items()
        for index, expanded in enumerate(names)
    }
    sources: list[_Source] = []
    for name in state.positiontup or ():
        given, index = expanded_from.get(name, (name, None))
        kind = compiled.binds[given].type.dialect_impl(dialect)
        sources.append((given, index, state.parameters.get(name), kind.bind_processor(dialect)))
    return InlinePlan(state.statement, tuple(sources), _row_maker(statement, dialect))


def _shape(params: Mapping[str, Any]) -> tuple[tuple[str, int], ...]:
    """The parameters given, with the length of each list (an `IN` list expands to a placeholder
    per value; -1 for a single value)."""
    return tuple(
        (name, len(value) if isinstance(value, list | tuple) else -1) for name, value in params.items()
    )


class InlinePlans:
    """The compiled hot statements of one SQLite file, for its inline connection."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self._plans: dict[tuple[int, tuple[tuple[str, int], ...]], tuple[Executable, InlinePlan]] = {}

    def plan(self, statement: Executable, params: Mapping[str, Any]) -> InlinePlan:
        key = (id(statement), _shape(params))
        found = self._plans.get(key)
        if found is None or found[0] is not statement:
            # A hot statement lives as long as its module: the entry keeps it, so its id is not reused.
            found = (statement, _plan(statement, self.dialect, params))
            self._plans[key] = found
        return found[1]

