"""A stdio server (one per agent) holds at most two PostgreSQL connections, even right after a
burst of concurrent calls: counted by the server itself, in pg_stat_activity, on a database only
this server uses. PostgreSQL only: SQLite has no connections to budget."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy.engine import make_url

from tests.mcp.conftest import StdioServer, server_env
from tests.mcp.test_postgresql import ADMIN_URL, db_upgrade, throwaway_database
from tests.postgres_roles import connections_of


@pytest.fixture
async def own_database() -> AsyncIterator[str]:
    async with throwaway_database("ps_budget") as url:
        yield url


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
