"""PostgreSQL: a write of one work item row as one statement, committed on its own.

A versioned write in a transaction pays a round trip for each of BEGIN, the locked read, the
UPDATE, the events and ledger INSERT and COMMIT. Here the row is read without a lock or a
transaction (a prepared point read), the use case works out the new row and its events from it,
and a single statement writes them: the UPDATE (or INSERT) of the row, guarded by the version
that was read, its events (after the events lock, as every writer of events takes it) and the
replay ledger's row, each taken from what the UPDATE returns, so that nothing is written when it
matched no row. A lone statement is its own transaction: all of it commits, or none.

When the guard fails (the row moved on, or a condition the statement checks again no longer
holds) the statement writes nothing and answers no row: the use case then runs its
transactional path, which locks the row and answers as it always has (a version conflict, the
claim of another actor). Used on PostgreSQL reached directly only: behind PgBouncer a statement
is prepared and run within one transaction.

A write the router runs records its ledger row here (`offer` / `recorded`): the router's
transaction then runs no statement at all, so it sends neither BEGIN nor COMMIT. The router also
offers the mirror as a first guess of the row (`Writer.attempt`): read there, the row costs no
round trip, and the statement is guarded by all of it, so the write is then one round trip.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace
from typing import Any, TypeVar, cast

from sqlalchemy import ColumnElement, Table, Uuid, bindparam, func, insert, select, union_all, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Select

from project_status.domain.errors import NotFoundError, TrackerError, ValidationError, VersionConflictError
from project_status.store import events
from project_status.store.database import STRUCTURE_LOCK_KEY, Database
from project_status.store.readers import AnyRow, Reader, hot
from project_status.store.sync import LIVE
from project_status.store.tables import AppliedOperation, WorkItem
from project_status.store.work_items import blocked_by_open_item

_COLUMNS = tuple((attr.columns[0].name, attr.key) for attr in WorkItem.__mapper__.column_attrs)
"""(column name, attribute name) of each work item column: rows read like `ITEM_COLUMNS`."""
_COLUMN_OF = {key: name for name, key in _COLUMNS}
ATTRIBUTES = tuple(key for _, key in _COLUMNS)
_UNSET = dict.fromkeys(ATTRIBUTES)

T = TypeVar("T")
WORK_ITEMS = cast(Table, WorkItem.__table__)
_LEDGER = cast(Table, AppliedOperation.__table__)
_LEDGER_FIELDS = ("op_id", "operation", "outcome", "applied_at")
_OFFER = "project_status_one_statement"
_KEPT = ("id", "version")
"""Never set by an update here (the version is the guard's, and set as one more)."""


Guess = Callable[[], AbstractAsyncContextManager[Reader]]
"""Reads of a copy of the store (the mirror) that is likely to hold the row a write changes."""


@dataclass
class LedgerRow:
    """The replay ledger's row of the write the router runs: written by the write's own
    statement when it is one (`recorded`), else by the router in its transaction."""

    op_id: uuid.UUID
    operation: str
    at: datetime
    guess: Guess | None = None
    """Where the write may read its row first (`Writer.attempt`)."""
    recorded: bool = False


def offer(
    session: AsyncSession, op_id: uuid.UUID, operation: str, at: datetime, guess: Guess | None = None
) -> LedgerRow:
    """Let the first write of the router's (still empty) transaction `session` be one statement
    that records the ledger row too. Whether it did: `LedgerRow.recorded`."""
    ledger = LedgerRow(op_id, operation, at, guess)
    session.sync_session.info[_OFFER] = ledger
    return ledger


def _take_offer(session: AsyncSession) -> LedgerRow | None:
    """The ledger row to write, taken once: a write that then runs its transactional path (or
    any later write of the same transaction) leaves it to the router."""
    found = session.sync_session.info.pop(_OFFER, None)
    return found if isinstance(found, LedgerRow) else None


@dataclass(frozen=True)
class Event:
    """An audit event of the written row (`store.events` fields but the entity, which is the row)."""

    action: str
    actor: str
    occurred_at: datetime
    changes: dict[str, Any]


def event_rows(entity_id: str, written: Sequence[Event]) -> list[dict[str, Any]]:
    """The `events` rows of the work item `entity_id`'s audit events, as a write inserts them."""
    return [
        {
            "entity_type": "work_item",
            "entity_id": entity_id,
            "action": event.action,
            "actor": event.actor,
            "occurred_at": event.occurred_at,
            "changes": event.changes,
        }
        for event in written
    ]


def draft(row: AnyRow | dict[str, Any]) -> WorkItem:
    """The values of an item row (`ITEM_COLUMNS`, or a dict of them) as attributes, for a use
    case to check and apply its changes to before a `Writer` writes them: a plain object, not a
    mapped one (never added to a session, so the ORM's instrumentation of each attribute set
    would be work for nothing). Typed as the row it stands for, which it reads like: a column
    not given reads None, as on a new ORM object before its flush."""
    values = row if isinstance(row, dict) else row._asdict()
    return cast(WorkItem, SimpleNamespace(**(_UNSET | values)))


@asynccontextmanager
async def writer(db: Database) -> AsyncIterator[Writer | None]:
    """A writer for one use case, or None where its statements can't commit on their own (see
    `Database.at_once`), or it runs inside a transaction other than the router's empty one.
    SQLite: the use case's own write transaction, its statements run inline
    (`store.sqlite_writes`)."""
    if db.is_sqlite:
        from project_status.store import sqlite_writes  # it builds on this module's Writer

        async with sqlite_writes.writer(db) as inline:
            yield inline
        return
    shared = db.shared_session()
    if shared is not None and _OFFER not in shared.sync_session.info:
        yield None
        return
    async with db.at_once() as reader:
        made = None if reader is None else Writer(reader, shared)
        yield made
    if made is not None and made.wrote:
        db.writes_committed += 1  # as a unit of work that wrote counts itself


async def attempt(
    db: Database,
    statement: Any,
    params: dict[str, Any],
    write: Callable[[Writer, AnyRow | None], Awaitable[T | None]],
) -> T | None:
    """`Writer.attempt` on a writer of `db`'s: `write(writer, row)`. None where there is no
    writer, or nothing came of it: the use case's transactional path answers then."""
    async with writer(db) as found:
        if found is None:
            return None
        chosen = found
        return await chosen.attempt(statement, params, lambda row: write(chosen, row))


class Writer:
    """Runs one use case's statements at once on an autocommit connection (`Database.at_once`)."""

    def __init__(self, reader: Reader, shared: AsyncSession | None) -> None:
        self.reader = reader
        self.shared = shared
        self.wrote = False
        """A statement of this writer matched its row and committed."""
        self.ledger: LedgerRow | None = None if shared is None else _take_offer(shared)
        self._guessed: AnyRow | None = None
        """The row being written was read from the guess: the write is guarded by all of it."""

    @property
    def guessing(self) -> bool:
        """The row being written was read in the guess, not in PostgreSQL: it is no answer."""
        return self._guessed is not None

    async def attempt(
        self, statement: Any, params: dict[str, Any], write: Callable[[AnyRow | None], Awaitable[T | None]]
    ) -> T | None:
        """`write` the row `statement` reads (None: there is none), as PostgreSQL has it. With a
        guess (the mirror, `offer`), first as the guess has it, at no round trip: its write is
        then guarded by the whole row it read, so it applies only where PostgreSQL's row is the
        same; else (a refusal, a check that failed, or a row that differs) nothing came of it,
        and the write runs again on PostgreSQL's row."""
        guess = None if self.ledger is None else self.ledger.guess
        if guess is not None:
            try:
                async with guess() as reader:
                    self._guessed = await reader.first(statement, params)
            except TrackerError:
                self._guessed = None  # the mirror is a cache: PostgreSQL answers
            if self._guessed is not None:
                try:
                    done = await write(self._guessed)
                except (NotFoundError, ValidationError, VersionConflictError):
                    done = None  # judged on a copy: PostgreSQL's row decides
                finally:
                    self._guessed = None
                if done is not None:
                    return done
        return await write(await self.reader.first(statement, params))

    async def update_item(
        self,
        item_id: uuid.UUID,
        version: int,
        values: dict[str, Any],
        written: Sequence[Event],
        *,
        claimable: bool = False,
    ) -> AnyRow | None:
        """Set `values` (by attribute name) on the item at `version` (it becomes `version` + 1)
        and add its events; `claimable`: only while no open blocker holds it back. The new row
        (`ITEM_COLUMNS`), or None when the guard failed and nothing was written."""
        given = {_COLUMN_OF[key]: value for key, value in values.items() if key not in _KEPT}
        columns = tuple(sorted(given))
        whole = self._guessed is not None
        statement = _update_statement(columns, len(written), self.ledger is not None, claimable, whole)
        params = {f"set_{name}": given[name] for name in columns}
        params |= {"item_id": item_id, "version": version, "new_version": version + 1}
        if self._guessed is not None:
            params |= {f"was_{name}": getattr(self._guessed, key) for name, key in _COLUMNS}
        return await self._run(statement, params, str(item_id), written)

    async def insert_item(
        self, values: dict[str, Any], written: Sequence[Event], parent: Any | None
    ) -> AnyRow | None:
        """Insert the item row `values` (by attribute name, every column) with its events. Under
        a `parent` (as read), only while it is live at the path and depth read, checked under
        the lock that writers of the tree take (`Database.lock_structure`) and on its latest
        version. The new row, or None when nothing was written."""
        given = {_COLUMN_OF[key]: value for key, value in values.items()}
        columns = tuple(sorted(given))
        statement = _insert_statement(columns, len(written), self.ledger is not None, parent is not None)
        params = {f"set_{name}": given[name] for name in columns}
        if parent is not None:
            params |= {"parent_id": parent.id, "parent_path": parent.path, "parent_depth": parent.depth}
        return await self._run(statement, params, str(values["id"]), written)

    async def _run(
        self, statement: Any, params: dict[str, Any], entity_id: str, written: Sequence[Event]
    ) -> AnyRow | None:
        rows = event_rows(entity_id, written)
        for index, row in enumerate(rows):
            params |= {f"e{index}_{name}": value for name, value in row.items()}
        if self.ledger is not None:
            ledger = self.ledger
            params |= {"op_id": ledger.op_id, "operation": ledger.operation, "applied_at": ledger.at}
        found = await self.reader.first(statement, params)
        if found is None:
            return None
        self.wrote = True
        if self.ledger is not None:
            self.ledger.recorded = True
        if self.shared is not None:
            events.add_captured(self.shared, rows)  # the write-through puts these in the mirror
        return found


def _lock_events() -> ColumnElement[bool]:
    """Take the writers' (shared) events lock, as a condition that always holds: evaluated on the
    written row, so after the row's own lock and before an event's id is drawn."""
    return func.pg_advisory_xact_lock_shared(events.EVENTS_LOCK_KEY).is_not(None)


def _with_events_and_ledger(written: Any, count: int, ledger: bool) -> Select[Any]:
    """SELECT the `written` row (a DML CTE returning `ITEM_COLUMNS`), adding `count` events
    (`e<n>_<field>`) and, `ledger`, the ledger row, each only for a row that was written."""
    statement = select(*(written.c[name].label(key) for name, key in _COLUMNS))
    if count:
        parts = [
            select(*(bindparam(f"e{n}_{name}", type_=events.EVENTS.c[name].type) for name in events.FIELDS))
            .select_from(written)
            .where(_lock_events())
            for n in range(count)
        ]
        source = parts[0] if count == 1 else union_all(*parts)
        statement = statement.add_cte(
            insert(events.EVENTS).from_select(list(events.FIELDS), source).cte("new_events")
        )
    if ledger:
        values = select(
            bindparam("op_id", type_=_LEDGER.c.op_id.type),
            bindparam("operation", type_=_LEDGER.c.operation.type),
            bindparam("outcome", LIVE, type_=_LEDGER.c.outcome.type),
            bindparam("applied_at", type_=_LEDGER.c.applied_at.type),
        ).select_from(written)
        statement = statement.add_cte(
            insert(_LEDGER).from_select(list(_LEDGER_FIELDS), values).cte("new_ledger")
        )
    return statement


def _returning() -> tuple[Any, ...]:
    return tuple(WORK_ITEMS.c[name] for name, _ in _COLUMNS)


@functools.cache
def _update_statement(
    columns: tuple[str, ...], count: int, ledger: bool, claimable: bool, whole: bool
) -> Any:
    """Built once per shape: the columns set, the number of events, ledger or not, the guards
    (`whole`: every column as read, `was_<name>`)."""
    table = WORK_ITEMS
    guard: list[ColumnElement[bool]] = [
        table.c.id == bindparam("item_id", type_=Uuid()),
        table.c.version == bindparam("version", type_=table.c.version.type),
    ]
    if claimable:
        guard.append(~blocked_by_open_item())
    if whole:
        guard.extend(
            table.c[name].is_not_distinct_from(bindparam(f"was_{name}", type_=table.c[name].type))
            for name, _ in _COLUMNS
        )
    values: dict[str, Any] = {name: bindparam(f"set_{name}", type_=table.c[name].type) for name in columns}
    values["version"] = bindparam("new_version", type_=table.c.version.type)
    written = update(table).where(*guard).values(values).returning(*_returning()).cte("written_item")
    return hot(_with_events_and_ledger(written, count, ledger))


@functools.cache
def _insert_statement(columns: tuple[str, ...], count: int, ledger: bool, under_parent: bool) -> Any:
    table = WORK_ITEMS
    source = select(*(bindparam(f"set_{name}", type_=table.c[name].type) for name in columns))
    if under_parent:
        parent = table.alias("parent")
        live_parent = (
            select(parent.c.id)
            .where(
                parent.c.id == bindparam("parent_id", type_=Uuid()),
                parent.c.path == bindparam("parent_path", type_=parent.c.path.type),
                parent.c.depth == bindparam("parent_depth", type_=parent.c.depth.type),
                parent.c.deleted_at.is_(None),
                # Evaluated on the parent's row before it is locked: the tree's writers take turns.
                func.pg_advisory_xact_lock(STRUCTURE_LOCK_KEY).is_not(None),
            )
            # FOR SHARE: a move or delete of the parent conflicts with it, so the check runs again
            # on the parent's latest version (FOR KEY SHARE would not see a change of its path).
            .with_for_update(read=True)
            .cte("live_parent")
        )
        source = source.select_from(live_parent)
    written = insert(table).from_select(list(columns), source).returning(*_returning()).cte("written_item")
    return hot(_with_events_and_ledger(written, count, ledger))
