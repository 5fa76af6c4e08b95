"""Optimistic locking: every update names the version it read, or it is rejected whole."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, NoReturn, Protocol, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from project_status.domain.bounds import INT4_MAX
from project_status.domain.errors import TrackerError, ValidationError, VersionConflictError
from project_status.services.change_sets import created, diff
from project_status.services.clock import now
from project_status.store import events
from project_status.store.database import Database


class Versioned(Protocol):
    version: int
    updated_by: str
    updated_at: Any


class StaleWrite(VersionConflictError):
    """Raised when the row moved on between our read and our UPDATE (a race lost)."""

    def __init__(self) -> None:
        super().__init__("The row changed while it was being updated.")


def check_version_argument(version: int) -> None:
    if isinstance(version, bool) or not isinstance(version, int) or not 1 <= version <= INT4_MAX:
        raise ValidationError.for_field(
            "version", "must be the integer version you read (1 or more)", version, limit=INT4_MAX
        )


def conflict(entity: str, ident: str, expected: int, row: Versioned) -> VersionConflictError:
    return VersionConflictError(
        f"{entity} {ident} is at version {row.version}, not {expected}: it was last changed by "
        f"{row.updated_by} at {row.updated_at.isoformat()}. Read it again, then reapply your change "
        f"with version {row.version}.",
        {
            "entity": entity,
            "id": ident,
            "expected_version": expected,
            "current_version": row.version,
            "updated_by": row.updated_by,
            "updated_at": row.updated_at.isoformat(),
        },
    )


def check(entity: str, ident: str, expected: int, row: Versioned) -> None:
    if row.version != expected:
        raise conflict(entity, ident, expected, row)


async def flush(session: AsyncSession) -> None:
    """Flush, turning SQLAlchemy's version-counter miss into `StaleWrite`."""
    try:
        await session.flush()
    except StaleDataError:
        raise StaleWrite() from None


async def lost_race(
    db: Database,
    entity: str,
    ident: str,
    expected: int,
    load: Callable[[AsyncSession], Awaitable[Versioned | None]],
    missing: TrackerError,
) -> NoReturn:
    """After a `StaleWrite`: read the row that won, in a fresh unit of work, and report it."""
    async with db.unit_of_work() as session:
        current = await load(session)
    if current is None:
        raise missing
    raise conflict(entity, ident, expected, current)


class Identified(Versioned, Protocol):
    id: Any


R = TypeVar("R", bound=Identified)
A = TypeVar("A")


async def versioned_update(
    db: Database,
    *,
    entity: str,
    version: int,
    load: Callable[[AsyncSession], Awaitable[R]],
    ident: Callable[[R], str],
    change: Callable[[AsyncSession, R], Awaitable[A]],
    missing: Callable[[], TrackerError],
    lock_structure: bool = False,
) -> A:
    """One update under optimistic locking, all but what changes: read the row (`load` raises
    when there is none), compare its version with the one the caller read, run `change` in the
    same unit of work, and answer a lost race with the conflict naming the row that won
    (`missing` when it has gone). The caller has checked its arguments (`check_version_argument`)."""
    found: tuple[type[R], Any, str] | None = None
    try:
        async with db.unit_of_work(write=True) as session:
            if lock_structure:
                await db.lock_structure(session)
            row = await load(session)
            found = (type(row), row.id, ident(row))
            check(entity, found[2], version, row)
            return await change(session, row)
    except StaleWrite:
        if found is None:
            raise
        kind, row_id, name = found
        await lost_race(db, entity, name, version, lambda s: s.get(kind, row_id), missing())


async def record_update(
    session: AsyncSession,
    row: Versioned,
    before: dict[str, Any],
    after: dict[str, Any],
    *,
    kind: str,
    entity_id: str,
    actor: str,
) -> dict[str, dict[str, Any]]:
    """Stamp, write and audit what changed between two snapshots of `row` (nothing when nothing
    changed: the version stays). The changed fields, as recorded."""
    changed = diff(before, after)
    if not changed:
        return changed
    stamp = now()
    row.updated_at, row.updated_by = stamp, actor
    await flush(session)
    events.record(
        session,
        entity_type=kind,
        entity_id=entity_id,
        action="updated",
        actor=actor,
        at=stamp,
        changes=changed,
    )
    return changed


async def record_created(
    session: AsyncSession, row: Identified, values: dict[str, Any], *, kind: str, actor: str
) -> None:
    """Write a new row and audit its creation (every given field, from nothing) at its creation time."""
    session.add(row)
    await session.flush()
    events.record(
        session,
        entity_type=kind,
        entity_id=str(row.id),
        action="created",
        actor=actor,
        at=row.updated_at,
        changes=created(values),
    )
