"""The one-trip aiosqlite adapter keeps SQLite's transaction semantics: writers lock and commit,
failed writers roll back, readers hold nothing open."""

from __future__ import annotations

import asyncio
import fcntl
import multiprocessing
import os
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select

from project_status.domain.errors import TrackerError
from project_status.settings import Settings
from project_status.store import sqlite_driver
from project_status.store.database import Database
from project_status.store.migrate import upgrade
from project_status.store.tables import Event


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'status.db'}")
    await upgrade(database)
    yield database
    await database.dispose()


def _event(action: str) -> Event:
    return Event(
        entity_type="work_item",
        entity_id="x",
        action=action,
        actor="test",
        occurred_at=datetime.now(UTC),
        changes={},
    )


async def _count(db: Database) -> int:
    async with db.unit_of_work() as session:
        return int((await session.execute(select(func.count()).select_from(Event))).scalar_one())


def _other_writer(db: Database) -> sqlite3.Connection:
    path = db.engine.url.database
    assert path
    return sqlite3.connect(path, timeout=0, isolation_level=None)


async def test_writer_holds_the_write_lock_until_it_commits(db: Database) -> None:
    other = _other_writer(db)
    try:
        async with db.unit_of_work(write=True) as session:
            session.add(_event("inside"))
            await session.flush()
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
        other.execute("BEGIN IMMEDIATE")  # the commit released the lock
        other.execute("ROLLBACK")
    finally:
        other.close()
    assert await _count(db) == 1


async def test_failed_writer_rolls_back_everything_it_wrote(db: Database) -> None:
    with pytest.raises(RuntimeError):
        async with db.unit_of_work(write=True) as session:
            session.add(_event("doomed"))
            await session.flush()
            raise RuntimeError("abort")

    assert await _count(db) == 0
    other = _other_writer(db)
    try:
        other.execute("BEGIN IMMEDIATE")  # no transaction was left open on the pooled connection
        other.execute("ROLLBACK")
    finally:
        other.close()


async def test_reader_sees_a_commit_made_by_another_connection_at_once(db: Database) -> None:
    assert await _count(db) == 0
    other = _other_writer(db)
    try:
        other.execute(
            "INSERT INTO events (entity_type, entity_id, action, actor, occurred_at, changes) "
            "VALUES ('work_item', 'y', 'created', 'other', '2026-01-01 00:00:00', '{}')"
        )
    finally:
        other.close()
    assert await _count(db) == 1


async def test_many_rows_in_one_statement_are_all_written(db: Database) -> None:
    async with db.unit_of_work(write=True) as session:
        session.add_all([_event(f"bulk {i}") for i in range(50)])

    assert await _count(db) == 50


def _hold_write_lock(path: Path) -> sqlite3.Connection:
    """Another process's writer, as far as SQLite can tell: its own connection in a write lock."""
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("PRAGMA journal_mode=WAL")
    other.execute("BEGIN IMMEDIATE")
    return other


async def test_a_writer_waits_for_another_writers_lock_and_then_commits(db: Database, tmp_path: Path) -> None:
    other = _hold_write_lock(tmp_path / "status.db")
    loop = asyncio.get_running_loop()
    loop.call_later(0.3, other.execute, "COMMIT")
    try:
        async with db.unit_of_work(write=True) as session:
            session.add(_event("after the other writer"))
    finally:
        other.close()
    assert await _count(db) == 1


async def test_a_writer_gives_up_with_database_locked_after_the_busy_timeout(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_driver, "BUSY_TIMEOUT_MS", 100)
    other = _hold_write_lock(tmp_path / "status.db")
    try:
        with pytest.raises(TrackerError):
            async with db.unit_of_work(write=True) as session:
                session.add(_event("never"))
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert await _count(db) == 0


def test_begin_write_waits_out_a_short_lock_and_restores_the_busy_timeout(tmp_path: Path) -> None:
    """The retry loop runs with SQLite's own busy handler off, and puts it back for the
    statements that follow (a checkpoint or a reader may still meet a lock)."""
    path = tmp_path / "plain.db"
    sqlite3.connect(path).close()
    other = _hold_write_lock(path)
    waiter = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    waiter.execute(f"PRAGMA busy_timeout={sqlite_driver.BUSY_TIMEOUT_MS}")
    timer = threading.Timer(0.02, other.execute, ("COMMIT",))
    timer.start()
    try:
        asyncio.run(sqlite_driver._begin_write(waiter))
        assert waiter.in_transaction
        waiter.execute("ROLLBACK")
        assert waiter.execute("PRAGMA busy_timeout").fetchone() == (sqlite_driver.BUSY_TIMEOUT_MS,)
    finally:
        timer.join()
        other.close()
        waiter.close()


