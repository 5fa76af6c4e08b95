"""Deployment history and its links to vendors and work items."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Row, and_, func, insert, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Executable

from project_status.store.column_types import id_key
from project_status.store.paging import after
from project_status.store.readers import Reader, as_reader, hot
from project_status.store.tables import (
    Deployment,
    Vendor,
    WorkItem,
    deployment_vendors,
    deployment_work_items,
)

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


@dataclass(frozen=True)
class Recent:
    """The newest deployments as the report shows them, keyed by id text (`id_key`)."""

    rows: Sequence[Row[Any]]
    """`id`, `deployed_at`, `commit_hash`, `metadata_`, newest first."""
    vendor_names: dict[str, list[str]]
    work_item_titles: dict[str, list[str]]
    """Titles of the linked items that are live (a deleted one is not in the report)."""


_NEWEST_FIRST = (Deployment.deployed_at.desc(), Deployment.commit_hash.desc(), Deployment.id.desc())
"""The report's order: a tie in time is broken by the commit it shows, not only by the id."""
_VENDOR, _ITEM = "vendor", "work_item"
"""Which kind of link a row of the links statement is."""


@cache
def _recent_statements(limit: int) -> tuple[Executable, Executable]:
    """Built once per limit: the rows, and both kinds of link in one statement, read for the
    newest ids by a subquery, so no list of ids is sent back and no UUID object is made."""
    newest = select(Deployment.id).order_by(*_NEWEST_FIRST).limit(limit)
    rows = (
        select(
            id_key(Deployment.id).label("id"),
            Deployment.deployed_at,
            Deployment.commit_hash,
            Deployment.metadata_.label("metadata_"),
        )
        .order_by(*_NEWEST_FIRST)
        .limit(limit)
    )
    vendors = (
        select(id_key(deployment_vendors.c.deployment_id), literal(_VENDOR), Vendor.name)
        .join(Vendor, Vendor.id == deployment_vendors.c.vendor_id)
        .where(deployment_vendors.c.deployment_id.in_(newest))
    )
    items = (
        select(id_key(deployment_work_items.c.deployment_id), literal(_ITEM), WorkItem.title)
        .join(
            WorkItem,
            and_(WorkItem.id == deployment_work_items.c.work_item_id, WorkItem.deleted_at.is_(None)),
        )
        .where(deployment_work_items.c.deployment_id.in_(newest))
    )
    return hot(rows), hot(union_all(vendors, items))


async def recent(reader: Reader, limit: int) -> Recent:
    """The `limit` newest deployments with their vendors' names and their live items' titles."""
    rows, links = _recent_statements(limit)
    names: dict[str, list[str]] = defaultdict(list)
    titles: dict[str, list[str]] = defaultdict(list)
    for deployment_id, kind, name in await reader.rows(links):
        (names if kind == _VENDOR else titles)[deployment_id].append(name)
    return Recent(await reader.rows(rows), names, titles)
