"""Optimistic locking: every update names the version it read, or it is rejected whole."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, NoReturn, Protocol

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from project_status.domain.bounds import INT4_MAX
from project_status.domain.errors import TrackerError, ValidationError, VersionConflictError
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
