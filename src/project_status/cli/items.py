"""`project-status items ...`: work items (projects, sessions, tasks, research) and their tree.

Each command runs the registry command of the same use case (`items create` is
`create_work_item`), its options built from that command's input model (cli/options.py)."""

from __future__ import annotations

from typing import Annotated

import typer

from project_status.cli import output
from project_status.cli.calls import Current, call, run_change, run_command
from project_status.cli.item_views import brief_table, events_table, print_item, show_detail
from project_status.cli.options import Given, Spelling, options
from project_status.cli.params import DatabaseUrl, Json
from project_status.domain.events import EventList
from project_status.domain.pages import Page
from project_status.domain.work_items import (
    ReadyItem,
    WorkItemBrief,
    WorkItemDetail,
    WorkItemNode,
    WorkItemRead,
)
from project_status.services.checks import MAX_LIMIT
from project_status.services.commands import work_items as _work_items_commands  # noqa: F401  (its commands)
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

ONLY_TYPE = Spelling(help="Only this type.")


def current_version(id: str) -> Current:
    """The current version of work item `id`, for a change given without --version."""

    async def read(t: Tracker) -> int:
        return (await t.work_items.get(id, include_children=False, include_dependencies=False)).version

    return Current(read, f"work item {id}")


# --- reading --------------------------------------------------------------------------------------


@app.command("list")
@options(
    "list_work_items",
    item_type=ONLY_TYPE,
    status=Spelling(help="Only this status."),
    parent_id=Spelling(help="Only the direct children of this item."),
    text=Spelling(help="Only items with this text in title or description."),
    include_deleted=Spelling(help="Include soft-deleted items."),
)
def list_items(
    ctx: typer.Context, given: Given, json: Json = False, database_url: DatabaseUrl = None
) -> None:
    """List work items, oldest first, a page at a time, with the total.

    Examples:
      project-status items list
      project-status items list --type task --status blocked
      project-status items list --parent 1a2b3c4d --text webhook
      project-status items list --limit 20 --json
    """
    page: Page[WorkItemBrief] = run_command(ctx, database_url, "list_work_items", given)
    output.listing(ctx, page, json, "work item", brief_table)


@app.command("show")
@options("query_work_item")
def show(ctx: typer.Context, given: Given, json: Json = False, database_url: DatabaseUrl = None) -> None:
    """Show one work item with its ancestors, children and dependencies.

    Examples:
      project-status items show 1a2b3c4d
      project-status items show 1a2b3c4d --json
    """
    detail: WorkItemDetail = run_command(ctx, database_url, "query_work_item", given)
    output.shown(detail, json, show_detail)


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
    return WorkItemNode.model_validate(detail, from_attributes=True)


@app.command("ready")
@options("list_ready_work", item_type=ONLY_TYPE)
def ready(ctx: typer.Context, given: Given, json: Json = False, database_url: DatabaseUrl = None) -> None:
    """List ready work: active items whose blockers are all completed, highest priority first.

    Examples:
      project-status items ready
      project-status items ready --type task --limit 5
    """
    page: Page[ReadyItem] = run_command(ctx, database_url, "list_ready_work", given)
    output.listing(ctx, page, json, "ready work item", brief_table)


@app.command("history")
@options("get_work_item_history", limit=Spelling(help="Newest events to show (1-200)."))
def history(ctx: typer.Context, given: Given, json: Json = False, database_url: DatabaseUrl = None) -> None:
    """Show the audit trail of a work item, newest first: who changed what, when.

    Examples:
      project-status items history 1a2b3c4d
      project-status items history 1a2b3c4d --limit 5 --json
    """
    events: EventList = run_command(ctx, database_url, "get_work_item_history", given)
    if json:
        output.emit_json({"items": [event.model_dump(mode="json") for event in events.items]})
        return
    events_table(events.items)
    limit = given["limit"]
    if len(events.items) == limit:
        output.line(f"The newest {limit} events; pass a larger --limit (up to 200) for older ones.")


# --- changing ------------------------------------------------------------------------------------


@app.command("create")
@options(
    "create_work_item",
    parent_id=Spelling(help="Create it under this item (id or prefix)."),
    status=Spelling(help="Initial status."),
)
def create(ctx: typer.Context, given: Given, json: Json = False, database_url: DatabaseUrl = None) -> None:
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
    print_item(run_command(ctx, database_url, "create_work_item", given), json, "Created")


def _change(ctx: typer.Context, database_url: str | None, given: Given) -> WorkItemRead:
    """One update_work_item call, reading the current version first when none was given."""
    item: WorkItemRead = run_change(
        ctx, database_url, "update_work_item", given, current_version(given["id"])
    )
    return item


@app.command("update")
@options(
    "update_work_item",
    skip=("parent_id", "deleted"),  # moving, deleting and restoring are commands of their own
    clear=True,
    title=Spelling(help="New title (1-200 characters)."),
    status=Spelling(help="New status."),
)
def update(ctx: typer.Context, given: Given, json: Json = False, database_url: DatabaseUrl = None) -> None:
    """Change fields of a work item (to move, delete or restore it, see those commands).

    Examples:
      project-status items update 1a2b3c4d --status completed
      project-status items update 1a2b3c4d --priority 1 --version 3
      project-status items update 1a2b3c4d --status blocked --metadata '{"blocked_reason": "API down"}'
      project-status items update 1a2b3c4d --clear branch --clear pr
    """
    print_item(_change(ctx, database_url, given), json, "Updated")


IDENTITY = ("id", "version", "actor")
"""The fields of update_work_item a move, delete or restore takes besides what it changes."""


@app.command("move")
@options("update_work_item", only=IDENTITY)
def move(
    ctx: typer.Context,
    given: Given,
    parent: Annotated[
        str | None, typer.Option(help="The new parent (id or prefix).", show_default=False)
    ] = None,
    top_level: Annotated[bool, typer.Option("--top-level", help="Make it a top-level item.")] = False,
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
    print_item(_change(ctx, database_url, {**given, "parent_id": parent}), json, "Moved")


@app.command("delete")
@options("update_work_item", only=IDENTITY)
def delete(ctx: typer.Context, given: Given, json: Json = False, database_url: DatabaseUrl = None) -> None:
    """Soft-delete a work item and everything below it (restore brings them back).

    Examples:
      project-status items delete 1a2b3c4d
      project-status items delete 1a2b3c4d --version 2
    """
    item = _change(ctx, database_url, {**given, "deleted": True})
    if json:
        output.model_json(item)
        return
    print_item(item, json, "Deleted")
    output.line(f"Undo with: project-status items restore {item.id}")


@app.command("restore")
@options("update_work_item", only=IDENTITY)
def restore(ctx: typer.Context, given: Given, json: Json = False, database_url: DatabaseUrl = None) -> None:
    """Restore a soft-deleted work item with what was deleted alongside it.

    Examples:
      project-status items restore 1a2b3c4d
      project-status items list --include-deleted --text payments
    """
    print_item(_change(ctx, database_url, {**given, "deleted": False}), json, "Restored")
