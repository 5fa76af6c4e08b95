"""The race through the interface: 16 `project-status serve` processes, each with its own MCP
client, call claim_work_item until nothing is left over 64 ready tasks. Every task is claimed
exactly once, by the client that was told it won, on both backends."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from pathlib import Path

import pytest

from project_status.services.tracker import Tracker
from tests.conftest import Backend
from tests.mcp.conftest import StdioServer, server_env
from tests.services.test_claim_race import PATIENT_TIMEOUTS, _add_tasks

pytestmark = pytest.mark.heavy
"""Started first; the 16-way claim races run one after another on one worker (tests/conftest.py)."""

SERVERS = 16
TASKS = 64
"""Four per server: every server claims again and again against 15 others until none is left.
The 16 server starts are most of the test's CPU; more tasks add claims, not contention."""
DEADLINE_SECONDS = 600.0


async def _claim_until_none_left(server: StdioServer, start: asyncio.Event) -> list[str]:
    await start.wait()
    taken: list[str] = []
    while True:
        result = await server.session.call_tool("claim_work_item", {})
        body = json.loads(result.content[0].text)  # type: ignore[union-attr]
        if not result.is_error:
            assert body["claimed_by"] == server.client_name
            taken.append(body["id"])
            continue
        assert body["error"] == "NotFoundError", body
        return taken


async def test_sixteen_servers_claim_every_task_exactly_once(
    tracker: Tracker, backend: Backend, tmp_path: Path
) -> None:
    tasks = await _add_tasks(tracker, TASKS)
    servers = []
    for n in range(SERVERS):
        project = tmp_path / f"server-{n}"
        (project / ".git").mkdir(parents=True)
        env = server_env(project, PROJECT_STATUS_DATABASE_URL=backend.url, **PATIENT_TIMEOUTS)
        servers.append(StdioServer(project, env, client_name=f"claimer-{n}"))
    try:
        await asyncio.gather(*(server.start() for server in servers))
        start = asyncio.Event()
        racing = [asyncio.create_task(_claim_until_none_left(server, start)) for server in servers]
        began = time.perf_counter()
        start.set()
        results = await asyncio.wait_for(asyncio.gather(*racing), DEADLINE_SECONDS)
        print(f"\n{SERVERS} MCP servers claimed {TASKS} tasks in {time.perf_counter() - began:.1f} s")
    finally:
        await asyncio.gather(*(server.stop() for server in servers), return_exceptions=True)
    claims = Counter(item for taken in results for item in taken)
    assert set(claims) == tasks
    assert set(claims.values()) == {1}
