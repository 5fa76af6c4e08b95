"""Planned enhancements and the dependencies between them."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, and_, delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from project_status.domain.enums import EnhancementStatus
from project_status.store.column_types import id_key
from project_status.store.graphs import shortest_path
from project_status.store.paging import after
from project_status.store.readers import Reader, as_reader, hot
from project_status.store.tables import Enhancement, EnhancementDependency

ORDER = ((Enhancement.priority, False), (Enhancement.created_at, False), (Enhancement.id, False))


async def depends_on(source: AsyncSession | Reader, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
    query = select(EnhancementDependency.enhancement_id, EnhancementDependency.depends_on_id).where(
        EnhancementDependency.enhancement_id.in_(ids)
    )
    found: dict[uuid.UUID, list[str]] = defaultdict(list)
    for enhancement_id, target in await as_reader(source).rows(query):
        found[enhancement_id].append(str(target))
    return found


async def replace_dependencies(
    session: AsyncSession, enhancement_id: uuid.UUID, targets: Sequence[uuid.UUID]
) -> None:
    await session.execute(
        delete(EnhancementDependency).where(EnhancementDependency.enhancement_id == enhancement_id)
    )
    if targets:
        rows = [{"enhancement_id": enhancement_id, "depends_on_id": t} for t in targets]
        await session.execute(insert(EnhancementDependency), rows)


async def reaches(session: AsyncSession, start: uuid.UUID, goal: uuid.UUID) -> list[uuid.UUID] | None:
    """The chain of `depends_on` links from `start` to `goal`, or None."""

    async def depends_on(frontier: list[uuid.UUID]) -> list[tuple[uuid.UUID, uuid.UUID]]:
        query = select(EnhancementDependency.enhancement_id, EnhancementDependency.depends_on_id).where(
            EnhancementDependency.enhancement_id.in_(frontier)
        )
        return [(source, target) for source, target in (await session.execute(query)).all()]

    return await shortest_path(start, goal, depends_on)


async def page(
    session: AsyncSession,
    *,
    priority: int | None,
    status: str | None,
    target_quarter: str | None,
    limit: int,
    resume: Sequence[Any] | None,
) -> tuple[Sequence[Enhancement], int]:
    where = []
    if priority is not None:
        where.append(Enhancement.priority == priority)
    if status is not None:
        where.append(Enhancement.status == status)
    if target_quarter is not None:
        where.append(Enhancement.target_quarter == target_quarter)
    total = (await session.execute(select(func.count()).select_from(Enhancement).where(*where))).scalar_one()
    query = select(Enhancement).where(*where)
    if resume is not None:
        query = query.where(after(ORDER, resume))
    query = query.order_by(*(column for column, _ in ORDER)).limit(limit)
    return (await session.execute(query)).scalars().all(), int(total)


_Target = aliased(Enhancement)
_PENDING = hot(
    select(
        id_key(Enhancement.id).label("id"),
        Enhancement.title,
        Enhancement.priority,
        Enhancement.status,
        Enhancement.target_quarter,
        Enhancement.description,
        Enhancement.requires_constitutional_principles,
        _Target.title.label("depends_on_title"),
    )
    .outerjoin(EnhancementDependency, EnhancementDependency.enhancement_id == Enhancement.id)
    .outerjoin(
        _Target,
        and_(
            _Target.id == EnhancementDependency.depends_on_id,
            _Target.status != EnhancementStatus.COMPLETED.value,
        ),
    )
    .where(Enhancement.status != EnhancementStatus.COMPLETED.value)
)


async def pending(reader: Reader) -> tuple[list[Row[Any]], dict[str, list[str]]]:
    """What the report lists, in one statement: the enhancements not completed yet (unsorted;
    ids as `id_key` text) and, by id, the titles of the pending ones each depends on (a
    dependency on a completed one is history)."""
    rows: dict[str, Row[Any]] = {}
    depends: dict[str, list[str]] = defaultdict(list)
    for row in await reader.rows(_PENDING):
        rows.setdefault(row.id, row)  # a row per dependency: the enhancement's columns repeat
        if row.depends_on_title is not None:
            depends[row.id].append(row.depends_on_title)
    return list(rows.values()), depends


async def titles(session: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not ids:
        return {}
    query = select(Enhancement.id, Enhancement.title).where(Enhancement.id.in_(ids))
    return {item_id: title for item_id, title in (await session.execute(query)).all()}
