"""Reading the audit trail across entities, in the order the events were numbered.

On PostgreSQL, ids come from a sequence and transactions commit in any order: an event given
id 10 can commit after one given id 11, and a reader that served 11 would never look back for
10. So every transaction that adds events holds a shared advisory lock from before its first
event until it ends, and the change feed takes the same lock exclusively before it reads: every
id handed out before that moment is then committed (or rolled back), and ids handed out later
are higher. SQLite writers take turns, so ids there are in commit order already.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from project_status.store.events import EVENTS_LOCK_KEY
from project_status.store.tables import (
    ArchivedWorkItem,
    Deployment,
    Enhancement,
    Event,
    Vendor,
    WorkItem,
)

_LOCK_NOT_AVAILABLE = "55P03"


async def settle_writers(session: AsyncSession) -> bool:
    """Wait until no transaction that added events is still open (PostgreSQL), for at most the
    lock timeout; False when one still is. Holds the lock until `session`'s transaction ends
    (so `session` must be a write unit of work there: readers run in autocommit)."""
    if session.get_bind().dialect.name != "postgresql":
        return True
    await session.execute(text("SET LOCAL lock_timeout = '800ms'"))
    try:
        async with session.begin_nested():
            await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": EVENTS_LOCK_KEY})
    except DBAPIError as exc:
        if getattr(exc.orig, "sqlstate", None) != _LOCK_NOT_AVAILABLE:
            raise
        return False  # a long writer (an import) is still open
    return True


async def page(
    session: AsyncSession, after_id: int | None, limit: int, entity_types: Sequence[str] | None
) -> list[Event]:
    """Events after `after_id`, oldest first; without it, the newest `limit`, oldest first."""
    query = select(Event)
    if entity_types:
        query = query.where(Event.entity_type.in_(list(entity_types)))
    if after_id is None:
        rows = list((await session.execute(query.order_by(Event.id.desc()).limit(limit))).scalars())
        rows.reverse()
        return rows
    query = query.where(Event.id > after_id).order_by(Event.id).limit(limit)
    return list((await session.execute(query)).scalars())


async def newest_id(session: AsyncSession) -> int:
    value = (await session.execute(select(Event.id).order_by(Event.id.desc()).limit(1))).scalar()
    return int(value) if value is not None else 0


def _uuids(values: Iterable[str]) -> list[uuid.UUID]:
    ids = []
    for value in values:
        try:
            ids.append(uuid.UUID(value))
        except ValueError:
            continue
    return ids


async def titles(session: AsyncSession, wanted: dict[str, set[str]]) -> dict[tuple[str, str], str]:
    """{(entity_type, entity_id): title or name} for the entities that still exist (live or archived)."""
    found: dict[tuple[str, str], str] = {}
    lookups: list[tuple[str, Any, Any]] = [
        ("work_item", WorkItem.id, WorkItem.title),
        ("work_item", ArchivedWorkItem.id, ArchivedWorkItem.title),
        ("vendor", Vendor.id, Vendor.name),
        ("enhancement", Enhancement.id, Enhancement.title),
        ("deployment", Deployment.id, Deployment.commit_hash),
    ]
    for kind, id_column, title_column in lookups:
        ids = _uuids(wanted.get(kind, ()))
        if not ids:
            continue
        rows = await session.execute(select(id_column, title_column).where(id_column.in_(ids)))
        for row_id, title in rows:
            label = f"deployment {title[:12]}" if kind == "deployment" else title
            found.setdefault((kind, str(row_id)), label)
    if wanted.get("configuration"):
        found[("configuration", "1")] = "project configuration"
    return found


async def count_for_entity(session: AsyncSession, entity_type: str, entity_id: str) -> int:
    query = (
        select(func.count())
        .select_from(Event)
        .where(Event.entity_type == entity_type, Event.entity_id == entity_id)
    )
    return int((await session.execute(query)).scalar_one())
