"""The mirror's copy of a PostgreSQL primary: consistent, and cheap after the first time
(the audit trail from where it stopped, the archive only when it changed)."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from project_status.domain.work_items import WorkItemCreate, WorkItemUpdate
from project_status.services.fallback.mirror import Mirror
from project_status.services.tracker import Tracker
from project_status.store.tables import Event
from tests.conftest import PostgresServer, PostgresTestDatabase, require_postgres
from tests.services.test_archive import age, finished


@pytest.fixture
async def primary(
    postgres_server: PostgresServer, postgres_database: PostgresTestDatabase | None
) -> AsyncIterator[Tracker]:
    require_postgres(postgres_server)
    assert postgres_database is not None
    await postgres_database.reset()
    tracker = await Tracker.open(url=postgres_database.url)
    try:
        yield tracker
    finally:
        await tracker.close()


def rows(path: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as conn:
        return conn.execute(sql).fetchall()


async def primary_events(tracker: Tracker) -> list[int]:
    async with tracker.db.connection() as conn:
        return list((await conn.execute(Event.__table__.select().order_by(Event.id))).scalars())


async def test_a_second_copy_takes_only_the_new_events_and_replaces_local_ones(
    primary: Tracker, tmp_path: Path
) -> None:
    mirror = Mirror(tmp_path / "cache.db", primary.db)
    try:
        item = await primary.work_items.create(WorkItemCreate(item_type="project", title="One"), "t")
        first = await mirror.refresh()
        assert first.refreshed and first.rows > 0
        # an event made on the mirror alone (as a write-through or an offline write makes them)
        mirrored = Tracker(mirror.db)
        await mirrored.work_items.update(str(item.id), 1, WorkItemUpdate(title="local"), "t")
        await primary.work_items.update(str(item.id), 1, WorkItemUpdate(title="Two"), "t")

        second = await mirror.refresh()
        assert second.refreshed
        ids = [r[0] for r in rows(mirror.path, "SELECT id FROM events ORDER BY id")]
        assert ids == await primary_events(primary), "the primary's events, once each, the local one gone"
        assert rows(mirror.path, "SELECT title, version FROM work_items") == [("Two", 2)]
        [(through,)] = rows(mirror.path, "SELECT events_through FROM sync_mirror_state")
        assert through == ids[-1]
    finally:
        await mirror.dispose()


async def test_the_archive_is_copied_again_only_when_it_changed(primary: Tracker, tmp_path: Path) -> None:
    mirror = Mirror(tmp_path / "cache.db", primary.db)
    try:
        old = [await finished(primary, f"old {n}", item_type="project") for n in range(3)]
        await age(primary, *old)
        await primary.archive.run(actor="t")
        copied = await mirror.refresh()
        assert rows(mirror.path, "SELECT count(*) FROM archived_work_items") == [(3,)]
        unchanged = await mirror.refresh()
        assert unchanged.rows < copied.rows - 3  # the archive rows were not copied again
        await primary.archive.restore(str(old[0].id), "t")
        await mirror.refresh()
        assert rows(mirror.path, "SELECT count(*) FROM archived_work_items") == [(2,)]
        assert rows(mirror.path, "SELECT count(*) FROM work_items") == [(1,)]
    finally:
        await mirror.dispose()
