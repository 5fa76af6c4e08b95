"""The server pointed at a PostgreSQL address where nothing listens, with nothing to fall back on.

It must still start and list its tools. With an empty mirror and no report file, every read
answers a clean DatabaseError (no traceback, SQL or driver message, no password) that names the
fallback layers it tried; a write is acknowledged from the local journal with a warning (issue 5).
It never switches silently to a local status database, and logs a warning (not a traceback).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.mcp.conftest import LEAK_MARKERS, StdioServer, failure, server_env

PASSWORD = "s3cret-pw"
UNREACHABLE = f"postgresql://postgres:{PASSWORD}@127.0.0.1:1/project_status"
MARKERS = (*tuple(m for m in LEAK_MARKERS if m != "asyncpg"), PASSWORD, "ConnectionRefused", "Errno")

CALLS: list[tuple[str, dict[str, Any]]] = [
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
    assert "No fallback layer could answer" in body["message"] and "cache.db" in body["message"]


async def test_a_write_is_acknowledged_from_the_journal_with_a_warning(tmp_path: Any) -> None:
    env = server_env(tmp_path, PROJECT_STATUS_DATABASE_URL=UNREACHABLE)
    server = await StdioServer(tmp_path, env).start()
    try:
        created = await server.call("create_work_item", item_type="project", title="offline")
        assert created["title"] == "offline" and created["version"] == 1
        [warning] = created["warnings"]
        assert "unavailable" in warning and "pending sync (1 change(s) waiting)" in warning, warning
        assert PASSWORD not in warning
        assert (created["data_source"], created["data_age_seconds"]) == ("mirror", 0)
        listed = await server.call("list_work_items")
        assert [row["id"] for row in listed["items"]] == [created["id"]]
        # never copied from PostgreSQL (it was never up): the age is unknown, said as null
        assert (listed["data_source"], listed["data_age_seconds"]) == ("mirror", None)
        assert "this answer comes from the local mirror" in listed["warnings"][0]
        # the report file is regenerated from the mirror with the offline change in it
        assert "offline" in (tmp_path / ".project_status.md").read_text(encoding="utf-8")
    finally:
        await server.stop()


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
