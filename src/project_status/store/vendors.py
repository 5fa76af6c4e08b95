"""Vendor extractor queries; lookup by unique name is the hot path (< 1 ms)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from project_status.domain.enums import VendorStatus
from project_status.store.tables import Vendor

_BY_NAME = select(Vendor).where(Vendor.name == bindparam("name"))
"""Built once: the vendor lookup is the hottest query and building it costs more than running it."""


async def by_name(session: AsyncSession, name: str) -> Vendor | None:
    return (await session.execute(_BY_NAME, {"name": name})).scalars().first()


async def by_names(session: AsyncSession, names: Sequence[str]) -> Sequence[Vendor]:
    if not names:
        return []
    return (await session.execute(select(Vendor).where(Vendor.name.in_(names)))).scalars().all()


async def all_vendors(session: AsyncSession, *, only_broken: bool = False) -> Sequence[Vendor]:
    query = select(Vendor).order_by(Vendor.name)
    if only_broken:
        query = query.where(Vendor.status == VendorStatus.BROKEN.value)
    return (await session.execute(query)).scalars().all()
