"""Quick reads on SQLite: the hot point reads run on a dedicated read-only connection in the
caller's thread, yet read exactly what the async path would: the latest committed state, written
by this process or another, and a transaction's own writes inside `transaction()`."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import subprocess
import sys
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError

from project_status.domain.enums import VendorStatus
from project_status.domain.vendors import VendorCreate, VendorUpdate
from project_status.services.tracker import Tracker
from project_status.store.database import Database
from project_status.store.prepared import PreparedReader
from project_status.store.readers import (
    InlineSqliteConnection,
    InlineSqliteReader,
    SessionReader,
)
from project_status.store.tables import Vendor
from tests.conftest import Backend


def _vendor(name: str) -> VendorCreate:
    return VendorCreate(name=name, status=VendorStatus.OPERATIONAL, extractor_version="1.0", metadata={})


def _copy(template: Path, folder: Path) -> Path:
    path = folder / "status.db"
    shutil.copyfile(template, path)
    return path


@pytest.fixture
async def sqlite_tracker(tmp_path: Path, sqlite_template: Path) -> AsyncIterator[Tracker]:
    path = _copy(sqlite_template, tmp_path)
    opened = await Tracker.open(url=f"sqlite+aiosqlite:///{path}")
    try:
        yield opened
    finally:
        await opened.close()


def _path(tracker: Tracker) -> str:
    database = tracker.db.engine.url.database
    assert database
    return database


async def test_sqlite_reads_take_the_quick_connection_and_postgresql_a_pooled_one(backend: Backend) -> None:
    tracker = await Tracker.open(url=backend.url)
    try:
        async with tracker.db.reader() as reader:
            expected = PreparedReader if backend.is_postgresql else InlineSqliteReader
            assert type(reader) is expected
    finally:
        await tracker.close()


async def test_a_write_by_another_process_is_read_at_once(sqlite_tracker: Tracker) -> None:
    await sqlite_tracker.vendors.create(_vendor("acme-bank"), "test")
    assert (await sqlite_tracker.vendors.query("acme-bank")).items[0].status == VendorStatus.OPERATIONAL
    script = (
        "import sqlite3, sys; c = sqlite3.connect(sys.argv[1], isolation_level=None); "
        "c.execute(\"UPDATE vendors SET status = 'broken', version = version + 1\")"
    )
    command = [sys.executable, "-c", script, _path(sqlite_tracker)]
    await asyncio.to_thread(subprocess.run, command, check=True, timeout=30)
    answer = await sqlite_tracker.vendors.query("acme-bank")
    assert answer.items[0].status == VendorStatus.BROKEN
    assert answer.items[0].version == 2


async def test_a_write_by_another_tracker_on_the_same_file_is_read_at_once(sqlite_tracker: Tracker) -> None:
    created = await sqlite_tracker.vendors.create(_vendor("acme-bank"), "test")
    other = await Tracker.open(url=f"sqlite+aiosqlite:///{_path(sqlite_tracker)}")
    try:
        for n in range(5):  # every read follows every write, back and forth
            version = created.version + n
            changes = VendorUpdate(extractor_version=f"2.{n}")
            await other.vendors.update("acme-bank", version, changes, "other")
            seen = (await sqlite_tracker.vendors.query("acme-bank")).items[0]
            assert (seen.extractor_version, seen.version) == (f"2.{n}", version + 1)
    finally:
        await other.close()


async def test_reads_inside_a_transaction_see_its_own_writes(sqlite_tracker: Tracker) -> None:
    async with sqlite_tracker.db.transaction():
        await sqlite_tracker.vendors.create(_vendor("uncommitted"), "test")
        async with sqlite_tracker.db.reader() as reader:
            assert isinstance(reader, SessionReader)
        assert (await sqlite_tracker.vendors.query("uncommitted")).total == 1
    assert (await sqlite_tracker.vendors.query("uncommitted")).total == 1


async def test_the_quick_connection_cannot_write(sqlite_tracker: Tracker) -> None:
    async with sqlite_tracker.db.reader() as reader:
        assert isinstance(reader, InlineSqliteReader) and reader.connection is not None
        with pytest.raises(OperationalError, match="readonly"):
            reader.connection.execute(text("DELETE FROM vendors"))


async def test_a_statement_the_quick_connection_cannot_run_is_run_on_the_async_path(
    sqlite_tracker: Tracker,
) -> None:
    await sqlite_tracker.vendors.create(_vendor("acme-bank"), "test")

    class Locked:
        """A connection SQLite answers "locked" on, through SQLAlchemy and on its own cursor."""

        closed = False

        def execute(self, *_: Any, **__: Any) -> Any:
            raise OperationalError("SELECT", {}, Exception("database is locked"))

        @property
        def connection(self) -> Any:
            return self

        @property
        def driver_connection(self) -> Any:
            return LockedDriver()

        def close(self) -> None:
            self.closed = True

    class LockedDriver:
        def execute(self, *_: Any, **__: Any) -> Any:
            raise sqlite3.OperationalError("database is locked")

    quick = sqlite_tracker.db._quick
    assert quick is not None
    locked = Locked()
    quick._connection, quick._thread = locked, threading.get_ident()  # type: ignore[assignment]
    answer = await sqlite_tracker.vendors.query("acme-bank")
    assert answer.items[0].name == "acme-bank"
    assert locked.closed  # and the next read opens a fresh connection
    assert (await sqlite_tracker.vendors.query("acme-bank")).total == 1


async def test_another_thread_gets_no_quick_connection(sqlite_tracker: Tracker) -> None:
    quick = sqlite_tracker.db._quick
    assert quick is not None and quick.connection() is not None
    seen: list[object] = []
    worker = threading.Thread(target=lambda: seen.append(quick.connection()))
    worker.start()
    worker.join()
    assert seen == [None]


def test_quick_reads_never_create_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "nothing-here.db"
    quick = InlineSqliteConnection(str(missing))
    try:
        assert quick.connection() is None
        assert not missing.exists()
    finally:
        quick.dispose()


async def test_quick_rows_read_like_the_orm_object(sqlite_tracker: Tracker) -> None:
    created = await sqlite_tracker.vendors.create(_vendor("acme-bank"), "test")
    statement = select(Vendor.name, Vendor.metadata_.label("metadata_")).where(Vendor.name == "acme-bank")
    async with sqlite_tracker.db.reader() as reader:
        row = await reader.first(statement)
    assert row is not None and (row.name, row.metadata_) == ("acme-bank", created.metadata)


async def test_disposing_closes_the_quick_connection(tmp_path: Path, sqlite_template: Path) -> None:
    path = _copy(sqlite_template, tmp_path)
    db = Database(f"sqlite+aiosqlite:///{path}")
    async with db.reader() as reader:
        await reader.rows(select(Vendor.name))
    await db.dispose()
    assert db._quick is not None and db._quick._connection is None
