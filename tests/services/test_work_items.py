"""Work items: create, update, show, list, history and optimistic locking, on both backends."""

from __future__ import annotations

import pytest

from project_status.domain.enums import ItemType, WorkItemStatus
from project_status.domain.errors import NotFoundError, ValidationError, VersionConflictError
from project_status.domain.work_items import WorkItemUpdate
from project_status.services.tracker import Tracker
from tests.helpers import (
    ACTOR,
    COMMIT,
    create_item,
    events_of,
    only_error,
    unchanged,
    update_item,
)


async def test_create_returns_the_stored_item_at_version_1(tracker: Tracker) -> None:
    item = await create_item(
        tracker,
        "Write the parser",
        description="CSV first",
        priority=2,
        branch_name="feature/parser",
        commit_hash=COMMIT,
        pr_number=12,
        metadata={"estimated_hours": 4},
    )

    assert item.version == 1
    assert item.item_type is ItemType.TASK
    assert item.status is WorkItemStatus.ACTIVE
    assert (item.priority, item.branch_name, item.commit_hash, item.pr_number) == (
        2,
        "feature/parser",
        COMMIT,
        12,
    )
    assert item.metadata == {"estimated_hours": 4.0}
    assert item.path == f"/{item.id}"
    assert item.depth == 0
    assert item.parent_id is None
    assert item.created_by == item.updated_by == ACTOR
    assert item.created_at.tzinfo is not None
    assert item.deleted_at is None
    stored = await tracker.work_items.get(item.id)
    detail_only = {
        "ancestors",
        "children",
        "descendants_total",
        "truncated",
        "dependencies",
        "notes",
        "notes_total",
    }
    assert stored.model_dump(exclude=detail_only) == item.model_dump()


async def test_create_defaults_to_active_priority_3_and_empty_metadata(tracker: Tracker) -> None:
    item = await create_item(tracker, "Defaults")

    assert (item.status, item.priority, item.metadata) == (WorkItemStatus.ACTIVE, 3, {})


async def test_update_changes_the_given_fields_and_bumps_the_version(tracker: Tracker) -> None:
    item = await create_item(tracker, "Before", description="old", priority=3)

    updated = await update_item(tracker, item, 1, actor="editor", title="After", status="blocked", priority=1)

    assert updated.version == 2
    assert (updated.title, updated.status, updated.priority) == ("After", WorkItemStatus.BLOCKED, 1)
    assert updated.description == "old"
    assert updated.updated_by == "editor"
    assert updated.created_by == ACTOR
    assert updated.updated_at >= item.updated_at
    assert (await tracker.work_items.get(item.id)).title == "After"


async def test_update_with_null_clears_an_optional_field(tracker: Tracker) -> None:
    item = await create_item(tracker, "Has branch", branch_name="topic")

    updated = await update_item(tracker, item, 1, branch_name=None)

    assert updated.branch_name is None
    assert (await tracker.work_items.get(item.id)).branch_name is None


async def test_update_of_unchanged_values_writes_nothing(tracker: Tracker) -> None:
    item = await create_item(tracker, "Same", priority=2)

    async with unchanged(tracker):
        result = await update_item(tracker, item, 1, title="Same", priority=2)

    assert result.version == 1


async def test_update_with_no_fields_is_rejected(tracker: Tracker) -> None:
    item = await create_item(tracker)

    async with unchanged(tracker):
        with pytest.raises(ValidationError) as caught:
            await tracker.work_items.update(item.id, 1, WorkItemUpdate(), ACTOR)

    assert only_error(caught.value)["field"] == "changes"


@pytest.mark.parametrize("field", ["title", "status", "priority"])
async def test_update_cannot_null_a_required_field(tracker: Tracker, field: str) -> None:
    item = await create_item(tracker)

    async with unchanged(tracker):
        with pytest.raises(ValidationError) as caught:
            await update_item(tracker, item, 1, **{field: None})

    assert only_error(caught.value)["field"] == field


async def test_update_of_a_missing_item_is_not_found(tracker: Tracker) -> None:
    async with unchanged(tracker):
        with pytest.raises(NotFoundError) as caught:
            await update_item(tracker, "00000000-0000-4000-8000-000000000000", 1, title="x")

    assert caught.value.details["value"] == "00000000-0000-4000-8000-000000000000"


async def test_stale_version_is_a_conflict_naming_expected_current_version_and_who(tracker: Tracker) -> None:
    item = await create_item(tracker, "Shared")
    await update_item(tracker, item, 1, actor="first-writer", title="First")

    async with unchanged(tracker):
        with pytest.raises(VersionConflictError) as caught:
            await update_item(tracker, item, 1, actor="second-writer", title="Second")

    details = caught.value.details
    assert details["expected_version"] == 1
    assert details["current_version"] == 2
    assert details["updated_by"] == "first-writer"
    assert details["id"] == item.id
    assert "first-writer" in caught.value.message
    assert (await tracker.work_items.get(item.id)).title == "First"


async def test_version_ahead_of_the_row_is_a_conflict(tracker: Tracker) -> None:
    item = await create_item(tracker)

    async with unchanged(tracker):
        with pytest.raises(VersionConflictError) as caught:
            await update_item(tracker, item, 7, title="from the future")

    assert (caught.value.details["expected_version"], caught.value.details["current_version"]) == (7, 1)


