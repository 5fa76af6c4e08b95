"""Build and run the MCP server over stdio or streamable HTTP."""

from __future__ import annotations

import functools
import gc
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import anyio
import mcp.server.mcpserver.server as sdk_server
from anyio.abc import TaskGroup
from mcp.server import ServerRequestContext
from mcp.server.lowlevel.helper_types import ReadResourceContents
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ToolError
from mcp.shared.exceptions import MCPError
from mcp.types import CallToolRequestParams, CallToolResult, InputRequiredResult, TextContent
from mcp.types import Tool as MCPTool
from pydantic import AnyUrl

from project_status import __version__
from project_status.domain.errors import NotFoundError, TrackerError
from project_status.mcp import tool_cache, tools
from project_status.mcp.context import AppState
from project_status.mcp.results import fail
from project_status.mcp.roots import started_outside_a_project
from project_status.mcp.warm import Activity, warm_up
from project_status.services import jobs as jobs_module
from project_status.services.fallback.upkeep import keep_mirror_current
from project_status.services.tracker import Tracker
from project_status.settings import Settings, data_dir

log = logging.getLogger(__name__)

REPORT_URI = "project-status://report"

INSTRUCTIONS = (
    "Shared project status tracker. Ids accept a unique 8+ hex prefix. Updates need the version you "
    "read; on VersionConflictError re-read and retry. Entities also carry created_at, created_by, "
    "updated_at, updated_by. Lists take limit (1-200) and answer total and next_cursor: pass it as "
    "cursor to go on; budget_truncated means the size budget cut the page. "
    "`actor` names who acts (default: your client name). Errors are JSON "
    "{error, message, details}. Answers served while PostgreSQL is down carry `warnings`, "
    "`data_source` (mirror, git, file) and `data_age_seconds`; their ids stay valid."
)


CLOSE_SECONDS = 0.5
"""How long shutdown waits for the database connections to close."""
QUIET_START_SECONDS = 2.0
"""The background jobs (health, pool trimming, archive, report file) wait for the first tool
answer, or this long if no call comes: a client's first call does not queue behind them."""


async def _start_up_then_keep_health_current(tracker: Tracker, first_answer: anyio.Event) -> None:
    """Check the schema in the background, so that start-up never waits on the database; the
    first tool call needs it, so it starts at once, the rest after the first answer."""
    try:
        await tracker.ensure_ready()
    except TrackerError as error:
        # Keep serving: every tool call retries and answers with a clear DatabaseError.
        log.warning("database not ready at start-up: %s", error.message)
    await _quiet_start(first_answer)
    settle_heap()
    await jobs_module.keep_health_current(tracker)


def settle_heap() -> None:
    """Once start-up has imported and built what the server keeps for good: freeze it, so that the
    cyclic collector's passes skip it, and turn the collector on (the CLI keeps it off while it
    imports, cli/main.py). No full collection first: it walks the whole heap (0.1-0.25 s), right
    while the first answer is being written, to find a few thousand objects that start-up left."""
    gc.freeze()
    gc.enable()


async def _quiet_start(first_answer: anyio.Event) -> None:
    """Until the first tool answer has gone out, or QUIET_START_SECONDS."""
    with anyio.move_on_after(QUIET_START_SECONDS):
        await first_answer.wait()


async def _after_quiet_start(first_answer: anyio.Event, job: Callable[[], Awaitable[None]]) -> None:
    await _quiet_start(first_answer)
    await job()


class TrackerServer(MCPServer[AppState]):
    """MCPServer whose tools are the command registry's (mcp/tools.py), not decorated functions."""

    app_state: AppState | None = None
    """The tracker the tools share (opened in the lifespan), for the board mounted beside them."""
    first_answer: anyio.Event | None = None
    """Set once a tool call has been answered (made in the lifespan): background work waits for it."""

    tool_list: tools.ToolList = tools.ToolList()
    """Set by build_server, with the project's cache file when the project is known."""

    async def list_tools(self) -> list[MCPTool]:
        return self.tool_list.listed()

    def _tool_input_schema(self, name: str) -> dict[str, Any] | None:
        return self.tool_list.input_schema(name)

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context[AppState, Any] | None = None
    ) -> CallToolResult:
        return await self._answer(name, arguments, None if context is None else context.request_context)

    async def _handle_call_tool(
        self, ctx: ServerRequestContext[AppState, Any], params: CallToolRequestParams
    ) -> CallToolResult | InputRequiredResult:
        """What the SDK runs for tools/call (MCPServer registers this method as its handler).

        The SDK's own wraps the request in a `Context` model for `call_tool`, which costs more
        than building our answer (made, then read through pydantic private attributes); the
        tools read the request context itself. Anything unexpected is answered as the SDK's
        handler answers it."""
        try:
            return await self._answer(params.name, params.arguments or {}, ctx)
        except MCPError:
            raise
        except Exception as exc:
            log.exception("Tool %r raised an unexpected exception", params.name)
            return CallToolResult(content=[TextContent(type="text", text=str(exc))], is_error=True)

    async def _answer(
        self, name: str, arguments: dict[str, Any], request: ServerRequestContext[AppState, Any] | None
    ) -> CallToolResult:
        command = self.tool_list.command(name)
        if command is None:
            names = sorted(tool.name for tool in self.tool_list.listed())
            return fail(
                NotFoundError(
                    f"No tool named {name!r}. tools/list names every tool; these are: {', '.join(names)}.",
                    {"field": "name", "value": name, "tools": names},
                )
            )
        if request is None:
            raise ToolError(f"{name} needs a request context")
        try:
            return await tools.call(command, arguments, request)
        finally:
            if self.first_answer is not None and not self.first_answer.is_set():
                self.first_answer.set()

    async def read_resource(
        self, uri: AnyUrl | str, context: Context[AppState, Any] | None = None
    ) -> Iterable[ReadResourceContents] | InputRequiredResult:
        """Open the tracker first (from the client's roots, if it started outside a project)."""
        if self.app_state is not None and self.app_state.tracker is None and context is not None:
            try:
                await self.app_state.open(context.session)
            except TrackerError as error:
                raise ResourceError(error.message) from None
        return await super().read_resource(uri, context)


