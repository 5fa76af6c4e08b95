"""Vendor extractor queries; lookup by unique name is the hot path (DESIGN.md section 9 sets its floor)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from project_status.domain.enums import VendorStatus
from project_status.store.column_types import id_key
from project_status.store.readers import Reader, hot, row_columns
from project_status.store.tables import Vendor

_BY_NAME = select(Vendor).where(Vendor.name == bindparam("name"))
"""Built once: the vendor lookup is the hottest query and building it costs more than running it."""


async def by_name(session: AsyncSession, name: str) -> Vendor | None:
    return (await session.execute(_BY_NAME, {"name": name})).scalars().first()


async def by_names(session: AsyncSession, names: Sequence[str]) -> Sequence[Vendor]:
    if not names:
        return []
    return (await session.execute(select(Vendor).where(Vendor.name.in_(names)))).scalars().all()


VENDOR_COLUMNS = row_columns(Vendor)
_READ_BY_NAME = hot(select(*VENDOR_COLUMNS).where(Vendor.name == bindparam("name")))
_READ_ALL = select(*VENDOR_COLUMNS).order_by(Vendor.name)
_READ_BROKEN = _READ_ALL.where(Vendor.status == VendorStatus.BROKEN.value)


async def read_by_name(reader: Reader, name: str) -> Row[Any] | None:
    """The vendor row (`VENDOR_COLUMNS`) named `name`: the hot path of `query_vendor_status`."""
    return await reader.first(_READ_BY_NAME, {"name": name})


async def read_all(reader: Reader, *, only_broken: bool = False) -> Sequence[Row[Any]]:
    return await reader.rows(_READ_BROKEN if only_broken else _READ_ALL)


_REPORT_ROWS = hot(
    select(
        id_key(Vendor.id).label("id"),
        Vendor.name,
        Vendor.status,
        Vendor.extractor_version,
        Vendor.metadata_.label("metadata_"),
    )
)


async def report_rows(reader: Reader) -> Sequence[Row[Any]]:
    """Every vendor's name, status, version and metadata, unsorted: what the report shows, without
    the audit columns (a datetime parsed per value on SQLite)."""
    return await reader.rows(_REPORT_ROWS)
