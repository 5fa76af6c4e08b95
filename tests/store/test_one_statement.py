"""The one-statement write (`store.one_statement`) on PostgreSQL: a guard that fails writes
nothing (no row, no event, no ledger row); a write the router runs reads its row in the mirror
and sends one statement, no BEGIN or COMMIT; a mirror row unlike PostgreSQL's changes nothing."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, event, func, select, update

from project_status.domain.enums import ItemType
from project_status.domain.work_items import WorkItemCreate, WorkItemRead, WorkItemUpdate
from project_status.services.fallback import mirror as mirror_module
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


async def test_only_a_write_that_took_counts_as_a_committed_write(tracker: Tracker) -> None:
    """The live report and the CLI read `writes_committed` as "something changed"."""
    item = await create_item(tracker, "a")
    await update_item(tracker, item, 1, title="moved on")
    values = {"title": "b", "updated_at": datetime.now(UTC), "updated_by": ACTOR}
    for version, counted in ((1, 0), (2, 1)):  # a guard that failed, then one that held
        before = tracker.db.writes_committed
        async with one_statement.writer(tracker.db) as writer:
            assert writer is not None
            await writer.update_item(uuid.UUID(item.id), version, values, [_event("updated")])
        assert tracker.db.writes_committed - before == counted


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


async def test_through_the_router_a_write_is_one_statement(pg: PostgresTestDatabase, tmp_path: Path) -> None:
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
            sent = [" ".join(sql.split())[:40] for sql in statements.sent]
            assert len(sent) == 1, (name, sent)  # the row (or parent) was read in the mirror
            assert sent[0].startswith("WITH "), (name, sent)
            await tracker.mirror.settled()
        assert (await _counts(tracker))[2] == ledger + 3  # each write's ledger row, in its statement
    finally:
        await tracker.close()


async def test_a_write_on_a_row_still_queued_for_the_mirror_reads_postgresqls_row(
    pg: PostgresTestDatabase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The mirror's row of an item whose write-through is still gathered is older than
    PostgreSQL's: a write on it reads PostgreSQL's row (two statements), while a write on
    another item still reads the mirror's (one)."""
    monkeypatch.setattr(mirror_module, "GATHER_QUIET", 600.0)  # held until settled
    monkeypatch.setattr(mirror_module, "GATHER_LONGEST", 600.0)
    tracker = await Tracker.open(Settings(database_url=pg.url, data_dir=tmp_path / ".project-status"))
    try:
        assert tracker.router is not None and tracker.mirror is not None
        tracker.router.regenerate_report = False
        queued, other = [await create_item(tracker, title) for title in ("queued", "other")]
        await tracker.mirror.settled()
        statements = _Statements(tracker)
        await tracker.work_items.update(queued.id, 1, WorkItemUpdate(title="u1"), ACTOR)  # now queued
        sent: list[int] = []
        for item, version in ((queued, 2), (other, 1), (queued, 3)):
            statements.sent.clear()
            await tracker.work_items.update(item.id, version, WorkItemUpdate(title=f"v{version}"), ACTOR)
            sent.append(len(statements.sent))
        assert sent == [2, 1, 2]
        await tracker.mirror.settled()
        mirrored = tracker.work_items.on(tracker.mirror.db)
        assert [
            (found.title, found.version)
            for found in [await mirrored.get(queued.id), await mirrored.get(other.id)]
        ] == [
            ("v3", 4),
            ("v1", 2),
        ]
    finally:
        await tracker.close()


@pytest.fixture
async def routed(pg: PostgresTestDatabase, tmp_path: Path) -> AsyncIterator[Tracker]:
    """A tracker on PostgreSQL with its mirror, as a server opens it."""
    opened = await Tracker.open(Settings(database_url=pg.url, data_dir=tmp_path / ".project-status"))
    try:
        assert opened.router is not None and opened.mirror is not None
        opened.router.regenerate_report = False
        yield opened
    finally:
        await opened.close()


async def _in_mirror(tracker: Tracker, item_ids: list[str], values: dict[str, Any] | None) -> None:
    """Change the mirror behind the tracker's back (None: delete the rows): a copy that differs
    from PostgreSQL's."""
    assert tracker.mirror is not None
    await tracker.mirror.settled()
    ids = [uuid.UUID(item_id) for item_id in item_ids]
    async with tracker.mirror.db.unit_of_work(write=True) as session:
        if values is None:
            changed = await session.execute(delete(WorkItem).where(WorkItem.id.in_(ids)))
        else:
            changed = await session.execute(update(WorkItem).where(WorkItem.id.in_(ids)).values(**values))
        assert changed.rowcount == len(ids)  # type: ignore[attr-defined]


MIRROR_CHANGES: dict[str, dict[str, Any] | None] = {
    "other title": {"title": "only in the mirror"},
    "other version": {"version": 6},
    "missing": None,
    "completed": {"status": "completed"},
    "other metadata": {"metadata_": {"estimated_hours": 2.0}},
}


@pytest.mark.parametrize("change", list(MIRROR_CHANGES), ids=list(MIRROR_CHANGES))
async def test_a_write_that_read_a_mirror_row_unlike_postgresql_writes_postgresql_row(
    routed: Tracker, change: str
) -> None:
    """The mirror's row is a first guess only: one that differs from PostgreSQL's in any column
    neither refuses the write nor shapes it."""
    item = await create_item(routed, "as in PostgreSQL")
    await _in_mirror(routed, [item.id], MIRROR_CHANGES[change])
    statements = _Statements(routed)

    done = await update_item(routed, item, 1, status="blocked")

    assert len(statements.sent) >= 2, statements.sent  # the mirror's guess did not make the write
    assert (done.title, done.version, done.status.value, done.metadata) == (
        "as in PostgreSQL",
        2,
        "blocked",
        {},
    )
    updated = (await routed.work_items.history(item.id))[0]
    assert (updated.action, updated.changes) == ("updated", {"status": {"old": "active", "new": "blocked"}})


async def test_an_update_that_changes_nothing_answers_postgresql_row_not_the_mirror_one(
    routed: Tracker,
) -> None:
    item = await create_item(routed, "as in PostgreSQL")
    await _in_mirror(routed, [item.id], {"title": "only in the mirror"})

    same = await update_item(routed, item, 1, status="active")

    assert (same.title, same.version) == ("as in PostgreSQL", 1)


async def test_a_claim_and_a_create_that_read_a_mirror_row_unlike_postgresql_follow_postgresql(
    routed: Tracker,
) -> None:
    parent = await create_item(routed, "parent", item_type="session")
    item = await create_item(routed, "task", parent=parent)
    later = datetime.now(UTC) + timedelta(days=1)
    await _in_mirror(
        routed,
        [item.id, parent.id],
        {"claimed_by": "someone else", "claim_expires_at": later, "path": "/elsewhere", "depth": 3},
    )
    statements = _Statements(routed)

    claimed = await routed.claims.claim(ACTOR, item=item.id)
    child = await create_item(routed, "child", parent=item)

    assert len(statements.sent) >= 4, statements.sent  # neither guess made its write
    assert (claimed.claimed_by, claimed.version) == (ACTOR, 2)
    assert (child.path, child.depth) == (f"/{parent.id}/{item.id}/{child.id}", 2)
