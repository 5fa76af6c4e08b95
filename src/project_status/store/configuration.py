"""The configuration singleton (row id 1, created by the first migration)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from project_status.domain.errors import DatabaseError
from project_status.store.readers import Reader, hot, row_columns
from project_status.store.tables import Event, ProjectConfiguration, WorkItem

SINGLETON_ID = 1
_READ = select(*row_columns(ProjectConfiguration)).where(ProjectConfiguration.id == SINGLETON_ID)


def _missing() -> DatabaseError:
    return DatabaseError(
        "The project configuration row is missing; run `project-status db upgrade` to restore it."
    )


async def get(session: AsyncSession) -> ProjectConfiguration:
    row = await session.get(ProjectConfiguration, SINGLETON_ID)
    if row is None:
        raise _missing()
    return row


async def read(reader: Reader) -> Row[Any]:
    """The singleton as a row labelled like the ORM object, for read-only use cases."""
    row = await reader.first(_READ)
    if row is None:
        raise _missing()
    return row


_FOR_REPORT = hot(
    select(
        ProjectConfiguration.active_context_type,
        ProjectConfiguration.git_branch,
        ProjectConfiguration.git_head_commit,
        ProjectConfiguration.default_token_budget,
        ProjectConfiguration.updated_at,
        # A deleted session is no longer current: only a live item's title.
        select(WorkItem.title)
        .where(WorkItem.id == ProjectConfiguration.current_session_id, WorkItem.deleted_at.is_(None))
        .scalar_subquery()
        .label("current_session"),
        select(func.max(Event.occurred_at)).scalar_subquery().label("last_change_at"),
    ).where(ProjectConfiguration.id == SINGLETON_ID)
)


async def read_for_report(reader: Reader) -> Row[Any]:
    """The settings the report's header shows, the live current session's title and when the
    newest audit event happened (the data's own clock, for reproducible reports): one statement."""
    row = await reader.first(_FOR_REPORT)
    if row is None:
        raise _missing()
    return row


async def record_health(session: AsyncSession, *, healthy: bool, at: datetime) -> None:
    """Set the health fields with a plain UPDATE: the system keeps them, so they neither take part
    in optimistic locking (no version bump) nor fill the audit trail."""
    statement = (
        update(ProjectConfiguration)
        .where(ProjectConfiguration.id == SINGLETON_ID)
        .values(database_healthy=healthy, last_health_check_at=at)
        .execution_options(synchronize_session=False)
    )
    await session.execute(statement)
