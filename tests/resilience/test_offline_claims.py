"""Claims, notes and completions while PostgreSQL is down: journalled, replayed, and a claim two
clients made of the same item offline becomes a conflict for the later one, never a silent loss."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from project_status.domain.enums import WorkItemStatus
from project_status.domain.errors import ClaimedError
from project_status.domain.sync import ConflictReason
from project_status.domain.work_items import WorkItemCreate
from project_status.services import notices
from project_status.services.tracker import Tracker
from tests.resilience.conftest import PrivatePostgres, wait_until_connectable
from tests.resilience.test_health import raw

ME, THEM = "agent-me", "agent-them"


async def restart(pg: PrivatePostgres, *trackers: Tracker) -> None:
    pg.start()
    await wait_until_connectable(pg)
    for tracker in trackers:
        tracker.db.breaker.succeeded()


async def sync_in_turn(pg: PrivatePostgres, first: Tracker, second: Tracker) -> None:
    """With PostgreSQL back, `first` syncs its one offline claim, then `second` its claim of the
    same item: the first is applied, the second kept as a conflict."""
    await restart(pg, first, second)
    assert first.sync is not None and second.sync is not None
    applied = await first.sync.sync()
    kept = await second.sync.sync()
    assert (applied.applied, applied.conflicts) == (1, 0), applied
    assert (kept.applied, kept.conflicts) == (0, 1), kept


async def test_offline_claim_note_and_completion_are_journalled_and_replayed(
    pg: PrivatePostgres, client: Callable[[str], Any]
) -> None:
    me: Tracker = await client("me")
    task = await me.work_items.create(WorkItemCreate(item_type="task", title="Offline work"), ME)
    assert me.mirror is not None and me.sync is not None
    await me.mirror.refresh()

    pg.stop("immediate")
    with notices.collecting() as warnings:
        claimed = await me.claims.claim(ME)
        await me.notes.add(claimed.id, "Started while the database was down", ME)
        done = await me.claims.complete(claimed.id, ME, note="Finished offline")
    assert claimed.id == task.id and done.status is WorkItemStatus.COMPLETED
    assert any("pending sync (3 change(s) waiting)" in w for w in warnings), warnings

    await restart(pg, me)
    result = await me.sync.sync()

    assert (result.applied, result.conflicts, result.remaining) == (3, 0, 0), result
    row = await raw(pg, "SELECT status, claimed_by, version FROM work_items WHERE id = $1", task.id)
    assert (row["status"], row["claimed_by"], row["version"]) == ("completed", None, 3)
    notes = await me.notes.list(task.id)
    assert [n.text for n in notes.items] == ["Started while the database was down", "Finished offline"]
    actions = [e.action for e in reversed(await me.work_items.history(task.id))]
    assert actions == ["created", "claimed", "note_added", "completed", "note_added"]


async def test_two_clients_claiming_the_same_item_offline_the_later_one_is_a_conflict(
    pg: PrivatePostgres, client: Callable[[str], Any]
) -> None:
    me: Tracker = await client("me")
    them: Tracker = await client("them")
    task = await me.work_items.create(
        WorkItemCreate(item_type="task", title="Wanted by both", priority=1), ME
    )
    spare = await me.work_items.create(WorkItemCreate(item_type="task", title="Spare", priority=2), ME)
    for tracker in (me, them):
        assert tracker.mirror is not None
        await tracker.mirror.refresh()

    pg.stop("immediate")
    with notices.collecting():
        mine = await me.claims.claim(ME)  # the next ready item, chosen from my mirror
        theirs = await them.claims.claim(THEM)
    assert mine.id == theirs.id == task.id

    await sync_in_turn(pg, me, them)

    row = await raw(pg, "SELECT status, claimed_by FROM work_items WHERE id = $1", task.id)
    assert (row["status"], row["claimed_by"]) == ("in_progress", ME)
    # the replay takes the item the offline claim took, not whatever is next by then
    spare_row = await raw(pg, "SELECT status, claimed_by FROM work_items WHERE id = $1", spare.id)
    assert (spare_row["status"], spare_row["claimed_by"]) == ("active", None)
    conflicts = await them.sync.conflicts()
    assert [(c.reason, c.entity_id, c.actor) for c in conflicts] == [(ConflictReason.VERSION, task.id, THEM)]
    assert conflicts[0].theirs is not None and conflicts[0].theirs["claimed_by"] == ME
    with pytest.raises(ClaimedError):
        await them.claims.claim(THEM, task.id)


async def test_the_claim_that_reaches_the_database_later_is_the_conflict_whoever_claimed_first(
    pg: PrivatePostgres, client: Callable[[str], Any]
) -> None:
    """Offline clocks of different machines are not compared: the first claim synced holds the
    item (its agent may have worked on it since), and the other is kept as a conflict."""
    me: Tracker = await client("me")
    them: Tracker = await client("them")
    task = await me.work_items.create(WorkItemCreate(item_type="task", title="Wanted by both"), ME)
    for tracker in (me, them):
        assert tracker.mirror is not None
        await tracker.mirror.refresh()

    pg.stop("immediate")
    with notices.collecting():
        await me.claims.claim(ME, task.id)  # first, by the clock
        await them.claims.claim(THEM, task.id)

    await sync_in_turn(pg, them, me)

    row = await raw(pg, "SELECT claimed_by FROM work_items WHERE id = $1", task.id)
    assert row["claimed_by"] == THEM
    conflicts = await me.sync.conflicts()
    assert [(c.entity_id, c.actor) for c in conflicts] == [(task.id, ME)]
    assert conflicts[0].theirs is not None and conflicts[0].theirs["claimed_by"] == THEM
