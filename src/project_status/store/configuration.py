"""The configuration singleton (row id 1, created by the first migration)."""

from __future__ import annotations

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
