"""ORM rows, or Core rows labelled like them (`store.readers.row_columns`), to the read shapes."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row

from project_status.domain.archive import ArchivedWorkItemBrief
from project_status.domain.configuration import ConfigurationRead
from project_status.domain.enhancements import EnhancementBrief, EnhancementRead
from project_status.domain.enums import (
    ContextType,
    EnhancementStatus,
    ItemType,
    VendorStatus,
    WorkItemStatus,
)
from project_status.domain.events import EventRead
from project_status.domain.vendors import VendorRead
from project_status.domain.work_items import (
    DependencyRead,
    NoteRead,
    ReadyItem,
    WorkItemBrief,
    WorkItemDetail,
    WorkItemNode,
    WorkItemRead,
)
from project_status.store.notes import NoteRow
from project_status.store.tables import (
    ArchivedWorkItem,
    Enhancement,
    Event,
    ProjectConfiguration,
    Vendor,
    WorkItem,
    WorkItemNote,
)


def work_item(row: WorkItem | ArchivedWorkItem | Row[Any]) -> WorkItemRead:
    return WorkItemRead(**_work_item_fields(row))


def _work_item_fields(row: WorkItem | ArchivedWorkItem | Row[Any]) -> dict[str, Any]:
    return dict(
        id=str(row.id),
        version=row.version,
        item_type=ItemType(row.item_type),
        title=row.title,
        description=row.description,
        status=WorkItemStatus(row.status),
        priority=row.priority,
        parent_id=str(row.parent_id) if row.parent_id else None,
        path=row.path,
        depth=row.depth,
        branch_name=row.branch_name,
        commit_hash=row.commit_hash,
        pr_number=row.pr_number,
        metadata=dict(row.metadata_ or {}),
        deleted_at=row.deleted_at,
        claimed_by=row.claimed_by,
        claim_expires_at=row.claim_expires_at,
        created_at=row.created_at,
        created_by=row.created_by,
        updated_at=row.updated_at,
        updated_by=row.updated_by,
    )


def work_item_detail(
    row: WorkItem | Row[Any],
    *,
    ancestors: list[WorkItemBrief],
    children: list[WorkItemNode],
    dependencies: list[DependencyRead],
    notes: list[NoteRead] | None = None,
    notes_total: int = 0,
) -> WorkItemDetail:
    """`work_item` with its hierarchy, dependencies and newest notes, built in one go."""
    return WorkItemDetail(
        **_work_item_fields(row),
        ancestors=ancestors,
        children=children,
        dependencies=dependencies,
        notes=notes or [],
        notes_total=notes_total,
    )


def work_item_brief(row: WorkItem | ArchivedWorkItem | Row[Any]) -> WorkItemBrief:
    return WorkItemBrief(
        id=str(row.id),
        item_type=ItemType(row.item_type),
        title=row.title,
        status=WorkItemStatus(row.status),
        priority=row.priority,
        depth=row.depth,
    )


def ready_item(row: Row[Any]) -> ReadyItem:
    return ReadyItem(
        id=str(row.id),
        item_type=ItemType(row.item_type),
        title=row.title,
        status=WorkItemStatus(row.status),
        priority=row.priority,
        depth=row.depth,
        version=row.version,
        claimed_by=row.claimed_by,
        claim_expires_at=row.claim_expires_at,
    )


def vendor(row: Vendor | Row[Any]) -> VendorRead:
    return VendorRead(
        id=str(row.id),
        version=row.version,
        name=row.name,
        status=VendorStatus(row.status),
        extractor_version=row.extractor_version,
        metadata=dict(row.metadata_ or {}),
        created_at=row.created_at,
        created_by=row.created_by,
        updated_at=row.updated_at,
        updated_by=row.updated_by,
    )


def enhancement(row: Enhancement, depends_on: list[str]) -> EnhancementRead:
    return EnhancementRead(
        id=str(row.id),
        version=row.version,
        title=row.title,
        description=row.description,
        priority=row.priority,
        status=EnhancementStatus(row.status),
        target_quarter=row.target_quarter,
        requires_constitutional_principles=list(row.requires_constitutional_principles or []),
        depends_on=sorted(depends_on),
        created_at=row.created_at,
        created_by=row.created_by,
        updated_at=row.updated_at,
        updated_by=row.updated_by,
    )


def enhancement_brief(row: Enhancement) -> EnhancementBrief:
    return EnhancementBrief(
        id=str(row.id),
        title=row.title,
        priority=row.priority,
        status=EnhancementStatus(row.status),
        target_quarter=row.target_quarter,
    )


def event(row: Event) -> EventRead:
    return EventRead(
        id=row.id,
        entity_type=row.entity_type,
        entity_id=row.entity_id,
        action=row.action,
        actor=row.actor,
        occurred_at=row.occurred_at,
        changes=dict(row.changes or {}),
    )


def configuration(row: ProjectConfiguration) -> ConfigurationRead:
    return ConfigurationRead(
        version=row.version,
        active_context_type=ContextType(row.active_context_type) if row.active_context_type else None,
        current_session_id=str(row.current_session_id) if row.current_session_id else None,
        git_branch=row.git_branch,
        git_head_commit=row.git_head_commit,
        default_token_budget=row.default_token_budget,
        database_healthy=row.database_healthy,
        last_health_check_at=row.last_health_check_at,
        created_at=row.created_at,
        created_by=row.created_by,
        updated_at=row.updated_at,
        updated_by=row.updated_by,
    )


def archived_work_item_brief(row: ArchivedWorkItem) -> ArchivedWorkItemBrief:
    return ArchivedWorkItemBrief(**work_item_brief(row).model_dump(), archived_at=row.archived_at)


def note(row: WorkItemNote | NoteRow | Row[Any]) -> NoteRead:
    return NoteRead(
        id=str(row.id),
        work_item_id=str(row.work_item_id),
        actor=row.actor,
        created_at=row.created_at,
        text=row.text,
    )
