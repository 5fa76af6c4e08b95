"""MCP tools for the changes a client made while PostgreSQL was down that sync could not apply."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from mcp.server.mcpserver import Context, MCPServer
from mcp.types import CallToolResult
from pydantic import BaseModel, Field

from project_status.domain.bounds import Boolean
from project_status.domain.sync import Resolution, SyncConflictRead
from project_status.mcp.context import resolve_actor, tracker
from project_status.mcp.results import guarded, ok
from project_status.mcp.tools_work_items import READ, UPDATE, Actor, Id


class ConflictResolved(BaseModel):
    id: str
    resolution: Resolution
    resolved_by: str


class ConflictList(BaseModel):
    items: list[SyncConflictRead]
    total: int


def register(server: MCPServer[Any]) -> None:
    @server.tool(
        annotations=READ,
        description="Offline changes sync could not apply; each keeps mine and theirs.",
    )
    @guarded
    async def list_sync_conflicts(
        ctx: Context[Any, Any],
        include_resolved: Boolean = False,
        limit: Annotated[int, Field(ge=1, le=500)] = 50,
    ) -> Annotated[CallToolResult, ConflictList]:
        found = (
            await (await tracker(ctx))
            .require_sync()
            .conflicts(include_resolved=include_resolved, limit=limit)
        )
        return ok(ConflictList(items=found, total=len(found)))

    @server.tool(
        annotations=UPDATE,
        description="Resolve a sync conflict: apply_mine (over the current version) or keep_theirs.",
    )
    @guarded
    async def resolve_sync_conflict(
        ctx: Context[Any, Any],
        id: Id,
        resolution: Literal["apply_mine", "keep_theirs"],
        actor: Actor = None,
    ) -> Annotated[CallToolResult, ConflictResolved]:
        app = await tracker(ctx)
        done = await app.require_sync().resolve(id, Resolution(resolution), resolve_actor(ctx, actor))
        return ok(ConflictResolved.model_validate(done.model_dump()))
