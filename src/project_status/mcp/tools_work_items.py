"""MCP tools for work items, their dependencies and history."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from mcp.server.mcpserver import Context, MCPServer
from mcp.types import CallToolResult, ToolAnnotations
from pydantic import Field

from project_status.domain.bounds import Boolean, Int4, Integer
from project_status.domain.enums import DependencyType, ItemType, WorkItemStatus
from project_status.domain.events import EventList
from project_status.domain.pages import Page
from project_status.domain.work_items import (
    DependencyRead,
    WorkItemBrief,
    WorkItemCreate,
    WorkItemDetail,
    WorkItemRead,
    WorkItemUpdate,
)
from project_status.mcp.context import given, resolve_actor, tracker
from project_status.mcp.results import guarded, ok

LIST_BUDGET = 3000
"""Bytes of brief rows per list answer, so an answer stays small whatever the titles hold."""

Version = Int4
"""The version read; an integer (digits in a string too), never `true` for 1."""
Id = str
"""A UUID or a unique prefix of 8+ hex characters (the server instructions say so once)."""
ItemTypeArg = Literal["project", "session", "task", "research"]
StatusArg = Literal["active", "completed", "blocked"]
DepTypeArg = Literal["blocks", "depends_on"]
Metadata = Annotated[
    dict[str, Any] | None, Field(description="per item_type schema; merged, null drops a key")
]
Actor = Annotated[str | None, Field()]
"""Who acts, for the audit trail; the server instructions say the default (the client's name)."""

READ = ToolAnnotations(read_only_hint=True)
"""Read-only implies neither destructive nor meaningful to repeat-check (MCP spec), so no more hints."""
CREATE = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=False)
UPDATE = ToolAnnotations(read_only_hint=False, destructive_hint=True, idempotent_hint=True)
REMOVE = ToolAnnotations(read_only_hint=False, destructive_hint=True, idempotent_hint=False)


def register(server: MCPServer[Any]) -> None:
    @server.tool(
        annotations=CREATE,
        description="Create a project/session/task/research item, optionally under a parent (max depth 5).",
    )
    @guarded
    async def create_work_item(
        ctx: Context[Any, Any],
        item_type: ItemTypeArg,
        title: str,
        parent_id: Id | None = None,
        description: str | None = None,
        status: StatusArg = "active",
        priority: Annotated[Integer, Field(description="1 highest..5")] = 3,
        metadata: Metadata = None,
        branch_name: str | None = None,
        commit_hash: str | None = None,
        pr_number: Integer | None = None,
        actor: Actor = None,
    ) -> Annotated[CallToolResult, WorkItemRead]:
        data = WorkItemCreate(
            item_type=ItemType(item_type),
            title=title,
            parent_id=parent_id,
            description=description,
            status=WorkItemStatus(status),
            priority=priority,
            metadata=metadata,
            branch_name=branch_name,
            commit_hash=commit_hash,
            pr_number=pr_number,
        )
        app = await tracker(ctx)
        return ok(await app.work_items.create(data, resolve_actor(ctx, actor)))

    @server.tool(
        annotations=UPDATE,
        description="Change fields of a work item read at `version`. parent_id moves its subtree "
        "(null: top level); deleted true/false soft-deletes/restores; null clears a field.",
    )
    @guarded
    async def update_work_item(
        ctx: Context[Any, Any],
        id: Id,
        version: Version,
        title: str | None = None,
        description: str | None = None,
        status: StatusArg | None = None,
        priority: Integer | None = None,
        metadata: Metadata = None,
        parent_id: Id | None = None,
        branch_name: str | None = None,
        commit_hash: str | None = None,
        pr_number: Integer | None = None,
        deleted: Boolean | None = None,
        actor: Actor = None,
    ) -> Annotated[CallToolResult, WorkItemRead]:
        values = locals()
        changes = WorkItemUpdate(**given(values, WorkItemUpdate.model_fields))
        app = await tracker(ctx)
        return ok(await app.work_items.update(id, version, changes, resolve_actor(ctx, actor)))

    @server.tool(
        annotations=READ,
        description="One work item with ancestors (root first), nested children and dependencies.",
    )
    @guarded
    async def query_work_item(
        ctx: Context[Any, Any], id: Id, include_children: Boolean = True, include_dependencies: Boolean = True
    ) -> Annotated[CallToolResult, WorkItemDetail]:
        app = await tracker(ctx)
        detail = await app.work_items.get(
            id, include_children=include_children, include_dependencies=include_dependencies
        )
        return ok(detail)

    @server.tool(
        annotations=READ,
        description="Brief work item rows by filter, oldest first; pass next_cursor to go on.",
    )
    @guarded
    async def list_work_items(
        ctx: Context[Any, Any],
        item_type: ItemTypeArg | None = None,
        status: StatusArg | None = None,
        parent_id: Id | None = None,
        text: Annotated[str | None, Field(description="in title or description")] = None,
        include_deleted: Boolean = False,
        limit: Integer = 50,
        cursor: str | None = None,
    ) -> Annotated[CallToolResult, Page[WorkItemBrief]]:
        app = await tracker(ctx)
        page = await app.work_items.list(
            item_type=ItemType(item_type) if item_type else None,
            status=WorkItemStatus(status) if status else None,
            parent_id=parent_id,
            text=text,
            include_deleted=include_deleted,
            limit=limit,
            cursor=cursor,
            max_bytes=LIST_BUDGET,
        )
        return ok(page)

    @server.tool(
        annotations=READ, description="Active items whose blockers are all completed, highest priority first."
    )
    @guarded
    async def list_ready_work(
        ctx: Context[Any, Any],
        item_type: ItemTypeArg | None = None,
        limit: Integer = 20,
        cursor: str | None = None,
    ) -> Annotated[CallToolResult, Page[WorkItemBrief]]:
        app = await tracker(ctx)
        page = await app.work_items.ready(
            item_type=ItemType(item_type) if item_type else None,
            limit=limit,
            cursor=cursor,
            max_bytes=LIST_BUDGET,
        )
        return ok(page)

    @server.tool(
        annotations=CREATE,
        description="Add an edge: source blocks target, or source depends_on target. No cycles.",
    )
    @guarded
    async def add_dependency(
        ctx: Context[Any, Any],
        source_id: Id,
        target_id: Id,
        dependency_type: DepTypeArg,
        actor: Actor = None,
    ) -> Annotated[CallToolResult, DependencyRead]:
        app = await tracker(ctx)
        edge = await app.dependencies.add(
            source_id, target_id, DependencyType(dependency_type), resolve_actor(ctx, actor)
        )
        return ok(edge)

    @server.tool(annotations=REMOVE, description="Remove a dependency edge (either equivalent form).")
    @guarded
    async def remove_dependency(
        ctx: Context[Any, Any],
        source_id: Id,
        target_id: Id,
        dependency_type: DepTypeArg,
        actor: Actor = None,
    ) -> Annotated[CallToolResult, DependencyRead]:
        app = await tracker(ctx)
        edge = await app.dependencies.remove(
            source_id, target_id, DependencyType(dependency_type), resolve_actor(ctx, actor)
        )
        return ok(edge)

    @server.tool(annotations=READ, description="Audit events of a work item, newest first: who changed what.")
    @guarded
    async def get_work_item_history(
        ctx: Context[Any, Any], id: Id, limit: Integer = 50
    ) -> Annotated[CallToolResult, EventList]:
        app = await tracker(ctx)
        return ok(EventList(items=await app.work_items.history(id, limit)))
