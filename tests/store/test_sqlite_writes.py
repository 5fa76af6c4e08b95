"""SQLite's inline writes (`store.sqlite_writes`): update, create, claim and release run their
own write transaction without a unit of work, count as a unit of work that wrote counts, and
of two writers on one file (two processes' connections) exactly one wins a version or a claim.

The rows and events they leave are compared with the transactional path's in
tests/services/test_one_statement_writes.py (both backends).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import pytest

from project_status.domain.errors import ClaimedError, NotFoundError, VersionConflictError
from project_status.domain.work_items import WorkItemRead
from project_status.services.tracker import Tracker
from project_status.store.database import Database
from tests.helpers import create_item, update_item

ALICE, BOB = "alice", "bob"
pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


@asynccontextmanager
async def _counting_units_of_work(db: Database) -> AsyncIterator[list[bool]]:
    """The `write` flag of each unit of work `db` opens meanwhile."""
    opened: list[bool] = []
    original = db.unit_of_work

    def counted(*, write: bool = False) -> AbstractAsyncContextManager[Any]:
        opened.append(write)
        return original(write=write)

    db.unit_of_work = counted  # type: ignore[method-assign]
    try:
        yield opened
    finally:
        del db.unit_of_work


async def _inline(tracker: Tracker, write: Callable[[], Awaitable[Any]]) -> Any:
    """`write`'s answer, checking it ran inline: no unit of work, one write counted."""
    before = tracker.db.writes_committed
    async with _counting_units_of_work(tracker.db) as opened:
        answer = await write()
    assert opened == []
    assert tracker.db.writes_committed == before + 1
    return answer


async def test_the_four_writes_run_inline_and_count_as_writes(tracker: Tracker) -> None:
    item = await _inline(tracker, lambda: create_item(tracker, "top"))
    child = await _inline(tracker, lambda: create_item(tracker, "child", parent=item))
    updated = await _inline(tracker, lambda: update_item(tracker, child.id, 1, status="blocked"))
    unchanged = await _inline(tracker, lambda: update_item(tracker, child.id, 2, title="child"))
    assert (updated.version, unchanged.version) == (2, 2)
    claimed = await _inline(tracker, lambda: tracker.claims.claim(ALICE, item.id))
    released = await _inline(tracker, lambda: tracker.claims.release(item.id, ALICE))
    assert (claimed.version, released.version, released.claimed_by) == (2, 3, None)
    history = await tracker.work_items.history(item.id)
    assert [event.action for event in history] == ["released", "claimed", "created"]


async def test_a_refused_write_counts_nothing_and_leaves_nothing(tracker: Tracker) -> None:
    item = await create_item(tracker, "item")
    await tracker.claims.claim(ALICE, item.id)
    before = tracker.db.writes_committed
    with pytest.raises(VersionConflictError):
        await update_item(tracker, item.id, 1, title="late")
    with pytest.raises(ClaimedError):
        await tracker.claims.release(item.id, BOB)
    with pytest.raises(ClaimedError):
        await tracker.claims.claim(BOB, item.id)
    with pytest.raises(NotFoundError):
        await create_item(tracker, "orphan", parent="0" * 32)
    assert tracker.db.writes_committed == before
    stored = await tracker.work_items.get(item.id, include_children=False)
    assert (stored.version, stored.claimed_by) == (2, ALICE)
    assert [event.action for event in await tracker.work_items.history(item.id)] == ["claimed", "created"]


@pytest.fixture
async def other(tracker: Tracker) -> AsyncIterator[Tracker]:
    """A second tracker on the same file: another process's connections and write queue."""
    opened = await Tracker.open(url=tracker.db.url)
    try:
        yield opened
    finally:
        await opened.close()


async def test_of_two_writers_on_one_file_exactly_one_wins_a_version(
    tracker: Tracker, other: Tracker
) -> None:
    for round_ in range(5):
        item = await create_item(tracker, f"Contested {round_}")
        results = await asyncio.gather(
            update_item(tracker, item.id, 1, ALICE, status="blocked"),
            update_item(other, item.id, 1, BOB, title="Retitled"),
            return_exceptions=True,
        )
        won = [result for result in results if isinstance(result, WorkItemRead)]
        lost = [result for result in results if isinstance(result, VersionConflictError)]
        assert (len(won), len(lost)) == (1, 1), results
        assert lost[0].details["current_version"] == 2
        assert lost[0].details["updated_by"] == won[0].updated_by
        history = await tracker.work_items.history(item.id)
        assert [event.action for event in history] == ["updated", "created"]


async def test_of_two_claimers_on_one_file_exactly_one_wins(tracker: Tracker, other: Tracker) -> None:
    for round_ in range(5):
        item = await create_item(tracker, f"Wanted {round_}")
        results = await asyncio.gather(
            tracker.claims.claim(ALICE, item.id),
            other.claims.claim(BOB, item.id),
            return_exceptions=True,
        )
        won = [result for result in results if isinstance(result, WorkItemRead)]
        assert len(won) == 1, results
        refused = next(result for result in results if not isinstance(result, WorkItemRead))
        assert isinstance(refused, ClaimedError), refused
        stored = await tracker.work_items.get(item.id, include_children=False)
        assert (stored.version, stored.claimed_by) == (2, won[0].claimed_by)
        assert [e.action for e in await tracker.work_items.history(item.id)] == ["claimed", "created"]
