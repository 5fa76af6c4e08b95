"""DatabaseError end to end: the server is pointed at a PostgreSQL address where nothing listens.

It must still start and list its tools, answer every call with a clean DatabaseError (no
traceback, SQL or driver message, no password), never fall back silently to a local SQLite file,
and log a warning (not a traceback) on its stderr.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.mcp.conftest import LEAK_MARKERS, StdioServer, failure, server_env

PASSWORD = "s3cret-pw"
UNREACHABLE = f"postgresql://postgres:{PASSWORD}@127.0.0.1:1/project_status"
MARKERS = (*tuple(m for m in LEAK_MARKERS if m != "asyncpg"), PASSWORD, "ConnectionRefused", "Errno")

CALLS: list[tuple[str, dict[str, Any]]] = [
    ("create_work_item", {"item_type": "project", "title": "offline"}),
    ("list_work_items", {}),
    ("query_work_item", {"id": "0123456789abcdef"}),
    ("list_ready_work", {}),
    ("query_vendor_status", {"name": "acme"}),
    ("list_deployments", {}),
    ("get_project_configuration", {}),
    ("list_enhancements", {}),
]


@pytest.fixture(scope="module")
async def offline_server(tmp_path_factory: pytest.TempPathFactory) -> Any:
    project = tmp_path_factory.mktemp("mcp-offline")
    running = await StdioServer(project, server_env(project, PROJECT_STATUS_DATABASE_URL=UNREACHABLE)).start()
    try:
        yield running
    finally:
        await running.stop()


async def test_server_starts_and_lists_tools_without_a_database(offline_server: StdioServer) -> None:
    tools = await offline_server.session.list_tools()
    assert len(tools.tools) >= 19


@pytest.mark.parametrize(("tool", "arguments"), CALLS, ids=[name for name, _ in CALLS])
async def test_every_call_is_a_clean_database_error(
    offline_server: StdioServer, tool: str, arguments: dict[str, Any]
) -> None:
    result = await offline_server.session.call_tool(tool, arguments)
    body = failure(tool, result, MARKERS)
    assert body["error"] == "DatabaseError", body
    assert "unavailable" in body["message"]
    assert "127.0.0.1:1" in body["message"]  # says which database
    assert "***" in body["message"]  # with the password hidden


async def test_bad_input_is_still_a_validation_error(offline_server: StdioServer) -> None:
    """Argument checking needs no database, so the caller learns what to fix first."""
    result = await offline_server.session.call_tool("create_work_item", {"item_type": "epic", "title": "x"})
    assert failure("create_work_item", result, MARKERS)["error"] == "ValidationError"


async def test_no_silent_fallback_and_a_readable_log(offline_server: StdioServer) -> None:
    await offline_server.session.call_tool("list_work_items", {})
    assert not (offline_server.project / ".project-status" / "status.db").exists()
    log = offline_server.stderr()
    print(f"\nserver stderr with an unreachable PostgreSQL:\n{log}")
    assert "unavailable" in log
    assert "Traceback" not in log
    assert PASSWORD not in log


async def test_database_error_does_not_name_the_driver(offline_server: StdioServer) -> None:
    result = await offline_server.session.call_tool("list_work_items", {})
    failure("list_work_items", result)  # the full marker list, "asyncpg" included
