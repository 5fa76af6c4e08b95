"""`project-status items ...`: work items (projects, sessions, tasks, research) and their tree."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.text import Text

from project_status.cli import output
from project_status.cli.common import (
    Actor,
    Cursor,
    DatabaseUrl,
    Json,
    Limit,
    Metadata,
    Version,
    actor,
    apply_clears,
    call,
    given,
    json_object,
    require_changes,
    version_or_current,
)
from project_status.domain.enums import ItemType, WorkItemStatus
from project_status.domain.events import EventRead
from project_status.domain.pages import Page
from project_status.domain.validation import validate
from project_status.domain.work_items import (
    ReadyItem,
    WorkItemBrief,
    WorkItemCreate,
    WorkItemDetail,
    WorkItemNode,
    WorkItemRead,
    WorkItemUpdate,
)
from project_status.services.common import MAX_LIMIT
from project_status.services.tracker import Tracker

app = typer.Typer(
    help="""Work items: projects, sessions, tasks and research, up to 5 levels deep.

Examples:
  project-status items create --type project --title "Payments"
  project-status items list --type task --status active
  project-status items tree
  project-status items update 1a2b3c4d --status completed""",
    no_args_is_help=True,
)

ItemId = Annotated[
    str,
    typer.Argument(
        metavar="ID", help="Work item id, or a unique prefix of 8+ hex characters.", show_default=False
    ),
]
TypeOption = Annotated[ItemType | None, typer.Option("--type", help="Only this type.", show_default=False)]
Title = Annotated[str | None, typer.Option(help="New title (1-200 characters).", show_default=False)]
Description = Annotated[str | None, typer.Option(help="Longer text.", show_default=False)]
Priority = Annotated[int | None, typer.Option(help="1 (highest) to 5.", show_default=False)]
Branch = Annotated[str | None, typer.Option(help="Git branch the work happens on.", show_default=False)]
Commit = Annotated[
    str | None, typer.Option(help="Git commit: 40 lowercase hex characters.", show_default=False)
]
Pr = Annotated[int | None, typer.Option(help="Pull request number.", show_default=False)]


class Clearable(StrEnum):
    description = "description"
    branch = "branch"
    commit = "commit"
    pr = "pr"


_CLEARS: dict[str, tuple[str, Any]] = {
    "description": ("description", None),
    "branch": ("branch_name", None),
    "commit": ("commit_hash", None),
    "pr": ("pr_number", None),
}


# --- reading --------------------------------------------------------------------------------------


def _brief_table(rows: Sequence[WorkItemBrief]) -> None:
    grid = output.table("ID", "TYPE", "STATUS", "P", "TITLE", no_wrap=("ID", "TYPE", "STATUS", "P"))
    short = output.short_ids(row.id for row in rows)
    for row in rows:
        grid.add_row(
            short[row.id], row.item_type.value, output.status(row.status), str(row.priority), Text(row.title)
        )
    output.show(grid)


def _show_item(item: WorkItemRead) -> None:
    output.record(
        [
            ("id", item.id),
            ("title", Text(item.title, style="bold")),
            ("type", item.item_type.value),
            ("status", output.status(item.status)),
            ("priority", item.priority),
            ("version", item.version),
            ("parent", item.parent_id),
            ("description", item.description),
            ("branch", item.branch_name),
            ("commit", item.commit_hash),
            ("pr", item.pr_number),
            ("metadata", item.metadata),
            ("deleted", Text(output.when(item.deleted_at), style="bold red") if item.deleted_at else None),
            ("created", f"{output.when(item.created_at)} by {item.created_by}"),
            ("updated", f"{output.when(item.updated_at)} by {item.updated_by}"),
        ]
    )


def _show_detail(detail: WorkItemDetail) -> None:
    _show_item(detail)
    if detail.ancestors:
        output.heading("Ancestors (root first)")
        for ancestor in detail.ancestors:
            output.line(Text.assemble(f"  {ancestor.title}  ", (ancestor.id, "dim")))
    if detail.children:
        output.heading("Children")
        output.forest(detail.children)
        if detail.truncated:
            output.line(
                f"  {detail.descendants_total} items below in all; the whole tree: "
                f"project-status items tree {detail.id}"
            )
    if detail.dependencies:
        output.heading("Dependencies")
        for edge in detail.dependencies:
            kind = edge.dependency_type.value
            if edge.source_id == detail.id:
                output.line(f"  this item {kind} {edge.target_id}")
            else:
                output.line(f"  {edge.source_id} {kind} this item")


@app.command("list")
def list_items(
    ctx: typer.Context,
    item_type: TypeOption = None,
    status: Annotated[
        WorkItemStatus | None, typer.Option(help="Only this status.", show_default=False)
    ] = None,
    parent: Annotated[
        str | None, typer.Option(help="Only the direct children of this item.", show_default=False)
    ] = None,
    text: Annotated[
        str | None,
        typer.Option(help="Only items with this text in title or description.", show_default=False),
    ] = None,
    include_deleted: Annotated[bool, typer.Option(help="Include soft-deleted items.")] = False,
    limit: Limit = 50,
    cursor: Cursor = None,
    json: Json = False,
    database_url: DatabaseUrl = None,
) -> None:
    """List work items, oldest first, a page at a time, with the total.

    Examples:
      project-status items list
      project-status items list --type task --status blocked
      project-status items list --parent 1a2b3c4d --text webhook
      project-status items list --limit 20 --json
    """

    async def run(t: Tracker) -> Page[WorkItemBrief]:
        return await t.work_items.list(
            item_type=item_type,
            status=status,
            parent_id=parent,
            text=text,
            include_deleted=include_deleted,
            limit=limit,
            cursor=cursor,
        )

    page = call(ctx, database_url, run)
    if json:
        output.page_json(page)
        return
    if page.items:
        _brief_table(page.items)
    output.page_footer(ctx, page, "work item")


@app.command("show")
def show(ctx: typer.Context, id: ItemId, json: Json = False, database_url: DatabaseUrl = None) -> None:
    """Show one work item with its ancestors, children and dependencies.

    Examples:
      project-status items show 1a2b3c4d
      project-status items show 1a2b3c4d --json
    """

    async def run(t: Tracker) -> WorkItemDetail:
        return await t.work_items.get(id)

    detail = call(ctx, database_url, run)
    if json:
        output.model_json(detail)
    else:
        _show_detail(detail)


@app.command("tree")
def tree(
    ctx: typer.Context,
    id: Annotated[
        str | None,
        typer.Argument(metavar="ID", help="Show only this item and what is below it.", show_default=False),
    ] = None,
    json: Json = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Show the hierarchy of live work items: the whole forest, or below one item.

    Examples:
      project-status items tree
      project-status items tree 1a2b3c4d
      project-status items tree --json
    """

    async def run(t: Tracker) -> list[WorkItemNode]:
        if id is not None:
            detail = await t.work_items.get(id, include_dependencies=False, descendants_limit=None)
            return [_as_node(detail)]
        roots: list[WorkItemBrief] = []
        cursor: str | None = None
        while True:
            page = await t.work_items.list(limit=MAX_LIMIT, cursor=cursor)
            roots += [item for item in page.items if item.depth == 0]
            cursor = page.next_cursor
            if cursor is None:
                break
        return [
            _as_node(await t.work_items.get(root.id, include_dependencies=False, descendants_limit=None))
            for root in roots
        ]

    roots = call(ctx, database_url, run)
    if json:
        output.emit_json({"items": [output.node_json(node) for node in roots]})
    elif roots:
        output.forest(roots)
    else:
        output.line(
            'No work items yet. Create one with: project-status items create --type project --title "..."'
        )


