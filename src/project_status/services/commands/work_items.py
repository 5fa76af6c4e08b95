"""Commands on work items, their dependencies and history."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from project_status.domain.bounds import Boolean, Int4, Integer
from project_status.domain.enums import MAX_DEPTH, DependencyType, ItemType, WorkItemStatus
from project_status.domain.events import EventList
from project_status.domain.pages import Page
from project_status.domain.work_items import (
    DESCENDANTS_LIMIT,
    DependencyRead,
    ReadyItem,
    WorkItemBrief,
    WorkItemCreate,
    WorkItemDetail,
    WorkItemRead,
    WorkItemUpdate,
)
from project_status.services.commands.registry import (
    CREATE,
    LIST_BUDGET,
    NOT_NULL,
    READ,
    REMOVE,
    UPDATE,
    Arguments,
    Call,
    command,
    with_fields_of,
)

Version = Int4
"""The version read; an integer (digits in a string too), never `true` for 1."""
Id = str
"""A UUID or a unique prefix of 8+ hex characters (the server instructions say so once)."""
ItemTypeArg = Literal["project", "session", "task", "research"]
StatusArg = Literal["active", "completed", "blocked"]
"""A status a caller sets (in_progress is set by a claim)."""
StatusFilter = Literal["active", "in_progress", "completed", "blocked"]
DepTypeArg = Literal["blocks", "depends_on"]
Metadata = Annotated[
    dict[str, Any] | None, Field(description="per item_type schema; merged, null drops a key")
]
Actor = Annotated[str | None, NOT_NULL]
"""Who acts, for the audit trail; the server instructions say the default (the client's name)."""
TextFilter = Annotated[str | None, Field(description="in title or description")]


@with_fields_of(WorkItemCreate)
class CreateWorkItem(Arguments):
    item_type: ItemTypeArg
    title: str
    parent_id: Id | None = None
    description: str | None = None
    status: StatusArg = "active"
    priority: Annotated[Integer, Field(description="1 highest..5")] = 3
    metadata: Metadata = None
    branch_name: str | None = None
    commit_hash: str | None = None
    pr_number: Integer | None = None
    actor: Actor = None


@command("create_work_item", CREATE, new_row=True)
async def create_work_item(args: CreateWorkItem, call: Call) -> WorkItemRead:
    """Create a project/session/task/research item, optionally under a parent (max depth 5)."""
    data = args.to(WorkItemCreate)
    return await (await call.tracker()).work_items.create(data, call.actor)


@with_fields_of(WorkItemUpdate)
class UpdateWorkItem(Arguments):
    id: Id
    version: Version
    title: Annotated[str | None, NOT_NULL] = None
    description: str | None = None
    status: Annotated[StatusArg | None, NOT_NULL] = None
    priority: Annotated[Integer | None, NOT_NULL] = None
    metadata: Metadata = None
    parent_id: Id | None = None
    branch_name: str | None = None
    commit_hash: str | None = None
    pr_number: Integer | None = None
    deleted: Annotated[Boolean | None, NOT_NULL] = None
    actor: Actor = None


@command("update_work_item", UPDATE)
async def update_work_item(args: UpdateWorkItem, call: Call) -> WorkItemRead:
    """Change a work item's fields (null clears one); parent_id moves its subtree (null: top level);
    deleted true/false soft-deletes/restores.
    """
    changes = args.sent(WorkItemUpdate)
    return await (await call.tracker()).work_items.update(args.id, args.version, changes, call.actor)


class QueryWorkItem(Arguments):
    id: Id
    include_children: Boolean = True
    include_dependencies: Boolean = True
    descendants_limit: Annotated[Integer, Field(description="1-200")] = DESCENDANTS_LIMIT
    max_depth: Annotated[Integer, Field(description="1-5 levels")] = MAX_DEPTH


@command("query_work_item", READ)
async def query_work_item(args: QueryWorkItem, call: Call) -> WorkItemDetail:
    """One work item with ancestors, dependencies, newest notes and the items below as a brief tree,
    parents first (truncated past descendants_limit).
    """
    return await (await call.tracker()).work_items.get(
        args.id,
        include_children=args.include_children,
        include_dependencies=args.include_dependencies,
        descendants_limit=args.descendants_limit,
        max_depth=args.max_depth,
    )


class ListWorkItems(Arguments):
    item_type: ItemTypeArg | None = None
    status: StatusFilter | None = None
    parent_id: Id | None = None
    text: TextFilter = None
    include_deleted: Boolean = False
    limit: Integer = 50
    cursor: str | None = None


@command("list_work_items", READ)
async def list_work_items(args: ListWorkItems, call: Call) -> Page[WorkItemBrief]:
    """Brief work item rows by filter, oldest first."""
    return await (await call.tracker()).work_items.list(
        item_type=ItemType(args.item_type) if args.item_type else None,
        status=WorkItemStatus(args.status) if args.status else None,
        parent_id=args.parent_id,
        text=args.text,
        include_deleted=args.include_deleted,
        limit=args.limit,
        cursor=args.cursor,
        max_bytes=LIST_BUDGET,
    )


class ListReadyWork(Arguments):
    item_type: ItemTypeArg | None = None
    limit: Integer = 20
    cursor: str | None = None


@command("list_ready_work", READ)
async def list_ready_work(args: ListReadyWork, call: Call) -> Page[ReadyItem]:
    """Active items whose blockers are all completed, highest priority first."""
    return await (await call.tracker()).work_items.ready(
        item_type=ItemType(args.item_type) if args.item_type else None,
        limit=args.limit,
        cursor=args.cursor,
        max_bytes=LIST_BUDGET,
    )


class DependencyEdge(Arguments):
    source_id: Id
    target_id: Id
    dependency_type: DepTypeArg
    actor: Actor = None


class AddDependency(DependencyEdge):
    pass


class RemoveDependency(DependencyEdge):
    pass


@command("add_dependency", CREATE)
async def add_dependency(args: AddDependency, call: Call) -> DependencyRead:
    """Add an edge: source blocks target, or source depends_on target. No cycles."""
    return await (await call.tracker()).dependencies.add(
        args.source_id, args.target_id, DependencyType(args.dependency_type), call.actor
    )


@command("remove_dependency", REMOVE)
async def remove_dependency(args: RemoveDependency, call: Call) -> DependencyRead:
    """Remove a dependency edge (either equivalent form)."""
    return await (await call.tracker()).dependencies.remove(
        args.source_id, args.target_id, DependencyType(args.dependency_type), call.actor
    )


class GetWorkItemHistory(Arguments):
    id: Id
    limit: Integer = 50


@command("get_work_item_history", READ, listed=False)
async def get_work_item_history(args: GetWorkItemHistory, call: Call) -> EventList:
    """Audit events of a work item, newest first (get_history answers for any entity)."""
    return EventList(items=await (await call.tracker()).work_items.history(args.id, args.limit))
