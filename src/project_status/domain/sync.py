"""What sync reports: one replay's counts, and the conflicts it kept."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel


class Resolution(StrEnum):
    APPLY_MINE = "apply_mine"
    KEEP_THEIRS = "keep_theirs"


class ConflictReason(StrEnum):
    VERSION = "version"
    """Someone else changed the entity after the offline change was read."""
    REJECTED = "rejected"
    """The database refused it now: a rule it breaks against what others did meanwhile, or a
    value or constraint the database itself will not take (the message quotes its refusal)."""
    UNSTORABLE = "unstorable"
    """The database refused it for characters it cannot store at all (a NUL): kept with them
    replaced, so it can only be dropped."""
    BLOCKED = "blocked"
    """An earlier offline change to the same entity is itself a conflict; order is kept."""


class SyncConflictRead(BaseModel):
    id: str
    operation: str
    entity_type: str
    entity_id: str | None = None
    actor: str
    offline_at: datetime
    detected_at: datetime
    reason: ConflictReason
    message: str
    arguments: dict[str, Any]
    mine: dict[str, Any] | None = None
    """What the offline client was told when its change was acknowledged."""
    theirs: dict[str, Any] | None = None
    """The entity in the database when the conflict was found."""
    resolved_at: datetime | None = None
    resolution: Resolution | None = None
    resolved_by: str | None = None


class SyncResult(BaseModel):
    applied: int = 0
    already_applied: int = 0
    """Entries a replay cut off earlier had already written (the ledger says so): not run again."""
    conflicts: int = 0
    remaining: int = 0
    """Entries still pending (the database went away again during the replay)."""
    mirror_refreshed: bool = False
    seconds: float = 0.0
    conflict_ids: list[str] = []
    message: str = ""
