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

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Dialect

from project_status.store.compiled_plans import Plan, PlanCache, Source, expanded_names, row_maker


def _plan(statement: Any, dialect: Dialect, params: Mapping[str, Any]) -> Plan:
    """The statement's SQL as SQLAlchemy compiles it for SQLite, each parameter with its type's
    own bind processor."""
    compiled: Any = statement.compile(dialect=dialect)
    state = compiled.construct_expanded_state(dict(params))
    expanded_from = expanded_names(state)
    sources: list[Source] = []
    for name in state.positiontup or ():
        given, index = expanded_from.get(name, (name, None))
        kind = compiled.binds[given].type.dialect_impl(dialect)
        sources.append((given, index, state.parameters.get(name), kind.bind_processor(dialect)))
    make_row = row_maker(statement, dialect) if statement.is_select else tuple
    return Plan(state.statement, tuple(sources), make_row)


def run(plan: Plan, connection: Any, params: Mapping[str, Any]) -> list[Any]:
    """The rows of `plan` on `connection` (a sqlite3 connection)."""
    cursor = connection.execute(plan.sql, plan.arguments(params))
    try:
        return [plan.make_row(record) for record in cursor.fetchall()]
    finally:
        cursor.close()


def change(plan: Plan, connection: Any, params: Mapping[str, Any]) -> int:
    """Run `plan`, a statement that writes (`store.sqlite_writes`), on `connection`: the rows it
    changed."""
    cursor = connection.execute(plan.sql, plan.arguments(params))
    try:
        return int(cursor.rowcount)
    finally:
        cursor.close()


def change_many(plan: Plan, connection: Any, rows: Sequence[Mapping[str, Any]]) -> None:
    """Run `plan` once per parameter set of `rows`, in their order, as one executemany."""
    connection.executemany(plan.sql, [plan.arguments(params) for params in rows]).close()


class InlinePlans(PlanCache):
    """The compiled hot statements of one SQLite file, for its inline connection."""

    def __init__(self, dialect: Dialect) -> None:
        super().__init__(dialect, _plan)
