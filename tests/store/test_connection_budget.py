"""One process's share of PostgreSQL's connections: at most `pool_size` held, a burst waits for
them, idle ones are closed, and a server that is full is told apart from one that is down.

PostgreSQL only: SQLite has no connections to budget (its behaviour is unchanged and covered by
every other store test). The full server is a throw-away role with a CONNECTION LIMIT.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from project_status.domain.errors import DatabaseError, DatabaseUnavailableError, ValidationError
from project_status.services.tracker import Tracker
from project_status.settings import Settings
from project_status.store.database import PGBOUNCER_ANSWER_TIMEOUT_SECONDS, Database
from tests.conftest import TIMEOUT_SETTINGS, PostgresServer, PostgresTestDatabase
from tests.helpers import create_item
from tests.postgres_roles import connections_of, limited_role

PATIENT_SECONDS = float(os.environ[TIMEOUT_SETTINGS[0]])
"""The tests' answer limit (tests/conftest.py) for a `Database` built here, for its answers and its
connects: these tests are about connections held and closed, not about a slow answer or a slow
connect on a busy machine (beside two CPU hogs a connect once took over the 1.5 s limit)."""


def plain(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def test_a_burst_waits_for_the_two_connections_of_the_process(
    pg: PostgresTestDatabase, postgres_server: PostgresServer
) -> None:
    async with limited_role(postgres_server.admin_dsn, pg.url, 5) as url:
        role = make_url(url).username
        tracker = Tracker(Database(url, answer_timeout=PATIENT_SECONDS, connect_timeout=PATIENT_SECONDS))
        try:
            created = await asyncio.gather(*(create_item(tracker, f"burst {n}") for n in range(20)))
            assert len({item.id for item in created}) == 20
            assert tracker.db.held_connections() <= 2
            assert await connections_of(postgres_server.admin_dsn, role=role) <= 2
        finally:
            await tracker.close()


async def test_idle_connections_are_closed(pg: PostgresTestDatabase, postgres_server: PostgresServer) -> None:
    async with limited_role(postgres_server.admin_dsn, pg.url, 5) as url:
        role = make_url(url).username
        db = Database(url, idle_seconds=0.2, answer_timeout=PATIENT_SECONDS, connect_timeout=PATIENT_SECONDS)
        tracker = Tracker(db)
        try:
            await asyncio.gather(*(create_item(tracker, f"idle {n}") for n in range(4)))
            assert db.held_connections() >= 1
            assert not await db.close_idle() or db.held_connections() == 0
            deadline = asyncio.get_running_loop().time() + 30
            while not await db.close_idle() and db.held_connections():
                assert asyncio.get_running_loop().time() < deadline, "idle connections never closed"
                await asyncio.sleep(0.1)
            assert db.held_connections() == 0
            while await connections_of(postgres_server.admin_dsn, role=role):
                assert asyncio.get_running_loop().time() < deadline, "the server still shows them"
                await asyncio.sleep(0.1)
            assert (await create_item(tracker, "after idle")).title == "after idle"  # reopens
        finally:
            await tracker.close()


async def test_a_full_server_is_a_clear_error_and_nothing_is_journalled(
    pg: PostgresTestDatabase, postgres_server: PostgresServer, tmp_path: Path
) -> None:
    async with limited_role(postgres_server.admin_dsn, pg.url, 1) as url:
        holder = await asyncpg.connect(plain(url), timeout=5)  # takes the role's only connection
        settings = Settings(database_url=url, data_dir=tmp_path / ".project-status")
        tracker = Tracker.create(settings)
        try:
            with pytest.raises(DatabaseError) as caught:
                await create_item(tracker, "refused")
            error = caught.value
            assert not isinstance(error, DatabaseUnavailableError)
            assert error.details["reason"] == "connections_exhausted"
            assert "max_connections" in error.message and "PgBouncer" in error.message
            assert "nothing was written" in error.message
            with pytest.raises(DatabaseError) as read:
                await tracker.work_items.list()
            assert read.value.details["reason"] == "connections_exhausted"  # no mirror answer
            assert tracker.mirror is not None
            assert (await tracker.mirror.state()).pending == 0
            assert tracker.db.breaker.failures == 0, "a full server is not an outage"
        finally:
            await holder.close()
        created = await create_item(tracker, "room again")
        page = await tracker.work_items.list()
        assert [row.title for row in page.items] == [created.title]
        await tracker.close()


async def test_a_connection_freed_within_the_retry_is_used(
    pg: PostgresTestDatabase, postgres_server: PostgresServer
) -> None:
    async with limited_role(postgres_server.admin_dsn, pg.url, 1) as url:
        holder = await asyncpg.connect(plain(url), timeout=5)
        tracker = Tracker(Database(url))
        try:
            call = asyncio.create_task(create_item(tracker, "waited"))
            await asyncio.sleep(0.2)
            await holder.close()
            assert (await call).title == "waited"
        finally:
            await tracker.close()


def test_the_pgbouncer_option_is_checked() -> None:
    with pytest.raises(ValidationError) as caught:
        Database("postgresql+asyncpg://u@127.0.0.1:6432/db?pgbouncer=maybe")
    assert caught.value.details["errors"][0]["field"] == "database_url"
    db = Database("postgresql+asyncpg://u@127.0.0.1:6432/db?pgbouncer=true")
    assert db.pgbouncer
    assert db.answer_timeout == PGBOUNCER_ANSWER_TIMEOUT_SECONDS  # its queue is no outage
    assert "pgbouncer" not in db.engine.url.render_as_string()


async def test_a_call_queued_behind_a_busy_connection_is_no_outage(
    pg: PostgresTestDatabase, tmp_path: Path
) -> None:
    settings = Settings(database_url=pg.url, data_dir=tmp_path / ".project-status", pool_size=1)
    tracker = Tracker.create(settings)
    db = tracker.db
    db.answer_timeout, db.busy_wait = 0.5, 1.5
    try:
        await create_item(tracker, "warm up")
        release = asyncio.Event()

        async def hold() -> None:
            async with db.unit_of_work(write=True) as session:  # the only connection, kept busy
                await session.execute(text("SELECT 1"))
                await release.wait()

        holder = asyncio.create_task(hold())
        await asyncio.sleep(0.1)
        with pytest.raises(DatabaseError) as caught:
            await create_item(tracker, "queued")
        assert not isinstance(caught.value, DatabaseUnavailableError)
        assert caught.value.details["reason"] == "pool_busy"
        assert db.breaker.failures == 0
        assert tracker.mirror is not None and (await tracker.mirror.state()).pending == 0
        release.set()
        await holder
        assert (await create_item(tracker, "after")).title == "after"
    finally:
        await tracker.close()
