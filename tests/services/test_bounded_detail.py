"""A work item's detail stays small whatever lies below it: at most `descendants_limit` brief
nodes (50 by default), parents first, down `max_depth` levels, with the total and `truncated`."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from project_status.domain.errors import ValidationError
from project_status.domain.work_items import WorkItemDetail, WorkItemNode
from project_status.services.tracker import Tracker
from project_status.store.tables import WorkItem
from tests.helpers import ACTOR, only_error

DETAIL_BUDGET = 25_000
"""Bytes the detail of a project with a thousand items below may take (about 6k tokens)."""


async def insert_tree(tracker: Tracker, fan_out: list[int]) -> uuid.UUID:
    """A project with `fan_out[0]` children, each with `fan_out[1]` children, and so on, written in
    one unit of work (a thousand items through the services would take minutes here)."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    rows: list[WorkItem] = []

    def add(parent: WorkItem | None, level: int, n: int) -> WorkItem:
        item_id = uuid.uuid4()
        stamp = start + timedelta(seconds=len(rows))
        row = WorkItem(
            id=item_id,
            item_type="project" if parent is None else ("session" if level == 1 else "task"),
            title=f"Level {level} item {n:04d}: extract commission statements from the vendor export",
            description="A description that the brief nodes leave out. " * 20,
            status="active",
            priority=3,
            parent_id=parent.id if parent else None,
            path=f"{parent.path if parent else ''}/{item_id}",
            depth=level,
            metadata_={},
            created_at=stamp,
            created_by=ACTOR,
            updated_at=stamp,
            updated_by=ACTOR,
        )
        rows.append(row)
        return row

    def grow(parent: WorkItem, level: int) -> None:
        if level > len(fan_out):
            return
        for n in range(fan_out[level - 1]):
            grow(add(parent, level, n), level + 1)

    root = add(None, 0, 0)
    grow(root, 1)
    async with tracker.db.unit_of_work(write=True) as session:
        session.add_all(rows)
    return root.id


def nodes(tree: list[WorkItemNode]) -> list[WorkItemNode]:
    return [found for node in tree for found in (node, *nodes(node.children))]


def assert_upper_levels_whole(detail: WorkItemDetail) -> None:
    """A cut tree keeps its upper levels: no node is shown while a shallower one is left out."""
    depths = [node.depth for node in nodes(detail.children)]
    deepest = max(depths)
    assert all(depth < deepest for depth in depths if depth != deepest)


async def test_a_thousand_items_below_come_back_as_50_brief_nodes_with_the_total(tracker: Tracker) -> None:
    root = await insert_tree(tracker, [10, 100])

    detail = await tracker.work_items.get(str(root))

    shown = nodes(detail.children)
    assert len(shown) == 50
    assert (detail.descendants_total, detail.truncated) == (1010, True)
    assert [node.depth for node in detail.children] == [1] * 10  # every session, then their first tasks
    assert_upper_levels_whole(detail)
    size = len(detail.model_dump_json(exclude_none=True).encode())
    print(f"\nquery of a project with 1,010 items below: {size} bytes")
    assert size < DETAIL_BUDGET


async def test_more_than_50_children_give_50_the_total_and_truncated(tracker: Tracker) -> None:
    root = await insert_tree(tracker, [60])

    detail = await tracker.work_items.get(str(root))

    assert len(detail.children) == 50
    assert (detail.descendants_total, detail.truncated) == (60, True)
    first = detail.children[0]
    assert set(first.model_dump()) == {"id", "item_type", "title", "status", "priority", "depth", "children"}


async def test_a_small_tree_comes_back_whole_and_not_truncated(tracker: Tracker) -> None:
    root = await insert_tree(tracker, [3, 2])

    detail = await tracker.work_items.get(str(root))

    assert len(nodes(detail.children)) == detail.descendants_total == 9
    assert detail.truncated is False


async def test_max_depth_1_gives_only_the_children(tracker: Tracker) -> None:
    root = await insert_tree(tracker, [3, 2, 2])

    detail = await tracker.work_items.get(str(root), max_depth=1)

    assert [node.depth for node in detail.children] == [1, 1, 1]
    assert all(node.children == [] for node in detail.children)
    assert (detail.descendants_total, detail.truncated) == (3, False)
    two = await tracker.work_items.get(str(root), max_depth=2)
    assert (len(nodes(two.children)), two.descendants_total) == (9, 9)


async def test_the_limit_goes_up_to_200_and_none_gives_the_whole_tree(tracker: Tracker) -> None:
    root = await insert_tree(tracker, [10, 30])

    wide = await tracker.work_items.get(str(root), descendants_limit=200)
    whole = await tracker.work_items.get(str(root), descendants_limit=None)

    assert (len(nodes(wide.children)), wide.descendants_total, wide.truncated) == (200, 310, True)
    assert (len(nodes(whole.children)), whole.truncated) == (310, False)
    assert_upper_levels_whole(wide)


async def test_children_not_asked_for_count_nothing(tracker: Tracker) -> None:
    root = await insert_tree(tracker, [3])

    detail = await tracker.work_items.get(str(root), include_children=False)

    assert (detail.children, detail.descendants_total, detail.truncated) == ([], 0, False)


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"descendants_limit": 0}, "descendants_limit"),
        ({"descendants_limit": 201}, "descendants_limit"),
        ({"max_depth": 0}, "max_depth"),
        ({"max_depth": 6}, "max_depth"),
    ],
)
async def test_out_of_range_bounds_are_refused_naming_the_field_and_range(
    tracker: Tracker, arguments: dict[str, int], field: str
) -> None:
    root = await insert_tree(tracker, [1])

    with pytest.raises(ValidationError) as caught:
        await tracker.work_items.get(str(root), **arguments)

    error = only_error(caught.value)
    assert (error["field"], error["value"]) == (field, arguments[field])
    assert "between 1" in error["message"]
