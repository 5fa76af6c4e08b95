"""The reads behind the live board: every live item's tree columns, what blocks what, the newest
audit events. Plain columns only: the board lists every live item, so nothing is decoded per row
that the page does not show."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import aliased

from project_status.domain.enums import DependencyType, WorkItemStatus
from project_status.store.column_types import id_key
from project_status.store.readers import AnyRow, Reader
from project_status.store.tables import Event, WorkItem, WorkItemDependency

_ITEMS = select(
    id_key(WorkItem.id).label("id"),
    id_key(WorkItem.parent_id).label("parent_id"),
    WorkItem.item_type,
    WorkItem.title,
    WorkItem.status,
    WorkItem.priority,
    WorkItem.depth,
    WorkItem.metadata_["blocked_reason"].as_string().label("blocked_reason"),
    WorkItem.claimed_by,
    WorkItem.claim_expires_at,
).where(WorkItem.deleted_at.is_(None))


async def live_items(reader: Reader) -> Sequence[AnyRow]:
    """(id, parent_id, item_type, title, status, priority, depth, blocked_reason, claimed_by,
    claim_expires_at) of every live item, unordered (the board orders its tree itself)."""
    return await reader.rows(_ITEMS)


def _open_blocks() -> Select[str, str, str]:
    blocked = aliased(WorkItem)
    blocker = aliased(WorkItem)
    dep = WorkItemDependency
    # `X depends_on B` and `B blocks X` both mean B blocks X.
    return (
        select(id_key(blocked.id).label("blocked_id"), id_key(blocker.id).label("blocker_id"), blocker.title)
        .select_from(dep)
        .join(
            blocked,
            or_(
                and_(dep.dependency_type == DependencyType.DEPENDS_ON.value, blocked.id == dep.source_id),
                and_(dep.dependency_type == DependencyType.BLOCKS.value, blocked.id == dep.target_id),
            ),
        )
        .join(
            blocker,
            or_(
                and_(dep.dependency_type == DependencyType.DEPENDS_ON.value, blocker.id == dep.target_id),
                and_(dep.dependency_type == DependencyType.BLOCKS.value, blocker.id == dep.source_id),
            ),
        )
        .where(
            blocked.deleted_at.is_(None),
            blocker.deleted_at.is_(None),
            blocker.status != WorkItemStatus.COMPLETED.value,
        )
    )


_OPEN_BLOCKS = _open_blocks()


async def open_blocks(reader: Reader) -> Sequence[AnyRow]:
    """(blocked_id, blocker_id, blocker title) for every live item held up by an unfinished one."""
    return await reader.rows(_OPEN_BLOCKS)


async def recent_events(reader: Reader, limit: int) -> Sequence[AnyRow]:
    """The newest `limit` audit events (id, occurred_at, actor, entity_type, entity_id, action,
    changes), newest first."""
    query = (
        select(
            Event.id, Event.occurred_at, Event.actor, Event.entity_type, Event.entity_id, Event.action,
            Event.changes,
        )
        .order_by(Event.id.desc())
        .limit(limit)
    )
    return await reader.rows(query)


LATE_COMMIT_WINDOW = 1000
"""How far back a late commit is still noticed (see `change_marker`)."""
_NEWEST = select(func.max(Event.id))


async def change_marker(reader: Reader) -> tuple[int, int]:
    """(newest event id, events among the newest ids): it moves whenever a change commits.

    The newest id alone misses a PostgreSQL transaction that took its id before another one but
    committed after it (ids come from a sequence at insert time); such an event still raises the
    count of events in the recent window. Both reads use the primary key only.
    """
    row = await reader.first(_NEWEST)
    newest = int(row[0] or 0) if row is not None else 0
    recent = select(func.count()).select_from(Event).where(Event.id > newest - LATE_COMMIT_WINDOW)
    counted = await reader.first(recent)
    return newest, int(counted[0] or 0) if counted is not None else 0
