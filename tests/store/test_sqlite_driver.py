"""The one-trip aiosqlite adapter keeps SQLite's transaction semantics: writers lock and commit,
failed writers roll back, readers hold nothing open."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

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
