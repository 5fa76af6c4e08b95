"""Commands on the work item archive: search it, bring an item back."""

from __future__ import annotations

from datetime import datetime

from project_status.domain.archive import ArchivedWorkItemBrief
from project_status.domain.bounds import Integer
from project_status.domain.enums import ItemType
from project_status.domain.pages import Page
from project_status.domain.work_items import WorkItemRead
from project_status.services.commands.registry import CREATE, READ, Arguments, Call, command, page_of
from project_status.services.commands.work_items import Actor, Id, ItemTypeArg, TextFilter


class QueryArchivedWorkItems(Arguments):
    text: TextFilter = None
    item_type: ItemTypeArg | None = None
    archived_after: datetime | None = None
    limit: Integer = 50
    cursor: str | None = None


@command("query_archived_work_items", READ)
async def query_archived_work_items(args: QueryArchivedWorkItems, call: Call) -> Page[ArchivedWorkItemBrief]:
    """Archived work items (old finished subtrees), newest first."""
    return await (await call.tracker()).archive.list(
        text=args.text,
        item_type=ItemType(args.item_type) if args.item_type else None,
        archived_after=args.archived_after,
        **page_of(args),
    )


class RestoreArchivedWorkItem(Arguments):
    id: Id
    actor: Actor = None


# Restoring adds items back (nothing is lost); a second call finds nothing left to restore.
@command("restore_archived_work_item", CREATE)
async def restore_archived_work_item(args: RestoreArchivedWorkItem, call: Call) -> WorkItemRead:
    """Bring an archived item back with its archived subtree and dependencies; its parent must be
    live.
    """
    return await (await call.tracker()).archive.restore(args.id, call.actor)