@pytest.mark.parametrize("version", [0, -1])
async def test_version_below_1_is_rejected(tracker: Tracker, version: int) -> None:
    item = await create_item(tracker)

    async with unchanged(tracker):
        with pytest.raises(ValidationError) as caught:
            await update_item(tracker, item, version, title="x")

    error = only_error(caught.value)
    assert (error["field"], error["value"]) == ("version", version)


async def test_get_of_a_missing_item_is_not_found(tracker: Tracker) -> None:
    with pytest.raises(NotFoundError):
        await tracker.work_items.get("12345678-1234-4234-8234-123456789abc")


async def test_list_filters_by_type_status_parent_and_text(tracker: Tracker) -> None:
    project = await create_item(tracker, "Platform", item_type="project")
    parser = await create_item(tracker, "Parser for CSV", parent=project)
    await create_item(tracker, "Exporter", parent=project, status="completed")
    await create_item(tracker, "Read about OCR", item_type="research", description="Compare csv engines")

    async def titles(**filters: object) -> list[str]:
        page = await tracker.work_items.list(**filters)  # type: ignore[arg-type]
        assert page.total == len(page.items)
        return sorted(item.title for item in page.items)

    assert await titles(item_type=ItemType.TASK) == ["Exporter", "Parser for CSV"]
    assert await titles(status=WorkItemStatus.COMPLETED) == ["Exporter"]
    assert await titles(parent_id=project.id) == ["Exporter", "Parser for CSV"]
    assert await titles(parent_id=project.id[:8]) == ["Exporter", "Parser for CSV"]
    assert await titles(text="csv") == ["Parser for CSV", "Read about OCR"]
    assert await titles(text="CSV", item_type=ItemType.TASK) == ["Parser for CSV"]
    assert await titles(item_type=ItemType.SESSION) == []
    brief = (await tracker.work_items.list(text="parser")).items[0]
    assert brief.model_dump() == {
        "id": parser.id,
        "item_type": ItemType.TASK,
        "title": "Parser for CSV",
        "status": WorkItemStatus.ACTIVE,
        "priority": 3,
        "depth": 1,
    }


async def test_list_text_filter_treats_like_wildcards_literally(tracker: Tracker) -> None:
    await create_item(tracker, "Raise coverage to 90%")
    await create_item(tracker, "Rename snake_case helpers")
    await create_item(tracker, "Nothing special here")

    percent = await tracker.work_items.list(text="90%")
    underscore = await tracker.work_items.list(text="_")

    assert [item.title for item in percent.items] == ["Raise coverage to 90%"]
    assert [item.title for item in underscore.items] == ["Rename snake_case helpers"]


async def test_list_of_an_unknown_parent_is_not_found(tracker: Tracker) -> None:
    with pytest.raises(NotFoundError):
        await tracker.work_items.list(parent_id="abcdef0123456789")


@pytest.mark.parametrize("limit", [0, 501])
async def test_list_limit_out_of_range_is_rejected(tracker: Tracker, limit: int) -> None:
    with pytest.raises(ValidationError) as caught:
        await tracker.work_items.list(limit=limit)

    assert only_error(caught.value)["field"] == "limit"


@pytest.mark.parametrize("actor", ["", "   ", "x" * 201])
async def test_actor_must_be_1_to_200_characters(tracker: Tracker, actor: str) -> None:
    async with unchanged(tracker):
        with pytest.raises(ValidationError) as caught:
            await create_item(tracker, "No author", actor=actor)

    assert only_error(caught.value)["field"] == "actor"


async def test_create_writes_a_created_event_with_actor_and_new_values(tracker: Tracker) -> None:
    item = await create_item(tracker, "Audited", actor="claude-code", priority=2)

    [event] = await events_of(tracker, "work_item", item.id)

    assert (event.action, event.actor) == ("created", "claude-code")
    assert event.changes["title"] == {"old": None, "new": "Audited"}
    assert event.changes["priority"] == {"old": None, "new": 2}
    assert event.changes["item_type"] == {"old": None, "new": "task"}
    assert event.occurred_at == item.created_at


async def test_update_writes_an_updated_event_with_old_and_new_values(tracker: Tracker) -> None:
    item = await create_item(tracker, "Old title", priority=3)
    await update_item(tracker, item, 1, actor="cursor", title="New title", priority=1)

    history = await tracker.work_items.history(item.id)

    assert [event.action for event in history] == ["updated", "created"]
    updated = history[0]
    assert updated.actor == "cursor"
    assert updated.changes == {
        "title": {"old": "Old title", "new": "New title"},
        "priority": {"old": 3, "new": 1},
    }


async def test_metadata_update_merges_and_records_old_and_new_documents(tracker: Tracker) -> None:
    item = await create_item(tracker, metadata={"estimated_hours": 3, "blocked_reason": "waiting"})

    updated = await update_item(tracker, item, 1, metadata={"actual_hours": 5, "blocked_reason": None})

    assert updated.metadata == {"estimated_hours": 3.0, "actual_hours": 5.0}
    [event, _created] = await tracker.work_items.history(item.id)
    assert event.changes["metadata"] == {
        "old": {"estimated_hours": 3.0, "blocked_reason": "waiting"},
        "new": {"estimated_hours": 3.0, "actual_hours": 5.0},
    }


async def test_history_is_newest_first_and_capped_by_limit(tracker: Tracker) -> None:
    item = await create_item(tracker, "v1")
    for version in range(1, 4):
        await update_item(tracker, item, version, title=f"v{version + 1}")

    history = await tracker.work_items.history(item.id[:8], limit=2)

    assert [event.changes["title"]["new"] for event in history] == ["v4", "v3"]
