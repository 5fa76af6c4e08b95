"""Deployment history and its links to vendors and work items."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from project_status.store.paging import after
from project_status.store.readers import Reader, as_reader, row_columns
from project_status.store.tables import Deployment, Vendor, deployment_vendors, deployment_work_items

ORDER = ((Deployment.deployed_at, True), (Deployment.id, True))


async def link(
    session: AsyncSession,
    deployment_id: uuid.UUID,
    vendor_ids: Sequence[uuid.UUID],
    item_ids: Sequence[uuid.UUID],
) -> None:
    if vendor_ids:
        rows = [{"deployment_id": deployment_id, "vendor_id": v} for v in vendor_ids]
        await session.execute(insert(deployment_vendors), rows)
    if item_ids:
        rows = [{"deployment_id": deployment_id, "work_item_id": i} for i in item_ids]
        await session.execute(insert(deployment_work_items), rows)


async def vendor_names(source: AsyncSession | Reader, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
    query = (
        select(deployment_vendors.c.deployment_id, Vendor.name)
        .join(Vendor, Vendor.id == deployment_vendors.c.vendor_id)
        .where(deployment_vendors.c.deployment_id.in_(ids))
        .order_by(Vendor.name)
    )
    names: dict[uuid.UUID, list[str]] = defaultdict(list)
    for deployment_id, name in await as_reader(source).rows(query):
        names[deployment_id].append(name)
    return names


async def work_item_ids(
    source: AsyncSession | Reader, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[str]]:
    query = select(deployment_work_items.c.deployment_id, deployment_work_items.c.work_item_id).where(
        deployment_work_items.c.deployment_id.in_(ids)
    )
    linked: dict[uuid.UUID, list[str]] = defaultdict(list)
    for deployment_id, item_id in await as_reader(source).rows(query):
        linked[deployment_id].append(str(item_id))
    return linked


async def page(
    session: AsyncSession,
    *,
    since: datetime | None,
    vendor_id: uuid.UUID | None,
    limit: int,
    resume: Sequence[Any] | None,
) -> tuple[Sequence[Deployment], int]:
    """Newest first, with the total matching the filter."""
    where = []
    if since is not None:
        where.append(Deployment.deployed_at >= since)
    if vendor_id is not None:
        linked = select(deployment_vendors.c.deployment_id).where(deployment_vendors.c.vendor_id == vendor_id)
        where.append(Deployment.id.in_(linked))
    total = (await session.execute(select(func.count()).select_from(Deployment).where(*where))).scalar_one()
    query = select(Deployment).where(*where)
    if resume is not None:
        query = query.where(after(ORDER, resume))
    query = query.order_by(*(column.desc() for column, _ in ORDER)).limit(limit)
    return (await session.execute(query)).scalars().all(), int(total)


async def recent(reader: Reader, limit: int) -> Sequence[Row[Any]]:
    """The newest deployment rows (every column, labelled like the ORM attributes)."""
    query = (
        select(*row_columns(Deployment))
        .order_by(Deployment.deployed_at.desc(), Deployment.commit_hash.desc(), Deployment.id.desc())
        .limit(limit)
    )
    return await reader.rows(query)
