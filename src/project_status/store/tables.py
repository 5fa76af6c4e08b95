"""ORM tables for every entity of DESIGN.md section 3.

The Alembic migrations create exactly this schema; a test compares the two on both backends.

No `from __future__ import annotations` here: declarative mapping would evaluate every `Mapped[...]`
annotation from its text (about a tenth of this module's import, issue 13).
"""

import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    text,
    util,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from project_status.domain.metadata import DeploymentMetadata, VendorMetadata, WorkItemMetadata
from project_status.store.column_types import JSONDocument, PydanticJSON, UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

BigIntId = BigInteger().with_variant(Integer(), "sqlite")


LIVE_ROWS = "deleted_at IS NULL"


class _PostgresqlWhereOnDemand(util.PopulateDict[str, Any]):
    """An index's dialect options that give it its PostgreSQL `WHERE` when first asked for."""

    def __init__(self, creator: Callable[[str], Any], where: str) -> None:
        super().__init__(creator)
        self.where = where

    def __missing__(self, key: str) -> Any:
        options = super().__missing__(key)
        if key == "postgresql":
            options["where"] = text(self.where)
        return options

    def __iter__(self) -> Iterator[str]:
        self["postgresql"]  # listed too, for copies of the index (`Table.to_metadata`) and Alembic
        return super().__iter__()


class LiveRowsIndex(Index):
    """A partial index over rows not soft-deleted, on both backends.

    Same as `Index(..., postgresql_where=..., sqlite_where=...)`, without importing the
    PostgreSQL dialect on SQLite: validating a `postgresql_*` argument imports SQLAlchemy's
    PostgreSQL dialect package with every driver's module in it, about 20 ms of each SQLite CLI
    command (issue 13). Only PostgreSQL's DDL compiler and Alembic on PostgreSQL ask for the
    option; it is filled in then (`_PostgresqlWhereOnDemand`).
    """

    def __init__(self, name: str, *columns: str) -> None:
        super().__init__(name, *columns, sqlite_where=text(LIVE_ROWS))

    @util.memoized_property
    def dialect_options(self) -> util.PopulateDict[str, Any]:
        return _PostgresqlWhereOnDemand(self._kw_reg_for_dialect_cls, LIVE_ROWS)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Audited:
    """Who created and last changed a row, and when (UTC)."""

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    created_by: Mapped[str] = mapped_column(String(200), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    updated_by: Mapped[str] = mapped_column(String(200), nullable=False)


class WorkItemFields(Audited):
    """Columns shared by live and archived work items (the archive keeps every one)."""

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    item_type: Mapped[str] = mapped_column(String(20), nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    priority: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("3"))
    path: Mapped[str] = mapped_column(Text, nullable=False)
    depth: Mapped[int] = mapped_column(Integer, nullable=False)
    branch_name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    commit_hash: Mapped[str | None] = mapped_column(String(40), nullable=True)
    pr_number: Mapped[int | None] = mapped_column(Integer, nullable=True)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    claimed_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    """The actor holding the claim (a lease until `claim_expires_at`); an expired one blocks nobody."""
    claim_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    assignee: Mapped[str | None] = mapped_column(String(200), nullable=True)
    """Who is to do it (an actor's name), as planned: unlike a claim, it holds nothing back."""


_WORK_ITEM_CHECKS = (
    "item_type IN ('project', 'session', 'task', 'research')",
    "status IN ('active', 'in_progress', 'completed', 'blocked')",
    "priority BETWEEN 1 AND 5",
    "depth BETWEEN 0 AND 5",
    "length(title) BETWEEN 1 AND 200",
    "pr_number IS NULL OR pr_number > 0",
    "version >= 1",
)
_CHECK_NAMES = ("item_type", "status", "priority", "depth", "title_length", "pr_number", "version")
READY_ORDER_INDEX = "ix_work_items_ready_order"


class WorkItem(WorkItemFields, Base):
    __tablename__ = "work_items"

    version: Mapped[int] = mapped_column(Integer, nullable=False)
    parent_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("work_items.id", ondelete="RESTRICT"), nullable=True
    )
    metadata_: Mapped[dict[str, Any]] = mapped_column(
        "metadata", PydanticJSON(WorkItemMetadata), nullable=False
    )

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        *(CheckConstraint(sql, name=name) for sql, name in zip(_WORK_ITEM_CHECKS, _CHECK_NAMES, strict=True)),
        Index("ix_work_items_parent_id", "parent_id"),
        Index("ix_work_items_path", "path"),
        Index("ix_work_items_item_type", "item_type"),
        Index("ix_work_items_status", "status"),
        Index("ix_work_items_created_at", "created_at"),
        LiveRowsIndex("ix_work_items_live", "status", "priority"),
        # Ready work's order over live items: a page of it is a walk, not a sort (`store.ready`).
        LiveRowsIndex(READY_ORDER_INDEX, "priority", "created_at", "id"),
    )


