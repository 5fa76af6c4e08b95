"""A stdio server (one per agent) holds at most two PostgreSQL connections, even right after a
burst of concurrent calls: counted by the server itself, in pg_stat_activity, on a database only
this server uses. PostgreSQL only: SQLite has no connections to budget."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy.engine import make_url

from tests.mcp.conftest import StdioServer, server_env
from tests.mcp.test_postgresql import ADMIN_URL, admin_connect, db_upgrade
from tests.postgres_roles import connections_of


@pytest.fixture
async def own_database() -> AsyncIterator[str]:
    name = f"ps_budget_{uuid.uuid4().hex[:12]}"
    conn = await admin_connect()
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    try:
        yield make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        conn = await admin_connect()
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()


async def test_a_stdio_server_holds_at_most_two_connections(
    tmp_path_factory: pytest.TempPathFactory, own_database: str
) -> None:
    project = tmp_path_factory.mktemp("budget")
    assert (await asyncio.to_thread(db_upgrade, project, own_database)).returncode == 0
    server = await StdioServer(project, server_env(project, PROJECT_STATUS_DATABASE_URL=own_database)).start()
    try:
        created = await asyncio.gather(
            *(server.call("create_work_item", item_type="task", title=f"burst {n}") for n in range(20))
        )
        listed = await asyncio.gather(*(server.call("list_work_items", limit=200) for _ in range(10)))
        assert len({item["id"] for item in created}) == 20
        assert all(page["total"] == 20 for page in listed)
        held = await connections_of(ADMIN_URL, database=make_url(own_database).database)
        assert 1 <= held <= 2, f"{held} connections held by one stdio server"
        assert "connections_exhausted" not in server.stderr()
    finally:
        await server.stop()
