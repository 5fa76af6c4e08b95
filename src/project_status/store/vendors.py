"""Vendor extractor queries; lookup by unique name is the hot path (< 1 ms)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from project_status.domain.enums import VendorStatus
from project_status.store.tables import Vendor


async def by_name(session: AsyncSession, name: str) -> Vendor | None:
    query = select(Vendor).where(Vendor.name == name)
    return (await session.execute(query)).scalars().first()


async def by_names(session: AsyncSession, names: Sequence[str]) -> Sequence[Vendor]:
    if not names:
        return []
    return (await session.execute(select(Vendor).where(Vendor.name.in_(names)))).scalars().all()


async def all_vendors(session: AsyncSession, *, only_broken: bool = False) -> Sequence[Vendor]:
    query = select(Vendor).order_by(Vendor.name)
    if only_broken:
        query = query.where(Vendor.status == VendorStatus.BROKEN.value)
    return (await session.execute(query)).scalars().all()
