"""A journal written by the previous release (service method names and their arguments, format 1)
still replays after the journal moved to registry commands (format 2)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from project_status.domain.enums import DependencyType
from project_status.domain.work_items import WorkItemCreate, WorkItemUpdate
from project_status.services.dependencies import DependencyService
from project_status.services.fallback import arguments
from project_status.services.tracker import Tracker
from project_status.services.work_items import WorkItemService
from project_status.settings import Settings
from project_status.store import sync as journal
from project_status.store.tables import JournalEntry
from tests.resilience.conftest import PrivatePostgres, fresh_tracker_database
from tests.resilience.test_health import raw

ME = "offline-client"


@pytest.fixture
async def me(postgres: PrivatePostgres, tmp_path: Path) -> AsyncIterator[Tracker]:
    await fresh_tracker_database(postgres)
    tracker = await Tracker.open(
        Settings(database_url=postgres.tracker_url, data_dir=tmp_path / ".project-status")
    )
    try:
        yield tracker
    finally:
        await tracker.close()


def old_entry(method: Callable[..., Any], entity: str, entity_id: str | None, *args: Any) -> JournalEntry:
    """What the previous release's router appended for a call of `method` made offline."""
    fn = method.__wrapped__  # type: ignore[attr-defined]
    saved = arguments.dump(fn, arguments.bind(fn, args, {}))
    return JournalEntry(
        op_id=uuid.uuid4(),
        operation=fn.__qualname__,
        arguments=saved,
        schema_version=1,
        entity_type=entity,
        entity_id=entity_id,
        actor=ME,
        recorded_at=datetime.now(UTC),
        result=None,
        state=journal.PENDING,
    )


async def test_entries_written_as_service_calls_replay_through_the_registry(
    postgres: PrivatePostgres, me: Tracker
) -> None:
    project = await me.work_items.create(WorkItemCreate(item_type="project", title="Payments"), ME)
    task = await me.work_items.create(
        WorkItemCreate(item_type="task", title="Retry", parent_id=project.id, description="old"), ME
    )
    assert me.mirror is not None and me.sync is not None
    entries = [
        old_entry(
            WorkItemService.update,
            "work_item",
            task.id,
            task.id,
            1,
            WorkItemUpdate.model_validate({"title": "Retry twice", "description": None}),
            ME,
        ),
        old_entry(
            WorkItemService.create,
            "work_item",
            None,
            WorkItemCreate(item_type="task", title="Dead letters", parent_id=project.id),
            ME,
        ),
        old_entry(
            DependencyService.add, "dependency", task.id, task.id, project.id, DependencyType.DEPENDS_ON, ME
        ),
    ]
    async with me.mirror.db.transaction() as session:
        for entry in entries:
            await journal.append(session, entry)

    result = await me.sync.sync()

    assert (result.applied, result.conflicts, result.remaining) == (3, 0, 0), result
    row = await raw(
        postgres,
        "SELECT title, description, version, updated_by FROM work_items WHERE id = $1",
        uuid.UUID(task.id),
    )
    assert (row["title"], row["description"], row["version"], row["updated_by"]) == (
        "Retry twice",
        None,
        2,
        ME,
    )
    created = await raw(
        postgres, "SELECT count(*) FROM work_items WHERE title = 'Dead letters' AND created_by = $1", ME
    )
    assert created[0] == 1
    edge = await raw(
        postgres,
        "SELECT dependency_type FROM work_item_dependencies WHERE source_id = $1",
        uuid.UUID(task.id),
    )
    assert edge["dependency_type"] == "depends_on"
