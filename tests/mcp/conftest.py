"""End-to-end fixtures: the real `project-status` server in a subprocess, driven by the official
MCP SDK client over stdio or streamable HTTP. No mocks: every call crosses a process boundary and
lands in a real SQLite file (or, for the unreachable-database case, a real refused TCP connection).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from mcp.client.session import ClientRequestContext, ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.types import CallToolResult, Implementation, ListRootsResult, Root

from tests.conftest import TIMEOUT_SETTINGS

CLIENT_NAME = "claude-code"
SERVE = [sys.executable, "-m", "project_status", "serve"]
START_TIMEOUT = 60.0
"""A server starts in about a second; a machine busy with other work can take many times that."""
ERROR_KEYS = {"error", "message", "details"}
ERROR_TYPES = {"ValidationError", "NotFoundError", "VersionConflictError", "DatabaseError"}
LEAK_MARKERS = ("Traceback", "sqlalchemy", "asyncpg", "aiosqlite", 'File "', "SELECT ", "INSERT ")


def server_env(project: Path, **extra: str) -> dict[str, str]:
    """The environment of a server subprocess: no PROJECT_STATUS_* leaks in from the caller, and
    the data directory pinned inside the test's own folder."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("PROJECT_STATUS_") or key in TIMEOUT_SETTINGS
    }
    env["PROJECT_STATUS_DATA_DIR"] = str(project / ".project-status")
    env.update(extra)
    return env


@dataclass
class StdioServer:
    """One `project-status serve` subprocess and an initialized SDK `ClientSession` to it.

    The SDK's transports hold anyio task groups, which must be entered and left by the same task;
    pytest runs a fixture's set-up and tear-down in different tasks, so the connection lives in a
    background task of its own and tests only send requests through the session's streams.
    """

    project: Path
    env: dict[str, str]
    client_name: str = CLIENT_NAME
    cwd: Path | None = None
    """The server's working folder; the project folder unless given."""
    command: list[str] = field(default_factory=lambda: list(SERVE))
    """How the client starts the server."""
    roots: list[str] | None = None
    """The roots the client lists when the server asks (`roots/list`); None: the client has no
    roots capability."""
    stderr_path: Path = field(init=False)
    session: ClientSession = field(init=False)
    _task: asyncio.Task[None] | None = field(default=None, init=False)
    _ready: asyncio.Event = field(default_factory=asyncio.Event, init=False)
    _stop: asyncio.Event = field(default_factory=asyncio.Event, init=False)
    _failure: BaseException | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.stderr_path = self.project / "server-stderr.txt"

    async def _run(self) -> None:
        params = StdioServerParameters(
            command=self.command[0], args=self.command[1:], cwd=str(self.cwd or self.project), env=self.env
        )
        try:
            with self.stderr_path.open("w") as errlog:
                async with (
                    stdio_client(params, errlog=errlog) as (read, write),
                    ClientSession(
                        read,
                        write,
                        client_info=Implementation(name=self.client_name, version="1"),
                        list_roots_callback=self._list_roots if self.roots is not None else None,
                    ) as session,
                ):
                    await session.initialize()
                    self.session = session
                    self._ready.set()
                    await self._stop.wait()
        except BaseException as exc:
            self._failure = exc
            raise
        finally:
            self._ready.set()

    async def _list_roots(self, context: ClientRequestContext) -> ListRootsResult:
        return ListRootsResult(roots=[Root(uri=uri) for uri in self.roots or []])  # type: ignore[arg-type]

    async def start(self) -> StdioServer:
        self._task = asyncio.create_task(self._run())
        try:
            await asyncio.wait_for(self._ready.wait(), START_TIMEOUT)
        except TimeoutError:
            await self.stop()
            raise
        if self._failure is not None:
            await self.stop()
            raise RuntimeError(f"the server did not start; its stderr:\n{self.stderr()}") from self._failure
        return self

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(self._task, START_TIMEOUT)
            self._task = None

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace") if self.stderr_path.exists() else ""

    @property
    def database(self) -> Path:
        return self.project / ".project-status" / "status.db"

    async def call(self, tool: str, **arguments: Any) -> dict[str, Any]:
        """A successful call: the structured content, checked against the text twin."""
        result = await self.session.call_tool(tool, arguments)
        return success(tool, result)

    async def fail(self, tool: str, **arguments: Any) -> dict[str, Any]:
        """A call that must fail: the parsed `{error, message, details}` object."""
        result = await self.session.call_tool(tool, arguments)
        return failure(tool, result)


def success(tool: str, result: CallToolResult) -> dict[str, Any]:
    text = result.content[0].text if result.content else ""
    assert not result.is_error, f"{tool} failed: {text}"
    assert result.structured_content is not None, f"{tool} sent no structured content"
    assert json.loads(text) == result.structured_content, f"{tool}: text and structured content differ"
    return result.structured_content


def failure(tool: str, result: CallToolResult, markers: tuple[str, ...] = LEAK_MARKERS) -> dict[str, Any]:
    assert result.is_error, f"{tool} should have failed but answered {result.structured_content}"
    assert len(result.content) == 1 and result.content[0].type == "text"
    text = result.content[0].text
    for marker in markers:
        assert marker not in text, f"{tool} error leaks {marker!r}: {text}"
    body = json.loads(text)  # the whole text is the JSON object, no prefix
    assert isinstance(body, dict) and set(body) == ERROR_KEYS, text
    assert body["error"] in ERROR_TYPES, text
    assert isinstance(body["message"], str) and body["message"], text
    assert isinstance(body["details"], dict), text
    return body


def error_fields(body: Mapping[str, Any]) -> list[str]:
    return [entry["field"] for entry in body["details"].get("errors", [])]


@pytest.fixture(scope="module")
async def server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[StdioServer]:
    """A fresh server (empty SQLite database) shared by the tests of one module."""
    project = tmp_path_factory.mktemp("mcp-project")
    running = await StdioServer(project, server_env(project)).start()
    try:
        yield running
    finally:
        await running.stop()


# --- HTTP ---------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class HttpServer:
    process: subprocess.Popen[bytes]
    project: Path
    port: int
    stderr_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/mcp"

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")


def wait_for_port(process: subprocess.Popen[bytes], port: int, stderr_path: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log = stderr_path.read_text(errors="replace")
            raise RuntimeError(f"the HTTP server exited with {process.returncode}:\n{log}")
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.settimeout(0.2)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listened on port {port} within {START_TIMEOUT} s")


@contextlib.contextmanager
def http_server(project: Path, *args: str, **env: str) -> Iterator[HttpServer]:
    """`project-status serve --transport http --port <free> [args]` until the block ends."""
    port = free_port()
    stderr_path = project / f"http-{port}-stderr.txt"
    with stderr_path.open("wb") as errlog:
        process = subprocess.Popen(
            [*SERVE, "--transport", "http", "--port", str(port), *args],
            cwd=project,
            env=server_env(project, **env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=errlog,
        )
    try:
        wait_for_port(process, port, stderr_path)
        yield HttpServer(process, project, port, stderr_path)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
