"""The aggregates of the project summary, each bounded whatever the store's size, in one statement.

Seven small reads (live items by type and status, items in progress, the ready count, vendor
health, broken vendors, newest deployments, top enhancements) are one round trip: on PostgreSQL a
round trip costs more than any of them. Each part is a branch of a UNION ALL whose rows share one
shape, `(part, seq, a, b, c, x, y, at)`; `read` sorts them back into their parts. The statement is
built once per dialect choice, its limits and the moment bound as parameters.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Integer,
    String,
    and_,
    bindparam,
    cast,
    func,
    literal,
    null,
    select,
    union_all,
)

from project_status.domain.enums import ACTIONABLE_TYPES, EnhancementStatus, VendorStatus, WorkItemStatus
from project_status.store import ready
from project_status.store.column_types import UTCDateTime, id_key
from project_status.store.readers import Reader, hot
from project_status.store.tables import Deployment, Enhancement, Vendor, WorkItem

COUNTS, HOLDERS, READY, VENDORS, BROKEN, DEPLOYMENTS, ENHANCEMENTS = range(7)


@dataclass(frozen=True)
class Holding:
    id: str
    title: str
    claimed_by: str | None
    claim_expires_at: datetime | None


@dataclass(frozen=True)
class DeploymentRow:
    deployed_at: datetime
    commit_hash: str
    pr_number: int | None


@dataclass(frozen=True)
class EnhancementRow:
    title: str
    priority: int
    status: str


@dataclass
class SummaryRows:
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    """Live items: {item_type: {status: count}}."""
    holders: list[Holding] = field(default_factory=list)
    ready: int = 0
    vendors_total: int = 0
    vendors_operational: int = 0
    broken_vendors: list[str] = field(default_factory=list)
    deployments: list[DeploymentRow] = field(default_factory=list)
    enhancements: list[EnhancementRow] = field(default_factory=list)


def _row(
    part: int,
    *,
    seq: Any = None,
    a: Any = None,
    b: Any = None,
    c: Any = None,
    x: Any = None,
    y: Any = None,
    at: Any = None,
) -> list[Any]:
    """One branch's columns in the shared shape; what a part does not use is a typed NULL."""

    def value(given: Any, kind: Any, name: str) -> Any:
        return (cast(null(), kind) if given is None else given).label(name)

    return [
        literal(part).label("part"),
        value(literal(0) if seq is None else seq, Integer(), "seq"),
        value(a, String(), "a"),
        value(b, String(), "b"),
        value(c, String(), "c"),
        value(x, Integer(), "x"),
        value(y, Integer(), "y"),
        value(at, UTCDateTime(), "at"),
    ]


def _ranked(part: int, query: Any, order: Sequence[Any], limit: str, **columns: Any) -> Any:
    """A capped list part: its first rows in `order`, numbered so the union keeps that order."""
    first = query.add_columns(func.row_number().over(order_by=list(order)).label("seq"))
    first = first.order_by(*order).limit(bindparam(limit, type_=Integer())).subquery()
    return select(*_row(part, seq=first.c.seq, **{k: first.c[v] for k, v in columns.items()}))


def _counts_and_ready(subtract_blocked: bool) -> tuple[Any, Any]:
    """The COUNTS part and the ready count (a scalar subquery).

    PostgreSQL (not `subtract_blocked`) counts both in one pass over the live items: the ready
    ones are counted by a filter of the same grouping, and summed (a second pass over every
    item cost it more than all the other parts together). SQLite counts ready work apart
    (`store.ready.count`)."""
    live = WorkItem.deleted_at.is_(None)
    types = tuple(t.value for t in ACTIONABLE_TYPES)
    if subtract_blocked:
        counts = (
            select(*_row(COUNTS, a=WorkItem.item_type, b=WorkItem.status, x=func.count()))
            .where(live)
            .group_by(WorkItem.item_type, WorkItem.status)
        )
        return counts, ready.count_statement(types, by_actor=False, subtract=True).scalar_subquery()
    counted = (
        select(
            WorkItem.item_type,
            WorkItem.status,
            func.count().label("live_count"),
            func.count().filter(and_(*ready.ready_now(types))).label("ready_count"),
        )
        .where(live)
        .group_by(WorkItem.item_type, WorkItem.status)
        .cte("counted")
    )
    counts = select(*_row(COUNTS, a=counted.c.item_type, b=counted.c.status, x=counted.c.live_count))
    ready_count = select(
        cast(func.coalesce(func.sum(counted.c.ready_count), 0), BigInteger)
    ).scalar_subquery()
    return counts, ready_count


