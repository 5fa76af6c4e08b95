"""Small helpers the service tests share: building inputs, reading raw rows, checking nothing changed."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from project_status.domain.enums import DependencyType
from project_status.domain.validation import validate
from project_status.domain.work_items import WorkItemCreate, WorkItemRead, WorkItemUpdate
from project_status.services.tracker import Tracker
from project_status.store.tables import Base, Event, WorkItem

ACTOR = "test-agent"
COMMIT = "0123456789abcdef0123456789abcdef01234567"


def _id(item: WorkItemRead | str) -> str:
    return item if isinstance(item, str) else item.id


async def create_item(
    tracker: Tracker,
    title: str = "an item",
    *,
    item_type: str = "task",
    parent: WorkItemRead | str | None = None,
    actor: str = ACTOR,
    **fields: Any,
) -> WorkItemRead:
    """Create a work item the way an interface does: raw input validated into the contract first."""
    payload = {"item_type": item_type, "title": title, **fields}
    if parent is not None:
        payload["parent_id"] = _id(parent)
    return await tracker.work_items.create(validate(WorkItemCreate, payload), actor)


async def update_item(
    tracker: Tracker, item: WorkItemRead | str, version: int, actor: str = ACTOR, **fields: Any
) -> WorkItemRead:
    return await tracker.work_items.update(_id(item), version, validate(WorkItemUpdate, fields), actor)


async def chain(tracker: Tracker, levels: int, prefix: str = "level") -> list[WorkItemRead]:
    """A root and `levels - 1` descendants, each the child of the one before."""
    items: list[WorkItemRead] = []
    for depth in range(levels):
        item_type = "project" if depth == 0 else "task"
        parent = items[-1] if items else None
        items.append(await create_item(tracker, f"{prefix} {depth}", item_type=item_type, parent=parent))
    return items


async def depend(tracker: Tracker, source: WorkItemRead | str, kind: str, target: WorkItemRead | str) -> None:
    await tracker.dependencies.add(_id(source), _id(target), DependencyType(kind), ACTOR)


async def insert_work_item_with_id(tracker: Tracker, item_id: uuid.UUID, title: str) -> None:
    """A root task with a chosen id, written straight through the ORM (to stage id collisions)."""
    stamp = datetime.now(UTC)
    async with tracker.db.unit_of_work(write=True) as session:
        session.add(
            WorkItem(
                id=item_id,
                item_type="task",
                title=title,
                status="active",
                priority=3,
                path=f"/{item_id}",
                depth=0,
                metadata_={},
                created_at=stamp,
                created_by=ACTOR,
                updated_at=stamp,
                updated_by=ACTOR,
            )
        )


async def database_state(tracker: Tracker) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in primary key order: two equal states mean nothing was written."""
    state: dict[str, list[tuple[Any, ...]]] = {}
    async with tracker.db.unit_of_work() as session:
        for table in Base.metadata.sorted_tables:
            query = select(table).order_by(*table.primary_key.columns)
            state[table.name] = [tuple(row) for row in (await session.execute(query)).all()]
    return state


@asynccontextmanager
async def unchanged(tracker: Tracker) -> AsyncIterator[None]:
    """Assert the block leaves every table exactly as it found it."""
    before = await database_state(tracker)
    yield
    after = await database_state(tracker)
    changed = [name for name in before if before[name] != after[name]]
    assert not changed, f"rejected input changed tables: {changed}"


async def events_of(tracker: Tracker, entity_type: str, entity_id: str) -> list[Event]:
    """The audit events of one entity, oldest first."""
    async with tracker.db.unit_of_work() as session:
        query = (
            select(Event)
            .where(Event.entity_type == entity_type, Event.entity_id == entity_id)
            .order_by(Event.id)
        )
        return list((await session.execute(query)).scalars().all())


async def count_rows(tracker: Tracker, table: Any) -> int:
    async with tracker.db.unit_of_work() as session:
        return int((await session.execute(select(func.count()).select_from(table))).scalar_one())


def only_error(exc: Any) -> dict[str, Any]:
    """The single field error of a ValidationError (asserting there is exactly one)."""
    errors = exc.details["errors"]
    assert len(errors) == 1, errors
    return dict(errors[0])