class ArchivedWorkItem(WorkItemFields, Base):
    """A work item moved out of the live table; same columns plus `archived_at`."""

    __tablename__ = "archived_work_items"

    version: Mapped[int] = mapped_column(Integer, nullable=False)
    parent_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSONDocument, nullable=False)
    archived_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)

    __table_args__ = (
        Index("ix_archived_work_items_path", "path"),
        Index("ix_archived_work_items_archived_at", "archived_at"),
        Index("ix_archived_work_items_parent_id", "parent_id"),
    )


class ArchivedWorkItemDependency(Base):
    """A dependency moved out of the live table because one of its ends was archived.

    Restoring moves it back once both ends are live again.
    """

    __tablename__ = "archived_work_item_dependencies"

    source_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    target_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    dependency_type: Mapped[str] = mapped_column(String(20), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    created_by: Mapped[str] = mapped_column(String(200), nullable=False)
    archived_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)

    __table_args__ = (Index("ix_archived_work_item_dependencies_target_id", "target_id"),)


class ArchiveRun(Base):
    """One finished archive run (not dry runs): when the periodic job last ran, and what it moved."""

    __tablename__ = "archive_runs"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    actor: Mapped[str] = mapped_column(String(200), nullable=False)
    older_than_days: Mapped[int] = mapped_column(Integer, nullable=False)
    cutoff: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    items: Mapped[int] = mapped_column(Integer, nullable=False)
    subtrees: Mapped[int] = mapped_column(Integer, nullable=False)
    dependencies: Mapped[int] = mapped_column(Integer, nullable=False)

    __table_args__ = (Index("ix_archive_runs_finished_at", "finished_at"),)


class WorkItemDependency(Base):
    """`source_id dependency_type target_id`, e.g. A depends_on B or B blocks A."""

    __tablename__ = "work_item_dependencies"

    source_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("work_items.id", ondelete="CASCADE"), primary_key=True
    )
    target_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("work_items.id", ondelete="CASCADE"), primary_key=True
    )
    dependency_type: Mapped[str] = mapped_column(String(20), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    created_by: Mapped[str] = mapped_column(String(200), nullable=False)

    __table_args__ = (
        CheckConstraint("dependency_type IN ('blocks', 'depends_on')", name="dependency_type"),
        CheckConstraint("source_id <> target_id", name="not_self"),
        Index("ix_work_item_dependencies_target_id", "target_id"),
    )


class WorkItemNote(Base):
    """An append-only handoff note on a work item; never edited.

    No foreign key: a note stays with its item when the item moves to the archive table.
    """

    __tablename__ = "work_item_notes"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    work_item_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    actor: Mapped[str] = mapped_column(String(200), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    text: Mapped[str] = mapped_column(Text, nullable=False)

    __table_args__ = (Index("ix_work_item_notes_item", "work_item_id", "created_at", "id"),)


class Vendor(Audited, Base):
    __tablename__ = "vendors"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    extractor_version: Mapped[str] = mapped_column(String(50), nullable=False)
    metadata_: Mapped[dict[str, Any]] = mapped_column(
        "metadata", PydanticJSON(VendorMetadata), nullable=False
    )

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        UniqueConstraint("name", name="uq_vendors_name"),
        CheckConstraint("status IN ('operational', 'broken')", name="status"),
        CheckConstraint("version >= 1", name="version"),
    )


deployment_vendors = Table(
    "deployment_vendors",
    Base.metadata,
    Column("deployment_id", Uuid, ForeignKey("deployments.id", ondelete="CASCADE"), primary_key=True),
    Column("vendor_id", Uuid, ForeignKey("vendors.id", ondelete="RESTRICT"), primary_key=True),
    Index("ix_deployment_vendors_vendor_id", "vendor_id"),
)

deployment_work_items = Table(
    "deployment_work_items",
    Base.metadata,
    Column("deployment_id", Uuid, ForeignKey("deployments.id", ondelete="CASCADE"), primary_key=True),
    Column("work_item_id", Uuid, primary_key=True),
    Index("ix_deployment_work_items_work_item_id", "work_item_id"),
)
"""No foreign key to work_items: a linked item may later move to the archive table."""


class Deployment(Base):
    __tablename__ = "deployments"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    deployed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    commit_hash: Mapped[str] = mapped_column(String(40), nullable=False)
    metadata_: Mapped[dict[str, Any]] = mapped_column(
        "metadata", PydanticJSON(DeploymentMetadata), nullable=False
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    created_by: Mapped[str] = mapped_column(String(200), nullable=False)

    __table_args__ = (Index("ix_deployments_deployed_at", "deployed_at"),)


class ProjectConfiguration(Audited, Base):
    """Exactly one row, id 1 (created by the first migration)."""

    __tablename__ = "project_configuration"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    active_context_type: Mapped[str | None] = mapped_column(String(20), nullable=True)
    current_session_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    git_branch: Mapped[str | None] = mapped_column(String(255), nullable=True)
    git_head_commit: Mapped[str | None] = mapped_column(String(40), nullable=True)
    default_token_budget: Mapped[int] = mapped_column(Integer, nullable=False)
    database_healthy: Mapped[bool] = mapped_column(Boolean, nullable=False)
    last_health_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        CheckConstraint("id = 1", name="singleton"),
        CheckConstraint(
            "active_context_type IS NULL OR active_context_type IN ('feature', 'maintenance', 'research')",
            name="active_context_type",
        ),
        CheckConstraint("default_token_budget BETWEEN 1000 AND 1000000", name="default_token_budget"),
    )


class Enhancement(Audited, Base):
    __tablename__ = "future_enhancements"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False)
    priority: Mapped[int] = mapped_column(Integer, nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    target_quarter: Mapped[str | None] = mapped_column(String(7), nullable=True)
    requires_constitutional_principles: Mapped[list[str]] = mapped_column(JSONDocument, nullable=False)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        CheckConstraint("priority BETWEEN 1 AND 5", name="priority"),
        CheckConstraint("status IN ('planned', 'approved', 'implementing', 'completed')", name="status"),
        Index("ix_future_enhancements_status", "status"),
    )


