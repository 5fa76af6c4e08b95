"""Claims with leases: take the best ready item, renew, release, complete, expiry, all audited."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest

from project_status.domain.enums import ItemType, WorkItemStatus
from project_status.domain.errors import ClaimedError, NotFoundError, ValidationError, VersionConflictError
from project_status.domain.operation import Operation, running
from project_status.services.tracker import Tracker
from tests.helpers import create_item, depend, update_item

ALICE = "agent-alice"
BOB = "agent-bob"


async def actions(tracker: Tracker, item_id: str) -> list[str]:
    return [event.action for event in reversed(await tracker.work_items.history(item_id))]


async def test_claim_takes_the_highest_priority_then_oldest_ready_task(tracker: Tracker) -> None:
    await create_item(tracker, "Low", priority=4)
    first_high = await create_item(tracker, "High, older", priority=1)
    await create_item(tracker, "High, newer", priority=1)

    claimed = await tracker.claims.claim(ALICE)

    assert claimed.id == first_high.id
    assert claimed.status is WorkItemStatus.IN_PROGRESS
    assert claimed.claimed_by == ALICE
    assert claimed.version == 2
    assert claimed.claim_expires_at is not None
    lease = claimed.claim_expires_at - claimed.updated_at
    assert lease == timedelta(minutes=30)


async def test_claim_without_id_skips_containers_unless_asked(tracker: Tracker) -> None:
    await create_item(tracker, "A project", item_type="project", priority=1)
    task = await create_item(tracker, "A task", priority=3)

    assert (await tracker.claims.claim(ALICE)).id == task.id
    project = await tracker.claims.claim(BOB, item_type=ItemType.PROJECT)
    assert project.title == "A project"


async def test_claim_with_parent_takes_only_from_that_subtree(tracker: Tracker) -> None:
    root = await create_item(tracker, "Root", item_type="project")
    session = await create_item(tracker, "Session", item_type="session", parent=root)
    deep = await create_item(tracker, "Deep task", parent=session, priority=3)
    await create_item(tracker, "Elsewhere", priority=1)

    claimed = await tracker.claims.claim(ALICE, parent_id=root.id[:8])

    assert claimed.id == deep.id


async def test_claim_skips_items_under_another_live_lease_and_blocked_ones(tracker: Tracker) -> None:
    blocker = await create_item(tracker, "Blocker", priority=2)
    waiting = await create_item(tracker, "Waiting", priority=1)
    await depend(tracker, waiting, "depends_on", blocker)

    first = await tracker.claims.claim(ALICE)
    with pytest.raises(NotFoundError) as nothing:
        await tracker.claims.claim(BOB)

    assert first.id == blocker.id
    assert nothing.value.details["reason"] == "nothing_ready"
    assert (nothing.value.details["claimed_by_others"], nothing.value.details["blocked"]) == (1, 1)
    assert "Nothing ready to claim" in nothing.value.message


async def test_claiming_an_item_held_by_another_actor_names_the_holder(tracker: Tracker) -> None:
    item = await create_item(tracker, "Taken")
    await tracker.claims.claim(ALICE, item.id)

    with pytest.raises(ClaimedError) as refused:
        await tracker.claims.claim(BOB, item.id)

    assert isinstance(refused.value, VersionConflictError)
    assert refused.value.details["claimed_by"] == ALICE
    assert ALICE in refused.value.message and "until" in refused.value.message
    assert refused.value.to_dict()["error"] == "VersionConflictError"


async def test_claiming_a_blocked_or_completed_item_says_why(tracker: Tracker) -> None:
    blocker = await create_item(tracker, "Blocker")
    waiting = await create_item(tracker, "Waiting")
    await depend(tracker, waiting, "depends_on", blocker)
    done = await create_item(tracker, "Done", status="completed")

    with pytest.raises(ValidationError) as blocked:
        await tracker.claims.claim(ALICE, waiting.id)
    with pytest.raises(ValidationError) as completed:
        await tracker.claims.claim(ALICE, done.id)

    error = blocked.value.details["errors"][0]
    assert error["reason"] == "blocked_by"
    assert [b["id"] for b in error["blockers"]] == [blocker.id]
    assert "Blocker" in blocked.value.message
    assert completed.value.details["errors"][0]["reason"] == "completed"


async def test_same_actor_claiming_again_renews_the_lease(tracker: Tracker) -> None:
    item = await create_item(tracker, "Mine")
    first = await tracker.claims.claim(ALICE, item.id, lease_minutes=5)

    renewed = await tracker.claims.claim(ALICE, item.id, lease_minutes=60)

    assert renewed.version == first.version + 1
    assert renewed.claim_expires_at is not None and first.claim_expires_at is not None
    assert renewed.claim_expires_at > first.claim_expires_at
    assert await actions(tracker, item.id) == ["created", "claimed", "claim_renewed"]


@pytest.mark.parametrize("lease", [0, 1441, -5])
async def test_lease_minutes_out_of_range_is_refused(tracker: Tracker, lease: int) -> None:
    await create_item(tracker, "Free")

    with pytest.raises(ValidationError) as refused:
        await tracker.claims.claim(ALICE, lease_minutes=lease)

    assert refused.value.details["errors"][0]["field"] == "lease_minutes"
    assert (await tracker.work_items.ready()).items[0].claimed_by is None


async def test_claim_with_a_stale_version_is_a_conflict(tracker: Tracker) -> None:
    item = await create_item(tracker, "Versioned")
    await update_item(tracker, item, 1, title="Versioned again")

    with pytest.raises(VersionConflictError):
        await tracker.claims.claim(ALICE, item.id, version=1)


async def test_expired_lease_blocks_nobody_and_its_expiry_is_recorded(tracker: Tracker) -> None:
    item = await create_item(tracker, "Abandoned")
    past = Operation(at=datetime.now(UTC) - timedelta(hours=2))
    with running(past):
        await tracker.claims.claim(ALICE, item.id, lease_minutes=10)

    ready = await tracker.work_items.ready(actor=BOB)
    taken = await tracker.claims.claim(BOB)

    assert [row.id for row in ready.items] == [item.id]
    assert taken.id == item.id and taken.claimed_by == BOB
    assert await actions(tracker, item.id) == ["created", "claimed", "claim_expired", "claimed"]
    expired = next(e for e in await tracker.work_items.history(item.id) if e.action == "claim_expired")
    assert expired.actor == BOB and expired.changes["claimed_by"]["old"] == ALICE


async def test_release_gives_the_item_back_with_a_note(tracker: Tracker) -> None:
    item = await create_item(tracker, "Give back")
    await tracker.claims.claim(ALICE, item.id)

    released = await tracker.claims.release(item.id, ALICE, note="Half done: tests missing")

    assert released.status is WorkItemStatus.ACTIVE
    assert (released.claimed_by, released.claim_expires_at) == (None, None)
    detail = await tracker.work_items.get(item.id)
    assert [n.text for n in detail.notes] == ["Half done: tests missing"]
    assert await actions(tracker, item.id) == ["created", "claimed", "released", "note_added"]


async def test_release_by_another_actor_or_of_an_unclaimed_item_is_refused(tracker: Tracker) -> None:
    item = await create_item(tracker, "Held")
    free = await create_item(tracker, "Free")
    await tracker.claims.claim(ALICE, item.id)

    with pytest.raises(ClaimedError):
        await tracker.claims.release(item.id, BOB)
    with pytest.raises(ValidationError):
        await tracker.claims.release(free.id, ALICE)


async def test_complete_completes_and_releases_in_one_call(tracker: Tracker) -> None:
    item = await create_item(tracker, "Finish")
    await tracker.claims.claim(ALICE, item.id)

    done = await tracker.claims.complete(item.id, ALICE, note="Shipped in PR 7")

    assert done.status is WorkItemStatus.COMPLETED
    assert done.claimed_by is None
    assert await actions(tracker, item.id) == ["created", "claimed", "completed", "note_added"]
    with pytest.raises(ValidationError):
        await tracker.claims.complete(item.id, ALICE)


async def test_complete_under_another_live_lease_needs_force_which_is_recorded(tracker: Tracker) -> None:
    item = await create_item(tracker, "Contested")
    await tracker.claims.claim(ALICE, item.id)

    with pytest.raises(ClaimedError) as refused:
        await tracker.claims.complete(item.id, BOB)
    forced = await tracker.claims.complete(item.id, BOB, force=True)

    assert "force" in refused.value.message
    assert forced.status is WorkItemStatus.COMPLETED
    last = (await tracker.work_items.history(item.id))[0]
    assert (last.action, last.actor) == ("force_completed", BOB)
    assert last.changes["forced"]["new"] is True
    assert last.changes["claimed_by"] == {"old": ALICE, "new": None}


async def test_ready_work_hides_other_actors_live_claims_and_carries_versions(tracker: Tracker) -> None:
    held = await create_item(tracker, "Held by Alice", priority=1)
    free = await create_item(tracker, "Free", priority=2)
    await create_item(tracker, "A project", item_type="project")
    await tracker.claims.claim(ALICE, held.id)

    for_bob = await tracker.work_items.ready(actor=BOB)
    for_alice = await tracker.work_items.ready(actor=ALICE)
    projects = await tracker.work_items.ready(item_type=ItemType.PROJECT)

    assert [(r.id, r.version) for r in for_bob.items] == [(free.id, 1)]
    assert [(r.id, r.claimed_by, r.version) for r in for_alice.items] == [
        (held.id, ALICE, 2),
        (free.id, None, 1),
    ]
    assert [r.title for r in projects.items] == ["A project"]


async def test_a_failed_claim_writes_nothing(tracker: Tracker) -> None:
    item = await create_item(tracker, "Held")
    await tracker.claims.claim(ALICE, item.id)
    before = await tracker.work_items.history(item.id)

    with pytest.raises(ClaimedError):
        await tracker.claims.claim(BOB, item.id)

    assert await tracker.work_items.history(item.id) == before
    assert (await tracker.work_items.get(item.id)).claimed_by == ALICE


async def test_setting_status_by_update_ends_the_claim(tracker: Tracker) -> None:
    item = await create_item(tracker, "Held")
    claimed = await tracker.claims.claim(ALICE, item.id)

    updated = await update_item(tracker, item, claimed.version, status="blocked")

    assert (updated.status, updated.claimed_by, updated.claim_expires_at) == (
        WorkItemStatus.BLOCKED,
        None,
        None,
    )


async def test_refusals_name_the_id_argument_the_caller_gave(tracker: Tracker) -> None:
    """The tools and the CLI take the item as `id` (the CLI's ID), so errors name `id`."""
    blocker = await create_item(tracker, "Blocker")
    waiting = await create_item(tracker, "Waiting")
    await depend(tracker, waiting, "depends_on", blocker)
    done = await create_item(tracker, "Done", status="completed")
    held_by_hand = await create_item(tracker, "Blocked by hand", status="blocked")
    free = await create_item(tracker, "Free")
    gone = await create_item(tracker, "Gone")
    await update_item(tracker, gone, 1, deleted=True)

    refusals: list[Callable[[], Awaitable[object]]] = [
        lambda: tracker.claims.claim(ALICE, "not an id"),
        lambda: tracker.claims.claim(ALICE, waiting.id),
        lambda: tracker.claims.claim(ALICE, done.id),
        lambda: tracker.claims.claim(ALICE, held_by_hand.id),
        lambda: tracker.claims.claim(ALICE, gone.id),
        lambda: tracker.claims.release(free.id, ALICE),
        lambda: tracker.claims.complete(done.id, ALICE),
        lambda: tracker.claims.complete(gone.id, ALICE),
    ]
    for refusal in refusals:
        with pytest.raises(ValidationError) as refused:
            await refusal()
        assert [e["field"] for e in refused.value.details["errors"]] == ["id"], refused.value.details
        assert refused.value.message.startswith("id: "), refused.value.message


async def test_arguments_that_need_or_exclude_an_id_say_so_by_its_name(tracker: Tracker) -> None:
    item = await create_item(tracker, "Named")

    with pytest.raises(ValidationError) as versioned:
        await tracker.claims.claim(ALICE, version=1)
    with pytest.raises(ValidationError) as narrowed:
        await tracker.claims.claim(ALICE, item.id, item_type=ItemType.TASK)

    assert "give id too" in versioned.value.message
    assert "without id" in narrowed.value.message and "item" not in narrowed.value.message.split(":", 1)[1]


async def test_nothing_ready_counts_the_callers_own_claims_apart_from_others(tracker: Tracker) -> None:
    mine = await create_item(tracker, "Mine", priority=1)
    await create_item(tracker, "Bob's", priority=2)
    await tracker.claims.claim(ALICE, mine.id)
    await tracker.claims.claim(BOB)

    with pytest.raises(NotFoundError) as alice_finds_none:
        await tracker.claims.claim(ALICE)

    details = alice_finds_none.value.details
    assert (details["claimed_by_others"], details["claimed_by_you"], details["blocked"]) == (1, 1, 0)
    assert "1 open item(s) are claimed by others, 1 by you, and 0 wait" in alice_finds_none.value.message


async def _claimed_long_ago(tracker: Tracker, title: str) -> str:
    item = await create_item(tracker, title)
    with running(Operation(at=datetime.now(UTC) - timedelta(hours=2))):
        await tracker.claims.claim(ALICE, item.id, lease_minutes=10)
    return item.id


async def test_an_update_records_the_expiry_of_a_lease_that_ran_out(tracker: Tracker) -> None:
    item_id = await _claimed_long_ago(tracker, "Abandoned, then edited")

    edited = await update_item(tracker, item_id, 2, BOB, title="Edited by Bob")

    assert (edited.claimed_by, edited.claim_expires_at) == (None, None)
    assert await actions(tracker, item_id) == ["created", "claimed", "claim_expired", "updated"]
    updated, expired = (await tracker.work_items.history(item_id))[:2]
    assert (expired.actor, expired.changes["claimed_by"]) == (BOB, {"old": ALICE, "new": None})
    assert set(updated.changes) == {"title"}


async def test_an_update_ending_an_expired_claim_records_the_expiry_first(tracker: Tracker) -> None:
    item_id = await _claimed_long_ago(tracker, "Abandoned, then finished by hand")

    done = await update_item(tracker, item_id, 2, BOB, status="completed")

    assert done.status is WorkItemStatus.COMPLETED and done.claimed_by is None
    updated, expired = (await tracker.work_items.history(item_id))[:2]
    assert (expired.action, expired.changes["claimed_by"]["old"]) == ("claim_expired", ALICE)
    assert set(updated.changes) == {"status"}


async def test_an_update_leaves_a_live_lease_and_a_no_op_writes_nothing(tracker: Tracker) -> None:
    live = await create_item(tracker, "Held")
    await tracker.claims.claim(ALICE, live.id)
    stale_id = await _claimed_long_ago(tracker, "Abandoned")

    edited = await update_item(tracker, live, 2, BOB, title="Held, edited")
    unchanged = await update_item(tracker, stale_id, 2, BOB, title="Abandoned")

    assert edited.claimed_by == ALICE
    assert await actions(tracker, live.id) == ["created", "claimed", "updated"]
    assert unchanged.version == 2 and unchanged.claimed_by == ALICE
    assert await actions(tracker, stale_id) == ["created", "claimed"]
