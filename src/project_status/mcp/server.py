"""Build and run the MCP server over stdio or streamable HTTP."""

from __future__ import annotations

import functools
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import pydantic
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.utilities.func_metadata import FuncMetadata
from mcp.types import Tool as MCPTool

from project_status import __version__
from project_status.domain.errors import NotFoundError, TrackerError, ValidationError
from project_status.mcp import tools_archive, tools_project, tools_report, tools_sync, tools_work_items
from project_status.mcp.context import AppState, given_arguments
from project_status.mcp.results import argument_error, fail
from project_status.mcp.schemas import compact_input, compact_output
from project_status.services import jobs as jobs_module
from project_status.services.fallback.upkeep import keep_mirror_current
from project_status.services.tracker import Tracker
from project_status.settings import Settings

log = logging.getLogger(__name__)

INSTRUCTIONS = (
    "Shared project status tracker. Ids accept a unique 8+ hex prefix. Updates need the version you "
    "read; on VersionConflictError re-read and retry. Entities also carry created_at, created_by, "
    "updated_at, updated_by. `actor` names who acts (default: your client name). Errors are JSON "
    "{error, message, details}. Answers served while PostgreSQL is down carry `warnings`, "
    "`data_source` (mirror, git, file) and `data_age_seconds`; their ids stay valid."
)


CLOSE_SECONDS = 0.5
"""How long shutdown waits for the database connections to close."""


async def _start_up_then_keep_health_current(tracker: Tracker) -> None:
    """Check the schema in the background, so that start-up never waits on the database."""
    try:
        await tracker.ensure_ready()
    except TrackerError as error:
        # Keep serving: every tool call retries and answers with a clear DatabaseError.
        log.warning("database not ready at start-up: %s", error.message)
    # What start-up allocated lives as long as the server: keep it out of the collector's full
    # passes, which otherwise stall a request now and then for tens of milliseconds.
    gc.collect()
    gc.freeze()
    await jobs_module.keep_health_current(tracker)


class TrackerServer(MCPServer[AppState]):
    """MCPServer that remembers which arguments a call sent, reports bad ones as tracker JSON
    and advertises compact schemas."""

    _compact_tools: list[MCPTool] | None = None
    app_state: AppState | None = None
    """The tracker the tools share (opened in the lifespan), for the board mounted beside them."""
    _argument_names: dict[str, frozenset[str]] | None = None

    async def list_tools(self) -> list[MCPTool]:
        if self._compact_tools is None:
            self._compact_tools = [
                tool.model_copy(
                    update={
                        "input_schema": compact_input(
                            tool.input_schema, null_clears=tool.name.startswith("update_")
                        ),
                        "output_schema": compact_output(tool.output_schema) if tool.output_schema else None,
                    }
                )
                for tool in await super().list_tools()
            ]
        return self._compact_tools

    def keep_text_arguments(self) -> None:
        """Call once all tools are registered: see `_TextKeepingMetadata`."""
        for tool in self._tool_manager.list_tools():
            fields = {name: getattr(tool.fn_metadata, name) for name in FuncMetadata.model_fields}
            tool.fn_metadata = _TextKeepingMetadata.model_construct(**fields)

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context[AppState, Any] | None = None
    ) -> Any:
        names = await self._tool_arguments()
        if name not in names:
            return fail(
                NotFoundError(
                    f"No tool named {name!r}. tools/list names every tool; these are: "
                    f"{', '.join(sorted(names))}.",
                    {"field": "name", "value": name, "tools": sorted(names)},
                )
            )
        unknown = await self._unknown_arguments(name, arguments)
        if unknown is not None:
            return fail(unknown)
        token = given_arguments.set(frozenset(arguments))
        try:
            return await super().call_tool(name, arguments, context)
        except ToolError as exc:
            if isinstance(exc.__cause__, pydantic.ValidationError):
                return argument_error(exc.__cause__)
            raise
        finally:
            given_arguments.reset(token)

    async def _tool_arguments(self) -> dict[str, frozenset[str]]:
        if self._argument_names is None:
            self._argument_names = {
                tool.name: frozenset(tool.input_schema.get("properties", {}))
                for tool in await self.list_tools()
            }
        return self._argument_names

    async def _unknown_arguments(self, name: str, arguments: dict[str, Any]) -> ValidationError | None:
        """A misspelt argument is an error, not silently dropped data."""
        known = (await self._tool_arguments()).get(name)
        if known is None:
            return None
        extra = sorted(set(arguments) - known)
        if not extra:
            return None
        return ValidationError(
            f"{name} has no argument {', '.join(extra)}; it takes: {', '.join(sorted(known))}.",
            {
                "errors": [
                    {"field": field, "message": "unknown argument", "value": arguments[field]}
                    for field in extra
                ]
            },
        )


_NOT_TEXT = frozenset({"object", "array", "integer", "number", "boolean"})


@functools.cache
def _text_arguments(model: type[pydantic.BaseModel]) -> frozenset[str]:
    """The arguments whose only JSON type is a string (null aside)."""
    names: set[str] = set()
    for name, prop in model.model_json_schema().get("properties", {}).items():
        kinds = {prop.get("type")} | {branch.get("type") for branch in prop.get("anyOf", [])}
        if "string" in kinds and not kinds & _NOT_TEXT:
            names.add(name)
    return frozenset(names)


class _TextKeepingMetadata(FuncMetadata):
    """The SDK reads every string argument whose type is not exactly `str` as JSON first, so an
    optional title "null" became null (clearing the field) and a parent_id "null" meant no parent.
    Only arguments that are not text are read that way here (an object sent as a JSON string)."""

    def pre_parse_json(self, data: dict[str, Any]) -> dict[str, Any]:
        parsed = super().pre_parse_json(data)
        text = _text_arguments(self.arg_model)
        return {key: data[key] if key in text else value for key, value in parsed.items()}


def build_server(
    settings: Settings,
    *,
    url: str | None = None,
) -> TrackerServer:
    """The server with every tool registered; the database opens in the lifespan."""

    state = AppState(tracker=Tracker.create(settings, url=url))

    @asynccontextmanager
    async def lifespan(_server: MCPServer[AppState]) -> AsyncIterator[AppState]:
        # Nothing slow happens before the yield: a client that goes away right after starting the
        # server must find it answering EOF at once, not after a schema check or a connect timeout.
        try:
            async with anyio.create_task_group() as jobs:
                jobs.start_soon(_start_up_then_keep_health_current, state.tracker)
                jobs.start_soon(jobs_module.keep_pool_trimmed, state.tracker)
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
            # After the jobs have stopped using it; shielded, as the caller may be cancelled, and
            # bounded, so that a connection that does not close in time cannot keep the process up.
            with anyio.move_on_after(CLOSE_SECONDS, shield=True) as closing:
                await state.tracker.close()
            if closing.cancelled_caught:
                log.warning("the database connections did not close within %.1f s", CLOSE_SECONDS)

    server = TrackerServer(
        name="project-status",
        version=__version__,
        instructions=INSTRUCTIONS,
        lifespan=lifespan,
    )
    server.app_state = state
    tools_work_items.register(server)
    tools_archive.register(server)
    tools_project.register(server)
    tools_report.register(server, state)
    tools_sync.register(server)
    server.keep_text_arguments()
    return server
