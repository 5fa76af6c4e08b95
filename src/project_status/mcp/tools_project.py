"""MCP tools for vendors, deployments, the project configuration and enhancements."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from mcp.server.mcpserver import Context, MCPServer
from mcp.types import CallToolResult
from pydantic import Field

from project_status.domain.bounds import Boolean, Integer
from project_status.domain.configuration import ConfigurationRead, ConfigurationUpdate
from project_status.domain.deployments import DeploymentBrief, DeploymentCreate, DeploymentRead
from project_status.domain.enhancements import (
    EnhancementBrief,
    EnhancementCreate,
    EnhancementRead,
    EnhancementUpdate,
)
from project_status.domain.enums import EnhancementStatus, VendorStatus
from project_status.domain.pages import Page
from project_status.domain.vendors import VendorCreate, VendorList, VendorRead, VendorUpdate
from project_status.mcp.context import given, resolve_actor, tracker
from project_status.mcp.results import guarded, ok
from project_status.mcp.tools_work_items import CREATE, LIST_BUDGET, READ, UPDATE, Actor, Id, Version

VendorStatusArg = Literal["operational", "broken"]
EnhancementStatusArg = Literal["planned", "approved", "implementing", "completed"]
VendorMeta = Annotated[
    dict[str, Any],
    Field(
        description="format_support{excel,csv,pdf,ocr},test_results{passing,total,skipped},manifest_compliant"
    ),
]
Quarter = Annotated[str | None, Field(description="YYYY-Qn")]


def register(server: MCPServer[Any]) -> None:
    @server.tool(annotations=CREATE, description="Register a vendor extractor (unique name).")
    @guarded
    async def create_vendor(
        ctx: Context[Any, Any],
        name: str,
        status: VendorStatusArg,
        extractor_version: str,
        metadata: VendorMeta,
        actor: Actor = None,
    ) -> Annotated[CallToolResult, VendorRead]:
        data = VendorCreate(
            name=name, status=VendorStatus(status), extractor_version=extractor_version, metadata=metadata
        )
        app = await tracker(ctx)
        return ok(await app.vendors.create(data, resolve_actor(ctx, actor)))

    @server.tool(
        annotations=READ, description="One vendor by name, or all (optionally only broken) with counts."
    )
    @guarded
    async def query_vendor_status(
        ctx: Context[Any, Any], name: str | None = None, only_broken: Boolean = False
    ) -> Annotated[CallToolResult, VendorList]:
        app = await tracker(ctx)
        return ok(await app.vendors.query(name, only_broken=only_broken))

    @server.tool(annotations=UPDATE, description="Update a vendor read at `version`; metadata is merged.")
    @guarded
    async def update_vendor_status(
        ctx: Context[Any, Any],
        name: str,
        version: Version,
        status: VendorStatusArg | None = None,
        extractor_version: str | None = None,
        metadata: dict[str, Any] | None = None,
        actor: Actor = None,
    ) -> Annotated[CallToolResult, VendorRead]:
        changes = VendorUpdate(**given(locals(), VendorUpdate.model_fields))
        app = await tracker(ctx)
        return ok(await app.vendors.update(name, version, changes, resolve_actor(ctx, actor)))

    @server.tool(
        annotations=CREATE,
        description="Record a deployment (append-only) with linked vendors and work items.",
    )
    @guarded
    async def record_deployment(
        ctx: Context[Any, Any],
        deployed_at: Annotated[datetime, Field(description="ISO 8601 with timezone")],
        commit_hash: str,
        metadata: Annotated[
            dict[str, Any],
            Field(description="pr_number, pr_title, test_summary{category:count}, constitutional_compliance"),
        ],
        vendor_names: list[str] | None = None,
        work_item_ids: list[str] | None = None,
        actor: Actor = None,
    ) -> Annotated[CallToolResult, DeploymentRead]:
        data = DeploymentCreate(
            deployed_at=deployed_at,
            commit_hash=commit_hash,
            metadata=metadata,
            vendor_names=vendor_names or [],
            work_item_ids=work_item_ids or [],
        )
        app = await tracker(ctx)
        return ok(await app.deployments.record(data, resolve_actor(ctx, actor)))

    @server.tool(annotations=READ, description="One deployment with its vendors and work items.")
    @guarded
    async def query_deployment(ctx: Context[Any, Any], id: Id) -> Annotated[CallToolResult, DeploymentRead]:
        app = await tracker(ctx)
        return ok(await app.deployments.get(id))

    @server.tool(annotations=READ, description="Deployments newest first; pass next_cursor to go on.")
    @guarded
    async def list_deployments(
        ctx: Context[Any, Any],
        since: datetime | None = None,
        vendor_name: str | None = None,
        limit: Integer = 20,
        cursor: str | None = None,
    ) -> Annotated[CallToolResult, Page[DeploymentBrief]]:
        app = await tracker(ctx)
        page = await app.deployments.list(
            since=since, vendor_name=vendor_name, limit=limit, cursor=cursor, max_bytes=LIST_BUDGET
        )
        return ok(page)

    @server.tool(annotations=READ, description="The project configuration (one row).")
    @guarded
    async def get_project_configuration(
        ctx: Context[Any, Any],
    ) -> Annotated[CallToolResult, ConfigurationRead]:
        app = await tracker(ctx)
        return ok(await app.configuration.get())

    @server.tool(
        annotations=UPDATE, description="Update the configuration read at `version`; null clears a field."
    )
    @guarded
    async def update_project_configuration(
        ctx: Context[Any, Any],
        version: Version,
        active_context_type: Literal["feature", "maintenance", "research"] | None = None,
        current_session_id: Annotated[str | None, Field(description="a session item id")] = None,
        git_branch: str | None = None,
        git_head_commit: str | None = None,
        default_token_budget: Integer | None = None,
        actor: Actor = None,
    ) -> Annotated[CallToolResult, ConfigurationRead]:
        changes = ConfigurationUpdate(**given(locals(), ConfigurationUpdate.model_fields))
        app = await tracker(ctx)
        return ok(await app.configuration.update(version, changes, resolve_actor(ctx, actor)))

    @server.tool(
        annotations=CREATE, description="Plan an enhancement; depends_on lists other enhancement ids."
    )
    @guarded
    async def create_enhancement(
        ctx: Context[Any, Any],
        title: str,
        description: str,
        priority: Integer,
        status: EnhancementStatusArg = "planned",
        target_quarter: Quarter = None,
        requires_constitutional_principles: list[str] | None = None,
        depends_on: list[str] | None = None,
        actor: Actor = None,
    ) -> Annotated[CallToolResult, EnhancementRead]:
        data = EnhancementCreate(
            title=title,
            description=description,
            priority=priority,
            status=EnhancementStatus(status),
            target_quarter=target_quarter,
            requires_constitutional_principles=requires_constitutional_principles or [],
            depends_on=depends_on or [],
        )
        app = await tracker(ctx)
        return ok(await app.enhancements.create(data, resolve_actor(ctx, actor)))

    @server.tool(annotations=UPDATE, description="Update an enhancement read at `version`.")
    @guarded
    async def update_enhancement(
        ctx: Context[Any, Any],
        id: Id,
        version: Version,
        title: str | None = None,
        description: str | None = None,
        priority: Integer | None = None,
        status: EnhancementStatusArg | None = None,
        target_quarter: Quarter = None,
        requires_constitutional_principles: list[str] | None = None,
        depends_on: list[str] | None = None,
        actor: Actor = None,
    ) -> Annotated[CallToolResult, EnhancementRead]:
        changes = EnhancementUpdate(**given(locals(), EnhancementUpdate.model_fields))
        app = await tracker(ctx)
        return ok(await app.enhancements.update(id, version, changes, resolve_actor(ctx, actor)))

    @server.tool(annotations=READ, description="Enhancements by priority; pass next_cursor to go on.")
    @guarded
    async def list_enhancements(
        ctx: Context[Any, Any],
        priority: Integer | None = None,
        status: EnhancementStatusArg | None = None,
        target_quarter: Quarter = None,
        limit: Integer = 50,
        cursor: str | None = None,
    ) -> Annotated[CallToolResult, Page[EnhancementBrief]]:
        app = await tracker(ctx)
        page = await app.enhancements.list(
            priority=priority,
            status=EnhancementStatus(status) if status else None,
            target_quarter=target_quarter,
            limit=limit,
            cursor=cursor,
            max_bytes=LIST_BUDGET,
        )
        return ok(page)