class EnhancementDependency(Base):
    """`enhancement_id` depends on `depends_on_id`."""

    __tablename__ = "enhancement_dependencies"

    enhancement_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("future_enhancements.id", ondelete="CASCADE"), primary_key=True
    )
    depends_on_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("future_enhancements.id", ondelete="CASCADE"), primary_key=True
    )

    __table_args__ = (
        CheckConstraint("enhancement_id <> depends_on_id", name="not_self"),
        Index("ix_enhancement_dependencies_depends_on_id", "depends_on_id"),
    )


class Event(Base):
    """Append-only audit trail, written in the same transaction as the change it records."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    entity_type: Mapped[str] = mapped_column(String(30), nullable=False)
    entity_id: Mapped[str] = mapped_column(String(36), nullable=False)
    action: Mapped[str] = mapped_column(String(30), nullable=False)
    actor: Mapped[str] = mapped_column(String(200), nullable=False)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    changes: Mapped[dict[str, Any]] = mapped_column(JSONDocument, nullable=False)

    __table_args__ = (
        Index("ix_events_entity", "entity_type", "entity_id", "id"),
        Index("ix_events_occurred_at", "occurred_at"),  # the report's "as of": max(occurred_at)
    )


# The fallback chain. The journal and the mirror state are used in the local SQLite
# mirror (`.project-status/cache.db`); the ledger and the conflicts in the primary database.


class JournalEntry(Base):
    """A write acknowledged while the primary database was down, waiting to be replayed."""

    __tablename__ = "sync_journal"

    seq: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    op_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False, unique=True)
    operation: Mapped[str] = mapped_column(String(60), nullable=False)
    arguments: Mapped[dict[str, Any]] = mapped_column(JSONDocument, nullable=False)
    entity_type: Mapped[str] = mapped_column(String(30), nullable=False)
    entity_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    actor: Mapped[str] = mapped_column(String(200), nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    result: Mapped[Any] = mapped_column(JSONDocument, nullable=True)
    state: Mapped[str] = mapped_column(String(20), nullable=False)
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    schema_version: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("1"))
    """How `operation` and `arguments` are written: 1 a service method call, 2 a registry command."""

    __table_args__ = (
        CheckConstraint("state IN ('pending', 'applied', 'conflict')", name="state"),
        Index("ix_sync_journal_state", "state", "seq"),
    )


class MirrorState(Base):
    """One row: when the mirror last copied the whole primary database, and from where."""

    __tablename__ = "sync_mirror_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str | None] = mapped_column(String(300), nullable=True)
    refreshed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    needs_refresh: Mapped[bool] = mapped_column(Boolean, nullable=False)
    events_through: Mapped[int | None] = mapped_column(BigIntId, nullable=True)
    """The newest audit event copied from the primary: the next copy starts after it."""


class AppliedOperation(Base):
    """The primary's ledger of replayed journal entries: a replay run twice applies each once."""

    __tablename__ = "sync_applied"

    op_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    operation: Mapped[str] = mapped_column(String(60), nullable=False)
    outcome: Mapped[str] = mapped_column(String(20), nullable=False)
    applied_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class SyncConflict(Base):
    """An offline change that could not be applied on replay: kept with both sides until resolved."""

    __tablename__ = "sync_conflicts"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    op_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False, unique=True)
    operation: Mapped[str] = mapped_column(String(60), nullable=False)
    entity_type: Mapped[str] = mapped_column(String(30), nullable=False)
    entity_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    actor: Mapped[str] = mapped_column(String(200), nullable=False)
    offline_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    reason: Mapped[str] = mapped_column(String(30), nullable=False)
    message: Mapped[str] = mapped_column(Text, nullable=False)
    arguments: Mapped[dict[str, Any]] = mapped_column(JSONDocument, nullable=False)
    mine: Mapped[Any] = mapped_column(JSONDocument, nullable=True)
    theirs: Mapped[Any] = mapped_column(JSONDocument, nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    resolution: Mapped[str | None] = mapped_column(String(20), nullable=True)
    resolved_by: Mapped[str | None] = mapped_column(String(200), nullable=True)

    __table_args__ = (Index("ix_sync_conflicts_resolved_at", "resolved_at"),)
