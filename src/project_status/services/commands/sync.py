"""Commands on the changes made while PostgreSQL was down that sync could not apply."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from project_status.domain.bounds import Boolean
from project_status.domain.sync import Resolution, SyncConflictRead
from project_status.services.commands.registry import READ, UPDATE, Arguments, Call, command
from project_status.services.commands.work_items import Actor, Id


class ConflictResolved(BaseModel):
    id: str
    resolution: Resolution
    resolved_by: str


class ConflictList(BaseModel):
    items: list[SyncConflictRead]
    total: int


class ListSyncConflicts(Arguments):
    include_resolved: Boolean = False
    limit: Annotated[int, Field(ge=1, le=500)] = 50


@command("list_sync_conflicts", READ)
async def list_sync_conflicts(args: ListSyncConflicts, call: Call) -> ConflictList:
    """Offline changes sync could not apply; each keeps mine and theirs."""
    sync = (await call.tracker()).require_sync()
    found = await sync.conflicts(include_resolved=args.include_resolved, limit=args.limit)
    return ConflictList(items=found, total=len(found))


class ResolveSyncConflict(Arguments):
    id: Id
    resolution: Literal["apply_mine", "keep_theirs"]
    actor: Actor = None


@command("resolve_sync_conflict", UPDATE)
async def resolve_sync_conflict(args: ResolveSyncConflict, call: Call) -> ConflictResolved:
    """Resolve a sync conflict: apply_mine (over the current version) or keep_theirs."""
    sync = (await call.tracker()).require_sync()
    done = await sync.resolve(args.id, Resolution(args.resolution), call.actor)
    return ConflictResolved.model_validate(done.model_dump())
