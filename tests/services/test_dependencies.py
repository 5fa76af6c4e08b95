"""Dependencies: `A depends_on B` and `B blocks A` are one edge; no self, duplicate or cycle."""

from __future__ import annotations

import pytest

from project_status.domain.enums import DependencyType
from project_status.domain.errors import NotFoundError, ValidationError
from project_status.domain.work_items import DependencyRead
from project_status.services.tracker import Tracker
from tests.helpers import ACTOR, create_item, depend, events_of, only_error, unchanged, update_item

BLOCKS = DependencyType.BLOCKS
DEPENDS_ON = DependencyType.DEPENDS_ON


async def test_added_edge_is_stored_as_given_and_shown_on_both_ends(tracker: Tracker) -> None:
    a = await create_item(tracker, "A")
    b = await create_item(tracker, "B")

    edge = await tracker.dependencies.add(a.id, b.id, DEPENDS_ON, ACTOR)

    expected = DependencyRead(source_id=a.id, target_id=b.id, dependency_type=DEPENDS_ON)
    assert edge == expected
    assert (await tracker.work_items.get(a.id)).dependencies == [expected]
    assert (await tracker.work_items.get(b.id)).dependencies == [expected]


async def test_dependency_ends_can_be_given_as_id_prefixes(tracker: Tracker) -> None:
    a = await create_item(tracker, "A")
    b = await create_item(tracker, "B")

    edge = await tracker.dependencies.add(a.id[:8], b.id[:10], BLOCKS, ACTOR)

    assert (edge.source_id, edge.target_id) == (a.id, b.id)


async def test_dependencies_are_left_out_when_not_asked_for(tracker: Tracker) -> None:
    a = await create_item(tracker, "A")
    b = await create_item(tracker, "B")
    await depend(tracker, a, "blocks", b)

    assert (await tracker.work_items.get(a.id, include_dependencies=False)).dependencies == []


async def test_self_dependency_is_rejected(tracker: Tracker) -> None:
    a = await create_item(tracker, "A")

    async with unchanged(tracker):
        with pytest.raises(ValidationError) as caught:
            await tracker.dependencies.add(a.id, a.id[:8], BLOCKS, ACTOR)

    error = only_error(caught.value)
    assert (error["field"], error["value"]) == ("target_id", a.id[:8])
    assert "itself" in error["message"]


@pytest.mark.parametrize("kind", ["blocks", "depends_on"])
async def test_duplicate_dependency_is_rejected(tracker: Tracker, kind: str) -> None:
    a = await create_item(tracker, "A")
    b = await create_item(tracker, "B")
    await depend(tracker, a, kind, b)

    async with unchanged(tracker):
        with pytest.raises(ValidationError) as caught:
            await depend(tracker, a, kind, b)

    error = only_error(caught.value)
    assert (error["field"], error["value"]) == ("target_id", b.id)
    assert "already exists" in error["message"]


async def test_reverse_form_of_an_existing_edge_is_a_duplicate(tracker: Tracker) -> None:
    a = await create_item(tracker, "A")
    b = await create_item(tracker, "B")
    await depend(tracker, a, "depends_on", b)

    async with unchanged(tracker):
        with pytest.raises(ValidationError) as caught:
            await depend(tracker, b, "blocks", a)

    error = only_error(caught.value)
    assert "already exists" in error["message"]
    assert f"{a.id} depends_on {b.id}" in error["message"]


async def test_two_item_cycle_is_rejected_and_named(tracker: Tracker) -> None:
    a = await create_item(tracker, "A")
    b = await create_item(tracker, "B")
    await depend(tracker, a, "blocks", b)

    async with unchanged(tracker):
        with pytest.raises(ValidationError) as caught:
            await depend(tracker, a, "depends_on", b)

    error = only_error(caught.value)
    assert error["message"] == "dependency cycle"
    assert error["cycle"] == [a.id, b.id, a.id]
    assert f"{a.id} blocks {b.id} blocks {a.id}" in caught.value.message


