"""The work item tree: depth 0-5, live parents, no own-ancestor, subtree moves, ancestors and children."""

from __future__ import annotations

import pytest

from project_status.domain.enums import MAX_DEPTH
from project_status.domain.errors import NotFoundError, ValidationError
from project_status.domain.work_items import WorkItemNode
from project_status.services.tracker import Tracker
from tests.helpers import chain, create_item, events_of, only_error, unchanged, update_item


async def test_child_gets_parent_path_and_next_depth(tracker: Tracker) -> None:
    project = await create_item(tracker, "Project", item_type="project")
    session = await create_item(tracker, "Session", item_type="session", parent=project)
    task = await create_item(tracker, "Task", parent=session)

    assert (session.parent_id, session.depth) == (project.id, 1)
    assert (task.parent_id, task.depth) == (session.id, 2)
    assert task.path == f"/{project.id}/{session.id}/{task.id}"


async def test_parent_can_be_given_as_an_id_prefix(tracker: Tracker) -> None:
    project = await create_item(tracker, "Project", item_type="project")

    child = await create_item(tracker, "Child", parent=project.id[:8])

    assert child.parent_id == project.id


async def test_tree_holds_depth_0_to_5(tracker: Tracker) -> None:
    items = await chain(tracker, MAX_DEPTH + 1)

    assert [item.depth for item in items] == [0, 1, 2, 3, 4, 5]
    assert items[-1].path == "".join(f"/{item.id}" for item in items)


async def test_child_at_depth_6_is_rejected(tracker: Tracker) -> None:
    items = await chain(tracker, MAX_DEPTH + 1)
    deepest = items[-1]

    async with unchanged(tracker):
        with pytest.raises(ValidationError) as caught:
            await create_item(tracker, "Too deep", parent=deepest)

    error = only_error(caught.value)
    assert (error["field"], error["value"]) == ("parent_id", deepest.id)
    assert "depth 6" in error["message"]


async def test_missing_parent_is_not_found(tracker: Tracker) -> None:
    missing = "0badc0de-0000-4000-8000-000000000000"

    async with unchanged(tracker):
        with pytest.raises(NotFoundError) as caught:
            await create_item(tracker, "Orphan", parent=missing)

    assert (caught.value.details["field"], caught.value.details["value"]) == ("parent_id", missing)


async def test_deleted_parent_is_rejected(tracker: Tracker) -> None:
    parent = await create_item(tracker, "Gone", item_type="project")
    await update_item(tracker, parent, 1, deleted=True)

    async with unchanged(tracker):
        with pytest.raises(ValidationError) as caught:
            await create_item(tracker, "Child of the deleted", parent=parent)

    error = only_error(caught.value)
    assert (error["field"], error["value"]) == ("parent_id", parent.id)
    assert "deleted" in error["message"]


async def test_moving_under_a_deleted_parent_is_rejected(tracker: Tracker) -> None:
    gone = await create_item(tracker, "Gone", item_type="project")
    await update_item(tracker, gone, 1, deleted=True)
    item = await create_item(tracker, "Mover")

    async with unchanged(tracker):
        with pytest.raises(ValidationError) as caught:
            await update_item(tracker, item, 1, parent_id=gone.id)

    assert only_error(caught.value)["field"] == "parent_id"


async def test_item_cannot_become_its_own_parent(tracker: Tracker) -> None:
    item = await create_item(tracker, "Self")

    async with unchanged(tracker):
        with pytest.raises(ValidationError) as caught:
            await update_item(tracker, item, 1, parent_id=item.id)

    error = only_error(caught.value)
    assert (error["field"], error["value"]) == ("parent_id", item.id)
    assert "own ancestor" in error["message"]


async def test_item_cannot_move_under_its_own_descendant(tracker: Tracker) -> None:
    root, _child, grandchild = await chain(tracker, 3)

    async with unchanged(tracker):
        with pytest.raises(ValidationError) as caught:
            await update_item(tracker, root, 1, parent_id=grandchild.id)

    error = only_error(caught.value)
    assert (error["field"], error["value"]) == ("parent_id", grandchild.id)
    assert "own ancestor" in error["message"]


async def test_moving_a_subtree_updates_descendants_paths_and_depths(tracker: Tracker) -> None:
    old_root = await create_item(tracker, "Old root", item_type="project")
    new_root = await create_item(tracker, "New root", item_type="project")
    new_parent = await create_item(tracker, "New parent", parent=new_root)
    moving = await create_item(tracker, "Moving", parent=old_root)
    child = await create_item(tracker, "Child", parent=moving)
    grandchild = await create_item(tracker, "Grandchild", parent=child)
    bystander = await create_item(tracker, "Bystander", parent=old_root)

    moved = await update_item(tracker, moving, 1, parent_id=new_parent.id)

    assert (moved.parent_id, moved.depth, moved.version) == (new_parent.id, 2, 2)
    assert moved.path == f"/{new_root.id}/{new_parent.id}/{moving.id}"
    stored_child = await tracker.work_items.get(child.id)
    stored_grandchild = await tracker.work_items.get(grandchild.id)
    assert (stored_child.depth, stored_child.path) == (3, f"{moved.path}/{child.id}")
    assert (stored_grandchild.depth, stored_grandchild.path) == (
        4,
        f"{moved.path}/{child.id}/{grandchild.id}",
    )
    assert [a.id for a in stored_grandchild.ancestors] == [new_root.id, new_parent.id, moving.id, child.id]
    untouched = await tracker.work_items.get(bystander.id)
    assert (untouched.path, untouched.depth, untouched.version) == (bystander.path, 1, 1)
    old_children = await tracker.work_items.get(old_root.id)
    assert [node.id for node in old_children.children] == [bystander.id]


