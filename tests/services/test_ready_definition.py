"""Ready work (its pages and its total) against its definition, checked after each kind of change.

The definition is recomputed here from all the rows, in Python: live, active or in progress, of
an actionable type, every blocker (`X depends_on B`, `B blocks X`) completed or deleted, and no
live lease of another actor. Ready work is read page by page with a small limit, so the walk in
ready order and the cursor are exercised, and its total must match as well.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from project_status.domain.enums import DependencyType
from project_status.domain.operation import Operation, running
from project_status.services.tracker import Tracker
from project_status.store.tables import WorkItem, WorkItemDependency
from tests.helpers import ACTOR, create_item, depend, update_item

ALICE = "agent-alice"
BOB = "agent-bob"


async def expected(tracker: Tracker, actor: str | None) -> list[str]:
    """The ready ids by the definition, in ready order (priority, then oldest, then id)."""
    moment = datetime.now(UTC)
    async with tracker.db.unit_of_work() as session:
        items = {row.id: row for row in (await session.execute(select(WorkItem))).scalars()}
        edges = (await session.execute(select(WorkItemDependency))).scalars().all()

    def open_blocker(item_id: object) -> bool:
        blocker = items[item_id]  # type: ignore[index]
        return blocker.deleted_at is None and blocker.status != "completed"

    blocked = {
        edge.source_id
        for edge in edges
        if edge.dependency_type == DependencyType.DEPENDS_ON.value and open_blocker(edge.target_id)
    } | {
        edge.target_id
        for edge in edges
        if edge.dependency_type == DependencyType.BLOCKS.value and open_blocker(edge.source_id)
    }

    def held_by_another(row: WorkItem) -> bool:
        live = row.claim_expires_at is not None and row.claim_expires_at > moment
        return row.claimed_by is not None and live and row.claimed_by != actor

    ready = [
        row
        for row in items.values()
        if row.deleted_at is None
        and row.status in ("active", "in_progress")
        and row.item_type in ("task", "research")
        and row.id not in blocked
        and not held_by_another(row)
    ]
    ready.sort(key=lambda row: (row.priority, row.created_at, str(row.id)))
    return [str(row.id) for row in ready]


async def served(tracker: Tracker, actor: str | None) -> tuple[list[str], list[int]]:
    """Every ready id, page by page (two a page), and the total each page gave."""
    ids: list[str] = []
    totals: list[int] = []
    cursor: str | None = None
    while True:
        page = await tracker.work_items.ready(actor=actor, limit=2, cursor=cursor)
        ids += [item.id for item in page.items]
        totals.append(page.total)
        cursor = page.next_cursor
        if cursor is None:
            return ids, totals


async def check(tracker: Tracker) -> list[str]:
    """Ready work as served equals the definition, for no actor, Alice and Bob; the ids (no actor)."""
    for actor in (None, ALICE, BOB):
        want = await expected(tracker, actor)
        ids, totals = await served(tracker, actor)
        assert ids == want, actor
        assert set(totals) == {len(want)}, actor
        assert (await tracker.changes.summary()).ready == len(await expected(tracker, None))
    return await expected(tracker, None)


async def test_ready_pages_and_total_match_the_definition_in_a_mixed_store(tracker: Tracker) -> None:
    first = await create_item(tracker, "Open blocker", priority=2)
    second = await create_item(tracker, "Second open blocker", priority=4)
    done = await create_item(tracker, "Done blocker", status="completed")
    gone = await create_item(tracker, "Deleted blocker")
    stuck = await create_item(tracker, "Blocked by hand", status="blocked")
    twice = await create_item(tracker, "Waits on two", priority=1)
    await depend(tracker, twice, "depends_on", first)
    await depend(tracker, second, "blocks", twice)
    freed = await create_item(tracker, "Waits on finished ones", priority=1)
    await depend(tracker, freed, "depends_on", done)
    await depend(tracker, gone, "blocks", freed)
    await update_item(tracker, gone, 1, deleted=True)
    waits_on_stuck = await create_item(tracker, "Waits on a blocked one", priority=3)
    await depend(tracker, stuck, "blocks", waits_on_stuck)
    for priority in (5, 3, 3, 1):
        await create_item(tracker, f"Plain {priority}", priority=priority)
    await create_item(tracker, "A study", item_type="research", priority=2)
    await create_item(tracker, "A session", item_type="session", priority=1)
    await tracker.claims.claim(ALICE, (await create_item(tracker, "Held by Alice", priority=1)).id)
    with running(Operation(at=datetime.now(UTC) - timedelta(hours=2))):
        lapsed = await create_item(tracker, "Bob's lease ran out")
        await tracker.claims.claim(BOB, lapsed.id, lease_minutes=10)

    ready = await check(tracker)

    assert freed.id in ready and twice.id not in ready and waits_on_stuck.id not in ready


async def test_readiness_follows_dependencies_statuses_deletes_and_claims(tracker: Tracker) -> None:
    blocker = await create_item(tracker, "Blocker", priority=3)
    waiting = await create_item(tracker, "Waiting", priority=1)
    for n in range(3):
        await create_item(tracker, f"Filler {n}", priority=2)
    assert waiting.id in await check(tracker)

    await depend(tracker, waiting, "depends_on", blocker)
    assert waiting.id not in await check(tracker)

    await tracker.dependencies.remove(waiting.id, blocker.id, DependencyType.DEPENDS_ON, ACTOR)
    assert waiting.id in await check(tracker)

    await depend(tracker, blocker, "blocks", waiting)
    assert waiting.id not in await check(tracker)

    completed = await tracker.claims.complete(blocker.id, ALICE)
    assert waiting.id in await check(tracker)

    reopened = await update_item(tracker, blocker, completed.version, status="active")
    assert waiting.id not in await check(tracker)

    deleted = await update_item(tracker, blocker, reopened.version, deleted=True)
    assert waiting.id in await check(tracker)

    await update_item(tracker, blocker, deleted.version, deleted=False)
    assert waiting.id not in await check(tracker)

    await tracker.dependencies.remove(blocker.id, waiting.id, DependencyType.BLOCKS, ACTOR)
    claimed = await tracker.claims.claim(ALICE, waiting.id)
    ready = await check(tracker)  # hidden from Bob and from no actor, listed for Alice
    assert waiting.id not in ready

    await tracker.claims.release(waiting.id, ALICE)
    assert waiting.id in await check(tracker)
    assert claimed.version > waiting.version


async def test_a_page_past_the_last_ready_item_still_gives_the_total(tracker: Tracker) -> None:
    first = await create_item(tracker, "First", priority=1)
    later = [await create_item(tracker, f"Later {n}", priority=2) for n in range(2)]
    page = await tracker.work_items.ready(limit=1)
    for item in later:
        await tracker.claims.complete(item.id, ALICE)

    rest = await tracker.work_items.ready(limit=1, cursor=page.next_cursor)

    assert [item.id for item in page.items] == [first.id] and page.total == 3
    assert rest.items == [] and rest.total == 1 and rest.next_cursor is None
