"""The write-through to the local mirror runs after the caller's answer (issue 13), and loses
nothing for it: what this process wrote on PostgreSQL is in the mirror before the mirror serves
a read, takes an offline write, is copied again or is closed (see `services.fallback.mirror`)."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from typing import Any

from project_status.domain.work_items import WorkItemCreate, WorkItemUpdate
from project_status.services import notices
from project_status.services.tracker import Tracker
from tests.resilience.conftest import PrivatePostgres
from tests.resilience.test_offline import stop

ME = "write-through-client"


def project(title: str) -> WorkItemCreate:
    return WorkItemCreate(item_type="project", title=title)


async def test_a_read_from_the_mirror_waits_for_the_write_throughs_queued_before_it(
    pg: PrivatePostgres, client: Callable[[str], Any]
) -> None:
    me: Tracker = await client("me")
    assert me.mirror is not None and me.router is not None
    made = await me.work_items.create(project("Payments"), ME)
    await me.mirror.refresh()
    gate = asyncio.Event()
    me.mirror.repeat_later(gate.wait)  # a write-through still under way: the update's waits behind it
    edited = await me.work_items.update(str(made.id), 1, WorkItemUpdate(title="Payments v2"), ME)
    assert edited.version == 2

    await stop(pg, "immediate")
    with notices.collecting() as warnings:
        reading = asyncio.ensure_future(me.work_items.get(str(made.id)))
        await asyncio.sleep(0.2)  # the read reaches the mirror, and waits there
        gate.set()
        shown = await reading
    assert (shown.title, shown.version) == ("Payments v2", 2)
    assert "this answer comes from the local mirror" in warnings[0], warnings


async def test_an_offline_write_builds_on_the_online_write_acknowledged_just_before_the_outage(
    pg: PrivatePostgres, client: Callable[[str], Any]
) -> None:
    me: Tracker = await client("me")
    assert me.mirror is not None and me.router is not None
    me.router.regenerate_report = False
    await me.mirror.refresh()
    gate = asyncio.Event()
    me.mirror.repeat_later(gate.wait)
    made = await me.work_items.create(project("Payments"), ME)  # after the copy: in the write-through only
    await me.work_items.update(str(made.id), 1, WorkItemUpdate(title="Payments v2"), ME)

    await stop(pg, "immediate")
    with notices.collecting() as warnings:
        writing = asyncio.ensure_future(me.work_items.update(str(made.id), 2, WorkItemUpdate(priority=1), ME))
        await asyncio.sleep(0.2)  # the offline write reaches the mirror, and waits there
        gate.set()
        edited = await writing
    assert (edited.title, edited.version, edited.priority) == ("Payments v2", 3, 1)
    assert any("pending sync (1 change(s) waiting)" in w for w in warnings), warnings


async def test_closing_the_tracker_applies_the_queued_write_throughs_first(
    pg: PrivatePostgres, client: Callable[[str], Any]
) -> None:
    me: Tracker = await client("me")
    assert me.mirror is not None
    await me.mirror.refresh()
    made = await me.work_items.create(project("Written just before exit"), ME)
    await me.close()
    with sqlite3.connect(me.mirror.path) as conn:
        rows = conn.execute("SELECT title, version FROM work_items").fetchall()
    assert made.version == 1 and rows == [("Written just before exit", 1)]


def _without_ids(history: list[Any]) -> list[dict[str, Any]]:
    return [event.model_dump(exclude={"id"}) for event in history]


async def test_the_mirror_takes_the_rows_and_events_the_primary_committed(
    pg: PrivatePostgres, client: Callable[[str], Any]
) -> None:
    me: Tracker = await client("me")
    assert me.mirror is not None
    await me.mirror.refresh()
    parent = await me.work_items.create(project("Payments"), ME)
    hours = {"estimated_hours": 2}
    task = WorkItemCreate(item_type="task", title="Refunds", parent_id=parent.id, metadata=hours)
    made = await me.work_items.create(task, ME)
    edit = WorkItemUpdate(title="Refunds v2", metadata={"actual_hours": 1})
    await me.work_items.update(made.id, 1, edit, ME)
    await me.claims.claim(ME, item=made.id, lease_minutes=5)
    last = await me.claims.claim(ME, item=made.id)  # a renewal
    await me.mirror.settled()

    mirrored = me.work_items.on(me.mirror.db)
    assert (await mirrored.get(made.id)).model_dump(exclude={"children", "notes", "ancestors"}) == (
        await me.work_items.get(made.id)
    ).model_dump(exclude={"children", "notes", "ancestors"})
    assert last.version == 4 and (await mirrored.get(made.id)).version == 4
    history = await me.work_items.history(made.id)
    assert [event.action for event in history] == ["claim_renewed", "claimed", "updated", "created"]
    assert all(event.actor == ME for event in history)
    assert _without_ids(await mirrored.history(made.id)) == _without_ids(history)
    assert not (await me.mirror.state()).needs_refresh


async def test_a_mirror_whose_row_differs_from_the_primarys_is_marked_stale_and_left_as_it_is(
    pg: PrivatePostgres, client: Callable[[str], Any]
) -> None:
    me: Tracker = await client("me")
    assert me.mirror is not None
    made = await me.work_items.create(project("Payments"), ME)
    await me.mirror.refresh()
    with sqlite3.connect(me.mirror.path) as conn:  # the mirror's copy of the row moved on alone
        conn.execute("UPDATE work_items SET version = 7, title = 'Elsewhere'")
    await me.work_items.update(made.id, 1, WorkItemUpdate(title="Payments v2"), ME)
    await me.mirror.settled()

    with sqlite3.connect(me.mirror.path) as conn:
        assert conn.execute("SELECT title, version FROM work_items").fetchall() == [("Elsewhere", 7)]
        updates = conn.execute("SELECT count(*) FROM events WHERE action = 'updated'").fetchone()
    assert updates == (0,)
    assert (await me.mirror.state()).needs_refresh
