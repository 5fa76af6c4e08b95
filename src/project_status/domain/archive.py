"""Archive contracts: what a run reports and how archived work items read back."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from project_status.domain.work_items import WorkItemBrief, WorkItemRead


class ArchiveRunResult(BaseModel):
    """What one run archived (or, for a dry run, would archive)."""

    dry_run: bool
    older_than_days: int
    cutoff: datetime
    """Items last updated before this time qualified."""
    items_archived: int
    subtrees_archived: int
    dependencies_archived: int
    subtrees_skipped: int = 0
    """Subtrees that changed between planning and moving (e.g. an item reopened): left live."""
    duration_seconds: float


class ArchiveRunRead(BaseModel):
    """A finished run as recorded (dry runs are not recorded)."""

    id: str
    started_at: datetime
    finished_at: datetime
    actor: str
    older_than_days: int
    cutoff: datetime
    items: int
    subtrees: int
    dependencies: int


class ArchivedWorkItemBrief(WorkItemBrief):
    archived_at: datetime


class ArchivedWorkItemRead(WorkItemRead):
    archived_at: datetime
