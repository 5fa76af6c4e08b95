"""The audit trail: one row per change, added in the caller's transaction."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, event, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction

from project_status.domain.enums import EntityKind
from project_status.store.readers import Reader
from project_status.store.tables import Event

# The order the change feed reads in (see `store.changes`): on PostgreSQL, a transaction that adds
# events holds this lock, shared, from before its first event until it ends.
EVENTS_LOCK_KEY = 0x7073_6576
EVENTS = cast(Table, Event.__table__)
_HELD = "project_status_events_lock"
_WRITTEN = "project_status_events_written"
FIELDS = ("entity_type", "entity_id", "action", "actor", "occurred_at", "changes")
_INSERT_EVENTS = insert(EVENTS)
"""Built once: a statement built per flush had its cache key computed afresh each time."""


def capture(session: AsyncSession, written: list[dict[str, Any]]) -> None:
    """From now on, add the events this session writes to `written`, as the values of their rows
    (`FIELDS`): the write-through puts the primary's own events in the mirror, not new ones."""
    session.sync_session.info[_WRITTEN] = written


def _captured(session: Session, rows: Any) -> None:
    """Add `rows` (a row's values, or a list of them) to what `capture` collects, if it does."""
    written = session.info.get(_WRITTEN)
    if written is not None and rows:
        for row in rows if isinstance(rows, list) else [rows]:
            written.append({name: row[name] for name in FIELDS})


def add_captured(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Add events written past the session (`store.one_statement`) to what `capture` collects."""
    _captured(session.sync_session, rows)


def _on_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _lock_to_take(session: Session) -> SessionTransaction | None:
    """The transaction that still has to take the writers' (shared) events lock: PostgreSQL,
    once per transaction (None: nothing to take)."""
    if not _on_postgresql(session):
        return None
    transaction = session.get_transaction()
    if transaction is None or session.info.get(_HELD) is transaction:
        return None
    return transaction


def _hold_events_lock(session: Session) -> None:
    """PostgreSQL: take the writers' (shared) events lock once per transaction."""
    transaction = _lock_to_take(session)
    if transaction is None:
        return
    session.execute(text("SELECT pg_advisory_xact_lock_shared(:key)"), {"key": EVENTS_LOCK_KEY})
    session.info[_HELD] = transaction


_LOCK_ROW = select(func.pg_advisory_xact_lock_shared(EVENTS_LOCK_KEY).label("held")).subquery("events_lock")


def _bound(table: Table, names: Sequence[str], prefix: str) -> dict[str, Any]:
    """A bound parameter per column of `table` named in `names` (`prefix` + name), typed as it."""
    return {name: bindparam(prefix + name, type_=table.c[name].type) for name in names}


@functools.cache
def _insert_statement(table: Table, names: tuple[str, ...], with_event: bool, take_lock: bool) -> Any:
    """INSERT ... SELECT of one row of `table` (parameters `row_<name>`), or of the event
    (`event_<name>`) with that row's insert as a CTE; taking the events lock in the same
    statement when `take_lock`. Built once per shape: building it costs more than running it."""
    row = _bound(table, names, "row_")
    target, source = (EVENTS, _bound(EVENTS, FIELDS, "event_")) if with_event else (table, row)
    selected = select(*source.values())
    if take_lock:
        selected = selected.select_from(_LOCK_ROW)
    statement: Any = insert(target).from_select(list(source), selected)
    if with_event:
        statement = statement.add_cte(insert(table).values(row).cte(f"new_{table.name}"))
    return statement


async def insert_with_events(session: AsyncSession, table: Table, values: dict[str, Any]) -> None:
    """Insert one row into `table` before the transaction's events are flushed (the replay
    ledger's row of a write). On PostgreSQL, one round trip where there were up to three: the
    same statement takes the events lock when the transaction has not yet, and writes the one
    event the transaction holds unflushed, if that is all it holds (else they flush as usual)."""
    sync = session.sync_session
    if not _on_postgresql(sync):
        await session.execute(insert(table), values)
        return
    transaction = _lock_to_take(sync)
    pending = [obj for obj in sync.new if isinstance(obj, Event)]
    parameters = {f"row_{name}": value for name, value in values.items()}
    if len(pending) == 1:
        fields = {name: getattr(pending[0], name) for name in FIELDS}
        _captured(sync, fields)
        parameters |= {f"event_{name}": value for name, value in fields.items()}
        sync.expunge(pending[0])  # written by this statement instead of the flush
    if transaction is not None:
        sync.info[_HELD] = transaction  # before the statement: `_before_execute` must not take it again
    statement = _insert_statement(table, tuple(values), len(pending) == 1, transaction is not None)
    await session.execute(statement, parameters)


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    """Write the events recorded since the last flush in one Core INSERT, not by the unit of work:
    no ORM bookkeeping per event, whose ids nobody reads back (`_before_execute` takes the lock)."""
    new = [obj for obj in session.new if isinstance(obj, Event)]
    if new:
        rows = [{name: getattr(obj, name) for name in FIELDS} for obj in new]
        for obj in new:
            session.expunge(obj)
        session.execute(_INSERT_EVENTS, rows if len(rows) > 1 else rows[0])


@event.listens_for(Session, "do_orm_execute")
def _before_execute(state: ORMExecuteState) -> None:
    if state.is_insert and getattr(state.statement, "table", None) is EVENTS:
        _hold_events_lock(state.session)
        if getattr(state.statement, "select", None) is None:  # else `insert_with_events` captured it
            _captured(state.session, state.parameters)


def record(
    session: AsyncSession,
    *,
    entity_type: str,
    entity_id: str,
    action: str,
    actor: str,
    at: datetime,
    changes: dict[str, Any],
) -> None:
    session.add(
        Event(
            entity_type=entity_type,
            entity_id=entity_id,
            action=action,
            actor=actor,
            occurred_at=at,
            changes=changes,
        )
    )


def record_work_item(
    session: AsyncSession, item_id: object, action: str, actor: str, at: datetime, changes: dict[str, Any]
) -> None:
    """An audit event of one work item (claims, notes, leases and edits all record this way)."""
    record(
        session,
        entity_type=EntityKind.WORK_ITEM.value,
        entity_id=str(item_id),
        action=action,
        actor=actor,
        at=at,
        changes=changes,
    )


async def record_many(
    session: AsyncSession,
    *,
    entity_type: str,
    action: str,
    actor: str,
    at: datetime,
    changes: dict[str, dict[str, Any]],
) -> None:
    """One event per entity id in `changes`, written in one statement."""
    if not changes:
        return
    rows = [
        {
            "entity_type": entity_type,
            "entity_id": entity_id,
            "action": action,
            "actor": actor,
            "occurred_at": at,
            "changes": change,
        }
        for entity_id, change in changes.items()
    ]
    await session.execute(insert(cast(Table, Event.__table__)), rows)  # Core: no ORM work per row


async def for_entity(session: AsyncSession, entity_type: str, entity_id: str, limit: int) -> Sequence[Event]:
    """Newest first."""
    query = (
        select(Event)
        .where(Event.entity_type == entity_type, Event.entity_id == entity_id)
        .order_by(Event.id.desc())
        .limit(limit)
    )
    return (await session.execute(query)).scalars().all()


_NEWEST_ID = select(func.max(Event.id))


async def newest_id(reader: Reader) -> int:
    """The id of the newest event (0 for none): it moves whenever any process changes the store."""
    row = await reader.first(_NEWEST_ID)
    return int(row[0] or 0) if row is not None else 0
