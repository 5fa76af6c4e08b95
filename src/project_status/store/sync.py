"""Rows of the fallback chain: the offline journal and mirror state (in the local mirror), and
the replay ledger and conflicts (in the primary database)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from pydantic_core import to_jsonable_python
from sqlalchemy import Integer, Select, Table, Uuid, bindparam, delete, func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from project_status.store import events
from project_status.store.database import Database
from project_status.store.tables import (
    AppliedOperation,
    Base,
    Deployment,
    Enhancement,
    JournalEntry,
    MirrorState,
    ProjectConfiguration,
    SyncConflict,
    Vendor,
    WorkItem,
)

PENDING, APPLIED, CONFLICT = "pending", "applied", "conflict"
LIVE = "live"
"""The ledger's outcome for a write made on the primary itself (not replayed from a journal)."""
_STATE_ID = 1
_NOT_MIRRORED = {JournalEntry.__tablename__, MirrorState.__tablename__, AppliedOperation.__tablename__}

# The journal (mirror side)


async def append(session: AsyncSession, entry: JournalEntry) -> None:
    session.add(entry)
    await session.flush()


async def pending(session: AsyncSession, limit: int | None = None) -> Sequence[JournalEntry]:
    query = select(JournalEntry).where(JournalEntry.state == PENDING).order_by(JournalEntry.seq)
    if limit is not None:
        query = query.limit(limit)
    return (await session.execute(query)).scalars().all()


async def count_pending(session: AsyncSession) -> int:
    query = select(func.count()).select_from(JournalEntry).where(JournalEntry.state == PENDING)
    return int((await session.execute(query)).scalar_one())


async def settle(session: AsyncSession, seq: int, state: str, at: datetime) -> None:
    await session.execute(
        update(JournalEntry).where(JournalEntry.seq == seq).values(state=state, settled_at=at)
    )


# The mirror's state (mirror side)


async def mirror_state(session: AsyncSession) -> MirrorState | None:
    return await session.get(MirrorState, _STATE_ID)


async def set_mirror_state(
    session: AsyncSession,
    *,
    source: str | None = None,
    refreshed_at: datetime | None = None,
    needs_refresh: bool,
) -> None:
    row = await session.get(MirrorState, _STATE_ID)
    if row is None:
        row = MirrorState(id=_STATE_ID, needs_refresh=needs_refresh)
        session.add(row)
    row.needs_refresh = needs_refresh
    if source is not None:
        row.source = source
    if refreshed_at is not None:
        row.refreshed_at = refreshed_at
    await session.flush()


async def set_mirror_state_on(
    conn: AsyncConnection, *, source: str, refreshed_at: datetime, events_through: int
) -> None:
    """After a whole copy, on the copy's own connection: fresh, and nothing known to be missing."""
    await conn.execute(delete(MirrorState))
    await conn.execute(
        insert(MirrorState).values(
            id=_STATE_ID,
            source=source,
            refreshed_at=refreshed_at,
            needs_refresh=False,
            events_through=events_through,
        )
    )


async def mirror_state_on(conn: AsyncConnection) -> Any:
    return (await conn.execute(select(MirrorState).where(MirrorState.id == _STATE_ID))).first()


# The ledger and conflicts (primary side)


async def was_replayed(session: AsyncSession, op_id: uuid.UUID) -> str | None:
    """The outcome recorded when this journal entry was replayed before, if it was."""
    return (
        await session.execute(select(AppliedOperation.outcome).where(AppliedOperation.op_id == op_id))
    ).scalar()


def mark_replayed(
    session: AsyncSession, op_id: uuid.UUID, operation: str, outcome: str, at: datetime
) -> None:
    session.add(AppliedOperation(op_id=op_id, operation=operation, outcome=outcome, applied_at=at))


async def mark_live(session: AsyncSession, op_id: uuid.UUID, operation: str, at: datetime) -> None:
    """Record a write made on the primary itself in the ledger, before its events are flushed:
    on PostgreSQL with the events lock they need and its event, in one statement."""
    values = {"op_id": op_id, "operation": operation, "outcome": LIVE, "applied_at": at}
    await events.insert_with_events(session, cast(Table, AppliedOperation.__table__), values)


def add_conflict(session: AsyncSession, conflict: SyncConflict) -> None:
    session.add(conflict)


async def conflicts(session: AsyncSession, *, include_resolved: bool, limit: int) -> Sequence[SyncConflict]:
    query = select(SyncConflict).order_by(SyncConflict.detected_at, SyncConflict.id).limit(limit)
    if not include_resolved:
        query = query.where(SyncConflict.resolved_at.is_(None))
    return (await session.execute(query)).scalars().all()


_ENTITY_TABLES: dict[str, Any] = {
    "work_item": WorkItem.__table__,
    "dependency": WorkItem.__table__,  # an edge is kept with its source item
    "vendor": Vendor.__table__,
    "deployment": Deployment.__table__,
    "enhancement": Enhancement.__table__,
    "configuration": ProjectConfiguration.__table__,
}
"""The row a journal entry's entity (type, id) names, by the type it was journaled under."""


async def entity_row(session: AsyncSession, entity_type: str, entity_id: str | None) -> dict[str, Any] | None:
    """The entity's row as JSON (a conflict's "theirs"), or None when it is not there."""
    table = _ENTITY_TABLES.get(entity_type)
    if table is None or entity_id is None:
        return None
    key: Any = 1 if entity_type == "configuration" else uuid.UUID(entity_id)
    row = (await session.execute(select(table).where(table.c.id == key))).first()
    return to_jsonable_python(dict(row._mapping)) if row is not None else None


