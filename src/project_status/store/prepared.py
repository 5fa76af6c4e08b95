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
from collections.abc import Mapping, Sequence
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import Dialect
from sqlalchemy.exc import CompileError, DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import Executable

from project_status.store.compiled_plans import Plan, PlanCache, Source, expanded_names, row_maker
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


_PLACEHOLDER = re.compile(r"\$(\d+)")


def _literal(compiled: Any, name: str, value: Any) -> str | None:
    """`value`, compiled into the statement as bind parameter `name`, as SQL text (None when its
    type has no literal form)."""
    try:
        return str(compiled.render_literal_value(value, compiled.binds[name].type))
    except (CompileError, NotImplementedError, KeyError):
        return None


def _plan(statement: Any, dialect: Dialect, params: Mapping[str, Any]) -> Plan:
    """The statement's SQL for the parameters `params` names, with the values compiled into it
    (the statuses and types it tests, its constants) written as literals, so that PostgreSQL may
    plan it once for every call: a generic plan of `status IN ($1, $2)` would not know which
    statuses, so PostgreSQL planned each call afresh."""
    compiled: Any = statement.compile(dialect=dialect)
    state = compiled.construct_expanded_state(dict(params))
    expanded_from = expanded_names(state)
    sources: list[Source] = []
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
    return Plan(sql, tuple(sources), row_maker(statement, dialect))


class PreparedPlans(PlanCache):
    """The compiled hot statements of one database, shared by its readers."""

    def __init__(self, dialect: Dialect) -> None:
        super().__init__(dialect, _plan)

    def reader(self, connection: AsyncConnection) -> PreparedReader:
        return PreparedReader(connection, self)


class PreparedReader(Reader):
    """Runs hot statements on the driver's prepared statements, others through SQLAlchemy."""

    def __init__(self, connection: AsyncConnection, plans: PreparedPlans) -> None:
        self.connection = connection
        self.plans = plans
        self._driver: Any = None

    async def _driver_connection(self) -> Any:
        """The asyncpg connection: read off a live connection at once (`get_raw_connection`, which
        may reconnect, crosses into a greenlet for it: a few microseconds per read)."""
        sync = self.connection.sync_connection
        if sync is not None and not (sync.closed or sync.invalidated):
            return sync.connection.driver_connection
        return (await self.connection.get_raw_connection()).driver_connection

    async def rows(self, statement: Executable, params: Params = None) -> Sequence[AnyRow]:
        given = params or {}
        if is_hot(statement):
            plan = self.plans.plan(statement, given)
            try:
                if self._driver is None:
                    self._driver = await self._driver_connection()
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