def test_the_lock_wait_is_a_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """PROJECT_STATUS_SQLITE_BUSY_SECONDS sets how long a writer waits for another's lock, both
    in the fine-step retry of BEGIN IMMEDIATE and in SQLite's own handler it restores after."""
    monkeypatch.setenv(sqlite_driver.BUSY_SETTING, "0.05")
    path = tmp_path / "plain.db"
    sqlite3.connect(path).close()
    other = _hold_write_lock(path)
    waiter = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            asyncio.run(sqlite_driver._begin_write(waiter))
        assert waiter.execute("PRAGMA busy_timeout").fetchone() == (50,)
        monkeypatch.setenv(sqlite_driver.BUSY_SETTING, "not a number")
        assert sqlite_driver.busy_timeout_ms() == sqlite_driver.BUSY_TIMEOUT_MS
    finally:
        other.execute("ROLLBACK")
        other.close()
        waiter.close()


def test_a_bad_lock_wait_is_refused_naming_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(sqlite_driver.BUSY_SETTING, "-1")
    with pytest.raises(ValidationError, match="sqlite_busy_seconds"):
        Settings()


class _QueueHolder:
    """Another process's writer waiting its turn, as far as the queue can tell: its own open
    file description of the queue file, locked."""

    def __init__(self, db_path: Path) -> None:
        self.fd = os.open(f"{db_path}{sqlite_driver.QUEUE_SUFFIX}", os.O_RDWR | os.O_CREAT, 0o644)

    def take(self) -> bool:
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def release(self) -> None:
        fcntl.flock(self.fd, fcntl.LOCK_UN)

    def close(self) -> None:
        os.close(self.fd)


@pytest.fixture
def holder(tmp_path: Path) -> Iterator[_QueueHolder]:
    taker = _QueueHolder(tmp_path / "status.db")
    yield taker
    taker.close()


async def _free_within(holder: _QueueHolder, seconds: float = 30.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if holder.take():
            holder.release()
            return True
        await asyncio.sleep(0.01)
    return False


async def test_a_writer_holds_the_writer_queue_until_it_commits_or_rolls_back(
    db: Database, holder: _QueueHolder
) -> None:
    async with db.unit_of_work(write=True) as session:
        session.add(_event("inside"))
        await session.flush()
        assert not holder.take()
    assert holder.take()  # the commit released it at once
    holder.release()
    with pytest.raises(RuntimeError):
        async with db.unit_of_work(write=True) as session:
            session.add(_event("doomed"))
            await session.flush()
            assert not holder.take()
            raise RuntimeError("abort")
    assert holder.take()  # so did the rollback
    holder.release()
    assert await _count(db) == 1


async def test_a_writer_waits_its_turn_in_the_writer_queue_then_commits(
    db: Database, holder: _QueueHolder
) -> None:
    assert holder.take()
    released = asyncio.Event()

    def release() -> None:
        holder.release()
        released.set()

    asyncio.get_running_loop().call_later(0.3, release)
    async with db.unit_of_work(write=True) as session:
        session.add(_event("after its turn came"))
    assert released.is_set()  # it did wait for the holder
    assert await _free_within(holder)
    assert await _count(db) == 1


async def test_a_writer_gives_up_its_place_in_the_queue_after_the_busy_timeout(
    db: Database, holder: _QueueHolder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the busy timeout the writer fails as SQLite would ("database is locked", nothing
    written), and the wait it leaves behind takes nothing: once the holder is gone, the queue
    is free, and the next write goes through."""
    monkeypatch.setenv(sqlite_driver.BUSY_SETTING, "0.2")
    assert holder.take()
    with pytest.raises(TrackerError, match="locked"):
        async with db.unit_of_work(write=True) as session:
            session.add(_event("never"))
    holder.release()
    assert await _free_within(holder)
    async with db.unit_of_work(write=True) as session:
        session.add(_event("later"))
    assert await _count(db) == 1


async def test_a_cancelled_wait_in_the_queue_leaves_it_free(db: Database, holder: _QueueHolder) -> None:
    assert holder.take()

    async def write() -> None:
        async with db.unit_of_work(write=True) as session:
            session.add(_event("cancelled"))

    waiting = asyncio.create_task(write())
    await asyncio.sleep(0.2)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    holder.release()
    assert await _free_within(holder)
    assert await _count(db) == 0


def _write_in_forked_child(url: str) -> None:
    async def write() -> None:
        database = Database(url)
        try:
            async with database.unit_of_work(write=True) as session:
                session.add(_event("from the child"))
        finally:
            await database.dispose()

    asyncio.run(write())


async def test_a_forked_process_waits_its_turn_too(db: Database, holder: _QueueHolder) -> None:
    """A process forked after this one waited in the queue (as the race tests fork their
    claimers) waits on threads of its own, not on its parent's, which it does not have."""
    assert holder.take()
    asyncio.get_running_loop().call_later(0.3, holder.release)
    async with db.unit_of_work(write=True) as session:  # waits: this process's threads start
        session.add(_event("from the parent"))
    assert holder.take()
    child = multiprocessing.get_context("fork").Process(target=_write_in_forked_child, args=(db.url,))
    child.start()
    await asyncio.sleep(0.3)
    assert await _count(db) == 1  # the child waits in the queue: nothing of its is written yet
    holder.release()
    await asyncio.to_thread(child.join, 120)
    assert child.exitcode == 0
    assert await _count(db) == 2
