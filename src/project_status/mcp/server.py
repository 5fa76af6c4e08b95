"""Build and run the MCP server over stdio or streamable HTTP."""

from __future__ import annotations

import functools
import gc
import hmac
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import pydantic
from mcp.server.auth.provider import AccessToken
from mcp.server.auth.settings import AuthSettings
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult
from mcp.types import Tool as MCPTool

from project_status import __version__
from project_status.domain.errors import NotFoundError, TrackerError
from project_status.mcp import tools
from project_status.mcp.context import AppState
from project_status.mcp.results import fail
from project_status.services import jobs as jobs_module
from project_status.services.commands import COMMANDS
from project_status.services.fallback.upkeep import keep_mirror_current
from project_status.services.tracker import Tracker
from project_status.settings import Settings

log = logging.getLogger(__name__)

REPORT_URI = "project-status://report"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}

INSTRUCTIONS = (
    "Shared project status tracker. Ids accept a unique 8+ hex prefix. Updates need the version you "
    "read; on VersionConflictError re-read and retry. Entities also carry created_at, created_by, "
    "updated_at, updated_by. `actor` names who acts (default: your client name). Errors are JSON "
    "{error, message, details}. Answers served while PostgreSQL is down carry `warnings`."
)


class TrackerServer(MCPServer[AppState]):
    """MCPServer whose tools are the command registry's (mcp/tools.py), not decorated functions."""

    async def list_tools(self) -> list[MCPTool]:
        return tools.TOOLS

    def _tool_input_schema(self, name: str) -> dict[str, Any] | None:
        return tools.INPUT_SCHEMAS.get(name)

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context[AppState, Any] | None = None
    ) -> CallToolResult:
        command = COMMANDS.get(name)
        if command is None:
            names = sorted(tool.name for tool in tools.TOOLS)
            return fail(
                NotFoundError(
                    f"No tool named {name!r}. tools/list names every tool; these are: {', '.join(names)}.",
                    {"field": "name", "value": name, "tools": names},
                )
            )
        if context is None:
            raise ToolError(f"{name} needs a request context")
        return await tools.call(command, arguments, context)


class StaticTokenVerifier:
    """Accept exactly one bearer token (PROJECT_STATUS_HTTP_TOKEN), compared in constant time."""

    def __init__(self, token: str) -> None:
        self._token = token

    async def verify_token(self, token: str) -> AccessToken | None:
        if hmac.compare_digest(token.encode(), self._token.encode()):
            return AccessToken(token=token, client_id="bearer", scopes=[])
        return None


def build_server(
    settings: Settings,
    *,
    url: str | None = None,
    http_token: str | None = None,
    public_url: str | None = None,
) -> TrackerServer:
    """The server with every tool registered; the database opens in the lifespan."""

    state = AppState(tracker=Tracker.create(settings, url=url))

    @asynccontextmanager
    async def lifespan(_server: MCPServer[AppState]) -> AsyncIterator[AppState]:
        try:
            await state.tracker.ensure_ready()
        except TrackerError as error:
            # Keep serving: every tool call retries and answers with a clear DatabaseError.
            log.warning("database not ready at start-up: %s", error.message)
        # What start-up allocated lives as long as the server: keep it out of the collector's
        # full passes, which otherwise stall a request now and then.
        gc.collect()
        gc.freeze()
        try:
            async with anyio.create_task_group() as jobs:
                jobs.start_soon(jobs_module.keep_health_current, state.tracker)
                if state.tracker.mirror is not None and state.tracker.sync is not None:
                    jobs.start_soon(
                        functools.partial(
                            keep_mirror_current,
                            state.tracker.mirror,
                            state.tracker.sync,
                            state.tracker.try_ready,
                            refresh_every_seconds=settings.mirror_refresh_minutes * 60,
                        )
                    )
                if settings.archive_interval_hours > 0:
                    jobs.start_soon(jobs_module.keep_archive_current, state.tracker, settings)
                live_report = state.tracker.live_report(settings.report_refresh_seconds)
                if live_report is not None:
                    jobs.start_soon(live_report.keep_current)
                try:
                    yield state
                finally:
                    jobs.cancel_scope.cancel()
        finally:
            await state.tracker.close()  # after the jobs have stopped using it

    auth: dict[str, Any] = {}
    if http_token:
        base = public_url or "http://127.0.0.1"
        auth = {
            "token_verifier": StaticTokenVerifier(http_token),
            "auth": AuthSettings(
                issuer_url=pydantic.AnyHttpUrl(base),
                resource_server_url=pydantic.AnyHttpUrl(f"{base}/mcp"),
                validate_token_resource=False,
            ),
        }
    server = TrackerServer(
        name="project-status",
        version=__version__,
        instructions=INSTRUCTIONS,
        lifespan=lifespan,
        **auth,
    )

    @server.resource(
        REPORT_URI, name="status-report", mime_type="text/markdown", description="The current status report."
    )
    async def status_report() -> str:
        # A static resource gets no request context: the tracker is the one built here.
        await state.tracker.ensure_ready()
        return await state.tracker.reports.render()

    return server
