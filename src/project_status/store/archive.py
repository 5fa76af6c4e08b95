"""The work item archive: which subtrees qualify, moving them out and back set-wise, reading it.

An item qualifies when it is completed or deleted and was last updated before the cutoff; it
is archivable when its whole subtree qualifies. Every statement here works on sets of rows
(INSERT ... SELECT, DELETE ... WHERE id IN), a bounded number of ids per statement.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    String,
    Table,
    and_,
    bindparam,
    delete,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    type_coerce,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from project_status.domain.enums import EntityKind, WorkItemStatus
from project_status.store.column_types import JSONDocument, UTCDateTime, uuid_text
from project_status.store.paging import after
from project_status.store.tables import (
    ArchivedWorkItem,
    ArchivedWorkItemDependency,
    ArchiveRun,
    Event,
    WorkItem,
    WorkItemDependency,
)
from project_status.store.text_search import mentions

CHUNK = 2000
"""Ids bound in one statement: far below either backend's limit on parameters (32,766)."""

LIST_ORDER = ((ArchivedWorkItem.archived_at, True), (ArchivedWorkItem.id, False))
"""Newest archived first; the id breaks ties (a batch shares one time)."""

_LIVE = cast(Table, WorkItem.__table__)
_ARCHIVED = cast(Table, ArchivedWorkItem.__table__)
_DEPS = cast(Table, WorkItemDependency.__table__)
_ARCHIVED_DEPS = cast(Table, ArchivedWorkItemDependency.__table__)
_EVENTS = cast(Table, Event.__table__)
_EVENT_COLUMNS = ["entity_type", "entity_id", "action", "actor", "occurred_at", "changes"]
ENTITY = EntityKind.WORK_ITEM.value
_ITEM_COLUMNS = [column.name for column in _ARCHIVED.columns if column.name != "archived_at"]
_DEP_COLUMNS = [column.name for column in _ARCHIVED_DEPS.columns if column.name != "archived_at"]


