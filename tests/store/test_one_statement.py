"""The one-statement write (`store.one_statement`) on PostgreSQL: a guard that fails writes
nothing (no row, no event, no ledger row), and a write the router runs takes no transaction of
its own: its round trips are the read and the write, and neither is BEGIN or COMMIT."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select

from project_status.domain.enums import ItemType
from project_status.domain.work_items import WorkItemCreate, WorkItemRead, WorkItemUpdate
from project_status.services.tracker import Tracker
from project_status.settings import Settings
from project_status.store import one_statement
from project_status.store.tables import AppliedOperation, Event, WorkItem
from project_status.store.work_items import READ_BY_ID
from tests.conftest import PostgresTestDatabase
from tests.helpers import create_item, depend, update_item

ACTOR = "guard-test"


@pytest.fixture
async def tracker(pg: PostgresTestDatabase) -> AsyncIterator[Tracker]:
    opened = await Tracker.open(url=pg.url)
    try:
        yield opened
    finally:
        await opened.close()


async def _counts(tracker: Tracker) -> tuple[int, int, int]:
    """Work items, events and ledger rows."""
    async with tracker.db.unit_of_work() as session:
        found = []
        for table in (WorkItem, Event, AppliedOperation):
            found.append(int((await session.execute(select(func.count()).select_from(table))).scalar_one()))
    return found[0], found[1], found[2]


def _event(action: str) -> one_statement.Event:
    return one_statement.Event(action, ACTOR, datetime.now(UTC), {"title": {"old": "a", "new": "b"}})


async def _guarded_update(
    tracker: Tracker, item: WorkItemRead, version: int, *, claimable: bool = False
) -> Any:
    """The update of `item` at `version`, with the ledger row the router would offer."""
    async with tracker.db.transaction() as session:
        ledger = one_statement.offer(session, uuid.uuid4(), "update_work_item", datetime.now(UTC))
        async with one_statement.writer(tracker.db) as writer:
            assert writer is not None
            values = {"title": "b", "updated_at": datetime.now(UTC), "updated_by": ACTOR}
            written = await writer.update_item(
                uuid.UUID(item.id), version, values, [_event("updated")], claimable=claimable
            )
    assert ledger.recorded == (written is not None)
    return written


async def test_an_update_at_a_version_that_moved_on_writes_nothing(tracker: Tracker) -> None:
    item = await create_item(tracker, "a")
    await update_item(tracker, item, 1, title="moved on")
    before = await _counts(tracker)

    assert await _guarded_update(tracker, item, 1) is None

    assert await _counts(tracker) == before
    assert (await tracker.work_items.get(item.id)).title == "moved on"


async def test_an_update_at_the_current_version_writes_the_row_its_events_and_the_ledger(
    tracker: Tracker,
) -> None:
    item = await create_item(tracker, "a")
    items, events, ledger = await _counts(tracker)

    written = await _guarded_update(tracker, item, 1)

    assert (written.version, written.title) == (2, "b")
    assert await _counts(tracker) == (items, events + 1, ledger + 1)


async def test_a_claim_guard_writes_nothing_once_an_open_blocker_holds_the_item(tracker: Tracker) -> None:
    blocker = await create_item(tracker, "first this")
    item = await create_item(tracker, "then this")
    await depend(tracker, item, "depends_on", blocker)
    before = await _counts(tracker)

    assert await _guarded_update(tracker, item, 1, claimable=True) is None

    assert await _counts(tracker) == before


@pytest.mark.parametrize("change", ["moved", "deleted"])
async def test_a_create_under_a_parent_that_moved_or_went_writes_nothing(
    tracker: Tracker, change: str
) -> None:
    home = await create_item(tracker, "home", item_type="project")
    parent = await create_item(tracker, "parent", item_type="session")
    async with tracker.db.reader() as reader:
        read = await reader.first(READ_BY_ID, {"id": uuid.UUID(parent.id)})
    assert read is not None
    if change == "moved":
        await update_item(tracker, parent, 1, parent_id=home.id)
    else:
        await update_item(tracker, parent, 1, deleted=True)
    before = await _counts(tracker)
    row = WorkItem(**read._asdict())
    child_id = uuid.uuid4()
    now = datetime.now(UTC)
    values = {key: None for key in one_statement.ATTRIBUTES} | {
        "id": child_id,
        "version": 1,
        "item_type": "task",
        "title": "child",
        "status": "active",
        "priority": 3,
        "parent_id": row.id,
        "path": f"{row.path}/{child_id}",
        "depth": row.depth + 1,
        "metadata_": {},
        "created_at": now,
        "created_by": ACTOR,
        "updated_at": now,
        "updated_by": ACTOR,
    }

    async with one_statement.writer(tracker.db) as writer:
        assert writer is not None
        assert await writer.insert_item(values, [_event("created")], row) is None

    assert await _counts(tracker) == before


class _Statements:
    """What the primary is sent: through SQLAlchemy, and past it on the driver (hot statements)."""

    def __init__(self, tracker: Tracker) -> None:
        self.sent: list[str] = []
        engine = tracker.db.engine.sync_engine
        event.listen(engine, "before_cursor_execute", lambda *args: self.sent.append(args[2]))
        event.listen(engine, "checkout", self._log_driver)

    def _log_driver(self, dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if not record.info.get("statements_logged"):
            dbapi_connection.driver_connection.add_query_logger(lambda query: self.sent.append(query.query))
            record.info["statements_logged"] = True


async def test_through_the_router_a_write_is_its_read_and_one_statement(
    pg: PostgresTestDatabase, tmp_path: Path
) -> None:
    tracker = await Tracker.open(Settings(database_url=pg.url, data_dir=tmp_path / ".project-status"))
    try:
        assert tracker.router is not None and tracker.mirror is not None
        tracker.router.regenerate_report = False
        parent = await tracker.work_items.create(WorkItemCreate(item_type=ItemType.SESSION, title="p"), ACTOR)
        item = await create_item(tracker, "t", parent=parent)
        await tracker.mirror.settled()
        statements = _Statements(tracker)
        writes = {
            "create": lambda: tracker.work_items.create(
                WorkItemCreate(item_type=ItemType.TASK, title="c", parent_id=parent.id), ACTOR
            ),
            "update": lambda: tracker.work_items.update(item.id, 1, WorkItemUpdate(title="u"), ACTOR),
            "claim": lambda: tracker.claims.claim(ACTOR, item=item.id),
        }
        _, _, ledger = await _counts(tracker)
        for name, write in writes.items():
            statements.sent.clear()
            await write()
            sent = [" ".join(text.split())[:40] for text in statements.sent]
            assert len(sent) == 2, (name, sent)
            assert not any(text.upper().startswith(("BEGIN", "COMMIT")) for text in sent), (name, sent)
            await tracker.mirror.settled()
        assert (await _counts(tracker))[2] == ledger + 3  # each write's ledger row, in its statement
    finally:
        await tracker.close()
