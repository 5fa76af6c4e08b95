"""Work item contracts: what callers send and the shapes they get back."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from project_status.domain.bounds import Boolean, Description, JsonObject, OneLine
from project_status.domain.enums import DependencyType, ItemType, WorkItemStatus
from project_status.domain.metadata import WORK_ITEM_METADATA, dump_metadata
from project_status.domain.types import BranchName, CommitHash, ItemRef, PositiveInt4, Priority, Title
from project_status.domain.validation import validate

Assignee = Annotated[
    Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), OneLine] | None,
    Field(description="who is to do it (an agent or person, as they act); a plan, not a claim"),
]


class WorkItemCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    item_type: ItemType
    title: Title
    parent_id: ItemRef | None = None
    description: Description | None = None
    status: WorkItemStatus = WorkItemStatus.ACTIVE
    priority: Priority = 3
    metadata: JsonObject | None = None
    branch_name: BranchName | None = None
    commit_hash: CommitHash | None = None
    pr_number: PositiveInt4 | None = None
    assignee: Assignee = None


class WorkItemUpdate(BaseModel):
    """Partial update: only the fields in `model_fields_set` change; null clears a field."""

    model_config = ConfigDict(extra="forbid")

    title: Title | None = None
    description: Description | None = None
    status: WorkItemStatus | None = None
    priority: Priority | None = None
    metadata: JsonObject | None = None
    parent_id: ItemRef | None = None
    branch_name: BranchName | None = None
    commit_hash: CommitHash | None = None
    pr_number: PositiveInt4 | None = None
    assignee: Assignee = None
    deleted: Boolean | None = None


def validate_work_item_metadata(item_type: ItemType, metadata: dict[str, Any] | None) -> dict[str, Any]:
    """Check metadata against the item type's schema; errors are prefixed `metadata.`.

    The bounds are checked again here because an update merges its patch into what is stored:
    each patch within 64 KiB could otherwise add up to a larger object."""
    model = WORK_ITEM_METADATA[item_type]
    validate(JsonObject, metadata or {}, prefix="metadata")
    return dump_metadata(validate(model, metadata or {}, prefix="metadata"))


def merge_metadata(current: dict[str, Any], patch: dict[str, Any] | None) -> dict[str, Any]:
    """Shallow merge: given keys replace stored ones, a key set to null is removed."""
    merged = dict(current)
    for key, value in (patch or {}).items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


class WorkItemBrief(BaseModel):
    id: str
    item_type: ItemType
    title: str
    status: WorkItemStatus
    priority: int
    depth: int


class ReadyItem(WorkItemBrief):
    """A ready-work row: the brief shape plus what a claim or an update needs next."""

    version: int
    claimed_by: str | None = None
    claim_expires_at: datetime | None = None


class WorkItemNode(WorkItemBrief):
    children: list[WorkItemNode] = []


class DependencyRead(BaseModel):
    source_id: str
    target_id: str
    dependency_type: DependencyType


class WorkItemRead(BaseModel):
    id: str
    version: int
    item_type: ItemType
    title: str
    description: str | None = None
    status: WorkItemStatus
    priority: int
    parent_id: str | None = None
    path: str
    depth: int
    branch_name: str | None = None
    commit_hash: str | None = None
    pr_number: int | None = None
    metadata: dict[str, Any] = {}
    deleted_at: datetime | None = None
    claimed_by: str | None = None
    claim_expires_at: datetime | None = None
    assignee: str | None = None
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str


MAX_NOTE_BYTES = 8 * 1024
"""A note is a handoff, not a document: at most 8 KiB of UTF-8."""
LATEST_NOTES = 5
"""How many of its newest notes a work item's detail shows (the rest are paged)."""


class NoteRead(BaseModel):
    """An append-only note on a work item: who wrote it, when, and the text."""

    id: str
    work_item_id: str
    actor: str
    created_at: datetime
    text: str


DESCENDANTS_LIMIT = 50
"""How many of the items below it a work item's detail shows by default (parents first)."""


class WorkItemDetail(WorkItemRead):
    ancestors: list[WorkItemBrief] = []
    children: list[WorkItemNode] = []
    """The live items below, nested, parents first: at most the limit asked for (a cut tree keeps
    its upper levels whole)."""
    descendants_total: int = 0
    """How many live items lie below, down to the depth asked for (0 when children were not asked)."""
    truncated: bool = False
    """`children` holds fewer items than `descendants_total`."""
    dependencies: list[DependencyRead] = []
    notes: list[NoteRead] = []
    """The newest notes (at most `LATEST_NOTES`), oldest of them first."""
    notes_total: int = 0