def _start_jobs(jobs: TaskGroup, settings: Settings, first_answer: anyio.Event, tracker: Tracker) -> None:
    """The tracker's background work, in the lifespan's task group: the schema check and the
    mirror at once, the rest after the first answer (see QUIET_START_SECONDS)."""

    def later(job: Callable[[], Awaitable[None]]) -> None:
        jobs.start_soon(_after_quiet_start, first_answer, job)

    jobs.start_soon(_start_up_then_keep_health_current, tracker, first_answer)
    later(functools.partial(jobs_module.keep_pool_trimmed, tracker))
    if tracker.mirror is not None and tracker.sync is not None:
        # At once, not deferred: until its first copy there is no offline fallback, and
        # PostgreSQL may go away right after the first answer.
        jobs.start_soon(
            functools.partial(
                keep_mirror_current,
                tracker.mirror,
                tracker.sync,
                tracker.try_ready,
                refresh_every_seconds=settings.mirror_refresh_minutes * 60,
            )
        )
    if settings.archive_interval_hours > 0:
        later(functools.partial(jobs_module.keep_archive_current, tracker, settings))
    later(functools.partial(_keep_report_current, tracker, settings.report_refresh_seconds))


async def _keep_report_current(tracker: Tracker, delay_seconds: float) -> None:
    """Made when the job starts, so that the report's modules load after the first answer."""
    live_report = tracker.live_report(delay_seconds)
    if live_report is not None:
        await live_report.keep_current()


_SDK_LOGGING_SETUP = "configure_logging"
"""The function of the SDK's server module that MCPServer() calls to set up logging."""


@contextmanager
def _sdk_logging_setup_skipped() -> Iterator[None]:
    """`MCPServer()` sets up logging with a Rich handler, importing Rich for it (a twentieth of the
    stdio server's start-up), even where `logging.basicConfig` then drops that handler because
    logging is set up already (mcp/run.py does it first). There it is skipped: nothing changes."""
    if not logging.getLogger().handlers:
        yield
        return
    setup = getattr(sdk_server, _SDK_LOGGING_SETUP)
    setattr(sdk_server, _SDK_LOGGING_SETUP, lambda *args, **kwargs: None)
    try:
        yield
    finally:
        setattr(sdk_server, _SDK_LOGGING_SETUP, setup)


def build_server(
    settings: Settings,
    *,
    url: str | None = None,
    project_from_roots: bool = False,
) -> TrackerServer:
    """The server with every tool registered; the database opens in the lifespan.

    With `project_from_roots` (one client, on stdio), a server started outside any project opens
    its tracker at the first request, in the project of the client's first folder root.
    """
    late = project_from_roots and url is None and started_outside_a_project(settings)
    state = AppState(settings, tracker=None if late else Tracker.create(settings, url=url))
    activity = Activity()

    @asynccontextmanager
    async def lifespan(_server: MCPServer[AppState]) -> AsyncIterator[AppState]:
        # Nothing slow happens before the yield: a client that goes away right after starting the
        # server must find it answering EOF at once, not after a schema check or a connect timeout.
        first_answer = server.first_answer = anyio.Event()
        handshake = activity.handshake = anyio.Event()
        try:
            async with anyio.create_task_group() as jobs:
                jobs.start_soon(warm_up, activity, handshake, server.tool_list, state.tracker)
                state.on_open = functools.partial(_start_jobs, jobs, settings, first_answer)
                if state.tracker is not None:
                    state.on_open(state.tracker)
                try:
                    yield state
                finally:
                    state.on_open = None
                    jobs.cancel_scope.cancel()
        finally:
            # After the jobs have stopped using it; shielded, as the caller may be cancelled, and
            # bounded, so that a connection that does not close in time cannot keep the process up.
            if state.tracker is not None:
                with anyio.move_on_after(CLOSE_SECONDS, shield=True) as closing:
                    await state.tracker.close()
                if closing.cancelled_caught:
                    log.warning("the database connections did not close within %.1f s", CLOSE_SECONDS)

    with _sdk_logging_setup_skipped():
        server = TrackerServer(
            name="project-status",
            version=__version__,
            instructions=INSTRUCTIONS,
            lifespan=lifespan,
        )
    server.app_state = state
    server.tool_list = tools.ToolList(None if late else data_dir(settings) / tool_cache.FILE_NAME)
    server.middleware.append(activity)

    @server.resource(
        REPORT_URI, name="status-report", mime_type="text/markdown", description="The current status report."
    )
    async def status_report() -> str:
        # A static resource gets no request context: read_resource has opened the tracker.
        if state.tracker is None:
            raise ResourceError("The project folder is not known yet; call any tool to open it.")
        await state.tracker.ensure_ready()
        return await state.tracker.reports.render()

    return server
