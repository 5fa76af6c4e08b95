"""Soft delete hides an item and its live subtree; restore brings back what was deleted with it."""

from __future__ import annotations

import pytest

from project_status.domain.errors import ValidationError
from project_status.services.tracker import Tracker
from tests.helpers import create_item, events_of, only_error, unchanged, update_item


async def test_delete_sets_deleted_at_and_hides_the_item_from_lists(tracker: Tracker) -> None:
    item = await create_item(tracker, "Short lived")
    other = await create_item(tracker, "Stays")

    deleted = await update_item(tracker, item, 1, deleted=True)

    assert deleted.deleted_at is not None
    assert deleted.version == 2
    visible = await tracker.work_items.list()
    assert [brief.id for brief in visible.items] == [other.id]
    assert visible.total == 1
    everything = await tracker.work_items.list(include_deleted=True)
    assert {brief.id for brief in everything.items} == {item.id, other.id}
    assert everything.total == 2


async def test_deleted_item_can_still_be_shown(tracker: Tracker) -> None:
    item = await create_item(tracker, "Shown anyway")
    await update_item(tracker, item, 1, deleted=True)

    detail = await tracker.work_items.get(item.id)

    assert detail.deleted_at is not None


async def test_delete_cascades_to_the_live_subtree(tracker: Tracker) -> None:
    root = await create_item(tracker, "Root", item_type="project")
    child = await create_item(tracker, "Child", parent=root)
    grandchild = await create_item(tracker, "Grandchild", parent=child)
    outside = await create_item(tracker, "Outside")

    deleted = await update_item(tracker, root, 1, actor="cleaner", deleted=True)

    for item in (child, grandchild):
        stored = await tracker.work_items.get(item.id)
        assert stored.deleted_at == deleted.deleted_at
        assert (stored.version, stored.updated_by) == (2, "cleaner")
    assert (await tracker.work_items.get(outside.id)).deleted_at is None
    assert [brief.id for brief in (await tracker.work_items.list()).items] == [outside.id]


async def test_delete_writes_an_event_for_the_item_and_each_descendant(tracker: Tracker) -> None:
    root = await create_item(tracker, "Root", item_type="project")
    child = await create_item(tracker, "Child", parent=root)

    await update_item(tracker, root, 1, actor="cleaner", deleted=True)

    root_event = (await events_of(tracker, "work_item", root.id))[-1]
    child_event = (await events_of(tracker, "work_item", child.id))[-1]
    assert (root_event.action, root_event.actor) == ("deleted", "cleaner")
    assert root_event.changes["deleted_at"]["old"] is None
    assert root_event.changes["deleted_at"]["new"] is not None
    assert root_event.changes["descendants"] == {"old": None, "new": 1}
    assert (child_event.action, child_event.actor) == ("deleted", "cleaner")
    assert child_event.changes["deleted_at"]["new"] == root_event.changes["deleted_at"]["new"]


async def test_restore_brings_back_the_item_and_what_was_deleted_with_it(tracker: Tracker) -> None:
    root = await create_item(tracker, "Root", item_type="project")
    child = await create_item(tracker, "Child", parent=root)
    grandchild = await create_item(tracker, "Grandchild", parent=child)
    await update_item(tracker, root, 1, deleted=True)

    restored = await update_item(tracker, root, 2, actor="rescuer", deleted=False)

    assert (restored.deleted_at, restored.version) == (None, 3)
    for item in (child, grandchild):
        stored = await tracker.work_items.get(item.id)
        assert (stored.deleted_at, stored.version, stored.updated_by) == (None, 3, "rescuer")
    events = await events_of(tracker, "work_item", child.id)
    assert [event.action for event in events] == ["created", "deleted", "restored"]
    assert {brief.id for brief in (await tracker.work_items.list()).items} == {
        root.id,
        child.id,
        grandchild.id,
    }


async def test_restore_events_of_descendants_carry_the_old_deleted_at(tracker: Tracker) -> None:
    root = await create_item(tracker, "Root", item_type="project")
    child = await create_item(tracker, "Child", parent=root)
    deleted = await update_item(tracker, root, 1, deleted=True)
    await update_item(tracker, root, 2, actor="rescuer", deleted=False)

    root_event = (await events_of(tracker, "work_item", root.id))[-1]
    child_event = (await events_of(tracker, "work_item", child.id))[-1]

    assert deleted.deleted_at is not None
    old = deleted.deleted_at.isoformat()
    assert root_event.changes["deleted_at"] == {"old": old, "new": None}
    assert (child_event.action, child_event.actor) == ("restored", "rescuer")
    assert child_event.changes == {"deleted_at": {"old": old, "new": None}}


async def test_restore_leaves_a_child_deleted_on_its_own_before(tracker: Tracker) -> None:
    root = await create_item(tracker, "Root", item_type="project")
    dropped_earlier = await create_item(tracker, "Dropped earlier", parent=root)
    kept = await create_item(tracker, "Kept", parent=root)
    await update_item(tracker, dropped_earlier, 1, deleted=True)
    await update_item(tracker, root, 1, deleted=True)

    await update_item(tracker, root, 2, deleted=False)

    assert (await tracker.work_items.get(kept.id)).deleted_at is None
    still_gone = await tracker.work_items.get(dropped_earlier.id)
    assert still_gone.deleted_at is not None
    assert still_gone.version == 2


async def test_restore_under_a_deleted_parent_is_rejected(tracker: Tracker) -> None:
    root = await create_item(tracker, "Root", item_type="project")
    child = await create_item(tracker, "Child", parent=root)
    await update_item(tracker, root, 1, deleted=True)

    async with unchanged(tracker):
        with pytest.raises(ValidationError) as caught:
            await update_item(tracker, child, 2, deleted=False)

    error = only_error(caught.value)
    assert (error["field"], error["value"]) == ("deleted", False)
    assert "restore the parent first" in error["message"]


async def test_deleting_an_already_deleted_item_changes_nothing(tracker: Tracker) -> None:
    item = await create_item(tracker)
    await update_item(tracker, item, 1, deleted=True)

    async with unchanged(tracker):
        again = await update_item(tracker, item, 2, deleted=True)

    assert again.version == 2


async def test_deleted_null_is_rejected(tracker: Tracker) -> None:
    item = await create_item(tracker)

    async with unchanged(tracker):
        with pytest.raises(ValidationError) as caught:
            await update_item(tracker, item, 1, deleted=None)

    assert only_error(caught.value)["field"] == "deleted"
