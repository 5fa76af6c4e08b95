"""What the live board shows, already ordered: the page only lays it out."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from project_status.domain.report import (
    ReportConfiguration,
    ReportDeployment,
    ReportEnhancement,
    ReportVendor,
)


@dataclass(slots=True)
class BoardItem:
    id: str
    parent_id: str | None
    item_type: str
    title: str
    status: str
    priority: int
    depth: int
    blocked_reason: str | None = None
    claimed_by: str | None = None
    claim_expires_at: datetime | None = None
    blockers: list[str] = field(default_factory=list)
    """Titles of the unfinished live items that block this one."""
    has_children: bool = False


@dataclass(frozen=True, slots=True)
class BoardChange:
    """One audit event, brief: who did what to which entity (field names, not values)."""

    occurred_at: datetime
    actor: str
    entity_type: str
    entity_id: str
    title: str | None
    action: str
    fields: list[str]


@dataclass(frozen=True, slots=True)
class Board:
    as_of: datetime
    configuration: ReportConfiguration
    vendors: list[ReportVendor]
    items: list[BoardItem]
    """Every live item, depth-first: each parent followed by its subtree."""
    deployments: list[ReportDeployment]
    enhancements: list[ReportEnhancement]
    changes: list[BoardChange]
    """Newest first."""
    change_marker: tuple[int, int]
    """The audit trail's newest event id and its count of recent events: it moves whenever any
    process changes the store."""
