"""The change feed over every entity, and the history of any entity."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from project_status.domain.configuration import ConfigurationUpdate
from project_status.domain.errors import NotFoundError, ValidationError
from project_status.domain.validation import validate
from project_status.domain.vendors import VendorUpdate
from project_status.services.tracker import Tracker
from project_status.store import events
from project_status.store.tables import WorkItem
from tests.conftest import Backend
from tests.helpers import ACTOR, create_item, depend, update_item
from tests.services.report_data import add_enhancement, add_vendor, deploy

COMMIT = "0123456789abcdef0123456789abcdef01234567"


async def test_changes_after_a_cursor_come_oldest_first_across_entities(tracker: Tracker) -> None:
    start = (await tracker.changes.list_changes(limit=1)).next_cursor
    item = await create_item(tracker, "Feed me")
    await add_vendor(tracker, "acme")
    await update_item(tracker, item, 1, title="Fed", priority=2)

    page = await tracker.changes.list_changes(since=start)

    rows = [(r.entity_type, r.action, r.title) for r in page.items]
    assert rows == [
        ("work_item", "created", "Fed"),
        ("vendor", "created", "acme"),
        ("work_item", "updated", "Fed"),
    ]
    assert page.items[-1].fields == ["priority", "title"]
    assert page.items[0].actor == ACTOR
    assert page.next_cursor == page.items[-1].cursor
    again = await tracker.changes.list_changes(since=page.next_cursor)
    assert (again.items, again.next_cursor, again.has_more) == ([], page.next_cursor, False)


async def test_without_since_the_newest_changes_come_in_ascending_order(tracker: Tracker) -> None:
    for n in range(5):
        await create_item(tracker, f"item {n}")

    page = await tracker.changes.list_changes(limit=3)

    assert [r.title for r in page.items] == ["item 2", "item 3", "item 4"]
    assert page.next_cursor == page.items[-1].cursor


async def test_pages_continue_without_gaps_or_repeats(tracker: Tracker) -> None:
    start = (await tracker.changes.list_changes(limit=1)).next_cursor
    for n in range(7):
        await create_item(tracker, f"item {n}")

    seen: list[str] = []
    cursor = start
    while True:
        page = await tracker.changes.list_changes(since=cursor, limit=3)
        seen.extend(r.title or "" for r in page.items)
        cursor = page.next_cursor
        if not page.has_more:
            break

    assert seen == [f"item {n}" for n in range(7)]


async def test_entity_types_filter_the_feed(tracker: Tracker) -> None:
    start = (await tracker.changes.list_changes(limit=1)).next_cursor
    await create_item(tracker, "An item")
    await add_vendor(tracker, "acme")
    await add_enhancement(tracker, "Faster", 2)

    page = await tracker.changes.list_changes(since=start, entity_types=["vendor", "enhancement"])

    assert [(r.entity_type, r.title) for r in page.items] == [("vendor", "acme"), ("enhancement", "Faster")]
    with pytest.raises(ValidationError) as refused:
        await tracker.changes.list_changes(entity_types=["widgets"])
    assert refused.value.details["errors"][0]["field"] == "entity_types"


async def test_a_bad_cursor_or_limit_is_refused(tracker: Tracker) -> None:
    with pytest.raises(ValidationError):
        await tracker.changes.list_changes(since="not-a-cursor")
    with pytest.raises(ValidationError):
        await tracker.changes.list_changes(limit=201)


async def test_archived_items_keep_their_events_and_title_in_the_feed(tracker: Tracker) -> None:
    start = (await tracker.changes.list_changes(limit=1)).next_cursor
    item = await create_item(tracker, "Old work", status="completed")
    async with tracker.db.unit_of_work(write=True) as session:
        await session.execute(
            update(WorkItem)
            .where(WorkItem.id == uuid.UUID(item.id))
            .values(updated_at=datetime.now(UTC) - timedelta(days=400))
        )
    await tracker.archive.run(actor=ACTOR)

    page = await tracker.changes.list_changes(since=start, entity_types=["work_item"])
    history = await tracker.changes.history(item.id)

    assert page.items[0].title == "Old work"
    assert history.title == "Old work" and history.events[-1].action == "created"


async def test_history_of_every_kind_of_entity(tracker: Tracker) -> None:
    item = await create_item(tracker, "Thing")
    other = await create_item(tracker, "Other")
    await depend(tracker, item, "depends_on", other)
    await add_vendor(tracker, "acme")
    vendor = (await tracker.vendors.query("acme")).items[0]
    await tracker.vendors.update("acme", vendor.version, validate(VendorUpdate, {"status": "broken"}), ACTOR)
    await deploy(tracker, datetime(2026, 1, 2, tzinfo=UTC), COMMIT, vendors=("acme",))
    deployment = (await tracker.deployments.list()).items[0]
    enhancement = await add_enhancement(tracker, "Faster", 2)
    config = await tracker.configuration.get()
    await tracker.configuration.update(
        config.version, validate(ConfigurationUpdate, {"git_branch": "main"}), ACTOR
    )

    by_item = await tracker.changes.history(item.id[:8])
    by_name = await tracker.changes.history("acme")
    by_vendor_id = await tracker.changes.history(vendor.id)
    by_deployment = await tracker.changes.history(deployment.id)
    by_enhancement = await tracker.changes.history(enhancement)
    by_config = await tracker.changes.history("configuration")

    assert [e.action for e in by_item.events] == ["dependency_added", "created"]
    assert (by_name.entity_type, by_name.title, [e.action for e in by_name.events]) == (
        "vendor",
        "acme",
        ["updated", "created"],
    )
    assert by_vendor_id.entity_id == by_name.entity_id
    assert (by_deployment.entity_type, by_deployment.total) == ("deployment", 1)
    assert (by_enhancement.entity_type, by_enhancement.title) == ("enhancement", "Faster")
    assert (
        by_config.entity_type == "configuration"
        and by_config.events[0].changes["git_branch"]["new"] == "main"
    )


async def test_history_of_nothing_says_what_it_accepts(tracker: Tracker) -> None:
    with pytest.raises(NotFoundError) as missing:
        await tracker.changes.history("no-such-vendor")

    assert "configuration" in missing.value.message


async def test_feed_waits_for_an_event_that_commits_after_a_newer_one(
    tracker: Tracker, backend: Backend
) -> None:
    """PostgreSQL hands out ids before commit: a reader must not pass over one committed late."""
    if not backend.is_postgresql:
        pytest.skip("SQLite writers take turns: ids are given in commit order")
    start = (await tracker.changes.list_changes(limit=1)).next_cursor
    late_started = asyncio.Event()
    release = asyncio.Event()

    async def slow_writer() -> None:
        async with tracker.db.unit_of_work(write=True) as session:
            events.record(
                session,
                entity_type="work_item",
                entity_id=str(uuid.uuid4()),
                action="updated",
                actor="slow",
                at=datetime.now(UTC),
                changes={"title": {"old": "a", "new": "b"}},
            )
            await session.flush()  # its id is taken now, its commit comes later
            late_started.set()
            await release.wait()

    writer = asyncio.create_task(slow_writer())
    await late_started.wait()
    await create_item(tracker, "Committed first, numbered later")
    reading = asyncio.create_task(tracker.changes.list_changes(since=start))
    await asyncio.sleep(0.2)
    release.set()
    await writer
    page = await reading

    actors = [r.actor for r in page.items]
    if page.in_flight:
        assert actors == []
    else:
        assert actors == ["slow", ACTOR]
    final = await tracker.changes.list_changes(since=start)
    assert [r.actor for r in final.items] == ["slow", ACTOR]
