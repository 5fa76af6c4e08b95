"""The server over streamable HTTP (`serve --transport http`) as a real subprocess, driven by the
SDK's streamable HTTP client; a public bind needs PROJECT_STATUS_HTTP_TOKEN and then enforces it.

The SDK ships its HTTP stack as `httpx2` (the `httpx` API); raw requests use it too.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest
from mcp.client.session import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError
from mcp.types import Implementation

from tests.mcp.conftest import SERVE, HttpServer, free_port, http_server, server_env, success

TOKEN = "test-token-0123456789"
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "raw-http", "version": "1"},
    },
}
MCP_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


@pytest.fixture(scope="module")
def local_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HttpServer]:
    project = tmp_path_factory.mktemp("mcp-http")
    with http_server(project) as running:
        yield running


@pytest.fixture(scope="module")
def public_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HttpServer]:
    project = tmp_path_factory.mktemp("mcp-http-public")
    with http_server(project, "--host", "0.0.0.0", PROJECT_STATUS_HTTP_TOKEN=TOKEN) as running:
        yield running


async def call_through_sdk(
    url: str, client_name: str, headers: dict[str, str] | None = None
) -> dict[str, object]:
    async with (
        httpx2.AsyncClient(headers=headers or {}, timeout=30) as http,
        streamable_http_client(url, http_client=http) as (read, write),
        ClientSession(read, write, client_info=Implementation(name=client_name, version="1")) as session,
    ):
        await session.initialize()
        tools = await session.list_tools()
        assert {"create_work_item", "list_work_items"} <= {tool.name for tool in tools.tools}
        created = success(
            "create_work_item",
            await session.call_tool("create_work_item", {"item_type": "task", "title": f"via {client_name}"}),
        )
        listed = success("list_work_items", await session.call_tool("list_work_items", {}))
        assert created["id"] in {row["id"] for row in listed["items"]}
        return created


async def test_sdk_client_over_local_http(local_server: HttpServer) -> None:
    created = await call_through_sdk(local_server.url, "http-client")
    assert created["created_by"] == "http-client"  # the actor is this client's clientInfo.name
    database = local_server.project / ".project-status" / "status.db"
    assert database.exists()
    # A second connection to the same process sees the first one's data.
    again = await call_through_sdk(local_server.url, "second-client")
    assert again["created_by"] == "second-client"


async def test_local_server_needs_no_token(local_server: HttpServer) -> None:
    async with httpx2.AsyncClient(timeout=10) as http:
        response = await http.post(local_server.url, json=INITIALIZE, headers=MCP_HEADERS)
    assert response.status_code == 200


def test_public_bind_without_token_is_refused(tmp_path: Path) -> None:
    port = free_port()
    completed = subprocess.run(
        [*SERVE, "--transport", "http", "--host", "0.0.0.0", "--port", str(port)],
        cwd=tmp_path,
        env=server_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=30,
        stdin=subprocess.DEVNULL,
    )
    assert completed.returncode != 0
    assert "PROJECT_STATUS_HTTP_TOKEN" in completed.stderr
    assert "Traceback" not in completed.stderr and "Traceback" not in completed.stdout
    assert not (tmp_path / ".project-status").exists(), "refused before touching the database"


async def test_public_bind_rejects_requests_without_the_token(public_server: HttpServer) -> None:
    async with httpx2.AsyncClient(timeout=10) as http:
        missing = await http.post(public_server.url, json=INITIALIZE, headers=MCP_HEADERS)
        wrong = await http.post(
            public_server.url,
            json=INITIALIZE,
            headers={**MCP_HEADERS, "Authorization": "Bearer not-the-token"},
        )
        right = await http.post(
            public_server.url, json=INITIALIZE, headers={**MCP_HEADERS, "Authorization": f"Bearer {TOKEN}"}
        )
    assert missing.status_code == 401
    assert "bearer" in missing.headers.get("www-authenticate", "").lower()
    assert wrong.status_code == 401
    for response in (missing, wrong):
        assert TOKEN not in response.text
        assert "Traceback" not in response.text
    assert right.status_code == 200, right.text
    body = right.text
    payload = (
        json.loads(body.split("data:", 1)[1])
        if body.lstrip().startswith(("event:", "data:"))
        else json.loads(body)
    )
    assert payload["result"]["serverInfo"]["name"] == "project-status"


async def test_public_bind_serves_the_sdk_client_with_the_token(public_server: HttpServer) -> None:
    created = await call_through_sdk(public_server.url, "remote-agent", {"Authorization": f"Bearer {TOKEN}"})
    assert created["created_by"] == "remote-agent"


async def test_sdk_client_without_the_token_is_turned_away(public_server: HttpServer) -> None:
    with pytest.raises(ExceptionGroup) as caught:
        await call_through_sdk(public_server.url, "intruder")
    assert caught.group_contains(MCPError, depth=None)  # the SDK reports the 401 as an error response
    async with (
        httpx2.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30) as http,
        streamable_http_client(public_server.url, http_client=http) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        listed = success("list_work_items", await session.call_tool("list_work_items", {"limit": 200}))
    assert all(row["title"] != "via intruder" for row in listed["items"]), "nothing was written"