def _as_node(detail: WorkItemDetail) -> WorkItemNode:
    return WorkItemNode(
        id=detail.id,
        item_type=detail.item_type,
        title=detail.title,
        status=detail.status,
        priority=detail.priority,
        depth=detail.depth,
        children=detail.children,
    )


@app.command("ready")
def ready(
    ctx: typer.Context,
    item_type: TypeOption = None,
    limit: Limit = 20,
    cursor: Cursor = None,
    json: Json = False,
    database_url: DatabaseUrl = None,
) -> None:
    """List ready work: active items whose blockers are all completed, highest priority first.

    Examples:
      project-status items ready
      project-status items ready --type task --limit 5
    """

    async def run(t: Tracker) -> Page[ReadyItem]:
        return await t.work_items.ready(item_type=item_type, limit=limit, cursor=cursor)

    page = call(ctx, database_url, run)
    if json:
        output.page_json(page)
        return
    if page.items:
        _brief_table(page.items)
    output.page_footer(ctx, page, "ready work item")


def _changes(event: EventRead) -> str:
    """`field: old -> new` per change; a creation lists only the values set."""
    parts = []
    for field, change in event.changes.items():
        if not isinstance(change, dict):
            parts.append(f"{field}: {output.compact(change)}")
        elif event.action == "created":
            parts.append(f"{field}={output.compact(change.get('new'))}")
        else:
            parts.append(
                f"{field}: {output.compact(change.get('old'))} -> {output.compact(change.get('new'))}"
            )
    return "; ".join(parts)