async def open_conflict_entities(session: AsyncSession) -> set[tuple[str, str]]:
    """(entity type, id) of every unresolved conflict: later changes to them wait behind it."""
    query = select(SyncConflict.entity_type, SyncConflict.entity_id).where(
        SyncConflict.resolved_at.is_(None), SyncConflict.entity_id.is_not(None)
    )
    return {(kind, str(ident)) for kind, ident in (await session.execute(query)).all()}


# The write-through of a work item's write (mirror side)

_WORK_ITEMS = cast(Table, WorkItem.__table__)
_FROM_ID, _FROM_VERSION = "from_id", "from_version"
_PUT_IN_PLACE = update(_WORK_ITEMS).where(
    _WORK_ITEMS.c.id == bindparam(_FROM_ID, type_=Uuid()),
    _WORK_ITEMS.c.version == bindparam(_FROM_VERSION, type_=Integer()),
)
"""Sets the columns its parameters name (built once: a statement built per call costs more than
running it)."""


ItemPut = tuple[dict[str, Any], int | None, Sequence[dict[str, Any]]]
"""One write to put in the mirror: the primary's committed `row` of one work item (its columns by
name), the version it started from (None: it created the row) and the events it wrote."""


async def put_work_items(session: AsyncSession, puts: Sequence[ItemPut]) -> list[int]:
    """Put each of `puts` in the mirror, in order, in the session's transaction: a new row, or in
    place of the row at the version it started from; all their events in one statement at the end
    (a batch of write-throughs pays for one). The positions of those the mirror had no row for at
    that version (its copy differs from the primary's): nothing of theirs is put."""
    conn = await session.connection()  # Core on the unit of work's connection: no ORM work per row
    missed: list[int] = []
    new_events: list[dict[str, Any]] = []
    for index, (row, from_version, written) in enumerate(puts):
        if from_version is None:
            await conn.execute(insert(_WORK_ITEMS), row)
        else:
            put = await conn.execute(_PUT_IN_PLACE, {**row, _FROM_ID: row["id"], _FROM_VERSION: from_version})
            if put.rowcount != 1:
                missed.append(index)
                continue
        new_events.extend(written)
    if new_events:
        await conn.execute(insert(events.EVENTS), new_events)
    return missed


# Whole-table copies for the mirror's refresh


def mirrored_tables() -> list[Table]:
    """Every table of the shared schema the mirror keeps a copy of, parents before children."""
    return [table for table in Base.metadata.sorted_tables if table.name not in _NOT_MIRRORED]


COPY_CHUNK = 5000
"""Rows per round trip when copying: bounded memory whatever the store's size."""

APPEND_ONLY = "events"
"""Copied from where the last copy stopped (its ids only grow); the rest is copied whole."""

ARCHIVE_TABLES = ("archived_work_items", "archived_work_item_dependencies")
"""Large and rarely changed (by an archive run or a restore): copied again only when their row
count or newest `archived_at` differs between the two databases."""


async def copy_rows(
    source: AsyncConnection, target: AsyncConnection, table: Table, query: Select[Any] | None = None
) -> int:
    """Stream `query` (default: the whole table) from `source` into `target`, in chunks."""
    statement: Select[Any] = select(table) if query is None else query
    result = await source.stream(statement)
    copied = 0
    while chunk := await result.fetchmany(COPY_CHUNK):
        await target.execute(insert(table), [dict(row._mapping) for row in chunk])
        copied += len(chunk)
    return copied


async def signature(conn: AsyncConnection, table: Table) -> tuple[Any, ...]:
    """(row count, newest archived_at) of an archive table: what tells an archive run or a restore."""
    row = (await conn.execute(select(func.count(), func.max(table.c.archived_at)))).one()
    return (int(row[0]), row[1])


async def max_id(conn: AsyncConnection, table: Table) -> int:
    return int((await conn.execute(select(func.coalesce(func.max(table.c.id), 0)))).scalar_one())


async def copy_database(primary: Database, mirror: Database, *, source: str, at: datetime) -> int | None:
    """Bring `mirror` to one snapshot of `primary`; the rows copied, or None while its journal holds
    changes not yet replayed (they exist only there).

    The mirror's write lock is taken first, so a write to it either lands before the snapshot is
    read (and is in it) or waits and lands after. Rows stream in chunks; the audit trail is copied
    from where the last copy stopped and the archive only when it changed.
    """
    rows = 0
    async with mirror.connection(transaction=True) as target:
        if await target.scalar(
            select(func.count()).select_from(JournalEntry).where(JournalEntry.state == PENDING)
        ):
            return None
        state = await mirror_state_on(target)
        same_source = state is not None and state.source == source
        await target.execute(text("PRAGMA defer_foreign_keys = ON"))  # parents and children in any order
        async with primary.snapshot() as origin:
            for table in mirrored_tables():
                if table.name == APPEND_ONLY:
                    continue
                if (
                    table.name in ARCHIVE_TABLES
                    and same_source
                    and await signature(origin, table) == await signature(target, table)
                ):
                    continue
                await target.execute(table.delete())
                rows += await copy_rows(origin, target, table)
            events = Base.metadata.tables[APPEND_ONLY]
            through = state.events_through if same_source and state.events_through else 0
            newest = await max_id(origin, events)
            if newest < through:  # not the history this mirror copied: start over
                through = 0
            # Events made in the mirror (write-through, offline) carry ids past the copied ones;
            # the primary's own rows for the same changes replace them.
            await target.execute(events.delete().where(events.c.id > through))
            query = select(events).where(events.c.id > through, events.c.id <= newest).order_by(events.c.id)
            rows += await copy_rows(origin, target, events, query)
        await set_mirror_state_on(target, source=source, refreshed_at=at, events_through=newest)
    return rows