def chunks(ids: Sequence[uuid.UUID], size: int = CHUNK) -> Iterable[Sequence[uuid.UUID]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _stamp(value: datetime) -> Any:
    """A time as a bound value of its own (several may share one statement)."""
    return literal(value, UTCDateTime())


def qualifies(cutoff: datetime) -> ColumnElement[bool]:
    """Completed or deleted, and last updated before `cutoff` (the item alone, not its subtree)."""
    return and_(
        or_(WorkItem.status == WorkItemStatus.COMPLETED.value, WorkItem.deleted_at.is_not(None)),
        WorkItem.updated_at < cutoff,
    )


def _kept(cutoff: datetime) -> Any:
    """Recursive CTE of the ids that stay live: each item that does not qualify and its ancestors.

    Everything else is archivable: an item stays exactly when something in its subtree (itself
    included) does not qualify.
    """
    anchor = select(WorkItem.id, WorkItem.parent_id).where(~qualifies(cutoff))
    kept = anchor.cte("kept", recursive=True)
    parent = aliased(WorkItem)
    return kept.union(select(parent.id, parent.parent_id).join(kept, parent.id == kept.c.parent_id))


async def archivable(session: AsyncSession, cutoff: datetime) -> Sequence[Any]:
    """(id, parent_id) of every archivable item, as the driver gives them (no UUID objects made
    for a hundred thousand rows: `key` turns the few that are needed into UUIDs)."""
    kept = _kept(cutoff)
    query = select(
        type_coerce(WorkItem.id, String).label("id"),
        type_coerce(WorkItem.parent_id, String).label("parent_id"),
    ).where(~exists().where(kept.c.id == WorkItem.id))
    return (await session.execute(query)).all()


def key(value: Any) -> uuid.UUID:
    """A UUID from an id as `archivable` returned it (a UUID, or 32 hex digits on SQLite)."""
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


async def count_archivable_dependencies(session: AsyncSession, cutoff: datetime) -> int:
    """Edges with at least one archivable end: what a run would move (for a dry run)."""
    kept = _kept(cutoff)
    source_kept = exists().where(kept.c.id == WorkItemDependency.source_id)
    target_kept = exists().where(kept.c.id == WorkItemDependency.target_id)
    query = select(func.count()).select_from(WorkItemDependency).where(~and_(source_kept, target_kept))
    return int((await session.execute(query)).scalar_one())


def _subtrees(root_ids: Sequence[uuid.UUID]) -> Any:
    """Recursive CTE of (id, root) for the live subtrees under `root_ids`, roots included."""
    anchor = select(WorkItem.id.label("id"), WorkItem.id.label("root")).where(WorkItem.id.in_(root_ids))
    tree = anchor.cte("subtree", recursive=True)
    child = aliased(WorkItem)
    return tree.union_all(select(child.id, tree.c.root).join(tree, child.parent_id == tree.c.id))


@dataclass(frozen=True)
class SubtreeRow:
    id: uuid.UUID
    root: uuid.UUID
    depth: int
    qualifies: bool


async def lock_subtrees(
    session: AsyncSession, root_ids: Sequence[uuid.UUID], cutoff: datetime
) -> list[SubtreeRow]:
    """The current rows of the live subtrees under `root_ids` (a root no longer live has none),
    each with its root, locked for update.

    Run inside the archive's locked transaction: whatever another writer committed before is
    seen, and nobody can change these rows until the transaction ends.
    """
    found: list[SubtreeRow] = []
    for part in chunks(root_ids):
        tree = _subtrees(part)
        query = (
            select(WorkItem.id, tree.c.root, WorkItem.depth, qualifies(cutoff).label("qualifies"))
            .join(tree, tree.c.id == WorkItem.id)
            .with_for_update(of=WorkItem)
        )
        found += [SubtreeRow(*row) for row in await session.execute(query)]
    return found


async def move_out(
    session: AsyncSession,
    ids_by_depth: Sequence[Sequence[uuid.UUID]],
    *,
    skip_events: Sequence[uuid.UUID],
    stamp: datetime,
    actor: str,
    change: dict[str, Any],
) -> int:
    """Move items (listed per depth, root level first) and the dependencies touching them to the
    archive, with an "archived" event (`change`) on each item but those in `skip_events` (the
    caller records theirs). Returns how many dependency edges moved.

    Children leave before their parents: the live table's parent key forbids removing a parent
    that still has a child, row by row on SQLite.
    """
    edges = 0
    every = [item_id for level in ids_by_depth for item_id in level]
    own_events = set(skip_events)
    for part in chunks(every):
        rows = select(*(_LIVE.c[name] for name in _ITEM_COLUMNS), _stamp(stamp)).where(_LIVE.c.id.in_(part))
        await session.execute(insert(_ARCHIVED).from_select([*_ITEM_COLUMNS, "archived_at"], rows))
        touching = or_(_DEPS.c.source_id.in_(part), _DEPS.c.target_id.in_(part))
        moving = select(*(_DEPS.c[name] for name in _DEP_COLUMNS), _stamp(stamp)).where(touching)
        result = await session.execute(
            insert(_ARCHIVED_DEPS).from_select([*_DEP_COLUMNS, "archived_at"], moving)
        )
        edges += _count(result)
        await session.execute(delete(_DEPS).where(touching))
        noted = [item_id for item_id in part if item_id not in own_events]
        notes = select(
            literal(ENTITY),
            uuid_text(_LIVE.c.id),
            literal("archived"),
            literal(actor),
            _stamp(stamp),
            literal(change, JSONDocument),
        ).where(_LIVE.c.id.in_(noted))
        await session.execute(insert(_EVENTS).from_select(_EVENT_COLUMNS, notes))
    for level in reversed(ids_by_depth):
        for part in chunks(level):
            await session.execute(delete(_LIVE).where(_LIVE.c.id.in_(part)))
    return edges


def _count(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


# --- restoring -----------------------------------------------------------------------------------


async def archived_subtree(session: AsyncSession, root_id: uuid.UUID) -> Sequence[Any]:
    """(id, parent_id, depth, path, archived_at) of the archived rows under `root_id` (root
    included), parents first."""
    anchor = select(ArchivedWorkItem.id).where(ArchivedWorkItem.id == root_id)
    tree = anchor.cte("archived_subtree", recursive=True)
    child = aliased(ArchivedWorkItem)
    tree = tree.union_all(select(child.id).join(tree, child.parent_id == tree.c.id))
    query = (
        select(
            ArchivedWorkItem.id,
            ArchivedWorkItem.parent_id,
            ArchivedWorkItem.depth,
            ArchivedWorkItem.path,
            ArchivedWorkItem.archived_at,
        )
        .where(ArchivedWorkItem.id.in_(select(tree.c.id)))
        .order_by(ArchivedWorkItem.depth, ArchivedWorkItem.id)
    )
    return (await session.execute(query)).all()


async def move_back(
    session: AsyncSession,
    ids_by_depth: Sequence[Sequence[uuid.UUID]],
    *,
    old_root_path: str,
    new_root_path: str,
    depth_delta: int,
    stamp: datetime,
    actor: str,
) -> int:
    """Move archived items (listed per depth, root first) back to the live table as an update
    (version + 1, updated now by `actor`), with the archived edges whose both ends are live again.

    Paths are rewritten under the root's new place; returns how many edges came back.
    """
    values: dict[str, Any] = {name: _ARCHIVED.c[name] for name in _ITEM_COLUMNS}
    values["path"] = literal(new_root_path) + func.substr(_ARCHIVED.c.path, len(old_root_path) + 1)
    values["depth"] = _ARCHIVED.c.depth + depth_delta
    values["version"] = _ARCHIVED.c.version + 1
    values["updated_at"] = _stamp(stamp)
    values["updated_by"] = literal(actor)
    for level in ids_by_depth:  # parents before children: the live table's parent key
        for part in chunks(level):
            rows = select(*(values[name].label(name) for name in _ITEM_COLUMNS)).where(
                _ARCHIVED.c.id.in_(part)
            )
            await session.execute(insert(_LIVE).from_select(_ITEM_COLUMNS, rows))
    every = [item_id for level in ids_by_depth for item_id in level]
    restored = 0
    source = aliased(WorkItem)
    target = aliased(WorkItem)
    for part in chunks(every):
        both_live = and_(
            or_(_ARCHIVED_DEPS.c.source_id.in_(part), _ARCHIVED_DEPS.c.target_id.in_(part)),
            exists().where(source.id == _ARCHIVED_DEPS.c.source_id),
            exists().where(target.id == _ARCHIVED_DEPS.c.target_id),
        )
        edges = select(*(_ARCHIVED_DEPS.c[name] for name in _DEP_COLUMNS)).where(both_live)
        result = await session.execute(insert(_DEPS).from_select(_DEP_COLUMNS, edges))
        restored += _count(result)
        await session.execute(delete(_ARCHIVED_DEPS).where(both_live))
        await session.execute(delete(_ARCHIVED).where(_ARCHIVED.c.id.in_(part)))
    return restored


async def set_paths(session: AsyncSession, paths: dict[uuid.UUID, tuple[str, int]]) -> None:
    """Put restored rows whose archived path had gone stale (an ancestor moved meanwhile) right."""
    if not paths:
        return
    statement = (
        update(_LIVE)
        .where(_LIVE.c.id == bindparam("item_id"))
        .values(path=bindparam("new_path"), depth=bindparam("new_depth"))
    )
    await session.execute(
        statement,
        [
            {"item_id": item_id, "new_path": path, "new_depth": depth}
            for item_id, (path, depth) in paths.items()
        ],
    )


# --- reading -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ListFilter:
    text: str | None = None
    item_type: str | None = None
    archived_after: datetime | None = None


def _filters(spec: ListFilter) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if spec.item_type:
        where.append(ArchivedWorkItem.item_type == spec.item_type)
    if spec.archived_after is not None:
        where.append(ArchivedWorkItem.archived_at >= spec.archived_after)
    if spec.text:
        where.append(mentions(spec.text, ArchivedWorkItem.title, ArchivedWorkItem.description))
    return where


async def list_page(
    session: AsyncSession, spec: ListFilter, limit: int, resume: Sequence[Any] | None
) -> tuple[Sequence[ArchivedWorkItem], int]:
    """One page, newest archived first, and the total that matches the filter."""
    where = _filters(spec)
    total = (
        await session.execute(select(func.count()).select_from(ArchivedWorkItem).where(*where))
    ).scalar_one()
    query = select(ArchivedWorkItem).where(*where)
    if resume is not None:
        query = query.where(after(LIST_ORDER, resume))
    order = [column.desc() if descending else column for column, descending in LIST_ORDER]
    query = query.order_by(*order).limit(limit)
    return (await session.execute(query)).scalars().all(), int(total)


async def last_run(session: AsyncSession) -> ArchiveRun | None:
    query = select(ArchiveRun).order_by(ArchiveRun.finished_at.desc()).limit(1)
    return (await session.execute(query)).scalars().first()
