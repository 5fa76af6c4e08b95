"""PostgreSQL reads on the driver's own prepared statements (`PreparedReader`).

Through SQLAlchemy a point read pays more for the trip through its layers (the greenlet bridge,
the compiled cache lookup, the result machinery) than PostgreSQL takes to answer it. A statement
the store marks `hot` (built once, run often) is compiled here once per shape to its SQL text
(its constants written in), the order of its parameters and the result processors of its
columns, and then run directly on
the pooled connection's asyncpg connection, whose statement cache prepares it once per
connection: one round trip, no other work. Its rows are plain named tuples with the same names,
order and values as SQLAlchemy's rows (the column types' result processing is applied).

Any other statement, and a hot one the server refuses, runs through SQLAlchemy on the same
connection, which translates the error as for every other read. A connection found dead is
invalidated and reported as SQLAlchemy reports one (`connection_invalidated`). Not used behind
PgBouncer: there a statement must be prepared and run within one transaction (`Database.reader`).
"""

from __future__ import annotations

import logging
import re
from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import Dialect
from sqlalchemy.exc import CompileError, DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import Executable

from project_status.store.readers import AnyRow, Params, Reader, is_hot

log = logging.getLogger(__name__)

_DRIVER_FAILURES = (asyncpg.PostgresError, asyncpg.InterfaceError, asyncpg.InternalClientError, OSError)
"""What the driver raises when it cannot run a statement. A statement the server refused runs
again through SQLAlchemy, which turns the refusal into the store's error as for any read."""

_LOST_SQLSTATES = ("08", "57P")
"""A connection exception, or the server shutting down or restarting."""


def _connection_lost(exc: BaseException, driver: Any) -> bool:
    """Whether the connection itself failed (then a rerun on it would fail again, or worse)."""
    if driver is None or driver.is_closed() or not isinstance(exc, asyncpg.PostgresError):
        return True
    return str(getattr(exc, "sqlstate", "")).startswith(_LOST_SQLSTATES)


_Processor = Callable[[Any], Any] | None
_Source = tuple[str, int | None, Any, _Processor]
"""Where one positional parameter comes from: (name, index in an expanded list or None, the
value compiled into the statement when the caller gives none, its bind processor)."""


@dataclass(frozen=True)
class _Plan:
    """One statement compiled for the driver, for one shape of its expanded parameters."""

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


def _row_maker(statement: Any, dialect: Dialect) -> Callable[[Any], Any]:
    """Rows as named tuples of the statement's column names, each value as SQLAlchemy's result
    processing of the column's type would give it."""
    columns = list(statement.selected_columns)
    Row = namedtuple("Row", [column.key for column in columns])  # type: ignore[misc]
    processors = [column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns]
    if not any(processors):
        return Row._make

    def make(record: Any) -> Any:
        values = zip(record, processors, strict=True)
        return Row._make([value if process is None else process(value) for value, process in values])

    return make


_PLACEHOLDER = re.compile(r"\$(\d+)")


def _literal(compiled: Any, name: str, value: Any) -> str | None:
    """`value`, compiled into the statement as bind parameter `name`, as SQL text (None when its
    type has no literal form)."""
    try:
        return str(compiled.render_literal_value(value, compiled.binds[name].type))
    except (CompileError, NotImplementedError, KeyError):
        return None


def _plan(statement: Any, dialect: Dialect, params: Mapping[str, Any]) -> _Plan:
    """The statement's SQL for the parameters `params` names, with the values compiled into it
    (the statuses and types it tests, its constants) written as literals, so that PostgreSQL may
    plan it once for every call: a generic plan of `status IN ($1, $2)` would not know which
    statuses, so PostgreSQL planned each call afresh."""
    compiled: Any = statement.compile(dialect=dialect)
    state = compiled.construct_expanded_state(dict(params))
    expanded_from = {
        expanded: (name, index)
        for name, names in state.parameter_expansion.items()
        for index, expanded in enumerate(names)
    }
    sources: list[_Source] = []
    written: dict[int, str] = {}
    for position, name in enumerate(state.positiontup, 1):
        given, index = expanded_from.get(name, (name, None))
        value = state.parameters.get(name)
        literal = None if given in params else _literal(compiled, given, value)
        if literal is None:
            process = state.processors.get(name) or compiled._bind_processors.get(name)
            sources.append((given, index, value, process))
            literal = f"${len(sources)}"
        written[position] = literal
    sql = _PLACEHOLDER.sub(lambda found: written[int(found.group(1))], state.statement)
    return _Plan(sql, tuple(sources), _row_maker(statement, dialect))


def _shape(params: Mapping[str, Any]) -> tuple[tuple[str, int], ...]:
    """The parameters given, with the length of each list (an `IN` list expands to a placeholder
    per value; -1 for a single value)."""
    return tuple(
        (name, len(value) if isinstance(value, list | tuple) else -1) for name, value in params.items()
    )


class PreparedPlans:
    """The compiled hot statements of one database, shared by its readers."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self._plans: dict[tuple[int, tuple[tuple[str, int], ...]], tuple[Executable, _Plan]] = {}

    def plan(self, statement: Executable, params: Mapping[str, Any]) -> _Plan:
        key = (id(statement), _shape(params))
        found = self._plans.get(key)
        if found is None or found[0] is not statement:
            # A hot statement lives as long as its module: the entry keeps it, so its id is not reused.
            found = (statement, _plan(statement, self.dialect, params))
            self._plans[key] = found
        return found[1]

    def reader(self, connection: AsyncConnection) -> PreparedReader:
        return PreparedReader(connection, self)


class PreparedReader(Reader):
    """Runs hot statements on the driver's prepared statements, others through SQLAlchemy."""

    def __init__(self, connection: AsyncConnection, plans: PreparedPlans) -> None:
        self.connection = connection
        self.plans = plans
        self._driver: Any = None

    async def rows(self, statement: Executable, params: Params = None) -> Sequence[AnyRow]:
        given = params or {}
        if is_hot(statement):
            plan = self.plans.plan(statement, given)
            try:
                if self._driver is None:
                    self._driver = (await self.connection.get_raw_connection()).driver_connection
                records = await self._driver.fetch(plan.sql, *plan.arguments(given))
                return [plan.make_row(record) for record in records]
            except _DRIVER_FAILURES as exc:
                if _connection_lost(exc, self._driver):
                    # As SQLAlchemy does with a dead connection: out of the pool, and said so,
                    # so that the caller may try once more at once on a new one.
                    await self.connection.invalidate(exc)
                    raise DBAPIError(plan.sql, None, exc, connection_invalidated=True) from exc
                log.debug("prepared read failed, run again through SQLAlchemy: %s", exc)
        return (await self.connection.execute(statement, given)).all()
