"""Dependency edges, read in both directions: `A depends_on B` and `B blocks A` are one edge."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from project_status.domain.enums import DependencyType
from project_status.store.column_types import id_key
from project_status.store.graphs import shortest_path
from project_status.store.readers import Reader, hot
from project_status.store.tables import WorkItemDependency


def blocker_and_blocked(source: uuid.UUID, target: uuid.UUID, kind: str) -> tuple[uuid.UUID, uuid.UUID]:
    """Normalize an edge to (blocker, blocked)."""
    return (source, target) if kind == DependencyType.BLOCKS.value else (target, source)


def _same_edge(blocker: uuid.UUID, blocked: uuid.UUID) -> object:
    return or_(
        and_(
            WorkItemDependency.source_id == blocker,
            WorkItemDependency.target_id == blocked,
            WorkItemDependency.dependency_type == DependencyType.BLOCKS.value,
        ),
        and_(
            WorkItemDependency.source_id == blocked,
            WorkItemDependency.target_id == blocker,
            WorkItemDependency.dependency_type == DependencyType.DEPENDS_ON.value,
        ),
    )


async def find_equivalent(
    session: AsyncSession, blocker: uuid.UUID, blocked: uuid.UUID
) -> WorkItemDependency | None:
    query = select(WorkItemDependency).where(_same_edge(blocker, blocked))  # type: ignore[arg-type]
    return (await session.execute(query.limit(1))).scalars().first()


async def _blocked_by(
    session: AsyncSession, blockers: Iterable[uuid.UUID]
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """(blocker, blocked) pairs for everything the given items block."""
    ids = list(blockers)
    query = select(
        WorkItemDependency.source_id, WorkItemDependency.target_id, WorkItemDependency.dependency_type
    ).where(
        or_(
            and_(
                WorkItemDependency.source_id.in_(ids),
                WorkItemDependency.dependency_type == DependencyType.BLOCKS.value,
            ),
            and_(
                WorkItemDependency.target_id.in_(ids),
                WorkItemDependency.dependency_type == DependencyType.DEPENDS_ON.value,
            ),
        )
    )
    rows = (await session.execute(query)).all()
    return [blocker_and_blocked(source, target, kind) for source, target, kind in rows]


async def path_between(session: AsyncSession, start: uuid.UUID, goal: uuid.UUID) -> list[uuid.UUID] | None:
    """Items from `start` to `goal` following "blocks" edges, or None when `goal` is unreachable.

    Breadth-first, one query per level, so it touches only the reachable part of the graph.
    """

    async def blocks(frontier: list[uuid.UUID]) -> list[tuple[uuid.UUID, uuid.UUID]]:
        return await _blocked_by(session, frontier)

    return await shortest_path(start, goal, blocks)


_REPORT_EDGES = hot(
    select(
        id_key(WorkItemDependency.source_id),
        id_key(WorkItemDependency.target_id),
        WorkItemDependency.dependency_type,
    )
)


async def report_edges(reader: Reader) -> list[tuple[str, str]]:
    """Every edge as (blocker id, blocked id), ids as `id_key` text like the report's rows: the
    report finds the open ones among the live rows it already holds."""
    rows = await reader.rows(_REPORT_EDGES)
    return [
        (source, target) if kind == DependencyType.BLOCKS.value else (target, source)
        for source, target, kind in rows
    ]
