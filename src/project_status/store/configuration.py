"""The configuration singleton (row id 1, created by the first migration)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from project_status.domain.errors import DatabaseError
from project_status.store.tables import ProjectConfiguration

SINGLETON_ID = 1


async def get(session: AsyncSession) -> ProjectConfiguration:
    row = await session.get(ProjectConfiguration, SINGLETON_ID)
    if row is None:
        raise DatabaseError(
            "The project configuration row is missing; run `project-status db upgrade` to restore it."
        )
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
