"""Several AI clients at once on the embedded default: one SQLite file, one server process each."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from pathlib import Path

from tests.mcp.conftest import StdioServer, server_env, success


async def _work(server: StdioServer, name: str, root: str, rounds: int) -> Counter[str]:
    """Create a child and update the shared root, as agents racing on one item would."""
    outcome: Counter[str] = Counter()
    for i in range(rounds):
        success(
            "create_work_item",
            await server.session.call_tool(
                "create_work_item", {"item_type": "task", "title": f"{name} {i}", "parent_id": root}
            ),
        )
        read = await server.session.call_tool("query_work_item", {"id": root, "include_children": False})
        version = success("query_work_item", read)["version"]
        result = await server.session.call_tool(
            "update_work_item", {"id": root, "version": version, "description": f"{name} {i}"}
        )
        outcome["ok" if not result.is_error else json.loads(result.content[0].text)["error"]] += 1
    return outcome


async def test_three_server_processes_share_one_sqlite_file_without_losing_a_write(tmp_path: Path) -> None:
    data = tmp_path / "shared" / ".project-status"
    servers = []
    for name in ("alpha", "beta", "gamma"):
        folder = tmp_path / name
        folder.mkdir()
        env = server_env(folder, PROJECT_STATUS_DATA_DIR=str(data))
        servers.append(await StdioServer(folder, env, client_name=name).start())
    try:
        root = success(
            "create_work_item",
            await servers[0].session.call_tool(
                "create_work_item", {"item_type": "project", "title": "shared"}
            ),
        )["id"]
        rounds = 15
        outcomes = await asyncio.gather(
            *(_work(server, server.client_name, root, rounds) for server in servers)
        )
        total = sum(outcomes, Counter())
        # Every update either landed or was refused as a conflict: no lock error, nothing else.
        assert set(total) <= {"ok", "VersionConflictError"}, total
        assert total["ok"] >= 1

        children = success(
            "list_work_items",
            await servers[1].session.call_tool("list_work_items", {"parent_id": root, "limit": 200}),
        )
        assert children["total"] == 3 * rounds
        item = success("query_work_item", await servers[2].session.call_tool("query_work_item", {"id": root}))
        assert item["version"] == 1 + total["ok"]
        history = success(
            "get_work_item_history",
            await servers[2].session.call_tool("get_work_item_history", {"id": root, "limit": 200}),
        )["items"]
        updates = [event for event in history if event["action"] == "updated"]
        assert len(updates) == total["ok"]
        assert {event["actor"] for event in updates} <= {"alpha", "beta", "gamma"}
        for server in servers:
            assert "locked" not in server.stderr() and "Traceback" not in server.stderr()
    finally:
        for server in servers:
            await server.stop()
