"""MCP tools for the work item archive: search it, bring an item back."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from mcp.server.mcpserver import Context, MCPServer
from mcp.types import CallToolResult, ToolAnnotations
from pydantic import Field

from project_status.domain.archive import ArchivedWorkItemBrief
from project_status.domain.bounds import Integer
from project_status.domain.enums import ItemType
from project_status.domain.pages import Page
from project_status.domain.work_items import WorkItemRead
from project_status.mcp.context import resolve_actor, tracker
from project_status.mcp.results import guarded, ok
from project_status.mcp.tools_work_items import LIST_BUDGET, READ, Actor, Id, ItemTypeArg

RESTORE = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=False)
"""Restoring adds items back (nothing is lost); a second call finds nothing left to restore."""


def register(server: MCPServer[Any]) -> None:
    @server.tool(
        annotations=READ,
        description="Archived work items (old finished subtrees), newest first.",
    )
    @guarded
    async def query_archived_work_items(
        ctx: Context[Any, Any],
        text: Annotated[str | None, Field(description="in title or description")] = None,
        item_type: ItemTypeArg | None = None,
        archived_after: datetime | None = None,
        limit: Integer = 50,
        cursor: str | None = None,
    ) -> Annotated[CallToolResult, Page[ArchivedWorkItemBrief]]:
        app = await tracker(ctx)
        page = await app.archive.list(
            text=text,
            item_type=ItemType(item_type) if item_type else None,
            archived_after=archived_after,
            limit=limit,
            cursor=cursor,
            max_bytes=LIST_BUDGET,
        )
        return ok(page)

    @server.tool(
        annotations=RESTORE,
        description="Bring an archived item back with its archived subtree and dependencies; "
        "its parent must be live.",
    )
    @guarded
    async def restore_archived_work_item(
        ctx: Context[Any, Any], id: Id, actor: Actor = None
    ) -> Annotated[CallToolResult, WorkItemRead]:
        app = await tracker(ctx)
        return ok(await app.archive.restore(id, resolve_actor(ctx, actor)))