async def test_longer_cycle_through_mixed_edge_forms_is_rejected_and_named(tracker: Tracker) -> None:
    a = await create_item(tracker, "A")
    b = await create_item(tracker, "B")
    c = await create_item(tracker, "C")
    d = await create_item(tracker, "D")
    await depend(tracker, a, "blocks", b)  # a -> b
    await depend(tracker, c, "depends_on", b)  # b -> c
    await depend(tracker, c, "blocks", d)  # c -> d

    async with unchanged(tracker):
        with pytest.raises(ValidationError) as caught:
            await depend(tracker, a, "depends_on", d)  # d -> a closes a -> b -> c -> d -> a

    error = only_error(caught.value)
    assert (error["field"], error["value"]) == ("target_id", d.id)
    assert error["cycle"] == [a.id, b.id, c.id, d.id, a.id]
    for item in (a, b, c, d):
        assert item.id in caught.value.message


async def test_diamond_without_a_cycle_is_accepted(tracker: Tracker) -> None:
    top, left, right, bottom = [
        await create_item(tracker, name) for name in ("top", "left", "right", "bottom")
    ]
    await depend(tracker, top, "blocks", left)
    await depend(tracker, top, "blocks", right)
    await depend(tracker, left, "blocks", bottom)

    await depend(tracker, bottom, "depends_on", right)

    assert len((await tracker.work_items.get(bottom.id)).dependencies) == 2


async def test_dependency_on_a_deleted_item_is_rejected(tracker: Tracker) -> None:
    a = await create_item(tracker, "A")
    gone = await create_item(tracker, "Gone")
    await update_item(tracker, gone, 1, deleted=True)

    async with unchanged(tracker):
        with pytest.raises(ValidationError) as caught:
            await depend(tracker, a, "depends_on", gone)

    error = only_error(caught.value)
    assert (error["field"], error["value"]) == ("target_id", gone.id)


async def test_dependency_on_a_missing_item_is_not_found(tracker: Tracker) -> None:
    a = await create_item(tracker, "A")

    async with unchanged(tracker):
        with pytest.raises(NotFoundError) as caught:
            await depend(tracker, "feedface", "blocks", a)

    assert caught.value.details["field"] == "source_id"


async def test_remove_deletes_the_edge_whichever_form_was_stored(tracker: Tracker) -> None:
    a = await create_item(tracker, "A")
    b = await create_item(tracker, "B")
    await depend(tracker, a, "depends_on", b)

    removed = await tracker.dependencies.remove(b.id, a.id, BLOCKS, ACTOR)

    assert removed == DependencyRead(source_id=a.id, target_id=b.id, dependency_type=DEPENDS_ON)
    assert (await tracker.work_items.get(a.id)).dependencies == []
    await depend(tracker, b, "depends_on", a)  # the old direction no longer closes a cycle


async def test_removing_a_missing_edge_is_not_found(tracker: Tracker) -> None:
    a = await create_item(tracker, "A")
    b = await create_item(tracker, "B")

    async with unchanged(tracker):
        with pytest.raises(NotFoundError):
            await tracker.dependencies.remove(a.id, b.id, BLOCKS, ACTOR)


async def test_add_and_remove_write_an_event_on_both_items(tracker: Tracker) -> None:
    a = await create_item(tracker, "A")
    b = await create_item(tracker, "B")
    edge = {"source_id": a.id, "target_id": b.id, "dependency_type": "blocks"}

    await tracker.dependencies.add(a.id, b.id, BLOCKS, "planner")
    await tracker.dependencies.remove(a.id, b.id, BLOCKS, "pruner")

    for item in (a, b):
        events = (await events_of(tracker, "work_item", item.id))[1:]
        assert [(e.action, e.actor) for e in events] == [
            ("dependency_added", "planner"),
            ("dependency_removed", "pruner"),
        ]
        assert events[0].changes == {"dependency": {"old": None, "new": edge}}
        assert events[1].changes == {"dependency": {"old": edge, "new": None}}
