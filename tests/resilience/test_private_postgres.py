"""The private PostgreSQL fixture does what the resilience tests rely on: it is not the shared
server, committed data survives each kind of stop (fast, immediate, SIGKILL), a stopped server
refuses connections, and a frozen one accepts TCP but never answers."""

from __future__ import annotations

import asyncio
import socket
import time

import asyncpg
import pytest

from project_status.store.migrate import HEAD
from tests.resilience.conftest import PrivatePostgres, wait_until_connectable


async def query(url: str, sql: str) -> object:
    conn = await asyncpg.connect(url, timeout=5)
    try:
        return await conn.fetchval(sql)
    finally:
        await conn.close()


async def test_private_server_on_loopback_with_migrated_tracker(postgres: PrivatePostgres) -> None:
    assert postgres.port != 5432
    assert await query(postgres.url, "SHOW listen_addresses") == "127.0.0.1"
    assert await query(postgres.url, "SHOW fsync") == "off"
    assert await query(postgres.url, "SHOW data_directory") == str(postgres.data_dir)
    assert await query(postgres.tracker_url, "SELECT version_num FROM alembic_version") == HEAD
    assert await query(postgres.tracker_url, "SELECT count(*) FROM project_configuration") == 1


@pytest.mark.parametrize("how", ["fast", "immediate", "kill"])
async def test_committed_data_survives_a_stop_and_start(postgres: PrivatePostgres, how: str) -> None:
    conn = await asyncpg.connect(postgres.tracker_url, timeout=5)
    try:
        await conn.execute("CREATE TABLE IF NOT EXISTS fixture_probe (how text)")
        await conn.execute("INSERT INTO fixture_probe VALUES ($1)", how)
    finally:
        await conn.close()
    pid = postgres.pid
    if how == "kill":
        postgres.kill()
    else:
        postgres.stop(how)  # type: ignore[arg-type]
    assert not postgres.running
    with pytest.raises(OSError):
        await asyncpg.connect(postgres.tracker_url, timeout=2)
    started = time.monotonic()
    postgres.start()
    await wait_until_connectable(postgres)
    print(f"\nrestart after {how}: {time.monotonic() - started:.2f} s")
    assert postgres.pid != pid
    count = await query(postgres.tracker_url, f"SELECT count(*) FROM fixture_probe WHERE how = '{how}'")
    assert count == 1


async def test_a_frozen_server_accepts_tcp_but_never_answers(postgres: PrivatePostgres) -> None:
    postgres.freeze()
    try:
        with socket.create_connection(("127.0.0.1", postgres.port), timeout=1):
            pass  # the kernel still completes the handshake
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(asyncpg.connect(postgres.tracker_url, timeout=30), 1.0)
    finally:
        postgres.thaw()
    assert await query(postgres.tracker_url, "SELECT 1") == 1