async def test_moving_to_the_top_level_makes_a_root(tracker: Tracker) -> None:
    _root, child, grandchild = await chain(tracker, 3)

    moved = await update_item(tracker, child, 1, parent_id=None)

    assert (moved.parent_id, moved.depth, moved.path) == (None, 0, f"/{child.id}")
    stored = await tracker.work_items.get(grandchild.id)
    assert (stored.depth, stored.path) == (1, f"/{child.id}/{grandchild.id}")
    assert [a.id for a in stored.ancestors] == [child.id]


async def test_move_writes_a_moved_event_with_old_and_new_parent(tracker: Tracker) -> None:
    first = await create_item(tracker, "First", item_type="project")
    second = await create_item(tracker, "Second", item_type="project")
    item = await create_item(tracker, "Item", parent=first)

    await update_item(tracker, item, 1, actor="mover", parent_id=second.id)

    moved = (await events_of(tracker, "work_item", item.id))[-1]
    assert (moved.action, moved.actor) == ("moved", "mover")
    assert moved.changes["parent_id"] == {"old": first.id, "new": second.id}
    assert moved.changes["path"] == {"old": f"/{first.id}/{item.id}", "new": f"/{second.id}/{item.id}"}
    assert "depth" not in moved.changes


async def test_move_that_pushes_the_subtree_past_depth_5_is_rejected(tracker: Tracker) -> None:
    deep = await chain(tracker, 5, prefix="deep")  # depths 0..4
    subtree = await chain(tracker, 2, prefix="sub")  # a root with one child

    async with unchanged(tracker):
        with pytest.raises(ValidationError) as caught:
            await update_item(tracker, subtree[0], 1, parent_id=deep[-1].id)

    error = only_error(caught.value)
    assert (error["field"], error["value"]) == ("parent_id", deep[-1].id)


async def test_move_that_keeps_the_subtree_within_depth_5_is_accepted(tracker: Tracker) -> None:
    deep = await chain(tracker, 4, prefix="deep")  # depths 0..3
    subtree = await chain(tracker, 2, prefix="sub")

    moved = await update_item(tracker, subtree[0], 1, parent_id=deep[-1].id)

    assert moved.depth == 4
    assert (await tracker.work_items.get(subtree[1].id)).depth == 5


async def test_ancestors_come_root_first(tracker: Tracker) -> None:
    items = await chain(tracker, 6)

    detail = await tracker.work_items.get(items[-1].id)

    assert [a.id for a in detail.ancestors] == [item.id for item in items[:-1]]
    assert [a.depth for a in detail.ancestors] == [0, 1, 2, 3, 4]
    assert (await tracker.work_items.get(items[0].id)).ancestors == []


def _shape(nodes: list[WorkItemNode]) -> list[tuple[str, list[object]]]:
    return [(node.title, _shape(node.children)) for node in nodes]


async def test_children_come_nested_to_the_bottom_of_the_tree(tracker: Tracker) -> None:
    items = await chain(tracker, 6)
    sibling = await create_item(tracker, "sibling", parent=items[1], priority=1)

    detail = await tracker.work_items.get(items[0].id)

    assert _shape(detail.children) == [
        ("level 1", [("sibling", []), ("level 2", [("level 3", [("level 4", [("level 5", [])])])])])
    ]
    assert detail.children[0].children[0].id == sibling.id
    assert detail.children[0].children[1].children[0].children[0].children[0].depth == 5


async def test_children_are_left_out_when_not_asked_for(tracker: Tracker) -> None:
    root, _child = await chain(tracker, 2)

    detail = await tracker.work_items.get(root.id, include_children=False)

    assert detail.children == []


async def test_children_leave_out_deleted_items(tracker: Tracker) -> None:
    root = await create_item(tracker, "Root", item_type="project")
    kept = await create_item(tracker, "Kept", parent=root)
    dropped = await create_item(tracker, "Dropped", parent=root)
    await update_item(tracker, dropped, 1, deleted=True)

    detail = await tracker.work_items.get(root.id)

    assert [node.id for node in detail.children] == [kept.id]


async def test_move_writes_an_event_on_each_descendant_and_keeps_their_versions(tracker: Tracker) -> None:
    first = await create_item(tracker, "First", item_type="project")
    second = await create_item(tracker, "Second", item_type="project")
    item = await create_item(tracker, "Item", parent=first)
    child = await create_item(tracker, "Child", parent=item)

    await update_item(tracker, item, 1, actor="mover", parent_id=second.id)

    moved = (await events_of(tracker, "work_item", child.id))[-1]
    assert (moved.action, moved.actor) == ("moved_with_ancestor", "mover")
    assert moved.changes["path"] == {
        "old": f"/{first.id}/{item.id}/{child.id}",
        "new": f"/{second.id}/{item.id}/{child.id}",
    }
    assert moved.changes["depth"] == {"old": 2, "new": 2}
    assert (await tracker.work_items.get(child.id)).version == child.version
