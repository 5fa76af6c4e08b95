"""The change feed, any entity's history, and the bounded project summary."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from project_status.domain.events import EventRead

MAX_CHANGES_LIMIT = 200


class ChangeRow(BaseModel):
    """One audit event, brief: what changed (field names, not values), where, by whom."""

    cursor: str
    occurred_at: datetime
    actor: str
    entity_type: str
    entity_id: str
    title: str | None = None
    """The entity's title or name now (live or archived); null when it is gone."""
    action: str
    fields: list[str]


class ChangePage(BaseModel):
    items: list[ChangeRow]
    next_cursor: str
    """Pass as `since` to get what comes after; given even when nothing new came."""
    has_more: bool = False
    """More changes wait after this page already."""
    in_flight: bool = False
    """Writes were still committing: changes they make may come before newer ones; ask again."""


class EntityHistory(BaseModel):
    entity_type: str
    entity_id: str
    title: str | None = None
    events: list[EventRead]
    """Newest first."""
    total: int


class Holder(BaseModel):
    id: str
    title: str
    claimed_by: str | None = None
    claim_expires_at: datetime | None = None


class DeploymentLine(BaseModel):
    deployed_at: datetime
    commit: str
    pr_number: int | None = None


class EnhancementLine(BaseModel):
    title: str
    priority: int
    status: str


class ProjectSummary(BaseModel):
    """The state of the project at a glance, a few KB at any store size."""

    counts: dict[str, dict[str, int]]
    """Live work items by type, then by status."""
    in_progress: list[Holder]
    in_progress_total: int
    ready: int
    vendors_operational: int
    vendors_total: int
    broken_vendors: list[str]
    broken_vendors_total: int
    deployments: list[DeploymentLine]
    enhancements: list[EnhancementLine]
    """The top pending (not completed) enhancements by priority."""
