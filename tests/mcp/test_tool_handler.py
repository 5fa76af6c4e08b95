"""tools/call runs TrackerServer's own handler (no per-call `Context` model): it answers exactly
what the SDK's handler, which wraps `call_tool`, answered, on each backend, errors included."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, Implementation, TextContent

from project_status.mcp import tools
from project_status.mcp.server import TrackerServer, build_server
from project_status.settings import Settings
from tests.conftest import Backend
from tests.mcp.conftest import CLIENT_NAME, failure, success


def _settings(project: Path) -> Settings:
    return Settings(
        data_dir=project / ".project-status", mirror=False, archive_interval_hours=0, report_refresh_seconds=0
    )


@asynccontextmanager
async def _client(server: TrackerServer) -> AsyncIterator[Client]:
    async with Client(server, client_info=Implementation(name=CLIENT_NAME, version="1")) as client:
        yield client


def _wire(result: CallToolResult) -> dict[str, Any]:
    return result.model_dump(by_alias=True, mode="json", exclude_none=True)


async def _answers(client: Client, item_id: str) -> list[dict[str, Any]]:
    calls: list[tuple[str, dict[str, Any]]] = [
        ("query_work_item", {"id": item_id}),
        ("query_work_item", {"id": item_id[:8], "include_children": False}),
        ("list_work_items", {"limit": 2}),
        ("list_ready_work", {}),
        ("get_project_summary", {}),
        ("query_work_item", {"id": "0" * 32}),
        ("query_work_item", {"id": item_id, "colour": "red"}),
        ("create_work_item", {"item_type": "epic", "title": "x"}),
        ("no_such_tool", {}),
    ]
    return [_wire(await client.call_tool(name, arguments)) for name, arguments in calls]


async def test_the_servers_handler_answers_what_the_sdks_handler_answered(
    backend: Backend, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast = build_server(_settings(tmp_path), url=backend.url)
    handler = fast._lowlevel_server.get_request_handler("tools/call")
    assert (
        handler is not None and getattr(handler.handler, "__func__", None) is TrackerServer._handle_call_tool
    )
    async with _client(fast) as client:
        parent = success(
            "create", await client.call_tool("create_work_item", {"item_type": "task", "title": "p"})
        )
        for title in ("a", "b"):
            await client.call_tool(
                "create_work_item", {"item_type": "task", "title": title, "parent_id": parent["id"]}
            )
        mine = success(
            "create", await client.call_tool("create_work_item", {"item_type": "task", "title": "m"})
        )
        theirs = success(
            "create",
            await client.call_tool(
                "create_work_item", {"item_type": "task", "title": "t", "actor": "someone"}
            ),
        )
        ours = await _answers(client, parent["id"])
    assert (mine["created_by"], theirs["created_by"]) == (CLIENT_NAME, "someone")

    # The SDK's handler: a Context model per call, then call_tool.
    monkeypatch.setattr(TrackerServer, "_handle_call_tool", MCPServer._handle_call_tool)
    sdk = build_server(_settings(tmp_path), url=backend.url)
    async with _client(sdk) as client:
        assert await _answers(client, parent["id"]) == ours
        mine = success(
            "create", await client.call_tool("create_work_item", {"item_type": "task", "title": "m"})
        )
        assert mine["created_by"] == CLIENT_NAME


async def test_an_unexpected_failure_is_answered_as_the_sdk_answered_it(
    backend: Backend, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*args: Any) -> CallToolResult:
        raise RuntimeError("broken on purpose")

    monkeypatch.setattr(tools, "call", broken)
    answers = []
    for handler in (TrackerServer._handle_call_tool, MCPServer._handle_call_tool):
        monkeypatch.setattr(TrackerServer, "_handle_call_tool", handler)
        async with _client(build_server(_settings(tmp_path), url=backend.url)) as client:
            answers.append(_wire(await client.call_tool("get_project_summary", {})))
    assert answers[0] == answers[1]
    assert answers[0]["isError"] is True
    assert answers[0]["content"] == [{"type": "text", "text": "broken on purpose"}]


async def test_call_tool_without_a_request_context(tmp_path: Path) -> None:
    """Called directly (no request): an unknown tool is still the JSON NotFoundError, a known one
    needs the request's context."""
    server = build_server(_settings(tmp_path))
    unknown = await server.call_tool("no_such_tool", {})
    assert failure("no_such_tool", unknown)["error"] == "NotFoundError"
    with pytest.raises(ToolError, match="get_project_summary needs a request context"):
        await server.call_tool("get_project_summary", {})
    assert isinstance(unknown.content[0], TextContent)
