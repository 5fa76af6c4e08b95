"""Real concurrency: optimistic locking has one winner, and structural rules hold between writers."""

from __future__ import annotations

import asyncio

import pytest

from project_status.domain.enhancements import EnhancementCreate, EnhancementUpdate
from project_status.domain.enums import DependencyType
from project_status.domain.errors import VersionConflictError
from project_status.domain.work_items import WorkItemRead, WorkItemUpdate
from project_status.services.tracker import Tracker
from tests.conftest import Backend
from tests.helpers import ACTOR, create_item, update_item

WRITERS = 32


@pytest.mark.parametrize("backend", ["postgresql", "sqlite"], indirect=True)
async def test_32_concurrent_updates_from_one_version_let_exactly_one_win(
    tracker: Tracker, backend: Backend
) -> None:
    item = await create_item(tracker, "Contended")

    results = await asyncio.gather(
        *(
            tracker.work_items.update(item.id, 1, WorkItemUpdate(title=f"writer {n}"), f"writer-{n}")
            for n in range(WRITERS)
        ),
        return_exceptions=True,
    )

    winners = [r for r in results if isinstance(r, WorkItemRead)]
    conflicts = [r for r in results if isinstance(r, VersionConflictError)]
    unexpected = [r for r in results if not isinstance(r, WorkItemRead | VersionConflictError)]
    assert unexpected == []
    assert (len(winners), len(conflicts)) == (1, WRITERS - 1)
    [winner] = winners
    assert winner.version == 2
    for conflict in conflicts:
        assert conflict.details["expected_version"] == 1
        assert conflict.details["current_version"] == 2
        assert conflict.details["updated_by"] == winner.updated_by

    final = await tracker.work_items.get(item.id)
    assert (final.version, final.title, final.updated_by) == (2, winner.title, winner.updated_by)
    history = await tracker.work_items.history(item.id)
    updates = [event for event in history if event.action == "updated"]
    assert len(updates) == 1
    assert updates[0].actor == winner.updated_by
    assert updates[0].changes == {"title": {"old": "Contended", "new": winner.title}}
    assert [event.action for event in history] == ["updated", "created"]


# Structural rules read rows that a concurrent writer may be changing: no cycle, a live parent,
# paths that follow the parents. Each race below is run a few rounds because a lost race is
# a matter of timing; every round must keep the rule.

ROUNDS = 10


def outcome(results: list[object]) -> list[str]:
    return sorted("ok" if not isinstance(r, BaseException) else type(r).__name__ for r in results)


async def test_concurrent_opposite_dependencies_cannot_close_a_cycle(tracker: Tracker) -> None:
    for round_ in range(ROUNDS):
        a = await create_item(tracker, f"A{round_}")
        b = await create_item(tracker, f"B{round_}")

        results = await asyncio.gather(
            tracker.dependencies.add(a.id, b.id, DependencyType.BLOCKS, "left"),
            tracker.dependencies.add(b.id, a.id, DependencyType.BLOCKS, "right"),
            return_exceptions=True,
        )

        assert outcome(results) == ["ValidationError", "ok"], results
        assert len((await tracker.work_items.get(a.id)).dependencies) == 1


async def test_concurrent_equivalent_forms_of_one_edge_store_it_once(tracker: Tracker) -> None:
    for round_ in range(ROUNDS):
        a = await create_item(tracker, f"A{round_}")
        b = await create_item(tracker, f"B{round_}")

        results = await asyncio.gather(
            tracker.dependencies.add(a.id, b.id, DependencyType.BLOCKS, "left"),
            tracker.dependencies.add(b.id, a.id, DependencyType.DEPENDS_ON, "right"),
            return_exceptions=True,
        )

        assert outcome(results) == ["ValidationError", "ok"], results
        assert len((await tracker.work_items.get(a.id)).dependencies) == 1


async def test_concurrent_moves_cannot_make_two_items_each_others_ancestor(tracker: Tracker) -> None:
    for round_ in range(ROUNDS):
        a = await create_item(tracker, f"A{round_}")
        b = await create_item(tracker, f"B{round_}")

        results = await asyncio.gather(
            update_item(tracker, a, 1, parent_id=b.id),
            update_item(tracker, b, 1, parent_id=a.id),
            return_exceptions=True,
        )

        assert outcome(results) == ["ValidationError", "ok"], results
        await assert_tree_consistent(tracker)


async def test_concurrent_child_creation_and_parent_move_keep_paths_right(tracker: Tracker) -> None:
    for round_ in range(ROUNDS):
        old_home = await create_item(tracker, f"old home {round_}", item_type="project")
        new_home = await create_item(tracker, f"new home {round_}", item_type="project")
        parent = await create_item(tracker, f"parent {round_}", parent=old_home)

        results = await asyncio.gather(
            update_item(tracker, parent, 1, parent_id=new_home.id),
            create_item(tracker, f"child {round_}", parent=parent),
            return_exceptions=True,
        )

        assert outcome(results) == ["ok", "ok"], results
        await assert_tree_consistent(tracker)


async def test_concurrent_child_creation_and_parent_deletion_leave_no_live_orphan(tracker: Tracker) -> None:
    for round_ in range(ROUNDS):
        parent = await create_item(tracker, f"parent {round_}", item_type="project")

        results = await asyncio.gather(
            create_item(tracker, f"child {round_}", parent=parent),
            update_item(tracker, parent, 1, deleted=True),
            return_exceptions=True,
        )

        assert outcome(results) in (["ok", "ok"], ["ValidationError", "ok"]), results
        await assert_tree_consistent(tracker)


async def test_concurrent_enhancement_dependencies_cannot_close_a_cycle(tracker: Tracker) -> None:
    for round_ in range(ROUNDS):
        a = await tracker.enhancements.create(
            EnhancementCreate(title=f"A{round_}", description="a", priority=3), ACTOR
        )
        b = await tracker.enhancements.create(
            EnhancementCreate(title=f"B{round_}", description="b", priority=3), ACTOR
        )

        results = await asyncio.gather(
            tracker.enhancements.update(a.id, 1, EnhancementUpdate(depends_on=[b.id]), "left"),
            tracker.enhancements.update(b.id, 1, EnhancementUpdate(depends_on=[a.id]), "right"),
            return_exceptions=True,
        )

        assert outcome(results) == ["ValidationError", "ok"], results


async def assert_tree_consistent(tracker: Tracker) -> None:
    """Every item's path and depth follow its parent chain, and no live item has a deleted parent."""
    page = await tracker.work_items.list(include_deleted=True, limit=200)
    items = {brief.id: await tracker.work_items.get(brief.id, include_children=False) for brief in page.items}
    for item in items.values():
        parent = items.get(item.parent_id) if item.parent_id else None
        expected_path = f"{parent.path if parent else ''}/{item.id}"
        assert (item.path, item.depth) == (expected_path, parent.depth + 1 if parent else 0), item.title
        if parent is not None and item.deleted_at is None:
            assert parent.deleted_at is None, f"{item.title} is live under deleted {parent.title}"
