"""Archiving (issue 6) on both backends: which subtrees go, what moves with them, what the live
queries stop seeing, dry runs, repeated and concurrent runs, restoring and its errors."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from project_status.domain.enums import ItemType
from project_status.domain.errors import NotFoundError, ValidationError
from project_status.domain.work_items import WorkItemRead
from project_status.services.tracker import Tracker
from project_status.store import archive as archive_store
from project_status.store.tables import (
    ArchivedWorkItem,
    ArchivedWorkItemDependency,
    ArchiveRun,
    Event,
    WorkItem,
    WorkItemDependency,
)
from tests.conftest import PostgresServer, PostgresTestDatabase, require_postgres
from tests.helpers import (
    ACTOR,
    chain,
    count_rows,
    create_item,
    depend,
    events_of,
    only_error,
    unchanged,
    update_item,
)

LONG_AGO = datetime.now(UTC) - timedelta(days=400)


async def age(tracker: Tracker, *items: WorkItemRead, at: datetime = LONG_AGO) -> None:
    """Pretend the items were last updated at `at` (a year and more ago by default)."""
    async with tracker.db.unit_of_work(write=True) as session:
        await session.execute(
            update(WorkItem)
            .where(WorkItem.id.in_([uuid.UUID(item.id) for item in items]))
            .values(updated_at=at)
            .execution_options(synchronize_session=False)
        )


async def finished(
    tracker: Tracker, title: str, parent: WorkItemRead | None = None, **fields: Any
) -> WorkItemRead:
    """A completed item."""
    return await create_item(tracker, title, parent=parent, status="completed", **fields)


async def deleted(tracker: Tracker, title: str, parent: WorkItemRead | None = None) -> WorkItemRead:
    item = await create_item(tracker, title, parent=parent)
    return await update_item(tracker, item, item.version, deleted=True)


async def live_ids(tracker: Tracker) -> set[str]:
    async with tracker.db.unit_of_work() as session:
        return {str(i) for i in (await session.execute(select(WorkItem.id))).scalars()}


async def archived_ids(tracker: Tracker) -> set[str]:
    async with tracker.db.unit_of_work() as session:
        return {str(i) for i in (await session.execute(select(ArchivedWorkItem.id))).scalars()}


async def actions(tracker: Tracker, item: WorkItemRead | str) -> list[str]:
    item_id = item if isinstance(item, str) else item.id
    return [event.action for event in await events_of(tracker, "work_item", item_id)]


async def run(tracker: Tracker, **options: Any) -> Any:
    return await tracker.archive.run(actor=ACTOR, **options)


# --- what qualifies ------------------------------------------------------------------------------


async def test_only_subtrees_finished_and_untouched_for_the_threshold_are_archived(tracker: Tracker) -> None:
    done = await finished(tracker, "done project", item_type="project")
    done_child = await finished(tracker, "done child", parent=done)
    dropped_child = await deleted(tracker, "dropped child", parent=done)
    busy = await finished(tracker, "done but a child is active", item_type="project")
    busy_child = await create_item(tracker, "still active", parent=busy)
    fresh_below = await finished(tracker, "done, old, with a fresh grandchild", item_type="project")
    fresh_middle = await finished(tracker, "done, old", parent=fresh_below)
    fresh_leaf = await finished(tracker, "done recently", parent=fresh_middle)
    active = await create_item(tracker, "active and old", item_type="project")
    recent = await finished(tracker, "completed recently", item_type="project")
    open_project = await create_item(tracker, "active project", item_type="project")
    old_task = await finished(tracker, "old task of an active project", parent=open_project)
    old_task_child = await deleted(tracker, "its deleted child", parent=old_task)
    await age(
        tracker,
        done,
        done_child,
        dropped_child,
        busy,
        busy_child,
        fresh_below,
        fresh_middle,
        active,
        old_task,
        old_task_child,
    )

    result = await run(tracker)

    moved = {done.id, done_child.id, dropped_child.id, old_task.id, old_task_child.id}
    assert await archived_ids(tracker) == moved
    assert await live_ids(tracker) == {
        busy.id,
        busy_child.id,
        fresh_below.id,
        fresh_middle.id,
        fresh_leaf.id,
        active.id,
        recent.id,
        open_project.id,
    }
    assert (result.items_archived, result.subtrees_archived, result.dry_run) == (5, 2, False)
    assert result.older_than_days == 365
    assert result.duration_seconds >= 0
    for item in (done, done_child, dropped_child, old_task, old_task_child):
        assert (await actions(tracker, item))[-1] == "archived"
    root_event = (await events_of(tracker, "work_item", done.id))[-1]
    assert root_event.actor == ACTOR
    assert root_event.changes["descendants"] == {"old": None, "new": 2}


async def test_the_threshold_can_be_given_per_run_and_by_the_setting(
    tracker: Tracker, monkeypatch: pytest.MonkeyPatch
) -> None:
    item = await finished(tracker, "ten days old")
    await age(tracker, item, at=datetime.now(UTC) - timedelta(days=10))

    assert (await run(tracker)).items_archived == 0
    monkeypatch.setenv("PROJECT_STATUS_ARCHIVE_AFTER_DAYS", "30")
    assert (await run(tracker)).items_archived == 0
    monkeypatch.setenv("PROJECT_STATUS_ARCHIVE_AFTER_DAYS", "7")
    result = await run(tracker)

    assert (result.items_archived, result.older_than_days) == (1, 7)


@pytest.mark.parametrize("days", [0, -3, 36_501, True])
async def test_a_threshold_outside_1_to_36500_days_is_refused(tracker: Tracker, days: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        await run(tracker, older_than_days=days)
    assert only_error(caught.value)["field"] == "older_than_days"


# --- what moves with a subtree -------------------------------------------------------------------


async def test_dependencies_with_an_archived_end_move_to_the_archive(tracker: Tracker) -> None:
    blocker = await finished(tracker, "old blocker")
    helper = await finished(tracker, "old helper")
    waiting = await create_item(tracker, "waits on the blocker")
    await depend(tracker, waiting, "depends_on", blocker)
    await depend(tracker, helper, "blocks", blocker)  # both ends archived: moves once
    await age(tracker, blocker, helper)

    result = await run(tracker)

    assert result.dependencies_archived == 2
    assert await count_rows(tracker, WorkItemDependency) == 0
    assert await count_rows(tracker, ArchivedWorkItemDependency) == 2
    detail = await tracker.work_items.get(waiting.id)
    assert detail.dependencies == []
    ready = await tracker.work_items.ready()
    assert [item.id for item in ready.items] == [waiting.id]


async def test_a_blocked_item_whose_blocker_is_archived_is_ready(tracker: Tracker) -> None:
    blocker = await create_item(tracker, "blocker")
    waiting = await create_item(tracker, "waiting")
    await depend(tracker, blocker, "blocks", waiting)
    assert [i.id for i in (await tracker.work_items.ready()).items] == [blocker.id]
    blocker = await update_item(tracker, blocker, blocker.version, deleted=True)
    await age(tracker, blocker)

    await run(tracker)

    assert [i.id for i in (await tracker.work_items.ready()).items] == [waiting.id]
    async with tracker.db.unit_of_work() as session:
        edge = (await session.execute(select(ArchivedWorkItemDependency))).scalars().one()
    assert (str(edge.source_id), edge.dependency_type, str(edge.target_id)) == (
        blocker.id,
        "blocks",
        waiting.id,
    )


async def test_live_queries_and_the_report_no_longer_see_archived_items(tracker: Tracker) -> None:
    project = await create_item(tracker, "live project", item_type="project")
    gone = await finished(tracker, "Archived research note", parent=project, item_type="research")
    await age(tracker, gone)
    await run(tracker)

    listed = await tracker.work_items.list(include_deleted=True)
    assert [item.id for item in listed.items] == [project.id]
    assert listed.total == 1
    assert (await tracker.work_items.list(text="research note")).total == 0
    assert (await tracker.work_items.get(project.id)).children == []
    assert "Archived research note" not in await tracker.reports.render()
    with pytest.raises(NotFoundError) as caught:
        await tracker.work_items.get(gone.id)
    assert "archived" in caught.value.message


async def test_the_history_of_an_archived_item_stays_readable(tracker: Tracker) -> None:
    item = await finished(tracker, "old")
    await age(tracker, item)
    await run(tracker)

    history = await tracker.work_items.history(item.id)
    by_prefix = await tracker.work_items.history(item.id[:8])

    assert [event.action for event in history] == ["archived", "created"]
    assert by_prefix == history


# --- dry runs, repeated and concurrent runs ------------------------------------------------------


async def test_a_dry_run_counts_and_writes_nothing(tracker: Tracker) -> None:
    root = await finished(tracker, "root", item_type="project")
    child = await finished(tracker, "child", parent=root)
    other = await create_item(tracker, "other")
    await depend(tracker, other, "depends_on", child)
    await age(tracker, root, child)

    async with unchanged(tracker):
        result = await run(tracker, dry_run=True)

    assert (result.dry_run, result.items_archived, result.subtrees_archived) == (True, 2, 1)
    assert result.dependencies_archived == 1


async def test_running_twice_archives_each_item_once(tracker: Tracker) -> None:
    items = [await finished(tracker, f"old {n}") for n in range(3)]
    await age(tracker, *items)

    first = await run(tracker)
    second = await run(tracker)

    assert (first.items_archived, second.items_archived) == (3, 0)
    for item in items:
        assert (await actions(tracker, item)).count("archived") == 1
    assert await count_rows(tracker, ArchiveRun) == 2


async def test_many_subtrees_move_in_batches_with_progress(
    tracker: Tracker, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(archive_store, "CHUNK", 2)  # several statements per batch too
    roots = [await finished(tracker, f"root {n}", item_type="project") for n in range(4)]
    children = [await finished(tracker, f"child {n}", parent=root) for n, root in enumerate(roots)]
    await depend(tracker, children[0], "depends_on", children[3])
    await age(tracker, *roots, *children)
    tracker.archive.batch_items = 3
    seen: list[tuple[int, int]] = []

    result = await tracker.archive.run(actor=ACTOR, progress=lambda done, total: seen.append((done, total)))

    assert (result.items_archived, result.subtrees_archived, result.dependencies_archived) == (8, 4, 1)
    assert seen == [(0, 8), (2, 8), (4, 8), (6, 8), (8, 8)]
    assert await count_rows(tracker, WorkItem) == 0


async def test_a_subtree_that_changes_after_planning_stays_live(
    tracker: Tracker, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = await finished(tracker, "root", item_type="project")
    child = await finished(tracker, "child", parent=root)
    other = await finished(tracker, "other")
    await age(tracker, root, child, other)
    plan = archive_store.archivable

    async def plan_then_reopen(session: Any, cutoff: datetime) -> Any:
        rows = await plan(session, cutoff)
        await update_item(tracker, child, child.version, status="active")  # between plan and move
        return rows

    monkeypatch.setattr(archive_store, "archivable", plan_then_reopen)
    result = await run(tracker)

    assert (result.items_archived, result.subtrees_archived, result.subtrees_skipped) == (1, 1, 1)
    assert await live_ids(tracker) == {root.id, child.id}


async def test_two_servers_archiving_at_once_on_postgresql_archive_each_item_exactly_once(
    postgres_server: PostgresServer, postgres_database: PostgresTestDatabase | None
) -> None:
    require_postgres(postgres_server)
    assert postgres_database is not None
    await postgres_database.reset()
    first = await Tracker.open(url=postgres_database.url)
    second = await Tracker.open(url=postgres_database.url)
    try:
        items: list[WorkItemRead] = []
        for n in range(12):
            root = await finished(first, f"root {n}", item_type="project")
            items += [root, await finished(first, f"child {n}", parent=root)]
        await age(first, *items)
        first.archive.batch_items = 4
        second.archive.batch_items = 4

        planned: dict[str, int] = {}

        def plan_of(name: str) -> Callable[[int, int], None]:
            return lambda _done, total: planned.setdefault(name, total)

        results = await asyncio.gather(
            first.archive.run(actor="server-1", progress=plan_of("server-1")),
            second.archive.run(actor="server-2", progress=plan_of("server-2")),
        )

        assert planned == {"server-1": len(items), "server-2": len(items)}  # both saw it all to do
        assert sum(result.items_archived for result in results) == len(items)
        assert await archived_ids(first) == {item.id for item in items}
        async with first.db.unit_of_work() as session:
            counts = dict(
                (
                    await session.execute(
                        select(Event.entity_id, func.count())
                        .where(Event.action == "archived")
                        .group_by(Event.entity_id)
                    )
                ).all()
            )
        assert counts == {item.id: 1 for item in items}
    finally:
        await first.close()
        await second.close()


# --- the archive as a list -----------------------------------------------------------------------


async def test_the_archive_lists_newest_first_with_filters_and_a_cursor(tracker: Tracker) -> None:
    early = [await finished(tracker, f"early task {n}") for n in range(3)]
    note = await finished(tracker, "Payments research", item_type="research", description="webhooks")
    await age(tracker, *early, note)
    await run(tracker)
    later = await finished(tracker, "later task")
    await age(tracker, later)
    moment = datetime.now(UTC)
    await run(tracker)

    everything = await tracker.archive.list()
    first = await tracker.archive.list(limit=2)
    rest = await tracker.archive.list(limit=2, cursor=first.next_cursor)
    last = await tracker.archive.list(limit=2, cursor=rest.next_cursor)

    assert everything.total == 5 and everything.items[0].id == later.id
    assert [i.id for i in first.items + rest.items + last.items] == [i.id for i in everything.items]
    assert last.next_cursor is None
    assert [i.id for i in (await tracker.archive.list(text="WEBHOOK")).items] == [note.id]
    assert [i.id for i in (await tracker.archive.list(item_type=ItemType.RESEARCH)).items] == [note.id]
    assert [i.id for i in (await tracker.archive.list(archived_after=moment)).items] == [later.id]
    assert everything.items[0].archived_at >= moment
    with pytest.raises(ValidationError):
        await tracker.archive.list(archived_after=datetime(2026, 1, 1))
    with pytest.raises(ValidationError):
        await tracker.archive.list(cursor="not-a-cursor")
    shown = await tracker.archive.get(note.id[:10])
    assert (shown.title, shown.description, shown.status.value) == (
        "Payments research",
        "webhooks",
        "completed",
    )


# --- restoring -----------------------------------------------------------------------------------


async def test_restore_brings_the_subtree_and_its_dependencies_back(tracker: Tracker) -> None:
    project = await create_item(tracker, "live project", item_type="project")
    root = await finished(tracker, "archived task", parent=project)
    child = await finished(tracker, "its child", parent=root)
    outside = await create_item(tracker, "outside")
    await depend(tracker, outside, "depends_on", child)
    await age(tracker, root, child)
    await run(tracker)

    restored = await tracker.archive.restore(root.id[:8], "restorer")

    assert (restored.id, restored.version, restored.updated_by) == (root.id, root.version + 1, "restorer")
    assert restored.path == f"/{project.id}/{root.id}" and restored.depth == 1
    assert await archived_ids(tracker) == set()
    assert await count_rows(tracker, ArchivedWorkItemDependency) == 0
    detail = await tracker.work_items.get(root.id)
    assert [node.id for node in detail.children] == [child.id]
    assert (await tracker.work_items.get(outside.id)).dependencies[0].target_id == child.id
    assert (await actions(tracker, root))[-2:] == ["archived", "restored"]
    assert (await actions(tracker, child))[-1] == "restored"
    # restoring counts as an update: the next run leaves them alone
    assert (await run(tracker)).items_archived == 0
    assert await update_item(tracker, root, restored.version, title="renamed")


async def test_restoring_an_item_whose_parent_is_archived_names_the_parent_to_restore(
    tracker: Tracker,
) -> None:
    root = await finished(tracker, "root", item_type="project")
    child = await finished(tracker, "child", parent=root)
    grandchild = await finished(tracker, "grandchild", parent=child)
    await age(tracker, root, child, grandchild)
    await run(tracker)

    async with unchanged(tracker):
        with pytest.raises(ValidationError) as caught:
            await tracker.archive.restore(grandchild.id, ACTOR)

    error = only_error(caught.value)
    assert (error["field"], error["parent_id"], error["restore_id"]) == ("id", child.id, root.id)
    assert child.id in caught.value.message and root.id in caught.value.message


async def test_restoring_under_a_deleted_parent_is_refused(tracker: Tracker) -> None:
    parent = await create_item(tracker, "parent", item_type="project")
    item = await finished(tracker, "archived", parent=parent)
    await age(tracker, item)
    await run(tracker)
    parent = await update_item(tracker, parent, parent.version, deleted=True)

    async with unchanged(tracker):
        with pytest.raises(ValidationError) as caught:
            await tracker.archive.restore(item.id, ACTOR)

    assert only_error(caught.value)["parent_id"] == parent.id
    assert "restore the parent first" in caught.value.message


async def test_restoring_what_is_not_archived_says_why(tracker: Tracker) -> None:
    live = await create_item(tracker, "live")

    with pytest.raises(NotFoundError) as not_archived:
        await tracker.archive.restore(live.id, ACTOR)
    with pytest.raises(NotFoundError) as unknown:
        await tracker.archive.restore(str(uuid.uuid4()), ACTOR)
    with pytest.raises(ValidationError):
        await tracker.archive.restore("xyz", ACTOR)

    assert "is live" in not_archived.value.message
    assert "query_archived_work_items" in unknown.value.message


async def test_restore_follows_an_ancestor_that_moved_after_part_of_its_subtree_was_archived(
    tracker: Tracker,
) -> None:
    first_home = await create_item(tracker, "first home", item_type="project")
    second_home = await create_item(tracker, "second home", item_type="project")
    middle = await finished(tracker, "middle", parent=first_home)
    early = await finished(tracker, "archived early", parent=middle)
    late = await create_item(tracker, "still active", parent=middle)
    await age(tracker, early)
    await run(tracker)  # only `early`: `late` keeps `middle` live
    middle = await update_item(tracker, middle, middle.version, parent_id=second_home.id)
    late = await update_item(tracker, late, late.version, status="completed")
    await age(tracker, middle, late)
    await run(tracker)  # now `middle` and `late` follow, under their new place

    await tracker.archive.restore(middle.id, ACTOR)

    restored = await tracker.work_items.get(early.id)
    assert restored.path == f"/{second_home.id}/{middle.id}/{early.id}"
    assert restored.depth == 2


async def test_restore_refuses_a_subtree_that_would_sit_too_deep(tracker: Tracker) -> None:
    levels = await chain(tracker, 5)  # depths 0-4
    leaf = await finished(tracker, "leaf", parent=levels[4])  # depth 5
    await age(tracker, leaf)
    await run(tracker)
    spare = await create_item(tracker, "spare root", item_type="project")
    extra = await create_item(tracker, "extra level", parent=spare)
    await update_item(tracker, levels[1], levels[1].version, parent_id=extra.id)  # levels[4] now at 5

    async with unchanged(tracker):
        with pytest.raises(ValidationError) as caught:
            await tracker.archive.restore(leaf.id, ACTOR)

    assert "depth 6" in caught.value.message and "move the parent higher" in caught.value.message


async def test_the_last_run_is_recorded(tracker: Tracker) -> None:
    assert await tracker.archive.last_run() is None
    assert await tracker.archive.seconds_until_due(24) == 0

    await run(tracker, dry_run=True)
    assert await tracker.archive.last_run() is None
    await run(tracker)

    last = await tracker.archive.last_run()
    assert last is not None and last.actor == ACTOR and last.items == 0
    assert 23 * 3600 < await tracker.archive.seconds_until_due(24) <= 24 * 3600