@functools.cache
def _statement(subtract_blocked: bool) -> Any:
    live = WorkItem.deleted_at.is_(None)
    counts, ready_count = _counts_and_ready(subtract_blocked)
    parts = [
        counts,
        _ranked(
            HOLDERS,
            select(
                id_key(WorkItem.id).label("id"),
                WorkItem.title,
                WorkItem.claimed_by,
                WorkItem.claim_expires_at,
            ).where(live, WorkItem.status == WorkItemStatus.IN_PROGRESS.value),
            (WorkItem.claim_expires_at, WorkItem.id),
            "list_limit",
            a="id",
            b="title",
            c="claimed_by",
            at="claim_expires_at",
        ),
        select(*_row(READY, x=ready_count)),
        select(
            *_row(
                VENDORS,
                x=func.count(),
                y=func.count().filter(Vendor.status == VendorStatus.OPERATIONAL.value),
            )
        ).select_from(Vendor),
        _ranked(
            BROKEN,
            select(Vendor.name).where(Vendor.status == VendorStatus.BROKEN.value),
            (Vendor.name,),
            "broken_limit",
            a="name",
        ),
        _ranked(
            DEPLOYMENTS,
            select(
                Deployment.deployed_at,
                Deployment.commit_hash,
                Deployment.metadata_["pr_number"].as_integer().label("pr_number"),
            ),
            (Deployment.deployed_at.desc(), Deployment.id),
            "list_limit",
            at="deployed_at",
            a="commit_hash",
            x="pr_number",
        ),
        _ranked(
            ENHANCEMENTS,
            select(Enhancement.title, Enhancement.priority, Enhancement.status).where(
                Enhancement.status != EnhancementStatus.COMPLETED.value
            ),
            (Enhancement.priority, Enhancement.created_at, Enhancement.id),
            "list_limit",
            a="title",
            x="priority",
            b="status",
        ),
    ]
    rows = union_all(*parts).subquery("summary")
    return hot(select(*rows.c).order_by(rows.c.part, rows.c.seq))


def _uuid_text(value: Any) -> str:
    """Canonical UUID text from `id_key` (32 hex digits on SQLite, canonical on PostgreSQL)."""
    return str(uuid.UUID(str(value)))


async def read(
    reader: Reader, moment: datetime, list_limit: int, broken_limit: int, *, subtract_blocked: bool
) -> SummaryRows:
    """Every part of the summary as of `moment` (leases live then), lists capped at their limits.

    `subtract_blocked`: the ready count's SQLite form (`store.ready.count`)."""
    params = {"moment": moment, "list_limit": list_limit, "broken_limit": broken_limit}
    found = SummaryRows()
    for part, _seq, a, b, c, x, y, at in await reader.rows(_statement(subtract_blocked), params):
        if part == COUNTS:
            found.counts.setdefault(a, {})[b] = int(x)
        elif part == HOLDERS:
            found.holders.append(Holding(_uuid_text(a), b, c, at))
        elif part == READY:
            found.ready = int(x or 0)
        elif part == VENDORS:
            found.vendors_total, found.vendors_operational = int(x or 0), int(y or 0)
        elif part == BROKEN:
            found.broken_vendors.append(a)
        elif part == DEPLOYMENTS:
            found.deployments.append(DeploymentRow(at, a, x))
        else:
            found.enhancements.append(EnhancementRow(a, int(x), b))
    return found
