"""Commands agents coordinate with: claims with leases, handoff notes, the change feed, the summary."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from project_status.domain.bounds import Boolean, Integer
from project_status.domain.changes import ChangePage, EntityHistory, ProjectSummary
from project_status.domain.enums import ItemType
from project_status.domain.pages import Page
from project_status.domain.work_items import NoteRead, WorkItemRead
from project_status.services.commands.registry import READ, Arguments, Call, Hints, command
from project_status.services.commands.work_items import Actor, Id, ItemTypeArg, Version

CLAIM = Hints(read_only=False, destructive=False, idempotent=False)
"""Takes an item (or renews a lease): reversible by a release, and a second call may take another."""
END_CLAIM = Hints(read_only=False, destructive=True, idempotent=False)
"""Ends a claim (and, for complete, may override another actor's): a second call is refused."""
NOTE = Hints(read_only=False, destructive=False, idempotent=False)
EntityTypeArg = Literal["work_item", "dependency", "vendor", "deployment", "configuration", "enhancement"]
Note = str | None


class ClaimWorkItem(Arguments):
    id: Id | None = None
    item_type: ItemTypeArg | None = None
    parent_id: Id | None = None
    lease_minutes: Annotated[Integer, Field(description="1-1440")] = 30
    version: Version | None = None
    actor: Actor = None


@command("claim_work_item", CLAIM)
async def claim_work_item(args: ClaimWorkItem, call: Call) -> WorkItemRead:
    """Claim an item for a lease (in_progress); no id: the top ready task/research (parent_id: under it).
    Again: renews.
    """
    return await (await call.tracker()).claims.claim(
        call.actor,
        item=args.id,
        item_type=ItemType(args.item_type) if args.item_type else None,
        parent_id=args.parent_id,
        lease_minutes=args.lease_minutes,
        version=args.version,
    )


class ReleaseWorkItem(Arguments):
    id: Id
    note: Note = None
    actor: Actor = None


@command("release_work_item", END_CLAIM)
async def release_work_item(args: ReleaseWorkItem, call: Call) -> WorkItemRead:
    """Give a claimed item back (active again), with an optional note."""
    return await (await call.tracker()).claims.release(args.id, call.actor, note=args.note)


class CompleteWorkItem(Arguments):
    id: Id
    note: Note = None
    force: Annotated[Boolean, Field(description="over another's lease")] = False
    actor: Actor = None


@command("complete_work_item", END_CLAIM)
async def complete_work_item(args: CompleteWorkItem, call: Call) -> WorkItemRead:
    """Complete an item and end its claim in one call, with an optional note."""
    return await (await call.tracker()).claims.complete(args.id, call.actor, note=args.note, force=args.force)


class AddWorkItemNote(Arguments):
    id: Id
    text: Annotated[str, Field(description="<= 8 KiB")]
    actor: Actor = None


@command("add_work_item_note", NOTE)
async def add_work_item_note(args: AddWorkItemNote, call: Call) -> NoteRead:
    """Append a handoff note to a work item (never edited)."""
    return await (await call.tracker()).notes.add(args.id, args.text, call.actor)


class ListWorkItemNotes(Arguments):
    id: Id
    cursor: str | None = None
    limit: Integer = 50


@command("list_work_item_notes", READ)
async def list_work_item_notes(args: ListWorkItemNotes, call: Call) -> Page[NoteRead]:
    """A work item's notes, oldest first."""
    return await (await call.tracker()).notes.list(args.id, cursor=args.cursor, limit=args.limit)


class ListChanges(Arguments):
    since: str | None = None
    limit: Integer = 50
    entity_types: list[EntityTypeArg] | None = None


@command("list_changes", READ)
async def list_changes(args: ListChanges, call: Call) -> ChangePage:
    """Changes to any entity after `since` (a next_cursor; none: the newest), oldest first."""
    return await (await call.tracker()).changes.list_changes(
        since=args.since,
        limit=args.limit,
        entity_types=list(args.entity_types) if args.entity_types else None,
    )


class GetHistory(Arguments):
    id: Annotated[Id, Field(description="any id, a vendor name, configuration")]
    limit: Integer = 50


@command("get_history", READ)
async def get_history(args: GetHistory, call: Call) -> EntityHistory:
    """Audit events of any entity, newest first."""
    return await (await call.tracker()).changes.history(args.id, args.limit)


class GetProjectSummary(Arguments):
    pass


@command("get_project_summary", READ)
async def get_project_summary(args: GetProjectSummary, call: Call) -> ProjectSummary:
    """The project in <= 4 KB: counts, who holds what, ready count, vendors, news."""
    return await (await call.tracker()).changes.summary()
