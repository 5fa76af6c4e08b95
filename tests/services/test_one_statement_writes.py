"""Writes made as one statement (`store.one_statement`, PostgreSQL reached directly) leave the
same rows and audit events as the same writes made in a transaction, on both backends: inside
`Database.transaction()` (an import's shared transaction) every write takes the transactional
path, so each case runs both ways and the two results are compared."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from project_status.domain.errors import VersionConflictError
from project_status.domain.operation import Operation, running
from project_status.domain.work_items import WorkItemRead
from project_status.services.tracker import Tracker
from tests.helpers import create_item, update_item

ALICE, BOB = "alice", "bob"
LONG_AGO = timedelta(hours=2)

Case = Callable[[Tracker, WorkItemRead], Awaitable[WorkItemRead]]


async def _status_after_lapsed_claim(tracker: Tracker, item: WorkItemRead) -> WorkItemRead:
    with running(Operation(at=datetime.now(UTC) - LONG_AGO)):
        await tracker.claims.claim(ALICE, item.id, lease_minutes=10)
    return await update_item(tracker, item.id, 2, BOB, status="blocked")


async def _metadata_and_title(tracker: Tracker, item: WorkItemRead) -> WorkItemRead:
    return await update_item(
        tracker, item.id, 1, title="Renamed", priority=1, metadata={"estimated_hours": 3.5}
    )


async def _claim_then_renew(tracker: Tracker, item: WorkItemRead) -> WorkItemRead:
    await tracker.claims.claim(ALICE, item.id)
    return await tracker.claims.claim(ALICE, item.id, lease_minutes=45, version=2)


async def _claim_after_lapsed_claim(tracker: Tracker, item: WorkItemRead) -> WorkItemRead:
    with running(Operation(at=datetime.now(UTC) - LONG_AGO)):
        await tracker.claims.claim(ALICE, item.id, lease_minutes=10)
    return await tracker.claims.claim(BOB, item.id)


async def _child(tracker: Tracker, item: WorkItemRead) -> WorkItemRead:
    return await create_item(tracker, "A child", parent=item, priority=2, metadata={"actual_hours": 1})


async def _release(tracker: Tracker, item: WorkItemRead) -> WorkItemRead:
    await tracker.claims.claim(ALICE, item.id)
    return await tracker.claims.release(item.id, ALICE)


async def _release_after_lapsed_claim(tracker: Tracker, item: WorkItemRead) -> WorkItemRead:
    with running(Operation(at=datetime.now(UTC) - LONG_AGO)):
        await tracker.claims.claim(ALICE, item.id, lease_minutes=10)
    return await tracker.claims.release(item.id, BOB)


async def _top_level(tracker: Tracker, item: WorkItemRead) -> WorkItemRead:
    return await create_item(tracker, "A top-level one", priority=1, metadata={"estimated_hours": 2})


async def _nothing_changes(tracker: Tracker, item: WorkItemRead) -> WorkItemRead:
    return await update_item(tracker, item.id, 1, title=item.title)


CASES: dict[str, Case] = {
    "status after a lapsed claim": _status_after_lapsed_claim,
    "metadata and title": _metadata_and_title,
    "claim, then renew": _claim_then_renew,
    "claim after a lapsed claim": _claim_after_lapsed_claim,
    "create under a parent": _child,
    "release": _release,
    "release after a lapsed claim": _release_after_lapsed_claim,
    "create at the top": _top_level,
    "an update that changes nothing": _nothing_changes,
}


@asynccontextmanager
async def _in_transaction(tracker: Tracker) -> AsyncIterator[None]:
    async with tracker.db.transaction():
        yield


def _shape(value: Any, names: dict[str, str]) -> Any:
    """`value` with the ids and times that differ between two runs replaced by what they are."""
    if isinstance(value, dict):
        return {key: _shape(item, names) for key, item in value.items()}
    if isinstance(value, list):
        return [_shape(item, names) for item in value]
    if isinstance(value, str):
        for real, name in names.items():
            value = value.replace(real, name)
        try:
            datetime.fromisoformat(value)
        except ValueError:
            return value
        return "<time>"
    if isinstance(value, datetime):
        return "<time>"
    return value


async def _run(tracker: Tracker, case: Case, transactional: bool) -> tuple[Any, Any]:
    parent = await create_item(tracker, "The parent", item_type="session")
    item = await create_item(tracker, "The item", parent=parent)
    if transactional:
        async with _in_transaction(tracker):
            answer = await case(tracker, item)
    else:
        answer = await case(tracker, item)
    names = {parent.id: "<parent>", item.id: "<item>", answer.id: "<answer>"}
    stored = await tracker.work_items.get(answer.id, include_children=False)
    assert stored.version == answer.version and stored.updated_at == answer.updated_at
    history = [
        (event.action, event.actor, _shape(event.changes, names))
        for event in reversed(await tracker.work_items.history(answer.id))
    ]
    row = _shape(answer.model_dump(mode="json", exclude={"created_at", "updated_at"}), names)
    return row, history


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
async def test_a_write_leaves_the_row_and_events_its_transactional_path_leaves(
    tracker: Tracker, case: str
) -> None:
    at_once = await _run(tracker, CASES[case], transactional=False)
    in_transaction = await _run(tracker, CASES[case], transactional=True)

    assert at_once == in_transaction


async def test_of_two_updates_at_one_version_one_wins_and_the_other_names_the_winner(
    tracker: Tracker,
) -> None:
    for round_ in range(5):
        item = await create_item(tracker, f"Contested {round_}")
        results = await asyncio.gather(
            update_item(tracker, item.id, 1, ALICE, status="blocked"),
            update_item(tracker, item.id, 1, BOB, title="Retitled"),
            return_exceptions=True,
        )
        won = [result for result in results if isinstance(result, WorkItemRead)]
        lost = [result for result in results if isinstance(result, VersionConflictError)]
        assert (len(won), len(lost)) == (1, 1), results
        winner = ALICE if won[0].status.value == "blocked" else BOB
        assert lost[0].details == {
            "entity": "work item",
            "id": item.id,
            "expected_version": 1,
            "current_version": 2,
            "updated_by": winner,
            "updated_at": won[0].updated_at.isoformat(),
        }
        history = await tracker.work_items.history(item.id)
        assert [event.action for event in history] == ["updated", "created"]


async def test_of_two_claims_of_one_item_exactly_one_wins(tracker: Tracker) -> None:
    for round_ in range(5):
        item = await create_item(tracker, f"Wanted {round_}")
        results = await asyncio.gather(
            tracker.claims.claim(ALICE, item.id),
            tracker.claims.claim(BOB, item.id),
            return_exceptions=True,
        )
        won = [result for result in results if isinstance(result, WorkItemRead)]
        assert len(won) == 1, results
        refused = next(result for result in results if not isinstance(result, WorkItemRead))
        assert type(refused).__name__ == "ClaimedError", refused
        assert [e.action for e in await tracker.work_items.history(item.id)] == ["claimed", "created"]
