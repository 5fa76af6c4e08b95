"""SQLite: the writes of one work item row (`store.one_statement`'s use cases) without the ORM.

Through a unit of work a versioned write pays the session's machinery: loading the row into the
identity map, the flush that works out the UPDATE, the events' flush, the greenlet hops of each
statement. SQLite writers take turns anyway (BEGIN IMMEDIATE), so here the use case reads the
row inside the write transaction, works out the new row and its events exactly as it does for
PostgreSQL's one statement (the same `Writer` interface, the same use case code), and the writer
runs the UPDATE (or INSERT) and the events' INSERT as compiled statements on the sqlite3
connection itself (`store.inline_plans`), then commits.

The row read is the current one and stays so until the commit (no other writer runs meanwhile),
so the guard of the UPDATE (`id` and `version`) holds; it is checked all the same. A miss, like
any sqlite3 error, keeps nothing: the transaction rolls back and the use case's transactional
path answers (and words or translates the error) as it always has. The answer is the row read
with the changes applied, as the transactional path answers its ORM object after the flush.
Inside `transaction()` (an import, the mirror's journaled writes) there is no writer.
"""

from __future__ import annotations

import functools
import sqlite3
import uuid
from collections import namedtuple
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from sqlalchemy import bindparam, insert, update

from project_status.store import events, inline_plans
from project_status.store.database import Database, InlineWrite
from project_status.store.one_statement import ATTRIBUTES, WORK_ITEMS, Event, Writer, event_rows
from project_status.store.readers import AnyRow, is_hot
from project_status.store.tables import WorkItem

T = TypeVar("T")
_COLUMN_OF = {attr.key: attr.columns[0].name for attr in WorkItem.__mapper__.column_attrs}
ItemRow = namedtuple("ItemRow", ATTRIBUTES)  # type: ignore[misc]
"""A work item row as `ITEM_COLUMNS` reads it (the attribute names, `metadata_`)."""


@functools.cache
def _update_statement(columns: tuple[str, ...]) -> Any:
    """UPDATE of `columns` (`set_<name>`) at a version; built once per shape."""
    table = WORK_ITEMS
    values: dict[str, Any] = {name: bindparam(f"set_{name}", type_=table.c[name].type) for name in columns}
    values["version"] = bindparam("new_version", type_=table.c.version.type)
    return (
        update(table)
        .where(
            table.c.id == bindparam("item_id", type_=table.c.id.type),
            table.c.version == bindparam("version", type_=table.c.version.type),
        )
        .values(values)
    )


@functools.cache
def _insert_statement(columns: tuple[str, ...]) -> Any:
    table = WORK_ITEMS
    values = {name: bindparam(f"set_{name}", type_=table.c[name].type) for name in columns}
    return insert(table).values(values)


def _item_row(values: dict[str, Any]) -> AnyRow:
    """The written row, as a read of `ITEM_COLUMNS` gives it (`read_models.work_item` reads it)."""
    return ItemRow(**values)  # type: ignore[return-value]  # reads as a row: names and order


_INSERT_EVENT = insert(events.EVENTS).values(
    {name: bindparam(name, type_=events.EVENTS.c[name].type) for name in events.FIELDS}
)


class InlineWriter(Writer):
    """`store.one_statement.Writer` for SQLite: the statements of one write transaction."""

    def __init__(self, transaction: InlineWrite) -> None:
        super().__init__(reader=None, shared=None)  # type: ignore[arg-type]  # reads run here
        self.transaction = transaction
        self.answered = False
        """A write answered here (a write that changed nothing too: the transactional path's
        unit of work would have committed and counted it)."""
        self.broken = False
        """A statement failed, or a guard missed: nothing is kept."""
        self._read: AnyRow | None = None

    async def attempt(
        self, statement: Any, params: dict[str, Any], write: Callable[[AnyRow | None], Awaitable[T | None]]
    ) -> T | None:
        """`write` the row `statement` (a hot read of `ITEM_COLUMNS`) reads, under the write lock."""
        if not is_hot(statement):
            raise TypeError("an inline write reads its row with a hot statement (compiled once)")
        try:
            plan = self.transaction.plans.plan(statement, params)
            rows = inline_plans.run(plan, self.transaction.connection, params)
        except sqlite3.Error:
            self.broken = True
            return None
        self._read = rows[0] if rows else None
        done = await write(self._read)
        self.answered = done is not None
        return done

    async def update_item(
        self,
        item_id: uuid.UUID,
        version: int,
        values: dict[str, Any],
        written: Sequence[Event],
        *,
        claimable: bool = False,
    ) -> AnyRow | None:
        """As `Writer.update_item` on the row `attempt` read (`claimable`: the use case judged
        the blockers on that row, read under the write lock)."""
        read = self._read
        if read is None or read.id != item_id or read.version != version:
            return None
        given = {_COLUMN_OF[key]: value for key, value in values.items() if key not in ("id", "version")}
        params = {f"set_{name}": value for name, value in given.items()}
        params |= {"item_id": item_id, "version": version, "new_version": version + 1}
        if not self._change(_update_statement(tuple(sorted(given))), params, str(item_id), written):
            return None
        current = {key: getattr(read, key) for key in ATTRIBUTES}
        return _item_row(current | values | {"version": version + 1})

    async def insert_item(
        self, values: dict[str, Any], written: Sequence[Event], parent: Any | None
    ) -> AnyRow | None:
        """As `Writer.insert_item`; a `parent` was read by `attempt` under the write lock, so
        it is live at the path and depth read."""
        if parent is not None and (self._read is None or self._read.id != parent.id):
            return None
        given = {_COLUMN_OF[key]: value for key, value in values.items()}
        params = {f"set_{name}": value for name, value in given.items()}
        if not self._change(_insert_statement(tuple(sorted(given))), params, str(values["id"]), written):
            return None
        return _item_row({key: values[key] for key in ATTRIBUTES})

    def _change(
        self, statement: Any, params: dict[str, Any], entity_id: str, written: Sequence[Event]
    ) -> bool:
        """Run the row's statement, then its events; whether the row was written (else nothing is
        kept: the transaction rolls back)."""
        connection, plans = self.transaction.connection, self.transaction.plans
        rows = event_rows(entity_id, written)
        try:
            if inline_plans.change(plans.plan(statement, params), connection, params) != 1:
                self.broken = True
                return False
            if rows:
                inline_plans.change_many(plans.plan(_INSERT_EVENT, rows[0]), connection, rows)
        except sqlite3.Error:
            self.broken = True
            return False
        self.wrote = True
        return True


@asynccontextmanager
async def writer(db: Database) -> AsyncIterator[InlineWriter | None]:
    """A writer for one use case on a SQLite file, in a write transaction of its own: committed
    when the use case answered through it, else rolled back. None where `Database.inline_write`
    gives no transaction."""
    async with db.inline_write() as transaction:
        if transaction is None:
            yield None
            return
        made = InlineWriter(transaction)
        yield made
        transaction.keep = (made.answered or made.wrote) and not made.broken