@app.command("history")
def history(
    ctx: typer.Context,
    id: ItemId,
    limit: Annotated[int, typer.Option(help="Newest events to show (1-200).")] = 50,
    json: Json = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Show the audit trail of a work item, newest first: who changed what, when.

    Examples:
      project-status items history 1a2b3c4d
      project-status items history 1a2b3c4d --limit 5 --json
    """

    async def run(t: Tracker) -> list[EventRead]:
        return await t.work_items.history(id, limit)

    events = call(ctx, database_url, run)
    if json:
        output.emit_json({"items": [event.model_dump(mode="json") for event in events]})
        return
    grid = output.table("WHEN", "ACTOR", "ACTION", "CHANGES", no_wrap=("WHEN", "ACTION"))
    for event in events:
        changes = _changes(event)
        grid.add_row(output.when(event.occurred_at), Text(event.actor), event.action, Text(changes))
    output.show(grid)
    if len(events) == limit:
        output.line(f"The newest {limit} events; pass a larger --limit (up to 200) for older ones.")


# --- changing ------------------------------------------------------------------------------------


@app.command("create")
def create(
    ctx: typer.Context,
    item_type: Annotated[ItemType, typer.Option("--type", help="What kind of item.", show_default=False)],
    title: Annotated[str, typer.Option(help="Title (1-200 characters).", show_default=False)],
    parent: Annotated[
        str | None, typer.Option(help="Create it under this item (id or prefix).", show_default=False)
    ] = None,
    description: Description = None,
    status: Annotated[WorkItemStatus, typer.Option(help="Initial status.")] = WorkItemStatus.ACTIVE,
    priority: Annotated[int, typer.Option(help="1 (highest) to 5.")] = 3,
    metadata: Metadata = None,
    branch: Branch = None,
    commit: Commit = None,
    pr: Pr = None,
    actor_name: Actor = None,
    json: Json = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Create a work item, optionally under a parent; prints it with its new id.

    Metadata keys depend on the type: task (estimated_hours, actual_hours,
    blocked_reason), session (token_budget, prompts_count, yaml_frontmatter),
    project (description, target_quarter, constitutional_principles),
    research (research_questions, references, findings_summary).

    Examples:
      project-status items create --type project --title "Payments"
      project-status items create --type task --title "Retry webhooks" --parent 1a2b3c4d --priority 2
      project-status items create --type task --title "Spike" --metadata '{"estimated_hours": 3}'
    """
    payload = given(
        item_type=item_type,
        title=title,
        parent_id=parent,
        description=description,
        status=status,
        priority=priority,
        metadata=json_object(metadata),
        branch_name=branch,
        commit_hash=commit,
        pr_number=pr,
    )

    async def run(t: Tracker) -> WorkItemRead:
        return await t.work_items.create(validate(WorkItemCreate, payload), actor(actor_name))

    _print_item(call(ctx, database_url, run), json, "Created")


def _print_item(item: WorkItemRead, json: bool, verb: str) -> None:
    if json:
        output.model_json(item)
        return
    output.line(
        Text.assemble(f"{verb} {item.item_type.value} ", (item.id, "bold"), f" (version {item.version}).")
    )
    _show_item(item)


def _change(
    ctx: typer.Context,
    database_url: str | None,
    id: str,
    version: int | None,
    changes: dict[str, Any],
    actor_name: str | None,
) -> WorkItemRead:
    """One update_work_item call, reading the current version first when none was given."""
    require_changes(changes)

    async def run(t: Tracker) -> WorkItemRead:
        update = validate(WorkItemUpdate, changes)

        async def current() -> int:
            return (await t.work_items.get(id, include_children=False, include_dependencies=False)).version

        expected = await version_or_current(version, current, f"work item {id}")
        return await t.work_items.update(id, expected, update, actor(actor_name))

    return call(ctx, database_url, run)


@app.command("update")
def update(
    ctx: typer.Context,
    id: ItemId,
    title: Title = None,
    description: Description = None,
    status: Annotated[WorkItemStatus | None, typer.Option(help="New status.", show_default=False)] = None,
    priority: Priority = None,
    metadata: Metadata = None,
    branch: Branch = None,
    commit: Commit = None,
    pr: Pr = None,
    clear: Annotated[
        list[Clearable] | None, typer.Option(help="Empty this field (repeatable).", show_default=False)
    ] = None,
    version: Version = None,
    actor_name: Actor = None,
    json: Json = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Change fields of a work item (to move, delete or restore it, see those commands).

    Examples:
      project-status items update 1a2b3c4d --status completed
      project-status items update 1a2b3c4d --priority 1 --version 3
      project-status items update 1a2b3c4d --status blocked --metadata '{"blocked_reason": "API down"}'
      project-status items update 1a2b3c4d --clear branch --clear pr
    """
    changes = given(
        title=title,
        description=description,
        status=status,
        priority=priority,
        metadata=json_object(metadata),
        branch_name=branch,
        commit_hash=commit,
        pr_number=pr,
    )
    changes = apply_clears(changes, clear, _CLEARS)
    _print_item(_change(ctx, database_url, id, version, changes, actor_name), json, "Updated")


@app.command("move")
def move(
    ctx: typer.Context,
    id: ItemId,
    parent: Annotated[
        str | None, typer.Option(help="The new parent (id or prefix).", show_default=False)
    ] = None,
    top_level: Annotated[bool, typer.Option("--top-level", help="Make it a top-level item.")] = False,
    version: Version = None,
    actor_name: Actor = None,
    json: Json = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Move a work item, with everything below it, under another parent or to the top level.

    Examples:
      project-status items move 1a2b3c4d --parent 5e6f7a8b
      project-status items move 1a2b3c4d --top-level --version 4
    """
    if (parent is None) == (not top_level):
        raise typer.BadParameter("give either --parent ID or --top-level", param_hint="'--parent'")
    item = _change(ctx, database_url, id, version, {"parent_id": parent}, actor_name)
    _print_item(item, json, "Moved")


@app.command("delete")
def delete(
    ctx: typer.Context,
    id: ItemId,
    version: Version = None,
    actor_name: Actor = None,
    json: Json = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Soft-delete a work item and everything below it (restore brings them back).

    Examples:
      project-status items delete 1a2b3c4d
      project-status items delete 1a2b3c4d --version 2
    """
    item = _change(ctx, database_url, id, version, {"deleted": True}, actor_name)
    if json:
        output.model_json(item)
        return
    _print_item(item, json, "Deleted")
    output.line(f"Undo with: project-status items restore {item.id}")


@app.command("restore")
def restore(
    ctx: typer.Context,
    id: ItemId,
    version: Version = None,
    actor_name: Actor = None,
    json: Json = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Restore a soft-deleted work item with what was deleted alongside it.

    Examples:
      project-status items restore 1a2b3c4d
      project-status items list --include-deleted --text payments
    """
    item = _change(ctx, database_url, id, version, {"deleted": False}, actor_name)
    _print_item(item, json, "Restored")
