"""MCP tools generated from the command registry: one tool per command, listed and called here.

The input schema is the command's input model, the output schema its answer model, both made
compact (mcp/schemas.py); the annotations come from the command's hints. A call validates its
arguments with the model, runs the handler, and answers structured content or the tracker's
JSON error; nothing else (no traceback, SQL or driver text) reaches a client.
"""

from __future__ import annotations

import importlib
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pydantic
from mcp.server import ServerRequestContext
from mcp.types import CallToolResult, ToolAnnotations
from mcp.types import Tool as MCPTool

from project_status.domain.errors import ValidationError
from project_status.mcp import tool_cache
from project_status.mcp.context import resolve_actor, tracker
from project_status.mcp.results import as_tracker_error, fail, ok
from project_status.mcp.schemas import compact_input, compact_output
from project_status.mcp.tool_cache import Catalog
from project_status.services import notices
from project_status.services.commands import COMMANDS, Command, Hints
from project_status.services.tracker import Tracker


def tool_annotations(hints: Hints) -> ToolAnnotations:
    if hints.read_only:
        return ToolAnnotations(read_only_hint=True)
    return ToolAnnotations(
        read_only_hint=False, destructive_hint=hints.destructive, idempotent_hint=hints.idempotent
    )


def _output_schema(command: Command[Any, Any]) -> dict[str, Any]:
    echoed = frozenset() if command.hints.read_only else frozenset(command.arguments.model_fields)
    return compact_output(command.answer.model_json_schema(), echoed=echoed)


def as_tool(command: Command[Any, Any]) -> MCPTool:
    return MCPTool(
        name=command.name,
        description=command.description,
        input_schema=compact_input(
            command.arguments.model_json_schema(by_alias=True), null_clears=command.name.startswith("update_")
        ),
        output_schema=_output_schema(command),
        annotations=tool_annotations(command.hints),
    )


def built() -> Catalog:
    """Every tool from the command registry (importing every command module)."""
    return Catalog(
        tools={command.name: as_tool(command) for command in COMMANDS},
        listed=[command.name for command in COMMANDS if command.listed],
        modules={command.name: command.handler.__module__ for command in COMMANDS},
    )


class ToolList:
    """The server's tools: built when first listed or called, not at import (the JSON schemas
    of every model are a noticeable share of start-up), or read from `cache` (mcp/tool_cache.py),
    a file in the project's data folder, None for none."""

    def __init__(self, cache: Path | None = None) -> None:
        self._cache = cache
        self._catalog: Catalog | None = None

    def catalog(self) -> Catalog:
        if self._catalog is None:
            self._catalog = built() if self._cache is None else self._cached(self._cache)
        return self._catalog

    @staticmethod
    def _cached(path: Path) -> Catalog:
        key = tool_cache.fingerprint()
        found = tool_cache.read(path, key)
        if found is None:
            found = built()
            tool_cache.write(path, key, found)
        return found

    def listed(self) -> list[MCPTool]:
        """What tools/list answers, in the registry's order."""
        catalog = self.catalog()
        return [catalog.tools[name] for name in catalog.listed]

    def input_schema(self, name: str) -> dict[str, Any] | None:
        """The input schema of the tool `name` (listed or an alias); None for no such tool."""
        tool = self.catalog().tools.get(name)
        return None if tool is None else tool.input_schema

    def command(self, name: str) -> Command[Any, Any] | None:
        """The command behind tool `name`, importing only its own module when it is known."""
        module = self.catalog().modules.get(name)
        if module is not None and module not in sys.modules:
            importlib.import_module(module)
        return COMMANDS.get(name)


@dataclass(frozen=True)
class _McpCall:
    """A command run for an MCP client: its actor, and the server's tracker made ready on demand."""

    actor: str
    request: ServerRequestContext[Any, Any]

    async def tracker(self) -> Tracker:
        return await tracker(self.request)


def _unknown_arguments(command: Command[Any, Any], arguments: dict[str, Any]) -> ValidationError | None:
    """A misspelt argument is an error, not silently dropped data."""
    known = command.arguments.model_fields.keys()
    if arguments.keys() <= known:
        return None
    extra = sorted(arguments.keys() - known)
    return ValidationError(
        f"{command.name} has no argument {', '.join(extra)}; it takes: {', '.join(sorted(known))}.",
        {
            "errors": [
                {"field": field, "message": "unknown argument", "value": arguments[field]} for field in extra
            ]
        },
    )


async def call(
    command: Command[Any, Any], arguments: dict[str, Any], request: ServerRequestContext[Any, Any]
) -> CallToolResult:
    unknown = _unknown_arguments(command, arguments)
    if unknown is not None:
        return fail(unknown)
    try:
        parsed = command.parse(arguments)
    except pydantic.ValidationError as exc:
        return fail(as_tracker_error(exc))
    with notices.collecting():
        try:
            actor = resolve_actor(request, parsed.explicit_actor())
            answer = await command.run(parsed, _McpCall(actor, request))
        except Exception as exc:
            return fail(as_tracker_error(exc))
        return ok(answer)
