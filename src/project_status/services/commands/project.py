"""Commands on vendors, deployments, the project configuration and enhancements."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

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
from project_status.domain.enums import EnhancementStatus
from project_status.domain.pages import Page
from project_status.domain.vendors import VendorCreate, VendorList, VendorRead, VendorUpdate
from project_status.services.commands.registry import (
    CREATE,
    LIST_BUDGET,
    NOT_NULL,
    READ,
    UPDATE,
    Arguments,
    Call,
    command,
)
from project_status.services.commands.work_items import Actor, Id, Version

VendorStatusArg = Literal["operational", "broken"]
EnhancementStatusArg = Literal["planned", "approved", "implementing", "completed"]
VendorMeta = Annotated[
    dict[str, Any],
    Field(
        description="format_support{excel,csv,pdf,ocr},test_results{passing,total,skipped},manifest_compliant"
    ),
]
Quarter = Annotated[str | None, Field(description="YYYY-Qn")]


class CreateVendor(Arguments):
    name: str
    status: VendorStatusArg
    extractor_version: str
    metadata: VendorMeta
    actor: Actor = None


@command("create_vendor", CREATE, new_row=True)
async def create_vendor(args: CreateVendor, call: Call) -> VendorRead:
    """Register a vendor extractor (unique name)."""
    data = args.to(VendorCreate)
    return await (await call.tracker()).vendors.create(data, call.actor)


class QueryVendorStatus(Arguments):
    name: str | None = None
    only_broken: Boolean = False


@command("query_vendor_status", READ)
async def query_vendor_status(args: QueryVendorStatus, call: Call) -> VendorList:
    """One vendor by name, or all (optionally only broken) with counts."""
    return await (await call.tracker()).vendors.query(args.name, only_broken=args.only_broken)


class UpdateVendorStatus(Arguments):
    name: str
    version: Version
    status: Annotated[VendorStatusArg | None, NOT_NULL] = None
    extractor_version: Annotated[str | None, NOT_NULL] = None
    metadata: Annotated[dict[str, Any] | None, NOT_NULL] = None
    actor: Actor = None


@command("update_vendor_status", UPDATE)
async def update_vendor_status(args: UpdateVendorStatus, call: Call) -> VendorRead:
    """Update a vendor; metadata is merged."""
    changes = args.sent(VendorUpdate)
    return await (await call.tracker()).vendors.update(args.name, args.version, changes, call.actor)


class RecordDeployment(Arguments):
    deployed_at: Annotated[datetime, Field(description="ISO 8601 with timezone")]
    commit_hash: str
    metadata: Annotated[
        dict[str, Any],
        Field(description="pr_number, pr_title, test_summary{category:count}, constitutional_compliance"),
    ]
    vendor_names: list[str] | None = None
    work_item_ids: list[str] | None = None
    actor: Actor = None


@command("record_deployment", CREATE, new_row=True)
async def record_deployment(args: RecordDeployment, call: Call) -> DeploymentRead:
    """Record a deployment (append-only) with linked vendors and work items."""
    data = args.to(
        DeploymentCreate, vendor_names=args.vendor_names or [], work_item_ids=args.work_item_ids or []
    )
    return await (await call.tracker()).deployments.record(data, call.actor)


class QueryDeployment(Arguments):
    id: Id


@command("query_deployment", READ)
async def query_deployment(args: QueryDeployment, call: Call) -> DeploymentRead:
    """One deployment with its vendors and work items."""
    return await (await call.tracker()).deployments.get(args.id)


class ListDeployments(Arguments):
    since: datetime | None = None
    vendor_name: str | None = None
    limit: Integer = 20
    cursor: str | None = None


@command("list_deployments", READ)
async def list_deployments(args: ListDeployments, call: Call) -> Page[DeploymentBrief]:
    """Deployments, newest first."""
    return await (await call.tracker()).deployments.list(
        since=args.since,
        vendor_name=args.vendor_name,
        limit=args.limit,
        cursor=args.cursor,
        max_bytes=LIST_BUDGET,
    )


class GetProjectConfiguration(Arguments):
    pass


@command("get_project_configuration", READ)
async def get_project_configuration(args: GetProjectConfiguration, call: Call) -> ConfigurationRead:
    """The project configuration (one row)."""
    return await (await call.tracker()).configuration.get()


class UpdateProjectConfiguration(Arguments):
    version: Version
    active_context_type: Literal["feature", "maintenance", "research"] | None = None
    current_session_id: Annotated[str | None, Field(description="a session item id")] = None
    git_branch: str | None = None
    git_head_commit: str | None = None
    default_token_budget: Annotated[Integer | None, NOT_NULL] = None
    actor: Actor = None


@command("update_project_configuration", UPDATE)
async def update_project_configuration(args: UpdateProjectConfiguration, call: Call) -> ConfigurationRead:
    """Update the configuration; null clears a field."""
    changes = args.sent(ConfigurationUpdate)
    return await (await call.tracker()).configuration.update(args.version, changes, call.actor)


class CreateEnhancement(Arguments):
    title: str
    description: str
    priority: Integer
    status: EnhancementStatusArg = "planned"
    target_quarter: Quarter = None
    requires_constitutional_principles: list[str] | None = None
    depends_on: list[str] | None = None
    actor: Actor = None


@command("create_enhancement", CREATE, new_row=True)
async def create_enhancement(args: CreateEnhancement, call: Call) -> EnhancementRead:
    """Plan an enhancement; depends_on lists other enhancement ids."""
    data = args.to(
        EnhancementCreate,
        requires_constitutional_principles=args.requires_constitutional_principles or [],
        depends_on=args.depends_on or [],
    )
    return await (await call.tracker()).enhancements.create(data, call.actor)


class UpdateEnhancement(Arguments):
    id: Id
    version: Version
    title: Annotated[str | None, NOT_NULL] = None
    description: Annotated[str | None, NOT_NULL] = None
    priority: Annotated[Integer | None, NOT_NULL] = None
    status: Annotated[EnhancementStatusArg | None, NOT_NULL] = None
    target_quarter: Quarter = None
    requires_constitutional_principles: Annotated[list[str] | None, NOT_NULL] = None
    depends_on: Annotated[list[str] | None, NOT_NULL] = None
    actor: Actor = None


@command("update_enhancement", UPDATE)
async def update_enhancement(args: UpdateEnhancement, call: Call) -> EnhancementRead:
    """Update an enhancement."""
    changes = args.sent(EnhancementUpdate)
    return await (await call.tracker()).enhancements.update(args.id, args.version, changes, call.actor)


class ListEnhancements(Arguments):
    priority: Integer | None = None
    status: EnhancementStatusArg | None = None
    target_quarter: Quarter = None
    limit: Integer = 50
    cursor: str | None = None


@command("list_enhancements", READ)
async def list_enhancements(args: ListEnhancements, call: Call) -> Page[EnhancementBrief]:
    """Enhancements, highest priority first."""
    return await (await call.tracker()).enhancements.list(
        priority=args.priority,
        status=EnhancementStatus(args.status) if args.status else None,
        target_quarter=args.target_quarter,
        limit=args.limit,
        cursor=args.cursor,
        max_bytes=LIST_BUDGET,
    )
