"""Ready work: active, live items whose blockers are all completed or deleted, best priority first."""

from __future__ import annotations

from project_status.domain.enums import ItemType
from project_status.services.tracker import Tracker
from tests.helpers import create_item, depend, update_item


async def ready_titles(tracker: Tracker, **filters: object) -> list[str]:
    page = await tracker.work_items.ready(**filters)  # type: ignore[arg-type]
    return [item.title for item in page.items]


async def test_active_items_without_blockers_are_ready(tracker: Tracker) -> None:
    await create_item(tracker, "Free")

    assert await ready_titles(tracker) == ["Free"]


async def test_completed_blocked_and_deleted_items_are_not_ready(tracker: Tracker) -> None:
    await create_item(tracker, "Done", status="completed")
    await create_item(tracker, "Stuck", status="blocked")
    gone = await create_item(tracker, "Gone")
    await update_item(tracker, gone, 1, deleted=True)
    await create_item(tracker, "Open")

    page = await tracker.work_items.ready()

    assert [item.title for item in page.items] == ["Open"]
    assert page.total == 1


async def test_item_that_depends_on_an_open_item_is_not_ready(tracker: Tracker) -> None:
    blocker = await create_item(tracker, "Blocker")
    waiting = await create_item(tracker, "Waiting")
    await depend(tracker, waiting, "depends_on", blocker)

    assert await ready_titles(tracker) == ["Blocker"]


async def test_item_blocked_by_an_open_item_is_not_ready(tracker: Tracker) -> None:
    blocker = await create_item(tracker, "Blocker")
    waiting = await create_item(tracker, "Waiting")
    await depend(tracker, blocker, "blocks", waiting)

    assert await ready_titles(tracker) == ["Blocker"]


async def test_item_becomes_ready_when_its_blockers_complete(tracker: Tracker) -> None:
    first = await create_item(tracker, "First")
    second = await create_item(tracker, "Second")
    waiting = await create_item(tracker, "Waiting")
    await depend(tracker, waiting, "depends_on", first)
    await depend(tracker, second, "blocks", waiting)

    await update_item(tracker, first, 1, status="completed")
    assert "Waiting" not in await ready_titles(tracker)

    await update_item(tracker, second, 1, status="completed")
    assert await ready_titles(tracker) == ["Waiting"]


async def test_item_becomes_ready_when_its_blocker_is_deleted(tracker: Tracker) -> None:
    blocker = await create_item(tracker, "Blocker")
    waiting = await create_item(tracker, "Waiting")
    await depend(tracker, blocker, "blocks", waiting)

    await update_item(tracker, blocker, 1, deleted=True)

    assert await ready_titles(tracker) == ["Waiting"]


async def test_a_blocked_status_blocker_still_blocks(tracker: Tracker) -> None:
    blocker = await create_item(tracker, "Blocker", status="blocked")
    waiting = await create_item(tracker, "Waiting")
    await depend(tracker, waiting, "depends_on", blocker)

    assert await ready_titles(tracker) == []


async def test_blocking_an_item_does_not_make_the_blocker_wait(tracker: Tracker) -> None:
    blocker = await create_item(tracker, "Blocker")
    done = await create_item(tracker, "Done", status="completed")
    await depend(tracker, done, "depends_on", blocker)

    assert await ready_titles(tracker) == ["Blocker"]


async def test_ready_work_comes_highest_priority_first(tracker: Tracker) -> None:
    await create_item(tracker, "Low", priority=5)
    await create_item(tracker, "Urgent", priority=1)
    await create_item(tracker, "Normal", priority=3)

    assert await ready_titles(tracker) == ["Urgent", "Normal", "Low"]


async def test_ready_work_filters_by_item_type(tracker: Tracker) -> None:
    await create_item(tracker, "Task")
    await create_item(tracker, "Study", item_type="research")

    assert await ready_titles(tracker, item_type=ItemType.RESEARCH) == ["Study"]
