"""The aggregates of the project summary: each a bounded query, whatever the store's size.

The statements are built once, their limits bound as parameters: building a statement costs
more than the database takes to answer most of these.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Integer, Row, bindparam, func, select

from project_status.domain.enums import EnhancementStatus, VendorStatus, WorkItemStatus
from project_status.store.readers import Reader
from project_status.store.tables import Deployment, Enhancement, Vendor, WorkItem

_LIMIT = bindparam("limit", type_=Integer())

_ITEM_COUNTS = (
    select(WorkItem.item_type, WorkItem.status, func.count())
    .where(WorkItem.deleted_at.is_(None))
    .group_by(WorkItem.item_type, WorkItem.status)
)
_IN_PROGRESS = (
    select(WorkItem.id, WorkItem.title, WorkItem.claimed_by, WorkItem.claim_expires_at)
    .where(WorkItem.deleted_at.is_(None), WorkItem.status == WorkItemStatus.IN_PROGRESS.value)
    .order_by(WorkItem.claim_expires_at, WorkItem.id)
    .limit(_LIMIT)
)
_VENDOR_COUNTS = select(
    func.count(), func.count().filter(Vendor.status == VendorStatus.OPERATIONAL.value)
).select_from(Vendor)
_BROKEN_VENDORS = (
    select(Vendor.name).where(Vendor.status == VendorStatus.BROKEN.value).order_by(Vendor.name).limit(_LIMIT)
)
_NEWEST_DEPLOYMENTS = (
    select(Deployment.deployed_at, Deployment.commit_hash, Deployment.metadata_.label("metadata"))
    .order_by(Deployment.deployed_at.desc(), Deployment.id)
    .limit(_LIMIT)
)
_TOP_ENHANCEMENTS = (
    select(Enhancement.title, Enhancement.priority, Enhancement.status)
    .where(Enhancement.status != EnhancementStatus.COMPLETED.value)
    .order_by(Enhancement.priority, Enhancement.created_at, Enhancement.id)
    .limit(_LIMIT)
)


async def item_counts(reader: Reader) -> Sequence[Any]:
    """(item_type, status, count) of live items."""
    return await reader.rows(_ITEM_COUNTS)


async def in_progress(reader: Reader, limit: int) -> Sequence[Row[Any]]:
    """Live items in progress, the lease ending soonest first."""
    return await reader.rows(_IN_PROGRESS, {"limit": limit})


async def vendor_health(reader: Reader, limit: int) -> tuple[int, int, list[str]]:
    """(operational, total, the first `limit` broken vendors' names by name)."""
    counts = await reader.first(_VENDOR_COUNTS)
    broken = await reader.rows(_BROKEN_VENDORS, {"limit": limit})
    total, operational = (int(counts[0]), int(counts[1] or 0)) if counts is not None else (0, 0)
    return operational, total, [row[0] for row in broken]


async def newest_deployments(reader: Reader, limit: int) -> Sequence[Row[Any]]:
    return await reader.rows(_NEWEST_DEPLOYMENTS, {"limit": limit})


async def top_enhancements(reader: Reader, limit: int) -> Sequence[Row[Any]]:
    return await reader.rows(_TOP_ENHANCEMENTS, {"limit": limit})
